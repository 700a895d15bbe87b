//! Who may use WebDAV, checked at every request: single sign-on accounts follow OIDC_GROUP, and
//! no spelling of a path (Unicode look-alikes, overlong UTF-8, another normalisation of a name)
//! leaves the account's root.

use serde_json::Value;

use crate::helpers::*;

/// Alice signs on through the provider (in `groups`), makes an app password and returns it.
async fn signed_on_app_password(app: &TestApp) -> String {
    let browser = app.with_client(client());
    assert_eq!(sso_sign_in(&browser).await.status(), 303);
    let v: Value = browser.session().await.json().await.unwrap();
    let alice = Person { csrf: v["csrf_token"].as_str().unwrap().to_string(), app: browser };
    alice.app_password("PhotoSync").await
}

#[tokio::test]
async fn an_account_taken_out_of_oidc_group_loses_webdav_at_its_next_request_even_with_a_valid_app_password() {
    let fake = fake_provider::FakeProvider::start().await;
    let mut env: Vec<(String, String)> = fake.env().into_iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v)).collect();
    env.push(("SHOEBOX_OIDC_GROUP".into(), "family".into()));
    let app = spawn_app_with_env(env).await;
    provider_groups(&fake, &["family"]);
    let secret = signed_on_app_password(&app).await;
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("alice", &secret), None).await.status(), 207);

    // The provider takes her out and logs her out (back-channel): the very next request is refused.
    provider_groups(&fake, &["work"]);
    assert_eq!(back_channel_logout(&fake, &app).await.status(), 200);
    let r = dav(&app, "PROPFIND", "/originals/", ("alice", &secret), None).await;
    assert_eq!(r.status(), 401, "refused at once, though the app password is valid");
    let r = dav(&app, "PUT", "/originals/late.jpg", ("alice", &secret), Some(camera_jpeg(70))).await;
    assert_eq!(r.status(), 401);
    assert!(!app.originals_path().join("alice/late.jpg").exists());
    let audit = app.audit_outcomes().await;
    assert!(
        audit
            .iter()
            .any(|(name, outcome, reason)| name == "alice" && outcome == "failure" && reason.contains("OIDC_GROUP")),
        "{audit:?}"
    );

    // Back in the group at her next sign-on: the same app password works again.
    provider_groups(&fake, &["family"]);
    assert_eq!(sso_sign_in(&app.with_client(client())).await.status(), 303);
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("alice", &secret), None).await.status(), 207);

    // Taken out again, this time without a back-channel logout: her next sign-on is refused, and
    // that refusal alone stops the app password.
    provider_groups(&fake, &["work"]);
    let refused = sso_sign_in(&app.with_client(client())).await;
    assert_eq!(refused.status(), 403, "refused: no longer in OIDC_GROUP");
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("alice", &secret), None).await.status(), 401);
    provider_groups(&fake, &["family"]);
    assert_eq!(sso_sign_in(&app.with_client(client())).await.status(), 303);

    // The administrator takes `family` out of OIDC_GROUP: refused from the first request after.
    let app = app.restart_with(&[("OIDC_GROUP", "admins")]).await;
    assert_eq!(dav(&app, "PROPFIND", "/originals/", ("alice", &secret), None).await.status(), 401);
}

#[tokio::test]
async fn unicode_look_alikes_and_overlong_encodings_neither_leave_the_root_nor_reach_another_persons_files() {
    let p = party().await;
    write_original(&p.app, "alice/2023/secret.jpg", &camera_jpeg(71));
    let zoe = "zo\u{eb}";
    p.app.add_user(zoe, PASSWORD, "user").await;
    write_original(&p.app, &format!("{zoe}/private.jpg"), &camera_jpeg(72));
    let secret = p.bob.app_password("Finder").await;
    let bob = ("bob", secret.as_str());
    for path in [
        // `..` and `/` spelled with look-alikes: fullwidth full stop and solidus, one-dot leader.
        "/originals/%EF%BC%8E%EF%BC%8E%EF%BC%8Falice%EF%BC%8F2023%EF%BC%8Fsecret.jpg",
        "/originals/%EF%BC%8E%EF%BC%8E/alice/2023/secret.jpg",
        "/originals/..%EF%BC%8Falice/2023/secret.jpg",
        "/originals/%E2%80%A4%E2%80%A4/alice/2023/secret.jpg",
        "/originals/2023/%E2%80%A4%E2%80%A4/%E2%80%A4%E2%80%A4/alice/2023/secret.jpg",
        // Overlong UTF-8 for `.` and `/` (C0 AE, C0 AF), which some decoders read as the real thing.
        "/originals/%C0%AE%C0%AE/alice/2023/secret.jpg",
        "/originals/%C0%AE%C0%AE%C0%AFalice%C0%AF2023%C0%AFsecret.jpg",
        "/originals/%E0%80%AE%E0%80%AE/alice/2023/secret.jpg",
        // Another person's name, in both normalisations and another case.
        "/originals/zo%C3%AB/private.jpg",
        "/originals/zoe%CC%88/private.jpg",
        "/originals/ZO%C3%8B/private.jpg",
        "/originals/%EF%BD%81lice/2023/secret.jpg",
        "/import/%C0%AE%C0%AE/%C0%AE%C0%AE/alice/2023/secret.jpg",
    ] {
        for method in ["GET", "PROPFIND"] {
            let r = dav(&p.app, method, path, bob, None).await;
            let status = r.status();
            let body = r.bytes().await.unwrap();
            assert!(status == 404 || status == 400, "{method} {path}: {status}");
            assert!(!body.windows(6).any(|w| w == b"secret" || w == b"privat"), "{method} {path}: names leaked");
        }
    }
    // Writing under a look-alike name makes a file with that odd name in bob's own folder, and
    // touches nothing of alice's.
    let odd = "/originals/%EF%BC%8E%EF%BC%8E%EF%BC%8Falice%EF%BC%8Fplanted.jpg";
    let r = dav(&p.app, "PUT", odd, bob, Some(camera_jpeg(73))).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert!(p.app.originals_path().join("bob/\u{ff0e}\u{ff0e}\u{ff0f}alice\u{ff0f}planted.jpg").exists());
    let overlong = "/originals/%C0%AE%C0%AE%C0%AFalice%C0%AFplanted.jpg";
    let r = dav(&p.app, "PUT", overlong, bob, Some(camera_jpeg(74))).await;
    assert!(r.status().is_success() || r.status().is_client_error(), "{}", r.status());
    let alice_files: Vec<_> =
        std::fs::read_dir(p.app.originals_path().join("alice")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(alice_files, vec![std::ffi::OsString::from("2023")], "alice's folder is untouched");
    assert!(!p.app.originals_path().join("alice/planted.jpg").exists());
    // Zoë herself reaches her own file, which the paths above could not.
    let zoe_person = person(&p.app, zoe).await;
    let zoe_secret = zoe_person.app_password("Mac").await;
    let r = dav(&p.app, "GET", "/originals/private.jpg", (zoe, &zoe_secret), None).await;
    assert_eq!(r.status(), 200);
}
