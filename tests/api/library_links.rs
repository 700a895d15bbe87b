//! Symbolic links among the originals: the index never follows them, so a link cannot bring one
//! user's photos, or files from outside ORIGINALS_PATH, into another user's library.

use std::os::unix::fs::symlink;

use serde_json::Value;

use crate::helpers::{camera_jpeg, client, file_rows, run_index, spawn_app, write_original};

#[tokio::test]
async fn links_in_bobs_folder_to_alices_photo_and_to_files_outside_the_originals_are_not_indexed() {
    let app = spawn_app().await;
    app.add_user("alice", "alice password 1", "user").await;
    app.add_user("bob", "bob password 1", "user").await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "alice/2020/private.jpg", &camera_jpeg(71));
    write_original(&app, "bob/2020/own.jpg", &camera_jpeg(72));
    let outside = app.storage.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.jpg"), camera_jpeg(73)).unwrap();
    let bob_dir = app.originals_path().join("bob");
    symlink(app.originals_path().join("alice/2020/private.jpg"), bob_dir.join("alices.jpg")).unwrap();
    symlink(outside.join("secret.jpg"), bob_dir.join("secret.jpg")).unwrap();
    symlink(&outside, bob_dir.join("elsewhere")).unwrap();
    symlink(app.originals_path().join("alice"), bob_dir.join("alice")).unwrap();

    run_index(&app, &csrf).await;

    let bob = app.with_client(client());
    assert_eq!(bob.sign_in("bob", "bob password 1").await.status(), 200);
    let v: Value = bob.photos("").await.json().await.unwrap();
    let bobs = v["photos"].as_array().unwrap();
    assert_eq!(bobs.len(), 1, "only bob's own photo: {v}");
    let paths: Vec<String> = file_rows(&app).await.into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(paths, ["alice/2020/private.jpg", "bob/2020/own.jpg"], "links are not followed");
}
