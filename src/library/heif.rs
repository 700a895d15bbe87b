//! HEIC, HEIF and AVIF stills: the container's own boxes for size, rotation, colour and metadata
//! (read here), the pictures decoded by libheif's `heif-dec` into raw 4:2:0 YUV (`.y4m`), which is
//! turned into RGB already shrunk to the largest size needed, so a 48 MP photo never exists in this
//! process at full size.
//!
//! libheif applies HEIF's own rotation and mirroring (`irot`, `imir`), so the decoded picture is
//! upright; the EXIF orientation inside a HEIF file describes the same turn and is not applied
//! again (orientation 1 is stored).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::analyze::{Analysis, Media, Outcome, Settings, SkipKind};
use super::budget::Permit;
use super::metadata::{self, Metadata};
use super::sniff::Format;
use super::thumbs::{self, DecodeError, Rgb, SizeSpec};
use super::tools::{self, Limits, ToolError};

/// A 48 MP photo decodes in a few seconds; a file that takes longer is treated as broken.
const DECODE_TIMEOUT: Duration = Duration::from_secs(90);
/// EXIF and XMP larger than this are ignored (they are a few kilobytes in practice).
const MAX_METADATA_ITEM: u64 = 4 * 1024 * 1024;

/// What the container says, before any picture is decoded.
#[derive(Debug, Clone, Default)]
pub struct Container {
    /// As displayed: the primary image's `ispe`, swapped when `irot` turns it a quarter.
    pub displayed: (u32, u32),
    /// The EXIF block from its TIFF header on.
    pub exif: Option<Vec<u8>>,
    pub xmp: Option<Vec<u8>>,
    /// An ICC profile (`colr` of type `prof` or `rICC`), copied into the thumbnails.
    pub icc: Option<Vec<u8>>,
    pub yuv: YuvMatrix,
}

/// How YUV samples turn into RGB: the `nclx` matrix coefficients and range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YuvMatrix {
    /// Luma weights of red and blue.
    kr: f64,
    kb: f64,
    full_range: bool,
}

impl Default for YuvMatrix {
    /// libheif's own default when a file has no `nclx`: BT.601, full range.
    fn default() -> YuvMatrix {
        YuvMatrix { kr: 0.299, kb: 0.114, full_range: true }
    }
}

impl YuvMatrix {
    fn from_nclx(matrix: u16, full_range: bool) -> YuvMatrix {
        let (kr, kb) = match matrix {
            1 => (0.2126, 0.0722),
            9 | 10 => (0.2627, 0.0593),
            _ => (0.299, 0.114),
        };
        YuvMatrix { kr, kb, full_range }
    }
}

fn corrupt(detail: impl Into<String>) -> DecodeError {
    DecodeError::Corrupt { format: "heif", detail: detail.into() }
}

/// Big-endian fields of one box, read front to back; `None` past the end.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8]) -> Fields<'a> {
        Fields { data, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(self.take(n)?.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.uint(2).map(|v| v as u16)
    }
    fn u32(&mut self) -> Option<u32> {
        self.uint(4).map(|v| v as u32)
    }
    fn kind(&mut self) -> Option<[u8; 4]> {
        self.take(4)?.try_into().ok()
    }
    /// A NUL-terminated string (the rest when the NUL is missing).
    fn cstr(&mut self) -> &'a [u8] {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        self.pos += (end + 1).min(rest.len());
        &rest[..end]
    }
    fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }
}

/// The boxes inside `data`: type and body. Stops at the first malformed header.
fn children(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut f = Fields::new(data);
    while f.rest().len() >= 8 {
        let start = f.pos;
        let (Some(size), Some(kind)) = (f.u32(), f.kind()) else { break };
        let size = match size {
            0 => (data.len() - start) as u64,
            1 => match f.uint(8) {
                Some(s) => s,
                None => break,
            },
            n => u64::from(n),
        };
        let header = (f.pos - start) as u64;
        let Some(end) = usize::try_from(size).ok().and_then(|s| start.checked_add(s)) else { break };
        if size < header || end > data.len() {
            break;
        }
        out.push((kind, &data[f.pos..end]));
        f.pos = end;
    }
    out
}

struct ItemInfo {
    kind: [u8; 4],
    content_type: Vec<u8>,
    encoded: bool,
}

struct Location {
    /// 0: offsets in the file; 1: in the `idat` box.
    method: u16,
    base: u64,
    extents: Vec<(u64, u64)>,
}

enum Property<'a> {
    Size(u32, u32),
    Rotation(u8),
    Nclx { matrix: u16, full_range: bool },
    Icc(&'a [u8]),
    Other,
}

fn property(kind: [u8; 4], body: &[u8]) -> Option<Property<'_>> {
    let mut f = Fields::new(body);
    Some(match &kind {
        b"ispe" => {
            f.u32()?;
            Property::Size(f.u32()?, f.u32()?)
        }
        b"irot" => Property::Rotation(f.u8()? & 3),
        b"colr" => match &f.kind()? {
            b"nclx" => {
                f.u16()?;
                f.u16()?;
                Property::Nclx { matrix: f.u16()?, full_range: f.u8()? & 0x80 != 0 }
            }
            b"prof" | b"rICC" => Property::Icc(f.rest()),
            _ => Property::Other,
        },
        _ => Property::Other,
    })
}

/// Reads the `meta` box: the primary image's size, rotation and colour, and its EXIF and XMP.
pub fn read_container(bytes: &[u8]) -> Result<Container, DecodeError> {
    let meta = children(bytes).into_iter().find(|(k, _)| k == b"meta").ok_or_else(|| corrupt("no meta box"))?.1;
    let meta = meta.get(4..).ok_or_else(|| corrupt("empty meta box"))?;
    let mut primary = None;
    let mut items: HashMap<u32, ItemInfo> = HashMap::new();
    let mut locations: HashMap<u32, Location> = HashMap::new();
    let mut properties: Vec<([u8; 4], &[u8])> = Vec::new();
    let mut associations: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut idat: &[u8] = &[];
    for (kind, body) in children(meta) {
        let mut f = Fields::new(body);
        match &kind {
            b"pitm" => {
                let version = f.u8().unwrap_or(0);
                f.take(3);
                primary = if version == 0 { f.u16().map(u32::from) } else { f.u32() };
            }
            b"iinf" => {
                let version = f.u8().unwrap_or(0);
                f.take(3);
                f.take(if version == 0 { 2 } else { 4 });
                for (k, infe) in children(f.rest()) {
                    if &k == b"infe"
                        && let Some((id, info)) = item_info(infe)
                    {
                        items.insert(id, info);
                    }
                }
            }
            b"iloc" => locations = item_locations(body).ok_or_else(|| corrupt("unreadable iloc box"))?,
            b"iprp" => {
                for (k, b) in children(body) {
                    match &k {
                        b"ipco" => properties = children(b),
                        b"ipma" => associations = property_associations(b).unwrap_or_default(),
                        _ => {}
                    }
                }
            }
            b"idat" => idat = body,
            _ => {}
        }
    }
    let primary = primary.ok_or_else(|| corrupt("no primary image"))?;
    let mut container = Container::default();
    let (mut size, mut rotation) = (None, 0);
    for &index in associations.get(&primary).map(Vec::as_slice).unwrap_or_default() {
        let Some(&(kind, body)) = index.checked_sub(1).and_then(|i| properties.get(i)) else { continue };
        match property(kind, body) {
            Some(Property::Size(w, h)) => size = Some((w, h)),
            Some(Property::Rotation(r)) => rotation = r,
            Some(Property::Nclx { matrix, full_range }) => container.yuv = YuvMatrix::from_nclx(matrix, full_range),
            Some(Property::Icc(icc)) if !icc.is_empty() => container.icc = Some(icc.to_vec()),
            _ => {}
        }
    }
    let (w, h) = size.ok_or_else(|| corrupt("the primary image has no size (ispe)"))?;
    container.displayed = if rotation % 2 == 1 { (h, w) } else { (w, h) };
    let data_of = |id: u32| -> Option<Vec<u8>> {
        let loc = locations.get(&id)?;
        let source = if loc.method == 1 { idat } else { bytes };
        let mut out = Vec::new();
        for &(offset, length) in &loc.extents {
            let start = usize::try_from(loc.base.checked_add(offset)?).ok()?;
            let length = if length == 0 { source.len().checked_sub(start)? as u64 } else { length };
            if out.len() as u64 + length > MAX_METADATA_ITEM {
                return None;
            }
            out.extend_from_slice(source.get(start..start.checked_add(length as usize)?)?);
        }
        Some(out)
    };
    let mut ids: Vec<u32> = items.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let info = &items[&id];
        if &info.kind == b"Exif" && container.exif.is_none() {
            container.exif = data_of(id).and_then(|d| exif_block(&d));
        } else if &info.kind == b"mime"
            && info.content_type == b"application/rdf+xml"
            && !info.encoded
            && container.xmp.is_none()
        {
            container.xmp = data_of(id);
        }
    }
    Ok(container)
}

fn item_info(infe: &[u8]) -> Option<(u32, ItemInfo)> {
    let mut f = Fields::new(infe);
    let version = f.u8()?;
    f.take(3)?;
    if version < 2 {
        return None;
    }
    let id = if version == 2 { u32::from(f.u16()?) } else { f.u32()? };
    f.u16()?;
    let kind = f.kind()?;
    f.cstr();
    let (content_type, encoded) = if &kind == b"mime" {
        let content_type = f.cstr().to_vec();
        (content_type, !f.cstr().is_empty())
    } else {
        (Vec::new(), false)
    };
    Some((id, ItemInfo { kind, content_type, encoded }))
}

fn item_locations(iloc: &[u8]) -> Option<HashMap<u32, Location>> {
    let mut f = Fields::new(iloc);
    let version = f.u8()?;
    f.take(3)?;
    let sizes = f.u16()?;
    let (offset_size, length_size, base_size) =
        (usize::from(sizes >> 12), usize::from((sizes >> 8) & 15), usize::from((sizes >> 4) & 15));
    let index_size = if version >= 1 { usize::from(sizes & 15) } else { 0 };
    let count = if version < 2 { u32::from(f.u16()?) } else { f.u32()? };
    let mut out = HashMap::new();
    for _ in 0..count {
        let id = if version < 2 { u32::from(f.u16()?) } else { f.u32()? };
        let method = if version >= 1 { f.u16()? & 15 } else { 0 };
        f.u16()?;
        let base = f.uint(base_size)?;
        let extents = (0..f.u16()?)
            .map(|_| {
                f.uint(index_size)?;
                Some((f.uint(offset_size)?, f.uint(length_size)?))
            })
            .collect::<Option<Vec<_>>>()?;
        out.insert(id, Location { method, base, extents });
    }
    Some(out)
}

fn property_associations(ipma: &[u8]) -> Option<HashMap<u32, Vec<usize>>> {
    let mut f = Fields::new(ipma);
    let version = f.u8()?;
    let flags = f.uint(3)?;
    let mut out = HashMap::new();
    for _ in 0..f.u32()? {
        let id = if version < 1 { u32::from(f.u16()?) } else { f.u32()? };
        let indices = (0..f.u8()?)
            .map(|_| {
                if flags & 1 == 1 {
                    f.u16().map(|v| usize::from(v & 0x7FFF))
                } else {
                    f.u8().map(|v| usize::from(v & 0x7F))
                }
            })
            .collect::<Option<Vec<_>>>()?;
        out.insert(id, indices);
    }
    Some(out)
}

/// The TIFF block of a HEIF `Exif` item: after its 4-byte offset field and the bytes it skips
/// (and an `Exif\0\0` prefix some writers add).
fn exif_block(item: &[u8]) -> Option<Vec<u8>> {
    let skip = usize::try_from(u32::from_be_bytes(item.get(..4)?.try_into().ok()?)).ok()?;
    let block = item.get(4usize.checked_add(skip)?..)?;
    let block = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    (block.starts_with(b"II*\0") || block.starts_with(b"MM\0*")).then(|| block.to_vec())
}

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
    // heif-dec holds the decoded frame (4:2:0, 1.5 bytes a pixel) while it writes it: that memory
    // is taken from the budget too, so two 48 MP decodes take turns.
    let frame = u64::from(w) * u64::from(h) * 3 / 2;
    let permit = settings.decode_budget.acquire(frame);
    std::fs::create_dir_all(&settings.decode_temp).map_err(HeifError::Io)?;
    let dir = tempfile::Builder::new().prefix("heif-").tempdir_in(&settings.decode_temp).map_err(HeifError::Io)?;
    let out = dir.path().join("decoded.y4m");
    let args: Vec<OsString> = vec!["--quiet".into(), tools::path_arg(path), tools::path_arg(&out)];
    match tool.run(&args, Limits::new(DECODE_TIMEOUT, 64 * 1024)) {
        Ok(_) => {}
        Err(e @ ToolError::Spawn { .. }) => return Err(HeifError::NoTool(format!("{e}: install libheif-examples"))),
        Err(e) => {
            return Err(HeifError::Decode(DecodeError::Corrupt { format: format.as_str(), detail: e.to_string() }));
        }
    }
    drop(permit);
    let permit = settings.decode_budget.acquire(cost);
    // A file of several top-level images is written as decoded-1.y4m, decoded-2.y4m, …
    let written = if out.is_file() { Some(out) } else { first_y4m(dir.path()) };
    let written = written
        .ok_or_else(|| DecodeError::Corrupt { format: format.as_str(), detail: "heif-dec wrote no picture".into() })?;
    let (rgb, displayed) = read_y4m(&written, head, sizes, settings)?;
    dir.close().map_err(HeifError::Io)?;
    Ok((rgb, displayed, permit))
}

fn first_y4m(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "y4m"))
        .collect();
    found.sort();
    found.into_iter().next()
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
