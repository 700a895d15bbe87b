//! From a verified identity to a Shoebox account: matched by (issuer, subject) only, registered
//! when allowed, checked against the domain and group rules, its role synced from the groups.

use axum::http::StatusCode;
use serde_json::{Map, Value};
use sqlx::SqlitePool;

use crate::accounts::{self, AccountError, Role};
use crate::auth::sign_in::Failure;
use crate::config::OidcConfig;
use crate::db::{self, users::UserRow};

/// A verified identity: the ID token's claims with userinfo's on top.
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub claims: Map<String, Value>,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

impl Identity {
    pub fn email_verified(&self) -> bool {
        match self.claims.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    /// The email address, only when the provider says it is verified.
    pub fn verified_email(&self) -> Option<String> {
        self.email_verified().then(|| text(&self.claims, "email").map(str::to_string)).flatten()
    }

    pub fn display_name(&self) -> String {
        if let Some(n) = text(&self.claims, "name") {
            return n.to_string();
        }
        let parts: Vec<&str> = ["given_name", "family_name"].iter().filter_map(|c| text(&self.claims, c)).collect();
        parts.join(" ")
    }

    /// The groups claim: an array of strings or one string.
    pub fn groups(&self, claim: &str) -> Vec<String> {
        match self.claims.get(claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// The name to call the person by in messages and the audit log.
    pub fn label(&self, username_claim: &str) -> String {
        [username_claim, "preferred_username", "name", "email"]
            .iter()
            .find_map(|c| text(&self.claims, c))
            .unwrap_or(&self.subject)
            .to_string()
    }

    /// Username candidates in PhotoPrism's order: the configured claim, name, nickname, verified email.
    pub fn username_base(&self, username_claim: &str) -> Option<String> {
        let email = self.verified_email();
        [
            text(&self.claims, username_claim),
            text(&self.claims, "name"),
            text(&self.claims, "nickname"),
            email.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(sanitize_username)
        .find(|u| !u.is_empty())
    }
}

/// Lower case; spaces become dots; only letters, digits, `.`, `_`, `-` and `@` stay; starts with
/// a letter or digit; at most 56 characters (room for a suffix). "John Doe" → "john.doe".
pub fn sanitize_username(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().to_lowercase().chars() {
        let c = if c.is_whitespace() { '.' } else { c };
        if c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@') {
            if c == '.' && (out.is_empty() || out.ends_with('.')) {
                continue;
            }
            out.push(c);
        }
    }
    let out = out.trim_start_matches(|c: char| !c.is_alphanumeric()).trim_end_matches('.');
    out.chars().take(56).collect::<String>().trim_end_matches('.').to_string()
}

/// The role the groups give (first matching mapping), if a mapping is configured and matches.
fn mapped_role(config: &OidcConfig, groups: &[String]) -> Option<Role> {
    config.group_roles.iter().find(|(g, _)| groups.iter().any(|have| have == g)).map(|(_, r)| *r)
}

fn refuse(
    status: StatusCode,
    message: String,
    reason: impl Into<String>,
    username: String,
    user_id: Option<i64>,
) -> Failure {
    // A server error is a failure of the attempt; every other answer here is policy saying no.
    let f = if status.is_server_error() {
        Failure::new(status, message, reason)
    } else {
        Failure::refused(status, message, reason)
    };
    f.of(username, user_id)
}

fn internal_account(e: AccountError) -> Failure {
    tracing::error!(error = %e, "single sign-on: creating the account failed");
    Failure::internal(e)
}

/// Finds or creates the account for `id` and applies the sign-in rules. Returns the account as
/// it is after this sign-in (profile refreshed, role synced).
pub async fn sign_in(db: &SqlitePool, config: &OidcConfig, id: &Identity) -> Result<UserRow, Failure> {
    let label = id.label(&config.username_claim);
    let internal = |e: sqlx::Error| {
        tracing::error!(error = %e, "single sign-on: database error");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server. The details are in the server log.".into(),
            format!("database error: {e}"),
            label.clone(),
            None,
        )
    };
    let existing = db::users::by_identity(db, &id.issuer, &id.subject).await.map_err(internal)?;
    let user_id = existing.as_ref().map(|u| u.id);
    let username = existing.as_ref().map(|u| u.username.clone()).unwrap_or_else(|| label.clone());

    if let Some(u) = &existing
        && u.disabled
    {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!("The account {} is disabled here. Ask an administrator to enable it.", u.username),
            "account disabled",
            username,
            user_id,
        ));
    }
    if !config.domains.is_empty() {
        let email = id.verified_email();
        let domain = email.as_deref().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
        if !domain.as_ref().is_some_and(|d| config.domains.contains(d)) {
            let message = match &email {
                Some(e) => format!(
                    "Sign-in here needs an email address at {}; {} reports {e}.",
                    config.domains.join(" or "),
                    config.provider
                ),
                None => format!(
                    "Sign-in here needs a verified email address at {}; {} did not report one.",
                    config.domains.join(" or "),
                    config.provider
                ),
            };
            return Err(refuse(StatusCode::FORBIDDEN, message, "email domain not allowed", username, user_id));
        }
    }
    let groups = id.groups(&config.group_claim);
    if !config.groups.is_empty() && !config.groups.iter().any(|g| groups.contains(g)) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!(
                "You are not in a group that may sign in here ({}). Ask an administrator.",
                config.groups.join(", ")
            ),
            format!("not in a required group (has: {})", groups.join(", ")),
            username,
            user_id,
        ));
    }
    let role =
        if config.group_roles.is_empty() { None } else { Some(mapped_role(config, &groups).unwrap_or(config.role)) };

    let display_name = id.display_name();
    let email = id.verified_email();
    match existing {
        Some(u) => {
            let mut tx = crate::db::write_tx(db).await.map_err(internal)?;
            if u.auth_issuer.is_empty() {
                // A pre-linked account: this issuer claims it now.
                db::users::set_identity(&mut *tx, u.id, &id.issuer, Some(&id.subject)).await.map_err(internal)?;
            }
            let name = if display_name.is_empty() { u.display_name.clone() } else { display_name };
            let (email, verified) = match email {
                Some(e) => (Some(e), true),
                None => (u.email.clone(), u.email_verified),
            };
            db::users::set_profile(&mut *tx, u.id, &name, email.as_deref(), verified).await.map_err(internal)?;
            let current = u.role().map_err(|e| {
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    e.to_string(),
                    format!("unknown role {:?} in the database", e.value),
                    username.clone(),
                    user_id,
                )
            })?;
            if let Some(role) = role.filter(|r| *r != current) {
                match accounts::set_role_within(&mut tx, &u, role).await {
                    Ok(()) => tracing::info!(
                        username = %u.username, from = %current, to = %role,
                        "single sign-on: role changed by group mapping"
                    ),
                    Err(AccountError::LastEnabledAdmin { .. }) => tracing::warn!(
                        username = %u.username,
                        "single sign-on: the group mapping would take away the last enabled administrator's role; \
                         kept it. Make someone else an administrator first."
                    ),
                    Err(AccountError::Db(e)) => return Err(internal(e)),
                    Err(e) => return Err(internal_account(e)),
                }
            }
            db::users::set_auth_provider(&mut *tx, u.id, "oidc").await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            db::users::by_id(db, u.id).await.map_err(internal)?.ok_or_else(|| {
                refuse(
                    StatusCode::FORBIDDEN,
                    "This account was just deleted.".into(),
                    "account deleted",
                    username,
                    None,
                )
            })
        }
        None if !config.register => Err(refuse(
            StatusCode::FORBIDDEN,
            format!("There is no account for {label} here — ask an administrator to create one for you."),
            format!("no account for subject {} and registration is off", id.subject),
            label.clone(),
            None,
        )),
        None => {
            let Some(base) = id.username_base(&config.username_claim) else {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    format!(
                        "{} did not send a usable name for a new account (claim {}, name, nickname or a verified email). \
                         Ask an administrator.",
                        config.provider, config.username_claim
                    ),
                    "no usable username claim",
                    label.clone(),
                    None,
                ));
            };
            for n in 1..=1000u32 {
                let candidate = if n == 1 { base.clone() } else { format!("{base}{n}") };
                if db::users::username_taken(db, &candidate).await.map_err(internal)? {
                    continue;
                }
                let new = accounts::NewAccount {
                    username: candidate.clone(),
                    role: Some(role.unwrap_or(config.role)),
                    display_name: display_name.clone(),
                    email: email.clone(),
                    email_verified: email.is_some(),
                    password: None,
                    identity: Some(accounts::Identity { issuer: id.issuer.clone(), subject: id.subject.clone() }),
                    created_by_sign_on: true,
                };
                match accounts::create(db, new).await {
                    Ok(row) => {
                        tracing::info!(username = %candidate, "single sign-on: created an account");
                        return Ok(row);
                    }
                    // Someone took the name (or signed in twice at once) in between: look again.
                    Err(AccountError::UsernameTaken(_) | AccountError::SubjectTaken) => {
                        if let Some(u) = db::users::by_identity(db, &id.issuer, &id.subject).await.map_err(internal)? {
                            return Ok(u);
                        }
                    }
                    Err(e) => return Err(internal_account(e)),
                }
            }
            Err(refuse(
                StatusCode::CONFLICT,
                format!("Every variant of the name {base} is taken here. Ask an administrator."),
                "no free username",
                label,
                None,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize_username;

    #[test]
    fn usernames_are_sanitised_like_photoprism() {
        assert_eq!(sanitize_username("John Doe"), "john.doe");
        assert_eq!(sanitize_username("  Alice  "), "alice");
        assert_eq!(sanitize_username("bob@example.com"), "bob@example.com");
        assert_eq!(sanitize_username("--weird//name!!"), "weirdname!".replace('!', ""));
        assert_eq!(sanitize_username("***"), "");
    }
}
