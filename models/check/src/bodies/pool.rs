//! Models of the worker pool (seeds 002 §3.4, 003 §1.2).

use super::leak;
use super::world::pool::flawed::{RelaxedSlot, UnclosedJoinPool};
use super::world::pool::{JoinError, Pool, ResultSlot, Slot, TaskError};
use super::world::sync::atomic::{AtomicUsize, Ordering};
use super::world::sync::{Arc, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::require;

// ANCHOR: close_join_model
/// The seed's program: a pool of `workers`, `tasks` tasks submitted, then `close` and `join`.
/// `join` before `close` must be refused; after `join` every result must already be there and
/// be the task's own; a submission after `close` must hand the closure back.
fn close_join(workers: usize, tasks: u32) {
    let pool = Pool::new(workers);
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
fn drop_runs_accepted(workers: usize, tasks: usize) {
    let ran = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(workers);
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
fn terminate_accounts(workers: usize, tasks: u32) {
    let ran = Arc::new(AtomicUsize::new(0));
    let pool = Pool::new(workers);
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
fn accounting() {
    let pool = Pool::new(3);
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
    vec![
        model(
            "central queue",
            "pool of 2, 1 task, join before close refused, close, join",
            Holds,
            || close_join(2, 1),
            TWO_WORKERS,
        ),
        model(
            "central queue",
            "pool of 2, 2 tasks, close, join",
            Holds,
            || close_join(2, 2),
            TWO_WORKERS,
        ),
        model(
            "central queue",
            "pool of 2, 2 tasks, dropped without close",
            Holds,
            || drop_runs_accepted(2, 2),
            TWO_WORKERS,
        ),
        model(
            "central queue",
            "pool of 1, 2 tasks, terminate, join",
            Holds,
            || terminate_accounts(1, 2),
            LoomPlan::Bounded {
                preemptions: 3,
                why: "exhaustive takes 300,000 schedules (15 s); a task both run and cancelled, \
                      or neither, needs the terminate to interleave with one get: 3 suffice",
            },
        ),
        Model {
            shuttle: ShuttlePlan {
                iterations: 1_000,
                pct_depth: 3,
            },
            ..model(
                "central queue",
                "pool of 3, 6 tasks (2 panic) and map of 4, close, join",
                Holds,
                accounting,
                LoomPlan::Skip("4 threads and 10 tasks are beyond exhaustive search"),
            )
        },
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
    ]
}
