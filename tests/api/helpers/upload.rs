//! Uploading pictures through `POST /api/v1/upload`.

use serde_json::Value;

use super::TestApp;

/// Uploads pictures and returns their photo ids in the order given.
pub async fn upload_photos(app: &TestApp, csrf: &str, files: &[(&str, Vec<u8>)]) -> Vec<i64> {
    let r = app.upload(csrf, files).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["files"].as_array().unwrap().iter().map(|f| f["photo_id"].as_i64().expect("stored")).collect()
}
