//! Worker pool — seed 002 §3.4 (`Pool(processes)`, `apply_async`, `close`, `join`),
//! 003 §1.2 (`Pool(4)` with five tasks: the fifth waits for a free worker; `join()` only after
//! `close()`), and 001 "dynamic mapping" (manager/worker versus the decentralized scheme).
//!
//! Reference implementation (copy this):
//! - [`Pool`]: `n` worker threads with one of two [`Strategy`]s behind the same API:
//!   [`Strategy::CentralQueue`], one central [`BoundedQueue`](crate::queue::BoundedQueue)
//!   (manager/worker), or [`Strategy::WorkStealing`], a deque per worker plus a shared
//!   injector, idle workers stealing (crossbeam-deque; the decentralized scheme). [`apply_async`](Pool::apply_async) returns a [`TaskHandle`] whose
//!   [`get`](TaskHandle::get) / [`get_timeout`](TaskHandle::get_timeout) wait for the
//!   result, which a worker leaves in a [`Slot`]; [`map`](Pool::map) keeps input order;
//!   [`close`](Pool::close), [`join`](Pool::join), [`terminate`](Pool::terminate) as in Python.
//!
//! Design decisions:
//! - **Every task ends exactly once**: in its value, or in a [`TaskError`] — `Panicked` (the
//!   worker catches the panic and lives on), `Terminated` (cancelled before it started), or
//!   `Closed` (`map` could not submit it). A task `apply_async` refuses is handed back
//!   ([`Refused`]).
//! - **`join` before `close` is an error value** ([`JoinError::NotClosed`]), not a hang.
//! - **Dropping the pool closes and joins it**: every accepted task runs. (Python's context
//!   manager terminates instead; [`terminate`](Pool::terminate) is there for that.)
//! - The queue is unbounded by default, like Python's; [`Pool::with_capacity`] bounds it.
//! - **One type, a strategy argument** ([`Pool::with_strategy`]), not a trait with two pool
//!   types: code that takes a `&Pool` (a bench, a pipeline) switches strategy with one value
//!   and no generics, and the contract (close, join, terminate, drop) is written and tested
//!   once. The cost is one `match` per call.
//! - **An idle work-stealing worker looks for work again under the lock every push takes**
//!   before it sleeps, so a task pushed while all workers are going to sleep is never
//!   stranded. The models check this protocol over a model deque (a `Mutex<VecDeque>` with
//!   crossbeam-deque's surface, see [`crate::sync::deque`]), not crossbeam-deque's internals.
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::UnclosedJoinPool`]: `join` without `close`; the workers wait for tasks, the
//!   caller waits for the workers. Bug: **deadlock**.
//! - [`flawed::RelaxedSlot`]: the result published with a `Relaxed` flag; the caller can see
//!   the flag and read the slot before the value. Bug: **torn read** (a stale result).
//! - [`flawed::LostWakeupPool`]: a work-stealing worker that found no work goes to sleep
//!   without looking again under the lock; a task pushed in between wakes nobody. Bug:
//!   **lost wakeup** (a deadlock: the caller waits for a task no one runs).

mod central;
mod error;
pub mod flawed;
mod interface;
mod job;
mod slot;
mod stealing;

pub use error::{JoinError, Refused, TaskError, ZeroWorkers};
pub use interface::{Pool, Strategy};
pub use job::{TaskHandle, TaskResult};
pub use slot::Slot;

// ANCHOR: result_slot
/// Where a worker leaves one result for one caller, so the models can check the reference
/// [`Slot`] and the flawed [`flawed::RelaxedSlot`] with one body.
pub trait ResultSlot<R> {
    /// A slot with nothing in it yet.
    fn empty() -> Self
    where
        Self: Sized;
    /// Leaves the value (the worker, once).
    fn fill(&self, value: R);
    /// Waits for the value and takes it (the caller, once).
    fn take(&self) -> R;
}
// ANCHOR_END: result_slot
