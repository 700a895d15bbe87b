//! `AccountError`: every reason a change to an account is refused or fails.

use super::role::UnknownRole;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("there is no such account")]
    NotFound,
    /// The change would leave no enabled administrator, so nobody could manage Shoebox.
    #[error("{username} is the last active administrator: make someone else an administrator first.")]
    LastEnabledAdmin { username: String },
    #[error("You cannot disable your own account.")]
    DisableSelf,
    #[error("You cannot delete your own account.")]
    DeleteSelf,
    #[error("a user named {0:?} already exists: pick another name or use `shoebox users mod`")]
    UsernameTaken(String),
    #[error("That single sign-on subject is already linked to another account.")]
    SubjectTaken,
    /// A username or password that breaks the rules; the text says which rule.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    UnknownRole(#[from] UnknownRole),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}
