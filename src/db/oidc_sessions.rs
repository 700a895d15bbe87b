//! The `oidc_sessions` index: which stored sessions belong to which provider identity, so that a
//! back-channel logout can end them (the session store itself cannot be searched by content).

use sqlx::SqlitePool;

use super::now;

pub struct Link<'a> {
    pub session_id: &'a str,
    pub user_id: i64,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub sid: Option<&'a str>,
}

/// Records a freshly signed-in session, and forgets entries whose session is gone.
pub async fn record(db: &SqlitePool, l: Link<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO oidc_sessions (session_id, user_id, issuer, subject, sid, created_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(l.session_id)
    .bind(l.user_id)
    .bind(l.issuer)
    .bind(l.subject)
    .bind(l.sid)
    .bind(now())
    .execute(db)
    .await?;
    sqlx::query("DELETE FROM oidc_sessions WHERE session_id NOT IN (SELECT id FROM tower_sessions)")
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn forget(db: &SqlitePool, session_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM oidc_sessions WHERE session_id = ?").bind(session_id).execute(db).await.map(|_| ())
}

/// Ends every session of `subject` (and, when given, only those of provider session `sid`) at
/// `issuer`; with only `sid`, those of that provider session. Returns the user ids affected.
pub async fn end(db: &SqlitePool, issuer: &str, subject: Option<&str>, sid: Option<&str>) -> sqlx::Result<Vec<i64>> {
    super::retry_busy(|| end_once(db, issuer, subject, sid)).await
}

async fn end_once(db: &SqlitePool, issuer: &str, subject: Option<&str>, sid: Option<&str>) -> sqlx::Result<Vec<i64>> {
    let mut tx = super::write_tx(db).await?;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT session_id, user_id FROM oidc_sessions WHERE issuer = ? \
         AND (? IS NULL OR subject = ?) AND (? IS NULL OR sid = ?)",
    )
    .bind(issuer)
    .bind(subject)
    .bind(subject)
    .bind(sid)
    .bind(sid)
    .fetch_all(&mut *tx)
    .await?;
    for (session_id, _) in &rows {
        sqlx::query("DELETE FROM tower_sessions WHERE id = ?").bind(session_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM oidc_sessions WHERE session_id = ?").bind(session_id).execute(&mut *tx).await?;
        // Out of the index too: a request still running on it cannot bring it back.
        sqlx::query("DELETE FROM user_sessions WHERE session_id = ?").bind(session_id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let mut users: Vec<i64> = rows.into_iter().map(|(_, u)| u).collect();
    users.sort_unstable();
    users.dedup();
    Ok(users)
}
