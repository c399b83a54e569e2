use std::fmt;

use crate::sync::time::{Duration, Instant};
use crate::sync::{Condvar, Mutex};

// ANCHOR: core
/// The count and the condition variable both semaphores share.
#[derive(Debug)]
struct Core {
    permits: Mutex<usize>,
    released: Condvar,
}

impl Core {
    fn new(permits: usize) -> Self {
        Self {
            permits: Mutex::new(permits),
            released: Condvar::new(),
        }
    }

    /// Takes one permit, waiting until `deadline` (forever if `None`) for one to be released.
    fn acquire(&self, deadline: Option<Instant>) -> bool {
        let mut permits = self.permits.lock();
        // A loop, not an `if`: a wakeup is a hint, the count is the truth (spurious wakeups,
        // and another acquirer may have taken the permit first).
        while *permits == 0 {
            match deadline {
                None => self.released.wait(&mut permits),
                Some(deadline) => {
                    let timed_out = self.released.wait_until(&mut permits, deadline).timed_out();
                    if *permits == 0 && (timed_out || Instant::now() >= deadline) {
                        return false;
                    }
                }
            }
        }
        *permits -= 1;
        true
    }

    fn try_acquire(&self) -> bool {
        let mut permits = self.permits.lock();
        if *permits == 0 {
            return false;
        }
        *permits -= 1;
        true
    }

    /// Returns `n` permits, refusing (and changing nothing) if the count would pass `bound`.
    fn release(&self, n: usize, bound: usize) -> Result<(), OverRelease> {
        let mut permits = self.permits.lock();
        // The check and the update under one guard: no other release can pass the check in
        // between (compare `flawed::RacyBoundedSemaphore`).
        match permits.checked_add(n) {
            Some(after) if after <= bound => *permits = after,
            _ => {
                return Err(OverRelease {
                    available: *permits,
                    released: n,
                    bound,
                });
            }
        }
        // Wake as many waiters as there are new permits (all of them if several). A release
        // that forgets this strands its waiters (compare `flawed::SilentSemaphore`).
        if n == 1 {
            self.released.notify_one();
        } else if n > 1 {
            self.released.notify_all();
        }
        Ok(())
    }

    fn available(&self) -> usize {
        *self.permits.lock()
    }
}
// ANCHOR_END: core

/// A `release` that would take a [`BoundedSemaphore`] above its initial count: the error
/// CPython raises as `ValueError("Semaphore released too many times")`. Nothing was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverRelease {
    /// Permits available when the release was refused.
    pub available: usize,
    /// Permits the caller tried to release.
    pub released: usize,
    /// The semaphore's bound (its initial count).
    pub bound: usize,
}

impl fmt::Display for OverRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "semaphore released too many times: {} available + {} released > bound {}",
            self.available, self.released, self.bound
        )
    }
}

impl std::error::Error for OverRelease {}

// ANCHOR: semaphore
/// A counting semaphore: the seed's `threading.Semaphore`, with an RAII permit.
///
/// ```
/// use threadproof::semaphore::Semaphore;
///
/// let pool = Semaphore::new(2);
/// let a = pool.acquire();
/// let b = pool.try_acquire().expect("a second permit");
/// assert!(pool.try_acquire().is_none());
/// drop(a);
/// assert_eq!(pool.available(), 1);
/// drop(b);
/// assert_eq!(pool.available(), 2);
/// ```
#[derive(Debug)]
pub struct Semaphore {
    core: Core,
}

impl Semaphore {
    /// A semaphore with `permits` permits available.
    pub fn new(permits: usize) -> Self {
        Self {
            core: Core::new(permits),
        }
    }

    /// Blocks until a permit is available and takes it. The permit returns when dropped.
    pub fn acquire(&self) -> Permit<'_> {
        self.core.acquire(None);
        Permit { core: &self.core }
    }

    /// Takes a permit if one is available now.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        // `then`, not `then_some`: `then_some` builds its argument eagerly, and a permit built
        // and dropped on the `false` path would hand back a permit nobody took.
        self.core.try_acquire().then(|| Permit { core: &self.core })
    }

    /// Like [`acquire`](Self::acquire), giving up after `timeout` (a deadline, honoured across
    /// spurious wakeups). A zero timeout is `try_acquire`.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<Permit<'_>> {
        if timeout.is_zero() {
            return self.try_acquire();
        }
        // A timeout too large to represent is as good as none.
        self.core
            .acquire(Instant::now().checked_add(timeout))
            .then(|| Permit { core: &self.core })
    }

    /// Adds `n` permits and wakes up to `n` waiters: Python's `release(n)`. Use it for permits
    /// given up with [`Permit::forget`], or to grow the pool.
    ///
    /// # Panics
    ///
    /// If the count would overflow `usize`.
    pub fn release(&self, n: usize) {
        if let Err(e) = self.core.release(n, usize::MAX) {
            panic!("{e}");
        }
    }

    /// Permits available now. For tests and diagnostics: it may change before you use it.
    pub fn available(&self) -> usize {
        self.core.available()
    }
}
// ANCHOR_END: semaphore

// ANCHOR: bounded
/// A semaphore that refuses to be released above its initial count: the seed's
/// `threading.BoundedSemaphore`. An over-release is an [`OverRelease`] error value.
///
/// ```
/// use threadproof::semaphore::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(1);
/// let permit = sem.acquire();
/// permit.forget();
/// assert!(sem.release(1).is_ok());
/// assert!(sem.release(1).is_err()); // would be 2 > 1
/// assert_eq!(sem.available(), 1);
/// ```
#[derive(Debug)]
pub struct BoundedSemaphore {
    core: Core,
    bound: usize,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` permits, which is also the most it will ever hold.
    pub fn new(permits: usize) -> Self {
        Self {
            core: Core::new(permits),
            bound: permits,
        }
    }

    /// Blocks until a permit is available and takes it.
    pub fn acquire(&self) -> BoundedPermit<'_> {
        self.core.acquire(None);
        BoundedPermit { sem: self }
    }

    /// Takes a permit if one is available now.
    pub fn try_acquire(&self) -> Option<BoundedPermit<'_>> {
        self.core.try_acquire().then(|| BoundedPermit { sem: self })
    }

    /// Like [`acquire`](Self::acquire), giving up after `timeout`.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<BoundedPermit<'_>> {
        if timeout.is_zero() {
            return self.try_acquire();
        }
        self.core
            .acquire(Instant::now().checked_add(timeout))
            .then(|| BoundedPermit { sem: self })
    }

    /// Returns `n` permits, or refuses with [`OverRelease`] (releasing nothing) if the count
    /// would exceed the initial count.
    pub fn release(&self, n: usize) -> Result<(), OverRelease> {
        self.core.release(n, self.bound)
    }

    /// Permits available now.
    pub fn available(&self) -> usize {
        self.core.available()
    }

    /// The initial count, which the count never exceeds.
    pub fn bound(&self) -> usize {
        self.bound
    }
}
// ANCHOR_END: bounded

/// A permit of a [`Semaphore`]; dropping it returns the permit.
#[must_use = "the permit is returned as soon as it is dropped"]
#[derive(Debug)]
pub struct Permit<'a> {
    core: &'a Core,
}

impl Permit<'_> {
    /// Gives the permit up without returning it (the count stays one lower until someone
    /// calls `release`).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // Cannot overflow: this permit was taken from the count.
        let _ = self.core.release(1, usize::MAX);
    }
}

/// A permit of a [`BoundedSemaphore`]; dropping it returns the permit.
#[must_use = "the permit is returned as soon as it is dropped"]
#[derive(Debug)]
pub struct BoundedPermit<'a> {
    sem: &'a BoundedSemaphore,
}

impl BoundedPermit<'_> {
    /// Returns the permit, reporting an over-release: it happens only if someone called
    /// [`BoundedSemaphore::release`] for a permit still held, and then nothing is released.
    pub fn release(self) -> Result<(), OverRelease> {
        let sem = self.sem;
        std::mem::forget(self);
        sem.release(1)
    }

    /// Gives the permit up without returning it.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for BoundedPermit<'_> {
    fn drop(&mut self) {
        // An error here means a manual release already returned this permit's place, and the
        // count is at its bound: there is nothing to return. Use `release` to see the error.
        let _ = self.sem.release(1);
    }
}
