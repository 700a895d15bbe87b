//! Metadata stripped from an original on its way out, for share links that hide metadata: the
//! picture's bytes are kept exactly, everything that can name a place, a camera, a person or a
//! file goes. Only formats whose metadata containers are fully known here are stripped; anything
//! else is refused rather than served with its metadata.

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

/// The original without its metadata, or None when `format` is one this module cannot strip
/// (WebP, GIF, …) or the bytes are not a well-formed file of that format.
pub fn strip_metadata(format: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match format {
        "jpeg" => strip_jpeg(bytes),
        "png" => strip_png(bytes),
        _ => None,
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
        assert_eq!(strip_metadata("jpeg", &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]), None);
        assert_eq!(strip_metadata("png", b"\x89PNG\r\n\x1a\n\0\0\0\x05IHDR"), None);
    }
}
