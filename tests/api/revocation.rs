//! Ending sessions sticks: sign-outs that a request in flight cannot undo, accounts whose ids and
//! sessions never pass to the next account, and administrators who can end another's sessions.

use std::time::Duration;

use axum::body::Bytes;
use serde_json::{Value, json};

use crate::helpers::*;

async fn csrf_of(r: reqwest::Response) -> String {
    assert_eq!(r.status(), 200, "sign-in");
    r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string()
}

/// The first thumbnail URL of the signed-in user's newest photo.
async fn first_thumbnail(app: &TestApp) -> String {
    let photos: Value = app.photos("").await.json().await.unwrap();
    photos["photos"][0]["thumbnails"]["tile_224"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_session_ended_while_one_of_its_requests_is_still_running_stays_ended() {
    let app = spawn_app().await;
    app.add_user("bob", "bobs password", "user").await;
    let phone = app.with_client(client());
    let csrf = csrf_of(phone.sign_in("bob", "bobs password").await).await;
    let laptop = app.with_client(client());
    let laptop_csrf = csrf_of(laptop.sign_in("bob", "bobs password").await).await;

    // The phone starts an upload whose body arrives slowly.
    let FedUpload { feed, sent } = phone.fed_upload(&csrf);
    feed.send(Ok(Bytes::from(file_part_head("slow.jpg")))).await.unwrap();
    let staging = app.originals_path().join(".shoebox-upload");
    let mut receiving = false;
    for _ in 0..800 {
        if std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0) == 1 {
            receiving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(receiving, "the upload never started");

    // Meanwhile the laptop signs bob out everywhere; then the phone's upload finishes.
    assert_eq!(laptop.end_sessions(&laptop_csrf).await.status(), 200);
    feed.send(Ok(Bytes::from(camera_jpeg(31)))).await.unwrap();
    feed.send(Ok(Bytes::from(format!("\r\n--{BOUNDARY}--\r\n")))).await.unwrap();
    drop(feed);
    assert_eq!(sent.await.unwrap().unwrap().status(), 200, "the upload itself was allowed when it began");

    assert_eq!(phone.session().await.status(), 401, "the phone's session must stay ended");
    assert_eq!(laptop.session().await.status(), 401);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, 0, "the revived session was refused and removed at its next use");
}

#[tokio::test]
async fn a_deleted_accounts_cookie_and_photo_links_never_pass_to_the_next_account_created() {
    let app = spawn_app().await;
    let admin_csrf = app.sign_in_admin().await;
    let alice_id = app.add_user("alice", "alices password", "user").await;
    let alice = app.with_client(client());
    let alice_csrf = csrf_of(alice.sign_in("alice", "alices password").await).await;
    assert_eq!(alice.upload(&alice_csrf, &[("a.jpg", camera_jpeg(41))]).await.status(), 200);
    let alices_thumbnail = first_thumbnail(&alice).await;

    assert_eq!(app.delete_user(&admin_csrf, alice_id).await.status(), 200);
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE user_id = ?")
        .bind(alice_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(live, 0, "the deleted account's sessions end with it");

    // Bob is created next and uploads a photo of his own.
    let bob_id = app.add_user("bob", "bobs password", "user").await;
    assert_ne!(bob_id, alice_id, "ids are never reused");
    let bob = app.with_client(client());
    let bob_csrf = csrf_of(bob.sign_in("bob", "bobs password").await).await;
    assert_eq!(bob.upload(&bob_csrf, &[("b.jpg", camera_jpeg(42))]).await.status(), 200);

    assert_eq!(alice.session().await.status(), 401, "alice's old cookie is nobody's now");
    let via_old_token = alice.client.get(app.url(&alices_thumbnail)).send().await.unwrap();
    assert_eq!(via_old_token.status(), 404, "alice's old media token opens nothing");
}

#[tokio::test]
async fn disabling_changing_the_role_or_the_password_ends_the_accounts_sessions_and_media_links() {
    let app = spawn_app().await;
    let admin_csrf = app.sign_in_admin().await;
    let bob_id = app.add_user("bob", "bobs password", "user").await;
    let bob = app.with_client(client());
    let bob_csrf = csrf_of(bob.sign_in("bob", "bobs password").await).await;
    assert_eq!(bob.upload(&bob_csrf, &[("b.jpg", camera_jpeg(51))]).await.status(), 200);

    // Disabled and enabled again: the old session and the old links do not come back.
    let thumbnail = first_thumbnail(&bob).await;
    assert_eq!(app.update_user(&admin_csrf, bob_id, &json!({ "disabled": true })).await.status(), 200);
    assert_eq!(app.update_user(&admin_csrf, bob_id, &json!({ "disabled": false })).await.status(), 200);
    assert_eq!(bob.session().await.status(), 401);
    assert_eq!(bob.client.get(app.url(&thumbnail)).send().await.unwrap().status(), 404);

    // A role change.
    csrf_of(bob.sign_in("bob", "bobs password").await).await;
    assert_eq!(app.update_user(&admin_csrf, bob_id, &json!({ "role": "viewer" })).await.status(), 200);
    assert_eq!(bob.session().await.status(), 401);

    // A password change from the command line.
    csrf_of(bob.sign_in("bob", "bobs password").await).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoebox"))
        .env_clear()
        .env("SHOEBOX_STORAGE_PATH", app.storage.path())
        .args(["users", "passwd", "bob", "--password", "a new password"])
        .current_dir(app.storage.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(bob.session().await.status(), 401);
    assert_eq!(bob.sign_in("bob", "a new password").await.status(), 200);
}

#[tokio::test]
async fn an_administrator_signs_another_account_out_everywhere_from_the_api_and_the_page() {
    let app = spawn_app().await;
    let admin_csrf = app.sign_in_admin().await;
    let bob_id = app.add_user("bob", "bobs password", "user").await;
    let bob = app.with_client(client());
    let bob_csrf = csrf_of(bob.sign_in("bob", "bobs password").await).await;
    assert_eq!(bob.upload(&bob_csrf, &[("b.jpg", camera_jpeg(61))]).await.status(), 200);
    let thumbnail = first_thumbnail(&bob).await;

    let url = app.url(&format!("/api/v1/users/{bob_id}/sessions"));
    assert_eq!(app.client.delete(&url).send().await.unwrap().status(), 403, "the CSRF token is needed");
    assert_eq!(bob.client.delete(&url).header("x-csrf-token", &bob_csrf).send().await.unwrap().status(), 403);
    let r = app.client.delete(&url).header("x-csrf-token", &admin_csrf).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["sessions_ended"], 1);
    assert_eq!(bob.session().await.status(), 401);
    assert_eq!(bob.client.get(app.url(&thumbnail)).send().await.unwrap().status(), 404);
    assert_eq!(app.session().await.status(), 200, "the administrator stays signed in");

    // The same from the users page.
    csrf_of(bob.sign_in("bob", "bobs password").await).await;
    let html = app.get("/admin/users").await.text().await.unwrap();
    assert!(html.contains("Sign out everywhere"));
    let token = hidden_field(&html, "csrf_token").unwrap();
    let form = [("csrf_token", token.as_str()), ("action", "sign_out")];
    let r = app.client.post(app.url(&format!("/admin/users/{bob_id}"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Ended 1 session(s)"));
    assert_eq!(bob.session().await.status(), 401);
}
