//! Event — seed 002 §2.4 (`threading.Event`).
//!
//! The seed's API: `e = Event()` (not set), `e.wait([timeout])` blocks while the event is not
//! set, `e.set()` releases the waiters, `e.clear()` makes it not set again, `e.is_set()` reads
//! it. Its picture: one thread holds the gate, many threads wait at it.
//!
//! Reference implementation (copy this):
//! - [`Event`]: a flag and a generation counter under one [`Mutex`](crate::sync::Mutex), and a
//!   [`Condvar`](crate::sync::Condvar). The semantics are CPython's, as its lock tests pin them
//!   down: `set` releases every waiter; a waiter released by `set` returns `true` even if `clear`
//!   ran before it woke (it compares generations, it does not re-read the flag);
//!   `wait_timeout(0)` does not block; the timeout is a deadline, honoured across spurious
//!   wakeups.
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::CheckThenWaitEvent`]: checks the flag without the lock, then sleeps. A `set`
//!   in between notifies nobody. Bug: **missed wakeup**, which the checkers report as a
//!   **deadlock** (the waiter sleeps forever, the joining thread with it).
//! - [`flawed::FlagEvent`]: re-reads the flag after waking; `set` then `clear` before the
//!   waiter runs leaves it asleep. Bug: **missed wakeup**, reported as a **deadlock**.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use threadproof::event::Event;
//!
//! let event = Arc::new(Event::new());
//! assert!(!event.wait_timeout(Duration::ZERO));
//! let waiters: Vec<_> = (0..5)
//!     .map(|_| {
//!         let event = Arc::clone(&event);
//!         std::thread::spawn(move || event.wait())
//!     })
//!     .collect();
//! event.set();
//! for w in waiters {
//!     assert!(w.join().unwrap());
//! }
//! event.clear();
//! assert!(!event.is_set());
//! ```

pub mod flawed;
mod signal;

pub use signal::Event;
