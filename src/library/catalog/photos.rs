//! The photo actions: favourite, archive, trash, restore and editing a title or description.

use sqlx::SqlitePool;

use super::{CatalogError, MAX_DESCRIPTION, MAX_TITLE, Result, check_owned, check_text, json_ids, unique};
use crate::db::{now, retry_busy, write_tx};
use crate::library::store::{PHOTO_COLUMNS, PhotoRow};

/// Applies `set` (an UPDATE's SET list) to `viewer`'s photos `ids`, all or none.
async fn update_photos(db: &SqlitePool, viewer: i64, ids: &[i64], set: &str) -> Result<u64> {
    let ids = unique(ids)?;
    retry_busy(|| update_photos_once(db, viewer, &ids, set)).await
}

async fn update_photos_once(db: &SqlitePool, viewer: i64, ids: &[i64], set: &str) -> Result<u64> {
    let mut tx = write_tx(db).await?;
    check_owned(&mut tx, viewer, ids).await?;
    let done = sqlx::query(&format!(
        "UPDATE photos SET {set}, updated_at = ?2 WHERE owner_id = ?1 AND id IN (SELECT value FROM json_each(?3))"
    ))
    .bind(viewer)
    .bind(now())
    .bind(json_ids(ids))
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
    /// Private photos are never shown through sharing unless named in a selection link.
    pub private: Option<bool>,
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

pub async fn update_photo(db: &SqlitePool, viewer: i64, id: i64, change: &PhotoUpdate) -> Result<PhotoRow> {
    let title = change.title.as_deref().map(|t| check_text("title", t, MAX_TITLE)).transpose()?;
    let description =
        change.description.as_deref().map(|d| check_text("description", d, MAX_DESCRIPTION)).transpose()?;
    let (title, description) = (title.as_deref(), description.as_deref());
    retry_busy(|| update_photo_once(db, viewer, id, title, description, change)).await?;
    own_photo(db, viewer, id).await
}

async fn update_photo_once(
    db: &SqlitePool,
    viewer: i64,
    id: i64,
    title: Option<&str>,
    description: Option<&str>,
    change: &PhotoUpdate,
) -> Result<()> {
    let mut tx = write_tx(db).await?;
    check_owned(&mut tx, viewer, &[id]).await?;
    let now = now();
    sqlx::query(
        "UPDATE photos SET title = coalesce(?1, title), description = coalesce(?2, description), \
         edited = CASE WHEN ?1 IS NOT NULL OR ?2 IS NOT NULL THEN 1 ELSE edited END, \
         favorite = coalesce(?3, favorite), \
         archived_at = CASE WHEN ?4 IS NULL THEN archived_at WHEN ?4 = 1 THEN coalesce(archived_at, ?5) ELSE NULL END, \
         private = coalesce(?7, private), updated_at = ?5 WHERE id = ?6",
    )
    .bind(title)
    .bind(description)
    .bind(change.favorite)
    .bind(change.archived)
    .bind(now)
    .bind(id)
    .bind(change.private)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
