//! The central-queue strategy (manager/worker): one [`BoundedQueue`] every worker takes from.

use std::ops::Deref;

use crate::queue::BoundedQueue;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::note;
use crate::sync::thread::{self, JoinHandle};

use super::job::Job;

/// What the workers share: the central queue and the terminate flag.
pub(super) struct Shared {
    pub(super) queue: BoundedQueue<Box<dyn Job>>,
    pub(super) terminated: AtomicBool,
}

impl Shared {
    pub(super) fn new(capacity: usize) -> Self {
        Shared {
            queue: BoundedQueue::new(capacity),
            terminated: AtomicBool::new(false),
        }
    }

    /// Puts a job on the queue (blocking while a bounded queue is full); a closed queue hands
    /// it back.
    pub(super) fn push(&self, job: Box<dyn Job>) -> Result<(), Box<dyn Job>> {
        self.queue.put(job).map_err(|e| e.into_inner())
    }

    // ANCHOR: terminate
    /// Closes the queue and cancels every task not yet started: their handles get
    /// [`TaskError::Terminated`](super::TaskError::Terminated).
    pub(super) fn terminate(&self) {
        self.terminated.store(true, Ordering::SeqCst);
        self.queue.close();
        // Workers may take some of these concurrently; they see the flag and cancel too.
        while let Ok(job) = self.queue.try_get() {
            job.cancel();
            let _ = self.queue.task_done();
        }
    }
    // ANCHOR_END: terminate
}

// ANCHOR: worker
/// A worker: takes tasks from the central queue until it is closed **and drained**, so every
/// task accepted before `close` runs. A task's panic is caught in [`Job::run`]; the worker
/// goes on with the next task.
pub(super) fn spawn_workers<S>(shared: S, n: usize) -> Vec<JoinHandle<()>>
where
    S: Deref<Target = Shared> + Clone + Send + 'static,
{
    (0..n)
        .map(|_| {
            let shared = shared.clone();
            thread::spawn(move || {
                while let Ok(job) = shared.queue.get() {
                    if shared.terminated.load(Ordering::SeqCst) {
                        job.cancel();
                    } else {
                        job.run();
                    }
                    // Cannot fail: this item was put and not yet marked done.
                    let _ = shared.queue.task_done();
                }
                note(|| "worker: queue closed and drained, exiting".to_string());
            })
        })
        .collect()
}
// ANCHOR_END: worker
