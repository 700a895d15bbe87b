//! The albums page (`/albums`), one album (`/albums/{id}`, a photo list), and the forms that
//! create, rename, describe, sort and delete albums.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::get;
use serde::Deserialize;

use super::photo_list::{AlbumInfo, Paging, kind, list_page};
use super::{Layout, render};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::media_urls::MediaUrls;
use crate::library::catalog::{self, Filter, Scope};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/albums", get(albums).post(create_album))
        .route("/albums/{id}", get(album_page).post(change_album))
}

async fn album_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    let a = catalog::album(&state.db, current.user.id, id).await?;
    // Forms a member's role does not allow are not shown (their submit would be refused).
    let role = catalog::album_role(&state.db, current.user.id, id).await?;
    let info = AlbumInfo::new(&a, role);
    list_page(&state, &current, kind(Scope::Album(id), Some(&a.title)), Filter::default(), None, &p, Some(info)).await
}

pub struct AlbumCard {
    pub id: i64,
    pub title: String,
    pub count: i64,
    pub cover: Option<String>,
    /// For an album shared with the viewer: "<owner> · <role>".
    pub shared_by: Option<String>,
}

#[derive(Template)]
#[template(path = "albums.html")]
struct AlbumsPage {
    layout: Layout,
    albums: Vec<AlbumCard>,
    /// Albums other people shared with the viewer.
    shared: Vec<AlbumCard>,
}

async fn albums(State(state): State<AppState>, current: CurrentUser) -> AppResult<Html<String>> {
    let uid = current.user.id;
    let urls = MediaUrls::for_user(state.library.token_key(), &current.user);
    let albums = catalog::albums(&state.db, uid)
        .await?
        .into_iter()
        .map(|a| AlbumCard {
            id: a.id,
            title: a.title,
            count: a.photo_count,
            cover: a.cover_hash.map(|h| urls.thumbnail(&h, "tile_500")),
            shared_by: None,
        })
        .collect();
    let shared = catalog::shared_albums(&state.db, uid)
        .await?
        .into_iter()
        .map(|(a, role)| AlbumCard {
            id: a.id,
            title: a.title,
            count: a.photo_count,
            cover: a.cover_hash.map(|h| urls.thumbnail(&h, "tile_500")),
            shared_by: Some(format!("{} · {}", a.owner_name, role.as_str())),
        })
        .collect();
    render(&AlbumsPage { layout: Layout::new(&state, "Albums", Some(&current)), albums, shared })
}

#[derive(Deserialize)]
struct AlbumForm {
    #[serde(default)]
    action: String,
    title: Option<String>,
    description: Option<String>,
    /// For `action=order`: `newest`, `oldest` or `added`.
    order: Option<String>,
}

async fn create_album(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(f): Form<AlbumForm>,
) -> AppResult<Redirect> {
    let a = catalog::create_album(
        &state.db,
        current.user.id,
        f.title.as_deref().unwrap_or(""),
        f.description.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Redirect::to(&format!("/albums/{}", a.id)))
}

async fn change_album(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<AlbumForm>,
) -> AppResult<Redirect> {
    let uid = current.user.id;
    match f.action.as_str() {
        "update" => {
            let change = catalog::AlbumUpdate { title: f.title, description: f.description, ..Default::default() };
            catalog::update_album(&state.db, uid, id, &change).await?;
            Ok(Redirect::to(&format!("/albums/{id}")))
        }
        "order" => {
            let name = f.order.unwrap_or_default();
            let order = catalog::AlbumOrder::parse(&name).ok_or_else(|| catalog::AlbumOrder::unknown(&name))?;
            let change = catalog::AlbumUpdate { order: Some(order), ..Default::default() };
            catalog::update_album(&state.db, uid, id, &change).await?;
            Ok(Redirect::to(&format!("/albums/{id}")))
        }
        "delete" => {
            catalog::delete_album(&state.db, uid, id).await?;
            Ok(Redirect::to("/albums"))
        }
        other => Err(AppError::BadRequest(format!("action={other}: use update, order or delete"))),
    }
}
