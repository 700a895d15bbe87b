//! The photo library engine: indexing originals, metadata, thumbnails, uploads and the access
//! rules for media. Knows nothing about HTTP; handlers and the command line call it.

pub mod analyze;
pub mod apple;
pub mod archive;
pub(crate) mod atomic;
pub mod budget;
pub mod cache;
pub mod catalog;
pub mod heif;
pub mod index;
pub mod media_access;
pub mod metadata;
pub mod motion;
pub mod pairs;
pub mod plain_video;
pub mod poster;
pub mod raw;
pub mod sniff;
pub mod store;
pub mod strip;
pub mod synth;
pub mod thumbs;
pub mod token;
pub mod tools;
pub mod transcode;
pub mod upload;
pub mod video;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::SqlitePool;
use tokio::sync::broadcast;

use crate::config::Config;
pub use analyze::Settings;
pub use cache::ThumbCache;
pub use index::{IndexOptions, Progress, Summary};
pub use token::{TokenKey, Viewer};

/// How long [`Library::index_soon`] waits for more writes before it indexes.
/// Under STORAGE_PATH: where external decoders write, one private folder per call.
const DECODE_TEMP: &str = "decode-tmp";

pub const INDEX_DEBOUNCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Shared by the server's handlers; cheap to clone.
#[derive(Clone)]
pub struct Library {
    inner: Arc<Inner>,
}

struct Inner {
    db: SqlitePool,
    originals: PathBuf,
    settings: Settings,
    workers: usize,
    upload_limit: u64,
    trash_days: u32,
    admin_user: String,
    token_key: TokenKey,
    /// Remembered media decisions and small thumbnails (`media_access`).
    media_access: Arc<media_access::MediaAccess>,
    /// STORAGE_PATH/index.lock: locked for every run, by the server and by `shoebox index`.
    lock_path: PathBuf,
    running: AtomicBool,
    /// An index run is due soon (`index_soon`): set until that run starts.
    index_due: AtomicBool,
    events: broadcast::Sender<Progress>,
    last: std::sync::Mutex<Option<Progress>>,
    /// Tells the transcode queue that an index or upload may have added videos.
    transcode_wake: Arc<tokio::sync::Notify>,
}

/// Holds the index lock for one run. Dropping it (also when the job panics or is cancelled)
/// clears the running flag and closes the lock file, which releases its lock; so does the end of
/// the process, however it ends.
struct RunningGuard {
    inner: Arc<Inner>,
    _lock: std::fs::File,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.inner.running.store(false, Ordering::SeqCst);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CannotIndex {
    /// In this process, or in another one on the same STORAGE_PATH (the server or the command line).
    #[error("an index is already running (the server or another shoebox index): wait for it, or watch /admin/library")]
    AlreadyRunning,
    #[error("cannot lock {}: {source}", path.display())]
    Lock { path: PathBuf, source: std::io::Error },
}

impl Library {
    pub fn open(config: &Config, db: SqlitePool) -> anyhow::Result<Library> {
        let token_key = TokenKey::load_or_create(&config.storage_path)?;
        let (events, _) = broadcast::channel(256);
        let inner = Inner {
            db,
            originals: config.originals_path.clone(),
            settings: Settings {
                cache: ThumbCache::in_storage(&config.storage_path),
                max_pixels: config.library.max_pixels,
                max_file_bytes: config.library.upload_limit,
                jpeg_quality: config.library.jpeg_quality,
                decode_budget: Arc::new(budget::Budget::new(
                    config.library.index_workers.max(1) as u64 * budget::SHARE_PER_WORKER,
                )),
                tools: Arc::new(tools::MediaTools::find(&config.media)),
                decode_temp: config.storage_path.join(DECODE_TEMP),
            },
            workers: config.library.index_workers,
            upload_limit: config.library.upload_limit,
            trash_days: config.library.trash_days,
            admin_user: config.admin_user.clone(),
            token_key,
            media_access: Arc::default(),
            lock_path: config.storage_path.join("index.lock"),
            running: AtomicBool::new(false),
            index_due: AtomicBool::new(false),
            events,
            transcode_wake: Arc::new(tokio::sync::Notify::new()),
            last: std::sync::Mutex::new(None),
        };
        for (tool, state) in inner.settings.tools.report(&config.media) {
            tracing::info!(tool, state = %state, "media tool");
        }
        upload::clear_staging(&inner.originals);
        // Decoder output a crash left behind.
        let _ = std::fs::remove_dir_all(&inner.settings.decode_temp);
        Ok(Library { inner: Arc::new(inner) })
    }

    pub fn db(&self) -> &SqlitePool {
        &self.inner.db
    }

    pub fn originals(&self) -> &Path {
        &self.inner.originals
    }

    /// What the thumbnail route already knows; whatever takes a right away calls its `forget_all`.
    pub fn media_access(&self) -> &Arc<media_access::MediaAccess> {
        &self.inner.media_access
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn upload_limit(&self) -> u64 {
        self.inner.upload_limit
    }

    /// Where deleting photos for good touches the disk.
    pub fn disk(&self) -> catalog::Disk<'_> {
        catalog::Disk { originals: &self.inner.originals, cache: &self.inner.settings.cache }
    }

    /// The thumbnail `spec` of the picture with `hash`, whose original is `rel` under
    /// ORIGINALS_PATH: from the cache, or made now and cached (the large sizes are made on first
    /// request; any size comes back after the cache was cleared). The caller checked access.
    pub async fn thumbnail(&self, hash: &str, rel: &str, spec: thumbs::SizeSpec) -> anyhow::Result<Vec<u8>> {
        let settings = self.settings().clone();
        if let Some(jpeg) = settings.cache.read_thumbnail(hash, spec).await {
            return Ok(jpeg);
        }
        let (original, hash) = (self.originals().join(rel), hash.to_string());
        tokio::task::spawn_blocking(move || analyze::make_one(&original, &hash, spec, &settings)).await?
    }

    /// A video as share links that hide metadata serve it, remuxed without its metadata from
    /// `source` (its original or transcode, or a live photo's clip) and cached ([`plain_video`]);
    /// made on first request.
    pub async fn plain_video(
        &self,
        hash: &str,
        source: transcode::Clip,
        container: plain_video::Container,
    ) -> anyhow::Result<PathBuf> {
        let settings = &self.inner.settings;
        let (tools, cache, hash) = (settings.tools.clone(), settings.cache.clone(), hash.to_string());
        tokio::task::spawn_blocking(move || plain_video::plain_video(&tools, &cache, &hash, &source, container)).await?
    }

    /// TRASH_DAYS; 0 means the trash is kept until it is emptied.
    pub fn trash_days(&self) -> u32 {
        self.inner.trash_days
    }

    /// Runs an index every `interval` (INDEX_INTERVAL) until the task is aborted; a run still
    /// busy (or one from `shoebox index`) is left alone. Unchanged files cost a stat each.
    pub fn spawn_periodic_index(&self, interval: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            if interval.is_zero() {
                return;
            }
            let mut every = tokio::time::interval(interval);
            every.tick().await;
            loop {
                every.tick().await;
                match this.start_index(IndexOptions::default()) {
                    Ok(()) | Err(CannotIndex::AlreadyRunning) => {}
                    Err(e) => tracing::warn!(error = %e, "the periodic index did not start"),
                }
            }
        })
    }

    /// Watches ORIGINALS_PATH so originals added by anything else are indexed within seconds
    /// ([`watch`]); None, with the reason logged, where the operating system does not allow it,
    /// and then only the periodic index (`interval`, INDEX_INTERVAL) picks them up.
    pub async fn watch_originals(&self, interval: std::time::Duration) -> Option<watch::FolderWatch> {
        match watch::start(self).await {
            Ok(watching) => {
                tracing::info!(folder = %self.originals().display(), "watching the originals for new files");
                Some(watching)
            }
            Err(e) if interval.is_zero() => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "cannot watch the originals, and INDEX_INTERVAL is 0: files added by anything other than \
                     uploads and WebDAV are picked up only by Index now or a restart"
                );
                None
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    index_interval_secs = interval.as_secs(),
                    "cannot watch the originals: files added by anything other than uploads and WebDAV are \
                     picked up by the periodic index run (INDEX_INTERVAL)"
                );
                None
            }
        }
    }

    /// Runs the transcode queue (one video at a time, lowest priority) until it is stopped.
    pub fn spawn_transcoder(&self) -> transcode::Transcoder {
        let inner = &self.inner;
        transcode::Transcoder::spawn(
            inner.db.clone(),
            inner.originals.clone(),
            inner.settings.cache.clone(),
            inner.settings.tools.clone(),
            inner.transcode_wake.clone(),
        )
    }

    /// New videos may need a transcode: the queue looks now rather than at its next minute.
    pub fn wake_transcoder(&self) {
        self.inner.transcode_wake.notify_one();
    }

    /// Purges expired trash now and then every hour, until the task is aborted.
    pub fn spawn_trash_purge(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            if this.trash_days() == 0 {
                return;
            }
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                let now = crate::db::now();
                if let Err(e) = catalog::purge_expired(this.db(), this.disk(), now, this.trash_days()).await {
                    tracing::warn!(error = %e, "the trash purge failed; it runs again in an hour");
                }
            }
        })
    }

    pub fn token_key(&self) -> &TokenKey {
        &self.inner.token_key
    }

    pub fn is_indexing(&self) -> bool {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// The latest progress event (the summary once a run finished).
    pub fn last_progress(&self) -> Option<Progress> {
        self.inner.last.lock().ok().and_then(|l| l.clone())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Progress> {
        self.inner.events.subscribe()
    }

    /// One index at a time per database: the flag stops a second run in this process, the file
    /// lock one in another process (the server and `shoebox index` share STORAGE_PATH). The lock
    /// is advisory and exclusive (`flock` on Unix), so a crashed run never leaves it held.
    fn claim(&self) -> Result<RunningGuard, CannotIndex> {
        let inner = &self.inner;
        inner
            .running
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .map_err(|_| CannotIndex::AlreadyRunning)?;
        let locked = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&inner.lock_path)
            .and_then(|file| match file.try_lock() {
                Ok(()) => Ok(Ok(file)),
                Err(std::fs::TryLockError::WouldBlock) => Ok(Err(CannotIndex::AlreadyRunning)),
                Err(std::fs::TryLockError::Error(e)) => Err(e),
            })
            .unwrap_or_else(|source| Err(CannotIndex::Lock { path: inner.lock_path.clone(), source }));
        match locked {
            Ok(file) => Ok(RunningGuard { inner: inner.clone(), _lock: file }),
            Err(e) => {
                inner.running.store(false, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Runs an index now and waits for it; `progress` sees every event too.
    pub async fn index(
        &self,
        options: IndexOptions,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> anyhow::Result<Summary> {
        let guard = self.claim()?;
        self.run_claimed(guard, options, progress).await
    }

    async fn run_claimed(
        &self,
        _guard: RunningGuard,
        options: IndexOptions,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> anyhow::Result<Summary> {
        let inner = &self.inner;
        let publish = |p: Progress| {
            if let Ok(mut last) = inner.last.lock() {
                *last = Some(p.clone());
            }
            let _ = inner.events.send(p.clone());
            progress(p);
        };
        let result = index::run(
            &inner.db,
            &inner.originals,
            &inner.settings,
            inner.workers,
            &inner.admin_user,
            options,
            &publish,
        )
        .await;
        if let Err(e) = &result {
            tracing::error!(error = format!("{e:#}"), "index failed");
            publish(Progress::Failed { error: format!("{e:#}") });
        }
        self.wake_transcoder();
        result
    }

    /// Indexes soon: files were written by something other than an upload (WebDAV). Writes within
    /// [`INDEX_DEBOUNCE`] of each other make one run; while a run is busy, the next waits for it,
    /// so a file written during a run is still picked up.
    pub fn index_soon(&self) {
        if self.inner.index_due.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(INDEX_DEBOUNCE).await;
            loop {
                this.inner.index_due.store(false, Ordering::SeqCst);
                match this.start_index(IndexOptions::default()) {
                    Ok(()) => return,
                    Err(CannotIndex::AlreadyRunning) => {
                        this.inner.index_due.store(true, Ordering::SeqCst);
                        tokio::time::sleep(INDEX_DEBOUNCE).await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the index after a WebDAV change did not start");
                        return;
                    }
                }
            }
        });
    }

    /// Starts an index in the background unless one is running.
    pub fn start_index(&self, options: IndexOptions) -> Result<(), CannotIndex> {
        let guard = self.claim()?;
        let this = self.clone();
        tokio::spawn(async move {
            match this.run_claimed(guard, options, &|_| {}).await {
                Ok(s) => tracing::info!(
                    files = s.files,
                    new = s.new_photos,
                    unchanged = s.unchanged,
                    skipped = s.skipped,
                    missing = s.missing,
                    millis = s.millis,
                    "index finished"
                ),
                Err(e) => tracing::warn!(error = format!("{e:#}"), "index did not run"),
            }
        });
        Ok(())
    }
}
