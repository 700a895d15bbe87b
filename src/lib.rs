//! Shoebox: a self-hosted photo gallery with single sign-on.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod import;
pub mod library;
pub mod oidc;
pub mod state;
pub mod telemetry;
