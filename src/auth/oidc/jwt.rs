//! The token checks that are Shoebox's own, around the `openidconnect` crate's: the algorithm
//! allow-list read from the header before anything else (so an unsigned or HMAC token is refused
//! with a clear reason), the provider's key set with a rate-limited re-fetch on an unknown key,
//! and the ID token checks the crate leaves to its callers (`iat` in the future, `azp`, an empty
//! `sub`). Signed userinfo (any asymmetric algorithm the provider lists, which the crate's
//! userinfo verifier cannot be told) and back-channel logout tokens (which the crate does not
//! know) are verified here, with the crate's key type, so one key set serves every token.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm};
use openidconnect::{
    ClaimsVerificationError, JsonWebKey, JsonWebKeyAlgorithm, JwsSigningAlgorithm, SignatureVerificationError,
};
use serde_json::{Map, Value};

use super::RecentEvents;

/// Allowed clock difference between Shoebox and the provider, in seconds.
pub const CLOCK_SKEW: i64 = 60;
/// The `events` member of a back-channel logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Signature algorithms verified with the provider's public keys.
const ASYMMETRIC: &[CoreJwsSigningAlgorithm] = &[
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The asymmetric algorithms the provider lists; RS256 when it lists none (the OpenID default).
pub fn allowed_algorithms(listed: &[CoreJwsSigningAlgorithm]) -> Vec<CoreJwsSigningAlgorithm> {
    let algs: Vec<CoreJwsSigningAlgorithm> = listed.iter().filter(|a| ASYMMETRIC.contains(a)).cloned().collect();
    if algs.is_empty() { vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256] } else { algs }
}

/// The name an algorithm has in a JWT header, e.g. `RS256`.
pub fn algorithm_name(alg: &CoreJwsSigningAlgorithm) -> String {
    serde_json::to_value(alg).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{alg:?}"))
}

fn algorithm_names(algs: &[CoreJwsSigningAlgorithm]) -> String {
    algs.iter().map(algorithm_name).collect::<Vec<_>>().join(", ")
}

#[derive(Debug)]
pub struct JwtHeader {
    pub alg: CoreJwsSigningAlgorithm,
    pub kid: Option<String>,
    /// The `typ` header, when it is text.
    pub typ: Option<String>,
}

/// A compact JWS split into its parts, nothing verified yet.
struct Parts<'a> {
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn split(token: &str) -> Result<Parts<'_>, String> {
    let pieces: Vec<&str> = token.split('.').collect();
    if pieces.len() != 3 {
        return Err("not a signed JWT (it needs three dot-separated parts; encrypted tokens are not supported)".into());
    }
    let signing_input = &token[..pieces[0].len() + 1 + pieces[1].len()];
    Ok(Parts { signing_input, payload: pieces[1], signature: pieces[2] })
}

/// Reads the header and refuses unsigned tokens, HMAC tokens and algorithms not allowed.
pub fn checked_header(token: &str, allowed: &[CoreJwsSigningAlgorithm]) -> Result<JwtHeader, String> {
    let header_part = token.split('.').next().unwrap_or_default();
    split(token)?;
    let raw = URL_SAFE_NO_PAD
        .decode(header_part.trim_end_matches('='))
        .map_err(|_| "the JWT header is not base64url".to_string())?;
    let header: Map<String, Value> =
        serde_json::from_slice(&raw).map_err(|_| "the JWT header is not a JSON object".to_string())?;
    let alg_text = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg_text.is_empty() || alg_text.eq_ignore_ascii_case("none") {
        return Err("unsigned token (alg none) refused".into());
    }
    if alg_text.to_ascii_uppercase().starts_with("HS") {
        return Err(format!(
            "token signed with the shared-secret algorithm {alg_text:?} refused: only the provider's public keys are trusted"
        ));
    }
    let alg: CoreJwsSigningAlgorithm = serde_json::from_value(Value::String(alg_text.to_string()))
        .map_err(|_| format!("unsupported signature algorithm {alg_text:?}"))?;
    if !allowed.contains(&alg) {
        return Err(format!("signature algorithm {alg_text:?} is not allowed (allowed: {})", algorithm_names(allowed)));
    }
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_string);
    let typ = header.get("typ").and_then(Value::as_str).map(str::to_string);
    Ok(JwtHeader { alg, kid, typ })
}

/// The claims of a JWT, read without any check: only for saying why a token was refused, and
/// for the claims of a token whose signature was verified.
pub fn unverified_claims(token: &str) -> Result<Map<String, Value>, String> {
    let parts = split(token)?;
    let raw = URL_SAFE_NO_PAD
        .decode(parts.payload.trim_end_matches('='))
        .map_err(|_| "the JWT payload is not base64url".to_string())?;
    serde_json::from_slice(&raw).map_err(|_| "the JWT payload is not a JSON object".to_string())
}

/// Why verifying with one key set failed: `NoMatchingKey` is worth fetching the keys again for.
pub enum KeyedFailure {
    NoMatchingKey,
    Refused(String),
}

/// Whether `key` may check a signature made with `alg`: a signing key (or one without a use) of
/// the algorithm's family, and of that very algorithm when the key names one. The same rule as
/// the crate's own key selection for ID tokens.
fn key_fits(key: &CoreJsonWebKey, kid: Option<&str>, alg: &CoreJwsSigningAlgorithm) -> bool {
    if kid.is_some_and(|want| key.key_id().is_none_or(|have| have.as_str() != want)) {
        return false;
    }
    if key.key_use().is_some_and(|u| *u != CoreJsonWebKeyUse::Signature) {
        return false;
    }
    if alg.key_type().as_ref() != Some(key.key_type()) {
        return false;
    }
    match key.signing_alg() {
        JsonWebKeyAlgorithm::Unspecified => true,
        JsonWebKeyAlgorithm::Algorithm(a) => a == alg,
        JsonWebKeyAlgorithm::Unsupported => false,
    }
}

/// Checks a JWS signature (signed userinfo, logout tokens) with the keys that fit its header;
/// without a `kid` each fitting key is tried. Returns the claims.
pub fn verify_jws(
    token: &str,
    header: &JwtHeader,
    keys: &CoreJsonWebKeySet,
) -> Result<Map<String, Value>, KeyedFailure> {
    let parts = split(token).map_err(KeyedFailure::Refused)?;
    let signature = URL_SAFE_NO_PAD
        .decode(parts.signature.trim_end_matches('='))
        .map_err(|_| KeyedFailure::Refused("the JWT signature is not base64url".into()))?;
    let candidates: Vec<&CoreJsonWebKey> =
        keys.keys().iter().filter(|k| key_fits(k, header.kid.as_deref(), &header.alg)).collect();
    if candidates.is_empty() {
        return Err(KeyedFailure::NoMatchingKey);
    }
    let verified = candidates
        .iter()
        .any(|key| key.verify_signature(&header.alg, parts.signing_input.as_bytes(), &signature).is_ok());
    if !verified {
        return Err(KeyedFailure::Refused("bad signature: no key of the provider verifies this token".into()));
    }
    unverified_claims(token).map_err(KeyedFailure::Refused)
}

/// The message for an ID token the crate refused. Missing claims are named the way they are in
/// the audit log since before the crate (`no aud claim`), read from the unverified payload only
/// to say why the token was refused.
pub fn describe_id_token_refusal(e: &ClaimsVerificationError, token: &str, now: i64) -> KeyedFailure {
    let claims = unverified_claims(token).unwrap_or_default();
    let text = match e {
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            return KeyedFailure::NoMatchingKey;
        }
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::CryptoError(m)) => {
            format!("bad signature: {m}")
        }
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::AmbiguousKeyId(m)) => format!(
            "the token names no key (kid) and several keys of the provider fit, so it cannot be told which \
             one signed it: {m}"
        ),
        ClaimsVerificationError::SignatureVerification(other) => format!("the signature cannot be verified: {other}"),
        ClaimsVerificationError::InvalidIssuer(m) => {
            if claims.contains_key("iss") {
                format!("wrong issuer: {m}")
            } else {
                "no iss claim".into()
            }
        }
        ClaimsVerificationError::InvalidAudience(m) => {
            if claims.contains_key("aud") {
                format!("aud {m}")
            } else {
                "no aud claim".into()
            }
        }
        ClaimsVerificationError::Expired(m) => match seconds(&claims, "exp") {
            Ok(Some(exp)) => format!("expired {} s ago", now.saturating_sub(exp)),
            _ => format!("expired: {m}"),
        },
        ClaimsVerificationError::InvalidNonce(m) => m.clone(),
        other => other.to_string(),
    };
    KeyedFailure::Refused(text)
}

/// Says which required claim an ID token the crate cannot parse lacks, or else why it cannot.
pub fn describe_unreadable_id_token(token: &str, parse_error: &serde_json::Error) -> String {
    let claims = match unverified_claims(token) {
        Ok(c) => c,
        Err(e) => return e,
    };
    for name in ["iss", "aud", "exp", "iat", "sub"] {
        if !claims.contains_key(name) {
            return format!("no {name} claim");
        }
    }
    format!("the ID token cannot be read: {parse_error}")
}

/// The ID token checks the crate leaves to its callers, on claims it has verified.
pub fn check_id_token_extras(
    subject: &str,
    authorized_party: Option<&str>,
    issued_at: i64,
    client_id: &str,
    now: i64,
) -> Result<(), String> {
    if issued_at > now + CLOCK_SKEW {
        return Err(format!(
            "issued in the future: iat is {} s ahead of this server's clock",
            issued_at.saturating_sub(now)
        ));
    }
    // The crate leaves `azp` alone (OpenID Connect Core is unclear about it); one naming another
    // client means the token was issued to that client.
    if let Some(azp) = authorized_party
        && azp != client_id
    {
        return Err(format!("azp {azp:?} is not the client id {client_id:?}"));
    }
    if subject.is_empty() {
        return Err("no sub claim".into());
    }
    Ok(())
}

/// The provider's key set, fetched on first use and again (rate-limited) when a token names a
/// key that is not in it: that is how a signing-key rotation is picked up.
#[derive(Default)]
pub struct KeyCache {
    keys: Option<CoreJsonWebKeySet>,
    sign_in: RefetchAllowance,
    logout: RefetchAllowance,
}

/// Which kind of token asks for the keys to be fetched again. Each kind has its own allowance,
/// so that tokens anyone can send cannot use up the re-fetches a sign-in needs after a rotation.
#[derive(Clone, Copy, Debug)]
pub enum Refetch {
    /// An ID token or signed userinfo: only reachable with a code the provider has just issued.
    SignIn,
    /// A back-channel logout token: anyone can post one, and it is checked only after the key
    /// is found. It still may re-fetch (a little): without that, the first logout after a
    /// rotation, before anyone signed in again, would be refused and leave the sessions open.
    Logout,
}

impl Refetch {
    /// Re-fetches a minute for this kind of token.
    fn per_minute(self) -> usize {
        match self {
            Refetch::SignIn => 6,
            Refetch::Logout => 2,
        }
    }
}

/// The same unknown key id causes at most one re-fetch in this period (per kind of token).
const SAME_KID_GAP: Duration = Duration::from_secs(300);

/// The re-fetches one kind of token has used recently, in all and per key id.
#[derive(Default)]
struct RefetchAllowance {
    recent: RecentEvents,
    refetched_for: HashMap<String, Instant>,
}

impl RefetchAllowance {
    fn try_use(&mut self, kid: &str, per_minute: usize) -> bool {
        let now = Instant::now();
        self.refetched_for.retain(|_, t| now.duration_since(*t) < SAME_KID_GAP);
        if self.refetched_for.contains_key(kid) {
            return false;
        }
        if !self.recent.try_record(per_minute, Duration::from_secs(60)) {
            return false;
        }
        if self.refetched_for.len() < 10_000 {
            self.refetched_for.insert(kid.to_string(), now);
        }
        true
    }
}

impl KeyCache {
    /// The keys, fetched now if this is the first use.
    pub async fn current(&mut self, http: &reqwest::Client, jwks_uri: &str) -> Result<CoreJsonWebKeySet, String> {
        if let Some(keys) = &self.keys {
            return Ok(keys.clone());
        }
        let keys = fetch(http, jwks_uri).await?;
        self.keys = Some(keys.clone());
        Ok(keys)
    }

    /// The keys fetched again for a token naming `kid`, or `None` when that would hammer the
    /// provider: the same kid again within 5 minutes, or more re-fetches a minute than `kind`
    /// is allowed.
    pub async fn refetched(
        &mut self,
        http: &reqwest::Client,
        jwks_uri: &str,
        kid: Option<&str>,
        kind: Refetch,
    ) -> Result<Option<CoreJsonWebKeySet>, String> {
        let allowance = match kind {
            Refetch::SignIn => &mut self.sign_in,
            Refetch::Logout => &mut self.logout,
        };
        if !allowance.try_use(kid.unwrap_or(""), kind.per_minute()) {
            return Ok(None);
        }
        tracing::info!(
            kid = kid.unwrap_or(""),
            token = ?kind,
            "single sign-on: unknown signing key, fetching the provider's keys again"
        );
        let keys = fetch(http, jwks_uri).await?;
        self.keys = Some(keys.clone());
        Ok(Some(keys))
    }
}

/// Fetches the key set; keys the crate cannot read are skipped, not fatal.
async fn fetch(http: &reqwest::Client, jwks_uri: &str) -> Result<CoreJsonWebKeySet, String> {
    let r = http
        .get(jwks_uri)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("cannot fetch the provider's keys from {jwks_uri}: {}", super::describe(&e)))?;
    if !r.status().is_success() {
        return Err(format!("the provider's key set {jwks_uri} answered HTTP {}", r.status()));
    }
    let body = r.bytes().await.map_err(|e| format!("the provider's key set {jwks_uri}: {}", super::describe(&e)))?;
    serde_json::from_slice(&body).map_err(|e| format!("the provider's key set {jwks_uri} is not a JWK set: {e}"))
}

/// The end of the year 9999 in seconds, the latest time chrono (and so the crate) can hold.
const LATEST_TIME: i64 = 253_402_300_799;

/// A time claim in seconds since 1970 (fractions dropped), `None` when absent. Anything else,
/// such as 1e300, is refused rather than clamped: `as i64` would make it i64::MAX, which the
/// time checks' arithmetic cannot take.
fn seconds(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    let Some(value) = claims.get(name) else { return Ok(None) };
    match value.as_f64() {
        Some(f) if (0.0..=LATEST_TIME as f64).contains(&f) => Ok(Some(f as i64)),
        _ => Err(format!("{name} is not a time in seconds: {value}")),
    }
}

/// `aud` is a string or an array of strings; true when it names `client_id`.
pub fn audience_contains(claims: &Map<String, Value>, client_id: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(s)) => s == client_id,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(client_id)),
        _ => false,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn algs(names: &[&str]) -> Vec<CoreJwsSigningAlgorithm> {
        names.iter().filter_map(|n| serde_json::from_value(json!(n)).ok()).collect()
    }

    #[test]
    fn only_asymmetric_algorithms_from_discovery_are_allowed() {
        assert_eq!(allowed_algorithms(&algs(&["HS256", "RS256", "ES256", "none"])), algs(&["RS256", "ES256"]));
        assert_eq!(allowed_algorithms(&[]), algs(&["RS256"]));
        assert_eq!(algorithm_name(&CoreJwsSigningAlgorithm::EdDsa), "EdDSA");
    }

    #[test]
    fn the_header_gate_names_what_it_refuses() {
        let header = |h: Value| format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(h.to_string()));
        let rs256 = algs(&["RS256"]);
        assert!(checked_header(&header(json!({"alg": "none"})), &rs256).unwrap_err().contains("alg none"));
        assert!(checked_header(&header(json!({"alg": "HS256"})), &rs256).unwrap_err().contains("HS256"));
        assert!(checked_header(&header(json!({"alg": "ES256"})), &rs256).unwrap_err().contains("not allowed"));
        let forged = checked_header(&header(json!({"alg": "HS\nforged"})), &rs256).unwrap_err();
        assert!(forged.contains(r#""HS\nforged""#) && !forged.contains('\n'), "escaped for the log: {forged}");
        let ok = checked_header(&header(json!({"alg": "RS256", "kid": "k"})), &rs256).unwrap();
        assert_eq!(ok.kid.as_deref(), Some("k"));
    }

    #[test]
    fn the_checks_left_to_shoebox() {
        assert!(check_id_token_extras("s", Some("c"), 900, "c", 950).is_ok());
        assert!(check_id_token_extras("s", None, 1010, "c", 950).is_ok(), "within the clock skew");
        assert!(check_id_token_extras("s", Some("other"), 900, "c", 950).unwrap_err().contains("azp"));
        assert!(check_id_token_extras("s", None, 1011, "c", 950).unwrap_err().contains("future"));
        assert!(check_id_token_extras("", None, 900, "c", 950).unwrap_err().contains("no sub"));
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
        let expired_long_ago = format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"exp":-1e300}"#));
        let refusal =
            describe_id_token_refusal(&ClaimsVerificationError::Expired("exp".into()), &expired_long_ago, 950);
        assert!(matches!(refusal, KeyedFailure::Refused(m) if m.contains("expired")));
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
