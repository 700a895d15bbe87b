//! Single sign-on endpoints: `GET /api/v1/oidc/login` starts the code flow,
//! `GET /api/v1/oidc/redirect` is the callback, `POST /api/v1/oidc/backchannel-logout` ends
//! sessions when the provider says so.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use openidconnect::OAuth2TokenResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_sessions::{Expiry, Session};

use super::login;
use crate::app::AppState;
use crate::auth::client::ClientAddr;
use crate::auth::oidc::account::{self, Identity};
use crate::auth::session::{ANONYMOUS_SESSION_IDLE, AuthSession, MaybeUser, safe_next, session_error};
use crate::auth::sign_in;
use crate::db::{self, audit};
use crate::error::{AppError, AppResult};
use crate::oidc::{Oidc, Provider};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oidc/login", get(start))
        .route("/api/v1/oidc/redirect", get(callback))
        .route("/api/v1/oidc/backchannel-logout", post(backchannel_logout))
}

/// Session key of the pending sign-ins (several tabs may start one each).
const PENDING_KEY: &str = "oidc_pending";
/// A started sign-in must come back within this many seconds.
const PENDING_TTL: i64 = 600;
const MAX_PENDING: usize = 5;

/// What a started sign-in remembers in the browser's (still anonymous) session. Single use.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: Option<String>,
    next: Option<String>,
    created_at: i64,
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

fn oidc_of(state: &AppState) -> AppResult<Arc<Oidc>> {
    state.oidc.clone().ok_or(AppError::NotFound)
}

async fn start(
    State(state): State<AppState>,
    MaybeUser(current, session): MaybeUser,
    addr: ClientAddr,
    Query(q): Query<StartQuery>,
) -> AppResult<Response> {
    let oidc = oidc_of(&state)?;
    let next = safe_next(q.next.as_deref());
    if current.is_some() {
        return Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response());
    }
    let provider = match oidc.provider().await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e.detail, "single sign-on: cannot start, the provider is unavailable");
            let reason = format!("provider unavailable: {}", e.detail);
            sign_in::audit(&state, None, "", audit::Method::Oidc, addr, audit::Outcome::Failure, &reason).await?;
            return login::page_with_error(&state, &session, StatusCode::SERVICE_UNAVAILABLE, e.public, next).await;
        }
    };
    let now = db::now();
    let request = oidc.authorization_request(&provider);
    let pending =
        Pending { state: request.state, nonce: request.nonce, verifier: request.pkce_verifier, next, created_at: now };
    let mut list: Vec<Pending> = session.get(PENDING_KEY).await.map_err(session_error)?.unwrap_or_default();
    list.retain(|p| now - p.created_at < PENDING_TTL);
    list.push(pending.clone());
    if list.len() > MAX_PENDING {
        list.remove(0);
    }
    session.insert(PENDING_KEY, &list).await.map_err(session_error)?;
    session.set_expiry(Some(Expiry::OnInactivity(ANONYMOUS_SESSION_IDLE)));
    Ok(Redirect::to(&request.url).into_response())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// A sign-in that did not succeed: what the person reads, what the log and the audit record.
struct Failure {
    status: StatusCode,
    message: String,
    reason: String,
    outcome: audit::Outcome,
    username: String,
    user_id: Option<i64>,
    next: Option<String>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>, reason: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            reason: reason.into(),
            outcome: audit::Outcome::Failure,
            username: String::new(),
            user_id: None,
            next: None,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on the server. The details are in the server log.",
        format!("internal error: {e}"),
    )
}

async fn callback(
    State(state): State<AppState>,
    MaybeUser(_, session): MaybeUser,
    addr: ClientAddr,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let oidc = oidc_of(&state)?;
    match complete(&state, &oidc, &session, &q).await {
        Ok((user_id, username, next)) => {
            sign_in::audit(&state, Some(user_id), &username, audit::Method::Oidc, addr, audit::Outcome::Success, "")
                .await?;
            Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response())
        }
        Err(f) => {
            tracing::warn!(reason = %f.reason, username = %f.username, "single sign-on refused or failed");
            sign_in::audit(&state, f.user_id, &f.username, audit::Method::Oidc, addr, f.outcome, &f.reason).await?;
            login::page_with_error(&state, &session, f.status, f.message, f.next).await
        }
    }
}

/// Takes the pending sign-in named by `state` out of the session (single use).
async fn take_pending(session: &Session, state: &str) -> Result<Option<Pending>, Failure> {
    let mut list: Vec<Pending> = session.get(PENDING_KEY).await.map_err(internal)?.unwrap_or_default();
    let found = list.iter().position(|p| p.state.as_bytes() == state.as_bytes()).map(|i| list.remove(i));
    if found.is_some() {
        if list.is_empty() {
            session.remove::<Vec<Pending>>(PENDING_KEY).await.map_err(internal)?;
        } else {
            session.insert(PENDING_KEY, &list).await.map_err(internal)?;
        }
    }
    Ok(found)
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
        _ => format!("{provider} refused the sign-in ({code}). Try again; the server log has the details."),
    }
}

async fn complete(
    state: &AppState,
    oidc: &Oidc,
    session: &Session,
    q: &CallbackQuery,
) -> Result<(i64, String, Option<String>), Failure> {
    let provider = oidc.settings.provider.clone();
    let pending = match q.state.as_deref() {
        Some(s) if !s.is_empty() => take_pending(session, s).await?,
        _ => None,
    };
    let next = pending.as_ref().and_then(|p| p.next.clone());
    let fail = |status: StatusCode, message: String, reason: String| Failure {
        next: next.clone(),
        ..Failure::new(status, message, reason)
    };

    if let Some(code) = q.error.as_deref() {
        let desc = q.error_description.as_deref().unwrap_or("");
        let mut f = fail(
            StatusCode::UNAUTHORIZED,
            provider_error_message(&provider, code, &oidc.settings.scopes),
            format!("provider answered {code}: {desc}"),
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
                format!("callback iss {iss:?} is not the issuer {:?} (RFC 9207)", discovered.issuer()),
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
        .verify_id_token(&discovered, id_token, &pending.nonce)
        .await
        .map_err(|e| fail(StatusCode::UNAUTHORIZED, not_verified(), format!("id token: {e}")))?;
    let subject = verified.subject().as_str().to_string();
    let sid = verified.additional_claims().0.get("sid").and_then(Value::as_str).map(str::to_string);
    let auth_time = verified.auth_time().map(|t| t.timestamp());
    // Every claim, the standard ones as the crate read them and the others as sent.
    let mut claims = match serde_json::to_value(&verified) {
        Ok(Value::Object(claims)) => claims,
        other => return Err(internal(format!("the ID token's claims cannot be read back: {other:?}"))),
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
    let row = account::sign_in(&state.db, &oidc.settings, &identity).await.map_err(|r| Failure {
        status: r.status,
        message: r.message,
        reason: r.reason,
        outcome: if r.status.is_server_error() { audit::Outcome::Failure } else { audit::Outcome::Refused },
        username: r.username,
        user_id: r.user_id,
        next: next.clone(),
    })?;

    let auth = AuthSession {
        user_id: row.id,
        method: "oidc".into(),
        signed_in_at: db::now(),
        id_token: Some(id_token.to_string()),
        oidc_sid: sid.clone(),
        auth_time,
    };
    sign_in::establish(state, session, auth).await.map_err(internal)?;
    // Saved now so the new session id is known for the back-channel logout index.
    session.save().await.map_err(|e| internal(session_error(e)))?;
    if let Some(id) = session.id() {
        let link = db::oidc_sessions::Link {
            session_id: &id.to_string(),
            user_id: row.id,
            issuer: discovered.issuer(),
            subject: &subject,
            sid: sid.as_deref(),
        };
        db::oidc_sessions::record(&state.db, link).await.map_err(internal)?;
    }
    db::users::touch_sign_in(&state.db, row.id).await.map_err(internal)?;
    Ok((row.id, row.username, pending.next))
}

/// OpenID Connect Back-Channel Logout 1.0: the provider posts `logout_token`; every session of
/// that subject (or provider session) ends.
async fn backchannel_logout(State(state): State<AppState>, addr: ClientAddr, body: Bytes) -> Response {
    let no_store = || [(header::CACHE_CONTROL, "no-store")];
    let Some(oidc) = state.oidc.clone() else {
        return (StatusCode::NOT_FOUND, no_store(), axum::Json(json!({"error": "single sign-on is off"})))
            .into_response();
    };
    // Anyone can post here: the answer says only what was wrong with the request, and the reason
    // (which can name the provider's internal URLs, or carry text from the token) goes to the log.
    let bad = |description: &str, reason: &str| {
        tracing::warn!(reason, "back-channel logout refused");
        (
            StatusCode::BAD_REQUEST,
            no_store(),
            axum::Json(json!({"error": "invalid_request", "error_description": description})),
        )
            .into_response()
    };
    let token = url::form_urlencoded::parse(&body).find(|(k, _)| k == "logout_token").map(|(_, v)| v.into_owned());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return bad("the form has no logout_token", "the form has no logout_token");
    };
    let (sub, sid) = match oidc.verify_logout_token(&token).await {
        Ok(v) => v,
        Err(e) => return bad("the logout token is not valid", &format!("logout token: {e}")),
    };
    let ended = match db::oidc_sessions::end(&state.db, &oidc.issuer, sub.as_deref(), sid.as_deref()).await {
        Ok(users) => users,
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: database error");
            return (StatusCode::INTERNAL_SERVER_ERROR, no_store()).into_response();
        }
    };
    for user_id in ended {
        let name = db::users::by_id(&state.db, user_id).await.ok().flatten().map(|u| u.username).unwrap_or_default();
        if let Err(e) = sign_in::audit(
            &state,
            Some(user_id),
            &name,
            audit::Method::SignOut,
            addr,
            audit::Outcome::Success,
            "back-channel logout from the provider",
        )
        .await
        {
            tracing::error!(error = %e, "back-channel logout: audit failed");
        }
    }
    (StatusCode::OK, no_store()).into_response()
}
