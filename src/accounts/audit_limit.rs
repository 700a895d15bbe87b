//! Keeps failed sign-ins from filling the audit trail. An address that keeps failing gets at most
//! [`FAILURES_PER_MINUTE`] rows a minute, and once it is throttled one row a minute; the attempts
//! not written are counted into the address's next row and logged, so the trail still says how
//! many there were. Successful sign-ins and sign-outs are never limited: each needs an account.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed or refused attempts from one address recorded per minute.
pub const FAILURES_PER_MINUTE: u32 = 10;
/// Attempts refused because the address was throttled, recorded per minute.
pub const THROTTLED_PER_MINUTE: u32 = 1;

#[derive(Default)]
struct Tally {
    minute: i64,
    failures: u32,
    throttled: u32,
    /// Attempts not recorded since the last row that was.
    unrecorded: u64,
}

#[derive(Default)]
pub struct AuditLimiter {
    by_addr: Mutex<HashMap<String, Tally>>,
    /// When each (account, address) last had a WebDAV sign-in recorded.
    signed_in: Mutex<HashMap<(i64, String), i64>>,
}

/// Whether to write an attempt's audit row.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Write it; `earlier_unrecorded` attempts from this address were left out before it.
    Record {
        earlier_unrecorded: u64,
    },
    Skip,
}

impl AuditLimiter {
    /// Whether to record a successful WebDAV sign-in: once an hour per account and address, as a
    /// sync makes hundreds of requests, each signed in again.
    pub fn success_due(&self, user_id: i64, addr: &str, now: i64) -> bool {
        let mut seen = self.signed_in.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, at| now - *at < 3600);
        }
        let key = (user_id, addr.to_string());
        if seen.get(&key).is_some_and(|at| now - at < 3600) {
            return false;
        }
        seen.insert(key, now);
        true
    }

    /// Decides for one failed attempt from `addr` at Unix second `now`.
    pub fn failed_attempt(&self, addr: &str, throttled: bool, now: i64) -> Decision {
        let minute = now.div_euclid(60);
        let mut map = self.by_addr.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            // Many addresses at once: drop the finished minutes (their unrecorded counts were
            // already logged as they were skipped).
            map.retain(|_, t| t.minute >= minute - 1);
        }
        let tally = map.entry(addr.to_string()).or_default();
        if tally.minute != minute {
            tally.minute = minute;
            tally.failures = 0;
            tally.throttled = 0;
        }
        let (used, limit) = if throttled {
            (&mut tally.throttled, THROTTLED_PER_MINUTE)
        } else {
            (&mut tally.failures, FAILURES_PER_MINUTE)
        };
        if *used < limit {
            *used += 1;
            Decision::Record { earlier_unrecorded: std::mem::take(&mut tally.unrecorded) }
        } else {
            tally.unrecorded += 1;
            Decision::Skip
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_ten_failure_rows_and_one_throttled_row_a_minute_and_the_rest_are_counted() {
        let l = AuditLimiter::default();
        let t0 = 1_000_020;
        for _ in 0..FAILURES_PER_MINUTE {
            assert_eq!(l.failed_attempt("a", false, t0), Decision::Record { earlier_unrecorded: 0 });
        }
        assert_eq!(l.failed_attempt("a", false, t0), Decision::Skip);
        assert_eq!(l.failed_attempt("a", true, t0), Decision::Record { earlier_unrecorded: 1 });
        for _ in 0..5 {
            assert_eq!(l.failed_attempt("a", true, t0 + 30), Decision::Skip);
        }
        assert_eq!(l.failed_attempt("b", true, t0), Decision::Record { earlier_unrecorded: 0 }, "per address");
        assert_eq!(l.failed_attempt("a", true, t0 + 60), Decision::Record { earlier_unrecorded: 5 }, "next minute");
    }
}
