//! Files put into the originals folder by anything else (SMB, Syncthing, `cp`) are noticed by the
//! folder watch and indexed within seconds, without "Index now" and without INDEX_INTERVAL.

use crate::helpers::*;

#[tokio::test]
async fn a_file_copied_into_the_originals_folder_shows_in_the_timeline_without_index_now_or_index_interval() {
    let app = spawn_app_with(&[("INDEX_INTERVAL", "0")]).await;
    let csrf = app.sign_in_admin().await;
    let admin = Person { app: app.with_client(app.client.clone()), csrf };
    wait_for_index(&app).await;
    // After the startup index, nothing but the watch can start another run.
    write_original(&app, "admin/Syncthing/2024/copied.jpg", &camera_jpeg(61));
    let photos = wait_for_timeline(&admin, 1).await;
    assert_eq!(photos.len(), 1);
    let rows = file_rows(&app).await;
    assert!(
        rows.iter().any(|(path, status, _)| path == "admin/Syncthing/2024/copied.jpg" && status == "indexed"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_copy_of_many_files_into_the_originals_is_one_index_run() {
    let app = spawn_app_with(&[("INDEX_INTERVAL", "0")]).await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    // Files the index skips cheaply (not pictures), so the count, not decoding, is what is measured.
    let n = 300;
    for i in 0..n {
        write_original(&app, &format!("admin/notes/{i:03}.txt"), format!("note {i}").as_bytes());
    }
    eventually("every copied file indexed", || async { file_rows(&app).await.len() == n }).await;
    let summary = wait_for_index(&app).await;
    assert_eq!(summary["skipped"], n, "one run saw them all, none before it and none after: {summary}");
    let rows = file_rows(&app).await;
    assert!(rows.iter().all(|(_, status, reason)| status == "skipped" && !reason.is_empty()), "{:?}", &rows[..3]);
}
