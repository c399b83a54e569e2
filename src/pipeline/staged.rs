use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};

use crate::queue::BoundedQueue;
use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::{Arc, Mutex, note};

use super::error::{Abandoned, Cause, ConfigError, Refused, StageError};
use super::{Graceful, Lane, Protocol};

/// An item on its way through the pipeline: its input number and its current value.
pub(super) type Envelope<T> = (u64, T);

impl<T: Send> Lane for Arc<BoundedQueue<Envelope<T>>> {
    fn close(&self) {
        BoundedQueue::close(self);
    }
    fn len(&self) -> usize {
        BoundedQueue::len(self)
    }
    fn capacity(&self) -> usize {
        BoundedQueue::capacity(self)
    }
    fn drain(&self) -> Vec<u64> {
        let mut items = Vec::new();
        while let Ok((item, _)) = self.try_get() {
            items.push(item);
        }
        items
    }
}

// ANCHOR: shared
/// What the workers and the caller share.
struct Shared {
    /// Every queue in order: the input queue is lane 0, stage `k` reads lane `k` and writes
    /// lane `k + 1`; the last lane is the caller's output queue.
    lanes: Vec<Box<dyn Lane>>,
    /// Set by the first failure, before the queues are closed.
    stopped: AtomicBool,
    /// Every item that did not come out of the last stage, and why.
    ledger: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    failures: Vec<StageError>,
    abandoned: Vec<Abandoned>,
}

impl Shared {
    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Records a failed item. The first failure stops the pipeline: the flag first, then every
    /// queue but the output is closed, which wakes every blocked put and get. Items still in
    /// the closed queues are drained by their stage's workers, who see the flag and abandon
    /// them; results already past the last stage still reach the caller.
    fn fail(&self, error: StageError) {
        note(|| format!("{error}: stopping the pipeline"));
        let first = {
            let mut ledger = self.ledger.lock();
            ledger.failures.push(error);
            ledger.failures.len() == 1
        };
        if first {
            self.stopped.store(true, Ordering::SeqCst);
            for lane in &self.lanes[..self.lanes.len() - 1] {
                lane.close();
            }
        }
    }

    /// Records an accepted item that the stop kept from `stage`.
    fn abandon(&self, item: u64, stage: usize) {
        note(|| format!("item {item} abandoned before stage {stage}"));
        self.ledger.lock().abandoned.push(Abandoned { item, stage });
    }
}
// ANCHOR_END: shared

// ANCHOR: worker
/// One worker of stage `index`: takes items from `inbox` until the protocol says stop
/// (for [`Graceful`]: the inbox is closed **and drained**), runs `f` on each, puts the result
/// in `outbox`. Every item it takes ends in exactly one place: the outbox, the failures, or
/// the abandoned list.
fn work<A, B, E, P: Protocol>(
    shared: &Shared,
    index: usize,
    name: &str,
    inbox: &BoundedQueue<Envelope<A>>,
    outbox: &BoundedQueue<Envelope<B>>,
    f: &(dyn Fn(A) -> Result<B, E> + Send + Sync),
) where
    E: fmt::Display,
{
    while let Some((item, value)) = P::take(inbox) {
        note(|| format!("{name}: took item {item}"));
        if shared.is_stopped() {
            shared.abandon(item, index);
            continue;
        }
        let cause = match panic::catch_unwind(AssertUnwindSafe(|| f(value))) {
            Ok(Ok(out)) => {
                if let Err(refused) = outbox.put((item, out)) {
                    // Only a stop closes the outbox while this stage still has a worker.
                    shared.abandon(refused.into_inner().0, index + 1);
                }
                continue;
            }
            Ok(Err(e)) => Cause::Failed(e.to_string()),
            Err(payload) => Cause::Panicked(panic_message(payload.as_ref())),
        };
        shared.fail(StageError {
            stage: index,
            name: name.to_string(),
            item,
            cause,
        });
    }
}

/// Starts stage `index`'s workers. The **last** of them to leave closes the outbox (for
/// [`Graceful`]): only then is every item this stage will ever produce in it, so the next
/// stage may drain it and stop.
#[allow(clippy::too_many_arguments)]
fn spawn_stage<A, B, E, F, P>(
    shared: &Arc<Shared>,
    index: usize,
    name: &str,
    workers: usize,
    inbox: &Arc<BoundedQueue<Envelope<A>>>,
    outbox: &Arc<BoundedQueue<Envelope<B>>>,
    f: &Arc<F>,
    handles: &mut Vec<JoinHandle<()>>,
) -> Result<(), String>
where
    A: Send + 'static,
    B: Send + 'static,
    E: fmt::Display + 'static,
    F: Fn(A) -> Result<B, E> + Send + Sync + 'static,
    P: Protocol,
{
    let left = Arc::new(AtomicUsize::new(workers));
    for w in 0..workers {
        let (shared, name, inbox) = (Arc::clone(shared), name.to_string(), Arc::clone(inbox));
        let (outbox, f, left) = (Arc::clone(outbox), Arc::clone(f), Arc::clone(&left));
        let handle = thread::Builder::new()
            .name(format!("{name}-{w}"))
            .spawn(move || {
                work::<A, B, E, P>(&shared, index, &name, &inbox, &outbox, &*f);
                if P::closes_next(left.fetch_sub(1, Ordering::SeqCst) - 1) {
                    note(|| format!("{name}: closing the next queue"));
                    outbox.close();
                }
            })
            .map_err(|e| e.to_string())?;
        handles.push(handle);
    }
    Ok(())
}
// ANCHOR_END: worker

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

type Spawner = Box<dyn FnOnce(&Arc<Shared>, &mut Vec<JoinHandle<()>>) -> Result<(), String>>;

/// Builds a [`Pipeline`] one stage at a time: [`Pipeline::builder`], then
/// [`stage`](Self::stage) for each stage, then [`start`](Self::start). `Cur` is the type the
/// stages built so far produce.
#[must_use = "a builder does nothing until `start`"]
pub struct Builder<In, Cur, P: Protocol = Graceful> {
    input: Arc<BoundedQueue<Envelope<In>>>,
    last: Arc<BoundedQueue<Envelope<Cur>>>,
    lanes: Vec<Box<dyn Lane>>,
    stages: Vec<Spawner>,
    error: Option<ConfigError>,
    _protocol: PhantomData<fn() -> P>,
}

impl<In: Send + 'static> Pipeline<In, In> {
    /// A pipeline whose input queue holds at most `capacity` items (a full queue blocks
    /// [`put`](Pipeline::put)). Add stages with [`Builder::stage`], then
    /// [`start`](Builder::start).
    pub fn builder(capacity: usize) -> Builder<In, In> {
        Builder::with_protocol(capacity)
    }
}

impl<In: Send + 'static, P: Protocol> Builder<In, In, P> {
    /// [`Pipeline::builder`] with another shutdown protocol; the flawed variants use it.
    pub fn with_protocol(capacity: usize) -> Self {
        let error = (capacity == 0).then_some(ConfigError::ZeroCapacity { stage: None });
        let input = Arc::new(BoundedQueue::new(capacity.max(1)));
        Builder {
            lanes: vec![Box::new(Arc::clone(&input))],
            last: Arc::clone(&input),
            input,
            stages: Vec::new(),
            error,
            _protocol: PhantomData,
        }
    }
}

impl<In: Send + 'static, Cur: Send + 'static, P: Protocol> Builder<In, Cur, P> {
    // ANCHOR: stage
    /// Adds a stage: `workers` threads run `f` on each item the previous stage produced;
    /// at most `capacity` of its results wait for the next stage (or for the caller, after
    /// the last stage), and a worker with a result for a full queue blocks (back-pressure).
    /// `f` returning `Err` or panicking stops the pipeline. Zero workers or capacity is a
    /// [`ConfigError`] from [`start`](Self::start).
    pub fn stage<Next, F, E>(
        mut self,
        name: &str,
        workers: usize,
        capacity: usize,
        f: F,
    ) -> Builder<In, Next, P>
    where
        Next: Send + 'static,
        F: Fn(Cur) -> Result<Next, E> + Send + Sync + 'static,
        E: fmt::Display + 'static,
    {
        // ANCHOR_END: stage
        let index = self.stages.len();
        if self.error.is_none() {
            if workers == 0 {
                self.error = Some(ConfigError::ZeroWorkers { stage: index });
            } else if capacity == 0 {
                self.error = Some(ConfigError::ZeroCapacity { stage: Some(index) });
            }
        }
        let outbox = Arc::new(BoundedQueue::new(capacity.max(1)));
        self.lanes.push(Box::new(Arc::clone(&outbox)));
        let inbox = self.last;
        let name = name.to_string();
        let f = Arc::new(f);
        let next = Arc::clone(&outbox);
        self.stages.push(Box::new(move |shared, handles| {
            spawn_stage::<Cur, Next, E, F, P>(
                shared, index, &name, workers, &inbox, &next, &f, handles,
            )
        }));
        Builder {
            input: self.input,
            last: outbox,
            lanes: self.lanes,
            stages: self.stages,
            error: self.error,
            _protocol: PhantomData,
        }
    }

    /// Starts every stage's workers. Fails without starting any on a zero capacity, zero
    /// workers or no stage; if the system refuses a thread, the ones started are stopped and
    /// joined, and the error says why.
    pub fn start(self) -> Result<Pipeline<In, Cur, P>, ConfigError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.stages.is_empty() {
            return Err(ConfigError::NoStages);
        }
        let shared = Arc::new(Shared {
            lanes: self.lanes,
            stopped: AtomicBool::new(false),
            ledger: Mutex::new(Ledger::default()),
        });
        let mut handles = Vec::new();
        for spawn in self.stages {
            if let Err(why) = spawn(&shared, &mut handles) {
                for lane in &shared.lanes {
                    lane.close();
                }
                for handle in handles {
                    let _ = handle.join();
                }
                return Err(ConfigError::Spawn(why));
            }
        }
        Ok(Pipeline {
            shared,
            input: self.input,
            output: self.last,
            next: Mutex::new(0),
            taken: AtomicU64::new(0),
            workers: Mutex::new(handles),
            finished: false,
            _protocol: PhantomData,
        })
    }
}

// ANCHOR: pipeline
/// Stages of worker threads joined by [`BoundedQueue`]s: seed 003 §2.5's pipeline of
/// `Queue`s and `Thread`s, with shutdown, errors and accounting built in.
///
/// Feed it with [`put`](Self::put) (which numbers each item), read results with
/// [`get`](Self::get) from another thread, or let [`finish`](Self::finish) collect them:
/// it closes the input, waits for every stage to drain in order, joins every thread, and
/// returns a [`Report`] in which every accepted item appears exactly once.
///
/// ```
/// use threadproof::pipeline::Pipeline;
///
/// let pipeline = Pipeline::builder(4)
///     .stage("parse", 2, 4, |line: &str| line.trim().parse::<i64>())
///     .stage("square", 2, 4, |n: i64| Ok::<_, String>(n * n))
///     .start()
///     .unwrap();
/// std::thread::scope(|s| {
///     // A producer thread; this one reads. (Both ends are bounded: feeding more than the
///     // queues hold from the reading thread would block it.)
///     s.spawn(|| {
///         for line in ["1", " 2", "3 "] {
///             pipeline.put(line).unwrap();
///         }
///         pipeline.close(); // no more input: the stages drain in order, then stop
///     });
///     let mut squares: Vec<i64> = pipeline.outputs().map(|(_, n)| n).collect();
///     squares.sort();
///     assert_eq!(squares, [1, 4, 9]);
/// });
/// let report = pipeline.finish();
/// assert!(report.is_balanced() && report.error().is_none());
///
/// // A failing stage stops the pipeline; the report says which stage, which item.
/// let pipeline = Pipeline::builder(4)
///     .stage("parse", 1, 4, |line: &str| line.parse::<i64>())
///     .start()
///     .unwrap();
/// pipeline.put("7").unwrap();
/// pipeline.put("seven").unwrap(); // item 1: the stage fails on it
/// let report = pipeline.finish();
/// let error = report.error().unwrap();
/// assert_eq!((error.stage, error.item), (0, 1));
/// assert_eq!(error.to_string(), "stage 0 (parse) failed on item 1: invalid digit found in string");
/// assert_eq!(report.into_result().unwrap_err().item, 1);
/// ```
pub struct Pipeline<In, Out, P: Protocol = Graceful> {
    shared: Arc<Shared>,
    input: Arc<BoundedQueue<Envelope<In>>>,
    output: Arc<BoundedQueue<Envelope<Out>>>,
    /// The next input number. Held across the put, so numbers follow the queue's order and
    /// count exactly the items accepted.
    next: Mutex<u64>,
    /// Results the caller took with `get`.
    taken: AtomicU64,
    workers: Mutex<Vec<JoinHandle<()>>>,
    finished: bool,
    _protocol: PhantomData<fn() -> P>,
}
// ANCHOR_END: pipeline

impl<In: Send + 'static, Out: Send + 'static, P: Protocol> Pipeline<In, Out, P> {
    // ANCHOR: put
    /// Puts `item` into the first stage's queue, blocking while it is full (back-pressure),
    /// and returns its input number (0, 1, 2, ... in the order accepted). After
    /// [`close`](Self::close) or a failure, hands the item back.
    pub fn put(&self, item: In) -> Result<u64, Refused<In>> {
        let mut next = self.next.lock();
        let number = *next;
        match self.input.put((number, item)) {
            Ok(()) => {
                note(|| format!("put: item {number} accepted"));
                *next += 1;
                Ok(number)
            }
            Err(refused) => Err(Refused(refused.into_inner().1)),
        }
    }
    // ANCHOR_END: put

    /// No more input. Items already accepted go through every stage; each stage stops when
    /// the one before it has stopped and its queue is drained; then [`get`](Self::get)
    /// returns `None`. Calling it again does nothing.
    pub fn close(&self) {
        P::close(&self.shared.lanes);
    }

    /// Waits for the next result of the last stage: `(input number, value)`, in the order
    /// they finish. `None` once the pipeline has finished (closed, or stopped by a failure)
    /// and every result has been taken.
    pub fn get(&self) -> Option<(u64, Out)> {
        let out = self.output.get().ok()?;
        self.taken.fetch_add(1, Ordering::SeqCst);
        Some(out)
    }

    /// The results as an iterator of [`get`](Self::get)s: Python's `for x in iter(q.get, None)`.
    pub fn outputs(&self) -> impl Iterator<Item = (u64, Out)> + '_ {
        std::iter::from_fn(|| self.get())
    }

    /// The failure that stopped the pipeline, if one did.
    pub fn error(&self) -> Option<StageError> {
        self.shared.ledger.lock().failures.first().cloned()
    }

    /// How many items wait in each queue now: the input queue, then each stage's output
    /// queue. Stale as soon as it returns; never above [`capacities`](Self::capacities).
    pub fn backlog(&self) -> Vec<usize> {
        self.shared.lanes.iter().map(|lane| lane.len()).collect()
    }

    /// The capacity of each queue, in the order of [`backlog`](Self::backlog).
    pub fn capacities(&self) -> Vec<usize> {
        self.shared
            .lanes
            .iter()
            .map(|lane| lane.capacity())
            .collect()
    }

    // ANCHOR: finish
    /// Closes the input, collects the results not yet taken, joins every worker and returns
    /// the [`Report`]: every accepted item exactly once, as a result (taken or collected
    /// here), a failure, or abandoned because of a failure.
    pub fn finish(mut self) -> Report<Out> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Report<Out> {
        self.finished = true;
        self.close();
        // Drain while the stages drain: a last stage blocked on a full output queue would
        // otherwise never see its input closed.
        let outputs: Vec<_> = std::iter::from_fn(|| self.output.get().ok()).collect();
        let workers: Vec<_> = self.workers.lock().drain(..).collect();
        for worker in workers {
            // A worker catches its stage's panics; nothing else in it panics.
            let _ = worker.join();
        }
        // Every worker has left. Whatever a queue still holds, no stage will take: abandoned.
        // (Empty for the reference protocol; the flawed ones leave items behind.)
        let lanes = &self.shared.lanes;
        for (stage, lane) in lanes[..lanes.len() - 1].iter().enumerate() {
            for item in lane.drain() {
                self.shared.abandon(item, stage);
            }
        }
        let ledger = std::mem::take(&mut *self.shared.ledger.lock());
        Report {
            accepted: *self.next.lock(),
            taken: self.taken.load(Ordering::SeqCst),
            outputs,
            failures: ledger.failures,
            abandoned: ledger.abandoned,
        }
    }
    // ANCHOR_END: finish
}

/// Dropping a pipeline finishes it: closes the input, lets the stages drain, joins every
/// thread. Results not taken are dropped; call [`finish`](Pipeline::finish) to get them.
impl<In, Out, P: Protocol> Drop for Pipeline<In, Out, P> {
    fn drop(&mut self) {
        if !self.finished {
            self.finished = true;
            P::close(&self.shared.lanes);
            while self.output.get().is_ok() {}
            for worker in self.workers.lock().drain(..) {
                let _ = worker.join();
            }
        }
    }
}

impl<In, Out, P: Protocol> fmt::Debug for Pipeline<In, Out, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backlog: Vec<usize> = self.shared.lanes.iter().map(|lane| lane.len()).collect();
        f.debug_struct("Pipeline")
            .field("backlog", &backlog)
            .field("stopped", &self.shared.is_stopped())
            .finish_non_exhaustive()
    }
}

// ANCHOR: report
/// What became of every item a [`Pipeline`] accepted. Items are named by input number
/// (0 to `accepted - 1`); each appears exactly once across `taken` (results the caller got
/// from [`get`](Pipeline::get)), `outputs`, `failures` and `abandoned`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report<Out> {
    /// Items accepted by [`put`](Pipeline::put).
    pub accepted: u64,
    /// Results the caller took with [`get`](Pipeline::get) before finishing.
    pub taken: u64,
    /// Results collected by [`finish`](Pipeline::finish), in the order they came out.
    pub outputs: Vec<(u64, Out)>,
    /// Items a stage failed or panicked on, in the order they happened; the first stopped
    /// the pipeline.
    pub failures: Vec<StageError>,
    /// Accepted items the stop kept from a stage.
    pub abandoned: Vec<Abandoned>,
}
// ANCHOR_END: report

impl<Out> Report<Out> {
    /// The failure that stopped the pipeline, if any.
    pub fn error(&self) -> Option<&StageError> {
        self.failures.first()
    }

    /// True when the counts add up: every accepted item is a result, a failure or
    /// abandoned. (The input numbers in `outputs`, `failures` and `abandoned`, with those of
    /// the results taken, are then `0..accepted` exactly once each.)
    pub fn is_balanced(&self) -> bool {
        let ended =
            self.taken + (self.outputs.len() + self.failures.len() + self.abandoned.len()) as u64;
        ended == self.accepted
    }

    /// The collected results in input order, or the failure that stopped the pipeline.
    pub fn into_result(self) -> Result<Vec<Out>, StageError> {
        if let Some(error) = self.failures.into_iter().next() {
            return Err(error);
        }
        let mut outputs = self.outputs;
        outputs.sort_by_key(|(item, _)| *item);
        Ok(outputs.into_iter().map(|(_, out)| out).collect())
    }
}
