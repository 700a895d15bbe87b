//! The share links of one album (`/albums/{id}/links`): make a link (its address is shown once,
//! on the page that answers the form: only a hash of it is kept), see each link's views and last
//! view, revoke one or all.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::DateTime;
use serde::Deserialize;

use super::{Layout, render};
use crate::accounts::password;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::http::media_urls::LinkUrls;
use crate::library::catalog::{self, LinkChange, LinkState};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/albums/{id}/links", get(page).post(change))
}

pub struct LinkCard {
    pub id: i64,
    pub live: bool,
    pub state: &'static str,
    pub expires: String,
    pub views: String,
    pub last_view: String,
    pub password: bool,
    pub can_download: bool,
    pub show_metadata: bool,
    pub can_upload: bool,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "album_links.html")]
struct LinksPage {
    layout: Layout,
    album_id: i64,
    links: Vec<LinkCard>,
    /// The address of the link just made: shown this once.
    new_url: Option<String>,
}

fn when(t: Option<i64>, none: &str) -> String {
    t.and_then(|t| DateTime::from_timestamp(t, 0))
        .map_or(none.to_string(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

async fn render_page(
    state: &AppState,
    current: &CurrentUser,
    album: i64,
    new_url: Option<String>,
) -> AppResult<Html<String>> {
    let a = catalog::album(&state.db, current.user.id, album).await?;
    let now = crate::db::now();
    let links = catalog::links(&state.db, current.user.id, album)
        .await?
        .into_iter()
        .map(|l| {
            let link_state = l.state(now);
            LinkCard {
                id: l.id,
                live: !matches!(link_state, LinkState::Revoked | LinkState::Expired),
                state: match link_state {
                    LinkState::Active => "active",
                    LinkState::Revoked => "revoked",
                    LinkState::Expired => "expired",
                    LinkState::UsedUp => "all views used",
                },
                expires: when(l.expires_at, "never"),
                views: match l.max_views {
                    Some(m) => format!("{} of {m}", l.view_count),
                    None => l.view_count.to_string(),
                },
                last_view: when(l.last_view_at, "not yet"),
                password: l.has_password(),
                can_download: l.can_download,
                show_metadata: l.show_metadata,
                can_upload: l.can_upload,
                comment: l.comment,
            }
        })
        .collect();
    render(&LinksPage {
        layout: Layout::new(state, format!("Share {}", a.title), Some(current)),
        album_id: album,
        links,
        new_url,
    })
}

async fn page(State(state): State<AppState>, current: CurrentUser, Path(id): Path<i64>) -> AppResult<Html<String>> {
    render_page(&state, &current, id, None).await
}

#[derive(Deserialize)]
struct LinkForm {
    action: String,
    link: Option<i64>,
    /// Days; "never" for a link that does not expire.
    #[serde(default)]
    expires: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    max_views: String,
    can_download: Option<String>,
    show_metadata: Option<String>,
    can_upload: Option<String>,
    #[serde(default)]
    comment: String,
}

async fn change(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> AppResult<Response> {
    let me = current.user.id;
    let back = format!("/albums/{id}/links");
    match f.action.as_str() {
        "create" => {
            let expires_in = match f.expires.trim() {
                "never" => None,
                "" => Some(catalog::DEFAULT_EXPIRY_SECS),
                d => Some(d.parse::<i64>().ok().filter(|d| (1..=3650).contains(d)).map(|d| d * 86_400).ok_or_else(
                    || AppError::BadRequest(format!("expires={d}: choose a number of days from 1 to 3650, or never")),
                )?),
            };
            let max_views = match f.max_views.trim() {
                "" => None,
                m => Some(m.parse::<i64>().map_err(|_| {
                    AppError::BadRequest(format!("max_views={m}: use a whole number, or leave it empty for no limit"))
                })?),
            };
            let password_hash = match f.password.as_str() {
                "" => None,
                p if p.len() > catalog::MAX_PASSWORD => {
                    return Err(AppError::BadRequest("the password is too long: use at most 1000 bytes".into()));
                }
                p => Some(password::hash(p.to_string()).await?),
            };
            let change = LinkChange {
                expires_in: Some(expires_in),
                password_hash: Some(password_hash),
                max_views: Some(max_views),
                can_download: Some(f.can_download.is_some()),
                show_metadata: Some(f.show_metadata.is_some()),
                can_upload: Some(f.can_upload.is_some()),
                comment: Some(f.comment),
            };
            let (_, token) = catalog::create_link(&state.db, me, id, &change).await?;
            let url = LinkUrls::new(&token).shareable(&state.config.site_url);
            Ok(render_page(&state, &current, id, Some(url)).await?.into_response())
        }
        "revoke" => {
            let link = f.link.ok_or_else(|| AppError::BadRequest("revoke needs link: the link's id".into()))?;
            catalog::revoke_links(&state.db, me, id, Some(link)).await?;
            Ok(Redirect::to(&back).into_response())
        }
        "revoke_all" => {
            catalog::revoke_links(&state.db, me, id, None).await?;
            Ok(Redirect::to(&back).into_response())
        }
        other => Err(AppError::BadRequest(format!("action={other}: use create, revoke or revoke_all"))),
    }
}
