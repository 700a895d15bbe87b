//! The only place that issues media tokens and builds media URLs: thumbnails
//! (`/api/v1/t/{hash}/{token}/{size}`, the token names the viewer so `<img>` tags need no
//! session), originals (`/api/v1/dl/{hash}`) and the inline ThumbHash placeholders.

use base64::Engine;
use serde_json::{Value, json};

use crate::db::users::User;
use crate::library::thumbs::SIZES;
use crate::library::{TokenKey, Viewer};

/// Media URLs for one viewer; the token is issued once and shared by every URL of a page.
pub struct MediaUrls {
    token: String,
}

impl MediaUrls {
    pub fn for_user(key: &TokenKey, user: &User) -> MediaUrls {
        let viewer = Viewer::User { id: user.id, generation: user.session_generation };
        MediaUrls { token: key.issue(viewer, crate::db::now()) }
    }

    /// One thumbnail size (`tile_224`, `fit_1280`, … from `library::thumbs::SIZES`).
    pub fn thumbnail(&self, hash: &str, size: &str) -> String {
        format!("/api/v1/t/{hash}/{}/{size}", self.token)
    }

    /// Every thumbnail size, as the API shows a photo's `thumbnails`.
    pub fn thumbnails(&self, hash: &str) -> Value {
        let map: serde_json::Map<String, Value> =
            SIZES.iter().map(|s| (s.name.to_string(), json!(self.thumbnail(hash, s.name)))).collect();
        Value::Object(map)
    }

    /// The original file; opened with the session, so it carries no token.
    pub fn original(hash: &str) -> String {
        format!("/api/v1/dl/{hash}")
    }

    /// The ThumbHash placeholder as base64, shown blurred while the thumbnail loads.
    pub fn placeholder(bytes: Option<&[u8]>) -> Option<String> {
        bytes.map(|b| base64::engine::general_purpose::STANDARD.encode(b))
    }
}

/// The request path as logged. A thumbnail URL (`/api/v1/t/{hash}/{token}/{size}`) carries a
/// media token that opens every thumbnail of its viewer for a day or more: a credential, so the
/// log shows `***` in its place.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const THUMBNAILS: &str = "/api/v1/t/";
    match path.strip_prefix(THUMBNAILS).map(|rest| rest.splitn(3, '/').collect::<Vec<_>>()) {
        Some(parts) if parts.len() == 3 => format!("{THUMBNAILS}{}/***/{}", parts[0], parts[2]).into(),
        Some(_) => format!("{THUMBNAILS}***").into(),
        None => path.into(),
    }
}
