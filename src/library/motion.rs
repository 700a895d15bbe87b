//! Motion Photos (Google, Samsung): the MP4 clip a JPEG or HEIC carries after its own bytes, found
//! through the XMP the camera writes — the older `GCamera:MicroVideoOffset` (bytes from the end of
//! the file), or the `Container:Directory` whose `MotionPhoto` item gives the clip's length (it
//! is the file's last item). The offset must land on an MP4 `ftyp` box: an XMP that lies costs
//! the photo its live badge, nothing else.

use super::metadata;

/// How far into the file the XMP packet is looked for.
const XMP_WITHIN: usize = 1 << 20;

/// The clip's offset and length in `bytes`, or None when the file carries none.
pub fn embedded_clip(bytes: &[u8]) -> Option<(u64, u64)> {
    // The XMP comes first (a JPEG's APP1, a HEIC's metadata): a still without one is not read
    // to its end again.
    let head = &bytes[..bytes.len().min(XMP_WITHIN)];
    let xmp = std::str::from_utf8(metadata::find_xmp(head)?).ok()?;
    let from_end = micro_video_offset(xmp).or_else(|| motion_item_length(xmp))?;
    let len = bytes.len() as u64;
    if from_end < 8 || from_end >= len {
        return None;
    }
    let start = len - from_end;
    let at = usize::try_from(start).ok()?;
    (bytes.get(at + 4..at + 8) == Some(b"ftyp".as_slice())).then_some((start, from_end))
}

/// `GCamera:MicroVideo="1"` with `GCamera:MicroVideoOffset="N"`.
fn micro_video_offset(xmp: &str) -> Option<u64> {
    (attribute(xmp, "GCamera:MicroVideo")? == "1").then_some(())?;
    attribute(xmp, "GCamera:MicroVideoOffset")?.parse().ok()
}

/// The `Item:Length` of the directory item whose `Item:Semantic` is `MotionPhoto`.
fn motion_item_length(xmp: &str) -> Option<u64> {
    xmp.split("<rdf:li").find_map(|item| {
        (attribute(item, "Item:Semantic")? == "MotionPhoto").then_some(())?;
        attribute(item, "Item:Length")?.parse().ok()
    })
}

/// The value of `name="…"` (or `name='…'`) in an XMP packet, or of the element `<name>…</name>`.
fn attribute<'a>(xmp: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = xmp;
    while let Some(i) = rest.find(name) {
        let after = &rest[i + name.len()..];
        let before_ok = i == 0 || rest[..i].ends_with(|c: char| c.is_whitespace() || c == '<');
        if before_ok {
            let trimmed = after.trim_start();
            if let Some(v) = trimmed.strip_prefix('=') {
                let v = v.trim_start();
                let quote = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
                let v = &v[1..];
                return v.find(quote).map(|end| v[..end].trim());
            }
            if let Some(v) = after.strip_prefix('>') {
                return v.find('<').map(|end| v[..end].trim());
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_clip(xmp: &str, clip: &[u8]) -> Vec<u8> {
        let mut bytes = b"\xFF\xD8 still ".to_vec();
        bytes.extend_from_slice(xmp.as_bytes());
        bytes.extend_from_slice(b" more still bytes ");
        bytes.extend_from_slice(clip);
        bytes
    }

    const CLIP: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0isommp42 and the rest of the clip";

    #[test]
    fn a_micro_video_offset_finds_the_clip_at_the_end() {
        let xmp = format!(
            r#"<x:xmpmeta><rdf:Description GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{}"/></x:xmpmeta>"#,
            CLIP.len()
        );
        let bytes = with_clip(&xmp, CLIP);
        assert_eq!(embedded_clip(&bytes), Some(((bytes.len() - CLIP.len()) as u64, CLIP.len() as u64)));
    }

    #[test]
    fn a_container_directory_motion_item_finds_the_clip() {
        let xmp = format!(
            r#"<x:xmpmeta><Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource">
            <Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0"/></rdf:li>
            <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto"
            Item:Length="{}"/></rdf:li></rdf:Seq></Container:Directory></x:xmpmeta>"#,
            CLIP.len()
        );
        let bytes = with_clip(&xmp, CLIP);
        assert_eq!(embedded_clip(&bytes).map(|c| c.1), Some(CLIP.len() as u64));
    }

    #[test]
    fn an_offset_that_does_not_land_on_ftyp_is_no_clip() {
        let xmp = r#"<x:xmpmeta><rdf:Description GCamera:MicroVideo="1" GCamera:MicroVideoOffset="30"/></x:xmpmeta>"#;
        assert_eq!(embedded_clip(&with_clip(xmp, CLIP)), None);
        let huge =
            r#"<x:xmpmeta><rdf:Description GCamera:MicroVideo="1" GCamera:MicroVideoOffset="99999"/></x:xmpmeta>"#;
        assert_eq!(embedded_clip(&with_clip(huge, CLIP)), None);
        let off = r#"<x:xmpmeta><rdf:Description GCamera:MicroVideo="0" GCamera:MicroVideoOffset="49"/></x:xmpmeta>"#;
        assert_eq!(embedded_clip(&with_clip(off, CLIP)), None);
    }
}
