//! Media: thumbnails at `/api/v1/t/{hash}/{token}/{size}` (the token names the viewer, so `<img>`
//! tags need no session and a proxy may cache) and originals at `/api/v1/dl/{hash}` (session,
//! range requests). Anything the viewer may not see is a 404, never a 403: it does not exist
//! for them.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::download::attachment;
use crate::library::media_access::{self, Grant};
use crate::library::{Viewer, store, thumbs};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/t/{hash}/{token}/{size}", get(thumbnail)).route("/api/v1/dl/{hash}", get(original))
}

fn valid_hash(h: &str) -> bool {
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

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); None when absent or not satisfiable.
fn parse_range(v: &str, len: u64) -> Option<(u64, u64)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (len.saturating_sub(n), len.checked_sub(1)?)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() { len.checked_sub(1)? } else { b.parse::<u64>().ok()?.min(len.checked_sub(1)?) };
        (start, end)
    };
    (start <= end && end < len).then_some((start, end))
}

async fn original(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if !valid_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let (rel, _) = store::visible_file(&state.db, current.user.id, &hash).await?.ok_or(AppError::NotFound)?;
    let path = state.library.originals().join(&rel);
    let mut file = tokio::fs::File::open(&path).await.map_err(|_| AppError::NotFound)?;
    let len = file.metadata().await.map_err(|e| AppError::Internal(e.into()))?.len();
    let etag = format!("\"{hash}\"");
    let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
    let mime = mime_guess::from_path(&name).first_or_octet_stream().to_string();
    let mut base = vec![
        (header::ETAG, etag.clone()),
        (header::ACCEPT_RANGES, "bytes".to_string()),
        (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        (header::CONTENT_DISPOSITION, attachment(&name).to_str().unwrap_or("attachment").to_string()),
        (header::CONTENT_TYPE, mime),
    ];
    if not_modified(&headers, &etag) {
        base.retain(|(h, _)| h == header::ETAG || h == header::CACHE_CONTROL);
        return Ok(with_headers(StatusCode::NOT_MODIFIED, base, Body::empty()));
    }
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    if let Some(r) = range {
        let Some((start, end)) = parse_range(r, len) else {
            let mut resp = with_headers(StatusCode::RANGE_NOT_SATISFIABLE, base, Body::empty());
            resp.headers_mut()
                .insert(header::CONTENT_RANGE, HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"));
            return Ok(resp);
        };
        file.seek(std::io::SeekFrom::Start(start)).await.map_err(|e| AppError::Internal(e.into()))?;
        let body = Body::from_stream(tokio_util::io::ReaderStream::new(file.take(end - start + 1)));
        base.push((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
        base.push((header::CONTENT_LENGTH, (end - start + 1).to_string()));
        return Ok(with_headers(StatusCode::PARTIAL_CONTENT, base, body));
    }
    base.push((header::CONTENT_LENGTH, len.to_string()));
    Ok(with_headers(StatusCode::OK, base, Body::from_stream(tokio_util::io::ReaderStream::new(file))))
}

fn with_headers(status: StatusCode, headers: Vec<(header::HeaderName, String)>, body: Body) -> Response {
    let mut resp = (status, body).into_response();
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-2", 100), None);
    }
}
