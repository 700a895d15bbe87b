//! Thumbnails with PhotoPrism's names and boxes, made from one decode.
//!
//! A JPEG is decoded once at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still covers the
//! largest size asked for, so a 24 MP photo never exists in memory at full size. Each smaller size
//! is then resized (SIMD, Lanczos3) from the smallest image already made that covers it. Orientation
//! is applied to every output; an embedded ICC profile is copied into every thumbnail so browsers
//! show the colours the camera meant (pixels are resized in the source's own encoding, as libvips
//! does by default).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::sniff::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeSpec {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    /// Square centre crop of exactly this size; otherwise fit inside the box, never upscaled.
    pub tile: bool,
    /// Made while indexing; the others on first request.
    pub at_index: bool,
}

const fn tile(name: &'static str, side: u32) -> SizeSpec {
    SizeSpec { name, width: side, height: side, tile: true, at_index: true }
}

const fn fit(name: &'static str, width: u32, height: u32, at_index: bool) -> SizeSpec {
    SizeSpec { name, width, height, tile: false, at_index }
}

pub const SIZES: [SizeSpec; 9] = [
    tile("tile_50", 50),
    tile("tile_100", 100),
    tile("tile_224", 224),
    tile("tile_500", 500),
    fit("fit_720", 720, 720, true),
    fit("fit_1280", 1280, 1024, true),
    fit("fit_1920", 1920, 1200, true),
    fit("fit_2560", 2560, 1600, false),
    fit("fit_4096", 4096, 4096, false),
];

pub fn size(name: &str) -> Option<SizeSpec> {
    SIZES.iter().copied().find(|s| s.name == name)
}

pub fn index_sizes() -> Vec<SizeSpec> {
    SIZES.iter().copied().filter(|s| s.at_index).collect()
}

/// The output size for a picture of `w`×`h` (as displayed).
pub fn target(spec: SizeSpec, w: u32, h: u32) -> (u32, u32) {
    if spec.tile {
        return (spec.width, spec.height);
    }
    let s = (spec.width as f64 / w as f64).min(spec.height as f64 / h as f64).min(1.0);
    (((w as f64 * s).round() as u32).max(1), ((h as f64 * s).round() as u32).max(1))
}

/// How large the source must be (as displayed) so that no size is upscaled.
fn needed_source(spec: SizeSpec, w: u32, h: u32) -> (u32, u32) {
    let s = if spec.tile {
        (spec.width as f64 / w.min(h) as f64).min(1.0)
    } else {
        (spec.width as f64 / w as f64).min(spec.height as f64 / h as f64).min(1.0)
    };
    ((w as f64 * s).ceil() as u32, (h as f64 * s).ceil() as u32)
}

/// How large a picture of `w`×`h` (as displayed) must be for none of `sizes` to be upscaled
/// (decoders that can shrink while decoding aim for this).
pub fn needed_source_for(sizes: &[SizeSpec], w: u32, h: u32) -> (u32, u32) {
    sizes.iter().fold((1, 1), |(nw, nh), s| {
        let (sw, sh) = needed_source(*s, w, h);
        (nw.max(sw), nh.max(sh))
    })
}

/// Why a picture cannot be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("{what} is {width}×{height} = {mp:.1} megapixels, more than MAX_PIXELS allows ({max_mp:.1})")]
    TooManyPixels { what: &'static str, width: u32, height: u32, mp: f64, max_mp: f64 },
    /// Within MAX_PIXELS, but decoding would need more memory than one decode may take.
    #[error(
        "{what}: {width}×{height} = {mp:.1} megapixels needs {need_mb:.1} MB to decode{why}, more than the {max_mb:.1} MB one decode may use"
    )]
    TooCostly { what: &'static str, why: &'static str, width: u32, height: u32, mp: f64, need_mb: f64, max_mb: f64 },
    #[error("corrupt or truncated {format} file: {detail}")]
    Corrupt { format: &'static str, detail: String },
}

/// Width and height from the header only, in stored (not displayed) orientation.
pub fn header_size(bytes: &[u8], format: Format) -> Result<(u32, u32), DecodeError> {
    let corrupt = |detail: String| DecodeError::Corrupt { format: format.as_str(), detail };
    match format {
        Format::Jpeg => {
            let mut d = jpeg_decoder::Decoder::new(bytes);
            d.read_info().map_err(|e| corrupt(e.to_string()))?;
            let info = d.info().ok_or_else(|| corrupt("no frame header".into()))?;
            Ok((u32::from(info.width), u32::from(info.height)))
        }
        other => image::ImageReader::with_format(std::io::Cursor::new(bytes), image_format(other)?)
            .into_dimensions()
            .map_err(|e| corrupt(e.to_string())),
    }
}

pub fn check_pixels(width: u32, height: u32, max_pixels: u64) -> Result<(), DecodeError> {
    check_pixels_of("image", width, height, max_pixels)
}

fn check_pixels_of(what: &'static str, width: u32, height: u32, max_pixels: u64) -> Result<(), DecodeError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(DecodeError::TooManyPixels {
            what,
            width,
            height,
            mp: pixels as f64 / 1e6,
            max_mp: max_pixels as f64 / 1e6,
        });
    }
    if pixels == 0 {
        return Err(DecodeError::Corrupt { format: "image", detail: "zero width or height".into() });
    }
    Ok(())
}

/// The in-process decoder of a still format; other families are decoded elsewhere and reach
/// these functions as the still they were turned into.
fn image_format(f: Format) -> Result<image::ImageFormat, DecodeError> {
    Ok(match f {
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Png => image::ImageFormat::Png,
        Format::Webp => image::ImageFormat::WebP,
        Format::Gif => image::ImageFormat::Gif,
        other => {
            return Err(DecodeError::Corrupt {
                format: other.as_str(),
                detail: "not a still format decoded in process".into(),
            });
        }
    })
}

/// What decides a picture's true memory cost, read from its headers before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Baseline JPEG, decoded at a reduced DCT scale.
    ScaledJpeg,
    /// Progressive JPEG: jpeg-decoder keeps every component's DCT coefficients at full resolution
    /// (2 bytes each) until the last scan, whatever the scale it outputs.
    ProgressiveJpeg { coefficient_bytes: u64 },
    /// Decoded at full size into a buffer of `buffer` bytes (lossless JPEG, PNG, WebP, GIF with
    /// its largest frame); `largest` is the largest size declared (a GIF frame may exceed its
    /// screen).
    Full { buffer: u64, largest: (u32, u32) },
}

/// Reads what decoding `bytes` will allocate, and checks every size it declares (a GIF's frames,
/// not only its screen) against `max_pixels`. `stored` is the header's size.
pub fn layout(bytes: &[u8], format: Format, stored: (u32, u32), max_pixels: u64) -> Result<Layout, DecodeError> {
    let corrupt = |detail: &str| DecodeError::Corrupt { format: format.as_str(), detail: detail.to_string() };
    match format {
        Format::Jpeg => {
            let frame = jpeg_frame(bytes).ok_or_else(|| corrupt("no frame header"))?;
            let (w, h) = (u64::from(stored.0), u64::from(stored.1));
            Ok(match frame.marker {
                0xC2 => {
                    let hmax = frame.sampling.iter().map(|s| u64::from(s.0)).max().unwrap_or(1).max(1);
                    let vmax = frame.sampling.iter().map(|s| u64::from(s.1)).max().unwrap_or(1).max(1);
                    let (mcu_w, mcu_h) = (w.div_ceil(8 * hmax), h.div_ceil(8 * vmax));
                    let blocks: u64 =
                        frame.sampling.iter().map(|&(hs, vs)| mcu_w * u64::from(hs) * mcu_h * u64::from(vs)).sum();
                    Layout::ProgressiveJpeg { coefficient_bytes: blocks * 64 * 2 }
                }
                // Lossless: 16-bit planes at full size.
                0xC3 => Layout::Full { buffer: w * h * frame.sampling.len() as u64 * 2, largest: stored },
                _ => Layout::ScaledJpeg,
            })
        }
        Format::Gif => {
            let [screen, frame] = gif_sizes(bytes, max_pixels)?;
            let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
            // The screen as RGBA, and a frame of another size in its own RGBA buffer.
            let buffer = area(screen) * 4 + if frame == screen { 0 } else { area(frame) * 4 };
            Ok(Layout::Full { buffer, largest: if area(frame) > area(screen) { frame } else { screen } })
        }
        _ => {
            use image::ImageDecoder;
            let decoder = image::ImageReader::with_format(std::io::Cursor::new(bytes), image_format(format)?)
                .into_decoder()
                .map_err(|e| corrupt(&e.to_string()))?;
            let (w, h) = decoder.dimensions();
            check_pixels(w, h, max_pixels)?;
            Ok(Layout::Full { buffer: decoder.total_bytes(), largest: (w, h) })
        }
    }
}

/// A JPEG's frame header: its SOF marker and each component's sampling factors.
struct JpegFrame {
    marker: u8,
    sampling: Vec<(u8, u8)>,
}

fn jpeg_frame(bytes: &[u8]) -> Option<JpegFrame> {
    let mut i = 2;
    loop {
        while *bytes.get(i)? != 0xFF {
            i += 1;
        }
        while *bytes.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *bytes.get(i)?;
        i += 1;
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let seg = bytes.get(i + 2..i + len)?;
            let n = usize::from(*seg.get(5)?);
            let sampling = (0..n)
                .map(|c| seg.get(6 + c * 3 + 1).map(|&f| ((f >> 4).max(1), (f & 0x0F).max(1))))
                .collect::<Option<Vec<_>>>()?;
            return Some(JpegFrame { marker, sampling });
        }
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        i += len;
    }
}

/// A GIF's logical screen and largest frame; every frame is checked against `max_pixels`. Data
/// after a truncation is left to the decoder to complain about.
fn gif_sizes(bytes: &[u8], max_pixels: u64) -> Result<[(u32, u32); 2], DecodeError> {
    let le = |i: usize| bytes.get(i..i + 2).map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])));
    let corrupt = || DecodeError::Corrupt { format: "gif", detail: "no logical screen descriptor".into() };
    let (sw, sh) = (le(6).ok_or_else(corrupt)?, le(8).ok_or_else(corrupt)?);
    check_pixels_of("image", sw, sh, max_pixels)?;
    let area = |w: u32, h: u32| u64::from(w) * u64::from(h);
    let mut largest = (sw, sh);
    let table = |packed: u8| if packed & 0x80 != 0 { 3 << ((packed & 7) + 1) } else { 0 };
    let mut i = 13 + bytes.get(10).map_or(0, |&p| table(p));
    // Skips data sub-blocks starting at `i`; returns the index after the terminator.
    let sub_blocks = |mut i: usize| {
        while let Some(&n) = bytes.get(i) {
            i += 1 + usize::from(n);
            if n == 0 {
                break;
            }
        }
        i
    };
    while let Some(&block) = bytes.get(i) {
        match block {
            0x2C => {
                let (Some(fw), Some(fh), Some(&packed)) = (le(i + 5), le(i + 7), bytes.get(i + 9)) else { break };
                check_pixels_of("a GIF frame", fw, fh, max_pixels)?;
                if area(fw, fh) > area(largest.0, largest.1) {
                    largest = (fw, fh);
                }
                // Descriptor, local colour table, LZW code size, then the data.
                i = sub_blocks(i + 10 + table(packed) + 1);
            }
            0x21 => i = sub_blocks(i + 2),
            _ => break,
        }
    }
    Ok([(sw, sh), largest])
}

/// Refuses a picture whose decode would cost more than `max_bytes` (see [`decode_cost`]).
pub fn check_cost(
    format: Format,
    layout: Layout,
    stored: (u32, u32),
    cost: u64,
    max_bytes: u64,
) -> Result<(), DecodeError> {
    if cost <= max_bytes {
        return Ok(());
    }
    let mb = |n: u64| n as f64 / (1024.0 * 1024.0);
    let (width, height) = match layout {
        Layout::Full { largest, .. } => largest,
        _ => stored,
    };
    let (what, why) = match (format, layout) {
        (_, Layout::ProgressiveJpeg { .. }) => {
            ("too many pixels for a progressive JPEG", " (its coefficients are kept at full size)")
        }
        (Format::Gif, _) => ("GIF too large to decode", " (its largest frame at full size)"),
        _ => ("image too large to decode", " at full size"),
    };
    Err(DecodeError::TooCostly {
        what,
        why,
        width,
        height,
        mp: f64::from(width) * f64::from(height) / 1e6,
        need_mb: mb(cost),
        max_mb: mb(max_bytes),
    })
}

/// RGB pixels in stored orientation.
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

fn scaled(len: u32, num: u32) -> u32 {
    (len * num).div_ceil(8)
}

/// The JPEG DCT scale (in eighths) at which a picture is decoded for `sizes`: the smallest that
/// covers both axes of the largest size (the decoder's own rule needs only one).
fn jpeg_scale(stored: (u32, u32), orientation: u8, sizes: &[SizeSpec]) -> u32 {
    let (dw, dh) = displayed(stored, orientation);
    let (mut nw, mut nh) = (1, 1);
    for s in sizes {
        let (w, h) = needed_source(*s, dw, dh);
        nw = nw.max(w);
        nh = nh.max(h);
    }
    let (rw, rh) = if orientation >= 5 { (nh, nw) } else { (nw, nh) };
    [1, 2, 4, 8].into_iter().find(|&n| scaled(stored.0, n) >= rw && scaled(stored.1, n) >= rh).unwrap_or(8)
}

/// Estimated peak bytes of decoding a picture for `sizes` and making them. A scaled JPEG: twice
/// the decoded RGB image (the decoder's planes beside its output, then the first resize's
/// intermediate and result beside the source); a 24 MP JPEG decoded at half scale: 36 MB. A
/// progressive JPEG adds its full-size coefficients. A picture decoded at full size: the
/// decoder's buffer, an RGBA conversion beside it, then the RGB image.
pub fn decode_cost(layout: Layout, stored: (u32, u32), orientation: u8, sizes: &[SizeSpec]) -> u64 {
    let scaled_rgb = || {
        let num = jpeg_scale(stored, orientation, sizes);
        u64::from(scaled(stored.0, num)) * u64::from(scaled(stored.1, num)) * 3
    };
    let full = u64::from(stored.0) * u64::from(stored.1);
    match layout {
        Layout::ScaledJpeg => scaled_rgb() * 2,
        Layout::ProgressiveJpeg { coefficient_bytes } => coefficient_bytes + scaled_rgb() * 2,
        Layout::Full { buffer, .. } => buffer + full * (4 + 3),
    }
}

/// Decodes just large enough for `sizes` of a picture whose stored size is `stored` and
/// orientation `orientation`. The caller has checked MAX_PIXELS and the cost against the headers;
/// `max_alloc` bounds what the `image` decoders allocate whatever the file claims.
pub fn decode(
    bytes: &[u8],
    format: Format,
    stored: (u32, u32),
    orientation: u8,
    sizes: &[SizeSpec],
    max_alloc: u64,
) -> Result<Rgb, DecodeError> {
    let corrupt = |detail: String| DecodeError::Corrupt { format: format.as_str(), detail };
    match format {
        Format::Jpeg => {
            let num = jpeg_scale(stored, orientation, sizes);
            let mut d = jpeg_decoder::Decoder::new(bytes);
            d.read_info().map_err(|e| corrupt(e.to_string()))?;
            d.scale(scaled(stored.0, num) as u16, scaled(stored.1, num) as u16).map_err(|e| corrupt(e.to_string()))?;
            let pixels = d.decode().map_err(|e| corrupt(e.to_string()))?;
            let info = d.info().ok_or_else(|| corrupt("no frame header".into()))?;
            let (w, h) = (u32::from(info.width), u32::from(info.height));
            let pixels = match info.pixel_format {
                jpeg_decoder::PixelFormat::RGB24 => pixels,
                jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
                jpeg_decoder::PixelFormat::L16 => pixels.chunks_exact(2).flat_map(|c| [c[0], c[0], c[0]]).collect(),
                // Adobe CMYK JPEGs store inverted values.
                jpeg_decoder::PixelFormat::CMYK32 => pixels
                    .chunks_exact(4)
                    .flat_map(|c| {
                        let k = u16::from(c[3]);
                        [c[0], c[1], c[2]].map(|v| ((u16::from(v) * k) / 255) as u8)
                    })
                    .collect(),
            };
            if pixels.len() < (w * h * 3) as usize {
                return Err(corrupt("fewer pixels than the header announces".into()));
            }
            Ok(Rgb { width: w, height: h, pixels })
        }
        other => {
            let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image_format(other)?);
            let mut limits = image::Limits::default();
            limits.max_image_width = Some(stored.0);
            limits.max_image_height = Some(stored.1);
            limits.max_alloc = Some(max_alloc);
            reader.limits(limits);
            let img = reader.decode().map_err(|e| corrupt(e.to_string()))?;
            let (w, h) = (img.width(), img.height());
            // `into_*` reuse the decoder's buffer when it already has that layout.
            let pixels = if img.color().has_alpha() {
                // Transparent areas become white, as on a page.
                img.into_rgba8()
                    .pixels()
                    .flat_map(|p| {
                        let a = u16::from(p.0[3]);
                        [0, 1, 2].map(|i| ((u16::from(p.0[i]) * a + 255 * (255 - a)) / 255) as u8)
                    })
                    .collect()
            } else {
                img.into_rgb8().into_raw()
            };
            Ok(Rgb { width: w, height: h, pixels })
        }
    }
}

pub fn displayed((w, h): (u32, u32), orientation: u8) -> (u32, u32) {
    if orientation >= 5 { (h, w) } else { (w, h) }
}

/// One made thumbnail: oriented RGB pixels (kept for the placeholder) and the encoded JPEG.
pub struct Thumb {
    pub spec: SizeSpec,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Makes `sizes` from the decoded picture. Returns the thumbnails and a ThumbHash placeholder.
/// Each image is dropped as soon as no remaining size can be made from it.
pub fn render(
    src: Rgb,
    orientation: u8,
    sizes: &[SizeSpec],
    quality: u8,
    icc: Option<&[u8]>,
) -> anyhow::Result<(Vec<Thumb>, Vec<u8>)> {
    let (dw, dh) = displayed((src.width, src.height), orientation);
    let mut order: Vec<SizeSpec> = sizes.to_vec();
    let area = |s: &SizeSpec| {
        let (w, h) = needed_source(*s, dw, dh);
        u64::from(w) * u64::from(h)
    };
    // Largest first, so every size can come from the previous one.
    order.sort_by_key(|s| std::cmp::Reverse(area(s)));
    let raw_target = |spec: SizeSpec| {
        let (tw, th) = target(spec, dw, dh);
        if orientation >= 5 && !spec.tile { (th, tw) } else { (tw, th) }
    };
    // Can an image (tile or not, w×h in stored orientation) be the source of `spec` without upscaling?
    let covers = |is_tile: bool, w: u32, h: u32, spec: SizeSpec| {
        let (rw, rh) = raw_target(spec);
        if spec.tile { (is_tile && w >= rw) || (!is_tile && w.min(h) >= rw) } else { !is_tile && w >= rw && h >= rh }
    };
    let mut resizer = Resizer::new();
    let lanczos = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut src = Some(src);
    // Images made so far that may still serve as sources, in stored orientation.
    let mut made: Vec<(bool, u32, u32, Vec<u8>)> = Vec::new();
    let mut out = Vec::new();
    let mut smallest_fit: Option<(u32, u32, Vec<u8>)> = None;
    for (i, spec) in order.iter().copied().enumerate() {
        let (rw, rh) = raw_target(spec);
        let from_made = made
            .iter()
            .filter(|(t, w, h, _)| covers(*t, *w, *h, spec))
            .min_by_key(|(_, w, h, _)| u64::from(*w) * u64::from(*h))
            .map(|(_, w, h, p)| (*w, *h, p.as_slice()));
        let source = match (from_made, &src) {
            (Some(m), _) => m,
            (None, Some(s)) => (s.width, s.height, s.pixels.as_slice()),
            (None, None) => anyhow::bail!("no source left for {}", spec.name),
        };
        let pixels = if source.0 == rw && source.1 == rh {
            source.2[..(rw * rh * 3) as usize].to_vec()
        } else {
            let from = ImageRef::new(source.0, source.1, source.2, PixelType::U8x3)
                .map_err(|e| anyhow::anyhow!("resize source: {e}"))?;
            let mut dst = Image::new(rw, rh, PixelType::U8x3);
            let options = if spec.tile { lanczos.fit_into_destination(Some((0.5, 0.5))) } else { lanczos };
            resizer.resize(&from, &mut dst, &options).map_err(|e| anyhow::anyhow!("resize: {e}"))?;
            dst.into_vec()
        };
        let rest = &order[i + 1..];
        let (ow, oh, oriented) = orient(&pixels, rw, rh, orientation);
        let jpeg = encode(&oriented, ow, oh, quality, icc)?;
        if !spec.tile && smallest_fit.as_ref().is_none_or(|(w, h, _)| ow * oh < w * h) {
            smallest_fit = Some((ow, oh, oriented));
        }
        made.push((spec.tile, rw, rh, pixels));
        // Keep only what a remaining size still needs: each remaining size takes the smallest
        // image that covers it, so larger ones can go.
        let keep: Vec<bool> = made
            .iter()
            .map(|(t, w, h, _)| {
                rest.iter().any(|s| {
                    covers(*t, *w, *h, *s)
                        && !made.iter().any(|(t2, w2, h2, _)| {
                            u64::from(*w2) * u64::from(*h2) < u64::from(*w) * u64::from(*h) && covers(*t2, *w2, *h2, *s)
                        })
                })
            })
            .collect();
        let mut k = keep.iter();
        made.retain(|_| *k.next().unwrap_or(&false));
        if !rest.is_empty() && rest.iter().all(|s| made.iter().any(|(t, w, h, _)| covers(*t, *w, *h, *s))) {
            src = None;
        }
        out.push(Thumb { spec, width: ow, height: oh, jpeg });
    }
    let placeholder = match (smallest_fit, src) {
        (Some((w, h, px)), _) => placeholder(&px, w, h)?,
        (None, Some(s)) => {
            let (w, h, px) = orient(&s.pixels, s.width, s.height, orientation);
            placeholder(&px, w, h)?
        }
        (None, None) => anyhow::bail!("no fit size made and no source left for the placeholder"),
    };
    Ok((out, placeholder))
}

/// A ThumbHash (needs at most 100×100 pixels).
fn placeholder(rgb: &[u8], w: u32, h: u32) -> anyhow::Result<Vec<u8>> {
    let s = (100.0 / w as f64).min(100.0 / h as f64).min(1.0);
    let (pw, ph) = (((w as f64 * s).round() as u32).max(1), ((h as f64 * s).round() as u32).max(1));
    let from = ImageRef::new(w, h, rgb, PixelType::U8x3).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut dst = Image::new(pw, ph, PixelType::U8x3);
    Resizer::new()
        .resize(&from, &mut dst, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rgba: Vec<u8> = dst.buffer().chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    Ok(thumbhash::rgba_to_thumb_hash(pw as usize, ph as usize, &rgba))
}

pub fn encode(rgb: &[u8], w: u32, h: u32, quality: u8, icc: Option<&[u8]>) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity((w * h / 4) as usize + 1024);
    let mut enc = jpeg_encoder::Encoder::new(&mut buf, quality);
    if let Some(profile) = icc.filter(|p| !p.is_empty()) {
        enc.add_icc_profile(profile)?;
    }
    enc.encode(rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)?;
    Ok(buf)
}

/// Applies an EXIF orientation (1–8) to RGB pixels; returns the new width, height and pixels.
pub fn orient(px: &[u8], w: u32, h: u32, orientation: u8) -> (u32, u32, Vec<u8>) {
    let (w, h) = (w as usize, h as usize);
    if orientation <= 1 || orientation > 8 {
        return (w as u32, h as u32, px[..w * h * 3].to_vec());
    }
    let (nw, nh) = if orientation >= 5 { (h, w) } else { (w, h) };
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            // Where the stored pixel (x, y) lands in the displayed picture.
            let (nx, ny) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x),
            };
            let s = (y * w + x) * 3;
            let d = (ny * nw + nx) * 3;
            out[d..d + 3].copy_from_slice(&px[s..s + 3]);
        }
    }
    (nw as u32, nh as u32, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_six_rotates_clockwise() {
        // 2×1: red, green. Stored landscape; orientation 6 shows it rotated 90° clockwise:
        // 1×2 with red on top.
        let px = [255, 0, 0, 0, 255, 0];
        let (w, h, out) = orient(&px, 2, 1, 6);
        assert_eq!((w, h), (1, 2));
        assert_eq!(&out[..3], &[255, 0, 0]);
        let (_, _, out8) = orient(&px, 2, 1, 8);
        assert_eq!(&out8[..3], &[0, 255, 0]);
    }

    #[test]
    fn fits_never_upscale_and_tiles_are_exact() {
        assert_eq!(target(size("fit_720").unwrap(), 4000, 3000), (720, 540));
        assert_eq!(target(size("fit_1920").unwrap(), 4000, 3000), (1600, 1200));
        assert_eq!(target(size("fit_1920").unwrap(), 640, 480), (640, 480));
        assert_eq!(target(size("tile_224").unwrap(), 640, 480), (224, 224));
    }
}
