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

/// A WebDAV request to build further (headers a client such as PhotoSync adds), signed in.
pub fn dav_request(app: &TestApp, method: &str, path: &str, login: (&str, &str)) -> reqwest::RequestBuilder {
    client().request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path)).basic_auth(login.0, Some(login.1))
}

/// The person's photos in the timeline once there are at least `n` (the index runs by itself).
pub async fn wait_for_timeline(person: &Person, n: usize) -> Vec<Value> {
    for _ in 0..600 {
        let v: Value = person.photos("").await.json().await.unwrap();
        let photos = v["photos"].as_array().unwrap().clone();
        if photos.len() >= n {
            return photos;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{n} photos did not show up in the timeline");
}

/// Waits until `check` holds (polled for up to a minute), or fails naming `what`.
pub async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within a minute");
}

/// A file's modification time in whole seconds since 1970.
pub fn mtime_secs(path: &std::path::Path) -> u64 {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    modified.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// rclone (Debian's) with two WebDAV remotes, `import:` and `originals:`, signed in as one
/// person with an app password, its configuration in a folder of its own.
pub struct Rclone {
    config: tempfile::TempDir,
}

impl Rclone {
    pub async fn new(app: &TestApp, username: &str, app_password: &str) -> Rclone {
        let config = tempfile::tempdir().unwrap();
        let obscured = tokio::process::Command::new("rclone")
            .args(["obscure", app_password])
            .output()
            .await
            .expect("rclone is installed (scripts/test installs it)");
        assert!(obscured.status.success());
        let pass = String::from_utf8(obscured.stdout).unwrap().trim().to_string();
        let mut text = String::new();
        for remote in ["import", "originals"] {
            let url = app.url(&format!("/{remote}/"));
            text += &format!(
                "[{remote}]\ntype = webdav\nurl = {url}\nvendor = other\nuser = {username}\npass = {pass}\n\n"
            );
        }
        std::fs::write(config.path().join("rclone.conf"), text).unwrap();
        Rclone { config }
    }

    /// Runs `rclone <args>` and returns its output; fails the test if rclone fails.
    pub async fn run(&self, args: &[&str]) -> String {
        let out = tokio::process::Command::new("rclone")
            .arg("--config")
            .arg(self.config.path().join("rclone.conf"))
            .args(["--contimeout", "10s", "--timeout", "60s", "--retries", "1"])
            .args(args)
            .output()
            .await
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "rclone {args:?}: {text}");
        text
    }
}

/// Every file under `dir` by its name (folders left out) with its bytes: two folders hold the
/// same files, wherever in them, when these are equal.
pub fn files_by_name(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            } else {
                found.insert(e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    found
}

/// Names and sizes, for a failure message that can be read.
pub fn sizes(files: &std::collections::BTreeMap<String, Vec<u8>>) -> Vec<(&str, usize)> {
    files.iter().map(|(name, bytes)| (name.as_str(), bytes.len())).collect()
}

/// `shoebox serve` as its own process, so its memory is the server's alone, with an account's
/// app password for WebDAV.
pub struct MeasuredServer {
    child: std::process::Child,
    pub base: String,
    pub storage: tempfile::TempDir,
}

impl Drop for MeasuredServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MeasuredServer {
    pub async fn start(env: &[(&str, &str)]) -> MeasuredServer {
        let storage = tempfile::tempdir().unwrap();
        let port = super::free_port();
        let child = super::serve_command(&[], storage.path(), port, env).spawn().unwrap();
        let server = MeasuredServer { child, base: format!("http://127.0.0.1:{port}"), storage };
        for _ in 0..600 {
            if let Ok(r) = client().get(format!("{}/health", server.base)).send().await
                && r.status() == 200
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("shoebox serve did not answer /health; see its server.log");
    }

    /// The administrator's new app password.
    pub async fn admin_app_password(&self) -> String {
        let c = client();
        let r = c
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({ "username": "admin", "password": super::ADMIN_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        let r = c
            .post(format!("{}/api/v1/account/app-passwords", self.base))
            .header("X-CSRF-Token", csrf)
            .json(&json!({ "name": "big files" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["password"].as_str().unwrap().to_string()
    }

    /// Peak and current resident memory of the server, in bytes (`/proc/<pid>/status`).
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {status}"));
            line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

/// A request body of `len` bytes made as it is sent, 1 MiB at a time, so the test holds no more
/// than that: zeros after a few bytes that no picture format starts with.
pub fn generated_body(len: u64) -> reqwest::Body {
    const CHUNK: u64 = 1 << 20;
    let chunks = len.div_ceil(CHUNK);
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        let size = CHUNK.min(len - i * CHUNK) as usize;
        let mut chunk = vec![0u8; size];
        if i == 0 {
            chunk[..8.min(size)].copy_from_slice(&b"SHOEBOX!"[..8.min(size)]);
        }
        Ok::<_, std::io::Error>(chunk)
    }));
    reqwest::Body::wrap_stream(stream)
}
