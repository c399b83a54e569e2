//! Semaphores — seed 001 "并发的级别" (levels of concurrency: `threading.Semaphore` is the
//! seed's example of *mid-level* concurrency, built on locks rather than raw atomics).
//!
//! A semaphore is a count of permits: `acquire` takes one, waiting while there are none;
//! `release` returns some and wakes waiters. With `n` permits, at most `n` threads are past
//! `acquire` at once: a connection pool, a limit on parallel downloads.
//!
//! Reference implementations (copy these):
//! - [`Semaphore`]: a count under a [`Mutex`](crate::sync::Mutex) and a
//!   [`Condvar`](crate::sync::Condvar). `acquire` returns an RAII [`Permit`] that returns
//!   itself when dropped; `try_acquire`, `acquire_timeout`, and `release(n)` (Python's
//!   `release(n)`, for permits given up with [`Permit::forget`]).
//! - [`BoundedSemaphore`]: the same, refusing a release that would take the count above the
//!   initial count; the refusal is an [`OverRelease`] value, not a panic (Python raises
//!   `ValueError`).
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::SilentSemaphore`]: `release` forgets to notify. Bug: **missed wakeup**; the
//!   checkers report the stranded acquirer as a **deadlock**.
//! - [`flawed::RacyBoundedSemaphore`]: the bound check and the update are two critical
//!   sections. Bug: **over-permit** (the count exceeds the bound).
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use threadproof::semaphore::Semaphore;
//!
//! let seats = Arc::new(Semaphore::new(2));
//! let inside = Arc::new(AtomicUsize::new(0));
//! let workers: Vec<_> = (0..5)
//!     .map(|_| {
//!         let (seats, inside) = (Arc::clone(&seats), Arc::clone(&inside));
//!         std::thread::spawn(move || {
//!             let _permit = seats.acquire();
//!             assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
//!             inside.fetch_sub(1, Ordering::SeqCst);
//!         })
//!     })
//!     .collect();
//! for w in workers {
//!     w.join().unwrap();
//! }
//! assert_eq!(seats.available(), 2);
//! ```

mod counting;
pub mod flawed;

pub use counting::{BoundedPermit, BoundedSemaphore, OverRelease, Permit, Semaphore};
