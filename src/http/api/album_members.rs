//! `/api/v1/albums/{id}/members`: albums shared with other users. The owner adds members as
//! viewer, contributor or editor and removes them; a member may see who else is one and leave.
//! The rules live in `library::catalog`; this module only translates HTTP.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::extract::{RoleBody, json_body};
use crate::library::catalog;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/albums/{id}/members", get(list))
        .route("/api/v1/albums/{id}/members/{username}", get(one).put(set).delete(remove))
}

async fn list(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let members = catalog::members(&state.db, current.user.id, id).await?;
    Ok(Json(json!({ "members": members })))
}

async fn one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, username)): Path<(i64, String)>,
) -> AppResult<Json<Value>> {
    let members = catalog::members(&state.db, current.user.id, id).await?;
    let member = members.into_iter().find(|m| m.username.eq_ignore_ascii_case(&username)).ok_or(AppError::NotFound)?;
    Ok(Json(json!(member)))
}

async fn set(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, username)): Path<(i64, String)>,
    b: Result<Json<RoleBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let member = catalog::set_member(&state.db, current.user.id, id, &username, &b.role).await?;
    Ok(Json(json!(member)))
}

/// The owner removes a member, or a member leaves; their contributed photos leave with them.
async fn remove(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, username)): Path<(i64, String)>,
) -> AppResult<StatusCode> {
    catalog::remove_member(&state.db, current.user.id, id, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
