//! `shoebox import takeout`: Google Photos Takeout parts written here the way Takeout writes them
//! (folders per year and per album, a JSON beside each file with Takeout's odd names), stored for
//! a user and seen through the API.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::helpers::*;

/// The JSON Takeout writes beside a photo.
fn media_json(title: &str, taken: i64, extra: Value) -> Vec<u8> {
    let mut v = json!({
        "title": title,
        "description": "",
        "imageViews": "3",
        "creationTime": { "timestamp": (taken + 3600).to_string(), "formatted": "" },
        "photoTakenTime": { "timestamp": taken.to_string(), "formatted": "" },
        "geoData": { "latitude": 0.0, "longitude": 0.0, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0 },
        "geoDataExif": { "latitude": 0.0, "longitude": 0.0, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0 },
        "url": "https://photos.google.com/photo/AF1QipN",
        "googlePhotosOrigin": { "mobileUpload": { "deviceType": "ANDROID_PHONE" } }
    });
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    serde_json::to_vec_pretty(&v).unwrap()
}

const NEW_YEAR: i64 = 1_577_880_000; // 2020-01-01T12:00:00Z

/// The files of one Takeout part: path inside it, bytes.
type Part = Vec<(String, Vec<u8>)>;

/// Two Takeout parts (a photo's JSON may land in the other part) as `(path, bytes)` lists.
fn takeout_parts() -> (Part, Part) {
    let year = "Takeout/Google Photos/Photos from 2020";
    let trip = "Takeout/Google Photos/Trip to Paris";
    let paris = json!({ "geoData": { "latitude": 48.8584, "longitude": 2.2945, "altitude": 35.0,
        "latitudeSpan": 0.0, "longitudeSpan": 0.0 }, "description": "New year", "favorited": true });
    let first = vec![
        // No date or place of its own: both come from the JSON (supplemental-metadata name).
        (format!("{year}/IMG_0001.jpg"), undated_jpeg(1)),
        (
            format!("{year}/IMG_0001.jpg.supplemental-metadata.json"),
            media_json("IMG_0001.jpg", NEW_YEAR, paris.clone()),
        ),
        // A long name: the JSON's name is cut at 46 characters before `.json`.
        (format!("{year}/PXL_20200214_183012345.NIGHT.jpg"), undated_jpeg(2)),
        (
            format!("{year}/PXL_20200214_183012345.NIGHT.jpg.supplemental-.json"),
            media_json("PXL_20200214_183012345.NIGHT.jpg", 1_581_705_012, json!({ "description": "Night sky" })),
        ),
        // The second file named IMG_0002.jpg: `(1)` moves before `.json` in its JSON's name.
        (format!("{year}/IMG_0002(1).jpg"), undated_jpeg(3)),
        (
            format!("{year}/IMG_0002.jpg.supplemental-metadata(1).json"),
            media_json("IMG_0002.jpg", NEW_YEAR + 86_400, json!({ "archived": true })),
        ),
        // An edited copy shares the original's JSON; both keep the date of their own EXIF.
        (format!("{year}/IMG_0003.jpg"), dated_jpeg("2020:06:01 20:00:00", 4)),
        (format!("{year}/IMG_0003-edited.jpg"), dated_jpeg("2020:06:01 20:00:00", 5)),
        (
            format!("{year}/IMG_0003.jpg.supplemental-metadata.json"),
            media_json("IMG_0003.jpg", 0, json!({ "description": "Sunset" })),
        ),
        // A file without a JSON, and a video Shoebox does not store.
        (format!("{year}/IMG_0005.jpg"), undated_jpeg(6)),
        (format!("{year}/VID_0007.mp4"), b"\0\0\0\x18ftypmp42 not a picture".to_vec()),
        (format!("{year}/VID_0007.mp4.supplemental-metadata.json"), media_json("VID_0007.mp4", NEW_YEAR, json!({}))),
        // An album folder: the same picture again, and the album's metadata.json.
        (
            format!("{trip}/metadata.json"),
            serde_json::to_vec_pretty(&json!({ "title": "Trip to Paris",
            "description": "Spring 2020", "access": "protected",
            "date": { "timestamp": "1577880000", "formatted": "" } }))
            .unwrap(),
        ),
        (format!("{trip}/IMG_0001.jpg"), undated_jpeg(1)),
        (format!("{trip}/IMG_0001.jpg.supplemental-metadata.json"), media_json("IMG_0001.jpg", NEW_YEAR, paris)),
    ];
    let second = vec![
        // An older Takeout's name, in the other part than its photo.
        (format!("{year}/IMG_0004.jpg"), undated_jpeg(7)),
        (format!("{year}/IMG_0004.jpg.json"), media_json("IMG_0004.jpg", NEW_YEAR + 2 * 86_400, json!({}))),
        // A JSON whose photo is in no part.
        (format!("{year}/IMG_0006.jpg.supplemental-metadata.json"), media_json("IMG_0006.jpg", NEW_YEAR, json!({}))),
    ];
    (first, second)
}

fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn write_tgz(path: &Path, files: &[(String, Vec<u8>)]) {
    let gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn write_folder(root: &Path, files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// A signed-in administrator and their CSRF token.
async fn admin_app() -> (TestApp, String) {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    wait_for_index(&app).await;
    (app, csrf)
}

/// The photo whose stored file is `path` (under ORIGINALS_PATH), as the API shows it.
async fn stored_photo(app: &TestApp, path: &str) -> Value {
    let id: i64 = sqlx::query_scalar("SELECT photo_id FROM files WHERE path = ? AND status = 'indexed'")
        .bind(path)
        .fetch_optional(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{path} is not among the stored files"));
    let r = app.photo(id).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn stored_paths(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT path FROM files WHERE status = 'indexed' ORDER BY path")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

/// Every row a Takeout import writes, in full.
async fn imported_rows(app: &TestApp) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT json_array(id, hash, title, description, favorite, archived_at, taken_at, taken_source, latitude, \
         longitude, place_by_hand, updated_at) FROM photos ORDER BY id",
        "SELECT json_array(path, size, mtime_ns, photo_id, uploaded) FROM files ORDER BY path",
        "SELECT json_array(id, title, description, updated_at) FROM albums ORDER BY id",
        "SELECT json_array(album_id, photo_id, added_at) FROM album_photos ORDER BY album_id, photo_id",
    ] {
        rows.extend(sqlx::query_scalar::<_, String>(sql).fetch_all(&app.db).await.unwrap());
    }
    rows
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn a_takeout_in_zip_parts_is_stored_with_the_dates_places_captions_flags_and_albums_of_its_json() {
    let (app, _) = admin_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = takeout_parts();
    let (p1, p2, p3) =
        (dir.path().join("takeout-001.zip"), dir.path().join("takeout-002.zip"), dir.path().join("takeout-003.zip"));
    write_zip(&p1, &first);
    write_zip(&p2, &second);
    // A third part whose download broke off halfway.
    write_zip(&p3, &first[..2]);
    let whole = std::fs::read(&p3).unwrap();
    std::fs::write(&p3, &whole[..whole.len() / 2]).unwrap();

    let out = shoebox_ok(&app, &["import", "takeout", arg(&p1), arg(&p2), arg(&p3), "--user", "admin"]);

    assert!(
        out.contains("takeout: 2 parts read, 9 media files: 7 stored, 1 already in the library, 1 not stored"),
        "{out}"
    );
    assert!(out.contains("from the JSON: archived 1, description 4, favorite 1, place 1"), "{out}");
    assert!(out.contains("albums: 1 created, 1 photos added"), "{out}");
    let problems = [
        format!("{}: not a readable zip archive", p3.display()),
        "Photos from 2020/IMG_0005.jpg: no JSON beside it".to_string(),
        "Photos from 2020/IMG_0006.jpg.supplemental-metadata.json: JSON without its file".to_string(),
        "Photos from 2020/VID_0007.mp4: not stored: ".to_string(),
    ];
    for p in &problems {
        assert!(out.contains(p.as_str()), "{p:?} is reported: {out}");
    }
    assert!(out.contains("problems (4):"), "{out}");

    let new_year = stored_photo(&app, "admin/2020/01/IMG_0001.jpg").await;
    assert_eq!(new_year["taken_at"], NEW_YEAR, "photoTakenTime, the file has no date");
    assert_eq!(new_year["description"], "New year");
    assert_eq!(new_year["favorite"], true);
    assert_eq!((new_year["latitude"].as_f64(), new_year["longitude"].as_f64()), (Some(48.8584), Some(2.2945)));
    let night = stored_photo(&app, "admin/2020/02/PXL_20200214_183012345.NIGHT.jpg").await;
    assert_eq!(night["description"], "Night sky", "the JSON with the cut name was found");
    let second_of_name = stored_photo(&app, "admin/2020/01/IMG_0002(1).jpg").await;
    assert!(second_of_name["archived_at"].is_i64(), "the JSON of IMG_0002(1).jpg is IMG_0002.jpg…(1).json");
    assert_eq!(second_of_name["taken_at"], NEW_YEAR + 86_400);
    for edited in ["admin/2020/06/IMG_0003.jpg", "admin/2020/06/IMG_0003-edited.jpg"] {
        let p = stored_photo(&app, edited).await;
        assert_eq!(p["description"], "Sunset", "{edited}");
        assert_eq!(p["taken_local"], "2020-06-01T20:00:00", "{edited} keeps the date of its EXIF");
    }
    let other_part = stored_photo(&app, "admin/2020/01/IMG_0004.jpg").await;
    assert_eq!(other_part["taken_at"], NEW_YEAR + 2 * 86_400, "its JSON was in the other part");
    let uploaded: Vec<bool> = sqlx::query_scalar("SELECT uploaded FROM files").fetch_all(&app.db).await.unwrap();
    assert!(uploaded.iter().all(|u| *u), "stored like uploads (Shoebox owns the files)");

    let albums: Value = app.get("/api/v1/albums").await.json().await.unwrap();
    let albums = albums["albums"].as_array().unwrap();
    assert_eq!(albums.len(), 1, "year folders are not albums: {albums:?}");
    assert_eq!(
        (albums[0]["title"].as_str(), albums[0]["description"].as_str()),
        (Some("Trip to Paris"), Some("Spring 2020"))
    );
    let in_album: Value = app.get(&format!("/api/v1/albums/{}/photos", albums[0]["id"])).await.json().await.unwrap();
    assert_eq!(in_album["photos"][0]["id"], new_year["id"], "the album holds the picture stored once");
    let archive: Value = app.photos("scope=archive").await.json().await.unwrap();
    assert_eq!(archive["photos"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_second_takeout_import_changes_nothing_so_an_interrupted_one_resumes_where_it_stopped() {
    let (app, csrf) = admin_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = takeout_parts();
    let (p1, p2) = (dir.path().join("takeout-001.zip"), dir.path().join("takeout-002.zip"));
    write_zip(&p1, &first);
    write_zip(&p2, &second);
    // The first run stopped after the first part.
    shoebox_ok(&app, &["import", "takeout", arg(&p1), "--user", "admin"]);
    let resumed = shoebox_ok(&app, &["import", "takeout", arg(&p1), arg(&p2), "--user", "admin"]);
    assert!(resumed.contains("9 media files: 1 stored, 7 already in the library, 1 not stored"), "{resumed}");
    // Meanwhile the owner put one photo in the trash.
    let unwanted = stored_photo(&app, "admin/2020/01/IMG_0004.jpg").await;
    let trash = app.client.delete(app.url(&format!("/api/v1/photos/{}", unwanted["id"]))).header("x-csrf-token", &csrf);
    assert_eq!(trash.send().await.unwrap().status(), 200);
    let rows = imported_rows(&app).await;
    let paths = stored_paths(&app).await;

    let again = shoebox_ok(&app, &["import", "takeout", arg(&p1), arg(&p2), "--user", "admin"]);

    assert!(again.contains("9 media files: 0 stored, 7 already in the library, 1 not stored"), "{again}");
    assert!(again.contains("left out: 1 deleted from Shoebox or in its trash (not brought back)"), "{again}");
    assert!(again.contains("from the JSON: nothing new"), "{again}");
    assert!(again.contains("albums: 0 created, 0 photos added"), "{again}");
    assert_eq!(imported_rows(&app).await, rows, "not one row changed");
    assert_eq!(stored_paths(&app).await, paths, "no file stored twice");
    let staging: Vec<PathBuf> = std::fs::read_dir(app.originals_path().join(".shoebox-upload"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert_eq!(staging, Vec::<PathBuf>::new(), "no staging file is left behind");
}

#[tokio::test]
async fn a_takeout_as_tgz_or_unpacked_folder_stores_the_same_and_a_tgz_cut_short_keeps_what_came_before() {
    let (app, _) = admin_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = takeout_parts();
    let tgz = dir.path().join("takeout-001.tgz");
    write_tgz(&tgz, &first);
    let folder = dir.path().join("unpacked");
    write_folder(&folder, &second);

    let out = shoebox_ok(&app, &["import", "takeout", arg(&tgz), arg(&folder), "--user", "admin"]);
    assert!(
        out.contains("takeout: 2 parts read, 9 media files: 7 stored, 1 already in the library, 1 not stored"),
        "{out}"
    );
    assert_eq!(stored_photo(&app, "admin/2020/01/IMG_0001.jpg").await["taken_at"], NEW_YEAR);
    assert_eq!(stored_photo(&app, "admin/2020/01/IMG_0004.jpg").await["taken_at"], NEW_YEAR + 2 * 86_400);

    // The same first part again, its download cut off at three quarters: what came before the
    // break is recognised, the break is reported, and the command still ends normally.
    let whole = std::fs::read(&tgz).unwrap();
    let cut = dir.path().join("takeout-cut.tgz");
    std::fs::write(&cut, &whole[..whole.len() * 3 / 4]).unwrap();
    let out = shoebox_ok(&app, &["import", "takeout", arg(&cut), "--user", "admin"]);
    assert!(out.contains(&format!("{}: the archive breaks off", cut.display())), "{out}");
    assert!(out.contains(" 0 stored, "), "{out}");
}

#[test]
fn a_takeout_import_needs_a_user_that_exists() {
    let storage = tempfile::tempdir().unwrap();
    let out = run_shoebox_in(storage.path(), &["import", "takeout", "/nonexistent.zip", "--user", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with("error: no user named \"nobody\": create the account first (shoebox users add)\n"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_takeout_import_killed_between_a_photos_row_and_its_file_places_the_file_when_run_again() {
    let (app, _) = admin_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = takeout_parts();
    let (p1, p2) = (dir.path().join("takeout-001.zip"), dir.path().join("takeout-002.zip"));
    write_zip(&p1, &first);
    write_zip(&p2, &second);
    let args = ["import", "takeout", arg(&p1), arg(&p2), "--user", "admin"];
    shoebox_ok(&app, &args);
    let paths = stored_paths(&app).await;
    // What a kill right after the row was committed leaves: the row, and no file behind it.
    let placed = app.originals_path().join("admin/2020/01/IMG_0004.jpg");
    let bytes = std::fs::read(&placed).unwrap();
    std::fs::remove_file(&placed).unwrap();

    let again = shoebox_ok(&app, &args);

    assert!(again.contains("9 media files: 0 stored, 8 already in the library, 1 not stored"), "{again}");
    assert_eq!(std::fs::read(&placed).unwrap(), bytes, "the file is back under its own name");
    assert_eq!(stored_paths(&app).await, paths, "and nowhere else");
    let photo = stored_photo(&app, "admin/2020/01/IMG_0004.jpg").await;
    let original = app.get(photo["original"].as_str().unwrap_or_else(|| panic!("an original URL: {photo}"))).await;
    assert_eq!(original.status(), 200);
    assert_eq!(original.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let rescan = shoebox_ok(&app, &["index", "--json"]);
    assert!(rescan.contains("\"missing\": 0"), "the index finds every file in place: {rescan}");
    assert!(rescan.contains("\"existing_photos\": 0"), "and unchanged, as its row says: {rescan}");
}

#[tokio::test]
async fn a_takeout_video_larger_than_upload_limit_is_stored_as_an_upload_is_and_a_larger_picture_is_not() {
    let (app, _) = admin_app().await;
    let dir = tempfile::tempdir().unwrap();
    let video = h264_mp4();
    let small = undated_jpeg(1);
    // A picture with bytes after its end, as some cameras write: larger than the limit.
    let mut large = undated_jpeg(2);
    large.extend(std::iter::repeat_n(0x55, video.len()));
    let limit = video.len() - 1;
    assert!(small.len() < limit && large.len() > limit);
    let year = "Takeout/Google Photos/Photos from 2020";
    let files = vec![
        (format!("{year}/VID_0001.mp4"), video.clone()),
        (format!("{year}/VID_0001.mp4.supplemental-metadata.json"), media_json("VID_0001.mp4", NEW_YEAR, json!({}))),
        (format!("{year}/IMG_0001.jpg"), small),
        (format!("{year}/IMG_0001.jpg.supplemental-metadata.json"), media_json("IMG_0001.jpg", NEW_YEAR, json!({}))),
        (format!("{year}/IMG_0002.jpg"), large),
        (format!("{year}/IMG_0002.jpg.supplemental-metadata.json"), media_json("IMG_0002.jpg", NEW_YEAR, json!({}))),
    ];
    let zip = dir.path().join("takeout-001.zip");
    write_zip(&zip, &files);
    let out = std::process::Command::new(SHOEBOX_BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHOEBOX_STORAGE_PATH", app.storage.path())
        .env("SHOEBOX_UPLOAD_LIMIT", limit.to_string())
        .env("SHOEBOX_LOG_LEVEL", "warn")
        .args(["import", "takeout", arg(&zip), "--user", "admin"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" 2 stored, 0 already in the library"), "{stdout}");
    assert!(
        stdout
            .contains(&format!("Photos from 2020/IMG_0002.jpg: not stored: larger than UPLOAD_LIMIT ({limit} bytes)")),
        "{stdout}"
    );
    assert_eq!(std::fs::read(app.originals_path().join("admin/2020/01/VID_0001.mp4")).unwrap(), video);
    assert_eq!(
        stored_paths(&app).await,
        vec!["admin/2020/01/IMG_0001.jpg".to_string(), "admin/2020/01/VID_0001.mp4".to_string()]
    );
}
