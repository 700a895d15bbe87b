//! A memory budget for decoding, in bytes. Each decode takes its estimated size from the budget
//! before it starts and gives it back when its thumbnails are made, so two huge pictures are never
//! decoded at the same time while small ones still run side by side. A picture larger than the
//! whole budget waits until nothing else is decoding and then runs alone; one that would cost
//! more than [`Budget::most_for_one`] is refused before it starts.

use std::sync::{Condvar, Mutex, MutexGuard};

/// Each index worker's share: three quarters of what a 24 MP JPEG costs (see
/// [`super::thumbs::decode_cost`]), so with two workers a 24 MP and a 12 MP photo decode together
/// but two 24 MP photos take turns.
pub const SHARE_PER_WORKER: u64 = 27 * 1024 * 1024;

/// The most one decode running alone may cost when the budget is smaller: enough for a 24 MP
/// progressive JPEG or a 20 MP PNG, and with the rest of the server well under 300 MB.
pub const ALONE: u64 = 192 * 1024 * 1024;

#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Part of the budget, given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget { limit: limit.max(1), used: Mutex::new(0), freed: Condvar::new() }
    }

    /// The most one decode may cost: the whole budget, or [`ALONE`] if that is more. Decodes are
    /// refused above it, so no file makes the process grow by more than this.
    pub fn most_for_one(&self) -> u64 {
        self.limit.max(ALONE)
    }

    fn used(&self) -> MutexGuard<'_, u64> {
        // The counter stays consistent even if a holder panicked: only Permit::drop changes it.
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks until `bytes` (at most the whole budget) are free, then takes them.
    pub fn acquire(&self, bytes: u64) -> Permit<'_> {
        let bytes = bytes.min(self.limit);
        let mut used = self.used();
        while *used + bytes > self.limit {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Permit { budget: self, bytes }
    }

    /// Takes `bytes` (at most the whole budget) if they are free now.
    pub fn try_acquire(&self, bytes: u64) -> Option<Permit<'_>> {
        let bytes = bytes.min(self.limit);
        let mut used = self.used();
        if *used + bytes > self.limit {
            return None;
        }
        *used += bytes;
        Some(Permit { budget: self, bytes })
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.budget.used() -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_large_decodes_never_overlap_but_small_ones_do() {
        let budget = Budget::new(54);
        let large = budget.acquire(36);
        assert!(budget.try_acquire(36).is_none(), "a second large decode must wait");
        let small = budget.try_acquire(18).expect("a small decode runs beside a large one");
        drop(large);
        let other = budget.try_acquire(36).expect("the large one may start once the first is done");
        drop((small, other));
        assert!(budget.try_acquire(54).is_some());
    }

    #[test]
    fn a_picture_larger_than_the_budget_runs_alone() {
        let budget = Budget::new(54);
        let huge = budget.acquire(500);
        assert!(budget.try_acquire(1).is_none());
        drop(huge);
        assert!(budget.try_acquire(54).is_some());
    }

    #[test]
    fn a_waiting_decode_starts_when_the_budget_is_given_back() {
        let budget = std::sync::Arc::new(Budget::new(10));
        let first = budget.acquire(8);
        let b = budget.clone();
        let waiter = std::thread::spawn(move || {
            let _p = b.acquire(8);
        });
        drop(first);
        waiter.join().expect("the waiting thread finishes");
        assert!(budget.try_acquire(10).is_some());
    }
}
