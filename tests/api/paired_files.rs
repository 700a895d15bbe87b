//! Paired files: a RAW beside its JPEG is one photo with a companion file, in either order; the
//! files of a pair are offered for download one by one and go into zips, and trash and delete
//! for good take them along.

use std::io::Read;

use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, Spec, TestApp, camera_jpeg, dng, live_clip_mov, live_still_heic, person, photos, run_index, spawn_app,
    write_original,
};

async fn roles(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT path, status, role FROM files ORDER BY path").fetch_all(&app.db).await.unwrap()
}

fn row(path: &str, status: &str, role: &str) -> (String, String, String) {
    (path.to_string(), status.to_string(), role.to_string())
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_string(), data)
        })
        .collect()
}

async fn send(
    app: &TestApp,
    csrf: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app.client.request(method, app.url(path)).header("x-csrf-token", csrf);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn a_raw_beside_its_jpeg_is_one_photo_with_a_companion_file_whichever_arrives_first() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "cam/DSC_0001.DNG", &dng(&Spec { seed: 1, ..Spec::default() }));
    write_original(&app, "cam/DSC_0002.JPG", &camera_jpeg(2));
    run_index(&app, &csrf).await;
    let mut kinds: Vec<String> = photos(&app).await.iter().map(|p| p["media_type"].as_str().unwrap().into()).collect();
    kinds.sort();
    assert_eq!(kinds, ["image", "raw"], "alone, each is a photo");

    write_original(&app, "cam/DSC_0001.JPG", &camera_jpeg(1));
    write_original(&app, "cam/DSC_0002.dng", &dng(&Spec { seed: 2, ..Spec::default() }));
    run_index(&app, &csrf).await;
    let list = photos(&app).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(list.iter().all(|p| p["media_type"] == "image" && p["format"] == "jpeg"), "the JPEG is shown: {list:?}");
    assert_eq!(
        roles(&app).await,
        [
            row("cam/DSC_0001.DNG", "indexed", "companion"),
            row("cam/DSC_0001.JPG", "indexed", "primary"),
            row("cam/DSC_0002.JPG", "indexed", "primary"),
            row("cam/DSC_0002.dng", "indexed", "companion"),
        ]
    );
    let raws: Value = app.get("/api/v1/photos?type=raw").await.json().await.unwrap();
    assert!(raws["photos"].as_array().unwrap().is_empty(), "{raws}");
}

#[tokio::test]
async fn a_pair_downloads_file_by_file_and_zips_of_a_selection_or_album_hold_both_files() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let (still, clip) = (live_still_heic(8), live_clip_mov("libx264"));
    let (jpeg, raw) = (camera_jpeg(9), dng(&Spec { seed: 9, ..Spec::default() }));
    write_original(&app, "IMG_0008.HEIC", &still);
    write_original(&app, "IMG_0008.MOV", &clip);
    write_original(&app, "DSC_0009.JPG", &jpeg);
    write_original(&app, "DSC_0009.DNG", &raw);
    run_index(&app, &csrf).await;
    let list = photos(&app).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let live = list.iter().find(|p| p["media_type"] == "live").expect("the live photo").clone();
    let with_raw = list.iter().find(|p| p["media_type"] == "image").expect("the JPEG").clone();
    let live: Value = app.photo(live["id"].as_i64().unwrap()).await.json().await.unwrap();
    let with_raw: Value = app.photo(with_raw["id"].as_i64().unwrap()).await.json().await.unwrap();

    // Each file of the pair downloads as stored, named after itself.
    let r = app.get(live["downloads"]["motion"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("IMG_0008.MOV"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), clip.as_slice());
    let r = app.get(with_raw["downloads"]["companion"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), raw.as_slice());
    assert_eq!(app.get(&format!("/api/v1/dl/{}/companion", live["hash"].as_str().unwrap())).await.status(), 404);
    let viewer = app.get(&format!("/photos/{}", live["id"])).await.text().await.unwrap();
    assert!(viewer.contains(r#"download="IMG_0008.MOV""#) && viewer.contains("Download clip"), "{viewer}");
    // Nobody else gets at them.
    app.add_user("bob", PASSWORD, "user").await;
    let bob = person(&app, "bob").await;
    assert_eq!(bob.app.get(live["downloads"]["motion"].as_str().unwrap()).await.status(), 404);

    let r = app.get(&format!("/api/v1/photos/zip?ids={},{}", live["id"], with_raw["id"])).await;
    assert_eq!(r.status(), 200);
    let entries = unzip(&r.bytes().await.unwrap());
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["IMG_0008.HEIC", "IMG_0008.MOV", "DSC_0009.JPG", "DSC_0009.DNG"]);
    assert_eq!((&entries[0].1, &entries[1].1, &entries[3].1), (&still, &clip, &raw));

    let album = send(&app, &csrf, reqwest::Method::POST, "/api/v1/albums", Some(json!({ "title": "Pairs" }))).await;
    let album = album.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app.add_to_album(&csrf, album, &[live["id"].as_i64().unwrap()]).await;
    assert!(r.status().is_success());
    let r = app.get(&format!("/api/v1/albums/{album}/zip")).await;
    let names: Vec<String> = unzip(&r.bytes().await.unwrap()).into_iter().map(|e| e.0).collect();
    assert_eq!(names, ["IMG_0008.HEIC", "IMG_0008.MOV"]);
}

#[tokio::test]
async fn trash_hides_the_pair_as_one_and_deleting_it_for_good_keeps_the_clip_from_coming_back_alone() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0010.HEIC", &live_still_heic(10));
    write_original(&app, "IMG_0010.MOV", &live_clip_mov("libx264"));
    run_index(&app, &csrf).await;
    let id = photos(&app).await[0]["id"].as_i64().unwrap();
    let r = send(&app, &csrf, reqwest::Method::DELETE, &format!("/api/v1/photos/{id}"), None).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert!(photos(&app).await.is_empty(), "the clip is not left behind as a video");
    let trash: Value = app.get("/api/v1/trash").await.json().await.unwrap();
    assert_eq!(trash["photos"].as_array().unwrap().len(), 1);
    assert_eq!(trash["photos"][0]["media_type"], "live");

    let r = send(&app, &csrf, reqwest::Method::DELETE, "/api/v1/trash", None).await;
    assert_eq!(r.status(), 200);
    let rows = roles(&app).await;
    assert_eq!(rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), ["skipped", "skipped"], "{rows:?}");
    // Indexed in place, the files stay on disk; neither comes back, not even the clip alone.
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], 0, "{summary}");
    assert!(photos(&app).await.is_empty());
    assert!(app.originals_path().join("IMG_0010.MOV").is_file());
}
