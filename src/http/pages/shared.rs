//! What a share link's visitor sees, with no account: `/s/{token}` (the album's grid, or first
//! the password prompt), its unlock form and `/s/{token}/photos/{id}` (one photo, or a video that plays). No account
//! menu; every request asks `share_access`, so a revoked, expired or used-up link shows nothing.
//! A live photo's clip plays over its still on hover or press-and-hold, as in the owner's viewer.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Layout, render};
use crate::auth::MaybeUser;
use crate::auth::client::ClientAddr;
use crate::error::{AppError, AppResult};
use crate::http::api::shared_downloads::paired_offered;
use crate::http::extract::ListQuery;
use crate::http::media_urls::LinkUrls;
use crate::http::share_access;
use crate::library::catalog::{self, SharedAlbum};
use crate::library::store::PhotoRow;
use crate::library::transcode::Playable;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(album))
        .route("/s/{token}/unlock", post(unlock))
        .route("/s/{token}/photos/{id}", get(photo))
        .route("/s/{token}/upload", post(upload).layer(DefaultBodyLimit::disable()))
}

pub struct Tile {
    pub href: String,
    pub small: String,
    pub large: String,
    pub alt: String,
    /// A video's length, shown on its tile.
    pub duration: Option<String>,
    /// A live photo: the tile says so.
    pub live: bool,
}

#[derive(Template)]
#[template(path = "shared_album.html")]
struct AlbumPage {
    layout: Layout,
    description: String,
    comment: String,
    zip: Option<String>,
    /// The upload form's address, when the link takes uploads and the visitor has no session
    /// here (a signed-in session's CSRF check needs a header that a plain multipart form
    /// cannot send).
    upload: Option<String>,
    uploads_need_sign_out: bool,
    tiles: Vec<Tile>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "shared_locked.html")]
struct LockedPage {
    layout: Layout,
    action: String,
    /// The signed-in session's CSRF token when the visitor also has an account here: the CSRF
    /// layer asks for it on every form of a signed-in session.
    csrf_token: String,
    error: Option<String>,
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "shared_photo.html")]
struct PhotoPage {
    layout: Layout,
    back: String,
    src: String,
    width: i64,
    height: i64,
    alt: String,
    description: String,
    download: Option<String>,
    facts: Vec<Fact>,
    /// A video's stream under the link: the stage shows a `<video>` with the poster frame.
    video: Option<String>,
    /// A video whose browser rendition is still being made: the poster and a note instead.
    preparing: bool,
    /// A live photo's clip under the link, ready for the browser: it plays over the still while
    /// the pointer hovers or a finger holds it (viewer.js, as in the owner's viewer).
    live_clip: Option<String>,
    /// The files paired with the photo that the link offers: (label, URL).
    paired: Vec<(&'static str, String)>,
}

fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

fn locked(
    state: &AppState,
    title: &str,
    token: &str,
    visitor: &MaybeUser,
    error: Option<String>,
) -> AppResult<Response> {
    let page = LockedPage {
        layout: Layout::new(state, title, None),
        action: LinkUrls::new(token).unlock_form(),
        csrf_token: visitor.0.as_ref().map(|c| c.csrf_token.clone()).unwrap_or_default(),
        error,
    };
    Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response())
}

async fn album(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
    visitor: MaybeUser,
) -> AppResult<Response> {
    let (s, cookie) = match share_access::open_visit(&state, &token, &headers).await {
        Err(AppError::PasswordRequired(_)) => return locked(&state, "Protected album", &token, &visitor, None),
        other => other?,
    };
    let urls = LinkUrls::new(&token);
    let page = catalog::shared_photos(&state.db, &s, q.after()?, q.limit()?).await?;
    let tiles = page
        .photos
        .iter()
        .map(|p| Tile {
            href: urls.photo_page(p.id),
            small: urls.thumbnail(&p.hash, "tile_224"),
            large: urls.thumbnail(&p.hash, "tile_500"),
            alt: alt(p),
            duration: p.duration_ms.filter(|_| p.media_type == "video").map(super::photo_list::duration_text),
            live: p.media_type == "live",
        })
        .collect();
    let html = render(&AlbumPage {
        layout: Layout::new(&state, s.title.clone(), None),
        description: s.description.clone(),
        comment: s.link.comment.clone(),
        zip: s.link.can_download.then(|| urls.zip()),
        upload: (s.link.can_upload && visitor.0.is_none()).then(|| format!("{}/upload", urls.page())),
        uploads_need_sign_out: s.link.can_upload && visitor.0.is_some(),
        tiles,
        next: page.next.map(|c| format!("{}?after={c}", urls.page())),
    })?;
    Ok(with_cookie(html.into_response(), cookie))
}

fn alt(p: &PhotoRow) -> String {
    if p.title.is_empty() { format!("Photo {}", p.id) } else { p.title.clone() }
}

#[derive(Deserialize)]
struct UnlockForm {
    #[serde(default)]
    password: String,
}

/// A right password goes to the album with a pass; a wrong one shows the prompt again.
async fn unlock(
    State(state): State<AppState>,
    Path(token): Path<String>,
    addr: ClientAddr,
    visitor: MaybeUser,
    Form(f): Form<UnlockForm>,
) -> AppResult<Response> {
    match share_access::unlock(&state, &token, f.password, addr).await {
        Ok((_, cookie)) => Ok(with_cookie(Redirect::to(&LinkUrls::new(&token).page()).into_response(), cookie)),
        Err(AppError::PasswordRequired(m)) => locked(&state, "Protected album", &token, &visitor, Some(m)),
        Err(e) => Err(e),
    }
}

fn facts(p: &PhotoRow) -> Vec<Fact> {
    let mut facts = vec![Fact { label: "Taken", value: p.taken_local.replace('T', " ") }];
    let camera: Vec<&str> = [p.camera_make.as_deref(), p.camera_model.as_deref()].into_iter().flatten().collect();
    if !camera.is_empty() {
        facts.push(Fact { label: "Camera", value: camera.join(" ") });
    }
    if let Some(l) = &p.lens {
        facts.push(Fact { label: "Lens", value: l.clone() });
    }
    if let (Some(lat), Some(lon)) = (p.latitude, p.longitude) {
        facts.push(Fact { label: "Location", value: format!("{lat:.5}, {lon:.5}") });
    }
    facts
}

/// One photo. Without a pass (or with a locked link) it sends the visitor to the album, which
/// asks for the password or starts the visit.
async fn photo(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let urls = LinkUrls::new(&token);
    let s: SharedAlbum = match share_access::continue_visit(&state, &token, &headers).await {
        Err(AppError::PasswordRequired(_) | AppError::Unauthorized(_)) => {
            return Ok(Redirect::to(&urls.page()).into_response());
        }
        other => other?,
    };
    let p = catalog::shared_photo(&state.db, &s, id).await?;
    let downloadable = share_access::downloadable(&s, &p.format);
    let has_companion = catalog::with_companion(&state.db, &[p.id]).await?.contains(&p.id);
    let paired = paired_offered(&s, &p.media_type, has_companion)
        .into_iter()
        .map(|role| (if role == "motion" { "Download clip" } else { "Download RAW" }, urls.paired(&p.hash, role)))
        .collect();
    let clip_playable =
        Playable::of(p.motion_format.as_deref().unwrap_or(&p.format), p.video_codec.as_deref(), p.transcode.as_deref());
    let title = if p.title.is_empty() { s.title.clone() } else { p.title.clone() };
    let page = PhotoPage {
        layout: Layout::new(&state, title, None).with_script("viewer.js"),
        back: urls.page(),
        src: urls.thumbnail(&p.hash, "fit_1280"),
        width: p.width,
        height: p.height,
        alt: alt(&p),
        description: p.description.clone(),
        download: downloadable.then(|| urls.original(&p.hash)),
        facts: if s.link.show_metadata { facts(&p) } else { Vec::new() },
        video: (p.media_type == "video").then(|| urls.video(&p.hash)),
        preparing: p.media_type == "video" && clip_playable == Playable::Preparing,
        live_clip: (p.media_type == "live" && clip_playable != Playable::Preparing).then(|| urls.video(&p.hash)),
        paired,
    };
    Ok(render(&page)?.into_response())
}

/// The upload form: files go to the owner's library and the album; back to the album after.
async fn upload(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> AppResult<Response> {
    let s = share_access::continue_visit(&state, &token, &headers).await?;
    share_access::receive_visitor_files(&state, &s, multipart).await?;
    Ok(Redirect::to(&LinkUrls::new(&token).page()).into_response())
}
