//! The signed-in user's sessions: the list the account page and the API show, and "sign out
//! everywhere".

use serde::Serialize;

use super::CurrentUser;
use super::client::ClientAddr;
use super::sign_in::{self, Method};
use crate::db;
use crate::error::AppResult;
use crate::state::AppState;

/// One of the signed-in user's sessions. The session id stays out: it is the cookie value.
#[derive(Debug, Serialize)]
pub struct SessionEntry {
    /// Unix seconds.
    pub signed_in_at: i64,
    pub method: Method,
    /// Unix seconds when the session ends unless used again.
    pub expires_at: i64,
    /// Whether it is the session of this request.
    pub current: bool,
}

/// The user's live sessions, newest first.
pub async fn of(state: &AppState, current: &CurrentUser) -> AppResult<Vec<SessionEntry>> {
    let this = current.session.id().map(|i| i.to_string());
    Ok(db::user_sessions::live(&state.db, current.user.id)
        .await?
        .into_iter()
        .map(|s| SessionEntry {
            current: this.as_deref() == Some(s.session_id.as_str()),
            signed_in_at: s.created_at,
            method: Method::from_stored(&s.method),
            expires_at: s.expires_at,
        })
        .collect())
}

/// Every session of this user ends, this one too, and the media URLs handed out stop working.
/// Returns how many sessions ended.
pub async fn sign_out_everywhere(state: &AppState, addr: ClientAddr, current: &CurrentUser) -> AppResult<u64> {
    let ended = crate::accounts::end_sessions(&state.db, current.user.id).await?;
    sign_in::sign_out(state, &current.session, addr).await?;
    tracing::info!(user = %current.user.username, sessions = ended, "signed out everywhere");
    Ok(ended)
}
