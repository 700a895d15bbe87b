//! The JSON API under `/api/v1` (and `/health`): one module per resource, each with its own
//! `router()`. Shared here: how a photo and a page of photos look in JSON.

pub mod album_groups;
pub mod album_members;
pub mod albums;
pub mod app_passwords;
pub mod health;
pub mod library;
pub mod links;
pub mod media;
pub mod oidc;
pub mod partners;
pub mod photos;
pub mod places;
pub mod session;
pub mod shared;
pub mod shared_downloads;
pub mod shared_videos;
pub mod users;
pub mod videos;

use axum::Router;
use serde_json::{Value, json};

use super::media_urls::MediaUrls;
use crate::library::catalog;
use crate::library::store::PhotoRow;
use crate::library::transcode::Playable;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(users::router())
        .merge(app_passwords::router())
        .merge(partners::router())
        .merge(session::router())
        .merge(oidc::router())
        .merge(health::router())
        .merge(library::router())
        .merge(photos::router())
        .merge(places::router())
        .merge(albums::router())
        .merge(album_members::router())
        .merge(album_groups::router())
        .merge(media::router())
        .merge(videos::router())
        .merge(shared_videos::router())
        .merge(shared_downloads::router())
        .merge(links::router())
        .merge(shared::router())
}

/// A photo as the API shows it: its row, the placeholder, and its media URLs.
fn photo_json(urls: &MediaUrls, p: &PhotoRow) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    v["placeholder"] = json!(MediaUrls::placeholder(p.placeholder.as_deref()));
    v["thumbnails"] = urls.thumbnails(&p.hash);
    v["original"] = json!(MediaUrls::original(&p.hash));
    // A live photo's clip plays through the same route as a video, under the still's hash.
    if p.media_type == "video" || p.media_type == "live" {
        v["video"] = json!(MediaUrls::video(&p.hash));
        let format = p.motion_format.as_deref().unwrap_or(&p.format);
        let playable = Playable::of(format, p.video_codec.as_deref(), p.transcode.as_deref());
        v["video_status"] = json!(playable.as_str());
    }
    v
}

/// A page of photos and the cursor of the next page.
fn page_json(urls: &MediaUrls, page: &catalog::Page) -> Value {
    let photos: Vec<Value> = page.photos.iter().map(|p| photo_json(urls, p)).collect();
    json!({ "photos": photos, "next": page.next.map(|c| c.to_string()) })
}
