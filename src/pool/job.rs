//! What both distribution strategies carry: a task boxed with its result slot, and the
//! caller's handle to that slot.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::sync::Arc;
use crate::sync::time::Duration;

use super::ResultSlot;
use super::error::{Refused, TaskError};
use super::slot::Slot;

/// A task's outcome.
pub type TaskResult<R> = Result<R, TaskError>;

// ANCHOR: job
/// A submitted task: the closure and the slot its result goes to. Boxed as `dyn Job` so one
/// queue carries tasks of every type.
pub(super) trait Job: Send {
    /// Runs the closure, catching a panic, and fills the slot.
    fn run(self: Box<Self>);
    /// Fills the slot with `Terminated` without running the closure.
    fn cancel(self: Box<Self>);
    /// For handing a refused closure back.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

struct Task<F, R> {
    f: F,
    slot: Arc<Slot<TaskResult<R>>>,
}

impl<F, R> Job for Task<F, R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    fn run(self: Box<Self>) {
        let Task { f, slot } = *self;
        let result = panic::catch_unwind(AssertUnwindSafe(f))
            .map_err(|p| TaskError::Panicked(panic_message(p.as_ref())));
        slot.fill(result);
    }

    fn cancel(self: Box<Self>) {
        self.slot.fill(Err(TaskError::Terminated));
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
// ANCHOR_END: job

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

// ANCHOR: submit
/// Boxes `f` with a fresh slot and hands the box to `push` (one strategy's queue); a closed
/// queue hands the box back, and the box hands `f` back.
pub(super) fn submit<F, R>(
    push: impl FnOnce(Box<dyn Job>) -> Result<(), Box<dyn Job>>,
    f: F,
) -> Result<TaskHandle<R>, Refused<F>>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(Slot::empty());
    let task: Box<dyn Job> = Box::new(Task {
        f,
        slot: Arc::clone(&slot),
    });
    match push(task) {
        Ok(()) => Ok(TaskHandle { slot }),
        Err(task) => {
            let task = task
                .into_any()
                .downcast::<Task<F, R>>()
                .expect("the job put is the job handed back");
            Err(Refused(task.f))
        }
    }
}
// ANCHOR_END: submit

// ANCHOR: handle
/// The caller's end of one task (Python's `AsyncResult`).
pub struct TaskHandle<R> {
    slot: Arc<Slot<TaskResult<R>>>,
}

impl<R> TaskHandle<R> {
    /// Waits for the task's result.
    pub fn get(self) -> TaskResult<R> {
        self.slot.take()
    }

    /// Waits at most `timeout`; on timeout hands the handle back, to wait again.
    pub fn get_timeout(self, timeout: Duration) -> Result<TaskResult<R>, TaskHandle<R>> {
        match self.slot.take_timeout(timeout) {
            Some(result) => Ok(result),
            None => Err(self),
        }
    }

    /// True when the result is there (Python's `ready()`).
    pub fn is_ready(&self) -> bool {
        self.slot.is_filled()
    }
}
// ANCHOR_END: handle

impl<R> fmt::Debug for TaskHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("ready", &self.is_ready())
            .finish()
    }
}
