//! The facade's model backend: the `sync` module the pattern files see inside the model crates.
//!
//! It has the same surface as the library's `src/sync.rs` (parking_lot-shaped: `lock()` returns
//! the guard, `Condvar::wait(&mut guard)`), built on whichever checker the including crate names
//! `crate::checker` — loom in `models/loom`, shuttle in `models/shuttle`. This one file serves
//! both: loom and shuttle mirror std's API, so only the std-to-parking_lot adaptation lives here.
//!
//! Differences from production, by design of the checkers:
//! - `Condvar::wait_for`/`wait_until`: under loom and shuttle (0.9) a timed wait never times
//!   out — neither models a clock — so the timeout paths are exercised with zero timeouts in the
//!   models and with real expiry on real threads. Timed code must recheck its deadline in a
//!   loop anyway (spurious wakeups).
//! - `hint::Backoff` has a budget of one snooze (production: 7 spinning steps, 20 yields).
//! - `notify_one`/`notify_all` return `()` (parking_lot returns a `bool`).
//! - A `MutexGuard` dropped while its thread panics does not unlock (see its `Drop`): a
//!   deadlock report must not call back into the checker. For the same reason, a model that
//!   is expected to deadlock should not drop the checker's `Arc`s while unwinding; the model
//!   bodies share such state through leaked `&'static` references instead.
//!
//! Every operation is also written to the execution's trace (`threadproof-trace`): spawn, join,
//! lock, unlock, wait, wake, notify, atomic loads, stores and read-modify-writes with their
//! values, and the pattern's own [`note`]s. Call sites are named by file and line. When a
//! checker catches a failure, the harness renders that trace as a per-thread timeline.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::PoisonError;
use std::time::Duration;

use crate::checker::sync as inner;

pub use crate::checker::sync::Arc;
pub use crate::checker::thread_local;

/// Records a step in the pattern's own words (`put(7) -> waiting (full)`) in the trace of
/// the execution; in production it compiles to nothing.
pub fn note(what: impl FnOnce() -> String) {
    trace(what);
}

/// The calling thread's label in the trace.
fn current_label() -> String {
    let current = crate::checker::thread::current();
    threadproof_trace::label(&format!("{:?}", current.id()), current.name())
}

fn trace(what: impl FnOnce() -> String) {
    threadproof_trace::record(current_label, what);
}

/// `path/to/file.rs:line` of a call site. The harness shortens the path and names the
/// receiver (`wait not_full (bounded.rs:101)`) from the source line when it renders a trace.
fn site(location: &Location<'_>) -> String {
    format!("{}:{}", location.file(), location.line())
}

/// Atomics of the checker, with std's `Ordering`; each access is traced with its value.
pub mod atomic {
    use std::panic::Location;

    pub use crate::checker::sync::atomic::{Ordering, fence};

    use super::{site, trace};

    #[track_caller]
    fn trace_cas<V: std::fmt::Display>(
        at: &Location<'_>,
        current: V,
        new: V,
        result: Result<V, V>,
    ) {
        trace(|| match result {
            Ok(_) => format!("cas ({}) {current} -> {new}: ok", site(at)),
            Err(seen) => format!("cas ({}) {current} -> {new}: saw {seen}", site(at)),
        });
    }

    macro_rules! traced_atomic {
        ($name:ident, $value:ty) => {
            /// The checker's atomic, with every access traced.
            #[derive(Debug, Default)]
            pub struct $name(crate::checker::sync::atomic::$name);

            impl $name {
                /// A new atomic holding `value`.
                pub fn new(value: $value) -> Self {
                    Self(crate::checker::sync::atomic::$name::new(value))
                }

                /// Loads the value.
                #[track_caller]
                pub fn load(&self, order: Ordering) -> $value {
                    let at = Location::caller();
                    let value = self.0.load(order);
                    trace(|| format!("load ({}) -> {value}", site(at)));
                    value
                }

                /// Stores `value`.
                #[track_caller]
                pub fn store(&self, value: $value, order: Ordering) {
                    let at = Location::caller();
                    trace(|| format!("store ({}) <- {value}", site(at)));
                    self.0.store(value, order);
                }

                /// Stores `value`, returning the previous value.
                #[track_caller]
                pub fn swap(&self, value: $value, order: Ordering) -> $value {
                    let at = Location::caller();
                    let old = self.0.swap(value, order);
                    trace(|| format!("swap ({}) {old} -> {value}", site(at)));
                    old
                }

                /// Stores `new` if the value is `current`.
                #[track_caller]
                pub fn compare_exchange(
                    &self,
                    current: $value,
                    new: $value,
                    success: Ordering,
                    failure: Ordering,
                ) -> Result<$value, $value> {
                    let result = self.0.compare_exchange(current, new, success, failure);
                    trace_cas(Location::caller(), current, new, result);
                    result
                }

                /// Like `compare_exchange`, allowed to fail spuriously.
                #[track_caller]
                pub fn compare_exchange_weak(
                    &self,
                    current: $value,
                    new: $value,
                    success: Ordering,
                    failure: Ordering,
                ) -> Result<$value, $value> {
                    let result = self.0.compare_exchange_weak(current, new, success, failure);
                    trace_cas(Location::caller(), current, new, result);
                    result
                }

                /// Consumes the atomic and returns the value.
                pub fn into_inner(self) -> $value {
                    self.0.into_inner()
                }
            }
        };
    }

    /// A read-modify-write method, traced as `name (site) old OP operand`.
    macro_rules! traced_rmw {
        ($doc:literal, $method:ident, $value:ty, $op:literal) => {
            #[doc = $doc]
            #[track_caller]
            pub fn $method(&self, operand: $value, order: Ordering) -> $value {
                let at = Location::caller();
                let old = self.0.$method(operand, order);
                trace(|| {
                    format!(
                        concat!(stringify!($method), " ({}) {} ", $op, " {}"),
                        site(at),
                        old,
                        operand
                    )
                });
                old
            }
        };
    }

    macro_rules! traced_integer {
        ($name:ident, $value:ty) => {
            traced_atomic!($name, $value);

            impl $name {
                traced_rmw!(
                    "Adds, returning the previous value.",
                    fetch_add,
                    $value,
                    "+"
                );
                traced_rmw!(
                    "Subtracts, returning the previous value.",
                    fetch_sub,
                    $value,
                    "-"
                );
                traced_rmw!(
                    "Stores the maximum, returning the previous value.",
                    fetch_max,
                    $value,
                    "max"
                );
            }
        };
    }

    traced_atomic!(AtomicBool, bool);
    traced_integer!(AtomicUsize, usize);
    traced_integer!(AtomicU64, u64);
    traced_integer!(AtomicI64, i64);

    impl AtomicBool {
        traced_rmw!(
            "Logical or, returning the previous value.",
            fetch_or,
            bool,
            "|"
        );
        traced_rmw!(
            "Logical and, returning the previous value.",
            fetch_and,
            bool,
            "&"
        );
    }
}

/// Threads of the checker; spawn and join are traced.
pub mod thread {
    use std::io;

    pub use crate::checker::thread::{LocalKey, current, yield_now};

    use super::trace;

    /// Labels a new thread, after making sure its spawner has a label (the first thread to
    /// get one is `main`).
    fn spawned(thread: &crate::checker::thread::Thread) -> String {
        super::current_label();
        threadproof_trace::label(&format!("{:?}", thread.id()), thread.name())
    }

    /// Spawns a thread, traced as `spawn tN`.
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = crate::checker::thread::spawn(f);
        let label = spawned(inner.thread());
        trace(|| format!("spawn {label}"));
        JoinHandle { inner, label }
    }

    /// A thread factory (names the thread; the trace uses the name).
    #[derive(Debug)]
    pub struct Builder(crate::checker::thread::Builder);

    impl Default for Builder {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Builder {
        /// A builder with default settings.
        pub fn new() -> Self {
            Self(crate::checker::thread::Builder::new())
        }

        /// Names the thread.
        pub fn name(self, name: String) -> Self {
            Self(self.0.name(name))
        }

        /// Spawns the thread, traced as `spawn NAME`.
        pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            let inner = self.0.spawn(f)?;
            let label = spawned(inner.thread());
            trace(|| format!("spawn {label}"));
            Ok(JoinHandle { inner, label })
        }
    }

    /// A handle to join a spawned thread; the join is traced.
    #[derive(Debug)]
    pub struct JoinHandle<T> {
        inner: crate::checker::thread::JoinHandle<T>,
        label: String,
    }

    impl<T> JoinHandle<T> {
        /// Waits for the thread to finish and returns its result.
        pub fn join(self) -> std::thread::Result<T> {
            let Self { inner, label } = self;
            let token =
                threadproof_trace::begin(super::current_label, || format!("join {label}: waiting"));
            let result = inner.join();
            threadproof_trace::finish(token, super::current_label, || format!("joined {label}"));
            result
        }

        /// The thread's handle.
        pub fn thread(&self) -> &crate::checker::thread::Thread {
            self.inner.thread()
        }
    }
}

/// Scheduler hints of the checker, and a one-step [`Backoff`](hint::Backoff).
pub mod hint {
    pub use crate::checker::hint::spin_loop;

    /// Production's spin-then-park budget, cut to one snooze: one [`spin_loop`] (a yield to
    /// the checker, which may run any other thread there). A `Backoff` may only guard reads
    /// of a hint before a recheck under a lock, so a longer budget reaches no state this one
    /// does not; it would multiply the schedules to explore by the number of steps.
    #[derive(Debug, Default)]
    pub struct Backoff {
        spent: bool,
    }

    impl Backoff {
        /// A full budget (of one step).
        pub fn new() -> Self {
            Backoff { spent: false }
        }

        /// Yields to the checker once and returns true; false afterwards.
        pub fn snooze(&mut self) -> bool {
            if self.spent {
                return false;
            }
            self.spent = true;
            spin_loop();
            true
        }

        /// True when the budget is spent: the next [`snooze`](Self::snooze) returns false.
        pub fn is_spent(&self) -> bool {
            self.spent
        }
    }
}

/// Cells whose accesses the checker tracks (loom: a read not ordered after the last write is
/// reported as a causality violation). Under shuttle, a plain cell: shuttle runs every
/// ordering as SeqCst and does not track cell accesses.
pub mod cell {
    pub use crate::checker::cell::UnsafeCell;
}

/// Performance knobs, shrunk for the checkers (see the library's `sync::tuning`).
pub mod tuning {
    /// One look, then park: each further look would be more scheduling points to explore,
    /// and only repeats the unlocked look already interleaved with every push.
    pub const IDLE_LOOKS: u32 = 1;
}

/// Work-stealing deques with crossbeam-deque's surface, for the model checkers: each deque is
/// a `VecDeque` behind the checker's [`Mutex`](super::Mutex), so every push, pop and steal is
/// a scheduling point the checker can interleave. This is **not** crossbeam-deque: its
/// lock-free internals are invisible to loom and shuttle. What the models check is the
/// protocol of the code that uses the deques (pushing, stealing, parking, waking, shutdown).
/// Differences: a steal here never returns `Retry` (the lock makes every steal decisive), and
/// `steal_batch_and_pop` moves half of what is there, at most 4, where crossbeam picks its own
/// batch size.
pub mod deque {
    use std::collections::VecDeque;
    // std's Arc on purpose: a checker's Arc must not be dropped while a deadlocked model
    // unwinds (see the module docs), and sharing the deque needs no modelled refcount.
    use std::sync::Arc;

    use super::Mutex;

    /// The outcome of a steal.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Steal<T> {
        /// There was nothing to steal.
        Empty,
        /// One item, stolen.
        Success(T),
        /// Lost a race; try again (never returned by this model).
        Retry,
    }

    /// The shared FIFO every thread may push to and steal from.
    #[derive(Debug)]
    pub struct Injector<T> {
        queue: Mutex<VecDeque<T>>,
    }

    impl<T> Default for Injector<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> Injector<T> {
        /// An empty injector.
        pub fn new() -> Self {
            Injector {
                queue: Mutex::new(VecDeque::new()),
            }
        }

        /// Pushes at the back.
        #[track_caller]
        pub fn push(&self, item: T) {
            self.queue.lock().push_back(item);
        }

        /// Steals from the front.
        #[track_caller]
        pub fn steal(&self) -> Steal<T> {
            self.queue
                .lock()
                .pop_front()
                .map_or(Steal::Empty, Steal::Success)
        }

        /// Steals a batch: moves some items into `dest` and returns one more.
        #[track_caller]
        pub fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
            let mut queue = self.queue.lock();
            let Some(first) = queue.pop_front() else {
                return Steal::Empty;
            };
            let more = (queue.len() / 2).min(4);
            if more > 0 {
                let mut dest = dest.queue.lock();
                for item in queue.drain(..more) {
                    dest.push_back(item);
                }
            }
            Steal::Success(first)
        }

        /// True when empty.
        #[track_caller]
        pub fn is_empty(&self) -> bool {
            self.queue.lock().is_empty()
        }

        /// The number of items.
        #[track_caller]
        pub fn len(&self) -> usize {
            self.queue.lock().len()
        }
    }

    /// A worker's own deque: only its owner pushes and pops; [`Stealer`]s take from the front.
    #[derive(Debug)]
    pub struct Worker<T> {
        queue: Arc<Mutex<VecDeque<T>>>,
        lifo: bool,
    }

    impl<T> Worker<T> {
        /// A deque whose owner pops the oldest item first.
        pub fn new_fifo() -> Self {
            Worker {
                queue: Arc::new(Mutex::new(VecDeque::new())),
                lifo: false,
            }
        }

        /// A deque whose owner pops the newest item first.
        pub fn new_lifo() -> Self {
            Worker {
                lifo: true,
                ..Self::new_fifo()
            }
        }

        /// Pushes at the back.
        #[track_caller]
        pub fn push(&self, item: T) {
            self.queue.lock().push_back(item);
        }

        /// Pops the owner's end.
        #[track_caller]
        pub fn pop(&self) -> Option<T> {
            let mut queue = self.queue.lock();
            if self.lifo {
                queue.pop_back()
            } else {
                queue.pop_front()
            }
        }

        /// A handle for other threads to steal with.
        pub fn stealer(&self) -> Stealer<T> {
            Stealer {
                queue: Arc::clone(&self.queue),
            }
        }

        /// True when empty.
        #[track_caller]
        pub fn is_empty(&self) -> bool {
            self.queue.lock().is_empty()
        }

        /// The number of items.
        #[track_caller]
        pub fn len(&self) -> usize {
            self.queue.lock().len()
        }
    }

    /// Steals from the front of one [`Worker`]'s deque.
    #[derive(Debug)]
    pub struct Stealer<T> {
        queue: Arc<Mutex<VecDeque<T>>>,
    }

    impl<T> Clone for Stealer<T> {
        fn clone(&self) -> Self {
            Stealer {
                queue: Arc::clone(&self.queue),
            }
        }
    }

    impl<T> Stealer<T> {
        /// Steals the oldest item.
        #[track_caller]
        pub fn steal(&self) -> Steal<T> {
            self.queue
                .lock()
                .pop_front()
                .map_or(Steal::Empty, Steal::Success)
        }

        /// True when empty.
        #[track_caller]
        pub fn is_empty(&self) -> bool {
            self.queue.lock().is_empty()
        }
    }
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
pub struct MutexGuard<'a, T> {
    // `None` only while a `Condvar` wait has handed the checker's guard back to the checker.
    inner: Option<inner::MutexGuard<'a, T>>,
    // Where the lock was taken, to name it in the trace.
    at: &'static Location<'static>,
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MutexGuard").field(&self.inner).finish()
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // A checker that finds a deadlock panics from inside its scheduler, with no thread
        // active; unlocking (or tracing) on the way out would call back into it, and loom then
        // aborts the process ("panic in a destructor during cleanup"). The execution has failed
        // and ends with this panic, so the lock need not be released: forget the checker's
        // guard.
        if std::thread::panicking() {
            if let Some(held) = self.inner.take() {
                std::mem::forget(held);
            }
            return;
        }
        let at = self.at;
        if self.inner.is_some() {
            trace(|| format!("unlock ({})", site(at)));
        }
    }
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
        let at = Location::caller();
        let token =
            threadproof_trace::begin(current_label, || format!("lock ({}): waiting", site(at)));
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        threadproof_trace::finish(token, current_label, || format!("locked ({})", site(at)));
        MutexGuard {
            inner: Some(guard),
            at,
        }
    }

    /// Takes the lock if it is free.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let at = Location::caller();
        let guard = match self.inner.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        trace(|| {
            let outcome = if guard.is_some() { "taken" } else { "busy" };
            format!("try_lock ({}): {outcome}", site(at))
        });
        Some(MutexGuard {
            inner: Some(guard?),
            at,
        })
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
        let at = Location::caller();
        trace(|| format!("wait ({})", site(at)));
        let held = guard.inner.take().expect("guard is held");
        guard.inner = Some(
            self.inner
                .wait(held)
                .unwrap_or_else(PoisonError::into_inner),
        );
        trace(|| format!("woken ({})", site(at)));
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`.
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        let at = Location::caller();
        trace(|| format!("wait_for ({})", site(at)));
        let held = guard.inner.take().expect("guard is held");
        let (held, result) = self
            .inner
            .wait_timeout(held, timeout)
            .unwrap_or_else(PoisonError::into_inner);
        guard.inner = Some(held);
        let timed_out = result.timed_out();
        trace(|| {
            let why = if timed_out { "timed out" } else { "woken" };
            format!("{why} ({})", site(at))
        });
        WaitTimeoutResult(timed_out)
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
        let at = Location::caller();
        trace(|| format!("notify_one ({})", site(at)));
        self.inner.notify_one();
    }

    /// Wakes every waiter.
    #[track_caller]
    pub fn notify_all(&self) {
        let at = Location::caller();
        trace(|| format!("notify_all ({})", site(at)));
        self.inner.notify_all();
    }
}
