//! Video streams at `/api/v1/videos/{hash}`: the file a `<video>` element plays (the original, or
//! its H.264 transcode for videos browsers cannot play), with range requests (seeking) and
//! conditional requests, opened with the session and the same access rule as originals. A live
//! photo's hash plays its clip: the MOV beside an Apple Live Photo, or the MP4 inside a Motion
//! Photo (that byte range of the still, served as a file of its own). Anything the viewer may not
//! see, or that is neither a video nor a live photo, is a 404; a transcode still being made is a 503.

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
use crate::http::byte_slice;
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
    let originals = state.library.originals();
    let format = video.motion_format.as_deref().unwrap_or(&video.format);
    // A browser gets what it can play: the clip as stored, or its H.264 transcode once it is made.
    let (path, mime) = match Playable::of(format, video.video_codec.as_deref(), video.transcode.as_deref()) {
        Playable::Transcoded => (state.library.settings().cache.transcode_path(&hash), "video/mp4"),
        Playable::Preparing => return Err(preparing()),
        Playable::AsStored | Playable::Failed => {
            let mime = Format::parse(format).map_or("application/octet-stream", Format::mime);
            match (&video.motion_path, video.motion_offset, video.motion_length) {
                (Some(clip), _, _) => (originals.join(clip), mime),
                (None, Some(offset), Some(len)) if offset >= 0 && len > 0 => {
                    let headers = request.headers().clone();
                    let still = originals.join(&video.path);
                    let mut response = byte_slice::serve(&still, offset as u64, len as u64, mime, &headers).await?;
                    response
                        .headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
                    return Ok(response);
                }
                _ => (originals.join(&video.path), mime),
            }
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
