//! Albums through `/api/v1/albums`: permissions, membership, cover, cascades and zip downloads.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Person, ResponseExt, client, party, photo, run_index, write_original};

async fn create(p: &Person, title: &str) -> i64 {
    let r = p.create_album(json!({ "title": title })).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn album_photos(p: &Person, album: i64, query: &str) -> Vec<i64> {
    let v = p.album_photos(album, query).await.ok_json().await;
    v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn every_album_action_is_the_owners_alone_another_user_and_the_admin_get_404_anonymous_401() {
    let p = party().await;
    let ids = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = create(&p.alice, "Holidays").await;
    let actions: Vec<(Method, String, Option<Value>, u16)> = vec![
        (Method::GET, format!("/api/v1/albums/{album}"), None, 200),
        (
            Method::PATCH,
            format!("/api/v1/albums/{album}"),
            Some(json!({ "title": "Summer", "description": "Sea" })),
            200,
        ),
        (Method::POST, format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": ids })), 200),
        (Method::GET, format!("/api/v1/albums/{album}/photos"), None, 200),
        (Method::PUT, format!("/api/v1/albums/{album}/cover"), Some(json!({ "photo_id": ids[0] })), 200),
        (Method::GET, format!("/api/v1/albums/{album}/zip"), None, 200),
        (Method::DELETE, format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": ids })), 200),
        (Method::DELETE, format!("/api/v1/albums/{album}"), None, 204),
    ];
    let anonymous = p.app.with_client(client());
    for (method, path, body, ok) in actions {
        for (who, person) in [("bob", &p.bob), ("admin", &p.admin)] {
            let r = person.send(method.clone(), &path, body.clone()).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}: {method} {path}");
        }
        let mut r = anonymous.client.request(method.clone(), anonymous.url(&path));
        if let Some(b) = &body {
            r = r.json(b);
        }
        assert_eq!(r.send().await.unwrap().status(), 401, "anonymous: {method} {path}");
        if method != Method::GET {
            let mut r = p.alice.app.client.request(method.clone(), p.alice.app.url(&path));
            if let Some(b) = &body {
                r = r.json(b);
            }
            assert_eq!(r.send().await.unwrap().status(), 403, "no CSRF token: {method} {path}");
        }
        let r = p.alice.send(method.clone(), &path, body.clone()).await;
        assert_eq!(r.status().as_u16(), ok, "alice: {method} {path}");
    }
    // Nobody can put someone else's photo into their own album either.
    let bobs = create(&p.bob, "Bob's").await;
    let r = p.bob.add_to_album(bobs, &ids).await;
    assert_eq!(r.status(), 404);
    for who in [&p.bob, &p.admin] {
        let v = who.get("/api/v1/albums").await;
        assert!(v["albums"].as_array().unwrap().iter().all(|a| a["title"] != "Summer"), "{v}");
    }
    let r = anonymous.client.post(anonymous.url("/api/v1/albums")).json(&json!({ "title": "x" })).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_album_shows_its_photos_newest_first_and_its_cover_must_be_a_member() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[
            ("a.jpg", photo("2021:01:01 10:00:00", 1)),
            ("b.jpg", photo("2022:01:01 10:00:00", 2)),
            ("c.jpg", photo("2023:01:01 10:00:00", 3)),
        ])
        .await;
    let [a, b, c] = [ids[0], ids[1], ids[2]];
    let album = create(&p.alice, "Family").await;
    let v = p.alice.add_to_album(album, &[a, c]).await.ok_json().await;
    assert_eq!(v["added"], 2);
    assert_eq!(v["album"]["photo_count"], 2);
    let v = p
        .alice
        .json(
            Method::POST,
            "/api/v1/photos/batch",
            Some(json!({ "action": "add_to_album", "album_id": album, "ids": [a, b] })),
        )
        .await;
    assert_eq!(v["changed"], 1, "a is already in it");
    assert_eq!(album_photos(&p.alice, album, "").await, vec![c, b, a]);
    assert_eq!(album_photos(&p.alice, album, "year=2022").await, vec![b], "filters work in albums");
    let v = p.alice.album_photos(album, "limit=2").await.ok_json().await;
    let next = v["next"].as_str().unwrap().to_string();
    assert_eq!(album_photos(&p.alice, album, &format!("limit=2&after={next}")).await, vec![a]);

    assert_eq!(
        p.alice.photos(&format!("album={album}")).await.ok_json().await["photos"].as_array().unwrap().len(),
        3,
        "album= on the photo list is the same list"
    );
    let v = p.alice.get(&format!("/api/v1/photos/{b}/neighbours?album={album}")).await;
    assert_eq!((v["prev"].as_i64(), v["next"].as_i64()), (Some(c), Some(a)));
    let r = p.bob.photos(&format!("album={album}")).await;
    assert_eq!(r.status(), 404, "another user's album");

    let v = p.alice.album(album).await.ok_json().await;
    let c_hash = p.alice.photo(c).await.ok_json().await["hash"].clone();
    assert_eq!((&v["cover_photo_id"], &v["cover_hash"]), (&Value::Null, &c_hash), "newest photo by default");
    assert!(v["cover"]["tile_500"].as_str().unwrap().starts_with("/api/v1/t/"));

    let outsider = p.alice.upload(&[("d.jpg", photo("2020:01:01 10:00:00", 4))]).await[0];
    let r = p.alice.set_cover(album, outsider).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("add it to the album before making it the cover"));
    let v = p.alice.set_cover(album, a).await.ok_json().await;
    assert_eq!(v["cover_photo_id"], a);
    let v = p.alice.update_album(album, json!({ "description": "Us" })).await.ok_json().await;
    assert_eq!((&v["cover_photo_id"], &v["title"], &v["description"]), (&json!(a), &json!("Family"), &json!("Us")));

    // Archived photos stay in albums, trashed ones leave them while in the trash.
    p.alice.json(Method::POST, &format!("/api/v1/photos/{b}/archive"), None).await;
    p.alice.trash(c).await.ok_json().await;
    assert_eq!(album_photos(&p.alice, album, "").await, vec![b, a]);
    p.alice.restore(c).await.ok_json().await;
    assert_eq!(album_photos(&p.alice, album, "").await, vec![c, b, a]);

    // Taking the cover out of the album goes back to the newest photo.
    let v = p.alice.remove_from_album(album, &[a]).await.ok_json().await;
    assert_eq!((v["removed"].as_i64(), &v["album"]["cover_photo_id"]), (Some(1), &Value::Null));

    for (body, says) in [
        (json!({ "title": "" }), "an album needs a title"),
        (json!({ "title": "x".repeat(201) }), "use at most 200 characters"),
    ] {
        let r = p.alice.create_album(body).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(says));
    }
}

#[tokio::test]
async fn deleting_an_album_keeps_its_photos_and_deleting_photos_or_users_cascades() {
    let p = party().await;
    let ids =
        p.alice.upload(&[("a.jpg", photo("2021:01:01 10:00:00", 1)), ("b.jpg", photo("2022:01:01 10:00:00", 2))]).await;
    let keep = create(&p.alice, "Keep").await;
    let gone = create(&p.alice, "Gone").await;
    for album in [keep, gone] {
        p.alice.add_to_album(album, &ids).await.ok_json().await;
    }
    p.alice.set_cover(keep, ids[0]).await.ok_json().await;
    assert_eq!(p.alice.delete_album(gone).await.status(), 204);
    assert_eq!(p.alice.album(gone).await.status(), 404);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM album_photos WHERE album_id = ?")
        .bind(gone)
        .fetch_one(&p.app.db)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let v = p.alice.photos("").await.ok_json().await;
    assert_eq!(v["photos"].as_array().unwrap().len(), 2, "the photos stay in the library");

    p.alice.trash(ids[0]).await.ok_json().await;
    p.alice.empty_trash().await.ok_json().await;
    let v = p.alice.album(keep).await.ok_json().await;
    assert_eq!((&v["photo_count"], &v["cover_photo_id"]), (&json!(1), &Value::Null), "{v}");

    let alice: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'").fetch_one(&p.app.db).await.unwrap();
    sqlx::query("DELETE FROM users WHERE id = ?").bind(alice).execute(&p.app.db).await.unwrap();
    for table in ["albums", "album_photos", "photos", "deleted_photos"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&p.app.db).await.unwrap();
        assert_eq!(n, 0, "{table} follows the deleted user");
    }
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>, bool)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let stored = f.compression() == zip::CompressionMethod::Stored;
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_string(), data, stored)
        })
        .collect()
}

#[tokio::test]
async fn an_album_zip_holds_exactly_its_files_with_their_bytes_under_unique_names() {
    let p = party().await;
    let (one, two, three) =
        (photo("2023:01:01 10:00:00", 1), photo("2022:01:01 10:00:00", 2), photo("2021:01:01 10:00:00", 3));
    write_original(&p.app, "alice/a/same.jpg", &one);
    write_original(&p.app, "alice/b/same.jpg", &two);
    write_original(&p.app, "alice/c/other.jpg", &three);
    run_index(&p.app, &p.admin.csrf).await;
    let v = p.alice.photos("").await.ok_json().await;
    let ids: Vec<i64> = v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    let album = create(&p.alice, "Été 2023 \"best\"").await;
    p.alice.add_to_album(album, &[ids[0], ids[1]]).await.ok_json().await;

    let r = p.alice.send(Method::GET, &format!("/api/v1/albums/{album}/zip"), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename=\"_t_ 2023 _best_.zip\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%C3%89t%C3%A9%202023%20%22best%22.zip"), "{disposition}");
    assert!(r.headers().get("content-length").is_none(), "streamed, not built first");
    let entries = unzip(&r.bytes().await.unwrap());
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, vec!["same.jpg", "same (2).jpg"], "newest first, names made unique");
    assert_eq!(entries[0].1, one);
    assert_eq!(entries[1].1, two);
    assert!(entries.iter().all(|e| e.2), "stored, not deflated");

    let r = p.alice.send(Method::GET, &format!("/api/v1/photos/zip?ids={},{}", ids[2], ids[0]), None).await;
    assert_eq!(r.status(), 200);
    let entries = unzip(&r.bytes().await.unwrap());
    assert_eq!(entries.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(), vec!["other.jpg", "same.jpg"]);
    assert_eq!((&entries[0].1, &entries[1].1), (&three, &one));
    let r = p.alice.send(Method::GET, "/api/v1/photos/zip?ids=1,x", None).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("use photo ids separated by commas"));
}
