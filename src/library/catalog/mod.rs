//! The gallery's data layer: one filtered, keyset-paginated photo query behind every list
//! (timeline, archive, trash, favourites, albums), the photo actions (favourite, archive, trash,
//! restore, edit), deleting for good (emptying the trash, the TRASH_DAYS purge) and albums.
//!
//! Every function takes the viewer (a user id) and touches only that user's photos and albums;
//! anything else is `NotFound`, exactly as if it did not exist. Administrators are no exception.

mod albums;
mod downloads;
mod link_files;
mod links;
mod members;
mod partners;
mod photos;
mod places;
mod purge;
mod query;

use std::collections::HashSet;
use std::path::{Component, PathBuf};

use chrono::{Datelike, NaiveDate};
use sqlx::SqlitePool;

use super::store::PhotoRow;

pub use albums::{
    Album, AlbumOrder, AlbumUpdate, add_to_album, album, albums, create_album, delete_album, remove_from_album,
    shared_albums, update_album,
};
pub use downloads::{ZipItem, album_files, selection_files};
pub use link_files::{LinkZipEntry, SharedItem, extension, shared_item, shared_items, with_companion, zip_entries};
pub use links::{
    DEFAULT_EXPIRY_SECS, Link, LinkChange, LinkState, MAX_PASSWORD, SharedAlbum, add_contributions, create_link,
    create_selection_link, links, open_link, record_view, revoke_links, shared_photo, shared_photos, token_hash,
    update_link,
};
pub use members::{
    AlbumRole, GroupShare, Member, album_credits, album_groups, album_role, members, remove_album_group, remove_member,
    require_role, set_album_group, set_member,
};
pub use partners::{Partner, Partners, partner_library, partners, set_in_timeline, share_library, stop_sharing};
pub use photos::{PhotoUpdate, own_photo, restore, set_archived, set_favorite, trash, update_photo};
pub use places::{Place, places};
pub use purge::{Disk, Purged, empty_trash, purge_expired};
pub use query::{Camera, Month, cameras, cursor_of, list, months, neighbours, query_plan};

/// The most photos one list page or one bulk action takes.
pub const MAX_PAGE: i64 = 500;
pub const MAX_BATCH: usize = 1000;
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 4000;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The photo or album does not exist for this viewer.
    #[error("not found")]
    NotFound,
    /// The request cannot be done as asked; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// The viewer may see the album but their role does not allow this; the message says who may.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type Result<T> = std::result::Result<T, CatalogError>;

impl crate::db::Busy for CatalogError {
    fn is_busy(&self) -> bool {
        matches!(self, CatalogError::Db(e) if e.is_busy())
    }
}

/// Which photos a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Not archived, not in the trash.
    Timeline,
    /// Archived, not in the trash.
    Archive,
    /// In the trash (missing files included, so they can be emptied).
    Trash,
    /// Favourites not in the trash (archived ones included).
    Favorites,
    /// The album's photos not in the trash (archived ones included).
    Album(i64),
    /// A partner's shared library (this user id's): not private, not archived, not in the trash.
    Partner(i64),
}

impl Scope {
    /// `timeline`, `archive`, `trash`, `favorites` (or `favourites`).
    pub fn parse(name: &str) -> Option<Scope> {
        match name {
            "" | "timeline" => Some(Scope::Timeline),
            "archive" => Some(Scope::Archive),
            "trash" => Some(Scope::Trash),
            "favorites" | "favourites" => Some(Scope::Favorites),
            _ => None,
        }
    }

    /// Literal terms that repeat the WHERE of the scope's partial index, so SQLite can use it.
    fn terms(self) -> &'static str {
        match self {
            Scope::Timeline => "p.missing = 0 AND p.archived_at IS NULL AND p.trashed_at IS NULL",
            Scope::Archive => "p.missing = 0 AND p.archived_at IS NOT NULL AND p.trashed_at IS NULL",
            Scope::Favorites => "p.missing = 0 AND p.favorite = 1 AND p.trashed_at IS NULL",
            Scope::Trash => "p.trashed_at IS NOT NULL",
            Scope::Album(_) => "p.missing = 0 AND p.trashed_at IS NULL",
            Scope::Partner(_) => "p.missing = 0 AND p.archived_at IS NULL AND p.trashed_at IS NULL",
        }
    }

    /// [`Scope::terms`] over `photo_month_counts c` (migration 0075), for the scopes of one's
    /// own whole library; None for the scopes counted from their photos (an album, a partner's
    /// library).
    fn count_terms(self) -> Option<&'static str> {
        Some(match self {
            Scope::Timeline => "c.missing = 0 AND c.archived = 0 AND c.trashed = 0",
            Scope::Archive => "c.missing = 0 AND c.archived = 1 AND c.trashed = 0",
            Scope::Favorites => "c.missing = 0 AND c.favorite = 1 AND c.trashed = 0",
            Scope::Trash => "c.trashed = 1",
            Scope::Album(_) | Scope::Partner(_) => return None,
        })
    }
}

/// Narrows a list; every field is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words that must each appear in the file path, title, description, camera make/model or
    /// lens (case-insensitive).
    pub text: Option<String>,
    /// First and last day (inclusive) of the local date the photo was taken.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub year: Option<i32>,
    /// 1-12; with or without a year.
    pub month: Option<u32>,
    /// A camera as `cameras()` names it: the model, or make and model.
    pub camera: Option<String>,
    pub favorites: bool,
    /// Only photos with GPS coordinates.
    pub location: bool,
    /// Only items of this kind: `image`, `raw`, `video` or `live` (`photos.media_type`).
    pub media_type: Option<&'static str>,
}

/// Where a page starts: the `(key, id)` of the last photo of the page before, where the key is
/// what the list is sorted by (the date taken; in an album sorted by when photos were added, that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
}

impl Cursor {
    /// The cursor after `p` in a list sorted by date taken (every list but an album in `added` order).
    pub fn of(p: &PhotoRow) -> Cursor {
        Cursor { key: p.taken_at, id: p.id }
    }

    /// `<key>_<id>`, the form the API hands out.
    pub fn parse(s: &str) -> Option<Cursor> {
        let (t, id) = s.split_once('_')?;
        Some(Cursor { key: t.parse().ok()?, id: id.parse().ok()? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.key, self.id)
    }
}

pub struct Page {
    pub photos: Vec<PhotoRow>,
    /// Pass back as `after` for the next page; None on the last page.
    pub next: Option<Cursor>,
}

/// Checks that the album exists for `viewer`.
async fn own_album(db: &SqlitePool, viewer: i64, album: i64) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM albums WHERE id = ? AND owner_id = ?")
        .bind(album)
        .bind(viewer)
        .fetch_optional(db)
        .await?;
    found.map(|_| ()).ok_or(CatalogError::NotFound)
}

fn unique(ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Err(CatalogError::Invalid("no photo ids given: send a list of photo ids".into()));
    }
    if ids.len() > MAX_BATCH {
        return Err(CatalogError::Invalid(format!(
            "too many photos at once: send at most {MAX_BATCH} ids per request"
        )));
    }
    let mut seen = HashSet::new();
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// Fails with NotFound unless every id is one of `viewer`'s photos.
async fn check_owned(conn: &mut sqlx::SqliteConnection, viewer: i64, ids: &[i64]) -> Result<()> {
    let owned: i64 =
        sqlx::query_scalar("SELECT count(*) FROM photos WHERE owner_id = ? AND id IN (SELECT value FROM json_each(?))")
            .bind(viewer)
            .bind(json_ids(ids))
            .fetch_one(&mut *conn)
            .await?;
    if owned as usize == ids.len() { Ok(()) } else { Err(CatalogError::NotFound) }
}

/// Fails with NotFound unless every id is one of `viewer`'s photos or, for reading only, one of a
/// library a partner shares with them (not private, archived or in the trash).
async fn check_readable(conn: &mut sqlx::SqliteConnection, viewer: i64, ids: &[i64]) -> Result<()> {
    let readable: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM photos p WHERE p.id IN (SELECT value FROM json_each(?2)) AND (p.owner_id = ?1 \
         OR (p.private = 0 AND p.archived_at IS NULL AND p.trashed_at IS NULL \
         AND EXISTS (SELECT 1 FROM partners pa WHERE pa.owner_id = p.owner_id AND pa.partner_id = ?1)))",
    )
    .bind(viewer)
    .bind(json_ids(ids))
    .fetch_one(&mut *conn)
    .await?;
    if readable as usize == ids.len() { Ok(()) } else { Err(CatalogError::NotFound) }
}

/// Control characters other than a newline or a tab have no place in a title or description.
fn is_refused_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Text read from a file (XMP, IPTC, EXIF), held to the rules of [`check_text`] without refusing
/// it: control characters are removed and it is cut to `max` characters.
pub fn clean_text(value: &str, max: usize) -> String {
    let kept: String = value.chars().filter(|c| !is_refused_control(*c)).collect();
    let cut: String = kept.trim().chars().take(max).collect();
    cut.trim_end().to_string()
}

fn check_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(CatalogError::Invalid(format!("{field} is too long: use at most {max} characters")));
    }
    if value.chars().any(is_refused_control) {
        return Err(CatalogError::Invalid(format!("{field} contains control characters: remove them")));
    }
    Ok(value.to_string())
}

/// Whether a stored relative path stays inside the originals folder.
fn safe_relative(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(rel);
    p.components().all(|c| matches!(c, Component::Normal(_))).then_some(p)
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().filter(|d| d.year() >= 1)
}
