//! A shared Live Photo in a real browser, for a visitor without an account: the album's tile says
//! LIVE, and on the photo's page the clip (remuxed without its metadata, as the link hides it)
//! plays over the still while the mouse hovers it or a finger holds it, and stops when they leave.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, MouseActions, PointerAction, TouchActions};
use serde_json::json;

use crate::helpers::*;

const CLIP: &str = "document.getElementById('live-clip')";

#[tokio::test]
async fn a_visitor_without_an_account_sees_a_shared_live_photos_clip_play_on_hover_and_while_held() {
    let p = party().await;
    write_original(&p.app, "IMG_0009.JPG", &live_still_jpeg(9));
    write_original(&p.app, "IMG_0009.MOV", &live_clip_mov("libx264"));
    run_index(&p.app, &p.admin.csrf).await;
    let photos = p.admin.photos("").await.ok_json().await;
    let live = photos["photos"][0].clone();
    assert_eq!(live["media_type"], "live", "{photos}");
    let album = p.admin.album_with("Phone", &[live["id"].as_i64().unwrap()]).await;
    let link = p.admin.make_link(album, json!({})).await;

    let b = Browser::start().await;
    b.client.goto(&p.app.url(&format!("/s/{}", link.token))).await.unwrap();
    b.until("return !!document.querySelector('#shared-grid .tile .badge.live')", "the LIVE badge on the tile").await;
    b.client.find(Locator::Css("#shared-grid a.tile")).await.unwrap().click().await.unwrap();
    b.until(&format!("const v = {CLIP}; return !!v && v.readyState >= 1"), "the clip's metadata").await;
    let attrs = b.eval(&format!("const v = {CLIP}; return [v.muted, v.paused, v.src.includes('/api/v1/s/')]")).await;
    assert_eq!(attrs, json!([true, true, true]), "muted, still until asked, under the link");
    assert!(b.eval("return !!document.getElementById('photo')").await.as_bool().unwrap(), "the still is shown");

    let stage = b.client.find(Locator::Css(".stage")).await.unwrap();
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: stage,
        duration: Some(Duration::from_millis(50)),
        x: 0.0,
        y: 0.0,
    });
    b.client.perform_actions(hover).await.unwrap();
    b.until(&format!("return {CLIP}.currentTime > 0.3"), "the clip playing while hovered").await;
    assert!(b.eval(&format!("return {CLIP}.classList.contains('playing')")).await.as_bool().unwrap());
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
         if (v.classList.contains('playing')) held = Math.max(held, v.currentTime); }}); return true"
    ))
    .await;
    let stage = b.client.find(Locator::Css(".stage")).await.unwrap();
    let press = TouchActions::new("finger".into())
        .then(PointerAction::MoveToElement { element: stage, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::Pause { duration: Duration::from_millis(1500) })
        .then(PointerAction::Up { button: 0 });
    b.client.perform_actions(press).await.unwrap();
    let held = b.eval("return window.held").await.as_f64().unwrap();
    assert!(held > 0.3, "the clip played while held: it reached {held} s");
    b.until(&format!("const v = {CLIP}; return v.paused && v.currentTime === 0"), "the clip stopped when lifted").await;
    let error = b.eval(&format!("const v = {CLIP}; return v.error && v.error.message")).await;
    assert!(error.is_null(), "the player reports {error}");
    b.close().await;
}
