//! The facade: the one door from pattern code to synchronization primitives.
//!
//! Every pattern in threadproof imports `Mutex`, `Condvar`, atomics, `Arc`, threads and
//! thread-locals from `crate::sync`, never from `std` or `parking_lot` directly. In the library
//! (what you get from crates.io) this module points at parking_lot and std. The model crates
//! compile **the same pattern files** a second time against another `sync` module,
//! `models/facade/model_backend.rs`, which points at loom (`models/loom`) or shuttle
//! (`models/shuttle`). So the code you copy is the code the checkers explored, and your build
//! never pulls in loom or shuttle.
//!
//! # The surface
//!
//! It is parking_lot's, because it is the smallest one that reads well:
//!
//! | item | production | shape |
//! |---|---|---|
//! | [`Mutex`], [`MutexGuard`] | `parking_lot` | `lock()` returns the guard, `try_lock()` an `Option` of it; no poisoning |
//! | [`Condvar`], [`WaitTimeoutResult`] | `parking_lot` | `wait(&mut guard)`, `wait_for(&mut guard, dur)`, `wait_until(&mut guard, deadline)`, `notify_one()`, `notify_all()` |
//! | [`Arc`] | `std` | |
//! | [`atomic`] | `std::sync::atomic` | `AtomicBool`, `AtomicUsize`, `AtomicU64`, `AtomicI64`, `Ordering`, `fence` |
//! | [`thread`] | `std::thread` | `spawn`, `Builder`, `JoinHandle`, `yield_now`, `current`, `LocalKey` |
//! | [`thread_local!`](crate::sync::thread_local) | `std::thread_local!` | non-`const` initializers only (loom's macro has no `const {}` form) |
//! | [`hint`] | `std::hint` | `spin_loop`; `Backoff` (spin, then yield, then "park now"; one step under the checkers) |
//! | [`time`] | `std::time` | `Instant`, `Duration` |
//! | [`note`] | nothing | a step in the pattern's words, for the checkers' traces |
//! | [`cell`] | `std::cell` | `UnsafeCell` with loom's closure API: `with(\|ptr\| ..)`, `with_mut(\|ptr\| ..)` |
//! | [`tuning`] | constants | `IDLE_LOOKS`: how often an idle worker looks for work before it parks |
//! | [`deque`] | `crossbeam::deque` | `Injector`, `Worker` (`new_fifo`, `new_lifo`, `push`, `pop`, `stealer`), `Stealer` (`steal`), `Steal`; `Injector::steal_batch_and_pop` |
//!
//! Two rules keep one source valid on all three backends:
//!
//! - Do not use the `bool` that parking_lot's `notify_one`/`notify_all` return; the model
//!   backends return `()`, so such code fails to compile in the model crates.
//! - Under loom and shuttle a timed wait never times out (neither models a clock). Timed code
//!   must recheck its deadline in a loop, which it should anyway (spurious wakeups), and its
//!   expiry is tested on real threads.
//!
//! # Copying the facade into your project
//!
//! Copy this file to `src/sync.rs`, add `parking_lot` to your dependencies, and import from
//! `crate::sync` in the code you want checked. To model-check it, make a test crate in your
//! workspace whose `lib.rs` declares the model backend as `sync` and your files by path:
//!
//! ```text
//! // models/loom/src/lib.rs
//! mod checker { pub use loom::{hint, sync, thread, thread_local}; }
//! #[path = "../../facade/model_backend.rs"] pub mod sync;
//! #[path = "../../../src/my_pattern.rs"] pub mod my_pattern;
//! ```
//!
//! The book's chapter "Model-checking your own code" walks through it.
//!
//! # Example
//!
//! ```
//! use threadproof::sync::{thread, Arc, Condvar, Mutex};
//!
//! let pair = Arc::new((Mutex::new(false), Condvar::new()));
//! let pair2 = Arc::clone(&pair);
//! let t = thread::spawn(move || {
//!     *pair2.0.lock() = true;
//!     pair2.1.notify_one();
//! });
//! let mut ready = pair.0.lock();
//! while !*ready {
//!     pair.1.wait(&mut ready);
//! }
//! drop(ready);
//! t.join().unwrap();
//! ```

// ANCHOR: facade
pub use parking_lot::{Condvar, Mutex, MutexGuard, WaitTimeoutResult};
pub use std::sync::Arc;
pub use std::thread_local;

/// Atomics (std's), with `Ordering` and `fence`.
pub mod atomic {
    pub use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering, fence};
}

/// Threads (std's): spawn, builder, join handles, thread-local keys.
pub mod thread {
    pub use std::thread::{Builder, JoinHandle, LocalKey, current, spawn, yield_now};
}

/// Hints to the scheduler (std's), and [`Backoff`](hint::Backoff) for spin-then-park waits.
pub mod hint {
    pub use std::hint::spin_loop;

    /// A budget of short waits to spend before parking a thread, in the shape of
    /// crossbeam-utils' `Backoff`: [`snooze`](Self::snooze) spins 1, 2, 4, .. 64 times
    /// ([`spin_loop`]; on a machine or affinity mask of one CPU it yields instead, the thread
    /// it waits for cannot run meanwhile), then yields the CPU 20 times, then says the budget
    /// is spent. On the
    /// 2-vCPU VM of the queue benchmark that is about 15 µs, the order of what parking a
    /// thread and waking it costs there; 4 yields (crossbeam's count) parked several times
    /// as often at capacity 1.
    ///
    /// Use it only to *watch* shared state (read a hint, never write) before taking the lock
    /// and rechecking; then whether the budget is long or short changes how soon a thread
    /// parks, not what it can observe. The model backend's budget is one snooze (one yield to
    /// the checker), which explores both outcomes of the watch: "changed while I looked" and
    /// "go and park".
    ///
    /// ```
    /// use threadproof::sync::atomic::{AtomicBool, Ordering};
    /// use threadproof::sync::hint::Backoff;
    ///
    /// let ready = AtomicBool::new(false);
    /// let mut backoff = Backoff::new();
    /// while !ready.load(Ordering::Relaxed) && backoff.snooze() {}
    /// assert!(backoff.is_spent()); // nobody set `ready`: now park on a Condvar
    /// ```
    #[derive(Debug, Default)]
    pub struct Backoff {
        step: u32,
    }

    impl Backoff {
        /// Steps that spin (`2^step` times each) before the yielding steps.
        const SPIN_STEPS: u32 = 7;
        /// All steps, spinning and yielding.
        const STEPS: u32 = 27;

        /// A full budget.
        pub fn new() -> Self {
            Backoff { step: 0 }
        }

        /// Waits a little (spins, later yields) and returns true; returns false, without
        /// waiting, once the budget is spent.
        pub fn snooze(&mut self) -> bool {
            if self.step >= Self::STEPS {
                return false;
            }
            if self.step < Self::SPIN_STEPS && many_cpus() {
                for _ in 0..1u32 << self.step {
                    spin_loop();
                }
            } else {
                std::thread::yield_now();
            }
            self.step += 1;
            true
        }

        /// True when the budget is spent: the next [`snooze`](Self::snooze) returns false.
        pub fn is_spent(&self) -> bool {
            self.step >= Self::STEPS
        }
    }

    /// Whether this process may run on more than one CPU (asked once). On one CPU the thread
    /// we wait for cannot run while we spin, so the spinning steps yield instead.
    fn many_cpus() -> bool {
        static MANY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *MANY.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
    }
}

/// Time (std's): deadlines for timed waits.
pub mod time {
    pub use std::time::{Duration, Instant};
}

/// Records a step in the pattern's own words (`put(7) -> waiting (full)`) in the model
/// checkers' trace of a failing interleaving. Here, in production, it compiles to nothing and
/// the closure is never called.
#[inline(always)]
pub fn note(_what: impl FnOnce() -> String) {}
/// Cells for data that atomics publish: std's `UnsafeCell` behind loom's closure API, so
/// loom can track every access (`with` reads, `with_mut` writes) and report one that no
/// happens-before edge orders after a write.
pub mod cell {
    /// An `UnsafeCell` whose accesses go through closures (loom's API). Same layout as `T`;
    /// like std's (and loom's), not `Sync`: a type sharing cells says why it is safe.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// A cell holding `value`.
        pub const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Reads through a `*const T`.
        #[inline(always)]
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Writes through a `*mut T`.
        #[inline(always)]
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// Performance knobs whose value the models shrink, because each step of a spin is a
/// scheduling point for loom. Correctness must hold for any value `>= 1`.
pub mod tuning {
    /// How many times an idle work-stealing worker looks for work (yielding between looks)
    /// before it parks. Parking and waking cost a futex call each; a worker that parks after
    /// every empty task pays them per task. The models use 1: spinning only repeats the
    /// unlocked look the models already interleave with every push.
    pub const IDLE_LOOKS: u32 = 64;
}

/// Work-stealing deques (crossbeam-deque's). The model backend replaces them with a small
/// `Mutex<VecDeque>` deque of the same surface built on the checker's `Mutex`: the checkers
/// explore the protocol of the code *using* the deques (who pushes, who steals, who parks,
/// who wakes whom), not crossbeam-deque's lock-free internals, which loom and shuttle cannot
/// see. Those are crossbeam's own to verify.
pub mod deque {
    pub use crossbeam::deque::{Injector, Steal, Stealer, Worker};
}
// ANCHOR_END: facade
