//! Share links in tests: the owner making them, and visitors (each a fresh cookie jar, as a
//! second browser would be) opening them.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::{Person, TestApp, client};

/// A link just made: its id, token, album and the whole answer.
pub struct MadeLink {
    pub id: i64,
    pub token: String,
    pub album: i64,
    pub body: Value,
}

impl Person {
    /// `POST /api/v1/albums/{album}/links` with `settings`; asserts 201.
    pub async fn make_link(&self, album: i64, settings: Value) -> MadeLink {
        let r = self.send(Method::POST, &format!("/api/v1/albums/{album}/links"), Some(settings)).await;
        assert_eq!(r.status(), 201, "making a link");
        made(r.json().await.unwrap())
    }

    /// `POST /api/v1/links` sharing these photos; asserts 201.
    pub async fn share_selection(&self, photos: &[i64], settings: Value) -> MadeLink {
        let mut body = settings;
        body["photos"] = json!(photos);
        let r = self.send(Method::POST, "/api/v1/links", Some(body)).await;
        assert_eq!(r.status(), 201, "sharing a selection");
        made(r.json().await.unwrap())
    }

    /// An album with these photos; returns its id.
    pub async fn album_with(&self, title: &str, ids: &[i64]) -> i64 {
        let r = self.create_album(json!({ "title": title })).await;
        assert_eq!(r.status(), 201);
        let album = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        assert_eq!(self.add_to_album(album, ids).await.status(), 200);
        album
    }

    /// The content hash of one of the person's photos.
    pub async fn hash_of(&self, id: i64) -> String {
        self.get(&format!("/api/v1/photos/{id}")).await["hash"].as_str().unwrap().to_string()
    }

    /// The album's links as the owner sees them.
    pub async fn links_of(&self, album: i64) -> Vec<Value> {
        self.get(&format!("/api/v1/albums/{album}/links")).await["links"].as_array().unwrap().clone()
    }
}

fn made(body: Value) -> MadeLink {
    MadeLink {
        id: body["id"].as_i64().unwrap(),
        token: body["token"].as_str().unwrap().to_string(),
        album: body["album_id"].as_i64().unwrap(),
        body,
    }
}

/// Someone with the link and nothing else: no account, their own cookies.
pub struct Visitor {
    pub app: TestApp,
}

pub fn visitor(app: &TestApp) -> Visitor {
    Visitor { app: app.with_client(client()) }
}

impl Visitor {
    pub async fn get(&self, path: &str) -> Response {
        self.app.get(path).await
    }

    /// `GET /api/v1/s/{token}`.
    pub async fn open(&self, token: &str) -> Response {
        self.get(&format!("/api/v1/s/{token}")).await
    }

    /// `POST /api/v1/s/{token}/unlock`.
    pub async fn unlock(&self, token: &str, password: &str) -> Response {
        let url = self.app.url(&format!("/api/v1/s/{token}/unlock"));
        self.app.client.post(url).json(&json!({ "password": password })).send().await.unwrap()
    }
}

/// The URLs a visitor uses under a link, for a photo with `hash`.
pub fn link_urls(token: &str, hash: &str) -> Vec<String> {
    vec![
        format!("/s/{token}"),
        format!("/api/v1/s/{token}"),
        format!("/api/v1/s/{token}/t/{hash}/tile_224"),
        format!("/api/v1/s/{token}/t/{hash}/fit_1280"),
        format!("/api/v1/s/{token}/dl/{hash}"),
        format!("/api/v1/s/{token}/zip"),
    ]
}

/// Moves a link's expiry into the past, as time would.
pub async fn expire_link(app: &TestApp, link: i64) {
    sqlx::query("UPDATE share_links SET expires_at = 1 WHERE id = ?").bind(link).execute(&app.db).await.unwrap();
}

/// The stored (token hash, password hash) of a link.
pub async fn stored_link(app: &TestApp, link: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT token_hash, password_hash FROM share_links WHERE id = ?")
        .bind(link)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// A Shoebox that signs in through `fake`.
pub async fn app_with_provider(fake: &super::fake_provider::FakeProvider) -> TestApp {
    let env: Vec<(String, String)> = fake.env().into_iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v)).collect();
    super::spawn_app_with_env(env).await
}

/// The whole single sign-on in `app`'s browser; returns Shoebox's answer to the callback.
pub async fn sso_sign_in(app: &TestApp) -> Response {
    let r = app.get("/api/v1/oidc/login").await;
    assert_eq!(r.status(), 303, "to the provider");
    let r = client().get(super::location(&r)).send().await.unwrap();
    assert_eq!(r.status(), 303, "back from the provider");
    let back = url::Url::parse(&super::location(&r)).unwrap();
    app.get(&format!("{}?{}", back.path(), back.query().unwrap_or(""))).await
}

/// Sets the groups the fake provider reports for its person.
pub fn provider_groups(fake: &super::fake_provider::FakeProvider, groups: &[&str]) {
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(groups)));
}

/// The provider's back-channel logout of its person.
pub async fn back_channel_logout(fake: &super::fake_provider::FakeProvider, app: &TestApp) -> Response {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = json!({
        "iss": fake.issuer,
        "aud": super::fake_provider::CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": format!("jti-{now}-{}", rand::random::<u32>()),
        "sub": fake.with(|b| b.sub.clone()),
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    });
    let token = fake.sign(&claims);
    client().post(app.url("/api/v1/oidc/backchannel-logout")).form(&[("logout_token", token)]).send().await.unwrap()
}

/// The groups stored for a user, as the last sign-on reported them.
pub async fn stored_groups(app: &TestApp, username: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT g.name FROM user_groups g JOIN users u ON u.id = g.user_id WHERE u.username = ? ORDER BY g.name",
    )
    .bind(username)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// Stores a user's sign-on groups as a single sign-on would (for tests without a provider).
pub async fn store_groups(app: &TestApp, username: &str, groups: &[&str]) {
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = ?").bind(username).fetch_one(&app.db).await.unwrap();
    sqlx::query("DELETE FROM user_groups WHERE user_id = ?").bind(id).execute(&app.db).await.unwrap();
    for g in groups {
        sqlx::query("INSERT INTO user_groups (user_id, name) VALUES (?, ?)")
            .bind(id)
            .bind(g)
            .execute(&app.db)
            .await
            .unwrap();
    }
}
