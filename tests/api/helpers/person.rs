//! Signed-in people: `Person` (their own client and CSRF token) and the `party()` of Alice, Bob and
//! the administrator.

use reqwest::Method;
use reqwest::Response;
use serde_json::{Value, json};

use super::{TestApp, client, spawn_app};

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

    /// `GET /api/v1/photos?{query}`.
    pub async fn photos(&self, query: &str) -> Response {
        self.app.photos(query).await
    }

    /// `GET /api/v1/photos/{id}`.
    pub async fn photo(&self, id: i64) -> Response {
        self.app.photo(id).await
    }

    /// `PATCH /api/v1/photos/{id}` with `changes`.
    pub async fn patch_photo(&self, id: i64, changes: Value) -> Response {
        self.send(Method::PATCH, &format!("/api/v1/photos/{id}"), Some(changes)).await
    }

    /// `DELETE /api/v1/photos/{id}`: moves the photo to the trash.
    pub async fn trash(&self, id: i64) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/photos/{id}"), None).await
    }

    /// `POST /api/v1/photos/{id}/restore`: takes the photo out of the trash.
    pub async fn restore(&self, id: i64) -> Response {
        self.send(Method::POST, &format!("/api/v1/photos/{id}/restore"), None).await
    }

    /// `POST /api/v1/photos/batch` with `{action, ids}`.
    pub async fn batch(&self, action: &str, ids: &[i64]) -> Response {
        self.send(Method::POST, "/api/v1/photos/batch", Some(json!({ "action": action, "ids": ids }))).await
    }

    /// `GET /api/v1/trash`: the photos in the trash and `trash_days`.
    pub async fn trash_contents(&self) -> Response {
        self.send(Method::GET, "/api/v1/trash", None).await
    }

    /// `DELETE /api/v1/trash`: deletes everything in the trash for good.
    pub async fn empty_trash(&self) -> Response {
        self.send(Method::DELETE, "/api/v1/trash", None).await
    }

    /// `POST /api/v1/index` with `{"rescan": true}` (an administrator's).
    pub async fn rescan(&self) -> Response {
        self.send(Method::POST, "/api/v1/index", Some(json!({ "rescan": true }))).await
    }

    /// `POST /api/v1/albums` with this body.
    pub async fn create_album(&self, album: Value) -> Response {
        self.app.create_album(&self.csrf, &album).await
    }

    /// `GET /api/v1/albums/{album}`.
    pub async fn album(&self, album: i64) -> Response {
        self.send(Method::GET, &format!("/api/v1/albums/{album}"), None).await
    }

    /// `PATCH /api/v1/albums/{album}` with `changes`.
    pub async fn update_album(&self, album: i64, changes: Value) -> Response {
        self.send(Method::PATCH, &format!("/api/v1/albums/{album}"), Some(changes)).await
    }

    /// `DELETE /api/v1/albums/{album}`.
    pub async fn delete_album(&self, album: i64) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/albums/{album}"), None).await
    }

    /// `GET /api/v1/albums/{album}/photos?{query}`.
    pub async fn album_photos(&self, album: i64, query: &str) -> Response {
        self.send(Method::GET, &format!("/api/v1/albums/{album}/photos?{query}"), None).await
    }

    /// `POST /api/v1/albums/{album}/photos`: adds photos.
    pub async fn add_to_album(&self, album: i64, ids: &[i64]) -> Response {
        self.app.add_to_album(&self.csrf, album, ids).await
    }

    /// `DELETE /api/v1/albums/{album}/photos`: takes photos out.
    pub async fn remove_from_album(&self, album: i64, ids: &[i64]) -> Response {
        self.send(Method::DELETE, &format!("/api/v1/albums/{album}/photos"), Some(json!({ "ids": ids }))).await
    }

    /// `PUT /api/v1/albums/{album}/cover` with `{photo_id}`.
    pub async fn set_cover(&self, album: i64, photo_id: i64) -> Response {
        self.send(Method::PUT, &format!("/api/v1/albums/{album}/cover"), Some(json!({ "photo_id": photo_id }))).await
    }

    /// Uploads pictures and returns their photo ids.
    pub async fn upload(&self, files: &[(&str, Vec<u8>)]) -> Vec<i64> {
        let r = self.app.upload(&self.csrf, files).await;
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
