//! `POST /api/v1/oidc/backchannel-logout`: the provider ends sessions (OpenID Connect
//! Back-Channel Logout). The browser's side of single sign-on is `pages::sign_in`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use crate::auth::client::ClientAddr;
use crate::auth::oidc::backchannel;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/oidc/backchannel-logout", post(backchannel_logout))
}

/// Anyone can post here: the answer says only what was wrong with the request.
async fn backchannel_logout(State(state): State<AppState>, addr: ClientAddr, body: Bytes) -> Response {
    let no_store = || [(header::CACHE_CONTROL, "no-store")];
    let Some(oidc) = state.oidc.clone() else {
        return (StatusCode::NOT_FOUND, no_store(), axum::Json(json!({"error": "single sign-on is off"})))
            .into_response();
    };
    match backchannel::logout(&state, &oidc, addr, &body).await {
        Ok(_) => (StatusCode::OK, no_store()).into_response(),
        Err(backchannel::Refused::BadRequest { description, reason }) => {
            tracing::warn!(reason, "back-channel logout refused");
            let body = json!({"error": "invalid_request", "error_description": description});
            (StatusCode::BAD_REQUEST, no_store(), axum::Json(body)).into_response()
        }
        Err(backchannel::Refused::Internal(e)) => {
            tracing::error!(error = %e, "back-channel logout: database error");
            (StatusCode::INTERNAL_SERVER_ERROR, no_store()).into_response()
        }
    }
}
