//! `/api/v1/places`: the positions of the signed-in user's photos, for the Places map.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::library::catalog;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/places", get(places))
}

async fn places(State(state): State<AppState>, current: CurrentUser) -> AppResult<Json<Value>> {
    if !state.config.places.enabled {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!({ "places": catalog::places(&state.db, current.user.id).await? })))
}
