//! Single sign-on against the fake provider: the code flow, every Basic RP certification check,
//! and the provider misbehaving in the ways that matter.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::helpers::fake_provider::{self, AtHash, CLIENT_ID, CLIENT_SECRET, FakeProvider, IssParam, Signing};
use crate::helpers::*;

async fn app_for(fake: &FakeProvider, extra: &[(&str, &str)]) -> TestApp {
    let mut env: Vec<(String, String)> = fake.env().into_iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v)).collect();
    env.extend(extra.iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v.to_string())));
    spawn_app_with_env(env).await
}

async fn setup(extra: &[(&str, &str)]) -> (FakeProvider, TestApp) {
    let fake = FakeProvider::start().await;
    let app = app_for(&fake, extra).await;
    (fake, app)
}

/// Plays the browser up to the provider's answer: returns the callback path and query to open.
async fn through_provider(app: &TestApp, start: &str) -> String {
    let r = app.get(start).await;
    assert_eq!(r.status(), 303, "{start} should send the browser to the provider");
    let at_provider = location(&r);
    let r = client().get(&at_provider).send().await.unwrap();
    assert_eq!(r.status(), 303, "the provider answers with a redirect");
    let back = url::Url::parse(&location(&r)).unwrap();
    assert_eq!(back.path(), "/api/v1/oidc/redirect");
    format!("{}?{}", back.path(), back.query().unwrap_or(""))
}

/// The whole sign-in; returns Shoebox's answer to the callback.
async fn sso(app: &TestApp) -> reqwest::Response {
    let callback = through_provider(app, "/api/v1/oidc/login").await;
    app.get(&callback).await
}

async fn session_user(app: &TestApp) -> Option<Value> {
    let r = app.session().await;
    if r.status() != 200 {
        return None;
    }
    Some(r.json::<Value>().await.unwrap()["user"].clone())
}

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db).await.unwrap()
}

/// Expects the sign-in to be refused with `status`, a page saying `says`, no session, no new
/// account, and an audit record whose reason contains `reason`.
async fn assert_refused(app: &TestApp, status: u16, says: &str, reason: &str) {
    let before = user_count(app).await;
    let r = sso(app).await;
    assert_eq!(r.status(), status);
    let html = r.text().await.unwrap();
    assert!(html.contains(says), "page should say {says:?}: {html}");
    assert!(session_user(app).await.is_none(), "not signed in");
    assert_eq!(user_count(app).await, before, "no account written");
    let audit = app.audit_outcomes().await;
    let last = audit.last().expect("audited");
    assert_ne!(last.1, "success");
    assert!(last.2.contains(reason), "audit reason {:?} should contain {reason:?}", last.2);
}

const NOT_VERIFIED: &str = "could not be verified";

fn tweak_id_token(fake: &FakeProvider, f: impl Fn(&mut Map<String, Value>) + Send + Sync + 'static) {
    fake.with(|b| b.id_token_tweak = Some(Arc::new(f)));
}

/// Waits (bounded) until the login page mentions `text`: discovery runs in the background.
async fn login_page_eventually_says(app: &TestApp, text: &str) -> String {
    for _ in 0..600 {
        let html = app.get("/login").await.text().await.unwrap();
        if html.contains(text) {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the login page never said {text:?}");
}

#[tokio::test]
async fn the_authorization_request_has_code_scopes_state_nonce_and_pkce() {
    let (fake, app) = setup(&[]).await;
    through_provider(&app, "/api/v1/oidc/login").await;
    let q = fake.with(|b| b.authorize_requests[0].clone());
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:2342/api/v1/oidc/redirect");
    assert_eq!(q["scope"], "openid email profile address");
    // 32 random bytes, URL-safe base64 without padding.
    for name in ["state", "nonce"] {
        assert_eq!(q[name].len(), 43, "{name}");
        assert!(q[name].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{name}");
    }
    assert_ne!(q["state"], q["nonce"]);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(!q.contains_key("prompt"));
}

#[tokio::test]
async fn pkce_is_left_out_when_the_provider_does_not_advertise_it() {
    let fake = FakeProvider::start().await;
    fake.with(|b| b.pkce = false);
    let app = app_for(&fake, &[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let (q, form) = fake.with(|b| (b.authorize_requests[0].clone(), b.token_forms[0].clone()));
    assert!(!q.contains_key("code_challenge"));
    assert!(!form.contains_key("code_verifier"));
}

#[tokio::test]
async fn oidc_prompt_is_sent_when_configured() {
    let (fake, app) = setup(&[("OIDC_PROMPT", "login")]).await;
    through_provider(&app, "/api/v1/oidc/login").await;
    assert_eq!(fake.with(|b| b.authorize_requests[0]["prompt"].clone()), "login");
}

#[tokio::test]
async fn the_first_sign_in_creates_the_account_from_userinfo_and_signs_in() {
    let (fake, app) = setup(&[]).await;
    let before = session_cookie(&app.get("/login").await);
    let r = sso(&app).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    let after = session_cookie(&r).expect("the callback sets the session cookie");
    assert_ne!(
        before.map(|c| c.split(';').next().unwrap().to_string()),
        Some(after.split(';').next().unwrap().to_string())
    );

    let user = session_user(&app).await.expect("signed in");
    assert_eq!(user["username"], "alice");
    assert_eq!(user["display_name"], "Alice Liddell");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["role"], "user");
    assert_eq!(user["auth_issuer"], fake.issuer.as_str());
    assert_eq!(user["auth_subject"], fake.with(|b| b.sub.clone()));

    // client_secret_basic, never the secret in the body; the verifier goes with the code.
    let (auth, form) = fake.with(|b| (b.token_authorization[0].clone(), b.token_forms[0].clone()));
    assert_eq!(auth, format!("Basic {}", base64_encode(&format!("{CLIENT_ID}:{CLIENT_SECRET}"))));
    assert!(!form.contains_key("client_secret"));
    assert_eq!(form["grant_type"], "authorization_code");
    assert!(form.contains_key("code_verifier"));
    // The access token goes in the Authorization header.
    assert!(fake.with(|b| b.userinfo_authorization[0].starts_with("Bearer authelia_at_")));

    let audit = app.audit_outcomes().await;
    assert_eq!(audit.last().unwrap(), &("alice".to_string(), "success".to_string(), String::new()));
    let method: String = sqlx::query_scalar("SELECT method FROM sign_in_events ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(method, "oidc");
    let account = app.get("/account").await.text().await.unwrap();
    assert!(account.contains("Single sign-on (authelia)"), "{account}");
}

fn base64_encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn claims_in_the_id_token_only_work_too_like_authelia_4_38() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.id_token_claims = b.userinfo_claims.clone();
        b.id_token_claims.insert("preferred_username".into(), json!("carol"));
        b.userinfo_claims = Map::new();
    });
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["username"], "carol");
}

#[tokio::test]
async fn userinfo_claims_win_over_the_id_token() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.id_token_claims.insert("preferred_username".into(), json!("from-id-token"));
    });
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["username"], "alice");
}

#[tokio::test]
async fn the_second_sign_in_reuses_the_account_and_refreshes_the_profile() {
    let (fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let first = session_user(&app).await.unwrap();
    fake.with(|b| {
        b.userinfo_claims.insert("preferred_username".into(), json!("alice.renamed"));
        b.userinfo_claims.insert("name".into(), json!("Alice L."));
        b.userinfo_claims.insert("email".into(), json!("alice@new.example"));
    });
    let app2 = app.with_client(client());
    assert_eq!(sso(&app2).await.status(), 303);
    let second = session_user(&app2).await.unwrap();
    assert_eq!(second["id"], first["id"], "matched by subject, not by name");
    assert_eq!(second["username"], "alice", "the username stays");
    assert_eq!(second["display_name"], "Alice L.");
    assert_eq!(second["email"], "alice@new.example");
    assert_eq!(user_count(&app).await, 2, "the administrator and alice");
}

#[tokio::test]
async fn next_is_kept_through_the_provider_and_must_be_a_local_path() {
    let (_fake, app) = setup(&[]).await;
    let callback = through_provider(&app, "/api/v1/oidc/login?next=%2Faccount%3Ftab%3D1").await;
    let r = app.get(&callback).await;
    assert_eq!(location(&r), "/account?tab=1");

    let app2 = app.with_client(client());
    let callback = through_provider(&app2, "/api/v1/oidc/login?next=%2F%2Fevil.example%2F").await;
    assert_eq!(location(&app2.get(&callback).await), "/");
}

// --- ID token checks (Basic RP certification) ---

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.insert("aud".into(), json!(["someone-else"]));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "aud").await;
}

#[tokio::test]
async fn an_id_token_also_meant_for_another_audience_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.insert("aud".into(), json!([CLIENT_ID, "other"]));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "`other` is not a trusted audience").await;
}

#[tokio::test]
async fn an_id_token_whose_at_hash_does_not_match_the_access_token_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.at_hash = AtHash::Wrong);
    assert_refused(&app, 401, NOT_VERIFIED, "at_hash").await;
}

#[tokio::test]
async fn an_id_token_whose_at_hash_matches_the_access_token_signs_in() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.at_hash = AtHash::Correct);
    let r = sso(&app).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(session_user(&app).await.expect("signed in")["username"], "alice");
}

#[tokio::test]
async fn an_id_token_without_aud_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.remove("aud");
    });
    assert_refused(&app, 401, NOT_VERIFIED, "no aud").await;
}

#[tokio::test]
async fn an_id_token_without_iat_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.remove("iat");
    });
    assert_refused(&app, 401, NOT_VERIFIED, "no iat").await;
}

#[tokio::test]
async fn an_id_token_without_sub_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.remove("sub");
    });
    assert_refused(&app, 401, NOT_VERIFIED, "no sub").await;
}

#[tokio::test]
async fn an_id_token_from_another_issuer_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.insert("iss".into(), json!("https://evil.example"));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "wrong issuer").await;
}

#[tokio::test]
async fn an_id_token_with_a_bad_signature_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.published_keys = vec![0, 1];
        b.signing = Signing::WrongKey { key: 1 };
    });
    assert_refused(&app, 401, NOT_VERIFIED, "bad signature").await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.insert("nonce".into(), json!("a-nonce-from-another-sign-in"));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "nonce mismatch").await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        let iat = c["iat"].as_i64().unwrap();
        c.insert("iat".into(), json!(iat - 3600));
        c.insert("exp".into(), json!(iat - 600));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "expired").await;
}

#[tokio::test]
async fn an_id_token_issued_in_the_future_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        let iat = c["iat"].as_i64().unwrap();
        c.insert("iat".into(), json!(iat + 600));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "future").await;
}

#[tokio::test]
async fn an_id_token_for_another_authorized_party_is_refused() {
    let (fake, app) = setup(&[]).await;
    tweak_id_token(&fake, |c| {
        c.insert("azp".into(), json!("another-client"));
    });
    assert_refused(&app, 401, NOT_VERIFIED, "azp").await;
}

#[tokio::test]
async fn an_hs256_id_token_signed_with_the_client_secret_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.signing = Signing::Hs256WithClientSecret);
    assert_refused(&app, 401, NOT_VERIFIED, "HS256").await;
}

#[tokio::test]
async fn an_unsigned_id_token_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.signing = Signing::Unsigned);
    assert_refused(&app, 401, NOT_VERIFIED, "alg none").await;
}

#[tokio::test]
async fn an_id_token_without_kid_is_accepted_when_the_key_set_has_one_key() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.signing = Signing::Rsa { key: 0, with_kid: false });
    assert_eq!(sso(&app).await.status(), 303);
}

/// OpenID Connect Core 10.1: with several keys in the set the token must name its key. The
/// `openidconnect` crate refuses to guess (before it, Shoebox tried each key); either is allowed
/// by the certification, and the refusal says why.
#[tokio::test]
async fn an_id_token_without_kid_is_refused_when_several_keys_fit() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.published_keys = vec![0, 1];
        b.signing = Signing::Rsa { key: 1, with_kid: false };
    });
    assert_refused(&app, 401, NOT_VERIFIED, "names no key (kid) and several keys of the provider fit").await;
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_again_once() {
    let (fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(fake.with(|b| b.jwks_fetches), 1);
    // The provider rotates its key: new kid, old key gone.
    fake.with(|b| {
        b.published_keys = vec![1];
        b.signing = Signing::Rsa { key: 1, with_kid: true };
    });
    let app2 = app.with_client(client());
    assert_eq!(sso(&app2).await.status(), 303, "the new key is picked up");
    assert_eq!(fake.with(|b| b.jwks_fetches), 2);
    assert!(session_user(&app2).await.is_some());
}

#[tokio::test]
async fn a_key_missing_even_after_fetching_again_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.signing = Signing::Rsa { key: 1, with_kid: true });
    assert_refused(&app, 401, NOT_VERIFIED, "no key in the provider's key set").await;
    assert_eq!(fake.with(|b| b.jwks_fetches), 2, "fetched at first use and once more for the unknown kid");
    // The same unknown key again does not make Shoebox hammer the provider.
    assert_refused(&app, 401, NOT_VERIFIED, "no key in the provider's key set").await;
    assert_eq!(fake.with(|b| b.jwks_fetches), 2, "the re-fetch is rate-limited");
}

/// The back-channel endpoint takes tokens from anyone, and each unknown `kid` asks for the keys
/// again: those must not use up the re-fetches a sign-in needs to pick up a rotated key.
#[tokio::test]
async fn bogus_logout_tokens_cannot_use_up_the_refetches_a_rotation_needs() {
    let (fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    for i in 0..10 {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": format!("bogus-{i}")}).to_string());
        let r = post_logout_token(&app, &format!("{header}.e30.c2ln")).await;
        assert_eq!(r.status(), 400);
    }
    fake.with(|b| {
        b.published_keys = vec![1];
        b.signing = Signing::Rsa { key: 1, with_kid: true };
    });
    assert_eq!(sso(&app.with_client(client())).await.status(), 303, "the rotation is still picked up");
}

// --- userinfo ---

#[tokio::test]
async fn userinfo_for_another_subject_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.userinfo_tweak = Some(Arc::new(|c: &mut Map<String, Value>| {
            c.insert("sub".into(), json!("someone-else"));
        }))
    });
    assert_refused(&app, 502, "did not send your profile", "userinfo sub").await;
}

#[tokio::test]
async fn userinfo_as_a_signed_jwt_is_verified_and_used() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.userinfo_as_jwt = true);
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["username"], "alice");
}

#[tokio::test]
async fn an_unsigned_userinfo_jwt_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.userinfo_as_jwt = true;
        b.userinfo_signing = Some(Signing::Unsigned);
    });
    assert_refused(&app, 502, "did not send your profile", "signed userinfo: unsigned token").await;
}

/// Auth0 sends `updated_at` as RFC 3339 text rather than seconds (OpenID Connect Core 5.1).
#[tokio::test]
async fn updated_at_as_rfc_3339_text_in_userinfo_or_the_id_token_still_signs_in() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.userinfo_tweak = Some(Arc::new(|c: &mut Map<String, Value>| {
            c.insert("updated_at".into(), json!("2024-01-01T00:00:00Z"));
        }))
    });
    assert_eq!(sso(&app).await.status(), 303, "in userinfo");
    fake.with(|b| b.userinfo_tweak = None);
    tweak_id_token(&fake, |c| {
        c.insert("updated_at".into(), json!("2024-01-01T00:00:00Z"));
    });
    assert_eq!(sso(&app.with_client(client())).await.status(), 303, "in the ID token");
}

/// RFC 6749 5.1 has `expires_in` as a number and `scope` as a string; providers differ, and
/// Shoebox uses neither.
#[tokio::test]
async fn a_token_response_with_expires_in_as_text_or_a_fraction_or_scope_as_a_list_still_signs_in() {
    let (fake, app) = setup(&[]).await;
    let answers = [
        ("expires_in", json!("3599")),
        ("expires_in", json!(3599.5)),
        ("expires_in", json!("soon")),
        ("scope", json!(["openid", "profile"])),
        ("scope", json!(42)),
    ];
    for (name, value) in answers {
        fake.with(|b| {
            let (name, value) = (name.to_string(), value.clone());
            b.token_response_tweak = Some(Arc::new(move |answer: &mut Map<String, Value>| {
                answer.insert(name.clone(), value.clone());
            }))
        });
        assert_eq!(sso(&app.with_client(client())).await.status(), 303, "{name}: {value}");
    }
}

// --- the callback ---

#[tokio::test]
async fn an_unknown_provider_error_and_its_description_reach_neither_the_page_nor_the_audit_verbatim() {
    let (fake, app) = setup(&[]).await;
    let r = app.get("/api/v1/oidc/login").await;
    let at_provider = url::Url::parse(&location(&r)).unwrap();
    let state = at_provider.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let mut back = url::Url::parse(&app.url("/api/v1/oidc/redirect")).unwrap();
    back.query_pairs_mut()
        .append_pair("error", "<b>gotcha</b>\r\nsurprise")
        .append_pair(
            "error_description",
            &format!("oops\n2030-01-01T00:00:00Z INFO shoebox: admin signed in{}", "x".repeat(5000)),
        )
        .append_pair("state", &state)
        .append_pair("iss", &fake.issuer);
    let r = app.get(&format!("{}?{}", back.path(), back.query().unwrap())).await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("authelia refused the sign-in."), "a fixed sentence: {html}");
    for provider_text in ["gotcha", "surprise", "oops", "admin signed in"] {
        assert!(!html.contains(provider_text), "the page shows {provider_text:?}: {html}");
    }
    assert!(session_user(&app).await.is_none());
    let audit = app.audit_outcomes().await;
    let reason = &audit.last().expect("audited").2;
    assert!(reason.contains("gotcha") && reason.contains("admin signed in"), "still says what came: {reason}");
    assert!(!reason.chars().any(char::is_control), "no control characters: {reason:?}");
    assert!(reason.chars().count() <= 1200, "capped: {} characters", reason.chars().count());
}

#[tokio::test]
async fn a_callback_with_another_iss_is_refused() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.iss_param = IssParam::Wrong("https://evil.example".into()));
    assert_refused(&app, 400, "did not come from authelia", "callback iss").await;
    assert!(fake.with(|b| b.token_forms.is_empty()), "the code was never exchanged");
}

#[tokio::test]
async fn a_callback_without_iss_is_refused_when_the_provider_promises_it() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.iss_param = IssParam::Missing);
    assert_refused(&app, 400, "did not come from authelia", "without iss").await;
}

#[tokio::test]
async fn a_replayed_state_is_refused() {
    let (_fake, app) = setup(&[]).await;
    let callback = through_provider(&app, "/api/v1/oidc/login").await;
    assert_eq!(app.get(&callback).await.status(), 303);
    // Signed out, the same answer again (e.g. from history) must not sign in.
    let other = app.with_client(client());
    let r = other.get(&callback).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("already used"));
    assert!(session_user(&other).await.is_none());
    let r = app.get(&callback).await;
    assert_eq!(r.status(), 400, "the state was single use");
    let audit = app.audit_outcomes().await;
    assert!(audit.last().unwrap().2.contains("state"), "{audit:?}");
}

/// Moves the start of every pending single sign-on `secs` into the past, the way the clock would.
/// A whole sign-in by a new browser whose answer comes back `secs` after it started: the pending
/// sign-in in its visitor cookie is aged the way time would.
async fn answered_after(app: &TestApp, secs: i64) -> reqwest::Response {
    let start = client().get(app.url("/api/v1/oidc/login")).send().await.unwrap();
    assert_eq!(start.status(), 303);
    let cookie = visitor_cookie(&start).expect("the pending sign-in rides in the visitor cookie");
    let pair = cookie.split(';').next().unwrap();
    let at_provider = client().get(location(&start)).send().await.unwrap();
    let callback = url::Url::parse(&location(&at_provider)).unwrap();
    let callback = app.url(&format!("{}?{}", callback.path(), callback.query().unwrap_or("")));
    let aged = app.reseal_visitor_cookie(pair, |v| {
        for p in v["pending"].as_array_mut().unwrap() {
            p["created_at"] = (p["created_at"].as_i64().unwrap() - secs).into();
        }
    });
    client().get(&callback).header("cookie", aged).send().await.unwrap()
}

#[tokio::test]
async fn a_sign_in_answered_after_ten_minutes_is_refused_and_one_within_them_works() {
    let (_fake, app) = setup(&[]).await;
    let r = answered_after(&app, 10 * 60 + 1).await;
    assert_eq!(r.status(), 400);
    assert!(session_cookie(&r).is_none_or(|c| c.contains("Max-Age=0")), "not signed in");
    assert!(r.text().await.unwrap().contains("The sign-in took longer than 10 minutes. Start it again."));
    assert_eq!(user_count(&app).await, 1, "only the administrator: no account written");
    assert_eq!(app.audit_outcomes().await.last().unwrap().2, "state expired");

    // Another browser that answers after 9 minutes 50 seconds is signed in.
    let r = answered_after(&app, 9 * 60 + 50).await;
    assert_eq!(r.status(), 303);
    let session = session_cookie(&r).expect("signed in");
    let me = client().get(app.url("/api/v1/session")).header("cookie", session.split(';').next().unwrap());
    let me: Value = me.send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["username"], "alice");
}

#[tokio::test]
async fn access_denied_at_the_provider_says_so() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| b.deny = true);
    assert_refused(&app, 401, "You declined the sign-in at authelia", "access_denied").await;
    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains("Sign in with authelia"), "the button is still there to try again");
}

// --- discovery ---

#[tokio::test]
async fn a_discovery_issuer_mismatch_shows_both_values_and_the_trailing_slash_hint() {
    let fake = FakeProvider::start().await;
    let configured = format!("{}/", fake.issuer);
    let mut env: Vec<(String, String)> = fake.env().into_iter().map(|(k, v)| (format!("SHOEBOX_{k}"), v)).collect();
    env.retain(|(k, _)| k != "SHOEBOX_OIDC_URI");
    env.push(("SHOEBOX_OIDC_URI".into(), configured.clone()));
    let app = spawn_app_with_env(env).await;
    let html = login_page_eventually_says(&app, "trailing slash").await;
    assert!(
        html.contains(&format!("names the issuer &#34;{}&#34;", fake.issuer))
            || html.contains(&format!("names the issuer &quot;{}&quot;", fake.issuer)),
        "{html}"
    );
    assert!(html.contains(&configured), "{html}");
    assert!(html.contains("cannot be reached right now"), "{html}");
    // Password sign-in keeps working meanwhile.
    assert_eq!(app.sign_in("admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_failed_discovery_is_retried_not_remembered() {
    let fake = FakeProvider::start().await;
    fake.with(|b| b.discovery_status = 503);
    let app = app_for(&fake, &[]).await;
    login_page_eventually_says(&app, "HTTP 503").await;
    let r = app.get("/api/v1/oidc/login").await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("cannot be reached right now"));
    let audit = app.audit_outcomes().await;
    assert!(audit.last().unwrap().2.starts_with("provider unavailable: "), "{audit:?}");

    fake.with(|b| b.discovery_status = 200);
    let mut status = 0;
    for _ in 0..600 {
        status = app.get("/api/v1/oidc/login").await.status().as_u16();
        if status == 303 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 303, "once the provider answers, sign-in works without a restart");
    assert_eq!(sso(&app).await.status(), 303);
}

// --- accounts ---

#[tokio::test]
async fn registration_off_refuses_an_unknown_person_and_writes_nothing() {
    let (_fake, app) = setup(&[("OIDC_REGISTER", "false")]).await;
    assert_refused(&app, 403, "There is no account for alice here — ask an administrator", "registration is off").await;
}

#[tokio::test]
async fn a_username_taken_locally_gets_a_numeric_suffix() {
    let (_fake, app) = setup(&[]).await;
    app.add_user("alice", "a local password", "user").await;
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["username"], "alice2");
}

#[tokio::test]
async fn without_preferred_username_the_name_is_sanitised_into_a_username() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.userinfo_claims.remove("preferred_username");
        b.userinfo_claims.insert("name".into(), json!("John Doe"));
    });
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["username"], "john.doe");
}

#[tokio::test]
async fn an_unverified_email_is_not_stored() {
    let (fake, app) = setup(&[]).await;
    fake.with(|b| {
        b.userinfo_claims.insert("email_verified".into(), json!(false));
    });
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["email"], Value::Null);
}

#[tokio::test]
async fn oidc_domain_refuses_other_email_domains() {
    let (_fake, app) = setup(&[("OIDC_DOMAIN", "family.example")]).await;
    assert_refused(&app, 403, "needs an email address at family.example", "email domain").await;
}

#[tokio::test]
async fn oidc_group_refuses_people_outside_the_groups() {
    let (_fake, app) = setup(&[("OIDC_GROUP", "photos,admins")]).await;
    assert_refused(&app, 403, "not in a group that may sign in here", "required group").await;
}

#[tokio::test]
async fn the_group_mapping_sets_the_role_at_every_sign_in() {
    let (fake, app) = setup(&[("OIDC_GROUP_ROLE", "admins=admin,family=viewer")]).await;
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(["family", "admins"])));
    assert_eq!(sso(&app).await.status(), 303);
    assert_eq!(session_user(&app).await.unwrap()["role"], "admin");

    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(["family"])));
    let app2 = app.with_client(client());
    assert_eq!(sso(&app2).await.status(), 303);
    assert_eq!(session_user(&app2).await.unwrap()["role"], "viewer", "removed from admins at the provider");
}

#[tokio::test]
async fn the_group_mapping_never_takes_the_role_of_the_last_administrator() {
    let (fake, app) = setup(&[("OIDC_GROUP_ROLE", "admins=admin")]).await;
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(["admins"])));
    assert_eq!(sso(&app).await.status(), 303);
    sqlx::query("DELETE FROM users WHERE username = 'admin'").execute(&app.db).await.unwrap();
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!([])));
    let app2 = app.with_client(client());
    assert_eq!(sso(&app2).await.status(), 303);
    assert_eq!(session_user(&app2).await.unwrap()["role"], "admin", "nobody would be left to administer");
}

#[tokio::test]
async fn oidc_group_role_would_demote_the_last_enabled_admin_while_a_disabled_admin_exists_and_keeps_the_role() {
    let (fake, app) = setup(&[("OIDC_GROUP_ROLE", "admins=admin")]).await;
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(["admins"])));
    assert_eq!(sso(&app).await.status(), 303);
    // The built-in administrator is disabled: alice is the only one who can still administer.
    sqlx::query("UPDATE users SET disabled = 1 WHERE username = 'admin'").execute(&app.db).await.unwrap();
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!([])));
    let app2 = app.with_client(client());
    assert_eq!(sso(&app2).await.status(), 303);
    assert_eq!(session_user(&app2).await.unwrap()["role"], "admin", "a disabled administrator cannot administer");
    let enabled_admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(enabled_admins, 1);
}

#[tokio::test]
async fn a_disabled_account_is_refused() {
    let (_fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    sqlx::query("UPDATE users SET disabled = 1 WHERE username = 'alice'").execute(&app.db).await.unwrap();
    let app2 = app.with_client(client());
    assert_refused(&app2, 403, "is disabled", "account disabled").await;
}

#[tokio::test]
async fn an_account_pre_linked_with_the_cli_is_claimed_at_first_sign_in() {
    let (fake, app) = setup(&[("OIDC_REGISTER", "false")]).await;
    let sub = fake.with(|b| b.sub.clone());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoebox"))
        .env_clear()
        .env("SHOEBOX_STORAGE_PATH", app.storage.path())
        .args(["users", "add", "grandma", "--oidc-subject", &sub, "--role", "viewer"])
        .current_dir(app.storage.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(sso(&app).await.status(), 303);
    let user = session_user(&app).await.unwrap();
    assert_eq!(user["username"], "grandma");
    assert_eq!(user["role"], "viewer");
    assert_eq!(user["auth_issuer"], fake.issuer.as_str(), "the empty issuer is filled at first sign-in");
}

#[tokio::test]
async fn a_local_account_linked_with_users_mod_signs_in_with_the_provider() {
    let (fake, app) = setup(&[("OIDC_REGISTER", "false")]).await;
    let id = app.add_user("bob", "bob's password", "admin").await;
    let sub = fake.with(|b| b.sub.clone());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoebox"))
        .env_clear()
        .env("SHOEBOX_STORAGE_PATH", app.storage.path())
        .args(["users", "mod", "bob", "--oidc-subject", &sub, "--oidc-issuer", &fake.issuer])
        .current_dir(app.storage.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(sso(&app).await.status(), 303);
    let user = session_user(&app).await.unwrap();
    assert_eq!(user["id"], id);
    assert_eq!(user["role"], "admin");
}

// --- sign-out ---

#[tokio::test]
async fn signing_out_of_an_authelia_session_says_the_provider_session_is_still_open() {
    let (fake, app) = setup(&[("OIDC_LOGOUT", "true")]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let html = app.get("/").await.text().await.unwrap();
    let token = hidden_field(&html, "csrf_token").unwrap();
    let r = app.client.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?signed_out=1&provider_session=1");
    assert!(session_user(&app).await.is_none());
    let page = app.get(&location(&r)).await.text().await.unwrap();
    assert!(page.contains("Your authelia session is still open"), "{page}");
    assert!(page.contains(&format!("href=\"{}\"", fake.issuer)), "a link to the provider: {page}");
}

#[tokio::test]
async fn with_an_end_session_endpoint_sign_out_continues_at_the_provider() {
    let fake = FakeProvider::start().await;
    fake.with(|b| b.end_session_endpoint = true);
    let app = app_for(&fake, &[("OIDC_LOGOUT", "true")]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let csrf = app.session().await.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let r = app.sign_out(&csrf).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let url = url::Url::parse(body["continue_at"].as_str().expect("continue_at")).unwrap();
    assert_eq!(url.path(), "/logout");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["id_token_hint"], fake.with(|b| b.last_id_token.clone().unwrap()));
    assert_eq!(q["post_logout_redirect_uri"], "http://127.0.0.1:2342/login?signed_out=1");
    assert!(session_user(&app).await.is_none());
}

async fn post_logout_token(app: &TestApp, token: &str) -> reqwest::Response {
    client().post(app.url("/api/v1/oidc/backchannel-logout")).form(&[("logout_token", token)]).send().await.unwrap()
}

fn logout_token(fake: &FakeProvider, f: impl FnOnce(&mut Map<String, Value>)) -> String {
    fake.sign(&logout_token_claims(fake, f))
}

/// The claims of a valid logout token for the fake provider's person, changed by `f`.
fn logout_token_claims(fake: &FakeProvider, f: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut claims: Map<String, Value> = json!({
        "iss": fake.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": format!("jti-{now}-{}", rand::random::<u32>()),
        "sub": fake.with(|b| b.sub.clone()),
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    })
    .as_object()
    .unwrap()
    .clone();
    f(&mut claims);
    Value::Object(claims)
}

#[tokio::test]
async fn a_back_channel_logout_ends_the_subjects_sessions() {
    let (fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let other_browser = app.with_client(client());
    assert_eq!(sso(&other_browser).await.status(), 303);
    assert!(session_user(&app).await.is_some());

    let token = logout_token(&fake, |_| {});
    let r = client()
        .post(app.url("/api/v1/oidc/backchannel-logout"))
        .form(&[("logout_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(session_user(&app).await.is_none(), "ended");
    assert!(session_user(&other_browser).await.is_none(), "every session of that person");

    // The same token again is a replay.
    let r = client()
        .post(app.url("/api/v1/oidc/backchannel-logout"))
        .form(&[("logout_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_back_channel_logout_by_sid_ends_that_provider_session() {
    let (fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let token = logout_token(&fake, |c| {
        c.remove("sub");
        c.insert("sid".into(), json!("provider-session-1"));
    });
    let r = client()
        .post(app.url("/api/v1/oidc/backchannel-logout"))
        .form(&[("logout_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(session_user(&app).await.is_none());
}

#[tokio::test]
async fn invalid_logout_tokens_are_refused_and_end_nothing() {
    let (fake, app) = setup(&[]).await;
    assert_eq!(sso(&app).await.status(), 303);
    let bad_tokens = [
        logout_token(&fake, |c| {
            c.insert("aud".into(), json!("another-client"));
        }),
        logout_token(&fake, |c| {
            c.insert("nonce".into(), json!("n"));
        }),
        logout_token(&fake, |c| {
            c.remove("events");
        }),
        logout_token(&fake, |c| {
            c.remove("sub");
        }),
        logout_token(&fake, |c| {
            c.remove("exp");
        }),
        logout_token(&fake, |c| {
            let iat = c["iat"].as_i64().unwrap();
            c.insert("iat".into(), json!(iat - 3600));
        }),
        fake.sign_with_typ("at+jwt", &logout_token_claims(&fake, |_| {})),
        fake_provider::sign(&Signing::Hs256WithClientSecret, &json!({"iss": fake.issuer, "aud": CLIENT_ID})),
    ];
    for token in bad_tokens {
        let r = client()
            .post(app.url("/api/v1/oidc/backchannel-logout"))
            .form(&[("logout_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
    assert!(session_user(&app).await.is_some(), "still signed in");
}

/// Anyone can post to the back-channel endpoint: the answer must not show them the provider's
/// internal addresses (from a failed discovery or key fetch) or echo text from their token.
#[tokio::test]
async fn a_refused_logout_token_is_answered_without_internal_urls_or_text_from_the_token() {
    let unreachable = FakeProvider::start().await;
    unreachable.with(|b| b.discovery_status = 503);
    let app = app_for(&unreachable, &[]).await;
    let r = post_logout_token(&app, &logout_token(&unreachable, |_| {})).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(!body.contains(&unreachable.issuer) && !body.contains("127.0.0.1"), "{body}");

    let (_fake, app) = setup(&[]).await;
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS\nforged"}).to_string());
    let r = post_logout_token(&app, &format!("{header}.e30.c2ln")).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(!body.contains("forged") && !body.contains('\n'), "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error_description"], "the logout token is not valid");
}

// --- the login page ---

#[tokio::test]
async fn the_login_page_has_the_provider_button_above_the_password_form() {
    let (_fake, app) = setup(&[]).await;
    let html = login_page_eventually_says(&app, "Sign in with authelia").await;
    assert!(html.contains("href=\"/api/v1/oidc/login\""), "{html}");
    assert!(html.contains("/static/sso.svg"), "with an icon: {html}");
    let button = html.find("Sign in with authelia").unwrap();
    let form = html.find("name=\"password\"").expect("password form");
    assert!(button < form);
    let with_next = app.get("/login?next=%2Faccount").await.text().await.unwrap();
    assert!(with_next.contains("href=\"/api/v1/oidc/login?next=%2Faccount\""), "{with_next}");
}

#[tokio::test]
async fn password_login_false_leaves_only_the_provider_button_except_at_local() {
    let (_fake, app) = setup(&[("PASSWORD_LOGIN", "false"), ("OIDC_ICON", "https://auth.example.com/logo.svg")]).await;
    let html = login_page_eventually_says(&app, "Sign in with authelia").await;
    assert!(!html.contains("name=\"password\""));
    assert!(html.contains("src=\"https://auth.example.com/logo.svg\""));
    let csp = app.get("/login").await.headers()["content-security-policy"].to_str().unwrap().to_string();
    // The provider's icon host, besides the map tile server's (PLACES_TILES).
    assert!(
        csp.contains("img-src 'self' data: blob: https://auth.example.com https://tile.openstreetmap.org;"),
        "{csp}"
    );
    let local = app.get("/login?local=1").await.text().await.unwrap();
    assert!(local.contains("name=\"password\""));
}

#[tokio::test]
async fn oidc_redirect_sends_anonymous_visitors_to_the_provider_keeping_the_page() {
    let (_fake, app) = setup(&[("OIDC_REDIRECT", "true")]).await;
    // Wait for discovery so the redirect is on.
    let mut r = app.get("/login?next=%2Faccount").await;
    for _ in 0..600 {
        if r.status() == 303 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        r = app.get("/login?next=%2Faccount").await;
    }
    assert_eq!(location(&r), "/api/v1/oidc/login?next=%2Faccount");
    let page = app.get("/account").await;
    assert_eq!(location(&page), "/login?next=%2Faccount");
    let local = app.get("/login?local=1").await;
    assert_eq!(local.status(), 200, "the password form stays reachable");
    let after_sign_out = app.get("/login?signed_out=1").await;
    assert_eq!(after_sign_out.status(), 200, "no automatic sign-in right after signing out");
    let callback = through_provider(&app, &location(&r)).await;
    assert_eq!(location(&app.get(&callback).await), "/account");
}

#[tokio::test]
async fn someone_removed_from_the_required_group_is_refused_at_the_next_sign_in() {
    let (fake, app) = setup(&[("OIDC_GROUP", "family")]).await;
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(["family"])));
    assert_eq!(sso(&app).await.status(), 303);
    let before: (i64, String, String) =
        sqlx::query_as("SELECT id, role, display_name FROM users WHERE username = 'alice'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    // Taken out of `family` at the provider: the account exists, but the next sign-in is refused.
    fake.with(|b| b.userinfo_claims.insert("groups".into(), json!(["friends"])));
    let later = app.with_client(client());
    assert_refused(&later, 403, "not in a group that may sign in here", "required group").await;
    let after: (i64, String, String) =
        sqlx::query_as("SELECT id, role, display_name FROM users WHERE username = 'alice'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(before, after, "the account is kept as it was");
}

#[tokio::test]
async fn started_single_sign_ons_store_nothing_on_the_server_and_the_last_started_still_completes() {
    let (_fake, app) = setup(&[]).await;
    for _ in 0..30 {
        let r = client().get(app.url("/api/v1/oidc/login")).send().await.unwrap();
        assert_eq!(r.status(), 303, "every anonymous start goes to the provider");
    }
    // One browser starting in three tabs: each pending sign-in is kept (in the visitor cookie).
    let first = through_provider(&app, "/api/v1/oidc/login?next=%2Falbums").await;
    through_provider(&app, "/api/v1/oidc/login").await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, 0, "32 started sign-ins stored no session");
    let r = app.get(&first).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/albums", "the first tab's sign-in completes with its own next page");
    assert_eq!(app.session().await.status(), 200);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, 1);
    assert_eq!(app.get(&first).await.status(), 400, "a pending sign-in is single use");
}

#[tokio::test]
async fn a_flood_of_forged_callbacks_writes_a_handful_of_audit_rows() {
    let (_fake, app) = setup(&[]).await;
    for i in 0..60 {
        let r = client().get(app.url(&format!("/api/v1/oidc/redirect?state=forged{i}&code=x"))).send().await.unwrap();
        assert!(r.status().is_client_error(), "forged callback {i}: {}", r.status());
    }
    let rows = app.audit_outcomes().await;
    assert!((1..=20).contains(&rows.len()), "60 forged callbacks wrote {} audit rows", rows.len());
}
