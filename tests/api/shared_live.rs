//! Live Photos under a share link: a visitor plays the clip (an iPhone's MOV beside the still, or
//! the MP4 inside a Motion Photo) exactly where they may see the still, downloads the files paired
//! with it where the link allows downloads, and gets both in the zip; where the link hides
//! metadata the clip is remuxed without its tags, a Motion Photo's still loses the clip appended
//! to it, and RAW companions are not offered.

use std::io::Read;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    MotionXmp, Party, ResponseExt, Spec, Visitor, camera_jpeg, dng, live_clip_mov, live_still_jpeg, motion_photo_jpeg,
    party, probe_codec, probe_tags, run_index, visitor, write_original,
};

/// The administrator's photos after indexing what `files` wrote, by file name of the still.
async fn index(p: &Party, files: &[(&str, &[u8])]) -> Vec<Value> {
    for (rel, bytes) in files {
        write_original(&p.app, rel, bytes);
    }
    run_index(&p.app, &p.admin.csrf).await;
    p.admin.photos("").await.ok_json().await["photos"].as_array().unwrap().clone()
}

fn with_type<'a>(photos: &'a [Value], media_type: &str) -> &'a Value {
    photos.iter().find(|p| p["media_type"] == media_type).unwrap_or_else(|| panic!("a {media_type}: {photos:?}"))
}

/// The shared photo `id` in the album's JSON as the visitor gets it.
async fn shown(v: &Visitor, token: &str, id: &Value) -> Value {
    let album = v.open(token).await.ok_json().await;
    album["photos"].as_array().unwrap().iter().find(|p| &p["id"] == id).cloned().expect("the photo is shared")
}

async fn bytes_of(r: reqwest::Response) -> Vec<u8> {
    r.bytes().await.unwrap().to_vec()
}

async fn get_range(v: &Visitor, path: &str, range: &str) -> reqwest::Response {
    v.app.client.get(v.app.url(path)).header("Range", range).send().await.unwrap()
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_string(), data)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_link_visitor_plays_a_shared_live_photos_mov_with_ranges_and_only_while_the_photo_is_shared() {
    let p = party().await;
    let clip = live_clip_mov("libx264");
    let photos = index(&p, &[("IMG_0001.JPG", &live_still_jpeg(1)), ("IMG_0001.MOV", &clip)]).await;
    let live = with_type(&photos, "live").clone();
    let album = p.admin.album_with("Phone", &[live["id"].as_i64().unwrap()]).await;
    let link = p.admin.make_link(album, json!({ "show_metadata": true })).await;
    let v = visitor(&p.app);
    let shared = shown(&v, &link.token, &live["id"]).await;
    assert_eq!((shared["media_type"].as_str(), shared["video_status"].as_str()), (Some("live"), Some("ready")));
    let url = shared["video"].as_str().expect("a live photo has a clip").to_string();
    assert_eq!(url, format!("/api/v1/s/{}/videos/{}", link.token, live["hash"].as_str().unwrap()));

    let r = v.get(&url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/quicktime");
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    assert_eq!(bytes_of(r).await, clip, "the MOV as stored");
    let r = get_range(&v, &url, "bytes=4-103").await;
    assert_eq!(r.status(), 206);
    assert_eq!(bytes_of(r).await, &clip[4..104]);
    assert_eq!(get_range(&v, &url, &format!("bytes={}-", clip.len())).await.status(), 416);

    // The pages: LIVE on the album's tile, the clip over the still on the photo's page.
    let page = v.get(&format!("/s/{}", link.token)).await.text().await.unwrap();
    assert!(page.contains(r#"<span class="badge live" aria-label="Live photo">LIVE</span>"#), "{page}");
    let page = v.get(&format!("/s/{}/photos/{}", link.token, live["id"])).await.text().await.unwrap();
    assert!(page.contains(&format!(r#"<video id="live-clip" class="live-clip" src="{url}""#)), "{page}");
    assert!(page.contains(r#"<span class="live-mark""#) && page.contains("/viewer."), "{page}");

    // Private, then out of the album: the clip and the paired file go with the still.
    let paired = format!("/api/v1/s/{}/dl/{}/motion", link.token, live["hash"].as_str().unwrap());
    assert_eq!(v.get(&paired).await.status(), 200);
    p.admin.patch_photo(live["id"].as_i64().unwrap(), json!({ "private": true })).await.ok_json().await;
    assert_eq!(v.get(&url).await.status(), 404);
    assert_eq!(v.get(&paired).await.status(), 404);
    p.admin.patch_photo(live["id"].as_i64().unwrap(), json!({ "private": false })).await.ok_json().await;
    assert_eq!(v.get(&url).await.status(), 200);
    assert_eq!(p.admin.remove_from_album(album, &[live["id"].as_i64().unwrap()]).await.status(), 200);
    assert_eq!(v.get(&url).await.status(), 404);
    assert_eq!(v.get(&paired).await.status(), 404);
    // Revoked, the link serves nothing.
    assert_eq!(p.admin.add_to_album(album, &[live["id"].as_i64().unwrap()]).await.status(), 200);
    p.admin.send(Method::DELETE, &format!("/api/v1/albums/{album}/links/{}", link.id), None).await.ok_json().await;
    assert_eq!(v.get(&url).await.status(), 410);
    assert_eq!(v.get(&paired).await.status(), 410);
}

#[tokio::test]
async fn a_motion_photos_clip_under_a_link_is_the_embedded_mp4_and_a_link_hiding_metadata_strips_both_parts() {
    let p = party().await;
    let (file, clip) = motion_photo_jpeg(MotionXmp::MicroVideo, "libx264");
    let photos = index(&p, &[("PXL_20240506_102030123.MP.jpg", &file)]).await;
    let live = with_type(&photos, "live").clone();
    let hash = live["hash"].as_str().unwrap();
    let album = p.admin.album_with("Pixel", &[live["id"].as_i64().unwrap()]).await;

    let open = p.admin.make_link(album, json!({ "show_metadata": true })).await;
    let v = visitor(&p.app);
    let url = shown(&v, &open.token, &live["id"]).await["video"].as_str().unwrap().to_string();
    let r = v.get(&url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(bytes_of(r).await, clip, "the clip's bytes, not the JPEG's");
    let r = get_range(&v, &url, "bytes=10-109").await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 10-109/{}", clip.len()).as_str());
    assert_eq!(bytes_of(r).await, &clip[10..110]);
    assert_eq!(get_range(&v, &url, &format!("bytes={}-", clip.len())).await.status(), 416);
    // The clip downloads on its own too, named after its still; the original is the whole file.
    let r = v.get(&format!("/api/v1/s/{}/dl/{hash}/motion", open.token)).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("PXL_20240506_102030123.MP.mp4"));
    assert_eq!(bytes_of(r).await, clip);
    assert_eq!(bytes_of(v.get(&format!("/api/v1/s/{}/dl/{hash}", open.token)).await).await, file);

    // Hiding metadata: the clip is remuxed without the muxer's tags, and the still leaves without
    // the clip appended to it (which would carry them).
    let hidden = p.admin.make_link(album, json!({})).await;
    let w = visitor(&p.app);
    let url = shown(&w, &hidden.token, &live["id"]).await["video"].as_str().unwrap().to_string();
    assert!(probe_tags(&clip).to_string().contains("Lavf"), "the fixture's clip names its muxer");
    let r = w.get(&url).await;
    assert_eq!(r.status(), 200);
    let plain = bytes_of(r).await;
    assert_eq!(probe_codec(&plain).0, "h264");
    assert_ne!(plain, clip);
    let tags = probe_tags(&plain).to_string();
    assert!(!tags.contains("Lavf") && !tags.contains("creation_time"), "{tags}");
    let r = w.get(&format!("/api/v1/s/{}/dl/{hash}", hidden.token)).await;
    assert_eq!(r.status(), 200);
    let still = bytes_of(r).await;
    assert!(still.starts_with(&[0xFF, 0xD8]) && still.ends_with(&[0xFF, 0xD9]), "a JPEG ending at its EOI");
    assert!(still.len() < file.len() - clip.len(), "{} bytes", still.len());
    assert!(!contains(&still, b"ftyp") && !contains(&still, b"MicroVideo"), "neither the clip nor the XMP");
    let r = w.get(&format!("/api/v1/s/{}/dl/{hash}/motion", hidden.token)).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&format!("photo-{}.mp4", live["id"])));
    assert_eq!(bytes_of(r).await, plain);
    let zip = unzip(&bytes_of(w.get(&format!("/api/v1/s/{}/zip", hidden.token)).await).await);
    let names: Vec<&str> = zip.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, [format!("photo-{}.jpg", live["id"]), format!("photo-{}.mp4", live["id"])]);
    assert_eq!((&zip[0].1, &zip[1].1), (&still, &plain));
    let cached = files_under(p.app.storage.path());
    assert!(cached.iter().any(|f| f.ends_with(&format!("{hash}_plain.mp4"))), "the plain clip is cached: {cached:?}");
    let leftovers: Vec<&String> = cached.iter().filter(|f| f.ends_with(".clip") || f.ends_with(".part")).collect();
    assert!(leftovers.is_empty(), "the clip copied out of the still is removed: {leftovers:?}");
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn a_link_hiding_metadata_serves_the_live_clip_without_its_tags_zips_it_and_offers_no_raw() {
    let p = party().await;
    let clip = live_clip_mov("libx264");
    let photos = index(
        &p,
        &[
            ("IMG_0002.JPG", &live_still_jpeg(2)),
            ("IMG_0002.MOV", &clip),
            ("DSC_0003.JPG", &camera_jpeg(3)),
            ("DSC_0003.DNG", &dng(&Spec { seed: 3, ..Spec::default() })),
        ],
    )
    .await;
    let (live, with_raw) = (with_type(&photos, "live").clone(), with_type(&photos, "image").clone());
    let ids = [live["id"].as_i64().unwrap(), with_raw["id"].as_i64().unwrap()];
    let album = p.admin.album_with("Mixed", &ids).await;
    let link = p.admin.make_link(album, json!({})).await;
    let v = visitor(&p.app);

    let shared = shown(&v, &link.token, &live["id"]).await;
    let motion = shared["downloads"]["motion"].as_str().expect("the clip is offered").to_string();
    let r = v.get(shared["video"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let plain = bytes_of(r).await;
    let before = probe_tags(&clip).to_string();
    assert!(before.contains("com.apple.quicktime.creationdate") && before.contains("Apple"), "{before}");
    let after = probe_tags(&plain).to_string();
    for gone in ["creationdate", "creation_time", "location", "Apple", "2024-05-06", "content.identifier"] {
        assert!(!after.contains(gone), "{gone} is still in {after}");
    }
    assert_eq!(probe_codec(&plain).0, "h264");
    let r = v.get(&motion).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&format!("photo-{}.mp4", ids[0])));
    assert_eq!(bytes_of(r).await, plain);

    // The RAW carries everything the camera knew: neither offered nor served.
    let raw_shown = shown(&v, &link.token, &with_raw["id"]).await;
    assert_eq!(raw_shown["downloads"], json!({}), "{raw_shown}");
    let companion = format!("/api/v1/s/{}/dl/{}/companion", link.token, with_raw["hash"].as_str().unwrap());
    assert_eq!(v.get(&companion).await.status(), 403);
    let page = v.get(&format!("/s/{}/photos/{}", link.token, ids[1])).await.text().await.unwrap();
    assert!(!page.contains("Download RAW"), "{page}");

    let zip = unzip(&bytes_of(v.get(&format!("/api/v1/s/{}/zip", link.token)).await).await);
    let mut names: Vec<String> = zip.iter().map(|e| e.0.clone()).collect();
    names.sort();
    let mut expected =
        vec![format!("photo-{}.jpg", ids[0]), format!("photo-{}.mp4", ids[0]), format!("photo-{}.jpg", ids[1])];
    expected.sort();
    assert_eq!(names, expected, "stills and the clip, no RAW");
    let zipped_clip = &zip.iter().find(|e| e.0.ends_with(".mp4")).unwrap().1;
    assert_eq!(zipped_clip, &plain);
}

#[tokio::test]
async fn a_link_showing_metadata_offers_the_clip_and_the_raw_as_stored_and_zips_both_files_of_each_pair() {
    let p = party().await;
    let (still, clip) = (live_still_jpeg(4), live_clip_mov("libx264"));
    let (jpeg, raw) = (camera_jpeg(5), dng(&Spec { seed: 5, ..Spec::default() }));
    let photos = index(
        &p,
        &[("IMG_0004.JPG", &still), ("IMG_0004.MOV", &clip), ("DSC_0005.JPG", &jpeg), ("DSC_0005.DNG", &raw)],
    )
    .await;
    let (live, with_raw) = (with_type(&photos, "live").clone(), with_type(&photos, "image").clone());
    let ids = [live["id"].as_i64().unwrap(), with_raw["id"].as_i64().unwrap()];
    let album = p.admin.album_with("Pairs", &ids).await;
    let link = p.admin.make_link(album, json!({ "show_metadata": true })).await;
    let v = visitor(&p.app);

    let shared = shown(&v, &link.token, &live["id"]).await;
    assert!(shared["downloads"].get("companion").is_none(), "{shared}");
    let r = v.get(shared["downloads"]["motion"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("IMG_0004.MOV"));
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(bytes_of(r).await, clip);
    let raw_shown = shown(&v, &link.token, &with_raw["id"]).await;
    assert!(raw_shown["downloads"].get("motion").is_none(), "{raw_shown}");
    let r = v.get(raw_shown["downloads"]["companion"].as_str().expect("the RAW is offered")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("DSC_0005.DNG"));
    assert_eq!(bytes_of(r).await, raw);
    let page = v.get(&format!("/s/{}/photos/{}", link.token, ids[1])).await.text().await.unwrap();
    assert!(page.contains("Download RAW"), "{page}");
    // No such file: the live photo has no RAW, the JPEG no clip.
    let none = format!("/api/v1/s/{}/dl/{}/companion", link.token, live["hash"].as_str().unwrap());
    assert_eq!(v.get(&none).await.status(), 404);
    let none = format!("/api/v1/s/{}/dl/{}/motion", link.token, with_raw["hash"].as_str().unwrap());
    assert_eq!(v.get(&none).await.status(), 404);

    let zip = unzip(&bytes_of(v.get(&format!("/api/v1/s/{}/zip", link.token)).await).await);
    let mut entries: Vec<(String, Vec<u8>)> = zip;
    entries.sort();
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["DSC_0005.DNG", "DSC_0005.JPG", "IMG_0004.JPG", "IMG_0004.MOV"]);
    assert_eq!((&entries[0].1, &entries[1].1, &entries[2].1, &entries[3].1), (&raw, &jpeg, &still, &clip));
}

#[tokio::test]
async fn a_link_without_downloads_refuses_the_paired_files_and_the_zip_but_plays_the_clip() {
    let p = party().await;
    let photos = index(
        &p,
        &[
            ("IMG_0006.JPG", &live_still_jpeg(6)),
            ("IMG_0006.MOV", &live_clip_mov("libx264")),
            ("DSC_0007.JPG", &camera_jpeg(7)),
            ("DSC_0007.DNG", &dng(&Spec { seed: 7, ..Spec::default() })),
        ],
    )
    .await;
    let (live, with_raw) = (with_type(&photos, "live").clone(), with_type(&photos, "image").clone());
    let album =
        p.admin.album_with("Look only", &[live["id"].as_i64().unwrap(), with_raw["id"].as_i64().unwrap()]).await;
    let link = p.admin.make_link(album, json!({ "can_download": false, "show_metadata": true })).await;
    let v = visitor(&p.app);
    let shared = shown(&v, &link.token, &live["id"]).await;
    assert_eq!(shared["downloads"], json!({}), "{shared}");
    assert_eq!(shown(&v, &link.token, &with_raw["id"]).await["downloads"], json!({}));
    for path in [
        format!("/api/v1/s/{}/dl/{}/motion", link.token, live["hash"].as_str().unwrap()),
        format!("/api/v1/s/{}/dl/{}/companion", link.token, with_raw["hash"].as_str().unwrap()),
        format!("/api/v1/s/{}/zip", link.token),
    ] {
        let r = v.get(&path).await;
        assert_eq!(r.status(), 403, "{path}");
        assert!(r.text().await.unwrap().contains("does not allow downloads"));
    }
    let page = v.get(&format!("/s/{}/photos/{}", link.token, live["id"])).await.text().await.unwrap();
    assert!(!page.contains("Download clip") && page.contains(r#"id="live-clip""#), "{page}");
    assert_eq!(v.get(shared["video"].as_str().unwrap()).await.status(), 200, "watching is not downloading");
}

#[tokio::test]
async fn an_hevc_live_clip_under_a_link_hiding_metadata_plays_as_its_h264_transcode_without_its_tags() {
    let p = party().await;
    let photos = index(&p, &[("IMG_0008.JPG", &live_still_jpeg(8)), ("IMG_0008.MOV", &live_clip_mov("libx265"))]).await;
    let live = with_type(&photos, "live").clone();
    let album = p.admin.album_with("Phone", &[live["id"].as_i64().unwrap()]).await;
    let link = p.admin.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    let shared = shown(&v, &link.token, &live["id"]).await;
    let url = shared["video"].as_str().unwrap().to_string();
    // The transcode is made in the background; until then the stream says so.
    let mut served = None;
    for _ in 0..600 {
        let r = v.get(&url).await;
        match r.status().as_u16() {
            503 => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            200 => {
                served = Some(bytes_of(r).await);
                break;
            }
            s => panic!("the clip's stream answered {s}"),
        }
    }
    let served = served.expect("the clip was transcoded within a minute");
    assert_eq!(probe_codec(&served).0, "h264", "Chromium plays the iPhone's HEVC clip as H.264");
    let tags = probe_tags(&served).to_string();
    for gone in ["creationdate", "creation_time", "Apple", "2024-05-06"] {
        assert!(!tags.contains(gone), "{gone} is still in {tags}");
    }
    let r = v.get(shared["downloads"]["motion"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(bytes_of(r).await, served, "the download is what plays");
    let page = v.get(&format!("/s/{}/photos/{}", link.token, live["id"])).await.text().await.unwrap();
    assert!(page.contains(&format!(r#"src="{url}""#)), "{page}");
}
