//! A video under a share link, at `/api/v1/s/{token}/videos/{hash}`: what the shared pages'
//! `<video>` plays. The link decides at every request, as for thumbnails: a visitor may play a
//! video exactly where they may see its thumbnail, and a revoked link stops the stream at the
//! next range request. Where the link hides metadata the visitor gets the same pictures and sound
//! remuxed without the container's metadata (`library::plain_video`): no dates, GPS or camera.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::get;

use super::media::valid_hash;
use super::videos::{preparing, serve};
use crate::error::{AppError, AppResult};
use crate::http::share_access;
use crate::library::catalog;
use crate::library::plain_video::Container;
use crate::library::sniff::Format;
use crate::library::transcode::Playable;
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
    let video = catalog::shared_video(&state.db, &s, &hash).await?;
    // What plays in a browser: the original, or its H.264 transcode once it is made.
    let (source, format) = match Playable::of(&video.format, video.video_codec.as_deref(), video.transcode.as_deref()) {
        Playable::Transcoded => (state.library.settings().cache.transcode_path(&hash), "mp4"),
        Playable::Preparing => return Err(preparing()),
        Playable::AsStored | Playable::Failed => (state.library.originals().join(&video.path), video.format.as_str()),
    };
    let (path, mime) = if s.link.show_metadata {
        (source, Format::parse(format).map_or("application/octet-stream", Format::mime))
    } else {
        let cannot =
            || AppError::Forbidden("This video cannot be played through this link without its metadata.".into());
        // Only what browsers play is remuxed; a video whose transcode failed stays unplayable.
        let container = Container::for_format(format).ok_or_else(cannot)?;
        let plain = state.library.plain_video(&hash, source, container).await.map_err(|e| {
            tracing::warn!(
                link = s.link.id,
                error = format!("{e:#}"),
                "a video could not be stripped of its metadata: not served"
            );
            cannot()
        })?;
        (plain, container.mime())
    };
    // `no-cache`: a browser asks again before reusing what it has, so a revoked link stops here.
    serve(&path, mime, request, "private, no-cache").await
}
