//! What the tests share: the app under test and its client, signed-in people, library fixtures,
//! uploads, a real browser and the OpenID providers. Test modules import only from here.

mod app;
pub mod browser;
pub mod fake_provider;
mod library;
mod person;
pub mod real_provider;
mod sharing;
mod upload;

pub use app::*;
pub use browser::Browser;
pub use library::*;
pub use person::*;
pub use sharing::*;
pub use upload::*;
