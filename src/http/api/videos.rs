//! Video streams at `/api/v1/videos/{hash}`: the file a `<video>` element plays (the original, or
//! its H.264 transcode for videos browsers cannot play), with range requests (seeking) and
//! conditional requests, opened with the session and the same access rule as originals.
//! Anything the viewer may not see, or that is not a video, is a 404; a transcode still being
//! made is a 503.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::media::valid_hash;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::library::sniff::Format;
use crate::library::store;
use crate::library::transcode::Playable;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/videos/{hash}", get(stream))
}

/// The answer while a video's transcode is being made.
pub(super) fn preparing() -> AppError {
    AppError::Unavailable("This video is being prepared for the browser: try again in a minute".into())
}

async fn stream(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(hash): Path<String>,
    request: Request,
) -> AppResult<Response> {
    if !valid_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let video = store::visible_video(&state.db, current.user.id, &hash).await?.ok_or(AppError::NotFound)?;
    let original = state.library.originals().join(&video.path);
    // A browser gets what it can play: the original, or its H.264 transcode once it is made.
    let (path, mime) = match Playable::of(&video.format, video.video_codec.as_deref(), video.transcode.as_deref()) {
        Playable::Transcoded => (state.library.settings().cache.transcode_path(&hash), "video/mp4"),
        Playable::Preparing => return Err(preparing()),
        Playable::AsStored | Playable::Failed => {
            (original, Format::parse(&video.format).map_or("application/octet-stream", Format::mime))
        }
    };
    // The bytes of a hash never change; the session decides who may fetch them.
    serve(&path, mime, request, "private, max-age=3600").await
}

/// Serves a video file once access is granted. ServeFile answers Range (206, 416),
/// If-Modified-Since / If-Unmodified-Since and HEAD itself, and streams the file in chunks: a
/// 4 GB video costs a buffer, not its size.
pub(super) async fn serve(
    path: &std::path::Path,
    mime: &str,
    request: Request,
    cache_control: &'static str,
) -> AppResult<Response> {
    let served = ServeFile::new_with_mime(path, &mime.parse().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?)
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if served.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(AppError::NotFound);
    }
    let mut response = served.map(Body::new).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    Ok(response)
}
