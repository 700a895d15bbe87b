//! Live Photos: an iPhone's still and the MOV beside it are one item with a motion clip, whichever
//! arrives first (index or upload); the clip plays through the video route under the still's hash.

use serde_json::Value;

use crate::helpers::{
    TestApp, live_clip_mov, live_still_heic, live_still_jpeg, photos, probe_codec, run_index, spawn_app, upload_photos,
    write_original,
};

/// (path, status, role) of every file row, by path.
async fn roles(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT path, status, role FROM files ORDER BY path").fetch_all(&app.db).await.unwrap()
}

fn row(path: &str, status: &str, role: &str) -> (String, String, String) {
    (path.to_string(), status.to_string(), role.to_string())
}

async fn only_photo(app: &TestApp) -> Value {
    let list = photos(app).await;
    assert_eq!(list.len(), 1, "one item: {list:?}");
    let id = list[0]["id"].as_i64().unwrap();
    app.photo(id).await.json().await.unwrap()
}

/// Polls the photo until its clip is ready for browsers (the transcode runs in the background).
async fn wait_until_ready(app: &TestApp, id: i64) -> Value {
    for _ in 0..600 {
        let p: Value = app.photo(id).await.json().await.unwrap();
        if p["video_status"] != "preparing" {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the clip of photo {id} was never transcoded");
}

#[tokio::test]
async fn a_mov_indexed_before_its_heic_becomes_the_motion_clip_of_one_live_photo() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let clip = live_clip_mov("libx264");
    write_original(&app, "phone/IMG_0001.MOV", &clip);
    run_index(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "video", "alone, the MOV is a video");

    write_original(&app, "phone/IMG_0001.HEIC", &live_still_heic(1));
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["skipped"], 0, "{summary}");
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live", "{p}");
    assert_eq!(p["format"], "heic", "the still is what is shown: {p}");
    assert_eq!(p["duration_ms"], 2000, "{p}");
    assert_eq!(p["video_status"], "ready", "an H.264 clip plays as stored: {p}");
    assert_eq!(
        roles(&app).await,
        [row("phone/IMG_0001.HEIC", "indexed", "primary"), row("phone/IMG_0001.MOV", "indexed", "motion")]
    );
    let files: Vec<&str> = p["files"].as_array().unwrap().iter().map(|f| f["role"].as_str().unwrap()).collect();
    assert_eq!(files, ["primary", "motion"]);
    let codec: Option<String> = sqlx::query_scalar("SELECT video_codec FROM photos").fetch_one(&app.db).await.unwrap();
    assert_eq!(codec.as_deref(), Some("h264"));

    // The clip under the still's hash, with ranges; the original is the still.
    let video = p["video"].as_str().unwrap();
    assert_eq!(video, format!("/api/v1/videos/{}", p["hash"].as_str().unwrap()));
    let r = app.client.get(app.url(video)).header("Range", "bytes=4-103").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-type"], "video/quicktime");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &clip[4..104]);
    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_ne!(r.bytes().await.unwrap().as_ref(), clip.as_slice(), "the original is the HEIC");
    let live: Value = app.get("/api/v1/photos?type=live").await.json().await.unwrap();
    assert_eq!(live["photos"].as_array().unwrap().len(), 1);
    let videos: Value = app.get("/api/v1/photos?type=video").await.json().await.unwrap();
    assert!(videos["photos"].as_array().unwrap().is_empty(), "the MOV is not a second item: {videos}");
}

#[tokio::test]
async fn a_still_indexed_first_takes_the_clip_that_arrives_later_whatever_the_case_of_its_extension() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0002.JPG", &live_still_jpeg(2));
    run_index(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "image");
    write_original(&app, "IMG_0002.mov", &live_clip_mov("libx264"));
    // Not a pair: another base name, and a clip in another folder.
    write_original(&app, "IMG_0003.MOV", &crate::helpers::h264_mp4());
    write_original(
        &app,
        "other/IMG_0002.MOV",
        &crate::helpers::video(&crate::helpers::VideoSpec { seconds: 1.0, ..Default::default() }),
    );
    run_index(&app, &csrf).await;
    let list = photos(&app).await;
    let mut kinds: Vec<&str> = list.iter().map(|p| p["media_type"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["live", "video", "video"], "{list:?}");
    assert!(roles(&app).await.contains(&row("IMG_0002.mov", "indexed", "motion")));

    // A rescan reads both again and keeps the pair.
    let r = app
        .client
        .post(app.url("/api/v1/index"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "rescan": true }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    crate::helpers::wait_for_index(&app).await;
    let live: Value = app.get("/api/v1/photos?type=live").await.json().await.unwrap();
    let live = &live["photos"][0];
    assert_eq!(live["duration_ms"], 2000, "{live}");
    assert_eq!(photos(&app).await.len(), 3);
}

#[tokio::test]
async fn removing_the_mov_turns_the_live_photo_back_into_a_still_and_its_clip_route_answers_404() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0004.HEIC", &live_still_heic(4));
    write_original(&app, "IMG_0004.MOV", &live_clip_mov("libx264"));
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live");
    let video = p["video"].as_str().unwrap().to_string();
    assert_eq!(app.get(&video).await.status(), 200);

    std::fs::remove_file(app.originals_path().join("IMG_0004.MOV")).unwrap();
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "image", "{p}");
    assert!(p["duration_ms"].is_null(), "{p}");
    assert!(p.get("video").is_none(), "{p}");
    assert_eq!(app.get(&video).await.status(), 404);
    assert_eq!(
        roles(&app).await,
        [row("IMG_0004.HEIC", "indexed", "primary"), row("IMG_0004.MOV", "missing", "motion")]
    );
}

#[tokio::test]
async fn removing_the_still_leaves_the_clip_a_video_of_its_own_at_the_next_index() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0005.HEIC", &live_still_heic(5));
    write_original(&app, "IMG_0005.MOV", &live_clip_mov("libx264"));
    run_index(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "live");
    std::fs::remove_file(app.originals_path().join("IMG_0005.HEIC")).unwrap();
    run_index(&app, &csrf).await;
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "video", "{p}");
    assert!(roles(&app).await.contains(&row("IMG_0005.MOV", "indexed", "primary")));
}

#[tokio::test]
async fn a_live_photo_uploaded_clip_first_is_one_item_and_its_hevc_clip_is_transcoded_to_h264_for_browsers() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let clip = live_clip_mov("libx265");
    upload_photos(&app, &csrf, &[("IMG_0006.MOV", clip)]).await;
    let ids = upload_photos(&app, &csrf, &[("IMG_0006.HEIC", live_still_heic(6))]).await;
    let p = only_photo(&app).await;
    assert_eq!(p["id"].as_i64(), Some(ids[0]));
    assert_eq!(p["media_type"], "live", "{p}");
    let paths: Vec<(&str, &str)> = p["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["role"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, [("admin/2024/05/IMG_0006.HEIC", "primary"), ("admin/2024/05/IMG_0006.MOV", "motion")]);

    let p = wait_until_ready(&app, ids[0]).await;
    assert_eq!(p["video_status"], "ready", "{p}");
    let r = app.get(p["video"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let (codec, _) = probe_codec(&r.bytes().await.unwrap());
    assert_eq!(codec, "h264", "Chromium plays the iPhone's HEVC clip as H.264");
}
