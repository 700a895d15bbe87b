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

/// The multipart boundary of hand-fed uploads.
pub const BOUNDARY: &str = "shoeboxboundary";

/// The multipart header of one file field of a hand-fed upload.
pub fn file_part_head(name: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
}

/// An upload whose body the test feeds by hand, chunk by chunk (or breaks off with an error):
/// for requests that must still be running while something else happens.
pub struct FedUpload {
    pub feed: tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
    pub sent: tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
}

impl TestApp {
    /// Starts `POST /api/v1/upload` with a body fed through the returned `FedUpload`.
    pub fn fed_upload(&self, csrf: &str) -> FedUpload {
        let (feed, rx) = tokio::sync::mpsc::channel(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
        let request = self
            .client
            .post(self.url("/api/v1/upload"))
            .header("X-CSRF-Token", csrf)
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        FedUpload { feed, sent: tokio::spawn(request) }
    }
}
