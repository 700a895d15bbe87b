//! The installed app's share target: on a phone, "Share → Shoebox" in another app posts the
//! shared photos here (the web app manifest, `static/manifest.webmanifest`, names this route).
//! Such a post cannot carry a CSRF token; `auth::csrf` lets it through only when the browser
//! says it was made by this site or by the browser itself (`Sec-Fetch-Site`).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::Redirect;
use axum::routing::get;

use crate::auth::CurrentUser;
use crate::auth::csrf::SHARE_TARGET;
use crate::error::{AppError, AppResult};
use crate::http::api::library::receive_files;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(SHARE_TARGET, get(to_timeline).post(receive_shared).layer(DefaultBodyLimit::disable()))
}

/// After signing in from a share (the files are not kept across it), the timeline.
async fn to_timeline() -> Redirect {
    Redirect::to("/")
}

/// Stores the shared files like an upload, then shows the first one in the viewer.
async fn receive_shared(
    State(state): State<AppState>,
    current: CurrentUser,
    multipart: Multipart,
) -> AppResult<Redirect> {
    let received = receive_files(&state, &current, multipart).await?;
    tracing::info!(user = %current.user.username, stored = received.accepted.len(), files = received.results.len(), "shared files received");
    match received.accepted.first() {
        Some(id) => Ok(Redirect::to(&format!("/photos/{id}"))),
        None => {
            let reasons = received
                .results
                .iter()
                .map(|r| {
                    format!("{}: {}", r["name"].as_str().unwrap_or("a file"), r["reason"].as_str().unwrap_or("refused"))
                })
                .collect::<Vec<_>>()
                .join("; ");
            Err(AppError::BadRequest(format!("Nothing shared was stored. {reasons}")))
        }
    }
}
