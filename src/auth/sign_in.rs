//! Signing in and out, written once for every method: the password check, the one failure type
//! every method reports, [`finish`] (which turns a session into a signed-in one, records and
//! audits it), sign-out and where sign-out continues.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tower_sessions::{Expiry, Session};

use super::client::ClientAddr;
use super::session::{AUTH_KEY, AuthSession, CSRF_KEY, session_error};
use crate::accounts::audit_limit::Decision;
use crate::accounts::password;
use crate::db::{self, audit, users::User, users::UserRow};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const WRONG_CREDENTIALS: &str = "Wrong username or password.";
const SERVER_TROUBLE: &str = "Something went wrong on the server. The details are in the server log.";

/// How a session was signed in; stored in the session and the session index as `password` or
/// `oidc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Password,
    Oidc,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Oidc => "oidc",
        }
    }

    /// A method as the session index stores it; anything but `oidc` was a password sign-in.
    pub fn from_stored(value: &str) -> Method {
        if value == "oidc" { Method::Oidc } else { Method::Password }
    }

    /// How the account page names it.
    pub fn label(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Oidc => "single sign-on",
        }
    }

    fn audited(self) -> audit::Method {
        match self {
            Method::Password => audit::Method::Password,
            Method::Oidc => audit::Method::Oidc,
        }
    }
}

/// A sign-in that did not succeed, whatever the method: what the person reads (`message`), what
/// the log and the audit trail record (`reason`), and the HTTP status that fits.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub outcome: audit::Outcome,
    pub message: String,
    pub reason: String,
    pub username: String,
    pub user_id: Option<i64>,
    /// Seconds until another attempt is allowed (throttled sign-ins).
    pub retry_after: Option<u64>,
    /// The page the person asked for, so trying again from the error page keeps it.
    pub next: Option<String>,
}

impl Failure {
    /// A failure of the attempt itself (wrong credentials, a protocol error).
    pub fn new(status: StatusCode, message: impl Into<String>, reason: impl Into<String>) -> Self {
        Failure {
            status,
            outcome: audit::Outcome::Failure,
            message: message.into(),
            reason: reason.into(),
            username: String::new(),
            user_id: None,
            retry_after: None,
            next: None,
        }
    }

    /// The attempt was fine but policy says no (disabled, not registered, declined).
    pub fn refused(status: StatusCode, message: impl Into<String>, reason: impl Into<String>) -> Self {
        Failure { outcome: audit::Outcome::Refused, ..Failure::new(status, message, reason) }
    }

    /// Something broke on this side; the person reads a plain sentence, the log the cause.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, SERVER_TROUBLE, format!("internal error: {e}"))
    }

    pub fn of(mut self, username: impl Into<String>, user_id: Option<i64>) -> Self {
        self.username = username.into();
        self.user_id = user_id;
        self
    }

    pub fn with_next(mut self, next: Option<String>) -> Self {
        self.next = next;
        self
    }
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        match f.status {
            StatusCode::UNAUTHORIZED => AppError::Unauthorized(f.message),
            StatusCode::FORBIDDEN => AppError::Forbidden(f.message),
            StatusCode::BAD_REQUEST => AppError::BadRequest(f.message),
            StatusCode::CONFLICT => AppError::Conflict(f.message),
            StatusCode::TOO_MANY_REQUESTS => {
                AppError::TooManyRequests { message: f.message, retry_after_secs: f.retry_after.unwrap_or(60) }
            }
            StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable(f.message),
            _ if f.message == SERVER_TROUBLE => AppError::Internal(anyhow::anyhow!(f.reason)),
            _ => AppError::NeedsAdministrator(f.message),
        }
    }
}

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

/// Logs and audits a failed sign-in, then hands the failure back for the page or the API.
/// An address that keeps failing writes a bounded number of audit rows (`auth::audit_limit`).
pub async fn failed(state: &AppState, method: Method, addr: ClientAddr, f: Failure) -> Failure {
    tracing::warn!(method = method.as_str(), reason = %f.reason, username = %f.username, "sign-in refused or failed");
    let throttled = f.retry_after.is_some();
    let reason = match state.audit_limit.failed_attempt(&addr.to_string(), throttled, db::now()) {
        Decision::Skip => {
            tracing::warn!(client_addr = %addr, "too many failed sign-ins from this address this minute: not audited");
            return f;
        }
        Decision::Record { earlier_unrecorded: 0 } => f.reason.clone(),
        Decision::Record { earlier_unrecorded: n } => {
            format!("{} ({n} earlier attempts from this address were not recorded)", f.reason)
        }
    };
    let recorded = audit(state, f.user_id, &f.username, method.audited(), addr, f.outcome, &reason).await;
    match recorded {
        Ok(()) => f,
        Err(e) => Failure::internal(format!("auditing a failed sign-in: {e}")).with_next(f.next),
    }
}

/// What a single sign-on session remembers of the provider: for sign-out and back-channel logout.
pub struct ProviderSession {
    pub id_token: String,
    pub sid: Option<String>,
    pub auth_time: Option<i64>,
    pub issuer: String,
    pub subject: String,
}

/// Turns `session` into a signed-in one for `account`: a new session id (so a planted id is
/// worthless), a new CSRF token, the configured idle timeout; recorded in the session index (and
/// the provider-session index for single sign-on), the sign-in time touched and the success
/// audited. Returns the user and the new CSRF token.
pub async fn finish(
    state: &AppState,
    session: &Session,
    addr: ClientAddr,
    account: &UserRow,
    method: Method,
    provider: Option<ProviderSession>,
) -> Result<(User, String), Failure> {
    let user = account.to_user().map_err(|e| {
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), format!("unknown role {:?}", e.value))
            .of(&account.username, Some(account.id))
    })?;
    let auth = AuthSession {
        user_id: account.id,
        method,
        signed_in_at: db::now(),
        id_token: provider.as_ref().map(|p| p.id_token.clone()),
        oidc_sid: provider.as_ref().and_then(|p| p.sid.clone()),
        auth_time: provider.as_ref().and_then(|p| p.auth_time),
        generation: account.session_generation,
    };
    let csrf = establish(state, session, &auth).await.map_err(Failure::internal)?;
    if let (Some(p), Some(id)) = (&provider, session.id()) {
        let link = db::oidc_sessions::Link {
            session_id: &id.to_string(),
            user_id: account.id,
            issuer: &p.issuer,
            subject: &p.subject,
            sid: p.sid.as_deref(),
        };
        db::oidc_sessions::record(&state.db, link).await.map_err(Failure::internal)?;
    }
    db::users::touch_sign_in(&state.db, account.id).await.map_err(Failure::internal)?;
    audit(state, Some(account.id), &account.username, method.audited(), addr, audit::Outcome::Success, "")
        .await
        .map_err(Failure::internal)?;
    Ok((user, csrf))
}

async fn establish(state: &AppState, session: &Session, auth: &AuthSession) -> AppResult<String> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(AUTH_KEY, auth).await.map_err(session_error)?;
    let csrf = super::csrf::new_token();
    session.insert(CSRF_KEY, &csrf).await.map_err(session_error)?;
    let idle = time::Duration::seconds(state.config.session_timeout.as_secs() as i64);
    session.set_expiry(Some(Expiry::OnInactivity(idle)));
    // Saved now so the new session id is known for the session indexes.
    session.save().await.map_err(session_error)?;
    if let Some(id) = session.id() {
        db::user_sessions::record(&state.db, &id.to_string(), auth.user_id, auth.method.as_str()).await?;
    }
    Ok(csrf)
}

/// Checks a username and password and, when they match an enabled account, signs the session in.
/// Returns the user and the new CSRF token.
pub async fn with_password(
    state: &AppState,
    session: &Session,
    addr: ClientAddr,
    username: &str,
    password_given: &str,
) -> Result<(User, String), Failure> {
    let username = username.trim();
    let addr_text = addr.to_string();
    if let Err(wait) = state.throttle.check(&addr_text, username) {
        let mut f = Failure::refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many failed sign-in attempts. Try again in {} minute(s).", wait.div_ceil(60)),
            "too many failed attempts",
        )
        .of(username, None);
        f.retry_after = Some(wait);
        return Err(failed(state, Method::Password, addr, f).await);
    }
    let row = if username.is_empty() {
        None
    } else {
        db::users::by_username(&state.db, username).await.map_err(Failure::internal)?
    };
    let stored = row.as_ref().and_then(|r| r.password_hash.clone());
    let ok = password::verify(password_given.to_string(), stored).await;
    let Some(row) = row.filter(|_| ok) else {
        // Past the looser limit over all addresses a wrong password is answered as throttled;
        // a correct one (above) is never refused by it.
        if let Err(wait) = state.throttle.check_user(username) {
            state.throttle.record_failure(&addr_text, username);
            let mut f = Failure::refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed sign-in attempts. Try again in {} minute(s).", wait.div_ceil(60)),
                "too many failed attempts for this username",
            )
            .of(username, None);
            f.retry_after = Some(wait);
            return Err(failed(state, Method::Password, addr, f).await);
        }
        state.throttle.record_failure(&addr_text, username);
        let reason = if username.is_empty() { "no username given" } else { "unknown username or wrong password" };
        let f = Failure::new(StatusCode::UNAUTHORIZED, WRONG_CREDENTIALS, reason).of(username, None);
        return Err(failed(state, Method::Password, addr, f).await);
    };
    if row.disabled {
        let f = Failure::refused(
            StatusCode::FORBIDDEN,
            "This account is disabled. Ask an administrator to enable it.",
            "account disabled",
        )
        .of(&row.username, Some(row.id));
        return Err(failed(state, Method::Password, addr, f).await);
    }
    state.throttle.clear_user(&addr_text, username);
    finish(state, session, addr, &row, Method::Password, None).await
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

/// Where sign-out continues.
pub enum AfterSignOut {
    /// A password session, or single sign-on is off: nothing else to do.
    Local,
    /// RP-initiated logout at the provider (OIDC_LOGOUT and an end-session endpoint).
    Provider(String),
    /// Signed out here only: the provider session stays open (Authelia has no end-session endpoint).
    ProviderSessionOpen { provider: String, url: String },
}

pub fn after_sign_out(state: &AppState, auth: Option<&AuthSession>) -> AfterSignOut {
    let (Some(oidc), Some(auth)) = (&state.oidc, auth) else { return AfterSignOut::Local };
    if auth.method != Method::Oidc {
        return AfterSignOut::Local;
    }
    match oidc.end_session_url(auth.id_token.as_deref()) {
        Some(url) => AfterSignOut::Provider(url),
        None => {
            AfterSignOut::ProviderSessionOpen { provider: oidc.settings.provider.clone(), url: oidc.issuer.clone() }
        }
    }
}
