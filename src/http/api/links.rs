//! Share links as their owner manages them: `/api/v1/albums/{id}/links` (make, list, revoke
//! all), `/api/v1/albums/{id}/links/{link}` (change, revoke) and `/api/v1/links` (share a
//! selection of photos). The token is in the answer to the request that made the link and
//! nowhere else: only its hash is stored.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::accounts::password;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::extract::json_body;
use crate::http::media_urls::LinkUrls;
use crate::library::catalog::{self, Link, LinkChange};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/albums/{id}/links", get(list).post(create).delete(revoke_all))
        .route("/api/v1/albums/{id}/links/{link}", patch(update).delete(revoke))
        .route("/api/v1/links", post(create_selection))
}

/// A link as its owner sees it; `url` only when the token is at hand (just made).
pub fn link_json(link: &Link, url: Option<String>) -> Value {
    let mut v = serde_json::to_value(link).unwrap_or_default();
    v["has_password"] = json!(link.has_password());
    v["state"] = json!(link.state(crate::db::now()));
    if let Some(url) = url {
        v["url"] = json!(url);
    }
    v
}

/// Absent stays None; `null` becomes Some(None).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The settings a link is made or changed with; see docs/api.md.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default, deserialize_with = "present")]
    expires_in: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    password: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    max_views: Option<Option<i64>>,
    can_download: Option<bool>,
    show_metadata: Option<bool>,
    can_upload: Option<bool>,
    comment: Option<String>,
}

impl Settings {
    /// Hashes a new password (argon2id, off the async threads); `null` or "" removes it.
    async fn into_change(self) -> AppResult<LinkChange> {
        let password_hash = match self.password {
            None => None,
            Some(None) => Some(None),
            Some(Some(p)) if p.is_empty() => Some(None),
            Some(Some(p)) if p.len() > catalog::MAX_PASSWORD => {
                return Err(AppError::BadRequest(format!(
                    "password is too long: use at most {} bytes",
                    catalog::MAX_PASSWORD
                )));
            }
            Some(Some(p)) => Some(Some(password::hash(p).await?)),
        };
        Ok(LinkChange {
            expires_in: self.expires_in,
            password_hash,
            max_views: self.max_views,
            can_download: self.can_download,
            show_metadata: self.show_metadata,
            can_upload: self.can_upload,
            comment: self.comment,
        })
    }
}

async fn list(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Json<Value>> {
    let links = catalog::links(&state.db, current.user.id, id).await?;
    Ok(Json(json!({ "links": links.iter().map(|l| link_json(l, None)).collect::<Vec<_>>() })))
}

fn created(state: &AppState, link: &Link, token: &str) -> Response {
    let url = LinkUrls::new(token).shareable(&state.config.site_url);
    let mut v = link_json(link, Some(url));
    v["token"] = json!(token);
    (StatusCode::CREATED, Json(v)).into_response()
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    b: Result<Json<Settings>, JsonRejection>,
) -> AppResult<Response> {
    let change = json_body(b)?.into_change().await?;
    let (link, token) = catalog::create_link(&state.db, current.user.id, id, &change).await?;
    Ok(created(&state, &link, &token))
}

/// `{"photos": [ids], "title": "…"}` and the settings of any link.
async fn create_selection(
    State(state): State<AppState>,
    current: CurrentUser,
    b: Result<Json<Value>, JsonRejection>,
) -> AppResult<Response> {
    let mut body = json_body(b)?;
    let bad = |e: String| {
        AppError::BadRequest(format!("the request body is not the JSON this endpoint takes ({e}): see docs/api.md"))
    };
    let object = body.as_object_mut().ok_or_else(|| bad("expected an object".into()))?;
    let photos: Vec<i64> = serde_json::from_value(object.remove("photos").unwrap_or(Value::Null))
        .map_err(|_| bad("photos: a list of photo ids is needed".into()))?;
    let title = match object.remove("title") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(t)) => t,
        Some(_) => return Err(bad("title: a text is needed".into())),
    };
    let settings: Settings = serde_json::from_value(body).map_err(|e| bad(e.to_string()))?;
    let change = settings.into_change().await?;
    let (link, token) = catalog::create_selection_link(&state.db, current.user.id, &title, &photos, &change).await?;
    Ok(created(&state, &link, &token))
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, link)): Path<(i64, i64)>,
    b: Result<Json<Settings>, JsonRejection>,
) -> AppResult<Json<Value>> {
    let change = json_body(b)?.into_change().await?;
    let link = catalog::update_link(&state.db, current.user.id, id, link, &change).await?;
    Ok(Json(link_json(&link, None)))
}

async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, link)): Path<(i64, i64)>,
) -> AppResult<Json<Value>> {
    let revoked = catalog::revoke_links(&state.db, current.user.id, id, Some(link)).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

async fn revoke_all(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let revoked = catalog::revoke_links(&state.db, current.user.id, id, None).await?;
    Ok(Json(json!({ "revoked": revoked })))
}
