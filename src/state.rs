//! `AppState`: what every handler shares. It imports nothing from `app`, `http` or `auth`, so
//! those can all depend on it without a cycle.

use std::sync::Arc;

use axum::http::HeaderMap;
use sqlx::SqlitePool;

use crate::accounts::audit_limit::AuditLimiter;
use crate::accounts::throttle::LoginThrottle;
use crate::config::Config;
use crate::library::Library;
use crate::oidc::Oidc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: SqlitePool,
    pub throttle: Arc<LoginThrottle>,
    /// Caps the audit rows failed sign-ins write per address.
    pub audit_limit: Arc<AuditLimiter>,
    /// Added to every response (Content-Security-Policy, HSTS, …), computed once from the config.
    pub security_headers: Arc<HeaderMap>,
    /// The single sign-on provider client; `None` when single sign-on is off.
    pub oidc: Option<Arc<Oidc>>,
    /// The photo library engine (indexing, thumbnails, uploads, media tokens).
    pub library: Library,
    /// Encrypts the anonymous visitor's cookie (`auth::visitor`).
    pub visitor_key: cookie::Key,
}
