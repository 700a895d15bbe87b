//! Albums: listing, creating, editing and deleting them, adding and removing photos.

use serde::{Deserialize, Serialize};
use sqlx::{FromRow, SqlitePool};

use super::{
    AlbumRole, CatalogError, MAX_DESCRIPTION, MAX_TITLE, Result, album_role, check_owned, check_text, json_ids,
    require_role, unique,
};
use crate::db::{now, retry_busy, write_tx};

#[derive(Debug, Clone, Serialize, FromRow, PartialEq)]
pub struct Album {
    pub id: i64,
    pub owner_id: i64,
    /// The owner's username, shown to members.
    pub owner_name: String,
    pub title: String,
    pub description: String,
    /// The chosen cover, or None (then `cover_hash` is the newest photo's).
    pub cover_photo_id: Option<i64>,
    /// Content hash of the cover shown: the chosen one or else the newest photo; None when empty.
    pub cover_hash: Option<String>,
    /// Photos the viewer sees in the album (not in the trash, not missing, not someone else's
    /// private one).
    pub photo_count: i64,
    /// The album behind a selection link: not listed among the owner's albums.
    pub hidden: bool,
    /// How the album's photos are listed.
    pub sort_order: AlbumOrder,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How an album's photos are listed (`albums.sort_order`, migration 0090). Each is a keyset walk
/// of an index of `album_photos`, so a page costs the same in any album.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum AlbumOrder {
    /// Taken most recently first (the timeline's order).
    #[default]
    Newest,
    /// Taken longest ago first: a trip or an event told from its start.
    Oldest,
    /// Put into the album most recently first.
    Added,
}

impl AlbumOrder {
    pub const ALL: [AlbumOrder; 3] = [AlbumOrder::Newest, AlbumOrder::Oldest, AlbumOrder::Added];

    pub fn parse(name: &str) -> Option<AlbumOrder> {
        AlbumOrder::ALL.into_iter().find(|o| o.as_str() == name.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlbumOrder::Newest => "newest",
            AlbumOrder::Oldest => "oldest",
            AlbumOrder::Added => "added",
        }
    }

    /// As the album page's chooser names it.
    pub fn label(self) -> &'static str {
        match self {
            AlbumOrder::Newest => "Newest first",
            AlbumOrder::Oldest => "Oldest first",
            AlbumOrder::Added => "Recently added first",
        }
    }

    /// The error for an order that is none of these, saying which there are.
    pub fn unknown(name: &str) -> CatalogError {
        let names: Vec<&str> = AlbumOrder::ALL.iter().map(|o| o.as_str()).collect();
        CatalogError::Invalid(format!("sort order {name:?} is not one Shoebox has: use {}", names.join(", ")))
    }
}

/// An album as viewer `?1` sees it: the count and the newest-photo cover leave out other
/// people's private photos, which a member never sees.
const ALBUM_SELECT: &str = "SELECT a.id, a.owner_id, (SELECT username FROM users WHERE id = a.owner_id) AS owner_name, a.title, a.description, a.cover_photo_id, \
     coalesce((SELECT hash FROM photos WHERE id = a.cover_photo_id), \
              (SELECT p.hash FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
               WHERE ap.album_id = a.id AND p.missing = 0 AND p.trashed_at IS NULL AND (p.owner_id = ?1 OR p.private = 0) \
               ORDER BY ap.taken_at DESC, ap.photo_id DESC LIMIT 1)) AS cover_hash, \
     (SELECT count(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
      WHERE ap.album_id = a.id AND p.missing = 0 AND p.trashed_at IS NULL AND (p.owner_id = ?1 OR p.private = 0)) AS photo_count, \
     a.hidden, a.sort_order, a.created_at, a.updated_at FROM albums a";

/// `viewer`'s albums, most recently changed first (not the hidden ones behind selection links).
pub async fn albums(db: &SqlitePool, viewer: i64) -> Result<Vec<Album>> {
    Ok(sqlx::query_as(&format!(
        "{ALBUM_SELECT} WHERE a.owner_id = ?1 AND a.hidden = 0 ORDER BY a.updated_at DESC, a.id DESC"
    ))
    .bind(viewer)
    .fetch_all(db)
    .await?)
}

/// Albums shared with `viewer` (as a member or through a sign-on group), most recently changed first, with their role.
pub async fn shared_albums(db: &SqlitePool, viewer: i64) -> Result<Vec<(Album, AlbumRole)>> {
    let albums: Vec<Album> = sqlx::query_as(&format!(
        "{ALBUM_SELECT} WHERE a.owner_id != ?1 AND a.id IN (SELECT album_id FROM album_members WHERE user_id = ?1 \
         UNION SELECT g.album_id FROM album_groups g JOIN user_groups ug ON ug.name = g.group_name \
         WHERE ug.user_id = ?1) ORDER BY a.updated_at DESC, a.id DESC"
    ))
    .bind(viewer)
    .fetch_all(db)
    .await?;
    let mut out = Vec::new();
    for a in albums {
        let role = album_role(db, viewer, a.id).await?;
        out.push((a, role));
    }
    Ok(out)
}

/// An album `viewer` owns or is a member of.
pub async fn album(db: &SqlitePool, viewer: i64, id: i64) -> Result<Album> {
    album_role(db, viewer, id).await?;
    sqlx::query_as(&format!("{ALBUM_SELECT} WHERE a.id = ?2"))
        .bind(viewer)
        .bind(id)
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
    pub order: Option<AlbumOrder>,
}

pub async fn update_album(db: &SqlitePool, viewer: i64, id: i64, change: &AlbumUpdate) -> Result<Album> {
    let title = change.title.as_deref().map(album_title).transpose()?;
    let description =
        change.description.as_deref().map(|d| check_text("description", d, MAX_DESCRIPTION)).transpose()?;
    require_role(db, viewer, id, AlbumRole::Editor).await?;
    let (title, description) = (title.as_deref(), description.as_deref());
    retry_busy(|| update_album_once(db, id, title, description, change)).await?;
    album(db, viewer, id).await
}

async fn update_album_once(
    db: &SqlitePool,
    id: i64,
    title: Option<&str>,
    description: Option<&str>,
    change: &AlbumUpdate,
) -> Result<()> {
    let mut tx = write_tx(db).await?;
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
         cover_photo_id = CASE WHEN ?3 = 1 THEN ?4 ELSE cover_photo_id END, sort_order = coalesce(?7, sort_order), \
         updated_at = ?5 WHERE id = ?6",
    )
    .bind(title)
    .bind(description)
    .bind(change.cover.is_some())
    .bind(change.cover.flatten())
    .bind(now())
    .bind(id)
    .bind(change.order)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the album; its photos stay in the library.
pub async fn delete_album(db: &SqlitePool, viewer: i64, id: i64) -> Result<()> {
    require_role(db, viewer, id, AlbumRole::Owner).await?;
    let done =
        sqlx::query("DELETE FROM albums WHERE id = ? AND owner_id = ?").bind(id).bind(viewer).execute(db).await?;
    if done.rows_affected() == 0 { Err(CatalogError::NotFound) } else { Ok(()) }
}

/// Adds `viewer`'s own photos to an album they own or contribute to (a contributed photo stays
/// its owner's); photos already in it stay. Returns how many were new.
pub async fn add_to_album(db: &SqlitePool, viewer: i64, album_id: i64, ids: &[i64]) -> Result<u64> {
    let ids = unique(ids)?;
    require_role(db, viewer, album_id, AlbumRole::Contributor).await?;
    retry_busy(|| add_to_album_once(db, viewer, album_id, &ids)).await
}

async fn add_to_album_once(db: &SqlitePool, viewer: i64, album_id: i64, ids: &[i64]) -> Result<u64> {
    let mut tx = write_tx(db).await?;
    check_owned(&mut tx, viewer, ids).await?;
    let now = now();
    let added = sqlx::query(
        "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at, added_by) \
         SELECT ?1, id, taken_at, ?2, ?3 FROM photos WHERE owner_id = ?3 AND id IN (SELECT value FROM json_each(?4)) \
         ON CONFLICT (album_id, photo_id) DO NOTHING",
    )
    .bind(album_id)
    .bind(now)
    .bind(viewer)
    .bind(json_ids(ids))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?").bind(now).bind(album_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(added.rows_affected())
}

/// Takes photos out of the album (they stay in the library). The owner and editors take out any;
/// a contributor only their own. Returns how many were in it.
pub async fn remove_from_album(db: &SqlitePool, viewer: i64, album_id: i64, ids: &[i64]) -> Result<u64> {
    let ids = unique(ids)?;
    let role = require_role(db, viewer, album_id, AlbumRole::Contributor).await?;
    let only_owner = (role == AlbumRole::Contributor).then_some(viewer);
    retry_busy(|| remove_from_album_once(db, album_id, &ids, only_owner)).await
}

async fn remove_from_album_once(db: &SqlitePool, album_id: i64, ids: &[i64], only_owner: Option<i64>) -> Result<u64> {
    let mut tx = write_tx(db).await?;
    let removed = sqlx::query(
        "DELETE FROM album_photos WHERE album_id = ?1 AND photo_id IN (SELECT value FROM json_each(?2)) \
         AND (?3 IS NULL OR photo_id IN (SELECT id FROM photos WHERE owner_id = ?3))",
    )
    .bind(album_id)
    .bind(json_ids(ids))
    .bind(only_owner)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?").bind(now()).bind(album_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(removed.rows_affected())
}
