//! Sign-in throttling: too many failures from one address or for one username → 429 for a while.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginThrottle {
    window: Duration,
    per_addr: usize,
    per_user: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(Duration::from_secs(15 * 60), 20, 10)
    }
}

impl LoginThrottle {
    pub fn new(window: Duration, per_addr: usize, per_user: usize) -> Self {
        LoginThrottle { window, per_addr, per_user, failures: Mutex::new(HashMap::new()) }
    }

    fn keys(addr: &str, username: &str) -> [(String, usize); 2] {
        [(format!("addr:{addr}"), 0), (format!("user:{}", username.to_lowercase()), 1)]
    }

    /// `Err(seconds)` when this address or username must wait before trying again.
    pub fn check(&self, addr: &str, username: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        let mut wait = Duration::ZERO;
        for (key, kind) in Self::keys(addr, username) {
            let limit = if kind == 0 { self.per_addr } else { self.per_user };
            if let Some(q) = map.get_mut(&key) {
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
        for (key, _) in Self::keys(addr, username) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in forgives the username's failures (not the address's).
    pub fn clear_user(&self, username: &str) {
        self.failures.lock().expect("throttle lock").remove(&format!("user:{}", username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_names_a_wait() {
        let t = LoginThrottle::new(Duration::from_secs(60), 5, 3);
        for _ in 0..3 {
            assert!(t.check("1.2.3.4", "bob").is_ok());
            t.record_failure("1.2.3.4", "bob");
        }
        let wait = t.check("1.2.3.4", "bob").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(t.check("1.2.3.4", "carol").is_ok());
        t.clear_user("bob");
        assert!(t.check("1.2.3.4", "bob").is_ok());
    }
}
