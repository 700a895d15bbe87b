//! Files that are one photo: a Live Photo's clip beside its still (`files.role = 'motion'`) and a
//! RAW beside its JPEG or HEIC (`companion`). They pair by folder and base name, in whichever
//! order they arrive (index or upload): the partner that comes second joins the photo of the
//! first, or takes the first's file into its own photo. `settle` undoes pairs whose files went.

use sqlx::SqliteConnection;

use super::analyze::{Analysis, MediaType};
use super::sniff::{Family, Format};
use super::store::Recorded;
use crate::db::now;

/// What a file can be in a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A JPEG, HEIC, AVIF, … : the photo that is shown.
    Still,
    /// A QuickTime or MP4 clip: a Live Photo's motion.
    Clip,
    /// Another rendition of the still.
    Raw,
}

fn part_of(a: &Analysis) -> Option<Part> {
    match (a.media.media_type, a.format.family()) {
        (MediaType::Video, _) if matches!(a.format, Format::Mov | Format::Mp4) => Some(Part::Clip),
        (MediaType::Raw, _) => Some(Part::Raw),
        (MediaType::Image | MediaType::Live, Family::Still | Family::Heif) => Some(Part::Still),
        _ => None,
    }
}

/// A file in the same folder with the same base name, and its photo.
#[derive(Debug, sqlx::FromRow)]
struct Neighbour {
    path: String,
    role: String,
    photo_id: i64,
    owner_id: i64,
    media_type: String,
    format: String,
    motion_offset: Option<i64>,
}

impl Neighbour {
    fn is_still(&self) -> bool {
        Format::parse(&self.format).is_some_and(|f| matches!(f.family(), Family::Still | Family::Heif))
            && matches!(self.media_type.as_str(), "image" | "live")
    }

    /// A still that can take an Apple clip: not one with a clip already inside (a Motion Photo).
    fn takes_clip(&self) -> bool {
        self.is_still() && self.motion_offset.is_none()
    }
}

/// `a/b/IMG_1.HEIC` → (`a/b/`, `IMG_1`); None for a name without an extension.
fn folder_and_stem(path: &str) -> Option<(&str, &str)> {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    let (folder, name) = path.split_at(cut);
    let dot = name.rfind('.')?;
    (dot > 0).then(|| (folder, &name[..dot]))
}

/// The indexed files beside `path` with its base name and one extension (`IMG_1.MOV` beside
/// `IMG_1.HEIC`, not `IMG_1.HEIC.json` or `IMG_1 (2).MOV`). The base name is compared as written
/// and in upper and lower case, each a range of the `path` index: a folder of any size costs
/// three index look-ups, not a scan.
async fn neighbours(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<Vec<Neighbour>> {
    let Some((folder, stem)) = folder_and_stem(path) else { return Ok(Vec::new()) };
    let mut stems = vec![stem.to_string(), stem.to_uppercase(), stem.to_lowercase()];
    stems.dedup();
    let mut found = Vec::new();
    for stem in stems {
        // '/' sorts right after '.': every `folder/stem.<anything>` lies in [from, to).
        let (from, to) = (format!("{folder}{stem}."), format!("{folder}{stem}/"));
        let rows: Vec<Neighbour> = sqlx::query_as(
            "SELECT f.path, f.role, p.id AS photo_id, p.owner_id, p.media_type, p.format, p.motion_offset \
             FROM files f JOIN photos p ON p.id = f.photo_id \
             WHERE f.path >= ? AND f.path < ? AND f.path != ? AND f.status = 'indexed' ORDER BY f.id",
        )
        .bind(&from)
        .bind(&to)
        .bind(path)
        .fetch_all(&mut *conn)
        .await?;
        found.extend(rows.into_iter().filter(|n| {
            let ext = &n.path[from.len()..];
            !ext.is_empty() && !ext.contains(['.', '/'])
        }));
    }
    Ok(found)
}

/// When the analysed file is a clip or a RAW whose still is already a photo of `owner`, records it
/// as a file of that photo (the still gains the clip's length and codec) and returns the photo.
/// None: the file is recorded as a photo of its own.
pub async fn join_still(
    conn: &mut SqliteConnection,
    owner: i64,
    path: &str,
    size: i64,
    mtime_ns: i64,
    a: &Analysis,
) -> sqlx::Result<Option<Recorded>> {
    let (role, fits): (&str, fn(&Neighbour) -> bool) = match part_of(a) {
        Some(Part::Clip) => ("motion", Neighbour::takes_clip),
        Some(Part::Raw) => ("companion", Neighbour::is_still),
        _ => return Ok(None),
    };
    let neighbours = neighbours(conn, path).await?;
    let Some(still) = neighbours.iter().find(|n| n.owner_id == owner && n.role == "primary" && fits(n)) else {
        return Ok(None);
    };
    let before: Option<Option<i64>> =
        sqlx::query_scalar("SELECT photo_id FROM files WHERE path = ?").bind(path).fetch_optional(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO files (path, size, mtime_ns, hash, photo_id, status, reason, indexed_at, missing_since, role) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'indexed', '', ?6, NULL, ?7) \
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash, \
         photo_id = excluded.photo_id, status = 'indexed', reason = '', indexed_at = excluded.indexed_at, \
         missing_since = NULL, role = excluded.role, \
         uploaded = CASE WHEN (SELECT owner_id FROM photos WHERE id = files.photo_id) = ?8 THEN files.uploaded ELSE 0 END",
    )
    .bind(path)
    .bind(size)
    .bind(mtime_ns)
    .bind(&a.hash)
    .bind(still.photo_id)
    .bind(now())
    .bind(role)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    if role == "motion" {
        sqlx::query(
            "UPDATE photos SET media_type = 'live', duration_ms = ?, video_codec = ?, frame_rate = ?, \
             motion_format = ?, updated_at = ? WHERE id = ?",
        )
        .bind(a.media.duration_ms)
        .bind(&a.media.video_codec)
        .bind(a.media.frame_rate)
        .bind(a.format.as_str())
        .bind(now())
        .bind(still.photo_id)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(Some(old)) = before {
        forget_if_empty(conn, old, still.photo_id).await?;
    }
    Ok(Some(Recorded::Existing(still.photo_id)))
}

/// After a still was recorded as photo `photo`: takes the clip and the RAW that came before it
/// (photos of their own until now) into it.
pub async fn adopt_partners(
    conn: &mut SqliteConnection,
    owner: i64,
    path: &str,
    photo: i64,
    a: &Analysis,
) -> sqlx::Result<()> {
    if part_of(a) != Some(Part::Still) {
        return Ok(());
    }
    let mut has_clip = a.media.motion.is_some()
        || sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM files WHERE photo_id = ? AND role = 'motion' AND status = 'indexed')",
        )
        .bind(photo)
        .fetch_one(&mut *conn)
        .await?;
    for n in neighbours(conn, path).await? {
        if n.owner_id != owner || n.role != "primary" || n.photo_id == photo {
            continue;
        }
        let clip = n.media_type == "video" && matches!(n.format.as_str(), "mov" | "mp4");
        let role = match n.media_type.as_str() {
            _ if clip && !has_clip => "motion",
            "raw" => "companion",
            _ => continue,
        };
        if role == "motion" {
            sqlx::query(
                "UPDATE photos SET media_type = 'live', duration_ms = v.duration_ms, video_codec = v.video_codec, \
                 frame_rate = v.frame_rate, motion_format = v.format, updated_at = ?1 \
                 FROM (SELECT duration_ms, video_codec, frame_rate, format FROM photos WHERE id = ?2) AS v \
                 WHERE photos.id = ?3",
            )
            .bind(now())
            .bind(n.photo_id)
            .bind(photo)
            .execute(&mut *conn)
            .await?;
            has_clip = true;
        }
        sqlx::query("UPDATE files SET photo_id = ?, role = ? WHERE path = ?")
            .bind(photo)
            .bind(role)
            .bind(&n.path)
            .execute(&mut *conn)
            .await?;
        forget_if_empty(conn, n.photo_id, photo).await?;
    }
    Ok(())
}

/// Deletes photo `old` when no file shows it any more (its only file joined photo `kept`): the
/// clip or RAW is not an item of its own.
async fn forget_if_empty(conn: &mut SqliteConnection, old: i64, kept: i64) -> sqlx::Result<()> {
    if old == kept {
        return Ok(());
    }
    sqlx::query("DELETE FROM photos WHERE id = ? AND NOT EXISTS (SELECT 1 FROM files WHERE photo_id = ?)")
        .bind(old)
        .bind(old)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Undoes the pairs whose files went (run after an index marked files missing): a live photo
/// whose clip is gone is a still again; a clip or RAW whose still is gone leaves its photo, and
/// the next index reads it as an item of its own (a file row without its photo is read again).
pub async fn settle(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE files SET photo_id = NULL, role = 'primary' WHERE role != 'primary' AND status = 'indexed' \
         AND NOT EXISTS (SELECT 1 FROM files s WHERE s.photo_id = files.photo_id AND s.role = 'primary' \
         AND s.status = 'indexed')",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE photos SET media_type = 'image', duration_ms = NULL, video_codec = NULL, frame_rate = NULL, \
         motion_format = NULL, updated_at = ? WHERE media_type = 'live' AND motion_offset IS NULL \
         AND NOT EXISTS (SELECT 1 FROM files m WHERE m.photo_id = photos.id AND m.role = 'motion' \
         AND m.status = 'indexed')",
    )
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_splits_into_its_folder_and_base_name() {
        assert_eq!(folder_and_stem("a/b/IMG_1.HEIC"), Some(("a/b/", "IMG_1")));
        assert_eq!(folder_and_stem("IMG_1.MOV"), Some(("", "IMG_1")));
        assert_eq!(folder_and_stem("a/b.c/noext"), None);
        assert_eq!(folder_and_stem("a/.hidden"), None);
    }
}
