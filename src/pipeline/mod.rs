//! Producer/consumer pipeline — seed 003 §2.5 (线程队列: "a pipeline has many serial stages,
//! each with one function; new work is added at the front; the functions run at once, each
//! on the work items at its stage", joined by `queue.Queue`s whose blocking `get` replaces
//! busy waiting).
//!
//! Reference implementation (copy this):
//! - [`Pipeline`]: stages of worker threads joined by
//!   [`BoundedQueue`]s. Each stage has its own worker count and
//!   output-queue capacity; a slow stage fills the queue before it, which blocks the stage
//!   before that, and so on up to [`put`](Pipeline::put) (back-pressure). Built with
//!   [`Pipeline::builder`], [`Builder::stage`], [`Builder::start`].
//!
//! Design decisions:
//! - **Every accepted item ends exactly once**, and the caller sees where: a result (from
//!   [`get`](Pipeline::get) or in the [`Report`] of [`finish`](Pipeline::finish)), a
//!   [`StageError`] (the stage returned `Err` or panicked: which stage, which item), or
//!   [`Abandoned`] (a failure stopped the pipeline before the item's next stage). An item
//!   [`put`](Pipeline::put) refuses is handed back ([`Refused`]). Items are numbered in the
//!   order accepted, so the caller can match results to inputs.
//! - **Closing drains in order.** [`close`](Pipeline::close) closes only the input queue.
//!   Each worker runs until its input queue is closed *and drained*; the **last** worker of a
//!   stage to leave closes the next queue. So every item accepted before the close goes
//!   through every stage before any stage stops.
//! - **The first failure stops the pipeline**: it closes every queue but the output, which
//!   wakes every blocked put and get; workers abandon the items they take after that;
//!   results that made it through the last stage are still delivered. A panic in a stage is
//!   caught in the worker, reported like an error, and the thread lives on until the stop.
//! - **Dropping** the pipeline finishes it (close, drain, join); results not taken are
//!   dropped.
//! - Stages run items concurrently: with more than one worker in a stage, results come out
//!   in the order they finish. [`Report::into_result`] sorts by input number.
//!
//! Flawed variants, kept as positive controls for the checkers (do not copy):
//! - [`flawed::CloseAll`]: `close` closes **every** queue at once, signalling downstream
//!   stages before the items upstream are drained; a stage holding the last item finds its
//!   output queue closed. Bug: **lost item**.
//! - [`flawed::ExitOnEmpty`]: a worker leaves when its input queue is momentarily *empty*
//!   (`try_get`), not when it is *closed*; items put after that are never processed.
//!   Bug: **lost items**.

mod error;
pub mod flawed;
mod staged;

pub use error::{Abandoned, Cause, ConfigError, Refused, StageError};
pub use staged::{Builder, Pipeline, Report};

use crate::queue::BoundedQueue;

/// One of a pipeline's queues with its item type erased: what a shutdown [`Protocol`] and
/// the pipeline's bookkeeping need from it.
pub trait Lane: Send + Sync {
    /// Closes the queue (see [`BoundedQueue::close`]).
    fn close(&self);
    /// Items in the queue now.
    fn len(&self) -> usize;
    /// True when the queue holds no items now.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The queue's capacity.
    fn capacity(&self) -> usize;
    /// Takes every item in the queue now, without waiting; returns their input numbers.
    fn drain(&self) -> Vec<u64>;
}

// ANCHOR: protocol
/// How a pipeline shuts down: how a worker takes its next item, when a leaving worker
/// closes its stage's output queue, and what [`close`](Pipeline::close) closes. [`Graceful`]
/// is the reference; the flawed variants in [`flawed`] get one of the three wrong.
pub trait Protocol: 'static {
    /// The worker's next item from its input queue; `None`: the worker leaves.
    fn take<T>(inbox: &BoundedQueue<T>) -> Option<T>;
    /// A worker is leaving and `still_working` workers of its stage have not left yet:
    /// does it close the stage's output queue?
    fn closes_next(still_working: usize) -> bool;
    /// The caller's `close`. `lanes[0]` is the input queue, `lanes[k + 1]` stage `k`'s
    /// output queue.
    fn close(lanes: &[Box<dyn Lane>]);
}

/// The reference shutdown: a worker waits for an item and leaves only when its queue is
/// closed **and drained**; `close` closes only the input queue, and each stage's last worker
/// closes the next one, so the close travels down behind the last item.
#[derive(Debug, Clone, Copy, Default)]
pub struct Graceful;

impl Protocol for Graceful {
    fn take<T>(inbox: &BoundedQueue<T>) -> Option<T> {
        // Blocks while the queue is empty and open; `Err(Closed)` only once it is drained.
        inbox.get().ok()
    }

    fn closes_next(still_working: usize) -> bool {
        // Only the last one out: the others may still be putting results.
        still_working == 0
    }

    fn close(lanes: &[Box<dyn Lane>]) {
        lanes[0].close();
    }
}
// ANCHOR_END: protocol
