//! WebDAV at `/originals/` with app passwords: each person's own folder, nothing outside it, new
//! files in the timeline, and litmus, the WebDAV protocol test suite.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

async fn wait_for_photos(person: &Person, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let v: Value = person.photos("").await.json().await.unwrap();
        let photos = v["photos"].as_array().unwrap().clone();
        if photos.len() >= n {
            return photos;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{n} photos did not show up in the timeline");
}

#[tokio::test]
async fn an_app_password_is_shown_once_listed_without_its_secret_and_revoked_at_once() {
    let p = party().await;
    let secret = p.bob.app_password("PhotoSync on my phone").await;
    assert!(secret.starts_with("sbx_") && secret.len() >= 30, "{secret}");
    let list = p.bob.get("/api/v1/account/app-passwords").await;
    let entry = &list["app_passwords"][0];
    assert_eq!(entry["name"], "PhotoSync on my phone");
    assert!(entry.get("password").is_none() && !list.to_string().contains(&secret), "the secret is shown once");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT secret_hash FROM app_passwords").fetch_all(&p.app.db).await.unwrap();
    assert!(stored.iter().all(|h| !h.contains(&secret[4..])), "stored hashed");

    assert_eq!(dav(&p.app, "PROPFIND", "/originals/", ("bob", &secret), None).await.status(), 207);
    assert_eq!(dav(&p.app, "PROPFIND", "/originals/", ("alice", &secret), None).await.status(), 401, "bob's only");
    let alice_list: Value = p.alice.get("/api/v1/account/app-passwords").await;
    assert_eq!(alice_list["app_passwords"].as_array().unwrap().len(), 0);
    let id = entry["id"].as_i64().unwrap();
    let r = p.alice.send(Method::DELETE, &format!("/api/v1/account/app-passwords/{id}"), None).await;
    assert_eq!(r.status(), 404, "alice cannot revoke bob's");
    let r = p.bob.send(Method::DELETE, &format!("/api/v1/account/app-passwords/{id}"), None).await;
    assert_eq!(r.status(), 204);
    assert_eq!(dav(&p.app, "PROPFIND", "/originals/", ("bob", &secret), None).await.status(), 401, "revoked at once");
    let r =
        p.bob.app.client.post(p.bob.app.url("/api/v1/account/app-passwords")).json(&serde_json::json!({"name": "x"}));
    assert_eq!(r.send().await.unwrap().status(), 403, "making one needs the CSRF token");
}

#[tokio::test]
async fn a_photo_put_over_webdav_lands_in_the_owners_folder_and_shows_up_in_the_timeline() {
    let p = party().await;
    let secret = p.bob.app_password("rclone").await;
    let photo = camera_jpeg(7);
    assert_eq!(dav(&p.app, "MKCOL", "/originals/2024", ("bob", &secret), None).await.status(), 201);
    let r = dav(&p.app, "PUT", "/originals/2024/beach.jpg", ("bob", &secret), Some(photo.clone())).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(std::fs::read(p.app.originals_path().join("bob/2024/beach.jpg")).unwrap(), photo);
    let photos = wait_for_photos(&p.bob, 1).await;
    assert_eq!(photos.len(), 1, "indexed once");
    let back = dav(&p.app, "GET", "/originals/2024/beach.jpg", ("bob", &secret), None).await;
    assert_eq!(back.bytes().await.unwrap(), photo, "byte for byte");
    let listing = dav(&p.app, "PROPFIND", "/originals/2024/", ("bob", &secret), None).await;
    assert_eq!(listing.status(), 207);
    assert!(listing.text().await.unwrap().contains("beach.jpg"));
    let audit = p.app.audit_outcomes().await;
    assert!(audit.iter().any(|(name, outcome, _)| name == "bob" && outcome == "success"), "{audit:?}");
}

#[tokio::test]
async fn another_persons_files_and_anything_outside_the_root_are_not_found() {
    let p = party().await;
    write_original(&p.app, "alice/2023/secret.jpg", &camera_jpeg(1));
    write_original(&p.app, "bob/2023/mine.jpg", &camera_jpeg(2));
    let bob_root = p.app.originals_path().join("bob");
    std::os::unix::fs::symlink(p.app.originals_path().join("alice/2023/secret.jpg"), bob_root.join("link.jpg"))
        .unwrap();
    std::os::unix::fs::symlink(p.app.originals_path().join("alice"), bob_root.join("alice-folder")).unwrap();
    std::os::unix::fs::symlink("/etc", bob_root.join("etc")).unwrap();
    let secret = p.bob.app_password("Finder").await;
    let bob = ("bob", secret.as_str());

    let listing = dav(&p.app, "PROPFIND", "/originals/", bob, None).await.text().await.unwrap();
    assert!(listing.contains("2023") && !listing.contains("alice") && !listing.contains("link.jpg"), "{listing}");
    assert_eq!(dav(&p.app, "GET", "/originals/2023/mine.jpg", bob, None).await.status(), 200);
    for path in [
        "/originals/link.jpg",
        "/originals/alice-folder/2023/secret.jpg",
        "/originals/etc/passwd",
        "/originals/../alice/2023/secret.jpg",
        "/originals/%2e%2e/alice/2023/secret.jpg",
        "/originals/2023%2f..%2f..%2falice/2023/secret.jpg",
        "/originals/alice/2023/secret.jpg",
    ] {
        let status = dav(&p.app, "GET", path, bob, None).await.status();
        assert!(status == 404 || status == 400 || status == 403, "{path}: {status}");
    }
    let r = client()
        .request(Method::from_bytes(b"COPY").unwrap(), p.app.url("/originals/2023/mine.jpg"))
        .basic_auth("bob", Some(&secret))
        .header("Destination", p.app.url("/originals/../alice/stolen.jpg"))
        .send()
        .await
        .unwrap();
    // RFC 4918 answers a Destination the server does not serve with 502 Bad Gateway.
    assert!(r.status().is_client_error() || r.status() == 502, "a Destination outside the root: {}", r.status());
    assert!(!p.app.originals_path().join("alice/stolen.jpg").exists());
    // The administrator's root is the whole originals folder.
    let admin_secret = p.admin.app_password("admin's rclone").await;
    let r = dav(&p.app, "GET", "/originals/alice/2023/secret.jpg", ("admin", &admin_secret), None).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_account_password_works_only_with_webdav_password_login_and_wrong_ones_are_throttled() {
    let app = spawn_app().await;
    let r = dav(&app, "PROPFIND", "/originals/", ("admin", ADMIN_PASSWORD), None).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Basic"));
    for _ in 0..9 {
        assert_eq!(dav(&app, "PROPFIND", "/originals/", ("admin", "wrong"), None).await.status(), 401);
    }
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("admin", "wrong"), None).await.status(), 429, "throttled");
    let audit = app.audit_outcomes().await;
    assert!(audit.iter().filter(|(_, outcome, _)| outcome == "failure").count() >= 5);

    let open = spawn_app_with(&[("WEBDAV_PASSWORD_LOGIN", "true")]).await;
    assert_eq!(dav(&open, "PROPFIND", "/originals/", ("admin", ADMIN_PASSWORD), None).await.status(), 207);
}

#[tokio::test]
async fn viewers_a_read_only_server_and_disabled_accounts_cannot_write() {
    let app = spawn_app_with(&[("WEBDAV_READONLY", "true")]).await;
    app.add_user("carol", PASSWORD, "user").await;
    let carol = person(&app, "carol").await;
    let secret = carol.app_password("phone").await;
    let r = dav(&app, "PUT", "/originals/new.jpg", ("carol", &secret), Some(camera_jpeg(3))).await;
    assert!(r.status().is_client_error(), "WEBDAV_READONLY: {}", r.status());
    assert!(!app.originals_path().join("carol/new.jpg").exists());
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("carol", &secret), None).await.status(), 207, "reading works");

    let app = spawn_app().await;
    let viewer_id = app.add_user("victor", PASSWORD, "viewer").await;
    let victor = person(&app, "victor").await;
    let secret = victor.app_password("phone").await;
    let r = dav(&app, "PUT", "/originals/new.jpg", ("victor", &secret), Some(camera_jpeg(4))).await;
    assert!(r.status().is_client_error(), "a viewer: {}", r.status());
    let csrf = app.sign_in_admin().await;
    let r = app.update_user(&csrf, viewer_id, &serde_json::json!({ "disabled": true })).await;
    assert_eq!(r.status(), 200);
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("victor", &secret), None).await.status(), 401, "disabled at once");
}

/// litmus (Debian's WebDAV protocol test suite): `basic`, `copymove`, `props` and `http` pass.
#[tokio::test]
async fn litmus_passes_the_basic_copymove_props_and_http_suites() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let admin = Person { app: app.with_client(app.client.clone()), csrf };
    let secret = admin.app_password("litmus").await;
    std::fs::create_dir_all(app.originals_path().join("admin/litmus")).unwrap();
    let url = app.url("/originals/admin/litmus/");
    // litmus writes debug.log and child.log where it runs: a folder of its own.
    let scratch = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new("litmus")
        .current_dir(scratch.path())
        .env("TESTS", std::env::var("LITMUS_TESTS").unwrap_or("basic copymove props http".into()))
        .args([url.as_str(), "admin", secret.as_str()])
        .output()
        .await
        .expect("litmus is installed (scripts/test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}");
    for suite in ["basic", "copymove", "props", "http"] {
        let summary = text
            .lines()
            .find(|l| l.contains(&format!("summary for `{suite}'")))
            .unwrap_or_else(|| panic!("no summary for {suite}: {text}"));
        assert!(summary.contains("100.0%"), "{summary}");
    }
    assert!(out.status.success(), "{text}");
}

#[tokio::test]
async fn the_account_page_makes_an_app_password_shows_it_once_and_revokes_it() {
    let p = party().await;
    let page = p.bob.app.get("/account").await.text().await.unwrap();
    assert!(page.contains("App passwords") && page.contains("/originals/"), "the page says where WebDAV is");
    let form = [("csrf_token", p.bob.csrf.as_str()), ("name", "Laptop rclone")];
    let r = p.bob.app.client.post(p.bob.app.url("/account/app-passwords")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let shown = r.text().await.unwrap();
    let at = shown.find("sbx_").expect("the new secret is on the page");
    let secret: String = shown[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(dav(&p.app, "PROPFIND", "/originals/", ("bob", &secret), None).await.status(), 207);
    let again = p.bob.app.get("/account").await.text().await.unwrap();
    assert!(again.contains("Laptop rclone") && !again.contains(&secret), "listed, never shown again");

    let id = p.bob.get("/api/v1/account/app-passwords").await["app_passwords"][0]["id"].as_i64().unwrap();
    let path = format!("/account/app-passwords/{id}/delete");
    let r = p.alice.app.client.post(p.alice.app.url(&path)).form(&[("csrf_token", p.alice.csrf.as_str())]).send().await;
    assert_eq!(r.unwrap().status(), 404, "not alice's to revoke");
    let r = p.bob.app.client.post(p.bob.app.url(&path)).form(&[("csrf_token", "wrong")]).send().await.unwrap();
    assert_eq!(r.status(), 403, "revoking needs the CSRF token");
    let r = p.bob.app.client.post(p.bob.app.url(&path)).form(&[("csrf_token", p.bob.csrf.as_str())]).send().await;
    assert_eq!(r.unwrap().status(), 303);
    assert_eq!(dav(&p.app, "PROPFIND", "/originals/", ("bob", &secret), None).await.status(), 401);
}

#[tokio::test]
async fn photos_put_into_the_import_inbox_move_into_the_library_once_and_a_refused_file_stays() {
    let p = party().await;
    let secret = p.bob.app_password("PhotoSync").await;
    let bob = ("bob", secret.as_str());
    let photo = dated_jpeg("2021:05:06 07:08:09", 11);
    assert_eq!(dav(&p.app, "MKCOL", "/import/Phone", bob, None).await.status(), 201);
    assert!(dav(&p.app, "PUT", "/import/Phone/IMG_0001.jpg", bob, Some(photo.clone())).await.status().is_success());
    assert!(
        dav(&p.app, "PUT", "/import/Phone/notes.txt", bob, Some(b"not a picture".to_vec())).await.status().is_success()
    );
    let photos = wait_for_photos(&p.bob, 1).await;
    let stored = p.app.originals_path().join("bob/2021/05/IMG_0001.jpg");
    assert_eq!(std::fs::read(&stored).unwrap(), photo, "stored like an upload, in its dated folder");
    let inbox = p.app.originals_path().join(".shoebox-import/bob/Phone");
    for _ in 0..100 {
        if !inbox.join("IMG_0001.jpg").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!inbox.join("IMG_0001.jpg").exists(), "the photo left the inbox");
    assert!(inbox.join("notes.txt").exists(), "a refused file stays where it was put");

    // PhotoSync sends the same photo again: no second photo.
    assert!(dav(&p.app, "PUT", "/import/Phone/IMG_0001.jpg", bob, Some(photo.clone())).await.status().is_success());
    for _ in 0..100 {
        if !inbox.join("IMG_0001.jpg").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!inbox.join("IMG_0001.jpg").exists(), "the duplicate left the inbox too");
    let v: Value = p.bob.photos("").await.json().await.unwrap();
    assert_eq!(v["photos"].as_array().unwrap().len(), photos.len(), "recognised as the same photo");
    assert!(!p.app.originals_path().join("bob/2021/05/IMG_0001 (2).jpg").exists());
    // Alice's inbox is hers: bob's app password does not open it under her name.
    assert_eq!(dav(&p.app, "PROPFIND", "/import/", ("alice", &secret), None).await.status(), 401);
}

#[tokio::test]
async fn a_photo_copied_into_the_originals_by_anything_else_is_picked_up_every_index_interval() {
    let app = spawn_app_with(&[("INDEX_INTERVAL", "1s")]).await;
    let csrf = app.sign_in_admin().await;
    let admin = Person { app: app.with_client(app.client.clone()), csrf };
    wait_for_index(&app).await;
    // Syncthing, SMB or `cp` put a photo there; nobody presses "Index now".
    write_original(&app, "admin/2024/synced.jpg", &camera_jpeg(21));
    let photos = wait_for_photos(&admin, 1).await;
    assert_eq!(photos.len(), 1);
}
