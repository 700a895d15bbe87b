//! The page shell: layout data, the library and account pages, and HTML error pages.

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Redirect;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tower_sessions::Session;

use crate::auth::client::ClientAddr;
use crate::auth::sign_in::Method;
use crate::auth::{CurrentUser, sessions};
use crate::config::AuthMode;
use crate::db::users::User;
use crate::error::{AppError, AppResult, ErrorInfo};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/account", get(account)).route("/account/sessions", post(end_sessions))
}

/// What the base layout needs on every page.
pub struct Layout {
    pub title: String,
    pub user: Option<User>,
    pub csrf_token: String,
    pub css: String,
    pub js: String,
    /// Page scripts besides `app.js`, as versioned URLs.
    pub scripts: Vec<String>,
    /// `upload.js`, loaded for everyone who may upload.
    pub upload_js: String,
    /// No sign-in at all (AUTH_MODE=public): no sign-out button.
    pub public_mode: bool,
}

impl Layout {
    pub fn new(state: &AppState, title: impl Into<String>, current: Option<&CurrentUser>) -> Self {
        Layout {
            title: title.into(),
            user: current.map(|c| c.user.clone()),
            csrf_token: current.map(|c| c.csrf_token.clone()).unwrap_or_default(),
            css: super::assets::url("app.css"),
            js: super::assets::url("app.js"),
            scripts: Vec::new(),
            upload_js: super::assets::url("upload.js"),
            public_mode: state.config.auth_mode == AuthMode::Public,
        }
    }

    /// Adds `static/<name>` to the page's scripts.
    pub fn with_script(mut self, name: &str) -> Self {
        self.scripts.push(super::assets::url(name));
        self
    }

    /// Whether the signed-in user may upload (the drop zone and the upload button).
    pub fn can_upload(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role != crate::accounts::Role::Viewer)
    }
}

pub fn render(t: &impl Template) -> AppResult<Html<String>> {
    Ok(Html(t.render()?))
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

pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: String,
    message: String,
}

/// Turns error responses of page routes into the HTML error page; API routes keep JSON.
pub async fn html_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let wants_json = path.starts_with("/api/") || path == "/health" || path.starts_with("/static/");
    let visitor_session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    if wants_json {
        return response;
    }
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    let status = response.status();
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found".to_string(),
        StatusCode::FORBIDDEN => "Not allowed".to_string(),
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts".to_string(),
        s if s.is_server_error() => "Something went wrong".to_string(),
        s => s.canonical_reason().unwrap_or("Error").to_string(),
    };
    let message = if status == StatusCode::NOT_FOUND {
        "There is nothing at this address. Check the link, or go back to the library.".to_string()
    } else {
        info.message
    };
    // The signed-in menu stays on error pages: without it a missing photo looks like a sign-out.
    // `resolve` stores nothing for an anonymous visitor, so no session is started here.
    let current = match &visitor_session {
        Some(s) => crate::auth::session::resolve(s, &state).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the error page is shown without the signed-in menu");
            None
        }),
        None => None,
    };
    let page = ErrorPage {
        layout: Layout::new(&state, heading.clone(), current.as_ref()),
        status: status.as_u16(),
        heading,
        message,
    };
    match page.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            if let Some(v) = response.headers().get(header::RETRY_AFTER) {
                r.headers_mut().insert(header::RETRY_AFTER, v.clone());
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            response
        }
    }
}
