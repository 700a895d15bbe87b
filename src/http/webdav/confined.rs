//! The WebDAV file system: `LocalFs` kept inside an account's root, with dead properties.

use std::path::{Component, PathBuf};
use std::time::SystemTime;

use axum::http::StatusCode;
use dav_server::davpath::DavPath;
use dav_server::fs::{
    DavDirEntry, DavFile, DavFileSystem, DavMetaData, DavProp, FsError, FsFuture, FsResult, FsStream, OpenOptions,
    ReadDirMeta,
};
use dav_server::localfs::LocalFs;

use super::dead_props::DeadProps;

/// `LocalFs` confined to its root: a path that passes through a symbolic link is not found, so a
/// link inside the originals cannot lead a client to files outside its root. (`dav-server`
/// already refuses `..` and normalises encoded paths.)
#[derive(Clone)]
pub(super) struct Confined {
    pub(super) inner: Box<LocalFs>,
    pub(super) confinement: Confinement,
    pub(super) props: DeadProps,
}

impl Confined {
    fn check(&self, path: &DavPath) -> FsResult<()> {
        self.confinement.check(path)
    }

    /// The resource's path relative to ORIGINALS_PATH, the key of its dead properties.
    fn key(&self, path: &DavPath) -> String {
        let full = self.confinement.root.join(path.as_rel_ospath());
        let rel = full.strip_prefix(&self.props.originals).unwrap_or(&full);
        rel.to_string_lossy().trim_end_matches('/').to_string()
    }

    fn checked<'a, T: Send + 'a>(&'a self, paths: &[&DavPath], then: FsFuture<'a, T>) -> FsFuture<'a, T> {
        match paths.iter().try_for_each(|p| self.check(p)) {
            Ok(()) => then,
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}

/// An account's WebDAV root, and the rule that no path through a symbolic link is followed.
#[derive(Clone)]
pub(super) struct Confinement {
    pub(super) root: PathBuf,
}

impl Confinement {
    pub(super) fn check(&self, path: &DavPath) -> FsResult<()> {
        let mut at = self.root.clone();
        for part in path.as_rel_ospath().components() {
            match part {
                Component::Normal(name) => at.push(name),
                Component::CurDir => continue,
                _ => return Err(FsError::Forbidden),
            }
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => return Err(FsError::NotFound),
                Ok(_) => {}
                // What does not exist yet (a PUT's file, a MKCOL's folder) holds no link.
                Err(_) => break,
            }
        }
        Ok(())
    }
}

impl DavFileSystem for Confined {
    fn open<'a>(&'a self, path: &'a DavPath, options: OpenOptions) -> FsFuture<'a, Box<dyn DavFile>> {
        self.checked(&[path], self.inner.open(path, options))
    }

    fn read_dir<'a>(&'a self, path: &'a DavPath, meta: ReadDirMeta) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        self.checked(&[path], self.inner.read_dir(path, meta))
    }

    fn metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        self.checked(&[path], self.inner.metadata(path))
    }

    fn symlink_metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        self.checked(&[path], self.inner.symlink_metadata(path))
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        self.checked(&[path], self.inner.create_dir(path))
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        let removed = self.inner.remove_dir(path);
        self.checked(
            &[path],
            Box::pin(async move {
                removed.await?;
                self.props.forget(&self.key(path)).await
            }),
        )
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        let removed = self.inner.remove_file(path);
        self.checked(
            &[path],
            Box::pin(async move {
                removed.await?;
                self.props.forget(&self.key(path)).await
            }),
        )
    }

    fn rename<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        let renamed = self.inner.rename(from, to);
        self.checked(
            &[from, to],
            Box::pin(async move {
                renamed.await?;
                self.props.rename(&self.key(from), &self.key(to)).await
            }),
        )
    }

    fn copy<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        let copied = self.inner.copy(from, to);
        self.checked(
            &[from, to],
            Box::pin(async move {
                copied.await?;
                self.props.copy(&self.key(from), &self.key(to)).await
            }),
        )
    }

    fn set_accessed<'a>(&'a self, path: &'a DavPath, tm: SystemTime) -> FsFuture<'a, ()> {
        self.checked(&[path], self.inner.set_accessed(path, tm))
    }

    fn set_modified<'a>(&'a self, path: &'a DavPath, tm: SystemTime) -> FsFuture<'a, ()> {
        self.checked(&[path], self.inner.set_modified(path, tm))
    }

    fn have_props<'a>(&'a self, _: &'a DavPath) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(async { true })
    }

    fn patch_props<'a>(
        &'a self,
        path: &'a DavPath,
        patch: Vec<(bool, DavProp)>,
    ) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        let exists = self.inner.metadata(path);
        self.checked(
            &[path],
            Box::pin(async move {
                exists.await?;
                self.props.patch(&self.key(path), patch).await
            }),
        )
    }

    fn get_props<'a>(&'a self, path: &'a DavPath, do_content: bool) -> FsFuture<'a, Vec<DavProp>> {
        self.checked(&[path], Box::pin(self.props.all(self.key(path), do_content)))
    }

    fn get_prop<'a>(&'a self, path: &'a DavPath, prop: DavProp) -> FsFuture<'a, Vec<u8>> {
        self.checked(&[path], Box::pin(self.props.one(self.key(path), prop)))
    }

    fn get_quota(&self) -> FsFuture<'_, (u64, Option<u64>)> {
        self.inner.get_quota()
    }
}
