//! [`Pool`]: one interface over both distribution strategies.

use std::fmt;

use crate::sync::thread::{self, JoinHandle};
use crate::sync::{Arc, Mutex};

use super::error::{JoinError, Refused, TaskError, ZeroWorkers};
use super::job::{TaskHandle, TaskResult, submit};
use super::{central, stealing};

// ANCHOR: strategy
/// How a [`Pool`] hands tasks to its workers (seed 001, "dynamic mapping").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Manager/worker: one central queue, every worker takes from it. Simple and fair (tasks
    /// start in submission order); every submission and every take meets on one queue.
    #[default]
    CentralQueue,
    /// Decentralized: each worker has its own deque, submissions from outside go to a shared
    /// injector, a task submitted from a task goes to its own worker's deque, and an idle
    /// worker steals from the others (crossbeam-deque). No start order is promised.
    WorkStealing,
}
// ANCHOR_END: strategy

/// The strategy's shared state. An enum, not a trait object: the checkers' `Arc`s cannot
/// coerce to `Arc<dyn Trait>` on stable Rust, and a `match` costs less than a virtual call.
enum Engine {
    Central(Arc<central::Shared>),
    Stealing(Arc<stealing::Shared>),
}

// ANCHOR: pool
/// A pool of worker threads: Python's `multiprocessing.Pool` with threads, errors instead of
/// exceptions, and a choice of [`Strategy`] behind one API.
///
/// ```
/// use threadproof::pool::{Pool, Strategy};
///
/// for strategy in [Strategy::CentralQueue, Strategy::WorkStealing] {
///     let pool = Pool::with_strategy(4, strategy).unwrap();
///     let handles: Vec<_> = (0..5)
///         .map(|i| pool.apply_async(move || i * i).unwrap())
///         .collect(); // the fifth task waits for a free worker
///     pool.close();
///     pool.join().unwrap();
///     let squares: Vec<_> = handles.into_iter().map(|h| h.get().unwrap()).collect();
///     assert_eq!(squares, [0, 1, 4, 9, 16]);
/// }
/// ```
pub struct Pool {
    engine: Engine,
    workers: Mutex<Vec<JoinHandle<()>>>,
    size: usize,
}
// ANCHOR_END: pool

impl Pool {
    /// A pool of `n` workers with an unbounded central queue (as Python's).
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

    /// A pool of `n` workers with the given [`Strategy`] (unbounded), or [`ZeroWorkers`].
    ///
    /// ```
    /// use threadproof::pool::{Pool, Strategy};
    ///
    /// let pool = Pool::with_strategy(2, Strategy::WorkStealing).unwrap();
    /// assert_eq!(pool.strategy(), Strategy::WorkStealing);
    /// assert_eq!(pool.apply_async(|| 6 * 7).unwrap().get(), Ok(42));
    /// ```
    pub fn with_strategy(n: usize, strategy: Strategy) -> Result<Self, ZeroWorkers> {
        match strategy {
            Strategy::CentralQueue => Self::with_capacity(n, usize::MAX),
            Strategy::WorkStealing => {
                if n == 0 {
                    return Err(ZeroWorkers);
                }
                let (shared, deques) = stealing::Shared::new(n);
                let shared = Arc::new(shared);
                let workers = stealing::spawn_workers(Arc::clone(&shared), deques, stealing::park);
                Ok(Pool {
                    engine: Engine::Stealing(shared),
                    workers: Mutex::new(workers),
                    size: n,
                })
            }
        }
    }

    /// A central-queue pool of `n` workers whose queue holds at most `capacity` waiting
    /// tasks: [`apply_async`](Self::apply_async) blocks while it is full (back-pressure).
    /// A capacity of 0 is taken as 1. (The work-stealing strategy has no bound: a task that
    /// submits tasks must never block on a full queue its own worker should drain.)
    pub fn with_capacity(n: usize, capacity: usize) -> Result<Self, ZeroWorkers> {
        if n == 0 {
            return Err(ZeroWorkers);
        }
        let shared = Arc::new(central::Shared::new(capacity.max(1)));
        let workers = central::spawn_workers(Arc::clone(&shared), n);
        Ok(Pool {
            engine: Engine::Central(shared),
            workers: Mutex::new(workers),
            size: n,
        })
    }

    /// The number of workers.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The distribution strategy.
    pub fn strategy(&self) -> Strategy {
        match self.engine {
            Engine::Central(_) => Strategy::CentralQueue,
            Engine::Stealing(_) => Strategy::WorkStealing,
        }
    }

    // ANCHOR: apply_async
    /// Submits `f` to run on a worker; the handle gets its result. On a closed pool, hands
    /// `f` back as [`Refused`]. A task may submit tasks to its own pool (keep an
    /// `Arc<Pool>`); with [`Strategy::WorkStealing`] they go to its worker's own deque.
    pub fn apply_async<F, R>(&self, f: F) -> Result<TaskHandle<R>, Refused<F>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match &self.engine {
            Engine::Central(shared) => submit(|job| shared.push(job), f),
            Engine::Stealing(shared) => submit(|job| shared.push(job), f),
        }
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
        match &self.engine {
            Engine::Central(shared) => {
                shared.queue.close();
            }
            Engine::Stealing(shared) => shared.close(),
        }
    }

    fn is_closed(&self) -> bool {
        match &self.engine {
            Engine::Central(shared) => shared.queue.is_closed(),
            Engine::Stealing(shared) => shared.is_closed(),
        }
    }

    /// Waits for every worker to exit, which they do once the pool is closed and every
    /// accepted task has run. Before [`close`](Self::close) or [`terminate`](Self::terminate)
    /// it is an error, as in Python: the workers would wait for more tasks forever. Calling it
    /// again returns at once. Called from a task of this pool, it does not wait for its own
    /// worker (which finishes its remaining tasks after this one).
    pub fn join(&self) -> Result<(), JoinError> {
        if !self.is_closed() {
            return Err(JoinError::NotClosed);
        }
        let me = thread::current().id();
        // Held while joining: a second joiner waits here until the workers are gone.
        let mut workers = self.workers.lock();
        let mut result = Ok(());
        for worker in workers.drain(..) {
            if worker.thread().id() == me {
                continue; // a thread cannot join itself; this one is running our caller
            }
            if worker.join().is_err() {
                result = Err(JoinError::WorkerPanicked);
            }
        }
        result
    }
    // ANCHOR_END: close_join

    /// Closes the pool and cancels every task not yet started: their handles get
    /// [`TaskError::Terminated`]. Tasks already running finish (a thread cannot be killed);
    /// [`join`](Self::join) waits for them.
    pub fn terminate(&self) {
        match &self.engine {
            Engine::Central(shared) => shared.terminate(),
            Engine::Stealing(shared) => shared.terminate(),
        }
    }
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
            .field("strategy", &self.strategy())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
