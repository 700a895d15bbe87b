//! WebDAV clients as they really sync: PhotoSync's sequence with Nextcloud's `X-OC-MTime` and
//! `X-Favorite` headers.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_photosync_like_sequence_keeps_the_sent_mtime_marks_the_favourite_and_makes_no_duplicates() {
    let p = party().await;
    let secret = p.bob.app_password("PhotoSync").await;
    let bob = ("bob", secret.as_str());
    let r = dav_request(&p.app, "PROPFIND", "/originals/", bob).header("Depth", "1").send().await.unwrap();
    assert_eq!(r.status(), 207, "PhotoSync looks at the target folder first");
    for folder in ["/originals/Phone", "/originals/Phone/2024", "/originals/Phone/2024/05"] {
        assert_eq!(dav(&p.app, "MKCOL", folder, bob, None).await.status(), 201, "{folder}");
    }
    let photo = camera_jpeg(31);
    let put = |bytes: Vec<u8>, name: &str, favorite: bool| {
        let r = dav_request(&p.app, "PUT", &format!("/originals/Phone/2024/05/{name}"), bob)
            .header("X-OC-MTime", "1715000000")
            .body(bytes);
        if favorite { r.header("X-Favorite", "1") } else { r }
    };
    let r = put(photo.clone(), "IMG_0001.JPG", true).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers().get("x-oc-mtime").map(|v| v.to_str().unwrap()), Some("accepted"), "as Nextcloud answers");
    let stored = p.app.originals_path().join("bob/Phone/2024/05/IMG_0001.JPG");
    assert_eq!(mtime_secs(&stored), 1_715_000_000, "the time the phone sent, not the time of arrival");
    assert_eq!(std::fs::read(&stored).unwrap(), photo);
    let photos = wait_for_timeline(&p.bob, 1).await;
    let id = photos[0]["id"].as_i64().unwrap();
    eventually("the photo marked a favourite", || async {
        let v: Value = p.bob.photo(id).await.json().await.unwrap();
        v["favorite"] == true
    })
    .await;

    // The next sync sends the same photo again, and one new one.
    let r = put(photo.clone(), "IMG_0001.JPG", false).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(put(camera_jpeg(32), "IMG_0002.JPG", false).send().await.unwrap().status(), 201);
    let photos = wait_for_timeline(&p.bob, 2).await;
    assert_eq!(photos.len(), 2, "the photo sent again is not a second photo");
    assert_eq!(mtime_secs(&stored), 1_715_000_000);
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT path, status FROM files WHERE path LIKE 'bob/%' ORDER BY path")
            .fetch_all(&p.app.db)
            .await
            .unwrap();
    let want = [("bob/Phone/2024/05/IMG_0001.JPG", "indexed"), ("bob/Phone/2024/05/IMG_0002.JPG", "indexed")];
    assert_eq!(rows, want.map(|(a, b)| (a.to_string(), b.to_string())));
    let v: Value = p.bob.photo(id).await.json().await.unwrap();
    assert_eq!(v["favorite"], true, "still the same photo, still a favourite");
}

#[tokio::test]
async fn a_put_with_a_bad_x_oc_mtime_is_refused_before_anything_is_written() {
    let p = party().await;
    let secret = p.bob.app_password("PhotoSync").await;
    for bad in ["yesterday", "-5", "1e300"] {
        let r = dav_request(&p.app, "PUT", "/originals/bad.jpg", ("bob", &secret))
            .header("X-OC-MTime", bad)
            .body(camera_jpeg(33))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.text().await.unwrap().contains("seconds since 1970"), "the answer says what to send");
        assert!(!p.app.originals_path().join("bob/bad.jpg").exists(), "{bad}: nothing written");
    }
}

#[tokio::test]
async fn a_favourite_put_into_the_import_inbox_is_stored_as_a_favourite_with_the_sent_mtime() {
    let p = party().await;
    let secret = p.bob.app_password("PhotoSync").await;
    let photo = dated_jpeg("2022:03:04 05:06:07", 34);
    let r = dav_request(&p.app, "PUT", "/import/IMG_0100.jpg", ("bob", &secret))
        .header("X-OC-MTime", "1646370367")
        .header("X-Favorite", "1")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers().get("x-oc-mtime").map(|v| v.to_str().unwrap()), Some("accepted"));
    let photos = wait_for_timeline(&p.bob, 1).await;
    let id = photos[0]["id"].as_i64().unwrap();
    eventually("the photo marked a favourite", || async {
        let v: Value = p.bob.photo(id).await.json().await.unwrap();
        v["favorite"] == true
    })
    .await;
    let stored = p.app.originals_path().join("bob/2022/03/IMG_0100.jpg");
    assert_eq!(std::fs::read(&stored).unwrap(), photo, "stored like an upload");
    assert_eq!(mtime_secs(&stored), 1_646_370_367, "with the time the phone sent");
}

#[tokio::test]
async fn rclone_syncs_a_folder_into_the_import_inbox_and_back_out_of_the_originals_byte_for_byte() {
    let p = party().await;
    let secret = p.bob.app_password("rclone on the laptop").await;
    let rclone = Rclone::new(&p.app, "bob", &secret).await;
    let pictures = tempfile::tempdir().unwrap();
    for (i, (folder, taken)) in
        [("Holiday", "2019:07:01 10:00:00"), ("Holiday", "2019:07:02 11:00:00"), ("Family", "2020:12:24 18:00:00")]
            .into_iter()
            .enumerate()
    {
        std::fs::create_dir_all(pictures.path().join(folder)).unwrap();
        std::fs::write(pictures.path().join(format!("{folder}/IMG_{i}.jpg")), dated_jpeg(taken, 40 + i as u64))
            .unwrap();
    }
    let source = pictures.path().to_str().unwrap();
    rclone.run(&["copy", source, "import:"]).await;
    let photos = wait_for_timeline(&p.bob, 3).await;
    assert_eq!(photos.len(), 3, "every photo in the timeline once");
    let inbox = p.app.originals_path().join(".shoebox-import/bob");
    eventually("the inbox emptied", || async { files_by_name(&inbox).is_empty() }).await;

    // Back out of /originals/: the same bytes, in the dated folders the library chose.
    let out = tempfile::tempdir().unwrap();
    rclone.run(&["copy", "originals:", out.path().to_str().unwrap()]).await;
    let (got, sent) = (files_by_name(out.path()), files_by_name(pictures.path()));
    assert!(got == sent, "byte-identical downloads: got {:?}, sent {:?}", sizes(&got), sizes(&sent));
    assert!(out.path().join("2019/07/IMG_0.jpg").exists() && out.path().join("2020/12/IMG_2.jpg").exists());

    // A folder synced into /originals/ as it is, then checked byte for byte over WebDAV.
    let more = tempfile::tempdir().unwrap();
    for i in 0..3u64 {
        std::fs::write(more.path().join(format!("scan_{i}.jpg")), camera_jpeg(50 + i)).unwrap();
    }
    let more_source = more.path().to_str().unwrap();
    rclone.run(&["sync", more_source, "originals:Scans"]).await;
    let checked = rclone.run(&["check", "--download", more_source, "originals:Scans"]).await;
    assert!(checked.contains("0 differences found") && checked.contains("3 matching files"), "{checked}");
    let photos = wait_for_timeline(&p.bob, 6).await;
    assert_eq!(photos.len(), 6);
}
