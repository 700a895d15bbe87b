//! Layers every response passes: security headers and HTML error pages.

pub mod html_errors;
pub mod security_headers;
