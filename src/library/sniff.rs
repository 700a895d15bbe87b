//! Deciding a file's type from its first bytes, never from its name.
//!
//! Every format here is recognised; whether it can be read depends on its [`Family`] and the tools
//! found at start (`library::tools`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    /// HEIF with HEVC pictures (iPhone photos).
    Heic,
    /// HEIF with AV1 pictures.
    Avif,
    /// A TIFF container: a plain TIFF, or a TIFF-based RAW (DNG, NEF, ARW, …) that the RAW
    /// reader names after looking at its tags.
    Tiff,
    Dng,
    Cr2,
    Cr3,
    Nef,
    Arw,
    Raf,
    Orf,
    Rw2,
    /// ISO base media: MP4 and M4V.
    Mp4,
    /// QuickTime (iPhone videos and Live Photo clips).
    Mov,
    ThreeGp,
    /// Matroska, and WebM (its subset) — told apart by the DocType, which ffprobe reads.
    Mkv,
    Webm,
    Avi,
}

/// How a format's pictures are got at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Decoded in process (JPEG, PNG, WebP, GIF).
    Still,
    /// Decoded by libheif's `heif-dec`.
    Heif,
    /// Shown through the embedded preview.
    Raw,
    /// Read by ffprobe, poster frame by ffmpeg.
    Video,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Heic => "heic",
            Format::Avif => "avif",
            Format::Tiff => "tiff",
            Format::Dng => "dng",
            Format::Cr2 => "cr2",
            Format::Cr3 => "cr3",
            Format::Nef => "nef",
            Format::Arw => "arw",
            Format::Raf => "raf",
            Format::Orf => "orf",
            Format::Rw2 => "rw2",
            Format::Mp4 => "mp4",
            Format::Mov => "mov",
            Format::ThreeGp => "3gp",
            Format::Mkv => "mkv",
            Format::Webm => "webm",
            Format::Avi => "avi",
        }
    }

    /// The inverse of [`Format::as_str`], for rows read back from the database.
    pub fn parse(name: &str) -> Option<Format> {
        ALL.iter().copied().find(|f| f.as_str() == name)
    }

    pub fn family(self) -> Family {
        match self {
            Format::Jpeg | Format::Png | Format::Webp | Format::Gif => Family::Still,
            Format::Heic | Format::Avif => Family::Heif,
            Format::Tiff
            | Format::Dng
            | Format::Cr2
            | Format::Cr3
            | Format::Nef
            | Format::Arw
            | Format::Raf
            | Format::Orf
            | Format::Rw2 => Family::Raw,
            Format::Mp4 | Format::Mov | Format::ThreeGp | Format::Mkv | Format::Webm | Format::Avi => Family::Video,
        }
    }

    /// The file's own type, as an original is served and downloaded.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Heic => "image/heic",
            Format::Avif => "image/avif",
            Format::Tiff => "image/tiff",
            Format::Dng => "image/x-adobe-dng",
            Format::Cr2 => "image/x-canon-cr2",
            Format::Cr3 => "image/x-canon-cr3",
            Format::Nef => "image/x-nikon-nef",
            Format::Arw => "image/x-sony-arw",
            Format::Raf => "image/x-fuji-raf",
            Format::Orf => "image/x-olympus-orf",
            Format::Rw2 => "image/x-panasonic-rw2",
            Format::Mp4 => "video/mp4",
            Format::Mov => "video/quicktime",
            Format::ThreeGp => "video/3gpp",
            Format::Mkv => "video/x-matroska",
            Format::Webm => "video/webm",
            Format::Avi => "video/x-msvideo",
        }
    }

    /// File name extensions people use for it (the first is the one Shoebox gives), lower case.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Jpeg => &["jpg", "jpeg", "jpe"],
            Format::Png => &["png"],
            Format::Webp => &["webp"],
            Format::Gif => &["gif"],
            Format::Heic => &["heic", "heif", "hif"],
            Format::Avif => &["avif"],
            Format::Tiff => &["tif", "tiff"],
            Format::Dng => &["dng"],
            Format::Cr2 => &["cr2"],
            Format::Cr3 => &["cr3"],
            Format::Nef => &["nef", "nrw"],
            Format::Arw => &["arw", "srf", "sr2"],
            Format::Raf => &["raf"],
            Format::Orf => &["orf"],
            Format::Rw2 => &["rw2"],
            Format::Mp4 => &["mp4", "m4v"],
            Format::Mov => &["mov", "qt"],
            Format::ThreeGp => &["3gp", "3g2"],
            Format::Mkv => &["mkv"],
            Format::Webm => &["webm"],
            Format::Avi => &["avi"],
        }
    }
}

pub const ALL: [Format; 21] = [
    Format::Jpeg,
    Format::Png,
    Format::Webp,
    Format::Gif,
    Format::Heic,
    Format::Avif,
    Format::Tiff,
    Format::Dng,
    Format::Cr2,
    Format::Cr3,
    Format::Nef,
    Format::Arw,
    Format::Raf,
    Format::Orf,
    Format::Rw2,
    Format::Mp4,
    Format::Mov,
    Format::ThreeGp,
    Format::Mkv,
    Format::Webm,
    Format::Avi,
];

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Supported(Format),
    /// A format Shoebox recognises but does not read (BMP, …).
    Unsupported(&'static str),
    NotAnImage,
}

/// How many first bytes [`sniff`] looks at (fewer is fine for short files).
pub const SNIFF_LEN: usize = 64;

pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Supported(Format::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Supported(Format::Png);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Sniffed::Supported(Format::Gif);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" {
        match &head[8..12] {
            b"WEBP" => return Sniffed::Supported(Format::Webp),
            b"AVI " => return Sniffed::Supported(Format::Avi),
            _ => {}
        }
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return iso_brand(head).map_or(Sniffed::NotAnImage, Sniffed::Supported);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let webm = head.windows(4).any(|w| w == b"webm");
        return Sniffed::Supported(if webm { Format::Webm } else { Format::Mkv });
    }
    // QuickTime files without an ftyp box (older cameras) start with another top-level atom.
    if head.len() >= 8 && matches!(&head[4..8], b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot") {
        return Sniffed::Supported(Format::Mov);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        if head.len() >= 10 && &head[8..10] == b"CR" {
            return Sniffed::Supported(Format::Cr2);
        }
        return Sniffed::Supported(Format::Tiff);
    }
    if head.starts_with(b"IIRO") || head.starts_with(b"IIRS") || head.starts_with(b"MMOR") {
        return Sniffed::Supported(Format::Orf);
    }
    if head.starts_with(b"IIU\0") {
        return Sniffed::Supported(Format::Rw2);
    }
    if head.starts_with(b"FUJIFILMCCD-RAW") {
        return Sniffed::Supported(Format::Raf);
    }
    if head.starts_with(b"BM") && head.len() >= 14 {
        return Sniffed::Unsupported("BMP");
    }
    Sniffed::NotAnImage
}

/// An ISO base media file (`ftyp` at offset 4): the major brand, then the compatible ones.
fn iso_brand(head: &[u8]) -> Option<Format> {
    let size = u32::from_be_bytes(head[0..4].try_into().ok()?) as usize;
    let end = size.clamp(16, head.len().max(16)).min(head.len());
    let major = &head[8..12];
    let compatible: Vec<&[u8]> = head.get(16..end).unwrap_or_default().chunks_exact(4).collect();
    let brand = |b: &[u8]| -> Option<Format> {
        Some(match b {
            b"avif" | b"avis" => Format::Avif,
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs" => Format::Heic,
            b"crx " => Format::Cr3,
            b"qt  " => Format::Mov,
            b"3gp4" | b"3gp5" | b"3gp6" | b"3gp7" | b"3g2a" | b"3g2b" | b"3g2c" | b"3ge6" | b"3ge7" | b"3gg6" => {
                Format::ThreeGp
            }
            b"isom" | b"iso2" | b"iso3" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1" | b"M4V "
            | b"M4VH" | b"M4VP" | b"MSNV" | b"dash" | b"mmp4" | b"XAVC" | b"f4v " => Format::Mp4,
            _ => return None,
        })
    };
    // `mif1`/`msf1` only say "HEIF": the compatible brands tell AVIF from HEIC.
    if matches!(major, b"mif1" | b"msf1") {
        return compatible.iter().find_map(|b| brand(b).filter(|f| matches!(f, Format::Avif | Format::Heic)));
    }
    brand(major).or_else(|| compatible.iter().find_map(|b| brand(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE1rest"), Sniffed::Supported(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Sniffed::Supported(Format::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Supported(Format::Webp));
        assert_eq!(sniff(b"GIF89a\x01\0"), Sniffed::Supported(Format::Gif));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), Sniffed::Supported(Format::Heic));
        assert_eq!(sniff(b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf"), Sniffed::Supported(Format::Avif));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\x02\0qt  "), Sniffed::Supported(Format::Mov));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2"), Sniffed::Supported(Format::Mp4));
        assert_eq!(sniff(b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom"), Sniffed::Supported(Format::Cr3));
        assert_eq!(sniff(b"II*\0\x10\0\0\0CR\x02\0"), Sniffed::Supported(Format::Cr2));
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"), Sniffed::Supported(Format::Webm));
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), Sniffed::Supported(Format::Avi));
        assert_eq!(sniff(b"hello world, not a picture"), Sniffed::NotAnImage);
    }
}
