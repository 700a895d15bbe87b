//! `shoebox import photoprism`: reads PhotoPrism's own YAML exports (photo sidecars and album
//! backups) and carries its curation over to the photos Shoebox indexed from the same originals.
//! PhotoPrism's files are only read.
//!
//! Mapping: a sidecar `sidecar/<dir>/<name>.yml` (or `<dir>/<name>.yml` next to the originals)
//! belongs to the indexed file `<dir>/<name>.<ext>` under ORIGINALS_PATH; with `--user NAME`,
//! PhotoPrism's originals folder is ORIGINALS_PATH/NAME and only NAME's photos are matched.

mod albums;
pub mod formats;
mod photos;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::library::{IndexOptions, Library};

pub struct Options {
    /// PhotoPrism's storage folder (PHOTOPRISM_STORAGE_PATH): `sidecar/`, `backup/albums/`, `albums/`.
    pub storage: PathBuf,
    /// The account PhotoPrism's originals belong to; they are its folder under ORIGINALS_PATH.
    pub user: Option<String>,
    /// Only report what would change.
    pub dry_run: bool,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    /// The index run first (None in a dry run, which writes nothing).
    pub indexed_new: Option<usize>,
    pub sidecars: usize,
    pub photos_matched: usize,
    pub photos_changed: usize,
    /// Per field (`title`, `date`, …): how many photos got it.
    pub fields: BTreeMap<&'static str, usize>,
    pub albums_created: usize,
    pub album_photos_added: usize,
    pub albums_unchanged: usize,
    /// PhotoPrism's automatic albums (folder, moment, month, state) by type: not imported.
    pub albums_skipped: BTreeMap<String, usize>,
    /// What changes, one line per photo or album (printed in a dry run).
    pub changes: Vec<String>,
    /// One line per file that could not be used fully, saying why.
    pub problems: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let would = if self.dry_run { "would be " } else { "" };
        if self.dry_run {
            writeln!(f, "dry run: nothing was written")?;
            for line in &self.changes {
                writeln!(f, "  {line}")?;
            }
        }
        if let Some(new) = self.indexed_new {
            writeln!(f, "indexed the originals first: {new} new photos")?;
        }
        writeln!(
            f,
            "photos: {} sidecar files read, {} photos matched, {} {would}changed, {} unchanged",
            self.sidecars,
            self.photos_matched,
            self.photos_changed,
            self.photos_matched - self.photos_changed
        )?;
        let fields: Vec<String> = self.fields.iter().map(|(name, n)| format!("{name} {n}")).collect();
        writeln!(f, "fields {would}applied: {}", if fields.is_empty() { "none".into() } else { fields.join(", ") })?;
        writeln!(
            f,
            "albums: {} {would}created, {} photos {would}added, {} unchanged",
            self.albums_created, self.album_photos_added, self.albums_unchanged
        )?;
        if !self.albums_skipped.is_empty() {
            let kinds: Vec<String> = self.albums_skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
            writeln!(f, "albums skipped (PhotoPrism's automatic views, not albums): {}", kinds.join(", "))?;
        }
        if self.problems.is_empty() {
            writeln!(f, "problems: none")?;
        } else {
            writeln!(f, "problems ({}):", self.problems.len())?;
            for p in &self.problems {
                writeln!(f, "  {p}")?;
            }
        }
        Ok(())
    }
}

/// One sidecar found: where it is (for messages) and the original's path without extension,
/// relative to PhotoPrism's originals folder.
struct SidecarFile {
    shown: String,
    path: PathBuf,
    stem: String,
}

pub async fn run(library: &Library, options: Options) -> anyhow::Result<Report> {
    let storage = options.storage.clone();
    anyhow::ensure!(
        storage.is_dir(),
        "{} is not a folder: give PhotoPrism's storage folder (PHOTOPRISM_STORAGE_PATH, the one holding sidecar/ and backup/)",
        storage.display()
    );
    let (user_id, prefix) = match &options.user {
        Some(name) => {
            let row = crate::db::users::by_username(library.db(), name)
                .await?
                .with_context(|| format!("no user named {name:?}: create the account first (shoebox users add)"))?;
            (Some(row.id), format!("{}/", row.username))
        }
        None => (None, String::new()),
    };
    let mut report = Report { dry_run: options.dry_run, ..Default::default() };
    if !options.dry_run {
        let summary = library.index(IndexOptions::default(), &|_| {}).await?;
        report.indexed_new = Some(summary.new_photos);
    }
    let originals = library.originals().join(prefix.trim_end_matches('/'));
    let (files, parsed) = tokio::task::spawn_blocking(move || {
        let files = find_sidecars(&storage, &originals);
        let parsed: Vec<_> = files
            .iter()
            .map(|f| {
                std::fs::read_to_string(&f.path)
                    .map_err(|e| format!("cannot read: {e}"))
                    .and_then(|t| formats::sidecar(&t))
            })
            .collect();
        (files, parsed)
    })
    .await?;
    report.sidecars = files.len();

    // PhotoPrism's photo UID → the Shoebox photos (and their owners) its sidecar matched.
    let mut uids: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    let place = if prefix.is_empty() { "ORIGINALS_PATH".to_string() } else { format!("ORIGINALS_PATH/{prefix}") };
    for (file, parsed) in files.iter().zip(parsed) {
        let sidecar = match parsed {
            Ok(p) => {
                if !p.unknown.is_empty() {
                    report.problems.push(format!(
                        "{}: unknown fields {} (ignored; the rest was applied)",
                        file.shown,
                        p.unknown.join(", ")
                    ));
                }
                p.value
            }
            Err(e) => {
                report.problems.push(format!("{}: {e}; nothing of it was applied", file.shown));
                continue;
            }
        };
        let matched = photos::matching(library.db(), &format!("{prefix}{}", file.stem), user_id).await?;
        if matched.is_empty() {
            report.problems.push(format!(
                "{}: matched no original: no indexed file {}.* under {place} (moved, deleted, or not a picture Shoebox reads)",
                file.shown, file.stem
            ));
            continue;
        }
        for m in &matched {
            report.photos_matched += 1;
            let applied = photos::apply(library.db(), m, &sidecar, options.dry_run).await?;
            if !applied.is_empty() {
                report.photos_changed += 1;
                for field in &applied {
                    *report.fields.entry(field).or_default() += 1;
                }
                report.changes.push(format!("{}: {}", m.path, applied.join(", ")));
            }
        }
        if !sidecar.uid.is_empty() {
            uids.entry(sidecar.uid.clone()).or_default().extend(matched.iter().map(|m| (m.photo_id, m.owner_id)));
        }
    }
    albums::import(library.db(), library.originals(), &options.storage, &uids, user_id, &mut report).await?;
    Ok(report)
}

/// Sidecars under `storage/sidecar/`, then `.yml` files next to the originals for photos that
/// have none there (PhotoPrism writes one or the other, depending on its settings).
fn find_sidecars(storage: &Path, originals: &Path) -> Vec<SidecarFile> {
    let mut found: BTreeMap<String, SidecarFile> = BTreeMap::new();
    let sidecar_root = storage.join("sidecar");
    for (root, shown_root) in [(sidecar_root.as_path(), "sidecar/"), (originals, "ORIGINALS_PATH/")] {
        for (path, rel) in yml_files(root) {
            let stem = rel.trim_end_matches(".yml").to_string();
            let shown = if shown_root == "sidecar/" {
                format!("sidecar/{rel}")
            } else {
                format!("{}/{rel}", originals.display())
            };
            found.entry(stem.clone()).or_insert(SidecarFile { shown, path, stem });
        }
    }
    found.into_values().collect()
}

/// `(path, path relative to root)` of every `.yml` file under `root`, hidden folders left out.
fn yml_files(root: &Path) -> Vec<(PathBuf, String)> {
    if !root.is_dir() {
        return Vec::new();
    }
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.')))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name().to_str().is_some_and(|n| n.ends_with(".yml")))
        .filter_map(|e| {
            let rel = crate::library::index::relative(root, e.path())?;
            Some((e.into_path(), rel))
        })
        .collect()
}
