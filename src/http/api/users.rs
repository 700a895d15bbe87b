//! `/api/v1/users`: administrators list, read, change and delete accounts. The rules live in
//! `accounts`; the page is `pages::admin_users`.

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{self, AccountChange, Actor, Identity, Role};
use crate::db::{self, users::User};
use crate::error::{AppError, AppResult};
use crate::http::extract::Admin;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list))
        .route("/api/v1/users/{id}", get(show).patch(update).delete(remove))
        .route("/api/v1/users/{id}/sessions", delete(end_sessions))
}

/// One change to an account. Every field is optional; absent fields stay as they are.
#[derive(Deserialize, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// Links a single sign-on subject; an empty string unlinks.
    pub auth_subject: Option<String>,
    /// Issuer of that subject; empty matches any issuer and is filled at first sign-in.
    pub auth_issuer: Option<String>,
}

impl UserChange {
    /// The form or JSON fields as a change to the account: an empty subject unlinks.
    fn into_account_change(self) -> AccountChange {
        let identity = self
            .auth_subject
            .is_some()
            .then(|| Identity::from_form(self.auth_subject.as_deref(), self.auth_issuer.as_deref()));
        AccountChange { role: self.role, disabled: self.disabled, identity, ..Default::default() }
    }
}

async fn apply(state: &AppState, me: &User, id: i64, change: UserChange) -> AppResult<User> {
    let row = accounts::change(&state.db, Actor::Admin(me.id), id, change.into_account_change()).await?;
    Ok(row.to_user()?)
}

async fn delete_account(state: &AppState, me: &User, id: i64) -> AppResult<String> {
    Ok(accounts::delete(&state.db, Actor::Admin(me.id), id).await?.username)
}

async fn list(State(state): State<AppState>, _: Admin) -> AppResult<Json<Value>> {
    let users = db::users::list(&state.db).await?.iter().map(|r| r.to_user()).collect::<Result<Vec<User>, _>>()?;
    Ok(Json(json!({ "users": users })))
}

async fn show(State(state): State<AppState>, _: Admin, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let row = db::users::by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(json!({ "user": row.to_user()? })))
}

async fn update(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    Json(change): Json<UserChange>,
) -> AppResult<Json<Value>> {
    let user = apply(&state, &me.user, id, change).await?;
    tracing::info!(admin = %me.user.username, user = %user.username, "account changed");
    Ok(Json(json!({ "user": user })))
}

async fn remove(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let name = delete_account(&state, &me.user, id).await?;
    tracing::info!(admin = %me.user.username, user = %name, "account deleted");
    Ok(Json(json!({ "deleted": id })))
}

/// "Sign this user out everywhere": every session ends and every media URL handed out stops working.
async fn end_sessions(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let ended = accounts::end_sessions(&state.db, id).await?;
    tracing::info!(admin = %me.user.username, user = id, sessions = ended, "signed the account out everywhere");
    Ok(Json(json!({ "user": id, "sessions_ended": ended })))
}
