use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn an_administrator_lists_accounts_and_others_are_refused() {
    let app = spawn_app().await;
    app.add_user("bob", "bobs password", "user").await;
    assert_eq!(app.users().await.status(), 401, "anonymous");
    assert_eq!(location(&app.get("/admin/users").await), "/login?next=%2Fadmin%2Fusers");

    assert_eq!(app.sign_in("bob", "bobs password").await.status(), 200);
    assert_eq!(app.users().await.status(), 403, "a plain user");
    let page = app.get("/admin/users").await;
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("Only administrators"));
    assert!(!app.get("/").await.text().await.unwrap().contains("href=\"/admin/users\""), "no admin link for users");

    let admin = spawn_app().await;
    admin.sign_in_admin().await;
    let body: Value = admin.users().await.json().await.unwrap();
    assert_eq!(body["users"].as_array().unwrap().len(), 1);
    let html = admin.get("/admin/users").await.text().await.unwrap();
    assert!(html.contains("Recent sign-ins") && html.contains("<td>admin</td>"));
}

#[tokio::test]
async fn an_administrator_changes_role_disables_links_and_deletes_accounts() {
    let app = spawn_app().await;
    let bob = app.add_user("bob", "bobs password", "user").await;
    let csrf = app.sign_in_admin().await;
    let r =
        app.update_user(&csrf, bob, &json!({ "role": "viewer", "auth_subject": "a1b2-c3", "auth_issuer": "" })).await;
    assert_eq!(r.status(), 200);
    let row: (String, Option<String>) =
        sqlx::query_as("SELECT role, auth_subject FROM users WHERE id = ?").bind(bob).fetch_one(&app.db).await.unwrap();
    assert_eq!(row, ("viewer".into(), Some("a1b2-c3".into())));

    // A disabled account cannot sign in, and its open sessions stop working.
    let bobs = client();
    let r = bobs.post(app.url("/api/v1/session")).json(&json!({"username":"bob","password":"bobs password"})).send();
    assert_eq!(r.await.unwrap().status(), 200);
    assert_eq!(app.update_user(&csrf, bob, &json!({ "disabled": true })).await.status(), 200);
    assert_eq!(bobs.get(app.url("/api/v1/session")).send().await.unwrap().status(), 401);

    assert_eq!(app.delete_user(&csrf, bob).await.status(), 200);
    assert!(shoebox::db::users::by_id(&app.db, bob).await.unwrap().is_none());
}

#[tokio::test]
async fn the_last_administrator_cannot_be_demoted_disabled_or_deleted() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let admin_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'").fetch_one(&app.db).await.unwrap();
    let r = app.update_user(&csrf, admin_id, &json!({ "role": "user" })).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("last active administrator"));
    assert_eq!(app.delete_user(&csrf, admin_id).await.status(), 400);
    let role: String =
        sqlx::query_scalar("SELECT role FROM users WHERE id = ?").bind(admin_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(role, "admin");
}

#[tokio::test]
async fn the_users_page_forms_change_accounts_and_need_the_csrf_token() {
    let app = spawn_app().await;
    let bob = app.add_user("bob", "bobs password", "user").await;
    app.sign_in_admin().await;
    let html = app.get("/admin/users").await.text().await.unwrap();
    let token = hidden_field(&html, "csrf_token").unwrap();
    let url = app.url(&format!("/admin/users/{bob}"));
    let forged = app.client.post(&url).form(&[("action", "role"), ("role", "admin")]).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let r = app.client.post(&url).form(&[("csrf_token", token.as_str()), ("action", "role"), ("role", "admin")]).send();
    let r = r.await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("bob is now admin."));
    let r = app.client.post(&url).form(&[("csrf_token", token.as_str()), ("action", "disable")]).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("bob is disabled."));
    let disabled: bool =
        sqlx::query_scalar("SELECT disabled FROM users WHERE id = ?").bind(bob).fetch_one(&app.db).await.unwrap();
    assert!(disabled);
}

#[tokio::test]
async fn the_api_refuses_to_demote_or_disable_the_last_enabled_admin_while_a_disabled_admin_exists() {
    let app = spawn_app().await;
    let carol = app.add_user("carol", "carols password", "admin").await;
    sqlx::query("UPDATE users SET disabled = 1 WHERE id = ?").bind(carol).execute(&app.db).await.unwrap();
    let bob = app.add_user("bob", "bobs password", "admin").await;
    let csrf = app.sign_in_admin().await;
    // Two enabled administrators: bob may be demoted.
    let r = app.update_user(&csrf, bob, &json!({ "role": "user" })).await;
    assert_eq!(r.status(), 200);
    // Now admin is the last enabled administrator.
    let admin_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'").fetch_one(&app.db).await.unwrap();
    let r = app.update_user(&csrf, carol, &json!({ "role": "user" })).await;
    assert_eq!(r.status(), 200, "carol is disabled: demoting her leaves admin enabled");
    let html = app.get("/admin/users").await.text().await.unwrap();
    let token = hidden_field(&html, "csrf_token").unwrap();
    let form = [("csrf_token", token.as_str()), ("action", "role"), ("role", "viewer")];
    let r = app.client.post(app.url(&format!("/admin/users/{admin_id}"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("last active administrator"));
    let roles: Vec<(String, String, bool)> =
        sqlx::query_as("SELECT username, role, disabled FROM users ORDER BY username")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert!(roles.contains(&("admin".into(), "admin".into(), false)), "{roles:?}");
}

#[tokio::test]
async fn a_start_with_only_disabled_administrators_makes_admin_user_an_enabled_administrator_again() {
    let app = spawn_app().await;
    sqlx::query("UPDATE users SET disabled = 1 WHERE username = 'admin'").execute(&app.db).await.unwrap();
    assert_eq!(app.sign_in("admin", ADMIN_PASSWORD).await.status(), 403, "disabled accounts cannot sign in");
    let app = app.restart().await;
    let (role, disabled): (String, bool) =
        sqlx::query_as("SELECT role, disabled FROM users WHERE username = 'admin'").fetch_one(&app.db).await.unwrap();
    assert_eq!((role.as_str(), disabled), ("admin", false));
    assert_eq!(app.sign_in("admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_account_whose_stored_role_shoebox_does_not_know_cannot_sign_in_and_is_told_how_to_fix_it() {
    let app = spawn_app().await;
    app.add_user("bob", "bobs password", "viewer").await;
    // The schema refuses unknown roles; a database edited by hand can still hold one.
    let mut conn = app.db.acquire().await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE users SET role = 'superuser' WHERE username = 'bob'").execute(&mut *conn).await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = OFF").execute(&mut *conn).await.unwrap();
    drop(conn);
    let r = app.sign_in("bob", "bobs password").await;
    assert_eq!(r.status(), 500);
    let body: Value = r.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("\"superuser\"") && error.contains("shoebox users mod bob --role"), "{error}");
    assert_eq!(app.session().await.status(), 401, "not signed in, not even as a viewer");
}

/// The administration API for each kind of visitor: anonymous 401, viewer and user 403 (nothing
/// changes), administrator allowed. One row per route; a new route of `/api/v1/users` gets its row.
#[tokio::test]
async fn every_account_administration_route_answers_each_role_as_it_should() {
    let app = spawn_app().await;
    let admin_csrf = app.sign_in_admin().await;
    let target = app.add_user("target", "targets password", "user").await;
    app.add_user("vera", "veras password", "viewer").await;
    app.add_user("uma", "umas password", "user").await;
    let signed_in = |name: &'static str, password: &'static str| {
        let visitor = app.with_client(client());
        async move {
            let r = visitor.sign_in(name, password).await;
            let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
            (visitor, csrf)
        }
    };
    let (viewer, viewer_csrf) = signed_in("vera", "veras password").await;
    let (user, user_csrf) = signed_in("uma", "umas password").await;
    let anonymous = app.with_client(client());

    let routes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, "/api/v1/users".into(), None),
        (reqwest::Method::GET, format!("/api/v1/users/{target}"), None),
        (reqwest::Method::PATCH, format!("/api/v1/users/{target}"), Some(json!({ "role": "viewer" }))),
        (reqwest::Method::DELETE, format!("/api/v1/users/{target}/sessions"), None),
        (reqwest::Method::DELETE, format!("/api/v1/users/{target}"), None),
    ];
    for (method, path, body) in routes {
        let send = |who: &TestApp, csrf: &str| {
            let mut r = who.client.request(method.clone(), who.url(&path)).header("x-csrf-token", csrf);
            if let Some(b) = &body {
                r = r.json(b);
            }
            r.send()
        };
        let row = || {
            sqlx::query_as::<_, (String, i64)>("SELECT role, session_generation FROM users WHERE id = ?")
                .bind(target)
                .fetch_optional(&app.db)
        };
        let before = row().await.unwrap();
        assert_eq!(send(&anonymous, "").await.unwrap().status(), 401, "anonymous {method} {path}");
        assert_eq!(send(&viewer, &viewer_csrf).await.unwrap().status(), 403, "viewer {method} {path}");
        assert_eq!(send(&user, &user_csrf).await.unwrap().status(), 403, "user {method} {path}");
        assert_eq!(row().await.unwrap(), before, "the refusals of {method} {path} changed nothing");
        let allowed = send(&app, &admin_csrf).await.unwrap().status();
        assert!(allowed.is_success(), "administrator {method} {path}: {allowed}");
    }
}
