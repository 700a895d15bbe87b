//! The typed reader: turns a resolved raw setting into a value, or into one error line that
//! names the variable as it was given, what is wrong and how to fix it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use url::Url;

use super::Secret;
use super::options::spec;
use super::sources::Setting;
use crate::accounts::Role;
use crate::accounts::credentials::{validate_password, validate_username};

/// A configuration error: one line that names the variable, what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Reads options by name out of the resolved settings; every getter names the variable in its error.
pub(super) struct Reader<'a> {
    settings: &'a BTreeMap<&'static str, Setting>,
}

impl<'a> Reader<'a> {
    pub fn new(settings: &'a BTreeMap<&'static str, Setting>) -> Self {
        Reader { settings }
    }

    pub fn setting(&self, name: &str) -> &'a Setting {
        self.settings.get(name).expect("every option resolved")
    }

    /// The error for `name`: `SHOEBOX_HTTP_PORT=abc: <what>`.
    pub fn bad(&self, name: &str, what: impl fmt::Display) -> ConfigError {
        ConfigError(format!("{}: {what}", self.setting(name).label(name)))
    }

    /// The trimmed value; `None` when unset or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.setting(name).value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// The trimmed value, empty when unset or blank (the typed getter then refuses it).
    pub fn string(&self, name: &str) -> String {
        self.text(name).unwrap_or_default()
    }

    /// The trimmed value, or the table default when it is set to nothing.
    pub fn string_or_default(&self, name: &str) -> String {
        self.text(name).or_else(|| spec(name).default.map(str::to_string)).unwrap_or_default()
    }

    /// Items separated by commas or spaces.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .map(|v| v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Blank reads as false, like an unset flag.
    pub fn bool(&self, name: &str) -> Result<bool, ConfigError> {
        match self.text(name) {
            None => Ok(false),
            Some(v) => parse_bool(&v).ok_or_else(|| self.bad(name, "not a boolean: use true or false")),
        }
    }

    /// A duration of at least `min`.
    pub fn duration(&self, name: &str, min: Duration) -> Result<Duration, ConfigError> {
        let d = parse_duration(&self.string(name)).ok_or_else(|| {
            self.bad(name, "not a duration: use seconds (e.g. 3600) or a number with s, m, h, d or w (e.g. 14d)")
        })?;
        if d < min {
            return Err(self.bad(name, format!("too short: use at least {} seconds", min.as_secs())));
        }
        Ok(d)
    }

    /// A size with k/M/G suffixes in powers of `base`, at least `min`.
    pub fn size(&self, name: &str, base: u64, min: u64, what: &str) -> Result<u64, ConfigError> {
        parse_size(&self.string(name), base).filter(|n| *n >= min).ok_or_else(|| self.bad(name, what))
    }

    /// A whole number within `range`.
    pub fn number<T: FromStr + PartialOrd>(
        &self,
        name: &str,
        range: RangeInclusive<T>,
        what: &str,
    ) -> Result<T, ConfigError> {
        self.string(name).parse::<T>().ok().filter(|n| range.contains(n)).ok_or_else(|| self.bad(name, what))
    }

    pub fn port(&self, name: &str) -> Result<u16, ConfigError> {
        self.number(name, 1..=u16::MAX, "not a port number (1-65535)")
    }

    /// An IP address to listen on; `localhost` is taken as 127.0.0.1.
    pub fn ip(&self, name: &str) -> Result<IpAddr, ConfigError> {
        let v = self.string(name);
        v.parse::<IpAddr>().or_else(|_| {
            if v == "localhost" {
                Ok(IpAddr::from([127, 0, 0, 1]))
            } else {
                Err(self.bad(name, "not an IP address: use e.g. 0.0.0.0 (all interfaces) or 127.0.0.1"))
            }
        })
    }

    /// Addresses or CIDR ranges; a bare address is a range of one.
    pub fn networks(&self, name: &str) -> Result<Vec<IpNet>, ConfigError> {
        self.list(name)
            .into_iter()
            .map(|item| {
                item.parse::<IpNet>().or_else(|_| item.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                    self.bad(name, format!("{item:?} is not an IP address or CIDR range (e.g. 172.16.0.0/12)"))
                })
            })
            .collect()
    }

    /// An absolute http or https URL with a host.
    pub fn http_url(&self, name: &str, what: &str) -> Result<Url, ConfigError> {
        Url::parse(&self.string(name))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| self.bad(name, what))
    }

    /// One of `choices`, case-insensitively; `None` when unset.
    pub fn choice_opt<T: Copy>(&self, name: &str, choices: &[(&str, T)], what: &str) -> Result<Option<T>, ConfigError> {
        let Some(v) = self.text(name).map(|v| v.to_ascii_lowercase()) else { return Ok(None) };
        match choices.iter().find(|(word, _)| *word == v) {
            Some((_, value)) => Ok(Some(*value)),
            None => Err(self.bad(name, what)),
        }
    }

    /// One of `choices`, case-insensitively; unset is refused like a wrong word.
    pub fn choice<T: Copy>(&self, name: &str, choices: &[(&str, T)], what: &str) -> Result<T, ConfigError> {
        self.choice_opt(name, choices, what)?.ok_or_else(|| self.bad(name, what))
    }

    /// A role, the table default when set to nothing.
    pub fn role(&self, name: &str) -> Result<Role, ConfigError> {
        self.string_or_default(name).parse::<Role>().map_err(|e| self.bad(name, e))
    }

    /// `group=role` pairs, in the order given.
    pub fn group_roles(&self, name: &str) -> Result<Vec<(String, Role)>, ConfigError> {
        let mut out = Vec::new();
        for item in self.list(name) {
            let (group, role) = item.split_once('=').ok_or_else(|| {
                self.bad(name, format!("{item:?} is not group=role: use e.g. admins=admin,family=user"))
            })?;
            let role = role.parse::<Role>().map_err(|e| self.bad(name, e))?;
            if group.trim().is_empty() {
                return Err(self.bad(name, format!("{item:?} has an empty group name")));
            }
            out.push((group.trim().to_string(), role));
        }
        Ok(out)
    }

    pub fn username(&self, name: &str) -> Result<String, ConfigError> {
        let u = self.string(name);
        validate_username(&u).map_err(|e| self.bad(name, e))?;
        Ok(u)
    }

    /// The value exactly as given (secrets are not trimmed); `None` when unset or empty.
    pub fn secret(&self, name: &str) -> Option<Secret> {
        self.setting(name).value.as_deref().filter(|s| !s.is_empty()).map(Secret::new)
    }

    /// A password that meets the account rules; the error names the variable, never the value.
    pub fn password(&self, name: &str) -> Result<Option<Secret>, ConfigError> {
        let Some(p) = self.secret(name) else { return Ok(None) };
        validate_password(p.expose())
            .map_err(|e| ConfigError(format!("{}: {e}", self.setting(name).secret_label(name))))?;
        Ok(Some(p))
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Seconds, or a whole number with one unit suffix: s, m, h, d, w.
pub fn parse_duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    let (digits, unit) = match v.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&v[..i], v[i..].trim()),
        None => (v, "s"),
    };
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(factor).map(Duration::from_secs)
}

/// `200MB`, `1.5G`, `4096`: a number with an optional k/M/G suffix (B optional) in powers of `base`.
pub fn parse_size(v: &str, base: u64) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (num, unit) = (&v[..split], v[split..].trim().to_ascii_lowercase());
    let n: f64 = num.parse().ok()?;
    let factor = match unit.trim_end_matches('b').trim_end_matches('i') {
        "" => 1,
        "k" => base,
        "m" => base * base,
        "g" => base * base * base,
        _ => return None,
    };
    let total = n * factor as f64;
    (total.is_finite() && (0.0..1e18).contains(&total)).then_some(total as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_seconds_and_units() {
        assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("14d"), Some(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("2w"), Some(Duration::from_secs(2 * 604_800)));
        assert_eq!(parse_duration("ten"), None);
        assert_eq!(parse_duration("5y"), None);
    }
}
