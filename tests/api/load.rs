//! Many people writing at once: no request fails because another one holds the database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Person, many_photos, party, photo, run_index, wait_for_index, write_original};

/// How long the people keep clicking; long enough for several rescans to overlap their writes.
const LOAD: Duration = Duration::from_secs(6);
const TASKS_PER_PERSON: usize = 6;
const PICTURES_PER_PERSON: u64 = 3;
const PHOTO_ROWS_PER_PERSON: i64 = 20;
const OTHER_FILES: usize = 300;

/// The ids of `person`'s photos.
async fn own_ids(person: &Person) -> Vec<i64> {
    let v = person.get("/api/v1/photos?limit=200").await;
    v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

/// One person's tab: favourite, unfavourite, rename, add to an album and list, again and again.
/// Returns every answer that was a server error, as `METHOD path status`.
async fn click_around(person: Arc<Person>, ids: Vec<i64>, album: i64, task: usize, until: Instant) -> Vec<String> {
    let mut failures = Vec::new();
    let mut round = 0usize;
    while Instant::now() < until {
        let id = ids[(task * 7 + round) % ids.len()];
        let other = ids[(task * 7 + round + 1) % ids.len()];
        let calls = [
            (Method::POST, format!("/api/v1/photos/{id}/favorite"), None),
            (
                Method::PATCH,
                format!("/api/v1/photos/{id}"),
                Some(json!({ "title": format!("tab {task} round {round}") })),
            ),
            (Method::POST, format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": [id, other] }))),
            (Method::GET, "/api/v1/photos?limit=20".to_string(), None),
            (Method::DELETE, format!("/api/v1/photos/{id}/favorite"), None),
            (Method::GET, format!("/api/v1/albums/{album}/photos"), None),
        ];
        for (method, path, body) in calls {
            let r = person.send(method.clone(), &path, body).await;
            if r.status().is_server_error() {
                failures.push(format!("{method} {path} {}", r.status()));
            }
        }
        round += 1;
    }
    failures
}

/// The administrator rescans again and again until `until`; returns how each rescan ended.
async fn keep_rescanning(admin: Arc<Person>, until: Instant) -> Vec<Value> {
    let mut ends = Vec::new();
    while Instant::now() < until {
        let r = admin.rescan().await;
        // 409: the folder watch started an index of its own (files change under the originals).
        if r.status() == 409 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        assert_eq!(r.status(), 202, "POST /api/v1/index with a rescan");
        loop {
            let v = admin.get("/api/v1/index").await;
            if v["running"] == false && v["last"].is_object() {
                ends.push(v["last"].clone());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    ends
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_people_clicking_in_several_tabs_during_rescans_get_no_server_errors_and_every_rescan_finishes() {
    let p = party().await;
    wait_for_index(&p.app).await;
    // A few pictures per person for the rescans to read again, many more rows to click on, and
    // plenty of other files so that every rescan records many batches.
    let mut rows = Vec::new();
    for (person, seed) in [("alice", 0), ("bob", 100)] {
        let owner: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
            .bind(person)
            .fetch_one(&p.app.db)
            .await
            .unwrap();
        // Rows without files: the index marks them missing, which does not stop anyone clicking.
        rows.push(many_photos(&p.app, owner, PHOTO_ROWS_PER_PERSON).await);
        for i in 0..PICTURES_PER_PERSON {
            write_original(&p.app, &format!("{person}/{i}.jpg"), &photo("2023:07:14 18:30:05", seed + i));
        }
    }
    for i in 0..OTHER_FILES {
        write_original(&p.app, &format!("notes/{i:03}.txt"), format!("note {i}").as_bytes());
    }
    run_index(&p.app, &p.admin.csrf).await;
    let until = Instant::now() + LOAD;
    let mut tabs = Vec::new();
    for (person, mut ids) in [Arc::new(p.alice), Arc::new(p.bob)].into_iter().zip(rows) {
        let pictures = own_ids(&person).await;
        assert_eq!(pictures.len(), PICTURES_PER_PERSON as usize);
        ids.extend(pictures);
        let r = person.create_album(json!({ "title": "Busy day" })).await;
        assert_eq!(r.status(), 201);
        let album = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        for task in 0..TASKS_PER_PERSON {
            tabs.push(tokio::spawn(click_around(person.clone(), ids.clone(), album, task, until)));
        }
    }
    let rescans = tokio::spawn(keep_rescanning(Arc::new(p.admin), until));

    let mut failures = Vec::new();
    for tab in tabs {
        failures.extend(tab.await.unwrap());
    }
    let ends = rescans.await.unwrap();

    let failed_rescans = ends.iter().filter(|end| end["event"] != "finished").count();
    assert!(
        failures.is_empty(),
        "{} server errors ({failed_rescans} of {} rescans failed), first ones: {:?}",
        failures.len(),
        ends.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(!ends.is_empty());
    for end in &ends {
        assert_eq!(end["event"], "finished", "a rescan did not finish: {end}");
        assert_eq!(end["summary"]["errors"], 0, "a rescan lost files: {end}");
    }
}
