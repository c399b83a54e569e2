//! Models of the event loop's task queue (seeds 004 "事件驱动", `io_models::task_queue`).

use super::world::io_task_queue::flawed::LostWakeupQueue;
use super::world::io_task_queue::{Mailbox, TaskQueue};
use super::world::sync::time::{Duration, Instant};
use super::world::sync::{Arc, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::require;

// ANCHOR: wakeup_model
/// The loop sleeps whenever the queue is empty; `posters` threads post one task each. The loop
/// must wake for every one of them. A lost wakeup leaves it asleep with a task queued: every
/// thread blocked, which the checkers report as a deadlock.
fn posts_wake_the_loop<Q: Mailbox<u32> + Default + 'static>(posters: u32) {
    // Leaked, not shared by `Arc`: when loom reports a deadlock it unwinds the blocked loop
    // thread, and dropping a checker object during that unwind aborts the process.
    let queue: &'static Q = Box::leak(Box::new(Q::default()));
    let event_loop =
        thread::spawn(move || (0..posters).map(|_| queue.next()).collect::<Vec<u32>>());
    let posting: Vec<_> = (0..posters)
        .map(|task| thread::spawn(move || queue.post(task)))
        .collect();
    for poster in posting {
        poster.join().expect("poster panicked");
    }
    let mut handled = event_loop.join().expect("loop panicked");
    handled.sort_unstable();
    require!(
        handled == (0..posters).collect::<Vec<_>>(),
        Kind::Leak,
        "the loop handled {handled:?}, expected each of 0..{posters} once"
    );
}
// ANCHOR_END: wakeup_model

/// A task for the stop model.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    Echo(u32),
    Stop,
}

// ANCHOR: stop_model
/// The server's shutdown: a poster queues two tasks, another thread then queues `Stop`. The loop
/// waits with deadlines (its idle sweeps) and stops at `Stop`; every task posted before `Stop`
/// must have been handled. (Under shuttle a timed wait may time out at any point; the loop
/// just goes round again.)
fn stop_comes_after_earlier_tasks() {
    let queue = Arc::new(TaskQueue::<Task>::default());
    let event_loop = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            let mut handled = Vec::new();
            loop {
                match queue.next_until(Instant::now() + Duration::from_millis(1)) {
                    Some(Task::Echo(n)) => handled.push(n),
                    Some(Task::Stop) => return handled,
                    None => {} // a sweep for idle connections would run here
                }
            }
        })
    };
    let poster = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            queue.post(Task::Echo(1));
            queue.post(Task::Echo(2));
        })
    };
    poster.join().expect("poster panicked");
    queue.post(Task::Stop); // Server::shutdown, after the client's messages were queued
    let handled = event_loop.join().expect("loop panicked");
    require!(
        handled == [1, 2],
        Kind::Leak,
        "the loop stopped having handled {handled:?}, expected [1, 2]"
    );
}
// ANCHOR_END: stop_model

/// The event loop's models.
pub fn models() -> Vec<Model> {
    let wakeups = |variant, expect, body| Model {
        pattern: "io_event_loop",
        variant,
        scenario: "2 posters x 1 task, loop sleeps when empty",
        expect,
        body,
        loom: LoomPlan::Exhaustive,
        shuttle: ShuttlePlan::DEFAULT,
    };
    vec![
        wakeups("task queue", Expect::Holds, || {
            posts_wake_the_loop::<TaskQueue<u32>>(2)
        }),
        wakeups(
            "lost wakeup (flawed)",
            Expect::Caught(Kind::Deadlock),
            || posts_wake_the_loop::<LostWakeupQueue<u32>>(2),
        ),
        Model {
            pattern: "io_event_loop",
            variant: "task queue",
            scenario: "2 tasks then stop, loop with timed waits",
            expect: Expect::Holds,
            body: stop_comes_after_earlier_tasks,
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::DEFAULT,
        },
    ]
}
