//! The administrator's library page (`/admin/library`): file counts, the last index run, the
//! skipped files with their reasons, and a button that starts an index. `static/library.js`
//! shows the progress live.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::photo_list::with_query;
use super::{Layout, render};
use crate::error::{AppError, AppResult};
use crate::http::extract::{Admin, SKIPPED_PAGE};
use crate::library::store;
use crate::library::{CannotIndex, IndexOptions};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/library", get(admin_library)).route("/admin/library/index", post(admin_index))
}

#[derive(Template)]
#[template(path = "admin_library.html")]
struct LibraryPage {
    layout: Layout,
    originals_path: String,
    counts: store::FileCounts,
    running: bool,
    last: String,
    skipped: Vec<store::SkippedFile>,
    /// The link to the following page of skipped files.
    more_skipped: Option<String>,
    later_skipped_page: bool,
    notice: Option<String>,
    /// Each external tool: found where, or why not (`MediaTools::report`).
    tools: Vec<(&'static str, String)>,
    /// Videos waiting for their browser rendition: status (`running`, `pending`) and a file.
    transcodes: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct LibraryQuery {
    started: Option<String>,
    busy: Option<String>,
    /// The path of the last skipped file on the page before.
    skipped_after: Option<String>,
}

fn describe(p: &crate::library::Progress) -> String {
    use crate::library::Progress::*;
    match p {
        Started { total, to_analyse } => format!("Started: {total} files, {to_analyse} to read."),
        File { done, to_analyse, .. } => format!("Reading {done} of {to_analyse}."),
        Finished { summary: s } => format!(
            "Finished in {:.1} s: {} files, {} new photos, {} unchanged, {} skipped, {} missing.",
            s.millis as f64 / 1000.0,
            s.files,
            s.new_photos,
            s.unchanged,
            s.skipped,
            s.missing
        ),
        Failed { error } => format!("Failed: {error}"),
    }
}

async fn admin_library(
    State(state): State<AppState>,
    Admin(current): Admin,
    Query(q): Query<LibraryQuery>,
) -> AppResult<Html<String>> {
    let counts = store::file_counts(&state.db).await?;
    let after = q.skipped_after.as_deref().filter(|a| !a.is_empty());
    let (skipped, next) = store::skipped_files(&state.db, after, SKIPPED_PAGE).await?;
    let more_skipped =
        next.map(|n| format!("{}#skipped", with_query("/admin/library", "", Some(("skipped_after", &n)))));
    let notice = if q.started.is_some() {
        Some("The index started. Reload this page to see its progress.".to_string())
    } else if q.busy.is_some() {
        Some("An index is already running.".to_string())
    } else {
        None
    };
    render(&LibraryPage {
        layout: Layout::new(&state, "Library", Some(&current)).with_script("library.js"),
        originals_path: state.config.originals_path.display().to_string(),
        counts,
        running: state.library.is_indexing(),
        last: state.library.last_progress().map(|p| describe(&p)).unwrap_or_else(|| "No index has run yet.".into()),
        skipped,
        more_skipped,
        later_skipped_page: after.is_some(),
        notice,
        tools: state.library.settings().tools.report(&state.config.media),
        transcodes: crate::library::transcode::waiting(&state.db).await?,
    })
}

/// The form without JavaScript: start an index and come back to the page.
async fn admin_index(State(state): State<AppState>, Admin(_): Admin) -> AppResult<Redirect> {
    match state.library.start_index(IndexOptions::default()) {
        Ok(()) => Ok(Redirect::to("/admin/library?started=1")),
        Err(CannotIndex::AlreadyRunning) => Ok(Redirect::to("/admin/library?busy=1")),
        Err(other) => Err(AppError::Internal(other.into())),
    }
}
