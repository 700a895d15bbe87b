//! `/account`: who is signed in, how, and their sessions, with "sign out everywhere"; and the
//! app passwords WebDAV clients sign in with.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Layout, render};
use crate::accounts::app_passwords;
use crate::auth::client::ClientAddr;
use crate::auth::sign_in::Method;
use crate::auth::{CurrentUser, sessions};
use crate::db::users::User;
use crate::error::{AppError, AppResult};
use crate::library::catalog;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/sessions", post(end_sessions))
        .route("/account/app-passwords", post(make_app_password))
        .route("/account/app-passwords/{id}/delete", post(revoke_app_password))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    user: User,
    sign_in_method: String,
    last_sign_in: String,
    sessions: Vec<SessionLine>,
    app_passwords: Vec<AppPasswordLine>,
    /// The app password just made: its name and secret, shown on this page only.
    new_app_password: Option<(String, String)>,
    /// Where WebDAV clients connect: SITE_URL + `originals/`.
    webdav_url: Option<String>,
    /// Whom the person shares their library with, and who shares theirs with them.
    partners: catalog::Partners,
}

pub struct AppPasswordLine {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
}

pub struct SessionLine {
    pub signed_in: String,
    pub method: &'static str,
    pub expires: String,
    pub current: bool,
}

fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

async fn account(State(state): State<AppState>, current: CurrentUser) -> AppResult<Html<String>> {
    page(&state, &current, None).await
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    new_app_password: Option<(String, String)>,
) -> AppResult<Html<String>> {
    let user = current.user.clone();
    let sign_in_method = match current.auth.as_ref().map(|a| a.method) {
        Some(Method::Oidc) => format!("Single sign-on ({})", state.config.oidc.provider),
        Some(Method::Password) => "Username and password".to_string(),
        None => "No sign-in (public mode)".to_string(),
    };
    let last_sign_in = user.last_sign_in_at.map(utc).unwrap_or_else(|| "never".into());
    let sessions = sessions::of(state, current)
        .await?
        .into_iter()
        .map(|s| SessionLine {
            signed_in: utc(s.signed_in_at),
            method: s.method.label(),
            expires: utc(s.expires_at),
            current: s.current,
        })
        .collect();
    let app_passwords = app_passwords::list(&state.db, user.id)
        .await?
        .into_iter()
        .map(|a| AppPasswordLine {
            id: a.id,
            name: a.name,
            created: utc(a.created_at),
            last_used: a.last_used_at.map(utc).unwrap_or_else(|| "never".into()),
            expires: a.expires_at.map(utc).unwrap_or_else(|| "never".into()),
        })
        .collect();
    let webdav_url = state.config.webdav.enabled.then(|| format!("{}originals/", state.config.site_url));
    let partners = catalog::partners(&state.db, user.id).await?;
    render(&AccountPage {
        layout: Layout::new(state, "Account", Some(current)),
        user,
        sign_in_method,
        last_sign_in,
        sessions,
        app_passwords,
        new_app_password,
        webdav_url,
        partners,
    })
}

#[derive(Deserialize)]
struct AppPasswordForm {
    name: String,
}

/// Makes an app password and shows the page with its secret, this once.
async fn make_app_password(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<AppPasswordForm>,
) -> AppResult<Html<String>> {
    let (made, secret) = app_passwords::create(&state.db, current.user.id, &form.name, None).await?;
    tracing::info!(user = %current.user.username, app_password = made.id, "app password made");
    page(&state, &current, Some((made.name, secret))).await
}

async fn revoke_app_password(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    if !app_passwords::delete(&state.db, current.user.id, id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = %current.user.username, app_password = id, "app password revoked");
    Ok(Redirect::to("/account"))
}

async fn end_sessions(State(state): State<AppState>, addr: ClientAddr, current: CurrentUser) -> AppResult<Redirect> {
    sessions::sign_out_everywhere(&state, addr, &current).await?;
    Ok(Redirect::to("/login?signed_out=1"))
}
