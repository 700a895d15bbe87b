//! Single sign-on accounts: who a verified provider identity is in Shoebox (the provider client is `crate::oidc`).

pub mod account;
