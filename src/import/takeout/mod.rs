//! `shoebox import takeout`: a Google Photos Takeout (`.zip` or `.tgz` parts, or unpacked
//! folders) stored for one user the way uploads are, with what Google knew from the JSON beside
//! each file, and album folders made albums.
//!
//! Two passes over the parts: the first reads only the JSON files (small; all parts, since a
//! photo's JSON may be in another part), the second streams each media file into a staging file,
//! one at a time, and stores it. Memory holds the JSON, never the media. An interrupted import is
//! resumed by running it again: what was stored is recognised by its content and not stored twice.

mod sidecars;
mod sources;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use sqlx::SqlitePool;

use crate::db::{now, retry_busy, write_tx};
use crate::library::Library;
use crate::library::catalog::{MAX_DESCRIPTION, MAX_TITLE, clean_text};
use crate::library::sniff::{Family, SNIFF_LEN, Sniffed, sniff};
use crate::library::upload::UploadResult;
use sidecars::{AlbumJson, Json, MediaJson};

pub struct Options {
    pub paths: Vec<PathBuf>,
    pub user: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub sources: usize,
    pub media: usize,
    pub stored: usize,
    pub already: usize,
    pub not_stored: usize,
    /// Deleted from Shoebox or in its trash: not brought back.
    pub left_out: usize,
    /// Per field (`description`, `favorite`, …): how many photos got it from their JSON.
    pub fields: BTreeMap<&'static str, usize>,
    pub albums_created: usize,
    pub album_photos_added: usize,
    pub problems: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "takeout: {} parts read, {} media files: {} stored, {} already in the library, {} not stored",
            self.sources, self.media, self.stored, self.already, self.not_stored
        )?;
        if self.left_out > 0 {
            writeln!(f, "left out: {} deleted from Shoebox or in its trash (not brought back)", self.left_out)?;
        }
        let fields: Vec<String> = self.fields.iter().map(|(name, n)| format!("{name} {n}")).collect();
        writeln!(f, "from the JSON: {}", if fields.is_empty() { "nothing new".into() } else { fields.join(", ") })?;
        writeln!(f, "albums: {} created, {} photos added", self.albums_created, self.album_photos_added)?;
        if self.problems.is_empty() {
            writeln!(f, "problems: none")
        } else {
            writeln!(f, "problems ({}):", self.problems.len())?;
            self.problems.iter().try_for_each(|p| writeln!(f, "  {p}"))
        }
    }
}

/// The JSON files of all parts, by folder (the last folder of their path: parts and unpacked
/// copies agree on it) and file name.
#[derive(Default)]
struct Jsons {
    media: HashMap<String, HashMap<String, (String, MediaJson)>>,
    albums: HashMap<String, AlbumJson>,
}

impl Jsons {
    /// The JSON of media file `name` in `folder`: `(its file name, its path as shown, fields)`.
    fn of(&self, folder: &str, name: &str) -> Option<(&str, &str, &MediaJson)> {
        let here = self.media.get(folder)?;
        let found = sidecars::json_names(name)
            .into_iter()
            .find_map(|n| here.get_key_value(&n))
            .or_else(|| here.iter().find(|(json, _)| sidecars::is_cut_json_of(json, name)));
        found.map(|(json, (shown, m))| (json.as_str(), shown.as_str(), m))
    }
}

/// `(folder, file name)` of an entry's `/`-separated path.
fn split(name: &str) -> (&str, &str) {
    match name.rsplit_once('/') {
        Some((dir, file)) => (dir.rsplit('/').next().unwrap_or(dir), file),
        None => ("", name),
    }
}

/// Takeout's folders of every photo of a year are not albums, even with a `metadata.json`.
fn is_year_folder(folder: &str) -> bool {
    folder.strip_prefix("Photos from ").is_some_and(|y| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()))
}

/// What the reading thread hands to the storing task.
enum Found {
    Media { shown: String, folder: String, file: String, staged: tempfile::NamedTempFile, hash: String },
    Problem(String),
}

pub async fn run(
    library: &Library,
    options: Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<Report> {
    let user = crate::db::users::by_username(library.db(), &options.user)
        .await?
        .with_context(|| format!("no user named {:?}: create the account first (shoebox users add)", options.user))?;
    anyhow::ensure!(!options.paths.is_empty(), "give at least one Takeout .zip, .tgz or unpacked folder");
    let mut report = Report::default();

    let paths = options.paths.clone();
    let (jsons, readable, media_count, problems) = tokio::task::spawn_blocking(move || read_jsons(&paths)).await?;
    report.problems.extend(problems);
    report.sources = readable.len();
    let jsons = Arc::new(jsons);
    let mut used: std::collections::HashSet<(String, String)> = Default::default();
    let mut albums: HashMap<String, i64> = HashMap::new();
    let mut done = 0;
    progress(0, media_count);

    for path in readable {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Found>(1);
        let this = library.clone();
        let reader = tokio::task::spawn_blocking(move || stream_media(&this, &path, &tx));
        while let Some(found) = rx.recv().await {
            let (shown, folder, file, staged, hash) = match found {
                Found::Problem(p) => {
                    report.problems.push(p);
                    continue;
                }
                Found::Media { shown, folder, file, staged, hash } => (shown, folder, file, staged, hash),
            };
            done += 1;
            progress(done, media_count);
            report.media += 1;
            // Unlike an upload, an import does not bring back what the owner deleted or put in
            // the trash since an earlier run.
            if deleted_or_trashed(library.db(), user.id, &hash).await? {
                report.left_out += 1;
                continue;
            }
            let json = jsons.of(&folder, &file);
            if let Some((json_name, _, _)) = json {
                used.insert((folder.clone(), json_name.to_string()));
            } else {
                report
                    .problems
                    .push(format!("{shown}: no JSON beside it; its date, place and caption come from the file only"));
            }
            let meta = json.map(|(_, _, m)| m);
            let date = meta.and_then(MediaJson::taken);
            if let Some(d) = date {
                // The file's time is its date when the picture records none: the index reads it
                // again from the placed file (a hard link of this one) at every rescan.
                let staged_file = staged.as_file().try_clone()?;
                tokio::task::spawn_blocking(move || staged_file.set_modified(d.into())).await??;
            }
            let stored = library
                .receive_staged(user.id, &user.username, staged, &file, date.unwrap_or_else(chrono::Utc::now))
                .await?;
            let photo = match stored {
                // A Live Photo's clip joining its still is a file stored, not a duplicate.
                UploadResult::New { photo_id, .. } | UploadResult::Joined { photo_id, .. } => {
                    report.stored += 1;
                    photo_id
                }
                UploadResult::Existing { photo_id, .. } => {
                    report.already += 1;
                    photo_id
                }
                UploadResult::Refused(r) => {
                    report.not_stored += 1;
                    report.problems.push(format!("{shown}: not stored: {}", r.reason));
                    continue;
                }
            };
            if let Some(m) = meta {
                for field in apply(library.db(), photo, m).await? {
                    *report.fields.entry(field).or_default() += 1;
                }
            }
            if let Some(album) = jsons.albums.get(&folder).filter(|_| !is_year_folder(&folder)) {
                let id = match albums.get(&folder) {
                    Some(id) => *id,
                    None => {
                        let (id, created) = album_for(library.db(), user.id, &folder, album).await?;
                        report.albums_created += usize::from(created);
                        albums.insert(folder.clone(), id);
                        id
                    }
                };
                report.album_photos_added += add_to_album(library.db(), id, photo).await? as usize;
            }
        }
        if let Err(e) = reader.await? {
            report.problems.push(e);
        }
    }
    for (folder, files) in jsons.media.iter() {
        for (json, (shown, _)) in files {
            if !used.contains(&(folder.clone(), json.clone())) {
                report
                    .problems
                    .push(format!("{shown}: JSON without its file (no photo in its folder is named like it)"));
            }
        }
    }
    report.problems.sort();
    Ok(report)
}

/// Pass one: every JSON of every part. Returns them, the parts that can be read, how many media
/// files they hold, and the problems met.
fn read_jsons(paths: &[PathBuf]) -> (Jsons, Vec<PathBuf>, usize, Vec<String>) {
    let mut jsons = Jsons::default();
    let mut readable = Vec::new();
    let mut media = 0;
    let mut problems = Vec::new();
    for path in paths {
        let shown_root = path.display().to_string();
        let mut visit = |name: &str, r: &mut dyn Read| {
            let (folder, file) = split(name);
            if !file.to_ascii_lowercase().ends_with(".json") {
                media += 1;
                return;
            }
            let mut text = String::new();
            // JSON sidecars are a few kilobytes; anything far larger is not one.
            if let Err(e) = r.take(1 << 20).read_to_string(&mut text) {
                problems.push(format!("{shown_root}: {name}: cannot be read ({e})"));
                return;
            }
            match sidecars::parse(file, &text) {
                Ok(Json::Media(m)) => {
                    jsons
                        .media
                        .entry(folder.to_string())
                        .or_default()
                        .insert(file.to_string(), (format!("{shown_root}: {name}"), m));
                }
                Ok(Json::Album(a)) => {
                    jsons.albums.insert(folder.to_string(), a);
                }
                Ok(Json::Other) => {}
                Err(e) => problems.push(format!("{shown_root}: {name}: {e}")),
            }
        };
        let mut unreadable = Vec::new();
        let mut broken = |name: &str, why: String| unreadable.push(format!("{shown_root}: {name}: {why}"));
        let result = sources::each_entry(path, &mut visit, &mut broken);
        problems.append(&mut unreadable);
        match result {
            Ok(()) => readable.push(path.clone()),
            Err(e) => {
                // A tgz cut short still gives the entries before the break: import those.
                if sources::kind_of(path) == Ok(sources::Kind::Tgz) {
                    readable.push(path.clone());
                } else {
                    problems.push(format!("{shown_root}: {e}"));
                }
            }
        }
    }
    (jsons, readable, media, problems)
}

/// Writes to the staging file and hashes what it writes.
struct Tee<'a> {
    hasher: &'a mut blake3::Hasher,
    file: &'a mut std::fs::File,
}

impl std::io::Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn is_video(head: &[u8]) -> bool {
    matches!(sniff(head), Sniffed::Supported(f) if f.family() == Family::Video)
}

/// Pass two for one part: each media file copied into a staging file and handed over, one at a
/// time (the channel holds one). Returns the part's own failure, if any.
fn stream_media(
    library: &Library,
    path: &std::path::Path,
    tx: &tokio::sync::mpsc::Sender<Found>,
) -> Result<(), String> {
    let shown_root = path.display().to_string();
    let limit = library.upload_limit();
    let mut visit = |name: &str, r: &mut dyn Read| {
        let (folder, file) = split(name);
        if file.to_ascii_lowercase().ends_with(".json") {
            return;
        }
        let shown = format!("{shown_root}: {name}");
        let staged = library.staging_file().and_then(|mut staged| {
            // Hashed on the way, so content deleted from Shoebox is recognised before it is stored.
            let mut hasher = blake3::Hasher::new();
            let mut tee = Tee { hasher: &mut hasher, file: staged.as_file_mut() };
            // UPLOAD_LIMIT caps pictures only: a video is streamed through, whatever its size,
            // as an upload's is. Its first bytes say which it is.
            let mut head = Vec::with_capacity(SNIFF_LEN);
            r.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
            std::io::Write::write_all(&mut tee, &head)?;
            let video = is_video(&head);
            let cap = if video { u64::MAX } else { limit + 1 };
            let copied =
                head.len() as u64 + std::io::copy(&mut r.take(cap.saturating_sub(head.len() as u64)), &mut tee)?;
            Ok((staged, copied, video, hasher.finalize().to_hex().to_string()))
        });
        let found = match staged {
            Ok((_, copied, false, _)) if copied > limit => {
                Found::Problem(format!("{shown}: not stored: larger than UPLOAD_LIMIT ({limit} bytes)"))
            }
            Ok((staged, _, _, hash)) => {
                Found::Media { shown, folder: folder.to_string(), file: file.to_string(), staged, hash }
            }
            Err(e) => Found::Problem(format!("{shown}: cannot be read ({e}); nothing of it was stored")),
        };
        let _ = tx.blocking_send(found);
    };
    let mut broken = |name: &str, why: String| {
        let _ = tx.blocking_send(Found::Problem(format!("{shown_root}: {name}: {why}")));
    };
    sources::each_entry(path, &mut visit, &mut broken).map_err(|e| format!("{shown_root}: {e}"))
}

async fn deleted_or_trashed(db: &SqlitePool, owner: i64, hash: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deleted_photos WHERE owner_id = ?1 AND hash = ?2) \
         OR EXISTS (SELECT 1 FROM photos WHERE owner_id = ?1 AND hash = ?2 AND trashed_at IS NOT NULL)",
    )
    .bind(owner)
    .bind(hash)
    .fetch_one(db)
    .await
}

/// Sets what the JSON knows and the photo lacks; returns the fields set. Flags are only set,
/// never cleared; the place only when the file has none.
async fn apply(db: &SqlitePool, photo: i64, m: &MediaJson) -> sqlx::Result<Vec<&'static str>> {
    let description = clean_text(&m.description, MAX_DESCRIPTION);
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let mut fields = Vec::new();
        if !description.is_empty() {
            let r = sqlx::query("UPDATE photos SET description = ?, edited = 1 WHERE id = ? AND description != ?")
                .bind(&description)
                .bind(photo)
                .bind(&description)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() > 0 {
                fields.push("description");
            }
        }
        if m.favorited {
            let r = sqlx::query("UPDATE photos SET favorite = 1 WHERE id = ? AND favorite = 0")
                .bind(photo)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() > 0 {
                fields.push("favorite");
            }
        }
        if m.archived {
            let r = sqlx::query("UPDATE photos SET archived_at = ? WHERE id = ? AND archived_at IS NULL")
                .bind(now())
                .bind(photo)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() > 0 {
                fields.push("archived");
            }
        }
        if let Some(g) = m.place() {
            let r = sqlx::query(
                "UPDATE photos SET latitude = ?, longitude = ?, altitude = ?, place_by_hand = 1 \
                 WHERE id = ? AND latitude IS NULL AND place_by_hand = 0",
            )
            .bind(g.latitude)
            .bind(g.longitude)
            .bind((g.altitude != 0.0).then_some(g.altitude))
            .bind(photo)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
                fields.push("place");
            }
        }
        tx.commit().await?;
        Ok(fields)
    })
    .await
}

/// The album made from Takeout folder `folder` for `owner`: found again, or created now.
async fn album_for(db: &SqlitePool, owner: i64, folder: &str, album: &AlbumJson) -> sqlx::Result<(i64, bool)> {
    let source_id = format!("{owner}/{folder}");
    let title = match clean_text(&album.title, MAX_TITLE) {
        t if t.is_empty() => clean_text(folder, MAX_TITLE),
        t => t,
    };
    let description = clean_text(&album.description, MAX_DESCRIPTION);
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        if let Some(id) = sqlx::query_scalar("SELECT album_id FROM imported_albums WHERE source = 'takeout' AND source_id = ?")
            .bind(&source_id)
            .fetch_optional(&mut *tx)
            .await?
        {
            return Ok((id, false));
        }
        let now = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO albums (owner_id, title, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(owner)
        .bind(&title)
        .bind(&description)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO imported_albums (source, source_id, album_id, created_at) VALUES ('takeout', ?, ?, ?)")
            .bind(&source_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((id, true))
    })
    .await
}

async fn add_to_album(db: &SqlitePool, album: i64, photo: i64) -> sqlx::Result<u64> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let now = now();
        let r = sqlx::query(
            "INSERT INTO album_photos (album_id, photo_id, taken_at, added_at) SELECT ?, id, taken_at, ? FROM photos \
             WHERE id = ? ON CONFLICT (album_id, photo_id) DO NOTHING",
        )
        .bind(album)
        .bind(now)
        .bind(photo)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() > 0 {
            sqlx::query("UPDATE albums SET updated_at = ? WHERE id = ?")
                .bind(now)
                .bind(album)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected())
    })
    .await
}
