//! The event loop's task queue — seed 004 "事件驱动": 有一个事件（消息）队列；鼠标按下时，往这个
//! 队列中增加一个点击事件；有个循环，不断从队列取出事件，根据不同的事件，调用不同的函数.
//!
//! Any thread may [`post`](Mailbox::post) a task; one thread, the loop, takes them in order
//! with [`next`](Mailbox::next) and runs their handlers. When the queue is empty the loop
//! sleeps, and a post must wake it. That wakeup is the whole difficulty: check "empty" and go to
//! sleep in one step under the queue's lock, or a post slipping in between is never noticed
//! (**lost wakeup**).
//!
//! This file uses nothing but the facade (no sockets, no OS), so the model crates compile it
//! again and loom and shuttle check it (`models/check/src/bodies/io_event_loop.rs`).
//!
//! - [`TaskQueue`]: the reference (copy this).
//! - [`flawed::LostWakeupQueue`]: checks, unlocks, then sleeps (do not copy). Bug: **lost
//!   wakeup**; the checkers see the loop asleep forever with a task queued, a deadlock.

pub mod flawed;

use std::collections::VecDeque;

use crate::sync::time::Instant;
use crate::sync::{Condvar, Mutex, note};

// ANCHOR: mailbox
/// A multi-producer, single-consumer queue of tasks for an event loop.
pub trait Mailbox<T>: Send + Sync {
    /// Queues `task` and wakes the loop if it sleeps. Never blocks for long.
    fn post(&self, task: T);
    /// The oldest task, sleeping until there is one.
    fn next(&self) -> T;
    /// The oldest task, or `None` if none came by `deadline` (the loop then does its timers).
    fn next_until(&self, deadline: Instant) -> Option<T>;
}
// ANCHOR_END: mailbox

// ANCHOR: task_queue
/// The reference: the emptiness check and the sleep happen under one lock, and the condition
/// variable releases that lock atomically as it sleeps. A post either comes before the check
/// (the loop sees the task) or after the loop sleeps (the notify wakes it): nothing in between.
#[derive(Debug)]
pub struct TaskQueue<T> {
    tasks: Mutex<VecDeque<T>>,
    posted: Condvar,
}

impl<T> Default for TaskQueue<T> {
    fn default() -> Self {
        TaskQueue {
            tasks: Mutex::new(VecDeque::new()),
            posted: Condvar::new(),
        }
    }
}

impl<T: Send> Mailbox<T> for TaskQueue<T> {
    fn post(&self, task: T) {
        let mut tasks = self.tasks.lock();
        tasks.push_back(task);
        note(|| format!("post -> {} queued", tasks.len()));
        drop(tasks);
        self.posted.notify_one();
    }

    fn next(&self) -> T {
        let mut tasks = self.tasks.lock();
        loop {
            if let Some(task) = tasks.pop_front() {
                note(|| format!("next -> task ({} left)", tasks.len()));
                return task;
            }
            note(|| "next: empty -> sleep (lock released while asleep)".to_string());
            self.posted.wait(&mut tasks);
        }
    }

    fn next_until(&self, deadline: Instant) -> Option<T> {
        let mut tasks = self.tasks.lock();
        loop {
            if let Some(task) = tasks.pop_front() {
                return Some(task);
            }
            // A timed wait may return early (spuriously, or under a checker): recheck.
            if Instant::now() >= deadline {
                return None;
            }
            self.posted.wait_until(&mut tasks, deadline);
        }
    }
}
// ANCHOR_END: task_queue
