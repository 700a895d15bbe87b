//! Places: the positions of a person's photos for the map (`/api/v1/places`), the map page, the
//! tile server option and `DISABLE_PLACES`.

use fantoccini::Locator;
use serde_json::json;
use sha2::Digest;

use crate::helpers::*;

#[tokio::test]
async fn the_places_api_lists_only_the_owners_photos_with_a_position_that_are_on_the_timeline() {
    let p = party().await;
    wait_for_index(&p.app).await;
    let mut alice_ids = p
        .alice
        .upload(&[
            ("zurich.jpg", dated_jpeg("2024:05:01 10:00:00", 1)),
            ("zurich-later.jpg", dated_jpeg("2024:05:02 10:00:00", 2)),
            ("no-gps.jpg", photo("2024:05:03 10:00:00", 3)),
            ("archived.jpg", dated_jpeg("2024:05:04 10:00:00", 4)),
        ])
        .await;
    assert_eq!(p.alice.batch("archive", &alice_ids[3..]).await.status(), 200);
    let bob_ids = p.bob.upload(&[("bob.jpg", dated_jpeg("2024:05:05 10:00:00", 5))]).await;

    let v = p.alice.get("/api/v1/places").await;
    let places = v["places"].as_array().unwrap();
    let ids: Vec<i64> = places.iter().map(|p| p["id"].as_i64().unwrap()).collect();
    alice_ids.truncate(2);
    alice_ids.reverse();
    assert_eq!(ids, alice_ids, "newest first; not the one without GPS, not the archived one");
    for place in places {
        assert!((place["lat"].as_f64().unwrap() - 47.3769).abs() < 1e-3, "{place}");
        assert!((place["lng"].as_f64().unwrap() - 8.5417).abs() < 1e-3, "{place}");
    }
    // Bob sees his own only; the administrator sees none of theirs.
    assert_eq!(
        p.bob.get("/api/v1/places").await["places"],
        json!([{ "id": bob_ids[0], "lat": places[0]["lat"], "lng": places[0]["lng"] }])
    );
    assert_eq!(p.admin.get("/api/v1/places").await["places"], json!([]));
    let anonymous = p.app.with_client(client());
    assert_eq!(anonymous.get("/api/v1/places").await.status(), 401);
}

#[tokio::test]
async fn the_places_page_loads_the_vendored_map_library_and_the_csp_allows_images_from_the_tile_server_only() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let r = app.get("/places").await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    let img_src = csp.split(';').map(str::trim).find(|d| d.starts_with("img-src")).unwrap();
    assert_eq!(img_src, "img-src 'self' data: blob: https://tile.openstreetmap.org");
    let html = r.text().await.unwrap();
    for asset in [
        "vendor/leaflet/leaflet.js",
        "vendor/markercluster/leaflet.markercluster.js",
        "places.js",
        "vendor/leaflet/leaflet.css",
    ] {
        assert!(html.contains(&format!("/static/{asset}?v=")), "{asset}");
    }
    assert!(html.contains("data-tiles=\"https://tile.openstreetmap.org/{z}/{x}/{y}.png\""), "the default tile server");
    assert!(html.contains("data-attribution=\"© OpenStreetMap contributors\""), "credited");
    assert!(html.contains("href=\"/places\""), "in the navigation");

    // The copies served are those the checksums (scripts/vendor-leaflet) vouch for, licences beside them.
    let sums = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/vendor/SHA256SUMS")).unwrap();
    for line in sums.lines() {
        let (sum, file) = line.split_once("  ").unwrap();
        let r = app.get(&format!("/static/vendor/{file}")).await;
        assert_eq!(r.status(), 200, "{file}");
        let bytes = r.bytes().await.unwrap();
        let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, sum, "{file} matches SHA256SUMS");
    }
    assert!(sums.contains("  leaflet/LICENSE") && sums.contains("  markercluster/LICENSE"));
    let versions = app.get("/static/vendor/VERSIONS").await.text().await.unwrap();
    assert_eq!(versions, "leaflet 1.9.4\nleaflet.markercluster 1.5.3\n", "pinned");
}

#[tokio::test]
async fn another_tile_server_is_the_only_image_host_the_csp_allows_and_the_map_uses() {
    let app = spawn_app_with(&[
        ("PLACES_TILES", "https://maps.example.org/tiles/{z}/{x}/{y}.png"),
        ("PLACES_ATTRIBUTION", "Maps <b>by</b> Example"),
    ])
    .await;
    app.sign_in_admin().await;
    let r = app.get("/places").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data: blob: https://maps.example.org;"), "{csp}");
    assert!(!csp.contains("openstreetmap"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains("data-tiles=\"https://maps.example.org/tiles/{z}/{x}/{y}.png\""));
    assert!(html.contains("data-attribution=\"Maps ") && !html.contains("<b>by</b>"), "escaped");
    assert!(!html.contains("data-attribution-url"), "OpenStreetMap's copyright link only with its tiles");
}

#[tokio::test]
async fn disable_places_turns_every_map_off_the_page_the_api_the_viewers_map_the_link_and_the_tile_host() {
    let app = spawn_app_with_env(vec![("PHOTOPRISM_DISABLE_PLACES".into(), "true".into())]).await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(&app, &csrf, &[("zurich.jpg", dated_jpeg("2024:05:01 10:00:00", 1))]).await;
    assert_eq!(app.get("/places").await.status(), 404);
    assert_eq!(app.get("/api/v1/places").await.status(), 404);
    let r = app.get(&format!("/photos/{}", ids[0])).await;
    assert!(!r.headers()["content-security-policy"].to_str().unwrap().contains("openstreetmap.org"));
    let html = r.text().await.unwrap();
    assert!(!html.contains("id=\"minimap\""), "no map in the viewer");
    assert!(html.contains("47.37690, 8.54170"), "the coordinates are still shown");
    assert!(!app.get("/").await.text().await.unwrap().contains("href=\"/places\""), "no Places in the navigation");
}

#[tokio::test]
async fn the_viewer_of_a_photo_with_a_position_offers_a_small_map_loaded_only_when_the_info_opens() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[("zurich.jpg", dated_jpeg("2024:05:01 10:00:00", 1)), ("nowhere.jpg", photo("2024:05:02 10:00:00", 2))],
    )
    .await;
    let html = app.get(&format!("/photos/{}", ids[0])).await.text().await.unwrap();
    let map = &html[html.find("id=\"minimap\"").expect("a small map")..];
    assert!(map.contains("data-lat=\"47.3769\"") && map.contains("data-lng=\"8.5417\""), "{map}");
    assert!(map.contains("data-leaflet-js=\"/static/vendor/leaflet/leaflet.js?v="), "{map}");
    assert!(!html.contains("<script src=\"/static/vendor/leaflet"), "not loaded with the page");
    let html = app.get(&format!("/photos/{}", ids[1])).await.text().await.unwrap();
    assert!(!html.contains("id=\"minimap\""), "no position, no map");
}

#[tokio::test]
async fn the_map_clusters_photos_taken_at_one_place_and_a_cluster_opens_its_photos_in_a_real_browser() {
    // Tiles from a port where nothing listens: the test needs no internet, the map works without tiles.
    let app = spawn_app_with(&[("PLACES_TILES", "http://127.0.0.1:9/{z}/{x}/{y}.png")]).await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[
            ("zurich-1.jpg", dated_jpeg("2024:05:01 10:00:00", 1)),
            ("zurich-2.jpg", dated_jpeg("2024:05:02 10:00:00", 2)),
            ("paris.jpg", dated_jpeg("2024:05:03 10:00:00", 3)),
            ("nowhere.jpg", photo("2024:05:04 10:00:00", 4)),
        ],
    )
    .await;
    sqlx::query("UPDATE photos SET latitude = 48.8566, longitude = 2.3522 WHERE id = ?")
        .bind(ids[2])
        .execute(&app.db)
        .await
        .unwrap();

    let b = Browser::start().await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.submit_admin_password().await;
    b.expect_path("/").await;
    b.client.goto(&app.url("/places")).await.unwrap();
    b.until("return document.getElementById('map').dataset.ready === 'true'", "the map").await;
    b.expect_text_containing("#places-count", "3 photo(s) with a location").await;
    // Zürich's two photos are one cluster marked 2; Paris is a pin of its own.
    let clusters =
        b.eval("return [...document.querySelectorAll('.marker-cluster')].map(c => c.textContent.trim())").await;
    assert_eq!(clusters, json!(["2"]));
    assert_eq!(b.eval("return document.querySelectorAll('.leaflet-marker-icon.place-pin').length").await, json!(1));
    b.client.find(Locator::Css(".marker-cluster")).await.unwrap().click().await.unwrap();
    b.until("return document.querySelectorAll('#place-grid a.tile img').length === 2", "the cluster's photos").await;
    b.expect_text("#place-photos-title", "2 photo(s) here").await;
    let shown =
        b.eval("return [...document.querySelectorAll('#place-grid a.tile')].map(a => Number(a.dataset.id))").await;
    assert_eq!(shown, json!([ids[1], ids[0]]), "newest first");
    b.until(
        "return [...document.querySelectorAll('#place-grid img')].every(i => i.complete && i.naturalWidth > 0)",
        "thumbnails",
    )
    .await;
    b.screenshot("places-cluster").await;
    assert_eq!(b.axe().await, Vec::<String>::new(), "axe-core on the map with a cluster open");
    b.client.find(Locator::Css(".leaflet-marker-icon.place-pin")).await.unwrap().click().await.unwrap();
    b.until(&format!("const a = [...document.querySelectorAll('#place-grid a.tile')]; return a.length === 1 && a[0].dataset.id === '{}'", ids[2]), "Paris").await;
    b.client.find(Locator::Css("#place-grid a.tile")).await.unwrap().click().await.unwrap();
    b.expect_path(&format!("/photos/{}", ids[2])).await;

    // The viewer's info panel: a small map once it opens.
    assert_eq!(b.eval("return !!window.L").await, json!(false), "Leaflet is not loaded with the viewer");
    b.client.find(Locator::Css("#info summary")).await.unwrap().click().await.unwrap();
    b.until("return document.getElementById('minimap').dataset.ready === 'true' && !!document.querySelector('#minimap .place-pin')", "the small map").await;
    b.screenshot("places-viewer-map").await;
    assert_eq!(b.axe().await, Vec::<String>::new(), "axe-core on the viewer with its map");
    b.close().await;
}

#[test]
fn a_tile_server_that_is_no_url_template_on_one_host_stops_startup_naming_the_option() {
    use shoebox::config::Config;
    for bad in [
        "tile.openstreetmap.org/{z}/{x}/{y}.png",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/{z}/{x}.png",
        "https://{s}.tile.example.org/{z}/{x}/{y}.png",
    ] {
        let e = Config::from_pairs([("PLACES_TILES", bad)]).expect_err(bad).to_string();
        assert!(e.contains("SHOEBOX_PLACES_TILES") && e.contains("{z}, {x} and {y}"), "{bad}: {e}");
    }
    let e = Config::from_pairs([("DISABLE_PLACES", "perhaps")]).expect_err("not a bool").to_string();
    assert!(e.contains("DISABLE_PLACES"), "{e}");
    let ok = Config::from_pairs([("PLACES_TILES", "http://localhost:8080/tiles/{z}/{x}/{y}.png")]).unwrap();
    assert_eq!(ok.places.tile_origin, "http://localhost:8080");
    assert!(ok.places.enabled);
}
