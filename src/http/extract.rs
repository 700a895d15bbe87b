//! What handlers extract from requests, shared by pages and API: the list query (scope, filters,
//! paging), a JSON body with a 400 that says what was wrong, and the `Admin` extractor.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::extract::rejection::JsonRejection;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::library::catalog::{self, Cursor, Filter, Scope};
use crate::state::AppState;

/// Skipped files per page of the Library page (and the API's default): a hundred rows with long
/// reasons stay within the page-weight budget; paging rather than grouping by reason keeps every
/// file findable, which is what an administrator needs to fix or remove it.
pub const SKIPPED_PAGE: i64 = 100;

/// A JSON body, or a 400 that says what was wrong with it.
pub fn json_body<T: DeserializeOwned>(b: Result<Json<T>, JsonRejection>) -> AppResult<T> {
    b.map(|Json(v)| v).map_err(|e| {
        AppError::BadRequest(format!(
            "the request body is not the JSON this endpoint takes ({}): see docs/api.md",
            e.body_text()
        ))
    })
}

/// `{"role": …}`: the role an album is shared with, for a member or a sign-on group alike.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: String,
}

/// The query string of every list: scope, filters, paging. All text, so a bad value gets a
/// message of ours rather than a deserializer's.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    scope: Option<String>,
    album: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    year: Option<String>,
    month: Option<String>,
    camera: Option<String>,
    favorites: Option<String>,
    location: Option<String>,
    #[serde(rename = "type")]
    media_type: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

/// The values of `type=`, as `photos.media_type` names them.
const MEDIA_TYPES: [&str; 4] = ["image", "raw", "video", "live"];

fn flag(name: &str, v: Option<&str>) -> AppResult<bool> {
    match v.map(str::trim) {
        None | Some("") | Some("0") | Some("false") | Some("no") | Some("off") => Ok(false),
        Some("1") | Some("true") | Some("yes") | Some("on") => Ok(true),
        Some(other) => Err(AppError::BadRequest(format!("{name}={other}: use true or false"))),
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    pub fn scope(&self) -> AppResult<Scope> {
        if let Some(album) = non_empty(&self.album) {
            return album
                .parse::<i64>()
                .map(Scope::Album)
                .map_err(|_| AppError::BadRequest(format!("album={album}: use an album id from /api/v1/albums")));
        }
        let name = non_empty(&self.scope).unwrap_or("timeline");
        Scope::parse(name)
            .ok_or_else(|| AppError::BadRequest(format!("scope={name}: use timeline, archive, trash or favorites")))
    }

    pub fn filter(&self) -> AppResult<Filter> {
        let day = |name: &str, v: &Option<String>| -> AppResult<Option<chrono::NaiveDate>> {
            non_empty(v)
                .map(|s| {
                    catalog::parse_day(s)
                        .ok_or_else(|| AppError::BadRequest(format!("{name}={s}: use a date as YYYY-MM-DD")))
                })
                .transpose()
        };
        let year = non_empty(&self.year)
            .map(|s| {
                s.parse::<i32>()
                    .ok()
                    .filter(|y| (1..=9998).contains(y))
                    .ok_or_else(|| AppError::BadRequest(format!("year={s}: use a year such as 2024")))
            })
            .transpose()?;
        let month = non_empty(&self.month)
            .map(|s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(|| AppError::BadRequest(format!("month={s}: use a month from 1 to 12")))
            })
            .transpose()?;
        let filter = Filter {
            text: non_empty(&self.q).map(str::to_string),
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
            year,
            month,
            camera: non_empty(&self.camera).map(str::to_string),
            favorites: flag("favorites", self.favorites.as_deref())?,
            location: flag("location", self.location.as_deref())?,
            media_type: non_empty(&self.media_type)
                .map(|t| {
                    MEDIA_TYPES
                        .iter()
                        .copied()
                        .find(|m| m.eq_ignore_ascii_case(t))
                        .ok_or_else(|| AppError::BadRequest(format!("type={t}: use image, raw, video or live")))
                })
                .transpose()?,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(AppError::BadRequest(format!("from={from} is after to={to}: swap them")));
        }
        Ok(filter)
    }

    pub fn after(&self) -> AppResult<Option<Cursor>> {
        non_empty(&self.after)
            .map(|c| {
                Cursor::parse(c).ok_or_else(|| {
                    AppError::BadRequest("after: not a cursor from this API: pass the `next` of the page before".into())
                })
            })
            .transpose()
    }

    pub fn limit(&self) -> AppResult<i64> {
        match non_empty(&self.limit) {
            None => Ok(100),
            Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 1).map(|n| n.min(catalog::MAX_PAGE)).ok_or_else(|| {
                AppError::BadRequest(format!("limit={s}: use a number from 1 to {}", catalog::MAX_PAGE))
            }),
        }
    }
}

/// A signed-in administrator; everyone else gets 403 (anonymous visitors the usual sign-in).
pub struct Admin(pub CurrentUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        if !current.user.is_admin() {
            return Err(AppError::Forbidden("Only administrators can do this.".into()).into_response());
        }
        Ok(Admin(current))
    }
}
