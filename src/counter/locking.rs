use crate::sync::{Mutex, note};

use super::Counter;

// ANCHOR: locking_counter
/// The seed's `LockingCounter`: every read-modify-write happens with the lock held.
///
/// ```
/// use threadproof::counter::{Counter, LockingCounter};
/// let c = LockingCounter::default();
/// c.increment(2);
/// assert_eq!(c.count(), 2);
/// ```
#[derive(Debug, Default)]
pub struct LockingCounter {
    count: Mutex<u64>,
}

impl Counter for LockingCounter {
    fn increment(&self, offset: u64) {
        // Read, add and write under one guard: no other thread can read in between.
        let mut count = self.count.lock();
        note(|| format!("count {} -> {}", *count, *count + offset));
        *count += offset;
    }

    fn count(&self) -> u64 {
        *self.count.lock()
    }
}
// ANCHOR_END: locking_counter
