use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_lax_with_path_root() {
    let app = spawn_app().await;
    let r = app.sign_in("admin", ADMIN_PASSWORD).await;
    let cookie = session_cookie(&r).expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http site: {cookie}");
    // The idle timeout (SESSION_TIMEOUT, a week by default) is the cookie's lifetime.
    assert!(cookie.contains("Max-Age=604800"), "{cookie}");
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_site_is_https() {
    let app = spawn_app_with(&[("SITE_URL", "https://photos.example.com/")]).await;
    let r = app.sign_in("admin", ADMIN_PASSWORD).await;
    let cookie = session_cookie(&r).expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_never_the_signed_in_one() {
    let app = spawn_app().await;
    assert!(session_cookie(&app.get("/login").await).is_none(), "the login page starts no session");
    // An attacker who can set cookies on the site plants a session id of their choosing.
    let planted = "shoebox_session=c2hvZWJveHBsYW50ZWRpZA";
    let credentials = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });
    let r =
        client().post(app.url("/api/v1/session")).header("cookie", planted).json(&credentials).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let issued = session_cookie(&r).expect("sign-in sets a cookie");
    assert_ne!(issued.split(';').next().unwrap(), planted, "sign-in issues its own id");
    let r = client().get(app.url("/api/v1/session")).header("cookie", planted).send().await.unwrap();
    assert_eq!(r.status(), 401, "the planted id signs nobody in");
}

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let app = app.restart().await;
    let r = app.session().await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["username"], "admin");
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let r = app.sign_in("admin", ADMIN_PASSWORD).await;
    let cookie = session_cookie(&r).unwrap().split(';').next().unwrap().to_string();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap()
    };
    assert_eq!(sessions().await, 1);

    let out = app.sign_out(&csrf).await;
    assert_eq!(out.status(), 200);
    assert_eq!(sessions().await, 0, "the session row is gone");
    // Someone who copied the cookie before sign-out gets nothing with it.
    let replay = client().get(app.url("/api/v1/session")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(replay.status(), 401);
    let audit = app.audit_outcomes().await;
    assert_eq!(audit.last().unwrap().0, "admin");
}

#[tokio::test]
async fn the_sign_out_button_ends_the_session_and_returns_to_the_login_page() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let html = app.get("/").await.text().await.unwrap();
    let token = hidden_field(&html, "csrf_token").expect("the header has a sign-out form");
    let r = app.client.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?signed_out=1");
    assert_eq!(app.session().await.status(), 401);
    assert!(app.get("/login?signed_out=1").await.text().await.unwrap().contains("You have signed out."));
}

#[tokio::test]
async fn reading_the_session_anonymously_is_401() {
    let app = spawn_app().await;
    let r = app.session().await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "sign in first");
}

#[tokio::test]
async fn public_mode_needs_no_sign_in_and_acts_as_the_administrator() {
    let app = spawn_app_with(&[("AUTH_MODE", "public")]).await;
    let r = app.session().await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(app.get("/").await.status(), 200);
    let login = app.get("/login").await;
    assert_eq!(login.status(), 303);
    assert_eq!(location(&login), "/");
}

/// Moves the sign-in time of every stored session `secs` into the past, the way the clock would.
async fn age_sessions(app: &TestApp, secs: i64) {
    app.edit_stored_sessions(|record| {
        let Some(auth) = record.data.get_mut("auth") else { return false };
        auth["signed_in_at"] = (auth["signed_in_at"].as_i64().unwrap() - secs).into();
        true
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_after_session_maxage_even_when_used_all_the_time() {
    let app = spawn_app_with(&[("SESSION_MAXAGE", "1h"), ("SESSION_TIMEOUT", "1h")]).await;
    app.sign_in_admin().await;
    age_sessions(&app, 59 * 60).await;
    assert_eq!(app.session().await.status(), 200, "59 minutes old: still valid");
    age_sessions(&app, 2 * 60).await;
    assert_eq!(app.session().await.status(), 401, "61 minutes old: over SESSION_MAXAGE");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap();
    assert_eq!(left, 0, "the expired session is deleted on the server");
}

/// Moves the last activity of every stored session `secs` into the past: its recorded activity
/// and its expiry, as if nobody had used it for that long.
async fn idle_sessions(app: &TestApp, secs: i64) {
    app.edit_stored_sessions(|record| {
        if let Some(seen) = record.data.get_mut("seen") {
            *seen = (seen.as_i64().unwrap() - secs).into();
        }
        record.expiry_date -= time::Duration::seconds(secs);
        true
    })
    .await;
}

async fn stored_expiry(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT unixepoch(expiry_date) FROM tower_sessions").fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn session_timeout_counts_from_the_last_request_not_from_sign_in() {
    let app = spawn_app_with(&[("SESSION_TIMEOUT", "1h"), ("SESSION_MAXAGE", "1d")]).await;
    app.sign_in_admin().await;
    // Used every 50 minutes, three times over: each request moves the end an hour ahead.
    for round in 0..3 {
        idle_sessions(&app, 50 * 60).await;
        let r = app.session().await;
        assert_eq!(r.status(), 200, "used within the hour: still signed in (round {round})");
        let cookie = session_cookie(&r).expect("a fresh cookie for the moved expiry");
        assert!(cookie.contains("Max-Age=3600"), "{cookie}");
        let left = stored_expiry(&app).await - chrono::Utc::now().timestamp();
        assert!((3500..=3600).contains(&left), "the stored session ends an hour from now, not in {left} s");
    }
    // Left alone for an hour and a minute: over.
    idle_sessions(&app, 61 * 60).await;
    assert_eq!(app.session().await.status(), 401);
}

#[tokio::test]
async fn requests_within_a_minute_do_not_rewrite_the_session() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    app.session().await;
    let r = app.session().await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(&r).is_none(), "no store write and no new cookie for every request");
}

#[tokio::test]
async fn signing_out_everywhere_through_the_api_ends_the_other_clients_session_and_needs_the_csrf_token() {
    let app = spawn_app().await;
    app.add_user("bob", "bobs password 1", "user").await;
    let laptop = app.with_client(client());
    let phone = app.with_client(client());
    let r = laptop.sign_in("bob", "bobs password 1").await;
    assert_eq!(r.status(), 200);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(phone.sign_in("bob", "bobs password 1").await.status(), 200);
    let admin = app.with_client(client());
    admin.sign_in_admin().await;

    // The account page's list: both of bob's sessions, this one marked, no session ids.
    let r = laptop.sessions().await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{body}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1, "{body}");
    for s in sessions {
        assert_eq!(s["method"], "password");
        assert!(s["signed_in_at"].as_i64().unwrap() > 0 && s["expires_at"].as_i64() > s["signed_in_at"].as_i64());
        assert!(s.get("session_id").is_none(), "the id is the cookie value: {s}");
    }
    assert_eq!(app.with_client(client()).sessions().await.status(), 401);

    let r = laptop.client.delete(laptop.url("/api/v1/sessions")).send().await.unwrap();
    assert_eq!(r.status(), 403, "no CSRF token: nothing ends");
    assert_eq!(phone.session().await.status(), 200);
    let anonymous = app.with_client(client());
    assert_eq!(anonymous.end_sessions(&csrf).await.status(), 401);

    let r = laptop.end_sessions(&csrf).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "signed_out": true, "sessions_ended": 2 }));
    assert_eq!(phone.session().await.status(), 401, "the other client is signed out");
    assert_eq!(laptop.session().await.status(), 401);
    assert_eq!(admin.session().await.status(), 200, "other people stay signed in");
}

async fn stored_sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn anonymous_visitors_store_nothing_on_the_server_until_they_sign_in() {
    let app = spawn_app().await;
    for path in ["/login", "/login?next=%2Falbums", "/", "/photos/1", "/no-such-page", "/login?local=1"] {
        for _ in 0..10 {
            let r = client().get(app.url(path)).send().await.unwrap();
            assert!(r.status().is_success() || r.status().is_redirection() || r.status() == 404, "{path}");
        }
    }
    assert_eq!(stored_sessions(&app).await, 0, "60 anonymous visits stored no session");

    let page = app.get("/login").await;
    let cookie = visitor_cookie(&page).expect("the login page sets the visitor cookie");
    let token = hidden_field(&page.text().await.unwrap(), "csrf_token").unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains(&token), "the token is not readable in the cookie");
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", token.as_str())];
    let r = app.client.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cleared = visitor_cookie(&r).expect("signing in clears the visitor cookie");
    assert!(cleared.starts_with("shoebox_visitor=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(stored_sessions(&app).await, 1, "signing in stores the one session");
    assert_eq!(app.session().await.status(), 200);
}

#[tokio::test]
async fn a_sign_in_form_token_works_only_in_the_browser_it_was_given_to() {
    let app = spawn_app().await;
    let token = app.login_form_token().await;
    let other = app.with_client(client());
    other.login_form_token().await;
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", token.as_str())];
    let r = other.client.post(other.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403, "another browser's token (login CSRF) is refused");
    assert_eq!(other.session().await.status(), 401);
    // A visitor cookie sealed by another Shoebox (another key) is worth nothing here either.
    let elsewhere = spawn_app().await;
    let foreign = elsewhere.get("/login").await;
    let foreign_cookie = visitor_cookie(&foreign).unwrap().split(';').next().unwrap().to_string();
    let foreign_token = hidden_field(&foreign.text().await.unwrap(), "csrf_token").unwrap();
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", foreign_token.as_str())];
    let r = client().post(app.url("/login")).header("cookie", foreign_cookie).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = app.client.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("csrf_token", token.as_str())];
    assert_eq!(app.client.post(app.url("/login")).form(&form).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn public_mode_stores_no_session_and_still_requires_the_csrf_token() {
    let app = spawn_app_with(&[("AUTH_MODE", "public")]).await;
    for _ in 0..20 {
        assert_eq!(client().get(app.url("/")).send().await.unwrap().status(), 200);
    }
    let body: Value = app.session().await.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(stored_sessions(&app).await, 0);
    let r =
        app.client.post(app.url("/api/v1/albums")).json(&serde_json::json!({"title": "Trip"})).send().await.unwrap();
    assert_eq!(r.status(), 403, "no token, no change");
    assert_eq!(app.create_album(&csrf, &serde_json::json!({"title": "Trip"})).await.status(), 201);
    let stranger = client().post(app.url("/api/v1/albums")).header("x-csrf-token", &csrf);
    let r = stranger.json(&serde_json::json!({"title": "Planted"})).send().await.unwrap();
    assert_eq!(r.status(), 403, "the token works only with its browser's cookie");
}
