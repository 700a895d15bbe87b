use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_state_changing_request_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let missing = app.client.delete(app.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(missing.status(), 403);
    let body: Value = missing.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("CSRF"));
    let wrong = app.client.delete(app.url("/api/v1/session")).header("x-csrf-token", "guess").send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let form = app.client.post(app.url("/logout")).form(&[("csrf_token", "guess")]).send().await.unwrap();
    assert_eq!(form.status(), 403);
    assert!(form.text().await.unwrap().contains("security token"), "a page that says what to do");
    assert_eq!(app.session().await.status(), 200, "still signed in");
}

#[tokio::test]
async fn the_login_form_without_its_token_is_refused() {
    let app = spawn_app().await;
    let _ = app.login_form_token().await;
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.session().await.status(), 401);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/health", "/static/app.css", "/no/such/page", "/api/v1/session"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{path}: CSP")).to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
        assert!(!h.contains_key("strict-transport-security"), "{path}: no HSTS on plain http");
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_site_is_https() {
    let app = spawn_app_with(&[("SITE_URL", "https://photos.example.com/")]).await;
    let r = app.get("/login").await;
    assert!(r.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
}

#[tokio::test]
async fn pages_contain_no_inline_script() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    for path in ["/", "/account", "/login?local=1", "/missing"] {
        let html = app.get(path).await.text().await.unwrap();
        for (i, _) in html.match_indices("<script") {
            let tag_end = html[i..].find('>').unwrap();
            assert!(html[i..i + tag_end].contains("src="), "{path}: inline script");
        }
        assert!(!html.contains(" onclick="), "{path}: inline handler");
    }
}

#[tokio::test]
async fn static_assets_are_cached_by_etag_and_versioned_urls() {
    let app = spawn_app().await;
    let html = app.get("/login").await.text().await.unwrap();
    let start = html.find("/static/app.css?v=").unwrap();
    let href = &html[start..start + html[start..].find('"').unwrap()];
    let r = app.get(href).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let again = app.client.get(app.url("/static/app.css")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
}
