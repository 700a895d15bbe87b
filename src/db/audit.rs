//! The `sign_in_events` audit trail.

use serde::Serialize;
use sqlx::{FromRow, SqliteExecutor};

use super::now;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    Oidc,
    SignOut,
    /// A WebDAV client signing in with an app password (or the account password when allowed).
    AppPassword,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Wrong credentials or a protocol failure.
    Failure,
    /// Credentials were fine (or irrelevant) but policy said no: disabled, rate-limited, not registered.
    Refused,
}

pub struct Event<'a> {
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub method: Method,
    pub client_addr: &'a str,
    pub outcome: Outcome,
    pub reason: &'a str,
}

pub async fn record(db: impl SqliteExecutor<'_>, e: Event<'_>) -> sqlx::Result<()> {
    let method = match e.method {
        Method::Password => "password",
        Method::Oidc => "oidc",
        Method::SignOut => "sign_out",
        Method::AppPassword => "app_password",
    };
    let outcome = match e.outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Refused => "refused",
    };
    sqlx::query(
        "INSERT INTO sign_in_events (at, user_id, username, method, client_addr, outcome, reason) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(now())
    .bind(e.user_id)
    .bind(e.username)
    .bind(method)
    .bind(e.client_addr)
    .bind(outcome)
    .bind(e.reason)
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub method: String,
    pub client_addr: String,
    pub outcome: String,
    pub reason: String,
}

pub async fn recent(db: impl SqliteExecutor<'_>, limit: i64) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, at, user_id, username, method, client_addr, outcome, reason FROM sign_in_events \
         ORDER BY id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}
