//! Phone and camera pictures made at test time by real encoders: HEIC and AVIF by libheif's
//! `heif-enc` (from a JPEG or PNG written here), so what is tested is what phones write.

use std::path::Path;
use std::process::Command;

use shoebox::library::synth::jpeg;
pub use shoebox::library::synth::{BLUE, GREEN, RED, Spec, WHITE};

/// Runs `heif-enc` on `input` (named `name`, whose suffix tells heif-enc its type) and returns the
/// encoded file. `avif` asks for AV1 instead of HEVC.
fn heif_enc(name: &str, input: &[u8], avif: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join(name);
    std::fs::write(&source, input).unwrap();
    let out = dir.path().join(if avif { "out.avif" } else { "out.heic" });
    let mut cmd = Command::new("heif-enc");
    cmd.arg("-q").arg("85");
    if avif {
        cmd.arg("-A");
    }
    let status =
        cmd.arg("-o").arg(&out).arg(&source).output().expect("heif-enc runs (apt-get install libheif-examples)");
    assert!(status.status.success(), "heif-enc failed: {}", String::from_utf8_lossy(&status.stderr));
    std::fs::read(out).unwrap()
}

/// A HEIC made from a camera JPEG (heif-enc copies its EXIF: date, GPS, camera, orientation).
pub fn heic_from_camera(spec: &Spec) -> Vec<u8> {
    heif_enc("camera.jpg", &jpeg(spec), false)
}

/// An AVIF made from the same camera JPEG.
pub fn avif_from_camera(spec: &Spec) -> Vec<u8> {
    heif_enc("camera.jpg", &jpeg(spec), true)
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
