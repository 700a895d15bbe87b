//! The userinfo request: plain JSON or a signed JWT, read with the crate's claim types.

use openidconnect::core::CoreGenderClaim;
use openidconnect::{AccessToken, SubjectIdentifier, UserInfoClaims, UserInfoError};
use serde_json::{Map, Value};

use super::types::OtherClaims;
use super::{Oidc, Provider, ProviderError, describe, jwt, keys};

impl Oidc {
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
            .with_keys(provider, &header, keys::Refetch::SignIn, |keys| jwt::verify_jws(token, &header, keys))
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
