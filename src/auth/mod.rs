//! Who is asking: sessions, the current-user extractor, CSRF, sign-in throttling and passwords.

pub mod client;
pub mod csrf;
pub mod oidc;
pub mod session;
pub mod sessions;
pub mod sign_in;

pub use session::{CurrentUser, MaybeUser};
