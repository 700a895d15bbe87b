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
    /// Some(n): only the first n bytes (a Motion Photo's still without the clip appended to it,
    /// which carries metadata of its own).
    pub len: Option<u64>,
}

/// Which of a photo's present files (`f`, of photo `p`) a download takes: one primary file (copies
/// are the same bytes), and every paired file (a Live Photo's clip, the RAW beside a JPEG).
const DOWNLOADED_FILES: &str = "f.photo_id = p.id AND f.status = 'indexed' AND (f.role != 'primary' \
     OR f.id = (SELECT min(c.id) FROM files c WHERE c.photo_id = p.id AND c.status = 'indexed' AND c.role = 'primary'))";

/// The album's originals (one present file per photo and the files paired with it, newest first)
/// with unique names; in a shared album, other people's private photos are left out.
pub async fn album_files(db: &SqlitePool, originals: &Path, viewer: i64, album_id: i64) -> Result<Vec<ZipItem>> {
    album_role(db, viewer, album_id).await?;
    let rows: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT f.path FROM album_photos ap JOIN photos p ON p.id = ap.photo_id JOIN files f ON {DOWNLOADED_FILES} \
         WHERE ap.album_id = ? AND p.missing = 0 AND p.trashed_at IS NULL \
         AND (p.owner_id = ? OR p.private = 0) ORDER BY ap.taken_at DESC, ap.photo_id DESC, f.role != 'primary', f.id",
    ))
    .bind(album_id)
    .bind(viewer)
    .fetch_all(db)
    .await?;
    Ok(zip_items(originals, rows))
}

/// The originals of photos `ids` (the viewer's own, or in a partner's shared library) and the
/// files paired with them, in the order given, with unique names.
pub async fn selection_files(db: &SqlitePool, originals: &Path, viewer: i64, ids: &[i64]) -> Result<Vec<ZipItem>> {
    let ids = unique(ids)?;
    let mut conn = db.acquire().await?;
    check_readable(&mut conn, viewer, &ids).await?;
    let mut paths = Vec::new();
    for id in ids {
        let files: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT f.path FROM photos p JOIN files f ON {DOWNLOADED_FILES} WHERE p.id = ? ORDER BY f.role != 'primary', f.id"
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        paths.extend(files);
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
            Some(ZipItem { path: originals.join(rel_path), name, strip: None, len: None })
        })
        .collect()
}
