//! The real OpenID provider (`tests/oidc-provider/`, the `oidc-provider` package) and a Shoebox
//! configured for it the way the seed configures Authelia.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{TestApp, client, spawn_app_with_env};

pub struct RealProvider {
    pub issuer: String,
    _child: Child,
}

impl RealProvider {
    pub async fn start(redirect_uri: &str) -> RealProvider {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc-provider");
        assert!(
            std::path::Path::new(dir).join("node_modules/oidc-provider").exists(),
            "the provider package is not installed: run ./scripts/test (it runs npm ci in tests/oidc-provider)"
        );
        let mut child = Command::new("node")
            .arg("server.mjs")
            .arg(redirect_uri)
            // A fixed test key: generating one at start is slow on a busy machine.
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures/rsa2.pem"))
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (scripts/test needs node 20 or later)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .expect("the provider starts within two minutes")
            .unwrap()
            .expect("the provider prints its address");
        let issuer = first.strip_prefix("listening ").expect("`listening URL`").to_string();
        // Keep reading: a closed pipe would stop the provider at its next line of output.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RealProvider { issuer, _child: child }
    }

    /// Changes a person's claims at the provider (e.g. a new username).
    pub async fn update(&self, login: &str, claims: Value) {
        let r = client().post(format!("{}/test/users/{login}", self.issuer)).json(&claims).send().await.unwrap();
        assert_eq!(r.status(), 204);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The provider and Shoebox started with the seed's environment plus `extra` (full names).
pub async fn start(extra: &[(&str, &str)]) -> (RealProvider, TestApp) {
    let port = free_port();
    let site = format!("http://127.0.0.1:{port}/");
    let provider = RealProvider::start(&format!("{site}api/v1/oidc/redirect")).await;
    let mut env: Vec<(String, String)> = [
        ("PHOTOPRISM_OIDC_URI", provider.issuer.as_str()),
        ("PHOTOPRISM_OIDC_CLIENT", "photoprism"),
        ("PHOTOPRISM_OIDC_SECRET", "insecure_secret"),
        ("PHOTOPRISM_OIDC_PROVIDER", "authelia"),
        ("PHOTOPRISM_OIDC_REGISTER", "true"),
        ("PHOTOPRISM_OIDC_INSECURE", "true"),
        ("PHOTOPRISM_SITE_URL", site.as_str()),
        ("SHOEBOX_HTTP_PORT", &port.to_string()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v.to_string()));
    }
    let app = spawn_app_with_env(env).await;
    (provider, app)
}
