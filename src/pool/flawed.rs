//! Flawed pools. **Do not copy.** They exist so the checkers can prove they catch the bug.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::cell::UnsafeCell;
use crate::sync::thread::JoinHandle;
use crate::sync::{Mutex, hint, note};

use super::central::{Shared, spawn_workers};
use super::job::{TaskHandle, submit};
use super::stealing::{self, Wake};
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
        submit(|job| self.shared.push(job), f)
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

// ANCHOR: lost_wakeup
/// **Do not copy.** A work-stealing pool whose idle worker, having found no work, takes the
/// lock and goes to sleep **without looking again under the lock**. A task pushed between the
/// worker's last look and its `sleeping += 1` finds nobody sleeping, so nobody is notified;
/// the worker sleeps next to a task that only it could run (**lost wakeup**: the caller
/// waiting for that task's result waits forever, a deadlock). The reference worker of
/// [`Strategy::WorkStealing`](super::Strategy::WorkStealing) looks again under the lock that
/// every push takes.
///
/// (Its shared state is leaked, as [`UnclosedJoinPool`]'s is.)
pub struct LostWakeupPool {
    shared: &'static stealing::Shared,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// The flawed park: no second look under the lock.
fn park_without_recheck(shared: &stealing::Shared, me: usize) -> Wake {
    let mut state = shared.state.lock();
    if state.closed {
        // Nothing is pushed after close: what is left can be taken without racing a push.
        drop(state);
        return shared.take(me).map_or(Wake::Exit, Wake::Work);
    }
    // BUG: a push since this worker's last (unlocked) look saw `sleeping == 0` and notified
    // nobody; this wait has no one to end it.
    state.sleeping += 1;
    shared.sleeping_hint.store(state.sleeping, Ordering::SeqCst);
    note(|| format!("worker {me}: found no work earlier, sleeping without looking again"));
    shared.wake.wait(&mut state);
    state.sleeping -= 1;
    shared.sleeping_hint.store(state.sleeping, Ordering::SeqCst);
    Wake::Look
}

impl LostWakeupPool {
    /// A pool of `n` workers.
    pub fn new(n: usize) -> Self {
        let (shared, deques) = stealing::Shared::new(n);
        let shared: &'static stealing::Shared = Box::leak(Box::new(shared));
        LostWakeupPool {
            shared,
            workers: Mutex::new(stealing::spawn_workers(
                shared,
                deques,
                park_without_recheck,
            )),
        }
    }

    /// As [`Pool::apply_async`](super::Pool::apply_async).
    pub fn apply_async<F, R>(&self, f: F) -> Result<TaskHandle<R>, Refused<F>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        submit(|job| self.shared.push(job), f)
    }

    /// As [`Pool::close`](super::Pool::close) followed by [`Pool::join`](super::Pool::join).
    pub fn close_and_join(&self) {
        self.shared.close();
        let workers: Vec<_> = self.workers.lock().drain(..).collect();
        for worker in workers {
            let _ = worker.join();
        }
    }
}
// ANCHOR_END: lost_wakeup
