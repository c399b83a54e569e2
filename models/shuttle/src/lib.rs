//! The threadproof patterns compiled a second time, against shuttle.
//!
//! Nothing here is new code: `sync` is the facade's model backend and every other module is a
//! pattern file from the library's `src/`, included by path. The pattern files import
//! `crate::sync`, so here they run on shuttle's Mutex, Condvar, atomics, threads and
//! thread-locals, which shuttle schedules at random (PCT and uniform).

// ANCHOR: world
/// The checker the model backend builds on.
mod checker {
    pub use shuttle::{hint, sync, thread, thread_local};

    /// shuttle has no cell module: a plain `UnsafeCell` with loom's closure API. shuttle
    /// treats every atomic ordering as SeqCst, so orderings are loom's to check.
    pub mod cell {
        /// `std::cell::UnsafeCell` behind `with`/`with_mut`.
        #[derive(Debug, Default)]
        pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

        impl<T> UnsafeCell<T> {
            /// A cell holding `value`.
            pub const fn new(value: T) -> Self {
                UnsafeCell(std::cell::UnsafeCell::new(value))
            }
        }

        impl<T: ?Sized> UnsafeCell<T> {
            /// Reads through a `*const T`.
            pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
                f(self.0.get())
            }

            /// Writes through a `*mut T`.
            pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
                f(self.0.get())
            }
        }
    }
}

#[path = "../../facade/model_backend.rs"]
pub mod sync;
// ANCHOR_END: world

// One line per pattern file, by path:

#[path = "../../../src/counter/mod.rs"]
pub mod counter;
#[path = "../../../src/event/mod.rs"]
pub mod event;
#[path = "../../../src/io_models/task_queue/mod.rs"]
pub mod io_task_queue;
#[path = "../../../src/lock_order/mod.rs"]
pub mod lock_order;
#[path = "../../../src/pipeline/mod.rs"]
pub mod pipeline;
#[path = "../../../src/pool/mod.rs"]
pub mod pool;
#[path = "../../../src/queue/mod.rs"]
pub mod queue;
#[path = "../../../src/semaphore/mod.rs"]
pub mod semaphore;
#[path = "../../../src/thread_local/mod.rs"]
pub mod thread_local;
// Only the ring's OS-free index protocol: the rest of `ipc` makes system calls.
#[path = "../../../src/ipc/ring_protocol.rs"]
pub mod ring_protocol;
// And the cross-process queue's OS-free record and blocking protocol.
#[path = "../../../src/ipc/queue_protocol.rs"]
pub mod queue_protocol;
