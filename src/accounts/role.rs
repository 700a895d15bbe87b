//! What an account may do. A leaf: it imports nothing of Shoebox's, so config and the database
//! layer can both name roles.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
            Role::Viewer => "viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            "viewer" | "guest" => Ok(Role::Viewer),
            _ => Err(format!("not a role: use admin, user or viewer (got {s:?})")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role in the database that Shoebox does not know: an error, never a silent "viewer", so a
/// typo made by hand in the database cannot quietly take rights away or hand them out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account {username} has the role {value:?} in the database, which Shoebox does not know: \
     set one with `shoebox users mod {username} --role user` (admin, user or viewer)"
)]
pub struct UnknownRole {
    pub username: String,
    pub value: String,
}

impl Role {
    /// The role stored for `username`, or why it is not one.
    pub fn from_stored(username: &str, value: &str) -> Result<Role, UnknownRole> {
        match value {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole { username: username.to_string(), value: value.to_string() }),
        }
    }
}
