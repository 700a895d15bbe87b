//! Finding the provider: discovery with retry and backoff, the exact-issuer and https checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse,
};
use openidconnect::{
    AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, RedirectUrl, StandardErrorResponse,
};

use super::types::{Metadata, MoreMetadata, OtherClaims, TokenResponse};
use super::{Oidc, ProviderError, describe};

/// Discovery retry backoff: doubles from the first value up to the last.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// A page request may trigger a discovery attempt itself, but not more often than this.
const ON_DEMAND_DISCOVERY_GAP: Duration = Duration::from_secs(2);

/// The crate's client for the discovered provider: authorization and token endpoints set.
pub(super) type ProviderClient = openidconnect::Client<
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
    pub(super) client: ProviderClient,
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

impl Oidc {
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
}
