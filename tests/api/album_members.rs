//! Albums shared with other users as viewer, contributor or editor: what each role may do,
//! private photos kept out, and contributed photos staying their contributor's.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Person, ResponseExt, client, party, person, photo};

async fn share(owner: &Person, album: i64, username: &str, role: &str) -> reqwest::Response {
    owner.send(Method::PUT, &format!("/api/v1/albums/{album}/members/{username}"), Some(json!({ "role": role }))).await
}

fn ids_of(v: &Value) -> Vec<i64> {
    v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn an_album_shared_with_a_viewer_shows_its_photos_except_private_ones_and_allows_no_changes() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1)), ("secret.jpg", photo("2023:01:02 10:00:00", 2))])
        .await;
    p.alice.patch_photo(ids[1], json!({ "private": true })).await.ok_json().await;
    let album = p.alice.album_with("Family", &ids).await;
    let member = share(&p.alice, album, "bob", "viewer").await.ok_json().await;
    assert_eq!((member["username"].clone(), member["role"].clone()), (json!("bob"), json!("viewer")));
    let shared = p.bob.get("/api/v1/albums?shared=true").await;
    let a = &shared["albums"][0];
    assert_eq!(
        (a["id"].as_i64(), a["role"].clone(), a["owner_name"].clone()),
        (Some(album), json!("viewer"), json!("alice"))
    );
    assert!(p.bob.get("/api/v1/albums").await["albums"].as_array().unwrap().is_empty(), "not among his own");
    let photos = p.bob.album_photos(album, "").await.ok_json().await;
    assert_eq!(ids_of(&photos), vec![ids[0]]);
    assert_eq!(
        (photos["photos"][0]["owner_name"].clone(), photos["photos"][0]["added_by"].clone()),
        (json!("alice"), json!("alice"))
    );
    let thumb = photos["photos"][0]["thumbnails"]["tile_224"].as_str().unwrap();
    assert_eq!(p.bob.app.get(thumb).await.status(), 200);
    let hash = photos["photos"][0]["hash"].as_str().unwrap();
    assert_eq!(p.bob.app.get(&format!("/api/v1/dl/{hash}")).await.status(), 200);
    // The private photo: not by id, not by its thumbnail with Bob's media token, not in the zip.
    let private_hash = p.alice.hash_of(ids[1]).await;
    assert_eq!(p.bob.photo(ids[1]).await.status(), 404);
    assert_eq!(p.bob.app.get(&thumb.replace(hash, &private_hash)).await.status(), 404);
    assert_eq!(p.bob.app.get(&format!("/api/v1/dl/{private_hash}")).await.status(), 404);
    let zip = p.bob.app.get(&format!("/api/v1/albums/{album}/zip")).await.bytes().await.unwrap();
    assert_eq!(zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap().len(), 1);
    // A viewer changes nothing.
    let bobs = p.bob.upload(&[("bob.jpg", photo("2023:03:03 10:00:00", 3))]).await;
    for (method, path, body) in [
        (Method::POST, format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": bobs }))),
        (Method::DELETE, format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": [ids[0]] }))),
        (Method::PATCH, format!("/api/v1/albums/{album}"), Some(json!({ "title": "Mine" }))),
        (Method::DELETE, format!("/api/v1/albums/{album}"), None),
        (Method::PUT, format!("/api/v1/albums/{album}/members/admin"), Some(json!({ "role": "viewer" }))),
    ] {
        assert_eq!(p.bob.send(method.clone(), &path, body).await.status(), 403, "{method} {path}");
    }
    assert_eq!(p.alice.album(album).await.ok_json().await["title"], "Family");
    let page = p.bob.app.get("/albums").await.text().await.unwrap();
    assert!(page.contains("Shared with me") && page.contains("Family") && page.contains("alice · viewer"), "{page}");
    assert_eq!(p.bob.app.get(&format!("/albums/{album}")).await.status(), 200);
    // The administrator is no member: 404 as before.
    assert_eq!(p.admin.album(album).await.status(), 404);
}

#[tokio::test]
async fn a_contributors_photos_stay_theirs_and_leave_the_album_when_they_leave_it() {
    let p = party().await;
    let ids = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = p.alice.album_with("Trip", &ids).await;
    share(&p.alice, album, "bob", "contributor").await.ok_json().await;
    let bobs =
        p.bob.upload(&[("b1.jpg", photo("2023:02:02 10:00:00", 2)), ("b2.jpg", photo("2023:02:03 10:00:00", 3))]).await;
    let r = p.bob.add_to_album(album, &bobs).await.ok_json().await;
    assert_eq!(r["added"], 2);
    assert_eq!(r["album"]["role"], "contributor");
    assert_eq!(p.bob.add_to_album(album, &ids).await.status(), 404, "only his own photos");
    let seen = p.alice.album_photos(album, "").await.ok_json().await;
    assert_eq!(ids_of(&seen).len(), 3);
    let bob_photo = seen["photos"].as_array().unwrap().iter().find(|ph| ph["id"] == bobs[0]).unwrap().clone();
    assert_eq!((bob_photo["owner_name"].clone(), bob_photo["added_by"].clone()), (json!("bob"), json!("bob")));
    assert_eq!(p.alice.app.get(bob_photo["thumbnails"]["tile_224"].as_str().unwrap()).await.status(), 200);
    assert_eq!(p.alice.photo(bobs[0]).await.ok_json().await["owner_id"], bob_photo["owner_id"]);
    // A contributor takes out only his own photos.
    let r =
        p.bob.send(Method::DELETE, &format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": [ids[0]] }))).await;
    assert_eq!(r.json::<Value>().await.unwrap()["removed"], 0);
    // Deleting a photo takes it out of the album for everyone.
    assert_eq!(p.bob.trash(bobs[1]).await.status(), 200);
    assert_eq!(ids_of(&p.alice.album_photos(album, "").await.ok_json().await).len(), 2);
    // Leaving takes his photos out; they stay his.
    let r = p.bob.send(Method::DELETE, &format!("/api/v1/albums/{album}/members/bob"), None).await;
    assert_eq!(r.status(), 204);
    assert_eq!(ids_of(&p.alice.album_photos(album, "").await.ok_json().await), ids);
    assert_eq!(p.bob.photo(bobs[0]).await.status(), 200);
    assert_eq!(p.alice.photo(bobs[0]).await.status(), 404, "no longer shared with Alice");
    assert_eq!(p.bob.album(album).await.status(), 404);
    assert!(p.bob.get("/api/v1/albums?shared=true").await["albums"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_editor_renames_and_takes_out_photos_but_only_the_owner_deletes_shares_or_links_it() {
    let p = party().await;
    let ids =
        p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1)), ("b.jpg", photo("2023:01:02 10:00:00", 2))]).await;
    let album = p.alice.album_with("Work", &ids).await;
    share(&p.alice, album, "bob", "editor").await.ok_json().await;
    let r = p.bob.update_album(album, json!({ "title": "Work 2024", "description": "edited" })).await.ok_json().await;
    assert_eq!(r["title"], "Work 2024");
    assert_eq!(p.bob.set_cover(album, ids[1]).await.status(), 200);
    let r =
        p.bob.send(Method::DELETE, &format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": [ids[0]] }))).await;
    assert_eq!(r.json::<Value>().await.unwrap()["removed"], 1);
    assert_eq!(p.bob.delete_album(album).await.status(), 403);
    assert_eq!(share(&p.bob, album, "admin", "viewer").await.status(), 403);
    assert_eq!(p.bob.send(Method::POST, &format!("/api/v1/albums/{album}/links"), Some(json!({}))).await.status(), 404);
    // Members see each other; the owner removes one.
    let members = p.bob.get(&format!("/api/v1/albums/{album}/members")).await;
    assert_eq!(members["members"][0]["role"], "editor");
    assert_eq!(p.bob.get(&format!("/api/v1/albums/{album}/members/bob")).await["role"], "editor");
    let r = p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/members/bob"), None).await;
    assert_eq!(r.status(), 204);
    assert_eq!(p.bob.update_album(album, json!({ "title": "x" })).await.status(), 404);
}

#[tokio::test]
async fn only_the_owner_shares_and_bad_roles_or_usernames_get_a_clear_400() {
    let p = party().await;
    p.app.add_user("carol", crate::helpers::PASSWORD, "user").await;
    let album = p.alice.album_with("A", &p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await).await;
    for (who, role, status) in
        [("bob", "admin", 400), ("nobody", "viewer", 400), ("alice", "viewer", 400), ("bob", "viewer", 200)]
    {
        let r = share(&p.alice, album, who, role).await;
        assert_eq!(r.status(), status, "{who} as {role}");
        if status == 400 {
            assert!(r.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains(':'));
        }
    }
    assert_eq!(share(&p.bob, album, "carol", "viewer").await.status(), 403, "a viewer does not share on");
    let carol = person(&p.app, "carol").await;
    assert_eq!(share(&carol, album, "carol", "editor").await.status(), 404, "nor does a stranger");
    let anonymous = p.app.with_client(client());
    let r = anonymous
        .client
        .put(anonymous.url(&format!("/api/v1/albums/{album}/members/carol")))
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = p
        .alice
        .app
        .client
        .put(p.alice.app.url(&format!("/api/v1/albums/{album}/members/carol")))
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM album_members").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn the_viewer_page_marks_a_photo_private_which_takes_it_out_of_shared_albums() {
    let p = party().await;
    let ids = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = p.alice.album_with("Family", &ids).await;
    share(&p.alice, album, "bob", "viewer").await.ok_json().await;
    assert_eq!(ids_of(&p.bob.album_photos(album, "").await.ok_json().await), ids);
    let page = p.alice.app.get(&format!("/photos/{}", ids[0])).await.text().await.unwrap();
    assert!(page.contains("value=\"private\""), "a Make private button");
    let form = [("csrf_token", p.alice.csrf.as_str()), ("action", "private")];
    let r = p.alice.app.client.post(p.alice.app.url(&format!("/photos/{}", ids[0]))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(p.alice.photo(ids[0]).await.ok_json().await["private"], true);
    assert!(ids_of(&p.bob.album_photos(album, "").await.ok_json().await).is_empty());
    assert_eq!(p.bob.photo(ids[0]).await.status(), 404);
    let page = p.alice.app.get(&format!("/photos/{}", ids[0])).await.text().await.unwrap();
    assert!(page.contains("value=\"not_private\""));
    let form = [("csrf_token", p.alice.csrf.as_str()), ("action", "not_private")];
    p.alice.app.client.post(p.alice.app.url(&format!("/photos/{}", ids[0]))).form(&form).send().await.unwrap();
    assert_eq!(ids_of(&p.bob.album_photos(album, "").await.ok_json().await), ids);
}

#[tokio::test]
async fn a_members_album_counts_only_the_photos_they_see_and_shows_only_the_forms_their_role_allows() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1)), ("secret.jpg", photo("2023:01:02 10:00:00", 2))])
        .await;
    p.alice.patch_photo(ids[1], json!({ "private": true })).await.ok_json().await;
    let album = p.alice.album_with("Family", &ids).await;
    share(&p.alice, album, "bob", "viewer").await.ok_json().await;
    p.app.add_user("erin", crate::helpers::PASSWORD, "user").await;
    let erin = person(&p.app, "erin").await;
    share(&p.alice, album, "erin", "editor").await.ok_json().await;

    // Alice counts her private photo; her members, who never see it, do not.
    assert_eq!(p.alice.album(album).await.ok_json().await["photo_count"], 2);
    let bobs = p.bob.album(album).await.ok_json().await;
    assert_eq!(bobs["photo_count"], 1);
    assert_eq!(bobs["cover_hash"], json!(p.alice.hash_of(ids[0]).await), "the newest one he sees");
    assert_eq!(p.bob.get("/api/v1/albums?shared=true").await["albums"][0]["photo_count"], 1);
    let page = p.bob.app.get(&format!("/albums/{album}")).await.text().await.unwrap();
    assert!(page.contains("1 photo(s)"), "the page's count too");

    // The forms: none for a viewer, the edit form for an editor, delete and share for the owner.
    let forms = |html: &str| {
        (
            html.contains("name=\"action\" value=\"update\""),
            html.contains("name=\"action\" value=\"delete\""),
            html.contains("id=\"share-album\""),
        )
    };
    assert_eq!(forms(&page), (false, false, false), "viewer");
    let erins = erin.app.get(&format!("/albums/{album}")).await.text().await.unwrap();
    assert_eq!(forms(&erins), (true, false, false), "editor");
    let alices = p.alice.app.get(&format!("/albums/{album}")).await.text().await.unwrap();
    assert_eq!(forms(&alices), (true, true, true), "owner");
}

#[tokio::test]
async fn the_viewer_page_shows_whose_photo_it_is_and_who_added_it_to_the_shared_album() {
    let p = party().await;
    let alices = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = p.alice.album_with("Family", &alices).await;
    share(&p.alice, album, "bob", "contributor").await.ok_json().await;
    let bobs = p.bob.upload(&[("b.jpg", photo("2023:01:02 10:00:00", 2))]).await;
    p.bob.add_to_album(album, &bobs).await.ok_json().await;
    let fact = |html: &str, label: &str| {
        let start = html.find(&format!("<dt>{label}</dt><dd>"))? + label.len() + 13;
        Some(html[start..start + html[start..].find("</dd>")?].to_string())
    };
    let viewer = |who: &Person, id: i64| {
        let url = who.app.url(&format!("/photos/{id}?in=album-{album}"));
        let client = who.app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    // Bob sees alice's photo as hers, added by her; alice sees bob's as his, added by him.
    let html = viewer(&p.bob, alices[0]).await;
    assert_eq!((fact(&html, "Owner"), fact(&html, "Added by")), (Some("alice".into()), Some("alice".into())));
    let html = viewer(&p.alice, bobs[0]).await;
    assert_eq!((fact(&html, "Owner"), fact(&html, "Added by")), (Some("bob".into()), Some("bob".into())));
    // One's own photo needs no owner line; who added it still shows in the album.
    let html = viewer(&p.bob, bobs[0]).await;
    assert_eq!((fact(&html, "Owner"), fact(&html, "Added by")), (None, Some("bob".into())));
    // Outside an album, someone else's photo still names its owner.
    let html = p.bob.app.get(&format!("/photos/{}", alices[0])).await.text().await.unwrap();
    assert_eq!((fact(&html, "Owner"), fact(&html, "Added by")), (Some("alice".into()), None));
}
