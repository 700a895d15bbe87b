//! JWTs as Shoebox checks them: the header and algorithm gate, JWS signatures, the ID token extras.
//!
//! The algorithm allow-list is read from the header before anything else, so an unsigned or HMAC
//! token is refused with a clear reason. The ID token checks the crate leaves to its callers (`iat`
//! in the future, `azp`, an empty `sub`) are here. Signed userinfo (any asymmetric algorithm the
//! provider lists, which the crate's userinfo verifier cannot be told) and back-channel logout
//! tokens (which the crate does not know) are verified with [`verify_jws`], with the crate's key
//! type, so one key set serves every token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm};
use openidconnect::{
    ClaimsVerificationError, JsonWebKey, JsonWebKeyAlgorithm, JwsSigningAlgorithm, SignatureVerificationError,
};
use serde_json::{Map, Value};

/// Allowed clock difference between Shoebox and the provider, in seconds.
pub const CLOCK_SKEW: i64 = 60;

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

/// The end of the year 9999 in seconds, the latest time chrono (and so the crate) can hold.
const LATEST_TIME: i64 = 253_402_300_799;

/// A time claim in seconds since 1970 (fractions dropped), `None` when absent. Anything else,
/// such as 1e300, is refused rather than clamped: `as i64` would make it i64::MAX, which the
/// time checks' arithmetic cannot take.
pub(super) fn seconds(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn an_absurd_exp_in_an_id_token_is_described_without_panicking() {
        let expired_long_ago = format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"exp":-1e300}"#));
        let refusal =
            describe_id_token_refusal(&ClaimsVerificationError::Expired("exp".into()), &expired_long_ago, 950);
        assert!(matches!(refusal, KeyedFailure::Refused(m) if m.contains("expired")));
    }
}
