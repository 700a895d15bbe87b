//! Turns error responses of page routes into the HTML error page (API routes keep JSON), with
//! the signed-in menu kept.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower_sessions::Session;

use crate::auth::visitor::Visitor;
use crate::error::ErrorInfo;
use crate::http::pages::Layout;
use crate::state::AppState;

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
    let visitor = request.extensions().get::<Visitor>().cloned().unwrap_or_default();
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
        Some(s) => crate::auth::session::resolve(s, &visitor, &state).await.unwrap_or_else(|e| {
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
