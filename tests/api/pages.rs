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
async fn an_error_page_keeps_the_signed_in_menu_and_stays_without_it_for_anonymous_visitors() {
    let app = spawn_app().await;
    let anonymous = app.get("/no/such/page").await;
    assert_eq!(anonymous.status(), 404);
    assert!(session_cookie(&anonymous).is_none(), "an error page starts no session");
    let html = anonymous.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(!html.contains("action=\"/logout\"") && !html.contains("href=\"/albums\""), "{html}");

    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(&app, &csrf, &[("mine.jpg", dated_jpeg("2023:01:01 10:00:00", 1))]).await;
    for path in ["/photos/999999".to_string(), "/no/such/page".to_string()] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 404, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Page not found"), "{path}");
        assert!(html.contains("<form method=\"post\" action=\"/logout\""), "{path}: the sign-out form");
        assert!(html.contains("href=\"/albums\""), "{path}: the navigation");
    }

    // Someone else's photo is a 404 too, with that person's own menu.
    app.add_user("bob", "bobs password 1", "user").await;
    let bob = app.with_client(client());
    assert_eq!(bob.sign_in("bob", "bobs password 1").await.status(), 200);
    let r = bob.get(&format!("/photos/{}", ids[0])).await;
    assert_eq!(r.status(), 404);
    let html = r.text().await.unwrap();
    assert!(html.contains("action=\"/logout\"") && html.contains("href=\"/albums\""), "{html}");
    assert!(!html.contains("href=\"/admin/library\""), "bob is no administrator");
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
