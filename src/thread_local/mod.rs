//! Per-thread context — seed 003 §2.4 (`threading.local()`).
//!
//! The seed binds `local_school.student` in each thread; functions the thread calls read it
//! without being passed it, and no thread sees another's student. That is how a thread carries
//! its database connection, its HTTP request or its user through a call chain.
//!
//! Reference implementations (copy these):
//! - [`ThreadContext`]: a handle to a `thread_local!` slot with `set`, `get`, `with`, `take`
//!   and `scope` (bind for the length of a call, restore on the way out, even on panic).
//! - [`handle_request`]: per-request context on a reused worker thread.
//! - [`school`]: the seed's program, `process_thread(name)` binding the student and
//!   `process_student()` reading it.
//!
//! The value is dropped when its thread ends, and a new thread starts with nothing bound.
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::SharedSlot`]: one slot behind a mutex standing in for thread-local storage.
//!   Thread A binds Alice, thread B binds Bob, A reads Bob. Bug: **cross-talk**.
//! - [`flawed::handle_request_leaky`]: a worker thread binds the request's user with `set` and
//!   never unbinds it, so the next request on the same thread runs as the previous user.
//!   Bug: **stale context** (the classic thread-pool leak; [`ThreadContext::scope`] is the fix).

mod context;
pub mod flawed;
mod request;
pub mod school;

pub use context::{Context, ThreadContext};
pub use request::handle_request;
