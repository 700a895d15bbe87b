//! The SQLite pool and embedded migrations; one submodule per table group.

pub mod audit;
pub mod backup;
pub mod groups;
pub mod oidc_sessions;
pub mod private;
mod tx;
pub mod user_sessions;
pub mod users;

pub use tx::{ATTEMPTS, Busy, retry_busy, write_tx};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating when missing) the database file with WAL, foreign keys and a busy timeout.
pub async fn connect(path: &Path) -> anyhow::Result<SqlitePool> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the storage folder {}: check STORAGE_PATH", dir.display()))?;
        private::restrict_folder(dir);
    }
    private::restrict_database(path)?;
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    // SQLite gives the -wal and -shm files the database's own mode; earlier versions left them 0644.
    private::restrict_database(path)?;
    Ok(pool)
}

/// Applies pending migrations; running it again is a no-op.
pub async fn migrate(pool: &SqlitePool) -> anyhow::Result<()> {
    MIGRATIONS.run(pool).await.context("database migration failed")?;
    tower_sessions_sqlx_store::SqliteStore::new(pool.clone())
        .migrate()
        .await
        .context("session table migration failed")?;
    Ok(())
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
