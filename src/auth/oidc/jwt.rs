//! JWT checks for single sign-on: the algorithm allow-list (asymmetric only, never `none` or
//! HMAC), the provider's key set with a rate-limited re-fetch on an unknown key, and the claim
//! rules of ID tokens and back-channel logout tokens.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::RecentEvents;

/// Allowed clock difference between Shoebox and the provider, in seconds.
pub const CLOCK_SKEW: i64 = 60;
/// The `events` member of a back-channel logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Signature algorithms verified with the provider's public keys.
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The asymmetric algorithms the provider lists; RS256 when it lists none (the OpenID default).
pub fn allowed_algorithms(listed: &[String]) -> Vec<Algorithm> {
    let algs: Vec<Algorithm> =
        listed.iter().filter_map(|a| Algorithm::from_str(a).ok()).filter(|a| ASYMMETRIC.contains(a)).collect();
    if algs.is_empty() { vec![Algorithm::RS256] } else { algs }
}

pub struct JwtHeader {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

/// Reads the header and refuses unsigned tokens, HMAC tokens and algorithms not allowed.
pub fn checked_header(token: &str, allowed: &[Algorithm]) -> Result<JwtHeader, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("not a signed JWT (it needs three dot-separated parts; encrypted tokens are not supported)".into());
    }
    let raw = URL_SAFE_NO_PAD
        .decode(parts[0].trim_end_matches('='))
        .map_err(|_| "the JWT header is not base64url".to_string())?;
    let header: Map<String, Value> =
        serde_json::from_slice(&raw).map_err(|_| "the JWT header is not a JSON object".to_string())?;
    let alg_text = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg_text.is_empty() || alg_text.eq_ignore_ascii_case("none") {
        return Err("unsigned token (alg none) refused".into());
    }
    if alg_text.to_ascii_uppercase().starts_with("HS") {
        return Err(format!(
            "token signed with the shared-secret algorithm {alg_text} refused: only the provider's public keys are trusted"
        ));
    }
    let alg = Algorithm::from_str(alg_text).map_err(|_| format!("unsupported signature algorithm {alg_text:?}"))?;
    if !allowed.contains(&alg) {
        return Err(format!("signature algorithm {alg_text} is not allowed (allowed: {allowed:?})"));
    }
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_string);
    Ok(JwtHeader { alg, kid })
}

/// Checks the signature with each candidate key; the first that verifies wins.
pub fn verify_with(token: &str, alg: Algorithm, keys: &[DecodingKey]) -> Result<Map<String, Value>, String> {
    let mut validation = Validation::new(alg);
    // The claims are checked by the callers, with messages of their own.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    for key in keys {
        match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
            Ok(data) => return Ok(data.claims),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => continue,
            Err(e) => return Err(format!("the token cannot be verified: {e}")),
        }
    }
    Err("bad signature: no key of the provider verifies this token".into())
}

struct KeyEntry {
    kid: Option<String>,
    alg: Option<String>,
    kty: String,
    key: DecodingKey,
}

fn family_matches(kty: &str, alg: Algorithm) -> bool {
    match alg {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => kty == "RSA",
        Algorithm::ES256 | Algorithm::ES384 => kty == "EC",
        Algorithm::EdDSA => kty == "OKP",
        _ => false,
    }
}

/// The provider's key set, fetched on first use and again (rate-limited) when a token names a
/// key that is not in it: that is how a signing-key rotation is picked up.
#[derive(Default)]
pub struct KeyCache {
    loaded: bool,
    keys: Vec<KeyEntry>,
    refetches: RecentEvents,
    refetched_for: HashMap<String, Instant>,
}

/// The same unknown key id causes at most one re-fetch in this period.
const SAME_KID_GAP: Duration = Duration::from_secs(300);
/// And all re-fetches together at most this many per minute.
const REFETCHES_PER_MINUTE: usize = 6;

impl KeyCache {
    fn matching(&self, header: &JwtHeader) -> Vec<DecodingKey> {
        let alg_name = format!("{:?}", header.alg);
        self.keys
            .iter()
            .filter(|k| family_matches(&k.kty, header.alg))
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg_name))
            .filter(|k| match (&header.kid, &k.kid) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            })
            .map(|k| k.key.clone())
            .collect()
    }

    pub async fn candidates(
        &mut self,
        http: &reqwest::Client,
        jwks_uri: &str,
        header: &JwtHeader,
    ) -> Result<Vec<DecodingKey>, String> {
        if !self.loaded {
            self.fetch(http, jwks_uri).await?;
        }
        let found = self.matching(header);
        if !found.is_empty() {
            return Ok(found);
        }
        if self.may_refetch(header.kid.as_deref().unwrap_or("")) {
            tracing::info!(
                kid = header.kid.as_deref().unwrap_or(""),
                "single sign-on: unknown signing key, fetching the provider's keys again"
            );
            self.fetch(http, jwks_uri).await?;
            let found = self.matching(header);
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Err(format!(
            "no key in the provider's key set matches the token (kid {:?}, alg {:?})",
            header.kid.as_deref().unwrap_or("none"),
            header.alg
        ))
    }

    fn may_refetch(&mut self, kid: &str) -> bool {
        let now = Instant::now();
        self.refetched_for.retain(|_, t| now.duration_since(*t) < SAME_KID_GAP);
        if self.refetched_for.contains_key(kid) {
            return false;
        }
        if !self.refetches.try_record(REFETCHES_PER_MINUTE, Duration::from_secs(60)) {
            return false;
        }
        if self.refetched_for.len() < 10_000 {
            self.refetched_for.insert(kid.to_string(), now);
        }
        true
    }

    async fn fetch(&mut self, http: &reqwest::Client, jwks_uri: &str) -> Result<(), String> {
        let r = http
            .get(jwks_uri)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("cannot fetch the provider's keys from {jwks_uri}: {}", super::describe(&e)))?;
        if !r.status().is_success() {
            return Err(format!("the provider's key set {jwks_uri} answered HTTP {}", r.status()));
        }
        let set: Map<String, Value> =
            r.json().await.map_err(|e| format!("the provider's key set {jwks_uri} is not JSON: {e}"))?;
        let mut keys = Vec::new();
        for v in set.get("keys").and_then(Value::as_array).into_iter().flatten() {
            if v.get("use").and_then(Value::as_str) == Some("enc") {
                continue;
            }
            let kty = v.get("kty").and_then(Value::as_str).unwrap_or_default().to_string();
            let Ok(jwk) = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(v.clone()) else { continue };
            let Ok(key) = DecodingKey::from_jwk(&jwk) else { continue };
            keys.push(KeyEntry {
                kid: v.get("kid").and_then(Value::as_str).map(str::to_string),
                alg: v.get("alg").and_then(Value::as_str).map(str::to_string),
                kty,
                key,
            });
        }
        self.keys = keys;
        self.loaded = true;
        Ok(())
    }
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_f64).map(|f| f as i64)
}

/// `aud` is a string or an array of strings; true when it names `client_id`.
pub fn audience_contains(claims: &Map<String, Value>, client_id: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(s)) => s == client_id,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(client_id)),
        _ => false,
    }
}

fn check_common(claims: &Map<String, Value>, issuer: &str, client_id: &str, now: i64) -> Result<(), String> {
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
    let iat = number(claims, "iat").ok_or("no iat claim")?;
    if iat > now + CLOCK_SKEW {
        return Err(format!("issued in the future: iat is {} s ahead of this server's clock", iat - now));
    }
    if let Some(exp) = number(claims, "exp")
        && now > exp + CLOCK_SKEW
    {
        return Err(format!("expired {} s ago", now - exp));
    }
    Ok(())
}

/// The ID token rules of OpenID Connect Core 3.1.3.7 (signature already verified).
pub fn check_id_token_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<(), String> {
    if number(claims, "exp").is_none() {
        return Err("no exp claim".into());
    }
    check_common(claims, issuer, client_id, now)?;
    if let Some(azp) = claims.get("azp")
        && azp.as_str() != Some(client_id)
    {
        return Err(format!("azp {azp} is not the client id {client_id:?}"));
    }
    match claims.get("sub").and_then(Value::as_str) {
        Some(s) if !s.is_empty() => {}
        _ => return Err("no sub claim".into()),
    }
    match claims.get("nonce").and_then(Value::as_str) {
        Some(n) if !nonce.is_empty() && n == nonce => Ok(()),
        Some(_) => Err("nonce mismatch: the token was not issued for this sign-in".into()),
        None => Err("no nonce claim".into()),
    }
}

/// The logout token rules of OpenID Connect Back-Channel Logout 1.0, section 2.6.
/// Returns (sub, sid, jti, exp).
#[allow(clippy::type_complexity)]
pub fn check_logout_token_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    now: i64,
) -> Result<(Option<String>, Option<String>, String, Option<i64>), String> {
    check_common(claims, issuer, client_id, now)?;
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
    Ok((sub, sid, jti.to_string(), number(claims, "exp")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn only_asymmetric_algorithms_from_discovery_are_allowed() {
        let listed: Vec<String> = ["HS256", "RS256", "ES256", "none"].iter().map(|s| s.to_string()).collect();
        assert_eq!(allowed_algorithms(&listed), vec![Algorithm::RS256, Algorithm::ES256]);
        assert_eq!(allowed_algorithms(&[]), vec![Algorithm::RS256]);
    }

    #[test]
    fn id_token_rules() {
        let good = json!({"iss":"https://i","aud":["c"],"exp":1000,"iat":900,"sub":"s","nonce":"n","azp":"c"});
        assert!(check_id_token_claims(&claims(good.clone()), "https://i", "c", "n", 950).is_ok());
        let mut wrong_azp = good.clone();
        wrong_azp["azp"] = json!("other");
        assert!(check_id_token_claims(&claims(wrong_azp), "https://i", "c", "n", 950).unwrap_err().contains("azp"));
        assert!(
            check_id_token_claims(&claims(good.clone()), "https://i", "c", "n", 1061).unwrap_err().contains("expired")
        );
        assert!(check_id_token_claims(&claims(good), "https://i", "c", "n", 839).unwrap_err().contains("future"));
    }
}
