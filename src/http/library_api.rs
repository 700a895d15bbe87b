//! `/api/v1/index` (admin: start an index, watch it as server-sent events), `/api/v1/upload`,
//! and `/api/v1/photos`: the JSON the gallery pages are built on.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::config::Role;
use crate::error::{AppError, AppResult};
use crate::library::store::{self, PhotoRow};
use crate::library::thumbs::SIZES;
use crate::library::upload::{self, UploadResult};
use crate::library::{IndexOptions, Progress, Viewer};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/index", get(index_status).post(start_index))
        .route("/api/v1/index/events", get(index_events))
        .route("/api/v1/upload", post(upload).layer(DefaultBodyLimit::disable()))
        .route("/api/v1/photos", get(list))
        .route("/api/v1/photos/{id}", get(one))
}

fn require_admin(current: &CurrentUser) -> AppResult<()> {
    if current.user.is_admin() { Ok(()) } else { Err(AppError::Forbidden("only an administrator can do this".into())) }
}

#[derive(Deserialize, Default)]
struct IndexRequest {
    #[serde(default)]
    rescan: bool,
}

async fn start_index(
    State(state): State<AppState>,
    current: CurrentUser,
    body: Option<Json<IndexRequest>>,
) -> AppResult<Response> {
    require_admin(&current)?;
    let rescan = body.map(|b| b.rescan).unwrap_or(false);
    state
        .library
        .start_index(IndexOptions { rescan })
        .map_err(|_| AppError::Conflict("an index is already running: watch /api/v1/index/events".into()))?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "started": true, "rescan": rescan }))).into_response())
}

async fn index_status(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    require_admin(&current)?;
    Ok(Json(json!({ "running": state.library.is_indexing(), "last": state.library.last_progress() })))
}

/// The latest event at once, then every event as it happens.
async fn index_events(
    State(state): State<AppState>,
    current: CurrentUser,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    require_admin(&current)?;
    let rx = state.library.subscribe();
    let first = state.library.last_progress();
    let stream = futures_util::stream::unfold((first, rx), |(first, mut rx)| async move {
        if let Some(p) = first {
            return Some((Ok(event(&p)), (None, rx)));
        }
        loop {
            match rx.recv().await {
                Ok(p) => return Some((Ok(event(&p)), (None, rx))),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn event(p: &Progress) -> Event {
    let name = match p {
        Progress::Started { .. } => "started",
        Progress::File { .. } => "file",
        Progress::Finished { .. } => "finished",
        Progress::Failed { .. } => "failed",
    };
    Event::default().event(name).json_data(p).unwrap_or_else(|_| Event::default().event(name))
}

/// Multipart, one or many files. Each file is streamed to a staging file, checked against
/// UPLOAD_LIMIT as it arrives, typed by its content and indexed at once.
async fn upload(State(state): State<AppState>, current: CurrentUser, mut multipart: Multipart) -> AppResult<Response> {
    if current.user.role == Role::Viewer {
        return Err(AppError::Forbidden("viewers cannot upload".into()));
    }
    let library = &state.library;
    let limit = library.upload_limit();
    let mut results = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(AppError::BadRequest(format!("the upload was interrupted or malformed: {e}"))),
        };
        let Some(name) = field.file_name().map(str::to_string) else { continue };
        let staged = upload::staging_file(library.originals()).map_err(|e| {
            AppError::Internal(anyhow::Error::new(e).context("cannot create a staging file under ORIGINALS_PATH"))
        })?;
        let mut file = tokio::fs::File::from_std(staged.reopen().map_err(|e| AppError::Internal(e.into()))?);
        let mut field = field;
        let mut size: u64 = 0;
        let mut too_large = false;
        loop {
            let chunk: Option<Bytes> = field
                .chunk()
                .await
                .map_err(|e| AppError::BadRequest(format!("the upload was interrupted or malformed: {e}")))?;
            let Some(chunk) = chunk else { break };
            size += chunk.len() as u64;
            if size > limit {
                too_large = true;
                break;
            }
            file.write_all(&chunk).await.map_err(|e| AppError::Internal(e.into()))?;
        }
        if too_large {
            drop(file);
            drop(staged);
            results.push(json!({
                "name": name,
                "result": "refused",
                "status": 413,
                "reason": format!("larger than UPLOAD_LIMIT ({} bytes)", limit),
            }));
            continue;
        }
        file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
        drop(file);
        let outcome = library.import_upload(current.user.id, &current.user.username, staged, &name).await?;
        let mut v = serde_json::to_value(&outcome).map_err(|e| AppError::Internal(e.into()))?;
        v["name"] = json!(name);
        if let UploadResult::New { photo_id, .. } | UploadResult::Existing { photo_id, .. } = outcome {
            tracing::info!(photo_id, user = %current.user.username, "upload stored");
        }
        results.push(v);
    }
    if results.is_empty() {
        return Err(AppError::BadRequest("no file in the upload: send multipart/form-data with file fields".into()));
    }
    let accepted = results.iter().any(|r| r["result"] != "refused");
    let status = if accepted {
        StatusCode::OK
    } else {
        results[0]["status"]
            .as_u64()
            .and_then(|s| StatusCode::from_u16(s as u16).ok())
            .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    };
    Ok((status, Json(json!({ "files": results }))).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

fn cursor(p: &PhotoRow) -> String {
    format!("{}_{}", p.taken_at, p.id)
}

fn parse_cursor(c: &str) -> Option<(i64, i64)> {
    let (t, id) = c.split_once('_')?;
    Some((t.parse().ok()?, id.parse().ok()?))
}

fn photo_json(state: &AppState, viewer: i64, p: &PhotoRow) -> Value {
    let token = state.library.token_key().issue(Viewer::User(viewer), crate::db::now());
    let thumbs: serde_json::Map<String, Value> =
        SIZES.iter().map(|s| (s.name.to_string(), json!(format!("/api/v1/t/{}/{token}/{}", p.hash, s.name)))).collect();
    let mut v = serde_json::to_value(p).unwrap_or_default();
    v["placeholder"] = json!(p.placeholder.as_ref().map(|b| base64::engine::general_purpose::STANDARD.encode(b)));
    v["thumbnails"] = Value::Object(thumbs);
    v["original"] = json!(format!("/api/v1/dl/{}", p.hash));
    v
}

/// The signed-in user's photos, newest first, `limit` at a time (default 100, at most 500);
/// pass `next` back as `after` for the following page.
async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let after = match q.after.as_deref() {
        None | Some("") => None,
        Some(c) => {
            Some(parse_cursor(c).ok_or_else(|| AppError::BadRequest("after: not a cursor from this API".into()))?)
        }
    };
    let rows = store::list_photos(&state.db, current.user.id, after, limit).await?;
    let next = if rows.len() as i64 == limit { rows.last().map(cursor) } else { None };
    let photos: Vec<Value> = rows.iter().map(|p| photo_json(&state, current.user.id, p)).collect();
    Ok(Json(json!({ "photos": photos, "next": next })))
}

async fn one(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let photo = store::photo_for(&state.db, current.user.id, id).await?.ok_or(AppError::NotFound)?;
    let mut v = photo_json(&state, current.user.id, &photo);
    let files = store::files_of(&state.db, photo.id).await?;
    // Other users see only that the photo exists, not where its owner keeps it.
    if photo.owner_id == current.user.id {
        v["files"] = json!(files);
    }
    Ok(Json(v))
}
