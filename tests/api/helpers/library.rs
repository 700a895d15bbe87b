//! Fixtures for the library: pictures made on the spot, originals written to storage, rows put
//! straight in the database, and indexing through the API.

use std::time::Duration;

use serde_json::Value;
use shoebox::library::synth::{self, Spec};

use super::TestApp;

pub fn write_original(app: &TestApp, rel: &str, bytes: &[u8]) {
    let path = app.originals_path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn camera_jpeg(seed: u64) -> Vec<u8> {
    synth::jpeg(&Spec {
        width: 800,
        height: 600,
        taken: Some("2023:07:14 18:30:05".into()),
        offset: Some("+02:00".into()),
        gps: Some((47.3769, -8.5417, 408.0)),
        seed,
        ..Default::default()
    })
}

/// Runs an index through the API (waiting out one already running, e.g. the one at startup)
/// and returns its summary.
pub async fn run_index(app: &TestApp, csrf: &str) -> Value {
    for _ in 0..600 {
        let r = app.start_index(csrf).await;
        match r.status().as_u16() {
            202 => return wait_for_index(app).await,
            409 => tokio::time::sleep(Duration::from_millis(50)).await,
            s => panic!("POST /api/v1/index answered {s}"),
        }
    }
    panic!("an index kept running");
}

/// Waits until the index running (the one at startup, say) has finished; needs an administrator.
pub async fn wait_for_index(app: &TestApp) -> Value {
    for _ in 0..1200 {
        let v: Value = app.index_status().await.json().await.unwrap();
        if v["running"] == false && v["last"]["event"] == "finished" {
            return v["last"]["summary"].clone();
        }
        assert_ne!(v["last"]["event"], "failed", "index failed: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the index did not finish");
}

pub async fn photos(app: &TestApp) -> Vec<Value> {
    let r = app.photos("").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["photos"].as_array().unwrap().clone()
}

pub async fn file_rows(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT path, status, reason FROM files ORDER BY path").fetch_all(&app.db).await.unwrap()
}

/// A small JPEG whose frame header claims 60000×60000 pixels.
pub fn jpeg_bomb() -> Vec<u8> {
    let mut bytes = synth::jpeg(&Spec { width: 64, height: 48, ..Default::default() });
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline frame header");
    // FFC0, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&60000u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&60000u16.to_be_bytes());
    bytes
}

/// A JPEG taken at `taken` (`2023:07:14 18:30:05`), distinct per seed.
pub fn photo(taken: &str, seed: u64) -> Vec<u8> {
    synth::jpeg(&Spec { width: 320, height: 240, taken: Some(taken.into()), seed, ..Default::default() })
}

/// A camera picture taken at `taken` (`2023:07:14 18:30:05`), in Zürich.
pub fn dated_jpeg(taken: &str, seed: u64) -> Vec<u8> {
    synth::jpeg(&Spec {
        width: 640,
        height: 480,
        taken: Some(taken.into()),
        offset: Some("+02:00".into()),
        gps: Some((47.3769, 8.5417, 408.0)),
        seed,
        ..Default::default()
    })
}

/// `n` photo rows for `owner` straight in the database (a big library without the pictures),
/// one a day back from 2024-12-31. Returns their ids, newest first.
pub async fn many_photos(app: &TestApp, owner: i64, n: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let taken = 1_735_603_200 - i * 86_400;
        let local = chrono::DateTime::from_timestamp(taken, 0).unwrap().format("%Y-%m-%dT%H:%M:%S").to_string();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO photos (owner_id, hash, format, width, height, taken_at, taken_local, taken_source, \
             placeholder, created_at, updated_at) VALUES (?, ?, 'jpeg', 640, 480, ?, ?, 'exif_original', ?, 0, 0) \
             RETURNING id",
        )
        .bind(owner)
        .bind(format!("{:064x}", i + owner * 1_000_000))
        .bind(taken)
        .bind(local)
        .bind(vec![0x93u8, 0x18, 0x0a, 0x35, 0x86, 0x37, 0x89, 0x87, 0x78, 0x88, 0x77, 0x87, 0x88, 0x70, 0x78, 0x08])
        .fetch_one(&app.db)
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

/// `n` skipped files straight in the database, each with a long reason the way a decoder error
/// reads, in path order `import/…/IMG_0000.HEIC`, `IMG_0001.HEIC`, …
pub async fn many_skipped_files(app: &TestApp, n: usize) -> Vec<String> {
    // The index at startup would mark these files missing: none is on disk.
    wait_for_index(app).await;
    let mut paths = Vec::new();
    for i in 0..n {
        let path = format!("admin/2019/imported from the old laptop on a rainy afternoon/IMG_{i:04}.HEIC");
        let reason = format!(
            "not a picture Shoebox can read: the decoder stopped at byte {i} of the file with \"unsupported \
             compression in the HEIF container (hvc1); convert it to JPEG, PNG or WebP and copy it again\"; \
             the file stays where it is and is tried again when it changes. {}",
            "Details: ".repeat(12)
        );
        sqlx::query(
            "INSERT INTO files (path, size, mtime_ns, status, reason, indexed_at) VALUES (?, 1, 0, 'skipped', ?, 0)",
        )
        .bind(&path)
        .bind(reason)
        .execute(&app.db)
        .await
        .unwrap();
        paths.push(path);
    }
    paths
}

/// A small progressive JPEG (SOF2, three components) whose frame header claims `width`×`height`.
pub fn progressive_jpeg_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = progressive_jpeg(16, 16);
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC2]).expect("progressive frame header");
    // FFC2, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

/// A real progressive JPEG of `width`×`height` (4:2:0), taken in July 2023.
pub fn progressive_jpeg(width: u16, height: u16) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(width), i / u32::from(width));
            [(x * 255 / u32::from(width)) as u8, (y * 255 / u32::from(height)) as u8, 128]
        })
        .collect();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
    enc.set_progressive(true);
    enc.encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// A GIF with a 1×1 logical screen and one `width`×`height` frame holding a few bytes of data.
pub fn gif_frame_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut b = b"GIF89a".to_vec();
    // Screen 1×1, a global colour table of two entries.
    b.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    b.push(0x2C);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.push(0);
    // LZW minimum code size 2, one sub-block: clear code, a pixel, end of information.
    b.extend_from_slice(&[2, 2, 0x4C, 0x01, 0, 0x3B]);
    b
}

/// A PNG whose header claims `width`×`height` 8-bit RGB, with a tiny (cut) zlib stream.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    png(width, height, 2, &[0x78, 0x9C, 0x63, 0x60, 0x00, 0x00])
}

/// A complete 8-bit greyscale PNG of `width`×`height` black pixels: a few hundred kilobytes that
/// decode to `width`×`height` bytes and then to RGB.
pub fn black_png(width: u32, height: u32) -> Vec<u8> {
    let raw = u64::from(width + 1) * u64::from(height);
    // Deflate with the fixed code: one literal 0, then matches of 258 bytes at distance 1.
    let mut bits = BitWriter::default();
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman codes
    bits.put_code(0b0011_0000, 8); // literal 0
    let mut left = raw - 1;
    while left >= 258 {
        bits.put_code(0b1100_0101, 8); // length 258
        bits.put_code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.put_code(0b0011_0000, 8);
    }
    bits.put_code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend_from_slice(&bits.finish());
    // Adler-32 of zeros: a stays 1, b adds 1 per byte.
    let adler = (((raw % 65521) as u32) << 16) | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());
    png(width, height, 0, &zlib)
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// `count` bits of `value`, least significant first (deflate's order for non-code fields).
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, which deflate packs most significant bit first.
    fn put_code(&mut self, code: u64, count: u32) {
        let reversed = (0..count).fold(0, |r, i| r | (((code >> i) & 1) << (count - 1 - i)));
        self.put(reversed, count);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn png(width: u32, height: u32, color_type: u8, idat: &[u8]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = out[start..].iter().fold(!0u32, |mut c, &byte| {
            c ^= u32::from(byte);
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            }
            c
        });
        out.extend_from_slice(&(!crc).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, color_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A lossless WebP whose header claims `width`×`height` (at most 16384 each), with no image data.
pub fn webp_bomb(width: u32, height: u32) -> Vec<u8> {
    let bits = (width - 1) | ((height - 1) << 14) | (1 << 28);
    let mut vp8l = vec![0x2F];
    vp8l.extend_from_slice(&bits.to_le_bytes());
    vp8l.extend_from_slice(&[0; 11]);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(4 + 8 + vp8l.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WEBPVP8L");
    out.extend_from_slice(&(vp8l.len() as u32).to_le_bytes());
    out.extend_from_slice(&vp8l);
    out
}

/// A JPEG that records no date and no place (a screenshot, a picture saved from a chat).
pub fn undated_jpeg(seed: u64) -> Vec<u8> {
    synth::jpeg(&Spec { width: 320, height: 240, seed, ..Default::default() })
}

/// A landscape-like picture for screenshots: a sky and a sea in colours chosen by `seed`, a
/// horizon at a height chosen by it, a sun. No metadata.
pub fn scenery_jpeg(width: u16, height: u16, seed: u64) -> Vec<u8> {
    let pick = |k: u64| ((seed.wrapping_mul(2_654_435_761).wrapping_add(k * 40_503)) % 1000) as f32 / 1000.0;
    let sky = [90.0 + 120.0 * pick(1), 130.0 + 90.0 * pick(2), 200.0 + 50.0 * pick(3)];
    let dusk = [230.0 + 25.0 * pick(4), 120.0 + 100.0 * pick(5), 80.0 + 60.0 * pick(6)];
    let sea = [20.0 + 60.0 * pick(7), 70.0 + 80.0 * pick(8), 90.0 + 90.0 * pick(9)];
    let horizon = 0.45 + 0.25 * pick(10);
    let (sun_x, sun_y, sun_r) = (0.2 + 0.6 * pick(11), horizon - 0.12 - 0.15 * pick(12), 0.06 + 0.04 * pick(13));
    let (w, h) = (f32::from(width), f32::from(height));
    let mut px = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for y in 0..height {
        for x in 0..width {
            let (u, v) = (f32::from(x) / w, f32::from(y) / h);
            let c = if v < horizon {
                let t = v / horizon;
                let d = ((u - sun_x) * w / h).hypot(v - sun_y);
                let base: Vec<f32> = (0..3).map(|i| sky[i] * (1.0 - t) + dusk[i] * t).collect();
                if d < sun_r { [255.0, 236.0, 180.0] } else { [base[0], base[1], base[2]] }
            } else {
                let t = (v - horizon) / (1.0 - horizon);
                let shimmer = if ((u - sun_x).abs() < sun_r * (1.0 - t)) && (y % 6 < 3) { 60.0 } else { 0.0 };
                [
                    sea[0] * (1.0 - 0.5 * t) + shimmer,
                    sea[1] * (1.0 - 0.5 * t) + shimmer,
                    sea[2] * (1.0 - 0.4 * t) + shimmer * 0.6,
                ]
            };
            px.extend(c.iter().map(|v| v.clamp(0.0, 255.0) as u8));
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85).encode(&px, width, height, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}
