//! Albums shared with a single sign-on group: membership follows the provider's `groups` claim,
//! stored at every sign-on; leaving the group closes the album at the next sign-in, a
//! back-channel logout at once.

use reqwest::Method;
use serde_json::json;

use crate::helpers::fake_provider::FakeProvider;
use crate::helpers::{
    PASSWORD, ResponseExt, app_with_provider, back_channel_logout, client, person, photo, provider_groups, sso_sign_in,
    stored_groups,
};

#[tokio::test]
async fn an_album_shared_with_a_sign_on_group_follows_the_providers_groups_at_each_sign_in_and_logout() {
    let fake = FakeProvider::start().await;
    let app = app_with_provider(&fake).await;
    app.add_user("owner", PASSWORD, "user").await;
    let owner = person(&app, "owner").await;
    let ids = owner.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await;
    let album = owner.album_with("Family", &ids).await;
    let r = owner
        .send(Method::PUT, &format!("/api/v1/albums/{album}/groups/family"), Some(json!({ "role": "viewer" })))
        .await;
    let share = r.ok_json().await;
    assert_eq!((share["group"].clone(), share["role"].clone()), (json!("family"), json!("viewer")));

    // Alice signs on; the provider says she is in `family`.
    let alice = app.with_client(client());
    assert_eq!(sso_sign_in(&alice).await.status(), 303);
    assert_eq!(stored_groups(&app, "alice").await, vec!["family"]);
    let shared = alice.get("/api/v1/albums?shared=true").await.ok_json().await;
    assert_eq!(
        (shared["albums"][0]["id"].as_i64(), shared["albums"][0]["role"].clone()),
        (Some(album), json!("viewer"))
    );
    let photos = alice.get(&format!("/api/v1/albums/{album}/photos")).await.ok_json().await;
    let thumb = photos["photos"][0]["thumbnails"]["tile_224"].as_str().unwrap().to_string();
    assert_eq!(alice.get(&thumb).await.status(), 200);
    assert_eq!(
        alice.get(&format!("/api/v1/albums/{album}/groups")).await.ok_json().await["groups"][0]["group"],
        "family"
    );

    // Taken out of the group at the provider: the album is gone at her next sign-in (here in
    // another browser; the session still open in the first one loses it too).
    provider_groups(&fake, &["work"]);
    assert_eq!(sso_sign_in(&app.with_client(client())).await.status(), 303);
    assert_eq!(stored_groups(&app, "alice").await, vec!["work"]);
    assert_eq!(alice.get(&format!("/api/v1/albums/{album}")).await.status(), 404);
    let fresh = alice.get("/api/v1/photos").await.ok_json().await;
    assert!(fresh["photos"].as_array().unwrap().is_empty());
    assert_eq!(alice.get(&format!("/api/v1/dl/{}", photos["photos"][0]["hash"].as_str().unwrap())).await.status(), 404);
    assert!(alice.get("/api/v1/albums?shared=true").await.ok_json().await["albums"].as_array().unwrap().is_empty());

    // Back in the group, then logged out by the provider: the stored groups are cleared at once.
    provider_groups(&fake, &["family", "work"]);
    assert_eq!(sso_sign_in(&app.with_client(client())).await.status(), 303);
    assert_eq!(alice.get(&format!("/api/v1/albums/{album}")).await.status(), 200);
    assert_eq!(back_channel_logout(&fake, &app).await.status(), 200);
    assert!(stored_groups(&app, "alice").await.is_empty());
    assert_eq!(alice.get(&format!("/api/v1/albums/{album}")).await.status(), 401, "signed out too");
}

#[tokio::test]
async fn only_the_owner_shares_an_album_with_a_group_and_can_stop() {
    let fake = FakeProvider::start().await;
    let app = app_with_provider(&fake).await;
    app.add_user("owner", PASSWORD, "user").await;
    app.add_user("bob", PASSWORD, "user").await;
    let owner = person(&app, "owner").await;
    let bob = person(&app, "bob").await;
    let album = owner.album_with("A", &owner.upload(&[("a.jpg", photo("2023:01:01 10:00:00", 1))]).await).await;
    let path = format!("/api/v1/albums/{album}/groups/family");
    assert_eq!(bob.send(Method::PUT, &path, Some(json!({ "role": "editor" }))).await.status(), 404);
    assert_eq!(owner.send(Method::PUT, &path, Some(json!({ "role": "owner" }))).await.status(), 400);
    owner.send(Method::PUT, &path, Some(json!({ "role": "contributor" }))).await.ok_json().await;
    assert_eq!(owner.get(&path).await["role"], "contributor");
    assert_eq!(bob.send(Method::DELETE, &path, None).await.status(), 404);
    assert_eq!(owner.send(Method::DELETE, &path, None).await.status(), 204);
    assert_eq!(owner.send(Method::DELETE, &path, None).await.status(), 404);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM album_groups").fetch_one(&app.db).await.unwrap();
    assert_eq!(rows, 0);
}
