//! Single sign-on endpoints: `GET /api/v1/oidc/login` starts the code flow,
//! `GET /api/v1/oidc/redirect` is the callback, `POST /api/v1/oidc/backchannel-logout` ends
//! sessions when the provider says so. The flow itself lives in `auth::oidc`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::login;
use crate::auth::client::ClientAddr;
use crate::auth::oidc::backchannel;
use crate::auth::oidc::flow::{self, CallbackQuery};
use crate::auth::session::{MaybeUser, safe_next};
use crate::error::{AppError, AppResult};
use crate::oidc::Oidc;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oidc/login", get(start))
        .route("/api/v1/oidc/redirect", get(callback))
        .route("/api/v1/oidc/backchannel-logout", post(backchannel_logout))
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
    match flow::begin(&state, &oidc, &session, addr, next).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(f) => login::page_with_error(&state, &session, f.status, f.message, f.next).await,
    }
}

async fn callback(
    State(state): State<AppState>,
    MaybeUser(_, session): MaybeUser,
    addr: ClientAddr,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let oidc = oidc_of(&state)?;
    match flow::complete(&state, &oidc, &session, addr, &q).await {
        Ok(next) => Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response()),
        Err(f) => login::page_with_error(&state, &session, f.status, f.message, f.next).await,
    }
}

/// Anyone can post here: the answer says only what was wrong with the request.
async fn backchannel_logout(State(state): State<AppState>, addr: ClientAddr, body: Bytes) -> Response {
    let no_store = || [(header::CACHE_CONTROL, "no-store")];
    let Some(oidc) = state.oidc.clone() else {
        return (StatusCode::NOT_FOUND, no_store(), axum::Json(json!({"error": "single sign-on is off"})))
            .into_response();
    };
    match backchannel::logout(&state, &oidc, addr, &body).await {
        Ok(_) => (StatusCode::OK, no_store()).into_response(),
        Err(backchannel::Refused::BadRequest { description, reason }) => {
            tracing::warn!(reason, "back-channel logout refused");
            let body = json!({"error": "invalid_request", "error_description": description});
            (StatusCode::BAD_REQUEST, no_store(), axum::Json(body)).into_response()
        }
        Err(backchannel::Refused::Internal(e)) => {
            tracing::error!(error = %e, "back-channel logout: database error");
            (StatusCode::INTERNAL_SERVER_ERROR, no_store()).into_response()
        }
    }
}
