//! Partners: a user shares their whole library, read-only, with another user, who sees it in a
//! list of its own and, when they choose, in their timeline — never the private, archived or
//! trashed photos, and nothing at all from the request after the sharing stops.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Person, ResponseExt, party, person, photo};

/// Alice's four photos: one to share, one private, one archived, one in the trash.
async fn alices_photos(alice: &Person) -> [i64; 4] {
    let ids = alice
        .upload(&[
            ("shared.jpg", photo("2023:03:01 10:00:00", 11)),
            ("private.jpg", photo("2023:03:02 10:00:00", 12)),
            ("archived.jpg", photo("2023:03:03 10:00:00", 13)),
            ("trashed.jpg", photo("2023:03:04 10:00:00", 14)),
        ])
        .await;
    alice.patch_photo(ids[1], json!({ "private": true })).await.ok_json().await;
    alice.send(Method::POST, &format!("/api/v1/photos/{}/archive", ids[2]), None).await.ok_json().await;
    assert_eq!(alice.trash(ids[3]).await.status(), 200);
    [ids[0], ids[1], ids[2], ids[3]]
}

async fn share_with(owner: &Person, username: &str) -> reqwest::Response {
    owner.send(Method::POST, "/api/v1/account/partners", Some(json!({ "username": username }))).await
}

async fn user_id(p: &Person, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE username = ?").bind(username).fetch_one(&p.app.db).await.unwrap()
}

/// The ids of the photos in a list answer.
fn ids_of(list: &Value) -> Vec<i64> {
    list["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

async fn status(p: &Person, path: &str) -> u16 {
    p.app.get(path).await.status().as_u16()
}

#[tokio::test]
async fn a_partner_sees_and_downloads_the_shared_library_but_never_its_private_archived_or_trashed_photos() {
    let p = party().await;
    let [shared, private, archived, trashed] = alices_photos(&p.alice).await;
    let made = share_with(&p.alice, "bob").await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    assert_eq!((made["username"].clone(), made["in_timeline"].clone()), (json!("bob"), json!(false)));
    let alice_id = user_id(&p.alice, "alice").await;

    // The photo, its thumbnail and its original, as bob's own session and media token ask.
    let seen = p.bob.photo(shared).await.ok_json().await;
    assert_eq!(seen["owner_id"], json!(alice_id));
    assert!(seen.get("files").is_none(), "where alice keeps her files stays hers");
    let tile = seen["thumbnails"]["tile_224"].as_str().unwrap().to_string();
    let thumb = p.bob.app.get(&tile).await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(&thumb.bytes().await.unwrap()[..3], b"\xff\xd8\xff", "a JPEG thumbnail");
    let original = p.bob.app.get(seen["original"].as_str().unwrap()).await;
    assert_eq!(original.status(), 200);
    assert_eq!(original.bytes().await.unwrap().to_vec(), photo("2023:03:01 10:00:00", 11), "the very original");
    let zip = p.bob.app.get(&format!("/api/v1/photos/zip?ids={shared}")).await;
    assert_eq!(zip.status(), 200);
    assert_eq!(&zip.bytes().await.unwrap()[..2], b"PK");
    assert_eq!(status(&p.bob, &format!("/photos/{shared}")).await, 200);
    let list = p.bob.app.get(&format!("/partners/{alice_id}")).await;
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("Photos from alice"), "the list says whose photos these are");
    assert!(html.contains(&format!("data-id=\"{shared}\"")), "the shared photo is listed");

    // The ones alice keeps to herself, by id, by list, by thumbnail, original and zip.
    for hidden in [private, archived, trashed] {
        assert_eq!(p.bob.photo(hidden).await.status(), 404, "photo {hidden}");
        assert!(!html.contains(&format!("data-id=\"{hidden}\"")), "photo {hidden} in the list");
        assert_eq!(status(&p.bob, &format!("/photos/{hidden}")).await, 404);
        assert_eq!(status(&p.bob, &format!("/api/v1/photos/zip?ids={shared},{hidden}")).await, 404);
        let hash = p.alice.hash_of(hidden).await;
        let own_hash = seen["hash"].as_str().unwrap();
        assert_eq!(status(&p.bob, &tile.replace(own_hash, &hash)).await, 404, "thumbnail of {hidden}");
        assert_eq!(status(&p.bob, &format!("/api/v1/dl/{hash}")).await, 404, "original of {hidden}");
    }

    // Read-only: bob changes nothing of alice's.
    assert_eq!(p.bob.patch_photo(shared, json!({ "title": "mine now" })).await.status(), 404);
    assert_eq!(p.bob.send(Method::POST, &format!("/api/v1/photos/{shared}/favorite"), None).await.status(), 404);
    assert_eq!(p.bob.trash(shared).await.status(), 404);
    let title: String =
        sqlx::query_scalar("SELECT title FROM photos WHERE id = ?").bind(shared).fetch_one(&p.app.db).await.unwrap();
    assert_eq!(title, "");

    // Someone alice shares nothing with sees nothing.
    p.app.add_user("carol", PASSWORD, "user").await;
    let carol = person(&p.app, "carol").await;
    assert_eq!(carol.photo(shared).await.status(), 404);
    assert_eq!(status(&carol, &format!("/partners/{alice_id}")).await, 404);
    assert_eq!(status(&carol, &format!("/api/v1/dl/{}", seen["hash"].as_str().unwrap())).await, 404);
}

#[tokio::test]
async fn stopping_the_sharing_takes_the_library_away_from_the_partner_at_once_media_urls_included() {
    let p = party().await;
    let [shared, ..] = alices_photos(&p.alice).await;
    assert_eq!(share_with(&p.alice, "bob").await.status(), 201);
    let alice_id = user_id(&p.alice, "alice").await;
    let seen = p.bob.photo(shared).await.ok_json().await;
    let (tile, original) = (seen["thumbnails"]["tile_224"].as_str().unwrap(), seen["original"].as_str().unwrap());
    let handed_out = [
        tile.to_string(),
        original.to_string(),
        format!("/api/v1/photos/{shared}"),
        format!("/api/v1/photos/zip?ids={shared}"),
        format!("/photos/{shared}"),
        format!("/partners/{alice_id}"),
    ];
    for url in &handed_out {
        assert_eq!(status(&p.bob, url).await, 200, "{url} while shared");
    }

    let stopped = p.alice.send(Method::DELETE, "/api/v1/account/partners/bob", None).await;
    assert_eq!(stopped.status(), 204);
    for url in &handed_out {
        assert_eq!(status(&p.bob, url).await, 404, "{url} after the sharing stopped");
    }
    let bobs = p.bob.get("/api/v1/account/partners").await;
    assert_eq!(bobs["shared_with_me"], json!([]));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM partners").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(rows, 0);
    assert_eq!(p.alice.send(Method::DELETE, "/api/v1/account/partners/bob", None).await.status(), 404);
}

#[tokio::test]
async fn a_partner_chooses_to_show_the_shared_library_in_their_own_timeline() {
    let p = party().await;
    let [shared, private, archived, _] = alices_photos(&p.alice).await;
    let bobs = p.bob.upload(&[("bobs.jpg", photo("2023:03:05 10:00:00", 21))]).await[0];
    assert_eq!(share_with(&p.alice, "bob").await.status(), 201);
    assert_eq!(ids_of(&p.bob.photos("").await.ok_json().await), vec![bobs], "not in the timeline until bob asks");

    let path = "/api/v1/account/partners/alice";
    let on = p.bob.json(Method::PATCH, path, Some(json!({ "in_timeline": true }))).await;
    assert_eq!(on["in_timeline"], json!(true));
    let stored: bool = sqlx::query_scalar("SELECT in_timeline FROM partners").fetch_one(&p.app.db).await.unwrap();
    assert!(stored);
    assert_eq!(ids_of(&p.bob.photos("").await.ok_json().await), vec![bobs, shared], "both libraries, newest first");
    let months = p.bob.get("/api/v1/months").await;
    assert_eq!(months["months"], json!([{ "month": "2023-03", "photos": 2 }]));
    let page = p.bob.app.get("/").await.text().await.unwrap();
    assert!(page.contains(&format!("data-id=\"{shared}\"")), "the timeline page holds alice's photo");
    for hidden in [private, archived] {
        assert!(!page.contains(&format!("data-id=\"{hidden}\"")), "photo {hidden} in bob's timeline");
    }
    // The viewer walks from bob's photo to alice's in the mixed timeline.
    let viewer = p.bob.app.get(&format!("/photos/{bobs}")).await.text().await.unwrap();
    assert!(viewer.contains(&format!("/photos/{shared}?in=timeline")), "the older photo is alice's");
    // Alice's own timeline stays hers: the choice is bob's alone, and only about what is shared with him.
    assert_eq!(
        ids_of(&p.alice.photos("").await.ok_json().await),
        vec![private, shared],
        "her own private one included"
    );
    assert_eq!(
        p.alice
            .send(Method::PATCH, "/api/v1/account/partners/bob", Some(json!({ "in_timeline": true })))
            .await
            .status(),
        404
    );

    p.bob.json(Method::PATCH, path, Some(json!({ "in_timeline": false }))).await;
    assert_eq!(ids_of(&p.bob.photos("").await.ok_json().await), vec![bobs]);
    // Shown in the timeline and then no longer shared: gone from the timeline too.
    p.bob.json(Method::PATCH, path, Some(json!({ "in_timeline": true }))).await;
    p.alice.send(Method::DELETE, "/api/v1/account/partners/bob", None).await;
    assert_eq!(ids_of(&p.bob.photos("").await.ok_json().await), vec![bobs]);
}

#[tokio::test]
async fn sharing_a_library_with_an_unknown_user_or_oneself_is_refused_saying_what_to_do() {
    let p = party().await;
    for (who, says) in [("nobody", "no enabled user"), ("alice", "your own library")] {
        let r = share_with(&p.alice, who).await;
        assert_eq!(r.status(), 400, "{who}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(says), "{who}: {body}");
    }
    let bad = p.alice.send(Method::POST, "/api/v1/account/partners", Some(json!({ "user": "bob" }))).await;
    assert_eq!(bad.status(), 400);
    // Without the CSRF token nothing is shared.
    let forged = p.alice.app.client.post(p.app.url("/api/v1/account/partners")).json(&json!({ "username": "bob" }));
    assert_eq!(forged.send().await.unwrap().status(), 403);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM partners").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(rows, 0);
    // Sharing twice keeps one partnership.
    assert_eq!(share_with(&p.alice, "bob").await.status(), 201);
    assert_eq!(share_with(&p.alice, "BOB").await.status(), 201);
    let alices = p.alice.get("/api/v1/account/partners").await;
    assert_eq!(alices["shared_with"].as_array().unwrap().len(), 1);
    assert_eq!(alices["shared_with"][0]["username"], json!("bob"));
    assert_eq!(p.bob.get("/api/v1/account/partners").await["shared_with_me"][0]["username"], json!("alice"));
}

#[tokio::test]
async fn the_account_page_shares_the_library_stops_it_and_switches_the_partners_timeline() {
    let p = party().await;
    let form = |who: &Person, path: &str, fields: &[(&str, &str)]| {
        let mut all = vec![("csrf_token", who.csrf.as_str())];
        all.extend_from_slice(fields);
        who.app.client.post(who.app.url(path)).form(&all).send()
    };
    let shared = form(&p.alice, "/account/partners", &[("username", "bob")]).await.unwrap();
    assert_eq!(shared.status(), 303);
    assert_eq!(shared.headers()["location"], "/account#partners");
    let alices_page = p.alice.app.get("/account").await.text().await.unwrap();
    assert!(alices_page.contains("Shared with <strong>bob</strong>"));
    assert!(alices_page.contains("action=\"/account/partners/bob/delete\""));

    let alice_id = user_id(&p.alice, "alice").await;
    let bobs_page = p.bob.app.get("/account").await.text().await.unwrap();
    assert!(bobs_page.contains(&format!("href=\"/partners/{alice_id}\"")), "a link to alice's photos");
    assert!(bobs_page.contains("Show in my timeline"));
    let switched = form(&p.bob, "/account/partners/alice/timeline", &[("in_timeline", "on")]).await.unwrap();
    assert_eq!(switched.status(), 303);
    let stored: bool = sqlx::query_scalar("SELECT in_timeline FROM partners").fetch_one(&p.app.db).await.unwrap();
    assert!(stored);
    assert!(p.bob.app.get("/account").await.text().await.unwrap().contains("Hide from my timeline"));
    form(&p.bob, "/account/partners/alice/timeline", &[]).await.unwrap();
    let stored: bool = sqlx::query_scalar("SELECT in_timeline FROM partners").fetch_one(&p.app.db).await.unwrap();
    assert!(!stored);

    let stopped = form(&p.alice, "/account/partners/bob/delete", &[]).await.unwrap();
    assert_eq!(stopped.status(), 303);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM partners").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(rows, 0);
    assert!(!p.bob.app.get("/account").await.text().await.unwrap().contains("href=\"/partners/"));
}
