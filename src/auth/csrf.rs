//! CSRF protection: every state-changing request made with a signed-in session cookie must carry
//! the session's token, as the `X-CSRF-Token` header or a `csrf_token` form field.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use super::session::{AUTH_KEY, AuthSession, CSRF_KEY, session_error};
use super::visitor::Visitor;
use crate::config::AuthMode;
use crate::error::AppError;
use crate::state::AppState;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";
/// The installed app's share target (`http::pages::install`): the phone's share sheet posts there
/// and no token can be put in that post.
pub const SHARE_TARGET: &str = "/share-target";
/// Forms are small; anything larger must use the header.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && expected.as_bytes().ct_eq(given.as_bytes()).into()
}

fn refused() -> Response {
    AppError::Forbidden("This request is missing its security token (CSRF). Reload the page and try again.".into())
        .into_response()
}

/// Middleware: checks the token on POST/PUT/PATCH/DELETE from signed-in sessions (and from
/// everyone in `AUTH_MODE=public`, where the token is in the visitor cookie). Anonymous requests
/// pass; the handlers that accept them (sign-in) check what they need.
pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return next.run(request).await;
    }
    if request.uri().path() == SHARE_TARGET {
        // Instead of a token: the browser's own word that the post was not made by another
        // site. `same-origin` is this site's pages, `none` the browser itself (the share sheet);
        // a browser that does not say is refused. Signing in is still required (the handler).
        let site = request.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
        return if matches!(site, Some("same-origin" | "none")) {
            next.run(request).await
        } else {
            AppError::Forbidden(
                "Sharing to Shoebox works from the installed app's share sheet only; upload from the Photos page instead."
                    .into(),
            )
            .into_response()
        };
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    let expected: String = if state.config.auth_mode == AuthMode::Public {
        let visitor = request.extensions().get::<Visitor>();
        visitor.and_then(Visitor::issued_csrf_token).unwrap_or_default()
    } else {
        match session.get::<AuthSession>(AUTH_KEY).await {
            Ok(Some(_)) => {}
            Ok(None) => return next.run(request).await,
            Err(e) => return session_error(e).into_response(),
        }
        match session.get(CSRF_KEY).await {
            Ok(t) => t.unwrap_or_default(),
            Err(e) => return session_error(e).into_response(),
        }
    };
    if let Some(given) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if tokens_match(&expected, given) { next.run(request).await } else { refused() };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refused();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return AppError::BadRequest("form too large".into()).into_response();
    };
    let given = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned());
    match given {
        Some(g) if tokens_match(&expected, &g) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        _ => refused(),
    }
}
