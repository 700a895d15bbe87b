//! PhotoPrism's album backups made into Shoebox albums. Only albums someone made ("album"):
//! folders, moments, months and states are views PhotoPrism computes, and are skipped. An album
//! imported before (found through `imported_albums`) only gets the photos it lacks. A cover
//! chosen by hand in PhotoPrism becomes the album's cover; PhotoPrism's order becomes the
//! album's (the nearest Shoebox has), and the time each photo was put in the album its added time.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use super::Report;
use super::formats::{self, AlbumBackup};
use crate::db::{now, retry_busy, write_tx};
use crate::library::catalog::{AlbumOrder, MAX_DESCRIPTION, MAX_TITLE, clean_text};

const SOURCE: &str = "photoprism";

/// `(file shown in messages, parsed)` for every album backup, the newer location first.
fn album_files(storage: &Path, report: &mut Report) -> Vec<(String, Result<formats::Parsed<AlbumBackup>, String>)> {
    let mut out = Vec::new();
    for root in ["backup/albums", "albums"] {
        let Ok(kinds) = std::fs::read_dir(storage.join(root)) else { continue };
        let mut kinds: Vec<PathBuf> = kinds.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
        kinds.sort();
        for dir in kinds {
            let kind = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yml"))
                .collect();
            files.sort();
            for file in files {
                if kind != "album" {
                    *report.albums_skipped.entry(kind.clone()).or_default() += 1;
                    continue;
                }
                let shown = format!("{root}/{kind}/{}", file.file_name().and_then(|n| n.to_str()).unwrap_or_default());
                let parsed = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read: {e}"))
                    .and_then(|t| formats::album(&t));
                out.push((shown, parsed));
            }
        }
    }
    out
}

pub async fn import(
    db: &SqlitePool,
    originals: &Path,
    storage: &Path,
    uids: &HashMap<String, Vec<(i64, i64)>>,
    user: Option<i64>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let storage = storage.to_path_buf();
    let (files, mut skipped) = tokio::task::spawn_blocking(move || {
        let mut r = Report::default();
        let files = album_files(&storage, &mut r);
        (files, r.albums_skipped)
    })
    .await?;
    report.albums_skipped.append(&mut skipped);
    let mut seen = std::collections::HashSet::new();
    for (shown, parsed) in files {
        let album = match parsed {
            Ok(p) => {
                if !p.unknown.is_empty() {
                    report.problems.push(format!(
                        "{shown}: unknown fields {} (ignored; the rest was applied)",
                        p.unknown.join(", ")
                    ));
                }
                p.value
            }
            Err(e) => {
                report.problems.push(format!("{shown}: {e}; the album was not imported"));
                continue;
            }
        };
        if !album.kind.is_empty() && album.kind != "album" {
            *report.albums_skipped.entry(album.kind.clone()).or_default() += 1;
            continue;
        }
        if album.uid.is_empty() {
            report.problems.push(format!("{shown}: no UID; the album was not imported"));
            continue;
        }
        // The same album in the older location too: the newer backup was read first.
        if !seen.insert(album.uid.clone()) {
            continue;
        }
        if album.deleted_at.is_some() {
            report.problems.push(format!("{shown}: deleted in PhotoPrism; not imported"));
            continue;
        }
        import_one(db, originals, &shown, &album, uids, user, report).await?;
    }
    Ok(())
}

/// PhotoPrism's album `Order` (its `pkg/sortby` names) as the nearest order Shoebox has, and
/// whether that is the same order.
fn nearest_order(name: &str) -> (AlbumOrder, bool) {
    match name.trim() {
        "newest" => (AlbumOrder::Newest, true),
        // Empty: an album written before PhotoPrism stored an order; `oldest` is its default.
        "oldest" | "" => (AlbumOrder::Oldest, true),
        // PhotoPrism lists these by when each photo came into the library; Shoebox by when it
        // came into the album, which PhotoPrism's `Photos[].CreatedAt` become.
        "added" | "imported" | "default" => (AlbumOrder::Added, true),
        // Recently edited first: the latest activity first is the nearest.
        "edited" => (AlbumOrder::Added, false),
        // Title, name, relevance, similar, random, size, duration and the like.
        _ => (AlbumOrder::Newest, false),
    }
}

/// The photo among `members` with a file whose SHA-1 is `thumb` (PhotoPrism names a cover by its
/// file's hash). Files are read one by one until it is found, off the async threads.
async fn find_cover(db: &SqlitePool, originals: &Path, members: &[i64], thumb: &str) -> anyhow::Result<Option<i64>> {
    use sha1::Digest;
    let thumb = thumb.trim().to_ascii_lowercase();
    for photo in members {
        let paths: Vec<String> =
            sqlx::query_scalar("SELECT path FROM files WHERE photo_id = ? AND status = 'indexed' ORDER BY id")
                .bind(photo)
                .fetch_all(db)
                .await?;
        for rel in paths {
            let path = originals.join(&rel);
            let hash = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
                let mut hasher = sha1::Sha1::new();
                std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
                Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>())
            })
            .await?;
            if hash.is_ok_and(|h| h == thumb) {
                return Ok(Some(*photo));
            }
        }
    }
    Ok(None)
}

#[allow(clippy::too_many_arguments)]
async fn import_one(
    db: &SqlitePool,
    originals: &Path,
    shown: &str,
    album: &AlbumBackup,
    uids: &HashMap<String, Vec<(i64, i64)>>,
    user: Option<i64>,
    report: &mut Report,
) -> anyhow::Result<()> {
    // (photo, owner, added at) in the album's order, hidden ones (taken out in PhotoPrism) left out.
    let mut members: Vec<(i64, i64, i64)> = Vec::new();
    let mut unmatched = 0;
    for p in album.photos.iter().filter(|p| !p.hidden) {
        match uids.get(&p.uid) {
            Some(photos) => {
                let added = formats::time(p.created_at.as_deref()).map_or_else(now, |t| t.timestamp());
                members.extend(photos.iter().map(|(photo, owner)| (*photo, *owner, added)));
            }
            None => unmatched += 1,
        }
    }
    let title = {
        let t = clean_text(&album.title, MAX_TITLE);
        if t.is_empty() {
            clean_text(if album.slug.is_empty() { &album.uid } else { &album.slug }, MAX_TITLE)
        } else {
            t
        }
    };
    if unmatched > 0 {
        report.problems.push(format!(
            "{shown}: {unmatched} of its photos matched no sidecar with an original (their photos are not in album {title:?})"
        ));
    }
    // The album belongs to the user given, else to whoever owns most of its photos.
    let owner = match user {
        Some(u) => u,
        None => {
            let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
            for (_, o, _) in &members {
                *counts.entry(*o).or_default() += 1;
            }
            match counts.into_iter().max_by_key(|(o, n)| (*n, -o)) {
                Some((o, _)) => o,
                None => {
                    report.problems.push(format!("{shown}: none of its photos matched an original; not imported"));
                    return Ok(());
                }
            }
        }
    };
    let others = members.iter().filter(|(_, o, _)| *o != owner).count();
    if others > 0 {
        report
            .problems
            .push(format!("{shown}: {others} of its photos belong to another account and stay out of album {title:?}"));
    }
    members.retain(|(_, o, _)| *o == owner);
    let mut once = std::collections::HashSet::new();
    members.retain(|(photo, _, _)| once.insert(*photo));
    let description = {
        let parts: Vec<&str> = [&album.caption, &album.description, &album.notes]
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        clean_text(&parts.join("\n\n"), MAX_DESCRIPTION)
    };
    // Only a cover someone chose: PhotoPrism's own pick follows its order, Shoebox's the newest photo.
    let cover = if album.thumb_src == "manual" && !album.thumb.trim().is_empty() {
        let ids: Vec<i64> = members.iter().map(|(photo, _, _)| *photo).collect();
        let found = find_cover(db, originals, &ids, &album.thumb).await?;
        if found.is_none() {
            report.problems.push(format!(
                "{shown}: its cover (Thumb {}) is none of its photos here; the newest photo is the cover",
                album.thumb.trim()
            ));
        }
        found
    } else {
        None
    };
    let (order, same_order) = nearest_order(&album.order);
    let created = formats::time(album.created_at.as_deref()).map_or_else(now, |t| t.timestamp());
    let updated = formats::time(album.updated_at.as_deref()).map_or(created, |t| t.timestamp());
    let dry_run = report.dry_run;
    let (new, added, cover_set) = retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT album_id FROM imported_albums WHERE source = ? AND source_id = ?")
                .bind(SOURCE)
                .bind(&album.uid)
                .fetch_optional(&mut *tx)
                .await?;
        let album_id = match existing {
            Some(id) => id,
            // In a dry run nothing is inserted; every member counts as added.
            None if dry_run => return Ok((true, members.len() as u64, cover.is_some())),
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO albums (owner_id, title, description, sort_order, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(owner)
                .bind(&title)
                .bind(&description)
                .bind(order)
                .bind(created)
                .bind(updated)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO imported_albums (source, source_id, album_id, created_at) VALUES (?, ?, ?, ?)",
                )
                .bind(SOURCE)
                .bind(&album.uid)
                .bind(id)
                .bind(now())
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let mut added = 0;
        for (photo, _, added_at) in &members {
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?)")
                    .bind(album_id)
                    .bind(photo)
                    .fetch_one(&mut *tx)
                    .await?;
            if exists {
                continue;
            }
            added += 1;
            if !dry_run {
                sqlx::query(
                    "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at) \
                     SELECT ?, id, taken_at, ? FROM photos WHERE id = ?",
                )
                .bind(album_id)
                .bind(added_at)
                .bind(photo)
                .execute(&mut *tx)
                .await?;
            }
        }
        // The cover is set once: a cover chosen in Shoebox since the first import stays.
        let cover_set = match cover {
            Some(photo) => {
                let unset: bool = sqlx::query_scalar("SELECT cover_photo_id IS NULL FROM albums WHERE id = ?")
                    .bind(album_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if unset && !dry_run {
                    sqlx::query("UPDATE albums SET cover_photo_id = ? WHERE id = ?")
                        .bind(photo)
                        .bind(album_id)
                        .execute(&mut *tx)
                        .await?;
                }
                unset
            }
            None => false,
        };
        if existing.is_some() && (added > 0 || cover_set) && !dry_run {
            sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?")
                .bind(now())
                .bind(album_id)
                .execute(&mut *tx)
                .await?;
        }
        if !dry_run {
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>((existing.is_none(), added, cover_set))
    })
    .await?;
    report.album_photos_added += added as usize;
    let with_cover = if cover_set { " and its cover" } else { "" };
    if new {
        report.albums_created += 1;
        report.changes.push(format!(
            "album {title:?}: created with {added} photos{with_cover}, sorted {}",
            order.label().to_lowercase()
        ));
        // The order is set once, when the album is made: a second run keeps what its owner chose since.
        if !same_order {
            report.problems.push(format!(
                "{shown}: PhotoPrism's order {:?} is not one Shoebox has; the album is sorted {} (the nearest)",
                album.order.trim(),
                order.label().to_lowercase()
            ));
        }
    } else if added > 0 || cover_set {
        report.changes.push(format!("album {title:?}: {added} photos added{with_cover}"));
    } else {
        report.albums_unchanged += 1;
    }
    Ok(())
}
