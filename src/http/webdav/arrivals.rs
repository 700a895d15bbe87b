//! What arrives by WebDAV: `X-Favorite` wishes kept until the file is a photo, and the `/import/`
//! inbox swept into the library.

use std::path::PathBuf;

use crate::db::users::User;
use crate::state::AppState;

use super::inbox;

/// How long a favourite wish waits for its file to be indexed before it is dropped.
const FAVORITE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Marks the photo of `file` (under ORIGINALS_PATH) a favourite after the index run that the
/// PUT starts has indexed it; a file the index skips (not a photo) is left alone.
pub(super) fn favorite_once_indexed(state: AppState, file: PathBuf) {
    let Some(rel) = crate::library::index::relative(state.library.originals(), &file) else { return };
    // Subscribed before the run that the PUT starts (INDEX_DEBOUNCE from now), so its end is seen.
    let mut events = state.library.subscribe();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + FAVORITE_PATIENCE;
        loop {
            let event = match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
                Ok(Ok(event)) => event,
            };
            if !matches!(event, crate::library::Progress::Finished { .. }) {
                continue;
            }
            match favorites::mark_file(&state.db, &rel).await {
                Ok(favorites::Marked::Done | favorites::Marked::NotAPhoto) => return,
                Ok(favorites::Marked::NotYet) => {}
                Err(e) => {
                    tracing::warn!(error = %e, file = %rel, "X-Favorite: the photo was not marked");
                    return;
                }
            }
        }
        tracing::info!(file = %rel, "X-Favorite: the file was not indexed in time; not marked");
    });
}

/// `X-Favorite: 1` on the way into the library.
pub(super) mod favorites {
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};
    use std::sync::{LazyLock, Mutex};

    use sqlx::SqlitePool;

    /// Inbox files sent with `X-Favorite: 1`, until the inbox sweep stores them. Kept in memory:
    /// a restart in the seconds between the PUT and the sweep loses the wish, not the photo.
    static WISHES: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(Mutex::default);

    pub fn wish(file: PathBuf) {
        if let Ok(mut w) = WISHES.lock() {
            w.insert(file);
        }
    }

    /// Whether `file` was sent as a favourite; the wish is used up.
    pub fn take(file: &Path) -> bool {
        WISHES.lock().is_ok_and(|mut w| w.remove(file))
    }

    pub enum Marked {
        Done,
        NotYet,
        NotAPhoto,
    }

    /// Marks the photo of the file at `rel` (under ORIGINALS_PATH) a favourite of its owner.
    pub async fn mark_file(db: &SqlitePool, rel: &str) -> anyhow::Result<Marked> {
        let row: Option<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT f.status, p.id, p.owner_id FROM files f LEFT JOIN photos p ON p.id = f.photo_id WHERE f.path = ?",
        )
        .bind(rel)
        .fetch_optional(db)
        .await?;
        match row {
            Some((status, Some(photo), Some(owner))) if status == "indexed" => {
                mark_photo(db, owner, photo).await?;
                Ok(Marked::Done)
            }
            Some((status, _, _)) if status == "skipped" => Ok(Marked::NotAPhoto),
            _ => Ok(Marked::NotYet),
        }
    }

    pub async fn mark_photo(db: &SqlitePool, owner: i64, photo: i64) -> anyhow::Result<()> {
        crate::library::catalog::set_favorite(db, owner, &[photo], true).await?;
        Ok(())
    }
}

/// Files that arrived in an inbox move into the library like uploads (`<yyyy>/<mm>/`, duplicates
/// recognised, nothing overwritten) a moment after the last write, so a file still arriving is
/// left for the next sweep. A file the library refuses stays in the inbox, and the log says why.
pub(super) fn sweep_inbox_soon(state: AppState, user: User) {
    tokio::spawn(async move {
        tokio::time::sleep(INBOX_SETTLE).await;
        let dir = inbox(state.library.originals(), &user.username);
        let mut waiting = Vec::new();
        let mut dirs = vec![dir.clone()];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                match e.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(e.path()),
                    Ok(t) if t.is_file() => waiting.push(e.path()),
                    _ => {}
                }
            }
        }
        let mut still_arriving = false;
        for path in waiting {
            // The change time, not the modification time: X-OC-MTime sets the latter to the
            // phone's (old, or ahead of the server's clock), the former is when it was written.
            let settled = std::fs::metadata(&path).is_ok_and(|m| {
                use std::os::unix::fs::MetadataExt;
                let changed = std::time::UNIX_EPOCH
                    + std::time::Duration::new(m.ctime().max(0) as u64, m.ctime_nsec().clamp(0, 999_999_999) as u32);
                changed.elapsed().is_ok_and(|age| age >= INBOX_SETTLE)
            });
            if !settled {
                still_arriving = true;
                continue;
            }
            if let Err(e) = store_from_inbox(&state, &user, &path).await {
                tracing::warn!(error = format!("{e:#}"), file = %path.display(), "a file in the import inbox was not stored");
            }
        }
        if still_arriving {
            sweep_inbox_soon(state, user);
        }
    });
}

/// How long an inbox file must be unchanged before it is stored.
const INBOX_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

async fn store_from_inbox(state: &AppState, user: &User, path: &std::path::Path) -> anyhow::Result<()> {
    use crate::library::upload::UploadResult;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let taken = std::fs::metadata(path)?.modified().map(chrono::DateTime::<chrono::Utc>::from)?;
    // A second name for the same bytes: the library takes the staging name, the inbox keeps its
    // own until the library has the file, so a refusal or a crash loses nothing.
    let staged = state.library.staging_file()?;
    std::fs::remove_file(staged.path())?;
    std::fs::hard_link(path, staged.path())?;
    match state.library.receive_staged(user.id, &user.username, staged, &name, taken).await? {
        UploadResult::Refused(r) => {
            tracing::warn!(file = %path.display(), reason = %r.reason, "the import inbox keeps a file the library refused");
        }
        UploadResult::New { photo_id, .. }
        | UploadResult::Existing { photo_id, .. }
        | UploadResult::Joined { photo_id, .. } => {
            std::fs::remove_file(path)?;
            if favorites::take(path) {
                favorites::mark_photo(&state.db, user.id, photo_id).await?;
            }
        }
    }
    Ok(())
}
