//! Deleting photos for good: emptying a trash and the TRASH_DAYS purge, rows, uploaded
//! originals and cache files together.

use std::path::Path;

use serde::Serialize;
use sqlx::SqlitePool;

use super::{CatalogError, MAX_BATCH, Result, json_ids, safe_relative};
use crate::db::{now, retry_busy, write_tx};
use crate::library::cache::ThumbCache;
use crate::library::store::DELETED_REASON;

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

/// Removes photos from Shoebox: their rows (albums follow by cascade), uploaded files from disk,
/// every cache file of their content unless another photo still uses it. Files indexed in place
/// stay on disk and are remembered as deleted, so the next index does not bring them back silently.
async fn delete_forever(db: &SqlitePool, disk: Disk<'_>, ids: &[i64]) -> Result<Purged> {
    let mut purged = Purged::default();
    for chunk in ids.chunks(MAX_BATCH) {
        let list = json_ids(chunk);
        let Removed { uploads, unused, photos, files_kept } = retry_busy(|| remove_rows(db, &list)).await?;
        purged.photos += photos;
        purged.files_kept += files_kept;
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

/// What one transaction of `delete_forever` removed, for the disk work after its commit.
struct Removed {
    uploads: Vec<String>,
    unused: Vec<String>,
    photos: u64,
    files_kept: u64,
}

/// Deletes the rows of the photos in `list` (a JSON array of ids) in one transaction.
async fn remove_rows(db: &SqlitePool, list: &str) -> Result<Removed> {
    let now = now();
    let mut tx = write_tx(db).await?;
    let uploads: Vec<String> = sqlx::query_scalar(
        "SELECT path FROM files WHERE uploaded = 1 AND photo_id IN (SELECT value FROM json_each(?))",
    )
    .bind(list)
    .fetch_all(&mut *tx)
    .await?;
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT hash FROM photos WHERE id IN (SELECT value FROM json_each(?))")
            .bind(list)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query(
        "INSERT INTO deleted_photos (owner_id, hash, deleted_at) \
         SELECT owner_id, hash, ? FROM photos WHERE id IN (SELECT value FROM json_each(?)) \
         ON CONFLICT (owner_id, hash) DO UPDATE SET deleted_at = excluded.deleted_at",
    )
    .bind(now)
    .bind(list)
    .execute(&mut *tx)
    .await?;
    // A clip or RAW left in place is kept out of the next index too: alone, it would come back
    // as an item of its own.
    sqlx::query(
        "INSERT INTO deleted_photos (owner_id, hash, deleted_at) \
         SELECT p.owner_id, f.hash, ? FROM files f JOIN photos p ON p.id = f.photo_id \
         WHERE f.photo_id IN (SELECT value FROM json_each(?)) AND f.role != 'primary' AND f.hash IS NOT NULL \
         ON CONFLICT (owner_id, hash) DO UPDATE SET deleted_at = excluded.deleted_at",
    )
    .bind(now)
    .bind(list)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM files WHERE photo_id IN (SELECT value FROM json_each(?)) AND (uploaded = 1 OR status = 'missing')",
    )
    .bind(list)
    .execute(&mut *tx)
    .await?;
    let kept = sqlx::query(
        "UPDATE files SET status = 'skipped', reason = ?, photo_id = NULL, indexed_at = ? \
         WHERE photo_id IN (SELECT value FROM json_each(?))",
    )
    .bind(DELETED_REASON)
    .bind(now)
    .bind(list)
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM photos WHERE id IN (SELECT value FROM json_each(?))")
        .bind(list)
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
    Ok(Removed { uploads, unused, photos: deleted.rows_affected(), files_kept: kept.rows_affected() })
}
