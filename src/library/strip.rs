//! Metadata stripped from an original on its way out, for share links that hide metadata: the
//! picture's bytes are kept exactly, everything that can name a place, a camera, a person or a
//! file goes. Only formats whose metadata containers are fully known here are stripped (JPEG,
//! PNG, WebP, GIF); anything else is refused rather than served with its metadata.

/// JPEG markers kept before the scan: JFIF (APP0), the ICC profile (APP2) and Adobe's colour
/// transform (APP14), which decoders need to show the colours right. Every other APPn (EXIF and
/// XMP in APP1, IPTC in APP13, maker data elsewhere) and comments (COM) are dropped.
fn jpeg_marker_kept(marker: u8) -> bool {
    match marker {
        0xE0 | 0xE2 | 0xEE => true,
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

/// PNG chunks that carry text, EXIF or a timestamp.
const PNG_DROPPED: [&[u8; 4]; 5] = [b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"];

/// WebP chunks that make the picture (VP8X's header, lossy and lossless frames, alpha,
/// animation) and its colour profile. Everything else — EXIF, XMP and chunks unknown here — goes:
/// a list of what to keep cannot miss a new metadata chunk.
const WEBP_KEPT: [&[u8; 4]; 7] = [b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"];

/// VP8X flags announcing EXIF (bit 3) and XMP (bit 2) chunks, cleared with the chunks.
const VP8X_METADATA_FLAGS: u8 = 0b0000_1100;

/// GIF application extensions kept: the looping of animations (Netscape's and its twin).
const GIF_APPS_KEPT: [&[u8; 11]; 2] = [b"NETSCAPE2.0", b"ANIMEXTS1.0"];

/// Whether originals in `format` can be stripped of their metadata (the others are not served
/// where metadata is hidden).
pub fn strippable(format: &str) -> bool {
    matches!(format, "jpeg" | "png" | "webp" | "gif")
}

/// The original without its metadata, or None when `format` is one this module cannot strip
/// (HEIC, TIFF, RAW, videos, …) or the bytes are not a well-formed file of that format.
pub fn strip_metadata(format: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match format {
        "jpeg" => strip_jpeg(bytes),
        "png" => strip_png(bytes),
        "webp" => strip_webp(bytes),
        "gif" => strip_gif(bytes),
        _ => None,
    }
}

fn strip_webp(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return None;
    }
    let riff_end = 8usize.checked_add(u32::from_le_bytes(bytes[4..8].try_into().ok()?) as usize)?;
    if riff_end > bytes.len() {
        return None;
    }
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    let mut at = 12;
    let mut pictures = 0;
    while at < riff_end {
        let header = bytes.get(at..at + 8)?;
        let size = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
        // Chunks are padded to an even length.
        let end = at.checked_add(8)?.checked_add(size)?.checked_add(size % 2)?;
        let chunk = bytes.get(at..end.min(riff_end))?;
        if end > riff_end && end - riff_end != 1 {
            return None;
        }
        let kind: &[u8; 4] = header[..4].try_into().ok()?;
        if WEBP_KEPT.contains(&kind) {
            let start = out.len();
            out.extend_from_slice(chunk);
            if kind == b"VP8X" {
                *out.get_mut(start + 8)? &= !VP8X_METADATA_FLAGS;
            }
            if matches!(kind, b"VP8 " | b"VP8L" | b"ANMF") {
                pictures += 1;
            }
        }
        at = end;
    }
    if pictures == 0 {
        return None;
    }
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let riff_size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Some(out)
}

/// The end of the data sub-blocks starting at `at` (just past their zero-length terminator).
fn gif_sub_blocks_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *bytes.get(at)? as usize;
        at += 1;
        if len == 0 {
            return Some(at);
        }
        at += len;
    }
}

fn strip_gif(bytes: &[u8]) -> Option<Vec<u8>> {
    if !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        return None;
    }
    let flags = *bytes.get(10)?;
    let color_table = |flags: u8| if flags & 0x80 != 0 { 3 << ((flags & 0x07) + 1) } else { 0 };
    let mut at = 13 + color_table(flags);
    let mut out = bytes.get(..at)?.to_vec();
    let mut frames = 0;
    loop {
        match *bytes.get(at)? {
            // Trailer.
            0x3B => {
                out.push(0x3B);
                return (frames > 0).then_some(out);
            }
            // Image descriptor, its local colour table, the LZW code size and the image data.
            0x2C => {
                let local = *bytes.get(at + 9)?;
                let data = at + 10 + color_table(local) + 1;
                let end = gif_sub_blocks_end(bytes, data)?;
                out.extend_from_slice(&bytes[at..end]);
                frames += 1;
                at = end;
            }
            0x21 => {
                let label = *bytes.get(at + 1)?;
                let end = gif_sub_blocks_end(bytes, at + 2)?;
                let kept = match label {
                    // Graphic control (delays, transparency) and plain text (drawn on the picture).
                    0xF9 | 0x01 => true,
                    // Application extensions: the looping ones only (XMP and the rest go).
                    0xFF => {
                        bytes.get(at + 2) == Some(&11) && {
                            let id: Option<&[u8; 11]> = bytes.get(at + 3..at + 14).and_then(|b| b.try_into().ok());
                            id.is_some_and(|id| GIF_APPS_KEPT.contains(&id))
                        }
                    }
                    // Comments and anything unknown.
                    _ => false,
                };
                if kept {
                    out.extend_from_slice(&bytes[at..end]);
                }
                at = end;
            }
            _ => return None,
        }
    }
}

fn strip_jpeg(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut at = 2;
    loop {
        // Fill bytes (0xFF runs) may precede a marker.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if bytes.get(at) != Some(&0xFF) {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        if marker == 0xD9 {
            out.extend_from_slice(&bytes[at..at + 2]);
            return Some(out);
        }
        let len = u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]) as usize;
        if len < 2 {
            return None;
        }
        let end = at + 2 + len;
        if end > bytes.len() {
            return None;
        }
        if marker == 0xDA {
            // Start of scan: the entropy-coded data and everything after it is the picture
            // itself (no metadata segment may follow inside a baseline or progressive stream
            // that decoders would read as such).
            out.extend_from_slice(&bytes[at..]);
            return Some(out);
        }
        if jpeg_marker_kept(marker) {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
}

fn strip_png(bytes: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut at = SIGNATURE.len();
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = bytes.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(len)?;
        if end > bytes.len() {
            return None;
        }
        if !PNG_DROPPED.iter().any(|d| d.as_slice() == kind) {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn png_text_and_exif_chunks_are_dropped_and_the_rest_kept_in_order() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let ihdr = png_chunk(b"IHDR", &[0; 13]);
        let idat = png_chunk(b"IDAT", b"pixels");
        let iend = png_chunk(b"IEND", b"");
        png.extend(&ihdr);
        png.extend(png_chunk(b"tEXt", b"Comment\0secret place"));
        png.extend(png_chunk(b"eXIf", b"MM\0*GPS"));
        png.extend(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"));
        png.extend(&idat);
        png.extend(&iend);
        let out = strip_metadata("png", &png).unwrap();
        let mut expected = b"\x89PNG\r\n\x1a\n".to_vec();
        expected.extend(ihdr);
        expected.extend(idat);
        expected.extend(iend);
        assert_eq!(out, expected);
    }

    #[test]
    fn jpeg_app1_app13_and_comments_are_dropped_app0_and_the_scan_kept() {
        let seg = |m: u8, data: &[u8]| {
            let mut s = vec![0xFF, m];
            s.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(data);
            s
        };
        let app0 = seg(0xE0, b"JFIF\0\x01\x01");
        let dqt = seg(0xDB, &[0; 65]);
        let sos = [seg(0xDA, &[1, 1, 0, 0, 63, 0]), vec![0x12, 0x34, 0xFF, 0x00, 0xFF, 0xD9]].concat();
        let jpeg = [
            vec![0xFF, 0xD8],
            app0.clone(),
            seg(0xE1, b"Exif\0\0GPS"),
            seg(0xED, b"Photoshop 3.0\0"),
            seg(0xFE, b"a comment"),
            dqt.clone(),
            sos.clone(),
        ]
        .concat();
        let out = strip_metadata("jpeg", &jpeg).unwrap();
        assert_eq!(out, [vec![0xFF, 0xD8], app0, dqt, sos].concat());
    }

    #[test]
    fn formats_it_cannot_strip_and_damaged_files_give_nothing() {
        assert_eq!(strip_metadata("webp", b"RIFF...."), None);
        assert_eq!(strip_metadata("gif", b"GIF89a\x01\0\x01\0\0\0\0\x21\xFE\x05ab"), None);
        assert_eq!(strip_metadata("heic", b"\0\0\0\x18ftypheic"), None);
        assert_eq!(strip_metadata("jpeg", &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]), None);
        assert_eq!(strip_metadata("png", b"\x89PNG\r\n\x1a\n\0\0\0\x05IHDR"), None);
    }
}
