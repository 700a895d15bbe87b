//! `/api/v1/index` (admin: start an index, watch it as server-sent events) and `/api/v1/upload`.
//! Listing and changing photos is `api::photos`.

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::extract::SKIPPED_PAGE;
use crate::library::analyze::SkipKind;
use crate::library::store;
use crate::library::upload::{UploadError, UploadRefusal, UploadResult};
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
    let limit = q.limit.unwrap_or(SKIPPED_PAGE);
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

fn malformed(detail: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("the upload was interrupted or malformed: {detail}"))
}

/// The one place where a refused upload becomes an HTTP status.
fn refusal_status(kind: SkipKind) -> StatusCode {
    match kind {
        SkipKind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        SkipKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        SkipKind::Corrupt => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Multipart, one or many files. Each file field's bytes go to the library as they arrive; it
/// stages, checks, types and indexes them.
async fn upload(State(state): State<AppState>, current: CurrentUser, multipart: Multipart) -> AppResult<Response> {
    let received = receive_files(&state, &current, multipart).await?;
    let status = if received.accepted.is_empty() {
        received.first_refusal.unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({ "files": received.results }))).into_response())
}

/// What became of the files of one multipart upload.
pub(crate) struct Received {
    /// One JSON object per file, as `POST /api/v1/upload` answers.
    pub(crate) results: Vec<Value>,
    /// The photos stored or already there, in the order sent.
    pub(crate) accepted: Vec<i64>,
    pub(crate) first_refusal: Option<StatusCode>,
}

/// Reads every file field of `multipart` into the library for `current` (the upload API and the
/// installed app's share target both come here). An error when nothing was sent or the body
/// broke off; a refused file is one of the results.
pub(crate) async fn receive_files(
    state: &AppState,
    current: &CurrentUser,
    mut multipart: Multipart,
) -> AppResult<Received> {
    if current.user.role == Role::Viewer {
        return Err(AppError::Forbidden("viewers cannot upload".into()));
    }
    let mut results = Vec::new();
    let mut accepted = Vec::new();
    let mut first_refusal = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(malformed(e)),
        };
        let Some(name) = field.file_name().map(str::to_string) else { continue };
        let (user_id, username) = (current.user.id, &current.user.username);
        let outcome = match state.library.receive_upload(user_id, username, &name, field).await {
            Ok(outcome) => outcome,
            // The body itself is broken: nothing after this point can be read.
            Err(UploadError::Interrupted(detail)) => return Err(malformed(detail)),
            // One file failed on the server's side; the request goes on with the next one.
            Err(UploadError::Other(e)) => {
                tracing::error!(user = %username, file = %name.escape_debug(), "upload not stored: {e:#}");
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                first_refusal.get_or_insert(status);
                let reason =
                    "this file could not be stored because of a problem on the server; the server log says why";
                results.push(json!({ "name": name, "result": "refused", "status": status.as_u16(), "reason": reason }));
                continue;
            }
        };
        results.push(match outcome {
            UploadResult::New { photo_id, hash, path } => {
                tracing::info!(photo_id, user = %username, "upload stored");
                accepted.push(photo_id);
                json!({ "name": name, "result": "new", "photo_id": photo_id, "hash": hash, "path": path })
            }
            UploadResult::Existing { photo_id, hash } => {
                tracing::info!(photo_id, user = %username, "upload stored");
                accepted.push(photo_id);
                json!({ "name": name, "result": "existing", "photo_id": photo_id, "hash": hash })
            }
            UploadResult::Joined { photo_id, hash, path } => {
                tracing::info!(photo_id, user = %username, "upload stored as a file of a photo already there");
                accepted.push(photo_id);
                json!({ "name": name, "result": "joined", "photo_id": photo_id, "hash": hash, "path": path })
            }
            UploadResult::Refused(UploadRefusal { kind, reason }) => {
                let status = refusal_status(kind);
                first_refusal.get_or_insert(status);
                json!({ "name": name, "result": "refused", "status": status.as_u16(), "reason": reason })
            }
        });
    }
    if results.is_empty() {
        return Err(AppError::BadRequest("no file in the upload: send multipart/form-data with file fields".into()));
    }
    Ok(Received { results, accepted, first_refusal })
}
