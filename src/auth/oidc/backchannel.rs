//! OpenID Connect Back-Channel Logout 1.0: the provider posts a logout token, and every session
//! of that subject (or that provider session) ends.

use crate::auth::client::ClientAddr;
use crate::auth::sign_in;
use crate::db::{self, audit};
use crate::oidc::Oidc;
use crate::state::AppState;

/// Why a logout request was refused: `description` is the answer to the poster, `reason` (which
/// can name the provider's internal URLs, or carry text from the token) goes to the log only.
pub enum Refused {
    BadRequest { description: &'static str, reason: String },
    Internal(sqlx::Error),
}

/// Ends the sessions the logout token in the form `body` names; returns how many users were
/// signed out.
pub async fn logout(state: &AppState, oidc: &Oidc, addr: ClientAddr, body: &[u8]) -> Result<usize, Refused> {
    let token = url::form_urlencoded::parse(body).find(|(k, _)| k == "logout_token").map(|(_, v)| v.into_owned());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Refused::BadRequest {
            description: "the form has no logout_token",
            reason: "the form has no logout_token".into(),
        });
    };
    let (sub, sid) = oidc.verify_logout_token(&token).await.map_err(|e| Refused::BadRequest {
        description: "the logout token is not valid",
        reason: format!("logout token: {e}"),
    })?;
    let ended = db::oidc_sessions::end(&state.db, &oidc.issuer, sub.as_deref(), sid.as_deref())
        .await
        .map_err(Refused::Internal)?;
    // The provider ended the person's sessions: the groups it reported end with them, so albums
    // shared with a group are closed at once, not at the next sign-in.
    let mut cleared = ended.clone();
    if let Some(sub) = sub.as_deref()
        && let Ok(Some(u)) = db::users::by_identity(&state.db, &oidc.issuer, sub).await
    {
        cleared.push(u.id);
    }
    for user_id in &cleared {
        let cleared = db::retry_busy(|| async {
            let mut tx = db::write_tx(&state.db).await?;
            db::groups::replace(&mut tx, *user_id, &[]).await?;
            tx.commit().await
        })
        .await;
        if let Err(e) = cleared {
            return Err(Refused::Internal(e));
        }
    }
    for user_id in &ended {
        let name = db::users::by_id(&state.db, *user_id).await.ok().flatten().map(|u| u.username).unwrap_or_default();
        let reason = "back-channel logout from the provider";
        let (method, outcome) = (audit::Method::SignOut, audit::Outcome::Success);
        if let Err(e) = sign_in::audit(state, Some(*user_id), &name, method, addr, outcome, reason).await {
            tracing::error!(error = %e, "back-channel logout: audit failed");
        }
    }
    Ok(ended.len())
}
