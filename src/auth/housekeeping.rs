//! The hourly clean-up of what sign-ins leave behind: expired sessions and their index rows, and
//! audit rows older than `AUDIT_DAYS`. Run once at start, then every hour.

use sqlx::SqlitePool;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions_sqlx_store::SqliteStore;

use crate::db;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub audit_rows: u64,
    pub session_index_rows: u64,
}

/// Deletes expired sessions, index rows of sessions that no longer exist, and audit rows older
/// than `audit_days` days (0 keeps them).
pub async fn sweep(pool: &SqlitePool, audit_days: u32, now: i64) -> anyhow::Result<Swept> {
    SqliteStore::new(pool.clone()).delete_expired().await?;
    let mut swept = Swept::default();
    for table in ["user_sessions", "oidc_sessions"] {
        let sql = format!("DELETE FROM {table} WHERE session_id NOT IN (SELECT id FROM tower_sessions)");
        swept.session_index_rows += db::retry_busy(|| sqlx::query(&sql).execute(pool)).await?.rows_affected();
    }
    if audit_days > 0 {
        let cutoff = now - i64::from(audit_days) * 86_400;
        swept.audit_rows =
            db::retry_busy(|| sqlx::query("DELETE FROM sign_in_events WHERE at < ?").bind(cutoff).execute(pool))
                .await?
                .rows_affected();
    }
    Ok(swept)
}

/// Sweeps now and every hour; a failure is logged and the next run tries again.
pub fn spawn(pool: SqlitePool, audit_days: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            match sweep(&pool, audit_days, db::now()).await {
                Ok(s) if s != Swept::default() => {
                    tracing::info!(audit_rows = s.audit_rows, session_index_rows = s.session_index_rows, "housekeeping")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; it runs again in an hour"),
            }
        }
    })
}
