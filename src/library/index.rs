//! The index job: walk ORIGINALS_PATH, skip unchanged files by (path, size, mtime), analyse the
//! rest on a pool of worker threads bounded by the cores, record outcomes in batches, mark files
//! that are gone as missing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sqlx::SqlitePool;

use super::analyze::{self, Outcome, Settings};
use super::store::{self, Recorded};
use crate::db::{retry_busy, write_tx};

/// Folder under ORIGINALS_PATH where uploads are staged; the walk skips hidden entries.
pub const UPLOAD_STAGING: &str = ".shoebox-upload";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Files found under ORIGINALS_PATH.
    pub files: usize,
    /// Skipped because path, size and modification time are as before.
    pub unchanged: usize,
    /// New photos.
    pub new_photos: usize,
    /// Files that joined a photo already known (copies, moved or renamed files) or were re-read.
    pub existing_photos: usize,
    /// Not images, corrupt, or above MAX_PIXELS; recorded with their reason.
    pub skipped: usize,
    /// Known files that are gone now.
    pub missing: usize,
    /// Files that could not be read at all.
    pub errors: usize,
    pub millis: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Progress {
    Started { total: usize, to_analyse: usize },
    File { done: usize, to_analyse: usize, path: String },
    Finished { summary: Summary },
    Failed { error: String },
}

#[derive(Debug, Clone, Copy, Default)]
pub struct IndexOptions {
    /// Re-read every file, even unchanged ones.
    pub rescan: bool,
}

struct Found {
    rel: String,
    size: i64,
    mtime_ns: i64,
}

fn walk(root: &Path) -> anyhow::Result<(Vec<Found>, usize)> {
    let mut found = Vec::new();
    let mut errors = 0;
    if !root.exists() {
        return Ok((found, 0));
    }
    // Links are never followed (ORIGINALS_PATH itself may be one): a link in one user's folder
    // would otherwise import another user's photos, or any file the server can read, as theirs.
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .follow_root_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.')));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read an entry under ORIGINALS_PATH");
                errors += 1;
                continue;
            }
        };
        if entry.path_is_symlink() {
            tracing::debug!(path = %entry.path().display(), "not following a symbolic link among the originals");
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            errors += 1;
            continue;
        };
        let Some(rel) = relative(root, entry.path()) else { continue };
        found.push(Found { rel, size: meta.len() as i64, mtime_ns: mtime_ns(&meta) });
    }
    Ok((found, errors))
}

pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

/// `a/b/c.jpg` with `/` separators, or None for names that are not UTF-8.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Who owns files under a path: the user named by the first folder, else the administrator.
pub struct Owners {
    /// Exact usernames first: two accounts whose names differ only in case (made before names
    /// were compared by their Unicode-folded key) each keep their own folder.
    exact: HashMap<String, i64>,
    /// Folded names that belong to exactly one account.
    folded: HashMap<String, i64>,
    admin: i64,
}

impl Owners {
    pub async fn load(db: &SqlitePool, admin_user: &str) -> anyhow::Result<Owners> {
        let rows = store::owner_candidates(db).await?;
        let admin = rows
            .iter()
            .find(|(_, name, role)| role == "admin" && name.eq_ignore_ascii_case(admin_user))
            .or_else(|| rows.iter().find(|(_, _, role)| role == "admin"))
            .map(|(id, _, _)| *id)
            .ok_or_else(|| anyhow::anyhow!("there is no administrator to own the photos: start the server once"))?;
        let exact = rows.iter().map(|(id, name, _)| (name.clone(), *id)).collect();
        let mut folded: HashMap<String, Option<i64>> = HashMap::new();
        for (id, name, _) in &rows {
            folded
                .entry(crate::accounts::credentials::username_key(name))
                .and_modify(|v| *v = None)
                .or_insert(Some(*id));
        }
        let folded = folded.into_iter().filter_map(|(k, v)| v.map(|id| (k, id))).collect();
        Ok(Owners { exact, folded, admin })
    }

    /// The owner of a file: the account the first folder names (exactly, or by its folded key
    /// when only one account has it), else the administrator.
    pub fn of(&self, rel: &str) -> i64 {
        let Some((first, _)) = rel.split_once('/') else { return self.admin };
        self.exact
            .get(first)
            .or_else(|| self.folded.get(&crate::accounts::credentials::username_key(first)))
            .copied()
            .unwrap_or(self.admin)
    }
}

struct Done {
    found: Found,
    outcome: Result<Outcome, String>,
}

/// Runs one index over `originals`. `progress` is called from the async task.
pub async fn run(
    db: &SqlitePool,
    originals: &Path,
    settings: &Settings,
    workers: usize,
    admin_user: &str,
    options: IndexOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let root = originals.to_path_buf();
    let (found, walk_errors) = tokio::task::spawn_blocking(move || walk(&root)).await??;
    let known: HashMap<String, store::KnownFile> =
        store::known_files(db).await?.into_iter().map(|k| (k.path.clone(), k)).collect();
    let owners = Owners::load(db, admin_user).await?;
    let deleted = store::deleted_marks(db).await?;
    // A row that no longer tells what its file is makes the file read again even when unchanged;
    // it then goes to whoever owns its folder now: its photo went with its owner's account, or
    // the "deleted from Shoebox" mark that kept it out is not its current owner's (that account
    // was deleted, or the picture was uploaded again).
    let stale = |k: &store::KnownFile| {
        k.orphan || k.deleted_hash.as_ref().is_some_and(|h| !deleted.contains(&(owners.of(&k.path), h.clone())))
    };

    let mut summary = Summary { files: found.len(), errors: walk_errors, ..Default::default() };
    let seen: HashSet<String> = found.iter().map(|f| f.rel.clone()).collect();
    let mut work = Vec::new();
    for f in found {
        let unchanged = known
            .get(&f.rel)
            .is_some_and(|k| k.size == f.size && k.mtime_ns == f.mtime_ns && k.status != "missing" && !stale(k));
        if unchanged && !options.rescan {
            summary.unchanged += 1;
        } else {
            work.push(f);
        }
    }
    let to_analyse = work.len();
    progress(Progress::Started { total: summary.files, to_analyse });

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Done>(workers * 4);
    let queue = Arc::new(std::sync::Mutex::new(work.into_iter()));
    let mut threads = Vec::new();
    for i in 0..workers.max(1) {
        let (queue, tx, settings, root) = (queue.clone(), tx.clone(), settings.clone(), originals.to_path_buf());
        let t = std::thread::Builder::new().name(format!("index-{i}")).spawn(move || {
            loop {
                let item = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some(found) = item else { break };
                let outcome = analyse_file(&root, &found, &settings);
                if tx.blocking_send(Done { found, outcome }).is_err() {
                    break;
                }
            }
        })?;
        threads.push(t);
    }
    drop(tx);

    let mut done = 0;
    let mut batch = Vec::with_capacity(64);
    while let Some(d) = rx.recv().await {
        batch.push(d);
        while batch.len() < 64 {
            match rx.try_recv() {
                Ok(d) => batch.push(d),
                Err(_) => break,
            }
        }
        // A batch the database keeps refusing costs its files, not the whole index: they are
        // counted as errors and read again by the next index (their rows did not change).
        match retry_busy(|| record_batch(db, &owners, &batch, options.rescan)).await {
            Ok(tally) => tally.add_to(&mut summary),
            Err(e) => {
                tracing::warn!(files = batch.len(), error = %e, "cannot record a batch of indexed files");
                summary.errors += batch.len();
            }
        }
        for d in batch.drain(..) {
            done += 1;
            match &d.outcome {
                Ok(Outcome::Skipped { reason, .. }) => tracing::info!(path = %d.found.rel, %reason, "skipped"),
                Err(e) => tracing::warn!(path = %d.found.rel, error = %e, "cannot read a file"),
                Ok(Outcome::Photo(_)) => {}
            }
            progress(Progress::File { done, to_analyse, path: d.found.rel });
        }
    }
    for t in threads {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }

    let gone: Vec<&String> =
        known.iter().filter(|(p, k)| k.status != "missing" && !seen.contains(*p)).map(|(p, _)| p).collect();
    summary.missing = gone.len();
    if !gone.is_empty() {
        retry_busy(|| mark_missing(db, &gone)).await?;
    }
    store::refresh_missing_photos(db).await?;
    summary.millis = started.elapsed().as_millis() as u64;
    progress(Progress::Finished { summary: summary.clone() });
    Ok(summary)
}

/// What recording one batch added to the summary.
#[derive(Default)]
struct Tally {
    new_photos: usize,
    existing_photos: usize,
    skipped: usize,
    errors: usize,
}

impl Tally {
    fn add_to(self, summary: &mut Summary) {
        summary.new_photos += self.new_photos;
        summary.existing_photos += self.existing_photos;
        summary.skipped += self.skipped;
        summary.errors += self.errors;
    }
}

/// Records the outcomes of a batch of files in one transaction; it can be run again whole.
async fn record_batch(db: &SqlitePool, owners: &Owners, batch: &[Done], rescan: bool) -> sqlx::Result<Tally> {
    let mut tally = Tally::default();
    let mut tx = write_tx(db).await?;
    for d in batch {
        let Found { rel, size, mtime_ns } = &d.found;
        match &d.outcome {
            Ok(Outcome::Photo(a)) if store::is_deleted(&mut tx, owners.of(rel), &a.hash).await? => {
                store::record_skipped(&mut tx, rel, *size, *mtime_ns, Some(&a.hash), store::DELETED_REASON).await?;
                tally.skipped += 1;
            }
            Ok(Outcome::Photo(a)) => {
                match store::record_photo(&mut tx, owners.of(rel), rel, *size, *mtime_ns, a, rescan).await? {
                    Recorded::New(_) => tally.new_photos += 1,
                    Recorded::Existing(_) | Recorded::Joined(_) => tally.existing_photos += 1,
                }
            }
            Ok(Outcome::Skipped { hash, reason, .. }) => {
                store::record_skipped(&mut tx, rel, *size, *mtime_ns, hash.as_deref(), reason).await?;
                tally.skipped += 1;
            }
            Err(_) => tally.errors += 1,
        }
    }
    tx.commit().await?;
    Ok(tally)
}

async fn mark_missing(db: &SqlitePool, gone: &[&String]) -> sqlx::Result<()> {
    let mut tx = write_tx(db).await?;
    for p in gone {
        store::mark_missing(&mut tx, p).await?;
    }
    tx.commit().await
}

fn analyse_file(root: &Path, f: &Found, settings: &Settings) -> Result<Outcome, String> {
    let path: PathBuf = root.join(&f.rel);
    let mtime = chrono::DateTime::from_timestamp_nanos(f.mtime_ns);
    let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
    analyze::analyze_file(&path, name, Some(mtime), settings).map_err(|e| e.to_string())
}

pub fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}
