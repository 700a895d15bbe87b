//! The list pages: the timeline (`/`, with search), favourites, archive and trash, and emptying
//! the trash.

use axum::Router;
use axum::extract::{Query, RawQuery, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};

use super::photo_list::{Paging, kind, list_page};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::http::extract::ListQuery;
use crate::library::catalog::{self, Filter, Scope};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(timeline))
        .route("/favorites", get(favorites))
        .route("/archive", get(archive))
        .route("/trash", get(trash))
        .route("/trash/empty", post(empty_trash))
}

async fn timeline(
    State(state): State<AppState>,
    current: CurrentUser,
    RawQuery(raw): RawQuery,
    Query(lq): Query<ListQuery>,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    let filter = lq.filter()?;
    list_page(&state, &current, kind(Scope::Timeline, None), filter, raw.as_deref(), &p, None).await
}

async fn favorites(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    list_page(&state, &current, kind(Scope::Favorites, None), Filter::default(), None, &p, None).await
}

async fn archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    list_page(&state, &current, kind(Scope::Archive, None), Filter::default(), None, &p, None).await
}

async fn trash(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<Paging>,
) -> AppResult<Html<String>> {
    list_page(&state, &current, kind(Scope::Trash, None), Filter::default(), None, &p, None).await
}

async fn empty_trash(State(state): State<AppState>, current: CurrentUser) -> AppResult<Redirect> {
    let purged = catalog::empty_trash(&state.db, state.library.disk(), current.user.id).await?;
    tracing::info!(user = %current.user.username, photos = purged.photos, "trash emptied");
    Ok(Redirect::to("/trash"))
}
