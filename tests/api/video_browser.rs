//! Videos in a real browser: Chromium plays an H.264 MP4 in the viewer, time advances, and a
//! seek lands where it was asked to, in the viewer and on a share link's photo page.

use crate::helpers::*;

#[tokio::test]
async fn chromium_plays_an_h264_video_in_the_viewer_and_seeks_in_it() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let clip = video(&VideoSpec { seconds: 6.0, ..VideoSpec::default() });
    let ids = upload_photos(&app, &csrf, &[("walk.mp4", clip)]).await;

    // Playing without a click: a test has no user gesture to give.
    let b = Browser::start_with(&["--autoplay-policy=no-user-gesture-required"]).await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_path("/").await;
    b.until("return !!document.querySelector('.tile .badge.duration')", "the video's length on its tile").await;
    b.client.goto(&app.url(&format!("/photos/{}", ids[0]))).await.unwrap();
    b.until("const v = document.getElementById('video'); return !!v && v.readyState >= 1", "the video's metadata")
        .await;
    let duration = b.eval("return document.getElementById('video').duration").await;
    assert!((duration.as_f64().unwrap() - 6.0).abs() < 0.2, "duration {duration}");
    b.eval("const v = document.getElementById('video'); v.muted = true; v.play(); return true").await;
    b.until("return document.getElementById('video').currentTime > 0.5", "the video playing").await;
    // Seeking asks the server for a range further on.
    b.eval("const v = document.getElementById('video'); v.currentTime = 4.5; return true").await;
    b.until(
        "const v = document.getElementById('video'); return !v.seeking && v.currentTime >= 4.5",
        "the video seeked to 4.5 s",
    )
    .await;
    let error = b.eval("const v = document.getElementById('video'); return v.error && v.error.message").await;
    assert!(error.is_null(), "the player reports {error}");
    b.close().await;
}

#[tokio::test]
async fn chromium_plays_a_video_on_a_share_links_photo_page_without_an_account() {
    let p = party().await;
    let clip = video(&VideoSpec { seconds: 6.0, ..VideoSpec::default() });
    let ids = p.alice.upload(&[("walk.mp4", clip)]).await;
    let album = p.alice.album_with("Walks", &ids).await;
    // Metadata hidden (the default): the page plays the stream remuxed without it.
    let link = p.alice.make_link(album, serde_json::json!({})).await;

    let b = Browser::start_with(&["--autoplay-policy=no-user-gesture-required"]).await;
    b.client.goto(&p.app.url(&format!("/s/{}", link.token))).await.unwrap();
    b.client.goto(&p.app.url(&format!("/s/{}/photos/{}", link.token, ids[0]))).await.unwrap();
    b.until("const v = document.getElementById('video'); return !!v && v.readyState >= 1", "the video's metadata")
        .await;
    let duration = b.eval("return document.getElementById('video').duration").await;
    assert!((duration.as_f64().unwrap() - 6.0).abs() < 0.2, "duration {duration}");
    b.eval("const v = document.getElementById('video'); v.muted = true; v.play(); return true").await;
    b.until("return document.getElementById('video').currentTime > 0.5", "the video playing").await;
    b.eval("const v = document.getElementById('video'); v.currentTime = 4.5; return true").await;
    b.until(
        "const v = document.getElementById('video'); return !v.seeking && v.currentTime >= 4.5",
        "the video seeked to 4.5 s",
    )
    .await;
    let error = b.eval("const v = document.getElementById('video'); return v.error && v.error.message").await;
    assert!(error.is_null(), "the player reports {error}");
    b.close().await;
}
