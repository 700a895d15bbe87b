//! The HTTP surface. `pages` (server-rendered HTML) and `api` (JSON under `/api/v1`) hold one
//! module per resource, each with its own `router()`; resource modules never import each other.
//! The pieces they share have their own modules: `extract` (list queries, JSON bodies, the
//! `Admin` extractor), `byte_slice` (a clip inside a file, with ranges), `media_urls` (the only place media tokens and URLs are made), `download`
//! (Content-Disposition and zips), `assets` (static files and their versioned URLs),
//! `share_access` (the checks every request under a share link passes), `middleware` (security
//! headers, HTML error pages) and `webdav` (`/originals/` and `/import/` for sync clients).

pub mod api;
pub mod assets;
pub mod byte_slice;
pub mod download;
pub mod extract;
pub mod media_urls;
pub mod middleware;
pub mod pages;
pub mod share_access;
pub mod webdav;

use axum::Router;

use crate::state::AppState;

/// Every route of Shoebox; `app::router` adds the layers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(api::router())
        .merge(assets::router())
        .merge(webdav::router())
        .fallback(pages::not_found)
}
