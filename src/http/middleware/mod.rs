//! Layers every response passes: security headers, HTML error pages, and forgetting remembered
//! media access after changes.

pub mod forget_access;
pub mod html_errors;
pub mod security_headers;
