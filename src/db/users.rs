//! The `users` table: accounts, their roles and their linked sign-in identities.

use serde::Serialize;
use sqlx::{FromRow, SqliteExecutor};

use super::now;
use crate::accounts::{Role, UnknownRole};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub role: String,
    pub password_hash: Option<String>,
    pub auth_provider: String,
    pub auth_issuer: String,
    pub auth_subject: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_sign_in_at: Option<i64>,
    pub session_generation: i64,
}

/// What the API shows of a user: never the password hash.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub role: Role,
    pub auth_provider: String,
    pub auth_issuer: String,
    pub auth_subject: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
    /// Sessions and media tokens issued under another generation are void.
    #[serde(skip)]
    pub session_generation: i64,
}

impl UserRow {
    /// The stored role; one Shoebox does not know is an error, never a guess.
    pub fn role(&self) -> Result<Role, UnknownRole> {
        Role::from_stored(&self.username, &self.role)
    }

    pub fn to_user(&self) -> Result<User, UnknownRole> {
        Ok(User {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            role: self.role()?,
            auth_provider: self.auth_provider.clone(),
            auth_issuer: self.auth_issuer.clone(),
            auth_subject: self.auth_subject.clone(),
            disabled: self.disabled,
            created_at: self.created_at,
            last_sign_in_at: self.last_sign_in_at,
            session_generation: self.session_generation,
        })
    }
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The name to greet the user with.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() { &self.username } else { &self.display_name }
    }
}

const COLUMNS: &str = "id, username, display_name, email, email_verified, role, password_hash, auth_provider, \
     auth_issuer, auth_subject, disabled, created_at, updated_at, last_sign_in_at, session_generation";

pub async fn by_id(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = ?")).bind(id).fetch_optional(db).await
}

pub async fn by_username(db: impl SqliteExecutor<'_>, username: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE username = ?")).bind(username).fetch_optional(db).await
}

/// The account linked to this single sign-on identity. An account pre-linked with an empty
/// issuer matches any issuer; an exact issuer match wins over it.
pub async fn by_identity(db: impl SqliteExecutor<'_>, issuer: &str, subject: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE auth_subject = ? AND (auth_issuer = ? OR auth_issuer = '') \
         ORDER BY auth_issuer = '' LIMIT 1"
    ))
    .bind(subject)
    .bind(issuer)
    .fetch_optional(db)
    .await
}

pub async fn list(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY username")).fetch_all(db).await
}

pub async fn username_taken(db: impl SqliteExecutor<'_>, username: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE username = ?")
        .bind(username)
        .fetch_one(db)
        .await
        .map(|n| n > 0)
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub auth_provider: Option<String>,
    pub auth_issuer: String,
    pub auth_subject: Option<String>,
}

pub async fn insert(db: impl SqliteExecutor<'_>, u: &NewUser) -> sqlx::Result<i64> {
    let t = now();
    let row: (i64,) = sqlx::query_as(
        // The id is above every id ever used (see migration 0030): never a deleted account's.
        "INSERT INTO users (id, username, display_name, email, email_verified, role, password_hash, auth_provider, \
         auth_issuer, auth_subject, created_at, updated_at, session_generation) VALUES ( \
         (SELECT MAX(n) + 1 FROM (SELECT COALESCE(MAX(id), 0) AS n FROM users \
                                  UNION ALL SELECT COALESCE(MAX(id), 0) FROM retired_user_ids)), \
         ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.email)
    .bind(u.email_verified)
    .bind(u.role.unwrap_or(Role::User).as_str())
    .bind(&u.password_hash)
    .bind(u.auth_provider.as_deref().unwrap_or("local"))
    .bind(&u.auth_issuer)
    .bind(&u.auth_subject)
    .bind(t)
    .bind(t)
    .bind(new_generation())
    .fetch_one(db)
    .await?;
    Ok(row.0)
}

pub async fn set_password(db: impl SqliteExecutor<'_>, id: i64, hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
        .bind(hash)
        .bind(now())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn set_role(db: impl SqliteExecutor<'_>, id: i64, role: Role) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET role = ?, updated_at = ? WHERE id = ?")
        .bind(role.as_str())
        .bind(now())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn set_disabled(db: impl SqliteExecutor<'_>, id: i64, disabled: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?")
        .bind(disabled)
        .bind(now())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn set_profile(
    db: impl SqliteExecutor<'_>,
    id: i64,
    display_name: &str,
    email: Option<&str>,
    email_verified: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET display_name = ?, email = ?, email_verified = ?, updated_at = ? WHERE id = ?")
        .bind(display_name)
        .bind(email)
        .bind(email_verified)
        .bind(now())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Links (or with `subject = None`, unlinks) a single sign-on identity.
pub async fn set_identity(
    db: impl SqliteExecutor<'_>,
    id: i64,
    issuer: &str,
    subject: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET auth_issuer = ?, auth_subject = ?, updated_at = ? WHERE id = ?")
        .bind(issuer)
        .bind(subject)
        .bind(now())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

/// `local` or `oidc`: how the account last signed in or was created.
pub async fn set_auth_provider(db: impl SqliteExecutor<'_>, id: i64, provider: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET auth_provider = ?, updated_at = ? WHERE id = ?")
        .bind(provider)
        .bind(now())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn touch_sign_in(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET last_sign_in_at = ? WHERE id = ?").bind(now()).bind(id).execute(db).await.map(|_| ())
}

/// A random, positive session generation (never 0, which accounts from before it have).
pub fn new_generation() -> i64 {
    use rand::Rng;
    rand::thread_rng().gen_range(1..i64::MAX)
}

/// Voids every session and media token of the account: they carry the old generation.
pub async fn renew_generation(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET session_generation = ? WHERE id = ?")
        .bind(new_generation())
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn delete(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM users WHERE id = ?").bind(id).execute(db).await.map(|r| r.rows_affected() > 0)
}
