//! Lock ordering on real threads: the ordered helpers under contention, the debug check, and
//! the dining philosophers' two fixes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use threadproof::lock_order::flawed::transfer_unordered;
use threadproof::lock_order::{
    Account, OrderedMutex, Waiter, dine_ordered, dine_seated, lock_all, lock_two, ordered_forks,
    transfer,
};
use threadproof::semaphore::Semaphore;
use threadproof::sync::Mutex;

/// Joins `handle`, failing (instead of hanging) if the thread is still blocked after 30 s.
fn join_within<T>(handle: thread::JoinHandle<T>, what: &str) -> T {
    let start = Instant::now();
    while !handle.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} still blocked after 30 s: deadlocked?"
        );
        thread::sleep(Duration::from_millis(1));
    }
    handle.join().expect("thread panicked")
}

#[test]
fn opposite_transfers_conserve_money() {
    let a = Arc::new(Account::new(1, 1_000));
    let b = Arc::new(Account::new(2, 1_000));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (a, b) = (Arc::clone(&a), Arc::clone(&b));
            thread::spawn(move || {
                for _ in 0..10_000 {
                    if i % 2 == 0 {
                        transfer(&a, &b, 3);
                    } else {
                        transfer(&b, &a, 3);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, "a transferring thread");
    }
    assert_eq!(a.balance(), 1_000);
    assert_eq!(b.balance(), 1_000);
}

#[test]
fn transfer_to_self_is_a_no_op() {
    let a = Account::new(1, 10);
    transfer(&a, &a, 5);
    assert_eq!(a.balance(), 10);
}

#[test]
fn lock_two_returns_guards_in_argument_order() {
    let low = OrderedMutex::new(1, "low");
    let high = OrderedMutex::new(2, "high");
    let (h, l) = lock_two(&high, &low);
    assert_eq!((*h, *l), ("high", "low"));
}

#[test]
fn equal_ranks_are_ordered_by_address() {
    let x = OrderedMutex::new(0, 1);
    let y = OrderedMutex::new(0, 2);
    {
        let (gx, gy) = lock_two(&x, &y);
        assert_eq!(*gx + *gy, 3);
    }
    let (gy, gx) = lock_two(&y, &x);
    assert_eq!(*gx + *gy, 3);
}

#[test]
fn lock_all_locks_many_in_order() {
    let locks: Vec<_> = (0..5).rev().map(|r| OrderedMutex::new(r, r)).collect();
    let refs: Vec<_> = locks.iter().collect();
    let guards = lock_all(&refs);
    let values: Vec<usize> = guards.iter().map(|g| **g).collect();
    assert_eq!(values, vec![4, 3, 2, 1, 0]);
}

#[test]
fn locks_can_be_taken_again_after_release() {
    let low = OrderedMutex::new(1, ());
    let high = OrderedMutex::new(2, ());
    drop(high.lock());
    // Holding nothing now: taking the lower rank is fine.
    let _l = low.lock();
    let _h = high.lock();
}

// The order check exists in debug builds only (`cargo test --release` compiles this out).
#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "lock order violation: locking rank 1 while holding rank 2")]
fn out_of_order_acquisition_is_reported() {
    // In a debug build (tests are), even a single thread that would never deadlock on its own
    // is told it took the locks in an order that deadlocks against transfer(a, b).
    let a = Account::new(1, 100);
    let b = Account::new(2, 100);
    transfer_unordered(&b, &a, 10);
}

#[test]
#[should_panic(expected = "lock_two: both arguments are the same mutex")]
fn lock_two_refuses_the_same_mutex() {
    let m = OrderedMutex::new(1, ());
    let _ = lock_two(&m, &m);
}

// The order check exists in debug builds only (`cargo test --release` compiles this out).
#[cfg(debug_assertions)]
#[test]
#[should_panic(
    expected = "lock order violation: locking rank 3 while holding rank 3 (this same lock)"
)]
fn relocking_is_reported_not_deadlocked() {
    let m = OrderedMutex::new(3, ());
    let _first = m.lock();
    let _second = m.lock();
}

const PHILOSOPHERS: usize = 5;
const MEALS: u32 = 200;

#[test]
fn ordered_philosophers_all_eat() {
    let forks = Arc::new(ordered_forks(PHILOSOPHERS));
    let threads: Vec<_> = (0..PHILOSOPHERS)
        .map(|seat| {
            let forks = Arc::clone(&forks);
            thread::spawn(move || {
                for _ in 0..MEALS {
                    dine_ordered(&forks, seat);
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, "a philosopher");
    }
    for fork in forks.iter() {
        assert_eq!(*fork.lock(), 2 * MEALS);
    }
}

#[test]
fn seated_philosophers_all_eat() {
    let table = Arc::new((
        (0..PHILOSOPHERS).map(|_| Mutex::new(0)).collect::<Vec<_>>(),
        Semaphore::new(PHILOSOPHERS - 1),
    ));
    let threads: Vec<_> = (0..PHILOSOPHERS)
        .map(|seat| {
            let table = Arc::clone(&table);
            thread::spawn(move || {
                for _ in 0..MEALS {
                    dine_seated(&table.0, &table.1, seat);
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, "a philosopher");
    }
    for fork in table.0.iter() {
        assert_eq!(*fork.lock(), 2 * MEALS);
    }
    assert_eq!(table.1.available(), PHILOSOPHERS - 1);
}

#[test]
fn philosophers_served_by_a_waiter_all_eat() {
    let waiter = Arc::new(Waiter::new(PHILOSOPHERS));
    let meals = Arc::new(Mutex::new(vec![0u32; PHILOSOPHERS]));
    let in_hand: Arc<Vec<AtomicBool>> =
        Arc::new((0..PHILOSOPHERS).map(|_| AtomicBool::new(false)).collect());
    let threads: Vec<_> = (0..PHILOSOPHERS)
        .map(|seat| {
            let (waiter, meals, in_hand) = (
                Arc::clone(&waiter),
                Arc::clone(&meals),
                Arc::clone(&in_hand),
            );
            thread::spawn(move || {
                let forks = [seat, (seat + 1) % PHILOSOPHERS];
                for _ in 0..MEALS {
                    waiter.dine(seat, || {
                        for f in forks {
                            assert!(!in_hand[f].swap(true, Ordering::SeqCst), "fork {f} shared");
                        }
                        meals.lock()[seat] += 1;
                        for f in forks {
                            in_hand[f].store(false, Ordering::SeqCst);
                        }
                    });
                }
            })
        })
        .collect();
    for t in threads {
        join_within(t, "a philosopher");
    }
    assert_eq!(*meals.lock(), vec![MEALS; PHILOSOPHERS]);
}
