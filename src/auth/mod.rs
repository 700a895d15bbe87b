//! Who is asking: sessions and the current-user extractor, CSRF, the client address, signing in
//! and out (password and single sign-on alike), a user's sessions, and the single sign-on flow.

pub mod client;
pub mod csrf;
pub mod housekeeping;
pub mod oidc;
pub mod session;
pub mod sessions;
pub mod sign_in;
pub mod visitor;

pub use session::{CurrentUser, MaybeUser};
