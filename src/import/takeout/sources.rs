//! Where a Takeout is read from: a `.zip`, a `.tgz` (`.tar.gz`) or an unpacked folder, each read
//! entry by entry on the calling thread (a blocking one), one entry in memory at a time at most.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Zip,
    Tgz,
    Folder,
}

pub fn kind_of(path: &Path) -> Result<Kind, String> {
    if path.is_dir() {
        return Ok(Kind::Folder);
    }
    if !path.is_file() {
        return Err("no such file or folder".into());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    if name.ends_with(".zip") {
        Ok(Kind::Zip)
    } else if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        Ok(Kind::Tgz)
    } else {
        Err("not a Takeout .zip, .tgz or unpacked folder".into())
    }
}

/// Calls `visit(name, bytes)` for every file in `path`, in the order stored (`name` is
/// `/`-separated, relative to the archive or folder). An entry that cannot be opened goes to
/// `broken(name, why)` and the rest follows; an archive that cannot be read on (a zip without its
/// directory, a gzip stream cut short) ends with `Err` after the entries read before.
pub fn each_entry(
    path: &Path,
    visit: &mut dyn FnMut(&str, &mut dyn Read),
    broken: &mut dyn FnMut(&str, String),
) -> Result<(), String> {
    match kind_of(path)? {
        Kind::Zip => {
            let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
            let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
                format!("not a readable zip archive ({e}): was the download cut short? download this part again")
            })?;
            for i in 0..zip.len() {
                match zip.by_index(i) {
                    Ok(mut entry) if entry.is_file() => {
                        let name = entry.name().to_string();
                        visit(&name, &mut entry);
                    }
                    Ok(_) => {}
                    Err(e) => broken(&format!("entry {i}"), format!("cannot be read ({e})")),
                }
            }
            Ok(())
        }
        Kind::Tgz => {
            let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
            let cut = |e: std::io::Error| format!("the archive breaks off ({e}): download this part again");
            for entry in tar.entries().map_err(cut)? {
                let mut entry = entry.map_err(cut)?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let name = entry.path().map(|p| p.to_string_lossy().into_owned()).map_err(cut)?;
                visit(&name, &mut entry);
            }
            Ok(())
        }
        Kind::Folder => {
            let walker = walkdir::WalkDir::new(path).follow_links(false).sort_by_file_name();
            for entry in walker {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        broken(&e.path().map(|p| p.display().to_string()).unwrap_or_default(), e.to_string());
                        continue;
                    }
                };
                if !entry.file_type().is_file() {
                    continue;
                }
                let Some(name) = crate::library::index::relative(path, entry.path()) else {
                    broken(&entry.path().display().to_string(), "the name is not UTF-8".into());
                    continue;
                };
                match File::open(entry.path()) {
                    Ok(mut f) => visit(&name, &mut f),
                    Err(e) => broken(&name, format!("cannot open ({e})")),
                }
            }
            Ok(())
        }
    }
}
