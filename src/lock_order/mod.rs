//! Lock ordering — seed 002 §2.5 (`Lock`) and §2.5.1 (死锁, deadlock).
//!
//! The seed lists the four conditions a deadlock needs, all at once: **mutual exclusion** (a
//! resource one thread uses, no other can), **hold and wait** (a thread holds at least one
//! resource and asks for another without letting go), **no preemption** (nothing outside the
//! thread takes its resource away), and **circular wait** (T0 waits for T1, T1 for T2, ..., Tn
//! for T0). Its advice: keep the logic clear so the four never meet, and test for deadlock.
//!
//! Reference implementations (copy these):
//! - [`OrderedMutex`], [`lock_two`], [`lock_all`]: every lock has a place in one global order
//!   (a rank, then its address); the helpers take several locks in that order, whatever order
//!   the caller names them in. That breaks **circular wait**. In debug builds each `lock`
//!   checks the thread's held locks and panics with `lock order violation` on an out-of-order
//!   acquisition, so the inversion is reported even on runs that do not deadlock.
//! - [`Account`] and [`transfer`]: two accounts, `transfer(a, b)` and `transfer(b, a)` at once,
//!   made safe by `lock_two`.
//! - Dining philosophers: [`dine_ordered`] (forks in rank order: breaks circular wait),
//!   [`dine_seated`] (a [`Semaphore`](crate::semaphore::Semaphore) of n - 1 seats: the circle
//!   cannot fill, which breaks circular wait by counting), and [`Waiter`] (an arbitrator hands
//!   out both forks or none: breaks **hold and wait**).
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::transfer_naive`]: locks `from` then `to`. Bug: **deadlock** (lock-order
//!   inversion).
//! - [`flawed::transfer_unordered`]: ordered locks taken one by one in argument order. Bug:
//!   **lock order**, reported by the debug check before anything deadlocks.
//! - [`flawed::dine_naive`]: left fork, then right. Bug: **deadlock** (the circle closes).
//!
//! ```
//! use std::sync::Arc;
//! use threadproof::lock_order::{Account, transfer};
//!
//! let a = Arc::new(Account::new(1, 100));
//! let b = Arc::new(Account::new(2, 100));
//! let t = {
//!     let (a, b) = (Arc::clone(&a), Arc::clone(&b));
//!     std::thread::spawn(move || {
//!         for _ in 0..1_000 {
//!             transfer(&a, &b, 1);
//!         }
//!     })
//! };
//! for _ in 0..1_000 {
//!     transfer(&b, &a, 1);
//! }
//! t.join().unwrap();
//! assert_eq!(a.balance() + b.balance(), 200);
//! ```

mod bank;
pub mod flawed;
mod ordered;
mod philosophers;

pub use bank::{Account, transfer};
pub use ordered::{OrderedGuard, OrderedMutex, lock_all, lock_two};
pub use philosophers::{Waiter, dine_ordered, dine_seated, ordered_forks};
