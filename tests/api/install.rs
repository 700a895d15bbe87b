//! Installing Shoebox as an app: the web app manifest, its icons, and the share target that
//! stores photos and videos shared from other apps.

use serde_json::Value;

use crate::helpers::*;

/// Width and height from a PNG's header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

async fn photo_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM photos").fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn every_page_links_a_valid_web_app_manifest_with_png_icons_and_a_share_target_for_photos() {
    let app = spawn_app().await;
    for (path, signed_in) in [("/login", false), ("/", true)] {
        if signed_in {
            app.sign_in_admin().await;
        }
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains("<link rel=\"manifest\" href=\"/static/manifest.webmanifest\">"), "{path}");
        assert!(html.contains("<meta name=\"theme-color\""), "{path}");
    }
    let r = app.get("/static/manifest.webmanifest").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/manifest+json");
    let m: Value = serde_json::from_slice(&r.bytes().await.unwrap()).expect("the manifest is JSON");
    assert_eq!(m["name"], "Shoebox");
    assert_eq!(m["short_name"], "Shoebox");
    assert_eq!(m["start_url"], "/");
    assert_eq!(m["scope"], "/");
    assert_eq!(m["display"], "standalone", "opens as an app, without the browser's bars");
    for colour in ["background_color", "theme_color"] {
        let c = m[colour].as_str().unwrap();
        assert!(c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|c| c.is_ascii_hexdigit()), "{colour}: {c}");
    }
    // Installable needs a 192 and a 512 px PNG; phones crop a maskable one to their shape.
    let icons = m["icons"].as_array().unwrap();
    let mut sizes = Vec::new();
    for icon in icons {
        let src = icon["src"].as_str().unwrap();
        let r = app.get(src).await;
        assert_eq!(r.status(), 200, "{src}");
        assert_eq!(r.headers()["content-type"], "image/png", "{src}");
        let (w, h) = png_size(&r.bytes().await.unwrap());
        assert_eq!(icon["sizes"].as_str().unwrap(), format!("{w}x{h}"), "{src} is the size it says");
        assert_eq!(icon["type"], "image/png");
        sizes.push((w, icon["purpose"].as_str().unwrap().to_string()));
    }
    for want in [(192, "any"), (512, "any"), (512, "maskable")] {
        assert!(sizes.contains(&(want.0, want.1.to_string())), "{want:?} in {sizes:?}");
    }
    let share = &m["share_target"];
    assert_eq!(share["action"], "/share-target");
    assert_eq!(share["method"], "POST");
    assert_eq!(share["enctype"], "multipart/form-data");
    let files = &share["params"]["files"][0];
    assert_eq!(files["name"], "files");
    let accept = files["accept"].as_array().unwrap();
    for kind in ["image/jpeg", "image/heic", "image/avif", "video/*", ".dng"] {
        assert!(accept.iter().any(|a| a == kind), "the share target takes {kind}: {accept:?}");
    }
}

#[tokio::test]
async fn a_video_shared_from_the_phones_share_sheet_is_stored_and_opens_in_the_viewer() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    let clip = h264_mp4();
    let r = app.share(Some("none"), &[("VID_2024.mp4", clip.clone())]).await;
    assert_eq!(r.status(), 303);
    let (id, media_type): (i64, String) =
        sqlx::query_as("SELECT id, media_type FROM photos").fetch_one(&app.db).await.unwrap();
    assert_eq!(media_type, "video");
    assert_eq!(location(&r), format!("/photos/{id}"));
    let viewer = app.get(&location(&r)).await.text().await.unwrap();
    assert!(viewer.contains("<video"), "the viewer plays it: {viewer}");
}

#[tokio::test]
async fn a_photo_shared_from_the_phones_share_sheet_is_stored_without_a_token_and_opens_in_the_viewer() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    let jpeg = dated_jpeg("2024:06:01 10:00:00", 7);
    // `none`: the browser itself made the request (the share sheet), no page of any site.
    let r = app.share(Some("none"), &[("IMG_2024.jpg", jpeg.clone())]).await;
    assert_eq!(r.status(), 303);
    let id: i64 = sqlx::query_scalar("SELECT id FROM photos").fetch_one(&app.db).await.unwrap();
    assert_eq!(location(&r), format!("/photos/{id}"));
    let viewer = app.get(&location(&r)).await;
    assert_eq!(viewer.status(), 200);
    let photo: Value = app.get(&format!("/api/v1/photos/{id}")).await.json().await.unwrap();
    let original = app.get(photo["original"].as_str().unwrap()).await.bytes().await.unwrap();
    assert_eq!(original.to_vec(), jpeg, "stored byte for byte");

    // From one of Shoebox's own pages (same-origin) too; two files, the second already there.
    let more = dated_jpeg("2024:06:02 10:00:00", 8);
    let r = app.share(Some("same-origin"), &[("new.jpg", more), ("again.jpg", jpeg)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(photo_count(&app).await, 2);

    // Something that is no picture: nothing stored, and the reason.
    let r = app.share(Some("none"), &[("notes.jpg", b"just words".to_vec())]).await;
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("Nothing shared was stored") && text.contains("notes.jpg"), "{text}");
    assert_eq!(photo_count(&app).await, 2);
}

#[tokio::test]
async fn the_share_target_refuses_posts_from_other_sites_browsers_that_do_not_say_and_people_not_signed_in() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    let jpeg = dated_jpeg("2024:06:01 10:00:00", 9);
    for site in [Some("cross-site"), Some("same-site"), None] {
        let r = app.share(site, &[("a.jpg", jpeg.clone())]).await;
        assert_eq!(r.status(), 403, "{site:?}");
        let text = r.text().await.unwrap();
        assert!(text.contains("share sheet"), "{site:?}: says what works instead: {text}");
    }
    assert_eq!(photo_count(&app).await, 0, "nothing stored");

    let anonymous = app.with_client(client());
    let r = anonymous.share(Some("none"), &[("a.jpg", jpeg)]).await;
    assert!(location(&r).starts_with("/login"), "sign in first: {}", r.status());
    assert_eq!(photo_count(&app).await, 0);
    let r = app.get("/share-target").await;
    assert_eq!(location(&r), "/");
}
