//! Write transactions: begun IMMEDIATE, and run again when SQLite answers "database is locked".
//!
//! A plain (deferred) transaction starts as a reader and asks for the write lock at its first
//! write. In WAL mode SQLite refuses that upgrade at once, without waiting out the busy timeout,
//! when another connection wrote since the transaction's first read: the request fails with
//! "database is locked" under any concurrent writing. `BEGIN IMMEDIATE` takes the write lock up
//! front, where the busy timeout applies, so the reads inside see the latest data and the writes
//! never need an upgrade.

use std::future::Future;
use std::time::Duration;

use sqlx::{Sqlite, SqlitePool, Transaction};

/// How many times a transaction refused for a busy database is tried in all.
pub const ATTEMPTS: u32 = 3;

/// Begins a transaction that writes. Every transaction that writes starts here; read-only work
/// keeps plain queries on the pool.
pub async fn write_tx(db: &SqlitePool) -> sqlx::Result<Transaction<'static, Sqlite>> {
    db.begin_with("BEGIN IMMEDIATE").await
}

/// Whether an error is SQLite's "database is busy / locked", which a later attempt may not meet.
pub trait Busy {
    fn is_busy(&self) -> bool;
}

impl Busy for sqlx::Error {
    fn is_busy(&self) -> bool {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (BUSY_SNAPSHOT, …).
        let code = match self {
            sqlx::Error::Database(e) => e.code().and_then(|c| c.parse::<i32>().ok()),
            _ => None,
        };
        matches!(code.map(|c| c & 0xff), Some(5 | 6))
    }
}

/// Runs `attempt` (a whole transaction, begun with [`write_tx`]) until it is not refused for a
/// busy database, at most [`ATTEMPTS`] times. Safe because a transaction that failed before its
/// commit changed nothing: it is rolled back when dropped.
pub async fn retry_busy<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: Busy + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if e.is_busy() && tries < ATTEMPTS => {
                tracing::debug!(error = %e, tries, "the database was busy; trying the transaction again");
                tokio::time::sleep(Duration::from_millis(20 * u64::from(tries))).await;
                tries += 1;
            }
            other => return other,
        }
    }
}
