//! Locking counter — seed 003 §2.3 (锁步, "the GIL will not protect you").
//!
//! Five threads each add 1 to a shared counter 100,000 times. The seed's `Counter` does
//! `self.count += offset` unsynchronized and prints "Counter should be 500000, got N" with N
//! short; its `LockingCounter` wraps the same statement in `with self.lock:` and gets 500000.
//!
//! Reference implementations (copy these):
//! - [`LockingCounter`]: the seed's fix, a [`Mutex`](crate::sync::Mutex) around the
//!   read-modify-write.
//! - [`AtomicCounter`]: one `fetch_add`, the read-modify-write done by the hardware.
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::RacyCounter`]: the seed's `Counter`; read, add and write are separate steps, so
//!   two threads that read the same value both write value + 1. Bug: **lost update**.
//! - [`flawed::SplitLockCounter`]: locks the read and locks the write, but not the two together.
//!   Each step is safe, the increment is not. Bug: **lost update**.
//!
//! ```
//! use std::sync::Arc;
//! use threadproof::counter::{Counter, LockingCounter};
//!
//! let counter = Arc::new(LockingCounter::default());
//! let workers: Vec<_> = (0..5)
//!     .map(|_| {
//!         let counter = Arc::clone(&counter);
//!         std::thread::spawn(move || {
//!             for _ in 0..1_000 {
//!                 counter.increment(1);
//!             }
//!         })
//!     })
//!     .collect();
//! for w in workers {
//!     w.join().unwrap();
//! }
//! assert_eq!(counter.count(), 5_000);
//! ```

mod atomic;
pub mod flawed;
mod locking;

pub use atomic::AtomicCounter;
pub use locking::LockingCounter;

// ANCHOR: counter_trait
/// What the seed's two classes share: `increment(offset)` and reading `count`.
pub trait Counter: Send + Sync {
    /// Adds `offset` to the count.
    fn increment(&self, offset: u64);
    /// The current count.
    fn count(&self) -> u64;
}
// ANCHOR_END: counter_trait
