//! `/api/v1/index` (admin: start an index, watch it as server-sent events) and `/api/v1/upload`.
//! Listing and changing photos is `photos_api`.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::library::store;
use crate::library::upload::{self, UploadResult};
use crate::library::{CannotIndex, IndexOptions, Progress};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/index", get(index_status).post(start_index))
        .route("/api/v1/index/events", get(index_events))
        .route("/api/v1/index/skipped", get(skipped_files))
        .route("/api/v1/upload", post(upload).layer(DefaultBodyLimit::disable()))
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
    state.library.start_index(IndexOptions { rescan }).map_err(|e| match e {
        CannotIndex::AlreadyRunning => AppError::Conflict(
            "an index is already running (here or `shoebox index`): watch /api/v1/index/events".into(),
        ),
        other => AppError::Internal(other.into()),
    })?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "started": true, "rescan": rescan }))).into_response())
}

async fn index_status(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    require_admin(&current)?;
    Ok(Json(json!({ "running": state.library.is_indexing(), "last": state.library.last_progress() })))
}

#[derive(Deserialize)]
struct SkippedQuery {
    after: Option<String>,
    limit: Option<i64>,
}

/// The Library page's counts and skipped files with the reasons, paged the same way.
async fn skipped_files(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<SkippedQuery>,
) -> AppResult<Json<Value>> {
    require_admin(&current)?;
    let limit = q.limit.unwrap_or(crate::http::gallery::SKIPPED_PAGE);
    if !(1..=500).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit={limit}: use 1 to 500")));
    }
    let counts = store::file_counts(&state.db).await?;
    let after = q.after.as_deref().filter(|a| !a.is_empty());
    let (files, next) = store::skipped_files(&state.db, after, limit).await?;
    Ok(Json(json!({ "counts": counts, "skipped": files, "next": next })))
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
