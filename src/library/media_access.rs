//! What the thumbnail route already knows, held in memory: which viewer (under which session
//! generation) may see which picture and where its original lies, and the bytes of small
//! thumbnails. A repeated thumbnail request is then answered with no database query, no file
//! read and no hand-off to another thread.
//!
//! Correctness rests on one rule: **whatever could take a right away calls
//! [`MediaAccess::forget_all`] after its change is committed** and before it is answered. Three
//! things do so, so that a new way in (partner sharing, …) needs nothing more than its own routes:
//! - the HTTP layer `http::middleware::forget_access` after every request that is not a GET,
//!   HEAD or OPTIONS (every change made through the API, the pages, WebDAV and back-channel logout);
//! - the few GETs that change access themselves (single sign-on stores the user's groups);
//! - [`MediaAccess::spawn_watch`], which polls SQLite's `data_version` and forgets everything
//!   when any other connection committed: index runs, the trash purge, `shoebox users …` run in
//!   another process. That path is bounded by [`WATCH_EVERY`], not immediate.
//!
//! A decision remembered while a change was being made could be stale, so every `remember_*`
//! carries the epoch read before its database query and is dropped when a `forget_all` came in
//! between: nothing stale survives a `forget_all`.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use lru::LruCache;
use sqlx::SqlitePool;

/// How often the watcher asks SQLite whether another connection committed.
pub const WATCH_EVERY: Duration = Duration::from_millis(100);
/// How many (viewer, picture) decisions are kept; about 100 bytes each.
const GRANTS: usize = 65_536;
/// Memory for thumbnail bytes; the least recently served go first.
const THUMB_BUDGET: usize = 64 << 20;
/// Larger thumbnails (`fit_1920` and the like) are read from the cache folder every time: a few
/// of them would push hundreds of tiles out.
const THUMB_MAX: usize = 256 << 10;

/// A picture's content hash (SHA-256 hex in URLs) as the 32 bytes it spells.
pub type HashKey = [u8; 32];

/// One viewer, under the session generation their media token names, asking for one picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grant {
    pub viewer: i64,
    pub generation: i64,
    pub hash: HashKey,
}

pub struct MediaAccess {
    known: Mutex<Known>,
}

struct Known {
    /// Bumped by every `forget_all`.
    epoch: u64,
    /// Nothing is remembered until the watcher runs: without it, changes made by other
    /// connections would go unnoticed.
    watching: bool,
    /// A remembered "yes", with the original's path relative to the originals folder.
    grants: LruCache<Grant, Arc<str>>,
    thumbs: LruCache<(HashKey, &'static str), Bytes>,
    thumb_bytes: usize,
}

impl Default for MediaAccess {
    fn default() -> Self {
        MediaAccess::new()
    }
}

impl MediaAccess {
    pub fn new() -> MediaAccess {
        MediaAccess {
            known: Mutex::new(Known {
                epoch: 0,
                watching: false,
                grants: LruCache::new(NonZeroUsize::new(GRANTS).expect("non-zero")),
                thumbs: LruCache::unbounded(),
                thumb_bytes: 0,
            }),
        }
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        // Nothing in here can be left half-changed by a panic: a poisoned lock is still usable.
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Read before the query whose answer is then remembered.
    pub fn epoch(&self) -> u64 {
        self.known().epoch
    }

    /// The original's path when `grant` was already found allowed.
    pub fn granted(&self, grant: &Grant) -> Option<Arc<str>> {
        self.known().grants.get(grant).cloned()
    }

    /// Remembers that `grant` is allowed, unless something changed since `epoch`.
    pub fn remember_grant(&self, epoch: u64, grant: Grant, original: &str) {
        let mut known = self.known();
        if known.watching && known.epoch == epoch {
            known.grants.put(grant, Arc::from(original));
        }
    }

    /// A thumbnail's bytes, when served lately. Callers check the grant first.
    pub fn thumbnail(&self, hash: &HashKey, size: &'static str) -> Option<Bytes> {
        self.known().thumbs.get(&(*hash, size)).cloned()
    }

    /// Keeps a small thumbnail's bytes, unless something changed since `epoch`.
    pub fn remember_thumbnail(&self, epoch: u64, hash: HashKey, size: &'static str, jpeg: Bytes) {
        if jpeg.len() > THUMB_MAX {
            return;
        }
        let mut known = self.known();
        if !known.watching || known.epoch != epoch {
            return;
        }
        known.thumb_bytes += jpeg.len();
        if let Some(old) = known.thumbs.put((hash, size), jpeg) {
            known.thumb_bytes -= old.len();
        }
        while known.thumb_bytes > THUMB_BUDGET {
            match known.thumbs.pop_lru() {
                Some((_, gone)) => known.thumb_bytes -= gone.len(),
                None => break,
            }
        }
    }

    /// Forgets every remembered decision and thumbnail. Call it after committing anything that
    /// could take a right away or change a thumbnail; see the module comment for who does.
    pub fn forget_all(&self) {
        let mut known = self.known();
        known.epoch += 1;
        known.grants.clear();
        known.thumbs.clear();
        known.thumb_bytes = 0;
    }

    /// Forgets everything whenever another connection to the database committed (SQLite's
    /// `data_version` changes), checked every [`WATCH_EVERY`] on a connection of its own, until
    /// the task is aborted. Catches the changes no request makes.
    pub fn spawn_watch(self: &Arc<Self>, db: SqlitePool) -> tokio::task::JoinHandle<()> {
        let this = Arc::clone(self);
        this.known().watching = true;
        tokio::spawn(async move {
            let mut last: Option<i64> = None;
            let mut every = tokio::time::interval(WATCH_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // `data_version` is per connection: the watcher keeps one out of the pool for good.
            let mut conn = None;
            loop {
                every.tick().await;
                if conn.is_none() {
                    conn = db.acquire().await.ok().map(|c| c.detach());
                }
                let Some(c) = conn.as_mut() else {
                    this.forget_all();
                    continue;
                };
                match sqlx::query_scalar::<_, i64>("PRAGMA data_version").fetch_one(&mut *c).await {
                    Ok(v) => {
                        if last.is_some_and(|l| l != v) {
                            this.forget_all();
                        }
                        last = Some(v);
                    }
                    Err(e) => {
                        // Without the watcher nothing may be trusted: forget, and reconnect.
                        tracing::warn!(error = %e, "the media access watcher lost its connection");
                        this.forget_all();
                        conn = None;
                        last = None;
                    }
                }
            }
        })
    }
}

/// The 32 bytes a lowercase 64-digit hex hash spells; None for anything else.
pub fn hash_key(hex: &str) -> Option<HashKey> {
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut key = [0u8; 32];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        key[i] = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(hash: u8) -> Grant {
        Grant { viewer: 1, generation: 0, hash: [hash; 32] }
    }

    #[test]
    fn a_decision_read_before_a_forget_is_not_remembered_after_it() {
        let access = MediaAccess::new();
        access.known().watching = true;
        let before = access.epoch();
        access.forget_all();
        access.remember_grant(before, grant(1), "a.jpg");
        assert_eq!(access.granted(&grant(1)), None);
        access.remember_grant(access.epoch(), grant(1), "a.jpg");
        assert_eq!(access.granted(&grant(1)).as_deref(), Some("a.jpg"));
        access.forget_all();
        assert_eq!(access.granted(&grant(1)), None);
    }

    #[test]
    fn thumbnails_stay_within_their_budget() {
        let access = MediaAccess::new();
        access.known().watching = true;
        let tile = Bytes::from(vec![0u8; THUMB_MAX]);
        // One more than fits; keys apart in their first two bytes (a u8 alone would wrap at 256).
        let key = |i: usize| {
            let mut k = [0u8; 32];
            k[..2].copy_from_slice(&(i as u16).to_be_bytes());
            k
        };
        for i in 0..=(THUMB_BUDGET / THUMB_MAX) {
            access.remember_thumbnail(access.epoch(), key(i), "tile_224", tile.clone());
        }
        assert!(access.known().thumb_bytes <= THUMB_BUDGET);
        assert!(access.thumbnail(&key(0), "tile_224").is_none(), "the oldest went first");
        assert!(access.thumbnail(&key(1), "tile_224").is_some());
        access.remember_thumbnail(access.epoch(), [9; 32], "fit_1920", Bytes::from(vec![0u8; THUMB_MAX + 1]));
        assert!(access.thumbnail(&[9; 32], "fit_1920").is_none(), "too large to keep");
    }

    #[test]
    fn hashes_are_read_from_lowercase_hex_only() {
        let hex = "00ff".repeat(16);
        assert_eq!(hash_key(&hex).unwrap()[..2], [0x00, 0xff]);
        assert_eq!(hash_key(&hex.to_uppercase()), None);
        assert_eq!(hash_key(&hex[1..]), None);
    }
}
