//! Flawed semaphores. **Do not copy.** They exist so the checkers can prove they catch the bug.

use crate::sync::{Condvar, Mutex};

use super::OverRelease;

// ANCHOR: silent
/// **Do not copy.** Counts correctly, but `release` forgets to notify. A thread already asleep
/// in `acquire` never hears of the new permit (**missed wakeup**: the checkers report the
/// stranded acquirer as a deadlock).
#[derive(Debug, Default)]
pub struct SilentSemaphore {
    permits: Mutex<usize>,
    released: Condvar,
}

impl SilentSemaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Self {
        Self {
            permits: Mutex::new(permits),
            released: Condvar::new(),
        }
    }

    /// Blocks until a permit is available and takes it (no RAII: call `release`).
    pub fn acquire(&self) {
        let mut permits = self.permits.lock();
        while *permits == 0 {
            self.released.wait(&mut permits);
        }
        *permits -= 1;
    }

    /// Adds `n` permits, and wakes nobody.
    pub fn release(&self, n: usize) {
        *self.permits.lock() += n;
        // Missing: self.released.notify_one() / notify_all().
    }
}
// ANCHOR_END: silent

// ANCHOR: racy_bounded
/// **Do not copy.** A bounded semaphore whose `release` checks the bound under the lock, lets
/// go, and adds under the lock again. Two releases can both pass the check, and the count ends
/// above the bound (**over-permit**: more threads can then hold a permit than the bound allows).
#[derive(Debug)]
pub struct RacyBoundedSemaphore {
    permits: Mutex<usize>,
    released: Condvar,
    bound: usize,
}

impl RacyBoundedSemaphore {
    /// A semaphore with `permits` permits, which should be the most it ever holds.
    pub fn new(permits: usize) -> Self {
        Self {
            permits: Mutex::new(permits),
            released: Condvar::new(),
            bound: permits,
        }
    }

    /// Blocks until a permit is available and takes it (no RAII: call `release`).
    pub fn acquire(&self) {
        let mut permits = self.permits.lock();
        while *permits == 0 {
            self.released.wait(&mut permits);
        }
        *permits -= 1;
    }

    /// Returns `n` permits, meant to refuse going above the bound.
    pub fn release(&self, n: usize) -> Result<(), OverRelease> {
        let available = *self.permits.lock();
        if available + n > self.bound {
            return Err(OverRelease {
                available,
                released: n,
                bound: self.bound,
            });
        }
        // The lock is free here: another release can pass the same check.
        *self.permits.lock() += n;
        self.released.notify_all();
        Ok(())
    }

    /// Permits available now.
    pub fn available(&self) -> usize {
        *self.permits.lock()
    }
}
// ANCHOR_END: racy_bounded
