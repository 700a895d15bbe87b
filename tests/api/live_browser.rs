//! Live Photos in a real browser: the timeline tile says LIVE, and in the viewer the clip plays
//! over the still while the mouse hovers it or a finger holds it, and stops when they leave.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, MouseActions, PointerAction, TouchActions};

use crate::helpers::*;

const CLIP: &str = "document.getElementById('live-clip')";

#[tokio::test]
async fn chromium_plays_a_live_photos_clip_while_hovered_or_held_and_stops_when_let_go() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    upload_photos(&app, &csrf, &[("IMG_0007.MOV", live_clip_mov("libx264"))]).await;
    let ids = upload_photos(&app, &csrf, &[("IMG_0007.JPG", live_still_jpeg(7))]).await;

    let b = Browser::start().await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_path("/").await;
    b.until("return !!document.querySelector('.tile .badge.live')", "the LIVE badge on the tile").await;
    assert!(b.eval("return !document.querySelector('.tile .badge.duration')").await.as_bool().unwrap());
    b.client.goto(&app.url(&format!("/photos/{}", ids[0]))).await.unwrap();
    b.until(&format!("const v = {CLIP}; return !!v && v.readyState >= 1"), "the clip's metadata").await;
    let attrs = b.eval(&format!("const v = {CLIP}; return [v.muted, v.hasAttribute('playsinline'), v.paused]")).await;
    assert_eq!(attrs, serde_json::json!([true, true, true]), "muted, inline, still until asked");
    assert!(b.eval("return !!document.getElementById('photo')").await.as_bool().unwrap(), "the still is shown");

    // Hover: the clip plays over the still.
    let stage = b.client.find(Locator::Css(".stage")).await.unwrap();
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: stage.clone(),
        duration: Some(Duration::from_millis(50)),
        x: 0.0,
        y: 0.0,
    });
    b.client.perform_actions(hover).await.unwrap();
    b.until(&format!("return {CLIP}.currentTime > 0.3"), "the clip playing while hovered").await;
    assert!(b.eval(&format!("return {CLIP}.classList.contains('playing')")).await.as_bool().unwrap());
    // Leaving it (to the top bar) stops and rewinds it.
    let bar = b.client.find(Locator::Css(".vbar h1")).await.unwrap();
    let leave = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: bar,
        duration: Some(Duration::from_millis(50)),
        x: 0.0,
        y: 0.0,
    });
    b.client.perform_actions(leave).await.unwrap();
    b.until(
        &format!("const v = {CLIP}; return v.paused && v.currentTime === 0 && !v.classList.contains('playing')"),
        "the clip stopped when the pointer left",
    )
    .await;
    b.client.release_actions().await.unwrap();

    // Press and hold with a finger: plays while held (the furthest time reached while held is
    // kept by the page), stops and rewinds when lifted.
    b.eval(&format!(
        "const v = {CLIP}; window.held = 0; v.addEventListener('timeupdate', () => {{ \
         if (v.classList.contains('playing')) held = Math.max(held, v.currentTime); }}); window.seen = []; \
         for (const t of ['pointerdown', 'pointerup', 'pointercancel', 'pointerover', 'pointerenter', 'pointerleave', 'touchend', 'contextmenu', 'click']) \
         document.addEventListener(t, (e) => seen.push(t + ':' + (e.pointerType || '') + ':' + e.target.id), true); \
         v.addEventListener('play', () => seen.push('play')); v.addEventListener('pause', () => seen.push('pause')); return true"
    ))
    .await;
    let press = TouchActions::new("finger".into())
        .then(PointerAction::MoveToElement { element: stage, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::Pause { duration: Duration::from_millis(1500) })
        .then(PointerAction::Up { button: 0 });
    b.client.perform_actions(press).await.unwrap();
    let held = b.eval("return window.held").await.as_f64().unwrap();
    assert!(held > 0.3, "the clip played while held: it reached {held} s");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = b.eval("return window.seen").await;
    let stopped = b.eval(&format!("const v = {CLIP}; return v.paused && v.currentTime === 0")).await;
    assert_eq!(stopped, serde_json::json!(true), "the clip stopped when lifted; events {seen}");
    let error = b.eval(&format!("const v = {CLIP}; return v.error && v.error.message")).await;
    assert!(error.is_null(), "the player reports {error}");
    b.close().await;
}
