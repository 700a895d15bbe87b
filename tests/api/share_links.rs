//! Share links: made by an album's owner, opened without an account, and checked at every request
//! under them. The peers' known failures are tests here: Immich 29599 (thumbnails and GPS of a
//! password link through known URLs), pigallery2 744/950 (password links opening without asking),
//! Immich 4655/10732 (link passwords in plain text, expiry ignored).

use std::io::Read;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Person, ResponseExt, dated_jpeg, expire_link, hidden_field, link_urls, location, party, photo, stored_link, visitor,
};

/// Alice's album of two photos (one with GPS) and its id, the photo ids and their hashes.
async fn alices_album(alice: &Person) -> (i64, Vec<i64>, Vec<String>) {
    let ids = alice
        .upload(&[("zurich.jpg", dated_jpeg("2023:07:14 18:30:05", 1)), ("b.jpg", photo("2022:01:01 10:00:00", 2))])
        .await;
    let album = alice.album_with("Holidays", &ids).await;
    let mut hashes = Vec::new();
    for id in &ids {
        hashes.push(alice.hash_of(*id).await);
    }
    (album, ids, hashes)
}

fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect()
}

fn has_exif(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"Exif")
        || exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)).is_ok()
}

#[tokio::test]
async fn an_album_link_opens_the_album_and_its_media_without_an_account_and_counts_one_view_per_visit() {
    let p = party().await;
    let (album, _, hashes) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({ "comment": "for grandma" })).await;
    assert!(link.body["url"].as_str().unwrap().ends_with(&format!("/s/{}", link.token)), "{}", link.body);
    assert!(link.token.len() >= 22, "at least 128 bits");
    let v = visitor(&p.app);
    let shared = v.open(&link.token).await.ok_json().await;
    assert_eq!(shared["album"]["title"], "Holidays");
    assert_eq!(shared["photos"].as_array().unwrap().len(), 2);
    for url in link_urls(&link.token, &hashes[0]) {
        let r = v.get(&url).await;
        assert_eq!(r.status(), 200, "{url}");
    }
    let thumb = v.get(&format!("/api/v1/s/{}/t/{}/tile_224", link.token, hashes[0])).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    assert_eq!(thumb.headers()["cache-control"], "private, no-cache");
    let bytes = thumb.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
    let zip = v.get(&format!("/api/v1/s/{}/zip", link.token)).await.bytes().await.unwrap();
    assert_eq!(zip_entries(&zip).len(), 2);
    let page = v.get(&format!("/s/{}", link.token)).await.text().await.unwrap();
    assert!(page.contains(&format!("/api/v1/s/{}/t/{}/tile_224", link.token, hashes[0])), "{page}");
    assert!(!page.contains("Sign out") && !page.contains("href=\"/account\""), "no account menu");
    // One visit, however many requests; a second visitor is a second view.
    let links = p.alice.links_of(album).await;
    assert_eq!(links[0]["view_count"], 1, "{links:?}");
    assert!(links[0]["last_view_at"].as_i64().unwrap() > 0);
    assert_eq!(links[0]["comment"], "for grandma");
    assert!(links[0].get("token").is_none() && links[0].get("url").is_none(), "the token is shown once");
    visitor(&p.app).open(&link.token).await.ok_json().await;
    assert_eq!(p.alice.links_of(album).await[0]["view_count"], 2);
}

#[tokio::test]
async fn revoking_a_link_stops_every_url_already_handed_out_at_once() {
    let p = party().await;
    let (album, _, hashes) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({})).await;
    let other = p.alice.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    v.open(&link.token).await.ok_json().await;
    let urls = link_urls(&link.token, &hashes[0]);
    for url in &urls {
        assert_eq!(v.get(url).await.status(), 200, "{url}");
    }
    let r = p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/links/{}", link.id), None).await;
    assert_eq!(r.json::<Value>().await.unwrap()["revoked"], 1);
    for url in &urls {
        assert_eq!(v.get(url).await.status(), 410, "revoked: {url}");
    }
    // The other link lives until every link of the album is revoked.
    let w = visitor(&p.app);
    w.open(&other.token).await.ok_json().await;
    let r = p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/links"), None).await;
    assert_eq!(r.json::<Value>().await.unwrap()["revoked"], 1);
    for url in link_urls(&other.token, &hashes[0]) {
        assert_eq!(w.get(&url).await.status(), 410, "revoked with all: {url}");
    }
    let states: Vec<Value> = p.alice.links_of(album).await.iter().map(|l| l["state"].clone()).collect();
    assert_eq!(states, vec![json!("revoked"), json!("revoked")]);
    let r = p
        .alice
        .send(Method::PATCH, &format!("/api/v1/albums/{album}/links/{}", link.id), Some(json!({ "comment": "x" })))
        .await;
    assert_eq!(r.status(), 400, "a revoked link stays revoked");
}

/// Immich 29599 and pigallery2 744/950.
#[tokio::test]
async fn a_password_link_serves_nothing_until_unlocked_not_even_thumbnails_or_gps_through_known_urls() {
    let p = party().await;
    let (album, _, hashes) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({ "password": "open sesame", "show_metadata": true })).await;
    assert_eq!(link.body["has_password"], true);
    let v = visitor(&p.app);
    let r = v.open(&link.token).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["password_required"], true);
    assert!(body.get("photos").is_none() && !body.to_string().contains("47.37"), "{body}");
    for url in link_urls(&link.token, &hashes[0]) {
        let r = v.get(&url).await;
        assert_eq!(r.status(), 401, "locked: {url}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("47.37") && !text.contains("/t/"), "{url}: {text}");
    }
    let page = v.get(&format!("/s/{}", link.token)).await.text().await.unwrap();
    assert!(page.contains("name=\"password\""), "the prompt comes first: {page}");
    assert_eq!(v.unlock(&link.token, "open says me").await.status(), 401);
    assert_eq!(p.alice.links_of(album).await[0]["view_count"], 0, "nothing was seen");
    let unlocked = v.unlock(&link.token, "open sesame").await.ok_json().await;
    assert_eq!(unlocked["photos"].as_array().unwrap().len(), 2);
    for url in link_urls(&link.token, &hashes[0]) {
        assert_eq!(v.get(&url).await.status(), 200, "unlocked: {url}");
    }
    // Another visitor with the same URLs but no unlock of their own still gets nothing.
    let w = visitor(&p.app);
    for url in link_urls(&link.token, &hashes[0]) {
        assert_eq!(w.get(&url).await.status(), 401, "someone else: {url}");
    }
    // A new password ends the unlocks made with the old one.
    let r = p
        .alice
        .send(Method::PATCH, &format!("/api/v1/albums/{album}/links/{}", link.id), Some(json!({ "password": "new" })))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(v.get(&format!("/api/v1/s/{}/t/{}/tile_224", link.token, hashes[0])).await.status(), 401);
}

/// Immich 4655 and 10732.
#[tokio::test]
async fn link_passwords_and_tokens_are_stored_hashed_and_an_expired_link_serves_nothing() {
    let p = party().await;
    let (album, _, hashes) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({ "password": "open sesame" })).await;
    let (token_hash, password_hash) = stored_link(&p.app, link.id).await;
    let password_hash = password_hash.unwrap();
    assert!(password_hash.starts_with("$argon2id$"), "{password_hash}");
    assert!(!password_hash.contains("open sesame"));
    assert_ne!(token_hash, link.token);
    assert!(!token_hash.contains(&link.token));
    let v = visitor(&p.app);
    v.unlock(&link.token, "open sesame").await.ok_json().await;
    expire_link(&p.app, link.id).await;
    for url in link_urls(&link.token, &hashes[0]) {
        assert_eq!(v.get(&url).await.status(), 410, "expired: {url}");
    }
    assert_eq!(v.unlock(&link.token, "open sesame").await.status(), 410);
    assert_eq!(p.alice.links_of(album).await[0]["state"], "expired");
}

#[tokio::test]
async fn links_expire_after_thirty_days_unless_null_is_asked_for_explicitly() {
    let p = party().await;
    let (album, _, _) = alices_album(&p.alice).await;
    let default = p.alice.make_link(album, json!({})).await;
    let left = default.body["expires_at"].as_i64().unwrap() - default.body["created_at"].as_i64().unwrap();
    assert_eq!(left, 30 * 86_400);
    let never = p.alice.make_link(album, json!({ "expires_in": null })).await;
    assert!(never.body["expires_at"].is_null());
    let hour = p.alice.make_link(album, json!({ "expires_in": 3600 })).await;
    assert_eq!(hour.body["expires_at"].as_i64().unwrap() - hour.body["created_at"].as_i64().unwrap(), 3600);
    for bad in [
        json!({ "expires_in": 0 }),
        json!({ "max_views": 0 }),
        json!({ "expires_in": "soon" }),
        json!({ "can_print": true }),
    ] {
        let r = p.alice.send(Method::POST, &format!("/api/v1/albums/{album}/links"), Some(bad.clone())).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.json::<Value>().await.unwrap()["error"].as_str().unwrap().len() > 10);
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM share_links").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(count, 3, "refused links leave nothing behind");
}

#[tokio::test]
async fn a_link_with_max_views_refuses_new_visits_once_used_up_and_lets_the_last_visit_finish() {
    let p = party().await;
    let (album, _, hashes) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({ "max_views": 1 })).await;
    let first = visitor(&p.app);
    first.open(&link.token).await.ok_json().await;
    let second = visitor(&p.app);
    for url in link_urls(&link.token, &hashes[0]) {
        assert_eq!(second.get(&url).await.status(), 410, "used up: {url}");
    }
    assert_eq!(first.get(&format!("/api/v1/s/{}/t/{}/tile_224", link.token, hashes[0])).await.status(), 200);
    let links = p.alice.links_of(album).await;
    assert_eq!((links[0]["view_count"].clone(), links[0]["state"].clone()), (json!(1), json!("used_up")));
}

#[tokio::test]
async fn a_link_hiding_metadata_strips_gps_and_exif_from_originals_zips_and_json() {
    let p = party().await;
    let (album, _, hashes) = alices_album(&p.alice).await;
    let original = dated_jpeg("2023:07:14 18:30:05", 1);
    assert!(has_exif(&original), "the fixture has EXIF with GPS");
    let hidden = p.alice.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    let shared = v.open(&hidden.token).await.ok_json().await;
    let text = shared.to_string();
    for leak in ["latitude", "47.37", "camera", "zurich", "taken_local", "2023"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    let r = v.get(&format!("/api/v1/s/{}/dl/{}", hidden.token, hashes[0])).await;
    assert_eq!(r.status(), 200);
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("photo-") && !disposition.contains("zurich"), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    assert!(!has_exif(&bytes), "no EXIF left");
    assert!(!bytes.windows(4).any(|w| w == b"GPS\0") && bytes.len() < original.len());
    jpeg_decoder::Decoder::new(&bytes[..]).decode().expect("still a picture");
    let zip = v.get(&format!("/api/v1/s/{}/zip", hidden.token)).await.bytes().await.unwrap();
    for (name, entry) in zip_entries(&zip) {
        assert!(name.starts_with("photo-") && !has_exif(&entry), "{name}");
    }
    let page = v.get(&format!("/s/{}", hidden.token)).await.text().await.unwrap();
    assert!(!page.contains("zurich") && !page.contains("47.37"));
    // Shown when the owner says so: the original exactly as uploaded.
    let shown = p.alice.make_link(album, json!({ "show_metadata": true })).await;
    let w = visitor(&p.app);
    let shared = w.open(&shown.token).await.ok_json().await;
    assert!(shared["photos"].as_array().unwrap().iter().any(|ph| ph["latitude"].as_f64().is_some()), "{shared}");
    let bytes = w.get(&format!("/api/v1/s/{}/dl/{}", shown.token, hashes[0])).await.bytes().await.unwrap();
    assert_eq!(bytes.to_vec(), original);
    // No downloads: no original, no zip, thumbnails still.
    let view_only = p.alice.make_link(album, json!({ "can_download": false })).await;
    let x = visitor(&p.app);
    let shared = x.open(&view_only.token).await.ok_json().await;
    assert!(shared["zip"].is_null() && shared["photos"][0]["original"].is_null());
    assert_eq!(x.get(&format!("/api/v1/s/{}/dl/{}", view_only.token, hashes[0])).await.status(), 403);
    assert_eq!(x.get(&format!("/api/v1/s/{}/zip", view_only.token)).await.status(), 403);
    assert_eq!(x.get(&format!("/api/v1/s/{}/t/{}/tile_224", view_only.token, hashes[0])).await.status(), 200);
}

#[tokio::test]
async fn wrong_link_passwords_are_throttled_like_sign_ins() {
    let p = party().await;
    let (album, _, _) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({ "password": "open sesame" })).await;
    let v = visitor(&p.app);
    for _ in 0..10 {
        assert_eq!(v.unlock(&link.token, "guess").await.status(), 401);
    }
    let r = v.unlock(&link.token, "open sesame").await;
    assert_eq!(r.status(), 429, "throttled before the password is checked");
    assert!(r.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn private_photos_stay_out_of_album_links_and_are_shared_only_when_named_in_a_selection() {
    let p = party().await;
    let (album, ids, hashes) = alices_album(&p.alice).await;
    let r = p.alice.patch_photo(ids[0], json!({ "private": true })).await.ok_json().await;
    assert_eq!(r["private"], true);
    let link = p.alice.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    let shared = v.open(&link.token).await.ok_json().await;
    let shown: Vec<i64> = shared["photos"].as_array().unwrap().iter().map(|ph| ph["id"].as_i64().unwrap()).collect();
    assert_eq!(shown, vec![ids[1]]);
    for url in &link_urls(&link.token, &hashes[0])[2..5] {
        assert_eq!(v.get(url).await.status(), 404, "private: {url}");
    }
    let zip = v.get(&format!("/api/v1/s/{}/zip", link.token)).await.bytes().await.unwrap();
    assert_eq!(zip_entries(&zip).len(), 1);
    // Named in a selection, it is shared; the selection's album is hidden from the album list.
    let selection = p.alice.share_selection(&[ids[0]], json!({ "title": "Just this one" })).await;
    let w = visitor(&p.app);
    let shared = w.open(&selection.token).await.ok_json().await;
    assert_eq!(shared["photos"][0]["id"], ids[0]);
    assert_eq!(shared["album"]["title"], "Just this one");
    assert_eq!(w.get(&format!("/api/v1/s/{}/t/{}/tile_224", selection.token, hashes[0])).await.status(), 200);
    let albums = p.alice.get("/api/v1/albums").await;
    assert_eq!(albums["albums"].as_array().unwrap().len(), 1, "{albums}");
    assert_eq!(p.alice.links_of(selection.album).await.len(), 1);
    // Someone else's photos cannot be shared; nothing is left half-made.
    let r = p.bob.send(Method::POST, "/api/v1/links", Some(json!({ "photos": [ids[1]] }))).await;
    assert_eq!(r.status(), 404);
    let hidden: i64 =
        sqlx::query_scalar("SELECT count(*) FROM albums WHERE hidden = 1").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(hidden, 1);
}

#[tokio::test]
async fn the_owner_makes_a_password_link_on_the_album_page_and_a_visitor_unlocks_it_with_the_form() {
    let p = party().await;
    let (album, ids, _) = alices_album(&p.alice).await;
    let page = p.alice.app.get(&format!("/albums/{album}")).await.text().await.unwrap();
    assert!(page.contains(&format!("href=\"/albums/{album}/links\"")), "a Share link on the album page");
    let form = [
        ("csrf_token", p.alice.csrf.as_str()),
        ("action", "create"),
        ("expires", "7"),
        ("password", "open sesame"),
        ("max_views", ""),
        ("can_download", "1"),
        ("comment", "family"),
    ];
    let r =
        p.alice.app.client.post(p.alice.app.url(&format!("/albums/{album}/links"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let marker = "id=\"new-link-url\" readonly value=\"";
    let start = html.find(marker).expect("the new link is shown") + marker.len();
    let url = &html[start..start + html[start..].find('"').unwrap()];
    let path = &url[url.find("/s/").unwrap()..];
    let v = visitor(&p.app);
    let r = v.get(path).await;
    assert_eq!(r.status(), 401);
    let prompt = r.text().await.unwrap();
    assert!(prompt.contains("name=\"password\"") && !prompt.contains("/t/"));
    assert_eq!(hidden_field(&prompt, "csrf_token"), None, "no session for visitors");
    let unlock = format!("{path}/unlock");
    let r = v.app.client.post(v.app.url(&unlock)).form(&[("password", "nope")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = v.app.client.post(v.app.url(&unlock)).form(&[("password", "open sesame")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), path);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!r.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("shoebox_session=")));
    let grid = v.get(path).await.text().await.unwrap();
    assert!(grid.contains(&format!("{path}/photos/{}", ids[0])), "{grid}");
    let viewer = v.get(&format!("{path}/photos/{}", ids[0])).await;
    assert_eq!(viewer.status(), 200);
    assert!(viewer.text().await.unwrap().contains("/api/v1/s/"));
    // The owner sees the visit, and revokes the link from the page.
    let links_page = p.alice.app.get(&format!("/albums/{album}/links")).await.text().await.unwrap();
    assert!(links_page.contains("family") && links_page.contains(">1<"), "{links_page}");
    let link_id = p.alice.links_of(album).await[0]["id"].as_i64().unwrap().to_string();
    let form = [("csrf_token", p.alice.csrf.as_str()), ("action", "revoke"), ("link", link_id.as_str())];
    let r =
        p.alice.app.client.post(p.alice.app.url(&format!("/albums/{album}/links"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(v.get(path).await.status(), 410);
}

#[tokio::test]
async fn a_link_that_takes_uploads_puts_visitors_photos_in_the_owners_library_and_album_marked_as_contributed() {
    let p = party().await;
    let (album, _, _) = alices_album(&p.alice).await;
    let link = p.alice.make_link(album, json!({ "can_upload": true })).await;
    let closed = p.alice.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    let upload = |token: &str, seed: u64| {
        let form = reqwest::multipart::Form::new()
            .part("files", reqwest::multipart::Part::bytes(photo("2024:05:05 12:00:00", seed)).file_name("mine.jpg"));
        v.app.client.post(v.app.url(&format!("/api/v1/s/{token}/upload"))).multipart(form).send()
    };
    assert_eq!(upload(&link.token, 50).await.unwrap().status(), 401, "no visit yet");
    let shared = v.open(&link.token).await.ok_json().await;
    assert_eq!(shared["link"]["can_upload"], true);
    let r = upload(&link.token, 50).await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(r["files"][0]["result"], "new", "{r}");
    let id = r["files"][0]["photo_id"].as_i64().unwrap();
    let mine = p.alice.get(&format!("/api/v1/photos/{id}")).await;
    assert_eq!(
        (mine["owner_id"].clone(), mine["contributed_link_id"].clone()),
        (json!(p.alice.get("/api/v1/session").await["user"]["id"]), json!(link.id))
    );
    let in_album = p.alice.album_photos(album, "").await.ok_json().await;
    assert!(in_album["photos"].as_array().unwrap().iter().any(|ph| ph["id"] == id), "{in_album}");
    assert_eq!(v.open(&link.token).await.ok_json().await["photos"].as_array().unwrap().len(), 3);
    // The page's form does the same, then goes back to the album.
    let form = reqwest::multipart::Form::new()
        .part("files", reqwest::multipart::Part::bytes(photo("2024:05:06 12:00:00", 51)).file_name("two.jpg"));
    let r = v.app.client.post(v.app.url(&format!("/s/{}/upload", link.token))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/s/{}", link.token));
    assert_eq!(p.alice.album(album).await.ok_json().await["photo_count"], 4);
    // A link without uploads refuses them; a revoked one serves nothing.
    v.open(&closed.token).await.ok_json().await;
    assert_eq!(upload(&closed.token, 52).await.unwrap().status(), 403);
    p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album}/links/{}", link.id), None).await.ok_json().await;
    assert_eq!(upload(&link.token, 53).await.unwrap().status(), 410);
    let photos: i64 = sqlx::query_scalar("SELECT count(*) FROM photos").fetch_one(&p.app.db).await.unwrap();
    assert_eq!(photos, 4, "refused uploads leave nothing behind");
}

/// A 16×12 picture, different for each seed.
fn pattern(seed: u8) -> image::RgbaImage {
    image::RgbaImage::from_fn(16, 12, |x, y| image::Rgba([x as u8 * 15, y as u8 * 20, seed.wrapping_mul(40), 255]))
}

/// A WebP as cameras and editors write one with metadata: the picture (encoded by the image
/// crate, lossless) in an extended container that announces and carries EXIF and XMP chunks.
fn webp_with_metadata(seed: u8) -> Vec<u8> {
    let img = pattern(seed);
    let mut plain = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut plain)
        .encode(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut c = kind.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    // VP8X: ICC no, alpha yes, EXIF yes, XMP yes; canvas 16×12 (each stored minus one, 24 bits).
    let vp8x = [&[0b0001_1100u8, 0, 0, 0][..], &[15, 0, 0], &[11, 0, 0]].concat();
    let exif = [&b"MM\0*\0\0\0\x08\0\0\0\0\0\0"[..], b"secret-exif GPS Zurich"].concat();
    let body = [
        b"WEBP".to_vec(),
        chunk(b"VP8X", &vp8x),
        plain[plain.windows(4).position(|w| w == b"VP8L").unwrap()..].to_vec(),
        chunk(b"EXIF", &exif),
        chunk(b"XMP ", b"<x:xmpmeta>secret-xmp Zurich</x:xmpmeta>"),
    ]
    .concat();
    [b"RIFF".to_vec(), (body.len() as u32).to_le_bytes().to_vec(), body].concat()
}

/// A GIF (encoded by the image crate) with a comment and an XMP application extension before its
/// trailer, where editors put them.
fn gif_with_metadata(seed: u8) -> Vec<u8> {
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        encoder.encode_frame(image::Frame::new(pattern(seed))).unwrap();
    }
    assert_eq!(gif.pop(), Some(0x3B), "the trailer");
    gif.extend_from_slice(b"\x21\xFE\x13secret-comment here\0");
    gif.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x1Esecret-xmp <x:xmpmeta/> Zurich\0\x3B");
    gif
}

fn pixels(bytes: &[u8]) -> Vec<u8> {
    image::load_from_memory(bytes).expect("a picture").to_rgba8().into_raw()
}

#[tokio::test]
async fn a_link_hiding_metadata_strips_webp_and_gif_originals_and_keeps_their_pixels() {
    let p = party().await;
    let (webp, gif) = (webp_with_metadata(1), gif_with_metadata(2));
    assert_eq!(pixels(&webp), pattern(1).into_raw(), "the fixture decodes with its metadata");
    let ids = p.alice.upload(&[("zurich.webp", webp.clone()), ("zurich.gif", gif.clone())]).await;
    let album = p.alice.album_with("Moving pictures", &ids).await;
    let link = p.alice.make_link(album, json!({})).await;
    let v = visitor(&p.app);
    let shared = v.open(&link.token).await.ok_json().await;
    assert!(shared["photos"].as_array().unwrap().iter().all(|ph| ph["original"].is_string()), "{shared}");
    for (id, original, ext) in [(ids[0], &webp, "webp"), (ids[1], &gif, "gif")] {
        let hash = p.alice.hash_of(id).await;
        let r = v.get(&format!("/api/v1/s/{}/dl/{hash}", link.token)).await;
        assert_eq!(r.status(), 200, "{ext}");
        let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains(&format!("photo-{id}.{ext}")), "{disposition}");
        let bytes = r.bytes().await.unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"secret" || w == b"Zurich"), "{ext}: metadata left");
        assert!(bytes.len() < original.len(), "{ext}");
        assert_eq!(pixels(&bytes), pixels(original), "{ext}: the same picture");
    }
    let webp_out = v.get(&format!("/api/v1/s/{}/dl/{}", link.token, p.alice.hash_of(ids[0]).await)).await;
    let webp_out = webp_out.bytes().await.unwrap();
    assert_eq!(webp_out[20] & 0b1100, 0, "VP8X no longer announces EXIF or XMP");
    assert_eq!(u32::from_le_bytes(webp_out[4..8].try_into().unwrap()) as usize, webp_out.len() - 8, "RIFF size");
    let zip = v.get(&format!("/api/v1/s/{}/zip", link.token)).await.bytes().await.unwrap();
    let entries = zip_entries(&zip);
    assert_eq!(entries.len(), 2, "both in the zip");
    for (name, entry) in entries {
        assert!(!entry.windows(6).any(|w| w == b"secret"), "{name}");
    }
}
