//! Uploading pictures through `POST /api/v1/upload`.

use serde_json::Value;

use super::TestApp;

pub async fn upload(app: &TestApp, csrf: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part("files", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()));
    }
    app.client.post(app.url("/api/v1/upload")).header("X-CSRF-Token", csrf).multipart(form).send().await.unwrap()
}

/// Uploads pictures and returns their photo ids in the order given.
pub async fn upload_photos(app: &TestApp, csrf: &str, files: &[(&str, Vec<u8>)]) -> Vec<i64> {
    let r = upload(app, csrf, files).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["files"].as_array().unwrap().iter().map(|f| f["photo_id"].as_i64().expect("stored")).collect()
}
