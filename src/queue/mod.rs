//! Bounded blocking queue — seed 002 §3.3 (`Queue(maxsize)`), 003 §2.5 (`Queue(1)`,
//! `task_done()` + `join()`), 003 §1.4 (a writer and a reader sharing a queue).
//!
//! The seeds' `put` blocks while the queue is full and `get` while it is empty; `full()`,
//! `empty()` and `qsize()` report the state; `task_done()` marks a fetched item finished and
//! `join()` waits until every item put has been. 003 §1.4's reader loops on `q.get(True)`
//! forever and has to be `terminate()`d: here the producer [`close`](BoundedQueue::close)s the
//! queue and the reader's `get` returns `Err(Closed)` once the queue is drained.
//!
//! Reference implementation (copy this):
//! - [`BoundedQueue`]: one [`Mutex`](crate::sync::Mutex) around a `VecDeque`, two
//!   [`Condvar`](crate::sync::Condvar)s (`not_empty` for getters, `not_full` for putters) and
//!   a third for `join`; every wait in a `while` loop, after a short spin on a length hint
//!   (`hint::Backoff` in the facade), and counted (awake, parked, notified), so that a put or
//!   get notifies only when somebody is parked and nobody of that side is awake or already
//!   notified to take the item or slot. Blocking, `try_` and `_timeout`
//!   variants of put and get; failed puts hand the value back ([`PutError`]).
//!
//! Design decisions:
//! - **Closing is an explicit [`close`](BoundedQueue::close)**, not sender/receiver handles
//!   that disconnect on drop: one flag under the same lock is the simplest thing to
//!   model-check, and it keeps the queue a single shareable value like Python's. Put the queue
//!   in an `Arc`; whoever knows the producers are finished calls `close`.
//! - **Capacity 0 is rejected** at construction ([`ZeroCapacity`]; [`BoundedQueue::new`]
//!   panics, [`BoundedQueue::try_new`] returns the error). A zero-capacity queue is a
//!   rendezvous channel, a different protocol.
//! - **`task_done` over-call is an error value** ([`TaskDoneError`]), not a panic.
//! - Items are dropped exactly once: by whoever takes them, by the error that hands them back,
//!   or with the queue if they are still in it.
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::OneCondvarQueue`]: one Condvar for both "not empty" and "not full", with
//!   `notify_one`. A getter's notification can wake the other getter instead of the blocked
//!   putter. Bug: **deadlock** (2 getters, 1 putter, capacity 1).
//! - [`flawed::IfWaitQueue`]: `if` instead of `while` around the waits. A woken putter
//!   does not recheck, and another putter filled the slot first. Bug: **overfill**.
//! - [`flawed::SilentTaskQueue`]: `task_done` never notifies `join`. Bug: **deadlock**.
//! - [`flawed::EmptyJoinQueue`]: `join` waits until the queue is *empty*, not until every task
//!   is *done*, so it returns while a consumer is still working. Bug: **early join**.
//! - [`flawed::CloseNotifyOneQueue`]: `close` wakes one blocked getter with `notify_one`;
//!   the others sleep forever. Bug: **deadlock**.
//! - [`flawed::TransitionNotifyQueue`]: a put notifies only when the queue was empty (a get
//!   only when it was full). Two getters wait, two items arrive, one notification. Bug:
//!   **deadlock** (lost wakeup; 1 producer x 2 items, 2 consumers, capacity 2).
//! - [`flawed::NoPassOnQueue`]: skips a notification while an earlier one is on its way, but
//!   the woken thread does not pass the wakeup on when it leaves items behind. Bug:
//!   **deadlock** (lost wakeup; same scenario).

mod bounded;
mod error;
pub mod flawed;

pub use bounded::BoundedQueue;
pub use error::{GetError, PutError, TaskDoneError, ZeroCapacity};

// ANCHOR: seed_queue
/// The seeds' `queue.Queue` surface, so the models drive the reference and the flawed
/// variants through the same code. Named as in Python (`qsize`, `maxsize`).
pub trait SeedQueue<T> {
    /// A queue of at most `maxsize` items (at least 1).
    fn with_maxsize(maxsize: usize) -> Self
    where
        Self: Sized;
    /// Puts `item`, blocking while full; `Err(item)` if the queue refused it (closed).
    fn put(&self, item: T) -> Result<(), T>;
    /// Gets an item, blocking while empty; `None` when it returned without one (closed and
    /// drained, for the reference; a bug, for a flawed variant that was never closed).
    fn get(&self) -> Option<T>;
    /// Items in the queue now.
    fn qsize(&self) -> usize;
    /// The capacity.
    fn maxsize(&self) -> usize;
    /// Marks one item finished (`Err` on over-call).
    fn task_done(&self) -> Result<(), TaskDoneError>;
    /// Waits until every item put has been marked finished.
    fn join(&self);
    /// Closes the queue (a variant without closing panics).
    fn close(&self);
}
// ANCHOR_END: seed_queue

impl<T> SeedQueue<T> for BoundedQueue<T> {
    fn with_maxsize(maxsize: usize) -> Self {
        BoundedQueue::new(maxsize)
    }
    fn put(&self, item: T) -> Result<(), T> {
        BoundedQueue::put(self, item).map_err(PutError::into_inner)
    }
    fn get(&self) -> Option<T> {
        BoundedQueue::get(self).ok()
    }
    fn qsize(&self) -> usize {
        self.len()
    }
    fn maxsize(&self) -> usize {
        self.capacity()
    }
    fn task_done(&self) -> Result<(), TaskDoneError> {
        BoundedQueue::task_done(self)
    }
    fn join(&self) {
        BoundedQueue::join(self);
    }
    fn close(&self) {
        BoundedQueue::close(self);
    }
}
