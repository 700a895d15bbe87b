//! Live Photos that carry Apple's ContentIdentifier, made at test time: the still's EXIF with an
//! Apple MakerNote built here (ExifTool's Apple table is the reference), put into a synthetic
//! camera JPEG (and through heif-enc into a HEIC); the clip by ffmpeg with the QuickTime key.

use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};
use shoebox::library::synth::{Spec, jpeg};

use super::photo_fixtures::heic_from_jpeg;
use super::video_fixtures::{VideoSpec, video};

/// The identifier as iPhones write it (upper-case UUIDs); tests make more by changing the end.
pub fn content_id(n: u16) -> String {
    format!("0C6D2B7A-1E5F-4A3B-9C8D-00000000{n:04X}")
}

/// An Apple MakerNote holding `id` as tag 0x0011 (ContentIdentifier), laid out as an iPhone does:
/// `Apple iOS\0`, version 1, the byte order (`MM` or `II`), then an IFD whose value offsets count
/// from the start of the MakerNote. A second entry (0x0008, three shorts of acceleration data)
/// sits before it, so the reader has to walk the IFD.
pub fn apple_maker_note(id: &str, big_endian: bool) -> Vec<u8> {
    let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut note = b"Apple iOS\0\0\x01".to_vec();
    note.extend_from_slice(if big_endian { b"MM" } else { b"II" });
    let entries = 2u16;
    note.extend_from_slice(&u16b(entries));
    // Header (14) + count (2) + entries (12 each) + next-IFD offset (4): where values start.
    let values_at = 14 + 2 + 12 * usize::from(entries) + 4;
    let acceleration: Vec<u8> = [1u16, 2, 3].iter().flat_map(|v| u16b(*v)).collect();
    let text = format!("{id}\0");
    // Entry: tag, type (3 SHORT, 2 ASCII), count, offset of the value.
    note.extend_from_slice(&u16b(0x0008));
    note.extend_from_slice(&u16b(3));
    note.extend_from_slice(&u32b(3));
    note.extend_from_slice(&u32b(values_at as u32));
    note.extend_from_slice(&u16b(0x0011));
    note.extend_from_slice(&u16b(2));
    note.extend_from_slice(&u32b(text.len() as u32));
    note.extend_from_slice(&u32b((values_at + acceleration.len()) as u32));
    note.extend_from_slice(&[0; 4]);
    note.extend_from_slice(&acceleration);
    note.extend_from_slice(text.as_bytes());
    note
}

/// The EXIF block (TIFF header on) of an iPhone still: camera, the date the clip also carries,
/// and the MakerNote.
fn iphone_exif(maker_note: Vec<u8>) -> Vec<u8> {
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let fields = [
        Field { tag: Tag::Make, ifd_num: In::PRIMARY, value: ascii("Apple") },
        Field { tag: Tag::Model, ifd_num: In::PRIMARY, value: ascii("iPhone 15") },
        Field { tag: Tag::DateTimeOriginal, ifd_num: In::PRIMARY, value: ascii("2024:05:06 12:20:30") },
        Field { tag: Tag::OffsetTimeOriginal, ifd_num: In::PRIMARY, value: ascii("+02:00") },
        Field { tag: Tag::MakerNote, ifd_num: In::PRIMARY, value: Value::Undefined(maker_note, 0) },
    ];
    let mut w = Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    w.write(&mut out, false).unwrap();
    out.into_inner()
}

/// `jpeg` with its EXIF APP1 segment replaced by one holding `exif`: the other segments and the
/// image data are kept as they are.
fn with_exif(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut body = b"Exif\0\0".to_vec();
    body.extend_from_slice(exif);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&body);
    let mut i = 2;
    // Segments up to the start of scan: copied unless they are EXIF.
    while jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let segment = &jpeg[i..i + 2 + len];
        if !(jpeg[i + 1] == 0xE1 && segment[4..].starts_with(b"Exif\0\0")) {
            out.extend_from_slice(segment);
        }
        i += 2 + len;
    }
    out.extend_from_slice(&jpeg[i..]);
    out
}

/// A Live Photo's still as a JPEG whose MakerNote carries `id` (big-endian, as iPhones write it,
/// unless `little_endian`).
pub fn live_still_jpeg_with_id(seed: u64, id: &str, little_endian: bool) -> Vec<u8> {
    let picture = jpeg(&Spec { width: 320, height: 240, seed, ..Spec::default() });
    with_exif(&picture, &iphone_exif(apple_maker_note(id, !little_endian)))
}

/// A Live Photo's still as the HEIC an iPhone stores, its EXIF (MakerNote included) copied from
/// the JPEG by heif-enc.
pub fn live_still_heic_with_id(seed: u64, id: &str) -> Vec<u8> {
    heic_from_jpeg(&live_still_jpeg_with_id(seed, id, false))
}

/// A Live Photo's clip: an H.264 QuickTime file of 2 s with the iPhone's creation date and `id` as
/// `com.apple.quicktime.content.identifier`.
pub fn live_clip_mov_with_id(id: &str) -> Vec<u8> {
    clip_with_id(id, 2.0)
}

/// The clip of an edited Live Photo (Photos trims it): the same identifier, 1 s, other bytes.
pub fn edited_live_clip_mov_with_id(id: &str) -> Vec<u8> {
    clip_with_id(id, 1.0)
}

/// ffprobe is asked whether the identifier reads back, so a clip without it never makes a test
/// pass by name alone.
fn clip_with_id(id: &str, seconds: f64) -> Vec<u8> {
    let clip = video(&VideoSpec {
        width: 320,
        height: 240,
        seconds,
        codec: "libx264",
        container: "mov",
        audio: false,
        tags: vec![
            ("com.apple.quicktime.creationdate", "2024-05-06T12:20:30+0200".into()),
            ("com.apple.quicktime.content.identifier", id.to_string()),
        ],
        ..VideoSpec::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mov");
    std::fs::write(&path, &clip).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags=com.apple.quicktime.content.identifier", "-of"])
        .args(["default=noprint_wrappers=1:nokey=1"])
        .arg(&path)
        .output()
        .expect("ffprobe runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), id, "ffprobe reads the identifier back");
    clip
}
