use crate::sync::time::{Duration, Instant};
use crate::sync::{Condvar, Mutex};

// ANCHOR: event
/// A one-to-many signal: the seed's `threading.Event`.
///
/// [`set`](Self::set) opens the gate and releases every waiter; [`clear`](Self::clear) closes
/// it again; [`wait`](Self::wait) blocks while it is closed. A waiter released by a `set` is
/// released for good: it returns `true` even if a `clear` ran before it was scheduled again.
///
/// ```
/// use std::sync::Arc;
/// use threadproof::event::Event;
///
/// let ready = Arc::new(Event::new());
/// let waiter = {
///     let ready = Arc::clone(&ready);
///     std::thread::spawn(move || ready.wait())
/// };
/// ready.set();
/// assert!(waiter.join().unwrap());
/// assert!(ready.is_set());
/// ```
#[derive(Debug, Default)]
pub struct Event {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Whether the event is set now.
    set: bool,
    /// How many times the event went from clear to set. A waiter remembers the generation it
    /// started waiting in; a different generation means a `set` happened, whatever `set` says
    /// by the time the waiter runs again.
    generation: u64,
    /// Threads blocked in a wait now.
    waiters: usize,
}

impl Event {
    /// A new event, not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the event and wakes every thread waiting for it. Setting a set event does nothing.
    pub fn set(&self) {
        let mut state = self.state.lock();
        if !state.set {
            state.set = true;
            state.generation = state.generation.wrapping_add(1);
            // Notify with the lock held: no waiter can check and sleep in between.
            self.changed.notify_all();
        }
    }

    /// Clears the event: later calls to `wait` block until the next `set`.
    pub fn clear(&self) {
        self.state.lock().set = false;
    }

    /// Whether the event is set.
    pub fn is_set(&self) -> bool {
        self.state.lock().set
    }

    /// How many threads are blocked waiting for the event right now. For tests and
    /// diagnostics: by the time you read it, it may have changed.
    pub fn waiters(&self) -> usize {
        self.state.lock().waiters
    }

    /// Blocks until the event is set. Returns `true` (like Python's `wait()` without timeout).
    pub fn wait(&self) -> bool {
        self.wait_deadline(None)
    }

    /// Blocks until the event is set or `timeout` has passed. Returns `true` if the event was
    /// set (already, or by a `set` during the wait), `false` on timeout. A zero timeout never
    /// blocks: it is `is_set`. Spurious wakeups do not restart the timeout: it is a deadline.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if timeout.is_zero() {
            return self.is_set();
        }
        // A timeout too large to represent is as good as none.
        self.wait_deadline(Instant::now().checked_add(timeout))
    }

    fn wait_deadline(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.state.lock();
        if state.set {
            return true;
        }
        let started = state.generation;
        state.waiters += 1;
        // The loop absorbs spurious wakeups; the generation, not the flag, says whether a set
        // happened while we slept.
        let released = loop {
            if state.generation != started {
                break true;
            }
            match deadline {
                None => self.changed.wait(&mut state),
                Some(deadline) => {
                    let timed_out = self.changed.wait_until(&mut state, deadline).timed_out();
                    if state.generation == started && (timed_out || Instant::now() >= deadline) {
                        break false;
                    }
                }
            }
        };
        state.waiters -= 1;
        released
    }
}
// ANCHOR_END: event
