//! `/api/v1/albums`: create, rename, describe, sort, delete; membership; cover; zip download. The
//! rules live in `library::catalog`; this module only translates HTTP.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::db::users::User;
use crate::error::{AppError, AppResult};
use crate::http::download::zip_response;
use crate::http::extract::{ListQuery, json_body};
use crate::http::media_urls::MediaUrls;
use crate::library::catalog::{self, Album, AlbumOrder, AlbumRole, AlbumUpdate, Scope};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/albums", get(list).post(create))
        .route("/api/v1/albums/{id}", get(one).patch(update).delete(remove))
        .route("/api/v1/albums/{id}/photos", get(photos).post(add_photos).delete(remove_photos))
        .route("/api/v1/albums/{id}/cover", put(set_cover))
        .route("/api/v1/albums/{id}/zip", get(zip))
}

fn album_json(state: &AppState, viewer: &User, a: &Album, role: AlbumRole) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    let urls = MediaUrls::for_user(state.library.token_key(), viewer);
    v["cover"] = a.cover_hash.as_deref().map(|h| urls.thumbnails(h)).unwrap_or(Value::Null);
    v["role"] = json!(role);
    v
}

/// The album as `viewer` sees it, with their role.
async fn reply(state: &AppState, viewer: &User, id: i64) -> AppResult<Value> {
    let album = catalog::album(&state.db, viewer.id, id).await?;
    let role = catalog::album_role(&state.db, viewer.id, id).await?;
    Ok(album_json(state, viewer, &album, role))
}

#[derive(Deserialize)]
struct ListParams {
    shared: Option<String>,
}

/// The user's own albums, or with `shared=true` the albums others shared with them.
async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListParams>,
) -> AppResult<Json<Value>> {
    let shared = match q.shared.as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => return Err(AppError::BadRequest(format!("shared={other}: use true or false"))),
    };
    let albums: Vec<Value> = if shared {
        catalog::shared_albums(&state.db, current.user.id)
            .await?
            .iter()
            .map(|(a, role)| album_json(&state, &current.user, a, *role))
            .collect()
    } else {
        catalog::albums(&state.db, current.user.id)
            .await?
            .iter()
            .map(|a| album_json(&state, &current.user, a, AlbumRole::Owner))
            .collect()
    };
    Ok(Json(json!({ "albums": albums })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    title: String,
    #[serde(default)]
    description: String,
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    b: Result<Json<CreateBody>, JsonRejection>,
) -> AppResult<Response> {
    let b = json_body(b)?;
    let album = catalog::create_album(&state.db, current.user.id, &b.title, &b.description).await?;
    Ok((StatusCode::CREATED, Json(album_json(&state, &current.user, &album, AlbumRole::Owner))).into_response())
}

async fn one(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    Ok(Json(reply(&state, &current.user, id).await?))
}

/// Absent stays None; `null` becomes Some(None).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    title: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    cover_photo_id: Option<Option<i64>>,
    /// `newest`, `oldest` or `added`: how the album's photos are listed.
    sort_order: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<UpdateBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let order =
        b.sort_order.map(|name| AlbumOrder::parse(&name).ok_or_else(|| AlbumOrder::unknown(&name))).transpose()?;
    let change = AlbumUpdate { title: b.title, description: b.description, cover: b.cover_photo_id, order };
    catalog::update_album(&state.db, current.user.id, id, &change).await?;
    Ok(Json(reply(&state, &current.user, id).await?))
}

async fn remove(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<StatusCode> {
    catalog::delete_album(&state.db, current.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn photos(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let page =
        catalog::list(&state.db, current.user.id, Scope::Album(id), &q.filter()?, q.after()?, q.limit()?).await?;
    let mut v = super::page_json(&MediaUrls::for_user(state.library.token_key(), &current.user), &page);
    // Whose each photo is and who put it in the album: a shared album holds several people's.
    let ids: Vec<i64> = page.photos.iter().map(|p| p.id).collect();
    let credits = catalog::album_credits(&state.db, id, &ids).await?;
    if let Some(photos) = v["photos"].as_array_mut() {
        for photo in photos {
            if let Some((_, owner, added_by)) = credits.iter().find(|c| photo["id"] == c.0) {
                photo["owner_name"] = json!(owner);
                photo["added_by"] = json!(added_by);
            }
        }
    }
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdsBody {
    ids: Vec<i64>,
}

async fn add_photos(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<IdsBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let added = catalog::add_to_album(&state.db, current.user.id, id, &b.ids).await?;
    Ok(Json(json!({ "added": added, "album": reply(&state, &current.user, id).await? })))
}

async fn remove_photos(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<IdsBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let removed = catalog::remove_from_album(&state.db, current.user.id, id, &b.ids).await?;
    Ok(Json(json!({ "removed": removed, "album": reply(&state, &current.user, id).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoverBody {
    photo_id: Option<i64>,
}

/// `{"photo_id": 7}` makes a member the cover; `{"photo_id": null}` goes back to the newest photo.
async fn set_cover(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<CoverBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let change = AlbumUpdate { cover: Some(b.photo_id), ..Default::default() };
    catalog::update_album(&state.db, current.user.id, id, &change).await?;
    Ok(Json(reply(&state, &current.user, id).await?))
}

async fn zip(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Response> {
    let album = catalog::album(&state.db, current.user.id, id).await?;
    let items = catalog::album_files(&state.db, state.library.originals(), current.user.id, id).await?;
    Ok(zip_response(&album.title, items))
}
