//! The HTTP surface: one module per resource, each with its own `router()`.

pub mod admin;
pub mod albums_api;
pub mod assets;
pub mod gallery;
pub mod headers;
pub mod health;
pub mod library_api;
pub mod login;
pub mod media;
pub mod oidc;
pub mod pages;
pub mod photos_api;
pub mod session_api;
