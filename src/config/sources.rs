//! Where raw values come from: `SHOEBOX_<NAME>`, `PHOTOPRISM_<NAME>`, their `*_FILE` secrets, the
//! TOML file and the table default, and how to name each origin in a message.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use super::options::{OPTIONS, OptionSpec};
use super::read::ConfigError;

/// Where to read configuration from. Tests pass their own environment map.
pub struct ConfigSource {
    pub env: HashMap<String, String>,
    /// An explicit `--config PATH` (must exist), else `config/shoebox.toml` when present.
    pub file: Option<PathBuf>,
}

impl ConfigSource {
    pub fn from_process(file: Option<PathBuf>) -> Self {
        ConfigSource { env: std::env::vars().collect(), file }
    }
}

pub const DEFAULT_CONFIG_FILE: &str = "config/shoebox.toml";

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Env(v) => write!(f, "env {v}"),
        }
    }
}

/// A raw value with its origin, before typing.
#[derive(Debug, Clone)]
pub struct Setting {
    pub value: Option<String>,
    pub source: Source,
}

impl Setting {
    /// How to name this setting in an error message: `SHOEBOX_HTTP_PORT=abc`.
    pub(super) fn label(&self, name: &str) -> String {
        let value = self.value.as_deref().unwrap_or("");
        match &self.source {
            Source::Env(var) if var.ends_with("_FILE") => format!("{var} (file contents)"),
            Source::Env(var) => format!("{var}={value}"),
            Source::File(p) => format!("{} in {}: {}={value:?}", name.to_lowercase(), p.display(), name.to_lowercase()),
            Source::Default => format!("{name} default {value}"),
        }
    }

    /// Like `label`, without the value: a secret is never echoed.
    pub(super) fn secret_label(&self, name: &str) -> String {
        match &self.source {
            Source::Env(var) => var.clone(),
            Source::File(p) => format!("{} in {}", name.to_lowercase(), p.display()),
            Source::Default => name.to_string(),
        }
    }
}

/// Looks every option up in its sources, highest precedence first.
pub(super) fn resolve(source: &ConfigSource) -> Result<BTreeMap<&'static str, Setting>, ConfigError> {
    let (file_path, file_values) = read_file(source.file.as_deref())?;
    let mut out = BTreeMap::new();
    for o in OPTIONS {
        let setting = resolve_one(o, &source.env, file_path.as_deref(), &file_values)?;
        out.insert(o.name, setting);
    }
    Ok(out)
}

fn resolve_one(
    o: &OptionSpec,
    env: &HashMap<String, String>,
    file_path: Option<&Path>,
    file_values: &HashMap<String, String>,
) -> Result<Setting, ConfigError> {
    for prefix in ["SHOEBOX_", "PHOTOPRISM_"] {
        let var = format!("{prefix}{}", o.name);
        let file_var = format!("{var}_FILE");
        let direct = env.get(&var);
        let from_file = if o.secret { env.get(&file_var).filter(|v| !v.is_empty()) } else { None };
        match (direct, from_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(format!("{var} and {file_var} are both set: set only one of them")));
            }
            (Some(v), None) => return Ok(Setting { value: Some(v.clone()), source: Source::Env(var) }),
            (None, Some(path)) => {
                let contents = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "{file_var}={path}: cannot read the file ({e}): check the path and its permissions"
                    ))
                })?;
                let value = contents.trim_end_matches(['\n', '\r']).to_string();
                return Ok(Setting { value: Some(value), source: Source::Env(file_var) });
            }
            (None, None) => {}
        }
    }
    if let (Some(path), Some(v)) = (file_path, file_values.get(&o.name.to_lowercase())) {
        return Ok(Setting { value: Some(v.clone()), source: Source::File(path.to_path_buf()) });
    }
    Ok(Setting { value: o.default.map(str::to_string), source: Source::Default })
}

fn read_file(explicit: Option<&Path>) -> Result<(Option<PathBuf>, HashMap<String, String>), ConfigError> {
    let path = match explicit {
        Some(p) => {
            if !p.exists() {
                return Err(ConfigError(format!("--config {}: no such file: check the path", p.display())));
            }
            p.to_path_buf()
        }
        None => {
            let p = PathBuf::from(DEFAULT_CONFIG_FILE);
            if !p.exists() {
                return Ok((None, HashMap::new()));
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError(format!("{}: cannot read the configuration file ({e})", path.display())))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError(format!("{}: not valid TOML: {}", path.display(), e.message())))?;
    let known: Vec<String> = OPTIONS.iter().map(|o| o.name.to_lowercase()).collect();
    let mut values = HashMap::new();
    for (key, value) in table {
        let key_lower = key.to_lowercase();
        if !known.contains(&key_lower) {
            return Err(ConfigError(format!(
                "{}: unknown option {key:?}: see the configuration table in README.md for the names",
                path.display()
            )));
        }
        let v = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            other => {
                return Err(ConfigError(format!(
                    "{}: {key} = {other}: use a string, number, boolean or list",
                    path.display()
                )));
            }
        };
        values.insert(key_lower, v);
    }
    Ok((Some(path), values))
}
