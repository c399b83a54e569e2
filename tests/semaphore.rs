//! Semaphores on real threads (after CPython's `lock_tests.BaseSemaphoreTests` and
//! `BoundedSemaphoreTests`), and proptest for sequential permit accounting.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use threadproof::semaphore::{BoundedSemaphore, OverRelease, Semaphore};

/// Waits until `count` reaches `want` (failing after 10 s), then checks it stays there a moment.
fn settles_at(count: &AtomicUsize, want: usize) {
    let start = Instant::now();
    while count.load(Ordering::SeqCst) < want {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} of {want} acquires done",
            count.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(Duration::from_millis(20));
    assert_eq!(
        count.load(Ordering::SeqCst),
        want,
        "more acquires than permits"
    );
}

/// Joins `handle`, failing (instead of hanging) if the thread is still blocked after 10 s.
fn join_within<T>(handle: thread::JoinHandle<T>, what: &str) -> T {
    let start = Instant::now();
    while !handle.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} still blocked after 10 s"
        );
        thread::sleep(Duration::from_millis(1));
    }
    handle.join().expect("thread panicked")
}

/// 10 threads each acquire twice from `sem`, counting acquires in the returned counter.
fn ten_double_acquirers(sem: &Arc<Semaphore>) -> (Arc<AtomicUsize>, Vec<thread::JoinHandle<()>>) {
    let acquired = Arc::new(AtomicUsize::new(0));
    let threads = (0..10)
        .map(|_| {
            let (sem, acquired) = (Arc::clone(sem), Arc::clone(&acquired));
            thread::spawn(move || {
                for _ in 0..2 {
                    sem.acquire().forget();
                    acquired.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    (acquired, threads)
}

#[test]
fn contended_acquire_counts() {
    // test_acquire_contended: 7 permits, one taken; 10 threads x 2 acquires get exactly the
    // permits released, one release at a time.
    let sem = Arc::new(Semaphore::new(7));
    sem.acquire().forget();
    let (acquired, threads) = ten_double_acquirers(&sem);
    settles_at(&acquired, 6);
    for _ in 0..7 {
        sem.release(1);
    }
    settles_at(&acquired, 13);
    for _ in 0..7 {
        sem.release(1);
    }
    for t in threads {
        join_within(t, "an acquirer");
    }
    assert_eq!(acquired.load(Ordering::SeqCst), 20);
    assert_eq!(sem.available(), 0);
}

#[test]
fn multi_release_wakes_as_many() {
    // test_multirelease: release(n) hands out n permits at once.
    let sem = Arc::new(Semaphore::new(7));
    sem.acquire().forget();
    let (acquired, threads) = ten_double_acquirers(&sem);
    settles_at(&acquired, 6);
    sem.release(7);
    settles_at(&acquired, 13);
    sem.release(7);
    for t in threads {
        join_within(t, "an acquirer");
    }
    assert_eq!(sem.available(), 0);
}

#[test]
fn try_acquire_takes_what_is_there() {
    // test_try_acquire
    let sem = Semaphore::new(2);
    let a = sem.try_acquire().expect("first");
    let b = sem.try_acquire().expect("second");
    assert!(sem.try_acquire().is_none());
    assert_eq!(sem.available(), 0, "a failed try_acquire changed the count");
    drop(a);
    let c = sem.try_acquire().expect("after a release");
    drop((b, c));
    assert_eq!(sem.available(), 2);
}

#[test]
fn try_acquire_under_contention() {
    // test_try_acquire_contended: 4 permits, 1 taken, 5 threads try once: exactly 3 succeed.
    let sem = Arc::new(Semaphore::new(4));
    let _held = sem.acquire();
    let threads: Vec<_> = (0..5)
        .map(|_| {
            let sem = Arc::clone(&sem);
            thread::spawn(move || sem.try_acquire().map(|p| p.forget()).is_some())
        })
        .collect();
    let successes = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|&ok| ok)
        .count();
    assert_eq!(successes, 3);
    assert_eq!(sem.available(), 0);
}

#[test]
fn acquire_timeout_gives_up() {
    // test_acquire_timeout
    let sem = Semaphore::new(2);
    let a = sem.acquire_timeout(Duration::ZERO).expect("first");
    let b = sem.acquire_timeout(Duration::ZERO).expect("second");
    assert!(sem.acquire_timeout(Duration::ZERO).is_none());
    drop(a);
    let c = sem
        .acquire_timeout(Duration::ZERO)
        .expect("after a release");
    let start = Instant::now();
    assert!(sem.acquire_timeout(Duration::from_millis(100)).is_none());
    assert!(start.elapsed() >= Duration::from_millis(100));
    drop((b, c));
}

#[test]
fn acquire_timeout_gets_a_released_permit() {
    let sem = Arc::new(Semaphore::new(0));
    let releaser = {
        let sem = Arc::clone(&sem);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            sem.release(1);
        })
    };
    assert!(sem.acquire_timeout(Duration::from_secs(60)).is_some());
    releaser.join().unwrap();
}

#[test]
fn bounded_over_release_is_an_error() {
    // test_release_unacquired
    let sem = BoundedSemaphore::new(1);
    assert_eq!(
        sem.release(1),
        Err(OverRelease {
            available: 1,
            released: 1,
            bound: 1
        })
    );
    let permit = sem.acquire();
    assert!(sem.release(1).is_ok(), "one permit out, one place free");
    assert!(
        permit.release().is_err(),
        "the permit's place was already returned"
    );
    assert_eq!(sem.available(), 1);
}

#[test]
fn bounded_over_release_after_contention() {
    // BoundedSemaphoreTests: many acquire/release rounds on threads, then one release too many.
    let sem = Arc::new(BoundedSemaphore::new(3));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let sem = Arc::clone(&sem);
            thread::spawn(move || {
                for _ in 0..200 {
                    let permit = sem.acquire();
                    permit.release().expect("a held permit always fits");
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, "a bounded acquirer");
    }
    assert_eq!(sem.available(), 3);
    assert!(sem.release(1).is_err());
    assert_eq!(sem.available(), 3);
}

#[test]
#[should_panic(expected = "semaphore released too many times")]
fn unbounded_release_overflow_panics() {
    let sem = Semaphore::new(usize::MAX);
    sem.release(1);
}

/// One step of a sequential run.
#[derive(Debug, Clone)]
enum Op {
    TryAcquire,
    AcquireTimeoutZero,
    DropPermit(usize),
    ForgetPermit(usize),
    Release(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::TryAcquire),
        Just(Op::AcquireTimeoutZero),
        (0..8usize).prop_map(Op::DropPermit),
        (0..8usize).prop_map(Op::ForgetPermit),
        (0..4usize).prop_map(Op::Release),
    ]
}

proptest! {
    /// The count is always the initial count, minus permits held or forgotten, plus releases.
    #[test]
    fn semaphore_accounting(initial in 0..6usize, ops in prop::collection::vec(op(), 0..60)) {
        let sem = Semaphore::new(initial);
        let mut model = initial;
        let mut held = Vec::new();
        for op in ops {
            match op {
                Op::TryAcquire | Op::AcquireTimeoutZero => {
                    let permit = match op {
                        Op::TryAcquire => sem.try_acquire(),
                        _ => sem.acquire_timeout(Duration::ZERO),
                    };
                    prop_assert_eq!(permit.is_some(), model > 0);
                    if let Some(p) = permit {
                        model -= 1;
                        held.push(p);
                    }
                }
                Op::DropPermit(i) if i < held.len() => {
                    drop(held.swap_remove(i));
                    model += 1;
                }
                Op::ForgetPermit(i) if i < held.len() => held.swap_remove(i).forget(),
                Op::Release(n) => {
                    sem.release(n);
                    model += n;
                }
                Op::DropPermit(_) | Op::ForgetPermit(_) => {}
            }
            prop_assert_eq!(sem.available(), model);
        }
        let out = held.len();
        drop(held);
        prop_assert_eq!(sem.available(), model + out);
    }

    /// A bounded semaphore accepts a release exactly when it fits under the bound, and a
    /// refused release changes nothing.
    #[test]
    fn bounded_accounting(bound in 0..6usize, ops in prop::collection::vec(op(), 0..60)) {
        let sem = BoundedSemaphore::new(bound);
        let mut model = bound;
        let mut held = Vec::new();
        for op in ops {
            match op {
                Op::TryAcquire | Op::AcquireTimeoutZero => {
                    let permit = match op {
                        Op::TryAcquire => sem.try_acquire(),
                        _ => sem.acquire_timeout(Duration::ZERO),
                    };
                    prop_assert_eq!(permit.is_some(), model > 0);
                    if let Some(p) = permit {
                        model -= 1;
                        held.push(p);
                    }
                }
                Op::DropPermit(i) if i < held.len() => {
                    let fits = model < bound;
                    prop_assert_eq!(held.swap_remove(i).release().is_ok(), fits);
                    if fits {
                        model += 1;
                    }
                }
                Op::ForgetPermit(i) if i < held.len() => held.swap_remove(i).forget(),
                Op::Release(n) => {
                    let fits = model + n <= bound;
                    prop_assert_eq!(sem.release(n).is_ok(), fits);
                    if fits {
                        model += n;
                    }
                }
                Op::DropPermit(_) | Op::ForgetPermit(_) => {}
            }
            prop_assert_eq!(sem.available(), model);
            prop_assert!(sem.available() <= sem.bound());
        }
    }
}
