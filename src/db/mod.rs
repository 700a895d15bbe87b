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

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0070 edits the photos table's CREATE statement in place (see its comment); a
    /// library from before it must come through whole, and every connection must see the new rules.
    #[tokio::test]
    async fn a_library_from_before_phone_media_keeps_its_photos_files_and_albums_through_the_media_migration() {
        let dir = tempfile::tempdir().unwrap();
        let pool = connect(&dir.path().join("shoebox.db")).await.unwrap();
        let before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(MIGRATIONS.iter().filter(|m| m.version < 70).cloned().collect()),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(&pool).await.unwrap();
        for sql in [
            "INSERT INTO users (id, username, created_at, updated_at) VALUES (1, 'ann', 0, 0)",
            "INSERT INTO photos (id, owner_id, hash, format, width, height, taken_at, taken_local, taken_source, \
             created_at, updated_at) VALUES (1, 1, 'h1', 'jpeg', 4, 3, 0, '1970-01-01T00:00:00', 'file_mtime', 0, 0)",
            "INSERT INTO files (path, size, mtime_ns, hash, photo_id, status, indexed_at) \
             VALUES ('ann/a.jpg', 1, 1, 'h1', 1, 'indexed', 0)",
            "INSERT INTO albums (id, owner_id, title, cover_photo_id, created_at, updated_at) VALUES (1, 1, 'Trip', 1, 0, 0)",
            "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at) VALUES (1, 1, 0, 0)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        // A second connection that read the old schema before the migration ran.
        let mut other = pool.acquire().await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM photos").fetch_one(&mut *other).await.unwrap();

        MIGRATIONS.run(&pool).await.unwrap();

        let kept: (i64, i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM photos), (SELECT count(*) FROM files WHERE photo_id = 1), \
             (SELECT count(*) FROM album_photos), (SELECT cover_photo_id FROM albums WHERE id = 1)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(kept, (1, 1, 1, Some(1)));
        let (media_type, role): (String, String) =
            sqlx::query_as("SELECT p.media_type, f.role FROM photos p JOIN files f ON f.photo_id = p.id")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!((media_type.as_str(), role.as_str()), ("image", "primary"));
        // The old connection takes a format and a date source the old CHECK lists refused…
        sqlx::query(
            "INSERT INTO photos (owner_id, hash, format, width, height, taken_at, taken_local, taken_source, \
             created_at, updated_at, media_type) VALUES (1, 'h2', 'mov', 4, 3, 0, '1970-01-01T00:00:00', 'quicktime', 0, 0, 'video')",
        )
        .execute(&mut *other)
        .await
        .unwrap();
        // …and still refuses what the new lists refuse.
        let bogus =
            sqlx::query("UPDATE photos SET media_type = 'hologram' WHERE hash = 'h2'").execute(&mut *other).await;
        assert!(bogus.is_err(), "an unknown media type is refused");
        // Taking a photo's date by hand still moves it in its albums (the trigger survived).
        sqlx::query("UPDATE photos SET taken_at = 99 WHERE id = 1").execute(&pool).await.unwrap();
        let album_taken: i64 = sqlx::query_scalar("SELECT taken_at FROM album_photos").fetch_one(&pool).await.unwrap();
        assert_eq!(album_taken, 99);
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
        assert_eq!(check, "ok");
    }
}
