//! The layout in a real browser, as a 360×800 phone (device emulation) and a 1440×900 desktop:
//! no page wider than the screen, a bottom bar on the phone, touch targets a finger can hit,
//! justified rows in the timeline, long-press to select and swipes in the viewer; axe-core on
//! every page, at both sizes, finds nothing serious or critical.

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::helpers::*;

/// A library with something on every page: photos (with GPS), an album, long skipped-file
/// reasons for the library page. Returns the app, the photo ids (newest first) and the album.
async fn furnished_app() -> (TestApp, Vec<i64>, i64) {
    // Map tiles from a port where nothing listens: the tests need no internet.
    let app = spawn_app_with(&[("PLACES_TILES", "http://127.0.0.1:9/{z}/{x}/{y}.png")]).await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[
            ("lake.jpg", dated_jpeg("2023:07:14 18:30:05", 1)),
            ("hill.jpg", dated_jpeg("2023:07:01 09:00:00", 2)),
            ("town.jpg", dated_jpeg("2023:05:01 12:00:00", 3)),
        ],
    )
    .await;
    let album: Value = app.create_album(&csrf, &json!({ "title": "A summer by the lake" })).await.json().await.unwrap();
    let album = album["id"].as_i64().unwrap();
    assert_eq!(app.add_to_album(&csrf, album, &ids[..2]).await.status(), 200);
    many_skipped_files(&app, 20).await;
    (app, ids, album)
}

async fn sign_in(b: &Browser, app: &TestApp) {
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_path("/").await;
}

/// Every page a person can reach, signed in.
fn pages(ids: &[i64], album: i64) -> Vec<String> {
    vec![
        "/".into(),
        "/?q=lake".into(),
        "/favorites".into(),
        "/archive".into(),
        "/trash".into(),
        "/albums".into(),
        format!("/albums/{album}"),
        "/places".into(),
        format!("/photos/{}", ids[0]),
        format!("/photos/{}?in=album-{album}", ids[1]),
        "/account".into(),
        "/admin/library".into(),
        "/admin/users".into(),
        "/no/such/page".into(),
    ]
}

/// How wide the document is, and the screen, in CSS pixels.
const WIDTHS: &str = "return [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]";

async fn assert_fits(b: &Browser, path: &str, screen: u32) {
    let w = b.eval(WIDTHS).await;
    let (doc, body, inner) = (w[0].as_u64().unwrap(), w[1].as_u64().unwrap(), w[2].as_u64().unwrap());
    // A too-wide page makes a phone zoom out, which widens innerWidth: so compare with the screen too.
    assert_eq!(inner, u64::from(screen), "{path}: the layout viewport is the screen");
    assert!(doc <= inner && body <= inner, "{path}: the page is {doc} px wide (body {body} px) on a {inner} px screen");
}

/// Controls (buttons, menus, fields, navigation links) smaller than 44×44 CSS pixels.
const SMALL_TARGETS: &str = r#"
const small = [];
const controls = "button, summary, select, input:not([type=hidden]):not([type=checkbox]):not([type=file]), \
  .bar a, .tabs a, .vbar a, a.nav, a.button, .selectbar button";
for (const el of document.querySelectorAll(controls)) {
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2 || getComputedStyle(el).visibility === "hidden") continue;
  if (r.width < 43.5 || r.height < 43.5) small.push(`${el.outerHTML.slice(0, 90)} is ${r.width}×${r.height}`);
}
return small;
"#;

#[tokio::test]
async fn every_page_fits_a_360_px_phone_without_sideways_scrolling_with_a_bottom_bar_and_44_px_touch_targets() {
    let (app, ids, album) = furnished_app().await;
    let b = Browser::start_phone().await;
    b.client.goto(&app.url("/login")).await.unwrap();
    assert_fits(&b, "/login", PHONE.0).await;
    assert_eq!(b.eval(SMALL_TARGETS).await, json!([]), "/login");
    // axe-core's serious and critical findings, of every page.
    let mut findings: Vec<String> = b.axe().await.into_iter().map(|f| format!("/login: {f}")).collect();
    b.submit_admin_password().await;
    b.expect_path("/").await;
    for path in pages(&ids, album) {
        b.client.goto(&app.url(&path)).await.unwrap();
        assert_fits(&b, &path, PHONE.0).await;
        assert_eq!(b.eval(SMALL_TARGETS).await, json!([]), "{path}: touch targets");
        findings.extend(b.axe().await.into_iter().map(|f| format!("{path}: {f}")));
    }
    assert!(findings.is_empty(), "axe-core on a phone:\n{}", findings.join("\n"));
    b.client.goto(&app.url("/")).await.unwrap();
    b.screenshot("layout-timeline-phone").await;

    // The main navigation is a bar along the bottom: three places and a menu with the rest.
    let bar = b
        .eval(
            "const r = document.querySelector('nav.tabs').getBoundingClientRect(); return [r.left, r.right, r.bottom]",
        )
        .await;
    assert_eq!(bar, json!([0, PHONE.0, PHONE.1]), "a full-width bar at the bottom of the screen");
    let shown = b
        .eval("return [...document.querySelectorAll('nav.tabs > a, nav.tabs summary')].filter(a => a.getBoundingClientRect().width > 0).map(a => a.textContent)")
        .await;
    assert_eq!(shown, json!(["Photos", "Favourites", "Albums", "More"]));
    b.client.find(Locator::Css("nav.tabs summary")).await.unwrap().click().await.unwrap();
    b.screenshot("layout-menu-phone").await;
    let menu = b
        .eval("return [...document.querySelectorAll('nav.tabs .menu a')].map(a => { const r = a.getBoundingClientRect(); return [a.textContent, r.top >= 0 && r.right <= innerWidth && r.height >= 44]; })")
        .await;
    assert_eq!(
        menu,
        json!([
            ["Places", true],
            ["Archive", true],
            ["Trash", true],
            ["Account", true],
            ["Library", true],
            ["Users", true]
        ]),
        "the menu opens on the screen"
    );
    b.client.find(Locator::Css("nav.tabs .menu a[href='/account']")).await.unwrap().click().await.unwrap();
    b.expect_text("main h1", "Your account").await;
    b.close().await;
}

#[tokio::test]
async fn every_page_fits_a_1440_px_desktop_without_sideways_scrolling_and_shows_the_whole_navigation() {
    let (app, ids, album) = furnished_app().await;
    let b = Browser::start().await;
    b.client.set_window_size(1440, 900).await.unwrap();
    let inner = b.eval("return innerWidth").await.as_u64().unwrap() as u32;
    b.client.goto(&app.url("/login")).await.unwrap();
    assert_fits(&b, "/login", inner).await;
    let mut findings: Vec<String> = b.axe().await.into_iter().map(|f| format!("/login: {f}")).collect();
    sign_in(&b, &app).await;
    for path in pages(&ids, album) {
        b.client.goto(&app.url(&path)).await.unwrap();
        assert_fits(&b, &path, inner).await;
        findings.extend(b.axe().await.into_iter().map(|f| format!("{path}: {f}")));
    }
    assert!(findings.is_empty(), "axe-core on a desktop:\n{}", findings.join("\n"));
    b.client.goto(&app.url("/")).await.unwrap();
    let shown = b
        .eval("return [...document.querySelectorAll('nav.tabs > a, nav.tabs summary')].filter(a => a.getBoundingClientRect().width > 0).map(a => a.textContent)")
        .await;
    assert_eq!(
        shown,
        json!(["Photos", "Favourites", "Albums", "Places", "Archive", "Trash", "Account", "Library", "Users"])
    );
    b.close().await;
}

/// The rows of every month as the page shows them: for each row the photos' boxes
/// `[left, top, width, height]`, the grid's width and left edge, and whether it is a month's last row.
const ROWS: &str = r##"
const out = [];
for (const grid of document.querySelectorAll("#timeline .grid")) {
  const g = grid.getBoundingClientRect();
  const rows = new Map();
  for (const li of grid.children) {
    const r = li.getBoundingClientRect();
    const img = li.querySelector("img");
    const key = Math.round(r.top);
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key).push([r.left, r.top, r.width, r.height, img.getAttribute("width") / img.getAttribute("height")]);
  }
  const list = [...rows.values()];
  list.forEach((boxes, i) => out.push({ boxes, gridLeft: g.left, gridWidth: g.width, last: i === list.length - 1 }));
}
return out;
"##;

/// Checks the rows: one height per row, each box in its photo's aspect ratio, every row but a
/// month's last filling the width within 3 px. Returns how many full rows there were.
fn assert_justified(rows: &Value, screen: &str) -> usize {
    let mut full = 0;
    for row in rows.as_array().unwrap() {
        let boxes = row["boxes"].as_array().unwrap();
        let f = |b: &Value, i: usize| b[i].as_f64().unwrap();
        let height = f(&boxes[0], 3);
        for b in boxes {
            assert!((f(b, 3) - height).abs() < 0.6, "{screen}: one height per row: {row}");
            let ratio = f(b, 2) / f(b, 3);
            assert!((ratio / f(b, 4) - 1.0).abs() < 0.02, "{screen}: the photo's own aspect ratio: {b:?}");
        }
        let left = f(&boxes[0], 0);
        let last = boxes.last().unwrap();
        let right = f(last, 0) + f(last, 2);
        let (grid_left, grid_width) = (row["gridLeft"].as_f64().unwrap(), row["gridWidth"].as_f64().unwrap());
        assert!((left - grid_left).abs() < 0.6, "{screen}: rows start at the left edge: {row}");
        if row["last"] == json!(false) {
            assert!((right - (grid_left + grid_width)).abs() <= 3.0, "{screen}: the row fills the width: {row}");
            full += 1;
        } else {
            assert!(right <= grid_left + grid_width + 0.5, "{screen}: a last row stays inside: {row}");
        }
    }
    full
}

/// 100 photos in four months (two pages of the timeline) with the aspect ratios of real cameras and phones, panoramas and
/// squares, as their stored width and height say.
async fn photos_of_many_shapes(app: &TestApp) -> Vec<i64> {
    // The index at startup marks rows without a file missing: let it finish first (the app's
    // client must be signed in as the administrator).
    wait_for_index(app).await;
    let admin: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'").fetch_one(&app.db).await.unwrap();
    let ids = many_photos(app, admin, 100).await;
    let shapes = [(4000, 3000), (3000, 4000), (1920, 1080), (1080, 1920), (1000, 1000), (6000, 1500), (3000, 2000)];
    for (i, id) in ids.iter().enumerate() {
        let (w, h) = shapes[i % shapes.len()];
        sqlx::query("UPDATE photos SET width = ?, height = ? WHERE id = ?")
            .bind(w)
            .bind(h)
            .bind(id)
            .execute(&app.db)
            .await
            .unwrap();
    }
    ids
}

#[tokio::test]
async fn timeline_rows_keep_each_photos_aspect_ratio_share_a_height_and_fill_the_width_on_desktop_and_phone() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let ids = photos_of_many_shapes(&app).await;

    // Without JavaScript the boxes are in the page already: every image says its size.
    let html = app.get("/").await.text().await.unwrap();
    let tile = &html[html.find(&format!("id=\"p{}\"", ids[5])).unwrap()..];
    assert!(tile[..tile.find("</li>").unwrap()].contains("width=\"6000\" height=\"1500\""), "{tile}");

    let desktop = Browser::start().await;
    desktop.client.set_window_size(1440, 900).await.unwrap();
    sign_in(&desktop, &app).await;
    desktop.until("return document.getElementById('timeline').classList.contains('justified')", "justified rows").await;
    let full = assert_justified(&desktop.eval(ROWS).await, "desktop");
    assert!(full >= 6, "several full rows on a desktop: {full}");
    desktop.screenshot("layout-justified-desktop").await;

    // The next page, loaded by scrolling, joins the rows: a month split across the two pages
    // becomes one grid, laid out again.
    desktop.eval("document.getElementById('next-page').scrollIntoView()").await;
    desktop.until("return document.querySelectorAll('#timeline a.tile').length === 100", "the second page").await;
    let rows = desktop.eval(ROWS).await;
    assert!(assert_justified(&rows, "desktop, two pages") > full, "more full rows");
    let months =
        desktop.eval("return [...document.querySelectorAll('#timeline .month')].map(m => m.dataset.month)").await;
    assert_eq!(months, json!(["2024-12", "2024-11", "2024-10", "2024-09"]), "each month once");

    // Narrower window: the rows are laid out again for the new width.
    desktop.client.set_window_size(900, 900).await.unwrap();
    desktop
        .until(
            "const g = document.querySelector('#timeline .grid'); const li = g.lastElementChild.previousElementSibling; return li.getBoundingClientRect().right <= g.getBoundingClientRect().right + 0.5",
            "rows laid out for 900 px",
        )
        .await;
    assert_justified(&desktop.eval(ROWS).await, "900 px");
    desktop.close().await;

    let phone = Browser::start_phone().await;
    sign_in(&phone, &app).await;
    phone.until("return document.getElementById('timeline').classList.contains('justified')", "justified rows").await;
    let full = assert_justified(&phone.eval(ROWS).await, "phone");
    assert!(full >= 6, "several full rows on a phone: {full}");
    assert_fits(&phone, "/", PHONE.0).await;
    phone.screenshot("layout-justified-phone").await;
    phone.close().await;
}

/// A touch on the element `css` held for `ms` milliseconds, as pointer events, then the click the
/// browser sends when the finger lifts.
const LONG_PRESS: &str = r#"
const [css, ms, done] = arguments;
const el = document.querySelector(css);
const r = el.getBoundingClientRect();
const at = { bubbles: true, cancelable: true, pointerType: "touch", isPrimary: true, clientX: r.left + 10, clientY: r.top + 10 };
el.dispatchEvent(new PointerEvent("pointerdown", at));
setTimeout(() => {
  el.dispatchEvent(new PointerEvent("pointerup", at));
  el.dispatchEvent(new MouseEvent("click", at));
  done();
}, ms);
"#;

/// A one-finger swipe over `.stage` by (dx, dy) pixels, as touch events.
const SWIPE: &str = r#"
const [dx, dy] = arguments;
const stage = document.querySelector(".stage");
const touch = (x, y) => new Touch({ identifier: 1, target: stage, clientX: x, clientY: y });
const start = touch(180, 300), end = touch(180 + dx, 300 + dy);
stage.dispatchEvent(new TouchEvent("touchstart", { bubbles: true, touches: [start], changedTouches: [start] }));
stage.dispatchEvent(new TouchEvent("touchend", { bubbles: true, touches: [], changedTouches: [end] }));
"#;

#[tokio::test]
async fn on_a_phone_a_long_press_selects_a_photo_and_the_full_screen_viewer_swipes_sideways_and_down_to_close() {
    let (app, ids, _) = furnished_app().await;
    let b = Browser::start_phone().await;
    sign_in(&b, &app).await;

    // A short tap opens the photo; a long press selects it and stays on the timeline.
    b.client.execute_async(LONG_PRESS, vec![json!(format!("#p{} a", ids[1])), json!(700)]).await.unwrap();
    b.expect_text("#select-count", "1 selected").await;
    assert_eq!(b.path().await, "/");
    let selected =
        b.eval("return [...document.querySelectorAll('#timeline a.selected')].map(a => Number(a.dataset.id))").await;
    assert_eq!(selected, json!([ids[1]]));
    b.screenshot("layout-long-press-phone").await;
    // In select mode a tap adds another.
    b.client.execute_async(LONG_PRESS, vec![json!(format!("#p{} a", ids[2])), json!(50)]).await.unwrap();
    b.expect_text("#select-count", "2 selected").await;

    // Android's link menu (contextmenu) may come before the half second: the held press selects
    // then, and the menu is not shown.
    b.client.goto(&app.url("/")).await.unwrap();
    let menu_shown = b
        .eval_with(
            "const a = document.querySelector(arguments[0]); const r = a.getBoundingClientRect(); \
             const at = { bubbles: true, cancelable: true, pointerType: 'touch', clientX: r.left + 5, clientY: r.top + 5 }; \
             a.dispatchEvent(new PointerEvent('pointerdown', at)); \
             return a.dispatchEvent(new MouseEvent('contextmenu', at));",
            vec![json!(format!("#p{} a", ids[0]))],
        )
        .await;
    assert_eq!(menu_shown, json!(false), "the link's menu is prevented");
    b.expect_text("#select-count", "1 selected").await;

    // The viewer fills the screen; swipe left for the older photo, down to close.
    b.client.goto(&app.url(&format!("/photos/{}", ids[0]))).await.unwrap();
    b.until("const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0", "the photo").await;
    let stage = b.eval("const r = document.querySelector('.stage').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]").await;
    assert_eq!(stage, json!([0, 0, PHONE.0, PHONE.1]), "full-bleed");
    assert_fits(&b, "the viewer", PHONE.0).await;
    b.screenshot("layout-viewer-phone").await;
    b.eval_with(SWIPE, vec![json!(-150), json!(10)]).await;
    b.until(
        &format!("return location.pathname === '/photos/{}' && !!document.querySelector('.stage')", ids[1]),
        "the older photo",
    )
    .await;
    b.eval_with(SWIPE, vec![json!(5), json!(200)]).await;
    b.until("return location.pathname === '/'", "the timeline").await;
    b.close().await;
}

/// The photos whose tile reaches under the scrubber.
const SCRUBBER_COVERS: &str = r##"
const left = document.getElementById("scrubber").getBoundingClientRect().left;
return [...document.querySelectorAll("#timeline a.tile")]
  .filter(t => t.getBoundingClientRect().right > left + 0.5)
  .map(t => `${t.dataset.id} ends at ${t.getBoundingClientRect().right}`);
"##;

#[tokio::test]
async fn clicking_a_month_on_the_date_scrubber_shows_that_months_photos_without_loading_the_months_between() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    wait_for_index(&app).await;
    let admin: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'").fetch_one(&app.db).await.unwrap();
    // One a day back from 31 December 2024, so 31 August 2024 is the 123rd.
    let ids = many_photos(&app, admin, 200).await;
    for (b, screen) in [(Browser::start().await, "desktop"), (Browser::start_phone().await, "phone")] {
        if screen == "desktop" {
            b.client.set_window_size(1440, 900).await.unwrap();
        }
        sign_in(&b, &app).await;
        // A finger wide (44 px, like every touch target), and beside the photos, never over them.
        let (bar, covered) = (
            b.eval("return document.getElementById('scrubber').getBoundingClientRect().width").await,
            b.eval(SCRUBBER_COVERS).await,
        );
        assert!(bar.as_f64().unwrap() >= 44.0, "{screen}: the scrubber is {bar} px wide");
        assert_eq!(covered, json!([]), "{screen}: photos under the scrubber");
        let months =
            b.eval("return [...document.querySelectorAll('#scrubber a.tick')].map(a => a.dataset.month)").await;
        assert_eq!(months.as_array().unwrap().len(), 7, "{screen}: June to December 2024: {months}");
        assert!(b.eval("return !document.querySelector('.month[data-month=\"2024-08\"]')").await == json!(true));
        b.eval("window.stayed = true").await;
        b.client.find(Locator::Css("#scrubber a[data-month='2024-08'].tick")).await.unwrap().click().await.unwrap();
        b.until("return location.search === '?start=2024-08' && !!document.querySelector('#timeline')", "August 2024")
            .await;
        let first = b
            .eval("const m = document.querySelector('#timeline .month'); return [m.dataset.month, m.querySelector('h2').textContent, Number(m.querySelector('a.tile').dataset.id)]")
            .await;
        assert_eq!(first, json!(["2024-08", "August 2024", ids[122]]), "{screen}");
        let current = b.eval("return document.querySelector('#scrubber a.tick[aria-current]')?.dataset.month").await;
        assert_eq!(current, json!("2024-08"), "{screen}: the scrubber marks the month on screen");
        let loaded = b.eval("return document.querySelectorAll('#timeline a.tile').length").await;
        assert!(loaded.as_u64().unwrap() <= shoebox::http::pages::photo_list::PAGE as u64, "{screen}: one page only");
        assert_eq!(b.eval("return !!document.querySelector('.month[data-month=\"2024-09\"]')").await, json!(false));
        assert_fits(&b, "/?start=2024-08", b.eval("return innerWidth").await.as_u64().unwrap() as u32).await;
        b.screenshot(&format!("layout-scrubber-{screen}")).await;
        assert_eq!(b.axe().await, Vec::<String>::new(), "axe-core on a page from the scrubber, {screen}");

        // A month already on the page is scrolled to, not loaded again.
        b.eval("window.stayed = true; window.scrollTo(0, 0)").await;
        b.client.find(Locator::Css("#scrubber a[data-month='2024-07'].tick")).await.unwrap().click().await.unwrap();
        b.until(
            "const h = document.querySelector('.month[data-month=\"2024-07\"]'); return !!h && Math.abs(h.getBoundingClientRect().top) < 5",
            "July scrolled to the top",
        )
        .await;
        assert_eq!(b.eval("return window.stayed === true && location.search").await, json!("?start=2024-08"));
        b.until(
            "return document.querySelector('#scrubber a.tick[aria-current]')?.dataset.month === '2024-07'",
            "July marked",
        )
        .await;
        b.close().await;
    }
}

/// Types `keys` where the focus is, as a person at the keyboard does.
async fn type_keys(b: &Browser, keys: &str) {
    b.client.active_element().await.unwrap().send_keys(keys).await.unwrap();
}

const SLIDE: &str = "const s = document.getElementById('slideshow'); return s ? Number(s.dataset.id) : null";

#[tokio::test]
async fn question_mark_lists_the_keyboard_shortcuts_and_a_slideshow_plays_the_timeline_and_an_album_in_a_real_browser()
{
    use fantoccini::key::Key;
    let (app, ids, album) = furnished_app().await;
    let b = Browser::start().await;
    sign_in(&b, &app).await;

    // `?` opens the list of shortcuts; Escape closes it.
    type_keys(&b, "?").await;
    b.until("return document.getElementById('shortcuts').open", "the shortcuts").await;
    b.expect_text_containing("#shortcuts", "Start a slideshow").await;
    b.screenshot("layout-shortcuts").await;
    assert_eq!(b.axe().await, Vec::<String>::new(), "axe-core with the shortcuts open");
    type_keys(&b, &Key::Escape.to_string()).await;
    b.until("return !document.getElementById('shortcuts').open", "the shortcuts closed").await;

    // The slideshow starts at the newest photo and moves on by itself (every 400 ms here).
    b.eval("document.getElementById('slideshow-start').dataset.interval = '400'").await;
    b.client.find(Locator::Css("#slideshow-start")).await.unwrap().click().await.unwrap();
    assert_eq!(b.eval(SLIDE).await, json!(ids[0]));
    b.until(
        &format!("return document.getElementById('slideshow')?.dataset.id === '{}'", ids[1]),
        "the second photo by itself",
    )
    .await;
    b.until(
        "const i = document.querySelector('#slideshow img.on'); return i.complete && i.naturalWidth > 0 && i.currentSrc.includes('/fit_1')",
        "the photo, screen-sized",
    )
    .await;
    b.screenshot("layout-slideshow").await;
    assert_eq!(b.axe().await, Vec::<String>::new(), "axe-core during the slideshow");
    // Space pauses: it stays on one photo; the arrows still move.
    type_keys(&b, " ").await;
    let paused_at = b.eval(SLIDE).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(b.eval(SLIDE).await, paused_at, "paused");
    let at = ids.iter().position(|id| json!(id) == paused_at).unwrap();
    type_keys(&b, &Key::Right.to_string()).await;
    assert_eq!(b.eval(SLIDE).await, json!(ids[(at + 1) % 3]));
    type_keys(&b, &Key::Left.to_string()).await;
    type_keys(&b, &Key::Left.to_string()).await;
    assert_eq!(b.eval(SLIDE).await, json!(ids[(at + 2) % 3]), "back past the first to the last");
    type_keys(&b, &Key::Escape.to_string()).await;
    assert_eq!(b.eval(SLIDE).await, Value::Null, "ended");
    assert_eq!(b.path().await, "/", "still on the timeline");

    // An album's slideshow shows the album's photos, started with `S`.
    b.client.goto(&app.url(&format!("/albums/{album}"))).await.unwrap();
    type_keys(&b, "s").await;
    assert_eq!(b.eval(SLIDE).await, json!(ids[0]));
    type_keys(&b, &Key::Right.to_string()).await;
    assert_eq!(b.eval(SLIDE).await, json!(ids[1]));
    type_keys(&b, &Key::Right.to_string()).await;
    assert_eq!(b.eval(SLIDE).await, json!(ids[0]), "only the album's two");
    b.close().await;
}

/// Saves a PNG of the page on screen as `docs/screenshots/<name>.png`.
async fn save_for_docs(b: &Browser, name: &str) {
    let png = b.client.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Not part of the suite: `scripts/screenshots` runs it to refresh the README's pictures.
#[tokio::test]
#[ignore = "writes docs/screenshots; run by scripts/screenshots"]
async fn screenshots_of_the_main_pages_at_desktop_and_phone_size_for_the_readme() {
    let app = spawn_app_with(&[("PLACES_TILES", "http://127.0.0.1:9/{z}/{x}/{y}.png")]).await;
    let csrf = app.sign_in_admin().await;
    wait_for_index(&app).await;
    let shapes: [(u16, u16); 8] =
        [(900, 600), (600, 800), (960, 540), (800, 800), (1200, 400), (600, 900), (900, 600), (720, 540)];
    let files: Vec<(String, Vec<u8>)> = (0..24u64)
        .map(|i| {
            let (w, h) = shapes[i as usize % shapes.len()];
            (format!("IMG_{i:04}.jpg"), scenery_jpeg(w, h, i + 3))
        })
        .collect();
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let ids = upload_photos(&app, &csrf, &named).await;
    // Spread over three months, a few places (Zürich, Lisbon, Oslo).
    for (i, id) in ids.iter().enumerate() {
        let taken = 1_719_792_000 - (i as i64) * 3 * 86_400;
        let local = chrono::DateTime::from_timestamp(taken, 0).unwrap().format("%Y-%m-%dT%H:%M:%S").to_string();
        let (lat, lng) = [(47.3769, 8.5417), (38.7223, -9.1393), (59.9139, 10.7522)][i % 3];
        sqlx::query("UPDATE photos SET taken_at = ?, taken_local = ?, latitude = ?, longitude = ? WHERE id = ?")
            .bind(taken)
            .bind(local)
            .bind(lat + (i as f64) * 0.001)
            .bind(lng)
            .bind(id)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let album: Value = app.create_album(&csrf, &json!({ "title": "Summer by the sea" })).await.json().await.unwrap();
    assert_eq!(app.add_to_album(&csrf, album["id"].as_i64().unwrap(), &ids[..9]).await.status(), 200);
    let images_loaded = "return [...document.querySelectorAll('main img')].every(i => i.loading === 'lazy' && i.getBoundingClientRect().top > innerHeight || (i.complete && i.naturalWidth > 0))";

    let desktop = Browser::start().await;
    desktop.client.set_window_size(1440, 900).await.unwrap();
    sign_in(&desktop, &app).await;
    desktop.until(images_loaded, "the thumbnails").await;
    save_for_docs(&desktop, "timeline-desktop").await;
    desktop.client.goto(&app.url(&format!("/photos/{}?in=timeline", ids[4]))).await.unwrap();
    desktop
        .until("const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0", "the photo")
        .await;
    desktop.client.find(Locator::Css("#info summary")).await.unwrap().click().await.unwrap();
    desktop.until("return document.getElementById('minimap')?.dataset.ready === 'true'", "the small map").await;
    save_for_docs(&desktop, "viewer-desktop").await;
    desktop.client.goto(&app.url("/albums")).await.unwrap();
    desktop.until(images_loaded, "the covers").await;
    save_for_docs(&desktop, "albums-desktop").await;
    desktop.client.goto(&app.url("/places")).await.unwrap();
    desktop.until("return document.getElementById('map').dataset.ready === 'true'", "the map").await;
    desktop.client.find(Locator::Css(".marker-cluster")).await.unwrap().click().await.unwrap();
    desktop.until("return document.querySelectorAll('#place-grid img').length > 0", "a cluster's photos").await;
    save_for_docs(&desktop, "places-desktop").await;
    desktop.client.goto(&app.url("/")).await.unwrap();
    type_keys(&desktop, "?").await;
    save_for_docs(&desktop, "shortcuts-desktop").await;
    desktop.close().await;

    let phone = Browser::start_phone().await;
    sign_in(&phone, &app).await;
    phone.until(images_loaded, "the thumbnails").await;
    save_for_docs(&phone, "timeline-phone").await;
    phone.client.find(Locator::Css("nav.tabs summary")).await.unwrap().click().await.unwrap();
    save_for_docs(&phone, "menu-phone").await;
    phone.client.goto(&app.url(&format!("/photos/{}?in=timeline", ids[2]))).await.unwrap();
    phone
        .until("const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0", "the photo")
        .await;
    save_for_docs(&phone, "viewer-phone").await;
    phone.client.goto(&app.url(&format!("/albums/{}", album["id"]))).await.unwrap();
    phone.until(images_loaded, "the album").await;
    save_for_docs(&phone, "album-phone").await;
    phone.client.goto(&app.url("/admin/library")).await.unwrap();
    save_for_docs(&phone, "admin-library-phone").await;
    phone.close().await;
}
