//! Thumbnails are answered from memory once a viewer was allowed them; every way a right is taken
//! away still stops the very next request: a member removed, a photo trashed, made private or
//! taken out of the album, an account disabled, a share link revoked, and a change made in the
//! database by another program.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Party, ResponseExt, party, photo, visitor};

/// Alice's photo in an album shared with Bob as a viewer, and the thumbnail URL Bob was given,
/// already served to him once (so it is remembered).
async fn shared_with_bob(p: &Party) -> (i64, i64, String) {
    let ids = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = p.alice.album_with("Family", &ids).await;
    let r = p
        .alice
        .send(Method::PUT, &format!("/api/v1/albums/{album}/members/bob"), Some(json!({ "role": "viewer" })))
        .await;
    assert_eq!(r.status(), 200, "sharing with bob");
    let photos = p.bob.album_photos(album, "").await.ok_json().await;
    let thumb = photos["photos"][0]["thumbnails"]["tile_224"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let r = p.bob.app.get(&thumb).await;
        assert_eq!(r.status(), 200, "bob sees the shared thumbnail");
        assert_eq!(&r.bytes().await.unwrap()[..2], &[0xff, 0xd8], "a JPEG");
    }
    (ids[0], album, thumb)
}

#[tokio::test]
async fn a_thumbnail_stops_being_served_to_a_member_as_soon_as_he_is_removed_from_the_album() {
    let p = party().await;
    let (_, album, thumb) = shared_with_bob(&p).await;
    assert_eq!(p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/members/bob"), None).await.status(), 204);
    assert_eq!(p.bob.app.get(&thumb).await.status(), 404);
}

#[tokio::test]
async fn a_thumbnail_stops_being_served_to_a_member_as_soon_as_its_owner_trashes_the_photo() {
    let p = party().await;
    let (id, _, thumb) = shared_with_bob(&p).await;
    assert_eq!(p.alice.trash(id).await.status(), 200);
    assert_eq!(p.bob.app.get(&thumb).await.status(), 404);
    assert_eq!(p.alice.restore(id).await.status(), 200);
    assert_eq!(p.bob.app.get(&thumb).await.status(), 200, "back once restored");
}

#[tokio::test]
async fn a_thumbnail_stops_being_served_to_a_member_as_soon_as_the_photo_is_made_private_or_leaves_the_album() {
    let p = party().await;
    let (id, album, thumb) = shared_with_bob(&p).await;
    p.alice.patch_photo(id, json!({ "private": true })).await.ok_json().await;
    assert_eq!(p.bob.app.get(&thumb).await.status(), 404, "private");
    p.alice.patch_photo(id, json!({ "private": false })).await.ok_json().await;
    assert_eq!(p.bob.app.get(&thumb).await.status(), 200, "shared again");
    assert_eq!(p.alice.remove_from_album(album, &[id]).await.status(), 200);
    assert_eq!(p.bob.app.get(&thumb).await.status(), 404, "out of the album");
}

#[tokio::test]
async fn a_disabled_accounts_thumbnail_urls_stop_at_once_even_for_its_own_photos() {
    let p = party().await;
    let ids = p.bob.upload(&[("b.jpg", photo("2023:02:02 10:00:00", 2))]).await;
    let mine =
        p.bob.get(&format!("/api/v1/photos/{}", ids[0])).await["thumbnails"]["tile_224"].as_str().unwrap().to_string();
    assert_eq!(p.bob.app.get(&mine).await.status(), 200);
    let bob_id = p.admin.get("/api/v1/users").await["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = p.admin.send(Method::PATCH, &format!("/api/v1/users/{bob_id}"), Some(json!({ "disabled": true }))).await;
    assert_eq!(r.status(), 200, "disabling bob");
    assert_eq!(p.bob.app.get(&mine).await.status(), 404);
}

#[tokio::test]
async fn a_revoked_share_links_thumbnail_url_stops_on_the_next_request() {
    let p = party().await;
    let ids = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = p.alice.album_with("Trip", &ids).await;
    let link = p.alice.make_link(album, json!({})).await;
    let hash = p.alice.hash_of(ids[0]).await;
    let stranger = visitor(&p.app);
    assert_eq!(stranger.open(&link.token).await.status(), 200, "the visit begins");
    let url = format!("/api/v1/s/{}/t/{hash}/tile_224", link.token);
    assert_eq!(stranger.get(&url).await.status(), 200);
    assert_eq!(stranger.get(&url).await.status(), 200);
    let r = p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/links/{}", link.id), None).await;
    assert!(r.status().is_success(), "revoking: {}", r.status());
    assert_eq!(stranger.get(&url).await.status(), 410, "a revoked link is gone");
}

#[tokio::test]
async fn a_member_removed_by_another_program_writing_the_database_stops_seeing_the_thumbnail() {
    let p = party().await;
    let (_, album, thumb) = shared_with_bob(&p).await;
    // As `sqlite3` or another Shoebox process would: no request tells the server.
    sqlx::query("DELETE FROM album_members WHERE album_id = ?").bind(album).execute(&p.app.db).await.unwrap();
    let mut status = 200;
    for _ in 0..100 {
        status = p.bob.app.get(&thumb).await.status().as_u16();
        if status != 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 404, "the change was never noticed");
}

#[tokio::test]
async fn a_thumbnail_served_again_from_memory_has_the_same_bytes_and_validators() {
    let p = party().await;
    let ids = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 3))]).await;
    let photo: Value = p.alice.get(&format!("/api/v1/photos/{}", ids[0])).await;
    let thumb = photo["thumbnails"]["tile_100"].as_str().unwrap();
    let first = p.alice.app.get(thumb).await;
    let etag = first.headers()["etag"].clone();
    let first = first.bytes().await.unwrap();
    let again = p.alice.app.get(thumb).await;
    assert_eq!(again.headers()["etag"], etag);
    assert_eq!(again.headers()["content-type"], "image/jpeg");
    assert_eq!(again.bytes().await.unwrap(), first);
    let url = p.alice.app.url(thumb);
    let cached = p.alice.app.client.get(url).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
}
