//! Sign-in throttling. Too many failures from one address, or for one username from one
//! address, and that address must wait (429) before its password is even checked. A looser limit
//! per username over all addresses slows a guessing botnet without letting it lock the real
//! person out: past it, a wrong password is refused as throttled, a correct one still signs in.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginThrottle {
    window: Duration,
    /// Failures from one address, whatever the username.
    per_addr: usize,
    /// Failures for one username from one address.
    per_user_and_addr: usize,
    /// Failures for one username from all addresses; never refuses a correct password.
    per_user: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(Duration::from_secs(15 * 60), 20, 10, 50)
    }
}

impl LoginThrottle {
    pub fn new(window: Duration, per_addr: usize, per_user_and_addr: usize, per_user: usize) -> Self {
        LoginThrottle { window, per_addr, per_user_and_addr, per_user, failures: Mutex::new(HashMap::new()) }
    }

    fn user_key(username: &str) -> String {
        format!("user:{}", username.to_lowercase())
    }

    fn pair_key(addr: &str, username: &str) -> String {
        format!("pair:{}@{addr}", username.to_lowercase())
    }

    /// `Err(seconds)` when this address, or this username from this address, must wait before a
    /// password is checked at all.
    pub fn check(&self, addr: &str, username: &str) -> Result<(), u64> {
        let keys = [(format!("addr:{addr}"), self.per_addr), (Self::pair_key(addr, username), self.per_user_and_addr)];
        self.wait(&keys)
    }

    /// `Err(seconds)` when the username has failed too often from all addresses together: then a
    /// wrong password is answered as throttled. Asked only after a wrong password.
    pub fn check_user(&self, username: &str) -> Result<(), u64> {
        self.wait(&[(Self::user_key(username), self.per_user)])
    }

    fn wait(&self, keys: &[(String, usize)]) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        let mut wait = Duration::ZERO;
        for (key, limit) in keys {
            let limit = *limit;
            if let Some(q) = map.get_mut(key) {
                while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    q.pop_front();
                }
                if q.len() >= limit {
                    // Free again when enough old failures have aged out of the window.
                    let oldest_relevant = q[q.len() - limit];
                    wait = wait.max(self.window.saturating_sub(now.duration_since(oldest_relevant)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.as_secs().max(1)) }
    }

    pub fn record_failure(&self, addr: &str, username: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for key in [format!("addr:{addr}"), Self::pair_key(addr, username), Self::user_key(username)] {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in forgives the username's failures from this address and overall
    /// (not the address's own).
    pub fn clear_user(&self, addr: &str, username: &str) {
        let mut map = self.failures.lock().expect("throttle lock");
        map.remove(&Self::user_key(username));
        map.remove(&Self::pair_key(addr, username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_names_a_wait() {
        let t = LoginThrottle::new(Duration::from_secs(60), 5, 3, 4);
        for _ in 0..3 {
            assert!(t.check("1.2.3.4", "bob").is_ok());
            t.record_failure("1.2.3.4", "bob");
        }
        let wait = t.check("1.2.3.4", "bob").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(t.check("1.2.3.4", "carol").is_ok());
        assert!(t.check("5.6.7.8", "bob").is_ok(), "another address may still try bob");
        assert!(t.check_user("bob").is_ok());
        t.record_failure("5.6.7.8", "bob");
        assert!(t.check_user("bob").is_err(), "four failures over all addresses");
        t.clear_user("1.2.3.4", "bob");
        assert!(t.check("1.2.3.4", "bob").is_ok());
        assert!(t.check_user("bob").is_ok());
    }
}
