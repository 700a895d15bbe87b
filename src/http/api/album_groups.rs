//! `/api/v1/albums/{id}/groups`: albums shared with a single sign-on group. Whoever the provider
//! last reported in that group (stored at every sign-on) has the role given here. The rules live
//! in `library::catalog`; this module only translates HTTP.

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
        .route("/api/v1/albums/{id}/groups", get(list))
        .route("/api/v1/albums/{id}/groups/{group}", get(one).put(set).delete(remove))
}

async fn list(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "groups": catalog::album_groups(&state.db, current.user.id, id).await? })))
}

async fn one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, group)): Path<(i64, String)>,
) -> AppResult<Json<Value>> {
    let groups = catalog::album_groups(&state.db, current.user.id, id).await?;
    Ok(Json(json!(groups.into_iter().find(|g| g.group == group).ok_or(AppError::NotFound)?)))
}

async fn set(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, group)): Path<(i64, String)>,
    b: Result<Json<RoleBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    Ok(Json(json!(catalog::set_album_group(&state.db, current.user.id, id, &group, &b.role).await?)))
}

async fn remove(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, group)): Path<(i64, String)>,
) -> AppResult<StatusCode> {
    catalog::remove_album_group(&state.db, current.user.id, id, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}
