//! Administration of accounts: the `/admin/users` page and `/api/v1/users`, administrators only.

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{Layout, render};
use crate::accounts::{self, AccountChange, Actor, Identity, Role};
use crate::auth::CurrentUser;
use crate::db::{self, audit::EventRow, users::User};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(page))
        .route("/admin/users/{id}", post(submit))
        .route("/api/v1/users", get(list))
        .route("/api/v1/users/{id}", get(show).patch(update).delete(remove))
}

/// A signed-in administrator; everyone else gets 403 (anonymous visitors the usual sign-in).
pub struct Admin(pub CurrentUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if !current.user.is_admin() {
            return Err(AppError::Forbidden("Only administrators can do this.".into()).into_response());
        }
        Ok(Admin(current))
    }
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
        let identity = self.auth_subject.as_deref().map(str::trim).map(|subject| {
            (!subject.is_empty()).then(|| Identity {
                issuer: self.auth_issuer.as_deref().map(str::trim).unwrap_or("").to_string(),
                subject: subject.to_string(),
            })
        });
        AccountChange { role: self.role, disabled: self.disabled, identity, ..Default::default() }
    }
}

async fn apply(state: &AppState, me: &User, id: i64, change: UserChange) -> AppResult<User> {
    let row = accounts::change(&state.db, Actor::Admin(me.id), id, change.into_account_change()).await?;
    Ok(row.to_user()?)
}

async fn delete(state: &AppState, me: &User, id: i64) -> AppResult<String> {
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
    let name = delete(&state, &me.user, id).await?;
    tracing::info!(admin = %me.user.username, user = %name, "account deleted");
    Ok(Json(json!({ "deleted": id })))
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    me: i64,
    users: Vec<UserLine>,
    events: Vec<EventLine>,
    message: Option<String>,
    error: Option<String>,
}

struct UserLine {
    user: User,
    method: &'static str,
    last_sign_in: String,
}

struct EventLine {
    event: EventRow,
    at: String,
}

fn when(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "never".into())
}

async fn users_page(
    state: &AppState,
    me: &CurrentUser,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let users = db::users::list(&state.db)
        .await?
        .iter()
        .map(|r| {
            Ok(UserLine {
                method: match (r.password_hash.is_some(), r.auth_subject.is_some()) {
                    (true, true) => "password and single sign-on",
                    (false, true) => "single sign-on",
                    (true, false) => "password",
                    (false, false) => "none",
                },
                last_sign_in: when(r.last_sign_in_at),
                user: r.to_user()?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let events = db::audit::recent(&state.db, 50)
        .await?
        .into_iter()
        .map(|e| EventLine { at: when(Some(e.at)), event: e })
        .collect();
    render(&UsersPage { layout: Layout::new(state, "Users", Some(me)), me: me.user.id, users, events, message, error })
}

async fn page(State(state): State<AppState>, Admin(me): Admin) -> AppResult<Html<String>> {
    users_page(&state, &me, None, None).await
}

#[derive(Deserialize)]
struct UserForm {
    action: String,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    auth_subject: Option<String>,
    #[serde(default)]
    auth_issuer: Option<String>,
}

async fn submit(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let result = match form.action.as_str() {
        "role" => {
            let role = form.role.ok_or_else(|| AppError::BadRequest("Choose a role.".into()))?;
            apply(&state, &me.user, id, UserChange { role: Some(role), ..Default::default() })
                .await
                .map(|u| format!("{} is now {}.", u.username, u.role))
        }
        "disable" | "enable" => {
            let disabled = form.action == "disable";
            apply(&state, &me.user, id, UserChange { disabled: Some(disabled), ..Default::default() })
                .await
                .map(|u| format!("{} is {}.", u.username, if disabled { "disabled" } else { "enabled" }))
        }
        "link" => {
            let change =
                UserChange { auth_subject: form.auth_subject, auth_issuer: form.auth_issuer, ..Default::default() };
            apply(&state, &me.user, id, change).await.map(|u| match u.auth_subject {
                Some(s) => format!("{} is linked to the single sign-on subject {s}.", u.username),
                None => format!("{} is no longer linked to single sign-on.", u.username),
            })
        }
        "delete" => delete(&state, &me.user, id).await.map(|name| format!("{name} was deleted.")),
        other => Err(AppError::BadRequest(format!("Unknown action {other:?}."))),
    };
    match result {
        Ok(message) => {
            // Post/redirect/get would lose the message; render the page with it instead.
            Ok(users_page(&state, &me, Some(message), None).await?.into_response())
        }
        Err(AppError::BadRequest(e)) => {
            let page = users_page(&state, &me, None, Some(e)).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(AppError::NotFound) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e) => Err(e),
    }
}
