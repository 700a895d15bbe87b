//! `/account`: who is signed in, how, and their sessions, with "sign out everywhere".

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};

use super::{Layout, render};
use crate::auth::client::ClientAddr;
use crate::auth::sign_in::Method;
use crate::auth::{CurrentUser, sessions};
use crate::db::users::User;
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/account", get(account)).route("/account/sessions", post(end_sessions))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    user: User,
    sign_in_method: String,
    last_sign_in: String,
    sessions: Vec<SessionLine>,
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
    let user = current.user.clone();
    let sign_in_method = match current.auth.as_ref().map(|a| a.method) {
        Some(Method::Oidc) => format!("Single sign-on ({})", state.config.oidc.provider),
        Some(Method::Password) => "Username and password".to_string(),
        None => "No sign-in (public mode)".to_string(),
    };
    let last_sign_in = user.last_sign_in_at.map(utc).unwrap_or_else(|| "never".into());
    let sessions = sessions::of(&state, &current)
        .await?
        .into_iter()
        .map(|s| SessionLine {
            signed_in: utc(s.signed_in_at),
            method: s.method.label(),
            expires: utc(s.expires_at),
            current: s.current,
        })
        .collect();
    render(&AccountPage {
        layout: Layout::new(&state, "Account", Some(&current)),
        user,
        sign_in_method,
        last_sign_in,
        sessions,
    })
}

async fn end_sessions(State(state): State<AppState>, addr: ClientAddr, current: CurrentUser) -> AppResult<Redirect> {
    sessions::sign_out_everywhere(&state, addr, &current).await?;
    Ok(Redirect::to("/login?signed_out=1"))
}
