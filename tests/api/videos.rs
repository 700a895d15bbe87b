//! Videos: indexed through ffprobe and an ffmpeg poster frame, in every container and codec
//! phones and cameras write; skipped with a reason when ffmpeg is off or the file is broken;
//! uploaded without UPLOAD_LIMIT's cap.

use serde_json::Value;

use crate::helpers::{
    TestApp, VideoSpec, camera_jpeg, file_rows, h264_mp4, iphone_hevc_mov, photos, probe_codec, probe_size, run_index,
    scenery_jpeg, spawn_app, spawn_app_with, upload_photos, video, write_original,
};

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let px = d.decode().expect("a JPEG");
    let info = d.info().unwrap();
    (u32::from(info.width), u32::from(info.height), px)
}

/// Mostly red, or mostly blue (the fixtures' two halves), at a point of a decoded thumbnail.
fn colour_at(img: &(u32, u32, Vec<u8>), x: u32, y: u32) -> &'static str {
    let i = ((y * img.0 + x) * 3) as usize;
    let (r, b) = (img.2[i], img.2[i + 2]);
    if r > 150 && b < 100 {
        "red"
    } else if b > 150 && r < 100 {
        "blue"
    } else {
        "other"
    }
}

async fn photo_of(app: &TestApp, rel: &str) -> Value {
    let (id,): (i64,) = sqlx::query_as("SELECT photo_id FROM files WHERE path = ?")
        .bind(rel)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{rel} has no photo: {e}"));
    let r = app.photo(id).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn codec_and_rate(app: &TestApp, id: i64) -> (Option<String>, Option<f64>) {
    sqlx::query_as("SELECT video_codec, frame_rate FROM photos WHERE id = ?").bind(id).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_iphone_hevc_video_is_indexed_upright_with_its_duration_codec_local_date_place_and_camera() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "phone/IMG_0001.MOV", &iphone_hevc_mov());
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], 1, "{summary}");
    let p = photo_of(&app, "phone/IMG_0001.MOV").await;
    assert_eq!(p["media_type"], "video");
    assert_eq!(p["format"], "mov");
    // Stored 320×180 with a rotation of -90: shown 180×320.
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(180), Some(320)), "{p}");
    assert_eq!(p["duration_ms"], 2000, "{p}");
    assert_eq!(p["taken_local"], "2024-05-06T12:20:30", "{p}");
    assert_eq!(p["taken_offset"], "+02:00", "{p}");
    assert_eq!(p["taken_source"], "quicktime", "{p}");
    assert_eq!(p["camera_make"], "Apple");
    assert_eq!(p["camera_model"], "iPhone 15 Pro");
    assert!((p["latitude"].as_f64().unwrap() - 52.52).abs() < 1e-6, "{p}");
    assert!((p["longitude"].as_f64().unwrap() - 13.405).abs() < 1e-6, "{p}");
    assert!((p["altitude"].as_f64().unwrap() - 34.0).abs() < 1e-6, "{p}");
    let (codec, rate) = codec_and_rate(&app, p["id"].as_i64().unwrap()).await;
    assert_eq!(codec.as_deref(), Some("hevc"));
    assert_eq!(rate, Some(25.0));

    // The poster is turned as the phone shows it: the stored top (blue) is on the right.
    let r = app.get(p["thumbnails"]["fit_720"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let img = decode(&r.bytes().await.unwrap());
    assert_eq!((img.0, img.1), (180, 320));
    assert_eq!(colour_at(&img, 40, 160), "red");
    assert_eq!(colour_at(&img, 140, 160), "blue");
    let r = app.get(p["thumbnails"]["tile_224"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    let tile = decode(&r.bytes().await.unwrap());
    assert_eq!((tile.0, tile.1), (224, 224));
    assert!(p["placeholder"].is_string(), "{p}");
}

#[tokio::test]
async fn an_h264_mp4_gets_every_thumbnail_size_made_from_its_poster_frame_even_on_request() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "clip.mp4", &h264_mp4());
    run_index(&app, &csrf).await;
    let p = photo_of(&app, "clip.mp4").await;
    assert_eq!(
        (p["media_type"].as_str(), p["width"].as_i64(), p["height"].as_i64()),
        (Some("video"), Some(320), Some(240))
    );
    // Without a recorded date the file's time stands in, as for photos.
    assert_eq!(p["taken_source"], "file_mtime", "{p}");
    // fit_2560 is made on first request, from a new poster frame.
    for size in ["tile_50", "tile_500", "fit_1280", "fit_2560", "fit_4096"] {
        let r = app.get(p["thumbnails"][size].as_str().unwrap()).await;
        assert_eq!(r.status(), 200, "{size}");
        let img = decode(&r.bytes().await.unwrap());
        let (w, h) = (img.0, img.1);
        assert_eq!(colour_at(&img, w / 2, h / 4), "blue", "{size}: top half");
        assert_eq!(colour_at(&img, w / 2, 3 * h / 4), "red", "{size}: bottom half");
    }
}

#[tokio::test]
async fn videos_in_every_container_and_codec_phones_and_cameras_write_are_indexed() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let small = |codec, container| VideoSpec {
        width: 160,
        height: 120,
        seconds: 1.0,
        codec,
        container,
        ..VideoSpec::default()
    };
    let cases = [
        ("a.mp4", small("libx264", "mp4"), "h264", "mp4"),
        ("b.mov", small("libx265", "mov"), "hevc", "mov"),
        ("c.m4v", small("libx264", "m4v"), "h264", "mp4"),
        ("d.3gp", small("libx264", "3gp"), "h264", "3gp"),
        ("e.mkv", small("libx264", "mkv"), "h264", "mkv"),
        ("f.webm", small("libvpx-vp9", "webm"), "vp9", "webm"),
        ("g.avi", small("mpeg4", "avi"), "mpeg4", "avi"),
        ("h.mp4", small("libaom-av1", "mp4"), "av1", "mp4"),
    ];
    // Encoded first and written together: the folder watch indexes what sits still for
    // INDEX_DEBOUNCE, and the slow encoders (AV1) would leave it time to count them before this run.
    let encoded: Vec<_> = cases.iter().map(|(name, spec, _, _)| (name, video(spec))).collect();
    for (name, bytes) in &encoded {
        write_original(&app, name, bytes);
    }
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], cases.len(), "{summary}; files: {:?}", file_rows(&app).await);
    for (name, _, codec, format) in &cases {
        let p = photo_of(&app, name).await;
        assert_eq!(p["media_type"], "video", "{name}");
        assert_eq!(p["format"], *format, "{name}");
        assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(160), Some(120)), "{name}");
        let ms = p["duration_ms"].as_i64().unwrap_or_else(|| panic!("{name} has no duration: {p}"));
        assert!((900..=1100).contains(&ms), "{name}: {ms} ms");
        let (got, rate) = codec_and_rate(&app, p["id"].as_i64().unwrap()).await;
        assert_eq!(got.as_deref(), Some(*codec), "{name}");
        assert_eq!(rate, Some(25.0), "{name}");
        let r = app.get(p["thumbnails"]["tile_100"].as_str().unwrap()).await;
        assert_eq!(r.status(), 200, "{name}");
    }
}

#[tokio::test]
async fn videos_are_skipped_naming_ffmpeg_when_it_is_turned_off_and_photos_are_still_indexed() {
    let app = spawn_app_with(&[("DISABLE_FFMPEG", "true")]).await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "clip.mp4", &h264_mp4());
    write_original(&app, "photo.jpg", &camera_jpeg(1));
    let summary = run_index(&app, &csrf).await;
    assert_eq!((summary["new_photos"].as_i64(), summary["skipped"].as_i64()), (Some(1), Some(1)), "{summary}");
    let rows = file_rows(&app).await;
    let (_, status, reason) = rows.iter().find(|(path, _, _)| path == "clip.mp4").expect("a row for the video");
    assert_eq!(status, "skipped");
    assert!(reason.contains("install ffmpeg") && reason.contains("DISABLE_FFMPEG"), "{reason}");
}

#[tokio::test]
async fn a_broken_video_is_skipped_with_its_reason_and_the_index_goes_on() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // A real MP4's first bytes and nothing else: typed as a video, unreadable by ffprobe.
    let whole = h264_mp4();
    write_original(&app, "cut.mp4", &whole[..200]);
    write_original(&app, "good.mp4", &whole);
    let summary = run_index(&app, &csrf).await;
    assert_eq!((summary["new_photos"].as_i64(), summary["skipped"].as_i64()), (Some(1), Some(1)), "{summary}");
    let rows = file_rows(&app).await;
    let (_, status, reason) = rows.iter().find(|(path, _, _)| path == "cut.mp4").unwrap();
    assert_eq!(status, "skipped");
    assert!(reason.contains("ffprobe") || reason.contains("video"), "{reason}");
    assert_eq!(photos(&app).await.len(), 1);
}

#[tokio::test]
async fn a_video_larger_than_upload_limit_is_uploaded_whole_while_a_picture_that_large_is_refused() {
    let app = spawn_app_with(&[("UPLOAD_LIMIT", "8KB")]).await;
    let csrf = app.sign_in_admin().await;
    let clip = h264_mp4();
    assert!(clip.len() > 8 * 1024, "the clip must exceed the limit: {} bytes", clip.len());
    let ids = upload_photos(&app, &csrf, &[("holiday.mp4", clip.clone())]).await;
    let p: Value = app.photo(ids[0]).await.json().await.unwrap();
    assert_eq!(p["media_type"], "video", "{p}");
    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    let served = r.bytes().await.unwrap();
    assert_eq!(served.as_ref(), clip.as_slice(), "the stored video is the uploaded one");
    assert_eq!(probe_codec(&served).0, "h264");

    let r = app.upload(&csrf, &[("big.jpg", scenery_jpeg(1200, 900, 3))]).await;
    let v: Value = r.json().await.unwrap();
    assert!(v["files"][0]["photo_id"].is_null(), "a picture above UPLOAD_LIMIT is refused: {v}");
}

#[tokio::test]
async fn a_video_streams_to_those_who_may_see_it_with_its_type_ranges_and_conditional_requests() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let clip = h264_mp4();
    write_original(&app, "clip.mp4", &clip);
    write_original(&app, "still.jpg", &camera_jpeg(2));
    run_index(&app, &csrf).await;
    let p = photo_of(&app, "clip.mp4").await;
    let url = p["video"].as_str().expect("a video has a stream URL").to_string();
    assert_eq!(url, format!("/api/v1/videos/{}", p["hash"].as_str().unwrap()));

    let r = app.get(&url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let modified = r.headers()["last-modified"].to_str().unwrap().to_string();
    assert_eq!(r.bytes().await.unwrap().as_ref(), clip.as_slice());

    // Seeking: the player asks for a byte range.
    let r = app.client.get(app.url(&url)).header("Range", "bytes=100-199").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 100-199/{}", clip.len()).as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), &clip[100..200]);
    let r = app.client.get(app.url(&url)).header("Range", format!("bytes={}-", clip.len() + 10)).send().await.unwrap();
    assert_eq!(r.status(), 416);
    let r = app.client.get(app.url(&url)).header("If-Modified-Since", &modified).send().await.unwrap();
    assert_eq!(r.status(), 304);

    // A still has no stream, and its hash opens none.
    let still = photo_of(&app, "still.jpg").await;
    assert!(still.get("video").is_none(), "{still}");
    assert_eq!(app.get(&format!("/api/v1/videos/{}", still["hash"].as_str().unwrap())).await.status(), 404);

    // Another user does not see it; nobody signed out does.
    app.add_user("bob", "a long password for bob", "user").await;
    let bob = app.with_client(crate::helpers::client());
    assert_eq!(bob.get(&url).await.status(), 401);
    bob.sign_in("bob", "a long password for bob").await;
    assert_eq!(bob.get(&url).await.status(), 404);
}

#[tokio::test]
async fn the_timeline_shows_a_videos_length_and_the_viewer_plays_it_with_its_poster() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(
        &app,
        "clip.mp4",
        &video(&VideoSpec { seconds: 65.0, rate: 5, width: 64, height: 48, ..VideoSpec::default() }),
    );
    run_index(&app, &csrf).await;
    let p = photo_of(&app, "clip.mp4").await;
    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains(r#"<span class="badge duration" aria-label="Video, 1:05">1:05</span>"#), "{page}");
    let viewer = app.get(&format!("/photos/{}", p["id"])).await.text().await.unwrap();
    let video_tag = viewer.split("<video").nth(1).expect("a <video> element").split('>').next().unwrap().to_string();
    assert!(video_tag.contains(&format!(r#"src="{}""#, p["video"].as_str().unwrap())), "{video_tag}");
    assert!(video_tag.contains("controls") && video_tag.contains("playsinline"), "{video_tag}");
    let poster = video_tag.split(r#"poster=""#).nth(1).unwrap().split('"').next().unwrap().replace("&#x2f;", "/");
    let r = app.get(&poster).await;
    assert_eq!(r.status(), 200, "the poster {poster}");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(viewer.contains("<dt>Length</dt><dd>1:05</dd>"), "{viewer}");
}

/// Polls the photo until its video is ready for browsers (the transcode runs in the background).
async fn wait_until_ready(app: &TestApp, id: i64) -> Value {
    for _ in 0..600 {
        let p: Value = app.photo(id).await.json().await.unwrap();
        if p["video_status"] != "preparing" {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the video of photo {id} was never transcoded");
}

#[tokio::test]
async fn an_hevc_video_is_transcoded_once_in_the_background_and_streamed_as_upright_h264() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "phone/IMG_0002.MOV", &iphone_hevc_mov());
    write_original(&app, "clip.mp4", &h264_mp4());
    run_index(&app, &csrf).await;
    let mp4 = photo_of(&app, "clip.mp4").await;
    assert_eq!(mp4["video_status"], "ready", "an H.264 MP4 plays as stored: {mp4}");
    let mov = photo_of(&app, "phone/IMG_0002.MOV").await;
    let id = mov["id"].as_i64().unwrap();
    let mov = wait_until_ready(&app, id).await;
    assert_eq!(mov["video_status"], "ready", "{mov}");
    let r = app.get(mov["video"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let served = r.bytes().await.unwrap();
    let (codec, container) = probe_codec(&served);
    assert_eq!((codec.as_str(), container.as_str()), ("h264", "mov,mp4,m4a,3gp,3g2,mj2"));
    // Turned as the phone shows it, so the rendition needs no rotation of its own.
    assert_eq!(probe_size(&served), (180, 320));
    // +faststart: the index (moov) comes before the media data, so playing starts at once.
    let moov = served.windows(4).position(|w| w == b"moov").unwrap();
    let mdat = served.windows(4).position(|w| w == b"mdat").unwrap();
    assert!(moov < mdat, "moov at {moov}, mdat at {mdat}");
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM transcodes").fetch_one(&app.db).await.unwrap();
    assert_eq!(rows, 1, "only the HEVC video is queued");
}

#[tokio::test]
async fn until_its_transcode_is_made_the_viewer_says_the_video_is_being_prepared_and_a_restart_resumes_the_queue() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0003.MOV", &iphone_hevc_mov());
    run_index(&app, &csrf).await;
    let id = photo_of(&app, "IMG_0003.MOV").await["id"].as_i64().unwrap();
    let done = wait_until_ready(&app, id).await;
    let hash = done["hash"].as_str().unwrap().to_string();
    // Restarted without ffmpeg, as a server stopped in the middle of a transcode leaves it:
    // running, without its file. No queue runs, so it stays waiting.
    let app = app.restart_with(&[("DISABLE_FFMPEG", "true")]).await;
    sqlx::query("UPDATE transcodes SET status = 'running', finished_at = NULL").execute(&app.db).await.unwrap();
    let cached =
        app.storage.path().join(format!("cache/thumbnails/{}/{}/{hash}_transcode.mp4", &hash[..2], &hash[2..4]));
    std::fs::remove_file(&cached).expect("the transcode was cached under STORAGE_PATH");
    let p: Value = app.photo(id).await.json().await.unwrap();
    assert_eq!(p["video_status"], "preparing", "{p}");
    let r = app.get(p["video"].as_str().unwrap()).await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("being prepared"));
    let page = app.get(&format!("/photos/{id}")).await.text().await.unwrap();
    assert!(page.contains("This video is being prepared"), "{page}");
    assert!(!page.contains("<video"), "no player for a video browsers cannot play yet");
    // The admin Library page lists the tools (ffmpeg off) and the video waiting.
    let admin = app.get("/admin/library").await.text().await.unwrap();
    assert!(admin.contains("<dt>ffmpeg</dt><dd>off (DISABLE_FFMPEG=true)</dd>"), "{admin}");
    assert!(admin.contains("<li><code>IMG_0003.MOV</code> (now)</li>"), "{admin}");

    let app = app.restart_with(&[("DISABLE_FFMPEG", "false")]).await;
    let p = wait_until_ready(&app, id).await;
    assert_eq!(p["video_status"], "ready");
    assert!(cached.is_file(), "the restarted queue made the transcode again");
    assert_eq!(app.get(p["video"].as_str().unwrap()).await.status(), 200);
    let admin = app.get("/admin/library").await.text().await.unwrap();
    assert!(admin.contains("No video is waiting"), "{admin}");
    assert!(admin.contains("<dt>ffmpeg</dt><dd>found at "), "{admin}");
}

#[tokio::test]
async fn the_type_filter_lists_only_videos_only_photos_or_only_raws_and_refuses_an_unknown_kind() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "mix/clip.mp4", &h264_mp4());
    write_original(&app, "mix/photo.jpg", &camera_jpeg(40));
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], 2, "{summary}");
    let kinds = |body: Value| -> Vec<String> {
        body["photos"].as_array().unwrap().iter().map(|p| p["media_type"].as_str().unwrap().to_string()).collect()
    };
    let app = &app;
    let get = |q: &'static str| async move { app.get(&format!("/api/v1/photos?{q}")).await };
    assert_eq!(kinds(get("type=video").await.json().await.unwrap()), ["video"]);
    assert_eq!(kinds(get("type=image").await.json().await.unwrap()), ["image"]);
    assert!(kinds(get("type=raw").await.json().await.unwrap()).is_empty());
    let mut all = kinds(get("").await.json().await.unwrap());
    all.sort();
    assert_eq!(all, ["image", "video"]);
    let bad = get("type=hologram").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("use image, raw, video or live"));
    // The search form offers the kinds and keeps the chosen one.
    let page = app.get("/?type=video").await.text().await.unwrap();
    assert!(page.contains(r#"<option value="video" selected>Videos</option>"#), "{page}");
}
