//! `AppError`, the one error type of every handler, and its mapping to HTTP.
//!
//! Every error becomes a JSON body here; `http::middleware::html_errors` turns those on page routes
//! into the HTML error page, so the mapping lives in one place either way.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A share link that was revoked, expired or used up: it served once and never will again.
    #[error("{0}")]
    Gone(String),
    /// A share link with a password not yet unlocked by this visitor: 401 with
    /// `"password_required": true`, so a client knows to ask for the password.
    #[error("{0}")]
    PasswordRequired(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// Something an administrator must fix (a value in the database Shoebox does not know, say):
    /// a 500 whose message, unlike an internal error's, is shown because it says what to do.
    #[error("{0}")]
    NeedsAdministrator(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<crate::library::catalog::CatalogError> for AppError {
    fn from(e: crate::library::catalog::CatalogError) -> Self {
        use crate::library::catalog::CatalogError;
        match e {
            CatalogError::NotFound => AppError::NotFound,
            CatalogError::Invalid(m) => AppError::BadRequest(m),
            CatalogError::NotAllowed(m) => AppError::Forbidden(m),
            CatalogError::Db(e) => AppError::Internal(e.into()),
            CatalogError::Other(e) => AppError::Internal(e),
        }
    }
}

impl From<crate::accounts::app_passwords::AppPasswordError> for AppError {
    fn from(e: crate::accounts::app_passwords::AppPasswordError) -> Self {
        use crate::accounts::app_passwords::AppPasswordError;
        match e {
            AppPasswordError::Db(e) => AppError::Internal(e.into()),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<crate::accounts::UnknownRole> for AppError {
    fn from(e: crate::accounts::UnknownRole) -> Self {
        tracing::error!(error = %e, "an account has a role Shoebox does not know");
        AppError::NeedsAdministrator(e.to_string())
    }
}

impl From<crate::accounts::AccountError> for AppError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::UsernameTaken(_) => AppError::Conflict(e.to_string()),
            E::LastEnabledAdmin { .. } | E::SubjectTaken | E::DisableSelf | E::DeleteSelf | E::Invalid(_) => {
                AppError::BadRequest(e.to_string())
            }
            E::UnknownRole(u) => u.into(),
            E::Db(e) => AppError::Internal(e.into()),
            E::Other(e) => AppError::Internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Attached to error responses so the HTML layer can render the page without re-parsing JSON.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub message: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PasswordRequired(_) => StatusCode::UNAUTHORIZED,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::NeedsAdministrator(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(e) => {
                // The cause chain goes to the log; the person sees a plain sentence.
                tracing::error!(error = format!("{e:#}"), "internal error");
                "Something went wrong on the server. The details are in the server log.".to_string()
            }
            other => other.to_string(),
        };
        let mut body = serde_json::json!({ "error": message });
        if let AppError::PasswordRequired(_) = self {
            body["password_required"] = serde_json::json!(true);
        }
        let mut response = (status, Json(body)).into_response();
        if let AppError::TooManyRequests { retry_after_secs, .. } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
        }
        response.extensions_mut().insert(ErrorInfo { message });
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
