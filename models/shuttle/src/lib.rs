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
}

#[path = "../../facade/model_backend.rs"]
pub mod sync;
// ANCHOR_END: world

// One line per pattern file, by path:

#[path = "../../../src/counter/mod.rs"]
pub mod counter;
#[path = "../../../src/io_models/task_queue/mod.rs"]
pub mod io_task_queue;
#[path = "../../../src/thread_local/mod.rs"]
pub mod thread_local;
