//! The sign-in page, the password form behind it, and sign-out from the page header.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::pages::{Layout, render};
use crate::app::AppState;
use crate::auth::client::ClientAddr;
use crate::auth::csrf::tokens_match;
use crate::auth::session::{MaybeUser, csrf_token, safe_next};
use crate::auth::{CurrentUser, sign_in};
use crate::config::AuthMode;
use crate::error::{AppError, AppResult};

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(page).post(submit)).route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub next: String,
    pub csrf_token: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub username: String,
    pub show_password_form: bool,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub local: Option<String>,
    pub signed_out: Option<String>,
}

fn show_password_form(state: &AppState, local: bool) -> bool {
    state.config.password_login || local
}

async fn page(
    State(state): State<AppState>,
    MaybeUser(current, session): MaybeUser,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    let next = safe_next(q.next.as_deref());
    if current.is_some() || state.config.auth_mode == AuthMode::Public {
        return Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response());
    }
    let local = q.local.is_some();
    let page = LoginPage {
        layout: Layout::new(&state, "Sign in", None),
        next: next.unwrap_or_default(),
        csrf_token: csrf_token(&session).await?,
        error: None,
        notice: q.signed_out.is_some().then(|| "You have signed out.".to_string()),
        username: String::new(),
        show_password_form: show_password_form(&state, local),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    next: String,
}

async fn submit(
    State(state): State<AppState>,
    MaybeUser(_, session): MaybeUser,
    addr: ClientAddr,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    // The form's token was put in this (still anonymous) session when the page was shown,
    // so another site cannot sign a visitor into an account of its choosing.
    let expected: Option<String> =
        session.get(crate::auth::session::CSRF_KEY).await.map_err(crate::auth::session::session_error)?;
    if !tokens_match(expected.as_deref().unwrap_or(""), &form.csrf_token) {
        return Err(AppError::Forbidden(
            "The sign-in form expired or came from another site. Reload the page and try again.".into(),
        ));
    }
    let next = safe_next(Some(&form.next));
    match sign_in::with_password(&state, &session, addr, &form.username, &form.password).await {
        Ok(_) => Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response()),
        Err(e @ (AppError::Unauthorized(_) | AppError::Forbidden(_) | AppError::TooManyRequests { .. })) => {
            let status = e.status();
            let retry = match &e {
                AppError::TooManyRequests { retry_after_secs, .. } => Some(*retry_after_secs),
                _ => None,
            };
            let page = LoginPage {
                layout: Layout::new(&state, "Sign in", None),
                next: next.unwrap_or_default(),
                csrf_token: csrf_token(&session).await?,
                error: Some(e.to_string()),
                notice: None,
                username: form.username,
                show_password_form: true,
            };
            let mut response = (status, render(&page)?).into_response();
            if let Some(secs) = retry {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

async fn logout(State(state): State<AppState>, current: CurrentUser, addr: ClientAddr) -> AppResult<Response> {
    if state.config.auth_mode == AuthMode::Public {
        return Ok(Redirect::to("/").into_response());
    }
    sign_in::sign_out(&state, &current.session, addr).await?;
    Ok(Redirect::to("/login?signed_out=1").into_response())
}
