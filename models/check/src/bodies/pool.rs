//! Models of the worker pool (seeds 002 §3.4, 003 §1.2, 001 "dynamic mapping"), each
//! contract model run once per distribution strategy. The work-stealing pool runs over the
//! model deque of `models/facade/model_backend.rs`: what is checked is the pool's protocol
//! (push, steal, park, wake, close, terminate), not crossbeam-deque's internals.

use super::leak;
use super::world::pool::flawed::{LostWakeupPool, RelaxedSlot, UnclosedJoinPool};
use super::world::pool::{JoinError, Pool, ResultSlot, Slot, Strategy, TaskError};
use super::world::sync::atomic::{AtomicUsize, Ordering};
use super::world::sync::{Arc, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::require;

// ANCHOR: close_join_model
/// The seed's program: a pool of `workers`, `tasks` tasks submitted, then `close` and `join`.
/// `join` before `close` must be refused; after `join` every result must already be there and
/// be the task's own; a submission after `close` must hand the closure back.
fn close_join(strategy: Strategy, workers: usize, tasks: u32) {
    let pool = Pool::with_strategy(workers, strategy).expect("workers > 0");
    let handles: Vec<_> = (0..tasks)
        .map(|i| pool.apply_async(move || i * 10).expect("the pool is open"))
        .collect();
    require!(
        pool.join() == Err(JoinError::NotClosed),
        Kind::Deadlock,
        "join before close was not refused"
    );
    pool.close();
    require!(pool.join().is_ok(), Kind::Unclassified, "join failed");
    for (i, handle) in handles.into_iter().enumerate() {
        require!(
            handle.is_ready(),
            Kind::EarlyJoin,
            "join returned before task {i} finished"
        );
        let got = handle.get();
        require!(
            got == Ok(i as u32 * 10),
            Kind::LostItem,
            "task {i} gave {got:?}"
        );
    }
    let refused = pool.apply_async(|| 7u32);
    require!(
        matches!(refused.map_err(|r| r.into_inner()()), Err(7)),
        Kind::LostItem,
        "a closed pool did not hand the task back"
    );
}
// ANCHOR_END: close_join_model

/// A pool of `workers` gets `tasks` counting tasks and is dropped without `close`: the drop
/// must run every one of them.
fn drop_runs_accepted(strategy: Strategy, workers: usize, tasks: usize) {
    let ran = Arc::new(AtomicUsize::new(0));
    let pool = Pool::with_strategy(workers, strategy).expect("workers > 0");
    for _ in 0..tasks {
        let ran = Arc::clone(&ran);
        let submitted = pool.apply_async(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
        require!(submitted.is_ok(), Kind::LostItem, "an open pool refused");
    }
    drop(pool);
    let n = ran.load(Ordering::SeqCst);
    require!(
        n == tasks,
        Kind::LostItem,
        "{n} of {tasks} accepted tasks ran before the drop returned"
    );
}

/// `tasks` tasks, then `terminate` and `join`: each handle ends exactly once, in its value or
/// in `Terminated`, and a terminated task never ran.
fn terminate_accounts(strategy: Strategy, workers: usize, tasks: u32) {
    let ran = Arc::new(AtomicUsize::new(0));
    let pool = Pool::with_strategy(workers, strategy).expect("workers > 0");
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let ran = Arc::clone(&ran);
            pool.apply_async(move || {
                ran.fetch_add(1, Ordering::SeqCst);
                i
            })
            .expect("the pool is open")
        })
        .collect();
    pool.terminate();
    require!(pool.join().is_ok(), Kind::Unclassified, "join failed");
    let mut finished = 0;
    for (i, handle) in handles.into_iter().enumerate() {
        match handle.get() {
            Ok(v) => {
                require!(v == i as u32, Kind::LostItem, "task {i} gave {v}");
                finished += 1;
            }
            Err(TaskError::Terminated) => {}
            Err(e) => require!(false, Kind::LostItem, "task {i}: {e}"),
        }
    }
    let ran = ran.load(Ordering::SeqCst);
    require!(
        ran == finished,
        Kind::DuplicateItem,
        "{ran} tasks ran, {finished} results delivered"
    );
}

/// Larger, for shuttle: 3 workers, 6 tasks of which every third panics, `map` over 4 more,
/// then close and join. Every input is accounted for once: values where the task returned,
/// `Panicked` where it panicked; the workers survive the panics.
fn accounting(strategy: Strategy) {
    let pool = Pool::with_strategy(3, strategy).expect("workers > 0");
    let handles: Vec<_> = (0..6u32)
        .map(|i| {
            pool.apply_async(move || {
                if i % 3 == 2 {
                    panic!("task {i} fails");
                }
                i
            })
            .expect("the pool is open")
        })
        .collect();
    let mapped = pool.map(|x: u32| x + 100, 0..4u32);
    require!(
        mapped == [Ok(100), Ok(101), Ok(102), Ok(103)],
        Kind::OutOfOrder,
        "map gave {mapped:?}"
    );
    pool.close();
    require!(pool.join().is_ok(), Kind::Unclassified, "join failed");
    for (i, handle) in handles.into_iter().enumerate() {
        let got = handle.get();
        let want = if i % 3 == 2 {
            Err(TaskError::Panicked(format!("task {i} fails")))
        } else {
            Ok(i as u32)
        };
        require!(got == want, Kind::LostItem, "task {i} gave {got:?}");
    }
}

// ANCHOR: spawn_from_task_model
/// A task submits a task to its own pool (with work stealing: to its own worker's deque,
/// from where the other worker may steal it) and returns the child's handle; the caller
/// gets the child's result, then closes and joins. The child must run exactly once, the
/// pool must not exit with it still queued.
fn spawn_from_task(strategy: Strategy) {
    let pool = Arc::new(Pool::with_strategy(2, strategy).expect("workers > 0"));
    let inner = Arc::clone(&pool);
    let parent = pool
        .apply_async(move || inner.apply_async(|| 5u32).ok())
        .expect("the pool is open");
    let child = parent.get();
    require!(
        matches!(child, Ok(Some(_))),
        Kind::LostItem,
        "the task could not submit its child"
    );
    if let Ok(Some(child)) = child {
        let got = child.get();
        require!(got == Ok(5), Kind::LostItem, "the child gave {got:?}");
    }
    pool.close();
    require!(pool.join().is_ok(), Kind::Unclassified, "join failed");
}
// ANCHOR_END: spawn_from_task_model

/// Larger, for shuttle: 3 stealing workers, 3 tasks that each submit 2 children to their own
/// worker's deque and return the children's handles, then the pool is dropped. All 9 run
/// exactly once and every child's result arrives.
fn nested_accounting() {
    let ran = Arc::new(AtomicUsize::new(0));
    let pool = Arc::new(Pool::with_strategy(3, Strategy::WorkStealing).expect("workers > 0"));
    let parents: Vec<_> = (0..3u32)
        .map(|p| {
            let (inner, ran) = (Arc::clone(&pool), Arc::clone(&ran));
            pool.apply_async(move || {
                ran.fetch_add(1, Ordering::SeqCst);
                (0..2u32)
                    .map(|c| {
                        let ran = Arc::clone(&ran);
                        inner.apply_async(move || {
                            ran.fetch_add(1, Ordering::SeqCst);
                            p * 10 + c
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .expect("the pool is open")
        })
        .collect();
    for (p, parent) in parents.into_iter().enumerate() {
        let children = parent.get();
        require!(children.is_ok(), Kind::LostItem, "parent {p}: {children:?}");
        for (c, child) in children.into_iter().flatten().enumerate() {
            let got = child.map(|h| h.get());
            let want = (p * 10 + c) as u32;
            require!(
                matches!(got, Ok(Ok(v)) if v == want),
                Kind::LostItem,
                "child {c} of {p} gave {got:?}"
            );
        }
    }
    // Only this thread still holds the pool: dropping it closes and joins.
    let pool = Arc::try_unwrap(pool);
    require!(pool.is_ok(), Kind::Leak, "a task kept the pool alive");
    drop(pool);
    let n = ran.load(Ordering::SeqCst);
    require!(n == 9, Kind::LostItem, "{n} of 9 tasks ran");
}

// ANCHOR: lost_wakeup_model
/// One worker, one task, and the caller waits for the task's result before closing (as any
/// caller of `get` does). The task is pushed while the worker, having found nothing, is on
/// its way to sleep: the reference worker looks again under the lock and finds it; the
/// flawed one sleeps, and nobody runs the task. The caller waits on a leaked slot and holds
/// no checker `Arc` while it waits: the checker unwinds a blocked thread to report a deadlock.
fn wait_before_close<P>(pool: &P, apply: fn(&P, Box<dyn FnOnce() + Send>) -> bool) {
    let done: &'static Slot<u32> = leak(Slot::empty());
    let accepted = apply(pool, Box::new(move || done.fill(7)));
    require!(accepted, Kind::LostItem, "an open pool refused the task");
    let got = done.take();
    require!(got == 7, Kind::LostItem, "the task gave {got}");
}
// ANCHOR_END: lost_wakeup_model

fn lost_wakeup_flawed() {
    let pool = leak(LostWakeupPool::new(1));
    wait_before_close(pool, |pool, task| pool.apply_async(task).is_ok());
    pool.close_and_join();
}

fn lost_wakeup_reference() {
    let pool = Pool::with_strategy(1, Strategy::WorkStealing).expect("workers > 0");
    wait_before_close(&pool, |pool, task| pool.apply_async(task).is_ok());
    pool.close();
    require!(pool.join().is_ok(), Kind::Unclassified, "join failed");
}

// ANCHOR: unclosed_join_model
/// The seed's program with `close()` forgotten: one task, its result, then `join`. The
/// reference refuses (`close_join` checks that); the flawed pool waits for workers who wait
/// for tasks. Leaked: the checker unwinds a blocked thread to report the deadlock.
fn join_without_close() {
    let pool = leak(UnclosedJoinPool::new(2));
    let handle = pool.apply_async(|| 1u32).expect("the pool is open");
    require!(handle.get() == Ok(1), Kind::LostItem, "the task's result");
    pool.join();
}
// ANCHOR_END: unclosed_join_model

// ANCHOR: slot_model
/// A worker fills a slot, the caller takes from it: the caller must get the worker's value.
fn slot_handoff<S: ResultSlot<u32> + Sync + 'static>() {
    let slot: &'static S = leak(S::empty());
    let worker = thread::spawn(move || slot.fill(42));
    let got = slot.take();
    require!(got == 42, Kind::LostItem, "the caller took {got}");
    worker.join().expect("worker panicked");
}
// ANCHOR_END: slot_model

fn model(
    variant: &'static str,
    scenario: &'static str,
    expect: Expect,
    body: fn(),
    loom: LoomPlan,
) -> Model {
    Model {
        loom,
        ..Model::new("pool", variant, scenario, expect, body)
    }
}

/// The pool's models.
pub fn models() -> Vec<Model> {
    use Expect::{Caught, Holds};
    use LoomPlan::Exhaustive;
    const TWO_WORKERS: LoomPlan = LoomPlan::Bounded {
        preemptions: 2,
        why: "a pool of 2 is 3 threads, each task a dozen lock and condvar steps: minutes \
              exhaustively; the shutdown races (a worker exiting before the queue is drained, \
              join returning before a result is filled) need at most 2 preemptions",
    };
    const STEALING_TWO_WORKERS: LoomPlan = LoomPlan::Bounded {
        preemptions: 3,
        why: "a stealing pool of 2 is 3 threads, and each look for work is up to 3 deque \
              locks plus the state lock: beyond exhaustive search; a stranded task needs one \
              push between a worker's look and its sleep, a worker exiting early needs close \
              between its look and its exit, a steal racing the owner's pop one more: 3 \
              preemptions cover these (up to 146,000 schedules, 25 s unoptimized)",
    };
    let mut models = Vec::new();
    for (strategy, variant, two) in [
        (Strategy::CentralQueue, "central queue", TWO_WORKERS),
        (
            Strategy::WorkStealing,
            "work stealing",
            STEALING_TWO_WORKERS,
        ),
    ] {
        let [
            close_join_1,
            close_join_2,
            drop_2,
            terminate_2,
            accounting_b,
        ]: [fn(); 5] = match strategy {
            Strategy::CentralQueue => [
                || close_join(Strategy::CentralQueue, 2, 1),
                || close_join(Strategy::CentralQueue, 2, 2),
                || drop_runs_accepted(Strategy::CentralQueue, 2, 2),
                || terminate_accounts(Strategy::CentralQueue, 1, 2),
                || accounting(Strategy::CentralQueue),
            ],
            Strategy::WorkStealing => [
                || close_join(Strategy::WorkStealing, 2, 1),
                || close_join(Strategy::WorkStealing, 2, 2),
                || drop_runs_accepted(Strategy::WorkStealing, 2, 2),
                || terminate_accounts(Strategy::WorkStealing, 1, 2),
                || accounting(Strategy::WorkStealing),
            ],
        };
        models.extend([
            model(
                variant,
                "pool of 2, 1 task, join before close refused, close, join",
                Holds,
                close_join_1,
                two,
            ),
            model(
                variant,
                "pool of 2, 2 tasks, close, join",
                Holds,
                close_join_2,
                two,
            ),
            model(
                variant,
                "pool of 2, 2 tasks, dropped without close",
                Holds,
                drop_2,
                two,
            ),
            model(
                variant,
                "pool of 1, 2 tasks, terminate, join",
                Holds,
                terminate_2,
                LoomPlan::Bounded {
                    preemptions: 3,
                    why: "exhaustive takes 300,000 schedules (15 s); a task both run and \
                          cancelled, or neither, needs the terminate to interleave with one \
                          get: 3 suffice",
                },
            ),
            Model {
                shuttle: ShuttlePlan {
                    iterations: 1_000,
                    pct_depth: 3,
                },
                ..model(
                    variant,
                    "pool of 3, 6 tasks (2 panic) and map of 4, close, join",
                    Holds,
                    accounting_b,
                    LoomPlan::Skip("4 threads and 10 tasks are beyond exhaustive search"),
                )
            },
        ]);
    }
    models.extend([
        model(
            "work stealing",
            "pool of 2, a task submits a task, close, join",
            Holds,
            || spawn_from_task(Strategy::WorkStealing),
            STEALING_TWO_WORKERS,
        ),
        Model {
            shuttle: ShuttlePlan {
                iterations: 1_000,
                pct_depth: 3,
            },
            ..model(
                "work stealing",
                "pool of 3, 3 tasks each submit 2, dropped",
                Holds,
                nested_accounting,
                LoomPlan::Skip("4 threads and 9 tasks are beyond exhaustive search"),
            )
        },
        model(
            "central queue",
            "pool of 2, a task submits a task, close, join",
            Holds,
            || spawn_from_task(Strategy::CentralQueue),
            TWO_WORKERS,
        ),
        model(
            "work stealing",
            "pool of 1, 1 task, its result awaited before close",
            Holds,
            lost_wakeup_reference,
            Exhaustive,
        ),
        model(
            "lost wakeup (flawed)",
            "pool of 1, 1 task, its result awaited before close",
            Caught(Kind::Deadlock),
            lost_wakeup_flawed,
            Exhaustive,
        ),
        model(
            "slot",
            "a worker fills, the caller takes",
            Holds,
            slot_handoff::<Slot<u32>>,
            Exhaustive,
        ),
        model(
            "join without close (flawed)",
            "pool of 2, 1 task, join without close",
            Caught(Kind::Deadlock),
            join_without_close,
            Exhaustive,
        ),
        Model {
            shuttle: ShuttlePlan::SKIP,
            ..model(
                "relaxed slot (flawed)",
                "a worker fills, the caller takes",
                Caught(Kind::TornRead),
                slot_handoff::<RelaxedSlot<u32>>,
                Exhaustive,
            )
        },
    ]);
    models
}
