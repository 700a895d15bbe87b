//! Who may go on under a share link, checked at every request made under it (page, JSON,
//! thumbnail, original, zip): the link's row decides (revoked, expired, used up, its password
//! epoch), and the visitor's pass cookie says whether they opened (and, with a password,
//! unlocked) it. The pass is an HMAC-signed cookie scoped to one link; no server session is made
//! for visitors.

use axum::extract::Multipart;
use axum::http::{HeaderMap, HeaderValue, header};
use serde_json::{Value, json};

use crate::accounts::password;
use crate::auth::client::ClientAddr;
use crate::error::{AppError, AppResult};
use crate::library::catalog::{self, LinkState, SharedAlbum};
use crate::library::token::LINK_PASS_SECS;
use crate::state::AppState;

/// Whether this photo's original may be downloaded under the link: downloads allowed, and with
/// metadata hidden only in formats whose metadata can be stripped.
pub fn downloadable(s: &SharedAlbum, format: &str) -> bool {
    s.link.can_download && (s.link.show_metadata || crate::library::strip::strippable(format))
}

fn pass_cookie_name(link: i64) -> String {
    format!("shoebox_link_{link}")
}

/// The value of this request's pass cookie for `link`, if it sent one.
fn pass_cookie(headers: &HeaderMap, link: i64) -> Option<String> {
    let name = pass_cookie_name(link);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

fn has_valid_pass(state: &AppState, headers: &HeaderMap, s: &SharedAlbum, now: i64) -> bool {
    pass_cookie(headers, s.link.id)
        .is_some_and(|v| state.library.token_key().verify_link_pass(&v, s.link.id, s.link.epoch, now))
}

/// The `Set-Cookie` of a new pass: HttpOnly, SameSite=Lax, for a day at most and never past the
/// link's expiry.
fn new_pass(state: &AppState, s: &SharedAlbum, now: i64) -> HeaderValue {
    let expires = s.link.expires_at.map_or(now + LINK_PASS_SECS, |e| e.min(now + LINK_PASS_SECS));
    let value = state.library.token_key().issue_link_pass(s.link.id, s.link.epoch, expires);
    let secure = if state.config.site_is_https() { "; Secure" } else { "" };
    let cookie = format!(
        "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        pass_cookie_name(s.link.id),
        (expires - now).max(0)
    );
    HeaderValue::from_str(&cookie).expect("the pass cookie is ASCII")
}

async fn find(state: &AppState, token: &str) -> AppResult<SharedAlbum> {
    // Tokens are URL-safe base64 of 32 bytes; anything else cannot be one.
    if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(AppError::NotFound);
    }
    catalog::open_link(&state.db, token).await?.ok_or(AppError::NotFound)
}

fn gone(link_state: LinkState) -> AppResult<()> {
    match link_state {
        LinkState::Revoked => Err(AppError::Gone("This link was revoked. Ask its owner for a new one.".into())),
        LinkState::Expired => Err(AppError::Gone("This link has expired. Ask its owner for a new one.".into())),
        LinkState::Active | LinkState::UsedUp => Ok(()),
    }
}

fn used_up() -> AppError {
    AppError::Gone("This link was opened as many times as its owner allowed. Ask them for a new one.".into())
}

fn password_required() -> AppError {
    AppError::PasswordRequired("This album is protected by a password: unlock it first.".into())
}

/// A request that goes on with a visit (a thumbnail, an original, the zip, a photo page): it
/// needs the link to be live and this visitor's pass; it starts nothing and counts no view.
pub async fn continue_visit(state: &AppState, token: &str, headers: &HeaderMap) -> AppResult<SharedAlbum> {
    let s = find(state, token).await?;
    let now = crate::db::now();
    gone(s.link.state(now))?;
    if has_valid_pass(state, headers, &s, now) {
        return Ok(s);
    }
    if s.link.has_password() {
        return Err(password_required());
    }
    if s.link.state(now) == LinkState::UsedUp {
        return Err(used_up());
    }
    Err(AppError::Unauthorized("Open the shared album first, at the link you were given.".into()))
}

/// Opening the album (its page or JSON): a visitor with a pass goes on; anyone else starts a
/// visit, which counts a view and hands out a pass (the `Set-Cookie` returned), unless the link
/// has a password (then it must be unlocked) or its views are used up.
pub async fn open_visit(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> AppResult<(SharedAlbum, Option<HeaderValue>)> {
    let s = find(state, token).await?;
    let now = crate::db::now();
    gone(s.link.state(now))?;
    if has_valid_pass(state, headers, &s, now) {
        return Ok((s, None));
    }
    if s.link.has_password() {
        return Err(password_required());
    }
    start_visit(state, s, now).await
}

async fn start_visit(state: &AppState, s: SharedAlbum, now: i64) -> AppResult<(SharedAlbum, Option<HeaderValue>)> {
    if !catalog::record_view(&state.db, s.link.id).await? {
        return Err(used_up());
    }
    let cookie = new_pass(state, &s, now);
    Ok((s, Some(cookie)))
}

/// Unlocks a link with its password, throttled like sign-ins (per address and per link); a
/// correct password starts a visit.
pub async fn unlock(
    state: &AppState,
    token: &str,
    given: String,
    addr: ClientAddr,
) -> AppResult<(SharedAlbum, Option<HeaderValue>)> {
    let s = find(state, token).await?;
    let now = crate::db::now();
    gone(s.link.state(now))?;
    let Some(stored) = s.link.password_hash.clone() else {
        return start_visit(state, s, now).await;
    };
    // The throttle counts failures per "username": here the link.
    let (addr, subject) = (addr.to_string(), format!("share-link:{}", s.link.id));
    let throttled = |wait: u64| AppError::TooManyRequests {
        message: format!("Too many wrong passwords. Try again in {wait} seconds."),
        retry_after_secs: wait,
    };
    state.throttle.check(&addr, &subject).map_err(throttled)?;
    if given.len() > catalog::MAX_PASSWORD || !password::verify(given, Some(stored)).await {
        state.throttle.record_failure(&addr, &subject);
        state.throttle.check_user(&subject).map_err(throttled)?;
        return Err(AppError::PasswordRequired("That password is not right. Try again.".into()));
    }
    state.throttle.clear_user(&addr, &subject);
    start_visit(state, s, now).await
}

/// A visitor's upload through a link that allows it: each file goes to the album owner's library
/// (their upload limit and checks apply) and into the shared album. Answers one line per file,
/// as `POST /api/v1/upload` does.
pub async fn receive_visitor_files(
    state: &AppState,
    s: &SharedAlbum,
    mut multipart: Multipart,
) -> AppResult<Vec<Value>> {
    use crate::library::upload::{UploadError, UploadResult};
    if !s.link.can_upload {
        return Err(AppError::Forbidden("This link does not take uploads.".into()));
    }
    let owner = crate::db::users::by_id(&state.db, s.owner_id).await?.ok_or(AppError::NotFound)?;
    let malformed = |d: String| AppError::BadRequest(format!("the upload was interrupted or malformed: {d}"));
    let (mut results, mut new, mut existing) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(malformed(e.to_string())),
        };
        let Some(name) = field.file_name().map(str::to_string) else { continue };
        let outcome = match state.library.receive_upload(owner.id, &owner.username, &name, field).await {
            Ok(o) => o,
            Err(UploadError::Interrupted(d)) => return Err(malformed(d)),
            Err(UploadError::Other(e)) => {
                tracing::error!(link = s.link.id, "a visitor's upload was not stored: {e:#}");
                results.push(json!({ "name": name, "result": "refused", "reason": "a problem on the server; the server log says why" }));
                continue;
            }
        };
        results.push(match outcome {
            UploadResult::New { photo_id, .. } => {
                new.push(photo_id);
                json!({ "name": name, "result": "new", "photo_id": photo_id })
            }
            UploadResult::Existing { photo_id, .. } => {
                existing.push(photo_id);
                json!({ "name": name, "result": "existing", "photo_id": photo_id })
            }
            UploadResult::Joined { photo_id, .. } => {
                existing.push(photo_id);
                json!({ "name": name, "result": "joined", "photo_id": photo_id })
            }
            UploadResult::Refused(r) => json!({ "name": name, "result": "refused", "reason": r.reason }),
        });
    }
    if results.is_empty() {
        return Err(AppError::BadRequest("no file in the upload: send multipart/form-data with file fields".into()));
    }
    catalog::add_contributions(&state.db, s, &new, &existing).await?;
    tracing::info!(link = s.link.id, new = new.len(), "a visitor uploaded through a share link");
    Ok(results)
}
