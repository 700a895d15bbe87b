//! The date scrubber's months and the search form's cameras come from counts kept by triggers
//! (migration 0075); they follow every change to the photos they count.

use serde_json::Value;

use crate::helpers::{party, photo};

fn months(v: &Value) -> Vec<(String, i64)> {
    v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap().to_string(), m["photos"].as_i64().unwrap()))
        .collect()
}

fn cameras(v: &Value) -> Vec<(String, i64)> {
    v["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["photos"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn month_and_camera_counts_follow_uploads_trash_restore_archive_favourites_and_deletion() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[
            ("a.jpg", photo("2023:01:01 10:00:00", 1)),
            ("b.jpg", photo("2023:01:20 10:00:00", 2)),
            ("c.jpg", photo("2024:05:05 10:00:00", 3)),
        ])
        .await;
    let m = |v: &[(&str, i64)]| v.iter().map(|(a, b)| (a.to_string(), *b)).collect::<Vec<_>>();
    assert_eq!(months(&p.alice.get("/api/v1/months").await), m(&[("2024-05", 1), ("2023-01", 2)]));
    assert_eq!(cameras(&p.alice.get("/api/v1/cameras").await), m(&[("Shoebox Synthetic One", 3)]));
    assert!(months(&p.bob.get("/api/v1/months").await).is_empty(), "counts are per owner");

    assert_eq!(p.alice.trash(ids[0]).await.status(), 200);
    assert_eq!(months(&p.alice.get("/api/v1/months").await), m(&[("2024-05", 1), ("2023-01", 1)]));
    assert_eq!(months(&p.alice.get("/api/v1/months?scope=trash").await), m(&[("2023-01", 1)]));
    assert_eq!(cameras(&p.alice.get("/api/v1/cameras").await), m(&[("Shoebox Synthetic One", 2)]));

    assert_eq!(p.alice.restore(ids[0]).await.status(), 200);
    assert_eq!(p.alice.batch("archive", &[ids[2]]).await.status(), 200);
    assert_eq!(p.alice.batch("favorite", &[ids[1], ids[2]]).await.status(), 200);
    assert_eq!(months(&p.alice.get("/api/v1/months").await), m(&[("2023-01", 2)]));
    assert_eq!(months(&p.alice.get("/api/v1/months?scope=archive").await), m(&[("2024-05", 1)]));
    assert_eq!(months(&p.alice.get("/api/v1/months?scope=favorites").await), m(&[("2024-05", 1), ("2023-01", 1)]));
    assert!(months(&p.alice.get("/api/v1/months?scope=trash").await).is_empty());

    // Deleted for good: out of every count.
    assert_eq!(p.alice.trash(ids[0]).await.status(), 200);
    assert_eq!(p.alice.empty_trash().await.status(), 200);
    assert_eq!(months(&p.alice.get("/api/v1/months").await), m(&[("2023-01", 1)]));
    assert_eq!(cameras(&p.alice.get("/api/v1/cameras").await), m(&[("Shoebox Synthetic One", 2)]));
}
