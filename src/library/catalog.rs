//! The gallery's data layer: one filtered, keyset-paginated photo query behind every list
//! (timeline, archive, trash, favourites, albums), the photo actions (favourite, archive, trash,
//! restore, edit), deleting for good (emptying the trash, the TRASH_DAYS purge) and albums.
//!
//! Every function takes the viewer (a user id) and touches only that user's photos and albums;
//! anything else is `NotFound`, exactly as if it did not exist. Administrators are no exception.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, FromRow, SqlitePool};

use super::cache::ThumbCache;
use super::store::{DELETED_REASON, PHOTO_COLUMNS, PhotoRow};
use crate::db::now;

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
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type Result<T> = std::result::Result<T, CatalogError>;

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
        }
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
}

/// Where a page starts: the `(taken_at, id)` of the last photo of the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub taken_at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn of(p: &PhotoRow) -> Cursor {
        Cursor { taken_at: p.taken_at, id: p.id }
    }

    /// `<taken_at>_<id>`, the form the API hands out.
    pub fn parse(s: &str) -> Option<Cursor> {
        let (t, id) = s.split_once('_')?;
        Some(Cursor { taken_at: t.parse().ok()?, id: id.parse().ok()? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.taken_at, self.id)
    }
}

pub struct Page {
    pub photos: Vec<PhotoRow>,
    /// Pass back as `after` for the next page; None on the last page.
    pub next: Option<Cursor>,
}

enum Arg {
    Int(i64),
    Text(String),
}

fn like_pattern(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The page query and its arguments. Its plan walks the scope's index in order (tests check it
/// with `query_plan`), so a page costs the same at any library size.
/// With `newer`, the photos after the cursor in the other direction, oldest first.
fn page_query(
    viewer: i64,
    scope: Scope,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
    newer: bool,
) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let mut sql = format!("SELECT {PHOTO_COLUMNS} FROM ");
    let (order_t, order_id) = match scope {
        Scope::Album(album) => {
            sql.push_str(
                "album_photos ap JOIN photos p ON p.id = ap.photo_id WHERE ap.album_id = ? AND p.owner_id = ?",
            );
            args.push(Arg::Int(album));
            args.push(Arg::Int(viewer));
            ("ap.taken_at", "ap.photo_id")
        }
        _ => {
            sql.push_str("photos p WHERE p.owner_id = ?");
            args.push(Arg::Int(viewer));
            ("p.taken_at", "p.id")
        }
    };
    sql.push_str(" AND ");
    sql.push_str(scope.terms());
    if let Some(text) = &filter.text {
        for word in text.split_whitespace().take(10) {
            sql.push_str(
                " AND (p.title LIKE ?1x ESCAPE '\\' OR p.description LIKE ?1x ESCAPE '\\' \
                 OR p.camera_make LIKE ?1x ESCAPE '\\' OR p.camera_model LIKE ?1x ESCAPE '\\' \
                 OR p.lens LIKE ?1x ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.path LIKE ?1x ESCAPE '\\'))"
                    .replace("?1x", "?")
                    .as_str(),
            );
            for _ in 0..6 {
                args.push(Arg::Text(like_pattern(word)));
            }
        }
    }
    if let Some(from) = filter.from {
        sql.push_str(" AND p.taken_local >= ?");
        args.push(Arg::Text(day_text(from)));
    }
    if let Some(to) = filter.to {
        sql.push_str(" AND p.taken_local < ?");
        args.push(Arg::Text(to.succ_opt().map(day_text).unwrap_or_else(|| "9999-99".into())));
    }
    match (filter.year, filter.month) {
        (Some(y), Some(m)) => {
            sql.push_str(" AND p.taken_local >= ? AND p.taken_local < ?");
            args.push(Arg::Text(format!("{y:04}-{m:02}")));
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            args.push(Arg::Text(format!("{ny:04}-{nm:02}")));
        }
        (Some(y), None) => {
            sql.push_str(" AND p.taken_local >= ? AND p.taken_local < ?");
            args.push(Arg::Text(format!("{y:04}")));
            args.push(Arg::Text(format!("{:04}", y + 1)));
        }
        (None, Some(m)) => {
            sql.push_str(" AND substr(p.taken_local, 6, 2) = ?");
            args.push(Arg::Text(format!("{m:02}")));
        }
        (None, None) => {}
    }
    if let Some(camera) = &filter.camera {
        sql.push_str(
            " AND (p.camera_model = ? COLLATE NOCASE \
             OR trim(coalesce(p.camera_make, '') || ' ' || coalesce(p.camera_model, '')) = ? COLLATE NOCASE)",
        );
        args.push(Arg::Text(camera.trim().to_string()));
        args.push(Arg::Text(camera.trim().to_string()));
    }
    if filter.favorites && scope != Scope::Favorites {
        sql.push_str(" AND p.favorite = 1");
    }
    if filter.location {
        sql.push_str(" AND p.latitude IS NOT NULL AND p.longitude IS NOT NULL");
    }
    let (cmp, dir, start) = if newer { (">", "ASC", i64::MIN) } else { ("<", "DESC", i64::MAX) };
    let after = after.unwrap_or(Cursor { taken_at: start, id: start });
    sql.push_str(&format!(
        " AND ({order_t}, {order_id}) {cmp} (?, ?) ORDER BY {order_t} {dir}, {order_id} {dir} LIMIT ?"
    ));
    args.push(Arg::Int(after.taken_at));
    args.push(Arg::Int(after.id));
    args.push(Arg::Int(limit));
    (sql, args)
}

fn arguments(args: Vec<Arg>) -> SqliteArguments<'static> {
    let mut out = SqliteArguments::default();
    for a in args {
        // Adding an i64 or a String to SQLite arguments cannot fail.
        let _ = match a {
            Arg::Int(i) => out.add(i),
            Arg::Text(t) => out.add(t),
        };
    }
    out
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

/// One page of `viewer`'s photos in `scope` matching `filter`, newest first by date taken.
pub async fn list(
    db: &SqlitePool,
    viewer: i64,
    scope: Scope,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Page> {
    if let Scope::Album(album) = scope {
        own_album(db, viewer, album).await?;
    }
    let limit = limit.clamp(1, MAX_PAGE);
    let (sql, args) = page_query(viewer, scope, filter, after, limit, false);
    let photos: Vec<PhotoRow> = sqlx::query_as_with(&sql, arguments(args)).fetch_all(db).await?;
    let next = if photos.len() as i64 == limit { photos.last().map(Cursor::of) } else { None };
    Ok(Page { photos, next })
}

/// The lines of `EXPLAIN QUERY PLAN` for a page query (tests check that it walks an index).
pub async fn query_plan(db: &SqlitePool, viewer: i64, scope: Scope, filter: &Filter) -> Result<Vec<String>> {
    let (sql, args) = page_query(viewer, scope, filter, None, 100, false);
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as_with(&format!("EXPLAIN QUERY PLAN {sql}"), arguments(args)).fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| r.3).collect())
}

/// The photos right before and after `photo` in the list (for the viewer's previous/next).
pub async fn neighbours(
    db: &SqlitePool,
    viewer: i64,
    scope: Scope,
    filter: &Filter,
    photo: &PhotoRow,
) -> Result<(Option<i64>, Option<i64>)> {
    if let Scope::Album(album) = scope {
        own_album(db, viewer, album).await?;
    }
    let mut ids = [None, None];
    for (i, newer) in [true, false].into_iter().enumerate() {
        let (sql, args) = page_query(viewer, scope, filter, Some(Cursor::of(photo)), 1, newer);
        let row: Option<PhotoRow> = sqlx::query_as_with(&sql, arguments(args)).fetch_optional(db).await?;
        ids[i] = row.map(|p| p.id);
    }
    let [prev, next] = ids;
    Ok((prev, next))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Camera {
    /// The value for `Filter::camera`.
    pub name: String,
    pub photos: i64,
}

/// The cameras of `viewer`'s photos (not in the trash), most used first.
pub async fn cameras(db: &SqlitePool, viewer: i64) -> Result<Vec<Camera>> {
    let rows: Vec<(Option<String>, String, i64)> = sqlx::query_as(
        "SELECT camera_make, camera_model, count(*) FROM photos WHERE owner_id = ? AND trashed_at IS NULL \
         AND missing = 0 AND camera_model IS NOT NULL AND camera_model != '' \
         GROUP BY camera_make, camera_model ORDER BY count(*) DESC, camera_model",
    )
    .bind(viewer)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(make, model, photos)| {
            let make = make.unwrap_or_default();
            let name = if make.is_empty() || model.to_lowercase().starts_with(&make.to_lowercase()) {
                model
            } else {
                format!("{make} {model}")
            };
            Camera { name, photos }
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM` of the local date taken.
    pub month: String,
    pub photos: i64,
}

/// How many photos of `scope` were taken in each month, newest month first (for month headings,
/// a date scrubber and the year/month filters).
pub async fn months(db: &SqlitePool, viewer: i64, scope: Scope) -> Result<Vec<Month>> {
    let (from, args) = match scope {
        Scope::Album(album) => {
            own_album(db, viewer, album).await?;
            (
                "album_photos ap JOIN photos p ON p.id = ap.photo_id WHERE ap.album_id = ? AND p.owner_id = ?",
                vec![album, viewer],
            )
        }
        _ => ("photos p WHERE p.owner_id = ?", vec![viewer]),
    };
    let sql = format!(
        "SELECT substr(p.taken_local, 1, 7) AS month, count(*) AS photos FROM {from} AND {} \
         GROUP BY month ORDER BY month DESC",
        scope.terms()
    );
    let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
    for a in args {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db).await?.into_iter().map(|(month, photos)| Month { month, photos }).collect())
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

/// Applies `set` (an UPDATE's SET list) to `viewer`'s photos `ids`, all or none.
async fn update_photos(db: &SqlitePool, viewer: i64, ids: &[i64], set: &str) -> Result<u64> {
    let ids = unique(ids)?;
    let mut tx = db.begin().await?;
    check_owned(&mut tx, viewer, &ids).await?;
    let done = sqlx::query(&format!(
        "UPDATE photos SET {set}, updated_at = ?2 WHERE owner_id = ?1 AND id IN (SELECT value FROM json_each(?3))"
    ))
    .bind(viewer)
    .bind(now())
    .bind(json_ids(&ids))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

pub async fn set_favorite(db: &SqlitePool, viewer: i64, ids: &[i64], on: bool) -> Result<u64> {
    update_photos(db, viewer, ids, if on { "favorite = 1" } else { "favorite = 0" }).await
}

/// Archives (hides from the timeline) or brings back to the timeline.
pub async fn set_archived(db: &SqlitePool, viewer: i64, ids: &[i64], on: bool) -> Result<u64> {
    update_photos(db, viewer, ids, if on { "archived_at = coalesce(archived_at, ?2)" } else { "archived_at = NULL" })
        .await
}

/// Moves to the trash; the photos are deleted for good when the trash is emptied or after
/// TRASH_DAYS.
pub async fn trash(db: &SqlitePool, viewer: i64, ids: &[i64]) -> Result<u64> {
    update_photos(db, viewer, ids, "trashed_at = coalesce(trashed_at, ?2)").await
}

/// Takes photos out of the trash (back where they were: timeline or archive).
pub async fn restore(db: &SqlitePool, viewer: i64, ids: &[i64]) -> Result<u64> {
    update_photos(db, viewer, ids, "trashed_at = NULL").await
}

/// A change to one photo; None leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PhotoUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub favorite: Option<bool>,
    pub archived: Option<bool>,
}

/// One of `viewer`'s own photos (the trash included).
pub async fn own_photo(db: &SqlitePool, viewer: i64, id: i64) -> Result<PhotoRow> {
    sqlx::query_as(&format!("SELECT {PHOTO_COLUMNS} FROM photos p WHERE p.id = ? AND p.owner_id = ?"))
        .bind(id)
        .bind(viewer)
        .fetch_optional(db)
        .await?
        .ok_or(CatalogError::NotFound)
}

fn check_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(CatalogError::Invalid(format!("{field} is too long: use at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CatalogError::Invalid(format!("{field} contains control characters: remove them")));
    }
    Ok(value.to_string())
}

pub async fn update_photo(db: &SqlitePool, viewer: i64, id: i64, change: &PhotoUpdate) -> Result<PhotoRow> {
    let title = change.title.as_deref().map(|t| check_text("title", t, MAX_TITLE)).transpose()?;
    let description =
        change.description.as_deref().map(|d| check_text("description", d, MAX_DESCRIPTION)).transpose()?;
    let mut tx = db.begin().await?;
    check_owned(&mut tx, viewer, &[id]).await?;
    let now = now();
    sqlx::query(
        "UPDATE photos SET title = coalesce(?1, title), description = coalesce(?2, description), \
         edited = CASE WHEN ?1 IS NOT NULL OR ?2 IS NOT NULL THEN 1 ELSE edited END, \
         favorite = coalesce(?3, favorite), \
         archived_at = CASE WHEN ?4 IS NULL THEN archived_at WHEN ?4 = 1 THEN coalesce(archived_at, ?5) ELSE NULL END, \
         updated_at = ?5 WHERE id = ?6",
    )
    .bind(title)
    .bind(description)
    .bind(change.favorite)
    .bind(change.archived)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    own_photo(db, viewer, id).await
}

/// What deleting for good did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Purged {
    /// Photos removed from Shoebox.
    pub photos: u64,
    /// Uploaded originals deleted from disk.
    pub files_deleted: u64,
    /// Files indexed in place, left on disk (and left out of future indexes).
    pub files_kept: u64,
}

/// Where deleting for good touches the disk.
#[derive(Debug, Clone, Copy)]
pub struct Disk<'a> {
    /// ORIGINALS_PATH: uploaded files are deleted under it.
    pub originals: &'a Path,
    /// Thumbnails and placeholders of deleted photos are removed from it.
    pub cache: &'a ThumbCache,
}

/// Empties `viewer`'s trash.
pub async fn empty_trash(db: &SqlitePool, disk: Disk<'_>, viewer: i64) -> Result<Purged> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM photos WHERE owner_id = ? AND trashed_at IS NOT NULL")
        .bind(viewer)
        .fetch_all(db)
        .await?;
    delete_forever(db, disk, &ids).await
}

/// Deletes for good the photos that have been in any trash for `trash_days` days at `now`
/// (Unix seconds); the server runs this hourly.
pub async fn purge_expired(db: &SqlitePool, disk: Disk<'_>, now: i64, trash_days: u32) -> Result<Purged> {
    let cutoff = now - i64::from(trash_days) * 86_400;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM photos WHERE trashed_at IS NOT NULL AND trashed_at <= ? ORDER BY id")
            .bind(cutoff)
            .fetch_all(db)
            .await?;
    delete_forever(db, disk, &ids).await
}

/// Whether a stored relative path stays inside the originals folder.
fn safe_relative(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(rel);
    p.components().all(|c| matches!(c, Component::Normal(_))).then_some(p)
}

/// Removes photos from Shoebox: their rows (albums follow by cascade), uploaded files from disk,
/// every cache file of their content unless another photo still uses it. Files indexed in place stay on disk and are remembered as deleted, so the
/// next index does not bring them back silently.
async fn delete_forever(db: &SqlitePool, disk: Disk<'_>, ids: &[i64]) -> Result<Purged> {
    let mut purged = Purged::default();
    for chunk in ids.chunks(MAX_BATCH) {
        let list = json_ids(chunk);
        let now = now();
        let mut tx = db.begin().await?;
        let uploads: Vec<String> = sqlx::query_scalar(
            "SELECT path FROM files WHERE uploaded = 1 AND photo_id IN (SELECT value FROM json_each(?))",
        )
        .bind(&list)
        .fetch_all(&mut *tx)
        .await?;
        let hashes: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT hash FROM photos WHERE id IN (SELECT value FROM json_each(?))")
                .bind(&list)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO deleted_photos (owner_id, hash, deleted_at) \
             SELECT owner_id, hash, ? FROM photos WHERE id IN (SELECT value FROM json_each(?)) \
             ON CONFLICT (owner_id, hash) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(now)
        .bind(&list)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM files WHERE photo_id IN (SELECT value FROM json_each(?)) AND (uploaded = 1 OR status = 'missing')")
            .bind(&list)
            .execute(&mut *tx)
            .await?;
        let kept = sqlx::query(
            "UPDATE files SET status = 'skipped', reason = ?, photo_id = NULL, indexed_at = ? \
             WHERE photo_id IN (SELECT value FROM json_each(?))",
        )
        .bind(DELETED_REASON)
        .bind(now)
        .bind(&list)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query("DELETE FROM photos WHERE id IN (SELECT value FROM json_each(?))")
            .bind(&list)
            .execute(&mut *tx)
            .await?;
        // Thumbnails go only when no other photo (another user's copy) still uses them.
        let mut unused = Vec::new();
        for h in hashes {
            let used: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM photos WHERE hash = ?)")
                .bind(&h)
                .fetch_one(&mut *tx)
                .await?;
            if !used {
                unused.push(h);
            }
        }
        tx.commit().await?;
        purged.photos += deleted.rows_affected();
        purged.files_kept += kept.rows_affected();
        let (originals, cache) = (disk.originals.to_path_buf(), disk.cache.clone());
        let removed = tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for rel in uploads {
                let Some(rel_path) = safe_relative(&rel) else {
                    tracing::warn!(path = %rel, "not deleting an uploaded file with an unsafe path");
                    continue;
                };
                match std::fs::remove_file(originals.join(rel_path)) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => tracing::warn!(path = %rel, error = %e, "cannot delete an uploaded original"),
                }
            }
            for h in unused {
                cache.remove_all(&h);
            }
            removed
        })
        .await
        .map_err(|e| CatalogError::Other(e.into()))?;
        purged.files_deleted += removed;
    }
    if purged.photos > 0 {
        tracing::info!(
            photos = purged.photos,
            files_deleted = purged.files_deleted,
            files_kept = purged.files_kept,
            "deleted photos for good"
        );
    }
    Ok(purged)
}

// ---------------------------------------------------------------------------------------------
// Albums

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct Album {
    pub id: i64,
    pub owner_id: i64,
    pub title: String,
    pub description: String,
    /// The chosen cover, or None (then `cover_hash` is the newest photo's).
    pub cover_photo_id: Option<i64>,
    /// Content hash of the cover shown: the chosen one or else the newest photo; None when empty.
    pub cover_hash: Option<String>,
    /// Photos shown in the album (not in the trash, not missing).
    pub photo_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const ALBUM_SELECT: &str = "SELECT a.id, a.owner_id, a.title, a.description, a.cover_photo_id, \
     coalesce((SELECT hash FROM photos WHERE id = a.cover_photo_id), \
              (SELECT p.hash FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
               WHERE ap.album_id = a.id AND p.missing = 0 AND p.trashed_at IS NULL \
               ORDER BY ap.taken_at DESC, ap.photo_id DESC LIMIT 1)) AS cover_hash, \
     (SELECT count(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
      WHERE ap.album_id = a.id AND p.missing = 0 AND p.trashed_at IS NULL) AS photo_count, \
     a.created_at, a.updated_at FROM albums a";

/// `viewer`'s albums, most recently changed first.
pub async fn albums(db: &SqlitePool, viewer: i64) -> Result<Vec<Album>> {
    Ok(sqlx::query_as(&format!("{ALBUM_SELECT} WHERE a.owner_id = ? ORDER BY a.updated_at DESC, a.id DESC"))
        .bind(viewer)
        .fetch_all(db)
        .await?)
}

pub async fn album(db: &SqlitePool, viewer: i64, id: i64) -> Result<Album> {
    sqlx::query_as(&format!("{ALBUM_SELECT} WHERE a.id = ? AND a.owner_id = ?"))
        .bind(id)
        .bind(viewer)
        .fetch_optional(db)
        .await?
        .ok_or(CatalogError::NotFound)
}

fn album_title(title: &str) -> Result<String> {
    let title = check_text("title", title, MAX_TITLE)?;
    if title.is_empty() {
        return Err(CatalogError::Invalid("an album needs a title: give it a name".into()));
    }
    Ok(title)
}

pub async fn create_album(db: &SqlitePool, viewer: i64, title: &str, description: &str) -> Result<Album> {
    let title = album_title(title)?;
    let description = check_text("description", description, MAX_DESCRIPTION)?;
    let now = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO albums (owner_id, title, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(viewer)
    .bind(title)
    .bind(description)
    .bind(now)
    .bind(now)
    .fetch_one(db)
    .await?;
    album(db, viewer, id).await
}

/// A change to an album; None leaves a field as it is. `cover: Some(None)` goes back to the
/// newest photo as the cover.
#[derive(Debug, Clone, Default)]
pub struct AlbumUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub cover: Option<Option<i64>>,
}

pub async fn update_album(db: &SqlitePool, viewer: i64, id: i64, change: &AlbumUpdate) -> Result<Album> {
    let title = change.title.as_deref().map(album_title).transpose()?;
    let description =
        change.description.as_deref().map(|d| check_text("description", d, MAX_DESCRIPTION)).transpose()?;
    own_album(db, viewer, id).await?;
    let mut tx = db.begin().await?;
    if let Some(Some(cover)) = change.cover {
        let member: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?)")
                .bind(id)
                .bind(cover)
                .fetch_one(&mut *tx)
                .await?;
        if !member {
            return Err(CatalogError::Invalid(format!(
                "photo {cover} is not in this album: add it to the album before making it the cover"
            )));
        }
    }
    sqlx::query(
        "UPDATE albums SET title = coalesce(?1, title), description = coalesce(?2, description), \
         cover_photo_id = CASE WHEN ?3 = 1 THEN ?4 ELSE cover_photo_id END, updated_at = ?5 WHERE id = ?6",
    )
    .bind(title)
    .bind(description)
    .bind(change.cover.is_some())
    .bind(change.cover.flatten())
    .bind(now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    album(db, viewer, id).await
}

/// Deletes the album; its photos stay in the library.
pub async fn delete_album(db: &SqlitePool, viewer: i64, id: i64) -> Result<()> {
    let done =
        sqlx::query("DELETE FROM albums WHERE id = ? AND owner_id = ?").bind(id).bind(viewer).execute(db).await?;
    if done.rows_affected() == 0 { Err(CatalogError::NotFound) } else { Ok(()) }
}

/// Adds `viewer`'s photos to their album; photos already in it stay. Returns how many were new.
pub async fn add_to_album(db: &SqlitePool, viewer: i64, album_id: i64, ids: &[i64]) -> Result<u64> {
    let ids = unique(ids)?;
    own_album(db, viewer, album_id).await?;
    let mut tx = db.begin().await?;
    check_owned(&mut tx, viewer, &ids).await?;
    let now = now();
    let added = sqlx::query(
        "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at) \
         SELECT ?, id, taken_at, ? FROM photos WHERE owner_id = ? AND id IN (SELECT value FROM json_each(?)) \
         ON CONFLICT (album_id, photo_id) DO NOTHING",
    )
    .bind(album_id)
    .bind(now)
    .bind(viewer)
    .bind(json_ids(&ids))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?").bind(now).bind(album_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(added.rows_affected())
}

/// Takes photos out of the album (they stay in the library). Returns how many were in it.
pub async fn remove_from_album(db: &SqlitePool, viewer: i64, album_id: i64, ids: &[i64]) -> Result<u64> {
    let ids = unique(ids)?;
    own_album(db, viewer, album_id).await?;
    let mut tx = db.begin().await?;
    let removed =
        sqlx::query("DELETE FROM album_photos WHERE album_id = ? AND photo_id IN (SELECT value FROM json_each(?))")
            .bind(album_id)
            .bind(json_ids(&ids))
            .execute(&mut *tx)
            .await?;
    sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?").bind(now()).bind(album_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(removed.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Downloads

/// One file of a zip download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipItem {
    /// Absolute path of the original.
    pub path: PathBuf,
    /// Unique name inside the archive.
    pub name: String,
}

/// The album's originals (one present file per photo, newest first) with unique names.
pub async fn album_files(db: &SqlitePool, originals: &Path, viewer: i64, album_id: i64) -> Result<Vec<ZipItem>> {
    own_album(db, viewer, album_id).await?;
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'indexed' ORDER BY f.id LIMIT 1) \
         AS path FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
         WHERE ap.album_id = ? AND p.missing = 0 AND p.trashed_at IS NULL AND path IS NOT NULL \
         ORDER BY ap.taken_at DESC, ap.photo_id DESC",
    )
    .bind(album_id)
    .fetch_all(db)
    .await?;
    Ok(zip_items(originals, rows))
}

/// The originals of `viewer`'s photos `ids`, in the order given, with unique names.
pub async fn selection_files(db: &SqlitePool, originals: &Path, viewer: i64, ids: &[i64]) -> Result<Vec<ZipItem>> {
    let ids = unique(ids)?;
    let mut conn = db.acquire().await?;
    check_owned(&mut conn, viewer, &ids).await?;
    let mut paths = Vec::new();
    for id in ids {
        let path: Option<String> =
            sqlx::query_scalar("SELECT path FROM files WHERE photo_id = ? AND status = 'indexed' ORDER BY id LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(p) = path {
            paths.push(p);
        }
    }
    if paths.is_empty() {
        return Err(CatalogError::Invalid(
            "none of these photos has a file on disk any more: run an index or pick other photos".into(),
        ));
    }
    Ok(zip_items(originals, paths))
}

fn zip_items(originals: &Path, paths: Vec<String>) -> Vec<ZipItem> {
    let mut taken = HashSet::new();
    paths
        .into_iter()
        .filter_map(|rel| {
            let rel_path = safe_relative(&rel)?;
            let base = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            let (stem, ext) = match base.rsplit_once('.') {
                Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
                _ => (base.clone(), String::new()),
            };
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.to_lowercase()) {
                name = format!("{stem} ({n}){ext}");
                n += 1;
            }
            Some(ZipItem { path: originals.join(rel_path), name })
        })
        .collect()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().filter(|d| d.year() >= 1)
}
