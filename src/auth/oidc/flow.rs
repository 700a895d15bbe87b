//! The single sign-on code flow: [`begin`] remembers a pending sign-in in the visitor cookie
//! (nothing is stored on the server until someone signs in) and sends the person to the provider; [`complete`] checks the provider's answer, verifies the
//! ID token, finds or registers the account and signs the session in. The HTTP handlers only
//! redirect or show the failure.

use std::sync::Arc;

use axum::http::StatusCode;
use openidconnect::OAuth2TokenResponse;
use serde::Deserialize;
use serde_json::Value;
use tower_sessions::Session;

use super::account::{self, Identity};
use crate::auth::client::ClientAddr;
use crate::auth::sign_in::{self, Failure, Method, ProviderSession};
use crate::auth::visitor::{PENDING_TTL, PendingSignIn, Visitor};
use crate::db::{self, audit};
use crate::oidc::{Oidc, Provider};
use crate::state::AppState;

/// Starts a sign-in: remembers state, nonce and PKCE verifier in the visitor cookie and returns
/// the provider's authorization URL to redirect to.
pub async fn begin(
    state: &AppState,
    oidc: &Oidc,
    visitor: &Visitor,
    addr: ClientAddr,
    next: Option<String>,
) -> Result<String, Failure> {
    let provider = match oidc.provider().await {
        Ok(p) => p,
        Err(e) => {
            let f =
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, e.public, format!("provider unavailable: {}", e.detail))
                    .with_next(next);
            return Err(sign_in::failed(state, Method::Oidc, addr, f).await);
        }
    };
    let now = db::now();
    let request = oidc.authorization_request(&provider);
    visitor.push_pending(PendingSignIn {
        state: request.state,
        nonce: request.nonce,
        verifier: request.pkce_verifier,
        next,
        created_at: now,
    });
    Ok(request.url)
}

/// The provider's answer at the redirect URI.
#[derive(Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Completes a sign-in from the provider's answer. Returns the page the person asked for; a
/// failure is logged and audited before it is returned.
pub async fn complete(
    state: &AppState,
    oidc: &Oidc,
    session: &Session,
    visitor: &Visitor,
    addr: ClientAddr,
    q: &CallbackQuery,
) -> Result<Option<String>, Failure> {
    match complete_verified(state, oidc, session, visitor, addr, q).await {
        Ok(next) => {
            // Signed in: the session holds what is needed from now on.
            visitor.clear();
            Ok(next)
        }
        Err(f) => Err(sign_in::failed(state, Method::Oidc, addr, f).await),
    }
}

fn provider_error_message(provider: &str, code: &str, scopes: &[String]) -> String {
    match code {
        "access_denied" => format!("You declined the sign-in at {provider}, so you are not signed in here."),
        "login_required" | "interaction_required" | "account_selection_required" => {
            format!("{provider} needs you to sign in there first. Try again.")
        }
        "consent_required" => format!("{provider} needs your consent first. Try again and accept."),
        "invalid_scope" => format!(
            "{provider} refused the requested scopes ({}). The client at {provider} must be registered for every \
             one of them: ask the administrator to align OIDC_SCOPES with the provider.",
            scopes.join(" ")
        ),
        "unauthorized_client" | "invalid_client" | "invalid_request" | "unsupported_response_type" => format!(
            "{provider} refused the sign-in request ({code}): the single sign-on setup needs fixing. \
             The server log has the details."
        ),
        "temporarily_unavailable" | "server_error" => {
            format!("{provider} had a problem and could not sign you in. Try again in a minute.")
        }
        // Any other code is the provider's free text: it goes to the log, never to the page.
        _ => format!("{provider} refused the sign-in. Try again; the server log has the details."),
    }
}

async fn complete_verified(
    state: &AppState,
    oidc: &Oidc,
    session: &Session,
    visitor: &Visitor,
    addr: ClientAddr,
    q: &CallbackQuery,
) -> Result<Option<String>, Failure> {
    let provider = oidc.settings.provider.clone();
    let pending = match q.state.as_deref() {
        Some(s) if !s.is_empty() => visitor.take_pending(s),
        _ => None,
    };
    let next = pending.as_ref().and_then(|p| p.next.clone());
    let fail = |status: StatusCode, message: String, reason: String| {
        Failure::new(status, message, reason).with_next(next.clone())
    };

    if let Some(code) = q.error.as_deref() {
        let desc = crate::oidc::provider_text(q.error_description.as_deref().unwrap_or(""));
        let mut f = fail(
            StatusCode::UNAUTHORIZED,
            provider_error_message(&provider, code, &oidc.settings.scopes),
            format!("provider answered {}: {desc}", crate::oidc::provider_text(code)),
        );
        if code == "access_denied" {
            f.outcome = audit::Outcome::Refused;
        }
        return Err(f);
    }
    let Some(pending) = pending else {
        let reason = if q.state.as_deref().is_none_or(str::is_empty) {
            "callback without state"
        } else {
            "unknown, expired or already used state"
        };
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "This sign-in answer is not for this browser, or it was already used. Start the sign-in again.".into(),
            reason.into(),
        ));
    };
    if db::now() - pending.created_at >= PENDING_TTL {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "The sign-in took longer than 10 minutes. Start it again.".into(),
            "state expired".into(),
        ));
    }
    let discovered: Arc<Provider> = oidc
        .provider()
        .await
        .map_err(|e| fail(StatusCode::SERVICE_UNAVAILABLE, e.public, format!("provider unavailable: {}", e.detail)))?;
    let not_from_provider = format!(
        "This sign-in answer did not come from {provider}. Start the sign-in again; if it keeps happening, tell the administrator."
    );
    match q.iss.as_deref() {
        Some(iss) if iss != discovered.issuer() => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                not_from_provider,
                format!(
                    "callback iss {:?} is not the issuer {:?} (RFC 9207)",
                    crate::oidc::provider_text(iss),
                    discovered.issuer()
                ),
            ));
        }
        None if discovered.promises_iss_parameter() => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                not_from_provider,
                "callback without iss although the provider promises it (RFC 9207)".into(),
            ));
        }
        _ => {}
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!("{provider} sent no sign-in code. Start the sign-in again."),
            "callback without code".into(),
        ));
    };

    let token = oidc
        .exchange_code(&discovered, code, pending.verifier.as_deref())
        .await
        .map_err(|e| fail(StatusCode::BAD_GATEWAY, e.public, e.detail))?;
    let not_verified = || {
        format!(
            "The sign-in answer from {provider} could not be verified, so you are not signed in. Try again; if it \
             keeps happening, the server log says why."
        )
    };
    let Some(id_token) = token.id_token_text() else {
        return Err(fail(StatusCode::BAD_GATEWAY, not_verified(), "token response without id_token".into()));
    };
    let verified = oidc
        .verify_id_token(&discovered, id_token, &pending.nonce, token.access_token())
        .await
        .map_err(|e| fail(StatusCode::UNAUTHORIZED, not_verified(), format!("id token: {e}")))?;
    let subject = verified.subject().as_str().to_string();
    let sid = verified.additional_claims().0.get("sid").and_then(Value::as_str).map(str::to_string);
    let auth_time = verified.auth_time().map(|t| t.timestamp());
    // Every claim, the standard ones as the crate read them and the others as sent.
    let mut claims = match serde_json::to_value(&verified) {
        Ok(Value::Object(claims)) => claims,
        other => return Err(Failure::internal(format!("the ID token's claims cannot be read back: {other:?}"))),
    };
    // Userinfo's claims win over the ID token's (Authelia 4.39 sends profile claims only there).
    if let Some(info) = oidc
        .userinfo(&discovered, token.access_token(), verified.subject())
        .await
        .map_err(|e| fail(StatusCode::BAD_GATEWAY, e.public, e.detail))?
    {
        claims.extend(info);
    }
    let identity = Identity { issuer: discovered.issuer().to_string(), subject: subject.clone(), claims };
    // Albums shared with a group and WebDAV's OIDC_GROUP check follow the provider: the groups are
    // stored anew at every sign-on — also one that is refused (someone taken out of OIDC_GROUP),
    // so their app passwords stop at once instead of at the next back-channel logout.
    let groups = identity.groups(&oidc.settings.group_claim);
    let row = match account::sign_in(&state.db, &oidc.settings, &identity).await {
        Ok(row) => row,
        Err(refused) => {
            let linked = crate::db::users::by_identity(&state.db, &identity.issuer, &identity.subject)
                .await
                .map_err(|e| Failure::internal(e).with_next(next.clone()))?;
            if let Some(user) = linked.filter(|u| u.auth_issuer == identity.issuer) {
                store_groups(state, user.id, &groups)
                    .await
                    .map_err(|e| Failure::internal(e).with_next(next.clone()))?;
            }
            return Err(refused.with_next(next.clone()));
        }
    };
    store_groups(state, row.id, &groups).await.map_err(|e| Failure::internal(e).with_next(next.clone()))?;
    let provider_session = ProviderSession {
        id_token: id_token.to_string(),
        sid,
        auth_time,
        issuer: discovered.issuer().to_string(),
        subject,
    };
    sign_in::finish(state, session, addr, &row, Method::Oidc, Some(provider_session))
        .await
        .map_err(|f| f.with_next(next.clone()))?;
    Ok(pending.next)
}

async fn store_groups(state: &AppState, user_id: i64, groups: &[String]) -> sqlx::Result<()> {
    crate::db::retry_busy(|| async {
        let mut tx = crate::db::write_tx(&state.db).await?;
        crate::db::groups::replace(&mut tx, user_id, groups).await?;
        tx.commit().await
    })
    .await?;
    // A GET that changes access: the album shares of a group just left end here.
    state.library.media_access().forget_all();
    Ok(())
}
