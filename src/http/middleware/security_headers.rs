//! Security headers on every response: a strict Content-Security-Policy (no inline script),
//! nosniff, a referrer policy, no framing, and HSTS when the site is served over https.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Config;
use crate::state::AppState;

/// The headers every response carries, for this configuration.
pub fn security_headers(config: &Config) -> HeaderMap {
    {
        // Sign-out may continue at the provider after a form post; browsers apply form-action
        // to that redirect, so the provider's origin is allowed there.
        let provider = config
            .oidc
            .uri
            .as_deref()
            .filter(|_| config.oidc.enabled)
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| format!(" {}", u.origin().ascii_serialization()))
            .unwrap_or_default();
        // An OIDC_ICON on another site must be allowed to load.
        let icon = config
            .oidc
            .icon
            .as_deref()
            .filter(|_| config.oidc.enabled)
            .and_then(|u| url::Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| format!(" {}", u.origin().ascii_serialization()))
            .unwrap_or_default();
        // Map tiles come from the one tile server configured (PLACES_TILES).
        let tiles = if config.places.enabled { format!(" {}", config.places.tile_origin) } else { String::new() };
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{icon}{tiles}; \
             connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'{provider}; frame-ancestors 'none'"
        );
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("CSP is ASCII"));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
        if config.site_is_https() {
            h.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
        h
    }
}

pub async fn add_security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in state.security_headers.iter() {
        h.insert(name, value.clone());
    }
    response
}
