//! Partners: a user shares their whole library, read-only, with another user, who may mix it into
//! their own timeline (Immich's partner sharing). What a partner may see is decided with every
//! other access rule in `store::photo_for` / `store::visible_file` and the list query; this module
//! keeps the partnerships themselves.

use serde::Serialize;
use sqlx::{FromRow, SqlitePool};

use super::{CatalogError, Result};
use crate::db::{now, retry_busy, write_tx};

/// One partnership as one side sees it: the other person, and whether the partner shows the
/// owner's photos in their timeline.
#[derive(Debug, Clone, Serialize, FromRow, PartialEq, Eq)]
pub struct Partner {
    pub user_id: i64,
    pub username: String,
    pub in_timeline: bool,
    /// Unix seconds.
    pub added_at: i64,
}

/// Both directions: whom the viewer shares their library with, and who shares theirs with them.
#[derive(Debug, Clone, Serialize)]
pub struct Partners {
    pub shared_with: Vec<Partner>,
    pub shared_with_me: Vec<Partner>,
}

async fn enabled_user(db: &SqlitePool, username: &str) -> Result<i64> {
    let user: Option<(i64, bool)> = sqlx::query_as("SELECT id, disabled FROM users WHERE username = ? COLLATE NOCASE")
        .bind(username.trim())
        .fetch_optional(db)
        .await?;
    match user {
        Some((id, false)) => Ok(id),
        _ => Err(CatalogError::Invalid(format!("there is no enabled user {username:?}: check the username"))),
    }
}

/// `owner` shares their library with `username`. Sharing again changes nothing.
pub async fn share_library(db: &SqlitePool, owner: i64, username: &str) -> Result<Partner> {
    let partner = enabled_user(db, username).await?;
    if partner == owner {
        return Err(CatalogError::Invalid("this is your own library: name someone else to share it with".into()));
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        sqlx::query("INSERT OR IGNORE INTO partners (owner_id, partner_id, added_at) VALUES (?, ?, ?)")
            .bind(owner)
            .bind(partner)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(())
    })
    .await?;
    partners(db, owner).await?.shared_with.into_iter().find(|p| p.user_id == partner).ok_or(CatalogError::NotFound)
}

/// `owner` stops sharing their library with `username`; from the next request on, the partner
/// sees none of it. NotFound when it was not shared with them.
pub async fn stop_sharing(db: &SqlitePool, owner: i64, username: &str) -> Result<()> {
    let removed = retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let done = sqlx::query(
            "DELETE FROM partners WHERE owner_id = ? \
             AND partner_id = (SELECT id FROM users WHERE username = ? COLLATE NOCASE)",
        )
        .bind(owner)
        .bind(username)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(done.rows_affected())
    })
    .await?;
    if removed == 0 { Err(CatalogError::NotFound) } else { Ok(()) }
}

/// The viewer's partnerships, both ways, by username.
pub async fn partners(db: &SqlitePool, viewer: i64) -> Result<Partners> {
    let shared_with = sqlx::query_as(
        "SELECT u.id AS user_id, u.username, pa.in_timeline, pa.added_at FROM partners pa \
         JOIN users u ON u.id = pa.partner_id WHERE pa.owner_id = ? ORDER BY u.username COLLATE NOCASE",
    )
    .bind(viewer)
    .fetch_all(db)
    .await?;
    let shared_with_me = sqlx::query_as(
        "SELECT u.id AS user_id, u.username, pa.in_timeline, pa.added_at FROM partners pa \
         JOIN users u ON u.id = pa.owner_id WHERE pa.partner_id = ? ORDER BY u.username COLLATE NOCASE",
    )
    .bind(viewer)
    .fetch_all(db)
    .await?;
    Ok(Partners { shared_with, shared_with_me })
}

/// The partner's choice: show `username`'s shared library in the viewer's timeline or not.
/// NotFound unless `username` shares their library with the viewer.
pub async fn set_in_timeline(db: &SqlitePool, viewer: i64, username: &str, on: bool) -> Result<Partner> {
    let changed = retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let done = sqlx::query(
            "UPDATE partners SET in_timeline = ? WHERE partner_id = ? \
             AND owner_id = (SELECT id FROM users WHERE username = ? COLLATE NOCASE)",
        )
        .bind(on)
        .bind(viewer)
        .bind(username)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(done.rows_affected())
    })
    .await?;
    if changed == 0 {
        return Err(CatalogError::NotFound);
    }
    partners(db, viewer)
        .await?
        .shared_with_me
        .into_iter()
        .find(|p| p.username.eq_ignore_ascii_case(username))
        .ok_or(CatalogError::NotFound)
}

/// The username of `owner` when they share their library with `viewer`; NotFound otherwise.
pub async fn partner_library(db: &SqlitePool, viewer: i64, owner: i64) -> Result<String> {
    sqlx::query_scalar(
        "SELECT u.username FROM partners pa JOIN users u ON u.id = pa.owner_id \
         WHERE pa.owner_id = ? AND pa.partner_id = ?",
    )
    .bind(owner)
    .bind(viewer)
    .fetch_optional(db)
    .await?
    .ok_or(CatalogError::NotFound)
}

/// Whether some partner's library is in the viewer's timeline (the timeline query then takes
/// their photos too; without, it keeps to the viewer's own index).
pub(super) async fn timeline_partners(db: &SqlitePool, viewer: i64) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partners WHERE partner_id = ? AND in_timeline = 1)")
        .bind(viewer)
        .fetch_one(db)
        .await?)
}
