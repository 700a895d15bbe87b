//! The table of options, where each value came from, and the typed `Config` validated once at startup.
//!
//! Every option `NAME` is read, highest precedence first, from `SHOEBOX_<NAME>`,
//! `SHOEBOX_<NAME>_FILE` (secrets only), `PHOTOPRISM_<NAME>`, `PHOTOPRISM_<NAME>_FILE`,
//! the TOML file (key `name` in lower case), and finally the built-in default.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use url::Url;

use crate::accounts::Role;

/// One documented option. The README's configuration table is checked against this list.
pub struct OptionSpec {
    pub name: &'static str,
    /// The default as shown to people; `None` means unset.
    pub default: Option<&'static str>,
    pub secret: bool,
    pub help: &'static str,
}

const fn opt(name: &'static str, default: Option<&'static str>, help: &'static str) -> OptionSpec {
    OptionSpec { name, default, secret: false, help }
}

const fn secret(name: &'static str, help: &'static str) -> OptionSpec {
    OptionSpec { name, default: None, secret: true, help }
}

pub const OPTIONS: &[OptionSpec] = &[
    opt(
        "SITE_URL",
        Some("http://localhost:2342/"),
        "Public URL people open, as the reverse proxy serves it; decides the Secure cookie flag, HSTS and the single sign-on redirect URI.",
    ),
    opt("HTTP_HOST", Some("0.0.0.0"), "Address to listen on."),
    opt("HTTP_PORT", Some("2342"), "Port to listen on (1-65535)."),
    opt("STORAGE_PATH", Some("./storage"), "Folder for the database, sessions and cache."),
    opt("ORIGINALS_PATH", None, "Folder holding the original photos; defaults to `<STORAGE_PATH>/originals`."),
    opt("DATABASE_DRIVER", Some("sqlite"), "Database engine; only `sqlite` is supported."),
    opt("ADMIN_USER", Some("admin"), "Username of the administrator created on first start."),
    secret(
        "ADMIN_PASSWORD",
        "Password of that administrator (at least 8 characters); when unset, a strong one is generated and printed once in the log.",
    ),
    opt(
        "AUTH_MODE",
        Some("password"),
        "`password`: everyone signs in. `public`: no sign-in at all, everyone acts as the administrator (private LAN only).",
    ),
    opt(
        "PASSWORD_LOGIN",
        Some("true"),
        "Show the password form on the login page; when false it is only at `/login?local=1`.",
    ),
    opt(
        "SESSION_MAXAGE",
        Some("1209600"),
        "Absolute session lifetime: seconds, or a number with s/m/h/d/w (e.g. `14d`).",
    ),
    opt(
        "SESSION_TIMEOUT",
        Some("604800"),
        "A session ends after this long without a request: seconds, or with s/m/h/d/w.",
    ),
    opt(
        "TRUSTED_PROXY",
        Some("127.0.0.1/32,::1/128,172.16.0.0/12"),
        "Comma list of reverse proxy addresses or CIDR ranges whose X-Forwarded-For is believed (for sign-in rate limits and the audit log).",
    ),
    opt("LOG_LEVEL", Some("info"), "trace, debug, info, warn or error."),
    opt("LOG_FORMAT", Some("text"), "`text` or `json`."),
    opt(
        "OIDC_URI",
        None,
        "Issuer URL of the OpenID Connect provider, exactly as its discovery document states it (e.g. `https://auth.example.com`).",
    ),
    opt("OIDC_CLIENT", None, "Client id registered at the provider."),
    secret("OIDC_SECRET", "Client secret registered at the provider (plain text, not Authelia's digest)."),
    opt(
        "OIDC_SCOPES",
        Some("openid email profile address"),
        "Scopes to request, separated by spaces or commas; must all be registered for the client at the provider.",
    ),
    opt("OIDC_PROVIDER", Some("OpenID"), "Provider name on the sign-in button."),
    opt("OIDC_ICON", None, "URL or path of an icon shown on the sign-in button."),
    opt(
        "OIDC_REDIRECT",
        Some("false"),
        "Send anonymous visitors straight to the provider (`/login?local=1` still shows the password form).",
    ),
    opt("OIDC_REGISTER", Some("false"), "Create an account the first time someone unknown signs in with the provider."),
    opt(
        "OIDC_USERNAME",
        Some("preferred_username"),
        "Claim that names new accounts (falls back to name, nickname, verified email).",
    ),
    opt("OIDC_DOMAIN", None, "Comma list of email domains; when set, sign-in needs a verified email in one of them."),
    opt("OIDC_ROLE", Some("user"), "Role of accounts created by single sign-on: admin, user or viewer."),
    opt("OIDC_GROUP_CLAIM", Some("groups"), "Claim that lists the user's groups."),
    opt("OIDC_GROUP", None, "Comma list of groups; when set, sign-in needs one of them."),
    opt("OIDC_GROUP_ROLE", None, "Comma list of `group=role`; first match sets the role at every sign-in."),
    opt("OIDC_PROMPT", None, "`login`, `consent` or `select_account`, sent as the prompt parameter."),
    opt("OIDC_LOGOUT", Some("false"), "Continue sign-out at the provider when it has an end-session endpoint."),
    opt("OIDC_INSECURE", Some("false"), "Allow an http issuer and site URL (local testing only)."),
    opt("DISABLE_OIDC", Some("false"), "Turn single sign-on off even when it is configured."),
    opt(
        "UPLOAD_LIMIT",
        Some("200MB"),
        "Largest file one upload may carry, and the largest picture file the index reads (larger ones are skipped \
         with that reason): bytes, or a number with KB, MB or GB (1024-based).",
    ),
    opt(
        "MAX_PIXELS",
        Some("200M"),
        "Pictures with more pixels are refused before decoding (protects memory): a number, or with k, M or G.",
    ),
    opt("JPEG_QUALITY", Some("85"), "Quality of generated thumbnails, 25-100."),
    opt("INDEX_WORKERS", Some("0"), "Pictures analysed in parallel while indexing; 0 means one per CPU core."),
    opt(
        "TRASH_DAYS",
        Some("30"),
        "Days a photo stays in the trash before it is deleted for good; 0 keeps the trash until it is emptied.",
    ),
];

pub fn spec(name: &str) -> &'static OptionSpec {
    OPTIONS.iter().find(|o| o.name == name).unwrap_or_else(|| panic!("option {name} is not in the table"))
}

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
    fn label(&self, name: &str) -> String {
        let value = self.value.as_deref().unwrap_or("");
        match &self.source {
            Source::Env(var) if var.ends_with("_FILE") => format!("{var} (file contents)"),
            Source::Env(var) => format!("{var}={value}"),
            Source::File(p) => format!("{} in {}: {}={value:?}", name.to_lowercase(), p.display(), name.to_lowercase()),
            Source::Default => format!("{name} default {value}"),
        }
    }
}

/// A configuration error: one line that names the variable, what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn bad(setting: &Setting, name: &str, what: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{}: {what}", setting.label(name)))
}

/// A secret string that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Password,
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcPrompt {
    Login,
    Consent,
    SelectAccount,
}

impl OidcPrompt {
    pub fn as_str(self) -> &'static str {
        match self {
            OidcPrompt::Login => "login",
            OidcPrompt::Consent => "consent",
            OidcPrompt::SelectAccount => "select_account",
        }
    }
}

/// Single sign-on settings. `enabled` is true when URI, client and secret are set and not disabled.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub enabled: bool,
    /// The issuer exactly as configured (no normalisation: it must equal the discovered issuer).
    pub uri: Option<String>,
    pub client: Option<String>,
    pub secret: Option<Secret>,
    pub scopes: Vec<String>,
    pub provider: String,
    pub icon: Option<String>,
    pub redirect: bool,
    pub register: bool,
    pub username_claim: String,
    pub domains: Vec<String>,
    pub role: Role,
    pub group_claim: String,
    pub groups: Vec<String>,
    pub group_roles: Vec<(String, Role)>,
    pub prompt: Option<OidcPrompt>,
    pub logout: bool,
    pub insecure: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub site_url: Url,
    pub http_host: IpAddr,
    pub http_port: u16,
    pub storage_path: PathBuf,
    pub originals_path: PathBuf,
    pub admin_user: String,
    pub admin_password: Option<Secret>,
    pub auth_mode: AuthMode,
    pub password_login: bool,
    pub session_maxage: Duration,
    pub session_timeout: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub log_level: tracing::Level,
    pub log_format: LogFormat,
    pub oidc: OidcConfig,
    pub library: LibraryConfig,
    /// Every option with its effective raw value and source, for `shoebox config`.
    pub settings: BTreeMap<&'static str, Setting>,
}

/// Settings of the photo library engine.
#[derive(Debug, Clone)]
pub struct LibraryConfig {
    pub upload_limit: u64,
    pub max_pixels: u64,
    pub jpeg_quality: u8,
    /// Resolved: at least 1.
    pub index_workers: usize,
    /// 0: never purge the trash automatically.
    pub trash_days: u32,
}

fn library_from(settings: &BTreeMap<&'static str, Setting>) -> Result<LibraryConfig, ConfigError> {
    let get = |name: &str| -> &Setting { settings.get(name).expect("every option resolved") };
    let text = |name: &str| get(name).value.as_deref().map(str::trim).unwrap_or("").to_string();
    let upload_limit = parse_size(&text("UPLOAD_LIMIT"), 1024).filter(|n| *n > 0).ok_or_else(|| {
        bad(get("UPLOAD_LIMIT"), "UPLOAD_LIMIT", "not a size: use bytes or a number with KB, MB or GB (e.g. 200MB)")
    })?;
    let max_pixels = parse_size(&text("MAX_PIXELS"), 1000).filter(|n| *n >= 1_000_000).ok_or_else(|| {
        bad(get("MAX_PIXELS"), "MAX_PIXELS", "not a pixel count of at least 1M: use e.g. 200M or 100000000")
    })?;
    let jpeg_quality =
        text("JPEG_QUALITY").parse::<u8>().ok().filter(|q| (25..=100).contains(q)).ok_or_else(|| {
            bad(get("JPEG_QUALITY"), "JPEG_QUALITY", "not a JPEG quality: use a number from 25 to 100")
        })?;
    let workers = text("INDEX_WORKERS").parse::<usize>().ok().filter(|w| *w <= 256).ok_or_else(|| {
        bad(get("INDEX_WORKERS"), "INDEX_WORKERS", "not a worker count: use 0 (one per core) or a number up to 256")
    })?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let index_workers = if workers == 0 { cores } else { workers };
    let trash_days = text("TRASH_DAYS").parse::<u32>().ok().filter(|d| *d <= 36_500).ok_or_else(|| {
        bad(get("TRASH_DAYS"), "TRASH_DAYS", "not a number of days: use 0 (keep until emptied) or e.g. 30")
    })?;
    Ok(LibraryConfig { upload_limit, max_pixels, jpeg_quality, index_workers, trash_days })
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

impl Config {
    pub fn load(source: &ConfigSource) -> Result<Config, ConfigError> {
        let settings = resolve(source)?;
        Config::from_settings(settings)
    }

    /// A config for tests and tools: defaults plus the given `NAME=value` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Config, ConfigError> {
        let env = pairs.into_iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v.to_string())).collect();
        Config::load(&ConfigSource { env, file: None })
    }

    fn from_settings(settings: BTreeMap<&'static str, Setting>) -> Result<Config, ConfigError> {
        let get = |name: &str| -> &Setting { settings.get(name).expect("every option resolved") };
        let text = |name: &str| -> Option<String> {
            get(name).value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
        };
        let boolean = |name: &str| -> Result<bool, ConfigError> {
            match text(name) {
                None => Ok(false),
                Some(v) => parse_bool(&v).ok_or_else(|| bad(get(name), name, "not a boolean: use true or false")),
            }
        };
        let duration = |name: &str| -> Result<Duration, ConfigError> {
            let v = text(name).unwrap_or_default();
            parse_duration(&v).ok_or_else(|| {
                bad(
                    get(name),
                    name,
                    "not a duration: use seconds (e.g. 3600) or a number with s, m, h, d or w (e.g. 14d)",
                )
            })
        };
        let list = |name: &str| -> Vec<String> {
            text(name)
                .map(|v| v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default()
        };

        let site_url_text = text("SITE_URL").unwrap_or_default();
        let mut site_url = Url::parse(&site_url_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                bad(
                    get("SITE_URL"),
                    "SITE_URL",
                    "not an http(s) URL: use the address people open, e.g. https://photos.example.com/",
                )
            })?;
        if !site_url.path().ends_with('/') {
            let path = format!("{}/", site_url.path());
            site_url.set_path(&path);
        }

        let http_host_text = text("HTTP_HOST").unwrap_or_default();
        let http_host = http_host_text.parse::<IpAddr>().or_else(|_| {
            if http_host_text == "localhost" {
                Ok(IpAddr::from([127, 0, 0, 1]))
            } else {
                Err(bad(
                    get("HTTP_HOST"),
                    "HTTP_HOST",
                    "not an IP address: use e.g. 0.0.0.0 (all interfaces) or 127.0.0.1",
                ))
            }
        })?;

        let http_port = text("HTTP_PORT")
            .and_then(|v| v.parse::<u16>().ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| bad(get("HTTP_PORT"), "HTTP_PORT", "not a port number (1-65535)"))?;

        let storage_path = PathBuf::from(text("STORAGE_PATH").unwrap_or_else(|| "./storage".into()));
        let originals_path =
            text("ORIGINALS_PATH").map(PathBuf::from).unwrap_or_else(|| storage_path.join("originals"));

        match text("DATABASE_DRIVER").as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("sqlite") | Some("sqlite3") => {}
            _ => {
                return Err(bad(
                    get("DATABASE_DRIVER"),
                    "DATABASE_DRIVER",
                    "unsupported database driver: only sqlite is supported, remove the setting or set it to sqlite",
                ));
            }
        }

        let admin_user = text("ADMIN_USER").unwrap_or_default();
        crate::accounts::password::validate_username(&admin_user)
            .map_err(|e| bad(get("ADMIN_USER"), "ADMIN_USER", e))?;
        let admin_password = match get("ADMIN_PASSWORD").value.as_deref() {
            None | Some("") => None,
            Some(p) => {
                crate::accounts::password::validate_password(p).map_err(|e| {
                    ConfigError(format!("{}: {e}", secret_label(get("ADMIN_PASSWORD"), "ADMIN_PASSWORD")))
                })?;
                Some(Secret::new(p))
            }
        };

        let auth_mode = match text("AUTH_MODE").as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("password") => AuthMode::Password,
            Some("public") => AuthMode::Public,
            _ => return Err(bad(get("AUTH_MODE"), "AUTH_MODE", "not an auth mode: use password or public")),
        };

        let session_maxage = duration("SESSION_MAXAGE")?;
        let session_timeout = duration("SESSION_TIMEOUT")?;
        if session_maxage < Duration::from_secs(60) {
            return Err(bad(get("SESSION_MAXAGE"), "SESSION_MAXAGE", "too short: use at least 60 seconds"));
        }
        if session_timeout < Duration::from_secs(60) {
            return Err(bad(get("SESSION_TIMEOUT"), "SESSION_TIMEOUT", "too short: use at least 60 seconds"));
        }

        let mut trusted_proxies = Vec::new();
        for item in list("TRUSTED_PROXY") {
            let net = item.parse::<IpNet>().or_else(|_| item.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                bad(
                    get("TRUSTED_PROXY"),
                    "TRUSTED_PROXY",
                    format!("{item:?} is not an IP address or CIDR range (e.g. 172.16.0.0/12)"),
                )
            })?;
            trusted_proxies.push(net);
        }

        let log_level = match text("LOG_LEVEL").as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("trace") => tracing::Level::TRACE,
            Some("debug") => tracing::Level::DEBUG,
            Some("info") => tracing::Level::INFO,
            Some("warn") | Some("warning") => tracing::Level::WARN,
            Some("error") => tracing::Level::ERROR,
            _ => {
                return Err(bad(
                    get("LOG_LEVEL"),
                    "LOG_LEVEL",
                    "not a log level: use trace, debug, info, warn or error",
                ));
            }
        };
        let log_format = match text("LOG_FORMAT").as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            _ => return Err(bad(get("LOG_FORMAT"), "LOG_FORMAT", "not a log format: use text or json")),
        };

        let oidc = oidc_from(&settings, &site_url)?;
        let library = library_from(&settings)?;

        let password_login = boolean("PASSWORD_LOGIN")?;

        // Typed values hold the secrets now; the raw table keeps only the fact that one is set.
        let mut settings = settings;
        for o in OPTIONS.iter().filter(|o| o.secret) {
            if let Some(s) = settings.get_mut(o.name).filter(|s| s.value.as_deref().is_some_and(|v| !v.is_empty())) {
                s.value = Some("(redacted)".into());
            }
        }

        Ok(Config {
            site_url,
            http_host,
            http_port,
            storage_path,
            originals_path,
            admin_user,
            admin_password,
            auth_mode,
            password_login,
            session_maxage,
            session_timeout,
            trusted_proxies,
            log_level,
            log_format,
            oidc,
            library,
            settings,
        })
    }

    pub fn site_is_https(&self) -> bool {
        self.site_url.scheme() == "https"
    }

    pub fn database_path(&self) -> PathBuf {
        self.storage_path.join("shoebox.db")
    }

    /// The redirect URI to register at the provider: SITE_URL (with its path) + `api/v1/oidc/redirect`.
    pub fn oidc_redirect_uri(&self) -> Url {
        self.site_url.join("api/v1/oidc/redirect").expect("site URL ends with a slash")
    }

    /// `NAME  value  source` lines for `shoebox config`, secrets redacted.
    pub fn describe(&self) -> Vec<(String, String, String)> {
        OPTIONS
            .iter()
            .map(|o| {
                let s = &self.settings[o.name];
                let value = match (&s.value, o.secret) {
                    (None, _) => String::new(),
                    (Some(v), true) if !v.is_empty() => "(redacted)".to_string(),
                    (Some(v), _) => v.clone(),
                };
                let value = if o.name == "ORIGINALS_PATH" && s.value.is_none() {
                    self.originals_path.display().to_string()
                } else {
                    value
                };
                (o.name.to_string(), value, s.source.to_string())
            })
            .collect()
    }
}

fn secret_label(setting: &Setting, name: &str) -> String {
    match &setting.source {
        Source::Env(var) => var.clone(),
        Source::File(p) => format!("{} in {}", name.to_lowercase(), p.display()),
        Source::Default => name.to_string(),
    }
}

/// Single sign-on needs the issuer, the client id and the secret together. With only some of
/// them it would be silently off (no button on the login page); an empty secret file from a
/// docker secret is the usual way to get there. Either is a startup error naming the variable.
fn half_configured_sso<'a>(get: impl Fn(&str) -> &'a Setting, present: [(&str, bool); 3]) -> Result<(), ConfigError> {
    if present.iter().all(|(_, set)| !set) || present.iter().all(|(_, set)| *set) {
        return Ok(());
    }
    let (missing, _) = present.iter().find(|(_, set)| !set).expect("one is missing");
    let how = "single sign-on needs OIDC_URI, OIDC_CLIENT and OIDC_SECRET together: set it, \
               or set DISABLE_OIDC=true to sign in with passwords only";
    match &get(missing).source {
        // Set, but to nothing: an empty variable or an empty secret file.
        Source::Env(var) if var.ends_with("_FILE") => {
            Err(ConfigError(format!("{var}: the file is empty: put the value in it, or set DISABLE_OIDC=true")))
        }
        Source::Env(var) => Err(ConfigError(format!("{var} is empty: {how}"))),
        Source::File(path) => {
            Err(ConfigError(format!("{} in {} is empty: {how}", missing.to_lowercase(), path.display())))
        }
        Source::Default => {
            // Name it the way the other single sign-on variables were given.
            let prefix = present
                .iter()
                .filter(|(_, set)| *set)
                .find_map(|(name, _)| match &get(name).source {
                    Source::Env(var) if var.starts_with("PHOTOPRISM_") => Some("PHOTOPRISM_"),
                    _ => None,
                })
                .unwrap_or("SHOEBOX_");
            Err(ConfigError(format!("{prefix}{missing} is not set: {how}")))
        }
    }
}

fn oidc_from(settings: &BTreeMap<&'static str, Setting>, site_url: &Url) -> Result<OidcConfig, ConfigError> {
    let get = |name: &str| -> &Setting { settings.get(name).expect("every option resolved") };
    let text = |name: &str| -> Option<String> {
        get(name).value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
    };
    let boolean = |name: &str| -> Result<bool, ConfigError> {
        match text(name) {
            None => Ok(false),
            Some(v) => parse_bool(&v).ok_or_else(|| bad(get(name), name, "not a boolean: use true or false")),
        }
    };
    let list = |name: &str| -> Vec<String> {
        text(name)
            .map(|v| v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    };

    let uri = text("OIDC_URI");
    let client = text("OIDC_CLIENT");
    let secret = get("OIDC_SECRET").value.as_deref().filter(|s| !s.is_empty()).map(Secret::new);
    let disabled = boolean("DISABLE_OIDC")?;
    let insecure = boolean("OIDC_INSECURE")?;
    let enabled = !disabled && uri.is_some() && client.is_some() && secret.is_some();

    if let Some(u) = &uri {
        let parsed = Url::parse(u)
            .ok()
            .filter(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some())
            .ok_or_else(|| {
                bad(
                    get("OIDC_URI"),
                    "OIDC_URI",
                    "not an http(s) URL: use the provider's issuer, e.g. https://auth.example.com",
                )
            })?;
        if enabled && parsed.scheme() != "https" && !insecure {
            return Err(bad(
                get("OIDC_URI"),
                "OIDC_URI",
                "single sign-on needs an https issuer: use https, or set OIDC_INSECURE=true for local testing only",
            ));
        }
    }
    if enabled && site_url.scheme() != "https" && !insecure {
        return Err(bad(
            get("SITE_URL"),
            "SITE_URL",
            "single sign-on needs an https site URL: serve Shoebox over https (set SITE_URL to it), or set OIDC_INSECURE=true for local testing only",
        ));
    }

    let scopes = list("OIDC_SCOPES");
    if !scopes.iter().any(|s| s == "openid") {
        return Err(bad(get("OIDC_SCOPES"), "OIDC_SCOPES", "must include openid, e.g. \"openid email profile\""));
    }

    let role = text("OIDC_ROLE")
        .unwrap_or_else(|| "user".into())
        .parse::<Role>()
        .map_err(|e| bad(get("OIDC_ROLE"), "OIDC_ROLE", e))?;

    let mut group_roles = Vec::new();
    for item in list("OIDC_GROUP_ROLE") {
        let (group, role) = item.split_once('=').ok_or_else(|| {
            bad(
                get("OIDC_GROUP_ROLE"),
                "OIDC_GROUP_ROLE",
                format!("{item:?} is not group=role: use e.g. admins=admin,family=user"),
            )
        })?;
        let role = role.parse::<Role>().map_err(|e| bad(get("OIDC_GROUP_ROLE"), "OIDC_GROUP_ROLE", e))?;
        if group.trim().is_empty() {
            return Err(bad(get("OIDC_GROUP_ROLE"), "OIDC_GROUP_ROLE", format!("{item:?} has an empty group name")));
        }
        group_roles.push((group.trim().to_string(), role));
    }

    let prompt = match text("OIDC_PROMPT").as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("login") => Some(OidcPrompt::Login),
        Some("consent") => Some(OidcPrompt::Consent),
        Some("select_account") => Some(OidcPrompt::SelectAccount),
        Some(_) => {
            return Err(bad(
                get("OIDC_PROMPT"),
                "OIDC_PROMPT",
                "not a prompt: use login, consent or select_account, or leave it unset",
            ));
        }
    };

    if !disabled {
        half_configured_sso(
            get,
            [("OIDC_URI", uri.is_some()), ("OIDC_CLIENT", client.is_some()), ("OIDC_SECRET", secret.is_some())],
        )?;
    }
    Ok(OidcConfig {
        enabled,
        uri,
        client,
        secret,
        scopes,
        provider: text("OIDC_PROVIDER").unwrap_or_else(|| "OpenID".into()),
        icon: text("OIDC_ICON"),
        redirect: boolean("OIDC_REDIRECT")?,
        register: boolean("OIDC_REGISTER")?,
        username_claim: text("OIDC_USERNAME").unwrap_or_else(|| "preferred_username".into()),
        domains: list("OIDC_DOMAIN").into_iter().map(|d| d.trim_start_matches('@').to_ascii_lowercase()).collect(),
        role,
        group_claim: text("OIDC_GROUP_CLAIM").unwrap_or_else(|| "groups".into()),
        groups: list("OIDC_GROUP"),
        group_roles,
        prompt,
        logout: boolean("OIDC_LOGOUT")?,
        insecure,
    })
}

/// Looks every option up in its sources, highest precedence first.
fn resolve(source: &ConfigSource) -> Result<BTreeMap<&'static str, Setting>, ConfigError> {
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
