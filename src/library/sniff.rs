//! Deciding a file's type from its first bytes, never from its name.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
        }
    }
}

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Supported(Format),
    /// An image format Shoebox recognises but does not decode (HEIC, AVIF, TIFF, …).
    Unsupported(&'static str),
    NotAnImage,
}

/// Needs the first 16 bytes (fewer is fine for short files).
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
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Sniffed::Supported(Format::Webp);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => Sniffed::Unsupported("HEIC"),
            b"avif" | b"avis" => Sniffed::Unsupported("AVIF"),
            _ => Sniffed::NotAnImage,
        };
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Sniffed::Unsupported("TIFF or camera raw");
    }
    if head.starts_with(b"BM") && head.len() >= 14 {
        return Sniffed::Unsupported("BMP");
    }
    Sniffed::NotAnImage
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
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Sniffed::Unsupported("HEIC"));
        assert_eq!(sniff(b"hello world, not a picture"), Sniffed::NotAnImage);
    }
}
