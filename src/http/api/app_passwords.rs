//! `/api/v1/account/app-passwords`: the signed-in person's app passwords for WebDAV clients —
//! make one (its secret is in this answer only), list them, revoke one.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::app_passwords;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::extract::json_body;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account/app-passwords", get(list).post(create))
        .route("/api/v1/account/app-passwords/{id}", delete(revoke))
}

#[derive(Deserialize)]
struct NewAppPassword {
    name: String,
    /// Seconds until it stops working; absent or null: never.
    #[serde(default)]
    expires_in: Option<i64>,
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    body: Result<Json<NewAppPassword>, JsonRejection>,
) -> AppResult<Response> {
    let new = json_body(body)?;
    let (made, secret) = app_passwords::create(&state.db, current.user.id, &new.name, new.expires_in).await?;
    tracing::info!(user = %current.user.username, app_password = made.id, "app password made");
    let mut answer = json!(made);
    answer["password"] = json!(secret);
    answer["username"] = json!(current.user.username);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn list(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "app_passwords": app_passwords::list(&state.db, current.user.id).await? })))
}

async fn revoke(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<StatusCode> {
    if !app_passwords::delete(&state.db, current.user.id, id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = %current.user.username, app_password = id, "app password revoked");
    Ok(StatusCode::NO_CONTENT)
}
