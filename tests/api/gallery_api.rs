//! The gallery's photo API: permissions of every action, scopes, filters, keyset pages, the
//! trash (emptying and the TRASH_DAYS purge) and deleted photos staying deleted.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shoebox::library::ThumbCache;
use shoebox::library::catalog::{self, Disk, Filter, Scope};
use shoebox::library::synth::{self, Spec};

use crate::helpers::{
    PASSWORD, Person, ResponseExt, TestApp, client, party, person, photo, run_index, spawn_app, spawn_app_with,
    write_original,
};

fn ids_of(v: &Value) -> Vec<i64> {
    v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

async fn list(p: &Person, query: &str) -> Vec<i64> {
    ids_of(&p.photos(query).await.ok_json().await)
}

/// Every action on one photo: (method, path, body).
fn actions(id: i64) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/v1/photos/{id}/neighbours"), None),
        (Method::PATCH, format!("/api/v1/photos/{id}"), Some(json!({ "title": "Lake", "description": "Evening" }))),
        (Method::POST, format!("/api/v1/photos/{id}/favorite"), None),
        (Method::DELETE, format!("/api/v1/photos/{id}/favorite"), None),
        (Method::POST, format!("/api/v1/photos/{id}/archive"), None),
        (Method::DELETE, format!("/api/v1/photos/{id}/archive"), None),
        (Method::DELETE, format!("/api/v1/photos/{id}"), None),
        (Method::POST, format!("/api/v1/photos/{id}/restore"), None),
        (Method::POST, "/api/v1/photos/batch".into(), Some(json!({ "action": "favorite", "ids": [id] }))),
        (Method::GET, format!("/api/v1/photos/zip?ids={id}"), None),
    ]
}

#[tokio::test]
async fn every_photo_action_is_the_owners_alone_another_user_and_the_admin_get_404_anonymous_401() {
    let p = party().await;
    let id = p.alice.upload(&[("lake.jpg", photo("2023:07:14 18:30:05", 1))]).await[0];
    let anonymous = p.app.with_client(client());
    for (method, path, body) in actions(id) {
        for (who, person) in [("bob", &p.bob), ("admin", &p.admin)] {
            let r = person.send(method.clone(), &path, body.clone()).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}: {method} {path}");
        }
        let mut r = anonymous.client.request(method.clone(), anonymous.url(&path));
        if let Some(b) = &body {
            r = r.json(b);
        }
        assert_eq!(r.send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "anonymous: {method} {path}");
        if method != Method::GET {
            let mut r = p.alice.app.client.request(method.clone(), p.alice.app.url(&path));
            if let Some(b) = &body {
                r = r.json(b);
            }
            assert_eq!(r.send().await.unwrap().status(), StatusCode::FORBIDDEN, "no CSRF token: {method} {path}");
        }
        let r = p.alice.send(method.clone(), &path, body.clone()).await;
        assert_eq!(r.status(), StatusCode::OK, "alice: {method} {path}: {}", r.text().await.unwrap());
    }
    let v = p.alice.photo(id).await.ok_json().await;
    assert_eq!((v["title"].as_str(), v["description"].as_str()), (Some("Lake"), Some("Evening")));
    assert_eq!(
        (v["favorite"].as_bool(), &v["archived_at"], &v["trashed_at"]),
        (Some(true), &Value::Null, &Value::Null)
    );
    for who in [&p.bob, &p.admin] {
        assert_eq!(who.photo(id).await.status(), 404);
        assert!(list(who, "").await.is_empty(), "nobody else sees alice's photos");
        assert_eq!(who.empty_trash().await.status(), 200);
    }
    assert_eq!(p.alice.photo(id).await.ok_json().await["id"], id, "others emptying their trash leave it");
    let r = anonymous.client.delete(anonymous.url("/api/v1/trash")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_batch_with_one_photo_of_someone_else_changes_nothing() {
    let p = party().await;
    let mine = p.alice.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await[0];
    let theirs = p.bob.upload(&[("b.jpg", photo("2023:01:01 10:00:00", 2))]).await[0];
    let r = p.alice.batch("trash", &[mine, theirs]).await;
    assert_eq!(r.status(), 404);
    assert_eq!(list(&p.alice, "").await, vec![mine], "all or nothing");
    assert_eq!(list(&p.bob, "").await, vec![theirs]);
    let r = p.alice.batch("explode", &[mine]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("use favorite, unfavorite, archive"));
    let r = p.alice.batch("add_to_album", &[mine]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("needs album_id"));
}

#[tokio::test]
async fn scopes_move_photos_between_timeline_archive_favourites_and_trash() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[
            ("a.jpg", photo("2021:01:01 10:00:00", 1)),
            ("b.jpg", photo("2022:01:01 10:00:00", 2)),
            ("c.jpg", photo("2023:01:01 10:00:00", 3)),
            ("d.jpg", photo("2024:01:01 10:00:00", 4)),
        ])
        .await;
    let [a, b, c, d] = [ids[0], ids[1], ids[2], ids[3]];
    assert_eq!(list(&p.alice, "").await, vec![d, c, b, a], "newest first by date taken");
    let v = p.alice.batch("favorite", &[a, b, b]).await.ok_json().await;
    assert_eq!(v["changed"], 2);
    p.alice.batch("archive", &[b, c]).await.ok_json().await;
    p.alice.trash(d).await.ok_json().await;

    assert_eq!(list(&p.alice, "").await, vec![a]);
    assert_eq!(list(&p.alice, "scope=timeline").await, vec![a]);
    assert_eq!(list(&p.alice, "scope=archive").await, vec![c, b]);
    assert_eq!(list(&p.alice, "scope=favorites").await, vec![b, a], "archived favourites stay favourites");
    assert_eq!(list(&p.alice, "scope=trash").await, vec![d]);
    assert_eq!(ids_of(&p.alice.trash_contents().await.ok_json().await), vec![d]);
    assert_eq!(p.alice.trash_contents().await.ok_json().await["trash_days"], 30);

    p.alice.patch_photo(c, json!({ "archived": false })).await.ok_json().await;
    p.alice.batch("restore", &[d]).await.ok_json().await;
    p.alice.batch("trash", &[a]).await.ok_json().await;
    assert_eq!(list(&p.alice, "").await, vec![d, c]);
    assert_eq!(list(&p.alice, "scope=favorites").await, vec![b], "a trashed favourite leaves favourites");
    p.alice.restore(a).await.ok_json().await;
    assert_eq!(list(&p.alice, "").await, vec![d, c, a]);

    let v = p.alice.get(&format!("/api/v1/photos/{c}/neighbours")).await;
    assert_eq!((v["prev"].as_i64(), v["next"].as_i64()), (Some(d), Some(a)));
    let v = p.alice.get(&format!("/api/v1/photos/{b}/neighbours?scope=favorites")).await;
    assert_eq!((v["prev"].as_i64(), v["next"].as_i64()), (None, Some(a)));
}

#[tokio::test]
async fn filters_find_photos_by_text_date_year_month_camera_favourite_and_location_in_keyset_pages() {
    let p = party().await;
    let shot = |taken: &str, seed, make: &str, model: &str, gps| {
        synth::jpeg(&Spec {
            width: 320,
            height: 240,
            taken: Some(taken.into()),
            seed,
            make: make.into(),
            model: model.into(),
            gps,
            ..Default::default()
        })
    };
    let ids = p
        .alice
        .upload(&[
            ("beach-day.jpg", shot("2022:08:03 10:00:00", 1, "Canon", "Canon EOS R5", Some((43.3, 5.4, 10.0)))),
            ("city.jpg", shot("2022:12:24 18:00:00", 2, "Fujifilm", "X-T4", None)),
            ("snow.jpg", shot("2023:01:15 09:00:00", 3, "Fujifilm", "X-T4", Some((46.5, 7.9, 2000.0)))),
            ("beach-night.jpg", shot("2023:08:20 22:00:00", 4, "Canon", "Canon EOS R5", None)),
            ("garden.jpg", shot("2024:08:01 12:00:00", 5, "Apple", "iPhone 15", None)),
        ])
        .await;
    let [beach_day, city, snow, beach_night, garden] = [ids[0], ids[1], ids[2], ids[3], ids[4]];
    p.alice.patch_photo(city, json!({ "title": "Christmas market" })).await.ok_json().await;
    p.alice.json(Method::POST, &format!("/api/v1/photos/{snow}/favorite"), None).await;

    assert_eq!(list(&p.alice, "q=BEACH").await, vec![beach_night, beach_day], "file names, any case");
    assert_eq!(list(&p.alice, "q=christmas").await, vec![city], "titles");
    assert_eq!(list(&p.alice, "q=fujifilm").await, vec![snow, city], "camera make");
    assert_eq!(list(&p.alice, "q=beach+night").await, vec![beach_night], "every word must match");
    assert_eq!(list(&p.alice, "q=100%25").await, Vec::<i64>::new(), "% is a character, not a wildcard");
    assert_eq!(list(&p.alice, "from=2022-12-24&to=2023-08-20").await, vec![beach_night, snow, city], "inclusive");
    assert_eq!(list(&p.alice, "year=2023").await, vec![beach_night, snow]);
    assert_eq!(list(&p.alice, "month=8").await, vec![garden, beach_night, beach_day]);
    assert_eq!(list(&p.alice, "year=2022&month=12").await, vec![city]);
    assert_eq!(list(&p.alice, "camera=Canon+EOS+R5").await, vec![beach_night, beach_day]);
    assert_eq!(list(&p.alice, "camera=fujifilm+x-t4").await, vec![snow, city], "make and model, any case");
    assert_eq!(list(&p.alice, "favorites=true").await, vec![snow]);
    assert_eq!(list(&p.alice, "location=true").await, vec![snow, beach_day]);
    assert_eq!(list(&p.alice, "location=true&month=1").await, vec![snow]);
    let cameras = p.alice.get("/api/v1/cameras").await;
    let names: Vec<&str> = cameras["cameras"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Canon EOS R5", "Fujifilm X-T4", "Apple iPhone 15"], "{cameras}");
    assert!(list(&p.bob, "q=beach").await.is_empty());
    let months = p.alice.get("/api/v1/months").await;
    assert_eq!(
        months["months"],
        json!([
            { "month": "2024-08", "photos": 1 },
            { "month": "2023-08", "photos": 1 },
            { "month": "2023-01", "photos": 1 },
            { "month": "2022-12", "photos": 1 },
            { "month": "2022-08", "photos": 1 },
        ])
    );
    assert_eq!(
        p.alice.get("/api/v1/months?scope=favorites").await["months"],
        json!([{ "month": "2023-01", "photos": 1 }])
    );
    assert_eq!(p.bob.get("/api/v1/months").await["months"], json!([]));

    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let v = p.alice.photos(&format!("limit=2&after={after}")).await.ok_json().await;
        seen.extend(ids_of(&v));
        pages += 1;
        match v["next"].as_str() {
            Some(n) => after = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, vec![garden, beach_night, snow, city, beach_day]);
    assert_eq!(pages, 3);
    let v = p.alice.photos("q=beach&limit=1").await.ok_json().await;
    let next = v["next"].as_str().unwrap().to_string();
    assert_eq!(
        list(&p.alice, &format!("q=beach&limit=1&after={next}")).await,
        vec![beach_day],
        "pages keep the filter"
    );
}

#[tokio::test]
async fn bad_list_parameters_get_a_message_that_says_what_to_use() {
    let p = party().await;
    for (query, says) in [
        ("scope=everything", "use timeline, archive, trash or favorites"),
        ("from=yesterday", "use a date as YYYY-MM-DD"),
        ("from=2024-02-01&to=2024-01-01", "swap them"),
        ("month=13", "use a month from 1 to 12"),
        ("year=soon", "use a year such as 2024"),
        ("favorites=maybe", "use true or false"),
        ("after=abc", "pass the `next` of the page before"),
        ("limit=0", "use a number from 1 to 500"),
    ] {
        let r = p.alice.photos(query).await;
        assert_eq!(r.status(), 400, "{query}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains(says), "{query}: {v}");
    }
    let r = p.alice.patch_photo(1, json!({ "titel": "typo" })).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("see docs/api.md"));
}

#[tokio::test]
async fn every_list_query_walks_its_index_in_order_without_sorting() {
    let app = spawn_app().await;
    let filtered = Filter { text: Some("lake".into()), year: Some(2023), favorites: true, ..Default::default() };
    // With favourites=true, timeline and archive may walk the (smaller) favourites index instead.
    for (scope, indexes) in [
        (Scope::Timeline, &["photos_timeline"][..]),
        (Scope::Archive, &["photos_archive"][..]),
        (Scope::Favorites, &["photos_favorites"][..]),
        (Scope::Trash, &["photos_trash"][..]),
        (Scope::Album(1), &["album_photos_order"][..]),
    ] {
        for filter in [Filter::default(), filtered.clone()] {
            let plan = catalog::query_plan(&app.db, 1, scope, &filter).await.unwrap();
            let first = &plan[0];
            let favourites = filter.favorites && matches!(scope, Scope::Timeline | Scope::Archive);
            let mut allowed = indexes.to_vec();
            allowed.extend(favourites.then_some("photos_favorites"));
            assert!(allowed.iter().any(|i| first.contains(&format!(" INDEX {i} "))), "{scope:?}: {plan:?}");
            assert!(first.starts_with("SEARCH"), "{scope:?}: a keyed search, not a scan: {plan:?}");
            assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "{scope:?}: no sort step: {plan:?}");
        }
    }
}

fn exists(app: &TestApp, rel: &str) -> bool {
    app.originals_path().join(rel).exists()
}

#[tokio::test]
async fn emptying_the_trash_deletes_uploaded_originals_but_never_files_indexed_in_place() {
    let p = party().await;
    let uploaded = p.alice.upload(&[("up.jpg", photo("2023:03:03 10:00:00", 1))]).await[0];
    write_original(&p.app, "alice/trips/in-place.jpg", &photo("2023:04:04 10:00:00", 2));
    run_index(&p.app, &p.admin.csrf).await;
    let in_place = list(&p.alice, "q=in-place").await[0];
    assert!(exists(&p.app, "alice/2023/03/up.jpg"));

    let v = p.alice.batch("trash", &[uploaded, in_place]).await.ok_json().await;
    assert_eq!(v["changed"], 2);
    assert!(exists(&p.app, "alice/2023/03/up.jpg"), "the trash keeps the file until it is emptied");
    let v = p.alice.empty_trash().await.ok_json().await;
    assert_eq!(v, json!({ "photos": 2, "files_deleted": 1, "files_kept": 1 }));
    assert!(!exists(&p.app, "alice/2023/03/up.jpg"), "the uploaded original is deleted");
    assert!(exists(&p.app, "alice/trips/in-place.jpg"), "a file indexed in place is never deleted");
    assert!(list(&p.alice, "").await.is_empty() && list(&p.alice, "scope=trash").await.is_empty());
    assert_eq!(p.alice.photo(in_place).await.status(), 404);

    // The next index, even a full rescan, does not bring the deleted photo back; it says why.
    run_index(&p.app, &p.admin.csrf).await;
    let r = p.admin.rescan().await;
    assert_eq!(r.status(), 202);
    run_index(&p.app, &p.admin.csrf).await;
    assert!(list(&p.alice, "").await.is_empty());
    let (status, reason): (String, String) =
        sqlx::query_as("SELECT status, reason FROM files WHERE path = 'alice/trips/in-place.jpg'")
            .fetch_one(&p.app.db)
            .await
            .unwrap();
    assert_eq!(status, "skipped");
    assert!(reason.contains("upload it again to bring it back"), "{reason}");

    // Uploading the same picture is the way back.
    let back = p.alice.upload(&[("again.jpg", photo("2023:04:04 10:00:00", 2))]).await[0];
    assert_eq!(list(&p.alice, "").await, vec![back]);
}

#[tokio::test]
async fn the_purge_deletes_what_has_been_in_the_trash_for_trash_days_and_nothing_younger() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[("old.jpg", photo("2023:05:05 10:00:00", 1)), ("new.jpg", photo("2023:05:06 10:00:00", 2))])
        .await;
    write_original(&p.app, "alice/kept.jpg", &photo("2023:05:07 10:00:00", 3));
    run_index(&p.app, &p.admin.csrf).await;
    let kept = list(&p.alice, "q=kept").await[0];
    let day = 86_400;
    let now = shoebox::db::now();
    for (id, days_ago) in [(ids[0], 31), (ids[1], 29), (kept, 40)] {
        p.alice.trash(id).await.ok_json().await;
        sqlx::query("UPDATE photos SET trashed_at = ? WHERE id = ?")
            .bind(now - days_ago * day)
            .bind(id)
            .execute(&p.app.db)
            .await
            .unwrap();
    }
    let storage = p.app.storage.path().to_path_buf();
    let cache = ThumbCache::in_storage(&storage);
    let disk = Disk { originals: &p.app.originals_path(), cache: &cache };
    let purged = catalog::purge_expired(&p.app.db, disk, now, 30).await.unwrap();
    assert_eq!((purged.photos, purged.files_deleted, purged.files_kept), (2, 1, 1));
    assert_eq!(list(&p.alice, "scope=trash").await, vec![ids[1]], "29 days in the trash is not 30");
    assert!(!exists(&p.app, "alice/2023/05/old.jpg"));
    assert!(exists(&p.app, "alice/2023/05/new.jpg"));
    assert!(exists(&p.app, "alice/kept.jpg"), "in-place files stay even when purged");

    let purged = catalog::purge_expired(&p.app.db, disk, now + 2 * day, 30).await.unwrap();
    assert_eq!(purged.photos, 1);
    assert!(!exists(&p.app, "alice/2023/05/new.jpg"));
}

#[tokio::test]
async fn titles_and_descriptions_edited_in_shoebox_survive_a_rescan_and_bad_ones_are_refused() {
    let p = party().await;
    write_original(&p.app, "alice/x.jpg", &photo("2023:06:06 10:00:00", 1));
    run_index(&p.app, &p.admin.csrf).await;
    let id = list(&p.alice, "").await[0];
    let v = p.alice.patch_photo(id, json!({ "title": "  Mine  " })).await.ok_json().await;
    assert_eq!(v["title"], "Mine");
    let r = p.admin.rescan().await;
    assert_eq!(r.status(), 202);
    run_index(&p.app, &p.admin.csrf).await;
    assert_eq!(p.alice.photo(id).await.ok_json().await["title"], "Mine");
    let long = "x".repeat(201);
    let r = p.alice.patch_photo(id, json!({ "title": long })).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("use at most 200 characters"));
}

#[tokio::test]
async fn the_existing_photo_list_answer_keeps_its_shape() {
    let p = party().await;
    let id = p.alice.upload(&[("a.jpg", photo("2023:07:07 10:00:00", 1))]).await[0];
    let v = p.alice.photos("").await.ok_json().await;
    let photo = &v["photos"][0];
    assert_eq!(photo["id"], id);
    for key in ["hash", "taken_at", "taken_local", "width", "height", "thumbnails", "original", "placeholder"] {
        assert!(photo.get(key).is_some(), "{key} in {photo}");
    }
    assert!(photo["thumbnails"]["tile_224"].as_str().unwrap().starts_with("/api/v1/t/"));
    assert_eq!((photo["favorite"].as_bool(), &photo["archived_at"]), (Some(false), &Value::Null));
    assert_eq!(v["next"], Value::Null);
}

#[tokio::test]
async fn a_granted_folder_lets_another_user_see_its_photos_but_never_change_them() {
    let p = party().await;
    write_original(&p.app, "alice/shared/x.jpg", &photo("2023:02:02 10:00:00", 1));
    run_index(&p.app, &p.admin.csrf).await;
    let id = list(&p.alice, "").await[0];
    sqlx::query(
        "INSERT INTO folder_grants (folder, user_id, created_at) SELECT 'alice/shared', id, 0 FROM users \
         WHERE username = 'bob'",
    )
    .execute(&p.app.db)
    .await
    .unwrap();
    let v = p.bob.photo(id).await.ok_json().await;
    assert_eq!(v["id"], id);
    assert!(v.get("files").is_none(), "where alice keeps it is hers to know");
    for (method, path, body) in actions(id) {
        let r = p.bob.send(method.clone(), &path, body).await;
        assert_eq!(r.status(), 404, "bob: {method} {path}");
    }
    assert!(list(&p.bob, "").await.is_empty(), "a grant does not fill bob's own timeline");
    p.alice.trash(id).await.ok_json().await;
    let r = p.bob.photo(id).await;
    assert_eq!(r.status(), 404, "a photo in its owner's trash is gone for everyone else");
}

#[tokio::test]
async fn uploading_a_picture_that_is_in_the_trash_takes_it_out_again() {
    let p = party().await;
    let id = p.alice.upload(&[("a.jpg", photo("2023:02:02 10:00:00", 1))]).await[0];
    p.alice.trash(id).await.ok_json().await;
    assert!(list(&p.alice, "").await.is_empty());
    assert_eq!(p.alice.upload(&[("again.jpg", photo("2023:02:02 10:00:00", 1))]).await, vec![id]);
    assert_eq!(list(&p.alice, "").await, vec![id]);
}

#[tokio::test]
async fn the_server_purges_expired_trash_by_itself_and_trash_days_0_keeps_it() {
    let app = spawn_app_with(&[("TRASH_DAYS", "0")]).await;
    app.add_user("alice", PASSWORD, "user").await;
    let alice = person(&app, "alice").await;
    let ids = alice
        .upload(&[("old.jpg", photo("2023:05:05 10:00:00", 1)), ("new.jpg", photo("2023:05:06 10:00:00", 2))])
        .await;
    for id in &ids {
        alice.trash(*id).await.ok_json().await;
    }
    let long_ago = shoebox::db::now() - 400 * 86_400;
    sqlx::query("UPDATE photos SET trashed_at = ? WHERE id = ?")
        .bind(long_ago)
        .bind(ids[0])
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(alice.trash_contents().await.ok_json().await["trash_days"], 0);

    // TRASH_DAYS=0: a restart (the purge runs at start, then hourly) keeps everything.
    let app = app.restart().await;
    let alice = person(&app, "alice").await;
    assert_eq!(ids_of(&alice.trash_contents().await.ok_json().await), vec![ids[1], ids[0]]);

    // With TRASH_DAYS=30 the start purges the old one, and only that one.
    let app = app.restart_with(&[("TRASH_DAYS", "30")]).await;
    let alice = person(&app, "alice").await;
    let mut left = Vec::new();
    for _ in 0..1200 {
        left = ids_of(&alice.trash_contents().await.ok_json().await);
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(left, vec![ids[1]]);
    assert!(!exists(&app, "alice/2023/05/old.jpg"));
    assert!(exists(&app, "alice/2023/05/new.jpg"));
}

/// Every file under `STORAGE_PATH/cache` whose name contains `hash`, sorted.
fn cache_files_of(app: &TestApp, hash: &str) -> Vec<String> {
    fn walk(dir: &std::path::Path, hash: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), hash, out);
            } else if e.file_name().to_string_lossy().contains(hash) {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.storage.path().join("cache"), hash, &mut out);
    out.sort();
    out
}

/// Asks for the photo's on-request sizes, so they are in the cache too; returns its hash.
async fn fetch_large_sizes(p: &Person, id: i64) -> String {
    let v = p.photo(id).await.ok_json().await;
    for size in ["fit_2560", "fit_4096"] {
        let r = p.app.get(v["thumbnails"][size].as_str().unwrap()).await;
        assert_eq!(r.status(), 200, "{size}");
    }
    v["hash"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn emptying_the_trash_removes_every_cache_file_of_the_photo_the_placeholder_and_on_request_sizes_too() {
    let p = party().await;
    let id = p.alice.upload(&[("a.jpg", photo("2023:08:08 10:00:00", 1))]).await[0];
    let hash = fetch_large_sizes(&p.alice, id).await;
    let cached = cache_files_of(&p.app, &hash);
    for name in ["thumbhash.bin", "tile_50.jpg", "fit_1920.jpg", "fit_2560.jpg", "fit_4096.jpg"] {
        assert!(cached.contains(&format!("{hash}_{name}")), "{name} not cached: {cached:?}");
    }

    p.alice.trash(id).await.ok_json().await;
    assert_eq!(cache_files_of(&p.app, &hash), cached, "the trash keeps the thumbnails");
    let v = p.alice.empty_trash().await.ok_json().await;
    assert_eq!(v["photos"], 1);
    assert_eq!(cache_files_of(&p.app, &hash), Vec::<String>::new());
}

#[tokio::test]
async fn deleting_a_photo_for_good_keeps_the_cache_files_another_users_copy_still_uses() {
    let p = party().await;
    let bytes = photo("2023:08:09 10:00:00", 2);
    let alices = p.alice.upload(&[("same.jpg", bytes.clone())]).await[0];
    let bobs = p.bob.upload(&[("same.jpg", bytes)]).await[0];
    let hash = fetch_large_sizes(&p.alice, alices).await;
    let cached = cache_files_of(&p.app, &hash);
    assert!(cached.contains(&format!("{hash}_fit_2560.jpg")), "{cached:?}");

    p.alice.trash(alices).await.ok_json().await;
    assert_eq!(p.alice.empty_trash().await.ok_json().await["photos"], 1);
    assert_eq!(cache_files_of(&p.app, &hash), cached, "bob's photo still shows them");
    let v = p.bob.photo(bobs).await.ok_json().await;
    assert_eq!(p.bob.app.get(v["thumbnails"]["fit_2560"].as_str().unwrap()).await.status(), 200);

    // Once the last copy goes, so do they.
    p.bob.trash(bobs).await.ok_json().await;
    assert_eq!(p.bob.empty_trash().await.ok_json().await["photos"], 1);
    assert_eq!(cache_files_of(&p.app, &hash), Vec::<String>::new());
}

#[tokio::test]
async fn owning_a_file_with_the_same_bytes_does_not_show_another_users_photo() {
    let p = party().await;
    let bytes = photo("2023:03:03 10:00:00", 7);
    let id = p.alice.upload(&[("x.jpg", bytes.clone())]).await[0];
    let title = json!({ "title": "Alice's private title", "description": "Only hers" });
    p.alice.json(Method::PATCH, &format!("/api/v1/photos/{id}"), Some(title)).await;
    let bobs = p.bob.upload(&[("y.jpg", bytes)]).await[0];
    assert_ne!(bobs, id, "bob's copy is his own photo");

    let r = p.bob.send(Method::GET, &format!("/api/v1/photos/{id}"), None).await;
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("Alice's private title"));
    let r = p.bob.app.get(&format!("/photos/{id}")).await;
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("Alice's private title"));

    // Each still sees their own, the trash included.
    assert_eq!(p.bob.get(&format!("/api/v1/photos/{bobs}")).await["title"], "");
    assert_eq!(p.bob.app.get(&format!("/photos/{bobs}")).await.status(), 200);
    p.alice.json(Method::DELETE, &format!("/api/v1/photos/{id}"), None).await;
    assert_eq!(p.alice.get(&format!("/api/v1/photos/{id}")).await["title"], "Alice's private title");
    assert_eq!(p.alice.app.get(&format!("/photos/{id}")).await.status(), 200);
}
