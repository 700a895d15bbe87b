//! Single sign-on with an OpenID Connect provider (Authelia first).
//!
//! [`Oidc`] is the provider client. The `openidconnect` crate does the protocol plumbing:
//! the discovery document is read into its [`ProviderMetadata`](openidconnect::ProviderMetadata)
//! types, the authorization request (state, nonce, PKCE S256, scopes, `prompt`) is built by its
//! client, the code is exchanged through it with `client_secret_basic`, ID tokens are checked by
//! its [`IdTokenVerifier`](openidconnect::IdTokenVerifier) (signature, `iss`, `aud`, `exp`,
//! nonce), userinfo is parsed into its claim types and the sign-out URL is its
//! [`LogoutRequest`](openidconnect::LogoutRequest).
//!
//! What stays Shoebox's own, and why:
//! - discovery is fetched here, not with the crate's `discover_async`, for the exact-issuer error
//!   that names both values (and a trailing-slash slip), the https check of every endpoint, the
//!   retry with backoff, and a key set fetched on first use rather than at start;
//! - the provider's key set, fetched again (rate-limited) when a token names an unknown key:
//!   the crate verifies against the key set it is given and never fetches one;
//! - the checks the crate leaves to its callers ([`jwt::check_id_token_extras`]): `iat` in the
//!   future, `azp`, an empty `sub`; the callback's `iss` (RFC 9207) in the HTTP handler;
//! - the algorithm gate read from the token header before the crate sees it, so an unsigned or
//!   HMAC token is refused with a clear reason (the crate refuses them too);
//! - the userinfo request itself (see [`Oidc::userinfo`]) and back-channel logout tokens, which
//!   the crate has no support for ([`logout_token`]).

mod client;
mod discovery;
pub mod jwt;
pub mod keys;
pub mod logout_token;
mod types;
mod userinfo;

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::config::{Config, OidcConfig};

pub use client::AuthorizationRequest;
pub use discovery::Provider;
pub use types::{Metadata, MoreMetadata, OtherClaims, ProviderIdToken, ProviderIdTokenClaims, TokenResponse};

/// How long one call to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The provider client, shared by every request.
pub struct Oidc {
    pub settings: OidcConfig,
    /// The configured issuer, exactly as given.
    pub issuer: String,
    pub client_id: String,
    secret: crate::config::Secret,
    pub redirect_uri: String,
    /// Where the provider sends people back after signing out there.
    pub post_logout_redirect_uri: String,
    http: reqwest::Client,
    provider: RwLock<Option<Arc<Provider>>>,
    last_error: RwLock<Option<String>>,
    /// Serialises discovery attempts and remembers when the last one started.
    discovery: tokio::sync::Mutex<Option<Instant>>,
    pub(crate) keys: tokio::sync::Mutex<keys::KeyCache>,
    /// Logout tokens already used (replays are refused).
    used_logout_tokens: Mutex<logout_token::UsedLogoutTokens>,
}

/// A failure talking to the provider: `public` is safe to show, `detail` goes to the log and audit.
#[derive(Debug, Clone)]
pub struct ProviderError {
    pub public: String,
    pub detail: String,
}

impl ProviderError {
    fn new(public: impl Into<String>, detail: impl Into<String>) -> Self {
        ProviderError { public: public.into(), detail: detail.into() }
    }
}

impl Oidc {
    /// The client for `config`, or `None` when single sign-on is off.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Arc<Oidc>>> {
        let o = &config.oidc;
        if !o.enabled {
            return Ok(None);
        }
        let (Some(issuer), Some(client_id), Some(secret)) = (o.uri.clone(), o.client.clone(), o.secret.clone()) else {
            return Ok(None);
        };
        // Redirects stay off: the crate's token exchange must not follow one to another host.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .https_only(!o.insecure)
            .user_agent(concat!("Shoebox/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let post_logout = config.site_url.join("login?signed_out=1").expect("site URL ends with a slash");
        Ok(Some(Arc::new(Oidc {
            settings: o.clone(),
            issuer,
            client_id,
            secret,
            redirect_uri: config.oidc_redirect_uri().to_string(),
            post_logout_redirect_uri: post_logout.to_string(),
            http,
            provider: RwLock::new(None),
            last_error: RwLock::new(None),
            discovery: tokio::sync::Mutex::new(None),
            keys: tokio::sync::Mutex::new(keys::KeyCache::default()),
            used_logout_tokens: Mutex::new(logout_token::UsedLogoutTokens::default()),
        })))
    }
}

/// An HTTP error in words with its causes (the URLs called carry no secrets).
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The most of a provider's free text (`error`, `error_description`) kept for the log and audit.
const PROVIDER_TEXT_CHARS: usize = 300;

/// Text the provider (or whoever forged its answer) chose, made fit for one log line or audit
/// reason: control characters become spaces, so it cannot start a forged line, and it is cut.
pub fn provider_text(text: &str) -> String {
    let mut out: String =
        text.chars().take(PROVIDER_TEXT_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(PROVIDER_TEXT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Now in seconds since 1970, for the token time checks (this module keeps out of `crate::db`).
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
