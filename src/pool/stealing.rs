//! The work-stealing strategy (seed 001, "dynamic mapping": the decentralized scheme): every
//! worker has its own deque; tasks from outside go to a shared injector; a task submitted
//! from inside a task goes to its worker's own deque (the point of work stealing: no shared
//! queue on the hot path, and the newest task, whose data is still in cache, runs next). An
//! idle worker takes from its own deque, then a batch from the injector, then steals the
//! oldest task of another worker.
//!
//! The deques are crossbeam-deque's ([`crate::sync::deque`]). In the model crates they are a
//! small `Mutex<VecDeque>` deque with the same surface: loom and shuttle check **this file's
//! protocol** (pushing, stealing, parking idle workers, waking them, close, terminate) over a
//! model deque, not crossbeam-deque's lock-free internals.

use std::cell::RefCell;
use std::ops::Deref;

use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::sync::deque::{Injector, Steal, Stealer, Worker};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::tuning::IDLE_LOOKS;
use crate::sync::{Condvar, Mutex, note, thread_local};

use super::job::Job;

/// A worker's own deque.
pub(super) type Deque = Worker<Box<dyn Job>>;

/// The parking bookkeeping, under one lock with the closed flag.
pub(super) struct State {
    /// No more tasks are accepted.
    pub(super) closed: bool,
    /// Workers waiting on [`Shared::wake`].
    pub(super) sleeping: usize,
}

/// What the workers share.
pub(super) struct Shared {
    injector: Injector<Box<dyn Job>>,
    stealers: Vec<Stealer<Box<dyn Job>>>,
    pub(super) state: Mutex<State>,
    pub(super) wake: Condvar,
    terminated: AtomicBool,
    /// Copies of `state.closed` and `state.sleeping`, written only under the lock, read
    /// without it by a worker's local push, where they are hints (see [`Shared::push`]).
    closed_hint: AtomicBool,
    pub(super) sleeping_hint: AtomicUsize,
}

/// The worker a thread is, if it is one: its pool (by address) and its deque.
struct Local {
    pool: usize,
    deque: Deque,
}

thread_local! {
    /// Set on each worker thread for its lifetime, so a task can push to its own worker.
    static LOCAL: RefCell<Option<Local>> = RefCell::new(None);
}

/// What [`park`] tells the worker loop.
pub(super) enum Wake {
    /// A task to run.
    Work(Box<dyn Job>),
    /// Look for work again.
    Look,
    /// The pool is closed and no task is left anywhere: exit.
    Exit,
}

/// How an idle worker waits for work: [`park`], or a flawed one.
pub(super) type Park = fn(&Shared, usize) -> Wake;

impl Shared {
    /// Shared state for `n` workers, and their deques (one for each worker thread).
    pub(super) fn new(n: usize) -> (Self, Vec<Deque>) {
        let deques: Vec<Deque> = (0..n).map(|_| Worker::new_lifo()).collect();
        let shared = Shared {
            injector: Injector::new(),
            stealers: deques.iter().map(Worker::stealer).collect(),
            state: Mutex::new(State {
                closed: false,
                sleeping: 0,
            }),
            wake: Condvar::new(),
            terminated: AtomicBool::new(false),
            closed_hint: AtomicBool::new(false),
            sleeping_hint: AtomicUsize::new(0),
        };
        (shared, deques)
    }

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    // ANCHOR: push
    /// Accepts a job, or hands it back if the pool is closed.
    ///
    /// From outside the pool, the job goes to the injector **under the state lock**, so an
    /// idle worker either sees it when it looks again under that lock, or is already counted
    /// in `sleeping` and gets notified; and no job lands after `close`, whose workers may be
    /// gone.
    ///
    /// From one of this pool's own workers (a task submitting a task), it goes to that
    /// worker's deque **without the lock**: that worker is running, so it is neither asleep
    /// nor gone, and it looks in its own deque before it may park or exit, so the job runs
    /// even if nobody else ever wakes. Waking a sleeper here only lets it steal: a hint read
    /// without the lock is enough. (A local push racing `close` may be accepted; it still
    /// runs.)
    pub(super) fn push(&self, job: Box<dyn Job>) -> Result<(), Box<dyn Job>> {
        let pool = self.id();
        let job = LOCAL.with(|local| match &*local.borrow() {
            Some(local) if local.pool == pool && !self.closed_hint.load(Ordering::SeqCst) => {
                local.deque.push(job);
                None
            }
            _ => Some(job),
        });
        let Some(job) = job else {
            if self.sleeping_hint.load(Ordering::SeqCst) > 0 {
                let _state = self.state.lock();
                self.wake.notify_one();
            }
            return Ok(());
        };
        let state = self.state.lock();
        if state.closed {
            return Err(job);
        }
        self.injector.push(job);
        let sleeping = state.sleeping;
        note(|| format!("push: task queued, {sleeping} worker(s) sleeping"));
        if sleeping > 0 {
            self.wake.notify_one();
        }
        Ok(())
    }
    // ANCHOR_END: push

    // ANCHOR: take
    /// A job for worker `me`: its own deque first, then a batch from the injector, then the
    /// oldest job of another worker (starting with the next one, to spread the thieves).
    pub(super) fn take(&self, me: usize) -> Option<Box<dyn Job>> {
        LOCAL.with(|local| {
            let local = local.borrow();
            let deque = &local.as_ref().expect("take runs on a worker").deque;
            if let Some(job) = deque.pop() {
                return Some(job);
            }
            let n = self.stealers.len();
            loop {
                let mut retry = false;
                match self.injector.steal_batch_and_pop(deque) {
                    Steal::Success(job) => return Some(job),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
                for victim in (1..n).map(|k| (me + k) % n) {
                    match self.stealers[victim].steal() {
                        Steal::Success(job) => {
                            note(|| format!("worker {me}: stole from worker {victim}"));
                            return Some(job);
                        }
                        Steal::Retry => retry = true,
                        Steal::Empty => {}
                    }
                }
                // Empty everywhere, and no steal lost a race: there is no job right now.
                if !retry {
                    note(|| format!("worker {me}: no work anywhere"));
                    return None;
                }
            }
        })
    }
    // ANCHOR_END: take

    /// True when some deque holds a job. Under the state lock (no push in flight) the answer
    /// is exact; outside it, a hint.
    fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Any job from any deque, for a thread that is not a worker (terminate).
    fn steal_any(&self) -> Option<Box<dyn Job>> {
        loop {
            let mut retry = false;
            let sources = std::iter::once(self.injector.steal())
                .chain(self.stealers.iter().map(Stealer::steal));
            for steal in sources {
                match steal {
                    Steal::Success(job) => return Some(job),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// No more tasks; wakes every sleeping worker so it can drain and exit.
    pub(super) fn close(&self) {
        let mut state = self.state.lock();
        state.closed = true;
        self.closed_hint.store(true, Ordering::SeqCst);
        drop(state);
        self.wake.notify_all();
    }

    /// True after [`close`](Self::close).
    pub(super) fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    /// Closes and cancels every job not yet started.
    pub(super) fn terminate(&self) {
        self.terminated.store(true, Ordering::SeqCst);
        self.close();
        // Workers may take some of these concurrently; they see the flag and cancel too.
        while let Some(job) = self.steal_any() {
            job.cancel();
        }
    }
}

// ANCHOR: park
/// The reference way to go idle: under the state lock, **look for work again** (a job pushed
/// since the worker last looked is either visible now, or its pusher will see this worker in
/// `sleeping` and notify), exit if closed, else count itself as sleeping and wait. The second
/// look only asks whether any deque holds a job (cheap, so the lock every push needs is held
/// briefly); the worker takes it after releasing the lock.
pub(super) fn park(shared: &Shared, me: usize) -> Wake {
    let mut state = shared.state.lock();
    if shared.has_work() {
        return Wake::Look;
    }
    if state.closed {
        return Wake::Exit;
    }
    state.sleeping += 1;
    shared.sleeping_hint.store(state.sleeping, Ordering::SeqCst);
    note(|| format!("worker {me}: no work, sleeping"));
    shared.wake.wait(&mut state);
    state.sleeping -= 1;
    shared.sleeping_hint.store(state.sleeping, Ordering::SeqCst);
    Wake::Look
}
// ANCHOR_END: park

// ANCHOR: worker
/// Worker `index` of each deque: runs jobs until `park` says the pool is closed and empty.
/// A task's panic is caught in [`Job::run`]; the worker goes on.
pub(super) fn spawn_workers<S>(shared: S, deques: Vec<Deque>, park: Park) -> Vec<JoinHandle<()>>
where
    S: Deref<Target = Shared> + Clone + Send + 'static,
{
    deques
        .into_iter()
        .enumerate()
        .map(|(me, deque)| {
            let shared = shared.clone();
            thread::spawn(move || {
                let pool = shared.id();
                LOCAL.with(|local| *local.borrow_mut() = Some(Local { pool, deque }));
                let mut looks = 0;
                loop {
                    let job = match shared.take(me) {
                        Some(job) => job,
                        // Idle: look a few more times before paying for a park and a wakeup.
                        None if looks + 1 < IDLE_LOOKS => {
                            looks += 1;
                            thread::yield_now();
                            continue;
                        }
                        None => match park(&shared, me) {
                            Wake::Work(job) => job,
                            Wake::Look => continue,
                            Wake::Exit => break,
                        },
                    };
                    looks = 0;
                    if shared.terminated.load(Ordering::SeqCst) {
                        job.cancel();
                    } else {
                        job.run();
                    }
                }
                LOCAL.with(|local| local.borrow_mut().take());
                note(|| format!("worker {me}: closed and no work anywhere, exiting"));
            })
        })
        .collect()
}
// ANCHOR_END: worker
