//! Power cuts: the real server killed with SIGKILL while people upload and browse and while the
//! index runs, started again on the same storage, and then checked for what a person would lose.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Client;
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;

use crate::helpers::*;

/// Photos the startup index works through, so the first kill lands in the middle of it.
const IN_PLACE: u64 = 24;
const ROUNDS: u64 = 3;

#[derive(Default)]
struct Observed {
    /// Uploads the server answered 200 for: photo id and the bytes sent.
    acknowledged: Vec<(i64, Vec<u8>)>,
    /// Every answer 500 or above, and every unexpected 4xx.
    errors: Vec<String>,
}

async fn upload_until_killed(c: Client, base: String, csrf: String, first_seed: u64, seen: Arc<Mutex<Observed>>) {
    for seed in first_seed.. {
        let bytes = camera_jpeg(seed);
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(format!("phone-{seed}.jpg"));
        let form = reqwest::multipart::Form::new().part("files", part);
        let sent = c.post(format!("{base}/api/v1/upload")).header("x-csrf-token", &csrf).multipart(form).send().await;
        let Ok(r) = sent else { return };
        let status = r.status();
        let Ok(body) = r.json::<Value>().await else { return };
        let mut seen = seen.lock().unwrap();
        match body["files"][0]["photo_id"].as_i64() {
            Some(id) if status == 200 => seen.acknowledged.push((id, bytes)),
            _ => seen.errors.push(format!("upload {seed}: {status} {body}")),
        }
    }
}

async fn browse_until_killed(c: Client, base: String, seen: Arc<Mutex<Observed>>) {
    loop {
        let Ok(r) = c.get(format!("{base}/api/v1/photos?count=30")).send().await else { return };
        let status = r.status();
        let Ok(page) = r.json::<Value>().await else { return };
        let mut urls = vec![format!("{base}/")];
        for p in page["photos"].as_array().into_iter().flatten().take(5) {
            urls.push(format!("{base}{}", p["thumbnails"]["tile_224"].as_str().unwrap_or("/missing-thumb")));
        }
        if !status.is_success() {
            seen.lock().unwrap().errors.push(format!("photos: {status}"));
        }
        for url in urls {
            let Ok(r) = c.get(&url).send().await else { return };
            if !r.status().is_success() {
                seen.lock().unwrap().errors.push(format!("{url}: {}", r.status()));
            }
        }
    }
}

/// Files under ORIGINALS_PATH, relative and `/`-separated, skipping the upload staging folder.
fn files_on_disk(originals: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![originals.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                dirs.push(path);
            } else {
                found.push(path.strip_prefix(originals).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn killing_the_server_during_uploads_and_the_index_loses_nothing_acknowledged_and_leaves_no_orphans() {
    let storage = tempfile::tempdir().unwrap();
    let originals = storage.path().join("originals");
    for i in 0..IN_PLACE {
        let path = originals.join(format!("admin/2023/in-place-{i}.jpg"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, camera_jpeg(1_000 + i)).unwrap();
    }
    let port = free_port();
    let seen = Arc::new(Mutex::new(Observed::default()));
    for round in 0..ROUNDS {
        let server = ServerProcess::start(storage.path(), port, &[("INDEX_WORKERS", "2")]).await;
        let (c, csrf) = server.admin().await;
        let mut people = Vec::new();
        for uploader in 0..3 {
            let first_seed = 100_000 * (round + 1) + 10_000 * uploader;
            people.push(tokio::spawn(upload_until_killed(
                c.clone(),
                server.base.clone(),
                csrf.clone(),
                first_seed,
                seen.clone(),
            )));
        }
        people.push(tokio::spawn(browse_until_killed(c.clone(), server.base.clone(), seen.clone())));
        // The first kill lands while the startup index works; the later ones once two more
        // uploads were answered, amid the ones that follow.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let wanted = seen.lock().unwrap().acknowledged.len() + if round == 0 { 0 } else { 2 };
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while seen.lock().unwrap().acknowledged.len() < wanted && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(150 * round)).await;
        server.kill9();
        for p in people {
            p.await.unwrap();
        }
    }

    let server = ServerProcess::start(storage.path(), port, &[("INDEX_WORKERS", "2")]).await;
    let (c, _) = server.admin().await;
    let mut status = Value::Null;
    for _ in 0..1200 {
        status = c.get(server.url("/api/v1/index")).send().await.unwrap().json().await.unwrap();
        if status["running"] == false && status["last"]["event"] == "finished" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status["last"]["event"], "finished", "the index finishes after the restarts: {status}");
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen.errors.is_empty(), "answers people got while the server ran: {:?}", seen.errors);
    assert!(seen.acknowledged.len() >= 3, "uploads were acknowledged: {}", seen.acknowledged.len());

    // Nothing acknowledged is lost: each photo is there with its original, byte for byte, and a thumbnail.
    for (id, bytes) in &seen.acknowledged {
        let r = c.get(server.url(&format!("/api/v1/photos/{id}"))).send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged photo {id}");
        let photo: Value = r.json().await.unwrap();
        let original = c.get(server.url(photo["original"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(original.status(), 200);
        assert!(original.bytes().await.unwrap() == bytes.as_slice(), "photo {id}'s original is what was sent");
        let thumb = c.get(server.url(photo["thumbnails"]["tile_224"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(thumb.status(), 200, "photo {id}'s thumbnail");
    }
    server.kill9();

    // The database is whole and matches the disk both ways: no row without its file, no file
    // without its row, no staging leftovers, every photo shown by a file.
    let db = sqlx::SqlitePool::connect_with(SqliteConnectOptions::new().filename(storage.path().join("shoebox.db")))
        .await
        .unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&db).await.unwrap();
    assert_eq!(integrity, "ok");
    let broken_links: Vec<(String, i64)> =
        sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check").fetch_all(&db).await.unwrap();
    assert!(broken_links.is_empty(), "{broken_links:?}");
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT path, status, size FROM files ORDER BY path").fetch_all(&db).await.unwrap();
    let not_indexed: Vec<_> = rows.iter().filter(|(_, status, _)| status != "indexed").collect();
    assert!(not_indexed.is_empty(), "rows a crash left half-done: {not_indexed:?}");
    for (path, _, size) in &rows {
        let meta = std::fs::metadata(originals.join(path)).unwrap_or_else(|_| panic!("{path} has a row but no file"));
        assert_eq!(meta.len() as i64, *size, "{path}");
    }
    let on_disk: Vec<String> = files_on_disk(&originals).into_iter().filter(|p| !p.starts_with(".")).collect();
    let with_rows: Vec<String> = rows.iter().map(|(p, _, _)| p.clone()).collect();
    assert_eq!(on_disk, with_rows, "every file on disk has its row and every row its file");
    let staged = files_on_disk(&originals).into_iter().filter(|p| p.starts_with(".")).count();
    assert_eq!(staged, 0, "no staging leftovers after a restart");
    let unshown: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM photos p WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.status = 'indexed')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(unshown, 0, "photos left without a file");
    let photos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photos").fetch_one(&db).await.unwrap();
    assert!(photos >= (IN_PLACE as usize + seen.acknowledged.len()) as i64, "{photos} photos");
    println!(
        "{ROUNDS} kills: {} uploads acknowledged, {photos} photos, {} files, {} in place",
        seen.acknowledged.len(),
        rows.len(),
        IN_PLACE
    );
}
