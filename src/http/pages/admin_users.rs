//! The administrator's `/admin/users` page: accounts, their sign-in methods, recent sign-in
//! events, and forms to change a role, disable, link single sign-on or delete.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Layout, render};
use crate::accounts::{self, AccountChange, Actor, Identity, Role};
use crate::auth::CurrentUser;
use crate::db::{self, audit::EventRow, users::User};
use crate::error::{AppError, AppResult};
use crate::http::extract::Admin;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/users", get(page)).route("/admin/users/{id}", post(submit))
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
            change(&state, &me.user, id, AccountChange { role: Some(role), ..Default::default() })
                .await
                .map(|u| format!("{} is now {}.", u.username, u.role))
        }
        "disable" | "enable" => {
            let disabled = form.action == "disable";
            change(&state, &me.user, id, AccountChange { disabled: Some(disabled), ..Default::default() })
                .await
                .map(|u| format!("{} is {}.", u.username, if disabled { "disabled" } else { "enabled" }))
        }
        "link" => {
            let identity = Some(Identity::from_form(form.auth_subject.as_deref(), form.auth_issuer.as_deref()));
            change(&state, &me.user, id, AccountChange { identity, ..Default::default() }).await.map(|u| {
                match u.auth_subject {
                    Some(s) => format!("{} is linked to the single sign-on subject {s}.", u.username),
                    None => format!("{} is no longer linked to single sign-on.", u.username),
                }
            })
        }
        "sign_out" => accounts::end_sessions(&state.db, id)
            .await
            .map_err(AppError::from)
            .map(|ended| format!("Ended {ended} session(s); the account's photo links stopped working too.")),
        "delete" => accounts::delete(&state.db, Actor::Admin(me.user.id), id)
            .await
            .map_err(AppError::from)
            .map(|row| format!("{} was deleted.", row.username)),
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

async fn change(state: &AppState, me: &User, id: i64, change: AccountChange) -> AppResult<User> {
    let row = accounts::change(&state.db, Actor::Admin(me.id), id, change).await?;
    Ok(row.to_user()?)
}
