//! The gallery pages: the timeline (`/`), the viewer (`/photos/{id}`) and the administrator's
//! library page (`/admin/library`). Server-rendered; `static/gallery.js`, `static/viewer.js` and
//! `static/library.js` enhance them (placeholders, infinite scroll, keys and swipes, live progress).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use sqlx::SqlitePool;

use super::admin::Admin;
use super::pages::{Layout, render};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::config::Role;
use crate::error::{AppError, AppResult};
use crate::library::store::{self, PhotoRow};
use crate::library::{IndexOptions, Viewer};

/// Photos per timeline page.
pub const PAGE: i64 = 80;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(timeline))
        .route("/photos/{id}", get(viewer))
        .route("/admin/library", get(admin_library))
        .route("/admin/library/index", post(admin_index))
}

/// `taken_at_id`, the keyset cursor the JSON API uses too.
pub fn cursor(p: &PhotoRow) -> String {
    format!("{}_{}", p.taken_at, p.id)
}

pub fn parse_cursor(c: Option<&str>) -> AppResult<Option<(i64, i64)>> {
    match c {
        None | Some("") => Ok(None),
        Some(c) => c
            .split_once('_')
            .and_then(|(t, id)| Some((t.parse().ok()?, id.parse().ok()?)))
            .map(Some)
            .ok_or_else(|| AppError::BadRequest("after: not a cursor from this page; start again at /".into())),
    }
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

#[derive(Deserialize, Default)]
struct TimelineQuery {
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    layout: Layout,
    months: Vec<Month>,
    next: Option<String>,
    /// Not the first page: offer a way back to the newest photos.
    later_page: bool,
    can_upload: bool,
    originals_path: String,
}

async fn timeline(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<TimelineQuery>,
) -> AppResult<Html<String>> {
    let after = parse_cursor(q.after.as_deref())?;
    let rows = store::list_photos(&state.db, current.user.id, after, PAGE).await?;
    let next = if rows.len() as i64 == PAGE { rows.last().map(|p| format!("/?after={}", cursor(p))) } else { None };
    let months = months(&state, current.user.id, &rows, "");
    let layout = Layout::new(&state, "Photos", Some(&current)).with_script("gallery.js");
    render(&TimelinePage {
        layout,
        months,
        next,
        later_page: after.is_some(),
        can_upload: current.user.role != Role::Viewer,
        originals_path: state.config.originals_path.display().to_string(),
    })
}

/// The owner's present photo just newer than `p` in the timeline order.
async fn newer(db: &SqlitePool, owner: i64, p: &PhotoRow) -> sqlx::Result<Option<PhotoRow>> {
    let rows: Vec<PhotoRow> = sqlx::query_as(&format!(
        "SELECT {} FROM photos WHERE owner_id = ? AND missing = 0 AND (taken_at, id) > (?, ?) \
         ORDER BY taken_at ASC, id ASC LIMIT 1",
        store::PHOTO_COLUMNS
    ))
    .bind(owner)
    .bind(p.taken_at)
    .bind(p.id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().next())
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
    facts: Vec<Fact>,
    map: Option<(String, String)>,
    download: String,
    file_name: String,
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

async fn viewer(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Response> {
    let uid = current.user.id;
    let p = store::photo_for(&state.db, uid, id).await?.ok_or(AppError::NotFound)?;
    let token = state.library.token_key().issue(Viewer::User(uid), crate::db::now());
    let (src, srcset) = fit_urls(&token, &p);
    let owned = p.owner_id == uid;
    let (newer_row, older_row) = if owned {
        (newer(&state.db, uid, &p).await?, store::list_photos(&state.db, uid, Some((p.taken_at, p.id)), 1).await?.pop())
    } else {
        (None, None)
    };
    let neighbour = |n: &PhotoRow| {
        let (src, srcset) = fit_urls(&token, n);
        Neighbour { href: format!("/photos/{}", n.id), src, srcset }
    };
    // Back to the timeline page that starts at this photo, scrolled to it.
    let back = match &newer_row {
        Some(n) => format!("/?after={}#p{}", cursor(n), p.id),
        None => format!("/#p{}", p.id),
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
        facts: facts(&p, file),
        map,
        download: format!("/api/v1/dl/{}", p.hash),
        file_name,
    };
    Ok(render(&page)?.into_response())
}

pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_library.html")]
struct LibraryPage {
    layout: Layout,
    originals_path: String,
    photos: i64,
    indexed: i64,
    skipped_count: i64,
    missing: i64,
    running: bool,
    last: String,
    skipped: Vec<Skipped>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct LibraryQuery {
    started: Option<String>,
    busy: Option<String>,
}

/// At most this many skipped files are listed on the page.
const SKIPPED_SHOWN: i64 = 500;

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
    let photos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photos WHERE missing = 0").fetch_one(&state.db).await?;
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM files GROUP BY status").fetch_all(&state.db).await?;
    let count = |s: &str| counts.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
    let skipped: Vec<(String, String)> =
        sqlx::query_as("SELECT path, reason FROM files WHERE status = 'skipped' ORDER BY path LIMIT ?")
            .bind(SKIPPED_SHOWN)
            .fetch_all(&state.db)
            .await?;
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
        photos,
        indexed: count("indexed"),
        skipped_count: count("skipped"),
        missing: count("missing"),
        running: state.library.is_indexing(),
        last: state.library.last_progress().map(|p| describe(&p)).unwrap_or_else(|| "No index has run yet.".into()),
        skipped: skipped.into_iter().map(|(path, reason)| Skipped { path, reason }).collect(),
        notice,
    })
}

/// The form without JavaScript: start an index and come back to the page.
async fn admin_index(State(state): State<AppState>, Admin(_): Admin) -> Redirect {
    match state.library.start_index(IndexOptions::default()) {
        Ok(()) => Redirect::to("/admin/library?started=1"),
        Err(_) => Redirect::to("/admin/library?busy=1"),
    }
}
