//! Accounts: roles, creating, changing, deleting and linking accounts, and the rule that an
//! enabled administrator always remains. The admin page, the JSON API, the command line, single
//! sign-on and the first start all change accounts through here.

pub mod admins;
pub mod app_passwords;
pub mod audit_limit;
pub mod credentials;
pub mod error;
pub mod password;
pub mod role;
pub mod throttle;

use sqlx::{Acquire, SqlitePool};

pub use error::AccountError;
pub use role::{Role, UnknownRole};

use crate::db::{self, users::UserRow};

pub type Result<T> = std::result::Result<T, AccountError>;

/// A single sign-on identity: the issuer (empty matches any issuer and is filled at the first
/// sign-in) and the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
}

impl Identity {
    /// An identity from a form or JSON: `None` (unlink) when the subject is absent or empty; an
    /// absent issuer is empty, which matches any issuer until the first sign-in fills it.
    pub fn from_form(subject: Option<&str>, issuer: Option<&str>) -> Option<Identity> {
        let subject = subject.map(str::trim).filter(|s| !s.is_empty())?;
        Some(Identity { issuer: issuer.map(str::trim).unwrap_or("").to_string(), subject: subject.to_string() })
    }
}

/// A new account. Without a password it can sign in only through its identity.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub username: String,
    pub role: Option<Role>,
    pub display_name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub password: Option<String>,
    pub identity: Option<Identity>,
    /// `local` or `oidc`: how the account came to be; `oidc` when an identity is given.
    pub created_by_sign_on: bool,
}

/// Creates an account after checking the username and password rules.
pub async fn create(db: &SqlitePool, new: NewAccount) -> Result<UserRow> {
    credentials::validate_username(&new.username).map_err(AccountError::Invalid)?;
    let key = credentials::username_key(&new.username);
    let taken = db::users::list(db).await?.iter().any(|u| credentials::username_key(&u.username) == key);
    if taken {
        return Err(AccountError::UsernameTaken(new.username));
    }
    let hash = match new.password {
        Some(p) => {
            credentials::validate_password(&p).map_err(AccountError::Invalid)?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    let sign_on = new.identity.is_some() || new.created_by_sign_on;
    let row = db::users::NewUser {
        username: new.username.clone(),
        display_name: new.display_name.clone(),
        email: new.email.clone(),
        email_verified: new.email_verified,
        role: new.role,
        password_hash: hash,
        auth_provider: Some(if sign_on { "oidc" } else { "local" }.into()),
        auth_issuer: new.identity.as_ref().map(|i| i.issuer.clone()).unwrap_or_default(),
        auth_subject: new.identity.as_ref().map(|i| i.subject.clone()),
    };
    let id = db::users::insert(db, &row).await.map_err(|e| unique_violation(e, &new.username))?;
    db::users::by_id(db, id).await?.ok_or(AccountError::NotFound)
}

/// A unique-constraint failure on insert or update: the username (two requests at once) or the
/// single sign-on identity is taken.
fn unique_violation(e: sqlx::Error, username: &str) -> AccountError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            if d.message().contains("users.username") {
                AccountError::UsernameTaken(username.to_string())
            } else {
                AccountError::SubjectTaken
            }
        }
        _ => e.into(),
    }
}

/// One change to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub display_name: Option<String>,
    /// `Some(None)` removes the address. An address set here is not verified.
    pub email: Option<Option<String>>,
    /// `Some(None)` unlinks single sign-on.
    pub identity: Option<Option<Identity>>,
}

/// Who asks for a change: an administrator signed in (who may not disable or delete their own
/// account from the page), or the command line.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Admin(i64),
    CommandLine,
}

/// Applies `change` in one transaction, refusing anything that leaves no enabled administrator.
pub async fn change(db: &SqlitePool, actor: Actor, id: i64, change: AccountChange) -> Result<UserRow> {
    let mut tx = db::write_tx(db).await?;
    let before = db::users::by_id(&mut *tx, id).await?.ok_or(AccountError::NotFound)?;
    if matches!(actor, Actor::Admin(me) if me == id) && change.disabled == Some(true) {
        return Err(AccountError::DisableSelf);
    }
    if let Some(role) = change.role {
        db::users::set_role(&mut *tx, id, role).await?;
    }
    if let Some(disabled) = change.disabled {
        db::users::set_disabled(&mut *tx, id, disabled).await?;
    }
    if change.display_name.is_some() || change.email.is_some() {
        let name = change.display_name.unwrap_or_else(|| before.display_name.clone());
        let (email, verified) = match change.email {
            Some(e) => (e.filter(|e| !e.is_empty()), false),
            None => (before.email.clone(), before.email_verified),
        };
        db::users::set_profile(&mut *tx, id, &name, email.as_deref(), verified).await?;
    }
    match change.identity {
        Some(Some(identity)) => db::users::set_identity(&mut *tx, id, &identity.issuer, Some(&identity.subject))
            .await
            .map_err(|e| unique_violation(e, &before.username))?,
        Some(None) => db::users::set_identity(&mut *tx, id, "", None).await?,
        None => {}
    }
    admins::ensure_enabled_admin_remains(&mut tx, &before).await?;
    let disabled_now = change.disabled == Some(true) && !before.disabled;
    let role_changed = change.role.is_some_and(|r| r.as_str() != before.role);
    if disabled_now || role_changed {
        // What the sessions were allowed to do changed: they end, media URLs with them, and
        // enabling the account again does not bring them back.
        revoke_sessions(&mut tx, id).await?;
    }
    let after = db::users::by_id(&mut *tx, id).await?.ok_or(AccountError::NotFound)?;
    tx.commit().await?;
    Ok(after)
}

/// Ends every session of the account and voids its media URLs, inside the caller's transaction.
/// Returns how many sessions ended.
async fn revoke_sessions(tx: &mut sqlx::SqliteConnection, id: i64) -> Result<u64> {
    db::users::renew_generation(&mut *tx, id).await?;
    Ok(db::user_sessions::end_all(tx, id).await?)
}

/// "Sign out everywhere" for one account (its own choice or an administrator's): every session
/// ends and every media URL handed out stops working. Returns how many sessions ended.
pub async fn end_sessions(db: &SqlitePool, id: i64) -> Result<u64> {
    let mut tx = db::write_tx(db).await?;
    db::users::by_id(&mut *tx, id).await?.ok_or(AccountError::NotFound)?;
    let ended = revoke_sessions(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Sets the role inside a transaction that also does other work (the single sign-on role sync):
/// a role change the rule refuses is undone alone, through a savepoint, and reported.
pub async fn set_role_within(tx: &mut sqlx::SqliteConnection, before: &UserRow, role: Role) -> Result<()> {
    let mut savepoint = tx.begin().await?;
    db::users::set_role(&mut *savepoint, before.id, role).await?;
    admins::ensure_enabled_admin_remains(&mut savepoint, before).await?;
    revoke_sessions(&mut savepoint, before.id).await?;
    savepoint.commit().await?;
    Ok(())
}

/// Deletes an account (never the last enabled administrator). Returns it as it was.
pub async fn delete(db: &SqlitePool, actor: Actor, id: i64) -> Result<UserRow> {
    let mut tx = db::write_tx(db).await?;
    let before = db::users::by_id(&mut *tx, id).await?.ok_or(AccountError::NotFound)?;
    if matches!(actor, Actor::Admin(me) if me == id) {
        return Err(AccountError::DeleteSelf);
    }
    revoke_sessions(&mut tx, id).await?;
    db::users::delete(&mut *tx, id).await?;
    admins::ensure_enabled_admin_remains(&mut tx, &before).await?;
    tx.commit().await?;
    Ok(before)
}

/// Sets a new password after checking the rules.
pub async fn set_password(db: &SqlitePool, id: i64, new_password: String) -> Result<()> {
    credentials::validate_password(&new_password).map_err(AccountError::Invalid)?;
    let hash = password::hash(new_password).await?;
    let mut tx = db::write_tx(db).await?;
    db::users::set_password(&mut *tx, id, &hash).await?;
    // Whoever knew the old password is signed out.
    revoke_sessions(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// What the first-start check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    /// An enabled administrator exists: nothing to do.
    Present,
    /// The `ADMIN_USER` account existed and was made an enabled administrator.
    Promoted(String),
    /// `ADMIN_USER` was created; with the generated password when none was configured.
    Created { generated_password: Option<String> },
}

/// Makes sure an enabled administrator exists (at every start and before a command-line index):
/// the `ADMIN_USER` account becomes one, or is created with `password` (or a generated one).
pub async fn ensure_enabled_admin(
    db: &SqlitePool,
    admin_user: &str,
    admin_password: Option<&str>,
) -> Result<Bootstrap> {
    let mut tx = db::write_tx(db).await?;
    if admins::enabled_admins(&mut tx).await? > 0 {
        return Ok(Bootstrap::Present);
    }
    if let Some(existing) = db::users::by_username(&mut *tx, admin_user).await? {
        db::users::set_role(&mut *tx, existing.id, Role::Admin).await?;
        db::users::set_disabled(&mut *tx, existing.id, false).await?;
        tx.commit().await?;
        return Ok(Bootstrap::Promoted(existing.username));
    }
    drop(tx);
    let generated = admin_password.is_none().then(password::generate_password);
    let chosen = admin_password.map(str::to_string).or_else(|| generated.clone());
    let new = NewAccount {
        username: admin_user.to_string(),
        role: Some(Role::Admin),
        password: chosen,
        ..Default::default()
    };
    // The configured password was checked at startup; create checks it again, harmlessly.
    create(db, new).await?;
    Ok(Bootstrap::Created { generated_password: generated })
}
