//! The provider's key set: fetched on first use, fetched again (rate-limited) for an unknown key.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use openidconnect::core::CoreJsonWebKeySet;

use super::jwt::{self, KeyedFailure};
use super::{Oidc, Provider, describe};

impl Oidc {
    /// Verifies a token against the provider's keys with `verify`; when no key fits, the keys are
    /// fetched again once (rate-limited per kind of token) and `verify` runs again.
    pub(super) async fn with_keys<T>(
        &self,
        provider: &Provider,
        header: &jwt::JwtHeader,
        kind: Refetch,
        verify: impl Fn(&CoreJsonWebKeySet) -> Result<T, KeyedFailure>,
    ) -> Result<T, String> {
        let jwks_uri = provider.metadata.jwks_uri().as_str();
        let mut cache = self.keys.lock().await;
        let keys = cache.current(&self.http, jwks_uri).await?;
        match verify(&keys) {
            Ok(v) => return Ok(v),
            Err(KeyedFailure::Refused(e)) => return Err(e),
            Err(KeyedFailure::NoMatchingKey) => {}
        }
        if let Some(keys) = cache.refetched(&self.http, jwks_uri, header.kid.as_deref(), kind).await? {
            match verify(&keys) {
                Ok(v) => return Ok(v),
                Err(KeyedFailure::Refused(e)) => return Err(e),
                Err(KeyedFailure::NoMatchingKey) => {}
            }
        }
        Err(format!(
            "no key in the provider's key set matches the token (kid {:?}, alg {})",
            header.kid.as_deref().unwrap_or("none"),
            jwt::algorithm_name(&header.alg)
        ))
    }
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
        .map_err(|e| format!("cannot fetch the provider's keys from {jwks_uri}: {}", describe(&e)))?;
    if !r.status().is_success() {
        return Err(format!("the provider's key set {jwks_uri} answered HTTP {}", r.status()));
    }
    let body = r.bytes().await.map_err(|e| format!("the provider's key set {jwks_uri}: {}", describe(&e)))?;
    serde_json::from_slice(&body).map_err(|e| format!("the provider's key set {jwks_uri} is not a JWK set: {e}"))
}

/// A bounded log of recent events, for rate limits.
#[derive(Default)]
pub(crate) struct RecentEvents(VecDeque<Instant>);

impl RecentEvents {
    /// Records an event now unless `max` already happened within `window`.
    pub(crate) fn try_record(&mut self, max: usize, window: Duration) -> bool {
        let now = Instant::now();
        while self.0.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.0.pop_front();
        }
        if self.0.len() >= max {
            return false;
        }
        self.0.push_back(now);
        true
    }
}
