//! The files a share link's visitor may fetch: a shared photo's primary file, its Live Photo clip
//! (the MOV beside it or the MP4 inside a Motion Photo) and the RAW beside it, found by one
//! query whether one photo is asked for by hash (thumbnail, original, clip, paired download) or
//! the whole album (the zip). So every route under a link gives bytes exactly where the link's
//! thumbnail may be seen.

use std::collections::HashSet;
use std::path::Path;

use sqlx::{FromRow, SqlitePool};

use super::downloads::zip_items;
use super::links::SHARED_TERMS;
use super::{CatalogError, Result, SharedAlbum, ZipItem, json_ids, safe_relative};
use crate::library::strip::strippable;
use crate::library::transcode::{Clip, Playable};

/// A photo of a shared album with its files, paths relative to the originals.
#[derive(Debug, Clone, FromRow)]
pub struct SharedItem {
    pub id: i64,
    pub hash: String,
    pub format: String,
    /// `image`, `video`, `live` or `raw`.
    pub media_type: String,
    /// Its primary file (the still of a live photo).
    pub path: String,
    pub video_codec: Option<String>,
    /// Its `transcodes.status`, when it has been queued.
    pub transcode: Option<String>,
    /// A live photo's clip container (`mov`, `mp4`).
    pub motion_format: Option<String>,
    /// An Apple Live Photo's clip beside the still.
    pub motion_path: Option<String>,
    /// A Motion Photo's clip inside the still: its offset and length. The still's own picture is
    /// the bytes before the offset.
    pub motion_offset: Option<i64>,
    pub motion_length: Option<i64>,
    /// The RAW beside a JPEG or HEIC.
    pub companion_path: Option<String>,
}

impl SharedItem {
    /// A video, or a live photo with its clip.
    pub fn plays(&self) -> bool {
        self.media_type == "video" || self.media_type == "live"
    }

    /// The container of what plays as stored: the video's, or the live photo's clip's.
    pub fn clip_format(&self) -> &str {
        self.motion_format.as_deref().unwrap_or(&self.format)
    }

    /// Which rendition browsers get (the stored clip or its transcode); None for a still.
    pub fn playable(&self) -> Option<Playable> {
        self.plays().then(|| Playable::of(self.clip_format(), self.video_codec.as_deref(), self.transcode.as_deref()))
    }

    /// The clip as stored: a video's file, a Live Photo's MOV, or a Motion Photo's byte range of
    /// its still; None for a still, or for a path that would leave the originals.
    pub fn stored_clip(&self, originals: &Path) -> Option<Clip> {
        if !self.plays() {
            return None;
        }
        let whole = |rel: &str| safe_relative(rel).map(|p| Clip { path: originals.join(p), slice: None });
        match (&self.motion_path, self.motion_offset, self.motion_length) {
            (Some(clip), _, _) => whole(clip),
            (None, Some(offset), Some(len)) if self.media_type == "live" && offset >= 0 && len > 0 => {
                safe_relative(&self.path)
                    .map(|p| Clip { path: originals.join(p), slice: Some((offset as u64, len as u64)) })
            }
            _ if self.media_type == "video" => whole(&self.path),
            _ => None,
        }
    }

    /// How many bytes of the primary file are the picture: all of them, except in a Motion
    /// Photo, whose clip (with its own metadata) is appended after the still.
    pub fn still_len(&self) -> Option<u64> {
        self.motion_offset.filter(|o| *o > 0 && self.motion_path.is_none()).map(|o| o as u64)
    }
}

/// The columns of a [`SharedItem`] and the rows they come from: each photo the link shows with
/// its first present primary file (copies are the same bytes). `?1`–`?3` as in `SHARED_TERMS`.
fn shared_items_where(condition: &str) -> String {
    format!(
        "SELECT p.id, p.hash, p.format, p.media_type, f.path, p.video_codec, \
         (SELECT t.status FROM transcodes t WHERE t.hash = p.hash) AS transcode, p.motion_format, \
         (SELECT m.path FROM files m WHERE m.photo_id = p.id AND m.role = 'motion' AND m.status = 'indexed' \
         ORDER BY m.id LIMIT 1) AS motion_path, p.motion_offset, p.motion_length, \
         (SELECT c.path FROM files c WHERE c.photo_id = p.id AND c.role = 'companion' AND c.status = 'indexed' \
         ORDER BY c.id LIMIT 1) AS companion_path \
         FROM album_photos ap JOIN photos p ON p.id = ap.photo_id \
         JOIN files f ON f.id = (SELECT min(x.id) FROM files x WHERE x.photo_id = p.id AND x.status = 'indexed' \
         AND x.role = 'primary') WHERE {SHARED_TERMS} AND {condition}"
    )
}

/// The shared album's photo with content `hash`, with its files.
pub async fn shared_item(db: &SqlitePool, s: &SharedAlbum, hash: &str) -> Result<SharedItem> {
    sqlx::query_as(&shared_items_where("p.hash = ?4"))
        .bind(s.link.album_id)
        .bind(s.owner_id)
        .bind(s.hidden)
        .bind(hash)
        .fetch_optional(db)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Every photo of the shared album with its files, newest first: what its zip holds.
pub async fn shared_items(db: &SqlitePool, s: &SharedAlbum) -> Result<Vec<SharedItem>> {
    Ok(sqlx::query_as(&format!("{} ORDER BY ap.taken_at DESC, ap.photo_id DESC", shared_items_where("1")))
        .bind(s.link.album_id)
        .bind(s.owner_id)
        .bind(s.hidden)
        .fetch_all(db)
        .await?)
}

/// Which of the photos `ids` have a RAW companion present (for the downloads a link offers).
pub async fn with_companion(db: &SqlitePool, ids: &[i64]) -> Result<HashSet<i64>> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT photo_id FROM files WHERE role = 'companion' AND status = 'indexed' \
         AND photo_id IN (SELECT value FROM json_each(?))",
    )
    .bind(json_ids(ids))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().collect())
}

/// One entry of a shared album's zip.
#[derive(Debug, Clone)]
pub enum LinkZipEntry {
    /// A file as it goes into the archive (named, and stripped where metadata is hidden).
    File(ZipItem),
    /// A live photo's clip where metadata is hidden: its plain rendition (`plain_video`) goes
    /// into the archive, named `photo-{id}` and the container's extension, beside its still.
    PlainClip(SharedItem),
}

/// The zip of a shared album that allows downloads: each photo's files. With `show_metadata`
/// every file as stored, named after it, the files paired with a photo beside it (as the owner's
/// zip). Without, each photo is `photo-{id}.<ext>` stripped of its metadata (formats that cannot
/// be stripped are left out, and a Motion Photo's still loses the clip appended to it), a live
/// photo's clip follows as a plain rendition, and RAW companions are left out: a RAW carries all
/// of the camera's metadata (place, time, serial number) and cannot be stripped here.
pub fn zip_entries(originals: &Path, items: Vec<SharedItem>, show_metadata: bool) -> Vec<LinkZipEntry> {
    if show_metadata {
        let paths = items.into_iter().flat_map(|i| [Some(i.path), i.motion_path, i.companion_path]).flatten().collect();
        return zip_items(originals, paths).into_iter().map(LinkZipEntry::File).collect();
    }
    let mut out = Vec::new();
    for item in items {
        if strippable(&item.format)
            && let Some(rel) = safe_relative(&item.path)
        {
            out.push(LinkZipEntry::File(ZipItem {
                path: originals.join(rel),
                name: format!("photo-{}.{}", item.id, extension(&item.format)),
                strip: Some(item.format.clone()),
                len: item.still_len(),
            }));
        }
        if item.media_type == "live" {
            out.push(LinkZipEntry::PlainClip(item));
        }
    }
    out
}

/// The usual file extension of a stored format.
pub fn extension(format: &str) -> &str {
    match format {
        "jpeg" => "jpg",
        other => other,
    }
}
