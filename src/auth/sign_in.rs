//! Signing in and out: password checks, throttling, auditing, and turning a session into a
//! signed-in one (shared with single sign-on).

use tower_sessions::{Expiry, Session};

use super::client::ClientAddr;
use super::password;
use super::session::{AUTH_KEY, AuthSession, CSRF_KEY, session_error};
use crate::app::AppState;
use crate::db::{self, audit, users::User};
use crate::error::{AppError, AppResult};

pub const WRONG_CREDENTIALS: &str = "Wrong username or password.";

/// Records a sign-in event (used by every sign-in method).
pub async fn audit(
    state: &AppState,
    user_id: Option<i64>,
    username: &str,
    method: audit::Method,
    addr: ClientAddr,
    outcome: audit::Outcome,
    reason: &str,
) -> AppResult<()> {
    let addr = addr.to_string();
    audit::record(&state.db, audit::Event { user_id, username, method, client_addr: &addr, outcome, reason }).await?;
    Ok(())
}

/// Checks a username and password and, when they match an enabled account, signs the session in.
/// Returns the user and the new CSRF token.
pub async fn with_password(
    state: &AppState,
    session: &Session,
    addr: ClientAddr,
    username: &str,
    password_given: &str,
) -> AppResult<(User, String)> {
    use audit::{Method::Password, Outcome};
    let username = username.trim();
    let addr_text = addr.to_string();
    if let Err(wait) = state.throttle.check(&addr_text, username) {
        audit(state, None, username, Password, addr, Outcome::Refused, "too many failed attempts").await?;
        return Err(AppError::TooManyRequests {
            message: format!("Too many failed sign-in attempts. Try again in {} minute(s).", wait.div_ceil(60)),
            retry_after_secs: wait,
        });
    }
    let row = if username.is_empty() { None } else { db::users::by_username(&state.db, username).await? };
    let stored = row.as_ref().and_then(|r| r.password_hash.clone());
    let ok = password::verify(password_given.to_string(), stored).await;
    let Some(row) = row.filter(|_| ok) else {
        state.throttle.record_failure(&addr_text, username);
        let reason = if username.is_empty() { "no username given" } else { "unknown username or wrong password" };
        audit(state, None, username, Password, addr, Outcome::Failure, reason).await?;
        return Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()));
    };
    if row.disabled {
        audit(state, Some(row.id), &row.username, Password, addr, Outcome::Refused, "account disabled").await?;
        return Err(AppError::Forbidden("This account is disabled. Ask an administrator to enable it.".into()));
    }
    state.throttle.clear_user(username);
    let auth = AuthSession {
        user_id: row.id,
        method: "password".into(),
        signed_in_at: db::now(),
        id_token: None,
        oidc_sid: None,
        auth_time: None,
    };
    let csrf = establish(state, session, auth).await?;
    db::users::touch_sign_in(&state.db, row.id).await?;
    audit(state, Some(row.id), &row.username, Password, addr, Outcome::Success, "").await?;
    Ok((row.to_user(), csrf))
}

/// Turns `session` into a signed-in one: a new session id (so a planted id is worthless),
/// a new CSRF token and the configured idle timeout. Returns the CSRF token.
pub async fn establish(state: &AppState, session: &Session, auth: AuthSession) -> AppResult<String> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(AUTH_KEY, &auth).await.map_err(session_error)?;
    let csrf = super::csrf::new_token();
    session.insert(CSRF_KEY, &csrf).await.map_err(session_error)?;
    let idle = time::Duration::seconds(state.config.session_timeout.as_secs() as i64);
    session.set_expiry(Some(Expiry::OnInactivity(idle)));
    // Saved now so the new session id is known for the per-user session index.
    session.save().await.map_err(session_error)?;
    if let Some(id) = session.id() {
        db::user_sessions::record(&state.db, &id.to_string(), auth.user_id, &auth.method).await?;
    }
    Ok(csrf)
}

/// Ends the session on the server (the cookie is then worthless) and audits it.
pub async fn sign_out(state: &AppState, session: &Session, addr: ClientAddr) -> AppResult<Option<AuthSession>> {
    let auth: Option<AuthSession> = session.get(AUTH_KEY).await.map_err(session_error)?;
    if let Some(a) = &auth {
        let name = db::users::by_id(&state.db, a.user_id).await?.map(|u| u.username).unwrap_or_default();
        audit(state, Some(a.user_id), &name, audit::Method::SignOut, addr, audit::Outcome::Success, "").await?;
    }
    if let Some(id) = session.id() {
        db::oidc_sessions::forget(&state.db, &id.to_string()).await?;
        db::user_sessions::forget(&state.db, &id.to_string()).await?;
    }
    session.flush().await.map_err(session_error)?;
    Ok(auth)
}
