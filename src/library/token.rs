//! Media URL tokens: an HMAC over (viewer and their session generation, expiry) so `<img>` tags
//! work without a session lookup and a proxy may cache. The key lives in `STORAGE_PATH/media.key` and survives restarts, so
//! URLs handed out stay valid until they expire.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Tokens are valid for at least one and at most two days; within a day every URL is the same,
/// so browsers and proxies can cache it.
pub const BUCKET_SECS: i64 = 86_400;

#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(***)")
    }
}

/// Who a token lets see: a user under their current session generation (so revoking the
/// account's sessions voids its media URLs too); later also a share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    User { id: i64, generation: i64 },
}

impl TokenKey {
    /// Reads the key, creating it (owner-readable only) on first start.
    pub fn load_or_create(storage: &Path) -> anyhow::Result<TokenKey> {
        let bytes = super::atomic::secret_key(&storage.join("media.key"), 32, "old media links stop working")?;
        let mut k = [0u8; 32];
        k.copy_from_slice(&bytes);
        Ok(TokenKey(k))
    }

    fn mac(&self, subject: &str, expires: i64) -> String {
        self.mac_in("media-v1", subject, expires)
    }

    /// `domain` keeps the kinds of token apart: a media token is never a link pass.
    fn mac_in(&self, domain: &str, subject: &str, expires: i64) -> String {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("any key length");
        m.update(format!("{domain}:{subject}:{expires}").as_bytes());
        let tag = m.finalize().into_bytes();
        tag[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A token for `viewer` valid until the end of tomorrow's day bucket.
    pub fn issue(&self, viewer: Viewer, now: i64) -> String {
        let expires = (now / BUCKET_SECS + 2) * BUCKET_SECS;
        self.issue_until(viewer, expires)
    }

    pub fn issue_until(&self, viewer: Viewer, expires: i64) -> String {
        let Viewer::User { id, generation } = viewer;
        let subject = format!("u{id}.{generation}");
        format!("{subject}-{expires}-{}", self.mac(&subject, expires))
    }

    /// The viewer and expiry of a valid, unexpired token.
    pub fn verify(&self, token: &str, now: i64) -> Option<(Viewer, i64)> {
        let mut parts = token.splitn(3, '-');
        let (subject, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let expires: i64 = expires.parse().ok()?;
        let expected = self.mac(subject, expires);
        use subtle::ConstantTimeEq;
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) || expires <= now {
            return None;
        }
        let (id, generation) = subject.strip_prefix('u')?.split_once('.')?;
        Some((Viewer::User { id: id.parse().ok()?, generation: generation.parse().ok()? }, expires))
    }
}

/// How long a link pass (the cookie a share-link visit holds) lasts at most; the link's own
/// state is checked at every request besides.
pub const LINK_PASS_SECS: i64 = 86_400;

impl TokenKey {
    /// The value of a link's pass cookie: this visit may go on under link `link` as long as the
    /// link's password epoch stays `epoch`, until `expires`.
    pub fn issue_link_pass(&self, link: i64, epoch: i64, expires: i64) -> String {
        format!("{expires}-{}", self.mac_in("link-pass-v1", &format!("{link}.{epoch}"), expires))
    }

    /// Whether `value` is an unexpired pass for link `link` at password epoch `epoch`.
    pub fn verify_link_pass(&self, value: &str, link: i64, epoch: i64, now: i64) -> bool {
        let Some((expires, mac)) = value.split_once('-') else { return false };
        let Ok(expires) = expires.parse::<i64>() else { return false };
        let expected = self.mac_in("link-pass-v1", &format!("{link}.{epoch}"), expires);
        use subtle::ConstantTimeEq;
        bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) && expires > now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire() {
        let k = TokenKey([7; 32]);
        let alice = Viewer::User { id: 3, generation: 77 };
        let t = k.issue_until(alice, 1000);
        assert_eq!(k.verify(&t, 999), Some((alice, 1000)));
        assert_eq!(k.verify(&t, 1000), None);
        assert_eq!(k.verify(&t.replace("u3.", "u4."), 10), None);
        assert_eq!(k.verify(&t.replace(".77-", ".78-"), 10), None, "another generation");
        assert_eq!(TokenKey([8; 32]).verify(&t, 10), None);
    }

    #[test]
    fn link_passes_hold_only_for_their_link_epoch_and_time() {
        let k = TokenKey([7; 32]);
        let pass = k.issue_link_pass(5, 2, 1000);
        assert!(k.verify_link_pass(&pass, 5, 2, 999));
        assert!(!k.verify_link_pass(&pass, 5, 2, 1000), "expired");
        assert!(!k.verify_link_pass(&pass, 6, 2, 10), "another link");
        assert!(!k.verify_link_pass(&pass, 5, 3, 10), "the password changed since");
        assert!(!k.verify_link_pass(&pass.replace("1000-", "9999-"), 5, 2, 10), "a forged expiry");
        assert_eq!(k.verify(&pass, 10), None, "a pass is not a media token");
    }
}
