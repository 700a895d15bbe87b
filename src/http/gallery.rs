//! The gallery pages: the timeline (`/`), the viewer (`/photos/{id}`) and the administrator's
//! library page (`/admin/library`). Server-rendered; `static/gallery.js`, `static/viewer.js` and
//! `static/library.js` enhance them (placeholders, infinite scroll, keys and swipes, live progress).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;

use super::admin::Admin;
use super::pages::{Layout, render};
use super::photos_api::ListQuery;
use crate::auth::CurrentUser;
use crate::auth::session::safe_next;
use crate::error::{AppError, AppResult};
use crate::library::catalog::{self, Cursor, Filter, Scope};
use crate::library::store::{self, PhotoRow};
use crate::library::{CannotIndex, IndexOptions, Viewer};
use crate::state::AppState;

/// Photos per timeline page.
pub const PAGE: i64 = 80;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(timeline))
        .route("/favorites", get(favorites))
        .route("/archive", get(archive))
        .route("/trash", get(trash))
        .route("/trash/empty", post(empty_trash))
        .route("/albums", get(albums).post(create_album))
        .route("/albums/{id}", get(album_page).post(change_album))
        .route("/photos/{id}", get(viewer).post(photo_action))
        .route("/admin/library", get(admin_library))
        .route("/admin/library/index", post(admin_index))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2023-07-14T18:30:05` → (`2023-07`, `July 2023`).
fn month_of(local: &str) -> (String, String) {
    let key = local.get(..7).unwrap_or("0000-00").to_string();
    let m: usize = local.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let label = match MONTHS.get(m.wrapping_sub(1)) {
        Some(name) => format!("{name} {}", &key[..4]),
        None => "Unknown date".to_string(),
    };
    (key, label)
}

/// `2023-07-14T18:30:05` → `14 July 2023, 18:30`.
fn day_and_time(local: &str) -> String {
    let (_, label) = month_of(local);
    let day = local.get(8..10).map(|d| d.trim_start_matches('0')).unwrap_or("");
    let time = local.get(11..16).unwrap_or("");
    let mut parts = label.splitn(2, ' ');
    let (month, year) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    format!("{day} {month} {year}, {time}")
}

fn alt_text(p: &PhotoRow) -> String {
    if p.title.is_empty() { format!("Photo taken {}", day_and_time(&p.taken_local)) } else { p.title.clone() }
}

pub struct Tile {
    pub id: i64,
    pub href: String,
    pub small: String,
    pub large: String,
    pub placeholder: String,
    pub alt: String,
}

pub struct Month {
    pub key: String,
    pub label: String,
    pub tiles: Vec<Tile>,
}

/// Tiles grouped under month headings, in the order given; thumbnail URLs carry a media token.
pub fn months(state: &AppState, viewer: i64, rows: &[PhotoRow], link_suffix: &str) -> Vec<Month> {
    let token = state.library.token_key().issue(Viewer::User(viewer), crate::db::now());
    let mut out: Vec<Month> = Vec::new();
    for p in rows {
        let (key, label) = month_of(&p.taken_local);
        if out.last().is_none_or(|m| m.key != key) {
            out.push(Month { key, label, tiles: Vec::new() });
        }
        let thumb = |size: &str| format!("/api/v1/t/{}/{token}/{size}", p.hash);
        let tile = Tile {
            id: p.id,
            href: format!("/photos/{}{link_suffix}", p.id),
            small: thumb("tile_224"),
            large: thumb("tile_500"),
            placeholder: p
                .placeholder
                .as_ref()
                .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
                .unwrap_or_default(),
            alt: alt_text(p),
        };
        out.last_mut().expect("pushed above").tiles.push(tile);
    }
    out
}

// ---- list pages (post-merge) ----

/// Where a list lives and what it offers; one per scope.
struct ListKind {
    scope: Scope,
    /// `timeline`, `favorites`, `archive`, `trash`, `album-<id>`: the viewer's `in`.
    name: String,
    base: String,
    heading: String,
    empty_title: &'static str,
    empty_hint: &'static str,
    actions: Vec<(&'static str, &'static str)>,
}

fn kind(scope: Scope, album_title: Option<&str>) -> ListKind {
    let (name, base, heading, empty_title, empty_hint, actions): (String, String, String, _, _, Vec<_>) = match scope {
        Scope::Timeline => (
            "timeline".into(),
            "/".into(),
            "Photos".into(),
            "No photos yet",
            "No photo matches this search. Change the filters or clear them.",
            vec![("favorite", "Favourite"), ("archive", "Archive"), ("trash", "Delete")],
        ),
        Scope::Favorites => (
            "favorites".into(),
            "/favorites".into(),
            "Favourites".into(),
            "No favourites yet",
            "Mark a photo with ☆ Favourite in the viewer, or select photos and choose Favourite.",
            vec![("unfavorite", "Not a favourite"), ("archive", "Archive"), ("trash", "Delete")],
        ),
        Scope::Archive => (
            "archive".into(),
            "/archive".into(),
            "Archive".into(),
            "The archive is empty",
            "Archived photos leave the timeline and wait here until you unarchive them.",
            vec![("unarchive", "Unarchive"), ("favorite", "Favourite"), ("trash", "Delete")],
        ),
        Scope::Trash => (
            "trash".into(),
            "/trash".into(),
            "Trash".into(),
            "The trash is empty",
            "Deleted photos wait here until the trash is emptied or they expire.",
            vec![("restore", "Restore")],
        ),
        Scope::Album(id) => (
            format!("album-{id}"),
            format!("/albums/{id}"),
            album_title.unwrap_or("Album").to_string(),
            "This album is empty",
            "Add photos from the viewer, or select photos in a grid and choose Add to album.",
            vec![
                ("remove_from_album", "Remove from album"),
                ("favorite", "Favourite"),
                ("archive", "Archive"),
                ("trash", "Delete"),
            ],
        ),
    };
    ListKind { scope, name, base, heading, empty_title, empty_hint, actions }
}

/// The viewer's `in=`: which list the previous/next links walk.
fn scope_of(name: Option<&str>) -> Option<Scope> {
    match name.unwrap_or("timeline") {
        n if n.starts_with("album-") => n[6..].parse().ok().map(Scope::Album),
        n => Scope::parse(n),
    }
}

/// The query string without `after` (and, for the viewer, without `in`): the filters.
fn filters_only(raw: Option<&str>) -> String {
    let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, v)| k != "after" && k != "in" && !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect::<Vec<_>>();
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn with_query(base: &str, query: &str, extra: Option<(&str, &str)>) -> String {
    let mut q = query.to_string();
    if let Some((k, v)) = extra {
        let pair = url::form_urlencoded::Serializer::new(String::new()).append_pair(k, v).finish();
        q = if q.is_empty() { pair } else { format!("{q}&{pair}") };
    }
    if q.is_empty() { base.to_string() } else { format!("{base}?{q}") }
}

pub struct SearchForm {
    pub active: bool,
    pub q: String,
    pub from: String,
    pub to: String,
    pub year: String,
    pub months: Vec<(u32, &'static str, bool)>,
    pub cameras: Vec<(String, bool)>,
    pub favorites: bool,
    pub location: bool,
}

#[derive(Deserialize, Default)]
struct Paging {
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "photos.html")]
struct PhotosPage {
    layout: Layout,
    heading: String,
    hide_heading: bool,
    scope_name: String,
    album_id: String,
    album: Option<AlbumInfo>,
    search: Option<SearchForm>,
    trash_form: Option<String>,
    months: Vec<Month>,
    next: Option<String>,
    first_page: String,
    later_page: bool,
    filtered: bool,
    empty_title: &'static str,
    empty_hint: String,
    actions: Vec<(&'static str, &'static str)>,
    albums: Vec<(i64, String)>,
    originals_path: String,
}

pub struct AlbumInfo {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub photo_count: i64,
}

async fn album_choices(state: &AppState, viewer: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(catalog::albums(&state.db, viewer).await?.into_iter().map(|a| (a.id, a.title)).collect())
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    kind: ListKind,
    filter: Filter,
    raw: Option<&str>,
    after: Option<&str>,
    album: Option<AlbumInfo>,
) -> AppResult<Html<String>> {
    let uid = current.user.id;
    let after = match after.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(Cursor::parse(c).ok_or_else(|| {
            AppError::BadRequest("after: not a cursor from this page; start again at the top".into())
        })?),
    };
    let page = catalog::list(&state.db, uid, kind.scope, &filter, after, PAGE).await?;
    let filters = filters_only(raw);
    let next = page.next.map(|c| with_query(&kind.base, &filters, Some(("after", &c.to_string()))));
    let in_scope = with_query("", &filters, Some(("in", &kind.name)));
    let months = months(state, uid, &page.photos, &in_scope);
    let filtered = filter != Filter::default();
    let search = if kind.scope == Scope::Timeline {
        let cameras = catalog::cameras(&state.db, uid).await?;
        let q =
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect::<Vec<(String, String)>>();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        Some(SearchForm {
            active: filtered,
            q: get("q"),
            from: get("from"),
            to: get("to"),
            year: get("year"),
            months: MONTHS
                .iter()
                .enumerate()
                .map(|(i, m)| (i as u32 + 1, *m, filter.month == Some(i as u32 + 1)))
                .collect(),
            cameras: cameras
                .into_iter()
                .map(|c| {
                    let on = filter.camera.as_deref() == Some(c.name.as_str());
                    (c.name, on)
                })
                .collect(),
            favorites: filter.favorites,
            location: filter.location,
        })
    } else {
        None
    };
    let trash_form = (kind.scope == Scope::Trash && !page.photos.is_empty())
        .then(|| format!("Photos in the trash are deleted for good after {} days.", state.config.library.trash_days));
    let albums = if kind.scope == Scope::Trash { Vec::new() } else { album_choices(state, uid).await? };
    let script_layout = Layout::new(state, kind.heading.clone(), Some(current)).with_script("gallery.js");
    render(&PhotosPage {
        layout: script_layout,
        hide_heading: kind.scope == Scope::Timeline && !filtered,
        heading: if filtered { "Search".to_string() } else { kind.heading },
        scope_name: kind.name,
        album_id: album.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
        album,
        search,
        trash_form,
        months,
        next,
        first_page: with_query(&kind.base, &filters, None),
        later_page: after.is_some(),
        filtered,
        empty_title: if filtered { "Nothing found" } else { kind.empty_title },
        empty_hint: kind.empty_hint.to_string(),
        actions: kind.actions,
        albums,
        originals_path: state.config.originals_path.display().to_string(),
    })
}

async fn timeline(
    State(state): State<AppState>,
    current: CurrentUser,
    RawQuery(raw): RawQuery,
    Query(lq): Query<ListQuery>,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    let filter = lq.filter()?;
    list_page(&state, &current, kind(Scope::Timeline, None), filter, raw.as_deref(), p.after.as_deref(), None).await
}

async fn favorites(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    list_page(&state, &current, kind(Scope::Favorites, None), Filter::default(), None, p.after.as_deref(), None).await
}

async fn archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    list_page(&state, &current, kind(Scope::Archive, None), Filter::default(), None, p.after.as_deref(), None).await
}

async fn trash(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    list_page(&state, &current, kind(Scope::Trash, None), Filter::default(), None, p.after.as_deref(), None).await
}

async fn empty_trash(State(state): State<AppState>, current: CurrentUser) -> AppResult<Redirect> {
    let purged = catalog::empty_trash(&state.db, state.library.disk(), current.user.id).await?;
    tracing::info!(user = %current.user.username, photos = purged.photos, "trash emptied");
    Ok(Redirect::to("/trash"))
}

async fn album_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    let a = catalog::album(&state.db, current.user.id, id).await?;
    let info =
        AlbumInfo { id: a.id, title: a.title.clone(), description: a.description.clone(), photo_count: a.photo_count };
    list_page(
        &state,
        &current,
        kind(Scope::Album(id), Some(&a.title)),
        Filter::default(),
        None,
        p.after.as_deref(),
        Some(info),
    )
    .await
}

pub struct AlbumCard {
    pub id: i64,
    pub title: String,
    pub count: i64,
    pub cover: Option<String>,
}

#[derive(Template)]
#[template(path = "albums.html")]
struct AlbumsPage {
    layout: Layout,
    albums: Vec<AlbumCard>,
}

async fn albums(State(state): State<AppState>, current: CurrentUser) -> AppResult<Html<String>> {
    let uid = current.user.id;
    let token = state.library.token_key().issue(Viewer::User(uid), crate::db::now());
    let albums = catalog::albums(&state.db, uid)
        .await?
        .into_iter()
        .map(|a| AlbumCard {
            id: a.id,
            title: a.title,
            count: a.photo_count,
            cover: a.cover_hash.map(|h| format!("/api/v1/t/{h}/{token}/tile_500")),
        })
        .collect();
    render(&AlbumsPage { layout: Layout::new(&state, "Albums", Some(&current)), albums })
}

#[derive(Deserialize)]
struct AlbumForm {
    #[serde(default)]
    action: String,
    title: Option<String>,
    description: Option<String>,
}

async fn create_album(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(f): Form<AlbumForm>,
) -> AppResult<Redirect> {
    let a = catalog::create_album(
        &state.db,
        current.user.id,
        f.title.as_deref().unwrap_or(""),
        f.description.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Redirect::to(&format!("/albums/{}", a.id)))
}

async fn change_album(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<AlbumForm>,
) -> AppResult<Redirect> {
    let uid = current.user.id;
    match f.action.as_str() {
        "update" => {
            let change = catalog::AlbumUpdate { title: f.title, description: f.description, cover: None };
            catalog::update_album(&state.db, uid, id, &change).await?;
            Ok(Redirect::to(&format!("/albums/{id}")))
        }
        "delete" => {
            catalog::delete_album(&state.db, uid, id).await?;
            Ok(Redirect::to("/albums"))
        }
        other => Err(AppError::BadRequest(format!("action={other}: use update or delete"))),
    }
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
    newer: Option<Neighbour>,
    older: Option<Neighbour>,
    back: String,
    after_delete: String,
    here: String,
    facts: Vec<Fact>,
    map: Option<(String, String)>,
    download: String,
    file_name: String,
    owned: bool,
    favorite: bool,
    archived: bool,
    trashed: bool,
    albums: Vec<(i64, String)>,
    in_album: Option<i64>,
}

fn fit_urls(token: &str, p: &PhotoRow) -> (String, String) {
    let u = |s: &str| format!("/api/v1/t/{}/{token}/{s}", p.hash);
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
    let scope = scope_of(vq.scope.as_deref())
        .ok_or_else(|| AppError::BadRequest("in: use timeline, favorites, archive, trash or album-<id>".into()))?;
    let filter = if scope == Scope::Timeline { lq.filter()? } else { Filter::default() };
    let album_title = match scope {
        Scope::Album(a) => Some(catalog::album(&state.db, uid, a).await?.title),
        _ => None,
    };
    let k = kind(scope, album_title.as_deref());
    let owned = p.owner_id == uid;
    let (mut newer_row, mut older_row) = (None, None);
    if owned {
        let (n, o) = catalog::neighbours(&state.db, uid, scope, &filter, &p).await?;
        if let Some(n) = n {
            newer_row = Some(catalog::own_photo(&state.db, uid, n).await?);
        }
        if let Some(o) = o {
            older_row = Some(catalog::own_photo(&state.db, uid, o).await?);
        }
    }
    let token = state.library.token_key().issue(Viewer::User(uid), crate::db::now());
    let (src, srcset) = fit_urls(&token, &p);
    let filters = filters_only(raw.as_deref());
    let link_q = with_query("", &filters, Some(("in", &k.name)));
    let neighbour = |n: &PhotoRow| {
        let (src, srcset) = fit_urls(&token, n);
        Neighbour { href: format!("/photos/{}{link_q}", n.id), src, srcset }
    };
    // Back to the list page that starts at this photo, scrolled to it.
    let list_from_here = match &newer_row {
        Some(n) => with_query(&k.base, &filters, Some(("after", &Cursor::of(n).to_string()))),
        None => with_query(&k.base, &filters, None),
    };
    let back = format!("{list_from_here}#p{}", p.id);
    let after_delete = match &older_row {
        Some(o) => format!("{list_from_here}#p{}", o.id),
        None => list_from_here.clone(),
    };
    let files = if owned { store::files_of(&state.db, p.id).await? } else { Vec::new() };
    let file = files.iter().find(|f| f.status == "indexed");
    let file_name = file.map(|f| f.path.rsplit('/').next().unwrap_or(&f.path).to_string()).unwrap_or_default();
    let map = match (p.latitude, p.longitude) {
        (Some(lat), Some(lon)) => Some((
            format!("{lat:.5}, {lon:.5}"),
            format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=15/{lat:.5}/{lon:.5}"),
        )),
        _ => None,
    };
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
        placeholder: p
            .placeholder
            .as_ref()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
            .unwrap_or_default(),
        newer: newer_row.as_ref().map(neighbour),
        older: older_row.as_ref().map(neighbour),
        back,
        after_delete,
        here: format!("/photos/{}{link_q}", p.id),
        facts: facts(&p, file),
        map,
        download: format!("/api/v1/dl/{}", p.hash),
        file_name,
        owned,
        favorite: p.favorite,
        archived: p.archived_at.is_some(),
        trashed: p.trashed_at.is_some(),
        albums,
        in_album: match scope {
            Scope::Album(a) => Some(a),
            _ => None,
        },
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "admin_library.html")]
struct LibraryPage {
    layout: Layout,
    originals_path: String,
    counts: store::FileCounts,
    running: bool,
    last: String,
    skipped: Vec<store::SkippedFile>,
    /// The link to the following page of skipped files.
    more_skipped: Option<String>,
    later_skipped_page: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct LibraryQuery {
    started: Option<String>,
    busy: Option<String>,
    /// The path of the last skipped file on the page before.
    skipped_after: Option<String>,
}

/// Skipped files per page of the Library page (and the API's default): a hundred rows with long
/// reasons stay within the page-weight budget; paging rather than grouping by reason keeps every
/// file findable, which is what an administrator needs to fix or remove it.
pub const SKIPPED_PAGE: i64 = 100;

fn describe(p: &crate::library::Progress) -> String {
    use crate::library::Progress::*;
    match p {
        Started { total, to_analyse } => format!("Started: {total} files, {to_analyse} to read."),
        File { done, to_analyse, .. } => format!("Reading {done} of {to_analyse}."),
        Finished { summary: s } => format!(
            "Finished in {:.1} s: {} files, {} new photos, {} unchanged, {} skipped, {} missing.",
            s.millis as f64 / 1000.0,
            s.files,
            s.new_photos,
            s.unchanged,
            s.skipped,
            s.missing
        ),
        Failed { error } => format!("Failed: {error}"),
    }
}

async fn admin_library(
    State(state): State<AppState>,
    Admin(current): Admin,
    Query(q): Query<LibraryQuery>,
) -> AppResult<Html<String>> {
    let counts = store::file_counts(&state.db).await?;
    let after = q.skipped_after.as_deref().filter(|a| !a.is_empty());
    let (skipped, next) = store::skipped_files(&state.db, after, SKIPPED_PAGE).await?;
    let more_skipped =
        next.map(|n| format!("{}#skipped", with_query("/admin/library", "", Some(("skipped_after", &n)))));
    let notice = if q.started.is_some() {
        Some("The index started. Reload this page to see its progress.".to_string())
    } else if q.busy.is_some() {
        Some("An index is already running.".to_string())
    } else {
        None
    };
    render(&LibraryPage {
        layout: Layout::new(&state, "Library", Some(&current)).with_script("library.js"),
        originals_path: state.config.originals_path.display().to_string(),
        counts,
        running: state.library.is_indexing(),
        last: state.library.last_progress().map(|p| describe(&p)).unwrap_or_else(|| "No index has run yet.".into()),
        skipped,
        more_skipped,
        later_skipped_page: after.is_some(),
        notice,
    })
}

/// The form without JavaScript: start an index and come back to the page.
async fn admin_index(State(state): State<AppState>, Admin(_): Admin) -> AppResult<Redirect> {
    match state.library.start_index(IndexOptions::default()) {
        Ok(()) => Ok(Redirect::to("/admin/library?started=1")),
        Err(CannotIndex::AlreadyRunning) => Ok(Redirect::to("/admin/library?busy=1")),
        Err(other) => Err(AppError::Internal(other.into())),
    }
}
