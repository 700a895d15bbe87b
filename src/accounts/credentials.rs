//! What a username and a password must look like. A leaf like `role.rs`, so config can check
//! `ADMIN_USER` and `ADMIN_PASSWORD` at startup without depending on the sign-in code.

pub const MIN_PASSWORD_LEN: usize = 8;
/// Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn validate_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!("password too short: use at least {MIN_PASSWORD_LEN} characters"));
    }
    if p.len() > MAX_PASSWORD_LEN {
        return Err(format!("password too long: use at most {MAX_PASSWORD_LEN} bytes"));
    }
    Ok(())
}

/// Usernames: 1-64 characters of letters, digits, `.`, `_`, `-` and `@`, starting with a letter or digit.
pub fn validate_username(u: &str) -> Result<(), String> {
    let ok_chars = u.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    let starts_ok = u.chars().next().is_some_and(|c| c.is_alphanumeric());
    if u.is_empty() || u.chars().count() > 64 || !ok_chars || !starts_ok {
        return Err(format!(
            "not a valid username {u:?}: use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
        ));
    }
    Ok(())
}

/// The key two usernames are compared by: Unicode lower case, so "Émile" and "émile" are one
/// name (the database's own case folding covers ASCII only). Folder names under the originals
/// are matched to accounts by the same key.
pub fn username_key(u: &str) -> String {
    u.to_lowercase()
}
