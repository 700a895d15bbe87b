//! Uploads: the bytes arrive in a staging file under ORIGINALS_PATH (same file system, so the
//! final move is a link); they are analysed, then placed at `<username>/<yyyy>/<mm>/<name>` without
//! ever overwriting (a clash gets ` (2)`, ` (3)`, …) and recorded. A staging file that is not
//! placed is deleted when it is dropped, and leftovers of a crash are cleared at startup.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Library;
use super::analyze::{self, Outcome, SkipKind};
use super::index::{UPLOAD_STAGING, mtime_ns, relative};
use super::sniff::Format;
use super::store::{self, Recorded};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum UploadResult {
    /// A new photo.
    New { photo_id: i64, hash: String, path: String },
    /// The user already has this photo; nothing was stored.
    Existing { photo_id: i64, hash: String },
    /// Not stored: `status` is the HTTP status that fits (415, 413, 422).
    Refused { status: u16, reason: String },
}

pub fn staging_dir(originals: &Path) -> PathBuf {
    originals.join(UPLOAD_STAGING)
}

/// Removes staging files a crash left behind.
pub fn clear_staging(originals: &Path) {
    let dir = staging_dir(originals);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A new, empty staging file; it deletes itself when dropped.
pub fn staging_file(originals: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = staging_dir(originals);
    std::fs::create_dir_all(&dir)?;
    tempfile::Builder::new().prefix("upload-").tempfile_in(dir)
}

/// The last path segment of a client-supplied name, made safe, with an extension that fits the
/// content.
pub fn safe_name(given: &str, format: Format) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), e.to_string()),
        _ => (cleaned.clone(), String::new()),
    };
    let stem = if stem.is_empty() { "upload".to_string() } else { stem.chars().take(120).collect() };
    let lower = ext.to_ascii_lowercase();
    let fits = match format {
        Format::Jpeg => ["jpg", "jpeg", "jpe"].contains(&lower.as_str()),
        Format::Png => lower == "png",
        Format::Webp => lower == "webp",
        Format::Gif => lower == "gif",
    };
    let ext = if fits {
        ext
    } else {
        match format {
            Format::Jpeg => "jpg".into(),
            other => other.as_str().into(),
        }
    };
    format!("{stem}.{ext}")
}

/// Links `staged` to `dir/name`, adding ` (n)` before the extension while the name is taken.
fn place(staged: &Path, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    for n in 1..10_000 {
        let candidate = if n == 1 { name.to_string() } else { format!("{stem} ({n}).{ext}") };
        let target = dir.join(&candidate);
        match std::fs::hard_link(staged, &target) {
            Ok(()) => {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
                return Ok(target);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many files with this name"))
}

impl Library {
    /// Analyses a fully received staging file and stores it for `user`. Runs as its own task, so a
    /// client that goes away mid-import cannot leave a placed file without its row.
    pub async fn import_upload(
        &self,
        user_id: i64,
        username: &str,
        staged: tempfile::NamedTempFile,
        given_name: &str,
    ) -> anyhow::Result<UploadResult> {
        let this = self.clone();
        let (username, given_name) = (username.to_string(), given_name.to_string());
        tokio::spawn(async move { this.import_staged(user_id, &username, staged, &given_name).await }).await?
    }

    async fn import_staged(
        &self,
        user_id: i64,
        username: &str,
        staged: tempfile::NamedTempFile,
        given_name: &str,
    ) -> anyhow::Result<UploadResult> {
        staged.as_file().sync_all()?;
        let settings = self.settings().clone();
        let name = given_name.to_string();
        let (staged, outcome) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            // Typed from its first bytes before the rest is read: a large non-image is refused unread.
            let outcome = analyze::analyze_file(staged.path(), &name, Some(chrono::Utc::now()), &settings)?;
            Ok((staged, outcome))
        })
        .await??;
        let a = match outcome {
            Outcome::Skipped { kind, reason, .. } => {
                let status = match kind {
                    SkipKind::Unsupported => 415,
                    SkipKind::TooLarge => 413,
                    SkipKind::Corrupt => 422,
                };
                return Ok(UploadResult::Refused { status, reason });
            }
            Outcome::Photo(a) => a,
        };
        let mut conn = self.db().acquire().await?;
        if let Some(id) = store::photo_by_hash(&mut conn, user_id, &a.hash).await? {
            let missing: bool =
                sqlx::query_scalar("SELECT missing FROM photos WHERE id = ?").bind(id).fetch_one(&mut *conn).await?;
            if !missing {
                // Uploading a picture that is in the trash takes it out again.
                sqlx::query("UPDATE photos SET trashed_at = NULL WHERE id = ? AND trashed_at IS NOT NULL")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                return Ok(UploadResult::Existing { photo_id: id, hash: a.hash.clone() });
            }
        }
        drop(conn);
        let taken = a.meta.taken.expect("uploads always have a date");
        let dir = self
            .originals()
            .join(username)
            .join(taken.local.format("%Y").to_string())
            .join(taken.local.format("%m").to_string());
        let file_name = safe_name(given_name, a.format);
        let staged_path = staged.path().to_path_buf();
        let placed = tokio::task::spawn_blocking(move || place(&staged_path, &dir, &file_name)).await??;
        drop(staged);
        let meta = std::fs::metadata(&placed)?;
        let rel = relative(self.originals(), &placed).ok_or_else(|| anyhow::anyhow!("file name is not UTF-8"))?;
        let mut tx = self.db().begin().await?;
        let recorded = async {
            // An explicit upload brings back a picture deleted from Shoebox before.
            sqlx::query("DELETE FROM deleted_photos WHERE owner_id = ? AND hash = ?")
                .bind(user_id)
                .bind(&a.hash)
                .execute(&mut *tx)
                .await?;
            let r = store::record_photo(&mut tx, user_id, &rel, meta.len() as i64, mtime_ns(&meta), &a, false).await?;
            sqlx::query("UPDATE files SET uploaded = 1 WHERE path = ?").bind(&rel).execute(&mut *tx).await?;
            Ok::<_, sqlx::Error>(r)
        }
        .await;
        match recorded {
            Ok(r) => {
                tx.commit().await?;
                Ok(match r {
                    Recorded::New(id) => UploadResult::New { photo_id: id, hash: a.hash.clone(), path: rel },
                    Recorded::Existing(id) => UploadResult::Existing { photo_id: id, hash: a.hash.clone() },
                })
            }
            Err(e) => {
                // No row points at it, so the file must not stay either.
                let _ = std::fs::remove_file(&placed);
                Err(e.into())
            }
        }
    }
}
