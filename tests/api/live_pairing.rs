//! Live Photos paired by Apple's ContentIdentifier (a still and a clip of one owner with the same
//! identifier, in any folders under any names) and by base name in any ASCII case; a still and a
//! clip that carry different identifiers are two items even with the same name.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, content_id, edited_live_clip_mov_with_id, live_clip_mov, live_clip_mov_with_id, live_still_heic,
    live_still_heic_with_id, live_still_jpeg, live_still_jpeg_with_id, photos, run_index, spawn_app, upload_photos,
    write_original,
};

/// (path, role, content_id) of every indexed file, by path.
async fn files(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT path, role, content_id FROM files WHERE status = 'indexed' ORDER BY path")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

fn file(path: &str, role: &str, id: Option<&str>) -> (String, String, Option<String>) {
    (path.to_string(), role.to_string(), id.map(str::to_string))
}

/// Rows of the photos table: a clip that joined a still has none of its own.
async fn photo_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM photos").fetch_one(&app.db).await.unwrap()
}

async fn only_photo(app: &TestApp) -> Value {
    let list = photos(app).await;
    assert_eq!(list.len(), 1, "one item: {list:?}");
    app.photo(list[0]["id"].as_i64().unwrap()).await.json().await.unwrap()
}

/// The media types of every item, sorted.
async fn kinds(app: &TestApp) -> Vec<String> {
    let mut kinds: Vec<String> =
        photos(app).await.iter().map(|p| p["media_type"].as_str().unwrap().to_string()).collect();
    kinds.sort();
    kinds
}

async fn rescan(app: &TestApp, csrf: &str) {
    let r = app
        .client
        .post(app.url("/api/v1/index"))
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({ "rescan": true }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    crate::helpers::wait_for_index(app).await;
}

#[tokio::test]
async fn a_renamed_clip_in_another_folder_joins_the_still_indexed_before_it_by_content_identifier() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let id = content_id(1);
    write_original(&app, "Exports/Holiday at the lake.jpg", &live_still_jpeg_with_id(1, &id, false));
    run_index(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "image");
    assert_eq!(files(&app).await, [file("Exports/Holiday at the lake.jpg", "primary", Some(&id))]);

    let clip = live_clip_mov_with_id(&id);
    write_original(&app, "Clips/IMG_E0042.MOV", &clip);
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live", "{p}");
    assert_eq!(p["format"], "jpeg", "{p}");
    assert_eq!(p["duration_ms"], 2000, "{p}");
    let expected = [
        file("Clips/IMG_E0042.MOV", "motion", Some(&id)),
        file("Exports/Holiday at the lake.jpg", "primary", Some(&id)),
    ];
    assert_eq!(files(&app).await, expected);
    assert_eq!(photo_rows(&app).await, 1);
    let r = app.get(p["video"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), clip.as_slice(), "the clip plays under the still's hash");

    // A rescan reads both again and keeps the pair.
    rescan(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "live");
    assert_eq!(files(&app).await, expected);

    // Removing the clip undoes the pair.
    let video = p["video"].as_str().unwrap().to_string();
    std::fs::remove_file(app.originals_path().join("Clips/IMG_E0042.MOV")).unwrap();
    run_index(&app, &csrf).await;
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "image", "{p}");
    assert_eq!(app.get(&video).await.status(), 404);
}

#[tokio::test]
async fn a_heic_still_indexed_after_its_renamed_clip_in_another_folder_takes_it_by_content_identifier() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let id = content_id(2);
    write_original(&app, "videos/clip 1.mov", &live_clip_mov_with_id(&id));
    run_index(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "video", "alone, the clip is a video");

    write_original(&app, "photos/2024/IMG_0100.HEIC", &live_still_heic_with_id(2, &id));
    let summary = run_index(&app, &csrf).await;
    assert_eq!(summary["skipped"], 0, "{summary}");
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live", "{p}");
    assert_eq!(p["format"], "heic", "the still is what is shown: {p}");
    assert_eq!(
        files(&app).await,
        [file("photos/2024/IMG_0100.HEIC", "primary", Some(&id)), file("videos/clip 1.mov", "motion", Some(&id))],
        "heif-enc carried the MakerNote into the HEIC"
    );
    assert_eq!(photo_rows(&app).await, 1, "the clip's own photo is gone");

    // Removing the still leaves the clip a video of its own again.
    std::fs::remove_file(app.originals_path().join("photos/2024/IMG_0100.HEIC")).unwrap();
    run_index(&app, &csrf).await;
    run_index(&app, &csrf).await;
    assert_eq!(only_photo(&app).await["media_type"], "video");
    assert!(files(&app).await.contains(&file("videos/clip 1.mov", "primary", Some(&id))));
}

#[tokio::test]
async fn an_uploaded_still_and_its_clip_renamed_by_an_export_are_one_live_photo_and_the_clip_uploaded_again_finds_it() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let id = content_id(3);
    // A little-endian MakerNote, as some editing tools rewrite it.
    let ids = upload_photos(&app, &csrf, &[("IMG_1234.JPG", live_still_jpeg_with_id(3, &id, true))]).await;
    let clip = live_clip_mov_with_id(&id);
    let r: Value = app.upload(&csrf, &[("IMG_1234 (1).MOV", clip.clone())]).await.json().await.unwrap();
    let answer = &r["files"][0];
    assert_eq!(answer["photo_id"].as_i64(), Some(ids[0]), "the clip joins the still's photo: {r}");
    // Stored, as a file of that photo: not "existing", which tells the uploader nothing was stored.
    assert_eq!((&answer["result"], &answer["path"]), (&json!("joined"), &json!("admin/2024/05/IMG_1234 (1).MOV")));
    let p = only_photo(&app).await;
    assert_eq!(p["media_type"], "live", "{p}");
    let expected = [
        file("admin/2024/05/IMG_1234 (1).MOV", "motion", Some(&id)),
        file("admin/2024/05/IMG_1234.JPG", "primary", Some(&id)),
    ];
    assert_eq!(files(&app).await, expected);

    let r: Value = app.upload(&csrf, &[("IMG_1234 (1).MOV", clip)]).await.json().await.unwrap();
    let answer = &r["files"][0];
    assert_eq!(answer["photo_id"].as_i64(), Some(ids[0]), "the same clip again finds the photo it joined: {r}");
    assert_eq!(answer["result"], "existing", "{r}");
    assert_eq!(files(&app).await, expected, "and is not stored a second time");
}

#[tokio::test]
async fn base_names_that_differ_only_in_case_pair_whichever_arrives_first() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // The stills carry no identifier: the name decides.
    write_original(&app, "a/Img_7.heic", &live_still_heic(7));
    write_original(&app, "b/img_8.MOV", &live_clip_mov("libx264"));
    run_index(&app, &csrf).await;
    assert_eq!(kinds(&app).await, ["image", "video"]);

    write_original(&app, "a/IMG_7.Mov", &live_clip_mov("libx264"));
    write_original(&app, "b/IMG_8.jpg", &live_still_jpeg(8));
    run_index(&app, &csrf).await;
    assert_eq!(kinds(&app).await, ["live", "live"]);
    let roles: Vec<(String, String)> = files(&app).await.into_iter().map(|(path, role, _)| (path, role)).collect();
    let expected =
        [("a/IMG_7.Mov", "motion"), ("a/Img_7.heic", "primary"), ("b/IMG_8.jpg", "primary"), ("b/img_8.MOV", "motion")];
    assert_eq!(roles, expected.map(|(p, r)| (p.to_string(), r.to_string())));
    assert_eq!(photo_rows(&app).await, 2);
}

#[tokio::test]
async fn a_still_and_a_clip_with_the_same_name_but_different_identifiers_stay_two_items() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let (a, b, c, d) = (content_id(10), content_id(11), content_id(12), content_id(13));
    write_original(&app, "x/IMG_0009.JPG", &live_still_jpeg_with_id(9, &a, false));
    write_original(&app, "y/IMG_0009.MOV", &live_clip_mov_with_id(&c));
    run_index(&app, &csrf).await;
    write_original(&app, "x/IMG_0009.MOV", &live_clip_mov_with_id(&b));
    write_original(&app, "y/IMG_0009.HEIC", &live_still_heic_with_id(10, &d));
    run_index(&app, &csrf).await;

    assert_eq!(kinds(&app).await, ["image", "image", "video", "video"]);
    let roles: Vec<String> = files(&app).await.into_iter().map(|(_, role, _)| role).collect();
    assert_eq!(roles, ["primary"; 4], "no file is another's clip");
}

#[tokio::test]
async fn a_clip_does_not_join_another_owners_still_with_the_same_content_identifier() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    app.add_user("bob", crate::helpers::PASSWORD, "user").await;
    let id = content_id(20);
    write_original(&app, "bob/IMG_0020.JPG", &live_still_jpeg_with_id(20, &id, false));
    write_original(&app, "IMG_0020.MOV", &live_clip_mov_with_id(&id));
    run_index(&app, &csrf).await;
    let owners: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.username, p.media_type FROM photos p JOIN users u ON u.id = p.owner_id ORDER BY u.username",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(owners, [("admin".to_string(), "video".to_string()), ("bob".to_string(), "image".to_string())]);
}

#[tokio::test]
async fn a_still_sent_to_the_webdav_inbox_and_its_renamed_clip_put_in_another_folder_are_one_live_photo() {
    let p = crate::helpers::party().await;
    let secret = p.bob.app_password("PhotoSync").await;
    let bob = ("bob", secret.as_str());
    let id = content_id(30);
    let dav = crate::helpers::dav;
    assert_eq!(dav(&p.app, "MKCOL", "/import/Phone", bob, None).await.status(), 201);
    let r = dav(&p.app, "PUT", "/import/Phone/IMG_0030.HEIC", bob, Some(live_still_heic_with_id(30, &id))).await;
    assert!(r.status().is_success(), "{}", r.status());
    crate::helpers::wait_for_timeline(&p.bob, 1).await;

    assert_eq!(dav(&p.app, "MKCOL", "/originals/Clips", bob, None).await.status(), 201);
    let r = dav(&p.app, "PUT", "/originals/Clips/Lake walk.mov", bob, Some(live_clip_mov_with_id(&id))).await;
    assert!(r.status().is_success(), "{}", r.status());
    let person = &p.bob;
    crate::helpers::eventually("the clip joins the still", || async move {
        let v: Value = person.photos("").await.json().await.unwrap();
        let list = v["photos"].as_array().unwrap();
        list.len() == 1 && list[0]["media_type"] == "live"
    })
    .await;
    assert_eq!(
        files(&p.app).await,
        [file("bob/2024/05/IMG_0030.HEIC", "primary", Some(&id)), file("bob/Clips/Lake walk.mov", "motion", Some(&id))]
    );
}

#[tokio::test]
async fn an_edited_copy_and_its_original_sharing_one_identifier_each_keep_the_clip_of_their_own_name() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // An iCloud export of an edited Live Photo: the original and the edit (IMG_E…) both carry the
    // shot's identifier, and so do both clips. Folder `a` gets its clips first, `b` its stills.
    // The edit's clip is indexed before the original's, so the first still to arrive meets it
    // first: it must still pick the clip of its own name.
    let (a, b) = (content_id(40), content_id(41));
    write_original(&app, "a/IMG_E1240.MOV", &edited_live_clip_mov_with_id(&a));
    write_original(&app, "b/IMG_1241.HEIC", &live_still_heic_with_id(41, &b));
    write_original(&app, "b/IMG_E1241.JPG", &live_still_jpeg_with_id(42, &b, false));
    run_index(&app, &csrf).await;
    write_original(&app, "a/IMG_1240.MOV", &live_clip_mov_with_id(&a));
    run_index(&app, &csrf).await;
    write_original(&app, "a/IMG_1240.HEIC", &live_still_heic_with_id(40, &a));
    write_original(&app, "a/IMG_E1240.JPG", &live_still_jpeg_with_id(43, &a, false));
    write_original(&app, "b/IMG_1241.MOV", &live_clip_mov_with_id(&b));
    write_original(&app, "b/IMG_E1241.MOV", &edited_live_clip_mov_with_id(&b));
    run_index(&app, &csrf).await;

    assert_eq!(kinds(&app).await, ["live"; 4]);
    let pairs: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.path, m.path FROM files s JOIN files m ON m.photo_id = s.photo_id AND m.role = 'motion' \
         WHERE s.role = 'primary' ORDER BY s.path",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let expected = [
        ("a/IMG_1240.HEIC", "a/IMG_1240.MOV"),
        ("a/IMG_E1240.JPG", "a/IMG_E1240.MOV"),
        ("b/IMG_1241.HEIC", "b/IMG_1241.MOV"),
        ("b/IMG_E1241.JPG", "b/IMG_E1241.MOV"),
    ];
    assert_eq!(pairs, expected.map(|(s, m)| (s.to_string(), m.to_string())));
    assert_eq!(photo_rows(&app).await, 4);
}

#[tokio::test]
async fn a_live_photo_uploaded_then_rescanned_and_deleted_for_good_takes_both_uploaded_files_off_the_disk() {
    let p = crate::helpers::party().await;
    let id = content_id(50);
    let clip = ("Lake walk.MOV", live_clip_mov_with_id(&id));
    let ids = p.alice.upload(&[("IMG_0050.HEIC", live_still_heic_with_id(50, &id)), clip]).await;
    assert_eq!(ids[0], ids[1], "one live photo");
    // A rescan records both files again: they stay uploads of their owner.
    assert_eq!(p.admin.rescan().await.status(), 202);
    run_index(&p.app, &p.admin.csrf).await;
    let uploaded: Vec<(String, String, bool)> =
        sqlx::query_as("SELECT path, role, uploaded FROM files ORDER BY path").fetch_all(&p.app.db).await.unwrap();
    let expected = [("alice/2024/05/IMG_0050.HEIC", "primary"), ("alice/2024/05/Lake walk.MOV", "motion")];
    assert_eq!(uploaded, expected.map(|(path, role)| (path.to_string(), role.to_string(), true)));

    assert_eq!(p.alice.batch("trash", &[ids[0]]).await.status(), 200);
    let r = p.alice.empty_trash().await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, serde_json::json!({ "photos": 1, "files_deleted": 2, "files_kept": 0 }));
    for (path, _) in expected {
        assert!(!p.app.originals_path().join(path).exists(), "{path} is deleted");
    }
}
