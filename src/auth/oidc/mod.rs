//! Single sign-on on Shoebox's side: the code flow, from a verified identity to an account, and
//! back-channel logout. The provider client itself is `crate::oidc`.

pub mod account;
pub mod backchannel;
pub mod flow;
