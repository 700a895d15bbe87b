//! The library's tables: photos, files, folder grants; the access check every media request uses.

use serde::Serialize;
use sqlx::{FromRow, SqliteConnection, SqlitePool};

use super::analyze::Analysis;
use crate::db::now;

/// A file row as the scan compares it.
#[derive(Debug, Clone, FromRow)]
pub struct KnownFile {
    pub path: String,
    pub size: i64,
    pub mtime_ns: i64,
    pub status: String,
    /// Indexed, but its photo is gone: it went with its owner's account (`ON DELETE SET NULL`).
    pub orphan: bool,
    /// The content hash of a file skipped because its owner deleted the photo from Shoebox.
    pub deleted_hash: Option<String>,
}

pub async fn known_files(db: &SqlitePool) -> sqlx::Result<Vec<KnownFile>> {
    sqlx::query_as(
        "SELECT path, size, mtime_ns, status, (status = 'indexed' AND photo_id IS NULL) AS orphan, \
         CASE WHEN status = 'skipped' AND reason = ? THEN hash END AS deleted_hash FROM files",
    )
    .bind(DELETED_REASON)
    .fetch_all(db)
    .await
}

/// Every (owner, hash) deleted from Shoebox.
pub async fn deleted_marks(db: &SqlitePool) -> sqlx::Result<std::collections::HashSet<(i64, String)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT owner_id, hash FROM deleted_photos").fetch_all(db).await?;
    Ok(rows.into_iter().collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new photo.
    New(i64),
    /// Another file (a copy, a moved file, a duplicate upload) of a photo the owner already had.
    Existing(i64),
    /// A file of its own that joined a photo the owner already had: a Live Photo's clip beside
    /// its still, a RAW beside its JPEG.
    Joined(i64),
}

impl Recorded {
    pub fn id(self) -> i64 {
        match self {
            Recorded::New(id) | Recorded::Existing(id) | Recorded::Joined(id) => id,
        }
    }
}

pub async fn photo_by_hash(conn: &mut SqliteConnection, owner: i64, hash: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM photos WHERE owner_id = ? AND hash = ?")
        .bind(owner)
        .bind(hash)
        .fetch_optional(conn)
        .await
}

/// The photo of `owner` holding a present paired file (a Live Photo's clip, the RAW beside a
/// JPEG) with `hash`: such a file has no photo of its own, so `photo_by_hash` cannot find it, and
/// storing it again would put a second copy beside the first.
pub async fn photo_pairing_hash(conn: &mut SqliteConnection, owner: i64, hash: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT f.photo_id FROM files f JOIN photos p ON p.id = f.photo_id \
         WHERE p.owner_id = ? AND f.hash = ? AND f.role != 'primary' AND f.status = 'indexed' LIMIT 1",
    )
    .bind(owner)
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Whether the photo has no present file (it was indexed, then its files went away).
pub async fn is_missing(conn: &mut SqliteConnection, photo: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT missing FROM photos WHERE id = ?").bind(photo).fetch_one(conn).await
}

/// Takes a photo out of the trash; nothing happens when it is not in it.
pub async fn untrash(conn: &mut SqliteConnection, photo: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE photos SET trashed_at = NULL WHERE id = ? AND trashed_at IS NOT NULL")
        .bind(photo)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets that `owner` deleted a photo with this content from Shoebox, so it can come back.
pub async fn clear_deleted_mark(conn: &mut SqliteConnection, owner: i64, hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM deleted_photos WHERE owner_id = ? AND hash = ?")
        .bind(owner)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a file as uploaded through Shoebox: deleting its photo for good deletes it from disk.
pub async fn mark_uploaded(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE files SET uploaded = 1 WHERE path = ?").bind(path).execute(conn).await?;
    Ok(())
}

/// Whether a file row exists for `path` (a name an upload must not take, even if the file is gone).
pub async fn file_known(db: &SqlitePool, path: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM files WHERE path = ?")
        .bind(path)
        .fetch_one(db)
        .await
        .map(|n| n > 0)
}

/// Takes back an upload's rows whose file could not be placed: its file row, and the photo when
/// the upload created it and no other file shows it.
pub async fn forget_upload(db: &SqlitePool, path: &str, recorded: Recorded) -> sqlx::Result<()> {
    let mut tx = crate::db::write_tx(db).await?;
    sqlx::query("DELETE FROM files WHERE path = ?").bind(path).execute(&mut *tx).await?;
    if let Recorded::New(id) = recorded {
        sqlx::query("DELETE FROM photos WHERE id = ? AND NOT EXISTS (SELECT 1 FROM files WHERE photo_id = ?)")
            .bind(id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Every account as (id, username, role), oldest first: the index decides who owns a folder.
pub async fn owner_candidates(db: &SqlitePool) -> sqlx::Result<Vec<(i64, String, String)>> {
    sqlx::query_as("SELECT id, username, role FROM users ORDER BY id").fetch_all(db).await
}

/// Records an indexed file: finds or creates the owner's photo for its hash, then points the file
/// row at it. With `refresh`, an existing photo's metadata is rewritten (a rescan).
pub async fn record_photo(
    conn: &mut SqliteConnection,
    owner: i64,
    path: &str,
    size: i64,
    mtime_ns: i64,
    a: &Analysis,
    refresh: bool,
) -> sqlx::Result<Recorded> {
    if let Some(joined) = super::pairs::join_still(conn, owner, path, size, mtime_ns, a).await? {
        return Ok(joined);
    }
    let now = now();
    let existing = photo_by_hash(conn, owner, &a.hash).await?;
    let taken = a.meta.taken.expect("a date is always found (mtime at worst)");
    let recorded = match existing {
        Some(id) if !refresh => Recorded::Existing(id),
        _ => {
            let m = &a.meta;
            let id: i64 = sqlx::query_scalar(&format!(
                "INSERT INTO photos (owner_id, hash, format, width, height, orientation, taken_at, taken_local, \
                 taken_offset, taken_source, camera_make, camera_model, lens, focal_length, f_number, exposure_time, \
                 iso, latitude, longitude, altitude, title, description, placeholder, missing, created_at, updated_at, \
                 media_type, duration_ms, video_codec, frame_rate, motion_offset, motion_length, motion_format) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (owner_id, hash) DO UPDATE SET format = excluded.format, width = excluded.width, \
                 height = excluded.height, orientation = excluded.orientation, \
                 taken_at = CASE WHEN photos.taken_by_hand = 1 THEN photos.taken_at ELSE excluded.taken_at END, \
                 taken_local = CASE WHEN photos.taken_by_hand = 1 THEN photos.taken_local ELSE excluded.taken_local END, \
                 taken_offset = CASE WHEN photos.taken_by_hand = 1 THEN photos.taken_offset ELSE excluded.taken_offset END, \
                 taken_source = excluded.taken_source, camera_make = excluded.camera_make, \
                 camera_model = excluded.camera_model, lens = excluded.lens, focal_length = excluded.focal_length, \
                 f_number = excluded.f_number, exposure_time = excluded.exposure_time, iso = excluded.iso, \
                 latitude = CASE WHEN photos.place_by_hand = 1 THEN photos.latitude ELSE excluded.latitude END, \
                 longitude = CASE WHEN photos.place_by_hand = 1 THEN photos.longitude ELSE excluded.longitude END, \
                 altitude = CASE WHEN photos.place_by_hand = 1 THEN photos.altitude ELSE excluded.altitude END, \
                 title = CASE WHEN photos.edited = 1 THEN photos.title ELSE excluded.title END, \
                 description = CASE WHEN photos.edited = 1 THEN photos.description ELSE excluded.description END, \
                 placeholder = excluded.placeholder, \
                 media_type = CASE WHEN {KEEP_CLIP} THEN photos.media_type ELSE excluded.media_type END, \
                 duration_ms = CASE WHEN {KEEP_CLIP} THEN photos.duration_ms ELSE excluded.duration_ms END, \
                 video_codec = CASE WHEN {KEEP_CLIP} THEN photos.video_codec ELSE excluded.video_codec END, \
                 frame_rate = CASE WHEN {KEEP_CLIP} THEN photos.frame_rate ELSE excluded.frame_rate END, \
                 motion_format = CASE WHEN {KEEP_CLIP} THEN photos.motion_format ELSE excluded.motion_format END, \
                 motion_offset = excluded.motion_offset, \
                 motion_length = excluded.motion_length, missing = 0, updated_at = excluded.updated_at \
                 RETURNING id"
            ))
            .bind(owner)
            .bind(&a.hash)
            .bind(a.format.as_str())
            .bind(a.width)
            .bind(a.height)
            .bind(m.orientation)
            .bind(taken.timestamp())
            .bind(taken.local_text())
            .bind(taken.offset_text())
            .bind(taken.source.as_str())
            .bind(&m.camera_make)
            .bind(&m.camera_model)
            .bind(&m.lens)
            .bind(m.focal_length)
            .bind(m.f_number)
            .bind(&m.exposure_time)
            .bind(m.iso)
            .bind(m.latitude)
            .bind(m.longitude)
            .bind(m.altitude)
            .bind(&m.title)
            .bind(&m.description)
            .bind(&a.placeholder)
            .bind(now)
            .bind(now)
            .bind(a.media.media_type.as_str())
            .bind(a.media.duration_ms)
            .bind(&a.media.video_codec)
            .bind(a.media.frame_rate)
            .bind(a.media.motion.map(|(offset, _)| offset as i64))
            .bind(a.media.motion.map(|(_, len)| len as i64))
            .bind(a.media.motion.map(|_| "mp4"))
            .fetch_one(&mut *conn)
            .await?;
            if existing.is_some() { Recorded::Existing(id) } else { Recorded::New(id) }
        }
    };
    sqlx::query(
        "INSERT INTO files (path, size, mtime_ns, hash, photo_id, status, reason, indexed_at, missing_since, \
         content_id) VALUES (?1, ?2, ?3, ?4, ?5, 'indexed', '', ?6, NULL, ?8) \
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash, \
         photo_id = excluded.photo_id, status = 'indexed', reason = '', indexed_at = excluded.indexed_at, \
         missing_since = NULL, role = 'primary', content_id = excluded.content_id, \
         uploaded = CASE WHEN (SELECT owner_id FROM photos WHERE id = files.photo_id) = ?7 THEN files.uploaded ELSE 0 END",
    )
    .bind(path)
    .bind(size)
    .bind(mtime_ns)
    .bind(&a.hash)
    .bind(recorded.id())
    .bind(now)
    // A file that changes owner (its uploader's account was deleted) is no longer an upload: it
    // stays on disk when its new owner deletes the photo, like any file indexed in place.
    .bind(owner)
    .bind(&a.meta.content_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE photos SET missing = 0 WHERE id = ? AND missing = 1")
        .bind(recorded.id())
        .execute(&mut *conn)
        .await?;
    super::pairs::adopt_partners(conn, owner, path, recorded.id(), a).await?;
    Ok(recorded)
}

/// A still read again (a rescan) keeps the Apple clip beside it: the still's own file says
/// nothing of it.
const KEEP_CLIP: &str = "(excluded.media_type = 'image' AND EXISTS (SELECT 1 FROM files m \
     WHERE m.photo_id = photos.id AND m.role = 'motion' AND m.status = 'indexed'))";

/// Why a file whose photo was deleted from Shoebox is not indexed again.
pub const DELETED_REASON: &str =
    "deleted from Shoebox (the file was left in place); upload it again to bring it back, or remove the file";

/// Whether `owner` deleted a photo with this content from Shoebox (so the index leaves it out).
pub async fn is_deleted(conn: &mut SqliteConnection, owner: i64, hash: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deleted_photos WHERE owner_id = ? AND hash = ?)")
        .bind(owner)
        .bind(hash)
        .fetch_one(conn)
        .await
}

/// Records a skipped file; `hash` is None for files refused unread (by their type or size).
pub async fn record_skipped(
    conn: &mut SqliteConnection,
    path: &str,
    size: i64,
    mtime_ns: i64,
    hash: Option<&str>,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO files (path, size, mtime_ns, hash, photo_id, status, reason, indexed_at, missing_since) \
         VALUES (?, ?, ?, ?, NULL, 'skipped', ?, ?, NULL) \
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash, \
         photo_id = NULL, status = 'skipped', reason = excluded.reason, indexed_at = excluded.indexed_at, \
         missing_since = NULL",
    )
    .bind(path)
    .bind(size)
    .bind(mtime_ns)
    .bind(hash)
    .bind(reason)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// What the index knows, as the Library page and `GET /api/v1/index/skipped` show it.
#[derive(Debug, Serialize)]
pub struct FileCounts {
    /// Photos with at least one present file.
    pub photos: i64,
    pub indexed: i64,
    pub skipped: i64,
    pub missing: i64,
}

pub async fn file_counts(db: &SqlitePool) -> sqlx::Result<FileCounts> {
    let photos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photos WHERE missing = 0").fetch_one(db).await?;
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM files GROUP BY status").fetch_all(db).await?;
    let count = |s: &str| by_status.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
    Ok(FileCounts { photos, indexed: count("indexed"), skipped: count("skipped"), missing: count("missing") })
}

#[derive(Debug, Serialize, FromRow)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// Up to `limit` skipped files in path order, starting after the path `after`, and the `after` of
/// the following page (`None` on the last). Keyset paging: a page costs the same at any position.
pub async fn skipped_files(
    db: &SqlitePool,
    after: Option<&str>,
    limit: i64,
) -> sqlx::Result<(Vec<SkippedFile>, Option<String>)> {
    let mut rows: Vec<SkippedFile> =
        sqlx::query_as("SELECT path, reason FROM files WHERE status = 'skipped' AND path > ? ORDER BY path LIMIT ?")
            .bind(after.unwrap_or(""))
            .bind(limit + 1)
            .fetch_all(db)
            .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.path.clone())
    } else {
        None
    };
    Ok((rows, next))
}

pub async fn mark_missing(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE files SET status = 'missing', missing_since = ? WHERE path = ? AND status != 'missing'")
        .bind(now())
        .bind(path)
        .execute(conn)
        .await?;
    Ok(())
}

/// A photo is missing when none of its primary files is present (a clip or RAW alone does not
/// show it); it comes back when one is. Pairs whose files went are undone first.
pub async fn refresh_missing_photos(db: &SqlitePool) -> sqlx::Result<()> {
    crate::db::retry_busy(|| async {
        let mut tx = crate::db::write_tx(db).await?;
        super::pairs::settle(&mut tx).await?;
        sqlx::query(
            "UPDATE photos SET missing = 1 - EXISTS (SELECT 1 FROM files f WHERE f.photo_id = photos.id \
             AND f.status = 'indexed' AND f.role = 'primary') WHERE missing != 1 - EXISTS (SELECT 1 FROM files f \
             WHERE f.photo_id = photos.id AND f.status = 'indexed' AND f.role = 'primary')",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
    .await
}

/// Whether photo `p` (not private) is in an album that user ?2 owns, is a member of, or is in a
/// sign-on group it is shared with: sharing an album shows its photos to its members, and
/// contributors' photos to its owner.
const IN_SHARED_ALBUM: &str = "(p.private = 0 AND EXISTS (SELECT 1 FROM album_photos ap JOIN albums a ON a.id = ap.album_id \
     WHERE ap.photo_id = p.id AND (a.owner_id = ?2 OR EXISTS (SELECT 1 FROM album_members m \
     WHERE m.album_id = a.id AND m.user_id = ?2) OR EXISTS (SELECT 1 FROM album_groups g \
     JOIN user_groups ug ON ug.name = g.group_name WHERE g.album_id = a.id AND ug.user_id = ?2))))";

/// Whether photo `p` is in the library its owner shares with `?2` as a partner: never a private,
/// archived or trashed one (the owner keeps those to themselves).
const IN_PARTNER_LIBRARY: &str = "(p.private = 0 AND p.archived_at IS NULL AND p.trashed_at IS NULL \
     AND EXISTS (SELECT 1 FROM partners pa WHERE pa.owner_id = p.owner_id AND pa.partner_id = ?2))";

/// Photos with this content that `viewer` may see: their own (the trash included), or in a folder
/// granted to them, or in an album shared with them (not when its owner put it in the trash), or
/// in a library a partner shares with them.
fn visible_files() -> String {
    visible_files_where("f.path, f.size", "1")
}

/// [`visible_files`] with other columns, among the photos that also match `only`.
fn visible_files_where(columns: &str, only: &str) -> String {
    format!(
        "SELECT {columns} FROM photos p JOIN files f ON f.photo_id = p.id AND f.status = 'indexed' \
         AND f.role = 'primary' WHERE p.hash = ?1 AND {only} AND (p.owner_id = ?2 OR (p.trashed_at IS NULL AND (EXISTS (SELECT 1 FROM folder_grants g \
         WHERE g.user_id = ?2 AND substr(f.path, 1, length(g.folder) + 1) = g.folder || '/') OR {IN_SHARED_ALBUM} \
         OR {IN_PARTNER_LIBRARY}))) ORDER BY f.id LIMIT 1"
    )
}

/// A video, or a live photo's clip, as the stream route needs it.
#[derive(Debug, FromRow)]
pub struct VisibleVideo {
    /// Relative to the originals: the video, or the live photo's still.
    pub path: String,
    pub format: String,
    pub video_codec: Option<String>,
    /// Its `transcodes.status`, when it has been queued.
    pub transcode: Option<String>,
    /// A live photo's clip container (`mov`, `mp4`); None for a video.
    pub motion_format: Option<String>,
    /// An Apple Live Photo's clip beside the still, relative to the originals.
    pub motion_path: Option<String>,
    /// A Motion Photo's clip inside the still: its offset and length.
    pub motion_offset: Option<i64>,
    pub motion_length: Option<i64>,
}

/// A present video with `hash`, or a live photo with its clip, that `viewer` may see, by the same
/// rule as every original.
pub async fn visible_video(db: &SqlitePool, viewer: i64, hash: &str) -> sqlx::Result<Option<VisibleVideo>> {
    let columns = "f.path, p.format, p.video_codec, (SELECT t.status FROM transcodes t WHERE t.hash = p.hash) AS transcode, \
         p.motion_format, (SELECT m.path FROM files m WHERE m.photo_id = p.id AND m.role = 'motion' \
         AND m.status = 'indexed' ORDER BY m.id LIMIT 1) AS motion_path, p.motion_offset, p.motion_length";
    sqlx::query_as(&visible_files_where(columns, "p.media_type IN ('video', 'live')"))
        .bind(hash)
        .bind(viewer)
        .fetch_optional(db)
        .await
}

/// The present file paired with a photo with `hash` that `viewer` may see, by the same rule as its
/// original: its Live Photo clip (`role` `motion`) or the RAW beside it (`companion`).
pub async fn visible_paired(db: &SqlitePool, viewer: i64, hash: &str, role: &str) -> sqlx::Result<Option<String>> {
    let column = "(SELECT m.path FROM files m WHERE m.photo_id = p.id AND m.role = ?3 AND m.status = 'indexed' \
         ORDER BY m.id LIMIT 1) AS paired";
    let row: Option<(Option<String>,)> =
        sqlx::query_as(&visible_files_where(column, "1")).bind(hash).bind(viewer).bind(role).fetch_optional(db).await?;
    Ok(row.and_then(|r| r.0))
}

/// A present file of a photo with `hash` that `viewer` may see (its path relative to the originals).
pub async fn visible_file(db: &SqlitePool, viewer: i64, hash: &str) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as(&visible_files()).bind(hash).bind(viewer).fetch_optional(db).await
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct PhotoRow {
    pub id: i64,
    pub owner_id: i64,
    pub hash: String,
    pub format: String,
    pub width: i64,
    pub height: i64,
    pub orientation: i64,
    pub taken_at: i64,
    pub taken_local: String,
    pub taken_offset: Option<String>,
    pub taken_source: String,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub focal_length: Option<f64>,
    pub f_number: Option<f64>,
    pub exposure_time: Option<String>,
    pub iso: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    pub title: String,
    pub description: String,
    #[serde(skip)]
    pub placeholder: Option<Vec<u8>>,
    pub missing: bool,
    pub favorite: bool,
    /// Unix seconds, or None.
    pub archived_at: Option<i64>,
    /// Unix seconds, or None.
    pub trashed_at: Option<i64>,
    /// Its owner's alone: never shown through sharing unless the owner names it (a selection).
    pub private: bool,
    /// The share link a visitor uploaded this photo through, or None.
    pub contributed_link_id: Option<i64>,
    /// image, raw, video or live.
    pub media_type: String,
    /// A video's or live photo clip's length.
    pub duration_ms: Option<i64>,
    /// As ffprobe names it (h264, hevc, …).
    pub video_codec: Option<String>,
    /// The video's `transcodes.status`, when it has been queued.
    #[serde(skip)]
    pub transcode: Option<String>,
    /// A live photo's clip container (`mov`, `mp4`): with the codec, whether browsers play it.
    #[serde(skip)]
    pub motion_format: Option<String>,
}

/// The columns of `PhotoRow`, for a query that names the photos table `p`.
pub const PHOTO_COLUMNS: &str = "p.id, p.owner_id, p.hash, p.format, p.width, p.height, p.orientation, p.taken_at, \
     p.taken_local, p.taken_offset, p.taken_source, p.camera_make, p.camera_model, p.lens, p.focal_length, p.f_number, \
     p.exposure_time, p.iso, p.latitude, p.longitude, p.altitude, p.title, p.description, p.placeholder, p.missing, \
     p.favorite, p.archived_at, p.trashed_at, p.private, p.contributed_link_id, p.media_type, p.duration_ms, \
     p.video_codec, (SELECT t.status FROM transcodes t WHERE t.hash = p.hash) AS transcode, p.motion_format";

/// Whether one of this photo's own present files lies in a folder granted to `viewer`. By the
/// photo, not its content: owning the same bytes shows nobody another owner's photo.
const GRANTED_PHOTO: &str = "SELECT EXISTS (SELECT 1 FROM files f WHERE f.photo_id = ?1 AND f.status = 'indexed' \
     AND EXISTS (SELECT 1 FROM folder_grants g WHERE g.user_id = ?2 \
     AND substr(f.path, 1, length(g.folder) + 1) = g.folder || '/'))";

/// A photo `viewer` may see, by id: their own (the trash included), or one with a file in a folder
/// granted to them or in an album shared with them (not when its owner put it in the trash), or
/// one of a partner's shared library.
pub async fn photo_for(db: &SqlitePool, viewer: i64, id: i64) -> sqlx::Result<Option<PhotoRow>> {
    let row: Option<PhotoRow> = sqlx::query_as(&format!("SELECT {PHOTO_COLUMNS} FROM photos p WHERE p.id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    match row {
        Some(p) if p.owner_id == viewer => Ok(Some(p)),
        Some(p) if p.trashed_at.is_some() => Ok(None),
        Some(p) => {
            let granted: bool = sqlx::query_scalar(GRANTED_PHOTO).bind(p.id).bind(viewer).fetch_one(db).await?;
            let shared: bool = sqlx::query_scalar(&format!(
                "SELECT EXISTS (SELECT 1 FROM photos p WHERE p.id = ?1 AND ({IN_SHARED_ALBUM} OR {IN_PARTNER_LIBRARY}))"
            ))
            .bind(p.id)
            .bind(viewer)
            .fetch_one(db)
            .await?;
            Ok((granted || shared).then_some(p))
        }
        None => Ok(None),
    }
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct FileRow {
    pub path: String,
    pub size: i64,
    pub status: String,
    pub reason: String,
    /// `primary` (the photo is made from it), `motion` (a Live Photo's clip), `companion` (a RAW).
    pub role: String,
}

/// The photo's files, the primary ones first.
pub async fn files_of(db: &SqlitePool, photo: i64) -> sqlx::Result<Vec<FileRow>> {
    sqlx::query_as(
        "SELECT path, size, status, reason, role FROM files WHERE photo_id = ? ORDER BY role != 'primary', id",
    )
    .bind(photo)
    .fetch_all(db)
    .await
}
