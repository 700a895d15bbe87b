//! The sign-in with the provider: the authorization request, the code exchange, ID token verification, sign-out URL.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreTokenType};
use openidconnect::{
    AccessToken, AccessTokenHash, AsyncHttpClient, AuthorizationCode, ClientId, CsrfToken, HttpClientError,
    HttpRequest, HttpResponse, IdTokenVerifier, IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, RequestTokenError, Scope,
};
use subtle::ConstantTimeEq;

use super::jwt::KeyedFailure;
use super::types::{ProviderIdToken, ProviderIdTokenClaims, TokenResponse};
use super::{Oidc, Provider, ProviderError, describe, jwt, keys};
use crate::config::OidcPrompt;

/// Random bytes in state, nonce and the PKCE verifier (each 43 characters, URL-safe).
const SECRET_BYTES: u32 = 32;

/// What a started sign-in must remember: state, nonce and the PKCE verifier, if any.
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
}

impl Oidc {
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
                let code = super::provider_text(err.error().as_ref());
                let desc = super::provider_text(err.error_description().map(String::as_str).unwrap_or(""));
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

    /// Verifies an ID token completely: the crate checks signature, iss, aud (this client and no
    /// other audience, OpenID Connect Core 3.1.3.7), exp and the nonce; Shoebox adds `at_hash`
    /// against the access token when the token has one, `iat` in the future, `azp` and an empty `sub`.
    pub async fn verify_id_token(
        &self,
        provider: &Provider,
        token: &str,
        nonce: &str,
        access_token: &AccessToken,
    ) -> Result<ProviderIdTokenClaims, String> {
        let algs = jwt::allowed_algorithms(provider.metadata.id_token_signing_alg_values_supported());
        let header = jwt::checked_header(token, &algs)?;
        let id_token: ProviderIdToken = token.parse().map_err(|e| jwt::describe_unreadable_id_token(token, &e))?;
        let issuer = IssuerUrl::new(provider.issuer().to_string()).map_err(|e| format!("the issuer: {e}"))?;
        let now = super::now();
        let claims = self
            .with_keys(provider, &header, keys::Refetch::SignIn, |keys| {
                // A public-client verifier: the client secret is never a key (no HS256), and only
                // the asymmetric algorithms discovery lists are allowed.
                let verifier = IdTokenVerifier::new_public_client(
                    ClientId::new(self.client_id.clone()),
                    issuer.clone(),
                    keys.clone(),
                )
                .set_allowed_algs(algs.clone())
                // No `set_other_audience_verifier_fn`: the crate then trusts no audience but this
                // client, and a token also meant for another one is refused (Core 3.1.3.7).
                // `exp` may be up to the allowed clock difference in the past.
                .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(jwt::CLOCK_SKEW));
                let expected = |sent: Option<&Nonce>| match sent {
                    Some(n) if !nonce.is_empty() && bool::from(n.secret().as_bytes().ct_eq(nonce.as_bytes())) => Ok(()),
                    Some(_) => Err("nonce mismatch: the token was not issued for this sign-in".to_string()),
                    None => Err("no nonce claim".to_string()),
                };
                let claims = id_token
                    .claims(&verifier, expected)
                    .cloned()
                    .map_err(|e| jwt::describe_id_token_refusal(&e, token, now))?;
                if let Some(sent) = claims.access_token_hash() {
                    // Core 3.2.2.9: the left half of the access token's hash with the ID token's
                    // algorithm (and, for EdDSA, its key's curve).
                    let unchecked = |e: String| KeyedFailure::Refused(format!("at_hash cannot be checked: {e}"));
                    let alg = id_token.signing_alg().map_err(|e| unchecked(e.to_string()))?;
                    let key = id_token.signing_key(&verifier).map_err(|e| unchecked(e.to_string()))?;
                    let actual =
                        AccessTokenHash::from_token(access_token, alg, key).map_err(|e| unchecked(e.to_string()))?;
                    if actual != *sent {
                        return Err(KeyedFailure::Refused(
                            "at_hash does not match the access token: the two were not issued together".into(),
                        ));
                    }
                }
                Ok(claims)
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
