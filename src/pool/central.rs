use std::any::Any;
use std::fmt;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};

use crate::queue::BoundedQueue;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::time::Duration;
use crate::sync::{Arc, Mutex, note};

use super::ResultSlot;
use super::error::{JoinError, Refused, TaskError, ZeroWorkers};
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

// ANCHOR: submit
/// Boxes `f` with a fresh slot and puts it on the central queue; a closed queue hands the box
/// back, and the box hands `f` back.
pub(super) fn submit<F, R>(shared: &Shared, f: F) -> Result<TaskHandle<R>, Refused<F>>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(Slot::empty());
    let task: Box<dyn Job> = Box::new(Task {
        f,
        slot: Arc::clone(&slot),
    });
    match shared.queue.put(task) {
        Ok(()) => Ok(TaskHandle { slot }),
        Err(e) => {
            let task = e
                .into_inner()
                .into_any()
                .downcast::<Task<F, R>>()
                .expect("the job put is the job handed back");
            Err(Refused(task.f))
        }
    }
}
// ANCHOR_END: submit

// ANCHOR: pool
/// A pool of worker threads fed from one central queue (manager/worker): Python's
/// `multiprocessing.Pool` with threads, and errors instead of exceptions.
///
/// ```
/// use threadproof::pool::Pool;
///
/// let pool = Pool::new(4);
/// let handles: Vec<_> = (0..5)
///     .map(|i| pool.apply_async(move || i * i).unwrap())
///     .collect(); // the fifth task waits for a free worker
/// pool.close();
/// pool.join().unwrap();
/// let squares: Vec<_> = handles.into_iter().map(|h| h.get().unwrap()).collect();
/// assert_eq!(squares, [0, 1, 4, 9, 16]);
/// ```
pub struct Pool {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    size: usize,
}
// ANCHOR_END: pool

impl Pool {
    /// A pool of `n` workers with an unbounded task queue (as Python's).
    ///
    /// # Panics
    ///
    /// If `n` is 0; see [`try_new`](Self::try_new).
    #[track_caller]
    pub fn new(n: usize) -> Self {
        match Self::try_new(n) {
            Ok(pool) => pool,
            Err(e) => panic!("{e}"),
        }
    }

    /// A pool of `n` workers, or [`ZeroWorkers`] for 0.
    pub fn try_new(n: usize) -> Result<Self, ZeroWorkers> {
        Self::with_capacity(n, usize::MAX)
    }

    /// A pool of `n` workers whose queue holds at most `capacity` waiting tasks:
    /// [`apply_async`](Self::apply_async) blocks while it is full (back-pressure).
    /// A capacity of 0 is taken as 1.
    pub fn with_capacity(n: usize, capacity: usize) -> Result<Self, ZeroWorkers> {
        if n == 0 {
            return Err(ZeroWorkers);
        }
        let shared = Arc::new(Shared::new(capacity.max(1)));
        let workers = spawn_workers(Arc::clone(&shared), n);
        Ok(Pool {
            shared,
            workers: Mutex::new(workers),
            size: n,
        })
    }

    /// The number of workers.
    pub fn size(&self) -> usize {
        self.size
    }

    // ANCHOR: apply_async
    /// Submits `f` to run on a worker; the handle gets its result. On a closed pool, hands
    /// `f` back as [`Refused`].
    pub fn apply_async<F, R>(&self, f: F) -> Result<TaskHandle<R>, Refused<F>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        submit(&self.shared, f)
    }
    // ANCHOR_END: apply_async

    /// Runs `f` on every item on the workers and returns the results in input order, one per
    /// item: the value, or why there is none (a panic, termination, or a closed pool). Do not
    /// call it from a task of the same pool: it waits for tasks that may need that worker.
    pub fn map<T, R, F, I>(&self, f: F, items: I) -> Vec<TaskResult<R>>
    where
        I: IntoIterator<Item = T>,
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| {
                let f = Arc::clone(&f);
                self.apply_async(move || f(item)).ok()
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.map_or(Err(TaskError::Closed), TaskHandle::get))
            .collect()
    }

    // ANCHOR: close_join
    /// No more tasks: later submissions are refused. Tasks already accepted still run.
    pub fn close(&self) {
        self.shared.queue.close();
    }

    /// Waits for every worker to exit, which they do once the queue is closed and drained.
    /// Before [`close`](Self::close) or [`terminate`](Self::terminate) it is an error, as in
    /// Python: the workers would wait for more tasks forever. Calling it again returns at once.
    pub fn join(&self) -> Result<(), JoinError> {
        if !self.shared.queue.is_closed() {
            return Err(JoinError::NotClosed);
        }
        // Held while joining: a second joiner waits here until the workers are gone.
        let mut workers = self.workers.lock();
        let mut result = Ok(());
        for worker in workers.drain(..) {
            if worker.join().is_err() {
                result = Err(JoinError::WorkerPanicked);
            }
        }
        result
    }
    // ANCHOR_END: close_join

    // ANCHOR: terminate
    /// Closes the pool and cancels every task not yet started: their handles get
    /// [`TaskError::Terminated`]. Tasks already running finish (a thread cannot be killed);
    /// [`join`](Self::join) waits for them.
    pub fn terminate(&self) {
        self.shared.terminated.store(true, Ordering::SeqCst);
        self.shared.queue.close();
        // Workers may take some of these concurrently; they see the flag and cancel too.
        while let Ok(job) = self.shared.queue.try_get() {
            job.cancel();
            let _ = self.shared.queue.task_done();
        }
    }
    // ANCHOR_END: terminate
}

// ANCHOR: drop
/// Dropping the pool closes it and waits for every accepted task to run: nothing accepted is
/// lost. (Python's `Pool.__exit__` terminates instead; call [`Pool::terminate`] for that.)
impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
        let _ = self.join();
    }
}
// ANCHOR_END: drop

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size)
            .field("queued", &self.shared.queue.len())
            .field("closed", &self.shared.queue.is_closed())
            .finish_non_exhaustive()
    }
}

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
