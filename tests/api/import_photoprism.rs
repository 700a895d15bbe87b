//! `shoebox import photoprism`: PhotoPrism's sidecars and album backups, written here the way
//! PhotoPrism writes them (gopkg.in/yaml.v2 output of its photo and album entities), carried over
//! to the photos indexed from the same originals, and seen through the API.

use std::path::Path;

use serde_json::Value;

use crate::helpers::*;

/// A sidecar as PhotoPrism writes it for a photo whose title, caption, date and place were set by
/// hand, marked favourite and private, with keywords and notes.
const CURATED: &str = "\
TakenAt: 2019-12-24T17:30:00Z
TakenAtLocal: 2019-12-24T18:30:00Z
TakenSrc: manual
UID: pq8lb3wpsx0hmkfk
Type: image
Title: Lake Sunset
TitleSrc: manual
Description: Our first evening at the lake
DescriptionSrc: manual
OriginalName: IMG_0001
Favorite: true
Private: true
TimeZone: Europe/Berlin
PlaceSrc: manual
CellAccuracy: 100
Altitude: 34
Lat: 52.52
Lng: 13.405
Year: 2019
Month: 12
Day: 24
ISO: 100
Exposure: 1/250
FNumber: 5.6
FocalLength: 35
Quality: 4
Details:
  Keywords: lake, sunset
  KeywordsSrc: manual
  Notes: Taken from the pier.
  NotesSrc: manual
CreatedAt: 2020-04-01T10:00:00Z
UpdatedAt: 2020-04-02T10:00:00Z
EditedAt: 2020-04-02T10:00:00Z
";

/// PhotoPrism's own guesses (a title from the place, the date from the file) and an archived
/// photo (archived photos are soft-deleted in PhotoPrism).
const ARCHIVED: &str = "\
TakenAt: 2020-03-28T14:06:00Z
TakenAtLocal: 2020-03-28T16:06:00Z
TakenSrc: meta
UID: pq8lb3wpsx0hmkfl
Type: image
Title: Zürich / 2020
Year: 2020
Month: 3
Day: 28
Details:
  Keywords: zurich, switzerland
  KeywordsSrc: auto
CreatedAt: 2020-04-01T10:00:00Z
UpdatedAt: 2020-04-02T10:00:00Z
DeletedAt: 2021-01-10T09:00:00Z
";

const PLAIN: &str = "\
TakenAt: 2020-03-29T10:00:00Z
TakenAtLocal: 2020-03-29T12:00:00Z
TakenSrc: meta
UID: pq8lb3wpsx0hmkfm
Type: image
Title: \"\"
Year: 2020
Month: 3
Day: 29
Details:
  Keywords: \"\"
CreatedAt: 2020-04-01T10:00:00Z
UpdatedAt: 2020-04-01T10:00:00Z
";

/// A sidecar PhotoPrism wrote next to its original (PHOTOPRISM_SIDECAR_YAML with the originals).
const BESIDE: &str = "\
TakenAt: 2020-03-29T10:00:00Z
TakenAtLocal: 2020-03-29T12:00:00Z
TakenSrc: meta
UID: pq8lb3wpsx0hmkfm
Type: image
Title: Breakfast
TitleSrc: manual
Favorite: true
Year: 2020
Month: 3
Day: 29
Details:
  Keywords: \"\"
CreatedAt: 2020-04-01T10:00:00Z
UpdatedAt: 2020-04-03T10:00:00Z
";

/// An album backup (`backup/albums/album/<uid>.yml`), shaped like PhotoPrism's test data
/// `internal/entity/testdata/album/as6sg6bxpoaaaaaa.yml`: one photo taken out of the album
/// (Hidden), one whose photo is not in this library.
const BERLIN: &str = "\
UID: as6sg6bxpoaaaaaa
Slug: berlin-2020
Type: album
Title: Berlin 2020
Description: We still love Berlin!
Order: oldest
Country: zz
CreatedAt: 2019-07-01T00:00:00Z
UpdatedAt: 2020-02-01T00:00:00Z
Photos:
- UID: pq8lb3wpsx0hmkfk
  CreatedAt: 2020-02-06T02:06:51Z
- UID: pq8lb3wpsx0hmkfm
  CreatedAt: 2020-02-06T02:07:51Z
- UID: pq8lb3wpsx0hmkfl
  Hidden: true
  CreatedAt: 2020-02-06T02:08:51Z
- UID: ps6sg6be2lvl0yh8
  CreatedAt: 2020-02-06T02:06:51Z
";

/// The same kind of backup in the older location (`albums/album/`).
const OLD_ALBUM: &str = "\
UID: as6sg6bxpoaaaaab
Slug: archive-finds
Type: album
Title: Archive finds
Order: newest
CreatedAt: 2019-07-01T00:00:00Z
UpdatedAt: 2020-02-01T00:00:00Z
Photos:
- UID: pq8lb3wpsx0hmkfl
  CreatedAt: 2020-02-06T02:06:51Z
";

const FOLDER_ALBUM: &str = "\
UID: as6sg6bxpoaaaaac
Slug: 2020-03
Path: 2020/03
Type: folder
Title: March 2020
Filter: path:\"2020/03\" public:true
Order: added
CreatedAt: 2020-04-01T10:00:00Z
UpdatedAt: 2020-04-01T10:00:00Z
";

const MOMENT_ALBUM: &str = "\
UID: as6sg6bxpoaaaaad
Slug: lake
Type: moment
Title: Lake
Filter: label:lake
Order: newest
CreatedAt: 2020-04-01T10:00:00Z
UpdatedAt: 2020-04-01T10:00:00Z
";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A PhotoPrism storage folder: sidecars for three photos, two albums, two automatic views.
fn photoprism_storage() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "sidecar/2020/03/IMG_0001.yml", CURATED);
    write(root, "sidecar/2020/03/IMG_0002.yml", ARCHIVED);
    write(root, "sidecar/2020/03/IMG_0003.yml", PLAIN);
    write(root, "backup/albums/album/as6sg6bxpoaaaaaa.yml", BERLIN);
    write(root, "albums/album/as6sg6bxpoaaaaab.yml", OLD_ALBUM);
    write(root, "backup/albums/folder/as6sg6bxpoaaaaac.yml", FOLDER_ALBUM);
    write(root, "backup/albums/moment/as6sg6bxpoaaaaad.yml", MOMENT_ALBUM);
    dir
}

/// Every file under `root` with its bytes and modification time.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path().display().to_string(), std::fs::read(e.path()).unwrap(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A signed-in administrator with three photos under ORIGINALS_PATH/admin/2020/03, indexed.
async fn library_with_three_photos() -> TestApp {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    write_original(&app, "admin/2020/03/IMG_0001.jpg", &dated_jpeg("2020:03:28 15:06:00", 1));
    write_original(&app, "admin/2020/03/IMG_0002.jpg", &dated_jpeg("2020:03:28 16:06:00", 2));
    write_original(&app, "admin/2020/03/IMG_0003.jpg", &dated_jpeg("2020:03:29 12:00:00", 3));
    app
}

async fn photo_at(app: &TestApp, path: &str) -> Value {
    let id: i64 = sqlx::query_scalar("SELECT photo_id FROM files WHERE path = ?")
        .bind(path)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{path} is indexed: {e}"));
    let r = app.photo(id).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn album_titled(app: &TestApp, title: &str) -> Option<Value> {
    let v: Value = app.get("/api/v1/albums").await.json().await.unwrap();
    v["albums"].as_array().unwrap().iter().find(|a| a["title"] == title).cloned()
}

async fn album_photo_ids(app: &TestApp, album: i64) -> Vec<i64> {
    let v: Value = app.get(&format!("/api/v1/albums/{album}/photos")).await.json().await.unwrap();
    v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

/// Every row an import may touch, in full.
async fn curated_rows(app: &TestApp) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(
        "SELECT json_array(id, title, description, edited, favorite, private, archived_at, taken_at, taken_local, \
         taken_offset, taken_by_hand, latitude, longitude, altitude, place_by_hand, updated_at) FROM photos ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    rows.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT json_array(id, owner_id, title, description, sort_order, created_at, updated_at) FROM albums \
             ORDER BY id",
        )
        .fetch_all(&app.db)
        .await
        .unwrap(),
    );
    rows.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT json_array(album_id, photo_id, taken_at, added_at) FROM album_photos ORDER BY album_id, photo_id",
        )
        .fetch_all(&app.db)
        .await
        .unwrap(),
    );
    rows
}

#[tokio::test]
async fn a_photoprism_import_carries_titles_captions_flags_hand_set_dates_and_places_and_albums_into_the_api() {
    let app = library_with_three_photos().await;
    let pp = photoprism_storage();
    let before = snapshot(pp.path());

    let out = shoebox_ok(&app, &["import", "photoprism", pp.path().to_str().unwrap(), "--user", "admin"]);

    assert!(out.contains("indexed the originals first: 3 new photos"), "{out}");
    assert!(out.contains("3 sidecar files read, 3 photos matched, 2 changed, 1 unchanged"), "{out}");
    assert!(
        out.contains("fields applied: archived 1, date 1, description 1, favorite 1, place 1, private 1, title 1"),
        "{out}"
    );
    assert!(out.contains("albums: 2 created, 3 photos added, 0 unchanged"), "{out}");
    assert!(out.contains("albums skipped (PhotoPrism's automatic views, not albums): 1 folder, 1 moment"), "{out}");
    assert!(out.contains("backup/albums/album/as6sg6bxpoaaaaaa.yml: 1 of its photos matched no sidecar"), "{out}");

    let curated = photo_at(&app, "admin/2020/03/IMG_0001.jpg").await;
    assert_eq!(curated["title"], "Lake Sunset");
    assert_eq!(
        curated["description"], "Our first evening at the lake\n\nTaken from the pier.\n\nKeywords: lake, sunset",
        "caption, notes and hand-made keywords"
    );
    assert_eq!(curated["favorite"], true);
    assert_eq!(curated["archived_at"], Value::Null);
    assert_eq!(curated["taken_at"], 1_577_208_600, "the date set by hand, 2019-12-24T17:30:00Z");
    assert_eq!(curated["taken_local"], "2019-12-24T18:30:00");
    assert_eq!(curated["taken_offset"], "+01:00");
    assert_eq!((curated["latitude"].as_f64(), curated["longitude"].as_f64()), (Some(52.52), Some(13.405)));
    assert_eq!(curated["altitude"].as_f64(), Some(34.0));
    let private: Vec<(String, bool)> =
        sqlx::query_as("SELECT f.path, p.private FROM photos p JOIN files f ON f.photo_id = p.id ORDER BY f.path")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        private.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        vec![true, false, false],
        "only PhotoPrism's private photo is private: {private:?}"
    );

    let archived = photo_at(&app, "admin/2020/03/IMG_0002.jpg").await;
    assert_eq!(archived["archived_at"], 1_610_269_200, "archived when PhotoPrism archived it (2021-01-10T09:00:00Z)");
    assert_ne!(archived["title"], "Zürich / 2020", "PhotoPrism's made-up titles stay behind");
    assert_eq!(archived["taken_local"], "2020-03-28T16:06:00", "the file's own date");
    let archive: Value = app.photos("scope=archive").await.json().await.unwrap();
    assert_eq!(archive["photos"].as_array().unwrap().len(), 1);
    assert_eq!(archive["photos"][0]["id"], archived["id"]);
    let timeline: Value = app.photos("").await.json().await.unwrap();
    assert_eq!(timeline["photos"].as_array().unwrap().len(), 2, "the archived photo left the timeline");

    let berlin = album_titled(&app, "Berlin 2020").await.expect("the album is imported");
    assert_eq!(berlin["description"], "We still love Berlin!");
    assert_eq!(berlin["created_at"], 1_561_939_200, "created when it was in PhotoPrism");
    let plain = photo_at(&app, "admin/2020/03/IMG_0003.jpg").await;
    assert_eq!(berlin["sort_order"], "oldest", "PhotoPrism's order");
    assert_eq!(
        album_photo_ids(&app, berlin["id"].as_i64().unwrap()).await,
        vec![curated["id"].as_i64().unwrap(), plain["id"].as_i64().unwrap()],
        "its photos, oldest first, without the one taken out in PhotoPrism"
    );
    let added: Vec<(i64, i64)> =
        sqlx::query_as("SELECT photo_id, added_at FROM album_photos WHERE album_id = ? ORDER BY photo_id")
            .bind(berlin["id"].as_i64().unwrap())
            .fetch_all(&app.db)
            .await
            .unwrap();
    // Ids follow the order the index happened to read the files in.
    let mut expected =
        vec![(curated["id"].as_i64().unwrap(), 1_580_954_811), (plain["id"].as_i64().unwrap(), 1_580_954_871)];
    expected.sort();
    assert_eq!(
        added, expected,
        "added when they were put in the album in PhotoPrism (2020-02-06T02:06:51Z, 02:07:51Z)"
    );
    let old = album_titled(&app, "Archive finds").await.expect("an album from the older backup location");
    assert_eq!(old["sort_order"], "newest");
    assert_eq!(album_photo_ids(&app, old["id"].as_i64().unwrap()).await, vec![archived["id"].as_i64().unwrap()]);
    assert!(album_titled(&app, "March 2020").await.is_none(), "folders are not albums");
    assert!(album_titled(&app, "Lake").await.is_none(), "moments are not albums");

    assert_eq!(snapshot(pp.path()), before, "PhotoPrism's files are only read");
}

#[tokio::test]
async fn a_second_photoprism_import_changes_nothing_and_a_rescan_keeps_what_was_set_by_hand() {
    let app = library_with_three_photos().await;
    let pp = photoprism_storage();
    let args = ["import", "photoprism", pp.path().to_str().unwrap(), "--user", "admin"];
    shoebox_ok(&app, &args);
    let rows = curated_rows(&app).await;

    let again = shoebox_ok(&app, &args);
    assert!(again.contains("indexed the originals first: 0 new photos"), "{again}");
    assert!(again.contains("3 photos matched, 0 changed, 3 unchanged"), "{again}");
    assert!(again.contains("fields applied: none"), "{again}");
    assert!(again.contains("albums: 0 created, 0 photos added, 2 unchanged"), "{again}");
    assert_eq!(curated_rows(&app).await, rows, "not one row changed");

    let rescan = shoebox_ok(&app, &["index", "--rescan", "--json"]);
    assert!(rescan.contains("\"existing_photos\": 3"), "every file was read again: {rescan}");
    let curated = photo_at(&app, "admin/2020/03/IMG_0001.jpg").await;
    assert_eq!(curated["taken_at"], 1_577_208_600, "the date set by hand outlives the rescan");
    assert_eq!(curated["latitude"].as_f64(), Some(52.52), "so does the place");
    assert_eq!(curated["title"], "Lake Sunset", "and the title");
}

#[tokio::test]
async fn broken_yaml_unknown_fields_and_sidecars_without_an_original_are_reported_per_file_and_the_rest_is_imported() {
    let app = library_with_three_photos().await;
    let pp = tempfile::tempdir().unwrap();
    // Without --user, PhotoPrism's originals folder is ORIGINALS_PATH itself.
    write(pp.path(), "sidecar/admin/2020/03/IMG_0001.yml", &format!("{CURATED}Mood: happy\n"));
    write(pp.path(), "sidecar/admin/2020/03/IMG_0002.yml", "TakenAt: 2020-03-28T14:06:00Z\nTitle: [unclosed\n");
    write(pp.path(), "sidecar/admin/2020/03/IMG_0009.yml", PLAIN);
    write(pp.path(), "backup/albums/album/as6sg6bxpoaaaaaa.yml", BERLIN);
    write(pp.path(), "backup/albums/album/as6sg6bxpoaaaaaz.yml", "UID: as6sg6bxpoaaaaaz\nPhotos: {\n");
    // PhotoPrism set to write sidecars next to the originals.
    write_original(&app, "admin/2020/03/IMG_0003.yml", BESIDE.as_bytes());
    let before = snapshot(pp.path());

    let out = shoebox_ok(&app, &["import", "photoprism", pp.path().to_str().unwrap()]);

    assert!(out.contains("4 sidecar files read, 2 photos matched, 2 changed"), "{out}");
    assert!(
        out.contains("sidecar/admin/2020/03/IMG_0001.yml: unknown fields Mood (ignored; the rest was applied)"),
        "{out}"
    );
    assert!(out.contains("sidecar/admin/2020/03/IMG_0002.yml: broken YAML: "), "{out}");
    assert!(out.contains("; nothing of it was applied"), "{out}");
    assert!(
        out.contains("sidecar/admin/2020/03/IMG_0009.yml: matched no original: no indexed file admin/2020/03/IMG_0009.* under ORIGINALS_PATH"),
        "{out}"
    );
    assert!(out.contains("backup/albums/album/as6sg6bxpoaaaaaz.yml: broken YAML: "), "{out}");
    assert!(out.contains("problems (5):"), "{out}");

    let curated = photo_at(&app, "admin/2020/03/IMG_0001.jpg").await;
    assert_eq!((curated["title"].as_str(), curated["favorite"].as_bool()), (Some("Lake Sunset"), Some(true)));
    let broken = photo_at(&app, "admin/2020/03/IMG_0002.jpg").await;
    assert_eq!((broken["title"].as_str(), broken["favorite"].as_bool()), (Some(""), Some(false)), "untouched");
    let beside = photo_at(&app, "admin/2020/03/IMG_0003.jpg").await;
    assert_eq!((beside["title"].as_str(), beside["favorite"].as_bool()), (Some("Breakfast"), Some(true)));
    let berlin = album_titled(&app, "Berlin 2020").await.expect("the readable album is imported");
    assert_eq!(berlin["photo_count"], 2);
    assert_eq!(snapshot(pp.path()), before, "PhotoPrism's files are only read");
}

#[tokio::test]
async fn a_photoprism_dry_run_prints_what_would_change_and_changes_nothing() {
    let app = library_with_three_photos().await;
    shoebox_ok(&app, &["index"]);
    let pp = photoprism_storage();
    let rows = curated_rows(&app).await;

    let out = shoebox_ok(&app, &["import", "photoprism", pp.path().to_str().unwrap(), "--user", "admin", "--dry-run"]);

    assert!(out.starts_with("dry run: nothing was written\n"), "{out}");
    assert!(
        out.contains("  admin/2020/03/IMG_0001.jpg: title, description, favorite, private, date, place\n"),
        "{out}"
    );
    assert!(out.contains("  admin/2020/03/IMG_0002.jpg: archived\n"), "{out}");
    assert!(out.contains("  album \"Berlin 2020\": created with 2 photos, sorted oldest first\n"), "{out}");
    assert!(out.contains("3 photos matched, 2 would be changed, 1 unchanged"), "{out}");
    assert!(out.contains("albums: 2 would be created, 3 photos would be added"), "{out}");
    assert_eq!(curated_rows(&app).await, rows, "nothing was written");
    let albums: Value = app.get("/api/v1/albums").await.json().await.unwrap();
    assert_eq!(albums["albums"], serde_json::json!([]));
}

#[test]
fn a_photoprism_import_for_an_unknown_user_or_a_missing_folder_stops_with_what_to_do() {
    let storage = tempfile::tempdir().unwrap();
    let pp = tempfile::tempdir().unwrap();
    let out =
        run_shoebox_in(storage.path(), &["import", "photoprism", pp.path().to_str().unwrap(), "--user", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with("error: no user named \"nobody\": create the account first (shoebox users add)\n"),
        "{stderr}"
    );
    let out = run_shoebox_in(storage.path(), &["import", "photoprism", "/nonexistent/photoprism"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: /nonexistent/photoprism is not a folder: give PhotoPrism's storage folder"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An album whose cover was chosen by hand in PhotoPrism (`ThumbSrc: manual`), named as PhotoPrism
/// names it: the SHA-1 of the cover's file (here `{thumb}`).
fn album_with_cover(uid: &str, title: &str, thumb: &str, thumb_src: &str) -> String {
    format!(
        "UID: {uid}\nSlug: {uid}\nType: album\nTitle: {title}\nOrder: newest\nThumb: {thumb}\nThumbSrc: {thumb_src}\n\
         CreatedAt: 2020-04-01T10:00:00Z\nUpdatedAt: 2020-04-01T10:00:00Z\nPhotos:\n\
         - UID: pq8lb3wpsx0hmkfl\n  CreatedAt: 2020-04-01T10:00:00Z\n\
         - UID: pq8lb3wpsx0hmkfm\n  CreatedAt: 2020-04-01T10:00:00Z\n"
    )
}

#[tokio::test]
async fn a_cover_chosen_by_hand_in_photoprism_becomes_the_albums_cover_and_a_second_run_keeps_it() {
    use sha1::Digest;
    let app = library_with_three_photos().await;
    let pp = photoprism_storage();
    // IMG_0002 (UID …fl) is the older of the two photos: not the cover Shoebox would pick itself.
    let sha1 = |bytes: &[u8]| sha1::Sha1::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let chosen = sha1(&dated_jpeg("2020:03:28 16:06:00", 2));
    write(
        pp.path(),
        "backup/albums/album/as6sg6bxpoaaaaae.yml",
        &album_with_cover("as6sg6bxpoaaaaae", "Chosen", &chosen, "manual"),
    );
    write(
        pp.path(),
        "backup/albums/album/as6sg6bxpoaaaaaf.yml",
        &album_with_cover("as6sg6bxpoaaaaaf", "Picked", &chosen, "auto"),
    );
    let elsewhere = sha1(b"a file that is not in this library");
    write(
        pp.path(),
        "backup/albums/album/as6sg6bxpoaaaaag.yml",
        &album_with_cover("as6sg6bxpoaaaaag", "Gone", &elsewhere, "manual"),
    );

    shoebox_ok(&app, &["index"]);
    let dry = shoebox_ok(&app, &["import", "photoprism", pp.path().to_str().unwrap(), "--user", "admin", "--dry-run"]);
    assert!(dry.contains("album \"Chosen\": created with 2 photos and its cover"), "{dry}");
    assert!(
        dry.contains("album \"Picked\": created with 2 photos, sorted newest first\n"),
        "no cover of PhotoPrism's own pick: {dry}"
    );
    let out = shoebox_ok(&app, &["import", "photoprism", pp.path().to_str().unwrap(), "--user", "admin"]);
    assert!(out.contains("albums: 5 created, 9 photos added, 0 unchanged"), "{out}");
    assert!(!out.contains("dry run"), "{out}");
    assert!(
        out.contains(&format!("as6sg6bxpoaaaaag.yml: its cover (Thumb {elsewhere}) is none of its photos here")),
        "{out}"
    );
    let cover_of = |title: &'static str| {
        let app = &app;
        async move { album_titled(app, title).await.unwrap_or_else(|| panic!("album {title}")) }
    };
    let img2 = photo_at(&app, "admin/2020/03/IMG_0002.jpg").await;
    let chosen_album = cover_of("Chosen").await;
    assert_eq!(chosen_album["cover_photo_id"], img2["id"], "{chosen_album}");
    assert_eq!(chosen_album["cover_hash"], img2["hash"]);
    // PhotoPrism's own pick, and a cover that is not here: Shoebox's newest photo.
    let img3 = photo_at(&app, "admin/2020/03/IMG_0003.jpg").await;
    for title in ["Picked", "Gone"] {
        let a = cover_of(title).await;
        assert_eq!(
            (a["cover_photo_id"].clone(), a["cover_hash"].clone()),
            (Value::Null, img3["hash"].clone()),
            "{title}"
        );
    }

    // Chosen again in Shoebox, it stays; a second run changes nothing.
    let id = chosen_album["id"].as_i64().unwrap();
    sqlx::query("UPDATE albums SET cover_photo_id = ? WHERE id = ?")
        .bind(img3["id"].as_i64())
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let again = shoebox_ok(&app, &["import", "photoprism", pp.path().to_str().unwrap(), "--user", "admin"]);
    assert!(again.contains("albums: 0 created, 0 photos added, 5 unchanged"), "{again}");
    assert_eq!(cover_of("Chosen").await["cover_photo_id"], img3["id"]);
}

/// An album backup with PhotoPrism's `Order: {order}` (no `Order` line at all for None, as
/// PhotoPrism wrote before it stored one).
fn album_in_order(uid: &str, title: &str, order: Option<&str>) -> String {
    let order = order.map(|o| format!("Order: {o}\n")).unwrap_or_default();
    format!(
        "UID: {uid}\nSlug: {uid}\nType: album\nTitle: {title}\n{order}CreatedAt: 2020-04-01T10:00:00Z\n\
         UpdatedAt: 2020-04-01T10:00:00Z\nPhotos:\n\
         - UID: pq8lb3wpsx0hmkfk\n  CreatedAt: 2021-03-01T00:00:00Z\n\
         - UID: pq8lb3wpsx0hmkfl\n  CreatedAt: 2021-01-01T00:00:00Z\n\
         - UID: pq8lb3wpsx0hmkfm\n  CreatedAt: 2021-02-01T00:00:00Z\n"
    )
}

#[tokio::test]
async fn photoprism_album_orders_carry_over_as_the_nearest_shoebox_has_and_a_second_run_keeps_the_owners_choice() {
    let app = library_with_three_photos().await;
    let pp = tempfile::tempdir().unwrap();
    let root = pp.path();
    write(root, "sidecar/2020/03/IMG_0001.yml", CURATED);
    write(root, "sidecar/2020/03/IMG_0002.yml", ARCHIVED);
    write(root, "sidecar/2020/03/IMG_0003.yml", PLAIN);
    for (uid, title, order) in [
        ("as6sg6bxpoaaaab1", "Added", Some("added")),
        ("as6sg6bxpoaaaab2", "Imported", Some("imported")),
        ("as6sg6bxpoaaaab3", "Unsorted", None),
        ("as6sg6bxpoaaaab4", "By title", Some("title")),
        ("as6sg6bxpoaaaab5", "Edited", Some("edited")),
        ("as6sg6bxpoaaaab6", "Relevance", Some("relevance")),
    ] {
        write(root, &format!("backup/albums/album/{uid}.yml"), &album_in_order(uid, title, order));
    }
    let args = ["import", "photoprism", root.to_str().unwrap(), "--user", "admin"];
    let out = shoebox_ok(&app, &args);
    assert!(out.contains("albums: 6 created, 18 photos added, 0 unchanged"), "{out}");
    for (file, order, nearest) in [
        ("as6sg6bxpoaaaab4", "title", "newest first"),
        ("as6sg6bxpoaaaab5", "edited", "recently added first"),
        ("as6sg6bxpoaaaab6", "relevance", "newest first"),
    ] {
        let line = format!(
            "backup/albums/album/{file}.yml: PhotoPrism's order \"{order}\" is not one Shoebox has; the album is sorted {nearest} (the nearest)"
        );
        assert!(out.contains(&line), "{line}\n{out}");
    }
    assert_eq!(out.matches("is not one Shoebox has").count(), 3, "only for the orders Shoebox lacks: {out}");

    let [k, l, m] = [
        photo_at(&app, "admin/2020/03/IMG_0001.jpg").await["id"].as_i64().unwrap(),
        photo_at(&app, "admin/2020/03/IMG_0002.jpg").await["id"].as_i64().unwrap(),
        photo_at(&app, "admin/2020/03/IMG_0003.jpg").await["id"].as_i64().unwrap(),
    ];
    // Taken: k 2019-12-24 (set by hand), l 2020-03-28, m 2020-03-29. Put in the album: l, m, k.
    for (title, order, photos) in [
        ("Added", "added", vec![k, m, l]),
        ("Imported", "added", vec![k, m, l]),
        ("Unsorted", "oldest", vec![k, l, m]),
        ("By title", "newest", vec![m, l, k]),
        ("Edited", "added", vec![k, m, l]),
        ("Relevance", "newest", vec![m, l, k]),
    ] {
        let album = album_titled(&app, title).await.unwrap_or_else(|| panic!("album {title}"));
        assert_eq!(album["sort_order"], order, "{title}");
        assert_eq!(album_photo_ids(&app, album["id"].as_i64().unwrap()).await, photos, "{title}");
    }

    // The owner sorts an imported album differently; the next import keeps that and changes nothing.
    let added = album_titled(&app, "Added").await.unwrap();
    let csrf = app.session().await.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/albums/{}", added["id"])))
        .header("X-CSRF-Token", csrf)
        .json(&serde_json::json!({ "sort_order": "oldest" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rows = curated_rows(&app).await;
    let again = shoebox_ok(&app, &args);
    assert!(again.contains("albums: 0 created, 0 photos added, 6 unchanged"), "{again}");
    assert!(!again.contains("is not one Shoebox has"), "said once, when the album was made: {again}");
    assert_eq!(curated_rows(&app).await, rows, "not one row changed");
    assert_eq!(album_titled(&app, "Added").await.unwrap()["sort_order"], "oldest");
}
