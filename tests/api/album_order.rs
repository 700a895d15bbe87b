//! An album's sort order (newest, oldest, recently added): chosen through the API or the album
//! page's form, and every order walked page by page, by the viewer's previous/next and on the page.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Person, ResponseExt, hidden_field, party, photo};
use shoebox::library::catalog::{self, Filter, Scope};

/// Seven photos of Alice in one album, with two taken at the same second and two put into the
/// album at the same second, so that every order has a tie its keyset must break by id.
/// Returns the album and the photo ids in upload order.
async fn album_of_seven(alice: &Person) -> (i64, Vec<i64>) {
    let ids = alice
        .upload(&[
            ("a.jpg", photo("2021:05:01 10:00:00", 1)),
            ("b.jpg", photo("2019:01:01 10:00:00", 2)),
            ("c.jpg", photo("2023:07:14 18:30:00", 3)),
            ("d.jpg", photo("2023:07:14 18:30:00", 4)),
            ("e.jpg", photo("2020:02:02 10:00:00", 5)),
            ("f.jpg", photo("2022:12:24 20:00:00", 6)),
            ("g.jpg", photo("2018:08:08 08:00:00", 7)),
        ])
        .await;
    assert_eq!(ids.len(), 7);
    let r = alice.create_album(json!({ "title": "Seven" })).await;
    assert_eq!(r.status(), 201);
    let album = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    alice.add_to_album(album, &ids).await.ok_json().await;
    // The times each photo was put in the album, as adds a day apart would have left them (a test
    // cannot wait days): f first, then b, a and g together, e, c, and d last.
    for (photo, day) in [(5, 1), (1, 2), (0, 2), (6, 2), (4, 3), (2, 4), (3, 5)] {
        sqlx::query("UPDATE album_photos SET added_at = ? WHERE album_id = ? AND photo_id = ?")
            .bind(1_600_000_000 + day * 86_400)
            .bind(album)
            .bind(ids[photo])
            .execute(&alice.app.db)
            .await
            .unwrap();
    }
    (album, ids)
}

/// Every photo of the album through `GET /api/v1/albums/{id}/photos`, `limit` at a time.
async fn walk_pages(p: &Person, album: i64, limit: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..20 {
        let query = match &after {
            Some(c) => format!("limit={limit}&after={c}"),
            None => format!("limit={limit}"),
        };
        let v = p.album_photos(album, &query).await.ok_json().await;
        let page: Vec<i64> = v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert!(page.len() <= limit, "{v}");
        out.extend(page);
        match v["next"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("the pages never ended: {out:?}");
}

/// The album from its first photo to its last through the viewer's `next` neighbour, and back.
async fn walk_neighbours(p: &Person, album: i64, first: i64) -> (Vec<i64>, Vec<i64>) {
    let mut forward = vec![first];
    while forward.len() < 20 {
        let v = p.get(&format!("/api/v1/photos/{}/neighbours?album={album}", forward.last().unwrap())).await;
        match v["next"].as_i64() {
            Some(n) => forward.push(n),
            None => break,
        }
    }
    let mut back = vec![*forward.last().unwrap()];
    while back.len() < 20 {
        let v = p.get(&format!("/api/v1/photos/{}/neighbours?album={album}", back.last().unwrap())).await;
        match v["prev"].as_i64() {
            Some(n) => back.push(n),
            None => break,
        }
    }
    back.reverse();
    (forward, back)
}

/// The photo ids of the album page's tiles, in the order the HTML shows them.
fn tile_ids(html: &str) -> Vec<i64> {
    html.split("<li id=\"p").skip(1).map(|rest| rest.split('"').next().unwrap().parse().unwrap()).collect()
}

#[tokio::test]
async fn each_album_order_lists_the_photos_in_its_sequence_across_page_boundaries_and_through_previous_and_next() {
    let p = party().await;
    let (album, ids) = album_of_seven(&p.alice).await;
    let [a, b, c, d, e, f, g] = ids[..] else { unreachable!() };
    assert_eq!(p.alice.album(album).await.ok_json().await["sort_order"], "newest", "the default");

    // Ties: c and d were taken at the same second, b, a and g added at the same second; the
    // higher id comes first going down, last going up.
    for (order, expected) in [
        ("newest", vec![d, c, f, a, e, b, g]),
        ("oldest", vec![g, b, e, a, f, c, d]),
        ("added", vec![d, c, e, g, b, a, f]),
    ] {
        let v = p.alice.update_album(album, json!({ "sort_order": order })).await.ok_json().await;
        assert_eq!(v["sort_order"], order);
        for limit in [1, 2, 3, 7] {
            assert_eq!(walk_pages(&p.alice, album, limit).await, expected, "{order}, {limit} a page");
        }
        let (forward, back) = walk_neighbours(&p.alice, album, expected[0]).await;
        assert_eq!((forward, back), (expected.clone(), expected.clone()), "{order}: previous and next");
        let html = p.alice.app.get(&format!("/albums/{album}")).await.text().await.unwrap();
        assert_eq!(tile_ids(&html), expected, "{order}: the album page");
    }

    // The viewer's way back to the list opens the page that starts right after the photo before.
    let html = p.alice.app.get(&format!("/photos/{c}?in=album-{album}")).await.text().await.unwrap();
    let back = html.split("href=\"").map(|s| s.split('"').next().unwrap()).find(|h| h.ends_with(&format!("#p{c}")));
    let back = back.unwrap_or_else(|| panic!("a link back to the album: {html}")).replace("&amp;", "&");
    let page = p.alice.app.get(&back).await.text().await.unwrap();
    assert_eq!(tile_ids(&page), vec![c, e, g, b, a, f], "the album from c on, recently added first");

    // Filters still apply within the order.
    let v = p.alice.album_photos(album, "year=2023").await.ok_json().await;
    let got: Vec<i64> = v["photos"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(got, vec![d, c]);
}

#[tokio::test]
async fn the_album_page_sorts_with_a_csrf_protected_form_that_only_editors_see_and_refuses_an_unknown_order() {
    let p = party().await;
    let (album, _) = album_of_seven(&p.alice).await;
    let page = p.alice.app.get(&format!("/albums/{album}")).await.text().await.unwrap();
    assert!(page.contains(r#"<option value="newest" selected>Newest first</option>"#), "{page}");
    assert!(page.contains(r#"<option value="added">Recently added first</option>"#), "{page}");
    let csrf = hidden_field(&page, "csrf_token").expect("the form carries the CSRF token");
    let path = format!("/albums/{album}");
    let post = |who: &Person, form: Vec<(&'static str, String)>| {
        let (client, url) = (who.app.client.clone(), who.app.url(&path));
        async move { client.post(url).form(&form).send().await.unwrap() }
    };

    let form = |order: &str, csrf: &str| {
        vec![("action", "order".to_string()), ("order", order.into()), ("csrf_token", csrf.into())]
    };
    let r = post(&p.alice, vec![("action", "order".into()), ("order", "oldest".into())]).await;
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = post(&p.bob, form("oldest", &p.bob.csrf)).await;
    assert_eq!(r.status(), 404, "another user's album");
    let r = post(&p.alice, form("title", &csrf)).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is not one Shoebox has: use newest, oldest, added"));
    let order: String = sqlx::query_scalar("SELECT sort_order FROM albums WHERE id = ?")
        .bind(album)
        .fetch_one(&p.app.db)
        .await
        .unwrap();
    assert_eq!(order, "newest", "nothing changed");

    let r = post(&p.alice, form("oldest", &csrf)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], path.as_str());
    let page = p.alice.app.get(&path).await.text().await.unwrap();
    assert!(page.contains(r#"<option value="oldest" selected>Oldest first</option>"#), "{page}");
    assert!(!page.contains("id=\"scrubber\""), "month links only where the list is by date, newest first");
    let r = p.alice.app.get(&format!("{path}?start=2021-05")).await;
    assert_eq!(r.status(), 400);

    // A viewer member sees the album in its order but no form; an editor may change it.
    for (role, may) in [("viewer", false), ("editor", true)] {
        let r = p
            .alice
            .send(Method::PUT, &format!("/api/v1/albums/{album}/members/bob"), Some(json!({ "role": role })))
            .await;
        assert_eq!(r.status(), 200, "{role}");
        let page = p.bob.app.get(&path).await.text().await.unwrap();
        assert_eq!(page.contains("id=\"album-order\""), may, "{role}: {page}");
        let r = p.bob.update_album(album, json!({ "sort_order": "added" })).await;
        assert_eq!(r.status().is_success(), may, "{role}: {}", r.status());
    }
    let r = p.alice.update_album(album, json!({ "sort_order": "random" })).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn every_album_order_walks_an_index_in_order_without_sorting() {
    let p = party().await;
    let (album, _) = album_of_seven(&p.alice).await;
    let alice: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'").fetch_one(&p.app.db).await.unwrap();
    for (order, index) in
        [("newest", "album_photos_order"), ("oldest", "album_photos_order"), ("added", "album_photos_added")]
    {
        p.alice.update_album(album, json!({ "sort_order": order })).await.ok_json().await;
        let plan = catalog::query_plan(&p.app.db, alice, Scope::Album(album), &Filter::default()).await.unwrap();
        assert!(plan[0].starts_with("SEARCH") && plan[0].contains(&format!(" INDEX {index} ")), "{order}: {plan:?}");
        assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "{order}: no sort step: {plan:?}");
    }
}
