//! A large PUT streams to disk: the server's memory stays flat, and what arrived is indexed or
//! skipped with a reason like any other original.

use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn a_512_mb_put_streams_to_disk_adding_under_50_mb_and_a_non_picture_is_skipped_with_a_reason() {
    let server = MeasuredServer::start(&[("INDEX_WORKERS", "1")]).await;
    let secret = server.admin_app_password().await;
    let put = |path: &str, len: u64| {
        client()
            .put(format!("{}/originals/{path}", server.base))
            .basic_auth("admin", Some(&secret))
            .header("Content-Length", len)
            .body(generated_body(len))
            .send()
    };
    // One small PUT first, so idle includes what any WebDAV request sets up.
    assert_eq!(put("warm.bin", 4096).await.unwrap().status(), 201);
    let (_, idle) = server.memory();

    let len: u64 = 512 << 20;
    let r = put("big.bin", len).await.unwrap();
    assert_eq!(r.status(), 201);
    let (peak, _) = server.memory();
    let mb = |n: u64| n as f64 / (1024.0 * 1024.0);
    eprintln!(
        "server memory: idle {:.1} MB, peak {:.1} MB, growth {:.1} MB",
        mb(idle),
        mb(peak),
        mb(peak.saturating_sub(idle))
    );
    assert!(peak < idle + (50 << 20), "a 512 MB PUT added {:.1} MB", mb(peak - idle));
    let stored = server.storage.path().join("originals/big.bin");
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), len, "all of it on disk");

    // The index started by the PUT skips it from its first bytes, and says why.
    let db_url = format!("sqlite://{}?mode=ro", server.storage.path().join("shoebox.db").display());
    let db = sqlx::SqlitePool::connect(&db_url).await.unwrap();
    let mut row: Option<(String, String)> = None;
    for _ in 0..600 {
        row = sqlx::query_as("SELECT status, reason FROM files WHERE path = 'big.bin'")
            .fetch_optional(&db)
            .await
            .unwrap();
        if row.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, reason) = row.expect("the index saw the big file");
    assert_eq!(status, "skipped", "{reason}");
    assert!(!reason.is_empty(), "skipped with a reason");
    let (peak, _) = server.memory();
    assert!(peak < idle + (50 << 20), "indexing it added {:.1} MB", mb(peak - idle));
    // And it comes back whole.
    let r = client()
        .head(format!("{}/originals/big.bin", server.base))
        .basic_auth("admin", Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-length"], len.to_string().as_str());
}
