//! HTTP Basic sign-in for WebDAV clients, throttled and audited like the sign-in page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::accounts::audit_limit::Decision;
use crate::accounts::{app_passwords, password};
use crate::auth::client::ClientAddr;
use crate::auth::sign_in;
use crate::db::{self, audit, users::User};
use crate::state::AppState;

fn challenge(status: StatusCode, message: &str) -> Response {
    let mut r = (status, message.to_string()).into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Shoebox\", charset=\"UTF-8\""));
    r
}

/// The account that HTTP Basic names, when its app password (or, if allowed, its password) is right.
pub(super) async fn sign_in_basic(
    state: &AppState,
    addr: ClientAddr,
    headers: &axum::http::HeaderMap,
) -> Result<User, Response> {
    let Some((username, secret)) = basic_credentials(headers) else {
        return Err(challenge(
            StatusCode::UNAUTHORIZED,
            "Sign in with your username and an app password (Account page).",
        ));
    };
    let addr_text = addr.to_string();
    if let Err(wait) = state.throttle.check(&addr_text, &username) {
        let mut r = challenge(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins: wait and try again.");
        r.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return Err(r);
    }
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "WebDAV sign-in: database error");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    };
    let mut user_id =
        app_passwords::verify(&state.db, &username, &secret).await.map_err(|e| internal(&e))?.map(|f| f.1);
    if user_id.is_none() && state.config.webdav.password_login {
        let row = db::users::by_username(&state.db, &username).await.map_err(|e| internal(&e))?;
        let stored = row.as_ref().and_then(|r| r.password_hash.clone());
        if password::verify(secret.clone(), stored).await {
            user_id = row.map(|r| r.id);
        }
    }
    let row = match user_id {
        Some(id) => db::users::by_id(&state.db, id).await.map_err(|e| internal(&e))?,
        None => None,
    };
    let (addr_ref, name) = (&addr_text, &username);
    let refuse = |reason: &'static str, user_id: Option<i64>| async move {
        state.throttle.record_failure(addr_ref, name);
        if let Decision::Record { .. } = state.audit_limit.failed_attempt(addr_ref, false, db::now()) {
            let (method, outcome) = (audit::Method::AppPassword, audit::Outcome::Failure);
            let _ = sign_in::audit(state, user_id, name, method, addr, outcome, reason).await;
        }
        challenge(StatusCode::UNAUTHORIZED, "Wrong username or app password.")
    };
    let Some(row) = row else {
        return Err(refuse("unknown username or wrong app password", None).await);
    };
    if row.disabled {
        return Err(refuse("account disabled", Some(row.id)).await);
    }
    if !in_required_group(state, &row).await.map_err(|e| internal(&e))? {
        return Err(refuse("not in a required group (OIDC_GROUP)", Some(row.id)).await);
    }
    let user = row.to_user().map_err(|e| internal(&e))?;
    if state.audit_limit.success_due(user.id, &addr_text, db::now()) {
        sign_in::audit(
            state,
            Some(user.id),
            &user.username,
            audit::Method::AppPassword,
            addr,
            audit::Outcome::Success,
            "",
        )
        .await
        .map_err(|e| internal(&e))?;
    }
    Ok(user)
}

/// OIDC_GROUP governs single sign-on accounts on every request, not only at sign-in: an app
/// password opens WebDAV only while the groups the provider last reported (stored at each
/// sign-on, cleared by its back-channel logout) include one of OIDC_GROUP, so an account taken
/// out of the group, or a group taken out of OIDC_GROUP, is refused at its next request.
async fn in_required_group(state: &AppState, row: &db::users::UserRow) -> sqlx::Result<bool> {
    let required = &state.config.oidc.groups;
    if required.is_empty() || row.auth_subject.is_none() {
        return Ok(true);
    }
    let member: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM user_groups WHERE user_id = ? AND name IN (SELECT value FROM json_each(?)) LIMIT 1",
    )
    .bind(row.id)
    .bind(serde_json::to_string(required).unwrap_or_default())
    .fetch_optional(&state.db)
    .await?;
    Ok(member.is_some())
}

fn basic_credentials(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (user, pass) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.trim().to_string(), pass.to_string()))
}
