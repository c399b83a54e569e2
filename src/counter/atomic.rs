use crate::sync::atomic::{AtomicU64, Ordering};

use super::Counter;

// ANCHOR: atomic_counter
/// A counter whose increment is one atomic read-modify-write (`fetch_add`).
///
/// `Relaxed` is enough: `fetch_add` never loses an update whatever the ordering, and a reader
/// that wants the final total gets its happens-before edge from `join`.
///
/// ```
/// use threadproof::counter::{AtomicCounter, Counter};
/// let c = AtomicCounter::default();
/// c.increment(3);
/// assert_eq!(c.count(), 3);
/// ```
#[derive(Debug, Default)]
pub struct AtomicCounter {
    count: AtomicU64,
}

impl Counter for AtomicCounter {
    fn increment(&self, offset: u64) {
        self.count.fetch_add(offset, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
// ANCHOR_END: atomic_counter
