//! Flawed pools. **Do not copy.** They exist so the checkers can prove they catch the bug.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::cell::UnsafeCell;
use crate::sync::thread::JoinHandle;
use crate::sync::{Mutex, hint, note};

use super::central::{Shared, TaskHandle, spawn_workers, submit};
use super::{Refused, ResultSlot};

// ANCHOR: unclosed_join
/// **Do not copy.** The pool whose `join` does not require `close` first: it joins the
/// workers, who wait on the open queue for tasks that never come, while the caller waits for
/// them (**deadlock**; Python refuses with `ValueError("Pool is still running")`, and
/// [`Pool::join`](super::Pool::join) with [`JoinError::NotClosed`](super::JoinError::NotClosed)).
///
/// (Its shared state is leaked, never freed: when a checker reports the deadlock it unwinds a
/// blocked thread, and a checker's `Arc` must not be dropped during that unwind.)
pub struct UnclosedJoinPool {
    shared: &'static Shared,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl UnclosedJoinPool {
    /// A pool of `n` workers.
    pub fn new(n: usize) -> Self {
        let shared: &'static Shared = Box::leak(Box::new(Shared::new(usize::MAX)));
        UnclosedJoinPool {
            shared,
            workers: Mutex::new(spawn_workers(shared, n)),
        }
    }

    /// As [`Pool::apply_async`](super::Pool::apply_async).
    pub fn apply_async<F, R>(&self, f: F) -> Result<TaskHandle<R>, Refused<F>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        submit(self.shared, f)
    }

    /// As [`Pool::close`](super::Pool::close).
    pub fn close(&self) {
        self.shared.queue.close();
    }

    /// Joins the workers without checking that the pool was closed.
    pub fn join(&self) {
        let workers: Vec<_> = self.workers.lock().drain(..).collect();
        note(|| "join: waiting for the workers (the queue is still open)".to_string());
        for worker in workers {
            let _ = worker.join();
        }
    }
}
// ANCHOR_END: unclosed_join

// ANCHOR: relaxed_slot
/// **Do not copy.** A result slot published with a `Relaxed` flag: the worker writes the
/// value, then sets `ready`; the caller spins until it sees `ready`, then reads the value.
/// `Relaxed` orders nothing, so the caller can see the flag and still read the slot before
/// the worker's write (**torn read**: a lost or stale result). `Release` on the store and
/// `Acquire` on the load, or the [`Slot`](super::Slot)'s mutex, would order them.
pub struct RelaxedSlot<R> {
    ready: AtomicBool,
    value: UnsafeCell<Option<R>>,
}

// SAFETY (claimed, and wrong: that is the bug): the flag is meant to order the accesses.
unsafe impl<R: Send> Sync for RelaxedSlot<R> {}

impl<R> ResultSlot<R> for RelaxedSlot<R> {
    fn empty() -> Self {
        RelaxedSlot {
            ready: AtomicBool::new(false),
            value: UnsafeCell::new(None),
        }
    }

    fn fill(&self, value: R) {
        // SAFETY: not actually safe; see the type's docs.
        self.value.with_mut(|p| unsafe { *p = Some(value) });
        self.ready.store(true, Ordering::Relaxed);
    }

    fn take(&self) -> R {
        while !self.ready.load(Ordering::Relaxed) {
            hint::spin_loop();
        }
        // SAFETY: not actually safe; see the type's docs.
        self.value
            .with_mut(|p| unsafe { (*p).take() })
            .expect("ready was set, so the value is there")
    }
}
// ANCHOR_END: relaxed_slot
