//! A flawed task queue. **Do not copy.** It exists so the checkers can prove they catch the bug.

use std::collections::VecDeque;

use super::Mailbox;
use crate::sync::time::Instant;
use crate::sync::{Condvar, Mutex, note};

// ANCHOR: lost_wakeup
/// **Do not copy.** Looks at the queue under one lock, lets go, then sleeps under another.
/// A post that lands between the look and the sleep notifies nobody — the loop is not waiting
/// yet — and the loop then sleeps with a task queued (**lost wakeup**). On real threads the
/// window is a few instructions wide and the bug shows as a rare hang; the checkers find it
/// at once as a deadlock: the loop asleep, the poster done, `main` waiting for the loop.
#[derive(Debug)]
pub struct LostWakeupQueue<T> {
    tasks: Mutex<VecDeque<T>>,
    sleeping: Mutex<()>,
    posted: Condvar,
}

impl<T> Default for LostWakeupQueue<T> {
    fn default() -> Self {
        LostWakeupQueue {
            tasks: Mutex::new(VecDeque::new()),
            sleeping: Mutex::new(()),
            posted: Condvar::new(),
        }
    }
}

impl<T: Send> Mailbox<T> for LostWakeupQueue<T> {
    fn post(&self, task: T) {
        self.tasks.lock().push_back(task);
        note(|| "post -> queued; notify".to_string());
        self.posted.notify_one(); // nobody may be waiting yet: then this is lost
    }

    fn next(&self) -> T {
        loop {
            if let Some(task) = self.tasks.lock().pop_front() {
                note(|| "next -> task".to_string());
                return task;
            }
            note(|| "next: empty -> (lock released) -> sleep".to_string());
            // The window: a post here is not seen by the check above, and its notify comes
            // before the wait below.
            let mut sleeping = self.sleeping.lock();
            self.posted.wait(&mut sleeping);
        }
    }

    fn next_until(&self, deadline: Instant) -> Option<T> {
        loop {
            if let Some(task) = self.tasks.lock().pop_front() {
                return Some(task);
            }
            if Instant::now() >= deadline {
                return None;
            }
            let mut sleeping = self.sleeping.lock();
            self.posted.wait_until(&mut sleeping, deadline);
        }
    }
}
// ANCHOR_END: lost_wakeup
