//! The typed `Config`, loaded and validated once at startup, and what the rest of Shoebox reads of it.
//!
//! Every option `NAME` is read, highest precedence first, from `SHOEBOX_<NAME>`,
//! `SHOEBOX_<NAME>_FILE` (secrets only), `PHOTOPRISM_<NAME>`, `PHOTOPRISM_<NAME>_FILE`,
//! the TOML file (key `name` in lower case), and finally the built-in default.

mod oidc;
mod options;
mod read;
mod sources;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use url::Url;

pub use oidc::{OidcConfig, OidcPrompt};
pub use options::{OPTIONS, OptionSpec, spec};
use read::Reader;
pub use read::{ConfigError, parse_bool, parse_duration, parse_size};
pub use sources::{ConfigSource, DEFAULT_CONFIG_FILE, Setting, Source};

/// Sessions shorter than this would sign people out while they look at a page.
const MIN_SESSION: Duration = Duration::from_secs(60);

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

/// WebDAV at `/originals/`.
#[derive(Debug, Clone, Copy)]
pub struct WebDavConfig {
    pub enabled: bool,
    /// Reads only: no PUT, DELETE, MOVE, COPY, MKCOL or PROPPATCH.
    pub readonly: bool,
    /// The account password works too, not only app passwords.
    pub password_login: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub site_url: Url,
    pub http_host: IpAddr,
    pub http_port: u16,
    pub http_limits: HttpLimits,
    pub storage_path: PathBuf,
    pub originals_path: PathBuf,
    pub admin_user: String,
    pub admin_password: Option<Secret>,
    pub auth_mode: AuthMode,
    pub password_login: bool,
    pub webdav: WebDavConfig,
    pub session_maxage: Duration,
    pub session_timeout: Duration,
    /// Days sign-in audit rows are kept; 0 keeps them forever.
    pub audit_days: u32,
    pub trusted_proxies: Vec<IpNet>,
    pub log_level: tracing::Level,
    pub log_format: LogFormat,
    pub oidc: OidcConfig,
    pub library: LibraryConfig,
    pub media: MediaConfig,
    pub places: PlacesConfig,
    /// Every option with its effective raw value and source, for `shoebox config`.
    pub settings: BTreeMap<&'static str, Setting>,
}

/// How long and how many connections the server gives its clients.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
}

impl HttpLimits {
    fn read(r: &Reader<'_>) -> Result<HttpLimits, ConfigError> {
        let second = Duration::from_secs(1);
        Ok(HttpLimits {
            header_timeout: r.duration("HTTP_HEADER_TIMEOUT", second)?,
            body_timeout: r.duration("HTTP_BODY_TIMEOUT", second)?,
            max_connections: r.number::<usize>(
                "HTTP_MAX_CONNECTIONS",
                1..=1_000_000,
                "not a connection count: use a number from 1 to 1000000 (e.g. 1024)",
            )?,
            shutdown_timeout: r.duration("SHUTDOWN_TIMEOUT", second)?,
        })
    }
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
    /// Files added to the originals by anything else (SMB, Syncthing, a copy) are picked up by an
    /// index run this often; zero turns it off.
    pub index_interval: std::time::Duration,
}

impl LibraryConfig {
    fn read(r: &Reader<'_>) -> Result<LibraryConfig, ConfigError> {
        let upload_limit =
            r.size("UPLOAD_LIMIT", 1024, 1, "not a size: use bytes or a number with KB, MB or GB (e.g. 200MB)")?;
        let max_pixels =
            r.size("MAX_PIXELS", 1000, 1_000_000, "not a pixel count of at least 1M: use e.g. 200M or 100000000")?;
        let jpeg_quality =
            r.number::<u8>("JPEG_QUALITY", 25..=100, "not a JPEG quality: use a number from 25 to 100")?;
        let workers = r.number::<usize>(
            "INDEX_WORKERS",
            0..=256,
            "not a worker count: use 0 (one per core) or a number up to 256",
        )?;
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let index_workers = if workers == 0 { cores } else { workers };
        let trash_days =
            r.number::<u32>("TRASH_DAYS", 0..=36_500, "not a number of days: use 0 (keep until emptied) or e.g. 30")?;
        let index_interval = r.duration("INDEX_INTERVAL", std::time::Duration::ZERO)?;
        Ok(LibraryConfig { upload_limit, max_pixels, jpeg_quality, index_workers, trash_days, index_interval })
    }
}

/// The external tools for phone media, as configured (whether they exist is found at start by
/// `library::tools`).
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// None: DISABLE_FFMPEG.
    pub ffmpeg_bin: Option<PathBuf>,
    pub ffmpeg_encoder: FfmpegEncoder,
    /// Longest side of a transcoded video.
    pub ffmpeg_size: u32,
    /// Mbit/s.
    pub ffmpeg_bitrate: u32,
    /// None: DISABLE_HEIFCONVERT.
    pub heif_convert_bin: Option<PathBuf>,
    pub raw_enabled: bool,
}

/// FFMPEG_ENCODER: PhotoPrism's names for the H.264 encoders, or an FFmpeg encoder named directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FfmpegEncoder {
    Software,
    Named(String),
}

impl FfmpegEncoder {
    /// The FFmpeg encoder to try first.
    pub fn codec(&self) -> &str {
        match self {
            FfmpegEncoder::Software => "libx264",
            FfmpegEncoder::Named(n) => n,
        }
    }
}

impl MediaConfig {
    fn read(r: &Reader<'_>) -> Result<MediaConfig, ConfigError> {
        let tool = |bin: &str, disable: &str| -> Result<Option<PathBuf>, ConfigError> {
            if r.bool(disable)? {
                return Ok(None);
            }
            Ok(Some(PathBuf::from(r.string_or_default(bin))))
        };
        let ffmpeg_bin = tool("FFMPEG_BIN", "DISABLE_FFMPEG")?;
        let heif_convert_bin = tool("HEIFCONVERT_BIN", "DISABLE_HEIFCONVERT")?;
        let encoder = r.string_or_default("FFMPEG_ENCODER");
        let ffmpeg_encoder = match encoder.trim().to_ascii_lowercase().as_str() {
            "" | "software" | "libx264" | "x264" => FfmpegEncoder::Software,
            "intel" | "qsv" => FfmpegEncoder::Named("h264_qsv".into()),
            "nvidia" | "nvenc" => FfmpegEncoder::Named("h264_nvenc".into()),
            "vaapi" => FfmpegEncoder::Named("h264_vaapi".into()),
            "apple" | "videotoolbox" => FfmpegEncoder::Named("h264_videotoolbox".into()),
            "raspberry" | "v4l2" => FfmpegEncoder::Named("h264_v4l2m2m".into()),
            name if name.starts_with("h264_") && name[5..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                FfmpegEncoder::Named(name.to_string())
            }
            _ => {
                return Err(r.bad(
                    "FFMPEG_ENCODER",
                    "not an H.264 encoder: use software, intel, nvidia, vaapi, apple, raspberry or an FFmpeg name like h264_qsv",
                ));
            }
        };
        let ffmpeg_size = r.number::<u32>(
            "FFMPEG_SIZE",
            720..=7680,
            "not a video size: use 720, 1280, 1920, 2048, 3840, 4096 or 7680",
        )?;
        if ![720, 1280, 1920, 2048, 3840, 4096, 7680].contains(&ffmpeg_size) {
            return Err(r.bad("FFMPEG_SIZE", "not a video size: use 720, 1280, 1920, 2048, 3840, 4096 or 7680"));
        }
        let ffmpeg_bitrate =
            r.number::<u32>("FFMPEG_BITRATE", 1..=1000, "not a bitrate: use Mbit/s from 1 to 1000, e.g. 50")?;
        Ok(MediaConfig {
            ffmpeg_bin,
            ffmpeg_encoder,
            ffmpeg_size,
            ffmpeg_bitrate,
            heif_convert_bin,
            raw_enabled: !r.bool("DISABLE_RAW")?,
        })
    }
}

/// The maps: the Places page and the viewer's small map.
#[derive(Debug, Clone)]
pub struct PlacesConfig {
    pub enabled: bool,
    /// A tile URL template (`{z}`, `{x}`, `{y}`).
    pub tiles: String,
    /// `https://tile.example.org`: the one origin the CSP lets images come from besides this site.
    pub tile_origin: String,
    pub attribution: String,
    /// The OpenStreetMap copyright page, when its tiles are used (its terms ask for the link).
    pub attribution_url: Option<String>,
}

impl PlacesConfig {
    fn read(r: &Reader<'_>) -> Result<PlacesConfig, ConfigError> {
        let enabled = !r.bool("DISABLE_PLACES")?;
        let tiles = r.string("PLACES_TILES");
        let what = "not a tile URL template: use an http(s) URL with {z}, {x} and {y} on one host, \
                    e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png";
        let url = Url::parse(&tiles.replace(['{', '}'], "")).map_err(|_| r.bad("PLACES_TILES", what))?;
        let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| tiles.contains(p));
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || !placeholders
            || tiles.contains("{s}")
        {
            return Err(r.bad("PLACES_TILES", what));
        }
        let tile_origin = url.origin().ascii_serialization();
        let attribution = r.string("PLACES_ATTRIBUTION");
        let attribution_url = (url.host_str() == Some("tile.openstreetmap.org"))
            .then(|| "https://www.openstreetmap.org/copyright".to_string());
        Ok(PlacesConfig { enabled, tiles, tile_origin, attribution, attribution_url })
    }
}

impl Config {
    pub fn load(source: &ConfigSource) -> Result<Config, ConfigError> {
        let settings = sources::resolve(source)?;
        Config::from_settings(settings)
    }

    /// A config for tests and tools: defaults plus the given `NAME=value` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Config, ConfigError> {
        let env = pairs.into_iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v.to_string())).collect();
        Config::load(&ConfigSource { env, file: None })
    }

    /// Reads the options in a fixed order, so the first bad one is the one reported.
    fn from_settings(mut settings: BTreeMap<&'static str, Setting>) -> Result<Config, ConfigError> {
        let r = Reader::new(&settings);
        let mut site_url = r.http_url(
            "SITE_URL",
            "not an http(s) URL: use the address people open, e.g. https://photos.example.com/",
        )?;
        // Joining relative paths onto the site URL needs the trailing slash.
        if !site_url.path().ends_with('/') {
            let path = format!("{}/", site_url.path());
            site_url.set_path(&path);
        }
        let http_host = r.ip("HTTP_HOST")?;
        let http_port = r.port("HTTP_PORT")?;
        let http_limits = HttpLimits::read(&r)?;
        let storage_path = PathBuf::from(r.string_or_default("STORAGE_PATH"));
        let originals_path =
            r.text("ORIGINALS_PATH").map(PathBuf::from).unwrap_or_else(|| storage_path.join("originals"));
        r.choice(
            "DATABASE_DRIVER",
            &[("sqlite", ()), ("sqlite3", ())],
            "unsupported database driver: only sqlite is supported, remove the setting or set it to sqlite",
        )?;
        let admin_user = r.username("ADMIN_USER")?;
        let admin_password = r.password("ADMIN_PASSWORD")?;
        let auth_mode = r.choice(
            "AUTH_MODE",
            &[("password", AuthMode::Password), ("public", AuthMode::Public)],
            "not an auth mode: use password or public",
        )?;
        let session_maxage = r.duration("SESSION_MAXAGE", MIN_SESSION)?;
        let session_timeout = r.duration("SESSION_TIMEOUT", MIN_SESSION)?;
        let audit_days =
            r.number::<u32>("AUDIT_DAYS", 0..=36_500, "not a number of days: use 0 (keep forever) or e.g. 90")?;
        let trusted_proxies = r.networks("TRUSTED_PROXY")?;
        let log_level = r.choice(
            "LOG_LEVEL",
            &[
                ("trace", tracing::Level::TRACE),
                ("debug", tracing::Level::DEBUG),
                ("info", tracing::Level::INFO),
                ("warn", tracing::Level::WARN),
                ("warning", tracing::Level::WARN),
                ("error", tracing::Level::ERROR),
            ],
            "not a log level: use trace, debug, info, warn or error",
        )?;
        let log_format = r.choice(
            "LOG_FORMAT",
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            "not a log format: use text or json",
        )?;
        let oidc = OidcConfig::read(&r, &site_url)?;
        let library = LibraryConfig::read(&r)?;
        let places = PlacesConfig::read(&r)?;
        let media = MediaConfig::read(&r)?;
        let password_login = r.bool("PASSWORD_LOGIN")?;
        let webdav = WebDavConfig {
            enabled: !r.bool("DISABLE_WEBDAV")?,
            readonly: r.bool("WEBDAV_READONLY")?,
            password_login: r.bool("WEBDAV_PASSWORD_LOGIN")?,
        };

        // Typed values hold the secrets now; the raw table keeps only the fact that one is set.
        for o in OPTIONS.iter().filter(|o| o.secret) {
            if let Some(s) = settings.get_mut(o.name).filter(|s| s.value.as_deref().is_some_and(|v| !v.is_empty())) {
                s.value = Some("(redacted)".into());
            }
        }

        Ok(Config {
            site_url,
            http_host,
            http_port,
            http_limits,
            storage_path,
            originals_path,
            admin_user,
            admin_password,
            auth_mode,
            password_login,
            webdav,
            session_maxage,
            session_timeout,
            audit_days,
            trusted_proxies,
            log_level,
            log_format,
            oidc,
            library,
            media,
            places,
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
