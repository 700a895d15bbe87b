//! Keeping the storage private: the database holds password hashes and session ids, so the
//! storage folder is its owner's alone (0700) and the database files are 0600.

use std::path::Path;

use anyhow::Context;

/// Makes `dir` (STORAGE_PATH) readable by its owner only. A folder Shoebox may not change (owned
/// by someone else, on a file system without modes) is left as it is with a warning: the database
/// files themselves are still restricted.
pub fn restrict_folder(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
            tracing::warn!(folder = %dir.display(), error = %e, "cannot make the storage folder private (0700)");
        }
    }
}

/// Creates the database file as 0600 when it is new (so it is never readable by others, not even
/// for a moment) and makes it and its -wal and -shm files 0600 when they exist.
pub fn restrict_database(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create the database {}", path.display()))?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot make {} private (0600)", file.display()))?;
            }
        }
    }
    Ok(())
}

/// Creates `dest` empty and owner-only, for a backup to be written into.
pub fn create_private_file(dest: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(dest).map(|_| ())
}
