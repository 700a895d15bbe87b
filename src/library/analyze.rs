//! One file in, one outcome out: its hash, type, metadata, thumbnails and placeholder — or the
//! reason it was skipped. Pure CPU and file work; the caller runs it off the async threads.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::cache::ThumbCache;
use super::metadata::{self, Metadata};
use super::sniff::{Family, Format, SNIFF_LEN, Sniffed, sniff};
use super::thumbs::{self, DecodeError, SizeSpec};

#[derive(Debug, Clone)]
pub struct Settings {
    pub cache: ThumbCache,
    pub max_pixels: u64,
    /// UPLOAD_LIMIT: the largest file read into memory to be analysed, by the index as by uploads.
    pub max_file_bytes: u64,
    pub jpeg_quality: u8,
    /// Shared by the index workers, uploads and on-request sizes.
    pub decode_budget: std::sync::Arc<super::budget::Budget>,
    /// ffmpeg, ffprobe, heif-dec as found at start.
    pub tools: std::sync::Arc<super::tools::MediaTools>,
    /// Where external decoders write their output (`STORAGE_PATH/decode-tmp`), each call in a
    /// private folder removed when it is done.
    pub decode_temp: std::path::PathBuf,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub hash: String,
    pub size: u64,
    pub format: Format,
    /// As displayed (orientation applied).
    pub width: u32,
    pub height: u32,
    pub meta: Metadata,
    pub placeholder: Vec<u8>,
    pub media: Media,
}

/// What the item is, as PhotoPrism names it (`photos.media_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MediaType {
    #[default]
    Image,
    /// Shown through its embedded preview.
    Raw,
    Video,
    /// A still with a motion clip (Apple Live Photo, Google/Samsung Motion Photo).
    Live,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Raw => "raw",
            MediaType::Video => "video",
            MediaType::Live => "live",
        }
    }
}

/// What a still photo does not have: a video's (or motion clip's) length, codec and rate, and a
/// Motion Photo's clip inside the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Media {
    pub media_type: MediaType,
    pub duration_ms: Option<i64>,
    /// As ffprobe names it: h264, hevc, vp9, av1, …
    pub video_codec: Option<String>,
    pub frame_rate: Option<f64>,
    /// A Motion Photo's embedded MP4: its byte offset and length in the primary file.
    pub motion: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipKind {
    /// Not an image, or a format Shoebox does not read.
    Unsupported,
    /// More pixels than MAX_PIXELS, or more bytes than UPLOAD_LIMIT.
    TooLarge,
    /// Broken or truncated.
    Corrupt,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Photo(Box<Analysis>),
    /// `hash` is None when the file was refused from its first bytes or its size, unread.
    Skipped {
        hash: Option<String>,
        kind: SkipKind,
        reason: String,
    },
}

pub fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Everything the header tells, before any pixel is decoded.
pub(super) struct Header {
    pub(super) stored: (u32, u32),
    pub(super) layout: thumbs::Layout,
    pub(super) meta: Metadata,
    pub(super) icc: Option<Vec<u8>>,
}

/// Reads the headers and refuses a picture above MAX_PIXELS (every GIF frame included) before
/// anything else is read from it.
pub(super) fn header(
    bytes: &[u8],
    format: Format,
    name: &str,
    mtime: Option<DateTime<Utc>>,
    max_pixels: u64,
) -> Result<Header, DecodeError> {
    let layout = |stored: (u32, u32)| {
        thumbs::check_pixels(stored.0, stored.1, max_pixels)?;
        thumbs::layout(bytes, format, stored, max_pixels)
    };
    match format {
        Format::Jpeg => {
            let mut d = jpeg_decoder::Decoder::new(bytes);
            d.read_info().map_err(|e| DecodeError::Corrupt { format: "jpeg", detail: e.to_string() })?;
            let info =
                d.info().ok_or_else(|| DecodeError::Corrupt { format: "jpeg", detail: "no frame header".into() })?;
            let stored = (u32::from(info.width), u32::from(info.height));
            let layout = layout(stored)?;
            let exif = d.exif_data().and_then(metadata::parse_exif_raw);
            let xmp = d.xmp_data().map(<[u8]>::to_vec).or_else(|| metadata::find_xmp(bytes).map(<[u8]>::to_vec));
            let iptc = metadata::find_iptc_jpeg(bytes);
            let meta = metadata::extract(exif.as_ref(), iptc.as_ref(), xmp.as_deref(), name, mtime);
            Ok(Header { stored, layout, meta, icc: d.icc_profile() })
        }
        other => {
            let stored = thumbs::header_size(bytes, other)?;
            let layout = layout(stored)?;
            let exif = match other {
                Format::Png | Format::Webp => metadata::parse_exif_container(bytes),
                _ => None,
            };
            let meta = metadata::extract(exif.as_ref(), None, metadata::find_xmp(bytes), name, mtime);
            Ok(Header { stored, layout, meta, icc: None })
        }
    }
}

pub(super) fn skipped(hash: &str, e: DecodeError) -> Outcome {
    let kind = match e {
        DecodeError::TooManyPixels { .. } | DecodeError::TooCostly { .. } => SkipKind::TooLarge,
        DecodeError::Corrupt { .. } => SkipKind::Corrupt,
    };
    Outcome::Skipped { hash: Some(hash.to_string()), kind, reason: e.to_string() }
}

/// Why a file is not read past its first bytes.
struct Refusal {
    kind: SkipKind,
    reason: String,
}

/// Reads a file for analysis, or says why not: its type is decided from its first bytes and its
/// size checked against `max_file_bytes` before the rest is read, because all of it is held in
/// memory while it is analysed. A video or archive of any size costs one small read, and no file
/// makes a worker allocate more than the cap.
fn read_image(path: &Path, max_file_bytes: u64) -> std::io::Result<Result<(Format, Vec<u8>), Refusal>> {
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(SNIFF_LEN);
    (&mut file).take(SNIFF_LEN as u64).read_to_end(&mut bytes)?;
    let refused = |kind, reason| Ok(Err(Refusal { kind, reason }));
    let format = match sniff(&bytes) {
        Sniffed::Supported(f) => f,
        Sniffed::Unsupported(what) => {
            return refused(SkipKind::Unsupported, format!("{what} is not supported: convert it to JPEG, PNG or WebP"));
        }
        Sniffed::NotAnImage => {
            return refused(SkipKind::Unsupported, "not an image (JPEG, PNG, WebP and GIF are supported)".into());
        }
    };
    if format.family() == Family::Video {
        return refused(
            SkipKind::Unsupported,
            format!("{} files are not read yet", format.as_str().to_ascii_uppercase()),
        );
    }
    let too_large = |size: u64| {
        let mb = |n: u64| n as f64 / (1024.0 * 1024.0);
        format!(
            "file is {:.1} MB, more than UPLOAD_LIMIT allows ({:.1} MB): raise it and index with --rescan to include it",
            mb(size),
            mb(max_file_bytes)
        )
    };
    let size = file.metadata()?.len();
    if size > max_file_bytes {
        return refused(SkipKind::TooLarge, too_large(size));
    }
    bytes.reserve_exact(size.saturating_sub(bytes.len() as u64) as usize);
    // A file still being written may have grown since: reading stops one byte past the cap.
    (&mut file).take((max_file_bytes + 1).saturating_sub(bytes.len() as u64)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_file_bytes {
        return refused(SkipKind::TooLarge, too_large(bytes.len() as u64));
    }
    Ok(Ok((format, bytes)))
}

/// The file's format when its first bytes say it is a video: videos are streamed through the
/// hash and read by ffmpeg, never held in memory, so UPLOAD_LIMIT does not apply to them.
fn video_format(path: &Path) -> std::io::Result<Option<Format>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    std::fs::File::open(path)?.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    Ok(match sniff(&head) {
        Sniffed::Supported(f) if f.family() == Family::Video => Some(f),
        _ => None,
    })
}

/// Analyses the file at `path` and makes the index-time thumbnails unless the cache has them.
/// Errors are files that cannot be read at all.
pub fn analyze_file(
    path: &Path,
    name: &str,
    mtime: Option<DateTime<Utc>>,
    settings: &Settings,
) -> std::io::Result<Outcome> {
    if let Some(format) = video_format(path)? {
        return Ok(super::video::analyze(path, format, name, mtime, settings));
    }
    let (format, bytes) = match read_image(path, settings.max_file_bytes)? {
        Ok(read) => read,
        Err(Refusal { kind, reason }) => return Ok(Outcome::Skipped { hash: None, kind, reason }),
    };
    // A Google or Samsung Motion Photo: its clip follows the still's own bytes.
    let clip = match format {
        Format::Jpeg | Format::Heic => super::motion::embedded_clip(&bytes),
        _ => None,
    };
    let outcome = analyze_read(path, format, bytes, name, mtime, settings);
    Ok(match (outcome, clip) {
        (Outcome::Photo(a), Some(clip)) => {
            Outcome::Photo(Box::new(super::video::with_embedded_clip(*a, path, clip, settings)))
        }
        (outcome, _) => outcome,
    })
}

fn analyze_read(
    path: &Path,
    format: Format,
    bytes: Vec<u8>,
    name: &str,
    mtime: Option<DateTime<Utc>>,
    settings: &Settings,
) -> Outcome {
    match (format, bytes) {
        (format, bytes) if format.family() == Family::Heif => {
            super::heif::analyze(path, bytes, format, name, mtime, settings)
        }
        (format, bytes) if format.family() == Family::Raw => super::raw::analyze(bytes, format, name, mtime, settings),
        (format, bytes) => analyze(bytes, format, name, mtime, settings),
    }
}

fn analyze(bytes: Vec<u8>, format: Format, name: &str, mtime: Option<DateTime<Utc>>, settings: &Settings) -> Outcome {
    let hash = hash(&bytes);
    let size = bytes.len() as u64;
    let head = match header(&bytes, format, name, mtime, settings.max_pixels) {
        Ok(h) => h,
        Err(e) => return skipped(&hash, e),
    };
    let orientation = head.meta.orientation;
    let (width, height) = thumbs::displayed(head.stored, orientation);
    let sizes = thumbs::index_sizes();
    // Refused whether or not the cache has its thumbnails: a larger size asked for later could not
    // be made.
    let cost = thumbs::decode_cost(head.layout, head.stored, orientation, &sizes);
    if let Err(e) = thumbs::check_cost(format, head.layout, head.stored, cost, settings.decode_budget.most_for_one()) {
        return skipped(&hash, e);
    }
    let cached = settings.cache.has_all(&hash, &sizes);
    let placeholder = match (cached, settings.cache.read_placeholder(&hash)) {
        (true, Some(p)) => p,
        _ => match make(bytes, format, &head, cost, &sizes, settings, &hash) {
            Ok(p) => p,
            Err(MakeError::Decode(e)) => return skipped(&hash, e),
            Err(MakeError::Other(e)) => {
                return Outcome::Skipped {
                    hash: Some(hash),
                    kind: SkipKind::Corrupt,
                    reason: format!("cannot make thumbnails: {e:#}"),
                };
            }
        },
    };
    Outcome::Photo(Box::new(Analysis {
        hash,
        size,
        format,
        width,
        height,
        meta: head.meta,
        placeholder,
        media: Media::default(),
    }))
}

pub enum MakeError {
    Decode(DecodeError),
    Other(anyhow::Error),
}

/// Decodes once and writes `sizes` to the cache; returns the placeholder (also cached).
pub(super) fn make(
    bytes: Vec<u8>,
    format: Format,
    head: &Header,
    cost: u64,
    sizes: &[SizeSpec],
    settings: &Settings,
    hash: &str,
) -> Result<Vec<u8>, MakeError> {
    let (stored, orientation) = (head.stored, head.meta.orientation);
    // Memory is what limits parallel work: nothing is kept longer than needed, and the decode with
    // its thumbnails holds its share of the budget until only encoded JPEGs are left.
    let permit = settings.decode_budget.acquire(cost);
    let max_alloc = settings.decode_budget.most_for_one();
    let rgb = thumbs::decode(&bytes, format, stored, orientation, sizes, max_alloc).map_err(MakeError::Decode)?;
    drop(bytes);
    let (made, placeholder) = thumbs::render(rgb, orientation, sizes, settings.jpeg_quality, head.icc.as_deref())
        .map_err(MakeError::Other)?;
    drop(permit);
    for t in made {
        settings
            .cache
            .write_thumbnail(hash, t.spec, &t.jpeg)
            .map_err(|e| MakeError::Other(anyhow::Error::new(e).context("writing a thumbnail to the cache")))?;
    }
    settings
        .cache
        .write_placeholder(hash, &placeholder)
        .map_err(|e| MakeError::Other(anyhow::Error::new(e).context("writing the placeholder to the cache")))?;
    Ok(placeholder)
}

/// Makes one size on request (the large ones, or any size after the cache was deleted) from the
/// original file, writes it to the cache and returns the JPEG.
pub fn make_one(original: &Path, hash: &str, spec: SizeSpec, settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if video_format(original)?.is_some() {
        return super::video::make_one(original, hash, spec, settings);
    }
    let (format, bytes) = match read_image(original, settings.max_file_bytes)? {
        Ok(read) => read,
        Err(Refusal { reason, .. }) => anyhow::bail!("{}: {reason}", original.display()),
    };
    if format.family() == Family::Heif {
        return super::heif::make_one(original, &bytes, format, hash, spec, settings);
    }
    if format.family() == Family::Raw {
        return super::raw::make_one(bytes, format, hash, spec, settings);
    }
    let head = header(&bytes, format, "", None, settings.max_pixels)?;
    let orientation = head.meta.orientation;
    let cost = thumbs::decode_cost(head.layout, head.stored, orientation, &[spec]);
    let most = settings.decode_budget.most_for_one();
    thumbs::check_cost(format, head.layout, head.stored, cost, most)?;
    let permit = settings.decode_budget.acquire(cost);
    let rgb = thumbs::decode(&bytes, format, head.stored, orientation, &[spec], most)?;
    drop(bytes);
    let (made, _) = thumbs::render(rgb, orientation, &[spec], settings.jpeg_quality, head.icc.as_deref())?;
    drop(permit);
    let jpeg = made.into_iter().next().map(|t| t.jpeg).ok_or_else(|| anyhow::anyhow!("no thumbnail made"))?;
    settings.cache.write_thumbnail(hash, spec, &jpeg)?;
    Ok(jpeg)
}
