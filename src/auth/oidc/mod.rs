//! Single sign-on with an OpenID Connect provider (Authelia first).
//!
//! [`Oidc`] is the provider client: discovery with the exact issuer check (retried with backoff,
//! never remembered as failed), the provider's signing keys, the token and userinfo calls.
//! [`jwt`] verifies ID tokens, signed userinfo and logout tokens; [`account`] turns a verified
//! identity into a Shoebox account.
//!
//! The verifier is written here on top of `jsonwebtoken` rather than taken from a full OpenID
//! Connect client crate: the checks such crates leave out (algorithm allow-list, `iat` in the
//! future, `azp`, the callback's `iss`, re-fetching keys on rotation) are most of the work, and
//! back-channel logout tokens need the same verifier anyway.

pub mod account;
pub mod jwt;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::{Config, OidcConfig};

/// How long one call to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery retry backoff: doubles from the first value up to the last.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// A page request may trigger a discovery attempt itself, but not more often than this.
const ON_DEMAND_DISCOVERY_GAP: Duration = Duration::from_secs(2);

/// The parts of the provider's discovery document Shoebox uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    pub userinfo_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl Metadata {
    pub fn supports_pkce_s256(&self) -> bool {
        self.code_challenge_methods_supported.iter().any(|m| m == "S256")
    }
}

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
    metadata: RwLock<Option<Arc<Metadata>>>,
    last_error: RwLock<Option<String>>,
    /// Serialises discovery attempts and remembers when the last one started.
    discovery: tokio::sync::Mutex<Option<Instant>>,
    pub(crate) keys: tokio::sync::Mutex<jwt::KeyCache>,
    /// `jti` of logout tokens already used, with their expiry (replays are refused).
    seen_logout_tokens: Mutex<HashMap<String, i64>>,
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

#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    #[serde(default)]
    pub id_token: Option<String>,
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
            metadata: RwLock::new(None),
            last_error: RwLock::new(None),
            discovery: tokio::sync::Mutex::new(None),
            keys: tokio::sync::Mutex::new(jwt::KeyCache::default()),
            seen_logout_tokens: Mutex::new(HashMap::new()),
        })))
    }

    /// Discovers the provider in the background, retrying with backoff until it answers correctly.
    pub fn spawn_discovery(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut wait = RETRY_FIRST;
            loop {
                let Some(oidc) = weak.upgrade() else { return };
                if oidc.current_metadata().is_some() || oidc.try_discover().await.is_ok() {
                    return;
                }
                drop(oidc);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_MAX);
            }
        });
    }

    pub fn current_metadata(&self) -> Option<Arc<Metadata>> {
        self.metadata.read().expect("metadata lock").clone()
    }

    /// Why the provider is not usable right now (for the login page), if discovery failed.
    /// While the first attempt is still running this is `None`: starting a sign-in waits for it.
    pub fn unavailable_reason(&self) -> Option<String> {
        if self.current_metadata().is_some() {
            return None;
        }
        self.last_error.read().expect("error lock").clone()
    }

    /// The discovered provider; tries discovery now when it failed before (at most every 2 s).
    pub async fn metadata(&self) -> Result<Arc<Metadata>, ProviderError> {
        if let Some(m) = self.current_metadata() {
            return Ok(m);
        }
        let recent = self.discovery.lock().await.is_some_and(|t| t.elapsed() < ON_DEMAND_DISCOVERY_GAP);
        if !recent {
            self.try_discover().await?;
        }
        self.current_metadata().ok_or_else(|| self.unreachable())
    }

    fn unreachable(&self) -> ProviderError {
        let detail = self.unavailable_reason().unwrap_or_else(|| "discovery has not succeeded yet".into());
        ProviderError::new(
            format!(
                "{} cannot be reached right now, so single sign-on is unavailable. Try again in a minute; \
                 password sign-in still works.",
                self.settings.provider
            ),
            detail,
        )
    }

    async fn try_discover(&self) -> Result<(), ProviderError> {
        let mut last = self.discovery.lock().await;
        if self.current_metadata().is_some() {
            return Ok(());
        }
        *last = Some(Instant::now());
        match self.discover().await {
            Ok(m) => {
                tracing::info!(issuer = %m.issuer, "single sign-on: discovered the provider");
                *self.metadata.write().expect("metadata lock") = Some(Arc::new(m));
                *self.last_error.write().expect("error lock") = None;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "single sign-on: provider discovery failed; retrying with backoff");
                *self.last_error.write().expect("error lock") = Some(e);
                Err(self.unreachable())
            }
        }
    }

    fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'))
    }

    async fn discover(&self) -> Result<Metadata, String> {
        let url = self.discovery_url();
        let r = self.http.get(&url).header("accept", "application/json").send().await.map_err(|e| {
            format!(
                "cannot fetch the discovery document {url}: {}: check OIDC_URI and that the provider is running",
                describe(&e)
            )
        })?;
        let status = r.status();
        if !status.is_success() {
            return Err(format!(
                "the discovery document {url} answered HTTP {status}: check OIDC_URI (it must be the provider's issuer URL)"
            ));
        }
        let m: Metadata = r
            .json()
            .await
            .map_err(|e| format!("the discovery document {url} is not valid OpenID Connect metadata: {e}"))?;
        if m.issuer != self.issuer {
            let hint = if m.issuer.trim_end_matches('/') == self.issuer.trim_end_matches('/') {
                " They differ only by the trailing slash."
            } else {
                ""
            };
            return Err(format!(
                "the provider's discovery document names the issuer \"{}\", but OIDC_URI is \"{}\"; they must be \
                 identical.{hint} Set OIDC_URI to \"{}\".",
                m.issuer, self.issuer, m.issuer
            ));
        }
        for (name, value) in [
            ("authorization_endpoint", Some(&m.authorization_endpoint)),
            ("token_endpoint", Some(&m.token_endpoint)),
            ("jwks_uri", Some(&m.jwks_uri)),
            ("userinfo_endpoint", m.userinfo_endpoint.as_ref()),
            ("end_session_endpoint", m.end_session_endpoint.as_ref()),
        ] {
            let Some(value) = value else { continue };
            let ok = Url::parse(value)
                .is_ok_and(|u| u.scheme() == "https" || (self.settings.insecure && u.scheme() == "http"));
            if !ok {
                return Err(format!("the discovery document's {name} {value:?} is not an https URL"));
            }
        }
        Ok(m)
    }

    /// A fresh pre-sign-in secret: 32 random bytes, URL-safe.
    pub fn random_token() -> String {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn pkce_challenge(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    }

    /// The authorization request URL.
    pub fn authorization_url(&self, m: &Metadata, state: &str, nonce: &str, verifier: Option<&str>) -> String {
        let mut url = Url::parse(&m.authorization_endpoint).expect("checked at discovery");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("scope", &self.settings.scopes.join(" "))
                .append_pair("state", state)
                .append_pair("nonce", nonce);
            if let Some(v) = verifier {
                q.append_pair("code_challenge", &Self::pkce_challenge(v)).append_pair("code_challenge_method", "S256");
            }
            if let Some(p) = self.settings.prompt {
                q.append_pair("prompt", p.as_str());
            }
        }
        url.to_string()
    }

    /// Exchanges the authorization code at the token endpoint with `client_secret_basic`.
    pub async fn exchange_code(
        &self,
        m: &Metadata,
        code: &str,
        verifier: Option<&str>,
    ) -> Result<TokenResponse, ProviderError> {
        // RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and encoded.
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = STANDARD.encode(format!("{}:{}", enc(&self.client_id), enc(self.secret.expose())));
        let mut form = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &self.redirect_uri)];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let failed = |detail: String| {
            ProviderError::new(
                format!(
                    "{} did not accept the sign-in (the code exchange failed). Try again; if it keeps happening, \
                     the server log says why.",
                    self.settings.provider
                ),
                detail,
            )
        };
        let r = self
            .http
            .post(&m.token_endpoint)
            .header("authorization", format!("Basic {basic}"))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| failed(format!("token endpoint unreachable: {}", describe(&e))))?;
        let status = r.status();
        let body = r.bytes().await.map_err(|e| failed(format!("token endpoint: {}", describe(&e))))?;
        if !status.is_success() {
            let err: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
            let code = err.get("error").and_then(Value::as_str).unwrap_or("no error code");
            let desc = err.get("error_description").and_then(Value::as_str).unwrap_or("");
            let hint = if code == "invalid_client" {
                " (check OIDC_CLIENT and OIDC_SECRET, and that the client uses client_secret_basic)"
            } else {
                ""
            };
            return Err(failed(format!("token endpoint answered HTTP {status}: {code} {desc}{hint}")));
        }
        let t: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("token endpoint sent an unreadable response: {e}")))?;
        if !t.token_type.eq_ignore_ascii_case("bearer") {
            return Err(failed(format!("token endpoint sent token_type {:?}, not bearer", t.token_type)));
        }
        Ok(t)
    }

    /// Fetches userinfo with the access token in the Authorization header; plain JSON or a signed JWT.
    pub async fn userinfo(
        &self,
        m: &Metadata,
        access_token: &str,
        expected_sub: &str,
    ) -> Result<Option<Map<String, Value>>, ProviderError> {
        let Some(endpoint) = &m.userinfo_endpoint else { return Ok(None) };
        let failed = |detail: String| {
            ProviderError::new(
                format!("{} did not send your profile (userinfo failed). Try again.", self.settings.provider),
                detail,
            )
        };
        let r = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .header("accept", "application/json, application/jwt")
            .send()
            .await
            .map_err(|e| failed(format!("userinfo endpoint unreachable: {}", describe(&e))))?;
        let status = r.status();
        if !status.is_success() {
            return Err(failed(format!("userinfo endpoint answered HTTP {status}")));
        }
        let is_jwt = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/jwt"));
        let body = r.text().await.map_err(|e| failed(format!("userinfo: {}", describe(&e))))?;
        let claims = if is_jwt {
            let algs = jwt::allowed_algorithms(&m.userinfo_signing_alg_values_supported);
            let claims = self
                .verify_signature(m, body.trim(), &algs)
                .await
                .map_err(|e| failed(format!("signed userinfo: {e}")))?;
            if let Some(iss) = claims.get("iss")
                && iss.as_str() != Some(m.issuer.as_str())
            {
                return Err(failed(format!("signed userinfo has iss {iss}, expected {:?}", m.issuer)));
            }
            if claims.contains_key("aud") && !jwt::audience_contains(&claims, &self.client_id) {
                return Err(failed("signed userinfo is for another client (aud)".into()));
            }
            claims
        } else {
            serde_json::from_str::<Map<String, Value>>(&body)
                .map_err(|e| failed(format!("userinfo is neither a JSON object nor a JWT: {e}")))?
        };
        match claims.get("sub").and_then(Value::as_str) {
            Some(s) if s == expected_sub => Ok(Some(claims)),
            other => Err(failed(format!(
                "userinfo sub {:?} differs from the ID token's sub {expected_sub:?}",
                other.unwrap_or("(missing)")
            ))),
        }
    }

    /// Verifies a JWT's signature against the provider's keys (re-fetched once, rate-limited, when
    /// the token names a key that is not known yet) and returns its claims unchecked otherwise.
    pub async fn verify_signature(
        &self,
        m: &Metadata,
        token: &str,
        allowed: &[jsonwebtoken::Algorithm],
    ) -> Result<Map<String, Value>, String> {
        let header = jwt::checked_header(token, allowed)?;
        let mut keys = self.keys.lock().await;
        let candidates = keys.candidates(&self.http, &m.jwks_uri, &header).await?;
        drop(keys);
        jwt::verify_with(token, header.alg, &candidates)
    }

    /// Verifies an ID token completely: signature, iss, aud, azp, exp, iat, sub, nonce.
    pub async fn verify_id_token(&self, m: &Metadata, token: &str, nonce: &str) -> Result<Map<String, Value>, String> {
        let algs = jwt::allowed_algorithms(&m.id_token_signing_alg_values_supported);
        let claims = self.verify_signature(m, token, &algs).await?;
        jwt::check_id_token_claims(&claims, &m.issuer, &self.client_id, nonce, crate::db::now())?;
        Ok(claims)
    }

    /// Verifies a back-channel logout token; returns (sub, sid), at least one of them set.
    pub async fn verify_logout_token(&self, token: &str) -> Result<(Option<String>, Option<String>), String> {
        let m = self.metadata().await.map_err(|e| e.detail)?;
        let algs = jwt::allowed_algorithms(&m.id_token_signing_alg_values_supported);
        let claims = self.verify_signature(&m, token, &algs).await?;
        let now = crate::db::now();
        let (sub, sid, jti, exp) = jwt::check_logout_token_claims(&claims, &m.issuer, &self.client_id, now)?;
        let mut seen = self.seen_logout_tokens.lock().expect("logout token lock");
        seen.retain(|_, until| *until > now);
        if seen.contains_key(&jti) {
            return Err("this logout token was already used (jti replayed)".into());
        }
        if seen.len() < 100_000 {
            seen.insert(jti, exp.unwrap_or(now + 600).max(now + 60));
        }
        Ok((sub, sid))
    }

    /// RP-initiated logout at the provider, when enabled and the provider has an end-session endpoint.
    pub fn end_session_url(&self, id_token: Option<&str>) -> Option<String> {
        if !self.settings.logout {
            return None;
        }
        let m = self.current_metadata()?;
        let mut url = Url::parse(m.end_session_endpoint.as_deref()?).ok()?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(t) = id_token {
                q.append_pair("id_token_hint", t);
            }
            q.append_pair("client_id", &self.client_id);
            q.append_pair("post_logout_redirect_uri", &self.post_logout_redirect_uri);
        }
        Some(url.to_string())
    }
}

/// A reqwest error in words with its causes (the URLs called carry no secrets).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A bounded log of recent events, for rate limits.
#[derive(Default)]
pub(crate) struct RecentEvents(VecDeque<Instant>);

impl RecentEvents {
    /// Records an event now unless `max` already happened within `window`.
    pub(crate) fn try_record(&mut self, max: usize, window: Duration) -> bool {
        let now = Instant::now();
        while self.0.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.0.pop_front();
        }
        if self.0.len() >= max {
            return false;
        }
        self.0.push_back(now);
        true
    }
}
