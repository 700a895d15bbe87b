//! Who may do what with shared albums, proven: every sharing route (links, the upload, members,
//! groups), the photo, thumbnail, original, paired file, video and clip stream, zip and album routes they sit beside, and WebDAV with
//! its app passwords, and partners (a whole library shared read-only), asked by every kind of visitor. Each cell is
//! the status expected; any other answer fails the test, so an unexpected 200 cannot pass. The
//! same table is docs/sharing.md's matrix: the test compares them (run it with
//! `SHOEBOX_WRITE_MATRIX=1` to write the document after changing the expectations).

use base64::Engine;
use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::helpers::{
    MotionXmp, PASSWORD, Person, ResponseExt, VideoSpec, client, expire_link, h264_mp4, live_clip_mov, live_still_jpeg,
    motion_photo_jpeg, party, person, photo, store_groups, visitor,
};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sharing.md");
const BEGIN: &str = "<!-- access matrix: written by tests/api/access_matrix.rs -->";
const END: &str = "<!-- end of access matrix -->";

const COLUMNS: [&str; 17] = [
    "anonymous",
    "owner",
    "another user",
    "administrator",
    "album viewer",
    "contributor",
    "editor",
    "group member",
    "ex-group member",
    "link visitor",
    "expired link",
    "revoked link",
    "used-up link",
    "locked link",
    "link A, album B",
    "owner's app password",
    "partner",
];

/// Each row: the request (placeholders filled per column, see `Cells::fill`) and the status each
/// column must get, in the order of `COLUMNS`. Rows that change things come in an order that
/// keeps the later rows meaningful (members leave last).
#[rustfmt::skip]
const MATRIX: &[(&str, [u16; 17])] = &[
    ("GET /api/v1/albums/{A}",                   [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/albums/{A}/photos",            [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/albums/{A}/zip",               [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/photos/{P}",                   [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/photos/{XP}",                  [401, 200, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/t/{H}/{MT}/tile_224",          [404, 200, 404, 404, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 404, 200]),
    ("GET /api/v1/t/{X}/{MT}/tile_224",          [404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("GET /api/v1/dl/{H}",                       [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/videos/{V}",                   [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/videos/{LV}",                  [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/dl/{LV}/motion",               [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/photos/zip?ids={P}",           [401, 200, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /albums/{A}",                          [303, 200, 404, 404, 200, 200, 200, 200, 404, 303, 303, 303, 303, 303, 303, 303, 404]),
    ("PATCH /api/v1/albums/{A}",                 [401, 200, 404, 404, 403, 403, 200, 403, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("POST /api/v1/albums/{A}/photos",           [401, 200, 404, 404, 403, 200, 200, 403, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/albums/{A}/members",           [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/albums/{A}/groups",           [401, 200, 404, 404, 200, 200, 200, 200, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("PUT /api/v1/albums/{A}/groups/friends",   [401, 200, 404, 404, 403, 403, 403, 403, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("PUT /api/v1/albums/{A}/members/dave",      [401, 200, 404, 404, 403, 403, 403, 403, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /albums/{A}/links",                    [303, 200, 404, 404, 404, 404, 404, 404, 404, 303, 303, 303, 303, 303, 303, 303, 404]),
    ("GET /api/v1/albums/{A}/links",             [401, 200, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("POST /api/v1/albums/{A}/links",            [401, 201, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("PATCH /api/v1/albums/{A}/links/{L}",       [401, 200, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("DELETE /api/v1/albums/{A}/links/{SPARE}",  [401, 200, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("DELETE /api/v1/albums/{C}/links",          [401, 200, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("POST /api/v1/links",                       [401, 201, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("GET /api/v1/s/{T}/t/{H}/tile_224",         [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 404, 401, 401]),
    ("GET /api/v1/s/{T}/t/{X}/tile_224",         [401, 401, 401, 401, 401, 401, 401, 401, 401, 404, 410, 410, 410, 401, 404, 401, 401]),
    ("GET /api/v1/s/{T}/dl/{H}",                 [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 404, 401, 401]),
    ("GET /api/v1/s/{T}/videos/{V}",             [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 404, 401, 401]),
    ("GET /api/v1/s/{T}/videos/{LV}",            [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 404, 401, 401]),
    ("GET /api/v1/s/{T}/dl/{LV}/motion",         [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 404, 401, 401]),
    ("GET /api/v1/s/{T}/zip",                    [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 200, 401, 401]),
    ("POST /api/v1/s/{T}/upload",                [401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 410, 410, 410, 401, 200, 401, 401]),
    ("GET /s/{T}/photos/{P}",                    [303, 303, 303, 303, 303, 303, 303, 303, 303, 200, 410, 410, 410, 303, 404, 303, 303]),
    ("GET /api/v1/s/{T}",                        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 410, 410, 410, 401, 200, 200, 200]),
    ("GET /s/{T}",                               [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 410, 410, 410, 401, 200, 200, 200]),
    ("POST /api/v1/s/{T}/unlock",                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 410, 410, 410, 401, 200, 200, 200]),
    ("DELETE /api/v1/albums/{C}",                [401, 204, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    ("DELETE /api/v1/albums/{A}/members/{ME}",   [401, 404, 404, 404, 204, 204, 204, 404, 404, 401, 401, 401, 401, 401, 401, 401, 404]),
    // WebDAV opens with an app password only (HTTP Basic), never with a session or a link, and
    // an app password opens nothing but WebDAV.
    ("PROPFIND /originals/",                     [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 207, 401]),
    ("PROPFIND /import/",                        [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 207, 401]),
    ("GET /api/v1/places",                       [401, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/account/app-passwords",        [401, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 200]),
    // Partners: alice shares her library with the partner; only they see her list and choose
    // whether it is in their timeline. Everyone signed in may share their own library.
    ("GET /partners/{ALICE}",                    [303, 404, 404, 404, 404, 404, 404, 404, 404, 303, 303, 303, 303, 303, 303, 303, 200]),
    ("PATCH /api/v1/account/partners/alice",     [401, 404, 404, 404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("GET /api/v1/account/partners",             [401, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 200]),
    ("POST /api/v1/account/partners",            [401, 201, 201, 201, 201, 201, 201, 201, 201, 401, 401, 401, 401, 401, 401, 401, 201]),
    ("DELETE /api/v1/account/partners/dave",     [401, 204, 204, 204, 204, 204, 204, 204, 204, 401, 401, 401, 401, 401, 401, 401, 204]),
];

/// What a column asks as: its cookies (a session or a link's pass), CSRF token, link token and
/// media token, and the album its requests name.
struct Column {
    client: Client,
    csrf: String,
    username: String,
    /// A photo of the asker's own (what they would add to an album).
    own_photo: i64,
    token: String,
    media_token: String,
    album: i64,
    photo: i64,
    hash: String,
}

/// The placeholders' values shared by every column.
struct Cells {
    link: i64,
    spare: i64,
    album_c: i64,
    private_hash: String,
    private_photo: i64,
    alice: i64,
    /// A video in album A.
    video_hash: String,
    album_b: i64,
    /// A video in album B: what `{V}` names for a column asking for album B's things.
    video_hash_b: String,
    /// A Live Photo (a JPEG and the MOV beside it) in album A.
    live_hash: String,
    /// A Live Photo (a Motion Photo) in album B: what `{LV}` names for a column asking for album
    /// B's things.
    live_hash_b: String,
}

impl Cells {
    fn fill(&self, c: &Column, template: &str) -> String {
        template
            .replace("{A}", &c.album.to_string())
            .replace("{C}", &self.album_c.to_string())
            .replace("{ALICE}", &self.alice.to_string())
            .replace("{XP}", &self.private_photo.to_string())
            .replace("{P}", &c.photo.to_string())
            .replace("{ME}", &c.username)
            .replace("{H}", &c.hash)
            .replace("{X}", &self.private_hash)
            .replace("{V}", if c.album == self.album_b { &self.video_hash_b } else { &self.video_hash })
            .replace("{LV}", if c.album == self.album_b { &self.live_hash_b } else { &self.live_hash })
            .replace("{MT}", &c.media_token)
            .replace("{T}", &c.token)
            .replace("{L}", &self.link.to_string())
            .replace("{SPARE}", &self.spare.to_string())
    }
}

fn body_for(template: &str, photo: i64, own_photo: i64) -> Option<Value> {
    match template {
        "PATCH /api/v1/albums/{A}" => Some(json!({ "description": "checked" })),
        "POST /api/v1/albums/{A}/photos" => Some(json!({ "ids": [own_photo] })),
        "PUT /api/v1/albums/{A}/members/dave" | "PUT /api/v1/albums/{A}/groups/friends" => {
            Some(json!({ "role": "viewer" }))
        }
        "POST /api/v1/albums/{A}/links" => Some(json!({})),
        "PATCH /api/v1/albums/{A}/links/{L}" => Some(json!({ "comment": "checked" })),
        "POST /api/v1/links" => Some(json!({ "photos": [photo] })),
        "POST /api/v1/s/{T}/unlock" => Some(json!({ "password": "not it" })),
        "POST /api/v1/account/partners" => Some(json!({ "username": "dave" })),
        "PATCH /api/v1/account/partners/alice" => Some(json!({ "in_timeline": true })),
        _ => None,
    }
}

/// The token inside a media URL `/api/v1/t/{hash}/{token}/{size}`.
fn media_token(url: &str) -> String {
    url.split('/').nth(5).unwrap().to_string()
}

/// The person's media token and a photo of their own (uploaded for it).
async fn own_media_token(p: &Person, seed: u64) -> (String, i64) {
    let id = p.upload(&[("mine.jpg", photo("2020:02:02 10:00:00", seed))]).await[0];
    let v = p.photos("").await.ok_json().await;
    (media_token(v["photos"][0]["thumbnails"]["tile_224"].as_str().unwrap()), id)
}

fn account(p: &Person, name: &str, token: &str, media: (String, i64), album: i64, photo: i64, hash: &str) -> Column {
    let (media, own_photo) = media;
    Column {
        client: p.app.client.clone(),
        csrf: p.csrf.clone(),
        username: name.into(),
        own_photo,
        token: token.into(),
        media_token: media,
        album,
        photo,
        hash: hash.into(),
    }
}

/// The matrix as Markdown: one row per request, one column per kind of visitor.
fn markdown(matrix: &[(&str, Vec<u16>)]) -> String {
    let mut out = format!("| request | {} |\n|---|{}\n", COLUMNS.join(" | "), "---|".repeat(COLUMNS.len()));
    for (request, cells) in matrix {
        let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        out.push_str(&format!("| `{request}` | {} |\n", cells.join(" | ")));
    }
    out
}

#[tokio::test]
async fn every_sharing_route_answers_each_kind_of_visitor_as_docs_sharing_md_says() {
    let p = party().await;
    let ids = p
        .alice
        .upload(&[
            ("a.jpg", photo("2023:01:01 10:00:00", 1)),
            ("private.jpg", photo("2023:01:02 10:00:00", 2)),
            ("b.jpg", photo("2023:01:03 10:00:00", 3)),
            ("c.jpg", photo("2023:01:04 10:00:00", 4)),
        ])
        .await;
    p.alice.patch_photo(ids[1], json!({ "private": true })).await.ok_json().await;
    let video = p.alice.upload(&[("v.mp4", h264_mp4())]).await[0];
    let live = p.alice.upload(&[("live.mov", live_clip_mov("libx264")), ("live.jpg", live_still_jpeg(11))]).await[1];
    let album_a = p.alice.album_with("A", &[ids[0], ids[1], video, live]).await;
    let video_b =
        p.alice.upload(&[("w.mp4", crate::helpers::video(&VideoSpec { seconds: 1.0, ..VideoSpec::default() }))]).await
            [0];
    let live_b = p
        .alice
        .upload(&[("PXL_20240506_102030123.MP.jpg", motion_photo_jpeg(MotionXmp::MicroVideo, "libx264").0)])
        .await[0];
    assert_eq!(p.alice.get(&format!("/api/v1/photos/{live_b}")).await["media_type"], "live");
    let album_b = p.alice.album_with("B", &[ids[2], video_b, live_b]).await;
    let album_c = p.alice.album_with("C", &ids[3..]).await;
    let (hash, private_hash, hash_b) =
        (p.alice.hash_of(ids[0]).await, p.alice.hash_of(ids[1]).await, p.alice.hash_of(ids[2]).await);
    let alice_media = media_token(
        p.alice.get(&format!("/api/v1/photos/{}", ids[0])).await["thumbnails"]["tile_224"].as_str().unwrap(),
    );
    let valid = p.alice.make_link(album_a, json!({ "can_upload": true })).await;
    let expired = p.alice.make_link(album_a, json!({})).await;
    let revoked = p.alice.make_link(album_a, json!({})).await;
    let used_up = p.alice.make_link(album_a, json!({ "max_views": 1 })).await;
    let locked = p.alice.make_link(album_a, json!({ "password": "sesame" })).await;
    let spare = p.alice.make_link(album_a, json!({})).await;
    p.alice.make_link(album_c, json!({})).await;
    // The visitors: each opened their link while it was live, except the used-up one (someone
    // else took its only view) and the locked one (no password).
    let mut columns = Vec::new();
    let anonymous = p.app.with_client(client());
    columns.push(Column {
        client: anonymous.client.clone(),
        csrf: String::new(),
        username: "nobody".into(),
        own_photo: 0,
        token: valid.token.clone(),
        media_token: "u1.0-1-00".into(),
        album: album_a,
        photo: ids[0],
        hash: hash.clone(),
    });
    columns.push(account(&p.alice, "alice", &valid.token, (alice_media, ids[0]), album_a, ids[0], &hash));
    let bob_media = own_media_token(&p.bob, 90).await;
    columns.push(account(&p.bob, "bob", &valid.token, bob_media, album_a, ids[0], &hash));
    let admin_media = own_media_token(&p.admin, 91).await;
    columns.push(account(&p.admin, "admin", &valid.token, admin_media, album_a, ids[0], &hash));
    // Album A's members, one per role.
    for (i, (name, role)) in [("carol", "viewer"), ("dan", "contributor"), ("erin", "editor")].into_iter().enumerate() {
        p.app.add_user(name, PASSWORD, "user").await;
        let member = person(&p.app, name).await;
        let path = format!("/api/v1/albums/{album_a}/members/{name}");
        p.alice.send(Method::PUT, &path, Some(json!({ "role": role }))).await.ok_json().await;
        let media = own_media_token(&member, 92 + i as u64).await;
        columns.push(account(&member, name, &valid.token, media, album_a, ids[0], &hash));
    }
    // In the sign-on group `family` album A is shared with, and someone the provider took out of it.
    p.alice
        .send(Method::PUT, &format!("/api/v1/albums/{album_a}/groups/family"), Some(json!({ "role": "viewer" })))
        .await
        .ok_json()
        .await;
    for (i, (name, groups)) in [("frank", vec!["family", "work"]), ("gina", vec!["family"])].into_iter().enumerate() {
        p.app.add_user(name, PASSWORD, "user").await;
        store_groups(&p.app, name, &groups).await;
        let member = person(&p.app, name).await;
        let media = own_media_token(&member, 95 + i as u64).await;
        columns.push(account(&member, name, &valid.token, media, album_a, ids[0], &hash));
    }
    store_groups(&p.app, "gina", &["work"]).await;
    p.app.add_user("dave", PASSWORD, "user").await;
    for link in [&valid, &expired, &revoked, &used_up, &locked, &valid] {
        let v = visitor(&p.app);
        if link.id != locked.id && link.id != used_up.id {
            v.open(&link.token).await.ok_json().await;
        }
        columns.push(Column {
            client: v.app.client.clone(),
            csrf: String::new(),
            username: "nobody".into(),
            own_photo: 0,
            token: link.token.clone(),
            media_token: "u1.0-1-00".into(),
            album: album_a,
            photo: ids[0],
            hash: hash.clone(),
        });
    }
    visitor(&p.app).open(&used_up.token).await.ok_json().await;
    expire_link(&p.app, expired.id).await;
    p.alice.send(Method::DELETE, &format!("/api/v1/albums/{album_a}/links/{}", revoked.id), None).await.ok_json().await;
    // Link A's visitor asks for album B's things.
    let last = columns.last_mut().unwrap();
    (last.album, last.photo, last.hash) = (album_b, ids[2], hash_b);

    // Alice's WebDAV client: her username and an app password, on no session.
    let secret = p.alice.app_password("the matrix's WebDAV client").await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{secret}"));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Basic {basic}").parse().unwrap());
    let webdav =
        Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    columns.push(Column {
        client: webdav,
        csrf: String::new(),
        username: "alice".into(),
        own_photo: 0,
        token: valid.token.clone(),
        media_token: "u1.0-1-00".into(),
        album: album_a,
        photo: ids[0],
        hash: hash.clone(),
    });

    // Alice's partner: her whole library, shared read-only (private photos excepted).
    p.app.add_user("henry", PASSWORD, "user").await;
    let partner = person(&p.app, "henry").await;
    p.alice
        .send(Method::POST, "/api/v1/account/partners", Some(json!({ "username": "henry" })))
        .await
        .error_for_status()
        .unwrap();
    let partner_media = own_media_token(&partner, 98).await;
    columns.push(account(&partner, "henry", &valid.token, partner_media, album_a, ids[0], &hash));
    let alice: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'").fetch_one(&p.app.db).await.unwrap();

    let (video_hash, video_hash_b, live_hash, live_hash_b) = (
        p.alice.hash_of(video).await,
        p.alice.hash_of(video_b).await,
        p.alice.hash_of(live).await,
        p.alice.hash_of(live_b).await,
    );
    let cells = Cells {
        link: valid.id,
        spare: spare.id,
        album_c,
        private_hash,
        private_photo: ids[1],
        alice,
        video_hash,
        album_b,
        video_hash_b,
        live_hash,
        live_hash_b,
    };
    let mut actual = Vec::new();
    let mut wrong = Vec::new();
    for (template, expected) in MATRIX {
        let (method, path) = template.split_once(' ').unwrap();
        let mut row = Vec::new();
        for (i, column) in columns.iter().enumerate() {
            let url = format!("{}{}", p.app.address, cells.fill(column, path));
            let mut request = column.client.request(method.parse::<Method>().unwrap(), &url);
            if !column.csrf.is_empty() {
                request = request.header("X-CSRF-Token", &column.csrf);
            }
            if let Some(body) = body_for(template, column.photo, column.own_photo) {
                request = request.json(&body);
            }
            if template.ends_with("/upload") {
                let part = reqwest::multipart::Part::bytes(photo("2024:01:01 10:00:00", 500 + i as u64));
                request = request.multipart(reqwest::multipart::Form::new().part("files", part.file_name("v.jpg")));
            }
            let status = request.send().await.unwrap().status().as_u16();
            if status != expected[i] {
                wrong.push(format!("{template} as {}: {status}, expected {}", COLUMNS[i], expected[i]));
            }
            row.push(status);
        }
        actual.push((*template, row));
    }
    assert!(wrong.is_empty(), "unexpected answers:\n{}\n\n{}", wrong.join("\n"), markdown(&actual));

    let table = markdown(&MATRIX.iter().map(|(t, e)| (*t, e.to_vec())).collect::<Vec<_>>());
    let doc = std::fs::read_to_string(DOC).unwrap();
    let (start, end) = (doc.find(BEGIN).expect("the matrix's start marker"), doc.find(END).expect("its end marker"));
    let documented = &doc[start + BEGIN.len()..end];
    if std::env::var_os("SHOEBOX_WRITE_MATRIX").is_some() {
        std::fs::write(DOC, format!("{}{BEGIN}\n{table}{}", &doc[..start], &doc[end..])).unwrap();
    } else {
        assert_eq!(
            documented.trim(),
            table.trim(),
            "docs/sharing.md's matrix is out of date: run with SHOEBOX_WRITE_MATRIX=1"
        );
    }
    let cells_count = MATRIX.len() * COLUMNS.len();
    assert_eq!(cells_count, 833);
}
