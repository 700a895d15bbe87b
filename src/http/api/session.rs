//! `/api/v1/session`: sign in with JSON, read the current session, sign out.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::client::ClientAddr;
use crate::auth::session::MaybeUser;
use crate::auth::sign_in::{self, AfterSignOut};
use crate::auth::{CurrentUser, sessions};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", get(current).post(create).delete(destroy))
        .route("/api/v1/sessions", get(list_sessions).delete(end_sessions))
}

/// The account page's session list.
async fn list_sessions(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "sessions": sessions::of(&state, &current).await? })))
}

/// The account page's "Sign out everywhere".
async fn end_sessions(State(state): State<AppState>, current: CurrentUser, addr: ClientAddr) -> AppResult<Json<Value>> {
    let ended = sessions::sign_out_everywhere(&state, addr, &current).await?;
    Ok(Json(json!({ "signed_out": true, "sessions_ended": ended })))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// JSON sign-in. A cross-site form cannot send `application/json` without a CORS preflight,
/// which Shoebox never grants, so this needs no CSRF token of its own.
async fn create(
    State(state): State<AppState>,
    MaybeUser(_, session): MaybeUser,
    addr: ClientAddr,
    Json(c): Json<Credentials>,
) -> AppResult<Json<Value>> {
    if state.config.auth_mode == crate::config::AuthMode::Public {
        return Err(AppError::BadRequest("AUTH_MODE is public: there is nothing to sign in to".into()));
    }
    let (user, csrf_token) = sign_in::with_password(&state, &session, addr, &c.username, &c.password).await?;
    Ok(Json(json!({ "user": user, "csrf_token": csrf_token })))
}

async fn current(current: CurrentUser) -> Json<Value> {
    Json(json!({ "user": current.user, "csrf_token": current.csrf_token }))
}

async fn destroy(State(state): State<AppState>, current: CurrentUser, addr: ClientAddr) -> AppResult<Json<Value>> {
    let auth = sign_in::sign_out(&state, &current.session, addr).await?;
    Ok(Json(match sign_in::after_sign_out(&state, auth.as_ref()) {
        AfterSignOut::Local => json!({ "signed_out": true }),
        AfterSignOut::Provider(url) => json!({ "signed_out": true, "continue_at": url }),
        AfterSignOut::ProviderSessionOpen { provider, url } => json!({
            "signed_out": true,
            "provider_session_open": true,
            "provider": provider,
            "provider_url": url,
        }),
    }))
}
