//! The counter on real threads (parking_lot/std) and its sequential properties.

use std::sync::Arc;

use proptest::prelude::*;
use threadproof::counter::flawed::{RacyCounter, SplitLockCounter};
use threadproof::counter::{AtomicCounter, Counter, LockingCounter};

/// The seed's experiment: 5 threads x 100,000 increments of 1.
fn seed_experiment<C: Counter + Default + 'static>() -> u64 {
    let counter = Arc::new(C::default());
    let workers: Vec<_> = (0..5)
        .map(|_| {
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                for _ in 0..100_000 {
                    counter.increment(1);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    counter.count()
}

#[test]
fn locking_counter_should_be_500000() {
    assert_eq!(seed_experiment::<LockingCounter>(), 500_000);
}

#[test]
fn atomic_counter_should_be_500000() {
    assert_eq!(seed_experiment::<AtomicCounter>(), 500_000);
}

fn apply(counter: &dyn Counter, offsets: &[u64]) -> u64 {
    for &offset in offsets {
        counter.increment(offset);
    }
    counter.count()
}

proptest! {
    /// On one thread every variant, flawed ones included, adds up exactly: the flaws are
    /// interleaving bugs, which is why a sequential test can never find them.
    #[test]
    fn one_thread_sums_exactly(offsets in proptest::collection::vec(0u64..1_000_000, 0..64)) {
        let expected: u64 = offsets.iter().sum();
        prop_assert_eq!(apply(&LockingCounter::default(), &offsets), expected);
        prop_assert_eq!(apply(&AtomicCounter::default(), &offsets), expected);
        prop_assert_eq!(apply(&RacyCounter::default(), &offsets), expected);
        prop_assert_eq!(apply(&SplitLockCounter::default(), &offsets), expected);
    }
}
