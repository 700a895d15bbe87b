//! The gallery pages through HTTP: timeline, viewer, administrator's library page, account
//! sessions; who may see what; the page weight budgets.

use serde_json::Value;

use crate::helpers::*;

/// The skipped paths a Library page lists, in order.
fn skipped_rows(html: &str) -> Vec<String> {
    html.split("<tr><td><code>").skip(1).map(|s| s[..s.find("</code>").unwrap()].to_string()).collect()
}

fn tile_ids(html: &str) -> Vec<i64> {
    html.split("<li id=\"p").skip(1).map(|s| s[..s.find('"').unwrap()].parse().unwrap()).collect()
}

fn attr_after<'a>(html: &'a str, marker: &str, attr: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(&rest[start..start + rest[start..].find('"')?])
}

async fn user_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE username = ?").bind(name).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_timeline_shows_the_users_photos_newest_first_under_month_headings_with_placeholders() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[
            ("june.jpg", dated_jpeg("2023:06:02 09:00:00", 1)),
            ("july-late.jpg", dated_jpeg("2023:07:30 12:00:00", 2)),
            ("july-early.jpg", dated_jpeg("2023:07:01 08:00:00", 3)),
        ],
    )
    .await;
    let html = app.get("/").await.text().await.unwrap();
    assert_eq!(tile_ids(&html), vec![ids[1], ids[2], ids[0]], "newest first by date taken");
    let july = html.find("<h2>July 2023</h2>").expect("a July heading");
    let june = html.find("<h2>June 2023</h2>").expect("a June heading");
    assert!(july < june && html.matches("<h2>July 2023</h2>").count() == 1);
    let tile = &html[html.find(&format!("id=\"p{}\"", ids[1])).unwrap()..];
    let tile = &tile[..tile.find("</li>").unwrap()];
    assert!(tile.contains(&format!("href=\"/photos/{}?in=timeline\"", ids[1])));
    assert!(
        tile.contains("/fit_720\"") && !tile.contains("srcset"),
        "one uncropped thumbnail, for justified rows: {tile}"
    );
    assert!(tile.contains("width=\"640\" height=\"480\""), "the box is known before the image loads: {tile}");
    assert!(tile.contains("alt=\"Photo taken 30 July 2023, 12:00\""), "{tile}");
    let th = attr_after(tile, "<img", "data-th").unwrap();
    assert!(th.len() > 20, "the ThumbHash placeholder is in the page: {th}");
    assert!(!html.contains("next-page"), "one page only");

    // The thumbnail URL in the page works for this user's browser.
    let src = attr_after(tile, "<img", "src").unwrap();
    let r = app.get(src).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
}

#[tokio::test]
async fn the_timeline_pages_by_keyset_and_its_older_photos_link_works_without_javascript() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    // The index at startup marks rows without a file missing: let it finish first.
    wait_for_index(&app).await;
    let ids = many_photos(&app, user_id(&app, "admin").await, 170).await;
    let html = app.get("/").await.text().await.unwrap();
    let page = shoebox::http::pages::photo_list::PAGE as usize;
    assert_eq!(tile_ids(&html), ids[..page].to_vec());
    let next = attr_after(&html, "id=\"next-page\"", "href").expect("an older-photos link").replace("&amp;", "&");
    assert!(next.starts_with("/?after="), "{next}");
    let html = app.get(&next).await.text().await.unwrap();
    assert_eq!(tile_ids(&html), ids[page..2 * page].to_vec());
    let next = attr_after(&html, "id=\"next-page\"", "href").expect("a third page").replace("&amp;", "&");
    let html = app.get(&next).await.text().await.unwrap();
    assert_eq!(tile_ids(&html), ids[2 * page..].to_vec());
    assert!(!html.contains("next-page"), "the last page has no older link");
    assert!(html.contains("<a href=\"/\">Newest photos</a>"));
    assert_eq!(app.get("/?after=yesterday").await.status(), 400);
}

#[tokio::test]
async fn the_viewer_shows_the_photo_its_neighbours_and_what_is_known_about_it() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[
            ("a.jpg", dated_jpeg("2023:07:01 08:00:00", 1)),
            ("b.jpg", dated_jpeg("2023:07:02 08:00:00", 2)),
            ("c.jpg", dated_jpeg("2023:07:03 08:00:00", 3)),
        ],
    )
    .await;
    let (oldest, middle, newest) = (ids[0], ids[1], ids[2]);
    let r = app.get(&format!("/photos/{middle}")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let img = &html[html.find("id=\"photo\"").unwrap()..];
    let srcset = attr_after(img, "id=\"photo\"", "srcset").unwrap();
    assert!(
        srcset.contains("/fit_1280 1280w") && srcset.contains("/fit_1920 1920w") && srcset.contains("/fit_2560 2560w")
    );
    assert_eq!(attr_after(&html, "id=\"newer\"", "href"), Some(format!("/photos/{newest}?in=timeline").as_str()));
    assert_eq!(attr_after(&html, "id=\"older\"", "href"), Some(format!("/photos/{oldest}?in=timeline").as_str()));
    assert!(attr_after(&html, "id=\"older\"", "data-srcset").unwrap().contains("/fit_1920"), "preloadable");
    // Back to the timeline page that starts at this photo.
    let back = attr_after(&html, "id=\"back\"", "href").unwrap().to_string();
    assert!(back.ends_with(&format!("#p{middle}")), "{back}");
    let page = app.get(back.split('#').next().unwrap()).await.text().await.unwrap();
    assert_eq!(tile_ids(&page)[0], middle);
    assert!(html.contains("2 July 2023, 08:00 (UTC+02:00)"), "date with its offset");
    assert!(html.contains("Shoebox Synthetic One"), "camera");
    assert!(html.contains("640 × 480 pixels"));
    assert!(html.contains("admin/2023/07/b.jpg"), "the file");
    assert!(html.contains("47.37690, 8.54170"));
    let map = html.split("href=\"").find(|s| s.starts_with("https://www.openstreetmap.org/")).expect("a map link");
    assert!(
        map.starts_with("https://www.openstreetmap.org/?mlat=47.37690&#38;mlon=8.54170")
            || map.starts_with("https://www.openstreetmap.org/?mlat=47.37690&amp;mlon=8.54170"),
        "{map}"
    );
    assert!(html.contains("href=\"/api/v1/dl/"), "download the original");

    // The ends of the timeline have one neighbour.
    let html = app.get(&format!("/photos/{newest}")).await.text().await.unwrap();
    assert!(!html.contains("id=\"newer\"") && html.contains("id=\"older\""));
    assert_eq!(app.get("/photos/999999").await.status(), 404);
}

#[tokio::test]
async fn another_user_sees_only_their_own_photos_and_not_someone_elses_viewer_and_anonymous_visitors_sign_in() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(&app, &csrf, &[("mine.jpg", dated_jpeg("2023:07:01 08:00:00", 1))]).await;
    app.add_user("bob", "bobs password", "user").await;
    let bob = app.with_client(client());
    assert_eq!(bob.sign_in("bob", "bobs password").await.status(), 200);
    let html = bob.get("/").await.text().await.unwrap();
    assert!(tile_ids(&html).is_empty(), "bob has no photos");
    assert!(html.contains("No photos yet"));
    let r = bob.get(&format!("/photos/{}", ids[0])).await;
    assert_eq!(r.status(), 404, "someone else's photo does not exist for bob");
    assert!(r.text().await.unwrap().contains("Page not found"));

    let anonymous = app.with_client(client());
    let r = anonymous.get("/").await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/login".to_string()));
    let r = anonymous.get(&format!("/photos/{}", ids[0])).await;
    assert_eq!(location(&r), format!("/login?next=%2Fphotos%2F{}", ids[0]));

    // A viewer (read-only role) sees no upload button.
    app.add_user("vera", "veras password", "viewer").await;
    let vera = app.with_client(client());
    assert_eq!(vera.sign_in("vera", "veras password").await.status(), 200);
    let html = vera.get("/").await.text().await.unwrap();
    assert!(!html.contains("upload-files") && !html.contains("upload.js"));
    assert!(bob.get("/").await.text().await.unwrap().contains("id=\"upload-files\""));
}

#[tokio::test]
async fn the_library_page_is_for_administrators_and_lists_counts_and_skipped_files_with_reasons() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    write_original(&app, "admin/notes.jpg", b"this is not a picture");
    write_original(&app, "admin/ok.jpg", &dated_jpeg("2023:07:01 08:00:00", 1));
    run_index(&app, &csrf).await;
    let r = app.get("/admin/library").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<dd id=\"count-photos\">1</dd>"), "{html}");
    assert!(html.contains("<dd id=\"count-skipped\">1</dd>"));
    assert!(html.contains("<code>admin/notes.jpg</code></td><td>"), "the skipped file");
    assert!(html.contains("Finished in"), "the last run's summary");

    let r =
        app.client.post(app.url("/admin/library/index")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/admin/library?"), "{}", location(&r));
    let r = app.client.post(app.url("/admin/library/index")).send().await.unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");

    app.add_user("bob", "bobs password", "user").await;
    let bob = app.with_client(client());
    let bob_csrf = bob.sign_in("bob", "bobs password").await.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(bob.get("/admin/library").await.status(), 403);
    let r = bob.client.post(bob.url("/admin/library/index")).form(&[("csrf_token", bob_csrf.as_str())]).send().await;
    assert_eq!(r.unwrap().status(), 403);
    assert!(!bob.get("/").await.text().await.unwrap().contains("/admin/library"), "no link for users");
    let anonymous = app.with_client(client());
    assert_eq!(location(&anonymous.get("/admin/library").await), "/login?next=%2Fadmin%2Flibrary");
}

#[tokio::test]
async fn the_library_page_lists_skipped_files_a_hundred_at_a_time_with_a_link_to_the_next_hundred() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let paths = many_skipped_files(&app, 250).await;
    let mut seen = Vec::new();
    let mut page = "/admin/library".to_string();
    let mut pages = 0;
    loop {
        let html = app.get(&page).await.text().await.unwrap();
        assert!(html.contains("<dd id=\"count-skipped\">250</dd>"), "every page counts them all");
        let rows = skipped_rows(&html);
        assert!(rows.len() <= 100, "{page}: {} rows", rows.len());
        seen.extend(rows);
        pages += 1;
        let Some(at) = html.find("id=\"more-skipped\" href=\"") else { break };
        let rest = &html[at + "id=\"more-skipped\" href=\"".len()..];
        page = rest[..rest.find('"').unwrap()].to_string();
        assert!(page.starts_with("/admin/library?skipped_after="), "a bookmarkable address: {page}");
        assert!(html.contains("href=\"/admin/library#skipped\"") == (pages > 1), "the way back to the first page");
    }
    assert_eq!(pages, 3);
    assert!(seen == paths, "every skipped file once, in path order: {:?}", &seen[..3]);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_that_user_and_no_one_elses() {
    let app = spawn_app().await;
    app.add_user("bob", "bobs password", "user").await;
    let laptop = app.with_client(client());
    let phone = app.with_client(client());
    let other = app.with_client(client());
    assert_eq!(laptop.sign_in("bob", "bobs password").await.status(), 200);
    assert_eq!(phone.sign_in("bob", "bobs password").await.status(), 200);
    other.sign_in_admin().await;

    let html = laptop.get("/account").await.text().await.unwrap();
    let sessions = &html[html.find("<table class=\"sessions\">").expect("a sessions table")..];
    let sessions = &sessions[..sessions.find("</table>").unwrap()];
    assert_eq!(sessions.matches("<tr><td>").count(), 2, "{sessions}");
    assert_eq!(sessions.matches("this browser").count(), 1);
    assert!(sessions.contains("password"));
    let csrf = hidden_field(&html[html.find("action=\"/account/sessions\"").unwrap()..], "csrf_token").unwrap();

    let r = laptop.client.post(laptop.url("/account/sessions")).send().await.unwrap();
    assert_eq!(r.status(), 403, "no CSRF token: nothing ends");
    assert_eq!(phone.session().await.status(), 200);

    let r = laptop.client.post(laptop.url("/account/sessions")).form(&[("csrf_token", csrf)]).send().await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/login?signed_out=1".to_string()));
    assert_eq!(laptop.session().await.status(), 401);
    assert_eq!(phone.session().await.status(), 401, "the other browser is signed out too");
    assert_eq!(other.session().await.status(), 200, "other people stay signed in");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_sessions u JOIN users x ON x.id = u.user_id WHERE x.username = 'bob'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(left, 0);
    let anonymous = app.with_client(client());
    let r = anonymous.client.post(anonymous.url("/account/sessions")).send().await.unwrap();
    assert!(location(&r).starts_with("/login"), "anonymous: sign in first");
}

/// HTML plus every stylesheet and script the page loads, in bytes.
async fn page_weight(app: &TestApp, path: &str) -> usize {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let html = r.text().await.unwrap();
    // The CSP allows no inline script or style: none in the page.
    for (i, _) in html.match_indices("<script") {
        assert!(html[i..i + html[i..].find('>').unwrap()].contains(" src="), "{path}: inline script");
    }
    assert!(!html.contains("<style") && !html.contains(" style="), "{path}: inline style");
    for attr in [" onclick=", " onload=", " onerror=", " onsubmit=", " onchange="] {
        assert!(!html.contains(attr), "{path}: inline handler {attr}");
    }
    let mut total = html.len();
    let mut assets = Vec::new();
    for part in html.split("<script src=\"").skip(1) {
        assets.push(part[..part.find('"').unwrap()].replace("&amp;", "&"));
    }
    for part in html.split("<link rel=\"stylesheet\" href=\"").skip(1) {
        assets.push(part[..part.find('"').unwrap()].replace("&amp;", "&"));
    }
    assert!(assets.len() >= 2, "{path} loads its CSS and JS");
    for a in assets {
        let r = app.get(&a).await;
        assert_eq!(r.status(), 200, "{a}");
        total += r.bytes().await.unwrap().len();
    }
    total
}

#[tokio::test]
async fn every_gallery_page_stays_within_its_weight_budget_of_html_css_and_javascript_without_inline_script_or_style() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    wait_for_index(&app).await;
    many_photos(&app, user_id(&app, "admin").await, 200).await;
    let ids = upload_photos(&app, &csrf, &[("a.jpg", dated_jpeg("2025:01:01 08:00:00", 1))]).await;
    let album = serde_json::json!({ "title": "Holidays", "description": "" });
    let album: serde_json::Value = app.create_album(&csrf, &album).await.json().await.unwrap();
    let album = album["id"].as_i64().expect("album id");
    let added = app.add_to_album(&csrf, album, &[ids[0]]).await;
    assert!(added.status().is_success(), "adding to the album: {}", added.status());
    many_skipped_files(&app, 500).await;
    // Budgets in KB of HTML, CSS and JavaScript: a gallery page 100; the map page carries the
    // map library (Leaflet and its clusters, about 200 KB), and nothing else does.
    let viewer = format!("/photos/{}", ids[0]);
    let album = format!("/albums/{album}");
    for (path, budget) in [
        ("/", 100),
        ("/?after=1700000000_1", 100),
        ("/?start=2024-06", 100),
        (viewer.as_str(), 100),
        ("/favorites", 100),
        ("/archive", 100),
        ("/trash", 100),
        ("/albums", 100),
        (album.as_str(), 100),
        ("/places", 250),
        ("/account", 100),
        ("/admin/library", 100),
        ("/admin/users", 100),
    ] {
        let weight = page_weight(&app, path).await;
        assert!(weight < budget * 1024, "{path} weighs {weight} bytes, over its budget of {budget} KB");
    }
}

/// Posts one of the viewer's buttons (a form, as without JavaScript).
async fn act(app: &TestApp, csrf: &str, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    app.client.post(app.url(&format!("/photos/{id}"))).form(&form).send().await.unwrap()
}

async fn csrf_of(app: &TestApp) -> String {
    let html = app.get("/account").await.text().await.unwrap();
    hidden_field(&html, "csrf_token").unwrap()
}

#[tokio::test]
async fn the_viewer_buttons_favourite_archive_delete_and_restore_and_each_list_page_follows() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[("a.jpg", dated_jpeg("2023:07:01 08:00:00", 1)), ("b.jpg", dated_jpeg("2023:07:02 08:00:00", 2))],
    )
    .await;
    let (a, b) = (ids[0], ids[1]);
    let here = format!("/photos/{a}?in=timeline");
    let r = act(&app, &csrf, a, &[("action", "favorite"), ("return", &here)]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, here.clone()));
    assert_eq!(tile_ids(&app.get("/favorites").await.text().await.unwrap()), vec![a]);
    let html = app.get(&here).await.text().await.unwrap();
    assert!(html.contains("value=\"unfavorite\""), "the button now removes the mark");

    act(&app, &csrf, a, &[("action", "archive"), ("return", &here)]).await;
    assert_eq!(tile_ids(&app.get("/").await.text().await.unwrap()), vec![b], "archived photos leave the timeline");
    assert_eq!(tile_ids(&app.get("/archive").await.text().await.unwrap()), vec![a]);
    assert!(app.get(&here).await.text().await.unwrap().contains("<span class=\"vstate\">Archived</span>"));
    act(&app, &csrf, a, &[("action", "unarchive"), ("return", &here)]).await;
    assert_eq!(tile_ids(&app.get("/").await.text().await.unwrap()), vec![b, a]);

    let r = act(&app, &csrf, b, &[("action", "trash"), ("after_delete", "/#p1")]).await;
    assert_eq!(location(&r), "/#p1");
    assert_eq!(tile_ids(&app.get("/").await.text().await.unwrap()), vec![a]);
    let trash = app.get("/trash").await.text().await.unwrap();
    assert_eq!(tile_ids(&trash), vec![b]);
    assert!(trash.contains("Empty trash") && trash.contains("after 30 days"), "TRASH_DAYS");
    act(&app, &csrf, b, &[("action", "restore"), ("return", "/trash")]).await;
    assert_eq!(tile_ids(&app.get("/").await.text().await.unwrap()), vec![b, a]);

    act(&app, &csrf, b, &[("action", "trash")]).await;
    let r = app.client.post(app.url("/trash/empty")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(location(&r), "/trash");
    assert!(tile_ids(&app.get("/trash").await.text().await.unwrap()).is_empty());
    assert_eq!(app.get(&format!("/photos/{b}")).await.status(), 404, "gone for good");
    assert_eq!(act(&app, &csrf, a, &[("action", "paint")]).await.status(), 400);
    let r = act(&app, &csrf, a, &[("action", "favorite"), ("return", "https://evil.example/")]).await;
    assert_eq!(location(&r), format!("/photos/{a}"), "no off-site return");
}

#[tokio::test]
async fn another_user_cannot_act_on_or_list_someone_elses_photos_and_albums_and_anonymous_visitors_sign_in() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(&app, &csrf, &[("a.jpg", dated_jpeg("2023:07:01 08:00:00", 1))]).await;
    let r = app.client.post(app.url("/albums")).form(&[("csrf_token", csrf.as_str()), ("title", "Mine")]).send().await;
    let album = location(&r.unwrap());
    act(&app, &csrf, ids[0], &[("action", "favorite")]).await;

    app.add_user("bob", "bobs password", "user").await;
    let bob = app.with_client(client());
    assert_eq!(bob.sign_in("bob", "bobs password").await.status(), 200);
    let bob_csrf = csrf_of(&bob).await;
    assert_eq!(act(&bob, &bob_csrf, ids[0], &[("action", "trash")]).await.status(), 404);
    assert_eq!(act(&bob, &bob_csrf, ids[0], &[("action", "favorite")]).await.status(), 404);
    assert_eq!(bob.get(&album).await.status(), 404);
    let album_id = album.trim_start_matches("/albums/");
    let r = act(&bob, &bob_csrf, 0, &[("action", "add_to_album"), ("album_id", album_id)]).await;
    assert_eq!(r.status(), 404);
    let r =
        bob.client.post(bob.url(&album)).form(&[("csrf_token", bob_csrf.as_str()), ("action", "delete")]).send().await;
    assert_eq!(r.unwrap().status(), 404);
    for page in ["/favorites", "/archive", "/trash", "/albums"] {
        let html = bob.get(page).await.text().await.unwrap();
        assert!(tile_ids(&html).is_empty() && !html.contains("Mine"), "{page}");
    }
    assert_eq!(tile_ids(&app.get("/favorites").await.text().await.unwrap()), ids, "still the admin's favourite");

    let anonymous = app.with_client(client());
    for page in ["/favorites", "/archive", "/trash", "/albums", album.as_str()] {
        let r = anonymous.get(page).await;
        assert!(location(&r).starts_with("/login?next="), "{page}");
    }
    let r =
        anonymous.client.post(anonymous.url(&format!("/photos/{}", ids[0]))).form(&[("action", "trash")]).send().await;
    assert!(location(&r.unwrap()).starts_with("/login"));
}

#[tokio::test]
async fn albums_are_created_renamed_filled_given_a_cover_emptied_and_deleted_from_their_pages() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[("a.jpg", dated_jpeg("2023:07:01 08:00:00", 1)), ("b.jpg", dated_jpeg("2023:07:02 08:00:00", 2))],
    )
    .await;
    let r = app.client.post(app.url("/albums")).form(&[("csrf_token", csrf.as_str()), ("title", "Lake")]).send().await;
    let album = location(&r.unwrap());
    let album_id = album.trim_start_matches("/albums/").to_string();
    assert!(album_id.parse::<i64>().is_ok(), "{album}");
    for id in &ids {
        act(&app, &csrf, *id, &[("action", "add_to_album"), ("album_id", &album_id)]).await;
    }
    let html = app.get(&album).await.text().await.unwrap();
    assert_eq!(tile_ids(&html), vec![ids[1], ids[0]]);
    assert!(html.contains(&format!("href=\"/api/v1/albums/{album_id}/zip\"")), "zip download");
    assert!(html.contains(&format!("in=album-{album_id}")), "the viewer walks the album");
    let viewer = app.get(&format!("/photos/{}?in=album-{album_id}", ids[1])).await.text().await.unwrap();
    assert!(viewer.contains(&format!("href=\"/photos/{}?in=album-{album_id}\"", ids[0])), "the album's next photo");
    assert!(viewer.contains("value=\"cover\""));

    act(&app, &csrf, ids[0], &[("action", "cover"), ("album_id", &album_id)]).await;
    let cover: Option<i64> = sqlx::query_scalar("SELECT cover_photo_id FROM albums").fetch_one(&app.db).await.unwrap();
    assert_eq!(cover, Some(ids[0]));
    let list = app.get("/albums").await.text().await.unwrap();
    assert!(list.contains("<strong>Lake</strong><small>2 photo(s)</small>") && list.contains("/tile_500"), "{list}");

    let form = [("csrf_token", csrf.as_str()), ("action", "update"), ("title", "Lake trip"), ("description", "July")];
    let r = app.client.post(app.url(&album)).form(&form).send().await.unwrap();
    assert_eq!(location(&r), album);
    let html = app.get(&album).await.text().await.unwrap();
    assert!(html.contains("<h1>Lake trip</h1>") && html.contains("July"));

    let r = act(&app, &csrf, ids[1], &[("action", "remove_from_album"), ("album_id", &album_id)]).await;
    assert_eq!(location(&r), album);
    assert_eq!(tile_ids(&app.get(&album).await.text().await.unwrap()), vec![ids[0]]);
    assert_eq!(tile_ids(&app.get("/").await.text().await.unwrap()).len(), 2, "photos stay in the library");

    let r = app.client.post(app.url(&album)).form(&[("csrf_token", csrf.as_str()), ("action", "delete")]).send().await;
    assert_eq!(location(&r.unwrap()), "/albums");
    assert_eq!(app.get(&album).await.status(), 404);
    let r = app.client.post(app.url("/albums")).form(&[("csrf_token", csrf.as_str()), ("title", "")]).send().await;
    assert_eq!(r.unwrap().status(), 400, "an album needs a title");
}

#[tokio::test]
async fn search_filters_live_in_the_url_and_the_next_page_and_the_viewer_keep_them() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[
            ("lake.jpg", dated_jpeg("2023:07:01 08:00:00", 1)),
            ("hill.jpg", dated_jpeg("2023:08:02 08:00:00", 2)),
            ("lake-2.jpg", dated_jpeg("2022:07:05 08:00:00", 3)),
        ],
    )
    .await;
    let html = app.get("/?q=lake").await.text().await.unwrap().replace("&#38;", "&").replace("&amp;", "&");
    assert_eq!(tile_ids(&html), vec![ids[0], ids[2]]);
    assert!(
        html.contains("<details class=\"search\" open>") && html.contains("value=\"lake\""),
        "the form shows the search"
    );
    assert!(html.contains(&format!("href=\"/photos/{}?q=lake&in=timeline\"", ids[0])), "the viewer keeps it");
    let viewer = app.get(&format!("/photos/{}?q=lake&in=timeline", ids[0])).await.text().await.unwrap();
    let viewer = viewer.replace("&#38;", "&").replace("&amp;", "&");
    assert!(viewer.contains(&format!("href=\"/photos/{}?q=lake&in=timeline\"", ids[2])), "next within the search");
    assert!(!viewer.contains(&format!("/photos/{}?", ids[1])), "hill is not in this search");
    assert_eq!(tile_ids(&app.get("/?year=2023&month=7").await.text().await.unwrap()), vec![ids[0]]);
    assert_eq!(tile_ids(&app.get("/?from=2023-07-02&to=2023-12-31").await.text().await.unwrap()), vec![ids[1]]);
    assert_eq!(tile_ids(&app.get("/?location=true&camera=Shoebox+Synthetic+One").await.text().await.unwrap()).len(), 3);
    act(&app, &csrf, ids[1], &[("action", "favorite")]).await;
    assert_eq!(tile_ids(&app.get("/?favorites=true").await.text().await.unwrap()), vec![ids[1]]);
    let none = app.get("/?q=nothing-like-this").await.text().await.unwrap();
    assert!(none.contains("Nothing found"));
    assert_eq!(app.get("/?month=13").await.status(), 400);
}

#[tokio::test]
async fn a_month_of_the_date_scrubber_opens_the_page_that_starts_with_that_months_newest_photo() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    // One photo a day back from 31 December 2024: 31 August 2024 is the 123rd.
    let ids = many_photos(&app, user_id(&app, "admin").await, 260).await;
    let html = app.get("/").await.text().await.unwrap();
    let scrubber = &html[html.find("<nav class=\"scrubber\"").expect("a scrubber")..];
    let scrubber = &scrubber[..scrubber.find("</nav>").unwrap()];
    for month in ["2024-12", "2024-08", "2024-06"] {
        assert!(scrubber.contains(&format!("href=\"/?start={month}\" data-month=\"{month}\"")), "{month}: {scrubber}");
    }
    assert!(scrubber.contains(">2024</a>"), "a year label: {scrubber}");
    assert!(!html.contains("<h2>August 2024</h2>"), "August is not on the first page");

    let html = app.get("/?start=2024-08").await.text().await.unwrap();
    let page = shoebox::http::pages::photo_list::PAGE as usize;
    assert_eq!(tile_ids(&html), ids[122..122 + page].to_vec(), "from 31 August 2024 on, nothing newer");
    assert!(html.find("<h2>August 2024</h2>").is_some() && !html.contains("<h2>September 2024</h2>"));
    assert!(html.contains("<a href=\"/\">Newest photos</a>"));
    // Its older-photos link continues where it ends.
    let next = attr_after(&html, "id=\"next-page\"", "href").unwrap().replace("&amp;", "&");
    assert!(next.starts_with("/?after=") && !next.contains("start"), "{next}");
    let html = app.get(&next).await.text().await.unwrap();
    assert_eq!(tile_ids(&html)[0], ids[122 + page]);

    // A month without photos starts at the next older photo; one older than all is empty.
    sqlx::query("DELETE FROM photos WHERE taken_local LIKE '2024-10%'").execute(&app.db).await.unwrap();
    let html = app.get("/?start=2024-10").await.text().await.unwrap();
    assert_eq!(tile_ids(&html)[0], ids[92], "30 September 2024");
    let html = app.get("/?start=1990-01").await.text().await.unwrap();
    assert!(tile_ids(&html).is_empty());
    for bad in ["2024-13", "August", "2024-8", "2024-08-01"] {
        let r = app.get(&format!("/?start={bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.text().await.unwrap().contains("YYYY-MM"), "{bad}: the error says what to give");
    }
}
