//! A video or a Live Photo's clip under a share link, at `/api/v1/s/{token}/videos/{hash}`: what
//! the shared pages' `<video>` plays (a live photo's under its still's hash: the MOV beside it, or
//! the MP4 inside a Motion Photo). The link decides at every request, as for thumbnails: a visitor
//! may play a clip exactly where they may see its thumbnail, and a revoked link stops the stream
//! at the next range request. Where the link hides metadata the visitor gets the same pictures and
//! sound remuxed without the container's metadata (`library::plain_video`): no dates, GPS or camera.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use super::media::valid_hash;
use super::videos::{preparing, serve};
use crate::error::{AppError, AppResult};
use crate::http::{byte_slice, share_access};
use crate::library::catalog::{self, SharedAlbum, SharedItem};
use crate::library::plain_video::Container;
use crate::library::sniff::Format;
use crate::library::transcode::{Clip, Playable};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/s/{token}/videos/{hash}", get(stream))
}

async fn stream(
    State(state): State<AppState>,
    Path((token, hash)): Path<(String, String)>,
    request: Request,
) -> AppResult<Response> {
    let s = share_access::continue_visit(&state, &token, request.headers()).await?;
    if !valid_hash(&hash) {
        return Err(AppError::NotFound);
    }
    let item = catalog::shared_item(&state.db, &s, &hash).await?;
    let r = rendition(&state, &s, &item).await?;
    // `no-cache`: a browser asks again before reusing what it has, so a revoked link stops here.
    serve_clip(r.clip, r.mime, request, "private, no-cache").await
}

/// What a shared video or live photo plays as under a link.
pub(super) struct Rendition {
    pub clip: Clip,
    pub mime: &'static str,
    /// The file extension of its container.
    pub extension: &'static str,
}

/// The rendition browsers play (the clip as stored, or its H.264 transcode once it is made);
/// where the link hides metadata, that rendition remuxed without it, made on first request.
/// `404` for a still, `503` while the transcode is being made.
pub(super) async fn rendition(state: &AppState, s: &SharedAlbum, item: &SharedItem) -> AppResult<Rendition> {
    let (clip, format) = match item.playable().ok_or(AppError::NotFound)? {
        Playable::Transcoded => {
            (Clip { path: state.library.settings().cache.transcode_path(&item.hash), slice: None }, "mp4")
        }
        Playable::Preparing => return Err(preparing()),
        Playable::AsStored | Playable::Failed => {
            (item.stored_clip(state.library.originals()).ok_or(AppError::NotFound)?, item.clip_format())
        }
    };
    if s.link.show_metadata {
        let format = Format::parse(format);
        return Ok(Rendition {
            clip,
            mime: format.map_or("application/octet-stream", Format::mime),
            extension: format.map_or("bin", |f| catalog::extension(f.as_str())),
        });
    }
    let cannot = || AppError::Forbidden("This video cannot be played through this link without its metadata.".into());
    // Only what browsers play is remuxed; a video whose transcode failed stays unplayable.
    let container = Container::for_format(format).ok_or_else(cannot)?;
    let plain = state.library.plain_video(&item.hash, clip, container).await.map_err(|e| {
        tracing::warn!(
            link = s.link.id,
            error = format!("{e:#}"),
            "a video could not be stripped of its metadata: not served"
        );
        cannot()
    })?;
    Ok(Rendition { clip: Clip { path: plain, slice: None }, mime: container.mime(), extension: container.extension() })
}

/// Serves a clip once access is granted: a whole file through `videos::serve`, or a Motion
/// Photo's clip as the byte range of its still (`byte_slice`); ranges, 206 and 416 either way.
pub(super) async fn serve_clip(
    clip: Clip,
    mime: &'static str,
    request: Request,
    cache_control: &'static str,
) -> AppResult<Response> {
    match clip.slice {
        None => serve(&clip.path, mime, request, cache_control).await,
        Some((offset, len)) => {
            let mut r = byte_slice::serve(&clip.path, offset, len, mime, request.headers()).await?;
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
            Ok(r)
        }
    }
}
