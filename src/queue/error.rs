//! The errors of [`BoundedQueue`](super::BoundedQueue). A failed put hands the value back.

use std::error::Error;
use std::fmt;

// ANCHOR: put_error
/// Why a put failed. Every variant carries the value back: nothing is dropped on failure.
///
/// | method | can return |
/// |---|---|
/// | [`put`](super::BoundedQueue::put) | `Closed` |
/// | [`try_put`](super::BoundedQueue::try_put) | `Full`, `Closed` |
/// | [`put_timeout`](super::BoundedQueue::put_timeout) | `Timeout`, `Closed` |
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue was full (`try_put` only).
    Full(T),
    /// The queue was closed: no put succeeds after [`close`](super::BoundedQueue::close).
    Closed(T),
    /// The queue stayed full until the timeout ran out (`put_timeout` only).
    Timeout(T),
}
// ANCHOR_END: put_error

impl<T> PutError<T> {
    /// The value that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(v) | PutError::Closed(v) | PutError::Timeout(v) => v,
        }
    }

    /// True for [`PutError::Full`].
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(_))
    }

    /// True for [`PutError::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, PutError::Closed(_))
    }

    /// True for [`PutError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, PutError::Timeout(_))
    }
}

// Like crossbeam-channel's errors: `Debug` does not require `T: Debug`.
impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::Closed(_) => f.write_str("Closed(..)"),
            PutError::Timeout(_) => f.write_str("Timeout(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "putting into a full queue",
            PutError::Closed(_) => "putting into a closed queue",
            PutError::Timeout(_) => "timed out putting into a full queue",
        })
    }
}

impl<T> Error for PutError<T> {}

/// Why a get failed.
///
/// | method | can return |
/// |---|---|
/// | [`get`](super::BoundedQueue::get) | `Closed` |
/// | [`try_get`](super::BoundedQueue::try_get) | `Empty`, `Closed` |
/// | [`get_timeout`](super::BoundedQueue::get_timeout) | `Timeout`, `Closed` |
///
/// `Closed` means closed **and drained**: items put before the close are still delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetError {
    /// The queue was empty (`try_get` only).
    Empty,
    /// The queue was closed and no items were left.
    Closed,
    /// The queue stayed empty until the timeout ran out (`get_timeout` only).
    Timeout,
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetError::Empty => "getting from an empty queue",
            GetError::Closed => "getting from a closed and empty queue",
            GetError::Timeout => "timed out getting from an empty queue",
        })
    }
}

impl Error for GetError {}

/// [`task_done`](super::BoundedQueue::task_done) was called more times than items were put
/// (Python raises `ValueError('task_done() called too many times')`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than items were put")
    }
}

impl Error for TaskDoneError {}

/// A queue was asked for capacity 0. A zero-capacity (rendezvous) queue is not supported: a
/// put would have to wait for a getter, which is another design (crossbeam's `bounded(0)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZeroCapacity;

impl fmt::Display for ZeroCapacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a BoundedQueue needs a capacity of at least 1 (zero-capacity rendezvous queues are not supported)",
        )
    }
}

impl Error for ZeroCapacity {}
