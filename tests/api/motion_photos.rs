//! Motion Photos (Google, Samsung): the MP4 appended to a JPEG, found through its XMP, makes the
//! photo live; the video route serves that byte range as a file of its own, ranges included.

use serde_json::Value;

use crate::helpers::{
    MotionXmp, TestApp, motion_photo_jpeg, photos, probe_codec, run_index, spawn_app, write_original,
};

async fn only_photo(app: &TestApp) -> Value {
    let list = photos(app).await;
    assert_eq!(list.len(), 1, "one item: {list:?}");
    app.photo(list[0]["id"].as_i64().unwrap()).await.json().await.unwrap()
}

#[tokio::test]
async fn a_jpeg_with_a_micro_video_offset_is_a_live_photo_whose_clip_streams_with_ranges() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let (file, clip) = motion_photo_jpeg(MotionXmp::MicroVideo, "libx264");
    write_original(&app, "PXL_20240506_102030123.MP.jpg", &file);
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live", "{p}");
    assert_eq!(p["format"], "jpeg");
    assert_eq!(p["duration_ms"], 2000, "{p}");
    assert_eq!(p["video_status"], "ready", "{p}");
    let (offset, len): (i64, i64) =
        sqlx::query_as("SELECT motion_offset, motion_length FROM photos").fetch_one(&app.db).await.unwrap();
    assert_eq!((offset as usize, len as usize), (file.len() - clip.len(), clip.len()));

    let video = p["video"].as_str().unwrap();
    let r = app.get(video).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.bytes().await.unwrap().as_ref(), clip.as_slice(), "the clip's bytes, not the JPEG's");
    let r = app.client.get(app.url(video)).header("Range", "bytes=10-109").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 10-109/{}", clip.len()).as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), &clip[10..110]);
    let r = app.client.get(app.url(video)).header("Range", "bytes=-16").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &clip[clip.len() - 16..]);
    let r = app.client.get(app.url(video)).header("Range", format!("bytes={}-", clip.len())).send().await.unwrap();
    assert_eq!(r.status(), 416);
    // The original is the whole file, clip included, as the phone wrote it.
    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.bytes().await.unwrap().len(), file.len());
    // Another user sees nothing of it.
    app.add_user("bob", crate::helpers::PASSWORD, "user").await;
    let bob = crate::helpers::person(&app, "bob").await;
    assert_eq!(bob.app.get(video).await.status(), 404);
}

#[tokio::test]
async fn a_lying_offset_leaves_a_plain_image_and_no_clip() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let (file, _) = motion_photo_jpeg(MotionXmp::Lying, "libx264");
    write_original(&app, "lying.jpg", &file);
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], 1, "{summary}");
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "image", "{p}");
    assert!(p.get("video").is_none());
    let r = app.get(&format!("/api/v1/videos/{}", p["hash"].as_str().unwrap())).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_samsung_container_directory_finds_the_hevc_clip_and_it_is_transcoded_to_h264() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let (file, clip) = motion_photo_jpeg(MotionXmp::Container, "libx265");
    write_original(&app, "20240506_122030.jpg", &file);
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live", "{p}");
    let id = p["id"].as_i64().unwrap();
    let mut p = p;
    for _ in 0..600 {
        if p["video_status"] != "preparing" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        p = app.photo(id).await.json().await.unwrap();
    }
    assert_eq!(p["video_status"], "ready", "{p}");
    let r = app.get(p["video"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    let served = r.bytes().await.unwrap();
    assert_ne!(served.as_ref(), clip.as_slice());
    assert_eq!(probe_codec(&served).0, "h264");
    let leftovers: Vec<_> = walk(app.storage.path()).into_iter().filter(|p| p.contains("clip")).collect();
    assert!(leftovers.is_empty(), "the copied-out clip is removed: {leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}
