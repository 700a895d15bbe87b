//! Files that are one photo: a Live Photo's clip beside its still (`files.role = 'motion'`) and a
//! RAW beside its JPEG or HEIC (`companion`), in whichever order they arrive (index or upload): the
//! partner that comes second joins the photo of the first, or takes the first's file into its own
//! photo. `settle` undoes pairs whose files went.
//!
//! Partners are found two ways. By name: the same folder and base name, compared without ASCII
//! case (`Img_1.heic` and `IMG_1.MOV`). And, for a Live Photo, by Apple's ContentIdentifier
//! (`files.content_id`, `apple.rs`): a still and a clip of one owner carrying the same identifier
//! pair in any folder under any names, as they do after an export renamed them. A still and a clip
//! that both carry an identifier, and not the same one, are two different Live Photos and do not
//! pair even when their names match; when only one of them carries one, the name decides, as for
//! older phones and tools that drop the MakerNote. RAW companions pair by name only.

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

/// A file that may be the partner of the analysed one, and its photo.
#[derive(Debug, sqlx::FromRow)]
struct Neighbour {
    path: String,
    role: String,
    photo_id: i64,
    owner_id: i64,
    media_type: String,
    format: String,
    motion_offset: Option<i64>,
    content_id: Option<String>,
    /// Its photo already has an Apple clip.
    has_clip: bool,
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

    /// A clip that is an item of its own (a video photo), as it is before its still arrives.
    fn is_clip(&self) -> bool {
        self.media_type == "video" && matches!(self.format.as_str(), "mov" | "mp4")
    }
}

/// Whether a still and a clip are different Live Photos: both carry an identifier, not the same.
fn other_live_photo(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

/// The files of one folder and base name in any case: the range [?1, ?2) of `lower(path)`.
const BY_NAME: &str = "SELECT f.path, f.role, p.id AS photo_id, p.owner_id, p.media_type, p.format, \
     p.motion_offset, f.content_id, EXISTS (SELECT 1 FROM files m WHERE m.photo_id = p.id AND m.role = 'motion' \
     AND m.status = 'indexed') AS has_clip FROM files f JOIN photos p ON p.id = f.photo_id \
     WHERE lower(f.path) >= ?1 AND lower(f.path) < ?2 AND f.path != ?3 AND f.status = 'indexed' ORDER BY f.id";

/// The files with the identifier ?1.
const BY_IDENTIFIER: &str = "SELECT f.path, f.role, p.id AS photo_id, p.owner_id, p.media_type, p.format, \
     p.motion_offset, f.content_id, EXISTS (SELECT 1 FROM files m WHERE m.photo_id = p.id AND m.role = 'motion' \
     AND m.status = 'indexed') AS has_clip FROM files f JOIN photos p ON p.id = f.photo_id \
     WHERE f.content_id = ?1 AND f.path != ?2 AND f.status = 'indexed' ORDER BY f.id";

/// `a/b/IMG_1.HEIC` → (`a/b/`, `IMG_1`); None for a name without an extension.
fn folder_and_stem(path: &str) -> Option<(&str, &str)> {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    let (folder, name) = path.split_at(cut);
    let dot = name.rfind('.')?;
    (dot > 0).then(|| (folder, &name[..dot]))
}

/// Whether `other` is `folder` + a base name equal to `stem` without ASCII case + one extension
/// (`IMG_1.MOV` or `img_1.mov` beside `IMG_1.HEIC`; not `IMG_1.HEIC.json`, `IMG_1 (2).MOV`, or
/// `Phone/IMG_1.MOV` beside `phone/IMG_1.HEIC`: folders are compared as written).
fn is_name_partner(other: &str, folder: &str, stem: &str) -> bool {
    let Some(rest) = other.strip_prefix(folder) else { return false };
    let Some(other_stem) = rest.get(..stem.len()) else { return false };
    let Some(ext) = rest[stem.len()..].strip_prefix('.') else { return false };
    other_stem.eq_ignore_ascii_case(stem) && !ext.is_empty() && !ext.contains(['.', '/'])
}

/// The indexed files beside `path` with its base name in any ASCII case and one extension. SQLite's
/// `lower()` folds ASCII only, as `to_ascii_lowercase` does, so the lower-cased name's range of
/// the `files_path_lower` index holds them all: one index look-up for a folder of any size.
async fn neighbours(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<Vec<Neighbour>> {
    let Some((folder, stem)) = folder_and_stem(path) else { return Ok(Vec::new()) };
    // '/' sorts right after '.': every `folder/stem.<anything>` lies in [from, to).
    let (from, to) = (format!("{folder}{stem}.").to_ascii_lowercase(), format!("{folder}{stem}/").to_ascii_lowercase());
    let rows: Vec<Neighbour> = sqlx::query_as(BY_NAME).bind(&from).bind(&to).bind(path).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().filter(|n| is_name_partner(&n.path, folder, stem)).collect())
}

/// The indexed files anywhere in the library carrying the identifier `id` (one look-up in
/// `files_content_id`).
async fn same_identifier(conn: &mut SqliteConnection, id: &str, path: &str) -> sqlx::Result<Vec<Neighbour>> {
    sqlx::query_as(BY_IDENTIFIER).bind(id).bind(path).fetch_all(&mut *conn).await
}

/// The possible partners of the analysed file, best first. For a still or a clip: the files with
/// its identifier (clips for a still, stills for a clip) and those with its name that are not
/// another Live Photo, ranked so that an iPhone's edited copy (`IMG_E1234.HEIC`, the same
/// identifier as `IMG_1234.HEIC`) and the original each keep their own clip: a still without a
/// clip first, then identifier and name, identifier, name. For a RAW: the files with its name.
async fn candidates(conn: &mut SqliteConnection, path: &str, a: &Analysis) -> sqlx::Result<Vec<Neighbour>> {
    let part = part_of(a);
    let live = matches!(part, Some(Part::Still | Part::Clip));
    let own = a.meta.content_id.as_deref();
    let mut by_identifier = match own {
        Some(id) if live => same_identifier(conn, id, path).await?,
        _ => Vec::new(),
    };
    // A still takes a clip and a clip joins a still; other files with the identifier (a second
    // copy of the still, another clip) stay what they are.
    by_identifier.retain(|n| if part == Some(Part::Clip) { n.is_still() } else { n.is_clip() });
    let by_name = neighbours(conn, path).await?;
    let named: Vec<String> = by_name.iter().map(|n| n.path.clone()).collect();
    let mut ranked: Vec<((bool, u8), Neighbour)> =
        by_identifier.into_iter().map(|n| ((n.has_clip, if named.contains(&n.path) { 0 } else { 1 }), n)).collect();
    for n in by_name {
        let live_pair = n.is_clip() || n.is_still();
        if ranked.iter().any(|(_, f)| f.path == n.path)
            || (live && live_pair && other_live_photo(own, n.content_id.as_deref()))
        {
            continue;
        }
        ranked.push(((live && n.has_clip, 2), n));
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    Ok(ranked.into_iter().map(|(_, n)| n).collect())
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
    let candidates = candidates(conn, path, a).await?;
    let Some(still) = candidates.iter().find(|n| n.owner_id == owner && n.role == "primary" && fits(n)) else {
        return Ok(None);
    };
    let before: Option<Option<i64>> =
        sqlx::query_scalar("SELECT photo_id FROM files WHERE path = ?").bind(path).fetch_optional(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO files (path, size, mtime_ns, hash, photo_id, status, reason, indexed_at, missing_since, role, \
         content_id) VALUES (?1, ?2, ?3, ?4, ?5, 'indexed', '', ?6, NULL, ?7, ?9) \
         ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, hash = excluded.hash, \
         photo_id = excluded.photo_id, status = 'indexed', reason = '', indexed_at = excluded.indexed_at, \
         missing_since = NULL, role = excluded.role, content_id = excluded.content_id, \
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
    .bind(&a.meta.content_id)
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
    Ok(Some(Recorded::Joined(still.photo_id)))
}

/// After a still was recorded as photo `photo`: takes the clip (by identifier or name) and the RAW
/// (by name) that came before it, photos of their own until now, into it.
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
    for n in candidates(conn, path, a).await? {
        if n.owner_id != owner || n.role != "primary" || n.photo_id == photo {
            continue;
        }
        let role = match n.media_type.as_str() {
            _ if n.is_clip() && !has_clip => "motion",
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

    #[test]
    fn a_name_partner_has_the_same_folder_and_base_name_in_any_case_and_one_extension() {
        assert!(is_name_partner("a/IMG_1.MOV", "a/", "Img_1"));
        assert!(is_name_partner("a/img_1.mov", "a/", "IMG_1"));
        assert!(!is_name_partner("A/IMG_1.MOV", "a/", "IMG_1"), "folders are compared as written");
        assert!(!is_name_partner("a/IMG_1.HEIC.json", "a/", "IMG_1"));
        assert!(!is_name_partner("a/IMG_1 (2).MOV", "a/", "IMG_1"));
        assert!(!is_name_partner("a/IMG_10.MOV", "a/", "IMG_1"));
        assert!(!is_name_partner("a/IMG_1.", "a/", "IMG_1"));
        assert!(!is_name_partner("a/IMG_1.x/y.MOV", "a/", "IMG_1"));
        assert!(!is_name_partner("a/ÉTÉ.MOV", "a/", "été"), "only ASCII case is ignored, as SQLite's lower()");
    }

    #[test]
    fn two_live_photos_differ_only_when_both_carry_an_identifier() {
        assert!(other_live_photo(Some("A"), Some("B")));
        assert!(!other_live_photo(Some("A"), Some("A")));
        assert!(!other_live_photo(Some("A"), None));
        assert!(!other_live_photo(None, None));
    }

    /// The plan SQLite chooses for `sql`, one line per step.
    async fn plan(pool: &sqlx::SqlitePool, sql: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(pool).await.unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
    }

    #[tokio::test]
    async fn partners_are_found_through_an_index_not_a_scan_of_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(&dir.path().join("shoebox.db")).await.unwrap();
        crate::db::MIGRATIONS.run(&pool).await.unwrap();
        let by_name = plan(&pool, BY_NAME).await;
        assert!(by_name.contains("SEARCH f USING INDEX files_path_lower"), "{by_name}");
        let by_identifier = plan(&pool, BY_IDENTIFIER).await;
        assert!(by_identifier.contains("SEARCH f USING INDEX files_content_id"), "{by_identifier}");
        assert!(!format!("{by_name}{by_identifier}").contains("SCAN"), "{by_name}\n{by_identifier}");
    }
}
