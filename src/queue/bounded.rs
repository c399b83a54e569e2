use std::collections::VecDeque;
use std::fmt;

use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::hint::Backoff;
use crate::sync::time::{Duration, Instant};
use crate::sync::{Condvar, Mutex, MutexGuard};

use super::error::{GetError, PutError, TaskDoneError, ZeroCapacity};

// ANCHOR: struct
/// A bounded blocking FIFO queue with closing and task tracking: Python's `queue.Queue(maxsize)`
/// with errors instead of exceptions.
///
/// One [`Mutex`] guards the items; a getter waits on `not_empty`, a putter on `not_full`, and
/// [`join`](Self::join) on `all_tasks_done` (CPython's `queue.Queue` has the same three).
/// Three things make it fast where CPython's design is slow: a caller that has to wait first
/// watches a length hint for a few microseconds before it parks (parking and waking a thread
/// costs tens of microseconds here); when the hint changes, the watcher takes the lock only
/// if it is free at that moment, and otherwise goes on watching instead of queueing behind
/// the caller that holds it; and a put or get notifies only when somebody is parked on a
/// side that can now go on *and* nobody on that side is awake to take it: a waiter that is
/// watching the hint or already notified rechecks the queue under the lock before it parks,
/// so waking another one would only add a futex call and a thread switch.
///
/// ```
/// use std::sync::Arc;
/// use threadproof::queue::{BoundedQueue, GetError};
///
/// let queue = Arc::new(BoundedQueue::new(1)); // Queue(1): a buffer of one
/// let consumer = {
///     let queue = Arc::clone(&queue);
///     std::thread::spawn(move || {
///         let mut got = Vec::new();
///         while let Ok(item) = queue.get() {
///             got.push(item);
///             queue.task_done().unwrap();
///         }
///         got
///     })
/// };
/// queue.put("first").unwrap(); // blocks while the consumer has not taken...
/// queue.put("second").unwrap(); // ...the previous item
/// queue.join(); // every item put has been marked done
/// queue.close(); // the consumer's next get returns Err(Closed)
/// assert_eq!(consumer.join().unwrap(), ["first", "second"]);
/// assert_eq!(queue.get(), Err(GetError::Closed));
/// ```
pub struct BoundedQueue<T> {
    state: Mutex<State<T>>,
    /// Signalled when an item arrives (and on close): getters wait here.
    not_empty: Condvar,
    /// Signalled when an item leaves (and on close): putters wait here.
    not_full: Condvar,
    /// Signalled when the count of unfinished tasks drops to zero: `join` waits here.
    all_tasks_done: Condvar,
    capacity: usize,
    /// `items.len()`, stored under the lock at every change. Read without the lock only by a
    /// caller spinning before it parks, as a hint that it is worth taking the lock again;
    /// every decision is made on `state`, under the lock.
    len_hint: AtomicUsize,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    /// Items put and not yet marked done with `task_done`.
    unfinished: usize,
    /// Who is waiting on `not_empty`.
    getters: Waiters,
    /// Who is waiting on `not_full`.
    putters: Waiters,
}

/// The callers of one side that had to wait, counted under the lock. Every operation keeps
/// this invariant for both sides: *if the side can go on (an item to get, a slot to fill, or
/// closed) and a caller is parked, then a caller of that side is awake or notified*, and so
/// will recheck the queue under the lock before it parks (again).
#[derive(Default)]
struct Waiters {
    /// Watching the length hint, lock released, before taking the lock to recheck.
    awake: usize,
    /// Parked on the condvar (counted up before the wait, down after it).
    parked: usize,
    /// Notifications sent and not yet taken up: each parked caller that comes back takes
    /// one, if there is one (whether the notification was meant for it does not matter:
    /// any caller that rechecks will do).
    notified: usize,
}

/// Which side of the queue a caller is on: what it waits for, where, and who counts it.
#[derive(Clone, Copy)]
enum Side {
    Get,
    Put,
}
// ANCHOR_END: struct

impl<T> BoundedQueue<T> {
    /// A queue holding at most `capacity` items.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0; see [`try_new`](Self::try_new).
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        match Self::try_new(capacity) {
            Ok(queue) => queue,
            Err(e) => panic!("{e}"),
        }
    }

    /// A queue holding at most `capacity` items, or [`ZeroCapacity`] for 0: a zero-capacity
    /// queue would be a rendezvous channel (a put waits for a getter), a different design that
    /// this queue does not implement. Use crossbeam's `bounded(0)` for that.
    pub fn try_new(capacity: usize) -> Result<Self, ZeroCapacity> {
        if capacity == 0 {
            return Err(ZeroCapacity);
        }
        Ok(Self {
            state: Mutex::new(State {
                // Do not reserve `usize::MAX` slots for an "unbounded" queue.
                items: VecDeque::with_capacity(capacity.min(1024)),
                closed: false,
                unfinished: 0,
                getters: Waiters::default(),
                putters: Waiters::default(),
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            all_tasks_done: Condvar::new(),
            capacity,
            len_hint: AtomicUsize::new(0),
        })
    }

    // ANCHOR: put
    /// Puts `item` at the back, blocking while the queue is full. Fails only when the queue is
    /// closed (before or while waiting), handing `item` back.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        let state = self.state.lock();
        match self.wait(state, Side::Put, None) {
            Ok(state) => self.push(state, item),
            Err(_) => unreachable!("a wait without a deadline does not time out"),
        }
    }
    // ANCHOR_END: put

    /// Puts `item` if there is room now: `Full` or `Closed` (with `item`) otherwise.
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        let state = self.state.lock();
        if state.items.len() == self.capacity && !state.closed {
            return Err(PutError::Full(item));
        }
        self.push(state, item)
    }

    // ANCHOR: put_timeout
    /// Like [`put`](Self::put), giving up with `Timeout(item)` once `timeout` has passed.
    /// A zero timeout tries once. Every wakeup rechecks room first and the clock second, so
    /// a spurious or late wakeup never loses an item or a slot.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        // `None`: a timeout too large to represent; wait as long as it takes.
        let deadline = Instant::now().checked_add(timeout);
        let state = self.state.lock();
        match self.wait(state, Side::Put, deadline) {
            Ok(state) => self.push(state, item),
            Err(_timed_out) => Err(PutError::Timeout(item)),
        }
    }
    // ANCHOR_END: put_timeout

    // ANCHOR: push
    /// The end of every put: `state` is locked and either has room or is closed.
    fn push(&self, mut state: MutexGuard<'_, State<T>>, item: T) -> Result<(), PutError<T>> {
        if state.closed {
            return Err(PutError::Closed(item));
        }
        state.items.push_back(item);
        state.unfinished += 1;
        self.len_hint.store(state.items.len(), Ordering::Relaxed);
        self.wake_after_change(state);
        Ok(())
    }
    // ANCHOR_END: push

    // ANCHOR: get
    /// Takes the item at the front, blocking while the queue is empty. After
    /// [`close`](Self::close), items still buffered are delivered first; then `Err(Closed)`.
    pub fn get(&self) -> Result<T, GetError> {
        let state = self.state.lock();
        match self.wait(state, Side::Get, None) {
            Ok(state) => self.pop(state),
            Err(_) => unreachable!("a wait without a deadline does not time out"),
        }
    }
    // ANCHOR_END: get

    /// Takes the front item if there is one now: `Empty`, or `Closed` once closed and drained.
    pub fn try_get(&self) -> Result<T, GetError> {
        let state = self.state.lock();
        if state.items.is_empty() && !state.closed {
            return Err(GetError::Empty);
        }
        self.pop(state)
    }

    /// Like [`get`](Self::get), giving up with `Timeout` once `timeout` has passed. A zero
    /// timeout tries once.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        let deadline = Instant::now().checked_add(timeout);
        let state = self.state.lock();
        match self.wait(state, Side::Get, deadline) {
            Ok(state) => self.pop(state),
            Err(_timed_out) => Err(GetError::Timeout),
        }
    }

    /// True while `side` has to wait: a getter on an empty, a putter on a full, open queue.
    fn blocked(&self, state: &State<T>, side: Side) -> bool {
        let len = state.items.len();
        !state.closed
            && match side {
                Side::Get => len == 0,
                Side::Put => len == self.capacity,
            }
    }

    // ANCHOR: wait
    /// Every blocking and timed put and get waits here, with `state` locked, until `side` can
    /// go on (`Ok`, locked) or `deadline` passes (`Err`, locked; `None` waits forever).
    fn wait<'a>(
        &'a self,
        mut state: MutexGuard<'a, State<T>>,
        side: Side,
        deadline: Option<Instant>,
    ) -> Result<MutexGuard<'a, State<T>>, MutexGuard<'a, State<T>>> {
        let past = |deadline: Option<Instant>| deadline.is_some_and(|d| Instant::now() >= d);
        if !self.blocked(&state, side) {
            return Ok(state);
        }
        if past(deadline) {
            return Err(state); // a zero timeout tries once
        }
        // 1. Spin: the other side is often running on another CPU and about to act. Release
        // the lock and watch the length hint for a few microseconds (spinning, then yielding
        // the CPU). Only reads happen here, so this changes how soon we park, never what we
        // decide: that happens under the lock. While we watch we are counted `awake`: the
        // other side need not wake a parked caller of ours for the item or slot it makes,
        // because we will recheck.
        state.waiters(side).awake += 1;
        drop(state);
        let mut backoff = Backoff::new();
        let watched = loop {
            // When the hint shows a change, take the lock only if it is free now. If another
            // caller holds it (often the other side, doing the work we wait for), back off
            // and look again instead of queueing on it: a caller queued on the lock spins
            // on its cache line, then yields or parks, and slows the holder's unlock; with
            // several watchers that is every item. Once the budget is spent, lock and park.
            if !self.hint_blocked(side)
                && let Some(state) = self.state.try_lock()
            {
                break Some(state);
            }
            if !backoff.snooze() {
                break None;
            }
        };
        state = watched.unwrap_or_else(|| self.state.lock());
        state.waiters(side).awake -= 1;
        // 2. Park. `while`, not `if`: another caller may have used up the item or slot that
        // woke us (and wakeups may be spurious). Counted, so the other side knows to notify.
        let condvar = match side {
            Side::Get => &self.not_empty,
            Side::Put => &self.not_full,
        };
        while self.blocked(&state, side) {
            if past(deadline) {
                return Err(state);
            }
            state.waiters(side).parked += 1;
            match deadline {
                Some(deadline) => {
                    condvar.wait_until(&mut state, deadline);
                }
                None => condvar.wait(&mut state),
            }
            let waiters = state.waiters(side);
            waiters.parked -= 1;
            // Whether or not the notification was meant for us, we recheck in its place.
            waiters.notified = waiters.notified.saturating_sub(1);
        }
        // Our push or pop ends in `wake_after_change`, which passes on anything we leave.
        Ok(state)
    }
    // ANCHOR_END: wait

    // ANCHOR: wake
    /// The end of every push and pop, with `state` locked: for each side, restores the
    /// invariant on [`Waiters`] by notifying one parked caller if the side can go on, somebody
    /// is parked, and nobody of that side is awake or already notified. Notifies after
    /// unlocking, so the woken thread does not wake into a held lock.
    ///
    /// An awake caller is trusted to take the item or slot itself only while the other side
    /// has something left to do: it may be yielding its CPU, and slow to come back. That
    /// costs nothing while the getters have items to work through, but a pop that empties
    /// the queue wakes a parked putter as well (and a push that fills it, a parked getter),
    /// since the other side is about to wait for this one. At capacity 1, where every item is
    /// a hand-off, that is every time. Extra wakeups never break the invariant.
    ///
    /// Both sides, after a push and after a pop: a push makes an item for a getter, and the
    /// putter that pushed may be one that was notified or awake, in whose place nobody was
    /// woken, so if it leaves a slot free the next parked putter must be woken for it (and the
    /// same for getters after a pop). Skipping that is `NoPassOnQueue`'s lost wakeup; notifying
    /// only when the queue *becomes* non-empty is `TransitionNotifyQueue`'s.
    fn wake_after_change(&self, mut state: MutexGuard<'_, State<T>>) {
        // Urgent: the other side is about to wait for this one (the queue is empty or full).
        let len = state.items.len();
        let wake_getter =
            !self.blocked(&state, Side::Get) && state.getters.needs_wakeup(len == self.capacity);
        let wake_putter = !self.blocked(&state, Side::Put) && state.putters.needs_wakeup(len == 0);
        if wake_getter {
            state.getters.notified += 1;
        }
        if wake_putter {
            state.putters.notified += 1;
        }
        drop(state);
        if wake_getter {
            self.not_empty.notify_one();
        }
        if wake_putter {
            self.not_full.notify_one();
        }
    }
    // ANCHOR_END: wake

    /// The lock-free guess at [`blocked`](Self::blocked) that a spinning caller watches.
    fn hint_blocked(&self, side: Side) -> bool {
        let len = self.len_hint.load(Ordering::Relaxed);
        match side {
            Side::Get => len == 0,
            Side::Put => len >= self.capacity,
        }
    }

    // ANCHOR: pop
    /// The end of every get: `state` is locked and either has an item or is closed.
    fn pop(&self, mut state: MutexGuard<'_, State<T>>) -> Result<T, GetError> {
        let item = state.items.pop_front().ok_or(GetError::Closed)?;
        self.len_hint.store(state.items.len(), Ordering::Relaxed);
        self.wake_after_change(state);
        Ok(item)
    }
    // ANCHOR_END: pop

    // ANCHOR: close
    /// Closes the queue: every later put fails with `Closed(item)`; getters drain what is
    /// buffered, then get `Closed`. Wakes every blocked putter and getter at once (both
    /// conditions changed for all of them, so `notify_all`). Returns false if it was already
    /// closed. Closing does not finish tasks: [`join`](Self::join) still waits for
    /// `task_done` on every item put.
    pub fn close(&self) -> bool {
        let mut state = self.state.lock();
        let was_open = !state.closed;
        state.closed = true;
        // Everybody parked is notified below: nobody is left to wake later.
        state.getters.notified = state.getters.parked;
        state.putters.notified = state.putters.parked;
        drop(state);
        self.not_empty.notify_all();
        self.not_full.notify_all();
        was_open
    }
    // ANCHOR_END: close

    // ANCHOR: tasks
    /// Marks one task (one item put) finished. When every item ever put has been marked
    /// done, [`join`](Self::join) returns. More calls than items put is an error, and changes
    /// nothing.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.state.lock();
        if state.unfinished == 0 {
            return Err(TaskDoneError);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 {
            drop(state);
            // Every joiner waits for the same condition: wake them all.
            self.all_tasks_done.notify_all();
        }
        Ok(())
    }

    /// Blocks until every item ever put has been marked done with
    /// [`task_done`](Self::task_done). It counts tasks, not items in the queue: an item a
    /// consumer has taken but not finished still counts. Returns at once if there are none,
    /// so calling it twice works.
    pub fn join(&self) {
        let mut state = self.state.lock();
        while state.unfinished > 0 {
            self.all_tasks_done.wait(&mut state);
        }
    }
    // ANCHOR_END: tasks

    /// Items put and not yet marked done.
    pub fn unfinished_tasks(&self) -> usize {
        self.state.lock().unfinished
    }

    /// Items in the queue now (Python's `qsize()`); stale as soon as it returns.
    pub fn len(&self) -> usize {
        self.state.lock().items.len()
    }

    /// True when no items are in the queue now (Python's `empty()`).
    pub fn is_empty(&self) -> bool {
        self.state.lock().items.is_empty()
    }

    /// True when the queue holds `capacity` items now (Python's `full()`).
    pub fn is_full(&self) -> bool {
        self.state.lock().items.len() == self.capacity
    }

    /// The most items the queue holds (Python's `maxsize`).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// True once [`close`](Self::close) has been called.
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed
    }
}

impl<T> State<T> {
    /// The waiters of `side`.
    fn waiters(&mut self, side: Side) -> &mut Waiters {
        match side {
            Side::Get => &mut self.getters,
            Side::Put => &mut self.putters,
        }
    }
}

impl Waiters {
    /// True if somebody is parked, nobody of this side is notified, and nobody is awake or
    /// it is `urgent` that a caller comes now (see `wake_after_change`).
    fn needs_wakeup(&self, urgent: bool) -> bool {
        self.parked > 0 && self.notified == 0 && (self.awake == 0 || urgent)
    }
}

impl<T> fmt::Debug for BoundedQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("BoundedQueue")
            .field("len", &state.items.len())
            .field("capacity", &self.capacity)
            .field("closed", &state.closed)
            .field("unfinished", &state.unfinished)
            .finish_non_exhaustive()
    }
}
