//! WebDAV clients: requests to `/originals/` signed in with HTTP Basic, and app passwords.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::{Person, TestApp, client};

impl Person {
    /// `POST /api/v1/account/app-passwords`: makes one and returns its secret.
    pub async fn app_password(&self, name: &str) -> String {
        let r = self.send(Method::POST, "/api/v1/account/app-passwords", Some(json!({ "name": name }))).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        v["password"].as_str().unwrap().to_string()
    }
}

/// A WebDAV request to `path` (under `/originals/`) as `username` with `password`.
pub async fn dav(app: &TestApp, method: &str, path: &str, login: (&str, &str), body: Option<Vec<u8>>) -> Response {
    let mut r = client()
        .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
        .basic_auth(login.0, Some(login.1));
    if method == "PROPFIND" {
        r = r.header("Depth", "1");
    }
    if let Some(b) = body {
        r = r.body(b);
    }
    r.send().await.unwrap()
}
