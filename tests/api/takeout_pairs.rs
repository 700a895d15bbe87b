//! `shoebox import takeout` keeps a phone's pairs: an iPhone Live Photo exported as its HEIC and
//! MOV side by side, and an Android Motion Photo (`.MP.jpg`, the clip inside), each with the JSON
//! Takeout writes beside it, become one live item each, like the same files indexed or uploaded.

use std::io::Write;

use serde_json::json;

use crate::helpers::*;

const TAKEN: i64 = 1_714_990_830; // 2024-05-06T10:20:30Z: the fixtures' own date (12:20:30 +02:00)

fn media_json(title: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "title": title,
        "description": "",
        "photoTakenTime": { "timestamp": TAKEN.to_string(), "formatted": "" },
        "creationTime": { "timestamp": (TAKEN + 60).to_string(), "formatted": "" },
        "geoData": { "latitude": 0.0, "longitude": 0.0, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0 },
        "googlePhotosOrigin": { "mobileUpload": { "deviceType": "IOS_PHONE" } }
    }))
    .unwrap()
}

fn write_zip(path: &std::path::Path, files: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// (file name, media type of its photo, role) of every stored file, by name.
async fn stored(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT f.path, p.media_type, f.role FROM files f JOIN photos p ON p.id = f.photo_id \
         WHERE f.status = 'indexed' ORDER BY f.path",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_takeouts_live_photo_and_motion_photo_stay_one_live_item_each_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let year = "Takeout/Google Photos/Photos from 2024";
    let (motion, clip) = motion_photo_jpeg(MotionXmp::MicroVideo, "libx264");
    let zip = dir.path().join("takeout-001.zip");
    write_zip(
        &zip,
        &[
            (format!("{year}/IMG_0100.HEIC"), live_still_heic(7)),
            (format!("{year}/IMG_0100.HEIC.supplemental-metadata.json"), media_json("IMG_0100.HEIC")),
            (format!("{year}/IMG_0100.MOV"), live_clip_mov("libx264")),
            (format!("{year}/IMG_0100.MOV.supplemental-metadata.json"), media_json("IMG_0100.MOV")),
            (format!("{year}/PXL_20240506_102030123.MP.jpg"), motion.clone()),
            (
                format!("{year}/PXL_20240506_102030123.MP.jpg.supplemental-metadata.json"),
                media_json("PXL_20240506_102030123.MP.jpg"),
            ),
        ],
    );

    let out = shoebox_ok(&app, &["import", "takeout", zip.to_str().unwrap(), "--user", "admin"]);
    // The MOV joins the photo its HEIC made: a file stored, not one the library already had.
    assert!(out.contains("3 media files: 3 stored, 0 already in the library, 0 not stored"), "{out}");

    let files = stored(&app).await;
    let names: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|(path, kind, role)| (path.rsplit('/').next().unwrap(), kind.as_str(), role.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("IMG_0100.HEIC", "live", "primary"),
            ("IMG_0100.MOV", "live", "motion"),
            ("PXL_20240506_102030123.MP.jpg", "live", "primary"),
        ],
        "{files:?}"
    );
    let list: serde_json::Value = app.client.get(app.url("/api/v1/photos")).send().await.unwrap().json().await.unwrap();
    let photos = list["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2, "the MOV is not an item of its own: {list}");
    assert!(photos.iter().all(|p| p["media_type"] == "live"), "{list}");

    // The Motion Photo's clip is served as the MP4 inside the JPEG, byte for byte.
    let hash: String = sqlx::query_scalar(
        "SELECT p.hash FROM photos p JOIN files f ON f.photo_id = p.id WHERE f.path LIKE '%.MP.jpg'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let r = app.client.get(app.url(&format!("/api/v1/videos/{hash}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.bytes().await.unwrap().as_ref(), clip.as_slice());

    let again = shoebox_ok(&app, &["import", "takeout", zip.to_str().unwrap(), "--user", "admin"]);
    assert!(again.contains("3 media files: 0 stored, 3 already in the library"), "{again}");
    assert_eq!(stored(&app).await, files, "the pairs are as they were");
}
