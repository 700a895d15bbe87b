//! Share links: made, changed and revoked by an album's owner; opened by anyone holding the
//! token. The token is never stored, only its BLAKE3 hash; the password only as argon2id (hashed
//! by the caller, off the async threads). What a visitor may see is decided here: the album's
//! photos that are not in the trash, not missing and not private, except in a selection link,
//! whose hidden album holds exactly the photos its owner chose to share.

use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use sqlx::{FromRow, SqlitePool};

use super::{CatalogError, Cursor, Page, Result, check_owned, check_text, json_ids, own_album, unique};
use crate::db::{now, retry_busy, write_tx};
use crate::library::store::{PHOTO_COLUMNS, PhotoRow};

/// Links last this long unless the sharer says otherwise.
pub const DEFAULT_EXPIRY_SECS: i64 = 30 * 86_400;
/// The longest expiry one may ask for, short of "never".
pub const MAX_EXPIRY_SECS: i64 = 10 * 365 * 86_400;
pub const MAX_VIEWS: i64 = 1_000_000;
pub const MAX_COMMENT: usize = 1000;
pub const MAX_PASSWORD: usize = 1000;

/// A new random token: 256 bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored in place of the token.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// A link as its owner sees it.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Link {
    pub id: i64,
    pub album_id: i64,
    #[serde(skip)]
    pub password_hash: Option<String>,
    #[serde(skip)]
    pub epoch: i64,
    pub expires_at: Option<i64>,
    pub max_views: Option<i64>,
    pub view_count: i64,
    pub last_view_at: Option<i64>,
    pub can_download: bool,
    pub show_metadata: bool,
    pub can_upload: bool,
    pub comment: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const LINK_COLUMNS: &str = "l.id, l.album_id, l.password_hash, l.epoch, l.expires_at, l.max_views, l.view_count, \
     l.last_view_at, l.can_download, l.show_metadata, l.can_upload, l.comment, l.created_at, l.revoked_at";

/// Where a link stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Active,
    Revoked,
    Expired,
    /// Every allowed view was used: no new visit may start.
    UsedUp,
}

impl Link {
    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    pub fn state(&self, now: i64) -> LinkState {
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.expires_at.is_some_and(|t| t <= now) {
            LinkState::Expired
        } else if self.max_views.is_some_and(|m| self.view_count >= m) {
            LinkState::UsedUp
        } else {
            LinkState::Active
        }
    }
}

/// A change to a link (or the settings of a new one). For the doubly optional fields, None
/// leaves the value as it is (a new link takes the default) and Some(None) clears it: never
/// expires, no password, no view limit.
#[derive(Debug, Clone, Default)]
pub struct LinkChange {
    pub expires_in: Option<Option<i64>>,
    /// Some(Some(argon2 hash)) sets a password, Some(None) removes it.
    pub password_hash: Option<Option<String>>,
    pub max_views: Option<Option<i64>>,
    pub can_download: Option<bool>,
    pub show_metadata: Option<bool>,
    pub can_upload: Option<bool>,
    pub comment: Option<String>,
}

impl LinkChange {
    fn checked(&self) -> Result<LinkChange> {
        if let Some(Some(s)) = self.expires_in
            && !(1..=MAX_EXPIRY_SECS).contains(&s)
        {
            return Err(CatalogError::Invalid(format!(
                "expires_in={s}: use seconds from 1 to {MAX_EXPIRY_SECS} (ten years), or null for a link that never expires"
            )));
        }
        if let Some(Some(m)) = self.max_views
            && !(1..=MAX_VIEWS).contains(&m)
        {
            return Err(CatalogError::Invalid(format!(
                "max_views={m}: use a number from 1 to {MAX_VIEWS}, or null for no limit"
            )));
        }
        let comment = self.comment.as_deref().map(|c| check_text("comment", c, MAX_COMMENT)).transpose()?;
        Ok(LinkChange { comment, ..self.clone() })
    }
}

/// The links of `owner`'s album, newest first.
pub async fn links(db: &SqlitePool, owner: i64, album: i64) -> Result<Vec<Link>> {
    own_album(db, owner, album).await?;
    Ok(sqlx::query_as(&format!("SELECT {LINK_COLUMNS} FROM share_links l WHERE l.album_id = ? ORDER BY l.id DESC"))
        .bind(album)
        .fetch_all(db)
        .await?)
}

async fn link_of_album(db: &SqlitePool, album: i64, id: i64) -> Result<Link> {
    sqlx::query_as(&format!("SELECT {LINK_COLUMNS} FROM share_links l WHERE l.id = ? AND l.album_id = ?"))
        .bind(id)
        .bind(album)
        .fetch_optional(db)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Makes a link to `owner`'s album; returns it with its token, which is not stored.
pub async fn create_link(db: &SqlitePool, owner: i64, album: i64, settings: &LinkChange) -> Result<(Link, String)> {
    let settings = settings.checked()?;
    own_album(db, owner, album).await?;
    let token = new_token();
    let id = retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let id = insert_link(&mut tx, album, &token, &settings).await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(id)
    })
    .await?;
    Ok((link_of_album(db, album, id).await?, token))
}

async fn insert_link(conn: &mut sqlx::SqliteConnection, album: i64, token: &str, settings: &LinkChange) -> Result<i64> {
    let now = now();
    let expires_at = settings.expires_in.unwrap_or(Some(DEFAULT_EXPIRY_SECS)).map(|s| now + s);
    Ok(sqlx::query_scalar(
        "INSERT INTO share_links (album_id, token_hash, password_hash, expires_at, max_views, can_download, \
         show_metadata, can_upload, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(album)
    .bind(token_hash(token))
    .bind(settings.password_hash.clone().flatten())
    .bind(expires_at)
    .bind(settings.max_views.flatten())
    .bind(settings.can_download.unwrap_or(true))
    .bind(settings.show_metadata.unwrap_or(false))
    .bind(settings.can_upload.unwrap_or(false))
    .bind(settings.comment.as_deref().unwrap_or(""))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Shares a selection of `owner`'s photos: a hidden album holding exactly them (private ones
/// too, since the owner named them) and a link to it, made together or not at all.
pub async fn create_selection_link(
    db: &SqlitePool,
    owner: i64,
    title: &str,
    ids: &[i64],
    settings: &LinkChange,
) -> Result<(Link, String)> {
    let settings = settings.checked()?;
    let ids = unique(ids)?;
    let title = check_text("title", title, super::MAX_TITLE)?;
    let title = if title.is_empty() { "Shared photos".to_string() } else { title };
    let token = new_token();
    let (album, id) = retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        check_owned(&mut tx, owner, &ids).await?;
        let now = now();
        let album: i64 = sqlx::query_scalar(
            "INSERT INTO albums (owner_id, title, description, created_at, updated_at, hidden) \
             VALUES (?, ?, '', ?, ?, 1) RETURNING id",
        )
        .bind(owner)
        .bind(&title)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at) \
             SELECT ?, id, taken_at, ? FROM photos WHERE owner_id = ? AND id IN (SELECT value FROM json_each(?))",
        )
        .bind(album)
        .bind(now)
        .bind(owner)
        .bind(json_ids(&ids))
        .execute(&mut *tx)
        .await?;
        let id = insert_link(&mut tx, album, &token, &settings).await?;
        tx.commit().await?;
        Ok::<_, CatalogError>((album, id))
    })
    .await?;
    Ok((link_of_album(db, album, id).await?, token))
}

/// Changes a link that is not revoked. A new or removed password ends every unlock made before.
pub async fn update_link(db: &SqlitePool, owner: i64, album: i64, id: i64, change: &LinkChange) -> Result<Link> {
    let change = change.checked()?;
    own_album(db, owner, album).await?;
    let link = link_of_album(db, album, id).await?;
    if link.revoked_at.is_some() {
        return Err(CatalogError::Invalid("this link was revoked: make a new link instead".into()));
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let now = now();
        sqlx::query(
            "UPDATE share_links SET \
             expires_at = CASE WHEN ?1 = 1 THEN ?2 ELSE expires_at END, \
             password_hash = CASE WHEN ?3 = 1 THEN ?4 ELSE password_hash END, \
             epoch = CASE WHEN ?3 = 1 THEN epoch + 1 ELSE epoch END, \
             max_views = CASE WHEN ?5 = 1 THEN ?6 ELSE max_views END, \
             can_download = coalesce(?7, can_download), show_metadata = coalesce(?8, show_metadata), \
             comment = coalesce(?9, comment), can_upload = coalesce(?11, can_upload) WHERE id = ?10",
        )
        .bind(change.expires_in.is_some())
        .bind(change.expires_in.flatten().map(|s| now + s))
        .bind(change.password_hash.is_some())
        .bind(change.password_hash.clone().flatten())
        .bind(change.max_views.is_some())
        .bind(change.max_views.flatten())
        .bind(change.can_download)
        .bind(change.show_metadata)
        .bind(change.comment.as_deref())
        .bind(id)
        .bind(change.can_upload)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(())
    })
    .await?;
    link_of_album(db, album, id).await
}

/// Revokes one link (`Some(id)`) or every link of the album; returns how many were still live.
/// Revoked links stay listed, so the owner sees their views.
pub async fn revoke_links(db: &SqlitePool, owner: i64, album: i64, id: Option<i64>) -> Result<u64> {
    own_album(db, owner, album).await?;
    if let Some(id) = id {
        link_of_album(db, album, id).await?;
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = ?1 WHERE album_id = ?2 AND (?3 IS NULL OR id = ?3) \
             AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(album)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(done.rows_affected())
    })
    .await
}

/// A link as a visitor opens it: the link and the album it shows.
#[derive(Debug, Clone, FromRow)]
pub struct SharedAlbum {
    #[sqlx(flatten)]
    pub link: Link,
    pub owner_id: i64,
    /// A selection link: its photos were named by the owner, private ones included.
    pub hidden: bool,
    pub title: String,
    pub description: String,
}

/// The link with this token, whatever its state; None when there is none or its owner's
/// account is disabled.
pub async fn open_link(db: &SqlitePool, token: &str) -> Result<Option<SharedAlbum>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LINK_COLUMNS}, a.owner_id, a.hidden, a.title, a.description FROM share_links l \
         JOIN albums a ON a.id = l.album_id JOIN users u ON u.id = a.owner_id \
         WHERE l.token_hash = ? AND u.disabled = 0"
    ))
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?)
}

/// Counts a new visit unless the link is revoked, expired or used up (checked in the same
/// statement, so two visitors cannot both take the last view). Returns whether it was counted.
pub async fn record_view(db: &SqlitePool, link: i64) -> Result<bool> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let now = now();
        let done = sqlx::query(
            "UPDATE share_links SET view_count = view_count + 1, last_view_at = ?1 WHERE id = ?2 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?1) \
             AND (max_views IS NULL OR view_count < max_views)",
        )
        .bind(now)
        .bind(link)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(done.rows_affected() == 1)
    })
    .await
}

/// The terms every query under a link repeats: ?1 the album, ?2 its owner, ?3 whether it is a
/// selection (private photos shown).
pub(super) const SHARED_TERMS: &str = "ap.album_id = ?1 AND p.owner_id = ?2 AND p.missing = 0 AND p.trashed_at IS NULL \
     AND (p.private = 0 OR ?3 = 1)";

/// A page of the shared album, newest first.
pub async fn shared_photos(db: &SqlitePool, s: &SharedAlbum, after: Option<Cursor>, limit: i64) -> Result<Page> {
    let mut photos: Vec<PhotoRow> = sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM album_photos ap JOIN photos p ON p.id = ap.photo_id WHERE {SHARED_TERMS} \
         AND (?4 IS NULL OR ap.taken_at < ?4 OR (ap.taken_at = ?4 AND ap.photo_id < ?5)) \
         ORDER BY ap.taken_at DESC, ap.photo_id DESC LIMIT ?6"
    ))
    .bind(s.link.album_id)
    .bind(s.owner_id)
    .bind(s.hidden)
    .bind(after.map(|c| c.key))
    .bind(after.map(|c| c.id))
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let next = if photos.len() as i64 > limit {
        photos.truncate(limit as usize);
        photos.last().map(Cursor::of)
    } else {
        None
    };
    Ok(Page { photos, next })
}

/// One photo of the shared album.
pub async fn shared_photo(db: &SqlitePool, s: &SharedAlbum, id: i64) -> Result<PhotoRow> {
    sqlx::query_as(&format!(
        "SELECT {PHOTO_COLUMNS} FROM album_photos ap JOIN photos p ON p.id = ap.photo_id WHERE {SHARED_TERMS} \
         AND p.id = ?4"
    ))
    .bind(s.link.album_id)
    .bind(s.owner_id)
    .bind(s.hidden)
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(CatalogError::NotFound)
}

/// Files a visitor uploaded through a link: each photo joins the shared album, and a photo new
/// to the owner's library is marked as contributed through the link (one the owner already had
/// stays theirs as it was). Returns how many joined the album.
pub async fn add_contributions(db: &SqlitePool, s: &SharedAlbum, new: &[i64], existing: &[i64]) -> Result<u64> {
    let all: Vec<i64> = new.iter().chain(existing).copied().collect();
    if all.is_empty() {
        return Ok(0);
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let now = now();
        sqlx::query(
            "UPDATE photos SET contributed_link_id = ?1 WHERE owner_id = ?2 \
             AND id IN (SELECT value FROM json_each(?3)) AND contributed_link_id IS NULL",
        )
        .bind(s.link.id)
        .bind(s.owner_id)
        .bind(json_ids(new))
        .execute(&mut *tx)
        .await?;
        let added = sqlx::query(
            "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at) \
             SELECT ?, id, taken_at, ? FROM photos WHERE owner_id = ? AND id IN (SELECT value FROM json_each(?)) \
             ON CONFLICT (album_id, photo_id) DO NOTHING",
        )
        .bind(s.link.album_id)
        .bind(now)
        .bind(s.owner_id)
        .bind(json_ids(&all))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(s.link.album_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(added.rows_affected())
    })
    .await
}
