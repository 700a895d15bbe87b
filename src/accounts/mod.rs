//! Accounts: roles, creating, changing, deleting and linking accounts, and the rule that an
//! enabled administrator always remains. The admin page, the JSON API, the command line and
//! single sign-on all change accounts through here.

pub mod credentials;
pub mod role;

pub use role::Role;
