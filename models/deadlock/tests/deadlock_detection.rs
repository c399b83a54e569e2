//! parking_lot's deadlock detector (its `deadlock_detection` feature, enabled for tests only)
//! finds the lock-order inversion of `transfer_naive(a, b)` against `transfer_naive(b, a)` on
//! real threads and reports the cycle: the two transferring threads.
//!
//! This is the seed's second piece of advice (通过测试工程师进行死锁检测, have testers detect
//! deadlocks) done by a program: the detector looks at which thread waits for which lock,
//! held by which thread, and reports every cycle.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use threadproof::lock_order::flawed::{PlainAccount, transfer_naive};

#[test]
fn parking_lot_reports_the_transfer_cycle() {
    let a = Arc::new(PlainAccount::new(1_000_000));
    let b = Arc::new(PlainAccount::new(1_000_000));
    // Each thread transfers until the two lock each other out: on real threads that takes from
    // microseconds to a few milliseconds. The threads then stay blocked until the process
    // exits; the detector takes them off the parking queues when it reports them.
    let forward = {
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        thread::spawn(move || {
            loop {
                transfer_naive(&a, &b, 1);
            }
        })
    };
    let backward = {
        let (a, b) = (Arc::clone(&a), Arc::clone(&b));
        thread::spawn(move || {
            loop {
                transfer_naive(&b, &a, 1);
            }
        })
    };
    let transferring: HashSet<_> = [forward.thread().id(), backward.thread().id()].into();

    let start = Instant::now();
    let cycles = loop {
        let cycles = parking_lot::deadlock::check_deadlock();
        if !cycles.is_empty() {
            break cycles;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no deadlock detected in 60 s"
        );
        thread::sleep(Duration::from_millis(10));
    };

    assert_eq!(cycles.len(), 1, "one cycle expected");
    let cycle: HashSet<_> = cycles[0].iter().map(|t| t.thread_id()).collect();
    assert_eq!(
        cycle, transferring,
        "the cycle is the two transferring threads"
    );
    for thread in &cycles[0] {
        let backtrace = format!("{:?}", thread.backtrace());
        assert!(
            backtrace.contains("transfer_naive"),
            "thread {:?} is not blocked in transfer_naive:\n{backtrace}",
            thread.thread_id()
        );
    }
}
