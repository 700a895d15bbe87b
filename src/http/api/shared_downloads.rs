//! Downloads under a share link that allows them: a photo's original (`/api/v1/s/{token}/dl/{hash}`),
//! the files paired with it (`…/dl/{hash}/motion`, a Live Photo's clip; `…/dl/{hash}/companion`,
//! the RAW beside it) and the album's zip holding both. Asked of `share_access` at every request,
//! like the thumbnails. Where the link hides metadata originals are stripped and named after the
//! photo's id, a Motion Photo's original loses the clip appended to it (the clip has metadata of
//! its own), the clip is the plain rendition the stream plays, and RAW companions are not offered:
//! a RAW carries the camera's full metadata (place, time, serial number) and cannot be stripped.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, body::Bytes};

use super::media::valid_hash;
use super::shared_videos::{rendition, serve_clip};
use crate::error::{AppError, AppResult};
use crate::http::download::{attachment, zip_response};
use crate::http::share_access::{self, downloadable};
use crate::library::catalog::{self, LinkZipEntry, SharedAlbum, ZipItem};
use crate::library::sniff::Format;
use crate::library::strip;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/s/{token}/dl/{hash}", get(original))
        .route("/api/v1/s/{token}/dl/{hash}/{role}", get(paired))
        .route("/api/v1/s/{token}/zip", get(zip))
}

/// The files paired with a photo that the link offers for download, by role: a live photo's
/// clip, and the RAW beside it only where the link shows metadata (see the module's comment).
pub fn paired_offered(s: &SharedAlbum, media_type: &str, has_companion: bool) -> Vec<&'static str> {
    let motion = s.link.can_download && media_type == "live";
    let companion = s.link.can_download && s.link.show_metadata && has_companion;
    [("motion", motion), ("companion", companion)].into_iter().filter(|(_, offered)| *offered).map(|(r, _)| r).collect()
}

pub(super) fn refused_download(s: &SharedAlbum) -> AppError {
    if s.link.can_download {
        AppError::Forbidden("This photo's format cannot be downloaded through this link.".into())
    } else {
        AppError::Forbidden("This link does not allow downloads.".into())
    }
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The original, stripped of its metadata when the link hides it (then named after the photo's
/// id, not its file).
async fn original(
    State(state): State<AppState>,
    Path((token, hash)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let s = share_access::continue_visit(&state, &token, &headers).await?;
    if !valid_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let item = catalog::shared_item(&state.db, &s, &hash).await?;
    if !downloadable(&s, &item.format) {
        return Err(refused_download(&s));
    }
    let path = state.library.originals().join(&item.path);
    let mut bytes = tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)?;
    let (bytes, name) = if s.link.show_metadata {
        (bytes, file_name(&item.path).to_string())
    } else {
        let name = format!("photo-{}.{}", item.id, catalog::extension(&item.format));
        if let Some(len) = item.still_len() {
            bytes.truncate(len as usize);
        }
        let format = item.format.clone();
        let stripped = tokio::task::spawn_blocking(move || strip::strip_metadata(&format, &bytes))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let stripped = stripped.ok_or_else(|| {
            tracing::warn!(photo = item.id, "an original could not be stripped of its metadata: not served");
            refused_download(&s)
        })?;
        (stripped, name)
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream().to_string();
    let mut r = Body::from(Bytes::from(bytes)).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("image/jpeg")));
    h.insert(header::CONTENT_DISPOSITION, attachment(&name));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A file paired with the photo: `motion`, a live photo's clip (the MOV beside it, or the MP4
/// inside a Motion Photo), or `companion`, the RAW beside it. As stored where the link shows
/// metadata; otherwise the clip is its plain rendition and a RAW is refused.
async fn paired(
    State(state): State<AppState>,
    Path((token, hash, role)): Path<(String, String, String)>,
    request: Request,
) -> AppResult<Response> {
    let s = share_access::continue_visit(&state, &token, request.headers()).await?;
    if !valid_hash(&hash) || !matches!(role.as_str(), "motion" | "companion") {
        return Err(AppError::NotFound);
    }
    let item = catalog::shared_item(&state.db, &s, &hash).await?;
    if !s.link.can_download {
        return Err(refused_download(&s));
    }
    let (mut response, name) = if role == "motion" {
        if item.media_type != "live" {
            return Err(AppError::NotFound);
        }
        if s.link.show_metadata {
            let clip = item.stored_clip(state.library.originals()).ok_or(AppError::NotFound)?;
            let format = Format::parse(item.clip_format());
            let mime = format.map_or("application/octet-stream", Format::mime);
            // A Motion Photo's clip has no file of its own: it is named after its still.
            let name = match &item.motion_path {
                Some(rel) => file_name(rel).to_string(),
                None => {
                    let still = file_name(&item.path);
                    let stem = still.rsplit_once('.').map_or(still, |(stem, _)| stem);
                    format!("{stem}.{}", format.map_or("mp4", |f| catalog::extension(f.as_str())))
                }
            };
            (serve_clip(clip, mime, request, "no-store").await?, name)
        } else {
            let r = rendition(&state, &s, &item).await?;
            (serve_clip(r.clip, r.mime, request, "no-store").await?, format!("photo-{}.{}", item.id, r.extension))
        }
    } else {
        let rel = item.companion_path.as_deref().ok_or(AppError::NotFound)?;
        if !s.link.show_metadata {
            return Err(AppError::Forbidden(
                "This link hides metadata, and a RAW file carries all of the camera's (place, time, serial \
                 number) and cannot be stripped: download the photo itself instead."
                    .into(),
            ));
        }
        let mime = mime_guess::from_path(rel).first_or_octet_stream().to_string();
        let path = state.library.originals().join(rel);
        (super::videos::serve(&path, &mime, request, "no-store").await?, file_name(rel).to_string())
    };
    if response.status().is_success() {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, attachment(&name));
    }
    Ok(response)
}

/// The album's files as one zip; see `catalog::zip_entries` for what goes in. A live photo's
/// clip that cannot be made plain yet (its transcode is still being made) is left out.
async fn zip(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> AppResult<Response> {
    let s = share_access::continue_visit(&state, &token, &headers).await?;
    if !s.link.can_download {
        return Err(refused_download(&s));
    }
    let items = catalog::shared_items(&state.db, &s).await?;
    let mut files = Vec::new();
    for entry in catalog::zip_entries(state.library.originals(), items, s.link.show_metadata) {
        match entry {
            LinkZipEntry::File(item) => files.push(item),
            LinkZipEntry::PlainClip(item) => match rendition(&state, &s, &item).await {
                Ok(r) => files.push(ZipItem {
                    path: r.clip.path,
                    name: format!("photo-{}.{}", item.id, r.extension),
                    strip: None,
                    len: None,
                }),
                Err(e) => tracing::info!(photo = item.id, error = %e, "left a live photo's clip out of a zip"),
            },
        }
    }
    Ok(zip_response(&s.title, files))
}
