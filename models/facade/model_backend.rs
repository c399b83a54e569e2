//! The facade's model backend: the `sync` module the pattern files see inside the model crates.
//!
//! It has the same surface as the library's `src/sync.rs` (parking_lot-shaped: `lock()` returns
//! the guard, `Condvar::wait(&mut guard)`), built on whichever checker the including crate names
//! `crate::checker` — loom in `models/loom`, shuttle in `models/shuttle`. This one file serves
//! both: loom and shuttle mirror std's API, so only the std-to-parking_lot adaptation lives here.
//!
//! Differences from production, by design of the checkers:
//! - `Condvar::wait_for`/`wait_until`: under loom a timed wait never times out; under shuttle it
//!   may time out at any point. Timed code must recheck its deadline in a loop.
//! - `notify_one`/`notify_all` return `()` (parking_lot returns a `bool`).

use std::ops::{Deref, DerefMut};
use std::sync::PoisonError;
use std::time::Duration;

use crate::checker::sync as inner;

pub use crate::checker::sync::Arc;
pub use crate::checker::thread_local;

/// Atomics of the checker, with std's `Ordering`.
pub mod atomic {
    pub use crate::checker::sync::atomic::{
        AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering, fence,
    };
}

/// Threads of the checker.
pub mod thread {
    pub use crate::checker::thread::{Builder, JoinHandle, LocalKey, current, spawn, yield_now};
}

/// Scheduler hints of the checker.
pub mod hint {
    pub use crate::checker::hint::spin_loop;
}

/// Cells whose accesses the checker tracks (loom: a read not ordered after the last write is
/// reported as a causality violation). Under shuttle, a plain cell: shuttle runs every
/// ordering as SeqCst and does not track cell accesses.
pub mod cell {
    pub use crate::checker::cell::UnsafeCell;
}

/// Time: std's. The checkers do not model a clock; see the module docs on timed waits.
pub mod time {
    pub use std::time::{Duration, Instant};
}

/// A mutual-exclusion lock with parking_lot's surface (no poisoning).
#[derive(Debug, Default)]
pub struct Mutex<T> {
    inner: inner::Mutex<T>,
}

/// The guard of a [`Mutex`]; the lock is released when it drops.
#[derive(Debug)]
pub struct MutexGuard<'a, T> {
    // `None` only while a `Condvar` wait has handed the checker's guard back to the checker.
    inner: Option<inner::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            inner: inner::Mutex::new(value),
        }
    }

    /// Blocks until the lock is held.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        MutexGuard { inner: Some(guard) }
    }

    /// Takes the lock if it is free.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.inner.try_lock() {
            Ok(guard) => Some(MutexGuard { inner: Some(guard) }),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(MutexGuard {
                inner: Some(p.into_inner()),
            }),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Consumes the mutex and returns the value.
    pub fn into_inner(self) -> T {
        self.inner
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The value, through a unique borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner.as_ref().expect("guard is held outside a wait")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("guard is held outside a wait")
    }
}

/// A condition variable with parking_lot's surface: waits take `&mut MutexGuard`.
#[derive(Debug, Default)]
pub struct Condvar {
    inner: inner::Condvar,
}

/// Whether a timed wait returned because its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True when the wait timed out (never under loom).
    pub fn timed_out(self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A new condition variable.
    pub fn new() -> Self {
        Self {
            inner: inner::Condvar::new(),
        }
    }

    /// Releases the guard's lock, waits for a notification, and takes the lock again.
    #[track_caller]
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let held = guard.inner.take().expect("guard is held");
        guard.inner = Some(
            self.inner
                .wait(held)
                .unwrap_or_else(PoisonError::into_inner),
        );
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`.
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        let held = guard.inner.take().expect("guard is held");
        let (held, result) = self
            .inner
            .wait_timeout(held, timeout)
            .unwrap_or_else(PoisonError::into_inner);
        guard.inner = Some(held);
        WaitTimeoutResult(result.timed_out())
    }

    /// Like [`wait`](Self::wait), giving up at `deadline`.
    #[track_caller]
    pub fn wait_until<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: time::Instant,
    ) -> WaitTimeoutResult {
        let left = deadline.saturating_duration_since(time::Instant::now());
        self.wait_for(guard, left)
    }

    /// Wakes one waiter, if any.
    #[track_caller]
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes every waiter.
    #[track_caller]
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}
