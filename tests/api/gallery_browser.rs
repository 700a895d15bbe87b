//! The gallery in a real browser: sign in through the real OpenID provider, upload by drag and
//! drop, the timeline, the viewer with the arrow keys, sign out. Screenshots of every page (desktop
//! and phone-sized) go to `target/screenshots/gallery-*.png`.

use std::time::Duration;

use base64::Engine;
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::helpers::real_provider;
use crate::helpers::{Browser, dated_jpeg, many_photos, upload_photos};

/// Drops files on the page the way a person does: a `DataTransfer` with `File`s made in the page
/// from the bytes given, in `dragenter` and `drop` events.
const DROP: &str = r#"
const [files] = arguments;
const dt = new DataTransfer();
for (const f of files) {
  const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
  dt.items.add(new File([bytes], f.name, { type: "image/jpeg" }));
}
const target = document.querySelector("main");
target.dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true }));
target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
"#;

async fn eval(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.unwrap()
}

/// Polls the page until `script` returns true (the page works asynchronously: uploads, fetches).
async fn until(b: &Browser, script: &str, what: &str) {
    for _ in 0..600 {
        if eval(b, script).await == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page never showed {what}");
}

async fn press(b: &Browser, key: Key) {
    b.client.find(Locator::Css("body")).await.unwrap().send_keys(&key.to_string()).await.unwrap();
}

async fn wait_path(b: &Browser, want: &str) {
    for _ in 0..400 {
        if b.path().await.split('?').next() == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.path().await.split('?').next(), Some(want));
}

/// Select mode on, a click on the tile of `first`, a shift-click on the tile of `last`.
async fn select_from_to(b: &Browser, first: i64, last: i64) {
    b.client.find(Locator::Css("#select-toggle")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css(&format!("#p{first} a"))).await.unwrap().click().await.unwrap();
    let shift_click = "const a = document.querySelector(arguments[0]); \
        a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, shiftKey: true }));";
    b.client.execute(shift_click, vec![json!(format!("#p{last} a"))]).await.unwrap();
}

async fn tile_ids(b: &Browser) -> Vec<i64> {
    let v = eval(b, "return [...document.querySelectorAll('#timeline a.tile')].map(a => Number(a.dataset.id))").await;
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_person_signs_in_with_the_provider_drops_three_photos_browses_them_and_signs_out_in_a_real_browser() {
    let (_provider, app) = real_provider::start(&[]).await;
    let b = Browser::start().await;
    b.client.goto(&app.url("/")).await.unwrap();
    b.expect_path("/login").await;
    b.client.find(Locator::Css("a.sso")).await.unwrap().click().await.unwrap();
    let login = b.client.wait().for_element(Locator::Css("input[name=login]")).await.unwrap();
    login.send_keys("alice").await.unwrap();
    b.client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys("alice-password").await.unwrap();
    b.client.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    b.expect_text("#timeline-empty h2", "No photos yet").await;
    b.screenshot("gallery-empty").await;

    // Three photos dropped on the page upload with progress and appear without a reload.
    let files: Vec<Value> = [("lake.jpg", "2023:07:14 18:30:05", 1), ("hill.jpg", "2023:07:15 09:00:00", 2), ("town.jpg", "2023:08:01 12:00:00", 3)]
        .iter()
        .map(|(name, taken, seed)| {
            json!({ "name": name, "b64": base64::engine::general_purpose::STANDARD.encode(dated_jpeg(taken, *seed)) })
        })
        .collect();
    eval(&b, "window.notReloaded = true").await;
    b.client.execute(DROP, vec![json!(files)]).await.unwrap();
    until(&b, "return document.querySelectorAll('#timeline a.tile').length === 3", "three tiles").await;
    assert_eq!(eval(&b, "return window.notReloaded === true").await, json!(true), "no reload");
    b.expect_text("#upload-summary", "Done: 3 stored or already there, 0 not stored.").await;
    let messages = eval(&b, "return [...document.querySelectorAll('#upload-list .msg')].map(m => m.textContent)").await;
    assert_eq!(messages, json!(["uploaded", "uploaded", "uploaded"]));
    let bars =
        eval(&b, "return [...document.querySelectorAll('#uploads progress')].every(p => p.value === p.max)").await;
    assert_eq!(bars, json!(true), "every progress bar is full");
    let headings = eval(&b, "return [...document.querySelectorAll('#timeline h2')].map(h => h.textContent)").await;
    assert_eq!(headings, json!(["August 2023", "July 2023"]));
    until(
        &b,
        "return [...document.querySelectorAll('#timeline img')].every(i => i.complete && i.naturalWidth > 0)",
        "thumbnails",
    )
    .await;
    b.screenshot("gallery-uploaded").await;

    // Dropping one again says it is a duplicate; a file that is no picture says why it was refused.
    let notes =
        json!({ "name": "notes.jpg", "b64": base64::engine::general_purpose::STANDARD.encode("just some words") });
    b.client.execute(DROP, vec![json!([files[0].clone(), notes])]).await.unwrap();
    until(&b, "return document.getElementById('upload-summary').textContent.startsWith('Done: 4')", "the answers")
        .await;
    let messages = eval(&b, "return [...document.querySelectorAll('#upload-list li')].slice(3).map(li => [li.className, li.querySelector('.msg').textContent])").await;
    let messages = messages.as_array().unwrap();
    assert_eq!(messages[0][0], "ok");
    assert!(messages[0][1].as_str().unwrap().contains("duplicate"), "{messages:?}");
    assert_eq!(messages[1][0], "failed");
    let why = messages[1][1].as_str().unwrap();
    assert!(!why.is_empty() && why != "refused" && why != "waiting", "a reason: {why}");
    b.screenshot("gallery-upload-errors").await;

    // After a reload the timeline is the same, newest first, with placeholders decoded.
    b.client.goto(&app.url("/")).await.unwrap();
    let ids = tile_ids(&b).await;
    assert_eq!(ids.len(), 3);
    b.client.find(Locator::Css("button#upload-close")).await.ok();
    b.screenshot("gallery-timeline").await;

    // The viewer: open the newest, move with the arrow keys, back to the timeline.
    b.client.find(Locator::Css(&format!("#p{} a", ids[0]))).await.unwrap().click().await.unwrap();
    wait_path(&b, &format!("/photos/{}", ids[0])).await;
    until(&b, "const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0", "the photo").await;
    let chosen = eval(&b, "return document.getElementById('photo').currentSrc").await;
    assert!(chosen.as_str().unwrap().contains("/fit_"), "{chosen}");
    b.screenshot("gallery-viewer").await;
    press(&b, Key::Right).await;
    wait_path(&b, &format!("/photos/{}", ids[1])).await;
    press(&b, Key::Right).await;
    wait_path(&b, &format!("/photos/{}", ids[2])).await;
    press(&b, Key::Left).await;
    wait_path(&b, &format!("/photos/{}", ids[1])).await;
    b.client.find(Locator::Css("#info summary")).await.unwrap().click().await.unwrap();
    b.expect_text_containing("#info", "OpenStreetMap").await;
    b.screenshot("gallery-viewer-info").await;
    // Moving replaced the history entry: the back button returns to the timeline.
    b.client.back().await.unwrap();
    wait_path(&b, "/").await;
    assert_eq!(tile_ids(&b).await, ids);

    // Favourite the newest from the viewer; the Favourites page has it.
    b.client.goto(&app.url(&format!("/photos/{}", ids[0]))).await.unwrap();
    b.client.find(Locator::Css("#fav")).await.unwrap().click().await.unwrap();
    until(&b, "return document.getElementById('fav')?.getAttribute('aria-pressed') === 'true'", "the favourite mark")
        .await;
    b.screenshot("gallery-viewer-favourite").await;
    b.client.goto(&app.url("/favorites")).await.unwrap();
    assert_eq!(tile_ids(&b).await, vec![ids[0]]);
    b.screenshot("gallery-favourites").await;

    // An album with two of them: create it, then select two tiles (click, shift-click) and add.
    b.client.goto(&app.url("/albums")).await.unwrap();
    b.client.find(Locator::Css("#new-album")).await.unwrap().send_keys("Summer").await.unwrap();
    b.client.find(Locator::Css("form.newalbum button")).await.unwrap().click().await.unwrap();
    b.expect_text("main h1", "Summer").await;
    let album_path = b.path().await;
    b.client.goto(&app.url("/")).await.unwrap();
    select_from_to(&b, ids[0], ids[1]).await;
    b.expect_text("#select-count", "2 selected").await;
    b.screenshot("gallery-select").await;
    b.client.find(Locator::Css("button[data-action=add_to_album]")).await.unwrap().click().await.unwrap();
    until(&b, "return !document.querySelector('#timeline .selected')", "the page after the action").await;
    b.client.goto(&app.url(&album_path)).await.unwrap();
    assert_eq!(tile_ids(&b).await, vec![ids[0], ids[1]]);
    b.screenshot("gallery-album").await;
    b.client.goto(&app.url("/albums")).await.unwrap();
    b.expect_text_containing(".albums", "2 photo(s)").await;
    b.screenshot("gallery-albums").await;

    // Archive the oldest from the viewer: it leaves the timeline for the archive; restore it there.
    b.client.goto(&app.url(&format!("/photos/{}", ids[2]))).await.unwrap();
    b.client.find(Locator::Css("#archive")).await.unwrap().click().await.unwrap();
    b.expect_text(".vstate", "Archived").await;
    b.client.goto(&app.url("/")).await.unwrap();
    assert_eq!(tile_ids(&b).await, vec![ids[0], ids[1]]);
    b.client.goto(&app.url("/archive")).await.unwrap();
    assert_eq!(tile_ids(&b).await, vec![ids[2]]);
    b.screenshot("gallery-archive").await;
    b.client.find(Locator::Css("#select-toggle")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css(&format!("#p{} a", ids[2]))).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css("button[data-action=unarchive]")).await.unwrap().click().await.unwrap();
    until(&b, "return document.querySelectorAll('#timeline a.tile').length === 0", "an empty archive").await;
    b.client.goto(&app.url("/")).await.unwrap();
    assert_eq!(tile_ids(&b).await, ids, "restored to the timeline");

    // A phone-sized window.
    b.client.set_window_size(390, 844).await.unwrap();
    b.screenshot("gallery-timeline-phone").await;
    b.client.goto(&app.url(&format!("/photos/{}", ids[1]))).await.unwrap();
    until(&b, "const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0", "the photo").await;
    b.screenshot("gallery-viewer-phone").await;
    b.client.goto(&app.url("/account")).await.unwrap();
    b.expect_text_containing("main", "this browser").await;
    b.screenshot("gallery-account-phone").await;
    b.client.set_window_size(1280, 900).await.unwrap();

    // Sign out: the timeline is closed.
    b.client.goto(&app.url("/")).await.unwrap();
    b.client.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    b.expect_text(".notice", "You have signed out.").await;
    b.client.goto(&app.url("/")).await.unwrap();
    b.expect_path("/login").await;
    b.client.goto(&app.url(&format!("/photos/{}", ids[0]))).await.unwrap();
    b.expect_path(&format!("/login?next=%2Fphotos%2F{}", ids[0])).await;
    b.screenshot("gallery-signed-out").await;
    b.close().await;
}

#[tokio::test]
async fn the_gallery_follows_the_systems_dark_mode_in_a_real_browser() {
    let app = crate::helpers::spawn_app().await;
    let b = Browser::start_with(&["--force-dark-mode"]).await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_text("#timeline-empty h2", "No photos yet").await;
    let files: Vec<Value> = (1..=4)
        .map(|i| {
            let jpeg = dated_jpeg(&format!("2024:0{i}:10 10:00:00"), i);
            json!({ "name": format!("p{i}.jpg"), "b64": base64::engine::general_purpose::STANDARD.encode(jpeg) })
        })
        .collect();
    b.client.execute(DROP, vec![json!(files)]).await.unwrap();
    until(&b, "return document.querySelectorAll('#timeline a.tile').length === 4", "four tiles").await;
    b.client.goto(&app.url("/")).await.unwrap();
    let bg = eval(&b, "return getComputedStyle(document.documentElement).backgroundColor").await;
    assert_eq!(bg, json!("rgb(21, 21, 20)"), "the dark palette of app.css");
    until(
        &b,
        "return [...document.querySelectorAll('#timeline img')].every(i => i.complete && i.naturalWidth > 0)",
        "thumbnails",
    )
    .await;
    b.screenshot("gallery-timeline-dark").await;
    b.client.goto(&app.url("/admin/library")).await.unwrap();
    b.expect_text("#count-photos", "4").await;
    // Index now: the progress arrives live over server-sent events, without a reload.
    eval(&b, "window.notReloaded = true").await;
    b.client.find(Locator::Css("#index-form button")).await.unwrap().click().await.unwrap();
    until(
        &b,
        "return document.getElementById('index-status').textContent.includes(': 4 files, 0 new photos, 4 unchanged')",
        "the finished index",
    )
    .await;
    assert_eq!(eval(&b, "return window.notReloaded === true").await, json!(true));
    b.screenshot("gallery-admin-library-dark").await;

    // Infinite scroll: 130 more photos (newer than those uploaded), two pages.
    const { assert!(shoebox::http::pages::photo_list::PAGE < 134, "two pages") };
    let admin: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'").fetch_one(&app.db).await.unwrap();
    // These rows have no files, so any index run after them marks them missing. The folder watch
    // saw the uploads and may still owe a run (it waits out one that is busy): let it pass first.
    app.sign_in_admin().await;
    crate::helpers::wait_for_index(&app).await;
    tokio::time::sleep(shoebox::library::INDEX_DEBOUNCE * 2 + Duration::from_millis(500)).await;
    crate::helpers::wait_for_index(&app).await;
    let older = many_photos(&app, admin, 130).await;
    b.client.goto(&app.url("/")).await.unwrap();
    assert_eq!(tile_ids(&b).await.len() as i64, shoebox::http::pages::photo_list::PAGE);
    eval(&b, "document.getElementById('next-page').scrollIntoView()").await;
    let second_page = "return document.querySelectorAll('#timeline a.tile').length === 134";
    for attempt in 0.. {
        if eval(&b, second_page).await == json!(true) {
            break;
        }
        if attempt == 600 {
            // What the page says about it: the link's text tells a failed fetch from one never made.
            let state = eval(
                &b,
                "const l = document.getElementById('next-page'); return [document.querySelectorAll('#timeline a.tile').length, \
                 l && l.textContent, l && l.getBoundingClientRect().top, innerHeight, scrollY]",
            )
            .await;
            panic!("the page never showed the second page: [tiles, link text, link top, viewport, scroll] = {state}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = tile_ids(&b).await;
    assert_eq!(&all[..130], &older[..], "newest first (the uploads are from early 2024), nothing twice");
    let mut unique = all.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 134);
    assert!(b.client.find(Locator::Css("#next-page")).await.is_err(), "no more pages");
    // A photo on the appended page: the back button comes back to the page that holds it.
    let deep = older[125];
    b.client.find(Locator::Css(&format!("#p{deep} a"))).await.unwrap().click().await.unwrap();
    wait_path(&b, &format!("/photos/{deep}")).await;
    b.client.back().await.unwrap();
    until(&b, &format!("return !!document.getElementById('p{deep}')"), "the photo's tile").await;
    let url = b.client.current_url().await.unwrap();
    assert_eq!(url.fragment(), Some(format!("p{deep}").as_str()), "{url}");
    b.close().await;
}

#[tokio::test]
async fn selected_photos_download_as_one_zip_and_go_to_the_trash_together_in_a_real_browser() {
    let app = crate::helpers::spawn_app().await;
    let downloads = tempfile::tempdir().unwrap();
    let b = Browser::start_downloading_to(downloads.path()).await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_text("#timeline-empty h2", "No photos yet").await;
    let jpegs: Vec<(String, Vec<u8>)> =
        (1..=3).map(|i| (format!("day{i}.jpg"), dated_jpeg(&format!("2024:05:0{i} 10:00:00"), 10 + i))).collect();
    let files: Vec<Value> = jpegs
        .iter()
        .map(|(name, bytes)| json!({ "name": name, "b64": base64::engine::general_purpose::STANDARD.encode(bytes) }))
        .collect();
    b.client.execute(DROP, vec![json!(files)]).await.unwrap();
    until(&b, "return document.querySelectorAll('#timeline a.tile').length === 3", "three tiles").await;
    b.client.goto(&app.url("/")).await.unwrap();
    let ids = tile_ids(&b).await; // newest first: day3, day2, day1

    // Select the two newest (click, then shift-click) and download them as one zip.
    select_from_to(&b, ids[0], ids[1]).await;
    b.expect_text("#select-count", "2 selected").await;
    b.client.find(Locator::Css("button[data-action=zip]")).await.unwrap().click().await.unwrap();
    let mut zip_file = None;
    for _ in 0..400 {
        let names: Vec<_> = std::fs::read_dir(downloads.path()).unwrap().flatten().map(|e| e.path()).collect();
        // Chromium writes `.crdownload` first and renames when the download is complete.
        if let [one] = names.as_slice()
            && one.extension().is_some_and(|e| e == "zip")
        {
            zip_file = Some(one.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let zip_file = zip_file.expect("the browser saved one .zip file");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_file).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        entries.push((entry.name().to_string(), bytes));
    }
    entries.sort();
    assert_eq!(entries.len(), 2, "exactly the two selected photos");
    assert_eq!(entries[0].1, jpegs[1].1, "day2.jpg byte for byte");
    assert_eq!(entries[1].1, jpegs[2].1, "day3.jpg byte for byte");
    assert!(entries[0].0.ends_with("day2.jpg") && entries[1].0.ends_with("day3.jpg"), "{entries:?}");

    // Still selected: move both to the trash, confirming the question the page asks.
    b.client.find(Locator::Css("button[data-action=trash]")).await.unwrap().click().await.unwrap();
    let question = b.client.get_alert_text().await.unwrap();
    assert_eq!(question, "Move 2 photo(s) to the trash?");
    b.client.accept_alert().await.unwrap();
    until(&b, "return document.querySelectorAll('#timeline a.tile').length === 1", "one tile left").await;
    assert_eq!(tile_ids(&b).await, vec![ids[2]]);
    b.screenshot("gallery-after-bulk-trash").await;
    b.client.goto(&app.url("/trash")).await.unwrap();
    let mut trashed = tile_ids(&b).await;
    trashed.sort_unstable();
    let mut want = vec![ids[0], ids[1]];
    want.sort_unstable();
    assert_eq!(trashed, want);
    b.screenshot("gallery-trash").await;
    b.close().await;
}

#[tokio::test]
async fn photos_dropped_on_an_album_page_stay_out_of_the_album_and_the_page_links_to_them_in_photos_in_a_real_browser()
{
    let app = crate::helpers::spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let first = upload_photos(&app, &csrf, &[("old.jpg", dated_jpeg("2022:03:01 10:00:00", 30))]).await;
    let album: Value = app.create_album(&csrf, &json!({ "title": "Spring" })).await.json().await.unwrap();
    let album = album["id"].as_i64().unwrap();
    let r = app.add_to_album(&csrf, album, &first).await;
    assert_eq!(r.status(), 200);

    let b = Browser::start().await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_path("/").await;
    b.client.goto(&app.url(&format!("/albums/{album}"))).await.unwrap();
    assert_eq!(tile_ids(&b).await, first);

    // Two new photos, newer than the album's: the timeline's first page has them, the album not.
    let files: Vec<Value> = (1..=2)
        .map(|i| {
            let jpeg = dated_jpeg(&format!("2025:04:0{i} 10:00:00"), 30 + i);
            json!({ "name": format!("new{i}.jpg"), "b64": base64::engine::general_purpose::STANDARD.encode(jpeg) })
        })
        .collect();
    b.client.execute(DROP, vec![json!(files)]).await.unwrap();
    b.expect_text("#upload-summary", "Done: 2 stored or already there, 0 not stored.").await;
    b.expect_text_containing("#upload-elsewhere", "2 photos uploaded — see them in Photos").await;
    assert_eq!(tile_ids(&b).await, first, "the album shows only its own photo");
    let link = eval(&b, "return document.querySelector('#upload-elsewhere a').getAttribute('href')").await;
    assert_eq!(link, json!("/"));
    b.screenshot("gallery-upload-on-album").await;

    b.client.goto(&app.url("/")).await.unwrap();
    let all = tile_ids(&b).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[2], first[0], "the album's photo is the oldest");

    // On the album page the notice also offers to add the new photos to the album.
    b.client.goto(&app.url(&format!("/albums/{album}"))).await.unwrap();
    let more = json!([{ "name": "new3.jpg", "b64": base64::engine::general_purpose::STANDARD.encode(dated_jpeg("2025:04:05 10:00:00", 40)) }]);
    b.client.execute(DROP, vec![more]).await.unwrap();
    b.expect_text_containing("#upload-elsewhere", "1 photo uploaded").await;
    b.client.find(Locator::Css("#upload-to-album")).await.unwrap().click().await.unwrap();
    b.expect_text_containing(".listhead .hint", "2 photo(s)").await;
    assert_eq!(tile_ids(&b).await.len(), 2);
    b.close().await;
}
