//! Pages in a real browser: signing in and out with the form.

use fantoccini::Locator;

use crate::helpers::*;

#[tokio::test]
async fn a_person_signs_in_with_the_form_and_out_again_in_a_real_browser() {
    let app = spawn_app().await;
    let b = Browser::start().await;
    b.client.goto(&app.url("/account")).await.unwrap();
    b.expect_path("/login?next=%2Faccount").await;
    b.screenshot("login").await;

    b.submit_admin_password().await;
    b.expect_text("main h1", "Your account").await;
    b.expect_path("/account").await;
    b.screenshot("account").await;

    // The session cookie is HttpOnly: page scripts cannot read it.
    let cookies = b.client.execute("return document.cookie", vec![]).await.unwrap();
    assert!(!cookies.as_str().unwrap_or_default().contains("shoebox_session"));

    b.client.goto(&app.url("/")).await.unwrap();
    b.expect_text("#timeline-empty h2", "No photos yet").await;
    b.screenshot("library").await;

    b.client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    b.expect_text(".notice", "You have signed out.").await;
    b.client.goto(&app.url("/")).await.unwrap();
    b.expect_path("/login").await;
    b.close().await;
}

#[tokio::test]
async fn a_wrong_password_in_the_browser_shows_the_reason_and_keeps_the_username() {
    let app = spawn_app().await;
    let b = Browser::start().await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.client.find(Locator::Css("#username")).await.unwrap().send_keys("admin").await.unwrap();
    b.client.find(Locator::Css("#password")).await.unwrap().send_keys("not it at all").await.unwrap();
    b.client.find(Locator::Css("form[action='/login'] button")).await.unwrap().click().await.unwrap();
    b.expect_text(".error", "Wrong username or password.").await;
    let kept = b.client.find(Locator::Css("#username")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("admin"));
    b.screenshot("login-failed").await;
    b.close().await;
}
