//! Signed-in people: `Person` (their own client and CSRF token) and the `party()` of Alice, Bob and
//! the administrator.

use reqwest::Method;
use serde_json::Value;

use super::{TestApp, client, spawn_app, upload};

pub const PASSWORD: &str = "correct horse battery";

/// A signed-in person: their own view of the server and their CSRF token.
pub struct Person {
    pub app: TestApp,
    pub csrf: String,
}

impl Person {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut r = self.app.client.request(method, self.app.url(path)).header("X-CSRF-Token", &self.csrf);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let r = self.send(method.clone(), path, body).await;
        assert_eq!(r.status(), 200, "{method} {path}");
        r.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Value {
        self.json(Method::GET, path, None).await
    }

    /// Uploads pictures and returns their photo ids.
    pub async fn upload(&self, files: &[(&str, Vec<u8>)]) -> Vec<i64> {
        let r = upload(&self.app, &self.csrf, files).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["files"].as_array().unwrap().iter().map(|f| f["photo_id"].as_i64().unwrap_or_else(|| panic!("{v}"))).collect()
    }
}

pub async fn person(app: &TestApp, username: &str) -> Person {
    let other = app.with_client(client());
    let r = other.sign_in(username, PASSWORD).await;
    assert_eq!(r.status(), 200, "sign-in of {username}");
    let v: Value = r.json().await.unwrap();
    Person { csrf: v["csrf_token"].as_str().unwrap().to_string(), app: other }
}

/// Alice (a user, owns the photos), Bob (another user) and the administrator, signed in.
pub struct Party {
    pub app: TestApp,
    pub alice: Person,
    pub bob: Person,
    pub admin: Person,
}

pub async fn party() -> Party {
    let app = spawn_app().await;
    app.add_user("alice", PASSWORD, "user").await;
    app.add_user("bob", PASSWORD, "user").await;
    let alice = person(&app, "alice").await;
    let bob = person(&app, "bob").await;
    let csrf = app.sign_in_admin().await;
    let admin = Person { app: app.with_client(app.client.clone()), csrf };
    Party { app, alice, bob, admin }
}
