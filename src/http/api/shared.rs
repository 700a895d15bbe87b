//! What a share link's visitor gets as JSON and media, under `/api/v1/s/{token}`: the album
//! (`GET`, 401 with `"password_required": true` until unlocked), `unlock`, thumbnails and the
//! upload (video and Live Photo clip streams: `shared_videos`; originals, paired files and the
//! zip: `shared_downloads`). Every handler asks `share_access` first, so a revoked, expired,
//! used-up or locked link serves nothing, whatever URL a visitor kept. With `show_metadata` off
//! the JSON has no camera, place, date or file name, and originals leave with their metadata
//! stripped.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::media::valid_hash;
use super::shared_downloads::paired_offered;
use crate::auth::client::ClientAddr;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ListQuery, json_body};
use crate::http::media_urls::{LinkUrls, MediaUrls};
use crate::http::share_access::{self, downloadable};
use crate::library::catalog::{self, SharedAlbum};
use crate::library::store::PhotoRow;
use crate::library::thumbs;
use crate::library::transcode::Playable;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/s/{token}", get(album))
        .route("/api/v1/s/{token}/unlock", post(unlock))
        .route("/api/v1/s/{token}/t/{hash}/{size}", get(thumbnail))
        .route("/api/v1/s/{token}/upload", post(upload).layer(DefaultBodyLimit::disable()))
}

/// A photo as a visitor sees it; `has_companion`: a RAW is stored beside it.
fn photo_json(urls: &LinkUrls, s: &SharedAlbum, p: &PhotoRow, has_companion: bool) -> Value {
    let mut v = json!({
        "id": p.id,
        "width": p.width,
        "height": p.height,
        "title": p.title,
        "description": p.description,
        "placeholder": MediaUrls::placeholder(p.placeholder.as_deref()),
        "thumbnails": urls.thumbnails(&p.hash),
        "original": downloadable(s, &p.format).then(|| urls.original(&p.hash)),
        "media_type": p.media_type,
        "duration_ms": p.duration_ms,
    });
    // A live photo's clip plays through the same route as a video, under the still's hash.
    if p.media_type == "video" || p.media_type == "live" {
        v["video"] = json!(urls.video(&p.hash));
        let format = p.motion_format.as_deref().unwrap_or(&p.format);
        let playable = Playable::of(format, p.video_codec.as_deref(), p.transcode.as_deref());
        v["video_status"] = json!(playable.as_str());
    }
    let paired: serde_json::Map<String, Value> = paired_offered(s, &p.media_type, has_companion)
        .into_iter()
        .map(|role| (role.to_string(), json!(urls.paired(&p.hash, role))))
        .collect();
    v["downloads"] = Value::Object(paired);
    if s.link.show_metadata {
        for (k, x) in [
            ("taken_at", json!(p.taken_at)),
            ("taken_local", json!(p.taken_local)),
            ("taken_offset", json!(p.taken_offset)),
            ("camera_make", json!(p.camera_make)),
            ("camera_model", json!(p.camera_model)),
            ("lens", json!(p.lens)),
            ("focal_length", json!(p.focal_length)),
            ("f_number", json!(p.f_number)),
            ("exposure_time", json!(p.exposure_time)),
            ("iso", json!(p.iso)),
            ("latitude", json!(p.latitude)),
            ("longitude", json!(p.longitude)),
            ("altitude", json!(p.altitude)),
        ] {
            v[k] = x;
        }
    }
    v
}

fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

async fn album_json(state: &AppState, token: &str, s: &SharedAlbum, q: &ListQuery) -> AppResult<Value> {
    let urls = LinkUrls::new(token);
    let page = catalog::shared_photos(&state.db, s, q.after()?, q.limit()?).await?;
    let ids: Vec<i64> = page.photos.iter().map(|p| p.id).collect();
    let companions = catalog::with_companion(&state.db, &ids).await?;
    let photos: Vec<Value> = page.photos.iter().map(|p| photo_json(&urls, s, p, companions.contains(&p.id))).collect();
    Ok(json!({
        "album": { "title": s.title, "description": s.description },
        "link": {
            "can_download": s.link.can_download,
            "show_metadata": s.link.show_metadata,
            "expires_at": s.link.expires_at,
            "comment": s.link.comment,
            "can_upload": s.link.can_upload,
        },
        "zip": s.link.can_download.then(|| urls.zip()),
        "photos": photos,
        "next": page.next.map(|c| c.to_string()),
    }))
}

/// Opening the album; the first request of a visit counts a view and sets the pass cookie.
async fn album(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (s, cookie) = share_access::open_visit(&state, &token, &headers).await?;
    let v = album_json(&state, &token, &s, &q).await?;
    Ok(with_cookie(Json(v).into_response(), cookie))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnlockBody {
    password: String,
}

async fn unlock(
    State(state): State<AppState>,
    Path(token): Path<String>,
    addr: ClientAddr,
    b: Result<Json<UnlockBody>, JsonRejection>,
) -> AppResult<Response> {
    let b = json_body(b)?;
    let (s, cookie) = share_access::unlock(&state, &token, b.password, addr).await?;
    let v = album_json(&state, &token, &s, &ListQuery::default()).await?;
    Ok(with_cookie(Json(v).into_response(), cookie))
}

/// Thumbnails are re-encoded, so they carry no metadata. `no-cache`: a browser revalidates
/// every time, so a revoked link's images stop showing at once.
async fn thumbnail(
    State(state): State<AppState>,
    Path((token, hash, size)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let s = share_access::continue_visit(&state, &token, &headers).await?;
    let spec = thumbs::size(&size).ok_or(AppError::NotFound)?;
    if !valid_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let rel = catalog::shared_item(&state.db, &s, &hash).await?.path;
    let etag = format!("\"{hash}-{size}-q{}\"", state.library.settings().jpeg_quality);
    let revalidate = (header::CACHE_CONTROL, "private, no-cache".to_string());
    let sent = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if sent.is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag), revalidate]).into_response());
    }
    let bytes = state.library.thumbnail(&hash, &rel, spec).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg".to_string()), (header::ETAG, etag), revalidate], bytes).into_response())
}

/// Multipart, one or many files; they go to the album owner's library and into the album.
async fn upload(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> AppResult<Json<Value>> {
    let s = share_access::continue_visit(&state, &token, &headers).await?;
    let files = share_access::receive_visitor_files(&state, &s, multipart).await?;
    Ok(Json(json!({ "files": files })))
}
