//! The `shoebox` binary itself: startup errors, first start, signals, subcommands.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::client;

const BIN: &str = env!("CARGO_BIN_EXE_shoebox");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn shoebox(storage: &std::path::Path) -> Command {
    shoebox_via(Command::new(BIN), storage)
}

/// `cmd` (the binary itself, or a wrapper that runs it) with the test environment.
fn shoebox_via(mut c: Command, storage: &std::path::Path) -> Command {
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHOEBOX_STORAGE_PATH", storage)
        .env("SHOEBOX_HTTP_HOST", "127.0.0.1")
        .env("SHOEBOX_LOG_FORMAT", "json")
        .current_dir(storage);
    c
}

/// A running `shoebox serve` whose log lines arrive on a channel.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Server {
    fn start(mut cmd: Command) -> Server {
        let mut child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut s = Server { child, lines, log: Vec::new() };
        s.wait_for("Shoebox is listening");
        s
    }

    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("waited for {needle:?}; log so far:\n{}", self.log.join("\n")),
            }
        }
    }

    /// Sends SIGTERM and returns the exit code.
    fn terminate(mut self) -> (i32, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.log.push(line);
        }
        (status.code().unwrap_or(-1), self.log)
    }
}

#[test]
fn a_bad_setting_stops_startup_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = shoebox(dir.path()).env("SHOEBOX_HTTP_PORT", "abc").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "SHOEBOX_HTTP_PORT=abc: not a port number (1-65535)\n");
}

#[tokio::test]
async fn the_first_start_prints_a_generated_admin_password_once_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = shoebox(dir.path());
    cmd.env("SHOEBOX_HTTP_PORT", port.to_string());
    let mut first = Server::start(cmd);
    let line = first.log.iter().find(|l| l.contains("generated password")).cloned().expect("password is printed");
    let message: Value = serde_json::from_str(&line).unwrap();
    let text = message["message"].as_str().unwrap();
    let password = text.split("generated password ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(password.len() >= 20, "a strong password: {password}");

    let c = client();
    let r = c
        .post(format!("http://127.0.0.1:{port}/api/v1/session"))
        .json(&serde_json::json!({ "username": "admin", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the printed password works");
    let _ = first.wait_for("/api/v1/session");
    let (code, _) = first.terminate();
    assert_eq!(code, 0, "SIGTERM is a clean exit");

    let mut cmd = shoebox(dir.path());
    cmd.env("SHOEBOX_HTTP_PORT", port.to_string());
    let second = Server::start(cmd);
    let (code, log) = second.terminate();
    assert_eq!(code, 0);
    assert!(!log.iter().any(|l| l.contains("password")), "never printed again: {log:?}");
}

#[test]
fn with_single_sign_on_the_log_names_the_redirect_uri_to_register_and_warns_about_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = shoebox(dir.path());
    cmd.env("SHOEBOX_HTTP_PORT", port.to_string())
        .env("PHOTOPRISM_ADMIN_PASSWORD", "from the environment")
        .env("PHOTOPRISM_SITE_URL", "http://photos.localhost:8080/gallery/")
        // Nothing listens there: the provider is unreachable, the server starts all the same.
        .env("PHOTOPRISM_OIDC_URI", format!("http://127.0.0.1:{}", free_port()))
        .env("PHOTOPRISM_OIDC_CLIENT", "photoprism")
        .env("PHOTOPRISM_OIDC_SECRET", "insecure_secret")
        .env("PHOTOPRISM_OIDC_INSECURE", "true");
    let server = Server::start(cmd);
    let (code, log) = server.terminate();
    assert_eq!(code, 0);
    let line = log.iter().find(|l| l.contains("register exactly this redirect URI")).expect("redirect URI logged");
    assert!(line.contains("http://photos.localhost:8080/gallery/api/v1/oidc/redirect"), "{line}");
    assert!(log.iter().any(|l| l.contains("OIDC_INSECURE=true")), "{log:?}");
    assert!(!log.iter().any(|l| l.contains("insecure_secret")), "the secret is never logged: {log:?}");
}

#[tokio::test]
async fn a_configured_admin_password_is_used_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = shoebox(dir.path());
    cmd.env("SHOEBOX_HTTP_PORT", port.to_string()).env("PHOTOPRISM_ADMIN_PASSWORD", "from the environment");
    let server = Server::start(cmd);
    let r = client()
        .post(format!("http://127.0.0.1:{port}/api/v1/session"))
        .json(&serde_json::json!({ "username": "admin", "password": "from the environment" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (code, log) = server.terminate();
    assert_eq!(code, 0);
    assert!(!log.iter().any(|l| l.contains("from the environment")), "{log:?}");
}

#[test]
fn healthcheck_exits_0_when_the_server_answers_and_1_when_it_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = shoebox(dir.path());
    cmd.env("SHOEBOX_HTTP_PORT", port.to_string()).env("SHOEBOX_ADMIN_PASSWORD", "whatever123");
    let server = Server::start(cmd);
    let ok = shoebox(dir.path()).env("SHOEBOX_HTTP_PORT", port.to_string()).arg("healthcheck").output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let (code, _) = server.terminate();
    assert_eq!(code, 0);
    let down = shoebox(dir.path()).env("SHOEBOX_HTTP_PORT", port.to_string()).arg("healthcheck").output().unwrap();
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("no answer"));
}

#[test]
fn config_prints_each_setting_with_its_source_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/shoebox.toml"), "oidc_provider = \"authelia\"\n").unwrap();
    let out = shoebox(dir.path())
        .env("PHOTOPRISM_OIDC_SECRET", "insecure_secret")
        .env("SHOEBOX_DISABLE_OIDC", "true")
        .env("SHOEBOX_HTTP_PORT", "8080")
        .arg("config")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap().to_string();
    assert!(line("HTTP_PORT").contains("8080") && line("HTTP_PORT").ends_with("env SHOEBOX_HTTP_PORT"));
    assert!(line("OIDC_SECRET").contains("(redacted)") && line("OIDC_SECRET").ends_with("env PHOTOPRISM_OIDC_SECRET"));
    assert!(line("OIDC_PROVIDER").contains("authelia") && line("OIDC_PROVIDER").ends_with("file config/shoebox.toml"));
    assert!(line("SITE_URL").ends_with("default"));
    assert!(!text.contains("insecure_secret"));
}

#[test]
fn users_can_be_added_listed_changed_and_removed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut c = shoebox(dir.path());
        c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(s) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    assert!(run(&["migrate"], None).status.success());
    assert!(run(&["migrate"], None).status.success(), "migrate twice is fine");

    let add =
        run(&["users", "add", "alice", "--role", "viewer", "--email", "a@example.com"], Some("alice's password\n"));
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let short = run(&["users", "add", "bob"], Some("short\n"));
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    let dup = run(&["users", "add", "ALICE", "--password", "another password"], None);
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let sso = run(&["users", "add", "dave", "--oidc-subject", "0c1d-uuid"], None);
    assert!(sso.status.success(), "an SSO-only account needs no password");

    let list = run(&["users", "list", "--json"], None);
    let users: Value = serde_json::from_slice(&list.stdout).unwrap();
    let alice = users.as_array().unwrap().iter().find(|u| u["username"] == "alice").unwrap();
    assert_eq!(alice["role"], "viewer");
    let dave = users.as_array().unwrap().iter().find(|u| u["username"] == "dave").unwrap();
    assert_eq!(dave["auth_subject"], "0c1d-uuid");
    assert_eq!(dave["auth_issuer"], "");

    assert!(run(&["users", "mod", "alice", "--role", "user", "--disable"], None).status.success());
    assert!(run(&["users", "passwd", "alice"], Some("a new password\n")).status.success());
    let list = run(&["users", "list", "--json"], None);
    let users: Value = serde_json::from_slice(&list.stdout).unwrap();
    let alice = users.as_array().unwrap().iter().find(|u| u["username"] == "alice").unwrap();
    assert_eq!(alice["role"], "user");
    assert_eq!(alice["disabled"], true);

    let last_admin = run(&["users", "rm", "admin"], None);
    assert!(!run(&["users", "list"], None).stdout.is_empty());
    // No server ran, so no admin exists yet: removing a non-existent user says so.
    assert!(String::from_utf8_lossy(&last_admin.stderr).contains("no user named"));
    assert!(run(&["users", "rm", "alice"], None).status.success());
    let list = String::from_utf8_lossy(&run(&["users", "list"], None).stdout).to_string();
    assert!(!list.contains("alice") && list.contains("dave"));
}

#[test]
fn disabling_demoting_or_removing_the_last_enabled_admin_from_the_command_line_is_refused() {
    let storage = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| shoebox(storage.path()).args(args).output().unwrap();
    let stored = |name: &str| -> (String, bool) {
        let list: Value = serde_json::from_slice(&run(&["users", "list", "--json"]).stdout).unwrap();
        let u = list.as_array().unwrap().iter().find(|u| u["username"] == name).unwrap().clone();
        (u["role"].as_str().unwrap().to_string(), u["disabled"].as_bool().unwrap())
    };
    assert!(run(&["users", "add", "root", "--role", "admin", "--password", "roots password"]).status.success());
    assert!(run(&["users", "add", "old", "--role", "admin", "--password", "olds password"]).status.success());
    assert!(run(&["users", "mod", "old", "--disable"]).status.success(), "root is still enabled");

    // `old` is a disabled administrator; `root` is the only one who can sign in.
    for args in [
        &["users", "mod", "root", "--disable"][..],
        &["users", "mod", "root", "--role", "user"],
        &["users", "rm", "root"],
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args:?} must be refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("root is the last active administrator"), "{args:?}: {stderr}");
        assert_eq!(stored("root"), ("admin".to_string(), false), "{args:?} changed nothing");
    }
    // Once `old` is enabled again, root may step down.
    assert!(run(&["users", "mod", "old", "--enable"]).status.success());
    assert!(run(&["users", "mod", "root", "--disable"]).status.success());
    assert_eq!(stored("root"), ("admin".to_string(), true));
}

#[tokio::test]
async fn the_request_log_never_holds_a_media_token() {
    let dir = tempfile::tempdir().unwrap();
    let originals = dir.path().join("originals");
    std::fs::create_dir_all(&originals).unwrap();
    std::fs::write(originals.join("lake.jpg"), crate::helpers::dated_jpeg("2023:07:14 18:30:05", 1)).unwrap();
    let port = free_port();
    let mut cmd = shoebox(dir.path());
    cmd.env("SHOEBOX_HTTP_PORT", port.to_string()).env("SHOEBOX_ADMIN_PASSWORD", "the admin password");
    let mut server = Server::start(cmd);
    let base = format!("http://127.0.0.1:{port}");
    let c = client();
    let r = c
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({ "username": "admin", "password": "the admin password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The startup index finds the photo.
    let mut thumbnail = None;
    for _ in 0..400 {
        let v: Value = c.get(format!("{base}/api/v1/photos")).send().await.unwrap().json().await.unwrap();
        if let Some(url) = v["photos"][0]["thumbnails"]["tile_224"].as_str() {
            thumbnail = Some(url.to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let thumbnail = thumbnail.expect("the indexed photo has thumbnails");
    let token = thumbnail.split('/').nth(5).unwrap().to_string();
    assert!(token.len() > 16, "{thumbnail}");
    let r = c.get(format!("{base}{thumbnail}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    server.wait_for("/api/v1/t/");
    let (_, log) = server.terminate();
    let requests: Vec<_> = log.iter().filter(|l| l.contains("/api/v1/t/")).collect();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|l| l.contains("/***/tile_224")), "{requests:?}");
    assert!(!log.iter().any(|l| l.contains(&token)), "the token is in the log: {log:?}");
}

/// A file of `len` bytes that starts with an MP4 header; sparse, so it costs no disk.
fn sparse_video(path: &std::path::Path, len: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(path).unwrap();
    std::io::Write::write_all(&mut f, b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2mp41").unwrap();
    f.set_len(len).unwrap();
}

#[tokio::test]
async fn a_2_gib_video_among_the_originals_is_hashed_by_streaming_within_a_1_gib_memory_limit_and_skipped_as_unreadable()
 {
    let dir = tempfile::tempdir().unwrap();
    let originals = dir.path().join("originals");
    sparse_video(&originals.join("clip.mp4"), 2 << 30);
    std::fs::write(originals.join("photo.jpg"), crate::helpers::camera_jpeg(40)).unwrap();
    // Reading the video whole would need 2 GiB of address space; the limit makes that fail. It
    // is hashed through a buffer instead, then ffprobe finds no stream in its zeros.
    let mut limited = Command::new("prlimit");
    limited.args([&format!("--as={}", 1u64 << 30), "--", BIN, "index", "--json"]);
    let out = shoebox_via(limited, dir.path())
        .env("SHOEBOX_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
        .env("SHOEBOX_INDEX_WORKERS", "2")
        // glibc reserves 64 MiB of address space per thread arena; fewer keep the limit about files.
        .env("MALLOC_ARENA_MAX", "2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "index under a 1 GiB limit: {:?}\n{stderr}", out.status);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((summary["new_photos"].as_u64(), summary["skipped"].as_u64()), (Some(1), Some(1)), "{summary}");
    let db = shoebox::db::connect(&dir.path().join("shoebox.db")).await.unwrap();
    let rows: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as("SELECT path, status, reason, hash FROM files ORDER BY path").fetch_all(&db).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("clip.mp4", "skipped"), "{rows:?}");
    assert!(rows[0].2.contains("ffprobe"), "{rows:?}");
    assert_eq!(rows[0].3.as_ref().map(String::len), Some(64), "hashed by streaming: {rows:?}");
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("photo.jpg", "indexed"), "{rows:?}");
}

#[test]
fn index_on_the_command_line_waits_while_another_process_holds_the_index_lock_then_runs() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("originals")).unwrap();
    std::fs::write(dir.path().join("originals/photo.jpg"), crate::helpers::camera_jpeg(45)).unwrap();
    // What a running server or another `shoebox index` holds.
    let lock = std::fs::File::create(dir.path().join("index.lock")).unwrap();
    lock.try_lock().unwrap();
    let mut child = shoebox(dir.path())
        .env("SHOEBOX_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
        .args(["index", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "shoebox index ended without saying it waits");
        if line.contains("waiting") {
            break;
        }
    }
    assert_eq!(
        line.trim_end(),
        "another index is running (the server's, or another shoebox index): waiting for it to finish"
    );
    assert!(child.try_wait().unwrap().is_none(), "it waits while the lock is held");

    lock.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["new_photos"], 1, "{summary}");
}
