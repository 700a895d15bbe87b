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
