//! `/places`: a map of where the signed-in user's photos were taken, clustered; a cluster opens
//! a panel of its photos. `static/places.js` draws it with the vendored Leaflet and
//! Leaflet.markercluster (`static/vendor/`, fetched by `scripts/vendor-leaflet`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::{Layout, render};
use crate::auth::CurrentUser;
use crate::config::PlacesConfig;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/places", get(places))
}

#[derive(Template)]
#[template(path = "places.html")]
struct PlacesPage {
    layout: Layout,
    map: PlacesConfig,
}

async fn places(State(state): State<AppState>, current: CurrentUser) -> AppResult<Html<String>> {
    if !state.config.places.enabled {
        return Err(AppError::NotFound);
    }
    let layout = Layout::new(&state, "Places", Some(&current))
        .with_style("vendor/leaflet/leaflet.css")
        .with_style("vendor/markercluster/MarkerCluster.css")
        .with_style("vendor/markercluster/MarkerCluster.Default.css")
        .with_script("vendor/leaflet/leaflet.js")
        .with_script("vendor/markercluster/leaflet.markercluster.js")
        .with_script("places.js");
    render(&PlacesPage { layout, map: state.config.places.clone() })
}
