//! Decompression bombs: small files that declare huge pictures are refused from their headers,
//! by uploads and by the index, and no number of them at once makes the server grow past its
//! decode budget.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{
    ADMIN_PASSWORD, TestApp, black_png, client, file_rows, gif_frame_bomb, png_bomb, progressive_jpeg,
    progressive_jpeg_bomb, run_index, spawn_app, spawn_app_with, webp_bomb, write_original,
};

/// Uploads one file and returns the status and the file's reason (empty when stored).
async fn upload_one(app: &TestApp, csrf: &str, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let r = app.upload(csrf, &[(name, bytes)]).await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    (status, v["files"][0]["reason"].as_str().unwrap_or("").to_string())
}

/// The reason the index recorded for `path`, which must have been skipped.
async fn skipped_reason(app: &TestApp, path: &str) -> String {
    let rows = file_rows(app).await;
    let row = rows.iter().find(|r| r.0 == path).unwrap_or_else(|| panic!("{path} not indexed: {rows:?}"));
    assert_eq!(row.1, "skipped", "{row:?}");
    row.2.clone()
}

#[tokio::test]
async fn a_progressive_jpeg_declaring_14000_by_14000_is_refused_as_too_many_pixels_for_a_progressive_jpeg() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let bomb = progressive_jpeg_bomb(14000, 14000);
    assert!(bomb.len() < 2048, "a small file: {} bytes", bomb.len());
    let (status, reason) = upload_one(&app, &csrf, "bomb.jpg", bomb.clone()).await;
    assert_eq!(status, 413, "{reason}");
    assert!(reason.contains("too many pixels for a progressive JPEG") && reason.contains("14000×14000"), "{reason}");
    assert!(reason.contains("MB"), "the reason gives the memory needed: {reason}");

    write_original(&app, "bomb.jpg", &bomb);
    run_index(&app, &csrf).await;
    let reason = skipped_reason(&app, "bomb.jpg").await;
    assert!(reason.contains("too many pixels for a progressive JPEG") && reason.contains("14000×14000"), "{reason}");

    // A real progressive photo is decoded within the budget as before.
    let (status, reason) = upload_one(&app, &csrf, "real.jpg", progressive_jpeg(1600, 1200)).await;
    assert_eq!((status, reason.as_str()), (200, ""));
}

#[tokio::test]
async fn a_gif_whose_frame_is_far_larger_than_its_1_by_1_screen_is_refused_from_the_frame_size() {
    let app = spawn_app_with(&[("MAX_PIXELS", "100M")]).await;
    let csrf = app.sign_in_admin().await;
    // Above MAX_PIXELS: said in those words.
    let (status, reason) = upload_one(&app, &csrf, "bomb.gif", gif_frame_bomb(11000, 11000)).await;
    assert_eq!(status, 413, "{reason}");
    assert!(reason.contains("11000×11000") && reason.contains("MAX_PIXELS"), "{reason}");
    // Below MAX_PIXELS, but decoding it would need far more memory than one decode may take.
    let (status, reason) = upload_one(&app, &csrf, "wide.gif", gif_frame_bomb(9000, 9000)).await;
    assert_eq!(status, 413, "{reason}");
    assert!(reason.contains("9000×9000") && reason.contains("MB"), "{reason}");

    write_original(&app, "bomb.gif", &gif_frame_bomb(11000, 11000));
    run_index(&app, &csrf).await;
    let reason = skipped_reason(&app, "bomb.gif").await;
    assert!(reason.contains("11000×11000") && reason.contains("MAX_PIXELS"), "{reason}");
}

#[tokio::test]
async fn a_png_or_webp_declaring_a_huge_size_over_a_tiny_stream_is_refused_before_decoding() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let (status, reason) = upload_one(&app, &csrf, "bomb.png", png_bomb(14000, 14000)).await;
    assert_eq!(status, 413, "{reason}");
    assert!(reason.contains("14000×14000") && reason.contains("MB"), "{reason}");
    let (status, reason) = upload_one(&app, &csrf, "bomb.webp", webp_bomb(12000, 12000)).await;
    assert_eq!(status, 413, "{reason}");
    assert!(reason.contains("12000×12000") && reason.contains("MB"), "{reason}");

    write_original(&app, "bomb.png", &png_bomb(14000, 14000));
    write_original(&app, "bomb.webp", &webp_bomb(12000, 12000));
    run_index(&app, &csrf).await;
    assert!(skipped_reason(&app, "bomb.png").await.contains("14000×14000"));
    assert!(skipped_reason(&app, "bomb.webp").await.contains("12000×12000"));
}

/// Peak and current resident memory of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {status}"));
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn six_bombs_uploaded_at_once_leave_the_server_answering_within_300_mb_above_idle() {
    // Its own process, so the peak measured is the server's alone.
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Command::new(env!("CARGO_BIN_EXE_shoebox"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHOEBOX_STORAGE_PATH", dir.path())
        .env("SHOEBOX_HTTP_HOST", "127.0.0.1")
        .env("SHOEBOX_HTTP_PORT", port.to_string())
        .env("SHOEBOX_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SHOEBOX_INDEX_WORKERS", "2")
        .env("SHOEBOX_LOG_LEVEL", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Killed(server);
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let c = client();
    let mut signed_in = None;
    for _ in 0..600 {
        if let Ok(r) = c
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
            .send()
            .await
        {
            signed_in = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = signed_in.expect("the server answers");
    assert_eq!(r.status(), 200);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    // One legitimate upload first, so idle includes what any upload sets up.
    let upload = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part("files", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        c.post(format!("{base}/api/v1/upload")).header("X-CSRF-Token", &csrf).multipart(form).send()
    };
    assert_eq!(upload("warm.jpg", progressive_jpeg(640, 480)).await.unwrap().status(), 200);
    let (_, idle) = memory(pid);

    let bombs: Vec<(&'static str, Vec<u8>)> = vec![
        ("black.png", black_png(10000, 10000)),
        ("black2.png", black_png(10000, 9999)),
        ("progressive.jpg", progressive_jpeg_bomb(14000, 14000)),
        ("frame.gif", gif_frame_bomb(11000, 11000)),
        ("header.png", png_bomb(14000, 14000)),
        ("header.webp", webp_bomb(12000, 12000)),
    ];
    // Large but legitimate: each decodes alone, within the budget.
    let large = vec![("large.png", black_png(4000, 3000)), ("large2.png", black_png(4000, 2999))];
    let requests = bombs.into_iter().chain(large).map(|(name, bytes)| {
        let sent = upload(name, bytes);
        async move { (name, sent.await.unwrap().status().as_u16()) }
    });
    let statuses = futures_util::future::join_all(requests).await;
    for (name, status) in &statuses {
        let expected = if name.starts_with("large") { 200 } else { 413 };
        assert_eq!(*status, expected, "{name}: {statuses:?}");
    }
    let r = c.get(format!("{base}/api/v1/photos")).send().await.unwrap();
    assert_eq!(r.status(), 200, "the server still answers");
    let (peak, _) = memory(pid);
    let mb = |n: u64| n as f64 / (1024.0 * 1024.0);
    eprintln!("server memory: idle {:.1} MB, peak {:.1} MB, growth {:.1} MB", mb(idle), mb(peak), mb(peak - idle));
    assert!(peak < idle + (300 << 20), "peak {:.1} MB above idle {:.1} MB", mb(peak - idle), mb(idle));
}
