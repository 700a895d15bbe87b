//! Phone photos: HEIC and AVIF made by libheif's own encoder, indexed, uploaded and shown.

use serde_json::Value;

use crate::helpers::{
    Spec, TestApp, avif_from_camera, decode_jpeg, decode_leftovers, dng, dng_without_preview, file_rows,
    has_heif_rotation, heic_from_camera, photos, plain_tiff, run_index, spawn_app, spawn_app_with, ten_bit_heif,
    write_original,
};

fn phone_spec(seed: u64) -> Spec {
    Spec {
        width: 1600,
        height: 1200,
        taken: Some("2024:05:01 09:15:00".into()),
        offset: Some("+02:00".into()),
        gps: Some((46.2044, 6.1432, 375.0)),
        make: "Apple".into(),
        model: "iPhone 15 Pro".into(),
        seed,
        ..Default::default()
    }
}

async fn thumbnail(app: &TestApp, photo: &Value, size: &str) -> Vec<u8> {
    let r = app.get(photo["thumbnails"][size].as_str().unwrap()).await;
    assert_eq!(r.status(), 200, "{size}");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_heic_from_a_phone_is_in_the_timeline_with_its_size_date_place_camera_and_upright_thumbnails() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let heic = heic_from_camera(&phone_spec(1));
    write_original(&app, "phone/IMG_0001.HEIC", &heic);
    run_index(&app, &csrf).await;

    let list = photos(&app).await;
    assert_eq!(list.len(), 1, "{:?}", file_rows(&app).await);
    let p = &list[0];
    assert_eq!(p["format"], "heic");
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(1600), Some(1200)), "{p}");
    assert_eq!(p["orientation"], 1);
    assert_eq!(p["taken_local"], "2024-05-01T09:15:00");
    assert_eq!(p["taken_offset"], "+02:00");
    assert_eq!(p["taken_source"], "exif_original");
    assert!((p["latitude"].as_f64().unwrap() - 46.2044).abs() < 1e-4, "{p}");
    assert!((p["longitude"].as_f64().unwrap() - 6.1432).abs() < 1e-4, "{p}");
    assert_eq!(p["camera_make"], "Apple");
    assert_eq!(p["camera_model"], "iPhone 15 Pro");
    assert!(p["placeholder"].as_str().is_some_and(|s| !s.is_empty()), "{p}");

    for (size, w, h) in [("tile_224", 224, 224), ("fit_720", 720, 540), ("fit_1920", 1600, 1200)] {
        let img = decode_jpeg(&thumbnail(&app, p, size).await);
        assert_eq!((img.width, img.height), (w, h), "{size}");
        img.assert_upright(size);
    }
    // A large size is made on request, from the HEIC again.
    let img = decode_jpeg(&thumbnail(&app, p, "fit_2560").await);
    assert_eq!((img.width, img.height), (1600, 1200));
    img.assert_upright("fit_2560");

    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/heic");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &heic[..]);
    assert!(decode_leftovers(app.storage.path()).is_empty(), "{:?}", decode_leftovers(app.storage.path()));
}

#[tokio::test]
async fn a_heic_whose_exif_says_turned_is_shown_as_libheif_displays_it_and_never_turned_twice() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    // Displayed 1600×1200; the JPEG stores it 1200×1600 with EXIF orientation 6.
    let heic = heic_from_camera(&Spec { orientation: 6, ..phone_spec(2) });
    write_original(&app, "turned.heic", &heic);
    run_index(&app, &csrf).await;

    let p = &photos(&app).await[0];
    assert_eq!(p["orientation"], 1, "libheif has turned the picture already: {p}");
    let img = decode_jpeg(&thumbnail(&app, p, "fit_720").await);
    if has_heif_rotation(&heic) {
        // heif-enc turned the EXIF orientation into HEIF's own rotation: upright, as on the phone.
        assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(1600), Some(1200)), "{p}");
        assert_eq!((img.width, img.height), (720, 540));
        img.assert_upright("fit_720");
    } else {
        // Without HEIF's own rotation the picture is shown as stored (as libheif, Apple and
        // browsers show it): portrait, red at the bottom left after the 90° turn the EXIF described.
        assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(1200), Some(1600)), "{p}");
        assert_eq!((img.width, img.height), (540, 720));
        let (w, h) = (img.width, img.height);
        let red = img.at(w / 4, 3 * h / 4);
        assert!(red[0] > 180 && red[1] < 90 && red[2] < 90, "stored orientation expected, got {red:?}");
    }
}

#[tokio::test]
async fn ten_bit_heic_and_avif_pictures_from_hdr_cameras_show_their_own_colours() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "camera/deep.heic", &ten_bit_heif(640, 480, false));
    write_original(&app, "camera/deep.avif", &ten_bit_heif(640, 480, true));
    run_index(&app, &csrf).await;

    let list = photos(&app).await;
    assert_eq!(list.len(), 2, "{:?}", file_rows(&app).await);
    for p in &list {
        assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(640), Some(480)), "{p}");
        // libheif writes deeper pictures' samples as 8-bit y4m cut in half: stripes, not quadrants.
        let img = decode_jpeg(&thumbnail(&app, p, "fit_720").await);
        img.assert_upright(&format!("10-bit {}", p["format"]));
    }
}

#[tokio::test]
async fn an_avif_is_indexed_with_its_size_date_and_upright_pixels() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let avif = avif_from_camera(&Spec { width: 800, height: 600, ..phone_spec(3) });
    write_original(&app, "android/PXL_0001.avif", &avif);
    run_index(&app, &csrf).await;

    let list = photos(&app).await;
    assert_eq!(list.len(), 1, "{:?}", file_rows(&app).await);
    let p = &list[0];
    assert_eq!(p["format"], "avif");
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(800), Some(600)), "{p}");
    assert_eq!(p["taken_local"], "2024-05-01T09:15:00");
    let img = decode_jpeg(&thumbnail(&app, p, "fit_720").await);
    assert_eq!((img.width, img.height), (720, 540));
    img.assert_upright("avif fit_720");
    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.headers()["content-type"], "image/avif");
}

#[tokio::test]
async fn a_heic_is_skipped_naming_the_tool_to_install_when_heif_dec_is_missing() {
    let app = spawn_app_with(&[("HEIFCONVERT_BIN", "shoebox-no-such-heif-dec")]).await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0002.heic", &heic_from_camera(&phone_spec(4)));
    run_index(&app, &csrf).await;

    assert!(photos(&app).await.is_empty());
    let rows = file_rows(&app).await;
    assert_eq!(rows.len(), 1);
    let (path, status, reason) = &rows[0];
    assert_eq!((path.as_str(), status.as_str()), ("IMG_0002.heic", "skipped"));
    assert!(reason.contains("install libheif-examples (heif-dec)") && reason.contains("HEIFCONVERT_BIN"), "{reason}");
}

#[tokio::test]
async fn a_heic_is_skipped_as_turned_off_when_disable_heifconvert_is_set() {
    let app = spawn_app_with(&[("DISABLE_HEIFCONVERT", "true")]).await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "IMG_0003.heic", &heic_from_camera(&phone_spec(5)));
    run_index(&app, &csrf).await;

    assert!(photos(&app).await.is_empty());
    let rows = file_rows(&app).await;
    assert_eq!(rows[0].1, "skipped");
    assert!(rows[0].2.contains("turned off (DISABLE_HEIFCONVERT=true)"), "{}", rows[0].2);
}

#[tokio::test]
async fn a_corrupt_heic_is_skipped_with_a_reason_and_leaves_nothing_in_the_decode_folder() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let good = heic_from_camera(&phone_spec(6));
    // The boxes are intact but the coded picture is cut short.
    let broken = good[..good.len() * 2 / 3].to_vec();
    // And one whose boxes after the file type are noise. (Noise in the coded picture itself is
    // not detectable: an HEVC decoder turns it into a garbled but valid picture.)
    let mut noise = heic_from_camera(&phone_spec(7));
    for (i, b) in noise[32..400].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
    write_original(&app, "broken.heic", &broken);
    write_original(&app, "noise.heic", &noise);
    write_original(&app, "good.heic", &good);
    run_index(&app, &csrf).await;

    assert_eq!(photos(&app).await.len(), 1);
    let rows = file_rows(&app).await;
    for (path, status, reason) in &rows {
        if path == "good.heic" {
            assert_eq!(status, "indexed");
        } else {
            assert_eq!(status, "skipped", "{path}");
            assert!(reason.contains("heif"), "{path}: {reason}");
        }
    }
    assert!(decode_leftovers(app.storage.path()).is_empty(), "{:?}", decode_leftovers(app.storage.path()));
}

#[tokio::test]
async fn a_heic_upload_becomes_a_photo_and_downloads_as_itself() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let heic = heic_from_camera(&phone_spec(8));
    let r = app.upload(&csrf, &[("IMG_0100.HEIC", heic.clone())]).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["files"][0]["result"], "new", "{v}");
    assert_eq!(v["files"][0]["path"], "admin/2024/05/IMG_0100.HEIC");

    let p = &photos(&app).await[0];
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(1600), Some(1200)));
    decode_jpeg(&thumbnail(&app, p, "fit_720").await).assert_upright("uploaded HEIC");
    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.headers()["content-type"], "image/heic");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &heic[..]);
}

fn camera_raw_spec(seed: u64) -> Spec {
    Spec {
        width: 1600,
        height: 1200,
        orientation: 6,
        taken: Some("2022:08:20 14:05:00".into()),
        make: "Leica Camera AG".into(),
        model: "LEICA Q3".into(),
        seed,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_dng_is_shown_through_its_largest_preview_with_its_own_date_camera_and_orientation() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let raw = dng(&camera_raw_spec(1));
    write_original(&app, "camera/L1000001.DNG", &raw);
    run_index(&app, &csrf).await;

    let list = photos(&app).await;
    assert_eq!(list.len(), 1, "{:?}", file_rows(&app).await);
    let p = &list[0];
    assert_eq!(p["format"], "dng");
    assert_eq!(p["media_type"], "raw");
    // The preview is stored 1200×1600; the DNG's own orientation 6 shows it 1600×1200.
    assert_eq!((p["width"].as_i64(), p["height"].as_i64()), (Some(1600), Some(1200)), "{p}");
    assert_eq!(p["orientation"], 6);
    assert_eq!(p["taken_local"], "2022-08-20T14:05:00");
    assert_eq!(p["taken_source"], "exif_original");
    assert_eq!(p["camera_make"], "Leica Camera AG");
    assert_eq!(p["camera_model"], "LEICA Q3");
    for (size, w, h) in [("tile_224", 224, 224), ("fit_1280", 1280, 960), ("fit_2560", 1600, 1200)] {
        let img = decode_jpeg(&thumbnail(&app, p, size).await);
        assert_eq!((img.width, img.height), (w, h), "{size}");
        // Not the small dark thumbnail in IFD1: the quadrants of the full preview, upright.
        img.assert_upright(size);
    }
    let r = app.get(p["original"].as_str().unwrap()).await;
    assert_eq!(r.headers()["content-type"], "image/x-adobe-dng");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &raw[..]);
}

#[tokio::test]
async fn raw_files_are_skipped_saying_so_when_disable_raw_is_set() {
    let app = spawn_app_with(&[("DISABLE_RAW", "true")]).await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "L1000002.dng", &dng(&camera_raw_spec(2)));
    run_index(&app, &csrf).await;

    assert!(photos(&app).await.is_empty());
    let rows = file_rows(&app).await;
    assert_eq!(rows[0].1, "skipped");
    assert!(rows[0].2.contains("turned off (DISABLE_RAW=true)"), "{}", rows[0].2);
}

#[tokio::test]
async fn a_raw_without_a_preview_and_a_plain_tiff_are_skipped_with_their_reasons() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "empty.dng", &dng_without_preview(&camera_raw_spec(3)));
    write_original(&app, "scan.tif", &plain_tiff());
    run_index(&app, &csrf).await;

    assert!(photos(&app).await.is_empty());
    let rows = file_rows(&app).await;
    let reason = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| (r.1.clone(), r.2.clone())).unwrap();
    let (status, why) = reason("empty.dng");
    assert_eq!(status, "skipped");
    assert!(why.contains("no embedded JPEG preview found in this DNG file"), "{why}");
    let (status, why) = reason("scan.tif");
    assert_eq!(status, "skipped");
    assert!(why.contains("TIFF that is not a camera RAW") && why.contains("convert it to JPEG"), "{why}");
}
