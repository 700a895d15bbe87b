//! `/api/v1/photos`, `/api/v1/trash`, `/api/v1/cameras`: listing with scopes and filters, one
//! photo, editing, favourite, archive, trash and restore, bulk actions and zip downloads. The
//! rules live in `library::catalog`; this module only translates HTTP.

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::library::catalog::{self, Cursor, Filter, PhotoUpdate, Scope};
use crate::library::store::{self, PhotoRow};
use crate::library::thumbs::SIZES;
use crate::library::{Viewer, archive};
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

/// A JSON body, or a 400 that says what was wrong with it.
pub(crate) fn body<T: DeserializeOwned>(b: Result<Json<T>, JsonRejection>) -> AppResult<T> {
    b.map(|Json(v)| v).map_err(|e| {
        AppError::BadRequest(format!(
            "the request body is not the JSON this endpoint takes ({}): see docs/api.md",
            e.body_text()
        ))
    })
}

/// The thumbnail URLs of a picture for `viewer` (the token in them names the viewer).
pub(crate) fn thumbnails(state: &AppState, viewer: i64, hash: &str) -> Value {
    let token = state.library.token_key().issue(Viewer::User(viewer), crate::db::now());
    let map: serde_json::Map<String, Value> =
        SIZES.iter().map(|s| (s.name.to_string(), json!(format!("/api/v1/t/{hash}/{token}/{}", s.name)))).collect();
    Value::Object(map)
}

pub(crate) fn photo_json(state: &AppState, viewer: i64, p: &PhotoRow) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    v["placeholder"] = json!(p.placeholder.as_ref().map(|b| base64::engine::general_purpose::STANDARD.encode(b)));
    v["thumbnails"] = thumbnails(state, viewer, &p.hash);
    v["original"] = json!(format!("/api/v1/dl/{}", p.hash));
    v
}

pub(crate) fn page_json(state: &AppState, viewer: i64, page: &catalog::Page) -> Value {
    let photos: Vec<Value> = page.photos.iter().map(|p| photo_json(state, viewer, p)).collect();
    json!({ "photos": photos, "next": page.next.map(|c| c.to_string()) })
}

/// The query string of every list: scope, filters, paging. All text, so a bad value gets a
/// message of ours rather than a deserializer's.
#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    scope: Option<String>,
    album: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    year: Option<String>,
    month: Option<String>,
    camera: Option<String>,
    favorites: Option<String>,
    location: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

fn flag(name: &str, v: Option<&str>) -> AppResult<bool> {
    match v.map(str::trim) {
        None | Some("") | Some("0") | Some("false") | Some("no") | Some("off") => Ok(false),
        Some("1") | Some("true") | Some("yes") | Some("on") => Ok(true),
        Some(other) => Err(AppError::BadRequest(format!("{name}={other}: use true or false"))),
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    pub(crate) fn scope(&self) -> AppResult<Scope> {
        if let Some(album) = non_empty(&self.album) {
            return album
                .parse::<i64>()
                .map(Scope::Album)
                .map_err(|_| AppError::BadRequest(format!("album={album}: use an album id from /api/v1/albums")));
        }
        let name = non_empty(&self.scope).unwrap_or("timeline");
        Scope::parse(name)
            .ok_or_else(|| AppError::BadRequest(format!("scope={name}: use timeline, archive, trash or favorites")))
    }

    pub(crate) fn filter(&self) -> AppResult<Filter> {
        let day = |name: &str, v: &Option<String>| -> AppResult<Option<chrono::NaiveDate>> {
            non_empty(v)
                .map(|s| {
                    catalog::parse_day(s)
                        .ok_or_else(|| AppError::BadRequest(format!("{name}={s}: use a date as YYYY-MM-DD")))
                })
                .transpose()
        };
        let year = non_empty(&self.year)
            .map(|s| {
                s.parse::<i32>()
                    .ok()
                    .filter(|y| (1..=9998).contains(y))
                    .ok_or_else(|| AppError::BadRequest(format!("year={s}: use a year such as 2024")))
            })
            .transpose()?;
        let month = non_empty(&self.month)
            .map(|s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(|| AppError::BadRequest(format!("month={s}: use a month from 1 to 12")))
            })
            .transpose()?;
        let filter = Filter {
            text: non_empty(&self.q).map(str::to_string),
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
            year,
            month,
            camera: non_empty(&self.camera).map(str::to_string),
            favorites: flag("favorites", self.favorites.as_deref())?,
            location: flag("location", self.location.as_deref())?,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(AppError::BadRequest(format!("from={from} is after to={to}: swap them")));
        }
        Ok(filter)
    }

    pub(crate) fn after(&self) -> AppResult<Option<Cursor>> {
        non_empty(&self.after)
            .map(|c| {
                Cursor::parse(c).ok_or_else(|| {
                    AppError::BadRequest("after: not a cursor from this API: pass the `next` of the page before".into())
                })
            })
            .transpose()
    }

    pub(crate) fn limit(&self) -> AppResult<i64> {
        match non_empty(&self.limit) {
            None => Ok(100),
            Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 1).map(|n| n.min(catalog::MAX_PAGE)).ok_or_else(|| {
                AppError::BadRequest(format!("limit={s}: use a number from 1 to {}", catalog::MAX_PAGE))
            }),
        }
    }
}

/// The signed-in user's photos in a scope, filtered, newest first by date taken, `limit` at a
/// time; pass `next` back as `after` for the following page.
async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let page = catalog::list(&state.db, current.user.id, q.scope()?, &q.filter()?, q.after()?, q.limit()?).await?;
    Ok(Json(page_json(&state, current.user.id, &page)))
}

async fn trash_list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let page = catalog::list(&state.db, current.user.id, Scope::Trash, &q.filter()?, q.after()?, q.limit()?).await?;
    let mut v = page_json(&state, current.user.id, &page);
    v["trash_days"] = json!(state.library.trash_days());
    Ok(Json(v))
}

/// A photo the user may see: their own (the trash included) or one in a folder granted to them.
async fn one(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let photo = store::photo_for(&state.db, current.user.id, id).await?.ok_or(AppError::NotFound)?;
    let mut v = photo_json(&state, current.user.id, &photo);
    // Other users see only that the photo exists, not where its owner keeps it.
    if photo.owner_id == current.user.id {
        v["files"] = json!(store::files_of(&state.db, photo.id).await?);
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
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<UpdateBody>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let b = body(b)?;
    let change = PhotoUpdate { title: b.title, description: b.description, favorite: b.favorite, archived: b.archived };
    let photo = catalog::update_photo(&state.db, current.user.id, id, &change).await?;
    Ok(Json(photo_json(&state, current.user.id, &photo)))
}

async fn reply(state: &AppState, viewer: i64, id: i64) -> AppResult<Json<Value>> {
    let photo = catalog::own_photo(&state.db, viewer, id).await?;
    Ok(Json(photo_json(state, viewer, &photo)))
}

/// DELETE moves to the trash; the trash is emptied by `DELETE /api/v1/trash` or after TRASH_DAYS.
async fn trash_one(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    catalog::trash(&state.db, current.user.id, &[id]).await?;
    reply(&state, current.user.id, id).await
}

async fn restore_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::restore(&state.db, current.user.id, &[id]).await?;
    reply(&state, current.user.id, id).await
}

async fn favorite_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_favorite(&state.db, current.user.id, &[id], true).await?;
    reply(&state, current.user.id, id).await
}

async fn unfavorite_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_favorite(&state.db, current.user.id, &[id], false).await?;
    reply(&state, current.user.id, id).await
}

async fn archive_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_archived(&state.db, current.user.id, &[id], true).await?;
    reply(&state, current.user.id, id).await
}

async fn unarchive_one(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    catalog::set_archived(&state.db, current.user.id, &[id], false).await?;
    reply(&state, current.user.id, id).await
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
    let b = body(b)?;
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

/// A streamed zip download named after `title`.
pub(crate) fn zip_response(title: &str, items: Vec<catalog::ZipItem>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
        (header::CONTENT_DISPOSITION, attachment(&format!("{title}.zip"))),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (headers, Body::from_stream(archive::zip_stream(items))).into_response()
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266).
pub(crate) fn attachment(name: &str) -> HeaderValue {
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"photos.zip\""))
}
