//! Who owns a file: usernames compared by one Unicode-folded key, folders matched to accounts the
//! same way, and a file that changes owner is no longer anybody's upload.

use serde_json::Value;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_shoebox");

#[test]
fn an_account_name_that_differs_from_another_only_in_non_ascii_case_is_refused() {
    let storage = tempfile::tempdir().unwrap();
    let add = |name: &str| {
        std::process::Command::new(BIN)
            .env_clear()
            .env("SHOEBOX_STORAGE_PATH", storage.path())
            .args(["users", "add", name, "--password", "a long password"])
            .current_dir(storage.path())
            .output()
            .unwrap()
    };
    assert!(add("Émile").status.success());
    let second = add("émile");
    assert!(!second.status.success(), "Émile and émile would share a folder");
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
}

#[tokio::test]
async fn two_existing_accounts_whose_names_differ_only_in_case_each_keep_their_own_folder() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // Accounts from before names were folded: both exist.
    let upper = app.add_user("Émile", "emiles password", "user").await;
    let lower = app.add_user("émile", "emiles password", "user").await;
    write_original(&app, "Émile/a.jpg", &camera_jpeg(71));
    write_original(&app, "émile/b.jpg", &camera_jpeg(72));
    run_index(&app, &csrf).await;
    let owners: Vec<(String, i64)> =
        sqlx::query_as("SELECT f.path, p.owner_id FROM files f JOIN photos p ON p.id = f.photo_id ORDER BY f.path")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let owner_of = |path: &str| owners.iter().find(|(p, _)| p == path).map(|(_, o)| *o);
    assert_eq!(owner_of("Émile/a.jpg"), Some(upper), "{owners:?}");
    assert_eq!(owner_of("émile/b.jpg"), Some(lower), "{owners:?}");
}

#[tokio::test]
async fn an_upload_whose_account_was_deleted_stays_on_disk_when_its_new_owner_empties_the_trash() {
    let app = spawn_app().await;
    let admin_csrf = app.sign_in_admin().await;
    let bob_id = app.add_user("bob", "bobs password", "user").await;
    let bob = app.with_client(client());
    let r = bob.sign_in("bob", "bobs password").await;
    let bob_csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(bob.upload(&bob_csrf, &[("mine.jpg", camera_jpeg(73))]).await.status(), 200);
    let (path,): (String,) = sqlx::query_as("SELECT path FROM files").fetch_one(&app.db).await.unwrap();
    assert_eq!(app.delete_user(&admin_csrf, bob_id).await.status(), 200);

    // The next index gives bob's folder to the administrator, who deletes the photo for good.
    run_index(&app, &admin_csrf).await;
    let photo = &photos(&app).await[0];
    let id = photo["id"].as_i64().unwrap();
    let trash = app.client.delete(app.url(&format!("/api/v1/photos/{id}"))).header("x-csrf-token", &admin_csrf);
    assert_eq!(trash.send().await.unwrap().status(), 200);
    let empty = app.client.delete(app.url("/api/v1/trash")).header("x-csrf-token", &admin_csrf);
    assert_eq!(empty.send().await.unwrap().status(), 200);
    assert!(app.originals_path().join(&path).exists(), "{path} was bob's upload, not the administrator's");
}
