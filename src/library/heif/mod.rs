//! HEIC, HEIF and AVIF stills: the container's own boxes for size, rotation, colour and metadata
//! (read here), the pictures decoded by libheif's `heif-dec` into raw 4:2:0 YUV (`.y4m`), which is
//! turned into RGB already shrunk to the largest size needed, so a 48 MP photo never exists in this
//! process at full size.
//!
//! libheif applies HEIF's own rotation and mirroring (`irot`, `imir`), so the decoded picture is
//! upright; the EXIF orientation inside a HEIF file describes the same turn and is not applied
//! again (orientation 1 is stored).

use std::ffi::OsString;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

mod container;

use container::corrupt;
#[cfg(test)]
use container::exif_block;
pub use container::{Container, YuvMatrix, read_container};

use super::analyze::{Analysis, Media, Outcome, Settings, SkipKind};
use super::budget::Permit;
use super::metadata::{self, Metadata};
use super::sniff::Format;
use super::thumbs::{self, DecodeError, Rgb, SizeSpec};
use super::tools::{self, Limits, ToolError};

/// A 48 MP photo decodes in a few seconds; a file that takes longer is treated as broken.
const DECODE_TIMEOUT: Duration = Duration::from_secs(90);
/// Why a HEIF file was not decoded.
pub enum HeifError {
    /// No decoder: the reason says what to install or turn on.
    NoTool(String),
    Decode(DecodeError),
    Io(std::io::Error),
}

impl From<DecodeError> for HeifError {
    fn from(e: DecodeError) -> HeifError {
        HeifError::Decode(e)
    }
}

/// The skip reason when `heif-dec` is not there, naming what to do about it.
fn no_tool_reason(format: Format, settings: &Settings) -> String {
    let what = format.as_str().to_ascii_uppercase();
    if settings.tools.heif_off {
        format!("{what} decoding is turned off (DISABLE_HEIFCONVERT=true): unset it to show {what} photos")
    } else {
        format!(
            "{what} needs libheif's heif-dec, which was not found: install libheif-examples (heif-dec) or set HEIFCONVERT_BIN"
        )
    }
}

/// Decodes the HEIF file at `path` with `heif-dec` into a private temporary folder, then reads
/// the result shrunk to what `sizes` need, with the full size as displayed. The folder is removed
/// whatever happens.
/// The returned permit holds `cost`, taken once heif-dec is done (never both at once: two workers
/// each holding one part while waiting for the other would wait for ever).
fn decode<'s>(
    path: &Path,
    format: Format,
    head: &Container,
    sizes: &[SizeSpec],
    cost: u64,
    settings: &'s Settings,
) -> Result<(Rgb, (u32, u32), Permit<'s>), HeifError> {
    let tool = settings.tools.heif_dec.as_ref().ok_or_else(|| HeifError::NoTool(no_tool_reason(format, settings)))?;
    let (w, h) = head.displayed;
    let pixels = u64::from(w) * u64::from(h);
    // libheif writes `.y4m` in 8 bits only (1.15 writes a deeper picture's samples cut in half,
    // garbage), so a 10- or 12-bit picture comes as a 16-bit PNG, slower but right.
    let deep = head.bit_depth > 8;
    let extension = if deep { "png" } else { "y4m" };
    // heif-dec holds the decoded frame (4:2:0, 1.5 bytes a pixel; 16-bit RGB beside the deep
    // one's planes) while it writes it: that memory is taken from the budget too, so two 48 MP
    // decodes take turns.
    let frame = if deep { pixels * 9 } else { pixels * 3 / 2 };
    let permit = settings.decode_budget.acquire(frame);
    std::fs::create_dir_all(&settings.decode_temp).map_err(HeifError::Io)?;
    let dir = tempfile::Builder::new().prefix("heif-").tempdir_in(&settings.decode_temp).map_err(HeifError::Io)?;
    let out = dir.path().join(format!("decoded.{extension}"));
    let args: Vec<OsString> = vec!["--quiet".into(), tools::path_arg(path), tools::path_arg(&out)];
    match tool.run(&args, Limits::new(DECODE_TIMEOUT, 64 * 1024)) {
        Ok(_) => {}
        Err(e @ ToolError::Spawn { .. }) => return Err(HeifError::NoTool(format!("{e}: install libheif-examples"))),
        Err(e) => {
            return Err(HeifError::Decode(DecodeError::Corrupt { format: format.as_str(), detail: e.to_string() }));
        }
    }
    drop(permit);
    // The PNG is read whole: 16-bit RGB and its 8-bit copy.
    let permit = settings.decode_budget.acquire(if deep { cost.max(pixels * 9) } else { cost });
    // A file of several top-level images is written as decoded-1.y4m, decoded-2.y4m, …
    let written = if out.is_file() { Some(out) } else { first_written(dir.path(), extension) };
    let written = written
        .ok_or_else(|| DecodeError::Corrupt { format: format.as_str(), detail: "heif-dec wrote no picture".into() })?;
    let (rgb, displayed) =
        if deep { read_deep_png(&written, format, settings)? } else { read_y4m(&written, head, sizes, settings)? };
    dir.close().map_err(HeifError::Io)?;
    Ok((rgb, displayed, permit))
}

fn first_written(dir: &Path, extension: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Reads the 16-bit PNG libheif writes for a deeper picture, as 8-bit RGB at full size (already
/// in RGB: libheif applied the `nclx` matrix). HDR transfer curves are not tone-mapped.
fn read_deep_png(path: &Path, format: Format, settings: &Settings) -> Result<(Rgb, (u32, u32)), HeifError> {
    let bad = |detail: String| HeifError::Decode(corrupt(format!("decoded picture: {detail}")));
    let reader = image::ImageReader::open(path).map_err(HeifError::Io)?.with_guessed_format().map_err(HeifError::Io)?;
    let (w, h) = reader.into_dimensions().map_err(|e| bad(e.to_string()))?;
    thumbs::check_pixels(w, h, settings.max_pixels)?;
    let decoded = image::ImageReader::open(path)
        .map_err(HeifError::Io)?
        .with_guessed_format()
        .map_err(HeifError::Io)?
        .decode()
        .map_err(|e| bad(format!("{} PNG from heif-dec: {e}", format.as_str())))?;
    let rgb = decoded.into_rgb8();
    let (width, height) = rgb.dimensions();
    Ok((Rgb { width, height, pixels: rgb.into_raw() }, (width, height)))
}

/// Reads an 8-bit 4:2:0 `.y4m` frame (what libheif writes) and converts it to RGB at the
/// smallest size that still covers every one of `sizes`: each output pixel is the mean of the
/// source pixels it covers, accumulated row by row, so only a few source rows are ever held.
fn read_y4m(
    path: &Path,
    head: &Container,
    sizes: &[SizeSpec],
    settings: &Settings,
) -> Result<(Rgb, (u32, u32)), HeifError> {
    let bad = |detail: &str| HeifError::Decode(corrupt(format!("decoded picture: {detail}")));
    let mut file = std::fs::File::open(path).map_err(HeifError::Io)?;
    let file_len = file.metadata().map_err(HeifError::Io)?.len();
    let mut start = [0u8; 128];
    let n = file.read(&mut start).map_err(HeifError::Io)?;
    let start = &start[..n];
    let line_end = start.iter().position(|&b| b == b'\n').ok_or_else(|| bad("no y4m header"))?;
    let header = std::str::from_utf8(&start[..line_end]).map_err(|_| bad("unreadable y4m header"))?;
    let mut tokens = header.split(' ');
    if tokens.next() != Some("YUV4MPEG2") {
        return Err(bad("not a y4m file"));
    }
    let (mut w, mut h) = (0u32, 0u32);
    for t in tokens {
        match t.split_at_checked(1) {
            Some(("W", v)) => w = v.parse().map_err(|_| bad("bad width"))?,
            Some(("H", v)) => h = v.parse().map_err(|_| bad("bad height"))?,
            Some(("C", v)) if !v.starts_with("420") || v.contains('p') => return Err(bad("not 8-bit 4:2:0")),
            _ => {}
        }
    }
    thumbs::check_pixels(w, h, settings.max_pixels)?;
    let frame_end = start[line_end + 1..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| line_end + 1 + p + 1)
        .filter(|_| start[line_end + 1..].starts_with(b"FRAME"))
        .ok_or_else(|| bad("no frame"))? as u64;
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (luma, chroma) = (u64::from(w) * u64::from(h), u64::from(cw) * u64::from(ch));
    if file_len < frame_end + luma + 2 * chroma {
        return Err(bad("shorter than its size says"));
    }

    let (nw, nh) = thumbs::needed_source_for(sizes, w, h);
    let scale = (f64::from(nw) / f64::from(w)).max(f64::from(nh) / f64::from(h)).min(1.0);
    let ow = ((f64::from(w) * scale).ceil() as u32).clamp(1, w);
    let oh = ((f64::from(h) * scale).ceil() as u32).clamp(1, h);
    // Output column of each source column, and how many source columns (rows) each one averages.
    let col_of: Vec<u32> = (0..w).map(|x| (u64::from(x) * u64::from(ow) / u64::from(w)) as u32).collect();
    let row_of = |y: u32| (u64::from(y) * u64::from(oh) / u64::from(h)) as u32;
    let mut col_count = vec![0u32; ow as usize];
    for &c in &col_of {
        col_count[c as usize] += 1;
    }

    let plane = |offset: u64| -> Result<BufReader<std::fs::File>, HeifError> {
        let mut f = std::fs::File::open(path).map_err(HeifError::Io)?;
        f.seek(SeekFrom::Start(offset)).map_err(HeifError::Io)?;
        Ok(BufReader::with_capacity(256 * 1024, f))
    };
    let (mut ys, mut us, mut vs) = (plane(frame_end)?, plane(frame_end + luma)?, plane(frame_end + luma + chroma)?);
    let convert = Converter::new(head.yuv);
    let mut pixels = vec![0u8; ow as usize * oh as usize * 3];
    let mut sums = vec![0u32; ow as usize * 3];
    let (mut yrow, mut urow, mut vrow) = (vec![0u8; w as usize], vec![0u8; cw as usize], vec![0u8; cw as usize]);
    let mut rows_in = 0u32;
    for y in 0..h {
        ys.read_exact(&mut yrow).map_err(HeifError::Io)?;
        if y % 2 == 0 {
            us.read_exact(&mut urow).map_err(HeifError::Io)?;
            vs.read_exact(&mut vrow).map_err(HeifError::Io)?;
        }
        for (x, &luma) in yrow.iter().enumerate() {
            let rgb = convert.rgb(luma, urow[x / 2], vrow[x / 2]);
            let s = col_of[x] as usize * 3;
            sums[s] += u32::from(rgb[0]);
            sums[s + 1] += u32::from(rgb[1]);
            sums[s + 2] += u32::from(rgb[2]);
        }
        rows_in += 1;
        let out_row = row_of(y);
        if y + 1 == h || row_of(y + 1) != out_row {
            let line = &mut pixels[out_row as usize * ow as usize * 3..][..ow as usize * 3];
            for (i, count) in col_count.iter().enumerate() {
                let n = count * rows_in;
                for c in 0..3 {
                    line[i * 3 + c] = ((sums[i * 3 + c] + n / 2) / n.max(1)) as u8;
                }
            }
            sums.fill(0);
            rows_in = 0;
        }
    }
    Ok((Rgb { width: ow, height: oh, pixels }, (w, h)))
}

/// YUV to RGB in 16.16 fixed point.
struct Converter {
    y_scale: i32,
    y_offset: i32,
    cr_r: i32,
    cb_g: i32,
    cr_g: i32,
    cb_b: i32,
}

impl Converter {
    fn new(m: YuvMatrix) -> Converter {
        let (y_range, c_range, y_offset) =
            if m.full_range { (1.0, 1.0, 0) } else { (255.0 / 219.0, 255.0 / 224.0, 16) };
        let kg = 1.0 - m.kr - m.kb;
        let fixed = |v: f64| (v * 65536.0).round() as i32;
        Converter {
            y_scale: fixed(y_range),
            y_offset,
            cr_r: fixed(2.0 * (1.0 - m.kr) * c_range),
            cb_g: fixed(2.0 * m.kb * (1.0 - m.kb) / kg * c_range),
            cr_g: fixed(2.0 * m.kr * (1.0 - m.kr) / kg * c_range),
            cb_b: fixed(2.0 * (1.0 - m.kb) * c_range),
        }
    }

    #[inline]
    fn rgb(&self, y: u8, u: u8, v: u8) -> [u8; 3] {
        let y = (i32::from(y) - self.y_offset) * self.y_scale + 32768;
        let (cb, cr) = (i32::from(u) - 128, i32::from(v) - 128);
        let clamp = |v: i32| (v >> 16).clamp(0, 255) as u8;
        [clamp(y + self.cr_r * cr), clamp(y - self.cb_g * cb - self.cr_g * cr), clamp(y + self.cb_b * cb)]
    }
}

/// Metadata from the container's EXIF and XMP. The orientation is always 1: libheif has already
/// applied the container's own turn, which the EXIF orientation repeats.
fn metadata_of(head: &Container, name: &str, mtime: Option<DateTime<Utc>>) -> Metadata {
    let exif = head.exif.as_deref().and_then(metadata::parse_exif_raw);
    let mut meta = metadata::extract(exif.as_ref(), None, head.xmp.as_deref(), name, mtime);
    meta.orientation = 1;
    meta
}

/// The index-time analysis of a HEIF file already read into `bytes` (for its hash and boxes).
pub fn analyze(
    path: &Path,
    bytes: Vec<u8>,
    format: Format,
    name: &str,
    mtime: Option<DateTime<Utc>>,
    settings: &Settings,
) -> Outcome {
    let hash = super::analyze::hash(&bytes);
    let size = bytes.len() as u64;
    let skipped = |kind: SkipKind, reason: String| Outcome::Skipped { hash: Some(hash.clone()), kind, reason };
    let head = match read_container(&bytes) {
        Ok(h) => h,
        Err(e) => return skipped(SkipKind::Corrupt, e.to_string()),
    };
    drop(bytes);
    let (w, h) = head.displayed;
    if let Err(e) = thumbs::check_pixels(w, h, settings.max_pixels) {
        return skipped(SkipKind::TooLarge, e.to_string());
    }
    let meta = metadata_of(&head, name, mtime);
    let sizes = thumbs::index_sizes();
    let cached = settings.cache.has_all(&hash, &sizes);
    let (placeholder, displayed) = match (cached, settings.cache.read_placeholder(&hash)) {
        (true, Some(p)) => (p, head.displayed),
        _ => match make(path, format, &head, &sizes, settings, &hash) {
            Ok(made) => made,
            Err(HeifError::NoTool(reason)) => return skipped(SkipKind::Unsupported, reason),
            Err(HeifError::Decode(e)) => {
                let kind = match e {
                    DecodeError::TooManyPixels { .. } | DecodeError::TooCostly { .. } => SkipKind::TooLarge,
                    DecodeError::Corrupt { .. } => SkipKind::Corrupt,
                };
                return skipped(kind, e.to_string());
            }
            Err(HeifError::Io(e)) => return skipped(SkipKind::Corrupt, format!("cannot make thumbnails: {e}")),
        },
    };
    Outcome::Photo(Box::new(Analysis {
        hash,
        size,
        format,
        width: displayed.0,
        height: displayed.1,
        meta,
        placeholder,
        media: Media::default(),
    }))
}

/// What converting and resizing hold: the shrunk RGB picture, and as much again while the first
/// size is made from it.
fn convert_cost(head: &Container, sizes: &[SizeSpec]) -> u64 {
    let (w, h) = head.displayed;
    let (nw, nh) = thumbs::needed_source_for(sizes, w, h);
    u64::from(nw.max(1)) * u64::from(nh.max(1)) * 3 * 2 + u64::from(w) * 16
}

/// Decodes and writes `sizes` and the placeholder to the cache; returns the placeholder and the
/// displayed size of what was decoded.
fn make(
    path: &Path,
    format: Format,
    head: &Container,
    sizes: &[SizeSpec],
    settings: &Settings,
    hash: &str,
) -> Result<(Vec<u8>, (u32, u32)), HeifError> {
    let Rendered { displayed, thumbs: made, placeholder } = decode_and_render(path, format, head, sizes, settings)?;
    for t in made {
        settings.cache.write_thumbnail(hash, t.spec, &t.jpeg).map_err(HeifError::Io)?;
    }
    settings.cache.write_placeholder(hash, &placeholder).map_err(HeifError::Io)?;
    Ok((placeholder, displayed))
}

/// What one decode made.
struct Rendered {
    /// As displayed, as libheif decoded it.
    displayed: (u32, u32),
    thumbs: Vec<thumbs::Thumb>,
    placeholder: Vec<u8>,
}

/// Decodes, then renders `sizes` under the decode budget. Returns the displayed size libheif
/// decoded (the truth, whatever the header said), the thumbnails and the placeholder.
fn decode_and_render(
    path: &Path,
    format: Format,
    head: &Container,
    sizes: &[SizeSpec],
    settings: &Settings,
) -> Result<Rendered, HeifError> {
    let cost = convert_cost(head, sizes);
    let most = settings.decode_budget.most_for_one();
    if cost > most {
        let (w, h) = head.displayed;
        let mb = |n: u64| n as f64 / (1024.0 * 1024.0);
        return Err(HeifError::Decode(DecodeError::TooCostly {
            what: "image too large to decode",
            why: " at this size",
            width: w,
            height: h,
            mp: f64::from(w) * f64::from(h) / 1e6,
            need_mb: mb(cost),
            max_mb: mb(most),
        }));
    }
    let (rgb, displayed, permit) = decode(path, format, head, sizes, cost, settings)?;
    let (made, placeholder) = thumbs::render(rgb, 1, sizes, settings.jpeg_quality, head.icc.as_deref())
        .map_err(|e| HeifError::Io(std::io::Error::other(format!("{e:#}"))))?;
    drop(permit);
    Ok(Rendered { displayed, thumbs: made, placeholder })
}

/// Makes one size on request from the original HEIF file.
pub fn make_one(
    path: &Path,
    bytes: &[u8],
    format: Format,
    hash: &str,
    spec: SizeSpec,
    settings: &Settings,
) -> anyhow::Result<Vec<u8>> {
    let head = read_container(bytes)?;
    let Rendered { thumbs: made, .. } =
        decode_and_render(path, format, &head, &[spec], settings).map_err(|e| match e {
            HeifError::NoTool(reason) => anyhow::anyhow!(reason),
            HeifError::Decode(e) => anyhow::Error::new(e),
            HeifError::Io(e) => anyhow::Error::new(e),
        })?;
    let jpeg = made.into_iter().next().map(|t| t.jpeg).ok_or_else(|| anyhow::anyhow!("no thumbnail made"))?;
    settings.cache.write_thumbnail(hash, spec, &jpeg)?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_range_bt601_grey_and_red_convert_back() {
        let c = Converter::new(YuvMatrix::default());
        assert_eq!(c.rgb(128, 128, 128), [128, 128, 128]);
        // Pure red in BT.601 full range: Y 76, Cb 85, Cr 255.
        let [r, g, b] = c.rgb(76, 85, 255);
        assert!(r > 250 && g < 5 && b < 5, "{r} {g} {b}");
    }

    #[test]
    fn an_exif_item_is_read_past_its_offset_field() {
        let mut item = vec![0, 0, 0, 6];
        item.extend_from_slice(b"Exif\0\0MM\0*rest");
        assert_eq!(exif_block(&item).unwrap(), b"MM\0*rest");
    }
}
