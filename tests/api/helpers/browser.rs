//! `Browser`: Debian's headless Chromium driven through chromedriver (WebDriver). Screenshots
//! of every page visited go to `target/screenshots/` as test artifacts.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tempfile::TempDir;

use super::ADMIN_PASSWORD;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a page may take to show what a test waits for (the machines are shared and slow).
const PATIENCE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);
/// axe-core, installed by `scripts/test` from the pinned package in `tests/axe`.
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/axe/node_modules/axe-core/axe.min.js");
/// The phone `start_phone` emulates: CSS pixels, as a small Android phone reports them.
pub const PHONE: (u32, u32) = (360, 800);
const PHONE_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) \
                                Chrome/120.0.0.0 Mobile Safari/537.36";

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and a fresh headless Chromium profile.
    pub async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// `start()` with more Chromium switches (e.g. `--force-dark-mode`).
    pub async fn start_with(extra: &[&str]) -> Browser {
        Browser::launch(extra, None, false).await
    }

    /// `start()` as a 360×800 Android phone: Chromium's device emulation (touch, a mobile user
    /// agent, the meta viewport honoured, zooming out when a page is too wide).
    pub async fn start_phone() -> Browser {
        Browser::launch(&[], None, true).await
    }

    /// `start()` with downloads saved, without asking, into `dir`.
    pub async fn start_downloading_to(dir: &std::path::Path) -> Browser {
        Browser::launch(&[], Some(dir), false).await
    }

    async fn launch(extra: &[&str], downloads: Option<&std::path::Path>, phone: bool) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: run ./scripts/test, which installs Debian's chromium and chromium-driver"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Its own process group, so a test that fails before `close` still takes chromedriver and
        // every Chromium process it started down with it (see `Drop`).
        let driver = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let status = format!("http://127.0.0.1:{port}/status");
        let probe = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..200 {
            if probe.get(&status).send().await.is_ok_and(|r| r.status().is_success()) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not answer on port {port}");
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut options = json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": downloads.map(|dir| json!({
                "download.default_directory": dir,
                "download.prompt_for_download": false,
            })).unwrap_or_else(|| json!({})),
        });
        if phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": PHONE.0, "height": PHONE.1, "pixelRatio": 3.0, "mobile": true, "touch": true },
                "userAgent": PHONE_USER_AGENT,
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        Browser { client, driver, _profile: profile }
    }

    /// Saves a PNG of the current page as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG image");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page, returning its value.
    pub async fn eval_with(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.eval_with(script, vec![]).await
    }

    /// Polls the page until `script` returns true (pages work asynchronously: fetches, timers).
    pub async fn until(&self, script: &str, what: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if self.eval(script).await == json!(true) {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("the page never showed {what} on {}", self.path().await);
    }

    /// Runs axe-core on the page on screen; returns its serious and critical violations, each
    /// as `rule: help (impact) at selectors`. Empty when the page passes.
    pub async fn axe(&self) -> Vec<String> {
        let source = std::fs::read_to_string(AXE).unwrap_or_else(|e| {
            panic!("{AXE}: {e}; run ./scripts/test, which installs the pinned axe-core from npm into tests/axe")
        });
        // WebDriver's scripts run outside the page's CSP, so axe needs no exception there.
        self.eval(&format!("if (!window.axe) {{ {source} }} return true;")).await;
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[0];
                axe.run(document, { resultTypes: ["violations"] }).then((r) => done(r.violations
                  .filter((v) => v.impact === "serious" || v.impact === "critical")
                  .map((v) => `${v.id}: ${v.help} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)));"#,
                vec![],
            )
            .await
            .expect("axe.run");
        serde_json::from_value(found).expect("a list of violations")
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Fills in and sends the password form of the page on screen (`/login`) as the administrator.
    pub async fn submit_admin_password(&self) {
        self.client.find(Locator::Css("#username")).await.unwrap().send_keys("admin").await.unwrap();
        self.client.find(Locator::Css("#password")).await.unwrap().send_keys(ADMIN_PASSWORD).await.unwrap();
        self.client.find(Locator::Css("form[action='/login'] button")).await.unwrap().click().await.unwrap();
    }

    /// Waits until the first element matching `css` reads exactly `want`.
    pub async fn expect_text(&self, css: &str, want: &str) {
        self.poll_text(css, &format!("{want:?}"), |text| text == want).await;
    }

    /// Waits until the first element matching `css` has `part` in its text; returns that text.
    pub async fn expect_text_containing(&self, css: &str, part: &str) -> String {
        self.poll_text(css, &format!("text containing {part:?}"), |text| text.contains(part)).await
    }

    /// Waits until the address (path and query) is `want`.
    pub async fn expect_path(&self, want: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let path = self.path().await;
            if path == want {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the browser never reached {want:?}; it is at {path:?}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// A click that submits a form returns before the next page has loaded, so one read could see
    /// the old page, or an element the navigation removes while it is being read (a stale
    /// reference). Reading until the expected text shows, or the patience runs out, avoids both.
    async fn poll_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let last = match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.text().await {
                    Ok(text) if ok(&text) => return text,
                    Ok(text) => format!("{text:?}"),
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if tokio::time::Instant::now() >= deadline {
                panic!("`{css}` never showed {what} on {}; last seen: {last}", self.path().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// A failed assertion unwinds past `close`: without this, chromedriver and its Chromium
    /// (several processes busy with the page) outlive the test and load the machine.
    fn drop(&mut self) {
        if let Some(group) = rustix::process::Pid::from_raw(self.driver.id() as i32) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.driver.wait();
    }
}
