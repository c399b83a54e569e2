//! Flawed events. **Do not copy.** They exist so the checkers can prove they catch the bug.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Condvar, Mutex};

// ANCHOR: check_then_wait
/// **Do not copy.** Checks the flag, *then* takes the lock and sleeps. A `set` that lands
/// between the check and the sleep notifies nobody, and the waiter sleeps through the only
/// wakeup it was going to get (**missed wakeup**; the checkers see it as a deadlock: the waiter
/// is blocked, and so is whoever joins it).
#[derive(Debug, Default)]
pub struct CheckThenWaitEvent {
    flag: AtomicBool,
    /// Guards the count of sleeping waiters, nothing else.
    lock: Mutex<usize>,
    changed: Condvar,
}

impl CheckThenWaitEvent {
    /// Sets the flag and wakes the waiters that are already asleep.
    pub fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _guard = self.lock.lock();
        self.changed.notify_all();
    }

    /// Blocks until the event is set.
    pub fn wait(&self) -> bool {
        if self.flag.load(Ordering::SeqCst) {
            return true;
        }
        // The window: `set` can store and notify right here, before we sleep.
        let mut waiters = self.lock.lock();
        *waiters += 1;
        self.changed.wait(&mut waiters);
        *waiters -= 1;
        true
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.flag.store(false, Ordering::SeqCst);
    }

    /// How many threads are asleep in `wait`.
    pub fn waiters(&self) -> usize {
        *self.lock.lock()
    }
}
// ANCHOR_END: check_then_wait

// ANCHOR: flag_event
/// **Do not copy.** Waits with the lock held, correctly, but decides whether it was released by
/// re-reading the flag (`while !set { wait }`) instead of remembering a generation. If `set`
/// and `clear` both run before the waiter is scheduled, the waiter finds the flag down and goes
/// back to sleep: it misses a `set` that happened (**missed wakeup**, seen by the checkers as
/// a deadlock). CPython's `test_set_and_clear` is the test this fails.
#[derive(Debug, Default)]
pub struct FlagEvent {
    /// (set, waiters)
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

impl FlagEvent {
    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        self.state.lock().0 = true;
        self.changed.notify_all();
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.state.lock().0 = false;
    }

    /// Blocks until the flag is seen set.
    pub fn wait(&self) -> bool {
        let mut state = self.state.lock();
        state.1 += 1;
        while !state.0 {
            self.changed.wait(&mut state);
        }
        state.1 -= 1;
        true
    }

    /// How many threads are in `wait`.
    pub fn waiters(&self) -> usize {
        self.state.lock().1
    }
}
// ANCHOR_END: flag_event
