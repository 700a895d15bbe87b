//! `/api/v1/photos`, `/api/v1/trash`, `/api/v1/cameras`: listing with scopes and filters, one
//! photo, editing, favourite, archive, trash and restore, bulk actions and zip downloads. The
//! rules live in `library::catalog`; this module only translates HTTP.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::db::users::User;
use crate::error::{AppError, AppResult};
use crate::http::download::zip_response;
use crate::http::extract::{ListQuery, json_body};
use crate::http::media_urls::MediaUrls;
use crate::library::catalog::{self, PhotoUpdate, Scope};
use crate::library::store::{self, PhotoRow};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/photos", get(list))
        .route("/api/v1/photos/batch", post(batch))
        .route("/api/v1/photos/zip", get(zip_selection))
        .route("/api/v1/photos/{id}", get(one).patch(update).delete(trash_one))
        .route("/api/v1/photos/{id}/neighbours", get(neighbours))
        .route("/api/v1/photos/{id}/restore", post(restore_one))
        .route("/api/v1/photos/{id}/favorite", post(favorite_one).delete(unfavorite_one))
        .route("/api/v1/photos/{id}/archive", post(archive_one).delete(unarchive_one))
        .route("/api/v1/trash", get(trash_list).delete(empty_trash))
        .route("/api/v1/cameras", get(cameras))
        .route("/api/v1/months", get(months))
}

fn photo_json(state: &AppState, viewer: &User, p: &PhotoRow) -> Value {
    super::photo_json(&MediaUrls::for_user(state.library.token_key(), viewer), p)
}

/// The signed-in user's photos in a scope, filtered, newest first by date taken, `limit` at a
/// time; pass `next` back as `after` for the following page.
async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let page = catalog::list(&state.db, current.user.id, q.scope()?, &q.filter()?, q.after()?, q.limit()?).await?;
    Ok(Json(super::page_json(&MediaUrls::for_user(state.library.token_key(), &current.user), &page)))
}

async fn trash_list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let page = catalog::list(&state.db, current.user.id, Scope::Trash, &q.filter()?, q.after()?, q.limit()?).await?;
    let mut v = super::page_json(&MediaUrls::for_user(state.library.token_key(), &current.user), &page);
    v["trash_days"] = json!(state.library.trash_days());
    Ok(Json(v))
}

/// A photo the user may see: their own (the trash included) or one in a folder granted to them.
async fn one(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let photo = store::photo_for(&state.db, current.user.id, id).await?.ok_or(AppError::NotFound)?;
    let mut v = photo_json(&state, &current.user, &photo);
    // Other users see only that the photo exists, not where its owner keeps it.
    if photo.owner_id == current.user.id {
        let files = store::files_of(&state.db, photo.id).await?;
        // The files paired with the photo, each downloadable as stored.
        let paired: serde_json::Map<String, Value> = files
            .iter()
            .filter(|f| f.status == "indexed" && f.role != "primary")
            .map(|f| (f.role.clone(), json!(MediaUrls::paired(&photo.hash, &f.role))))
            .collect();
        v["downloads"] = json!(paired);
        v["files"] = json!(files);
    }
    Ok(Json(v))
}

/// The previous (newer) and next (older) photo in the same list, for the viewer's arrows.
async fn neighbours(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let photo = catalog::own_photo(&state.db, current.user.id, id).await?;
    let (prev, next) = catalog::neighbours(&state.db, current.user.id, q.scope()?, &q.filter()?, &photo).await?;
    Ok(Json(json!({ "prev": prev, "next": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    title: Option<String>,
    description: Option<String>,
    favorite: Option<bool>,
    archived: Option<bool>,
    private: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<UpdateBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let change = PhotoUpdate {
        title: b.title,
        description: b.description,
        favorite: b.favorite,
        archived: b.archived,
        private: b.private,
    };
    let photo = catalog::update_photo(&state.db, current.user.id, id, &change).await?;
    Ok(Json(photo_json(&state, &current.user, &photo)))
}

async fn reply(state: &AppState, viewer: &User, id: i64) -> AppResult<Json<Value>> {
    let photo = catalog::own_photo(&state.db, viewer.id, id).await?;
    Ok(Json(photo_json(state, viewer, &photo)))
}

/// DELETE moves to the trash; the trash is emptied by `DELETE /api/v1/trash` or after TRASH_DAYS.
async fn trash_one(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    catalog::trash(&state.db, current.user.id, &[id]).await?;
    reply(&state, &current.user, id).await
}

async fn restore_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::restore(&state.db, current.user.id, &[id]).await?;
    reply(&state, &current.user, id).await
}

async fn favorite_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_favorite(&state.db, current.user.id, &[id], true).await?;
    reply(&state, &current.user, id).await
}

async fn unfavorite_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_favorite(&state.db, current.user.id, &[id], false).await?;
    reply(&state, &current.user, id).await
}

async fn archive_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_archived(&state.db, current.user.id, &[id], true).await?;
    reply(&state, &current.user, id).await
}

async fn unarchive_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_archived(&state.db, current.user.id, &[id], false).await?;
    reply(&state, &current.user, id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    action: String,
    ids: Vec<i64>,
    album_id: Option<i64>,
}

const BATCH_ACTIONS: &str =
    "favorite, unfavorite, archive, unarchive, trash, restore, add_to_album or remove_from_album";

/// One action on many photos, all or none: any id that is not the user's makes it a 404.
async fn batch(
    State(state): State<AppState>,
    current: CurrentUser,
    b: Result<Json<BatchBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = json_body(b)?;
    let (db, me, ids) = (&state.db, current.user.id, &b.ids[..]);
    let album =
        || b.album_id.ok_or_else(|| AppError::BadRequest(format!("{} needs album_id: the album to use", b.action)));
    let changed = match b.action.as_str() {
        "favorite" => catalog::set_favorite(db, me, ids, true).await?,
        "unfavorite" => catalog::set_favorite(db, me, ids, false).await?,
        "archive" => catalog::set_archived(db, me, ids, true).await?,
        "unarchive" => catalog::set_archived(db, me, ids, false).await?,
        "trash" => catalog::trash(db, me, ids).await?,
        "restore" => catalog::restore(db, me, ids).await?,
        "add_to_album" => catalog::add_to_album(db, me, album()?, ids).await?,
        "remove_from_album" => catalog::remove_from_album(db, me, album()?, ids).await?,
        other => return Err(AppError::BadRequest(format!("action={other}: use {BATCH_ACTIONS}"))),
    };
    Ok(Json(json!({ "action": b.action, "changed": changed })))
}

async fn empty_trash(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    let purged = catalog::empty_trash(&state.db, state.library.disk(), current.user.id).await?;
    Ok(Json(json!(purged)))
}

async fn cameras(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "cameras": catalog::cameras(&state.db, current.user.id).await? })))
}

/// Photos per month of a scope (`scope=`, or `album=`), newest month first.
async fn months(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!({ "months": catalog::months(&state.db, current.user.id, q.scope()?).await? })))
}

#[derive(Deserialize)]
struct ZipQuery {
    ids: Option<String>,
}

/// `?ids=1,2,3`: the originals of these photos as one zip, streamed.
async fn zip_selection(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ZipQuery>,
) -> AppResult<Response> {
    let text = q.ids.unwrap_or_default();
    let ids: Vec<i64> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::BadRequest(format!("ids={text}: use photo ids separated by commas, e.g. ids=3,5,8")))?;
    let items = catalog::selection_files(&state.db, state.library.originals(), current.user.id, &ids).await?;
    Ok(zip_response("Shoebox photos", items))
}
