//! Back-channel logout tokens, which the crate does not know: type, claims and replay checks.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::jwt::{self, CLOCK_SKEW, audience_contains, seconds};
use super::{Oidc, keys};

/// The `events` member of a back-channel logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How old a logout token may be (by `iat`), beyond the clock difference. The provider sends it
/// the moment the session ends at the provider, so a few minutes is recommended practice; this is
/// generous for providers that retry a failed delivery for a while, and it bounds how long a
/// captured token can be used however far away its `exp` is.
pub const LOGOUT_TOKEN_MAX_AGE: i64 = 600;

/// A logout token's `typ` header, OpenID Connect Back-Channel Logout 1.0, section 2.4: explicitly
/// typed `logout+jwt` (media types compare case-insensitively, `application/` may be left out),
/// so that no other kind of JWT (an access token `at+jwt`, a security event `secevent+jwt`) can be
/// passed off as one. A generic `JWT` is tolerated: many providers send it, as does the
/// `jsonwebtoken` crate's default header used by the tests' fake provider. No `typ` is allowed too.
pub fn check_logout_token_type(typ: Option<&str>) -> Result<(), String> {
    let Some(typ) = typ else { return Ok(()) };
    let lower = typ.trim().to_ascii_lowercase();
    match lower.strip_prefix("application/").unwrap_or(&lower) {
        "logout+jwt" | "jwt" => Ok(()),
        _ => Err(format!("the token's typ {typ:?} is not logout+jwt")),
    }
}

/// What a logout token says, its claims checked.
#[derive(Debug)]
pub struct LogoutToken {
    pub sub: Option<String>,
    pub sid: Option<String>,
    pub jti: String,
    /// The last second the token passes the time checks: its `jti` must be remembered until then.
    pub usable_until: i64,
}

/// The rules of OpenID Connect Back-Channel Logout 1.0, section 2.6 (signature already
/// verified): the crate has no logout token support. `exp` is required (section 2.4 of 1.0
/// final), and `iat` may be at most [`LOGOUT_TOKEN_MAX_AGE`] old.
pub fn check_logout_token_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    now: i64,
) -> Result<LogoutToken, String> {
    match claims.get("iss").and_then(Value::as_str) {
        Some(i) if i == issuer => {}
        Some(i) => return Err(format!("wrong issuer: iss is {i:?}, expected {issuer:?}")),
        None => return Err("no iss claim".into()),
    }
    if !claims.contains_key("aud") {
        return Err("no aud claim".into());
    }
    if !audience_contains(claims, client_id) {
        return Err(format!("aud {} does not contain the client id {client_id:?}", claims["aud"]));
    }
    // Saturating arithmetic from here on: the times come from the provider.
    let iat = seconds(claims, "iat")?.ok_or("no iat claim")?;
    if iat > now.saturating_add(CLOCK_SKEW) {
        return Err(format!("issued in the future: iat is {} s ahead of this server's clock", iat.saturating_sub(now)));
    }
    let age_limit = iat.saturating_add(LOGOUT_TOKEN_MAX_AGE + CLOCK_SKEW);
    if now > age_limit {
        return Err(format!(
            "issued {} s ago, more than the {LOGOUT_TOKEN_MAX_AGE} s a logout token may be old",
            now.saturating_sub(iat)
        ));
    }
    let exp = seconds(claims, "exp")?.ok_or("no exp claim")?;
    if now > exp.saturating_add(CLOCK_SKEW) {
        return Err(format!("expired {} s ago", now.saturating_sub(exp)));
    }
    let event = claims.get("events").and_then(Value::as_object).and_then(|e| e.get(BACKCHANNEL_LOGOUT_EVENT));
    if !event.is_some_and(Value::is_object) {
        return Err(format!("events does not contain {BACKCHANNEL_LOGOUT_EVENT}"));
    }
    if claims.contains_key("nonce") {
        return Err("a logout token must not contain a nonce".into());
    }
    let jti = claims.get("jti").and_then(Value::as_str).filter(|j| !j.is_empty()).ok_or("no jti claim")?;
    let sub = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let sid = claims.get("sid").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    if sub.is_none() && sid.is_none() {
        return Err("the logout token names neither sub nor sid".into());
    }
    // Both time checks above pass up to here, and neither after: remembering the jti that long
    // refuses every replay, and never longer than the age bound, whatever the exp.
    let usable_until = exp.saturating_add(CLOCK_SKEW).min(age_limit);
    Ok(LogoutToken { sub, sid, jti: jti.to_string(), usable_until })
}

/// The `jti` of every logout token used, each kept until the token's time checks would refuse it.
#[derive(Default)]
pub struct UsedLogoutTokens(HashMap<String, i64>);

impl UsedLogoutTokens {
    /// Most `jti` remembered; beyond them new ones are not (a flood of valid tokens from the
    /// provider itself is the only way to get there).
    const MAX: usize = 100_000;

    /// Records the token's first use; false when it was used before (a replay).
    pub fn first_use(&mut self, token: &LogoutToken, now: i64) -> bool {
        // Kept through `usable_until` itself: the token still passes the time checks then.
        self.0.retain(|_, until| *until >= now);
        if self.0.contains_key(&token.jti) {
            return false;
        }
        if self.0.len() < Self::MAX {
            self.0.insert(token.jti.clone(), token.usable_until);
        }
        true
    }
}

impl Oidc {
    /// Verifies a back-channel logout token; returns (sub, sid), at least one of them set.
    pub async fn verify_logout_token(&self, token: &str) -> Result<(Option<String>, Option<String>), String> {
        let provider = self.provider().await.map_err(|e| e.detail)?;
        let header = jwt::checked_header(
            token,
            &jwt::allowed_algorithms(provider.metadata.id_token_signing_alg_values_supported()),
        )?;
        check_logout_token_type(header.typ.as_deref())?;
        let claims = self
            .with_keys(&provider, &header, keys::Refetch::Logout, |keys| jwt::verify_jws(token, &header, keys))
            .await?;
        let now = super::now();
        let logout = check_logout_token_claims(&claims, provider.issuer(), &self.client_id, now)?;
        if !self.used_logout_tokens.lock().expect("logout token lock").first_use(&logout, now) {
            return Err("this logout token was already used (jti replayed)".into());
        }
        Ok((logout.sub, logout.sid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn good_logout_token() -> Value {
        json!({"iss":"https://i","aud":"c","iat":900,"exp":1000,"jti":"j","sub":"s",
            "events":{BACKCHANNEL_LOGOUT_EVENT:{}}})
    }

    #[test]
    fn logout_token_rules() {
        let good = good_logout_token();
        assert!(check_logout_token_claims(&claims(good.clone()), "https://i", "c", 950).is_ok());
        let mut with_nonce = good.clone();
        with_nonce["nonce"] = json!("n");
        assert!(check_logout_token_claims(&claims(with_nonce), "https://i", "c", 950).unwrap_err().contains("nonce"));
        assert!(check_logout_token_claims(&claims(good), "https://i", "c", 1061).unwrap_err().contains("expired"));
    }

    #[test]
    fn a_logout_token_without_exp_or_issued_too_long_ago_is_refused() {
        let mut without_exp = good_logout_token();
        without_exp.as_object_mut().unwrap().remove("exp");
        assert!(check_logout_token_claims(&claims(without_exp), "https://i", "c", 950).unwrap_err().contains("no exp"));
        let mut old = good_logout_token();
        old["exp"] = json!(100_000);
        let too_late = 900 + LOGOUT_TOKEN_MAX_AGE + CLOCK_SKEW + 1;
        assert!(check_logout_token_claims(&claims(old.clone()), "https://i", "c", too_late - 1).is_ok());
        assert!(check_logout_token_claims(&claims(old), "https://i", "c", too_late).unwrap_err().contains("old"));
    }

    #[test]
    fn absurd_times_are_refused_without_panicking() {
        for (name, value) in [("exp", 1e300), ("exp", -1e300), ("iat", 1e300), ("iat", -1e300), ("iat", 1e15)] {
            let mut token = good_logout_token();
            token[name] = json!(value);
            let refusal = check_logout_token_claims(&claims(token), "https://i", "c", 950).unwrap_err();
            assert!(refusal.contains("not a time"), "{name} {value}: {refusal}");
        }
    }

    #[test]
    fn a_logout_token_typ_other_than_logout_jwt_or_jwt_is_refused() {
        for typ in [None, Some("logout+jwt"), Some("application/logout+jwt"), Some("Logout+JWT"), Some("JWT")] {
            assert!(check_logout_token_type(typ).is_ok(), "{typ:?}");
        }
        for typ in ["at+jwt", "application/at+jwt", "secevent+jwt", ""] {
            assert!(check_logout_token_type(Some(typ)).unwrap_err().contains("typ"), "{typ:?}");
        }
    }

    /// A captured token is refused as a replay at every second its time checks would pass, with
    /// the exp far away (the age bound ends it) or near (exp and the clock difference end it).
    #[test]
    fn a_used_logout_token_is_refused_for_as_long_as_it_would_otherwise_pass() {
        for exp in [1000, 100_000] {
            let mut token = good_logout_token();
            token["exp"] = json!(exp);
            let mut used = UsedLogoutTokens::default();
            let first = check_logout_token_claims(&claims(token.clone()), "https://i", "c", 900).unwrap();
            assert!(used.first_use(&first, 900));
            for now in 901..3000 {
                if let Ok(again) = check_logout_token_claims(&claims(token.clone()), "https://i", "c", now) {
                    assert!(!used.first_use(&again, now), "replayed at {now} with exp {exp}");
                }
            }
        }
    }
}
