use std::collections::HashMap;
use std::path::PathBuf;

use shoebox::config::{AuthMode, Config, ConfigSource, OPTIONS, Source};

fn load(env: &[(&str, &str)], file: Option<PathBuf>) -> Result<Config, String> {
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::load(&ConfigSource { env, file }).map_err(|e| e.to_string())
}

fn err(env: &[(&str, &str)]) -> String {
    load(env, None).expect_err("should be refused")
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let c = load(&[], None).unwrap();
    assert_eq!(c.site_url.as_str(), "http://localhost:2342/");
    assert_eq!(c.http_port, 2342);
    assert_eq!(c.storage_path, PathBuf::from("./storage"));
    assert_eq!(c.originals_path, PathBuf::from("./storage/originals"));
    assert_eq!(c.admin_user, "admin");
    assert_eq!(c.auth_mode, AuthMode::Password);
    assert!(!c.oidc.enabled);
    assert_eq!(c.oidc.scopes, ["openid", "email", "profile", "address"]);
    assert_eq!(c.settings["HTTP_PORT"].source, Source::Default);
}

#[test]
fn shoebox_variables_win_over_photoprism_ones_which_win_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shoebox.toml");
    std::fs::write(&file, "http_port = 3000\nadmin_user = \"fromfile\"\nlog_level = \"debug\"\n").unwrap();
    let c = load(
        &[("SHOEBOX_HTTP_PORT", "4000"), ("PHOTOPRISM_HTTP_PORT", "5000"), ("PHOTOPRISM_ADMIN_USER", "pp")],
        Some(file.clone()),
    )
    .unwrap();
    assert_eq!(c.http_port, 4000);
    assert_eq!(c.settings["HTTP_PORT"].source, Source::Env("SHOEBOX_HTTP_PORT".into()));
    assert_eq!(c.admin_user, "pp");
    assert_eq!(c.settings["ADMIN_USER"].source, Source::Env("PHOTOPRISM_ADMIN_USER".into()));
    assert_eq!(c.log_level, tracing::Level::DEBUG);
    assert_eq!(c.settings["LOG_LEVEL"].source, Source::File(file));
}

#[test]
fn the_seed_documents_photoprism_variables_configure_single_sign_on() {
    let c = load(
        &[
            ("PHOTOPRISM_SITE_URL", "https://photoprism.example.com/"),
            ("PHOTOPRISM_OIDC_URI", "https://auth.example.com"),
            ("PHOTOPRISM_OIDC_CLIENT", "photoprism"),
            ("PHOTOPRISM_OIDC_SECRET", "insecure_secret"),
            ("PHOTOPRISM_OIDC_PROVIDER", "authelia"),
            ("PHOTOPRISM_OIDC_REGISTER", "true"),
        ],
        None,
    )
    .unwrap();
    assert!(c.oidc.enabled);
    assert_eq!(c.oidc.uri.as_deref(), Some("https://auth.example.com"), "the issuer is kept byte for byte");
    assert_eq!(c.oidc.client.as_deref(), Some("photoprism"));
    assert_eq!(c.oidc.secret.as_ref().unwrap().expose(), "insecure_secret");
    assert_eq!(c.oidc.provider, "authelia");
    assert!(c.oidc.register);
    assert_eq!(c.oidc_redirect_uri().as_str(), "https://photoprism.example.com/api/v1/oidc/redirect");
    assert!(!format!("{c:?}").contains("insecure_secret"), "secrets never show in Debug output");
}

#[test]
fn secrets_can_be_read_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret from a file\n").unwrap();
    let s = secret.to_str().unwrap();
    let c = load(
        &[("SHOEBOX_ADMIN_PASSWORD_FILE", s), ("PHOTOPRISM_OIDC_SECRET_FILE", s), ("SHOEBOX_DISABLE_OIDC", "true")],
        None,
    )
    .unwrap();
    assert_eq!(c.admin_password.unwrap().expose(), "s3cret from a file");
    assert_eq!(c.oidc.secret.unwrap().expose(), "s3cret from a file");
    assert_eq!(c.settings["OIDC_SECRET"].source, Source::Env("PHOTOPRISM_OIDC_SECRET_FILE".into()));

    let missing = err(&[("SHOEBOX_OIDC_SECRET_FILE", "/no/such/file")]);
    assert!(missing.starts_with("SHOEBOX_OIDC_SECRET_FILE=/no/such/file: cannot read the file"), "{missing}");
    let both = err(&[("SHOEBOX_OIDC_SECRET", "x"), ("SHOEBOX_OIDC_SECRET_FILE", s)]);
    assert!(both.contains("both set"), "{both}");
}

#[test]
fn each_bad_value_is_one_line_that_names_the_variable_and_the_fix() {
    assert_eq!(err(&[("SHOEBOX_HTTP_PORT", "abc")]), "SHOEBOX_HTTP_PORT=abc: not a port number (1-65535)");
    assert_eq!(err(&[("PHOTOPRISM_HTTP_PORT", "70000")]), "PHOTOPRISM_HTTP_PORT=70000: not a port number (1-65535)");
    let cases: &[(&str, &str, &str)] = &[
        ("SHOEBOX_SITE_URL", "photos.example.com", "not an http(s) URL"),
        ("SHOEBOX_HTTP_HOST", "example.com", "not an IP address"),
        ("SHOEBOX_DATABASE_DRIVER", "mysql", "only sqlite is supported"),
        ("SHOEBOX_AUTH_MODE", "open", "use password or public"),
        ("SHOEBOX_SESSION_TIMEOUT", "forever", "not a duration"),
        ("SHOEBOX_SESSION_MAXAGE", "5", "at least 60 seconds"),
        ("SHOEBOX_LOG_LEVEL", "loud", "not a log level"),
        ("SHOEBOX_LOG_FORMAT", "xml", "use text or json"),
        ("SHOEBOX_ADMIN_PASSWORD", "1234567", "at least 8 characters"),
        ("SHOEBOX_ADMIN_USER", "no spaces", "not a valid username"),
        ("SHOEBOX_TRUSTED_PROXY", "10.0.0.0/99", "not an IP address or CIDR range"),
        ("SHOEBOX_OIDC_ROLE", "king", "not a role"),
        ("SHOEBOX_OIDC_GROUP_ROLE", "admins", "is not group=role"),
        ("SHOEBOX_OIDC_PROMPT", "none", "use login, consent or select_account"),
        ("SHOEBOX_OIDC_REGISTER", "maybe", "not a boolean"),
        ("SHOEBOX_TRASH_DAYS", "a month", "not a number of days: use 0 (keep until emptied) or e.g. 30"),
        ("SHOEBOX_INDEX_INTERVAL", "often", "not a duration"),
        ("SHOEBOX_AUDIT_DAYS", "forever", "not a number of days: use 0 (keep forever) or e.g. 90"),
        ("PHOTOPRISM_TRASH_DAYS", "-1", "not a number of days"),
        ("SHOEBOX_UPLOAD_LIMIT", "lots", "not a size: use bytes or a number with KB, MB or GB"),
        ("SHOEBOX_UPLOAD_LIMIT", "0", "not a size"),
        ("SHOEBOX_MAX_PIXELS", "5", "not a pixel count of at least 1M"),
        ("SHOEBOX_JPEG_QUALITY", "101", "use a number from 25 to 100"),
        ("PHOTOPRISM_JPEG_QUALITY", "high", "use a number from 25 to 100"),
        ("SHOEBOX_INDEX_WORKERS", "-1", "not a worker count"),
        ("SHOEBOX_PASSWORD_LOGIN", "nope", "not a boolean"),
        ("SHOEBOX_DISABLE_OIDC", "perhaps", "not a boolean"),
        ("SHOEBOX_OIDC_INSECURE", "2", "not a boolean"),
        ("PHOTOPRISM_OIDC_URI", "auth.example.com", "not an http(s) URL"),
        ("SHOEBOX_OIDC_SCOPES", "email profile", "must include openid"),
    ];
    for (var, value, expected) in cases {
        let e = err(&[(var, value)]);
        assert!(!e.contains('\n'), "{var}: one line: {e}");
        if *var == "SHOEBOX_ADMIN_PASSWORD" {
            assert!(!e.contains(value), "secrets are not echoed: {e}");
            assert!(e.starts_with(var), "{e}");
        } else {
            assert!(e.starts_with(&format!("{var}={value}: ")), "{var}: {e}");
        }
        assert!(e.contains(expected), "{var}: {e}");
    }
}

#[test]
fn single_sign_on_over_http_needs_oidc_insecure() {
    let base = [
        ("SHOEBOX_OIDC_URI", "http://127.0.0.1:9000"),
        ("SHOEBOX_OIDC_CLIENT", "photoprism"),
        ("SHOEBOX_OIDC_SECRET", "insecure_secret"),
    ];
    let e = err(&base);
    assert!(e.starts_with("SHOEBOX_OIDC_URI=http://127.0.0.1:9000: single sign-on needs an https issuer"), "{e}");
    let mut with_https_issuer = base.to_vec();
    with_https_issuer[0] = ("SHOEBOX_OIDC_URI", "https://auth.example.com");
    let e = err(&with_https_issuer);
    assert!(e.contains("SITE_URL") && e.contains("OIDC_INSECURE"), "{e}");
    let mut insecure = base.to_vec();
    insecure.push(("SHOEBOX_OIDC_INSECURE", "true"));
    assert!(load(&insecure, None).unwrap().oidc.enabled);
    let mut disabled = base.to_vec();
    disabled.push(("SHOEBOX_DISABLE_OIDC", "true"));
    assert!(!load(&disabled, None).unwrap().oidc.enabled, "disabled wins and http is then irrelevant");
}

#[test]
fn a_bad_config_file_is_refused_with_its_path_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shoebox.toml");
    std::fs::write(&file, "http_prot = 3000\n").unwrap();
    let e = load(&[], Some(file.clone())).unwrap_err();
    assert!(e.contains("unknown option \"http_prot\""), "{e}");
    std::fs::write(&file, "http_port = \"abc\"\n").unwrap();
    let e = load(&[], Some(file.clone())).unwrap_err();
    assert!(e.contains("http_port") && e.contains("not a port number"), "{e}");
    let e = load(&[], Some(dir.path().join("missing.toml"))).unwrap_err();
    assert!(e.contains("no such file"), "{e}");
}

#[test]
fn the_readme_documents_every_option() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let missing: Vec<&str> =
        OPTIONS.iter().map(|o| o.name).filter(|name| !readme.contains(&format!("| `{name}` |"))).collect();
    assert!(missing.is_empty(), "README.md's configuration table lacks: {missing:?}");
    for o in OPTIONS {
        if let Some(default) = o.default {
            let row = readme.lines().find(|l| l.starts_with(&format!("| `{}` |", o.name))).unwrap();
            assert!(
                row.contains(&format!("`{default}`")),
                "README row for {} should show its default {default}",
                o.name
            );
        }
    }
}

#[test]
fn half_a_single_sign_on_setup_stops_startup_naming_what_is_missing() {
    let uri = ("PHOTOPRISM_OIDC_URI", "https://auth.example.com");
    let client = ("PHOTOPRISM_OIDC_CLIENT", "photoprism");
    let site = ("PHOTOPRISM_SITE_URL", "https://photos.example.com/");
    assert_eq!(
        err(&[uri, client, site]),
        "PHOTOPRISM_OIDC_SECRET is not set: single sign-on needs OIDC_URI, OIDC_CLIENT and OIDC_SECRET together: \
         set it, or set DISABLE_OIDC=true to sign in with passwords only"
    );
    let e = err(&[("SHOEBOX_OIDC_CLIENT", "photoprism"), ("SHOEBOX_OIDC_SECRET", "insecure_secret"), site]);
    assert!(e.starts_with("SHOEBOX_OIDC_URI is not set: "), "{e}");
    assert!(!e.contains("insecure_secret"), "the secret is not echoed: {e}");

    // The docker secret file exists but is empty.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("oidc_secret");
    std::fs::write(&empty, "\n").unwrap();
    let e = err(&[uri, client, site, ("PHOTOPRISM_OIDC_SECRET_FILE", empty.to_str().unwrap())]);
    assert_eq!(e, "PHOTOPRISM_OIDC_SECRET_FILE: the file is empty: put the value in it, or set DISABLE_OIDC=true");
    assert!(err(&[uri, ("PHOTOPRISM_OIDC_CLIENT", ""), site]).starts_with("PHOTOPRISM_OIDC_CLIENT is empty: "));

    // All three, none, or single sign-on switched off: fine.
    let c = load(&[uri, client, site, ("PHOTOPRISM_OIDC_SECRET", "insecure_secret")], None).unwrap();
    assert!(c.oidc.enabled);
    assert!(!load(&[], None).unwrap().oidc.enabled);
    assert!(!load(&[uri, client, site, ("SHOEBOX_DISABLE_OIDC", "true")], None).unwrap().oidc.enabled);
}
