//! What the tests share: the app under test and its client, signed-in people, library fixtures,
//! uploads, the server as its own process, a real browser and the OpenID providers. Test modules import only from here.

mod app;
pub mod browser;
mod commands;
pub mod fake_provider;
mod library;
mod live_fixtures;
mod live_identifiers;
mod person;
mod photo_fixtures;
pub mod real_provider;
mod server;
mod sharing;
mod upload;
mod video_fixtures;
mod webdav;

pub use app::*;
pub use browser::{Browser, PHONE};
pub use commands::*;
pub use library::*;
pub use live_fixtures::*;
pub use live_identifiers::*;
pub use person::*;
pub use photo_fixtures::*;
pub use server::*;
pub use sharing::*;
pub use upload::*;
pub use video_fixtures::*;
pub use webdav::*;
