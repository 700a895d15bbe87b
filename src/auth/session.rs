//! Typed session contents and the extractors that turn a session cookie into a user.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::visitor::Visitor;
use crate::config::AuthMode;
use crate::db::{self, users::User};
use crate::error::AppError;
use crate::state::AppState;

/// Session key of [`AuthSession`].
pub const AUTH_KEY: &str = "auth";
/// Session key of the CSRF token string.
pub const CSRF_KEY: &str = "csrf";

/// Session key of the last time (Unix seconds) a request pushed the idle expiry forward.
const SEEN_KEY: &str = "seen";
/// The session store only writes a session that changed, so reading it alone never moves its
/// idle expiry (`SESSION_TIMEOUT`). Recording activity at most this often moves it without a
/// store write on every thumbnail.
const ACTIVITY_STEP_SECS: i64 = 60;

/// What a signed-in session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthSession {
    pub user_id: i64,
    pub method: super::sign_in::Method,
    /// Unix seconds; the absolute session lifetime counts from here.
    pub signed_in_at: i64,
    /// Raw ID token, kept for `id_token_hint` at sign-out.
    #[serde(default)]
    pub id_token: Option<String>,
    /// Provider session id (`sid` claim), for back-channel logout.
    #[serde(default)]
    pub oidc_sid: Option<String>,
    /// When the provider says the person authenticated (`auth_time`), Unix seconds.
    #[serde(default)]
    pub auth_time: Option<i64>,
    /// The account's session generation at sign-in; a session of another generation was revoked.
    #[serde(default)]
    pub generation: i64,
}

/// A signed-in user. Extracting it from an anonymous request redirects pages to
/// `/login?next=…` and answers API calls with 401.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub auth: Option<AuthSession>,
    pub csrf_token: String,
    pub session: Session,
}

/// The signed-in user when there is one, for pages that anonymous visitors may see.
pub struct MaybeUser(pub Option<CurrentUser>, pub Session);

pub async fn session_of(parts: &mut Parts, state: &AppState) -> Result<Session, AppError> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| AppError::Internal(anyhow::anyhow!("session layer missing: {msg}")))
}

/// A signed-in session's CSRF token (issued at sign-in; created here for sessions older than that).
async fn csrf_token(session: &Session) -> Result<String, AppError> {
    let existing: Option<String> = session.get(CSRF_KEY).await.map_err(session_error)?;
    if let Some(t) = existing {
        return Ok(t);
    }
    let token = crate::auth::csrf::new_token();
    session.insert(CSRF_KEY, &token).await.map_err(session_error)?;
    Ok(token)
}

pub fn session_error(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("session store: {e}"))
}

/// Resolves the session to a user; ends sessions that outlived `SESSION_MAXAGE` or whose user
/// was disabled or deleted. Stores nothing for a visitor who is not signed in.
pub async fn resolve(session: &Session, visitor: &Visitor, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    if state.config.auth_mode == AuthMode::Public {
        let row = db::users::by_username(&state.db, &state.config.admin_user).await?;
        let Some(row) = row else { return Ok(None) };
        // Nobody signs in, so nothing goes into the session store: the token rides in the
        // visitor cookie.
        let csrf_token = visitor.csrf_token();
        return Ok(Some(CurrentUser { user: row.to_user()?, auth: None, csrf_token, session: session.clone() }));
    }
    let Some(auth) = session.get::<AuthSession>(AUTH_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let age = db::now() - auth.signed_in_at;
    if age < 0 || age as u64 > state.config.session_maxage.as_secs() {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    let row = db::users::by_id(&state.db, auth.user_id).await?;
    // Revocation is a fact checked here, not only a deleted row: an ended session that a request
    // still in flight saved again is out of the session index, and sessions of an older
    // generation were ended all at once.
    let indexed = match session.id() {
        Some(id) => db::user_sessions::is_live(&state.db, &id.to_string(), auth.user_id).await?,
        None => false,
    };
    match row {
        Some(row) if !row.disabled && indexed && row.session_generation == auth.generation => {
            record_activity(session, state).await?;
            let csrf_token = csrf_token(session).await?;
            let user = row.to_user()?;
            Ok(Some(CurrentUser { user, auth: Some(auth), csrf_token, session: session.clone() }))
        }
        _ => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
    }
}

/// Keeps an active session alive: `SESSION_TIMEOUT` is an idle timeout. Changing the session
/// makes the store save it with a fresh expiry and the response carry a fresh cookie.
async fn record_activity(session: &Session, state: &AppState) -> Result<(), AppError> {
    let now = db::now();
    let step = ACTIVITY_STEP_SECS.min(state.config.session_timeout.as_secs() as i64 / 10);
    let seen: Option<i64> = session.get(SEEN_KEY).await.map_err(session_error)?;
    if seen.is_none_or(|t| now - t >= step) {
        session.insert(SEEN_KEY, now).await.map_err(session_error)?;
    }
    Ok(())
}

/// Where an anonymous visitor goes: `/login?next=<the page they asked for>`.
pub fn login_redirect(parts: &Parts) -> Response {
    let uri = parts.extensions.get::<OriginalUri>().map(|o| o.0.clone()).unwrap_or_else(|| parts.uri.clone());
    let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if target == "/" {
        return Redirect::to("/login").into_response();
    }
    let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = session_of(parts, state).await.map_err(IntoResponse::into_response)?;
        let visitor = Visitor::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match resolve(&session, &visitor, state).await.map_err(IntoResponse::into_response)? {
            Some(user) => Ok(user),
            None if parts.uri.path().starts_with("/api/") => {
                Err(AppError::Unauthorized("sign in first".into()).into_response())
            }
            None => Err(login_redirect(parts)),
        }
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = session_of(parts, state).await?;
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let user = resolve(&session, &visitor, state).await?;
        Ok(MaybeUser(user, session))
    }
}

/// Accepts `next` only as a same-site relative path ("/photos/1"), never "//host" or a URL.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && !n.contains('\\')
        && !n.chars().any(|c| c.is_control())
        && !n.starts_with("/login")
        && !n.starts_with("/api/");
    ok.then(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_accepts_only_same_site_paths() {
        assert_eq!(safe_next(Some("/account")), Some("/account".into()));
        assert_eq!(safe_next(Some("/?q=a")), Some("/?q=a".into()));
        for bad in ["//evil.example", "https://evil.example/", "/\\evil.example", "evil", "/a\nb", "/login?next=/x"] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }
}
