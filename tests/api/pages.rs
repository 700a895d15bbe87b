use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn an_anonymous_page_request_goes_to_the_login_page_with_next() {
    let app = spawn_app().await;
    let r = app.get("/account?tab=sessions").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Faccount%3Ftab%3Dsessions");
    let root = app.get("/").await;
    assert_eq!(location(&root), "/login");
    let html = app.get("/login?next=%2Faccount%3Ftab%3Dsessions").await.text().await.unwrap();
    assert_eq!(hidden_field(&html, "next").as_deref(), Some("/account?tab=sessions"));
}

#[tokio::test]
async fn the_login_page_drops_an_off_site_next() {
    let app = spawn_app().await;
    let html = app.get("/login?next=https%3A%2F%2Fevil.example%2F").await.text().await.unwrap();
    assert_eq!(hidden_field(&html, "next").as_deref(), Some(""));
}

#[tokio::test]
async fn the_library_page_tells_a_new_user_how_photos_get_in() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("No photos yet"));
    assert!(html.contains(app.originals_path().to_str().unwrap()));
    assert!(html.contains("Sign out"));
}

#[tokio::test]
async fn the_account_page_shows_who_you_are_and_how_you_signed_in() {
    let app = spawn_app().await;
    app.add_user("carol", "carols password", "viewer").await;
    assert_eq!(app.sign_in("carol", "carols password").await.status(), 200);
    let html = app.get("/account").await.text().await.unwrap();
    assert!(html.contains("<dd>carol</dd>"));
    assert!(html.contains("<dd>viewer</dd>"));
    assert!(html.contains("Username and password"));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page_in_the_layout() {
    let app = spawn_app().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("/static/app.css"));
    let api = app.get("/api/v1/nothing").await;
    assert_eq!(api.status(), 404);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"], "not found");
}

#[tokio::test]
async fn health_is_200_while_the_database_answers_and_503_after() {
    let app = spawn_app().await;
    let r = app.get("/health").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    app.db.close().await;
    let r = app.get("/health").await;
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn the_password_form_can_be_hidden_but_stays_at_local_1() {
    let app = spawn_app_with(&[("PASSWORD_LOGIN", "false")]).await;
    let html = app.get("/login").await.text().await.unwrap();
    assert!(!html.contains("name=\"password\""));
    let local = app.get("/login?local=1").await.text().await.unwrap();
    assert!(local.contains("name=\"password\""));
}
