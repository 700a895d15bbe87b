//! The table of options: each option's name, help text and default. The only home of defaults.

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
    opt(
        "HTTP_HEADER_TIMEOUT",
        Some("30s"),
        "A connection that has not sent a request's complete headers within this time is closed; this also ends an idle \
         keep-alive connection waiting for its next request: seconds, or with s/m/h.",
    ),
    opt(
        "HTTP_BODY_TIMEOUT",
        Some("60s"),
        "A request body (an upload) that sends nothing for this long is cut off: seconds, or with s/m/h.",
    ),
    opt(
        "HTTP_MAX_CONNECTIONS",
        Some("1024"),
        "Open connections served at once; more are closed as they arrive (keeps slow clients from using up the file descriptors).",
    ),
    opt(
        "SHUTDOWN_TIMEOUT",
        Some("30s"),
        "On SIGTERM, requests in flight get this long to finish before their connections are dropped: seconds, or with s/m/h.",
    ),
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
    opt("DISABLE_WEBDAV", Some("false"), "Turn WebDAV at `/originals/` off."),
    opt("WEBDAV_READONLY", Some("false"), "WebDAV clients may read but not add, change or delete files."),
    opt(
        "WEBDAV_PASSWORD_LOGIN",
        Some("false"),
        "WebDAV also accepts the account password; otherwise only app passwords (Account page).",
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
        "AUDIT_DAYS",
        Some("90"),
        "Days the sign-in audit trail keeps each attempt; older rows are deleted hourly. 0 keeps them forever.",
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
        "Largest picture one upload may carry, and the largest picture file the index reads (larger ones are skipped \
         with that reason): bytes, or a number with KB, MB or GB (1024-based). Videos are streamed, never held in \
         memory, and not capped by it.",
    ),
    opt(
        "MAX_PIXELS",
        Some("200M"),
        "Pictures with more pixels are refused before decoding (protects memory): a number, or with k, M or G.",
    ),
    opt("JPEG_QUALITY", Some("85"), "Quality of generated thumbnails, 25-100."),
    opt("INDEX_WORKERS", Some("0"), "Pictures analysed in parallel while indexing; 0 means one per CPU core."),
    opt(
        "INDEX_INTERVAL",
        Some("15m"),
        "New, changed and removed originals are picked up by an index run this often, whatever put them there (SMB, Syncthing, a copy): seconds, or with s/m/h/d; 0 turns it off.",
    ),
    opt(
        "FFMPEG_BIN",
        Some("ffmpeg"),
        "FFmpeg for videos (metadata, poster frames, transcoding); ffprobe is looked for beside it. A name is searched in PATH.",
    ),
    opt(
        "DISABLE_FFMPEG",
        Some("false"),
        "Do not use FFmpeg: videos are recorded as skipped, Live Photos show as stills.",
    ),
    opt(
        "FFMPEG_ENCODER",
        Some("software"),
        "H.264 encoder for videos a browser cannot play: `software` (libx264), `intel` (QSV), `nvidia` (NVENC), `vaapi`, \
         `apple` (VideoToolbox), `raspberry` (V4L2 M2M), or an FFmpeg encoder name; a hardware one falls back to software.",
    ),
    opt(
        "FFMPEG_SIZE",
        Some("3840"),
        "Longest side of a transcoded video in pixels: 720, 1280, 1920, 2048, 3840, 4096 or 7680 (never upscaled).",
    ),
    opt("FFMPEG_BITRATE", Some("50"), "Highest bitrate of a transcoded video in Mbit/s (1-1000)."),
    opt(
        "HEIFCONVERT_BIN",
        Some("heif-dec"),
        "libheif's decoder for HEIC and AVIF photos (`heif-dec`; the older name `heif-convert` is tried too). A name is searched in PATH.",
    ),
    opt("DISABLE_HEIFCONVERT", Some("false"), "Do not decode HEIC and AVIF: such photos are recorded as skipped."),
    opt("DISABLE_RAW", Some("false"), "Do not index RAW files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2)."),
    opt(
        "TRASH_DAYS",
        Some("30"),
        "Days a photo stays in the trash before it is deleted for good; 0 keeps the trash until it is emptied.",
    ),
    opt(
        "DISABLE_PLACES",
        Some("false"),
        "Turn the maps off: no Places page, no map in the viewer, no tile server contacted.",
    ),
    opt(
        "PLACES_TILES",
        Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "Map tile server as a URL template with {z}, {x} and {y} (one host: the browser may load images from it only).",
    ),
    opt(
        "PLACES_ATTRIBUTION",
        Some("© OpenStreetMap contributors"),
        "Credit for the map tiles shown on every map, as the tile server's terms ask.",
    ),
];

pub fn spec(name: &str) -> &'static OptionSpec {
    OPTIONS.iter().find(|o| o.name == name).unwrap_or_else(|| panic!("option {name} is not in the table"))
}
