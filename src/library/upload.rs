//! Uploads: the bytes arrive in a staging file under ORIGINALS_PATH (same file system, so the
//! final move is a link), checked against UPLOAD_LIMIT as they come; they are analysed, then
//! placed at `<username>/<yyyy>/<mm>/<name>` without ever overwriting (a clash gets ` (2)`,
//! ` (3)`, …) and recorded. A staging file that is not placed is deleted when it is dropped, and
//! leftovers of a crash are cleared at startup.

use std::path::{Path, PathBuf};

use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::Library;
use super::analyze::{self, Outcome, SkipKind};
use super::index::{UPLOAD_STAGING, mtime_ns, relative};
use super::sniff::{Family, Format, SNIFF_LEN, Sniffed, sniff};
use super::store::{self, Recorded};

/// What became of one uploaded file.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadResult {
    /// A new photo.
    New { photo_id: i64, hash: String, path: String },
    /// The user already has this photo; nothing was stored.
    Existing { photo_id: i64, hash: String },
    /// Stored as another file of a photo the user already has: a Live Photo's clip that arrived
    /// beside (or after) its still, a RAW beside its JPEG.
    Joined { photo_id: i64, hash: String, path: String },
    /// Not stored.
    Refused(UploadRefusal),
}

/// Why an uploaded file was not stored: what kind of problem (the same kinds the index skips
/// files for) and a reason that says what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRefusal {
    pub kind: SkipKind,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body broke off or was malformed while this file arrived; nothing of it was kept.
    #[error("the upload stopped before the file was complete: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
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
fn staging_file(originals: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = staging_dir(originals);
    std::fs::create_dir_all(&dir)?;
    tempfile::Builder::new().prefix("upload-").tempfile_in(dir)
}

fn is_video(head: &[u8]) -> bool {
    matches!(sniff(head), Sniffed::Supported(f) if f.family() == Family::Video)
}

/// File systems allow 255 bytes per name (not characters): the stem keeps room for ` (9999)` and
/// the longest extension kept (`.jpeg`).
const MAX_STEM_BYTES: usize = 200;

/// The longest start of `s` of at most `max` bytes that ends on a character boundary.
fn cut_to_bytes(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].trim_end()
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
    let stem = if stem.is_empty() { "upload".to_string() } else { cut_to_bytes(&stem, MAX_STEM_BYTES).to_string() };
    let lower = ext.to_ascii_lowercase();
    let ext = if format.extensions().contains(&lower.as_str()) { ext } else { format.extensions()[0].to_string() };
    format!("{stem}.{ext}")
}

/// `name`, then `stem (2).ext`, `stem (3).ext`, …: the names an upload tries in turn.
fn candidate_names(name: &str) -> impl Iterator<Item = String> + '_ {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (1..10_000).map(move |n| if n == 1 { name.to_string() } else { format!("{stem} ({n}).{ext}") })
}

/// Links `staged` to `target` (never over an existing file) and makes the new name durable.
fn link_into_place(staged: &Path, target: &Path) -> std::io::Result<()> {
    std::fs::hard_link(staged, target)?;
    if let Some(dir) = target.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

impl Library {
    /// Receives one file of `user_id`'s upload from `body` (its bytes as they arrive), then
    /// analyses, places and records it. A file larger than UPLOAD_LIMIT is refused without reading
    /// the rest of it. Whatever happens, the staging file is gone when this returns.
    pub async fn receive_upload<S, B, E>(
        &self,
        user_id: i64,
        username: &str,
        given_name: &str,
        body: S,
    ) -> Result<UploadResult, UploadError>
    where
        S: Stream<Item = Result<B, E>>,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let limit = self.upload_limit();
        let staged = staging_file(self.originals())
            .map_err(|e| anyhow::Error::new(e).context("cannot create a staging file under ORIGINALS_PATH"))?;
        let mut file = tokio::fs::File::from_std(staged.reopen().map_err(anyhow::Error::new)?);
        let mut body = std::pin::pin!(body);
        let mut size: u64 = 0;
        // The first bytes say whether it is a video: a video is streamed to disk and through the
        // hash, never held in memory, so UPLOAD_LIMIT (a bound on memory) does not cap it.
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadError::Interrupted(e.to_string()))?;
            let chunk = chunk.as_ref();
            size += chunk.len() as u64;
            if head.len() < SNIFF_LEN {
                head.extend(chunk.iter().take(SNIFF_LEN - head.len()));
            }
            if size > limit && !is_video(&head) {
                return Ok(UploadResult::Refused(UploadRefusal {
                    kind: SkipKind::TooLarge,
                    reason: format!("larger than UPLOAD_LIMIT ({limit} bytes)"),
                }));
            }
            file.write_all(chunk).await.map_err(anyhow::Error::new)?;
        }
        file.flush().await.map_err(anyhow::Error::new)?;
        drop(file);
        Ok(self.import_upload(user_id, username, staged, given_name, chrono::Utc::now()).await?)
    }

    /// A new, empty staging file under ORIGINALS_PATH, for an import that writes a file itself
    /// before handing it to [`Library::receive_staged`]; it deletes itself when dropped.
    pub fn staging_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        staging_file(self.originals())
    }

    /// Stores a complete staging file for `user` exactly as an upload is stored (analysed, placed
    /// at `<username>/<yyyy>/<mm>/<name>`, duplicates recognised, nothing overwritten). `date`
    /// stands in for the date taken when the picture records none (an upload uses the time it
    /// arrived; an import the date its source knew).
    pub async fn receive_staged(
        &self,
        user_id: i64,
        username: &str,
        staged: tempfile::NamedTempFile,
        given_name: &str,
        date: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<UploadResult> {
        let limit = self.upload_limit();
        let mut head = Vec::with_capacity(SNIFF_LEN);
        // A handle of its own, opened by name: the writer's is at the end of what it wrote, and the
        // WebDAV inbox puts its file under the staging name (so `reopen`, which insists on the
        // same inode, would refuse it).
        let by_name = std::fs::File::open(staged.path())?;
        std::io::Read::read_to_end(&mut std::io::Read::take(by_name, SNIFF_LEN as u64), &mut head)?;
        if staged.as_file().metadata()?.len() > limit && !is_video(&head) {
            return Ok(UploadResult::Refused(UploadRefusal {
                kind: SkipKind::TooLarge,
                reason: format!("larger than UPLOAD_LIMIT ({limit} bytes)"),
            }));
        }
        self.import_upload(user_id, username, staged, given_name, date).await
    }

    /// Analyses a fully received staging file and stores it for `user`. Runs as its own task, so a
    /// client that goes away mid-import cannot leave a placed file without its row.
    async fn import_upload(
        &self,
        user_id: i64,
        username: &str,
        staged: tempfile::NamedTempFile,
        given_name: &str,
        date: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<UploadResult> {
        let this = self.clone();
        let (username, given_name) = (username.to_string(), given_name.to_string());
        tokio::spawn(async move { this.import_staged(user_id, &username, staged, &given_name, date).await }).await?
    }

    /// A store cut short between its row and its file (the order `import_staged` keeps) left the
    /// row of an uploaded file that is not on disk; the same content arriving again (an import run
    /// again after it was killed) is placed there, so the photo has its file back under its name.
    async fn place_unplaced(&self, photo: i64, staged: &tempfile::NamedTempFile) -> anyhow::Result<()> {
        let uploads: Vec<String> = sqlx::query_scalar(
            "SELECT path FROM files WHERE photo_id = ? AND uploaded = 1 AND status = 'indexed' ORDER BY id",
        )
        .bind(photo)
        .fetch_all(self.db())
        .await?;
        for rel in uploads {
            let target = self.originals().join(&rel);
            if target.symlink_metadata().is_ok() {
                continue;
            }
            let from = staged.path().to_path_buf();
            let meta = staged.as_file().metadata()?;
            let to = target.clone();
            let placed = tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(to.parent().unwrap_or(&to))?;
                link_into_place(&from, &to)
            })
            .await?;
            match placed {
                Ok(()) => {
                    // The row takes this copy's time, so the next index does not read it again.
                    sqlx::query("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?")
                        .bind(meta.len() as i64)
                        .bind(mtime_ns(&meta))
                        .bind(&rel)
                        .execute(self.db())
                        .await?;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot place the upload at {rel}"))),
            }
        }
        Ok(())
    }

    async fn import_staged(
        &self,
        user_id: i64,
        username: &str,
        staged: tempfile::NamedTempFile,
        given_name: &str,
        date: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<UploadResult> {
        staged.as_file().sync_all()?;
        let settings = self.settings().clone();
        let name = given_name.to_string();
        let (staged, outcome) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            // Typed from its first bytes before the rest is read: a large non-image is refused unread.
            let outcome = analyze::analyze_file(staged.path(), &name, Some(date), &settings)?;
            Ok((staged, outcome))
        })
        .await??;
        let a = match outcome {
            Outcome::Skipped { kind, reason, .. } => return Ok(UploadResult::Refused(UploadRefusal { kind, reason })),
            Outcome::Photo(a) => a,
        };
        let mut conn = self.db().acquire().await?;
        if let Some(id) = store::photo_by_hash(&mut conn, user_id, &a.hash).await?
            && !store::is_missing(&mut conn, id).await?
        {
            // Uploading a picture that is in the trash takes it out again.
            store::untrash(&mut conn, id).await?;
            drop(conn);
            self.place_unplaced(id, &staged).await?;
            return Ok(UploadResult::Existing { photo_id: id, hash: a.hash.clone() });
        }
        if let Some(id) = store::photo_pairing_hash(&mut conn, user_id, &a.hash).await? {
            return Ok(UploadResult::Existing { photo_id: id, hash: a.hash.clone() });
        }
        drop(conn);
        let taken = a.meta.taken.expect("uploads always have a date");
        let dir = self
            .originals()
            .join(username)
            .join(taken.local.format("%Y").to_string())
            .join(taken.local.format("%m").to_string());
        let file_name = safe_name(given_name, a.format);
        // The hard link keeps the staging file's inode, so its size and time are the placed file's.
        let meta = staged.as_file().metadata()?;
        let (size, mtime) = (meta.len() as i64, mtime_ns(&meta));
        let make_dir = dir.clone();
        tokio::task::spawn_blocking(move || std::fs::create_dir_all(make_dir)).await??;
        // The row comes first, committed, and the file after it: a crash in between leaves a row
        // whose file is missing (the next index marks it so), never a file on disk that the next
        // index would take for one indexed in place and keep when its photo is deleted.
        for candidate in candidate_names(&file_name) {
            let target = dir.join(&candidate);
            if target.symlink_metadata().is_ok() {
                continue;
            }
            let rel = relative(self.originals(), &target).ok_or_else(|| anyhow::anyhow!("file name is not UTF-8"))?;
            if store::file_known(self.db(), &rel).await? {
                continue;
            }
            let recorded = crate::db::retry_busy(|| async {
                let mut tx = crate::db::write_tx(self.db()).await?;
                // An explicit upload brings back a picture deleted from Shoebox before.
                store::clear_deleted_mark(&mut tx, user_id, &a.hash).await?;
                let r = store::record_photo(&mut tx, user_id, &rel, size, mtime, &a, false).await?;
                store::mark_uploaded(&mut tx, &rel).await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(r)
            })
            .await?;
            let (from, to) = (staged.path().to_path_buf(), target.clone());
            match tokio::task::spawn_blocking(move || link_into_place(&from, &to)).await? {
                Ok(()) => {
                    // A video, a Motion Photo, or a still that took the clip uploaded before it
                    // may need a transcode.
                    self.wake_transcoder();
                    return Ok(match recorded {
                        Recorded::New(id) => UploadResult::New { photo_id: id, hash: a.hash.clone(), path: rel },
                        Recorded::Existing(id) => UploadResult::Existing { photo_id: id, hash: a.hash.clone() },
                        Recorded::Joined(id) => UploadResult::Joined { photo_id: id, hash: a.hash.clone(), path: rel },
                    });
                }
                Err(e) => {
                    // No file behind the row: the row must not stay either.
                    store::forget_upload(self.db(), &rel, recorded).await?;
                    if e.kind() != std::io::ErrorKind::AlreadyExists {
                        return Err(anyhow::Error::new(e).context(format!("cannot place the upload at {rel}")));
                    }
                }
            }
        }
        Err(anyhow::anyhow!("too many files named {file_name} in this folder"))
    }
}
