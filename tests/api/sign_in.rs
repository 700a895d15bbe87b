use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn signing_in_with_the_right_password_returns_the_user_and_a_csrf_token() {
    let app = spawn_app().await;
    let r = app.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(&r).is_some(), "sign-in sets the session cookie");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["username"], "admin");
    assert_eq!(body["user"]["role"], "admin");
    assert!(body["user"].get("password_hash").is_none(), "the hash never leaves the server");
    assert!(body["csrf_token"].as_str().unwrap().len() >= 32);

    let me: Value = app.session().await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["csrf_token"], body["csrf_token"]);

    let last: Option<i64> = sqlx::query_scalar("SELECT last_sign_in_at FROM users WHERE username = 'admin'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(last.is_some());
    assert_eq!(app.audit_outcomes().await, vec![("admin".into(), "success".into(), "".into())]);
}

#[tokio::test]
async fn usernames_are_matched_without_regard_to_case() {
    let app = spawn_app().await;
    assert_eq!(app.sign_in("ADMIN", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong_password = app.sign_in("admin", "not the password").await;
    assert_eq!(wrong_password.status(), 401);
    let a: Value = wrong_password.json().await.unwrap();
    let unknown_user = app.sign_in("nobody", "not the password").await;
    assert_eq!(unknown_user.status(), 401);
    let b: Value = unknown_user.json().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a["error"], "Wrong username or password.");
    assert_eq!(app.session().await.status(), 401);
    let audit = app.audit_outcomes().await;
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|(_, outcome, _)| outcome == "failure"));
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let app = spawn_app().await;
    let id = app.add_user("bob", "bobs password", "user").await;
    shoebox::db::users::set_disabled(&app.db, id, true).await.unwrap();
    let r = app.sign_in("bob", "bobs password").await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("disabled"));
    assert_eq!(app.session().await.status(), 401);
    assert_eq!(app.audit_outcomes().await, vec![("bob".into(), "refused".into(), "account disabled".into())]);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_the_next_request() {
    let app = spawn_app().await;
    let id = app.add_user("bob", "bobs password", "user").await;
    assert_eq!(app.sign_in("bob", "bobs password").await.status(), 200);
    shoebox::db::users::set_disabled(&app.db, id, true).await.unwrap();
    assert_eq!(app.session().await.status(), 401);
}

#[tokio::test]
async fn the_login_form_signs_in_and_goes_to_the_requested_page() {
    let app = spawn_app().await;
    let token = app.login_form_token().await;
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", &token), ("next", "/account")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account");
    let account = app.get("/account").await;
    assert_eq!(account.status(), 200);
    assert!(account.text().await.unwrap().contains("<dd>admin</dd>"));
}

#[tokio::test]
async fn the_login_form_ignores_an_off_site_next() {
    let app = spawn_app().await;
    for next in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let token = app.login_form_token().await;
        let r = app
            .client
            .post(app.url("/login"))
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", &token), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/", "next={next}");
        // Sign out again so the next round posts the form anonymously.
        let csrf: Value = app.session().await.json().await.unwrap();
        app.sign_out(csrf["csrf_token"].as_str().unwrap()).await;
    }
}

#[tokio::test]
async fn a_failed_form_sign_in_shows_the_form_again_with_the_reason() {
    let app = spawn_app().await;
    let token = app.login_form_token().await;
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", "nope nope"), ("csrf_token", &token), ("next", "/account")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("Wrong username or password."));
    assert_eq!(hidden_field(&html, "next").as_deref(), Some("/account"));
    assert!(html.contains("value=\"admin\""), "the username is kept");
}

#[tokio::test]
async fn repeated_failures_for_a_username_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    for _ in 0..10 {
        assert_eq!(app.sign_in("admin", "wrong password").await.status(), 401);
    }
    let r = app.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 429, "even the right password waits");
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Too many failed sign-in attempts"));
    let refused = app.audit_outcomes().await.into_iter().filter(|(_, o, _)| o == "refused").count();
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_usernames() {
    let app = spawn_app().await;
    for i in 0..20 {
        assert_eq!(app.sign_in(&format!("user{i}"), "wrong password").await.status(), 401);
    }
    assert_eq!(app.sign_in("admin", ADMIN_PASSWORD).await.status(), 429);
}

async fn sign_in_from(app: &TestApp, addr: &str, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-for", addr)
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_passwords_for_admin_from_one_address_never_lock_the_real_admin_out_from_another() {
    let app = spawn_app().await;
    for _ in 0..10 {
        assert_eq!(sign_in_from(&app, "203.0.113.66", "admin", "a guess").await.status(), 401);
    }
    assert_eq!(sign_in_from(&app, "203.0.113.66", "admin", ADMIN_PASSWORD).await.status(), 429, "the guesser waits");
    let home = app.with_client(client());
    assert_eq!(sign_in_from(&home, "198.51.100.7", "admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_are_throttled_but_the_right_password_still_signs_in() {
    let app = spawn_app().await;
    for i in 0..50 {
        let addr = format!("203.0.113.{i}");
        assert_eq!(sign_in_from(&app, &addr, "admin", "a guess").await.status(), 401, "guess {i}");
    }
    let r = sign_in_from(&app, "203.0.113.200", "admin", "one more guess").await;
    assert_eq!(r.status(), 429, "past the username's limit a wrong password waits");
    assert!(r.headers().contains_key("retry-after"));
    let home = app.with_client(client());
    assert_eq!(sign_in_from(&home, "198.51.100.7", "admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_flood_of_failed_sign_ins_from_one_address_writes_a_handful_of_audit_rows() {
    let app = spawn_app().await;
    for i in 0..120 {
        let status = app.sign_in("admin", "a guess").await.status();
        assert!(status == 401 || status == 429, "attempt {i}: {status}");
    }
    let rows = app.audit_outcomes().await;
    // Ten failures a minute and one throttled attempt a minute are written (the next row of the
    // address counts those left out); a minute may turn over during the run: one more round.
    assert!((11..=22).contains(&rows.len()), "120 attempts wrote {} audit rows: {rows:?}", rows.len());
    assert!(rows.iter().all(|(name, outcome, _)| name == "admin" && outcome != "success"));
    // Another address is audited as before.
    assert_eq!(sign_in_from(&app, "198.51.100.7", "nobody", "x").await.status(), 401);
    let last = app.audit_outcomes().await.pop().unwrap();
    assert_eq!((last.0.as_str(), last.2.as_str()), ("nobody", "unknown username or wrong password"));
}

#[tokio::test]
async fn audit_rows_older_than_audit_days_and_index_rows_of_ended_sessions_are_swept_at_start() {
    let app = spawn_app_with(&[("AUDIT_DAYS", "30")]).await;
    let now = chrono::Utc::now().timestamp();
    for (at, reason) in [(now - 31 * 86_400, "old"), (now - 29 * 86_400, "recent")] {
        sqlx::query(
            "INSERT INTO sign_in_events (at, username, method, client_addr, outcome, reason) \
             VALUES (?, 'admin', 'password', '203.0.113.1', 'failure', ?)",
        )
        .bind(at)
        .bind(reason)
        .execute(&app.db)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO user_sessions (session_id, user_id, method, created_at) VALUES ('ended', 1, 'password', 0)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let app = app.restart().await;
    let (mut reasons, mut index) = (Vec::<String>::new(), -1i64);
    for _ in 0..100 {
        reasons = sqlx::query_scalar("SELECT reason FROM sign_in_events ORDER BY at").fetch_all(&app.db).await.unwrap();
        index = sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions").fetch_one(&app.db).await.unwrap();
        if index == 0 && !reasons.iter().any(|r| r == "old") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(reasons, ["recent"], "only the row older than AUDIT_DAYS is gone");
    assert_eq!(index, 0, "the index row of a session that no longer exists is gone");
}
