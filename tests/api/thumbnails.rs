//! Thumbnails and originals: sizes, crops, orientation (pixels), caching headers, access.

use serde_json::Value;
use shoebox::library::synth::{self, BLUE, GREEN, RED, Spec, WHITE};

use crate::helpers::{TestApp, camera_jpeg, client, photos, run_index, spawn_app, write_original};

pub fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let px = d.decode().expect("a JPEG");
    let info = d.info().unwrap();
    (u32::from(info.width), u32::from(info.height), px)
}

fn pixel(img: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    let i = ((y * img.0 + x) * 3) as usize;
    [img.2[i], img.2[i + 1], img.2[i + 2]]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| (i16::from(*x) - i16::from(y)).abs() < 40)
}

/// Red top-left, green top-right, blue bottom-left, white bottom-right.
fn assert_upright(img: &(u32, u32, Vec<u8>), what: &str) {
    let (w, h) = (img.0, img.1);
    for (x, y, want, name) in [
        (w / 4, h / 4, RED, "red"),
        (3 * w / 4, h / 4, GREEN, "green"),
        (w / 4, 3 * h / 4, BLUE, "blue"),
        (3 * w / 4, 3 * h / 4, WHITE, "white"),
    ] {
        let got = pixel(img, x, y);
        assert!(close(got, want), "{what}: expected {name} at ({x},{y}), got {got:?}");
    }
}

async fn thumb(app: &TestApp, photo: &Value, size: &str) -> reqwest::Response {
    let url = photo["thumbnails"][size].as_str().unwrap();
    app.get(url).await
}

#[tokio::test]
async fn thumbnails_have_photoprisms_exact_sizes_and_orientation_is_applied_to_the_pixels() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    for o in [6u8, 8] {
        // Displayed 1600×1200; stored 1200×1600, turned by the EXIF orientation.
        let spec = Spec { width: 1600, height: 1200, orientation: o, seed: u64::from(o), ..Default::default() };
        write_original(&app, &format!("turned_{o}.jpg"), &synth::jpeg(&spec));
    }
    run_index(&app, &csrf).await;
    let list = photos(&app).await;
    assert_eq!(list.len(), 2);
    for p in &list {
        assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(1600), Some(1200)), "{p}");
        for (size, w, h) in [
            ("tile_50", 50, 50),
            ("tile_100", 100, 100),
            ("tile_224", 224, 224),
            ("tile_500", 500, 500),
            ("fit_720", 720, 540),
            ("fit_1280", 1280, 960),
            ("fit_1920", 1600, 1200),
            ("fit_2560", 1600, 1200),
        ] {
            let r = thumb(&app, p, size).await;
            assert_eq!(r.status(), 200, "{size}");
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            let img = decode(&r.bytes().await.unwrap());
            assert_eq!((img.0, img.1), (w, h), "{size} of orientation {}", p["orientation"]);
            assert_upright(&img, size);
        }
    }
}

#[tokio::test]
async fn tiles_are_centre_crops_not_squashed() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // 300×100: blue, red, green thirds. A centre crop shows only red.
    let mut img = image::RgbImage::new(300, 100);
    for (x, _, p) in img.enumerate_pixels_mut() {
        p.0 = if x < 100 {
            BLUE
        } else if x < 200 {
            RED
        } else {
            GREEN
        };
    }
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    write_original(&app, "stripes.png", &png.into_inner());
    run_index(&app, &csrf).await;
    let p = &photos(&app).await[0];
    let tile = decode(&thumb(&app, p, "tile_224").await.bytes().await.unwrap());
    assert_eq!((tile.0, tile.1), (224, 224));
    for x in [5, 112, 218] {
        assert!(close(pixel(&tile, x, 112), RED), "x={x}: {:?}", pixel(&tile, x, 112));
    }
    let fit = decode(&thumb(&app, p, "fit_720").await.bytes().await.unwrap());
    assert_eq!((fit.0, fit.1), (300, 100), "fit sizes never upscale");
    assert!(close(pixel(&fit, 10, 50), BLUE) && close(pixel(&fit, 290, 50), GREEN));
}

#[tokio::test]
async fn large_sizes_are_made_on_first_request_and_thumbnails_are_cacheable() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let spec = Spec { width: 3000, height: 2000, ..Default::default() };
    write_original(&app, "big.jpg", &synth::jpeg(&spec));
    run_index(&app, &csrf).await;
    let p = &photos(&app).await[0];
    let hash = p["hash"].as_str().unwrap();
    let cached = |size: &str| {
        app.storage.path().join(format!("cache/thumbnails/{}/{}/{hash}_{size}.jpg", &hash[0..2], &hash[2..4])).exists()
    };
    assert!(cached("fit_720") && cached("tile_50"));
    assert!(!cached("fit_2560"), "fit_2560 is not made at index time");
    let r = thumb(&app, p, "fit_2560").await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let cc = r.headers()["cache-control"].to_str().unwrap().to_string();
    assert!(cc.starts_with("private, max-age=") && cc.ends_with("immutable"), "{cc}");
    let img = decode(&r.bytes().await.unwrap());
    assert_eq!((img.0, img.1), (2400, 1600));
    assert!(cached("fit_2560"));
    let r = app
        .client
        .get(app.url(p["thumbnails"]["fit_2560"].as_str().unwrap()))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // Deleting the cache only costs regeneration.
    std::fs::remove_dir_all(app.storage.path().join("cache")).unwrap();
    let r = thumb(&app, p, "tile_224").await;
    assert_eq!(r.status(), 200);
    assert_eq!(decode(&r.bytes().await.unwrap()).0, 224);
}

#[tokio::test]
async fn another_users_thumbnail_and_original_are_404() {
    let app = spawn_app().await;
    app.add_user("bob", "bob password 1", "user").await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "admin_only.jpg", &camera_jpeg(11));
    write_original(&app, "bob/his.jpg", &camera_jpeg(12));
    run_index(&app, &csrf).await;
    let admins = &photos(&app).await[0];
    let admin_hash = admins["hash"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/dl/{admin_hash}")).await.status(), 200);

    let bob = client();
    bob.post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": "bob", "password": "bob password 1"}))
        .send()
        .await
        .unwrap();
    let v: Value = bob.get(app.url("/api/v1/photos")).send().await.unwrap().json().await.unwrap();
    let his = &v["photos"][0];
    let his_url = his["thumbnails"]["tile_224"].as_str().unwrap();
    assert_eq!(bob.get(app.url(his_url)).send().await.unwrap().status(), 200);
    // Bob's own valid token, pointed at the administrator's photo.
    let foreign = his_url.replace(his["hash"].as_str().unwrap(), admin_hash);
    assert_eq!(bob.get(app.url(&foreign)).send().await.unwrap().status(), 404);
    assert_eq!(bob.get(app.url(&format!("/api/v1/dl/{admin_hash}"))).send().await.unwrap().status(), 404);
    assert_eq!(bob.get(app.url(&format!("/api/v1/photos/{}", admins["id"]))).send().await.unwrap().status(), 404);
    // A folder granted to Bob makes the administrator's in-place photo visible to him.
    sqlx::query("INSERT INTO folder_grants (folder, user_id, created_at) SELECT 'shared', id, 0 FROM users WHERE username = 'bob'")
        .execute(&app.db)
        .await
        .unwrap();
    write_original(&app, "shared/for_bob.jpg", &camera_jpeg(13));
    run_index(&app, &csrf).await;
    let shared = photos(&app).await.into_iter().find(|p| p["hash"] != admin_hash).unwrap();
    let url = his_url.replace(his["hash"].as_str().unwrap(), shared["hash"].as_str().unwrap());
    assert_eq!(bob.get(app.url(&url)).send().await.unwrap().status(), 200);
    // Anonymous: the download needs a session.
    assert_eq!(client().get(app.url(&format!("/api/v1/dl/{admin_hash}"))).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn an_expired_or_forged_token_is_404_and_the_key_survives_a_restart() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "a.jpg", &camera_jpeg(14));
    run_index(&app, &csrf).await;
    let p = &photos(&app).await[0];
    let url = p["thumbnails"]["tile_100"].as_str().unwrap().to_string();
    let hash = p["hash"].as_str().unwrap();
    let (admin_id, generation): (i64, i64) =
        sqlx::query_as("SELECT id, session_generation FROM users WHERE username = 'admin'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let key = shoebox::library::TokenKey::load_or_create(app.storage.path()).unwrap();
    let admin = shoebox::library::Viewer::User { id: admin_id, generation };
    let expired = key.issue_until(admin, shoebox::db::now() - 1);
    assert_eq!(app.get(&format!("/api/v1/t/{hash}/{expired}/tile_100")).await.status(), 404);
    let forged = url.replace("/tile_100", "").rsplit('/').next().unwrap().to_string();
    let last = if forged.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &forged[..forged.len() - 1]);
    assert_eq!(app.get(&format!("/api/v1/t/{hash}/{forged}/tile_100")).await.status(), 404);
    assert_eq!(app.get(&url).await.status(), 200);
    let app = app.restart().await;
    assert_eq!(app.get(&url).await.status(), 200, "URLs handed out stay valid after a restart");
}

#[tokio::test]
async fn originals_serve_ranges_with_the_original_file_name() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let bytes = camera_jpeg(15);
    write_original(&app, "Ferien am See.jpg", &bytes);
    run_index(&app, &csrf).await;
    let hash = photos(&app).await[0]["hash"].as_str().unwrap().to_string();
    let r = app.get(&format!("/api/v1/dl/{hash}")).await;
    assert_eq!(r.status(), 200);
    let cd = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        cd.contains("filename=\"Ferien am See.jpg\"") && cd.contains("filename*=UTF-8''Ferien%20am%20See.jpg"),
        "{cd}"
    );
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[..]);
    let r = app.client.get(app.url(&format!("/api/v1/dl/{hash}"))).header("Range", "bytes=10-19").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"].to_str().unwrap(), format!("bytes 10-19/{}", bytes.len()));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[10..20]);
    let r = app
        .client
        .get(app.url(&format!("/api/v1/dl/{hash}")))
        .header("If-None-Match", format!("\"{hash}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn originals_answer_head_suffix_ranges_unsatisfiable_ranges_and_if_modified_since() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let bytes = camera_jpeg(16);
    write_original(&app, "lake.jpg", &bytes);
    run_index(&app, &csrf).await;
    let hash = photos(&app).await[0]["hash"].as_str().unwrap().to_string();
    let url = app.url(&format!("/api/v1/dl/{hash}"));
    let head = app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], bytes.len().to_string().as_str());
    assert_eq!(head.headers()["content-type"], "image/jpeg");
    let modified = head.headers()["last-modified"].clone();
    assert!(head.bytes().await.unwrap().is_empty(), "HEAD sends no body");
    let tail = app.client.get(&url).header("Range", "bytes=-10").send().await.unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[bytes.len() - 10..]);
    let beyond = app.client.get(&url).header("Range", format!("bytes={}-", bytes.len() + 5)).send().await.unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"].to_str().unwrap(), format!("bytes */{}", bytes.len()));
    let unchanged = app.client.get(&url).header("If-Modified-Since", modified).send().await.unwrap();
    assert_eq!(unchanged.status(), 304);
    // Someone else's session or none at all: nothing, whatever the headers.
    let stranger = client().get(&url).header("Range", "bytes=0-9").send().await.unwrap();
    assert_eq!(stranger.status(), 401);
}
