//! Flawed counters. **Do not copy.** They exist so the checkers can prove they catch the bug.

use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::{Mutex, note};

use super::Counter;

// ANCHOR: racy_counter
/// **Do not copy.** The seed's unsynchronized `Counter`: `count += offset` as a separate load
/// and store. Two threads that load the same value both store value + offset, and one
/// increment is lost (**lost update**).
///
/// (The count is an atomic only so that the race is a logic bug rather than undefined
/// behaviour; the load-then-store is exactly Python's `self.count += offset`.)
#[derive(Debug, Default)]
pub struct RacyCounter {
    count: AtomicU64,
}

impl Counter for RacyCounter {
    fn increment(&self, offset: u64) {
        let current = self.count.load(Ordering::Relaxed);
        // Another thread can load the same `current` here.
        self.count.store(current + offset, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
// ANCHOR_END: racy_counter

// ANCHOR: split_lock_counter
/// **Do not copy.** Takes the lock to read and again to write, releasing it in between: each
/// step is protected, the increment as a whole is not (**lost update**). The classic
/// atomicity violation of code that "uses a lock everywhere".
#[derive(Debug, Default)]
pub struct SplitLockCounter {
    count: Mutex<u64>,
}

impl Counter for SplitLockCounter {
    fn increment(&self, offset: u64) {
        let current = *self.count.lock();
        note(|| format!("read count = {current}"));
        // The lock is free here: another thread can read the same `current`.
        *self.count.lock() = current + offset;
        note(|| format!("wrote count = {}", current + offset));
    }

    fn count(&self) -> u64 {
        *self.count.lock()
    }
}
// ANCHOR_END: split_lock_counter
