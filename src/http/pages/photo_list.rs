//! The photo lists every gallery page shows (timeline, favourites, archive, trash, an album):
//! what each list offers, month headings with tiles, the search form, paging and the query
//! string helpers the viewer shares. Not a resource: the pages that use it are `photos`,
//! `albums` and `viewer`. `static/gallery.js` enhances the list (placeholders, infinite scroll).

use askama::Template;
use axum::response::Html;

use super::{Layout, render};
use crate::auth::CurrentUser;
use crate::db::users::User;
use crate::error::{AppError, AppResult};
use crate::http::media_urls::MediaUrls;
use crate::library::catalog::{self, AlbumOrder, Cursor, Filter, Scope};
use crate::library::store::PhotoRow;
use crate::state::AppState;
use serde::Deserialize;

/// Photos per timeline page.
pub const PAGE: i64 = 80;

pub(super) const MONTHS: [&str; 12] = [
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
pub(super) fn month_of(local: &str) -> (String, String) {
    let key = local.get(..7).unwrap_or("0000-00").to_string();
    let m: usize = local.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let label = match MONTHS.get(m.wrapping_sub(1)) {
        Some(name) => format!("{name} {}", &key[..4]),
        None => "Unknown date".to_string(),
    };
    (key, label)
}

/// `2023-07-14T18:30:05` → `14 July 2023, 18:30`.
pub(super) fn day_and_time(local: &str) -> String {
    let (_, label) = month_of(local);
    let day = local.get(8..10).map(|d| d.trim_start_matches('0')).unwrap_or("");
    let time = local.get(11..16).unwrap_or("");
    let mut parts = label.splitn(2, ' ');
    let (month, year) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    format!("{day} {month} {year}, {time}")
}

pub(super) fn alt_text(p: &PhotoRow) -> String {
    if p.title.is_empty() { format!("Photo taken {}", day_and_time(&p.taken_local)) } else { p.title.clone() }
}

pub struct Tile {
    pub id: i64,
    pub href: String,
    /// An uncropped thumbnail (justified rows show each photo whole, in its own aspect ratio),
    /// 720 px at most: sharp for a row 220 px high at twice the pixel density. One URL, no
    /// srcset: a timeline page of 80 tiles stays small.
    pub small: String,
    pub placeholder: String,
    pub alt: String,
    /// As displayed (orientation applied): gallery.js lays out rows from these before any image
    /// has loaded, so nothing moves when they arrive.
    pub width: i64,
    pub height: i64,
    /// A video's length as the tile's badge shows it (`0:07`, `1:02:03`).
    pub duration: Option<String>,
    /// A live photo (a still with a motion clip): the tile says so.
    pub live: bool,
}

/// `m:ss`, or `h:mm:ss` from an hour on, as video players show a length.
pub(super) fn duration_text(ms: i64) -> String {
    let s = (ms.max(0) + 500) / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

pub struct Month {
    pub key: String,
    pub label: String,
    pub tiles: Vec<Tile>,
}

/// Tiles grouped under month headings, in the order given; thumbnail URLs carry a media token.
pub fn months(state: &AppState, viewer: &User, rows: &[PhotoRow], link_suffix: &str) -> Vec<Month> {
    let urls = MediaUrls::for_user(state.library.token_key(), viewer);
    let mut out: Vec<Month> = Vec::new();
    for p in rows {
        let (key, label) = month_of(&p.taken_local);
        if out.last().is_none_or(|m| m.key != key) {
            out.push(Month { key, label, tiles: Vec::new() });
        }
        let thumb = |size: &str| urls.thumbnail(&p.hash, size);
        let tile = Tile {
            id: p.id,
            href: format!("/photos/{}{link_suffix}", p.id),
            small: thumb("fit_720"),
            placeholder: MediaUrls::placeholder(p.placeholder.as_deref()).unwrap_or_default(),
            alt: alt_text(p),
            width: p.width.max(1),
            height: p.height.max(1),
            duration: (p.media_type == "video").then_some(p.duration_ms).flatten().map(duration_text),
            live: p.media_type == "live",
        };
        out.last_mut().expect("pushed above").tiles.push(tile);
    }
    out
}

/// Where a list lives and what it offers; one per scope.
pub(super) struct ListKind {
    pub(super) scope: Scope,
    /// `timeline`, `favorites`, `archive`, `trash`, `album-<id>`: the viewer's `in`.
    pub(super) name: String,
    pub(super) base: String,
    pub(super) heading: String,
    pub(super) empty_title: &'static str,
    pub(super) empty_hint: &'static str,
    pub(super) actions: Vec<(&'static str, &'static str)>,
}

pub(super) fn kind(scope: Scope, album_title: Option<&str>) -> ListKind {
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
        // Read-only: a partner sees the photos and downloads them, nothing more.
        Scope::Partner(owner) => (
            format!("partner-{owner}"),
            format!("/partners/{owner}"),
            format!("Photos from {}", album_title.unwrap_or("a partner")),
            "Nothing shared yet",
            "Photos appear here as your partner takes them (their private and archived ones stay theirs).",
            Vec::new(),
        ),
    };
    ListKind { scope, name, base, heading, empty_title, empty_hint, actions }
}

/// The viewer's `in=`: which list the previous/next links walk.
pub(super) fn scope_of(name: Option<&str>) -> Option<Scope> {
    match name.unwrap_or("timeline") {
        n if n.starts_with("album-") => n[6..].parse().ok().map(Scope::Album),
        n if n.starts_with("partner-") => n[8..].parse().ok().map(Scope::Partner),
        n => Scope::parse(n),
    }
}

/// The query string without `after` and `start` (and, for the viewer, without `in`): the filters.
pub(super) fn filters_only(raw: Option<&str>) -> String {
    let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, v)| k != "after" && k != "start" && k != "in" && !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect::<Vec<_>>();
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

pub(super) fn with_query(base: &str, query: &str, extra: Option<(&str, &str)>) -> String {
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
    /// `type=` choices: value, label, chosen.
    pub types: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Deserialize, Default)]
pub(super) struct Paging {
    pub(super) after: Option<String>,
    /// `YYYY-MM`: the page that starts at this month's newest photo (the date scrubber's links),
    /// without loading the months in between.
    pub(super) start: Option<String>,
}

impl Paging {
    fn after(&self) -> Option<&str> {
        self.after.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    fn start(&self) -> Option<&str> {
        self.start.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// One year of the date scrubber: its months, newest first, each a link to the page that starts
/// there.
pub struct ScrubberYear {
    pub year: String,
    pub href: String,
    pub months: Vec<ScrubberMonth>,
}

pub struct ScrubberMonth {
    pub key: String,
    pub label: String,
    pub photos: i64,
    pub href: String,
}

fn scrubber(base: &str, months: Vec<catalog::Month>) -> Vec<ScrubberYear> {
    let mut years: Vec<ScrubberYear> = Vec::new();
    for m in months {
        let (key, label) = month_of(&m.month);
        let year = key[..4].to_string();
        let href = with_query(base, "", Some(("start", &key)));
        if years.last().is_none_or(|y| y.year != year) {
            years.push(ScrubberYear { year, href: href.clone(), months: Vec::new() });
        }
        years.last_mut().expect("pushed above").months.push(ScrubberMonth { key, label, photos: m.photos, href });
    }
    years
}

/// The cursor of the page that starts at `month` (`YYYY-MM`): just before the newest photo taken
/// in that month or earlier, so a page from there begins with it.
async fn month_start(state: &AppState, viewer: i64, scope: Scope, filter: &Filter, month: &str) -> AppResult<Cursor> {
    let invalid = || AppError::BadRequest(format!("start: {month:?} is not a month; give it as YYYY-MM, e.g. 2023-07"));
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| invalid())?;
    if month.len() != 7 {
        return Err(invalid());
    }
    let last = first.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).ok_or_else(invalid)?;
    let until = Filter { to: Some(last), ..filter.clone() };
    let page = catalog::list(&state.db, viewer, scope, &until, None, 1).await?;
    Ok(match page.photos.first() {
        // Keyset order is (taken_at, id) descending and `after` is exclusive: one id above
        // this photo's is the place just before it.
        Some(p) => Cursor { key: p.taken_at, id: p.id.saturating_add(1) },
        // Nothing that old: the page after the oldest photo, which is empty.
        None => Cursor { key: i64::MIN, id: i64::MIN },
    })
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
    scrubber: Vec<ScrubberYear>,
    next: Option<String>,
    /// The links to the next and the first page, named after the list's order.
    next_label: &'static str,
    first_label: &'static str,
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
    /// An editor or the owner: the edit form is shown.
    pub can_edit: bool,
    /// The owner: deleting and sharing are shown.
    pub is_owner: bool,
    pub order: AlbumOrder,
    /// The order chooser's options: value, label, chosen.
    pub orders: Vec<(&'static str, &'static str, bool)>,
}

impl AlbumInfo {
    pub fn new(album: &catalog::Album, role: catalog::AlbumRole) -> AlbumInfo {
        AlbumInfo {
            id: album.id,
            title: album.title.clone(),
            description: album.description.clone(),
            photo_count: album.photo_count,
            can_edit: role >= catalog::AlbumRole::Editor,
            is_owner: role == catalog::AlbumRole::Owner,
            order: album.sort_order,
            orders: AlbumOrder::ALL.iter().map(|o| (o.as_str(), o.label(), *o == album.sort_order)).collect(),
        }
    }
}

pub(super) async fn album_choices(state: &AppState, viewer: i64) -> AppResult<Vec<(i64, String)>> {
    Ok(catalog::albums(&state.db, viewer).await?.into_iter().map(|a| (a.id, a.title)).collect())
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    kind: ListKind,
    filter: Filter,
    raw: Option<&str>,
    paging: &Paging,
    album: Option<AlbumInfo>,
) -> AppResult<Html<String>> {
    let uid = current.user.id;
    // The month links jump within a list sorted by date taken, newest first; an album in another
    // order has none.
    let by_date = album.as_ref().is_none_or(|a| a.order == AlbumOrder::Newest);
    if !by_date && paging.start().is_some() {
        return Err(AppError::BadRequest(
            "start: this album is not sorted newest first, so it has no month links; open it without start".into(),
        ));
    }
    let after = match (paging.after(), paging.start()) {
        (Some(c), _) => Some(Cursor::parse(c).ok_or_else(|| {
            AppError::BadRequest("after: not a cursor from this page; start again at the top".into())
        })?),
        (None, Some(month)) => Some(month_start(state, uid, kind.scope, &filter, month).await?),
        (None, None) => None,
    };
    let page = catalog::list(&state.db, uid, kind.scope, &filter, after, PAGE).await?;
    let filters = filters_only(raw);
    let next = page.next.map(|c| with_query(&kind.base, &filters, Some(("after", &c.to_string()))));
    let in_scope = with_query("", &filters, Some(("in", &kind.name)));
    let months = months(state, &current.user, &page.photos, &in_scope);
    let filtered = filter != Filter::default();
    // The scrubber spans the whole list; a search result is short and has its own dates.
    let scrubber = if filtered || !by_date {
        Vec::new()
    } else {
        scrubber(&kind.base, catalog::months(&state.db, uid, kind.scope).await?)
    };
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
            types: [("image", "Photos"), ("live", "Live photos"), ("video", "Videos"), ("raw", "RAW")]
                .into_iter()
                .map(|(value, label)| (value, label, filter.media_type == Some(value)))
                .collect(),
        })
    } else {
        None
    };
    let trash_form = (kind.scope == Scope::Trash && !page.photos.is_empty())
        .then(|| format!("Photos in the trash are deleted for good after {} days.", state.config.library.trash_days));
    // Nothing goes from the trash or a partner's library into an album.
    let albums = if matches!(kind.scope, Scope::Trash | Scope::Partner(_)) {
        Vec::new()
    } else {
        album_choices(state, uid).await?
    };
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
        scrubber,
        next,
        next_label: if by_date { "Older photos" } else { "More photos" },
        first_label: if by_date { "Newest photos" } else { "First photos" },
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
