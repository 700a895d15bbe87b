//! Single sign-on settings: the typed `OidcConfig`, and the checks that refuse a half or insecure setup.

use url::Url;

use super::Secret;
use super::read::{ConfigError, Reader};
use super::sources::Source;
use crate::accounts::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcPrompt {
    Login,
    Consent,
    SelectAccount,
}

impl OidcPrompt {
    pub fn as_str(self) -> &'static str {
        match self {
            OidcPrompt::Login => "login",
            OidcPrompt::Consent => "consent",
            OidcPrompt::SelectAccount => "select_account",
        }
    }
}

/// Single sign-on settings. `enabled` is true when URI, client and secret are set and not disabled.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub enabled: bool,
    /// The issuer exactly as configured (no normalisation: it must equal the discovered issuer).
    pub uri: Option<String>,
    pub client: Option<String>,
    pub secret: Option<Secret>,
    pub scopes: Vec<String>,
    pub provider: String,
    pub icon: Option<String>,
    pub redirect: bool,
    pub register: bool,
    pub username_claim: String,
    pub domains: Vec<String>,
    pub role: Role,
    pub group_claim: String,
    pub groups: Vec<String>,
    pub group_roles: Vec<(String, Role)>,
    pub prompt: Option<OidcPrompt>,
    pub logout: bool,
    pub insecure: bool,
}

impl OidcConfig {
    pub(super) fn read(r: &Reader<'_>, site_url: &Url) -> Result<OidcConfig, ConfigError> {
        let uri = r.text("OIDC_URI");
        let client = r.text("OIDC_CLIENT");
        let secret = r.secret("OIDC_SECRET");
        let disabled = r.bool("DISABLE_OIDC")?;
        let insecure = r.bool("OIDC_INSECURE")?;
        let enabled = !disabled && uri.is_some() && client.is_some() && secret.is_some();

        if uri.is_some() {
            let parsed =
                r.http_url("OIDC_URI", "not an http(s) URL: use the provider's issuer, e.g. https://auth.example.com")?;
            if enabled && parsed.scheme() != "https" && !insecure {
                return Err(r.bad(
                    "OIDC_URI",
                    "single sign-on needs an https issuer: use https, or set OIDC_INSECURE=true for local testing only",
                ));
            }
        }
        if enabled && site_url.scheme() != "https" && !insecure {
            return Err(r.bad(
                "SITE_URL",
                "single sign-on needs an https site URL: serve Shoebox over https (set SITE_URL to it), or set OIDC_INSECURE=true for local testing only",
            ));
        }

        let scopes = r.list("OIDC_SCOPES");
        if !scopes.iter().any(|s| s == "openid") {
            return Err(r.bad("OIDC_SCOPES", "must include openid, e.g. \"openid email profile\""));
        }
        let role = r.role("OIDC_ROLE")?;
        let group_roles = r.group_roles("OIDC_GROUP_ROLE")?;
        let prompt = r.choice_opt(
            "OIDC_PROMPT",
            &[
                ("login", OidcPrompt::Login),
                ("consent", OidcPrompt::Consent),
                ("select_account", OidcPrompt::SelectAccount),
            ],
            "not a prompt: use login, consent or select_account, or leave it unset",
        )?;

        if !disabled {
            half_configured_sso(
                r,
                [("OIDC_URI", uri.is_some()), ("OIDC_CLIENT", client.is_some()), ("OIDC_SECRET", secret.is_some())],
            )?;
        }
        Ok(OidcConfig {
            enabled,
            uri,
            client,
            secret,
            scopes,
            provider: r.string_or_default("OIDC_PROVIDER"),
            icon: r.text("OIDC_ICON"),
            redirect: r.bool("OIDC_REDIRECT")?,
            register: r.bool("OIDC_REGISTER")?,
            username_claim: r.string_or_default("OIDC_USERNAME"),
            domains: r
                .list("OIDC_DOMAIN")
                .into_iter()
                .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
                .collect(),
            role,
            group_claim: r.string_or_default("OIDC_GROUP_CLAIM"),
            groups: r.list("OIDC_GROUP"),
            group_roles,
            prompt,
            logout: r.bool("OIDC_LOGOUT")?,
            insecure,
        })
    }
}

/// Single sign-on needs the issuer, the client id and the secret together. With only some of
/// them it would be silently off (no button on the login page); an empty secret file from a
/// docker secret is the usual way to get there. Either is a startup error naming the variable.
fn half_configured_sso(r: &Reader<'_>, present: [(&str, bool); 3]) -> Result<(), ConfigError> {
    if present.iter().all(|(_, set)| !set) || present.iter().all(|(_, set)| *set) {
        return Ok(());
    }
    let (missing, _) = present.iter().find(|(_, set)| !set).expect("one is missing");
    let how = "single sign-on needs OIDC_URI, OIDC_CLIENT and OIDC_SECRET together: set it, \
               or set DISABLE_OIDC=true to sign in with passwords only";
    match &r.setting(missing).source {
        // Set, but to nothing: an empty variable or an empty secret file.
        Source::Env(var) if var.ends_with("_FILE") => {
            Err(ConfigError(format!("{var}: the file is empty: put the value in it, or set DISABLE_OIDC=true")))
        }
        Source::Env(var) => Err(ConfigError(format!("{var} is empty: {how}"))),
        Source::File(path) => {
            Err(ConfigError(format!("{} in {} is empty: {how}", missing.to_lowercase(), path.display())))
        }
        Source::Default => {
            // Name it the way the other single sign-on variables were given.
            let prefix = present
                .iter()
                .filter(|(_, set)| *set)
                .find_map(|(name, _)| match &r.setting(name).source {
                    Source::Env(var) if var.starts_with("PHOTOPRISM_") => Some("PHOTOPRISM_"),
                    _ => None,
                })
                .unwrap_or("SHOEBOX_");
            Err(ConfigError(format!("{prefix}{missing} is not set: {how}")))
        }
    }
}
