//! Signing in and out in the browser: the sign-in page and its password form, the single
//! sign-on start (`/api/v1/oidc/login`) and callback (`/api/v1/oidc/redirect`), which show this
//! page when they fail, and sign-out from the page header.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Layout, render};
use crate::auth::CurrentUser;
use crate::auth::client::ClientAddr;
use crate::auth::csrf::tokens_match;
use crate::auth::oidc::flow::{self, CallbackQuery};
use crate::auth::session::{MaybeUser, safe_next};
use crate::auth::sign_in::{self, AfterSignOut};
use crate::auth::visitor::Visitor;
use crate::config::AuthMode;
use crate::error::{AppError, AppResult};
use crate::oidc::Oidc;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(page).post(submit))
        .route("/logout", post(logout))
        .route("/api/v1/oidc/login", get(start))
        .route("/api/v1/oidc/redirect", get(callback))
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
    /// Password sign-in is hidden except at `/login?local=1`: say where it is when shown there.
    pub local: bool,
    pub sso: Option<SsoButton>,
    /// After sign-out from a single sign-on session that stays open at the provider.
    pub provider_session: Option<ProviderLink>,
}

/// The "Sign in with …" button.
pub struct SsoButton {
    pub label: String,
    pub icon: String,
    pub href: String,
    /// Set while discovery fails: the button is replaced by this sentence.
    pub unavailable: Option<String>,
    /// What went wrong, for the administrator (issuer mismatch, connection refused, …).
    pub detail: Option<String>,
}

pub struct ProviderLink {
    pub name: String,
    pub url: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub local: Option<String>,
    pub signed_out: Option<String>,
    pub provider_session: Option<String>,
}

fn show_password_form(state: &AppState, local: bool) -> bool {
    state.config.password_login || local
}

fn sso_button(state: &AppState, next: Option<&str>) -> Option<SsoButton> {
    let oidc = state.oidc.as_ref()?;
    let href = match next {
        Some(n) => format!(
            "/api/v1/oidc/login?next={}",
            url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ),
        None => "/api/v1/oidc/login".to_string(),
    };
    let detail = oidc.unavailable_reason();
    Some(SsoButton {
        label: format!("Sign in with {}", oidc.settings.provider),
        icon: oidc.settings.icon.clone().unwrap_or_else(|| crate::http::assets::url("sso.svg")),
        href,
        unavailable: detail.as_ref().map(|_| {
            format!(
                "{} cannot be reached right now, so single sign-on is unavailable. Password sign-in still works.",
                oidc.settings.provider
            )
        }),
        detail,
    })
}

/// The login page with everything but the message parts filled in.
pub fn login_page(state: &AppState, visitor: &Visitor, next: Option<String>, local: bool) -> LoginPage {
    LoginPage {
        layout: Layout::new(state, "Sign in", None),
        sso: sso_button(state, next.as_deref()),
        next: next.unwrap_or_default(),
        csrf_token: visitor.csrf_token(),
        error: None,
        notice: None,
        username: String::new(),
        show_password_form: show_password_form(state, local),
        local,
        provider_session: None,
    }
}

/// The login page showing `message` (a single sign-on failure) with `status`.
pub fn page_with_error(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    message: String,
    next: Option<String>,
) -> AppResult<Response> {
    let mut page = login_page(state, visitor, next, false);
    page.error = Some(message);
    Ok((status, render(&page)?).into_response())
}

async fn page(
    State(state): State<AppState>,
    MaybeUser(current, _): MaybeUser,
    visitor: Visitor,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    let next = safe_next(q.next.as_deref());
    if current.is_some() || state.config.auth_mode == AuthMode::Public {
        return Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response());
    }
    let local = q.local.is_some();
    // OIDC_REDIRECT: straight on to the provider, keeping the page asked for; not after a
    // sign-out (that would sign the person in again at once) and not at /login?local=1.
    if let Some(oidc) = &state.oidc
        && oidc.settings.redirect
        && !local
        && q.signed_out.is_none()
        && oidc.unavailable_reason().is_none()
    {
        let button = sso_button(&state, next.as_deref()).expect("single sign-on is on");
        return Ok(Redirect::to(&button.href).into_response());
    }
    let mut page = login_page(&state, &visitor, next, local);
    if q.signed_out.is_some() {
        page.notice = Some("You have signed out.".to_string());
        if q.provider_session.is_some() {
            page.provider_session =
                state.oidc.as_ref().map(|o| ProviderLink { name: o.settings.provider.clone(), url: o.issuer.clone() });
        }
    }
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
    visitor: Visitor,
    addr: ClientAddr,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    // The form's token was put in the visitor cookie when the page was shown, so another site
    // cannot sign a visitor into an account of its choosing.
    let expected = visitor.issued_csrf_token();
    if !tokens_match(expected.as_deref().unwrap_or(""), &form.csrf_token) {
        return Err(AppError::Forbidden(
            "The sign-in form expired or came from another site. Reload the page and try again.".into(),
        ));
    }
    let next = safe_next(Some(&form.next));
    match sign_in::with_password(&state, &session, addr, &form.username, &form.password).await {
        Ok(_) => {
            visitor.clear();
            Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response())
        }
        Err(f) if f.status.is_client_error() => {
            let mut page = login_page(&state, &visitor, next, true);
            page.error = Some(f.message);
            page.username = form.username;
            let mut response = (f.status, render(&page)?).into_response();
            if let Some(secs) = f.retry_after {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            Ok(response)
        }
        Err(f) => Err(f.into()),
    }
}

async fn logout(State(state): State<AppState>, current: CurrentUser, addr: ClientAddr) -> AppResult<Response> {
    if state.config.auth_mode == AuthMode::Public {
        return Ok(Redirect::to("/").into_response());
    }
    let auth = sign_in::sign_out(&state, &current.session, addr).await?;
    let target = match sign_in::after_sign_out(&state, auth.as_ref()) {
        AfterSignOut::Provider(url) => url,
        AfterSignOut::ProviderSessionOpen { .. } => "/login?signed_out=1&provider_session=1".to_string(),
        AfterSignOut::Local => "/login?signed_out=1".to_string(),
    };
    Ok(Redirect::to(&target).into_response())
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

fn oidc_of(state: &AppState) -> AppResult<Arc<Oidc>> {
    state.oidc.clone().ok_or(AppError::NotFound)
}

async fn start(
    State(state): State<AppState>,
    MaybeUser(current, _): MaybeUser,
    visitor: Visitor,
    addr: ClientAddr,
    Query(q): Query<StartQuery>,
) -> AppResult<Response> {
    let oidc = oidc_of(&state)?;
    let next = safe_next(q.next.as_deref());
    if current.is_some() {
        return Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response());
    }
    match flow::begin(&state, &oidc, &visitor, addr, next).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(f) => page_with_error(&state, &visitor, f.status, f.message, f.next),
    }
}

async fn callback(
    State(state): State<AppState>,
    MaybeUser(_, session): MaybeUser,
    visitor: Visitor,
    addr: ClientAddr,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let oidc = oidc_of(&state)?;
    match flow::complete(&state, &oidc, &session, &visitor, addr, &q).await {
        Ok(next) => Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response()),
        Err(f) => page_with_error(&state, &visitor, f.status, f.message, f.next),
    }
}
