//! Who is asking: sessions, the current-user extractor, CSRF, sign-in throttling and passwords.

pub mod client;
pub mod csrf;
pub mod oidc;
pub mod password;
pub mod session;
pub mod sign_in;
pub mod throttle;

pub use session::{CurrentUser, MaybeUser};
