//! The photo viewer (`/photos/{id}`): the photo, its facts, previous and next in the list it was
//! opened from, and its buttons as forms that work without JavaScript. `static/viewer.js` adds
//! keys and swipes.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::photo_list::{album_choices, alt_text, day_and_time, filters_only, kind, scope_of, with_query};
use super::{Layout, render};
use crate::auth::CurrentUser;
use crate::auth::session::safe_next;
use crate::config::PlacesConfig;
use crate::error::{AppError, AppResult};
use crate::http::assets;
use crate::http::extract::ListQuery;
use crate::http::media_urls::MediaUrls;
use crate::library::catalog::{self, Filter, Scope};
use crate::library::store::{self, PhotoRow};
use crate::library::transcode::Playable;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/photos/{id}", get(viewer).post(photo_action))
}

#[derive(Deserialize)]
struct PhotoForm {
    action: String,
    album_id: Option<i64>,
    #[serde(rename = "return")]
    back_to: Option<String>,
    after_delete: Option<String>,
}

/// The viewer's buttons without JavaScript: one action, then back to the page given.
async fn photo_action(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<PhotoForm>,
) -> AppResult<Redirect> {
    let (db, uid, ids) = (&state.db, current.user.id, &[id][..]);
    let here = safe_next(f.back_to.as_deref()).unwrap_or_else(|| format!("/photos/{id}"));
    let album = || f.album_id.ok_or_else(|| AppError::BadRequest("album_id: choose an album".into()));
    let to = match f.action.as_str() {
        "favorite" => catalog::set_favorite(db, uid, ids, true).await.map(|_| here)?,
        "unfavorite" => catalog::set_favorite(db, uid, ids, false).await.map(|_| here)?,
        "archive" => catalog::set_archived(db, uid, ids, true).await.map(|_| here)?,
        "unarchive" => catalog::set_archived(db, uid, ids, false).await.map(|_| here)?,
        "restore" => catalog::restore(db, uid, ids).await.map(|_| here)?,
        "private" | "not_private" => {
            let change = catalog::PhotoUpdate { private: Some(f.action == "private"), ..Default::default() };
            catalog::update_photo(db, uid, id, &change).await.map(|_| here)?
        }
        "trash" => {
            catalog::trash(db, uid, ids).await?;
            safe_next(f.after_delete.as_deref()).unwrap_or_else(|| "/".into())
        }
        "add_to_album" => catalog::add_to_album(db, uid, album()?, ids).await.map(|_| here)?,
        "remove_from_album" => {
            let a = album()?;
            catalog::remove_from_album(db, uid, a, ids).await?;
            format!("/albums/{a}")
        }
        "cover" => {
            let change = catalog::AlbumUpdate { cover: Some(Some(id)), ..Default::default() };
            catalog::update_album(db, uid, album()?, &change).await.map(|_| here)?
        }
        other => return Err(AppError::BadRequest(format!("action={other}: not an action on a photo"))),
    };
    Ok(Redirect::to(&to))
}

pub struct Neighbour {
    pub href: String,
    pub src: String,
    pub srcset: String,
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "viewer.html")]
struct ViewerPage {
    layout: Layout,
    id: i64,
    alt: String,
    src: String,
    srcset: String,
    width: i64,
    height: i64,
    placeholder: String,
    /// A video's stream: the stage shows a `<video>` with the poster frame instead of an image.
    video: Option<String>,
    /// A video whose browser rendition is still being made: the poster and a note instead.
    preparing: bool,
    /// A live photo's clip, ready for the browser: it plays over the still while the pointer
    /// hovers or a finger holds it (viewer.js).
    live_clip: Option<String>,
    newer: Option<Neighbour>,
    older: Option<Neighbour>,
    back: String,
    after_delete: String,
    here: String,
    facts: Vec<Fact>,
    map: Option<(String, String)>,
    minimap: Option<MiniMap>,
    download: String,
    file_name: String,
    /// The files paired with the photo, downloaded as stored: (label, URL, file name).
    paired: Vec<(&'static str, String, String)>,
    owned: bool,
    favorite: bool,
    archived: bool,
    trashed: bool,
    /// Never shown through sharing unless named in a selection link.
    private: bool,
    albums: Vec<(i64, String)>,
    in_album: Option<i64>,
}

/// The small map in the info panel (when maps are on): viewer.js loads Leaflet for it only when
/// the panel is opened, so the viewer stays light.
pub struct MiniMap {
    pub lat: f64,
    pub lng: f64,
    pub places: PlacesConfig,
    pub leaflet_js: String,
    pub leaflet_css: String,
    /// `places.js`, for the tile layer and its credit, made as on the Places page.
    pub places_js: String,
}

fn fit_urls(urls: &MediaUrls, p: &PhotoRow) -> (String, String) {
    let u = |s: &str| urls.thumbnail(&p.hash, s);
    (u("fit_1280"), format!("{} 1280w, {} 1920w, {} 2560w", u("fit_1280"), u("fit_1920"), u("fit_2560")))
}

fn format_number(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn facts(p: &PhotoRow, file: Option<&store::FileRow>) -> Vec<Fact> {
    let mut facts = Vec::new();
    let offset = match &p.taken_offset {
        Some(o) => format!(" (UTC{o})"),
        None => " (time zone unknown)".to_string(),
    };
    facts.push(Fact { label: "Taken", value: format!("{}{offset}", day_and_time(&p.taken_local)) });
    let camera: Vec<&str> = [p.camera_make.as_deref(), p.camera_model.as_deref()].into_iter().flatten().collect();
    if !camera.is_empty() {
        facts.push(Fact { label: "Camera", value: camera.join(" ") });
    }
    if let Some(l) = &p.lens {
        facts.push(Fact { label: "Lens", value: l.clone() });
    }
    if let (Some(ms), "video") = (p.duration_ms, p.media_type.as_str()) {
        facts.push(Fact { label: "Length", value: super::photo_list::duration_text(ms) });
    }
    let mut exposure = Vec::new();
    if let Some(f) = p.f_number {
        exposure.push(format!("f/{}", format_number(f)));
    }
    if let Some(t) = &p.exposure_time {
        exposure.push(format!("{t} s"));
    }
    if let Some(iso) = p.iso {
        exposure.push(format!("ISO {iso}"));
    }
    if let Some(fl) = p.focal_length {
        exposure.push(format!("{} mm", format_number(fl)));
    }
    if !exposure.is_empty() {
        facts.push(Fact { label: "Exposure", value: exposure.join(" · ") });
    }
    let mut size = format!("{} × {} pixels", p.width, p.height);
    if let Some(f) = file {
        size.push_str(&format!(", {}", human_size(f.size)));
    }
    facts.push(Fact { label: "Size", value: size });
    if let Some(f) = file {
        facts.push(Fact { label: "File", value: f.path.clone() });
    }
    facts
}

/// Whose photo this is when it is not the viewer's, and who put it in the album it is seen in.
async fn credits(state: &AppState, p: &PhotoRow, owned: bool, scope: Scope) -> AppResult<Vec<Fact>> {
    let mut out = Vec::new();
    if let Scope::Album(album) = scope
        && let Some((_, owner, added_by)) = catalog::album_credits(&state.db, album, &[p.id]).await?.into_iter().next()
    {
        if !owned {
            out.push(Fact { label: "Owner", value: owner });
        }
        out.push(Fact { label: "Added by", value: added_by });
    } else if !owned && let Some(owner) = crate::db::users::by_id(&state.db, p.owner_id).await? {
        out.push(Fact { label: "Owner", value: owner.username });
    }
    Ok(out)
}

/// The credits first: who shared a photo matters more than its exposure.
fn with_credits(facts: Vec<Fact>, mut credits: Vec<Fact>) -> Vec<Fact> {
    credits.extend(facts);
    credits
}

#[derive(Deserialize, Default)]
struct ViewerQuery {
    #[serde(rename = "in")]
    scope: Option<String>,
}

async fn viewer(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
    Query(vq): Query<ViewerQuery>,
    Query(lq): Query<ListQuery>,
) -> AppResult<Response> {
    let uid = current.user.id;
    let p = store::photo_for(&state.db, uid, id).await?.ok_or(AppError::NotFound)?;
    let scope = scope_of(vq.scope.as_deref()).ok_or_else(|| {
        AppError::BadRequest("in: use timeline, favorites, archive, trash, album-<id> or partner-<id>".into())
    })?;
    let filter = if scope == Scope::Timeline { lq.filter()? } else { Filter::default() };
    let album_title = match scope {
        Scope::Album(a) => Some(catalog::album(&state.db, uid, a).await?.title),
        Scope::Partner(owner) => Some(catalog::partner_library(&state.db, uid, owner).await?),
        _ => None,
    };
    let k = kind(scope, album_title.as_deref());
    let owned = p.owner_id == uid;
    let (mut newer_row, mut older_row) = (None, None);
    // A partner's photos are walked in their list; a timeline may hold them beside the viewer's.
    if owned || matches!(scope, Scope::Partner(_) | Scope::Timeline) {
        let (n, o) = catalog::neighbours(&state.db, uid, scope, &filter, &p).await?;
        if let Some(n) = n {
            newer_row = store::photo_for(&state.db, uid, n).await?;
        }
        if let Some(o) = o {
            older_row = store::photo_for(&state.db, uid, o).await?;
        }
    }
    let urls = MediaUrls::for_user(state.library.token_key(), &current.user);
    let (src, srcset) = fit_urls(&urls, &p);
    let filters = filters_only(raw.as_deref());
    let link_q = with_query("", &filters, Some(("in", &k.name)));
    let neighbour = |n: &PhotoRow| {
        let (src, srcset) = fit_urls(&urls, n);
        Neighbour { href: format!("/photos/{}{link_q}", n.id), src, srcset }
    };
    // Back to the list page that starts at this photo, scrolled to it.
    let list_from_here = match &newer_row {
        Some(n) => {
            with_query(&k.base, &filters, Some(("after", &catalog::cursor_of(&state.db, scope, n).await?.to_string())))
        }
        None => with_query(&k.base, &filters, None),
    };
    let back = format!("{list_from_here}#p{}", p.id);
    let after_delete = match &older_row {
        Some(o) => format!("{list_from_here}#p{}", o.id),
        None => list_from_here.clone(),
    };
    let files = if owned { store::files_of(&state.db, p.id).await? } else { Vec::new() };
    let file = files.iter().find(|f| f.status == "indexed" && f.role == "primary");
    let paired = files
        .iter()
        .filter(|f| f.status == "indexed" && f.role != "primary")
        .map(|f| {
            let label = if f.role == "motion" { "Download clip" } else { "Download RAW" };
            let name = f.path.rsplit('/').next().unwrap_or(&f.path).to_string();
            (label, MediaUrls::paired(&p.hash, &f.role), name)
        })
        .collect();
    let file_name = file.map(|f| f.path.rsplit('/').next().unwrap_or(&f.path).to_string()).unwrap_or_default();
    let map = match (p.latitude, p.longitude) {
        (Some(lat), Some(lon)) => Some((
            format!("{lat:.5}, {lon:.5}"),
            format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=15/{lat:.5}/{lon:.5}"),
        )),
        _ => None,
    };
    let minimap = match (p.latitude, p.longitude) {
        (Some(lat), Some(lng)) if state.config.places.enabled => Some(MiniMap {
            lat,
            lng,
            places: state.config.places.clone(),
            leaflet_js: assets::url("vendor/leaflet/leaflet.js"),
            leaflet_css: assets::url("vendor/leaflet/leaflet.css"),
            places_js: assets::url("places.js"),
        }),
        _ => None,
    };
    let credits = credits(&state, &p, owned, scope).await?;
    let title = if p.title.is_empty() { day_and_time(&p.taken_local) } else { p.title.clone() };
    let albums = if owned { album_choices(&state, uid).await? } else { Vec::new() };
    let page = ViewerPage {
        layout: Layout::new(&state, title, Some(&current)).with_script("viewer.js"),
        id: p.id,
        alt: alt_text(&p),
        src,
        srcset,
        width: p.width,
        height: p.height,
        placeholder: MediaUrls::placeholder(p.placeholder.as_deref()).unwrap_or_default(),
        video: (p.media_type == "video").then(|| MediaUrls::video(&p.hash)),
        preparing: p.media_type == "video"
            && Playable::of(&p.format, p.video_codec.as_deref(), p.transcode.as_deref()) == Playable::Preparing,
        live_clip: (p.media_type == "live"
            && Playable::of(
                p.motion_format.as_deref().unwrap_or(&p.format),
                p.video_codec.as_deref(),
                p.transcode.as_deref(),
            ) != Playable::Preparing)
            .then(|| MediaUrls::video(&p.hash)),
        newer: newer_row.as_ref().map(neighbour),
        older: older_row.as_ref().map(neighbour),
        back,
        after_delete,
        here: format!("/photos/{}{link_q}", p.id),
        facts: with_credits(facts(&p, file), credits),
        map,
        minimap,
        download: MediaUrls::original(&p.hash),
        file_name,
        paired,
        owned,
        favorite: p.favorite,
        archived: p.archived_at.is_some(),
        trashed: p.trashed_at.is_some(),
        private: p.private,
        albums,
        in_album: match scope {
            Scope::Album(a) => Some(a),
            _ => None,
        },
    };
    Ok(render(&page)?.into_response())
}
