//! App passwords: one per WebDAV client, shown once when made, revocable one by one. The secret
//! carries 160 random bits, so it is stored as its SHA-256 (a slow hash would add nothing but a
//! cost on every WebDAV request) and found by that hash, never compared in a loop.

use rand::distributions::{Alphanumeric, DistString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, SqlitePool};

use crate::db;

/// App passwords start with this, so a leaked one is recognisable (and secret scanners can match it).
const PREFIX: &str = "sbx_";
/// 27 alphanumerics: about 160 bits.
const SECRET_LEN: usize = 27;
pub const MAX_NAME: usize = 100;
/// A person rarely needs more; the cap keeps a runaway script from filling the table.
pub const MAX_PER_ACCOUNT: i64 = 50;

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct AppPassword {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppPasswordError {
    #[error("give the app password a name (1 to {MAX_NAME} characters), e.g. \"PhotoSync on my phone\"")]
    BadName,
    #[error("expires_in must be a number of seconds above 0, or null for no expiry")]
    BadExpiry,
    #[error("this account already has {MAX_PER_ACCOUNT} app passwords: delete one you no longer use first")]
    TooMany,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes an app password for `user_id`; returns it with its secret, which is never shown again.
pub async fn create(
    pool: &SqlitePool,
    user_id: i64,
    name: &str,
    expires_in: Option<i64>,
) -> Result<(AppPassword, String), AppPasswordError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppPasswordError::BadName);
    }
    if expires_in.is_some_and(|s| s <= 0) {
        return Err(AppPasswordError::BadExpiry);
    }
    let secret = format!("{PREFIX}{}", Alphanumeric.sample_string(&mut rand::thread_rng(), SECRET_LEN));
    let now = db::now();
    let expires_at = expires_in.map(|s| now.saturating_add(s));
    let mut tx = db::write_tx(pool).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_passwords WHERE user_id = ?")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_PER_ACCOUNT {
        return Err(AppPasswordError::TooMany);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO app_passwords (user_id, name, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(digest(&secret))
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((AppPassword { id, name: name.to_string(), created_at: now, last_used_at: None, expires_at }, secret))
}

/// The account's app passwords, newest first.
pub async fn list(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<AppPassword>> {
    sqlx::query_as(
        "SELECT id, name, created_at, last_used_at, expires_at FROM app_passwords WHERE user_id = ? ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Revokes one of the account's app passwords; false when it has none by that id.
pub async fn delete(pool: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let done = db::retry_busy(|| {
        sqlx::query("DELETE FROM app_passwords WHERE id = ? AND user_id = ?").bind(id).bind(user_id).execute(pool)
    })
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The account `username` whose unexpired app password `secret` is, marking it used. The
/// username must match too, so a secret is worth nothing under another name.
pub async fn verify(pool: &SqlitePool, username: &str, secret: &str) -> sqlx::Result<Option<(i64, i64)>> {
    if !secret.starts_with(PREFIX) || secret.len() != PREFIX.len() + SECRET_LEN {
        return Ok(None);
    }
    let found: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT a.id, u.id, u.username FROM app_passwords a JOIN users u ON u.id = a.user_id \
         WHERE a.secret_hash = ? AND (a.expires_at IS NULL OR a.expires_at > ?)",
    )
    .bind(digest(secret))
    .bind(db::now())
    .fetch_optional(pool)
    .await?;
    let Some((id, user_id, name)) = found else { return Ok(None) };
    if crate::accounts::credentials::username_key(&name) != crate::accounts::credentials::username_key(username) {
        return Ok(None);
    }
    // Recorded at most once a minute: a WebDAV sync makes hundreds of requests.
    let now = db::now();
    db::retry_busy(|| {
        sqlx::query(
            "UPDATE app_passwords SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        )
        .bind(now)
        .bind(id)
        .bind(now - 60)
        .execute(pool)
    })
    .await?;
    Ok(Some((id, user_id)))
}
