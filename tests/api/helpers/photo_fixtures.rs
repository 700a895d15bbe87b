//! Phone and camera pictures made at test time by real encoders: HEIC and AVIF by libheif's
//! `heif-enc` (from a JPEG or PNG written here), so what is tested is what phones write.

use std::path::Path;
use std::process::Command;

use shoebox::library::synth::jpeg;
pub use shoebox::library::synth::{BLUE, GREEN, RED, Spec, WHITE};

/// Runs `heif-enc` on `input` (named `name`, whose suffix tells heif-enc its type) and returns the
/// encoded file. `avif` asks for AV1 instead of HEVC.
fn heif_enc(name: &str, input: &[u8], avif: bool) -> Vec<u8> {
    heif_enc_with(name, input, avif, &[])
}

fn heif_enc_with(name: &str, input: &[u8], avif: bool, options: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join(name);
    std::fs::write(&source, input).unwrap();
    let out = dir.path().join(if avif { "out.avif" } else { "out.heic" });
    let mut cmd = Command::new("heif-enc");
    cmd.arg("-q").arg("85").args(options);
    if avif {
        cmd.arg("-A");
    }
    let status =
        cmd.arg("-o").arg(&out).arg(&source).output().expect("heif-enc runs (apt-get install libheif-examples)");
    assert!(status.status.success(), "heif-enc failed: {}", String::from_utf8_lossy(&status.stderr));
    std::fs::read(out).unwrap()
}

/// A HEIC made from a JPEG; heif-enc (libheif 1.15) copies the JPEG's whole EXIF block into the
/// HEIC's `Exif` item, MakerNote included.
pub fn heic_from_jpeg(jpeg: &[u8]) -> Vec<u8> {
    heif_enc("camera.jpg", jpeg, false)
}

/// A HEIC made from a camera JPEG (heif-enc copies its EXIF: date, GPS, camera, orientation).
pub fn heic_from_camera(spec: &Spec) -> Vec<u8> {
    heif_enc("camera.jpg", &jpeg(spec), false)
}

/// An AVIF made from the same camera JPEG.
pub fn avif_from_camera(spec: &Spec) -> Vec<u8> {
    heif_enc("camera.jpg", &jpeg(spec), true)
}

/// A 10-bit HEIC (or AVIF) of the four upright quadrants, as HDR phones and cameras write them:
/// from a 16-bit PNG, by heif-enc with `-b 10` (HEIC) or ffmpeg's AVIF muxer (Debian 12's libaom
/// fails an assertion for 10-bit AVIF through heif-enc).
pub fn ten_bit_heif(width: u32, height: u32, avif: bool) -> Vec<u8> {
    let deep = |c: [u8; 3]| image::Rgb(c.map(|v| u16::from(v) * 257));
    let picture = image::ImageBuffer::from_fn(width, height, |x, y| match (x < width / 2, y < height / 2) {
        (true, true) => deep(RED),
        (false, true) => deep(GREEN),
        (true, false) => deep(BLUE),
        (false, false) => deep(WHITE),
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb16(picture).write_to(&mut png, image::ImageFormat::Png).unwrap();
    if !avif {
        return heif_enc_with("deep.png", png.get_ref(), false, &["-b", "10"]);
    }
    let dir = tempfile::tempdir().unwrap();
    let (source, out) = (dir.path().join("deep.png"), dir.path().join("deep.avif"));
    std::fs::write(&source, png.get_ref()).unwrap();
    let done = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&source)
        .args(["-frames:v", "1", "-c:v", "libaom-av1", "-pix_fmt", "yuv420p10le", "-still-picture", "1", "-f", "avif"])
        .arg(&out)
        .output()
        .expect("ffmpeg runs");
    assert!(done.status.success(), "ffmpeg failed: {}", String::from_utf8_lossy(&done.stderr));
    std::fs::read(out).unwrap()
}

/// Whether the HEIF file carries its own rotation (`irot`): newer heif-enc versions turn a JPEG's
/// EXIF orientation into one, older ones copy the EXIF only.
pub fn has_heif_rotation(heif: &[u8]) -> bool {
    heif.windows(4).any(|w| w == b"irot")
}

/// The decode folder under a storage path, and what is in it.
pub fn decode_leftovers(storage: &Path) -> Vec<String> {
    std::fs::read_dir(storage.join("decode-tmp"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// A decoded JPEG: width, height and RGB pixels.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

pub fn decode_jpeg(bytes: &[u8]) -> Picture {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let rgb = d.decode().expect("a JPEG");
    let info = d.info().unwrap();
    Picture { width: u32::from(info.width), height: u32::from(info.height), rgb }
}

impl Picture {
    pub fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Panics unless the synthetic quadrants are where they belong when the picture is upright:
    /// red top-left, green top-right, blue bottom-left, white bottom-right.
    pub fn assert_upright(&self, what: &str) {
        let (w, h) = (self.width, self.height);
        for (x, y, want, name) in [
            (w / 4, h / 4, RED, "red"),
            (3 * w / 4, h / 4, GREEN, "green"),
            (w / 4, 3 * h / 4, BLUE, "blue"),
            (3 * w / 4, 3 * h / 4, WHITE, "white"),
        ] {
            let got = self.at(x, y);
            let close = got.iter().zip(want).all(|(a, b)| (i16::from(*a) - i16::from(b)).abs() < 40);
            assert!(close, "{what}: expected {name} at ({x},{y}), got {got:?}");
        }
    }
}

/// One TIFF tag: tag, type (1 BYTE, 2 ASCII, 3 SHORT, 4 LONG), count and little-endian value.
struct Tag(u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, text: &str) -> Tag {
    let mut v = text.as_bytes().to_vec();
    v.push(0);
    Tag(tag, 2, v.len() as u32, v)
}

fn short(tag: u16, value: u16) -> Tag {
    Tag(tag, 3, 1, value.to_le_bytes().to_vec())
}

fn long(tag: u16, value: u32) -> Tag {
    Tag(tag, 4, 1, value.to_le_bytes().to_vec())
}

/// Appends an IFD (tags sorted, as TIFF wants) with its out-of-line values right after it.
fn write_ifd(out: &mut Vec<u8>, mut tags: Vec<Tag>, next: u32) {
    tags.sort_by_key(|t| t.0);
    let data_start = out.len() + 2 + tags.len() * 12 + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
    for Tag(tag, kind, count, value) in tags {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value;
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&((data_start + data.len()) as u32).to_le_bytes());
            data.extend_from_slice(&value);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    out.extend_from_slice(&next.to_le_bytes());
    out.extend_from_slice(&data);
}

/// A plain JPEG of `rgb` (no metadata), as a camera embeds its preview.
fn bare_jpeg(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(rgb, width as u16, height as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// A DNG as a camera lays it out: IFD0 with DNGVersion, Make, Model and Orientation, the EXIF IFD
/// with DateTimeOriginal, a full-size JPEG preview (stored turned as `spec.orientation` says,
/// without EXIF of its own) and, in IFD1, a small dark thumbnail that must not be the one shown.
pub fn dng(spec: &Spec) -> Vec<u8> {
    let (w, h) = (spec.width, spec.height);
    let inverse = match spec.orientation {
        6 => 8,
        8 => 6,
        o => o,
    };
    let (sw, sh, stored) =
        shoebox::library::thumbs::orient(&shoebox::library::synth::pixels(w, h, spec.seed), w, h, inverse);
    let preview = bare_jpeg(&stored, sw, sh);
    let thumb = bare_jpeg(&vec![10u8; 160 * 120 * 3], 160, 120);

    let mut out = b"II*\0\0\0\0\0".to_vec();
    let preview_at = out.len() as u32;
    out.extend_from_slice(&preview);
    let thumb_at = out.len() as u32;
    out.extend_from_slice(&thumb);
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let exif_at = out.len() as u32;
    let taken = spec.taken.clone().unwrap_or_else(|| "2022:08:20 14:05:00".into());
    write_ifd(&mut out, vec![ascii(0x9003, &taken), ascii(0x9004, &taken)], 0);
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let ifd0_at = out.len() as u32;
    let ifd0_tags = || {
        vec![
            long(0x00FE, 1),
            ascii(0x010F, &spec.make),
            ascii(0x0110, &spec.model),
            short(0x0112, u16::from(spec.orientation)),
            long(0x0201, preview_at),
            long(0x0202, preview.len() as u32),
            long(0x8769, exif_at),
            Tag(0xC612, 1, 4, vec![1, 4, 0, 0]),
        ]
    };
    // Its length, to place IFD1 right after it.
    let mut ifd0 = Vec::new();
    write_ifd(&mut ifd0, ifd0_tags(), 0);
    let ifd1_at = ifd0_at + ifd0.len() as u32 + (ifd0.len() % 2) as u32;
    write_ifd(&mut out, ifd0_tags(), ifd1_at);
    if out.len() % 2 == 1 {
        out.push(0);
    }
    write_ifd(&mut out, vec![long(0x0201, thumb_at), long(0x0202, thumb.len() as u32)], 0);
    out[4..8].copy_from_slice(&ifd0_at.to_le_bytes());
    out
}

/// A DNG whose previews are gone (their bytes zeroed): a RAW Shoebox cannot show.
pub fn dng_without_preview(spec: &Spec) -> Vec<u8> {
    let mut bytes = dng(spec);
    let end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]).unwrap() + 2;
    bytes[8..end].fill(0);
    bytes
}

/// A scanner's TIFF: no DNGVersion and no camera maker.
pub fn plain_tiff() -> Vec<u8> {
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    write_ifd(&mut out, vec![long(0x0100, 16), long(0x0101, 16), ascii(0x010F, "Flatbed Scanners Inc")], 0);
    out
}
