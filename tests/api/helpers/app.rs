//! `spawn_app()`: a Shoebox on port 0 with its own temporary storage, and a cookie-keeping client.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Client, Response};
use serde_json::{Value, json};
use shoebox::app::App;
use shoebox::config::Config;
use sqlx::SqlitePool;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub storage: Arc<TempDir>,
    /// Keeps cookies, never follows redirects (tests assert on `Location`).
    pub client: Client,
    pub db: SqlitePool,
    pairs: Vec<(String, String)>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with `SHOEBOX_<NAME>=value` settings on top of the test defaults.
pub async fn spawn_app_with(pairs: &[(&str, &str)]) -> TestApp {
    let env: Vec<(String, String)> = pairs.iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v.to_string())).collect();
    spawn_app_with_env(env).await
}

/// Starts the app with these environment variables, named in full (`PHOTOPRISM_OIDC_URI`, …),
/// on top of the test defaults.
pub async fn spawn_app_with_env(env: Vec<(String, String)>) -> TestApp {
    let storage = Arc::new(tempfile::tempdir().unwrap());
    start(storage, env, client()).await
}

async fn start(storage: Arc<TempDir>, pairs: Vec<(String, String)>, client: Client) -> TestApp {
    let storage_path = storage.path().to_str().unwrap().to_string();
    let mut all: Vec<(String, String)> = vec![
        ("SHOEBOX_STORAGE_PATH".into(), storage_path),
        ("SHOEBOX_HTTP_HOST".into(), "127.0.0.1".into()),
        ("SHOEBOX_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("SHOEBOX_LOG_LEVEL".into(), "warn".into()),
    ];
    all.extend(pairs.iter().cloned());
    let source = shoebox::config::ConfigSource { env: all.into_iter().collect(), file: None };
    let mut config = Config::load(&source).expect("test config");
    // Port 0 unless the test chose one (its redirect URI must be registered at a provider).
    if !pairs.iter().any(|(k, _)| k.ends_with("_HTTP_PORT")) {
        config.http_port = 0;
    }
    let app = App::build(config).await.expect("app builds");
    let port = app.port();
    let db = app.state().db.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        storage,
        client,
        db,
        pairs,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The same server seen from another browser (its own cookie jar).
    pub fn with_client(&self, client: Client) -> TestApp {
        TestApp {
            address: self.address.clone(),
            storage: self.storage.clone(),
            client,
            db: self.db.clone(),
            pairs: self.pairs.clone(),
            shutdown: None,
            server: None,
        }
    }

    pub fn originals_path(&self) -> PathBuf {
        self.storage.path().join("originals")
    }

    /// Stops the server (waiting for it to finish) and starts a new one on the same storage,
    /// keeping the client and its cookies.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let storage = self.storage.clone();
        start(storage, self.pairs.clone(), self.client.clone()).await
    }

    /// Like `restart`, with these `SHOEBOX_<NAME>=value` settings changed or added.
    pub async fn restart_with(mut self, changes: &[(&str, &str)]) -> TestApp {
        self.stop().await;
        let mut pairs = self.pairs.clone();
        for (k, v) in changes {
            let name = format!("SHOEBOX_{k}");
            pairs.retain(|(n, _)| *n != name);
            pairs.push((name, v.to_string()));
        }
        start(self.storage.clone(), pairs, self.client.clone()).await
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stops cleanly");
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/v1/session`: who is signed in (401 for nobody).
    pub async fn session(&self) -> Response {
        self.get("/api/v1/session").await
    }

    /// `DELETE /api/v1/session`: signs out.
    pub async fn sign_out(&self, csrf: &str) -> Response {
        self.client.delete(self.url("/api/v1/session")).header("x-csrf-token", csrf).send().await.unwrap()
    }

    /// `GET /api/v1/sessions`: the signed-in user's sessions.
    pub async fn sessions(&self) -> Response {
        self.get("/api/v1/sessions").await
    }

    /// `DELETE /api/v1/sessions`: signs the user out everywhere.
    pub async fn end_sessions(&self, csrf: &str) -> Response {
        self.client.delete(self.url("/api/v1/sessions")).header("x-csrf-token", csrf).send().await.unwrap()
    }

    /// `GET /api/v1/users`.
    pub async fn users(&self) -> Response {
        self.get("/api/v1/users").await
    }

    /// `PATCH /api/v1/users/{id}` with `changes`.
    pub async fn update_user(&self, csrf: &str, id: i64, changes: &Value) -> Response {
        let url = self.url(&format!("/api/v1/users/{id}"));
        self.client.patch(url).header("x-csrf-token", csrf).json(changes).send().await.unwrap()
    }

    /// `DELETE /api/v1/users/{id}`.
    pub async fn delete_user(&self, csrf: &str, id: i64) -> Response {
        let url = self.url(&format!("/api/v1/users/{id}"));
        self.client.delete(url).header("x-csrf-token", csrf).send().await.unwrap()
    }

    /// `GET /api/v1/photos?{query}`: a page of photos.
    pub async fn photos(&self, query: &str) -> Response {
        match query {
            "" => self.get("/api/v1/photos").await,
            q => self.get(&format!("/api/v1/photos?{q}")).await,
        }
    }

    /// `GET /api/v1/photos/{id}`: one photo with its files.
    pub async fn photo(&self, id: impl std::fmt::Display) -> Response {
        self.get(&format!("/api/v1/photos/{id}")).await
    }

    /// `POST /api/v1/index`: starts an index (202, or 409 while one runs).
    pub async fn start_index(&self, csrf: &str) -> Response {
        self.client.post(self.url("/api/v1/index")).header("x-csrf-token", csrf).send().await.unwrap()
    }

    /// `GET /api/v1/index`: whether an index runs and how the last one ended.
    pub async fn index_status(&self) -> Response {
        self.get("/api/v1/index").await
    }

    /// `POST /api/v1/upload` with these files (name, bytes) as one multipart form.
    pub async fn upload(&self, csrf: &str, files: &[(&str, Vec<u8>)]) -> Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("files", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()));
        }
        self.client.post(self.url("/api/v1/upload")).header("x-csrf-token", csrf).multipart(form).send().await.unwrap()
    }

    /// `POST /share-target` as a phone's share sheet sends it: multipart `files`, no CSRF token,
    /// and the `Sec-Fetch-Site` the browser would put (none at all with `None`).
    pub async fn share(&self, sec_fetch_site: Option<&str>, files: &[(&str, Vec<u8>)]) -> Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("files", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()));
        }
        let mut request = self.client.post(self.url("/share-target")).multipart(form);
        if let Some(site) = sec_fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send().await.unwrap()
    }

    /// `POST /api/v1/albums` with `{title, description}` (201 and the album).
    pub async fn create_album(&self, csrf: &str, album: &Value) -> Response {
        self.client.post(self.url("/api/v1/albums")).header("x-csrf-token", csrf).json(album).send().await.unwrap()
    }

    /// `POST /api/v1/albums/{album}/photos`: adds these photos to the album.
    pub async fn add_to_album(&self, csrf: &str, album: i64, ids: &[i64]) -> Response {
        let url = self.url(&format!("/api/v1/albums/{album}/photos"));
        self.client.post(url).header("x-csrf-token", csrf).json(&json!({ "ids": ids })).send().await.unwrap()
    }

    /// Signs in as the administrator and returns the CSRF token.
    pub async fn sign_in_admin(&self) -> String {
        let r = self.sign_in("admin", ADMIN_PASSWORD).await;
        assert_eq!(r.status(), 200, "admin sign-in");
        let body: Value = r.json().await.unwrap();
        body["csrf_token"].as_str().unwrap().to_string()
    }

    /// Creates a local user with a password directly in the database, the way `users add` does.
    pub async fn add_user(&self, username: &str, password: &str, role: &str) -> i64 {
        let hash = shoebox::accounts::password::hash(password.to_string()).await.unwrap();
        let new = shoebox::db::users::NewUser {
            username: username.into(),
            role: Some(role.parse().unwrap()),
            password_hash: Some(hash),
            ..Default::default()
        };
        shoebox::db::users::insert(&self.db, &new).await.unwrap()
    }

    /// The hidden CSRF field of the login form (this also starts the anonymous session).
    pub async fn login_form_token(&self) -> String {
        let html = self.get("/login").await.text().await.unwrap();
        hidden_field(&html, "csrf_token").expect("login form has a csrf_token field")
    }

    /// Changes every stored session the way time would (the tests' clock): `change` gets each
    /// session record and returns whether it changed it. Returns how many it changed.
    pub async fn edit_stored_sessions(&self, change: impl Fn(&mut tower_sessions::session::Record) -> bool) -> usize {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT id, data FROM tower_sessions").fetch_all(&self.db).await.unwrap();
        let mut changed = 0;
        for (id, data) in rows {
            let mut record: tower_sessions::session::Record = rmp_serde::from_slice(&data).unwrap();
            if !change(&mut record) {
                continue;
            }
            sqlx::query("UPDATE tower_sessions SET data = ?, expiry_date = ? WHERE id = ?")
                .bind(rmp_serde::to_vec(&record).unwrap())
                .bind(record.expiry_date)
                .bind(id)
                .execute(&self.db)
                .await
                .unwrap();
            changed += 1;
        }
        changed
    }

    /// Opens a visitor cookie (`name=value`) with this server's key, lets `change` edit its
    /// contents the way time would (the tests' clock), and seals it again.
    pub fn reseal_visitor_cookie(&self, pair: &str, change: impl Fn(&mut Value)) -> String {
        let key = cookie::Key::from(&std::fs::read(self.storage.path().join("visitor.key")).unwrap());
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::parse(pair.to_string()).unwrap());
        let opened = jar.private(&key).get("shoebox_visitor").expect("a visitor cookie sealed by this server");
        let mut contents: Value = serde_json::from_str(opened.value()).unwrap();
        change(&mut contents);
        let mut sealed = cookie::CookieJar::new();
        sealed.private_mut(&key).add(cookie::Cookie::new("shoebox_visitor", contents.to_string()));
        let c = sealed.get("shoebox_visitor").unwrap();
        format!("{}={}", c.name(), c.value())
    }

    pub async fn audit_outcomes(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("SELECT username, outcome, reason FROM sign_in_events ORDER BY id")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The value of `<input type="hidden" name="NAME" value="…">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// All `Set-Cookie` headers of a response for the session cookie.
pub fn session_cookie(r: &Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("shoebox_session="))
        .map(str::to_string)
}

/// The `Set-Cookie` header of a response for the anonymous visitor's cookie.
pub fn visitor_cookie(r: &Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("shoebox_visitor="))
        .map(str::to_string)
}

pub fn location(r: &Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Reading a JSON answer that must be 200 OK.
pub trait ResponseExt {
    /// Asserts the status is 200 and returns the body as JSON.
    fn ok_json(self) -> impl std::future::Future<Output = Value> + Send;
}

impl ResponseExt for Response {
    async fn ok_json(self) -> Value {
        let what = self.url().path().to_string();
        assert_eq!(self.status(), 200, "{what}");
        self.json().await.unwrap()
    }
}
