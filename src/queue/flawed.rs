//! Flawed queues. **Do not copy.** They exist so the checkers can prove they catch the bug.
//!
//! Each implements [`SeedQueue`] so the models drive them with the same code as
//! [`BoundedQueue`](super::BoundedQueue). None of them implements closing except
//! [`CloseNotifyOneQueue`], whose bug is in `close`.

use std::collections::VecDeque;

use crate::sync::{Condvar, Mutex, MutexGuard};

use super::{SeedQueue, TaskDoneError};

/// What every flawed queue keeps under its lock.
struct State<T> {
    items: VecDeque<T>,
    unfinished: usize,
    closed: bool,
}

impl<T> State<T> {
    fn new() -> Self {
        State {
            items: VecDeque::new(),
            unfinished: 0,
            closed: false,
        }
    }

    fn task_done(&mut self) -> Result<(), TaskDoneError> {
        self.unfinished = self.unfinished.checked_sub(1).ok_or(TaskDoneError)?;
        Ok(())
    }
}

fn no_close() -> ! {
    panic!("this flawed queue does not implement closing")
}

// ANCHOR: one_condvar
/// **Do not copy.** One Condvar, `changed`, for both conditions, signalled with `notify_one`.
/// Getters and putters wait on the same Condvar, so the one thread a `notify_one` wakes can
/// be the wrong kind: a getter takes the only item and wakes the *other getter* (queue empty,
/// it waits again) instead of the putter blocked on a full queue. Nobody is left to wake
/// anyone (**deadlock**: 2 getters, 1 putter, capacity 1). `notify_all` would hide the bug at
/// the cost of waking everyone on every change; two Condvars fix it.
pub struct OneCondvarQueue<T> {
    state: Mutex<State<T>>,
    changed: Condvar,
    maxsize: usize,
}

impl<T> OneCondvarQueue<T> {
    fn put(&self, item: T) {
        let mut state = self.state.lock();
        while state.items.len() == self.maxsize {
            self.changed.wait(&mut state);
        }
        state.items.push_back(item);
        state.unfinished += 1;
        drop(state);
        self.changed.notify_one(); // meant for a getter; may wake a putter
    }

    fn get(&self) -> T {
        let mut state = self.state.lock();
        while state.items.is_empty() {
            self.changed.wait(&mut state);
        }
        let item = state.items.pop_front().expect("not empty");
        drop(state);
        self.changed.notify_one(); // meant for a putter; may wake a getter
        item
    }
}
// ANCHOR_END: one_condvar

impl<T> SeedQueue<T> for OneCondvarQueue<T> {
    fn with_maxsize(maxsize: usize) -> Self {
        OneCondvarQueue {
            state: Mutex::new(State::new()),
            changed: Condvar::new(),
            maxsize,
        }
    }
    fn put(&self, item: T) -> Result<(), T> {
        OneCondvarQueue::put(self, item);
        Ok(())
    }
    fn get(&self) -> Option<T> {
        Some(OneCondvarQueue::get(self))
    }
    fn qsize(&self) -> usize {
        self.state.lock().items.len()
    }
    fn maxsize(&self) -> usize {
        self.maxsize
    }
    fn task_done(&self) -> Result<(), TaskDoneError> {
        self.state.lock().task_done()
    }
    fn join(&self) {
        unimplemented!("not needed by this variant's model")
    }
    fn close(&self) {
        no_close()
    }
}

// ANCHOR: if_wait
/// **Do not copy.** Two Condvars, but `if` instead of `while` around each wait. A woken
/// putter assumes the slot it was told about is still free; another putter may have taken it
/// between the notification and the wakeup. It pushes anyway: the queue holds more than
/// `maxsize` items (**overfill**). A woken getter likewise may find the queue empty and return
/// nothing.
pub struct IfWaitQueue<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    maxsize: usize,
}

impl<T> IfWaitQueue<T> {
    fn put(&self, item: T) {
        let mut state = self.state.lock();
        if state.items.len() >= self.maxsize {
            self.not_full.wait(&mut state); // and then no recheck
        }
        state.items.push_back(item);
        state.unfinished += 1;
        drop(state);
        self.not_empty.notify_one();
    }

    fn get(&self) -> Option<T> {
        let mut state = self.state.lock();
        if state.items.is_empty() {
            self.not_empty.wait(&mut state); // and then no recheck
        }
        let item = state.items.pop_front();
        drop(state);
        self.not_full.notify_one();
        item
    }
}
// ANCHOR_END: if_wait

impl<T> SeedQueue<T> for IfWaitQueue<T> {
    fn with_maxsize(maxsize: usize) -> Self {
        IfWaitQueue {
            state: Mutex::new(State::new()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            maxsize,
        }
    }
    fn put(&self, item: T) -> Result<(), T> {
        IfWaitQueue::put(self, item);
        Ok(())
    }
    fn get(&self) -> Option<T> {
        IfWaitQueue::get(self)
    }
    fn qsize(&self) -> usize {
        self.state.lock().items.len()
    }
    fn maxsize(&self) -> usize {
        self.maxsize
    }
    fn task_done(&self) -> Result<(), TaskDoneError> {
        self.state.lock().task_done()
    }
    fn join(&self) {
        unimplemented!("not needed by this variant's model")
    }
    fn close(&self) {
        no_close()
    }
}

// ANCHOR: transition_notify
/// **Do not copy.** Two Condvars and `while` loops, but a put notifies `not_empty` only when
/// it makes the queue non-empty (and a get notifies `not_full` only when it makes the queue
/// non-full): "nobody can be waiting unless the queue was empty", the classic batching
/// shortcut. With two getters waiting, a producer that puts two items before either getter
/// runs notifies once, for the first item; the second getter sleeps next to an item
/// (**deadlock**: 1 producer x 2 items, 2 consumers, capacity 2). `BoundedQueue` skips
/// notifications too, but only while a getter is awake or already notified, and whoever
/// leaves an item behind wakes the next parked getter for it.
pub struct TransitionNotifyQueue<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    maxsize: usize,
}

impl<T> TransitionNotifyQueue<T> {
    fn put(&self, item: T) {
        let mut state = self.state.lock();
        while state.items.len() == self.maxsize {
            self.not_full.wait(&mut state);
        }
        state.items.push_back(item);
        state.unfinished += 1;
        let was_empty = state.items.len() == 1;
        drop(state);
        if was_empty {
            self.not_empty.notify_one(); // one wakeup for the whole batch of puts
        }
    }

    fn get(&self) -> T {
        let mut state = self.state.lock();
        while state.items.is_empty() {
            self.not_empty.wait(&mut state);
        }
        let item = state.items.pop_front().expect("not empty");
        let was_full = state.items.len() + 1 == self.maxsize;
        drop(state);
        if was_full {
            self.not_full.notify_one();
        }
        item
    }
}
// ANCHOR_END: transition_notify

impl<T> SeedQueue<T> for TransitionNotifyQueue<T> {
    fn with_maxsize(maxsize: usize) -> Self {
        TransitionNotifyQueue {
            state: Mutex::new(State::new()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            maxsize,
        }
    }
    fn put(&self, item: T) -> Result<(), T> {
        TransitionNotifyQueue::put(self, item);
        Ok(())
    }
    fn get(&self) -> Option<T> {
        Some(TransitionNotifyQueue::get(self))
    }
    fn qsize(&self) -> usize {
        self.state.lock().items.len()
    }
    fn maxsize(&self) -> usize {
        self.maxsize
    }
    fn task_done(&self) -> Result<(), TaskDoneError> {
        self.state.lock().task_done()
    }
    fn join(&self) {
        unimplemented!("not needed by this variant's model")
    }
    fn close(&self) {
        no_close()
    }
}

// ANCHOR: no_pass_on
/// **Do not copy.** Counts parked and notified waiters, and skips a notification while an
/// earlier one has not been taken up ("that thread is on its way; it will see the new item
/// too"), but a woken thread that takes one item leaves without passing the wakeup on to the
/// next parked thread. Two getters wait; a producer puts two items before either runs: the
/// first put notifies one getter, the second skips (one is on its way); the woken getter
/// takes one item and leaves; the other sleeps next to the second item (**deadlock**:
/// 1 producer x 2 items, 2 consumers, capacity 2). `BoundedQueue` skips notifications the
/// same way, but rechecks both sides after every push and pop (`wake_after_change`).
pub struct NoPassOnQueue<T> {
    state: Mutex<NoPassOnState<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    maxsize: usize,
}

struct NoPassOnState<T> {
    queue: State<T>,
    getters: Counted,
    putters: Counted,
}

/// Parked waiters of one side, and notifications sent to them and not yet taken up.
#[derive(Default)]
struct Counted {
    parked: usize,
    notified: usize,
}

impl<T> NoPassOnQueue<T> {
    fn put(&self, item: T) {
        let mut state = self.state.lock();
        while state.queue.items.len() == self.maxsize {
            state.putters.parked += 1;
            self.not_full.wait(&mut state);
            state.putters.parked -= 1;
            state.putters.notified = state.putters.notified.saturating_sub(1);
        }
        state.queue.items.push_back(item);
        state.queue.unfinished += 1;
        // Wakes a getter unless one is already on its way; never passes on to a putter.
        let wake = state.getters.parked > 0 && state.getters.notified == 0;
        state.getters.notified += usize::from(wake);
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
    }

    fn get(&self) -> T {
        let mut state = self.state.lock();
        while state.queue.items.is_empty() {
            state.getters.parked += 1;
            self.not_empty.wait(&mut state);
            state.getters.parked -= 1;
            state.getters.notified = state.getters.notified.saturating_sub(1);
        }
        let item = state.queue.items.pop_front().expect("not empty");
        // Wakes a putter unless one is on its way; the next getter is left asleep.
        let wake = state.putters.parked > 0 && state.putters.notified == 0;
        state.putters.notified += usize::from(wake);
        drop(state);
        if wake {
            self.not_full.notify_one();
        }
        item
    }
}
// ANCHOR_END: no_pass_on

impl<T> SeedQueue<T> for NoPassOnQueue<T> {
    fn with_maxsize(maxsize: usize) -> Self {
        NoPassOnQueue {
            state: Mutex::new(NoPassOnState {
                queue: State::new(),
                getters: Counted::default(),
                putters: Counted::default(),
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            maxsize,
        }
    }
    fn put(&self, item: T) -> Result<(), T> {
        NoPassOnQueue::put(self, item);
        Ok(())
    }
    fn get(&self) -> Option<T> {
        Some(NoPassOnQueue::get(self))
    }
    fn qsize(&self) -> usize {
        self.state.lock().queue.items.len()
    }
    fn maxsize(&self) -> usize {
        self.maxsize
    }
    fn task_done(&self) -> Result<(), TaskDoneError> {
        self.state.lock().queue.task_done()
    }
    fn join(&self) {
        unimplemented!("not needed by this variant's model")
    }
    fn close(&self) {
        no_close()
    }
}

/// The correct part the task and close variants share: two Condvars, `while` loops.
struct Core<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    all_tasks_done: Condvar,
    maxsize: usize,
}

impl<T> Core<T> {
    fn new(maxsize: usize) -> Self {
        Core {
            state: Mutex::new(State::new()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            all_tasks_done: Condvar::new(),
            maxsize,
        }
    }

    fn put(&self, item: T) -> Result<(), T> {
        let mut state = self.state.lock();
        while state.items.len() == self.maxsize && !state.closed {
            self.not_full.wait(&mut state);
        }
        if state.closed {
            return Err(item);
        }
        state.items.push_back(item);
        state.unfinished += 1;
        drop(state);
        self.not_empty.notify_one();
        Ok(())
    }

    fn get(&self) -> Option<T> {
        let mut state = self.state.lock();
        while state.items.is_empty() && !state.closed {
            self.not_empty.wait(&mut state);
        }
        let item = state.items.pop_front()?;
        drop(state);
        self.not_full.notify_one();
        Some(item)
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock()
    }
}

/// The trait's plumbing for the variants built on [`Core`], each overriding one method.
macro_rules! on_core {
    ($ty:ident, task_done: $task_done:expr, join: $join:expr, close: $close:expr) => {
        impl<T> SeedQueue<T> for $ty<T> {
            fn with_maxsize(maxsize: usize) -> Self {
                $ty(Core::new(maxsize))
            }
            fn put(&self, item: T) -> Result<(), T> {
                self.0.put(item)
            }
            fn get(&self) -> Option<T> {
                self.0.get()
            }
            fn qsize(&self) -> usize {
                self.0.lock().items.len()
            }
            fn maxsize(&self) -> usize {
                self.0.maxsize
            }
            fn task_done(&self) -> Result<(), TaskDoneError> {
                ($task_done)(self)
            }
            fn join(&self) {
                ($join)(self)
            }
            fn close(&self) {
                ($close)(self)
            }
        }
    };
}

/// A correct `task_done`: the last one wakes every joiner.
fn task_done_notifying<T>(core: &Core<T>) -> Result<(), TaskDoneError> {
    let mut state = core.lock();
    state.task_done()?;
    if state.unfinished == 0 {
        drop(state);
        core.all_tasks_done.notify_all();
    }
    Ok(())
}

/// A correct `join`: waits until no task is unfinished.
fn join_on_tasks<T>(core: &Core<T>) {
    let mut state = core.lock();
    while state.unfinished > 0 {
        core.all_tasks_done.wait(&mut state);
    }
}

// ANCHOR: silent_task_done
/// **Do not copy.** `task_done` counts the task down but never notifies `join`'s Condvar. A
/// `join` that started waiting before the last `task_done` sleeps forever (**deadlock**);
/// one that came after sees zero and returns, which is why the bug hides in testing.
pub struct SilentTaskQueue<T>(Core<T>);

impl<T> SilentTaskQueue<T> {
    fn task_done(&self) -> Result<(), TaskDoneError> {
        self.0.lock().task_done() // the count reaches 0 and nobody is told
    }
}
// ANCHOR_END: silent_task_done

on_core!(SilentTaskQueue,
    task_done: SilentTaskQueue::task_done,
    join: |q: &SilentTaskQueue<T>| join_on_tasks(&q.0),
    close: |_| no_close());

// ANCHOR: empty_join
/// **Do not copy.** `join` waits until the queue is *empty* instead of until every task is
/// *done* (it waits on `not_full`, which every get signals). The consumer has taken the last
/// item but not finished it, and `join` returns (**early join**): the producer moves on while
/// work is still in flight. Python's `join` counts tasks, not items, for this reason.
pub struct EmptyJoinQueue<T>(Core<T>);

impl<T> EmptyJoinQueue<T> {
    fn join(&self) {
        let mut state = self.0.lock();
        while !state.items.is_empty() {
            self.0.not_full.wait(&mut state);
        }
    }
}
// ANCHOR_END: empty_join

on_core!(EmptyJoinQueue,
    task_done: |q: &EmptyJoinQueue<T>| task_done_notifying(&q.0),
    join: EmptyJoinQueue::join,
    close: |_| no_close());

// ANCHOR: close_notify_one
/// **Do not copy.** `close` sets the flag and wakes *one* blocked getter with `notify_one`.
/// Every blocked getter needs to see the flag; the others sleep forever (**deadlock**: two
/// consumers blocked on an empty queue when the producer closes it).
pub struct CloseNotifyOneQueue<T>(Core<T>);

impl<T> CloseNotifyOneQueue<T> {
    fn close(&self) {
        self.0.lock().closed = true;
        self.0.not_empty.notify_one(); // should be notify_all
        self.0.not_full.notify_one();
    }
}
// ANCHOR_END: close_notify_one

on_core!(CloseNotifyOneQueue,
    task_done: |q: &CloseNotifyOneQueue<T>| task_done_notifying(&q.0),
    join: |q: &CloseNotifyOneQueue<T>| join_on_tasks(&q.0),
    close: CloseNotifyOneQueue::close);
