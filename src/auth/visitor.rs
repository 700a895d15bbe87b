//! What Shoebox remembers about a visitor who is not signed in: the sign-in form's CSRF token
//! and the single sign-ons they started. It lives in an encrypted, HttpOnly cookie, never in the
//! session store, so anonymous visits (a `/login` view, a started sign-in that never comes back)
//! write nothing on the server and cannot grow the database. A session row is created only when
//! someone signs in.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::error::AppError;
use crate::state::AppState;

pub const COOKIE: &str = "shoebox_visitor";
/// The cookie and its CSRF token last a day; a sign-in form left open longer asks for a reload.
const LIFETIME_SECS: i64 = 86_400;
/// A started single sign-on must come back within this many seconds.
pub const PENDING_TTL: i64 = 600;
/// Several tabs may each start a sign-in; older ones beyond this are forgotten.
const MAX_PENDING: usize = 5;
/// Longer `next` targets are dropped rather than stored, so the cookie stays well under the
/// browsers' 4 KB limit with every pending sign-in filled.
const MAX_NEXT_LEN: usize = 512;

/// The key that encrypts and authenticates the cookie (AES-256-GCM), kept in
/// `STORAGE_PATH/visitor.key` so a restart does not void forms and sign-ins in progress.
pub fn load_key(storage: &std::path::Path) -> anyhow::Result<Key> {
    let bytes = crate::library::atomic::secret_key(
        &storage.join("visitor.key"),
        64,
        "sign-in forms and single sign-ons in progress must then be started again",
    )?;
    Ok(Key::from(&bytes))
}

/// A single sign-on that was started and has not come back yet. Single use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub verifier: Option<String>,
    pub next: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    csrf: Option<Token>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<PendingSignIn>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    value: String,
    issued_at: i64,
}

#[derive(Debug, Default)]
struct Slot {
    contents: Contents,
    changed: bool,
}

/// This request's visitor state; changes are written back as the response's cookie.
#[derive(Debug, Clone, Default)]
pub struct Visitor(Arc<Mutex<Slot>>);

impl Visitor {
    fn with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The visitor's CSRF token, issued (and the cookie set) on first use.
    pub fn csrf_token(&self) -> String {
        let now = db::now();
        self.with(|slot| {
            if let Some(t) = &slot.contents.csrf
                && now - t.issued_at < LIFETIME_SECS
            {
                return t.value.clone();
            }
            let token = Token { value: super::csrf::new_token(), issued_at: now };
            slot.contents.csrf = Some(token.clone());
            slot.changed = true;
            token.value
        })
    }

    /// The token issued earlier, if it has not expired; never issues one.
    pub fn issued_csrf_token(&self) -> Option<String> {
        let now = db::now();
        self.with(|slot| {
            slot.contents.csrf.as_ref().filter(|t| now - t.issued_at < LIFETIME_SECS).map(|t| t.value.clone())
        })
    }

    /// Remembers a started single sign-on (forgetting expired and the oldest beyond five).
    pub fn push_pending(&self, mut pending: PendingSignIn) {
        if pending.next.as_ref().is_some_and(|n| n.len() > MAX_NEXT_LEN) {
            pending.next = None;
        }
        let now = pending.created_at;
        self.with(|slot| {
            let list = &mut slot.contents.pending;
            list.retain(|p| now - p.created_at < PENDING_TTL);
            list.push(pending);
            if list.len() > MAX_PENDING {
                list.remove(0);
            }
            slot.changed = true;
        })
    }

    /// Takes the pending sign-in named by `state` out (single use), if there is one.
    pub fn take_pending(&self, state: &str) -> Option<PendingSignIn> {
        self.with(|slot| {
            let list = &mut slot.contents.pending;
            let i = list.iter().position(|p| p.state.as_bytes() == state.as_bytes())?;
            slot.changed = true;
            Some(list.remove(i))
        })
    }

    /// Forgets everything: once signed in, the session holds what is needed.
    pub fn clear(&self) {
        self.with(|slot| {
            if slot.contents.csrf.is_some() || !slot.contents.pending.is_empty() {
                slot.contents = Contents::default();
                slot.changed = true;
            }
        })
    }

    fn from_cookie(key: &Key, headers: &axum::http::HeaderMap) -> Visitor {
        let mut jar = CookieJar::new();
        for value in headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            for c in Cookie::split_parse(value).flatten() {
                if c.name() == COOKIE {
                    jar.add_original(c.into_owned());
                }
            }
        }
        // A cookie that does not decrypt (tampered, or from before the key changed) counts as
        // no cookie: the visitor reloads the form or starts the sign-in again.
        let contents = jar
            .private(key)
            .get(COOKIE)
            .and_then(|c| serde_json::from_str::<Contents>(c.value()).ok())
            .unwrap_or_default();
        Visitor(Arc::new(Mutex::new(Slot { contents, changed: false })))
    }

    fn set_cookie(&self, key: &Key, secure: bool) -> Option<HeaderValue> {
        let (changed, json, empty) = self.with(|slot| {
            let empty = slot.contents.csrf.is_none() && slot.contents.pending.is_empty();
            (slot.changed, serde_json::to_string(&slot.contents).unwrap_or_default(), empty)
        });
        if !changed {
            return None;
        }
        let base = |value: String| {
            Cookie::build((COOKIE, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(secure)
        };
        let cookie = if empty {
            base(String::new()).max_age(time::Duration::ZERO).build()
        } else {
            let mut jar = CookieJar::new();
            jar.private_mut(key).add(base(json).max_age(time::Duration::seconds(LIFETIME_SECS)).build());
            jar.get(COOKIE)?.clone()
        };
        HeaderValue::from_str(&cookie.to_string()).ok()
    }
}

/// Middleware: reads the visitor cookie into the request and writes it back when it changed.
pub async fn carry(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let visitor = Visitor::from_cookie(&state.visitor_key, request.headers());
    request.extensions_mut().insert(visitor.clone());
    let mut response = next.run(request).await;
    if let Some(cookie) = visitor.set_cookie(&state.visitor_key, state.config.site_is_https()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the visitor cookie layer is missing")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(key: &Key, v: &Visitor) -> Visitor {
        let set = v.set_cookie(key, false).expect("a changed visitor sets its cookie");
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {pair}")).unwrap());
        Visitor::from_cookie(key, &headers)
    }

    fn pending(state: &str, created_at: i64) -> PendingSignIn {
        PendingSignIn { state: state.into(), nonce: "n".into(), verifier: None, next: None, created_at }
    }

    #[test]
    fn the_cookie_carries_the_token_and_pending_sign_ins_and_only_this_key_opens_it() {
        let key = Key::generate();
        let v = Visitor::default();
        let token = v.csrf_token();
        v.push_pending(pending("s1", db::now()));
        let back = round_trip(&key, &v);
        assert_eq!(back.issued_csrf_token().as_deref(), Some(token.as_str()));
        assert!(back.take_pending("s1").is_some());
        assert!(back.take_pending("s1").is_none(), "single use");

        let mut headers = axum::http::HeaderMap::new();
        let set = v.set_cookie(&Key::generate(), false).unwrap();
        headers
            .insert(header::COOKIE, HeaderValue::from_str(set.to_str().unwrap().split(';').next().unwrap()).unwrap());
        assert!(Visitor::from_cookie(&key, &headers).issued_csrf_token().is_none(), "another key's cookie is ignored");
    }

    #[test]
    fn at_most_five_sign_ins_wait_and_long_next_targets_are_dropped() {
        let v = Visitor::default();
        let now = db::now();
        for i in 0..7 {
            v.push_pending(pending(&format!("s{i}"), now));
        }
        assert!(v.take_pending("s0").is_none() && v.take_pending("s1").is_none());
        assert!(v.take_pending("s6").is_some());
        let mut long = pending("long", now);
        long.next = Some(format!("/{}", "a".repeat(2000)));
        v.push_pending(long);
        assert_eq!(v.take_pending("long").unwrap().next, None);
    }

    #[test]
    fn an_unchanged_visitor_sets_no_cookie_and_a_cleared_one_removes_it() {
        let key = Key::generate();
        assert!(Visitor::default().set_cookie(&key, false).is_none());
        let v = Visitor::default();
        v.csrf_token();
        let back = round_trip(&key, &v);
        back.clear();
        let removal = back.set_cookie(&key, true).unwrap();
        let text = removal.to_str().unwrap();
        assert!(text.starts_with("shoebox_visitor=;") && text.contains("Max-Age=0"), "{text}");
    }
}
