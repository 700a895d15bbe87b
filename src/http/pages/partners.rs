//! Partners on the pages: a partner's shared library as a photo list (`/partners/{id}`), and the
//! Account page's forms to share one's library, stop sharing it, and show a partner's photos in
//! one's own timeline.

use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::photo_list::{Paging, kind, list_page};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::library::catalog::{self, Filter, Scope};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partners/{id}", get(partner_photos))
        .route("/account/partners", post(share))
        .route("/account/partners/{username}/delete", post(stop_sharing))
        .route("/account/partners/{username}/timeline", post(timeline))
}

/// The photos partner `id` shares with the signed-in person; 404 for anyone else.
async fn partner_photos(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    let name = catalog::partner_library(&state.db, current.user.id, id).await?;
    list_page(&state, &current, kind(Scope::Partner(id), Some(&name)), Filter::default(), None, &p, None).await
}

#[derive(Deserialize)]
struct ShareForm {
    username: String,
}

async fn share(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<ShareForm>,
) -> AppResult<Redirect> {
    let partner = catalog::share_library(&state.db, current.user.id, &form.username).await?;
    tracing::info!(user = %current.user.username, partner = %partner.username, "library shared with a partner");
    Ok(Redirect::to("/account#partners"))
}

async fn stop_sharing(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
) -> AppResult<Redirect> {
    catalog::stop_sharing(&state.db, current.user.id, &username).await?;
    tracing::info!(user = %current.user.username, partner = %username, "library no longer shared with a partner");
    Ok(Redirect::to("/account#partners"))
}

#[derive(Deserialize)]
struct TimelineForm {
    /// A checkbox: present ("on") to show the partner's photos in the timeline, absent not to.
    in_timeline: Option<String>,
}

async fn timeline(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
    Form(form): Form<TimelineForm>,
) -> AppResult<Redirect> {
    catalog::set_in_timeline(&state.db, current.user.id, &username, form.in_timeline.is_some()).await?;
    Ok(Redirect::to("/account#partners"))
}
