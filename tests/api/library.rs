//! Indexing the originals through the server: metadata, owners, skipped files, moves, copies.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use shoebox::library::catalog;
use shoebox::library::synth::{self, Spec};

use crate::helpers::{
    camera_jpeg, client, file_rows, jpeg_bomb, location, many_skipped_files, photos, run_index, spawn_app,
    spawn_app_with, write_original,
};

#[tokio::test]
async fn indexing_reads_the_exif_date_with_its_offset_camera_and_gps() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "trips/lake.jpg", &camera_jpeg(1));
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], 1, "{summary}");
    let list = photos(&app).await;
    assert_eq!(list.len(), 1);
    let p = &list[0];
    assert_eq!(p["taken_local"], "2023-07-14T18:30:05");
    assert_eq!(p["taken_offset"], "+02:00");
    assert_eq!(p["taken_source"], "exif_original");
    // 18:30:05 at +02:00 is 16:30:05 UTC.
    assert_eq!(p["taken_at"], 1_689_352_205);
    assert!((p["latitude"].as_f64().unwrap() - 47.3769).abs() < 1e-4, "{p}");
    assert!((p["longitude"].as_f64().unwrap() + 8.5417).abs() < 1e-4, "{p}");
    assert!((p["altitude"].as_f64().unwrap() - 408.0).abs() < 0.2, "{p}");
    assert_eq!(p["camera_make"], "Shoebox");
    assert_eq!(p["camera_model"], "Synthetic One");
    assert_eq!(p["exposure_time"], "1/250");
    assert_eq!(p["iso"], 200);
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(800), Some(600)));
    assert!(p["placeholder"].as_str().is_some_and(|s| s.len() > 10), "a ThumbHash placeholder: {p}");
}

#[tokio::test]
async fn without_exif_the_date_comes_from_the_file_name_and_the_source_is_recorded() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_20190203_101112.png", &synth::png(64, 48, 3));
    run_index(&app, &csrf).await;
    let p = &photos(&app).await[0];
    assert_eq!(p["taken_local"], "2019-02-03T10:11:12");
    assert_eq!(p["taken_source"], "file_name");
    assert_eq!(p["taken_offset"], Value::Null);
}

#[tokio::test]
async fn iptc_title_and_caption_are_read_and_xmp_takes_precedence_over_them() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let iptc = |seed| Spec {
        width: 64,
        height: 48,
        seed,
        iptc_title: Some("Zürich at dusk".into()),
        iptc_description: Some("The lake from the Quaibrücke, looking south".into()),
        ..Default::default()
    };
    write_original(&app, "iptc.jpg", &synth::jpeg(&iptc(47)));
    let both =
        Spec { xmp_title: Some("Lake & hills".into()), xmp_description: Some("Written in XMP".into()), ..iptc(48) };
    write_original(&app, "both.jpg", &synth::jpeg(&both));
    let xmp_title_only = Spec { xmp_title: Some("Only the title in XMP".into()), ..iptc(49) };
    write_original(&app, "xmp-title.jpg", &synth::jpeg(&xmp_title_only));
    run_index(&app, &csrf).await;

    let mut by_file = std::collections::BTreeMap::new();
    for p in photos(&app).await {
        let detail: Value = app.photo(&p["id"]).await.json().await.unwrap();
        let file = detail["files"][0]["path"].as_str().unwrap().to_string();
        by_file.insert(file, (detail["title"].clone(), detail["description"].clone()));
    }
    let expect = |title: &str, description: &str| (Value::from(title), Value::from(description));
    assert_eq!(by_file["iptc.jpg"], expect("Zürich at dusk", "The lake from the Quaibrücke, looking south"));
    assert_eq!(by_file["both.jpg"], expect("Lake & hills", "Written in XMP"));
    assert_eq!(
        by_file["xmp-title.jpg"],
        expect("Only the title in XMP", "The lake from the Quaibrücke, looking south")
    );
}

#[tokio::test]
async fn a_corrupt_file_and_a_non_image_are_skipped_with_their_reasons_and_the_rest_is_indexed() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let good = camera_jpeg(2);
    write_original(&app, "a/good.jpg", &good);
    write_original(&app, "a/truncated.jpg", &good[..good.len() / 3]);
    write_original(&app, "a/notes.jpg", b"shopping list: milk, eggs");
    let summary = run_index(&app, &csrf).await;
    assert_eq!((summary["new_photos"].as_u64(), summary["skipped"].as_u64()), (Some(1), Some(2)), "{summary}");
    let rows = file_rows(&app).await;
    assert_eq!(rows[0].0, "a/good.jpg");
    assert_eq!(rows[0].1, "indexed");
    assert_eq!(rows[1].0, "a/notes.jpg");
    assert_eq!(rows[1].1, "skipped");
    assert!(rows[1].2.contains("not an image"), "{:?}", rows[1]);
    assert_eq!(rows[2].0, "a/truncated.jpg");
    assert_eq!(rows[2].1, "skipped");
    assert!(rows[2].2.contains("corrupt"), "{:?}", rows[2]);
    assert_eq!(photos(&app).await.len(), 1);
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header_before_decoding() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "bomb.jpg", &jpeg_bomb());
    run_index(&app, &csrf).await;
    let rows = file_rows(&app).await;
    assert_eq!(rows[0].1, "skipped");
    // Decoding would have failed as corrupt (the data is for 64×48); the header check came first.
    assert!(rows[0].2.contains("60000×60000") && rows[0].2.contains("MAX_PIXELS"), "{:?}", rows[0]);
    let cache = app.storage.path().join("cache/thumbnails");
    assert!(!cache.exists() || walk_count(&cache) == 0, "no thumbnail was made");
}

#[tokio::test]
async fn an_image_file_larger_than_upload_limit_is_skipped_unread_with_that_reason() {
    let app = spawn_app_with(&[("UPLOAD_LIMIT", "1MB")]).await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "small.jpg", &camera_jpeg(41));
    // A JPEG start and 5 MB in all (sparse): read whole, it would be skipped as corrupt instead.
    write_original(&app, "huge.jpg", &camera_jpeg(42)[..64]);
    std::fs::OpenOptions::new()
        .write(true)
        .open(app.originals_path().join("huge.jpg"))
        .unwrap()
        .set_len(5 << 20)
        .unwrap();
    let summary = run_index(&app, &csrf).await;
    assert_eq!((summary["new_photos"].as_u64(), summary["skipped"].as_u64()), (Some(1), Some(1)), "{summary}");
    let (status, reason, hash): (String, String, Option<String>) =
        sqlx::query_as("SELECT status, reason, hash FROM files WHERE path = 'huge.jpg'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "skipped");
    assert!(reason.contains("5.0 MB") && reason.contains("UPLOAD_LIMIT"), "{reason}");
    assert_eq!(hash, None, "refused before it was read");
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { walk_count(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_moved_file_keeps_its_photo_and_a_deleted_one_is_marked_missing_not_deleted() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "old/place.jpg", &camera_jpeg(3));
    run_index(&app, &csrf).await;
    let id = photos(&app).await[0]["id"].clone();

    std::fs::create_dir_all(app.originals_path().join("new")).unwrap();
    std::fs::rename(app.originals_path().join("old/place.jpg"), app.originals_path().join("new/renamed.jpg")).unwrap();
    let summary = run_index(&app, &csrf).await;
    assert_eq!((summary["new_photos"].as_u64(), summary["missing"].as_u64()), (Some(0), Some(1)), "{summary}");
    let list = photos(&app).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id, "same photo after the move");
    let rows = file_rows(&app).await;
    assert_eq!(
        rows,
        vec![
            ("new/renamed.jpg".to_string(), "indexed".to_string(), String::new()),
            ("old/place.jpg".to_string(), "missing".to_string(), String::new()),
        ]
    );

    std::fs::remove_file(app.originals_path().join("new/renamed.jpg")).unwrap();
    run_index(&app, &csrf).await;
    assert!(photos(&app).await.is_empty(), "a photo without files is not listed");
    let (count, missing): (i64, bool) =
        sqlx::query_as("SELECT COUNT(*), MAX(missing) FROM photos").fetch_one(&app.db).await.unwrap();
    assert_eq!((count, missing), (1, true), "the photo row is kept, marked missing");

    // It comes back, with its identity, when the file does.
    write_original(&app, "back/again.jpg", &camera_jpeg(3));
    run_index(&app, &csrf).await;
    assert_eq!(photos(&app).await[0]["id"], id);
}

#[tokio::test]
async fn identical_files_are_one_photo_with_several_files_and_unchanged_files_are_not_reread() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "one.jpg", &camera_jpeg(4));
    write_original(&app, "copy/one.jpg", &camera_jpeg(4));
    let summary = run_index(&app, &csrf).await;
    assert_eq!((summary["new_photos"].as_u64(), summary["existing_photos"].as_u64()), (Some(1), Some(1)), "{summary}");
    let list = photos(&app).await;
    assert_eq!(list.len(), 1);
    let detail: Value = app.photo(&list[0]["id"]).await.json().await.unwrap();
    assert_eq!(detail["files"].as_array().unwrap().len(), 2, "{detail}");

    let again = run_index(&app, &csrf).await;
    assert_eq!((again["unchanged"].as_u64(), again["new_photos"].as_u64()), (Some(2), Some(0)), "{again}");
}

#[tokio::test]
async fn files_in_a_users_folder_belong_to_that_user_and_others_to_the_administrator() {
    let app = spawn_app().await;
    app.add_user("bob", "bob password 1", "user").await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "bob/2020/mine.jpg", &camera_jpeg(5));
    write_original(&app, "family/shared.jpg", &camera_jpeg(6));
    run_index(&app, &csrf).await;
    let admin_list = photos(&app).await;
    assert_eq!(admin_list.len(), 1);

    let bob = app.with_client(client());
    let r = bob.sign_in("bob", "bob password 1").await;
    assert_eq!(r.status(), 200);
    let v: Value = bob.photos("").await.json().await.unwrap();
    let bobs = v["photos"].as_array().unwrap();
    assert_eq!(bobs.len(), 1);
    assert_ne!(bobs[0]["id"], admin_list[0]["id"]);
    // Bob cannot start an index.
    let csrf_bob: Value = bob.session().await.json().await.unwrap();
    let r = bob.start_index(csrf_bob["csrf_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn after_a_user_is_deleted_the_next_index_gives_their_files_to_the_administrator() {
    let app = spawn_app().await;
    let bob_id = app.add_user("bob", "bob password 1", "user").await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "bob/x.jpg", &camera_jpeg(43));
    write_original(&app, "bob/unwanted.jpg", &camera_jpeg(44));
    run_index(&app, &csrf).await;
    assert!(photos(&app).await.is_empty(), "both are bob's");

    // Bob deletes one of them from Shoebox for good; its file stays, skipped for him.
    let bob = app.with_client(client());
    let r = bob.sign_in("bob", "bob password 1").await;
    let bob_csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let v: Value = bob.photos("q=unwanted").await.json().await.unwrap();
    let unwanted = v["photos"][0]["id"].as_i64().unwrap();
    for path in [format!("/api/v1/photos/{unwanted}"), "/api/v1/trash".to_string()] {
        let r = bob.client.delete(app.url(&path)).header("X-CSRF-Token", &bob_csrf).send().await.unwrap();
        assert_eq!(r.status(), 200, "DELETE {path}");
    }

    assert_eq!(app.delete_user(&csrf, bob_id).await.status(), 200);
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["new_photos"], 2, "{summary}");
    let mut paths: Vec<String> = Vec::new();
    for p in photos(&app).await {
        let detail: Value = app.photo(&p["id"]).await.json().await.unwrap();
        paths.extend(detail["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()));
    }
    paths.sort();
    assert_eq!(paths, ["bob/unwanted.jpg", "bob/x.jpg"]);
    let again = run_index(&app, &csrf).await;
    assert_eq!((again["unchanged"].as_u64(), again["new_photos"].as_u64()), (Some(2), Some(0)), "{again}");
}

#[tokio::test]
async fn while_another_process_indexes_the_server_answers_409_and_starts_once_it_is_done() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "a.jpg", &camera_jpeg(46));
    run_index(&app, &csrf).await;
    // What `shoebox index` on the command line holds while it runs.
    let lock = std::fs::File::create(app.storage.path().join("index.lock")).unwrap();
    lock.try_lock().unwrap();
    let r = app.start_index(&csrf).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("shoebox index"), "{body}");
    let page = app.client.post(app.url("/admin/library/index")).form(&[("csrf_token", csrf.as_str())]).send().await;
    assert_eq!(location(&page.unwrap()), "/admin/library?busy=1");

    drop(lock);
    assert_eq!(app.start_index(&csrf).await.status(), 202);
}

#[tokio::test]
async fn index_progress_is_streamed_as_server_sent_events() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "a.jpg", &camera_jpeg(7));
    run_index(&app, &csrf).await;
    // The stream opens with the latest event: the summary of the run that just finished.
    let mut r = app.get("/api/v1/index/events").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let chunk = tokio::time::timeout(Duration::from_secs(10), r.chunk()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.contains("event: finished") && text.contains("\"new_photos\""), "{text}");
}

#[tokio::test]
async fn the_photo_page_query_walks_its_index_without_sorting() {
    let app = spawn_app().await;
    let plan = catalog::query_plan(&app.db, 1, catalog::Scope::Timeline, &catalog::Filter::default()).await.unwrap();
    assert!(plan.iter().any(|d| d.contains("USING INDEX photos_timeline")), "{plan:?}");
    assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "no sort step: {plan:?}");
}

#[tokio::test]
async fn photo_pages_follow_each_other_newest_first() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    for day in 1..=5u64 {
        let spec = Spec { taken: Some(format!("2022:01:0{day} 12:00:00")), seed: day, ..Default::default() };
        write_original(&app, &format!("d{day}.jpg"), &synth::jpeg(&spec));
    }
    run_index(&app, &csrf).await;
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let v: Value = app.photos(&format!("limit=2&after={after}")).await.json().await.unwrap();
        for p in v["photos"].as_array().unwrap() {
            seen.push(p["taken_local"].as_str().unwrap()[..10].to_string());
        }
        match v["next"].as_str() {
            Some(n) => after = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, vec!["2022-01-05", "2022-01-04", "2022-01-03", "2022-01-02", "2022-01-01"]);
}

#[tokio::test]
async fn the_skipped_files_with_reasons_are_listed_to_administrators_a_page_at_a_time_through_the_api() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let paths = many_skipped_files(&app, 150).await;
    let r = app.get("/api/v1/index/skipped").await;
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["counts"], serde_json::json!({ "photos": 0, "indexed": 0, "skipped": 150, "missing": 0 }));
    let listed = |v: &Value| -> Vec<String> {
        v["skipped"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(listed(&first), paths[..100], "the Library page's hundred");
    assert!(first["skipped"][0]["reason"].as_str().unwrap().starts_with("not a picture Shoebox can read"));
    let next = first["next"].as_str().expect("a next page");
    let query: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("after", next).finish();
    let second: Value = app.get(&format!("/api/v1/index/skipped?{query}")).await.json().await.unwrap();
    assert_eq!(listed(&second), paths[100..]);
    assert_eq!(second["next"], Value::Null);
    let some: Value = app.get("/api/v1/index/skipped?limit=7").await.json().await.unwrap();
    assert_eq!(listed(&some), paths[..7]);
    assert_eq!(app.get("/api/v1/index/skipped?limit=0").await.status(), 400);

    app.add_user("bob", "bobs password 1", "user").await;
    let bob = app.with_client(client());
    assert_eq!(bob.sign_in("bob", "bobs password 1").await.status(), 200);
    let r = bob.get("/api/v1/index/skipped").await;
    assert_eq!(r.status(), 403, "as GET /api/v1/index: administrators only");
    assert_eq!(bob.index_status().await.status(), 403);
    assert_eq!(app.with_client(client()).get("/api/v1/index/skipped").await.status(), 401);
}

#[tokio::test]
async fn a_huge_title_and_description_with_control_characters_in_a_file_are_cut_and_cleaned_when_indexed() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let title = format!("\u{7}Lake\u{1b}[31m at dusk\r{}", "x".repeat(100_000));
    let description = format!("{}\u{0}", "d\u{8}".repeat(50_000));
    // One APP1 segment holds 64 KB at most; a reader that finds the packet after the image takes it too.
    let mut bytes = synth::jpeg(&Spec { width: 64, height: 48, seed: 51, ..Default::default() });
    bytes.extend_from_slice(&synth::xmp(Some(&title), Some(&description)));
    write_original(&app, "huge.jpg", &bytes);
    run_index(&app, &csrf).await;

    let (stored_title, stored_description): (String, String) =
        sqlx::query_as("SELECT title, description FROM photos").fetch_one(&app.db).await.unwrap();
    let expected_title: String = format!("Lake[31m at dusk{}", "x".repeat(100_000)).chars().take(200).collect();
    let start = |s: &str| s.chars().take(40).collect::<String>();
    assert!(
        stored_title == expected_title,
        "title of {} characters: {:?}…",
        stored_title.chars().count(),
        start(&stored_title)
    );
    assert!(
        stored_description == "d".repeat(4000),
        "description of {} characters: {:?}…",
        stored_description.chars().count(),
        start(&stored_description)
    );
    let id = photos(&app).await[0]["id"].clone();
    let detail: Value = app.get(&format!("/api/v1/photos/{id}")).await.json().await.unwrap();
    assert_eq!(detail["title"], expected_title.as_str());
}
