//! Share links in a real browser: the owner makes a password link on the album's page, a second
//! browser (no cookies of the owner's) opens it, is asked for the password, unlocks, sees a
//! photo, downloads the zip; the owner revokes the link and the visitor's next image fails.

use fantoccini::Locator;
use serde_json::json;

use crate::helpers::*;

async fn image_loaded(b: &Browser) -> bool {
    let js = "const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0;";
    b.client.execute(js, vec![]).await.unwrap().as_bool().unwrap_or(false)
}

#[tokio::test]
async fn a_password_link_made_in_the_browser_opens_in_another_after_the_prompt_and_stops_when_revoked() {
    let app = spawn_app().await;
    let csrf = app.sign_in_admin().await;
    let ids = upload_photos(
        &app,
        &csrf,
        &[("a.jpg", photo("2023:01:01 10:00:00", 1)), ("b.jpg", photo("2023:01:02 10:00:00", 2))],
    )
    .await;
    let r = app.create_album(&csrf, &json!({ "title": "Holidays" })).await;
    let album = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(app.add_to_album(&csrf, album, &ids).await.status(), 200);

    // The owner makes the link on the album's Share page.
    let owner = Browser::start().await;
    owner.client.goto(&app.url(&format!("/albums/{album}/links"))).await.unwrap();
    owner.submit_admin_password().await;
    owner.expect_text_containing("main h1", "Share Holidays").await;
    owner.client.find(Locator::Css("#link-password")).await.unwrap().send_keys("open sesame").await.unwrap();
    owner.client.find(Locator::Css("#make-link-button")).await.unwrap().click().await.unwrap();
    owner.expect_text_containing("#new-link .notice", "Link made").await;
    let url = owner.client.find(Locator::Css("#new-link-url")).await.unwrap().prop("value").await.unwrap().unwrap();
    let path = url[url.find("/s/").unwrap()..].to_string();

    // The visitor, in another browser, is asked for the password first.
    let downloads = tempfile::tempdir().unwrap();
    let visitor = Browser::start_downloading_to(downloads.path()).await;
    visitor.client.goto(&app.url(&path)).await.unwrap();
    visitor.expect_text("main h1", "This album is protected").await;
    assert!(visitor.client.find(Locator::Css("#shared-grid")).await.is_err(), "no photos before the password");
    visitor.client.find(Locator::Css("#link-password")).await.unwrap().send_keys("open sesame").await.unwrap();
    visitor.client.find(Locator::Css("#unlock button")).await.unwrap().click().await.unwrap();
    visitor.expect_text("main h1", "Holidays").await;
    visitor.expect_path(&path).await;
    visitor.client.find(Locator::Css("#shared-grid a.tile")).await.unwrap().click().await.unwrap();
    visitor.expect_text_containing("#back", "Album").await;
    let mut loaded = false;
    for _ in 0..100 {
        if image_loaded(&visitor).await {
            loaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(loaded, "the photo shows");
    let photo_page = visitor.path().await;
    let src = visitor.client.find(Locator::Css("#photo")).await.unwrap().attr("src").await.unwrap().unwrap();
    let js = "const i = new Image(); i.src = arguments[0]; return await new Promise(r => { i.onload = () => r('loaded'); i.onerror = () => r('failed'); });";
    assert_eq!(visitor.client.execute(js, vec![json!(src)]).await.unwrap(), json!("loaded"));

    // The zip downloads.
    visitor.client.goto(&app.url(&path)).await.unwrap();
    visitor.client.find(Locator::Css("#shared-zip")).await.unwrap().click().await.unwrap();
    let mut zip_file = None;
    for _ in 0..400 {
        let names: Vec<_> = std::fs::read_dir(downloads.path()).unwrap().flatten().map(|e| e.path()).collect();
        if let [one] = names.as_slice()
            && one.extension().is_some_and(|e| e == "zip")
        {
            zip_file = Some(one.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let zip = std::fs::read(zip_file.expect("the zip was downloaded")).unwrap();
    assert_eq!(zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap().len(), 2);

    // The owner revokes the link on the page; the visitor's next image fails.
    owner.client.goto(&app.url(&format!("/albums/{album}/links"))).await.unwrap();
    owner.client.find(Locator::Css("#links button[value=revoke]")).await.unwrap().click().await.unwrap();
    owner.expect_text_containing("#links tbody tr", "revoked").await;
    visitor.client.goto(&app.url(&photo_page)).await.unwrap();
    visitor.expect_text(".status", "410").await;
    // The very image URL that loaded before, asked again (no-cache: the browser must ask).
    assert_eq!(visitor.client.execute(js, vec![json!(src)]).await.unwrap(), json!("failed"));
    owner.close().await;
    visitor.close().await;
}
