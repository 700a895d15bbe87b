//! Single sign-on with an OpenID Connect provider (Authelia first).
//!
//! [`Oidc`] is the provider client. The `openidconnect` crate does the protocol plumbing:
//! the discovery document is read into its [`ProviderMetadata`] types, the authorization request
//! (state, nonce, PKCE S256, scopes, `prompt`) is built by its client, the code is exchanged
//! through it with `client_secret_basic`, ID tokens are checked by its [`IdTokenVerifier`]
//! (signature, `iss`, `aud`, `exp`, nonce), userinfo is parsed into its claim types and the
//! sign-out URL is its [`LogoutRequest`].
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
//!   the crate has no support for ([`jwt`]).

pub mod account;
pub mod backchannel;
pub mod flow;
pub mod jwt;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode,
    CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse, CoreSubjectIdentifierType,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AdditionalProviderMetadata, AsyncHttpClient, AuthType, AuthorizationCode, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, ExtraTokenFields,
    HttpClientError, HttpRequest, HttpResponse, IdToken, IdTokenClaims, IdTokenVerifier, IssuerUrl,
    LogoutProviderMetadata, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse, SubjectIdentifier, UserInfoClaims, UserInfoError,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::config::{Config, OidcConfig, OidcPrompt};
use jwt::KeyedFailure;

/// How long one call to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery retry backoff: doubles from the first value up to the last.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// A page request may trigger a discovery attempt itself, but not more often than this.
const ON_DEMAND_DISCOVERY_GAP: Duration = Duration::from_secs(2);
/// Random bytes in state, nonce and the PKCE verifier (each 43 characters, URL-safe).
const SECRET_BYTES: u32 = 32;

/// Discovery fields the crate's core metadata type has no place for.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct MoreMetadata {
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: the provider puts `iss` on every answer to the callback.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl AdditionalProviderMetadata for MoreMetadata {}

/// The provider's discovery document, in the crate's types; `end_session_endpoint` comes with
/// the crate's RP-initiated logout metadata.
pub type Metadata = ProviderMetadata<
    LogoutProviderMetadata<MoreMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Every claim that is not one of the standard profile claims, as the provider sent it:
/// `groups`, `sid`, a configured username claim, and so on.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct OtherClaims(pub Map<String, Value>);

impl AdditionalClaims for OtherClaims {}

pub type ProviderIdToken =
    IdToken<OtherClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
pub type ProviderIdTokenClaims = IdTokenClaims<OtherClaims, CoreGenderClaim>;

/// The token endpoint's fields, the ID token as text.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct TokenFields {
    #[serde(flatten)]
    oauth: StandardTokenResponse<EmptyExtraTokenFields, CoreTokenType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// The token endpoint's answer. Unlike the crate's own response type it keeps an ID token it
/// cannot parse (a required claim missing) as text: such a token must be refused as "could not
/// be verified" with the reason, not fail the whole exchange as an unreadable response. And it
/// reads `expires_in` and `scope`, which Shoebox does not use, leniently (see
/// [`lenient_token_fields`]): before the crate they were not read at all, and a provider that
/// sends `"expires_in": "3599"` must not make every sign-in fail.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "Map<String, Value>", into = "TokenFields")]
pub struct TokenResponse {
    fields: TokenFields,
    parsed_id_token: Option<ProviderIdToken>,
}

impl TryFrom<Map<String, Value>> for TokenResponse {
    type Error = serde_json::Error;

    fn try_from(mut fields: Map<String, Value>) -> Result<Self, Self::Error> {
        lenient_token_fields(&mut fields);
        let fields: TokenFields = serde_json::from_value(Value::Object(fields))?;
        let parsed_id_token = fields.id_token.as_deref().and_then(|t| t.parse().ok());
        Ok(TokenResponse { fields, parsed_id_token })
    }
}

/// Makes the token response's `expires_in` and `scope` what the crate's types read (RFC 6749
/// 5.1: seconds as a number, scopes as one space-separated string), or leaves them out. Seen in
/// the wild: `expires_in` as a string or with a fraction, `scope` as a list.
fn lenient_token_fields(fields: &mut Map<String, Value>) {
    let seconds = match fields.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_f64()),
        Some(Value::String(s)) => Some(s.trim().parse::<f64>().ok()),
        Some(_) => Some(None),
    };
    match seconds {
        None => {}
        Some(Some(s)) if s.is_finite() && s >= 0.0 && s < u64::MAX as f64 => {
            fields.insert("expires_in".into(), Value::from(s as u64));
        }
        Some(_) => {
            fields.remove("expires_in");
        }
    }
    match fields.get("scope") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let joined = items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ");
            fields.insert("scope".into(), Value::String(joined));
        }
        Some(_) => {
            fields.remove("scope");
        }
    }
}

impl From<TokenResponse> for TokenFields {
    fn from(response: TokenResponse) -> Self {
        response.fields
    }
}

impl TokenResponse {
    /// The ID token exactly as the provider sent it.
    pub fn id_token_text(&self) -> Option<&str> {
        self.fields.id_token.as_deref()
    }
}

impl ExtraTokenFields for TokenFields {}

impl OAuth2TokenResponse for TokenResponse {
    type TokenType = CoreTokenType;

    fn access_token(&self) -> &AccessToken {
        self.fields.oauth.access_token()
    }
    fn token_type(&self) -> &CoreTokenType {
        self.fields.oauth.token_type()
    }
    fn expires_in(&self) -> Option<Duration> {
        self.fields.oauth.expires_in()
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.fields.oauth.refresh_token()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.fields.oauth.scopes()
    }
}

impl
    openidconnect::TokenResponse<
        OtherClaims,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    > for TokenResponse
{
    fn id_token(&self) -> Option<&ProviderIdToken> {
        self.parsed_id_token.as_ref()
    }
}

/// The crate's client for the discovered provider: authorization and token endpoints set.
type ProviderClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The discovered provider: its metadata and the crate's client built from it.
pub struct Provider {
    pub metadata: Metadata,
    client: ProviderClient,
}

impl Provider {
    /// The issuer, exactly as discovery states it (and so exactly as OIDC_URI).
    pub fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    pub fn supports_pkce_s256(&self) -> bool {
        self.more().code_challenge_methods_supported.iter().any(|m| m == "S256")
    }

    /// Whether the provider promises `iss` on the callback (RFC 9207).
    pub fn promises_iss_parameter(&self) -> bool {
        self.more().authorization_response_iss_parameter_supported
    }

    fn more(&self) -> &MoreMetadata {
        &self.metadata.additional_metadata().additional_metadata
    }
}

/// What a started sign-in must remember: state, nonce and the PKCE verifier, if any.
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
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
    provider: RwLock<Option<Arc<Provider>>>,
    last_error: RwLock<Option<String>>,
    /// Serialises discovery attempts and remembers when the last one started.
    discovery: tokio::sync::Mutex<Option<Instant>>,
    pub(crate) keys: tokio::sync::Mutex<jwt::KeyCache>,
    /// Logout tokens already used (replays are refused).
    used_logout_tokens: Mutex<jwt::UsedLogoutTokens>,
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
            keys: tokio::sync::Mutex::new(jwt::KeyCache::default()),
            used_logout_tokens: Mutex::new(jwt::UsedLogoutTokens::default()),
        })))
    }

    /// Discovers the provider in the background, retrying with backoff until it answers correctly.
    pub fn spawn_discovery(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut wait = RETRY_FIRST;
            loop {
                let Some(oidc) = weak.upgrade() else { return };
                if oidc.current_provider().is_some() || oidc.try_discover().await.is_ok() {
                    return;
                }
                drop(oidc);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_MAX);
            }
        });
    }

    pub fn current_provider(&self) -> Option<Arc<Provider>> {
        self.provider.read().expect("provider lock").clone()
    }

    /// Why the provider is not usable right now (for the login page), if discovery failed.
    /// While the first attempt is still running this is `None`: starting a sign-in waits for it.
    pub fn unavailable_reason(&self) -> Option<String> {
        if self.current_provider().is_some() {
            return None;
        }
        self.last_error.read().expect("error lock").clone()
    }

    /// The discovered provider; tries discovery now when it failed before (at most every 2 s).
    pub async fn provider(&self) -> Result<Arc<Provider>, ProviderError> {
        if let Some(p) = self.current_provider() {
            return Ok(p);
        }
        let recent = self.discovery.lock().await.is_some_and(|t| t.elapsed() < ON_DEMAND_DISCOVERY_GAP);
        if !recent {
            self.try_discover().await?;
        }
        self.current_provider().ok_or_else(|| self.unreachable())
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
        if self.current_provider().is_some() {
            return Ok(());
        }
        *last = Some(Instant::now());
        match self.discover().await {
            Ok(p) => {
                tracing::info!(issuer = %p.issuer(), "single sign-on: discovered the provider");
                *self.provider.write().expect("provider lock") = Some(Arc::new(p));
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

    async fn discover(&self) -> Result<Provider, String> {
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
        let body = r.bytes().await.map_err(|e| format!("the discovery document {url}: {}", describe(&e)))?;
        let m: Metadata = serde_json::from_slice(&body)
            .map_err(|e| format!("the discovery document {url} is not valid OpenID Connect metadata: {e}"))?;
        let named = m.issuer().as_str();
        if named != self.issuer {
            let hint = if named.trim_end_matches('/') == self.issuer.trim_end_matches('/') {
                " They differ only by the trailing slash."
            } else {
                ""
            };
            return Err(format!(
                "the provider's discovery document names the issuer \"{named}\", but OIDC_URI is \"{}\"; they must be \
                 identical.{hint} Set OIDC_URI to \"{named}\".",
                self.issuer
            ));
        }
        let Some(token_endpoint) = m.token_endpoint() else {
            return Err(format!("the discovery document {url} has no token_endpoint"));
        };
        for (name, value) in [
            ("authorization_endpoint", Some(m.authorization_endpoint().url())),
            ("token_endpoint", Some(token_endpoint.url())),
            ("jwks_uri", Some(m.jwks_uri().url())),
            ("userinfo_endpoint", m.userinfo_endpoint().map(|u| u.url())),
            ("end_session_endpoint", m.additional_metadata().end_session_endpoint.as_ref().map(|u| u.url())),
        ] {
            let Some(value) = value else { continue };
            if !(value.scheme() == "https" || (self.settings.insecure && value.scheme() == "http")) {
                return Err(format!("the discovery document's {name} {:?} is not an https URL", value.as_str()));
            }
        }
        let redirect_uri = RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| format!("the redirect URI: {e}"))?;
        let client = ProviderClient::from_provider_metadata(
            m.clone(),
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.secret.expose().to_string())),
        )
        .set_redirect_uri(redirect_uri)
        // client_secret_basic (also the crate's default), what the seed's Authelia client is set to.
        .set_auth_type(AuthType::BasicAuth)
        // OIDC_SCOPES always holds `openid` and is sent as given.
        .disable_openid_scope();
        Ok(Provider { metadata: m, client })
    }

    /// A fresh authorization request: state and nonce of 32 random bytes each, PKCE S256 when
    /// the provider advertises it, the configured scopes and `prompt`.
    pub fn authorization_request(&self, provider: &Provider) -> AuthorizationRequest {
        let state = CsrfToken::new_random_len(SECRET_BYTES);
        let nonce = Nonce::new_random_len(SECRET_BYTES);
        let (state_sent, nonce_sent) = (state.clone(), nonce.clone());
        let mut request = provider
            .client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, move || state_sent, move || nonce_sent)
            .add_scopes(self.settings.scopes.iter().map(|s| Scope::new(s.clone())));
        let mut pkce_verifier = None;
        if provider.supports_pkce_s256() {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(SECRET_BYTES);
            request = request.set_pkce_challenge(challenge);
            pkce_verifier = Some(verifier.secret().clone());
        }
        if let Some(p) = self.settings.prompt {
            request = request.add_prompt(match p {
                OidcPrompt::Login => CoreAuthPrompt::Login,
                OidcPrompt::Consent => CoreAuthPrompt::Consent,
                OidcPrompt::SelectAccount => CoreAuthPrompt::SelectAccount,
            });
        }
        let (url, _, _) = request.url();
        AuthorizationRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier,
        }
    }

    /// Exchanges the authorization code at the token endpoint with `client_secret_basic`.
    pub async fn exchange_code(
        &self,
        provider: &Provider,
        code: &str,
        pkce_verifier: Option<&str>,
    ) -> Result<TokenResponse, ProviderError> {
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
        let mut request = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| failed(format!("token endpoint: {e}")))?;
        if let Some(v) = pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(v.to_string()));
        }
        let http = StatusNotingClient { http: &self.http, status: Mutex::new(None) };
        let result = request.request_async(&http).await;
        let status = http.status.lock().expect("status lock").map(|s| s.to_string()).unwrap_or_default();
        let token = result.map_err(|e| match e {
            RequestTokenError::ServerResponse(err) => {
                let code = err.error().to_string();
                let desc = err.error_description().map(String::as_str).unwrap_or("");
                let hint = if code == "invalid_client" {
                    " (check OIDC_CLIENT and OIDC_SECRET, and that the client uses client_secret_basic)"
                } else {
                    ""
                };
                failed(format!("token endpoint answered HTTP {status}: {code} {desc}{hint}"))
            }
            RequestTokenError::Request(e) => failed(format!("token endpoint unreachable: {}", describe(&e))),
            RequestTokenError::Parse(e, _) => failed(format!("token endpoint sent an unreadable response: {e}")),
            RequestTokenError::Other(e) => failed(format!("token endpoint answered HTTP {status}: {e}")),
        })?;
        if *token.token_type() != CoreTokenType::Bearer {
            return Err(failed(format!("token endpoint sent token_type {:?}, not bearer", token.token_type())));
        }
        Ok(token)
    }

    /// Verifies a token against the provider's keys with `verify`; when no key fits, the keys are
    /// fetched again once (rate-limited per kind of token) and `verify` runs again.
    async fn with_keys<T>(
        &self,
        provider: &Provider,
        header: &jwt::JwtHeader,
        kind: jwt::Refetch,
        verify: impl Fn(&CoreJsonWebKeySet) -> Result<T, KeyedFailure>,
    ) -> Result<T, String> {
        let jwks_uri = provider.metadata.jwks_uri().as_str();
        let mut cache = self.keys.lock().await;
        let keys = cache.current(&self.http, jwks_uri).await?;
        match verify(&keys) {
            Ok(v) => return Ok(v),
            Err(KeyedFailure::Refused(e)) => return Err(e),
            Err(KeyedFailure::NoMatchingKey) => {}
        }
        if let Some(keys) = cache.refetched(&self.http, jwks_uri, header.kid.as_deref(), kind).await? {
            match verify(&keys) {
                Ok(v) => return Ok(v),
                Err(KeyedFailure::Refused(e)) => return Err(e),
                Err(KeyedFailure::NoMatchingKey) => {}
            }
        }
        Err(format!(
            "no key in the provider's key set matches the token (kid {:?}, alg {})",
            header.kid.as_deref().unwrap_or("none"),
            jwt::algorithm_name(&header.alg)
        ))
    }

    /// Verifies an ID token completely: the crate checks signature, iss, aud, exp and the nonce;
    /// Shoebox adds `iat` in the future, `azp` and an empty `sub`.
    pub async fn verify_id_token(
        &self,
        provider: &Provider,
        token: &str,
        nonce: &str,
    ) -> Result<ProviderIdTokenClaims, String> {
        let algs = jwt::allowed_algorithms(provider.metadata.id_token_signing_alg_values_supported());
        let header = jwt::checked_header(token, &algs)?;
        let id_token: ProviderIdToken = token.parse().map_err(|e| jwt::describe_unreadable_id_token(token, &e))?;
        let issuer = IssuerUrl::new(provider.issuer().to_string()).map_err(|e| format!("the issuer: {e}"))?;
        let now = crate::db::now();
        let claims = self
            .with_keys(provider, &header, jwt::Refetch::SignIn, |keys| {
                // A public-client verifier: the client secret is never a key (no HS256), and only
                // the asymmetric algorithms discovery lists are allowed.
                let verifier = IdTokenVerifier::new_public_client(
                    ClientId::new(self.client_id.clone()),
                    issuer.clone(),
                    keys.clone(),
                )
                .set_allowed_algs(algs.clone())
                // As before the crate: other audiences next to this client are not a reason to refuse.
                .set_other_audience_verifier_fn(|_| true)
                // `exp` may be up to the allowed clock difference in the past.
                .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(jwt::CLOCK_SKEW));
                let expected = |sent: Option<&Nonce>| match sent {
                    Some(n) if !nonce.is_empty() && bool::from(n.secret().as_bytes().ct_eq(nonce.as_bytes())) => Ok(()),
                    Some(_) => Err("nonce mismatch: the token was not issued for this sign-in".to_string()),
                    None => Err("no nonce claim".to_string()),
                };
                id_token
                    .claims(&verifier, expected)
                    .cloned()
                    .map_err(|e| jwt::describe_id_token_refusal(&e, token, now))
            })
            .await?;
        jwt::check_id_token_extras(
            claims.subject().as_str(),
            claims.authorized_party().map(|a| a.as_str()),
            claims.issue_time().timestamp(),
            &self.client_id,
            now,
        )?;
        Ok(claims)
    }

    /// Fetches userinfo with the access token in the Authorization header; plain JSON or a signed
    /// JWT. The claims are read with the crate's userinfo types, which also check that `sub` is
    /// the ID token's.
    ///
    /// The request is Shoebox's own rather than the crate's `user_info`: the crate verifies a
    /// signed answer only with RS256 (it cannot be given the algorithms discovery lists), insists
    /// on `iss` and `aud` in it where OpenID Connect Core 5.3.2 only says SHOULD, never fetches the
    /// keys again for a new `kid`, refuses an answer whose content type is neither JSON nor JWT,
    /// and asks for only one of the two. Here each of these is accepted, as before the crate.
    ///
    /// The claims themselves are stricter than before the crate, when they were a plain JSON
    /// object: a standard claim of the wrong JSON type (a `name` that is not a string, an
    /// `address` that is not an object, an `email_verified` neither a boolean nor "true"/"false")
    /// fails userinfo, and with it the sign-in. `updated_at` may be seconds or RFC 3339 text.
    pub async fn userinfo(
        &self,
        provider: &Provider,
        access_token: &AccessToken,
        subject: &SubjectIdentifier,
    ) -> Result<Option<Map<String, Value>>, ProviderError> {
        let Some(endpoint) = provider.metadata.userinfo_endpoint() else { return Ok(None) };
        let failed = |detail: String| {
            ProviderError::new(
                format!("{} did not send your profile (userinfo failed). Try again.", self.settings.provider),
                detail,
            )
        };
        let r = self
            .http
            .get(endpoint.url().clone())
            .bearer_auth(access_token.secret())
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
        let body = r.bytes().await.map_err(|e| failed(format!("userinfo: {}", describe(&e))))?;
        let json = if is_jwt {
            let token = String::from_utf8_lossy(&body).trim().to_string();
            let claims = self
                .verify_signed_userinfo(provider, &token)
                .await
                .map_err(|e| failed(format!("signed userinfo: {e}")))?;
            serde_json::to_vec(&claims).map_err(|e| failed(format!("signed userinfo: {e}")))?
        } else {
            body.to_vec()
        };
        let info =
            UserInfoClaims::<OtherClaims, CoreGenderClaim>::from_json::<std::convert::Infallible>(&json, Some(subject))
                .map_err(|e| failed(describe_userinfo_error(&e, &json, subject)))?;
        match serde_json::to_value(&info) {
            Ok(Value::Object(claims)) => Ok(Some(claims)),
            _ => Err(failed("userinfo claims cannot be read back".into())),
        }
    }

    /// A signed userinfo answer: signature with the provider's keys, and `iss` and `aud` when
    /// present. Returns its claims.
    async fn verify_signed_userinfo(&self, provider: &Provider, token: &str) -> Result<Map<String, Value>, String> {
        let listed = provider.metadata.userinfo_signing_alg_values_supported().cloned().unwrap_or_default();
        let header = jwt::checked_header(token, &jwt::allowed_algorithms(&listed))?;
        let claims = self
            .with_keys(provider, &header, jwt::Refetch::SignIn, |keys| jwt::verify_jws(token, &header, keys))
            .await?;
        if let Some(iss) = claims.get("iss")
            && iss.as_str() != Some(provider.issuer())
        {
            return Err(format!("iss {iss}, expected {:?}", provider.issuer()));
        }
        if claims.contains_key("aud") && !jwt::audience_contains(&claims, &self.client_id) {
            return Err("it is for another client (aud)".into());
        }
        Ok(claims)
    }

    /// Verifies a back-channel logout token; returns (sub, sid), at least one of them set.
    pub async fn verify_logout_token(&self, token: &str) -> Result<(Option<String>, Option<String>), String> {
        let provider = self.provider().await.map_err(|e| e.detail)?;
        let header = jwt::checked_header(
            token,
            &jwt::allowed_algorithms(provider.metadata.id_token_signing_alg_values_supported()),
        )?;
        jwt::check_logout_token_type(header.typ.as_deref())?;
        let claims = self
            .with_keys(&provider, &header, jwt::Refetch::Logout, |keys| jwt::verify_jws(token, &header, keys))
            .await?;
        let now = crate::db::now();
        let logout = jwt::check_logout_token_claims(&claims, provider.issuer(), &self.client_id, now)?;
        if !self.used_logout_tokens.lock().expect("logout token lock").first_use(&logout, now) {
            return Err("this logout token was already used (jti replayed)".into());
        }
        Ok((logout.sub, logout.sid))
    }

    /// RP-initiated logout at the provider, when enabled and the provider has an end-session endpoint.
    pub fn end_session_url(&self, id_token: Option<&str>) -> Option<String> {
        if !self.settings.logout {
            return None;
        }
        let provider = self.current_provider()?;
        let endpoint = provider.metadata.additional_metadata().end_session_endpoint.clone()?;
        let post_logout = PostLogoutRedirectUrl::new(self.post_logout_redirect_uri.clone()).ok()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.client_id.clone()))
            .set_post_logout_redirect_uri(post_logout);
        if let Some(hint) = id_token.and_then(|t| t.parse::<ProviderIdToken>().ok()) {
            request = request.set_id_token_hint(&hint);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The crate's reqwest client, noting the status of the last answer: the crate's errors leave it
/// out, and "HTTP 401: invalid_client" is what the documentation tells people to look for.
struct StatusNotingClient<'a> {
    http: &'a reqwest::Client,
    status: Mutex<Option<reqwest::StatusCode>>,
}

impl<'c> AsyncHttpClient<'c> for StatusNotingClient<'_> {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.http.call(request).await?;
            *self.status.lock().expect("status lock") = Some(response.status());
            Ok(response)
        })
    }
}

/// The reason for a userinfo answer the crate's claim types refuse.
fn describe_userinfo_error(
    e: &UserInfoError<std::convert::Infallible>,
    json: &[u8],
    expected: &SubjectIdentifier,
) -> String {
    let sent_sub = serde_json::from_slice::<Map<String, Value>>(json)
        .ok()
        .map(|claims| claims.get("sub").and_then(Value::as_str).map(str::to_string));
    match (e, sent_sub) {
        (UserInfoError::ClaimsVerification(_), Some(sub)) | (UserInfoError::Parse(_), Some(sub @ None)) => format!(
            "userinfo sub {:?} differs from the ID token's sub {:?}",
            sub.as_deref().unwrap_or("(missing)"),
            expected.as_str()
        ),
        (UserInfoError::Parse(e), None) => format!("userinfo is neither a JSON object nor a JWT: {e}"),
        (other, _) => format!("userinfo cannot be read: {}", describe(other)),
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
