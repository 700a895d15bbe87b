//! `POST /api/v1/upload`: placement, duplicates, refusals, interruptions, CSRF.

use std::time::Duration;

use axum::body::Bytes;
use serde_json::Value;
use shoebox::library::synth::{self, Spec};

use crate::helpers::{FedUpload, TestApp, camera_jpeg, file_part_head, jpeg_bomb, photos, spawn_app, spawn_app_with};

fn originals_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), root, out);
            } else {
                out.push(e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.originals_path(), &app.originals_path(), &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn an_upload_becomes_a_photo_in_the_users_dated_folder_and_a_duplicate_returns_the_existing_one() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let r = app.upload(&csrf, &[("Lake.JPG", camera_jpeg(21))]).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let first = &v["files"][0];
    assert_eq!(first["result"], "new", "{v}");
    assert_eq!(first["path"], "admin/2023/07/Lake.JPG");
    let id = first["photo_id"].clone();
    assert_eq!(photos(&app).await[0]["id"], id);
    assert_eq!(originals_files(&app), vec!["admin/2023/07/Lake.JPG"]);

    let r = app.upload(&csrf, &[("again.jpg", camera_jpeg(21))]).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["files"][0]["result"], "existing");
    assert_eq!(v["files"][0]["photo_id"], id);
    assert_eq!(originals_files(&app), vec!["admin/2023/07/Lake.JPG"], "nothing stored for a duplicate");
}

#[tokio::test]
async fn a_name_clash_gets_a_suffix_and_nothing_is_overwritten_and_the_content_decides_the_extension() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let r = app
        .upload(&csrf, &[("x.jpg", camera_jpeg(22)), ("x.jpg", camera_jpeg(23)), ("../../etc/x.txt", camera_jpeg(24))])
        .await;
    let v: Value = r.json().await.unwrap();
    let paths: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(&paths[..2], &["admin/2023/07/x.jpg", "admin/2023/07/x (2).jpg"]);
    assert_eq!(paths[2], "admin/2023/07/x (3).jpg", "{v}");
    assert_eq!(std::fs::read(app.originals_path().join("admin/2023/07/x.jpg")).unwrap(), camera_jpeg(22));
    assert_eq!(std::fs::read(app.originals_path().join("admin/2023/07/x (2).jpg")).unwrap(), camera_jpeg(23));
}

#[tokio::test]
async fn refused_uploads_say_why_with_415_413_and_422() {
    let app = spawn_app_with(&[("UPLOAD_LIMIT", "200KB")]).await;
    let csrf = app.sign_in_admin().await;
    let r = app.upload(&csrf, &[("notes.jpg", b"not a picture at all".to_vec())]).await;
    assert_eq!(r.status(), 415);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["files"][0]["result"], "refused");
    assert!(v["files"][0]["reason"].as_str().unwrap().contains("not an image"));

    let big = synth::jpeg(&Spec { width: 2000, height: 1500, quality: 100, ..Default::default() });
    assert!(big.len() > 200 * 1024);
    let r = app.upload(&csrf, &[("big.jpg", big)]).await;
    assert_eq!(r.status(), 413);

    let good = camera_jpeg(25);
    let r = app.upload(&csrf, &[("cut.jpg", good[..good.len() / 2].to_vec())]).await;
    assert_eq!(r.status(), 422);
    let r = app.upload(&csrf, &[("bomb.jpg", jpeg_bomb())]).await;
    assert_eq!(r.status(), 413);
    let v: Value = r.json().await.unwrap();
    assert!(v["files"][0]["reason"].as_str().unwrap().contains("MAX_PIXELS"), "{v}");

    // One bad file does not spoil the others.
    let r = app.upload(&csrf, &[("fine.jpg", good.clone()), ("notes.txt", b"hello".to_vec())]).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["files"][0]["result"].as_str(), v["files"][1]["result"].as_str()), (Some("new"), Some("refused")));
    assert_eq!(originals_files(&app), vec!["admin/2023/07/fine.jpg"]);
}

#[tokio::test]
async fn an_interrupted_upload_leaves_nothing_behind() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let first = camera_jpeg(26);
    let second = camera_jpeg(27);
    let mut head = Vec::new();
    head.extend_from_slice(file_part_head("complete.jpg").as_bytes());
    head.extend_from_slice(&first);
    head.extend_from_slice(format!("\r\n{}", file_part_head("cut.jpg")).as_bytes());
    head.extend_from_slice(&second[..second.len() / 2]);
    // The body is fed by hand: the first file and half of the second, then the connection breaks.
    let FedUpload { feed, sent } = app.fed_upload(&csrf);
    feed.send(Ok(Bytes::from(head))).await.unwrap();
    // Wait until the server stored the first file and is receiving the second into staging.
    let staging = app.originals_path().join(".shoebox-upload");
    let mut receiving = false;
    for _ in 0..1200 {
        let staged = std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files").fetch_one(&app.db).await.unwrap();
        if staged == 1 && rows == 1 {
            receiving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(receiving, "the server never got to the second file: {:?}", originals_files(&app));
    feed.send(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cable pulled"))).await.unwrap();
    if let Ok(r) = sent.await.unwrap() {
        assert_ne!(r.status(), 200);
    }
    // The complete first file is kept; the cut one leaves no file, no staging file and no row.
    let mut settled = false;
    for _ in 0..800 {
        let staged = std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0);
        if staged == 0 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(settled, "left behind: {:?}", originals_files(&app));
    assert_eq!(originals_files(&app), vec!["admin/2023/07/complete.jpg"]);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files").fetch_one(&app.db).await.unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn uploading_needs_sign_in_and_the_csrf_token() {
    let app = spawn_app().await;
    let form = || {
        reqwest::multipart::Form::new().part("f", reqwest::multipart::Part::bytes(camera_jpeg(28)).file_name("a.jpg"))
    };
    let r = app.client.post(app.url("/api/v1/upload")).multipart(form()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    app.sign_in_admin().await;
    let r = app.client.post(app.url("/api/v1/upload")).multipart(form()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(photos(&app).await.is_empty());
}

#[tokio::test]
async fn a_refused_file_is_answered_with_its_name_status_and_reason_and_leaves_no_staging_file() {
    let app = spawn_app_with(&[("UPLOAD_LIMIT", "200KB")]).await;
    let csrf = app.sign_in_admin().await;
    let big = synth::jpeg(&Spec { width: 2000, height: 1500, quality: 100, ..Default::default() });
    let r = app.upload(&csrf, &[("notes.jpg", b"not a picture at all".to_vec()), ("big.jpg", big)]).await;
    assert_eq!(r.status(), 415, "the first refusal's status");
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({ "files": [
            {
                "name": "notes.jpg",
                "result": "refused",
                "status": 415,
                "reason": "not an image (JPEG, PNG, WebP and GIF are supported)",
            },
            {
                "name": "big.jpg",
                "result": "refused",
                "status": 413,
                "reason": "larger than UPLOAD_LIMIT (204800 bytes)",
            },
        ]})
    );
    let staged = std::fs::read_dir(app.originals_path().join(".shoebox-upload")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(staged, 0);
    assert!(originals_files(&app).is_empty());
}

#[tokio::test]
async fn a_long_non_ascii_name_is_shortened_to_fit_the_file_system_and_the_other_files_are_still_stored() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let long = format!("{}.jpg", "é".repeat(200));
    let wide = format!("{}.jpg", "写".repeat(200));
    let r = app
        .upload(
            &csrf,
            &[(long.as_str(), camera_jpeg(31)), (wide.as_str(), camera_jpeg(32)), ("normal.jpg", camera_jpeg(33))],
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{v}");
    for (f, letter) in files[..2].iter().zip(["é", "写"]) {
        assert_eq!(f["result"], "new", "{v}");
        let path = f["path"].as_str().unwrap();
        let name = path.rsplit('/').next().unwrap();
        assert!(name.len() <= 255, "{} bytes: {name}", name.len());
        assert!(name.starts_with(&letter.repeat(50)) && name.ends_with(".jpg"), "{name}");
        assert!(app.originals_path().join(path).is_file(), "{path} stored");
    }
    assert_eq!(files[2]["path"], "admin/2023/07/normal.jpg", "{v}");
    assert_eq!(originals_files(&app).len(), 3);
}

#[tokio::test]
async fn a_file_that_cannot_be_stored_is_refused_on_its_own_and_the_other_files_are_still_stored() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // Where the 2021 photo would go is a file, not a folder: placing it fails on the server side.
    std::fs::create_dir_all(app.originals_path().join("admin")).unwrap();
    std::fs::write(app.originals_path().join("admin/2021"), b"in the way").unwrap();
    let blocked = synth::jpeg(&Spec { taken: Some("2021:01:02 10:00:00".into()), seed: 34, ..Default::default() });
    let r = app.upload(&csrf, &[("blocked.jpg", blocked), ("fine.jpg", camera_jpeg(35))]).await;
    assert_eq!(r.status(), 200, "one file was stored");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["files"][0]["name"], "blocked.jpg");
    assert_eq!(v["files"][0]["result"], "refused", "{v}");
    assert_eq!(v["files"][0]["status"], 500, "{v}");
    assert!(v["files"][0]["reason"].as_str().unwrap().contains("could not be stored"), "{v}");
    assert_eq!(v["files"][1]["result"], "new", "{v}");
    assert_eq!(originals_files(&app), vec!["admin/2021", "admin/2023/07/fine.jpg"]);
    assert_eq!(photos(&app).await.len(), 1);
}

/// The file an upload places under `admin/`, once it is there.
fn placed(app: &TestApp, name: &str) -> Option<String> {
    let root = app.originals_path();
    walkdir_files(&root.join("admin"))
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == name))
        .map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"))
}

fn walkdir_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() { out.extend(walkdir_files(&p)) } else { out.push(p) }
        }
    }
    out
}

#[tokio::test]
async fn an_uploaded_file_appears_on_disk_only_after_its_row_marks_it_as_an_upload() {
    // A crash between placing the file and recording it would leave a file that the next index
    // takes for one indexed in place (kept on disk when its photo is deleted). So the row comes
    // first: whenever the file can be seen, its row already says "uploaded".
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    for i in 0..12u64 {
        let name = format!("order{i}.jpg");
        let sending = {
            let app = app.with_client(app.client.clone());
            let (csrf, name) = (csrf.clone(), name.clone());
            tokio::spawn(async move { app.upload(&csrf, &[(name.as_str(), camera_jpeg(300 + i))]).await.status() })
        };
        let mut seen = None;
        while seen.is_none() && !sending.is_finished() {
            if let Some(path) = placed(&app, &name) {
                let uploaded: Option<bool> = sqlx::query_scalar("SELECT uploaded FROM files WHERE path = ?")
                    .bind(&path)
                    .fetch_optional(&app.db)
                    .await
                    .unwrap();
                seen = Some((path, uploaded));
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(sending.await.unwrap(), 200);
        if let Some((path, uploaded)) = seen {
            assert_eq!(uploaded, Some(true), "{path} was on disk before its row said it was an upload");
        }
    }
}
