//! The threadproof patterns compiled a second time, against loom.
//!
//! Nothing here is new code: `sync` is the facade's model backend and every other module is a
//! pattern file from the library's `src/`, included by path. The pattern files import
//! `crate::sync`, so here they run on loom's Mutex, Condvar, atomics, threads and
//! thread-locals, which loom explores exhaustively.

// ANCHOR: world
/// The checker the model backend builds on.
mod checker {
    pub use loom::{cell, hint, sync, thread, thread_local};
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
