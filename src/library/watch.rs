//! Notices originals added, changed or removed by anything else (SMB, Syncthing, a copy) from the
//! operating system's file notifications (inotify on Linux), so they are indexed within seconds
//! without a rescan. Every notification only asks for an index run soon ([`Library::index_soon`]),
//! so a copy of 10,000 files is a run or two, not 10,000. Where watching is not possible (a
//! network mount whose changes happen elsewhere, too few inotify watches) the periodic index,
//! INDEX_INTERVAL, remains.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use notify::event::{AccessKind, EventKind, MetadataKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

use super::Library;

/// Watches ORIGINALS_PATH while it lives; dropping it stops watching.
pub struct FolderWatch {
    _watcher: RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FolderWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching the whole originals folder. Adding a watch to every folder takes a moment on
/// a large library, so it runs off the async threads; files that arrive before it is in place
/// are the startup index's.
pub async fn start(library: &Library) -> anyhow::Result<FolderWatch> {
    let originals = library.originals().to_path_buf();
    let changed = Arc::new(Notify::new());
    let wake = changed.clone();
    let root = originals.clone();
    let watcher = tokio::task::spawn_blocking(move || -> notify::Result<RecommendedWatcher> {
        let handler = move |event: notify::Result<notify::Event>| match event {
            Ok(event) if worth_an_index(&root, &event) => wake.notify_one(),
            Ok(_) => {}
            // Lost notifications (an overflowing queue): an index run finds whatever they were.
            Err(e) => {
                tracing::warn!(error = %e, "watching the originals: a notification was lost; indexing to catch up");
                wake.notify_one();
            }
        };
        // A link among the originals is never followed, by the index or by the watch.
        let config = notify::Config::default().with_follow_symlinks(false);
        // A new server's originals folder may not exist yet; the first upload would make it.
        std::fs::create_dir_all(&originals).map_err(notify::Error::io)?;
        let mut watcher = RecommendedWatcher::new(handler, config)?;
        watcher.watch(&originals, RecursiveMode::Recursive)?;
        Ok(watcher)
    })
    .await??;
    let this = library.clone();
    let task = tokio::spawn(async move {
        loop {
            changed.notified().await;
            this.index_soon();
        }
    });
    Ok(FolderWatch { _watcher: watcher, task })
}

/// Whether a notification can mean an original came, changed or went. Reads are not (the index
/// reads every new file, and must not wake itself), nor is anything in a hidden folder (the
/// import inbox, upload staging), which the index does not walk either.
fn worth_an_index(root: &Path, event: &notify::Event) -> bool {
    let relevant = match event.kind {
        EventKind::Access(AccessKind::Close(notify::event::AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    };
    relevant && (event.need_rescan() || event.paths.iter().any(|p| !hidden(root, p)))
}

fn hidden(root: &Path, path: &Path) -> bool {
    let rel: PathBuf = path.strip_prefix(root).map(Path::to_path_buf).unwrap_or_default();
    rel.components().any(|c| matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange};

    fn event(kind: EventKind, path: &str) -> notify::Event {
        notify::Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn reads_and_hidden_folders_do_not_start_an_index_but_new_and_changed_files_do() {
        let root = Path::new("/photos");
        let create = EventKind::Create(CreateKind::File);
        assert!(worth_an_index(root, &event(create, "/photos/bob/a.jpg")));
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Content));
        assert!(worth_an_index(root, &event(write, "/photos/a.jpg")));
        let read = EventKind::Access(AccessKind::Read);
        assert!(!worth_an_index(root, &event(read, "/photos/a.jpg")), "the index reading must not wake itself");
        assert!(!worth_an_index(root, &event(create, "/photos/.shoebox-import/bob/a.jpg")));
    }
}
