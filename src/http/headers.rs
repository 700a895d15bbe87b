//! Security headers on every response: a strict Content-Security-Policy (no inline script),
//! nosniff, a referrer policy, no framing, and HSTS when the site is served over https.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;
use crate::config::Config;

pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn for_config(config: &Config) -> Self {
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
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{icon}; \
             connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'{provider}; frame-ancestors 'none'"
        );
        SecurityHeaders {
            csp: HeaderValue::from_str(&csp).expect("CSP is ASCII"),
            hsts: config.site_is_https().then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        }
    }
}

pub async fn add_security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let s = &state.security_headers;
    h.insert(header::CONTENT_SECURITY_POLICY, s.csp.clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if let Some(hsts) = &s.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}
