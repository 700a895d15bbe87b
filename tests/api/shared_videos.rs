//! Videos under a share link: a visitor plays them exactly where they may see their thumbnails
//! (ranges for seeking, the transcode for what browsers cannot play), without the container's
//! GPS and dates when the link hides metadata, and a revoked link stops the stream at once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Person, ResponseExt, VideoSpec, Visitor, iphone_hevc_mov, party, photo, probe_codec, probe_tags, video, visitor,
};

/// Where the fixture was filmed, as QuickTime writes it: these bytes must not leave where
/// metadata is hidden.
const PLACE: &str = "+52.5200+013.4050";

/// An H.264 QuickTime file as an older iPhone writes it: it plays as stored, and its container
/// says where, when and with what it was filmed.
fn phone_h264_mov() -> Vec<u8> {
    video(&VideoSpec {
        container: "mov",
        rotate: Some(-90),
        tags: vec![
            ("creation_time", "2024-05-06T10:20:30Z".into()),
            ("location", format!("{PLACE}/")),
            ("com.apple.quicktime.location.ISO6709", format!("{PLACE}+034.000/")),
            ("com.apple.quicktime.make", "Apple".into()),
            ("com.apple.quicktime.model", "iPhone 12".into()),
        ],
        ..VideoSpec::default()
    })
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Alice's album holding `files`; returns the album and the photo ids.
async fn album_of(alice: &Person, title: &str, files: &[(&str, Vec<u8>)]) -> (i64, Vec<i64>) {
    let ids = alice.upload(files).await;
    (alice.album_with(title, &ids).await, ids)
}

/// The visitor's `GET` of `path` with a `Range` header.
async fn get_range(v: &Visitor, path: &str, range: &str) -> reqwest::Response {
    v.app.client.get(v.app.url(path)).header("Range", range).send().await.unwrap()
}

/// The shared photo `id` in the album's JSON as the visitor gets it.
async fn shared_photo(v: &Visitor, token: &str, id: i64) -> Value {
    let album = v.open(token).await.ok_json().await;
    album["photos"].as_array().unwrap().iter().find(|p| p["id"] == id).cloned().expect("the video is shared")
}

#[tokio::test]
async fn a_link_visitor_streams_the_albums_video_with_ranges_and_without_its_place_when_metadata_is_hidden() {
    let p = party().await;
    let original = phone_h264_mov();
    assert!(contains(&original, PLACE), "the fixture says where it was filmed");
    let (album, ids) = album_of(&p.alice, "Walks", &[("IMG_0002.MOV", original.clone())]).await;
    let link = p.alice.make_link(album, json!({ "can_download": true })).await;
    let v = visitor(&p.app);
    let shown = shared_photo(&v, &link.token, ids[0]).await;
    assert_eq!((shown["media_type"].as_str(), shown["video_status"].as_str()), (Some("video"), Some("ready")));
    assert_eq!(shown["duration_ms"], 2000, "{shown}");
    let page = v.get(&format!("/s/{}", link.token)).await.text().await.unwrap();
    assert!(page.contains(r#"<span class="badge duration" aria-label="Video, 0:02">0:02</span>"#), "{page}");
    let url = shown["video"].as_str().expect("a shared video has a stream").to_string();
    assert!(url.starts_with(&format!("/api/v1/s/{}/videos/", link.token)), "{url}");

    let whole = v.get(&url).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(whole.headers()["cache-control"], "private, no-cache");
    let plain = whole.bytes().await.unwrap().to_vec();
    // The same pictures, upright, with none of the container's place, date or camera.
    assert_eq!(probe_codec(&plain).0, "h264");
    let tags = probe_tags(&plain);
    assert_eq!(tags["streams"][0]["side_data_list"][0]["rotation"], -90, "{tags}");
    let text = tags.to_string();
    for gone in ["52.52", "2024-05-06", "Apple", "iPhone", "location", "creation_time"] {
        assert!(!text.contains(gone), "{gone} is still in {text}");
    }
    assert!(!contains(&plain, PLACE) && !contains(&plain, "iPhone 12"));
    // Seeking: a range of the same bytes.
    let part = get_range(&v, &url, "bytes=100-199").await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &plain[100..200]);
    // The original itself is not handed out there: its metadata cannot be stripped.
    assert_eq!(v.get(&format!("/api/v1/s/{}/dl/{}", link.token, p.alice.hash_of(ids[0]).await)).await.status(), 403);

    // Where the link shows metadata, the stream is the original, byte for byte.
    let open = p.alice.make_link(album, json!({ "show_metadata": true })).await;
    let w = visitor(&p.app);
    let url = shared_photo(&w, &open.token, ids[0]).await["video"].as_str().unwrap().to_string();
    let r = w.get(&url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), original.as_slice());
}

#[tokio::test]
async fn revoking_a_link_stops_its_video_stream_at_the_next_range_request() {
    let p = party().await;
    let (album, ids) = album_of(&p.alice, "Walks", &[("walk.mp4", video(&VideoSpec::default()))]).await;
    let link = p.alice.make_link(album, json!({ "show_metadata": true })).await;
    let v = visitor(&p.app);
    let url = shared_photo(&v, &link.token, ids[0]).await["video"].as_str().unwrap().to_string();
    assert_eq!(get_range(&v, &url, "bytes=0-99").await.status(), 206);
    p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/links/{}", link.id), None).await.ok_json().await;
    assert_eq!(get_range(&v, &url, "bytes=100-199").await.status(), 410);
    // A conditional request gets no 304 either: the link decides before anything is compared.
    let r = v.app.client.get(v.app.url(&url)).header("If-Modified-Since", "Sun, 01 Jan 2040 00:00:00 GMT").send().await;
    assert_eq!(r.unwrap().status(), 410);
}

#[tokio::test]
async fn a_link_visitor_gets_no_stream_of_another_albums_video_of_a_photo_or_before_opening_the_link() {
    let p = party().await;
    let (album_a, ids_a) =
        album_of(&p.alice, "A", &[("a.mp4", video(&VideoSpec::default())), ("p.jpg", photo("2023:01:01 10:00:00", 1))])
            .await;
    let (_, ids_b) =
        album_of(&p.alice, "B", &[("b.mp4", video(&VideoSpec { seconds: 1.0, ..VideoSpec::default() }))]).await;
    let link = p.alice.make_link(album_a, json!({})).await;
    let stream = |hash: &str| format!("/api/v1/s/{}/videos/{hash}", link.token);
    let (video_a, photo_a, video_b) =
        (p.alice.hash_of(ids_a[0]).await, p.alice.hash_of(ids_a[1]).await, p.alice.hash_of(ids_b[0]).await);

    let v = visitor(&p.app);
    assert_eq!(v.get(&stream(&video_a)).await.status(), 401, "no visit started yet");
    v.open(&link.token).await.ok_json().await;
    assert_eq!(v.get(&stream(&video_a)).await.status(), 200);
    assert_eq!(v.get(&stream(&video_b)).await.status(), 404, "album B's video");
    assert_eq!(v.get(&stream(&photo_a)).await.status(), 404, "a photo has no stream");
    assert_eq!(v.get(&stream("not-a-hash")).await.status(), 404);
    // Alice's session opens nothing under a link she did not visit.
    assert_eq!(p.alice.send(Method::GET, &stream(&video_a), None).await.status(), 401);
    // Taken out of the album, it stops at once.
    assert_eq!(p.alice.remove_from_album(album_a, &ids_a[..1]).await.status(), 200);
    assert_eq!(v.get(&stream(&video_a)).await.status(), 404);
}

#[tokio::test]
async fn an_hevc_video_under_a_link_that_hides_metadata_plays_as_its_transcode_without_its_place() {
    let p = party().await;
    let (album, ids) = album_of(&p.alice, "Phone", &[("IMG_0001.MOV", iphone_hevc_mov())]).await;
    let link = p.alice.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    let url = shared_photo(&v, &link.token, ids[0]).await["video"].as_str().unwrap().to_string();
    // The transcode is made in the background; until then the stream says so.
    let mut served = None;
    for _ in 0..600 {
        let r = v.get(&url).await;
        match r.status().as_u16() {
            503 => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            200 => {
                served = Some(r.bytes().await.unwrap().to_vec());
                break;
            }
            s => panic!("the stream answered {s}"),
        }
    }
    let served = served.expect("the video was transcoded within a minute");
    assert_eq!(probe_codec(&served).0, "h264");
    let text = probe_tags(&served).to_string();
    for gone in ["52.52", "2024-05-06", "Apple", "iPhone", "location", "creation_time"] {
        assert!(!text.contains(gone), "{gone} is still in {text}");
    }
    assert!(!contains(&served, "+52.5200"));
}
