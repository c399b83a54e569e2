//! The errors of [`Pool`](super::Pool). A refused task hands its closure back.

use std::error::Error;
use std::fmt;

// ANCHOR: task_error
/// Why a task produced no value. Every task submitted ends in exactly one of: its value, or
/// one of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskError {
    /// The task panicked; the message, if it was a string. The worker caught the panic and
    /// went on with the next task.
    Panicked(String),
    /// [`terminate`](super::Pool::terminate) cancelled the task before a worker started it.
    Terminated,
    /// The pool was closed when [`map`](super::Pool::map) tried to submit the item.
    Closed,
}
// ANCHOR_END: task_error

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Panicked(msg) => write!(f, "the task panicked: {msg}"),
            TaskError::Terminated => f.write_str("the pool was terminated before the task ran"),
            TaskError::Closed => f.write_str("the pool was closed: the task was not submitted"),
        }
    }
}

impl Error for TaskError {}

/// [`apply_async`](super::Pool::apply_async) on a closed pool: the closure, handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Refused<F>(pub F);

impl<F> Refused<F> {
    /// The closure that was not submitted.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for Refused<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Refused(..)")
    }
}

impl<F> fmt::Display for Refused<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("submitting a task to a closed pool")
    }
}

impl<F> Error for Refused<F> {}

/// Why [`join`](super::Pool::join) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinError {
    /// `join` before `close` (or `terminate`): the workers would wait for tasks forever.
    /// Python raises `ValueError("Pool is still running")`.
    NotClosed,
    /// A worker thread itself panicked (not a task: those are caught). The other workers
    /// were still joined.
    WorkerPanicked,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JoinError::NotClosed => "join() before close(): the pool is still running",
            JoinError::WorkerPanicked => "a worker thread panicked",
        })
    }
}

impl Error for JoinError {}

/// A pool was asked for 0 workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZeroWorkers;

impl fmt::Display for ZeroWorkers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Pool needs at least 1 worker")
    }
}

impl Error for ZeroWorkers {}
