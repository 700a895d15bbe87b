//! A sidecar's curation applied to the photos it matched: only what someone chose in PhotoPrism
//! (titles it made up from places and labels, and dates and places it read from the file, are
//! Shoebox's own business). Flags are only ever set, never cleared, so the import never undoes
//! what the owner did in Shoebox since, and a second run finds nothing to change.

use sqlx::{FromRow, SqlitePool};

use super::formats::{self, Sidecar};
use crate::db::{now, retry_busy, write_tx};
use crate::library::catalog::{MAX_DESCRIPTION, MAX_TITLE, clean_text};

/// A Shoebox file a sidecar belongs to, and its photo.
pub struct Matched {
    pub path: String,
    pub photo_id: i64,
    pub owner_id: i64,
}

/// Indexed files `<stem>.<ext>` (one extension, any), of `user` when given.
pub async fn matching(db: &SqlitePool, stem: &str, user: Option<i64>) -> sqlx::Result<Vec<Matched>> {
    // Every path that starts with `<stem>.` sorts between `<stem>.` and `<stem>/` ('.' < '/').
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT f.path, f.photo_id, p.owner_id FROM files f JOIN photos p ON p.id = f.photo_id \
         WHERE f.status = 'indexed' AND f.path >= ? AND f.path < ? ORDER BY f.path",
    )
    .bind(format!("{stem}."))
    .bind(format!("{stem}/"))
    .fetch_all(db)
    .await?;
    let mut matched: Vec<Matched> = rows
        .into_iter()
        .filter(|(path, _, owner)| {
            let ext = &path[stem.len() + 1..];
            !ext.is_empty() && !ext.contains(['.', '/']) && user.is_none_or(|u| u == *owner)
        })
        .map(|(path, photo_id, owner_id)| Matched { path, photo_id, owner_id })
        .collect();
    // Copies of one picture (IMG_1.jpg and IMG_1.jpeg) are one photo.
    matched.dedup_by_key(|m| m.photo_id);
    Ok(matched)
}

/// The photo columns an import may change.
#[derive(Debug, Clone, PartialEq, FromRow)]
struct Curation {
    title: String,
    description: String,
    edited: bool,
    favorite: bool,
    private: bool,
    archived_at: Option<i64>,
    taken_at: i64,
    taken_local: String,
    taken_offset: Option<String>,
    taken_by_hand: bool,
    latitude: Option<f64>,
    longitude: Option<f64>,
    altitude: Option<f64>,
    place_by_hand: bool,
}

const CURATION: &str = "title, description, edited, favorite, private, archived_at, taken_at, taken_local, \
     taken_offset, taken_by_hand, latitude, longitude, altitude, place_by_hand";

/// Sources of a title someone chose: typed in PhotoPrism, or read from the file's metadata.
/// PhotoPrism's own guesses (from the place, labels or file name) are left behind.
const CHOSEN_TITLE: &[&str] = &["manual", "admin", "batch", "meta", "xmp"];
/// Keywords typed in by hand; the rest are PhotoPrism's labels and title words.
const CHOSEN_KEYWORDS: &[&str] = &["manual", "admin", "batch"];

/// The description Shoebox keeps: the caption and description, the notes, and the keywords typed
/// in by hand (Shoebox has no keyword field; in the description they are seen and searched).
fn description_of(s: &Sidecar) -> String {
    let mut parts: Vec<String> = Vec::new();
    for text in [&s.caption, &s.description] {
        let text = text.trim();
        if !text.is_empty() && !parts.iter().any(|p| p == text) {
            parts.push(text.to_string());
        }
    }
    if let Some(d) = &s.details {
        if !d.notes.trim().is_empty() {
            parts.push(d.notes.trim().to_string());
        }
        if !d.keywords.trim().is_empty() && CHOSEN_KEYWORDS.contains(&d.keywords_src.as_str()) {
            parts.push(format!("Keywords: {}", d.keywords.trim()));
        }
    }
    clean_text(&parts.join("\n\n"), MAX_DESCRIPTION)
}

/// `+02:00` for a number of seconds east of UTC.
fn offset_text(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// What the sidecar makes of the photo as it is now.
fn curated(now_row: &Curation, s: &Sidecar) -> Curation {
    let mut c = now_row.clone();
    if CHOSEN_TITLE.contains(&s.title_src.as_str()) && !s.title.trim().is_empty() {
        c.title = clean_text(&s.title, MAX_TITLE);
        c.edited = true;
    }
    let description = description_of(s);
    if !description.is_empty() {
        c.description = description;
        c.edited = true;
    }
    c.favorite |= s.favorite;
    c.private |= s.private;
    if c.archived_at.is_none() {
        c.archived_at = formats::time(s.deleted_at.as_deref()).map(|t| t.timestamp());
    }
    if s.taken_src == "manual"
        && let Some(utc) = formats::time(s.taken_at.as_deref())
    {
        let local = formats::local_time(s.taken_at_local.as_deref()).unwrap_or(utc.naive_utc());
        c.taken_local = local.format("%Y-%m-%dT%H:%M:%S").to_string();
        // Without a time zone PhotoPrism's UTC is the local time; Shoebox keeps such a time as if
        // it were UTC, with no offset.
        if s.time_zone.trim().is_empty() {
            c.taken_at = local.and_utc().timestamp();
            c.taken_offset = None;
        } else {
            c.taken_at = utc.timestamp();
            c.taken_offset = Some(offset_text((local - utc.naive_utc()).num_seconds()));
        }
        c.taken_by_hand = true;
    }
    if s.place_src == "manual" && (s.lat != 0.0 || s.lng != 0.0) {
        c.latitude = Some(s.lat);
        c.longitude = Some(s.lng);
        c.altitude = (s.altitude != 0.0).then_some(s.altitude);
        c.place_by_hand = true;
    }
    c
}

/// The fields that differ, by the names the summary counts.
fn changed_fields(before: &Curation, after: &Curation) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |differs: bool, name| {
        if differs {
            fields.push(name);
        }
    };
    check(before.title != after.title, "title");
    check(before.description != after.description, "description");
    check(before.favorite != after.favorite, "favorite");
    check(before.private != after.private, "private");
    check(before.archived_at != after.archived_at, "archived");
    check(
        (&before.taken_at, &before.taken_local, &before.taken_offset, before.taken_by_hand)
            != (&after.taken_at, &after.taken_local, &after.taken_offset, after.taken_by_hand),
        "date",
    );
    check(
        (before.latitude, before.longitude, before.altitude, before.place_by_hand)
            != (after.latitude, after.longitude, after.altitude, after.place_by_hand),
        "place",
    );
    fields
}

/// Applies the sidecar to the photo (unless `dry_run`); returns the fields that changed.
pub async fn apply(db: &SqlitePool, m: &Matched, s: &Sidecar, dry_run: bool) -> sqlx::Result<Vec<&'static str>> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let before: Curation = sqlx::query_as(&format!("SELECT {CURATION} FROM photos WHERE id = ?"))
            .bind(m.photo_id)
            .fetch_one(&mut *tx)
            .await?;
        let after = curated(&before, s);
        let fields = changed_fields(&before, &after);
        if dry_run || after == before {
            return Ok(fields);
        }
        sqlx::query(
            "UPDATE photos SET title = ?, description = ?, edited = ?, favorite = ?, private = ?, archived_at = ?, \
             taken_at = ?, taken_local = ?, taken_offset = ?, taken_by_hand = ?, latitude = ?, longitude = ?, \
             altitude = ?, place_by_hand = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&after.title)
        .bind(&after.description)
        .bind(after.edited)
        .bind(after.favorite)
        .bind(after.private)
        .bind(after.archived_at)
        .bind(after.taken_at)
        .bind(&after.taken_local)
        .bind(&after.taken_offset)
        .bind(after.taken_by_hand)
        .bind(after.latitude)
        .bind(after.longitude)
        .bind(after.altitude)
        .bind(after.place_by_hand)
        .bind(now())
        .bind(m.photo_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(fields)
    })
    .await
}
