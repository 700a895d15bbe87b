//! The `user_sessions` index: which stored sessions belong to which user, for the account page's
//! session list and "sign out everywhere" (the session store cannot be searched by content).

use serde::Serialize;
use sqlx::{FromRow, SqliteConnection, SqlitePool};

use super::now;

/// Records a freshly signed-in session, and forgets entries whose session is gone.
pub async fn record(db: &SqlitePool, session_id: &str, user_id: i64, method: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT OR REPLACE INTO user_sessions (session_id, user_id, method, created_at) VALUES (?, ?, ?, ?)")
        .bind(session_id)
        .bind(user_id)
        .bind(method)
        .bind(now())
        .execute(db)
        .await?;
    sqlx::query("DELETE FROM user_sessions WHERE session_id NOT IN (SELECT id FROM tower_sessions)")
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn forget(db: &SqlitePool, session_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_sessions WHERE session_id = ?").bind(session_id).execute(db).await.map(|_| ())
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct LiveSession {
    pub session_id: String,
    pub method: String,
    pub created_at: i64,
    /// Unix seconds when the session ends unless used again.
    pub expires_at: i64,
}

/// The user's sessions that still exist in the store and have not expired, newest first.
pub async fn live(db: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<LiveSession>> {
    sqlx::query_as(
        "SELECT u.session_id, u.method, u.created_at, unixepoch(t.expiry_date) AS expires_at FROM user_sessions u \
         JOIN tower_sessions t ON t.id = u.session_id WHERE u.user_id = ? AND unixepoch(t.expiry_date) > ? \
         ORDER BY u.created_at DESC, u.session_id",
    )
    .bind(user_id)
    .bind(now())
    .fetch_all(db)
    .await
}

/// Whether `session_id` is a signed-in session of `user_id` that was not ended. Ending a session
/// removes it from this index in the same step, so a request still running on an ended session
/// (which saves the session again when it finishes) cannot bring it back to life.
pub async fn is_live(db: &SqlitePool, session_id: &str, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM user_sessions WHERE session_id = ? AND user_id = ?")
        .bind(session_id)
        .bind(user_id)
        .fetch_one(db)
        .await
        .map(|n| n > 0)
}

/// Deletes every session of the user from the store, inside the caller's transaction. Returns
/// how many there were.
pub async fn end_all(conn: &mut SqliteConnection, user_id: i64) -> sqlx::Result<u64> {
    let ended =
        sqlx::query("DELETE FROM tower_sessions WHERE id IN (SELECT session_id FROM user_sessions WHERE user_id = ?)")
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    sqlx::query("DELETE FROM user_sessions WHERE user_id = ?").bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM oidc_sessions WHERE user_id = ? AND session_id NOT IN (SELECT id FROM tower_sessions)")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(ended)
}
