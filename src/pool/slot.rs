use crate::sync::time::{Duration, Instant};
use crate::sync::{Condvar, Mutex, note};

use super::ResultSlot;

// ANCHOR: slot
/// Where a worker leaves a task's result for the caller: one value under a [`Mutex`], and a
/// [`Condvar`] the caller waits on. The lock orders the worker's write before the caller's
/// read, and the `while` rechecks after every wakeup.
pub struct Slot<R> {
    value: Mutex<Option<R>>,
    ready: Condvar,
}

impl<R> ResultSlot<R> for Slot<R> {
    fn empty() -> Self {
        Slot {
            value: Mutex::new(None),
            ready: Condvar::new(),
        }
    }

    fn fill(&self, value: R) {
        *self.value.lock() = Some(value);
        note(|| "slot filled".to_string());
        self.ready.notify_all();
    }

    fn take(&self) -> R {
        let mut value = self.value.lock();
        loop {
            if let Some(v) = value.take() {
                return v;
            }
            self.ready.wait(&mut value);
        }
    }
}
// ANCHOR_END: slot

impl<R> Slot<R> {
    /// Takes the value once it is there, or gives up at `timeout` (`None`).
    pub fn take_timeout(&self, timeout: Duration) -> Option<R> {
        let deadline = Instant::now().checked_add(timeout);
        let mut value = self.value.lock();
        loop {
            if let Some(v) = value.take() {
                return Some(v);
            }
            match deadline {
                Some(deadline) if Instant::now() >= deadline => return None,
                Some(deadline) => {
                    self.ready.wait_until(&mut value, deadline);
                }
                None => self.ready.wait(&mut value),
            }
        }
    }

    /// True when the value is there.
    pub fn is_filled(&self) -> bool {
        self.value.lock().is_some()
    }
}
