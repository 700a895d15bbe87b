//! `/api/v1/account/partners`: sharing one's whole library, read-only, with other users — share
//! it, list both directions, stop sharing — and the partner's "show in my timeline" choice.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::http::extract::json_body;
use crate::library::catalog;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account/partners", get(list).post(share))
        .route("/api/v1/account/partners/{username}", delete(stop_sharing).patch(set_timeline))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPartner {
    username: String,
}

async fn share(
    State(state): State<AppState>,
    current: CurrentUser,
    body: Result<Json<NewPartner>, JsonRejection>,
) -> AppResult<Response> {
    let new = json_body(body)?;
    let partner = catalog::share_library(&state.db, current.user.id, &new.username).await?;
    tracing::info!(user = %current.user.username, partner = %partner.username, "library shared with a partner");
    Ok((StatusCode::CREATED, Json(json!(partner))).into_response())
}

async fn list(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(catalog::partners(&state.db, current.user.id).await?)))
}

async fn stop_sharing(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
) -> AppResult<StatusCode> {
    catalog::stop_sharing(&state.db, current.user.id, &username).await?;
    tracing::info!(user = %current.user.username, partner = %username, "library no longer shared with a partner");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineChoice {
    in_timeline: bool,
}

/// The partner's side: `username` shares their library with the caller, who shows it in their
/// timeline or not.
async fn set_timeline(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
    body: Result<Json<TimelineChoice>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let choice = json_body(body)?;
    let partner = catalog::set_in_timeline(&state.db, current.user.id, &username, choice.in_timeline).await?;
    Ok(Json(json!(partner)))
}
