//! `Pool` on real threads: the seed's program, Python's `Pool` contract (join before close is
//! refused, close refuses new tasks, terminate cancels what has not started), panics that
//! become errors while the worker lives on, drop without losing accepted tasks, exact
//! accounting, and a proptest over random task mixes.
//!
//! Timing tests only assert what cannot be true if the pool is broken, so a slow machine makes
//! them slower, never flaky.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use threadproof::pool::{JoinError, Pool, Strategy, TaskError, ZeroWorkers};

/// A pool of `n` workers with `strategy`.
fn pool(n: usize, strategy: Strategy) -> Pool {
    Pool::with_strategy(n, strategy).unwrap()
}

/// Each test below that takes a `Strategy` runs once per strategy, as
/// `central_queue::NAME` and `work_stealing::NAME`.
macro_rules! for_each_strategy {
    ($($name:ident),* $(,)?) => {
        mod central_queue {
            $(#[test]
            fn $name() {
                super::$name(super::Strategy::CentralQueue);
            })*
        }
        mod work_stealing {
            $(#[test]
            fn $name() {
                super::$name(super::Strategy::WorkStealing);
            })*
        }
    };
}

for_each_strategy!(
    the_seed_program_five_tasks_on_four_workers,
    join_before_close_is_an_error_and_join_after_close_works_twice,
    a_closed_pool_hands_the_task_back,
    zero_workers_is_an_error_value,
    a_panicking_task_is_an_error_and_the_worker_lives_on,
    get_timeout_times_out_then_hands_the_handle_back,
    terminate_cancels_queued_tasks_and_lets_running_ones_finish,
    dropping_the_pool_runs_every_accepted_task,
    map_keeps_input_order_and_reports_each_item,
    exact_accounting_with_panics_and_terminate,
    tasks_submitted_from_tasks_all_run,
    the_last_reference_dropped_in_a_task_does_not_hang,
);

fn the_seed_program_five_tasks_on_four_workers(strategy: Strategy) {
    // 003 §1.2: Pool(4), five tasks; tasks 0-3 start at once, the fifth waits for a worker.
    let pool = pool(4, strategy);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Barrier::new(5)); // four tasks and this thread
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let (running, most, gate) = (running.clone(), most.clone(), gate.clone());
            pool.apply_async(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                if i < 4 {
                    gate.wait();
                }
                running.fetch_sub(1, Ordering::SeqCst);
                i
            })
            .unwrap()
        })
        .collect();
    gate.wait(); // only possible if four tasks run at once
    pool.close();
    pool.join().unwrap();
    assert!(
        most.load(Ordering::SeqCst) <= 4,
        "more tasks than workers ran"
    );
    let got: Vec<_> = handles.into_iter().map(|h| h.get().unwrap()).collect();
    assert_eq!(got, [0, 1, 2, 3, 4]);
}

fn join_before_close_is_an_error_and_join_after_close_works_twice(strategy: Strategy) {
    let pool = pool(2, strategy);
    assert_eq!(pool.join(), Err(JoinError::NotClosed));
    let h = pool.apply_async(|| "still open").unwrap();
    pool.close();
    assert_eq!(pool.join(), Ok(()));
    assert_eq!(pool.join(), Ok(()));
    assert_eq!(h.get(), Ok("still open"));
}

fn a_closed_pool_hands_the_task_back(strategy: Strategy) {
    let pool = pool(1, strategy);
    pool.close();
    let refused = pool.apply_async(|| 41 + 1).unwrap_err();
    assert_eq!(refused.to_string(), "submitting a task to a closed pool");
    assert_eq!(refused.into_inner()(), 42);
}

fn zero_workers_is_an_error_value(strategy: Strategy) {
    assert_eq!(Pool::with_strategy(0, strategy).unwrap_err(), ZeroWorkers);
    if strategy == Strategy::CentralQueue {
        assert_eq!(Pool::try_new(0).unwrap_err(), ZeroWorkers);
    }
}

#[test]
#[should_panic(expected = "a Pool needs at least 1 worker")]
fn new_with_zero_workers_panics() {
    let _ = Pool::new(0);
}

fn a_panicking_task_is_an_error_and_the_worker_lives_on(strategy: Strategy) {
    let pool = pool(1, strategy); // one worker: the next task can only run on it
    let bad = pool.apply_async(|| -> u32 { panic!("boom") }).unwrap();
    let good = pool.apply_async(|| 5).unwrap();
    assert_eq!(bad.get(), Err(TaskError::Panicked("boom".into())));
    assert_eq!(good.get(), Ok(5));
    pool.close();
    assert_eq!(pool.join(), Ok(()));
}

fn get_timeout_times_out_then_hands_the_handle_back(strategy: Strategy) {
    let pool = pool(1, strategy);
    let release = Arc::new(Barrier::new(2));
    let r = Arc::clone(&release);
    let h = pool
        .apply_async(move || {
            r.wait();
            9
        })
        .unwrap();
    let start = Instant::now();
    let h = h.get_timeout(Duration::from_millis(50)).unwrap_err();
    assert!(
        start.elapsed() >= Duration::from_millis(50),
        "returned early"
    );
    assert!(!h.is_ready());
    release.wait();
    assert_eq!(h.get_timeout(Duration::from_secs(60)).unwrap(), Ok(9));
}

fn terminate_cancels_queued_tasks_and_lets_running_ones_finish(strategy: Strategy) {
    let pool = pool(1, strategy);
    let started = Arc::new(Barrier::new(2));
    let release = Arc::new(Barrier::new(2));
    let (s, r) = (started.clone(), release.clone());
    let running = pool
        .apply_async(move || {
            s.wait();
            r.wait();
            "finished"
        })
        .unwrap();
    started.wait(); // the only worker is busy: the next ones stay queued
    let queued: Vec<_> = (0..3)
        .map(|i| pool.apply_async(move || i).unwrap())
        .collect();
    pool.terminate();
    release.wait();
    pool.join().unwrap();
    assert_eq!(running.get(), Ok("finished"));
    for h in queued {
        assert_eq!(h.get(), Err(TaskError::Terminated));
    }
}

fn dropping_the_pool_runs_every_accepted_task(strategy: Strategy) {
    let ran = Arc::new(AtomicUsize::new(0));
    {
        let pool = pool(2, strategy);
        for _ in 0..50 {
            let ran = ran.clone();
            pool.apply_async(move || {
                thread::sleep(Duration::from_micros(100));
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        }
    }
    assert_eq!(ran.load(Ordering::SeqCst), 50);
}

fn map_keeps_input_order_and_reports_each_item(strategy: Strategy) {
    let pool = pool(3, strategy);
    let out = pool.map(
        |x: u64| {
            thread::sleep(Duration::from_micros((10 - x) * 100));
            assert!(x != 4, "four");
            x * 2
        },
        0..10,
    );
    for (x, r) in out.into_iter().enumerate() {
        if x == 4 {
            assert_eq!(r, Err(TaskError::Panicked("four".into())));
        } else {
            assert_eq!(r, Ok(x as u64 * 2));
        }
    }
    pool.close();
    assert_eq!(
        pool.map(|x: u32| x, 0..2),
        [Err(TaskError::Closed), Err(TaskError::Closed)]
    );
}

#[test]
fn a_bounded_queue_gives_back_pressure() {
    let pool = Pool::with_capacity(1, 1).unwrap();
    let release = Arc::new(Barrier::new(2));
    let started = Arc::new(Barrier::new(2));
    let (s, r) = (started.clone(), release.clone());
    let first = pool
        .apply_async(move || {
            s.wait();
            r.wait();
        })
        .unwrap();
    started.wait();
    let _second = pool.apply_async(|| ()).unwrap(); // fills the queue
    let pool = Arc::new(pool);
    let p = Arc::clone(&pool);
    let third = thread::spawn(move || p.apply_async(|| 3).unwrap().get());
    thread::sleep(Duration::from_millis(30));
    assert!(!third.is_finished(), "the third submission did not block");
    release.wait();
    assert_eq!(third.join().unwrap(), Ok(3));
    assert_eq!(first.get(), Ok(()));
}

/// Submits `kinds` (0 = value, 1 = panic) from 2 threads to a pool of `workers`, maybe
/// terminates midway, and checks every task is accounted for exactly once.
fn account(strategy: Strategy, workers: usize, kinds: &[u8], terminate_at: Option<usize>) {
    let pool = Arc::new(pool(workers, strategy));
    let ran = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for (i, &kind) in kinds.iter().enumerate() {
        if terminate_at == Some(i) {
            pool.terminate();
        }
        let ran = ran.clone();
        match pool.apply_async(move || {
            ran.lock().unwrap().push(i);
            if kind == 1 {
                panic!("task {i}");
            }
            i
        }) {
            Ok(h) => handles.push((i, Some(h))),
            Err(_refused) => handles.push((i, None)),
        }
    }
    pool.close();
    pool.join().unwrap();
    let ran: HashSet<usize> = {
        let ran = ran.lock().unwrap();
        let set: HashSet<usize> = ran.iter().copied().collect();
        assert_eq!(set.len(), ran.len(), "a task ran twice");
        set
    };
    let (mut ok, mut panicked, mut cancelled, mut refused) = (0, 0, 0, 0);
    for (i, h) in handles {
        match h.map(|h| h.get()) {
            Some(Ok(v)) => {
                assert_eq!(v, i);
                assert!(ran.contains(&i));
                ok += 1;
            }
            Some(Err(TaskError::Panicked(m))) => {
                assert_eq!(m, format!("task {i}"));
                assert!(ran.contains(&i));
                panicked += 1;
            }
            Some(Err(TaskError::Terminated)) => {
                assert!(!ran.contains(&i), "a cancelled task ran");
                cancelled += 1;
            }
            Some(Err(TaskError::Closed)) => unreachable!("apply_async never reports Closed"),
            None => {
                assert!(!ran.contains(&i), "a refused task ran");
                refused += 1;
            }
        }
    }
    assert_eq!(ok + panicked + cancelled + refused, kinds.len());
    assert_eq!(ok + panicked, ran.len());
    if terminate_at.is_none() {
        assert_eq!(panicked, kinds.iter().filter(|&&k| k == 1).count());
        assert_eq!(cancelled + refused, 0);
    }
}

fn exact_accounting_with_panics_and_terminate(strategy: Strategy) {
    let kinds: Vec<u8> = (0..200).map(|i| u8::from(i % 7 == 3)).collect();
    account(strategy, 4, &kinds, None);
    account(strategy, 2, &kinds, Some(100));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn every_task_is_accounted_for_once(
        workers in 1usize..5,
        kinds in proptest::collection::vec(0u8..2, 0..40),
        terminate in proptest::option::of(0usize..40),
        stealing in any::<bool>(),
    ) {
        let strategy = if stealing { Strategy::WorkStealing } else { Strategy::CentralQueue };
        account(strategy, workers, &kinds, terminate);
    }
}

/// A task fans out `children` tasks to its own pool, which wait on nothing; the parent
/// collects their results. Every child runs exactly once; with work stealing they go to the
/// parent's own deque.
fn tasks_submitted_from_tasks_all_run(strategy: Strategy) {
    let pool = Arc::new(pool(3, strategy));
    let ran = Arc::new(AtomicUsize::new(0));
    let parents: Vec<_> = (0..4u64)
        .map(|p| {
            let (inner, ran) = (Arc::clone(&pool), Arc::clone(&ran));
            pool.apply_async(move || {
                let children: Vec<_> = (0..25u64)
                    .map(|c| {
                        let ran = Arc::clone(&ran);
                        inner
                            .apply_async(move || {
                                ran.fetch_add(1, Ordering::SeqCst);
                                p * 100 + c
                            })
                            .unwrap()
                    })
                    .collect();
                children.len()
            })
            .unwrap()
        })
        .collect();
    for parent in parents {
        assert_eq!(parent.get(), Ok(25));
    }
    pool.close();
    pool.join().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 100);
}

/// Work stealing proper: a task pushes 20 children to its own worker's deque and then blocks
/// until all of them have run. Only the other workers can run them, by stealing from that
/// deque; without stealing this test hangs (bounded by the 60 s deadline, then fails).
#[test]
fn idle_workers_steal_the_queued_tasks_of_a_blocked_worker() {
    let pool = Arc::new(pool(3, Strategy::WorkStealing));
    let done = Arc::new((Mutex::new(0usize), std::sync::Condvar::new()));
    let stolen_by = Arc::new(Mutex::new(HashSet::new()));
    let (inner, d, s) = (Arc::clone(&pool), Arc::clone(&done), Arc::clone(&stolen_by));
    let parent = pool
        .apply_async(move || {
            let parent_thread = thread::current().id();
            for _ in 0..20 {
                let (d, s) = (Arc::clone(&d), Arc::clone(&s));
                inner
                    .apply_async(move || {
                        s.lock().unwrap().insert(thread::current().id());
                        *d.0.lock().unwrap() += 1;
                        d.1.notify_all();
                    })
                    .unwrap();
            }
            // Block this worker until its children are done: only thieves can do them.
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut n = d.0.lock().unwrap();
            while *n < 20 && Instant::now() < deadline {
                n = d.1.wait_timeout(n, Duration::from_millis(100)).unwrap().0;
            }
            (*n, parent_thread)
        })
        .unwrap();
    let (finished, parent_thread) = parent.get().unwrap();
    assert_eq!(finished, 20, "the blocked worker's tasks were not stolen");
    let thieves = stolen_by.lock().unwrap();
    assert!(!thieves.contains(&parent_thread));
    assert!(!thieves.is_empty());
    drop(thieves);
    assert_eq!(*done.0.lock().unwrap(), 20);
}

/// With work stealing, `with_capacity` is central-only; a pool's strategy is what was asked.
#[test]
fn the_strategy_is_the_one_asked_for() {
    assert_eq!(Pool::new(1).strategy(), Strategy::CentralQueue);
    assert_eq!(
        pool(1, Strategy::WorkStealing).strategy(),
        Strategy::WorkStealing
    );
    let debug = format!("{:?}", pool(2, Strategy::WorkStealing));
    assert!(
        debug.contains("WorkStealing") && debug.contains("closed: false"),
        "{debug}"
    );
}

/// A task holds the last `Arc<Pool>`: the pool's drop runs on one of its own workers, which
/// cannot join itself. `join` skips the calling thread, so the drop closes the pool and joins
/// the other worker instead of hanging; the queued task still runs.
fn the_last_reference_dropped_in_a_task_does_not_hang(strategy: Strategy) {
    let pool = Arc::new(pool(2, strategy));
    let release = Arc::new(Barrier::new(2));
    let (mine, r) = (Arc::clone(&pool), Arc::clone(&release));
    let first = pool
        .apply_async(move || {
            r.wait();
            drop(mine); // the last reference: Pool::drop runs here, on a worker
            "dropped inside"
        })
        .unwrap();
    let second = pool.apply_async(|| "queued").unwrap();
    drop(pool);
    release.wait();
    assert_eq!(
        first.get_timeout(Duration::from_secs(60)).unwrap(),
        Ok("dropped inside")
    );
    assert_eq!(
        second.get_timeout(Duration::from_secs(60)).unwrap(),
        Ok("queued")
    );
}
