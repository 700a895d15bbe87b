//! The thumbnail cache under `STORAGE_PATH/cache`: the only code that knows where a picture's
//! thumbnails and placeholder live, how they are written and when one read back can be trusted.

use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
use super::thumbs::SizeSpec;

/// Cheap to clone; every file of a picture is named after its content hash, so pictures with the
/// same bytes (another user's copy) share them.
#[derive(Debug, Clone)]
pub struct ThumbCache {
    root: PathBuf,
}

impl ThumbCache {
    /// The cache of the Shoebox whose STORAGE_PATH is `storage`.
    pub fn in_storage(storage: &Path) -> ThumbCache {
        ThumbCache { root: storage.join("cache") }
    }

    /// `thumbnails/ab/cd/`: two levels keep any one folder small in a large library.
    fn folder(&self, hash: &str) -> PathBuf {
        let (a, b) = (hash.get(0..2).unwrap_or("00"), hash.get(2..4).unwrap_or("00"));
        self.root.join("thumbnails").join(a).join(b)
    }

    /// `thumbnails/ab/cd/<hash>_<size>.jpg`
    fn thumbnail_path(&self, hash: &str, size: &str) -> PathBuf {
        self.folder(hash).join(format!("{hash}_{size}.jpg"))
    }

    /// `thumbnails/ab/cd/<hash>_thumbhash.bin`
    fn placeholder_path(&self, hash: &str) -> PathBuf {
        self.folder(hash).join(format!("{hash}_thumbhash.bin"))
    }

    /// `thumbnails/ab/cd/<hash>_transcode.mp4`: a video's H.264 rendition, beside its thumbnails
    /// so that removing a picture's cache files removes it too.
    pub fn transcode_path(&self, hash: &str) -> PathBuf {
        self.folder(hash).join(format!("{hash}_transcode.mp4"))
    }

    /// Where ffmpeg writes the rendition before it is renamed into place: a stopped transcode
    /// never leaves a file that looks finished.
    pub fn transcode_part_path(&self, hash: &str) -> PathBuf {
        self.folder(hash).join(format!("{hash}_transcode.part.mp4"))
    }

    /// `thumbnails/ab/cd/<hash>_plain.<ext>`: the video as share links that hide metadata serve
    /// it (`plain_video`), beside its thumbnails so that removing a picture's cache files removes
    /// it too.
    pub fn plain_video_path(&self, hash: &str, extension: &str) -> PathBuf {
        self.folder(hash).join(format!("{hash}_plain.{extension}"))
    }

    /// Whether every one of `sizes` is cached (the index then skips decoding the picture).
    pub fn has_all(&self, hash: &str, sizes: &[SizeSpec]) -> bool {
        sizes.iter().all(|s| self.thumbnail_path(hash, s.name).is_file())
    }

    /// A cached thumbnail, or None when it is absent or not a whole JPEG (a crash while an older
    /// version wrote it, a disk that filled up): then it is made again.
    pub async fn read_thumbnail(&self, hash: &str, spec: SizeSpec) -> Option<Vec<u8>> {
        tokio::fs::read(self.thumbnail_path(hash, spec.name)).await.ok().filter(|b| is_complete_jpeg(b))
    }

    pub fn write_thumbnail(&self, hash: &str, spec: SizeSpec, jpeg: &[u8]) -> std::io::Result<()> {
        write_atomic(&self.thumbnail_path(hash, spec.name), jpeg)
    }

    /// The cached ThumbHash placeholder, or None when absent or empty.
    pub fn read_placeholder(&self, hash: &str) -> Option<Vec<u8>> {
        std::fs::read(self.placeholder_path(hash)).ok().filter(|p| !p.is_empty())
    }

    pub fn write_placeholder(&self, hash: &str, placeholder: &[u8]) -> std::io::Result<()> {
        write_atomic(&self.placeholder_path(hash), placeholder)
    }

    /// Removes every cache file of a picture: each size (made at index time or on request, also
    /// sizes an older version made) and the placeholder. Returns how many files went. Blocking.
    pub fn remove_all(&self, hash: &str) -> usize {
        let prefix = format!("{hash}_");
        let Ok(entries) = std::fs::read_dir(self.folder(hash)) else { return 0 };
        let mut removed = 0;
        for e in entries.flatten() {
            if e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
                match std::fs::remove_file(e.path()) {
                    Ok(()) => removed += 1,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => {
                        tracing::warn!(path = %e.path().display(), error = %err, "cannot remove a cached thumbnail")
                    }
                }
            }
        }
        removed
    }
}

/// A JPEG that starts with SOI and ends with EOI (not cut short).
fn is_complete_jpeg(bytes: &[u8]) -> bool {
    bytes.len() > 4 && bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9])
}
