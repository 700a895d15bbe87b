//! The only place that issues media tokens and builds media URLs: thumbnails
//! (`/api/v1/t/{hash}/{token}/{size}`, the token names the viewer so `<img>` tags need no
//! session), originals (`/api/v1/dl/{hash}`), video streams (`/api/v1/videos/{hash}`) and the inline ThumbHash placeholders; and the
//! URLs under a share link (`/s/{token}`, `/api/v1/s/{token}/…`, its video streams included), which carry the link's token
//! and are checked against the link's row at every request, so revoking a link ends them at once.

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

    /// The file paired with a photo (`motion`: a Live Photo's clip; `companion`: the RAW beside
    /// it), downloaded as stored; opened with the session, like originals.
    pub fn paired(hash: &str, role: &str) -> String {
        format!("/api/v1/dl/{hash}/{role}")
    }

    /// A video's stream, for `<video>`; opened with the session, like originals.
    pub fn video(hash: &str) -> String {
        format!("/api/v1/videos/{hash}")
    }

    /// The ThumbHash placeholder as base64, shown blurred while the thumbnail loads.
    pub fn placeholder(bytes: Option<&[u8]>) -> Option<String> {
        bytes.map(|b| base64::engine::general_purpose::STANDARD.encode(b))
    }
}

/// The URLs of one share link. The token is a credential; it appears only in these paths.
pub struct LinkUrls {
    token: String,
}

impl LinkUrls {
    pub fn new(token: &str) -> LinkUrls {
        LinkUrls { token: token.to_string() }
    }

    /// The visitor's album page, as a path.
    pub fn page(&self) -> String {
        format!("/s/{}", self.token)
    }

    /// The shareable address: the album page on SITE_URL.
    pub fn shareable(&self, site_url: &url::Url) -> String {
        format!("{}{}", site_url.as_str().trim_end_matches('/'), self.page())
    }

    pub fn photo_page(&self, id: i64) -> String {
        format!("/s/{}/photos/{id}", self.token)
    }

    pub fn unlock_form(&self) -> String {
        format!("/s/{}/unlock", self.token)
    }

    pub fn thumbnail(&self, hash: &str, size: &str) -> String {
        format!("/api/v1/s/{}/t/{hash}/{size}", self.token)
    }

    pub fn thumbnails(&self, hash: &str) -> Value {
        let map: serde_json::Map<String, Value> =
            SIZES.iter().map(|s| (s.name.to_string(), json!(self.thumbnail(hash, s.name)))).collect();
        Value::Object(map)
    }

    pub fn original(&self, hash: &str) -> String {
        format!("/api/v1/s/{}/dl/{hash}", self.token)
    }

    /// A file paired with a photo (`motion`, `companion`) under the link.
    pub fn paired(&self, hash: &str, role: &str) -> String {
        format!("/api/v1/s/{}/dl/{hash}/{role}", self.token)
    }

    /// A video's stream (or a live photo's clip) under the link, for the shared pages' `<video>`.
    pub fn video(&self, hash: &str) -> String {
        format!("/api/v1/s/{}/videos/{hash}", self.token)
    }

    pub fn zip(&self) -> String {
        format!("/api/v1/s/{}/zip", self.token)
    }
}

/// The request path as logged. A thumbnail URL (`/api/v1/t/{hash}/{token}/{size}`) carries a
/// media token that opens every thumbnail of its viewer for a day or more: a credential, so the
/// log shows `***` in its place.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const THUMBNAILS: &str = "/api/v1/t/";
    // A share link's token opens its album: `***` too, in the page and the API paths.
    for prefix in ["/s/", "/api/v1/s/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return match rest.split_once('/') {
                Some((_, tail)) => format!("{prefix}***/{tail}").into(),
                None => format!("{prefix}***").into(),
            };
        }
    }
    match path.strip_prefix(THUMBNAILS).map(|rest| rest.splitn(3, '/').collect::<Vec<_>>()) {
        Some(parts) if parts.len() == 3 => format!("{THUMBNAILS}{}/***/{}", parts[0], parts[2]).into(),
        Some(_) => format!("{THUMBNAILS}***").into(),
        None => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn share_link_tokens_and_media_tokens_never_reach_the_log() {
        assert_eq!(loggable_path("/s/abc123"), "/s/***");
        assert_eq!(loggable_path("/s/abc123/photos/7"), "/s/***/photos/7");
        assert_eq!(loggable_path("/api/v1/s/abc123/t/ff/tile_224"), "/api/v1/s/***/t/ff/tile_224");
        assert_eq!(loggable_path("/api/v1/t/ff/tok/tile_224"), "/api/v1/t/ff/***/tile_224");
        assert_eq!(loggable_path("/albums/3/links"), "/albums/3/links");
    }
}
