//! End to end against a real certified provider: the `oidc-provider` package pinned in
//! `tests/oidc-provider/` (installed by `scripts/test`), configured like the seed's Authelia
//! client. Shoebox runs with the seed's `PHOTOPRISM_OIDC_*` variables, `OIDC_INSECURE` and an
//! http loopback site URL; a cookie-keeping client plays the browser.

use reqwest::{Response, StatusCode};
use serde_json::Value;
use url::Url;

use crate::helpers::real_provider::start;
use crate::helpers::*;

/// Plays the browser: starts at Shoebox, follows every redirect, signs in at the provider as
/// `login` when it asks, and returns Shoebox's answer to the callback.
async fn browser_sign_in(app: &TestApp, login: &str) -> Response {
    let mut r = app.get("/api/v1/oidc/login").await;
    for _ in 0..12 {
        if r.status().is_redirection() {
            let next = r.url().join(&location(&r)).unwrap();
            if next.as_str().starts_with(&app.address) && next.path() == "/api/v1/oidc/redirect" {
                let r = app.client.get(next).send().await.unwrap();
                if r.status().is_server_error() {
                    panic!("the callback failed: {:?}", app.audit_outcomes().await.last());
                }
                return r;
            }
            r = app.client.get(next).send().await.unwrap();
            continue;
        }
        assert_eq!(r.status(), StatusCode::OK, "unexpected answer at {}", r.url());
        let here: Url = r.url().clone();
        let html = r.text().await.unwrap();
        let action = html.split("action=\"").nth(1).and_then(|s| s.split('"').next()).expect("a login form");
        let password = format!("{login}-password");
        r = app
            .client
            .post(here.join(action).unwrap())
            .form(&[("login", login), ("password", password.as_str())])
            .send()
            .await
            .unwrap();
    }
    panic!("the sign-in did not come back to Shoebox");
}

async fn session_user(app: &TestApp) -> Option<Value> {
    let r = app.session().await;
    (r.status() == 200).then_some(())?;
    Some(r.json::<Value>().await.unwrap()["user"].clone())
}

async fn sso_rows(app: &TestApp) -> Vec<(i64, String, String, String)> {
    sqlx::query_as(
        "SELECT id, username, auth_issuer, auth_subject FROM users WHERE auth_subject IS NOT NULL ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn with_a_real_provider_the_first_sign_in_creates_the_account_the_second_reuses_it_and_sign_out_ends_it() {
    let (provider, app) = start(&[]).await;
    let r = browser_sign_in(&app, "alice").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    let user = session_user(&app).await.expect("signed in");
    assert_eq!(user["username"], "alice");
    assert_eq!(user["display_name"], "Alice Liddell", "profile claims come from userinfo");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["role"], "user");
    let rows = sso_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, provider.issuer);
    assert_eq!(rows[0].3, "0f6c4b5e-7a41-4c1e-9a3c-2f1d7c6b9e01");

    // Sign out: the session ends here; the provider has no end-session endpoint.
    let html = app.get("/").await.text().await.unwrap();
    let token = hidden_field(&html, "csrf_token").unwrap();
    let out = app.client.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
    assert_eq!(location(&out), "/login?signed_out=1&provider_session=1");
    assert!(session_user(&app).await.is_none(), "signed out");
    let page = app.get(&location(&out)).await.text().await.unwrap();
    assert!(page.contains("Your authelia session is still open"));

    // Signing in again (the provider session is still open there): the same account.
    let r = browser_sign_in(&app, "alice").await;
    assert_eq!(r.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["id"], user["id"]);
    assert_eq!(sso_rows(&app).await.len(), 1, "no second row");
}

#[tokio::test]
async fn with_a_real_provider_a_renamed_username_still_maps_to_the_same_account() {
    let (provider, app) = start(&[]).await;
    assert_eq!(browser_sign_in(&app, "bob").await.status(), 303);
    let first = session_user(&app).await.unwrap();
    provider.update("bob", serde_json::json!({ "preferred_username": "robert", "name": "Robert Builder" })).await;

    let other_browser = app.with_client(client());
    assert_eq!(browser_sign_in(&other_browser, "bob").await.status(), 303);
    let second = session_user(&other_browser).await.unwrap();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["username"], "bob");
    assert_eq!(second["display_name"], "Robert Builder");
    assert_eq!(sso_rows(&app).await.len(), 1);
}

#[tokio::test]
async fn with_a_real_provider_registration_off_refuses_a_new_person_and_writes_no_row() {
    let (_provider, app) = start(&[("PHOTOPRISM_OIDC_REGISTER", "false")]).await;
    let users_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db).await.unwrap();
    let r = browser_sign_in(&app, "carol").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("There is no account for carol here"));
    let users_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db).await.unwrap();
    assert_eq!(users_after, users_before);
    assert!(session_user(&app).await.is_none());
    let audit = app.audit_outcomes().await;
    assert_eq!(audit.last().unwrap().1, "refused");
}

#[tokio::test]
async fn with_a_real_provider_the_group_mapping_makes_the_admins_group_admin() {
    let (_provider, app) = start(&[
        ("PHOTOPRISM_OIDC_SCOPES", "openid email profile address groups"),
        ("PHOTOPRISM_OIDC_GROUP_ROLE", "admins=admin"),
    ])
    .await;
    assert_eq!(browser_sign_in(&app, "alice").await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["role"], "admin");
    let other_browser = app.with_client(client());
    assert_eq!(browser_sign_in(&other_browser, "bob").await.status(), 303);
    assert_eq!(session_user(&other_browser).await.unwrap()["role"], "user", "not in admins: OIDC_ROLE");
}

#[tokio::test]
async fn a_person_signs_in_with_the_provider_in_a_real_browser_and_out_again() {
    use fantoccini::Locator;
    let (_provider, app) = start(&[]).await;
    let b = Browser::start().await;
    b.client.goto(&app.url("/account")).await.unwrap();
    b.expect_path("/login?next=%2Faccount").await;
    b.expect_text("a.sso", "Sign in with authelia").await;
    b.screenshot("sso-login").await;

    b.client.find(Locator::Css("a.sso")).await.unwrap().click().await.unwrap();
    // The provider's own sign-in form.
    let login = b.client.wait().for_element(Locator::Css("input[name=login]")).await.unwrap();
    login.send_keys("alice").await.unwrap();
    b.client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("alice-password").await.unwrap();
    b.client.find(Locator::Css("button")).await.unwrap().click().await.unwrap();

    b.expect_text("main h1", "Your account").await;
    b.expect_path("/account").await;
    b.expect_text_containing("main", "Single sign-on (authelia)").await;
    b.screenshot("sso-account").await;

    b.client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    b.expect_text(".notice", "You have signed out.").await;
    b.expect_text_containing(".hint", "Your authelia session is still open").await;
    b.screenshot("sso-signed-out").await;
    b.close().await;
}
