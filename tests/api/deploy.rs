//! What deployments rely on: `shoebox backup` through the binary, and the example configuration.

use std::path::Path;

use serde_json::Value;
use shoebox::config::{Config, ConfigSource, OPTIONS};

use crate::helpers::{run_shoebox_in, spawn_app};

const EXAMPLE_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/shoebox.example.toml");

fn usernames(storage: &Path) -> Vec<String> {
    let out = run_shoebox_in(storage, &["users", "list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let users: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    users.iter().map(|u| u["username"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_backup_taken_while_the_server_runs_restores_its_accounts() {
    let app = spawn_app().await;
    app.add_user("alice", "alice's password", "user").await;
    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("shoebox-backup.db");

    let out = run_shoebox_in(app.storage.path(), &["backup", dest.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("backup written to {}", dest.display())));
    app.add_user("bob", "bob's password", "user").await;
    assert_eq!(app.get("/health").await.status(), 200, "the server kept running");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup holds password hashes: owner only");
    }

    // Restoring is copying the backup to <STORAGE_PATH>/shoebox.db.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&dest, restored.path().join("shoebox.db")).unwrap();
    let mut names = usernames(restored.path());
    names.sort();
    assert_eq!(names, ["admin", "alice"], "the snapshot predates bob");
}

#[cfg(unix)]
#[tokio::test]
async fn the_storage_folder_and_database_are_private_and_a_backup_holds_no_live_sessions() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let storage = app.storage.path();
    assert_eq!(mode(storage), 0o700, "STORAGE_PATH holds the database and the cache");
    for name in ["shoebox.db", "shoebox.db-wal", "shoebox.db-shm"] {
        let file = storage.join(name);
        assert!(file.exists(), "{name}");
        assert_eq!(mode(&file), 0o600, "{name} holds password hashes and session ids");
    }
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions").fetch_one(&app.db).await.unwrap();
    assert!(live > 0, "the administrator is signed in");

    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("backup.db");
    let out = run_shoebox_in(storage, &["backup", dest.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mode(&dest), 0o600);
    let copy = sqlx::SqlitePool::connect(&format!("sqlite://{}", dest.display())).await.unwrap();
    for table in ["tower_sessions", "user_sessions", "oidc_sessions"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&copy).await.unwrap();
        assert_eq!(rows, 0, "{table}: a backup is no way back into a live session");
    }
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&copy).await.unwrap();
    assert_eq!(users, 1, "the accounts are all there");
}

#[tokio::test]
async fn a_backup_never_overwrites_an_existing_file() {
    let app = spawn_app().await;
    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("keep.db");
    std::fs::write(&dest, b"an older backup").unwrap();

    let out = run_shoebox_in(app.storage.path(), &["backup", dest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already exists") && stderr.contains("choose a new name"), "{stderr}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"an older backup");
}

#[test]
fn a_backup_without_a_database_says_where_it_looked_and_creates_nothing() {
    let storage = tempfile::tempdir().unwrap();
    let dest = storage.path().join("backup.db");
    let out = run_shoebox_in(storage.path(), &["backup", dest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("there is no database at") && stderr.contains("STORAGE_PATH"), "{stderr}");
    assert!(!dest.exists() && !storage.path().join("shoebox.db").exists());
}

#[test]
fn a_backup_into_a_missing_folder_says_to_create_it() {
    let storage = tempfile::tempdir().unwrap();
    assert!(run_shoebox_in(storage.path(), &["migrate"]).status.success());
    let dest = storage.path().join("no-such-folder/backup.db");
    let out = run_shoebox_in(storage.path(), &["backup", dest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist: create it first"));
}

/// The `# key = value` line of an option in the example file.
fn example_line(text: &str, name: &str) -> Option<String> {
    let key = name.to_lowercase();
    text.lines()
        .map(|l| l.trim_start_matches('#').trim())
        .find(|l| l.split('=').next().map(str::trim) == Some(key.as_str()))
        .map(str::to_string)
}

#[test]
fn the_example_configuration_documents_every_option_with_its_default() {
    let text = std::fs::read_to_string(EXAMPLE_TOML).unwrap();
    let missing: Vec<&str> = OPTIONS.iter().map(|o| o.name).filter(|n| example_line(&text, n).is_none()).collect();
    assert!(missing.is_empty(), "config/shoebox.example.toml lacks: {missing:?}");

    // Uncommenting the lines that show a default must give exactly the defaults.
    let mut defaults = String::new();
    for o in OPTIONS {
        let line = example_line(&text, o.name).unwrap();
        if let Some(default) = o.default {
            assert!(line.contains(default), "the example line {line:?} should show the default {default}");
            defaults.push_str(&line);
            defaults.push('\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("defaults.toml");
    std::fs::write(&file, defaults).unwrap();
    let source = ConfigSource { env: Default::default(), file: Some(file.clone()) };
    let config = Config::load(&source).unwrap_or_else(|e| panic!("the example's defaults must load: {e}"));
    let plain = Config::load(&ConfigSource { env: Default::default(), file: None }).unwrap();
    assert_eq!(config.describe().into_iter().map(|r| r.1).collect::<Vec<_>>(), {
        plain.describe().into_iter().map(|r| r.1).collect::<Vec<_>>()
    });
}

#[test]
fn the_example_configuration_file_loads_as_it_is() {
    let source = ConfigSource { env: Default::default(), file: Some(EXAMPLE_TOML.into()) };
    Config::load(&source).unwrap_or_else(|e| panic!("{e}"));
}
