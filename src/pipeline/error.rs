//! What a [`Pipeline`](super::Pipeline) reports: which stage failed on which item, which items
//! a stop abandoned, and the configuration errors [`start`](super::Builder::start) refuses.

use std::error::Error;
use std::fmt;

// ANCHOR: stage_error
/// A stage failed on an item: the stage (index from 0, and its name), the item (its input
/// number, as [`put`](super::Pipeline::put) returned it), and why. The first one stops the
/// pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StageError {
    /// The stage's index, 0 for the first.
    pub stage: usize,
    /// The stage's name.
    pub name: String,
    /// The item's input number.
    pub item: u64,
    /// Why: the stage's error, or its panic.
    pub cause: Cause,
}

/// Why a stage produced no output for an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The stage function returned `Err`; its message (`Display`).
    Failed(String),
    /// The stage function panicked; the panic message, if it was a string. The worker caught
    /// it: the thread is not lost, the pipeline stops.
    Panicked(String),
}

/// An accepted item that no stage finished or failed on: the pipeline stopped (another item
/// failed) while it was waiting in `stage`'s input queue, or on its way there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Abandoned {
    /// The item's input number.
    pub item: u64,
    /// The stage it had not been through yet.
    pub stage: usize,
}
// ANCHOR_END: stage_error

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            stage, name, item, ..
        } = self;
        match &self.cause {
            Cause::Failed(msg) => write!(f, "stage {stage} ({name}) failed on item {item}: {msg}"),
            Cause::Panicked(msg) => {
                write!(f, "stage {stage} ({name}) panicked on item {item}: {msg}")
            }
        }
    }
}

impl Error for StageError {}

/// [`put`](super::Pipeline::put) into a pipeline that takes no more input (closed, or stopped
/// by a failure): the item, handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Refused<T>(pub T);

impl<T> Refused<T> {
    /// The item that was not accepted.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Refused(..)")
    }
}

impl<T> fmt::Display for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("putting into a pipeline that was closed or stopped")
    }
}

impl<T> Error for Refused<T> {}

/// A pipeline that cannot start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// A queue of capacity 0: the input queue (`stage: None`) or a stage's output queue.
    ZeroCapacity {
        /// The stage whose output queue it is; `None` for the input queue.
        stage: Option<usize>,
    },
    /// A stage with no workers would never take an item.
    ZeroWorkers {
        /// The stage.
        stage: usize,
    },
    /// A pipeline needs at least one stage.
    NoStages,
    /// The operating system refused a thread; the threads already started were stopped and
    /// joined.
    Spawn(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ZeroCapacity { stage: None } => {
                f.write_str("the pipeline's input queue needs a capacity of at least 1")
            }
            ConfigError::ZeroCapacity { stage: Some(s) } => {
                write!(f, "stage {s}'s output queue needs a capacity of at least 1")
            }
            ConfigError::ZeroWorkers { stage } => {
                write!(f, "stage {stage} needs at least one worker")
            }
            ConfigError::NoStages => f.write_str("a pipeline needs at least one stage"),
            ConfigError::Spawn(why) => write!(f, "could not start a worker thread: {why}"),
        }
    }
}

impl Error for ConfigError {}
