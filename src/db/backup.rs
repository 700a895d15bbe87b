//! Online backup of the SQLite database into a new file (`shoebox backup PATH`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

/// What a finished backup wrote.
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Writes a consistent copy of the database at `database` to `dest` with `VACUUM INTO`, which
/// reads one snapshot while the server keeps serving (WAL readers do not block writers).
/// Refuses to overwrite anything; the copy is readable by its owner only (it holds password
/// hashes), holds no live sessions, and is checked with `PRAGMA integrity_check`.
pub async fn write(database: &Path, dest: &Path) -> anyhow::Result<Backup> {
    if !database.is_file() {
        bail!(
            "there is no database at {}: check STORAGE_PATH (the database is <STORAGE_PATH>/shoebox.db)",
            database.display()
        );
    }
    if dest.exists() || dest.is_symlink() {
        bail!("{} already exists: backups never overwrite a file; choose a new name or remove it", dest.display());
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!("the folder {} does not exist: create it first or choose another path", parent.display());
    }
    let dest_text =
        dest.to_str().with_context(|| format!("{} is not valid UTF-8: choose a plain file name", dest.display()))?;

    let mut source = SqliteConnectOptions::from_str("sqlite://")?
        .filename(database)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("cannot open the database {}", database.display()))?;
    // Created empty and owner-only first: VACUUM INTO fills an empty file and keeps its mode.
    super::private::create_private_file(dest)
        .with_context(|| format!("cannot create the backup {}", dest.display()))?;
    let result = sqlx::query("VACUUM INTO ?1").bind(dest_text).execute(&mut source).await;
    drop(source);
    if let Err(e) = result {
        // Only remove what this run created: the file did not exist before.
        let _ = std::fs::remove_file(dest);
        return Err(e).with_context(|| format!("cannot write the backup to {}", dest.display()));
    }

    let mut copy = SqliteConnectOptions::from_str("sqlite://")?
        .filename(dest)
        .connect()
        .await
        .with_context(|| format!("cannot open the backup {} to check it", dest.display()))?;
    // A backup is not a way back into live sessions: whoever restores it signs in again.
    for table in ["oidc_sessions", "user_sessions", "tower_sessions"] {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut copy).await?;
    }
    sqlx::query("VACUUM").execute(&mut copy).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut copy).await?;
    drop(copy);
    if check != "ok" {
        bail!("the backup {} failed its integrity check ({check}): keep the old backups and retry", dest.display());
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict the permissions of {}", dest.display()))?;
    }
    let bytes = std::fs::metadata(dest)?.len();
    Ok(Backup { path: dest.to_path_buf(), bytes })
}
