//! Camera RAW files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2), shown through the largest JPEG
//! preview the camera embedded, never demosaiced. The hash, size and metadata (orientation
//! included) are the RAW's own; only the pixels come from the preview.

use chrono::{DateTime, Utc};

use super::analyze::{self, Analysis, Media, MediaType, Outcome, Settings, SkipKind};
use super::metadata;
use super::sniff::Format;
use super::thumbs::{self, SizeSpec};

/// Previews smaller than this many pixels are thumbnails, not worth showing when a scan might
/// find a larger one.
const SMALL_PREVIEW: u64 = 640 * 480;
/// The part of a RAW read for its EXIF: the tags sit before the sensor data, and the EXIF reader
/// copies what it is given (a whole 60 MB RAW would be copied twice).
const EXIF_PART: usize = 8 * 1024 * 1024;
/// IFDs followed at most, against loops and hostile files.
const MAX_IFDS: usize = 32;

/// A TIFF structure: its byte order, read from the first two bytes (ORF and RW2 change only the
/// magic number after them).
struct Tiff<'a> {
    data: &'a [u8],
    le: bool,
}

/// One IFD entry: tag, type, count and where its value is (inline or at an offset).
#[derive(Clone, Copy)]
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    /// Position of the 4-byte value field.
    at: usize,
}

impl<'a> Tiff<'a> {
    fn new(data: &'a [u8]) -> Option<Tiff<'a>> {
        match data.get(..2)? {
            b"II" => Some(Tiff { data, le: true }),
            b"MM" => Some(Tiff { data, le: false }),
            _ => None,
        }
    }
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }
    /// The entries of the IFD at `offset` and the offset of the next IFD (0 for none).
    fn ifd(&self, offset: usize) -> Option<(Vec<Entry>, usize)> {
        let n = usize::from(self.u16(offset)?);
        let entries = (0..n)
            .map(|i| {
                let e = offset + 2 + i * 12;
                Some(Entry { tag: self.u16(e)?, kind: self.u16(e + 2)?, count: self.u32(e + 4)?, at: e + 8 })
            })
            .collect::<Option<Vec<_>>>()?;
        let next = self.u32(offset + 2 + n * 12).unwrap_or(0) as usize;
        Some((entries, next))
    }
    /// The first value of a SHORT or LONG entry.
    fn number(&self, e: &Entry) -> Option<u32> {
        match e.kind {
            3 => self.u16(e.at).map(u32::from),
            4 | 13 => self.u32(e.at),
            _ => None,
        }
    }
    /// All values of a LONG (or IFD) entry, such as the SubIFDs' offsets.
    fn longs(&self, e: &Entry) -> Vec<u32> {
        let count = (e.count as usize).min(64);
        let base = if count <= 1 { e.at } else { self.u32(e.at).unwrap_or(u32::MAX) as usize };
        (0..count).filter_map(|i| self.u32(base + i * 4)).collect()
    }
    /// An ASCII entry's text.
    fn text(&self, e: &Entry) -> Option<String> {
        let len = e.count as usize;
        let start = if len <= 4 { e.at } else { self.u32(e.at)? as usize };
        let raw = self.data.get(start..start.checked_add(len)?)?;
        Some(String::from_utf8_lossy(raw).trim_end_matches('\0').trim().to_string())
    }
}

fn find(entries: &[Entry], tag: u16) -> Option<&Entry> {
    entries.iter().find(|e| e.tag == tag)
}

/// What a TIFF-based file is, from IFD0: a DNG by its DNGVersion tag, the other RAWs by their
/// maker. None for a plain TIFF.
pub fn name_tiff(bytes: &[u8]) -> Option<Format> {
    let tiff = Tiff::new(bytes)?;
    let (ifd0, _) = tiff.ifd(tiff.u32(4)? as usize)?;
    if find(&ifd0, 0xC612).is_some() {
        return Some(Format::Dng);
    }
    let make = find(&ifd0, 0x010F).and_then(|e| tiff.text(e))?.to_ascii_uppercase();
    [("NIKON", Format::Nef), ("SONY", Format::Arw), ("CANON", Format::Cr2)]
        .into_iter()
        .find(|(maker, _)| make.starts_with(maker))
        .map(|(_, f)| f)
}

/// Where embedded JPEGs may be: every IFD reachable from IFD0 (the chain, SubIFDs, the EXIF IFD)
/// gives the JPEGInterchangeFormat pair, a single JPEG strip, or Panasonic's JpgFromRaw.
fn tiff_candidates(bytes: &[u8]) -> Vec<(usize, usize)> {
    let Some(tiff) = Tiff::new(bytes) else { return Vec::new() };
    let mut out = Vec::new();
    let mut queue: Vec<usize> = tiff.u32(4).map(|o| vec![o as usize]).unwrap_or_default();
    let mut seen = Vec::new();
    while let Some(offset) = queue.pop() {
        if offset == 0 || seen.contains(&offset) || seen.len() >= MAX_IFDS {
            continue;
        }
        seen.push(offset);
        let Some((entries, next)) = tiff.ifd(offset) else { continue };
        queue.push(next);
        for tag in [0x014A, 0x8769] {
            if let Some(e) = find(&entries, tag) {
                queue.extend(tiff.longs(e).into_iter().map(|o| o as usize));
            }
        }
        let number = |tag| find(&entries, tag).and_then(|e| tiff.number(e)).map(|v| v as usize);
        if let (Some(start), Some(len)) = (number(0x0201), number(0x0202)) {
            out.push((start, len));
        }
        if matches!(number(0x0103), Some(6 | 7))
            && let (Some(so), Some(sc)) = (find(&entries, 0x0111), find(&entries, 0x0117))
            && so.count == 1
            && let (Some(start), Some(len)) = (tiff.number(so), tiff.number(sc))
        {
            out.push((start as usize, len as usize));
        }
        // RW2: the whole preview JPEG as the value of tag 0x2E.
        if let Some(e) = find(&entries, 0x002E)
            && let Some(start) = tiff.u32(e.at)
        {
            out.push((start as usize, e.count as usize));
        }
    }
    out
}

/// Every complete baseline or progressive JPEG starting at an SOI marker anywhere in the file:
/// the markers are walked to the scan, then the entropy-coded data to its EOI. A JPEG's own EXIF
/// thumbnail is inside a segment that is jumped over, so it is not counted twice.
fn scan_candidates(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = bytes[i..].windows(3).position(|w| w == [0xFF, 0xD8, 0xFF]) {
        let start = i + p;
        match jpeg_end(bytes, start) {
            Some(end) => {
                out.push((start, end - start));
                i = end;
            }
            None => i = start + 2,
        }
    }
    out
}

/// The end (past EOI) of the JPEG starting at `start`.
fn jpeg_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 2;
    loop {
        if *bytes.get(i)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(i + 1)?;
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]));
        i += 2 + len;
        if marker == 0xDA {
            break;
        }
    }
    // Entropy-coded data: FF is followed by 00 (a stuffed byte), a restart marker, or a marker
    // that ends or continues the image (a progressive JPEG has several scans).
    loop {
        let p = bytes.get(i..)?.iter().position(|&b| b == 0xFF)?;
        i += p;
        match *bytes.get(i + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => i += 1,
            0xD9 => return Some(i + 2),
            _ => {
                let len = usize::from(u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]));
                i += 2 + len;
            }
        }
    }
}

/// The candidate that is a decodable lossy JPEG with the most pixels: its bytes and stored size.
fn largest_jpeg(bytes: &[u8], candidates: &[(usize, usize)]) -> Option<(usize, usize, u64)> {
    candidates
        .iter()
        .filter_map(|&(start, len)| {
            let jpeg = bytes.get(start..start.checked_add(len)?)?;
            if !jpeg.starts_with(&[0xFF, 0xD8]) {
                return None;
            }
            let mut d = jpeg_decoder::Decoder::new(jpeg);
            d.read_info().ok()?;
            let info = d.info()?;
            // A DNG's raw data may itself be a lossless JPEG: not a preview.
            (info.coding_process != jpeg_decoder::CodingProcess::Lossless).then_some((
                start,
                len,
                u64::from(info.width) * u64::from(info.height),
            ))
        })
        .max_by_key(|c| c.2)
}

/// The embedded preview JPEG of a RAW file.
pub fn preview(bytes: &[u8], format: Format) -> Option<&[u8]> {
    let mut candidates = match format {
        // RAF: the preview's offset and length are in the fixed header.
        Format::Raf => {
            let at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
            at(84).zip(at(88)).into_iter().collect()
        }
        Format::Cr3 => Vec::new(),
        _ => tiff_candidates(bytes),
    };
    let mut best = largest_jpeg(bytes, &candidates);
    // CR3 (its preview sits in a uuid box), ORF (in the maker note) and any file whose tags led
    // nowhere large: the largest JPEG found anywhere.
    if best.is_none_or(|b| b.2 < SMALL_PREVIEW) {
        candidates.extend(scan_candidates(bytes));
        best = largest_jpeg(bytes, &candidates);
    }
    best.map(|(start, len, _)| &bytes[start..start + len])
}

/// The format a TIFF-based file is recorded as, or why it is refused.
fn resolve(bytes: &[u8], format: Format) -> Result<Format, String> {
    if format != Format::Tiff {
        return Ok(format);
    }
    name_tiff(bytes).ok_or_else(|| {
        "a TIFF that is not a camera RAW (no DNGVersion, no known maker) is not supported: convert it to JPEG".into()
    })
}

/// The RAW's own metadata: its TIFF tags (ORF and RW2 read as the TIFF they nearly are), else the
/// preview's EXIF.
fn raw_metadata(
    bytes: &[u8],
    format: Format,
    preview: &[u8],
    name: &str,
    mtime: Option<DateTime<Utc>>,
) -> metadata::Metadata {
    let tiff_based = !matches!(format, Format::Cr3 | Format::Raf);
    let exif = if tiff_based {
        let mut head = bytes[..bytes.len().min(EXIF_PART)].to_vec();
        let magic: &[u8; 2] = if head.starts_with(b"II") { b"*\0" } else { b"\0*" };
        if let Some(m) = head.get_mut(2..4) {
            m.copy_from_slice(magic);
        }
        metadata::parse_exif_raw(&head)
    } else {
        None
    };
    let exif = exif.or_else(|| {
        let mut d = jpeg_decoder::Decoder::new(preview);
        d.read_info().ok()?;
        d.exif_data().and_then(metadata::parse_exif_raw)
    });
    metadata::extract(exif.as_ref(), None, metadata::find_xmp(bytes), name, mtime)
}

/// The index-time analysis of a RAW file read into `bytes`.
pub fn analyze(
    bytes: Vec<u8>,
    format: Format,
    name: &str,
    mtime: Option<DateTime<Utc>>,
    settings: &Settings,
) -> Outcome {
    let hash = analyze::hash(&bytes);
    let size = bytes.len() as u64;
    let refuse = |kind, reason: String| Outcome::Skipped { hash: Some(hash.clone()), kind, reason };
    if !settings.tools.raw {
        return refuse(
            SkipKind::Unsupported,
            "RAW files are turned off (DISABLE_RAW=true): unset it to show them".into(),
        );
    }
    let format = match resolve(&bytes, format) {
        Ok(f) => f,
        Err(reason) => return refuse(SkipKind::Unsupported, reason),
    };
    let Some(preview) = preview(&bytes, format) else {
        return refuse(
            SkipKind::Corrupt,
            format!(
                "no embedded JPEG preview found in this {} file (Shoebox shows RAW files through their preview)",
                format.as_str().to_ascii_uppercase()
            ),
        );
    };
    let meta = raw_metadata(&bytes, format, preview, name, mtime);
    let mut head = match analyze::header(preview, Format::Jpeg, name, mtime, settings.max_pixels) {
        Ok(h) => h,
        Err(e) => return analyze::skipped(&hash, e),
    };
    head.meta = meta;
    let orientation = head.meta.orientation;
    let (width, height) = thumbs::displayed(head.stored, orientation);
    let sizes = thumbs::index_sizes();
    let cost = thumbs::decode_cost(head.layout, head.stored, orientation, &sizes);
    let most = settings.decode_budget.most_for_one();
    if let Err(e) = thumbs::check_cost(Format::Jpeg, head.layout, head.stored, cost, most) {
        return analyze::skipped(&hash, e);
    }
    let placeholder = match (settings.cache.has_all(&hash, &sizes), settings.cache.read_placeholder(&hash)) {
        (true, Some(p)) => p,
        _ => {
            // Only the preview is kept while its thumbnails are made.
            let preview = preview.to_vec();
            drop(bytes);
            match analyze::make(preview, Format::Jpeg, &head, cost, &sizes, settings, &hash) {
                Ok(p) => p,
                Err(analyze::MakeError::Decode(e)) => return analyze::skipped(&hash, e),
                Err(analyze::MakeError::Other(e)) => {
                    return refuse(SkipKind::Corrupt, format!("cannot make thumbnails: {e:#}"));
                }
            }
        }
    };
    Outcome::Photo(Box::new(Analysis {
        hash,
        size,
        format,
        width,
        height,
        meta: head.meta,
        placeholder,
        media: Media { media_type: MediaType::Raw, ..Media::default() },
    }))
}

/// Makes one size on request from the RAW file's preview.
pub fn make_one(
    bytes: Vec<u8>,
    format: Format,
    hash: &str,
    spec: SizeSpec,
    settings: &Settings,
) -> anyhow::Result<Vec<u8>> {
    let format = resolve(&bytes, format).map_err(|e| anyhow::anyhow!(e))?;
    let preview = preview(&bytes, format).ok_or_else(|| anyhow::anyhow!("no embedded JPEG preview"))?;
    let meta = raw_metadata(&bytes, format, preview, "", None);
    let mut head = analyze::header(preview, Format::Jpeg, "", None, settings.max_pixels)?;
    head.meta = meta;
    let orientation = head.meta.orientation;
    let cost = thumbs::decode_cost(head.layout, head.stored, orientation, &[spec]);
    let most = settings.decode_budget.most_for_one();
    thumbs::check_cost(Format::Jpeg, head.layout, head.stored, cost, most)?;
    let preview = preview.to_vec();
    drop(bytes);
    let permit = settings.decode_budget.acquire(cost);
    let rgb = thumbs::decode(&preview, Format::Jpeg, head.stored, orientation, &[spec], most)?;
    let (made, _) = thumbs::render(rgb, orientation, &[spec], settings.jpeg_quality, head.icc.as_deref())?;
    drop(permit);
    let jpeg = made.into_iter().next().map(|t| t.jpeg).ok_or_else(|| anyhow::anyhow!("no thumbnail made"))?;
    settings.cache.write_thumbnail(hash, spec, &jpeg)?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let rgb = vec![128u8; usize::from(width) * usize::from(height) * 3];
        jpeg_encoder::Encoder::new(&mut out, 80).encode(&rgb, width, height, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    #[test]
    fn the_largest_jpeg_anywhere_in_a_file_is_found_when_no_tag_points_at_it() {
        // As in a CR3 or ORF: a small and a large preview among other bytes.
        let (small, large) = (jpeg(160, 120), jpeg(800, 600));
        let mut file = vec![0x11u8; 1000];
        file.extend_from_slice(&small);
        file.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0x00, 0x42]);
        file.extend_from_slice(&large);
        file.extend_from_slice(&[0x22u8; 500]);
        let found = preview(&file, Format::Cr3).unwrap();
        assert_eq!(found, &large[..]);
    }

    #[test]
    fn a_raf_preview_is_read_from_its_header() {
        let preview_jpeg = jpeg(64, 48);
        let mut file = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
        file.resize(100, 0);
        file[84..88].copy_from_slice(&100u32.to_be_bytes());
        file[88..92].copy_from_slice(&(preview_jpeg.len() as u32).to_be_bytes());
        file.extend_from_slice(&preview_jpeg);
        assert_eq!(preview(&file, Format::Raf).unwrap(), &preview_jpeg[..]);
    }
}
