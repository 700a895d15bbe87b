//! Media: thumbnails at `/api/v1/t/{hash}/{token}/{size}` (the token names the viewer, so `<img>`
//! tags need no session and a proxy may cache) and originals at `/api/v1/dl/{hash}` (session;
//! ranges, conditional requests and HEAD by tower-http's `ServeFile` once access is granted), and the
//! files paired with a photo at `/api/v1/dl/{hash}/motion` (a Live Photo's clip) and `/companion` (its RAW).
//! Anything the viewer may not see is a 404, never a 403: it does not exist for them.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::download::attachment;
use crate::library::media_access::{self, Grant};
use crate::library::{Viewer, store, thumbs};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/t/{hash}/{token}/{size}", get(thumbnail))
        .route("/api/v1/dl/{hash}", get(original))
        .route("/api/v1/dl/{hash}/{role}", get(paired))
}

/// A content hash as URLs carry it (64 lower-case hex digits); anything else is answered 404
/// before the database is asked. Shared by every route that names a picture or video by hash.
pub(super) fn valid_hash(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

async fn thumbnail(
    State(state): State<AppState>,
    Path((hash, token, size)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let spec = thumbs::size(&size).ok_or(AppError::NotFound)?;
    let key = media_access::hash_key(&hash).ok_or(AppError::NotFound)?;
    let now = crate::db::now();
    let (Viewer::User { id: viewer, generation }, expires) =
        state.library.token_key().verify(&token, now).ok_or(AppError::NotFound)?;
    // Answered from memory when this viewer was allowed this picture since the last change that
    // could take a right away (`library::media_access`); otherwise asked of the database.
    let access = state.library.media_access();
    let grant = Grant { viewer, generation, hash: key };
    let original = match access.granted(&grant) {
        Some(original) => original,
        None => {
            let epoch = access.epoch();
            // The account must still be the one the token was issued to, unrevoked and enabled.
            match crate::db::users::by_id(&state.db, viewer).await? {
                Some(u) if !u.disabled && u.session_generation == generation => {}
                _ => return Err(AppError::NotFound),
            }
            let (rel, _) = store::visible_file(&state.db, viewer, &hash).await?.ok_or(AppError::NotFound)?;
            access.remember_grant(epoch, grant, &rel);
            rel.into()
        }
    };
    let etag = format!("\"{hash}-{size}-q{}\"", state.library.settings().jpeg_quality);
    let cache_control = format!("private, max-age={}, immutable", (expires - now).max(0));
    if not_modified(&headers, &etag) {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)]).into_response()
        );
    }
    let jpeg = match access.thumbnail(&key, spec.name) {
        Some(jpeg) => jpeg,
        None => {
            let epoch = access.epoch();
            let jpeg = Bytes::from(state.library.thumbnail(&hash, &original, spec).await?);
            access.remember_thumbnail(epoch, key, spec.name, jpeg.clone());
            jpeg
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg".to_string()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache_control),
        ],
        jpeg,
    )
        .into_response())
}

async fn original(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(hash): Path<String>,
    request: Request,
) -> AppResult<Response> {
    if !valid_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let (rel, _) = store::visible_file(&state.db, current.user.id, &hash).await?.ok_or(AppError::NotFound)?;
    let etag = format!("\"{hash}\"");
    let cache_control = HeaderValue::from_static("private, max-age=3600");
    if not_modified(request.headers(), &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)], [(header::CACHE_CONTROL, cache_control)])
            .into_response());
    }
    // Allowed: tower-http serves the bytes (Range, If-Modified-Since, HEAD, Content-Type).
    let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
    let Ok(mut response) = ServeFile::new(state.library.originals().join(&rel)).oneshot(request).await;
    if response.status() == StatusCode::NOT_FOUND {
        // The file went away since it was indexed.
        return Err(AppError::NotFound);
    }
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_control);
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if response.status().is_success() {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, attachment(&name));
    }
    Ok(response.map(Body::new))
}

/// The file paired with a photo, as stored: a Live Photo's clip (`motion`) or the RAW beside a
/// JPEG (`companion`), opened with the session and the same access rule as the original.
async fn paired(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((hash, role)): Path<(String, String)>,
    request: Request,
) -> AppResult<Response> {
    if !valid_hash(&hash) || !matches!(role.as_str(), "motion" | "companion") {
        return Err(AppError::NotFound);
    }
    let rel = store::visible_paired(&state.db, current.user.id, &hash, &role).await?.ok_or(AppError::NotFound)?;
    let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
    let Ok(mut response) = ServeFile::new(state.library.originals().join(&rel)).oneshot(request).await;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(AppError::NotFound);
    }
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if response.status().is_success() {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, attachment(&name));
    }
    Ok(response.map(Body::new))
}
