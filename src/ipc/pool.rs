//! A process pool that survives killed workers — seeds 002 §3.4 and 003 §1.2 (`Pool(4)`,
//! `apply_async`, `close()` then `join()`), 003 §3.1 (Master-Worker) and 000/004 ("a crashed
//! child does not take down the master or the other workers").
//!
//! The master keeps N worker processes, each started from the current executable in a role
//! ([`process`](mod@super::process)) and connected by a socket pair. One manager thread per worker
//! takes tasks from the pool's queue, sends each to its worker as a frame and waits for the
//! reply. A task is bytes in, bytes (or an error string) out: the worker's `main` calls
//! [`serve`] with the function that runs tasks.
//!
//! **Crash recovery.** When the reply cannot be read — the worker was SIGKILLed, crashed, or
//! exited on its own — the manager reaps it, starts a replacement, and puts the task back at
//! the front of the queue. A task whose attempts all kill their worker
//! ([`MAX_ATTEMPTS`]) fails with [`TaskError::WorkerDied`] rather than killing workers forever.
//!
//! **What the caller and the task see.** The caller gets exactly one result per task: a
//! result is stored once, by the attempt that completed. The task itself may **run more than
//! once** (at-least-once execution): a worker killed after doing the task's side effects but
//! before its reply arrived is indistinguishable from one killed before it started. Tasks with
//! external side effects must be idempotent (or deduplicate by an id they carry).

use std::collections::VecDeque;
use std::fmt;
use std::io;

use super::frame::FrameError;
use super::process::{self, Builder, Process};
use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::{Arc, Condvar, Mutex, thread};

/// Attempts per task before the pool gives up on it.
pub const MAX_ATTEMPTS: u32 = 3;

/// A task function run by workers: payload in, reply or error message out.
pub type TaskFn = fn(&[u8]) -> Result<Vec<u8>, String>;

const OK: u8 = 0;
const ERR: u8 = 1;

// ANCHOR: serve
/// In a worker process: answers tasks on the worker connection with `task` until the master
/// closes it. Returns when the master is gone.
pub fn serve(task: TaskFn) -> io::Result<()> {
    let mut conn = process::worker_connection()?;
    loop {
        let request = match conn.recv_bytes() {
            Ok(r) => r,
            Err(FrameError::Closed) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let Some((id, payload)) = request.split_first_chunk::<8>() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "task without an id",
            ));
        };
        let (tag, body) = match task(payload) {
            Ok(reply) => (OK, reply),
            Err(message) => (ERR, message.into_bytes()),
        };
        conn.send_bytes(&[id.as_slice(), &[tag], &body].concat())?;
    }
}
// ANCHOR_END: serve

/// Why a task has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task ran and returned an error.
    Failed(String),
    /// Every attempt ended with the worker dying (killed, crashed or exited).
    WorkerDied {
        /// How many attempts were made.
        attempts: u32,
    },
    /// No worker could be started.
    Spawn(String),
    /// The task was submitted after [`Pool::close`].
    Closed,
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Failed(m) => write!(f, "task failed: {m}"),
            TaskError::WorkerDied { attempts } => {
                write!(
                    f,
                    "the worker died on each of {attempts} attempts at the task"
                )
            }
            TaskError::Spawn(m) => write!(f, "could not start a worker: {m}"),
            TaskError::Closed => f.write_str("the pool is closed"),
        }
    }
}

impl std::error::Error for TaskError {}

type Outcome = Result<Vec<u8>, TaskError>;

#[derive(Debug, Default)]
struct Slot {
    value: Mutex<Option<Outcome>>,
    ready: Condvar,
}

impl Slot {
    fn set(&self, outcome: Outcome) {
        let mut v = self.value.lock();
        // The first outcome stands: each task completes exactly once for the caller.
        if v.is_none() {
            *v = Some(outcome);
            self.ready.notify_all();
        }
    }
}

/// The pending result of [`Pool::apply_async`].
#[derive(Debug, Clone)]
pub struct AsyncResult(Arc<Slot>);

impl AsyncResult {
    /// Waits for the result.
    pub fn get(&self) -> Outcome {
        let mut v = self.0.value.lock();
        loop {
            if let Some(o) = v.as_ref() {
                return o.clone();
            }
            self.0.ready.wait(&mut v);
        }
    }

    /// Whether the result is there.
    pub fn ready(&self) -> bool {
        self.0.value.lock().is_some()
    }
}

struct Job {
    id: u64,
    payload: Vec<u8>,
    attempts: u32,
    slot: Arc<Slot>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    closed: bool,
    pids: Vec<u32>,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    restarts: AtomicU64,
    next_id: AtomicU64,
}

/// A pool of worker processes (Python's `multiprocessing.Pool`).
pub struct Pool {
    shared: Arc<Shared>,
    managers: Vec<thread::JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` workers, each made by `builder` (typically
    /// `|| Builder::new("my-role")`, the role's `main` calling [`serve`]).
    pub fn new(workers: usize, builder: impl Fn() -> Builder + Send + Sync + 'static) -> Pool {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pids: vec![0; workers],
                ..State::default()
            }),
            work: Condvar::new(),
            restarts: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
        });
        let builder = Arc::new(builder);
        let managers = (0..workers)
            .map(|index| {
                let shared = Arc::clone(&shared);
                let builder = Arc::clone(&builder);
                thread::spawn(move || manage(index, &shared, &*builder))
            })
            .collect();
        Pool { shared, managers }
    }

    /// Queues a task; the result arrives in the returned handle.
    pub fn apply_async(&self, payload: &[u8]) -> AsyncResult {
        let slot = Arc::new(Slot::default());
        let mut state = self.shared.state.lock();
        if state.closed {
            slot.set(Err(TaskError::Closed));
        } else {
            state.queue.push_back(Job {
                id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
                payload: payload.to_vec(),
                attempts: 0,
                slot: Arc::clone(&slot),
            });
            self.shared.work.notify_one();
        }
        AsyncResult(slot)
    }

    /// Runs every task and returns the results in input order.
    pub fn map<T: AsRef<[u8]>>(&self, tasks: impl IntoIterator<Item = T>) -> Vec<Outcome> {
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|t| self.apply_async(t.as_ref()))
            .collect();
        handles.iter().map(AsyncResult::get).collect()
    }

    /// The current workers' process ids (0 for a slot whose worker is being replaced).
    pub fn pids(&self) -> Vec<u32> {
        self.shared.state.lock().pids.clone()
    }

    /// How many workers were replaced after dying.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Relaxed)
    }

    /// Accepts no more tasks; queued ones still run (Python's `close()`).
    pub fn close(&self) {
        self.shared.state.lock().closed = true;
        self.shared.work.notify_all();
    }

    /// Closes the pool, waits until every queued task has finished, and stops the workers
    /// (Python's `close()` then `join()`).
    pub fn join(mut self) {
        self.join_managers();
    }

    fn join_managers(&mut self) {
        self.close();
        for m in self.managers.drain(..) {
            let _ = m.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.join_managers();
    }
}

fn next_job(shared: &Shared) -> Option<Job> {
    let mut state = shared.state.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            return Some(job);
        }
        if state.closed {
            return None;
        }
        shared.work.wait(&mut state);
    }
}

// ANCHOR: manage
/// One manager thread: keeps worker `index` alive and feeds it tasks.
fn manage(index: usize, shared: &Shared, builder: &dyn Fn() -> Builder) {
    let mut worker: Option<Process> = None;
    while let Some(mut job) = next_job(shared) {
        if worker.is_none() {
            match builder().start() {
                Ok(p) => {
                    shared.state.lock().pids[index] = p.pid();
                    worker = Some(p);
                }
                Err(e) => {
                    job.slot.set(Err(TaskError::Spawn(e.to_string())));
                    continue;
                }
            }
        }
        let p = worker.as_mut().expect("started above");
        let request = [job.id.to_be_bytes().as_slice(), &job.payload].concat();
        let reply = p
            .connection()
            .send_bytes(&request)
            .map_err(FrameError::Io)
            .and_then(|()| p.connection().recv_bytes());
        match reply {
            Ok(reply) if reply.len() >= 9 && reply[..8] == job.id.to_be_bytes() => {
                let body = reply[9..].to_vec();
                job.slot.set(if reply[8] == OK {
                    Ok(body)
                } else {
                    Err(TaskError::Failed(
                        String::from_utf8_lossy(&body).into_owned(),
                    ))
                });
            }
            // The worker died (or spoke nonsense): reap it, replace it, run the task again.
            _ => {
                let mut dead = worker.take().expect("present");
                let _ = dead.kill();
                let _ = dead.join();
                shared.restarts.fetch_add(1, Ordering::Relaxed);
                shared.state.lock().pids[index] = 0;
                job.attempts += 1;
                if job.attempts >= MAX_ATTEMPTS {
                    job.slot.set(Err(TaskError::WorkerDied {
                        attempts: job.attempts,
                    }));
                } else {
                    shared.state.lock().queue.push_front(job);
                    shared.work.notify_one();
                }
            }
        }
    }
    if let Some(mut p) = worker {
        drop(p.take_connection()); // the worker sees end of stream and returns from serve
        let _ = p.join();
    }
}
// ANCHOR_END: manage
