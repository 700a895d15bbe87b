//! Static assets (CSS, JS, icons) embedded in the binary, served with an ETag; URLs made by
//! [`url`] carry a content hash, so those responses are cached as immutable.

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use crate::error::AppError;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

pub fn router() -> Router<AppState> {
    Router::new().route("/static/{*path}", get(serve))
}

fn version(file: &rust_embed::EmbeddedFile) -> String {
    file.metadata.sha256_hash().iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// `/static/app.css?v=<hash>` for use in templates.
pub fn url(path: &str) -> String {
    match Static::get(path) {
        Some(f) => format!("/static/{path}?v={}", version(&f)),
        None => format!("/static/{path}"),
    }
}

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

async fn serve(Path(path): Path<String>, Query(q): Query<Version>, headers: HeaderMap) -> Result<Response, AppError> {
    let file = Static::get(&path).ok_or(AppError::NotFound)?;
    let version = version(&file);
    let etag = format!("\"{version}\"");
    let cache = if q.v.as_deref() == Some(version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300, must-revalidate"
    };
    let mut response = if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = mime_guess::from_path(&path).first_or_octet_stream();
        ([(header::CONTENT_TYPE, mime.as_ref().to_string())], file.data.into_owned()).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex etag"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}
