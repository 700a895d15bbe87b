//! The one rule every change to an account obeys: an enabled administrator must remain.
//!
//! Checked after the change, inside the transaction that makes it, so the count it reads is the
//! count the change leaves behind; a refusal drops the transaction and nothing changes.

use sqlx::SqliteConnection;

use super::error::AccountError;
use crate::db::users::UserRow;

/// Administrators who can sign in.
pub async fn enabled_admins(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0").fetch_one(conn).await
}

/// Fails when `before` (the account as it was before this transaction changed or deleted it)
/// was an enabled administrator and none is left now. An account that was not one cannot be the
/// change that locks everyone out, so it passes even when none was left before.
pub async fn ensure_enabled_admin_remains(conn: &mut SqliteConnection, before: &UserRow) -> Result<(), AccountError> {
    let was_enabled_admin = before.role == "admin" && !before.disabled;
    if was_enabled_admin && enabled_admins(conn).await? == 0 {
        return Err(AccountError::LastEnabledAdmin { username: before.username.clone() });
    }
    Ok(())
}
