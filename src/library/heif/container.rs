//! The HEIF container's own boxes (ISO/IEC 23008-12 on ISO base media): the primary picture's
//! size, rotation and colour, and its EXIF and XMP items, read without decoding anything.

use std::collections::HashMap;

use super::super::thumbs::DecodeError;

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
    /// Bits per sample of the picture (`pixi`, or the `hvcC`/`av1C` of its coded images): 10 or
    /// 12 for HDR and camera HEIFs, which libheif cannot write as 8-bit `.y4m`. 8 when unsaid.
    pub bit_depth: u8,
}

/// How YUV samples turn into RGB: the `nclx` matrix coefficients and range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YuvMatrix {
    /// Luma weights of red and blue.
    pub(super) kr: f64,
    pub(super) kb: f64,
    pub(super) full_range: bool,
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

pub(super) fn corrupt(detail: impl Into<String>) -> DecodeError {
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

/// The bits per sample of the primary picture: its own `pixi` or decoder configuration, or for a
/// grid (an iPhone's 512-pixel tiles) the deepest of the coded pictures that are not auxiliary.
fn picture_depth(
    primary: u32,
    items: &HashMap<u32, ItemInfo>,
    properties: &[([u8; 4], &[u8])],
    associations: &HashMap<u32, Vec<usize>>,
) -> u8 {
    let props_of = |id: u32| {
        associations
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| i.checked_sub(1).and_then(|i| properties.get(i)))
            .filter_map(|&(kind, body)| property(kind, body))
            .collect::<Vec<_>>()
    };
    let depth_of = |props: &[Property]| {
        props.iter().filter_map(|p| if let Property::Depth(d) = p { Some(*d) } else { None }).max()
    };
    if let Some(d) = depth_of(&props_of(primary)) {
        return d;
    }
    items
        .iter()
        .filter(|(_, info)| matches!(&info.kind, b"hvc1" | b"av01"))
        .map(|(&id, _)| props_of(id))
        .filter(|props| !props.iter().any(|p| matches!(p, Property::Auxiliary)))
        .filter_map(|props| depth_of(&props))
        .max()
        .unwrap_or(8)
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
    Nclx {
        matrix: u16,
        full_range: bool,
    },
    Icc(&'a [u8]),
    /// Bits per sample, from `pixi` (per channel), `hvcC` (luma) or `av1C`.
    Depth(u8),
    /// `auxC`: the item is an auxiliary picture (alpha, depth map, gain map), not the photo.
    Auxiliary,
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
        b"pixi" => {
            f.u32()?;
            let channels = f.u8()?;
            Property::Depth(f.take(usize::from(channels))?.iter().copied().max()?)
        }
        // configurationVersion, profile, compatibility (4), constraints (6), level, segmentation
        // (2), parallelism, chroma format: then 5 reserved bits and bitDepthLumaMinus8.
        b"hvcC" => Property::Depth(8 + (body.get(17)? & 0x07)),
        // high_bitdepth and twelve_bit, in the third byte.
        b"av1C" => Property::Depth(match body.get(2)? & 0x60 {
            0x60 => 12,
            0x40 => 10,
            _ => 8,
        }),
        b"auxC" => Property::Auxiliary,
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
    container.bit_depth = picture_depth(primary, &items, &properties, &associations);
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
pub(super) fn exif_block(item: &[u8]) -> Option<Vec<u8>> {
    let skip = usize::try_from(u32::from_be_bytes(item.get(..4)?.try_into().ok()?)).ok()?;
    let block = item.get(4usize.checked_add(skip)?..)?;
    let block = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    (block.starts_with(b"II*\0") || block.starts_with(b"MM\0*")).then(|| block.to_vec())
}
