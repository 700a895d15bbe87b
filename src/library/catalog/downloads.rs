//! The files of a zip download (an album or a selection) with unique names inside the archive.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use super::{CatalogError, Result, album_role, check_readable, safe_relative, unique};

/// One file of a zip download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipItem {
    /// Absolute path of the original.
    pub path: PathBuf,
    /// Unique name inside the archive.
    pub name: String,
    /// Some(format): the entry is the original with its metadata stripped (a share link that
    /// hides metadata); a file that cannot be stripped is left out.
    pub strip: Option<String>,
}

/// The album's originals (one present file per photo, newest first) with unique names; in a
/// shared album, other people's private photos are left out.
pub async fn album_files(db: &SqlitePool, originals: &Path, viewer: i64, album_id: i64) -> Result<Vec<ZipItem>> {
    album_role(db, viewer, album_id).await?;
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'indexed' ORDER BY f.id LIMIT 1) \
         AS path FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
         WHERE ap.album_id = ? AND p.missing = 0 AND p.trashed_at IS NULL AND path IS NOT NULL \
         AND (p.owner_id = ? OR p.private = 0) ORDER BY ap.taken_at DESC, ap.photo_id DESC",
    )
    .bind(album_id)
    .bind(viewer)
    .fetch_all(db)
    .await?;
    Ok(zip_items(originals, rows))
}

/// The originals of photos `ids` (the viewer's own, or in a partner's shared library), in the
/// order given, with unique names.
pub async fn selection_files(db: &SqlitePool, originals: &Path, viewer: i64, ids: &[i64]) -> Result<Vec<ZipItem>> {
    let ids = unique(ids)?;
    let mut conn = db.acquire().await?;
    check_readable(&mut conn, viewer, &ids).await?;
    let mut paths = Vec::new();
    for id in ids {
        let path: Option<String> =
            sqlx::query_scalar("SELECT path FROM files WHERE photo_id = ? AND status = 'indexed' ORDER BY id LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(p) = path {
            paths.push(p);
        }
    }
    if paths.is_empty() {
        return Err(CatalogError::Invalid(
            "none of these photos has a file on disk any more: run an index or pick other photos".into(),
        ));
    }
    Ok(zip_items(originals, paths))
}

pub(super) fn zip_items(originals: &Path, paths: Vec<String>) -> Vec<ZipItem> {
    let mut taken = HashSet::new();
    paths
        .into_iter()
        .filter_map(|rel| {
            let rel_path = safe_relative(&rel)?;
            let base = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            let (stem, ext) = match base.rsplit_once('.') {
                Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
                _ => (base.clone(), String::new()),
            };
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.to_lowercase()) {
                name = format!("{stem} ({n}){ext}");
                n += 1;
            }
            Some(ZipItem { path: originals.join(rel_path), name, strip: None })
        })
        .collect()
}
