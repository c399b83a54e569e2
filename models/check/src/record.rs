//! Recording shuttle's schedule, so a caught failure can be replayed.
//!
//! shuttle prints the failing schedule from its panic hook, to stderr, with the configuration
//! of whichever run came first. The harness needs the string itself, per check, so it wraps the
//! scheduler and writes down each decision of the current execution: the task chosen at every
//! step and every random draw. When the execution panics, the recording is exactly the
//! schedule `shuttle::replay` needs.

use std::sync::{Arc, Mutex, PoisonError};

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// The schedule of the execution in progress (or of the last one, once the run stopped).
#[derive(Debug, Clone, Default)]
pub struct Recording {
    current: Arc<Mutex<Schedule>>,
}

impl Recording {
    /// Wraps `inner` so that its decisions are recorded here.
    pub fn wrap<S: Scheduler>(&self, inner: S) -> Recorder<S> {
        Recorder {
            inner,
            recording: self.clone(),
        }
    }

    /// The recorded schedule in shuttle's replay encoding.
    pub fn serialized(&self) -> String {
        let schedule = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        // shuttle wraps long encodings over several lines; one token is easier to paste.
        shuttle_engine::scheduler::serialization::serialize_schedule(&schedule)
            .split_whitespace()
            .collect()
    }

    fn with(&self, f: impl FnOnce(&mut Schedule)) {
        f(&mut self.current.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// A scheduler that records what its inner scheduler decides.
#[derive(Debug)]
pub struct Recorder<S> {
    inner: S,
    recording: Recording,
}

impl<S: Scheduler> Scheduler for Recorder<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let schedule = self.inner.new_execution()?;
        self.recording
            .with(|current| *current = Schedule::new(schedule.seed));
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable_tasks: &[&Task],
        current_task: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self
            .inner
            .next_task(runnable_tasks, current_task, is_yielding)?;
        self.recording.with(|current| current.push_task(next));
        Some(next)
    }

    fn next_u64(&mut self) -> u64 {
        self.recording.with(|current| current.push_random());
        self.inner.next_u64()
    }
}
