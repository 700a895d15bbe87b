//! `shoebox serve` as its own process, for tests that must measure or kill the real server.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;

use super::{ADMIN_PASSWORD, client};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `shoebox serve` on 127.0.0.1:`port` with `storage` and extra `SHOEBOX_*` settings, run through
/// `wrapper` (e.g. `["prlimit", "--nofile=128", "--"]`) when one is given. Its log is appended to
/// `storage/server.log`: a file, not a pipe nobody reads, which would block the server when full.
pub fn serve_command(wrapper: &[&str], storage: &Path, port: u16, env: &[(&str, &str)]) -> Command {
    let bin = env!("CARGO_BIN_EXE_shoebox");
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let log = std::fs::OpenOptions::new().create(true).append(true).open(storage.join("server.log")).unwrap();
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHOEBOX_STORAGE_PATH", storage)
        .env("SHOEBOX_HTTP_HOST", "127.0.0.1")
        .env("SHOEBOX_HTTP_PORT", port.to_string())
        .env("SHOEBOX_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SHOEBOX_LOG_LEVEL", "warn")
        .current_dir(storage)
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(format!("SHOEBOX_{k}"), v);
    }
    cmd
}

/// A running `shoebox serve` on 127.0.0.1; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts the server (see [`serve_command`]) and waits until it answers `/health`.
    pub async fn start(storage: &Path, port: u16, env: &[(&str, &str)]) -> ServerProcess {
        let mut cmd = serve_command(&[], storage, port, env);
        let server = ServerProcess { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe = Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
        while Instant::now() < deadline {
            if let Ok(r) = probe.get(server.url("/health")).send().await
                && r.status() == 200
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("shoebox serve did not answer /health within 30 s; see {}", storage.join("server.log").display());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs the administrator in on a new client; returns it with its CSRF token.
    pub async fn admin(&self) -> (Client, String) {
        let c = client();
        let r = c
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        (c, csrf)
    }

    /// SIGTERM, as `docker stop` or systemd sends it, and the exit status once the server has
    /// shut down (panics if that takes over two minutes: a shutdown waiting on work it should stop).
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("a child's pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM is sent");
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("shoebox serve did not stop within two minutes of SIGTERM");
    }

    /// SIGKILL: no shutdown, no flush, as a power cut or the OOM killer would stop it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
