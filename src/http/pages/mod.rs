//! Server-rendered pages: one module per resource, each with its own `router()`. Shared here:
//! the page shell every page fills (`Layout`) and rendering.

pub mod account;
pub mod admin_library;
pub mod admin_users;
pub mod album_links;
pub mod albums;
pub mod install;
pub mod partners;
pub mod photo_list;
pub mod photos;
pub mod places;
pub mod shared;
pub mod sign_in;
pub mod viewer;

use askama::Template;
use axum::Router;
use axum::response::Html;

use super::assets;
use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::config::AuthMode;
use crate::db::users::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sign_in::router())
        .merge(account::router())
        .merge(partners::router())
        .merge(photos::router())
        .merge(albums::router())
        .merge(album_links::router())
        .merge(viewer::router())
        .merge(shared::router())
        .merge(admin_users::router())
        .merge(admin_library::router())
        .merge(install::router())
        .merge(places::router())
}

/// What the base layout needs on every page.
pub struct Layout {
    pub title: String,
    pub user: Option<User>,
    pub csrf_token: String,
    pub css: String,
    pub js: String,
    /// Page scripts besides `app.js`, as versioned URLs.
    pub scripts: Vec<String>,
    /// Stylesheets besides `app.css` (the map's), as versioned URLs.
    pub styles: Vec<String>,
    /// Maps are on (not DISABLE_PLACES): the navigation offers Places.
    pub places: bool,
    /// `upload.js`, loaded for everyone who may upload.
    pub upload_js: String,
    /// No sign-in at all (AUTH_MODE=public): no sign-out button.
    pub public_mode: bool,
}

impl Layout {
    pub fn new(state: &AppState, title: impl Into<String>, current: Option<&CurrentUser>) -> Self {
        Layout {
            title: title.into(),
            user: current.map(|c| c.user.clone()),
            csrf_token: current.map(|c| c.csrf_token.clone()).unwrap_or_default(),
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            scripts: Vec::new(),
            styles: Vec::new(),
            places: state.config.places.enabled,
            upload_js: assets::url("upload.js"),
            public_mode: state.config.auth_mode == AuthMode::Public,
        }
    }

    /// Adds `static/<name>` to the page's scripts.
    pub fn with_script(mut self, name: &str) -> Self {
        self.scripts.push(assets::url(name));
        self
    }

    /// Adds `static/<name>` to the page's stylesheets.
    pub fn with_style(mut self, name: &str) -> Self {
        self.styles.push(assets::url(name));
        self
    }

    /// Whether the signed-in user may upload (the drop zone and the upload button).
    pub fn can_upload(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role != Role::Viewer)
    }
}

pub fn render(t: &impl Template) -> AppResult<Html<String>> {
    Ok(Html(t.render()?))
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
