//! Event on real threads: the behaviour CPython's `lock_tests.EventTests` pins down.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use threadproof::event::Event;

/// Blocks until `event` has `n` threads asleep in a wait (the tests' replacement for CPython's
/// sleeps), failing after 10 s.
fn until_waiting(event: &Event, n: usize) {
    let start = Instant::now();
    while event.waiters() < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} of {n} waiters arrived",
            event.waiters()
        );
        thread::sleep(Duration::from_millis(1));
    }
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

#[test]
fn is_set_follows_set_and_clear() {
    // test_is_set
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    assert!(event.is_set());
    event.set();
    assert!(event.is_set());
    event.clear();
    assert!(!event.is_set());
    event.clear();
    assert!(!event.is_set());
}

#[test]
fn set_notifies_all_five_waiters() {
    // test_notify: 5 threads each wait twice; none returns before the set, all after.
    let event = Arc::new(Event::new());
    let returned = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = (0..5)
        .map(|_| {
            let (event, returned) = (Arc::clone(&event), Arc::clone(&returned));
            thread::spawn(move || {
                let first = event.wait();
                returned.fetch_add(1, Ordering::SeqCst);
                let second = event.wait();
                (first, second)
            })
        })
        .collect();
    until_waiting(&event, 5);
    assert_eq!(
        returned.load(Ordering::SeqCst),
        0,
        "a waiter returned early"
    );
    event.set();
    for w in waiters {
        assert_eq!(join_within(w, "a waiter"), (true, true));
    }
    assert_eq!(returned.load(Ordering::SeqCst), 5);
}

#[test]
fn wait_on_a_set_event_returns_at_once() {
    let event = Event::new();
    event.set();
    assert!(event.wait());
    assert!(event.wait_timeout(Duration::ZERO));
    assert!(event.wait_timeout(Duration::from_secs(3600)));
}

#[test]
fn timeouts_expire_and_zero_does_not_block() {
    // test_timeout: wait(0) is false at once; wait(0.1) is false after at least 0.1 s.
    let event = Arc::new(Event::new());
    let waiters: Vec<_> = (0..5)
        .map(|_| {
            let event = Arc::clone(&event);
            thread::spawn(move || {
                let start = Instant::now();
                let polled = event.wait_timeout(Duration::ZERO);
                let poll_took = start.elapsed();
                let start = Instant::now();
                let timed = event.wait_timeout(Duration::from_millis(100));
                (polled, poll_took, timed, start.elapsed())
            })
        })
        .collect();
    for w in waiters {
        let (polled, poll_took, timed, took) = join_within(w, "a timed waiter");
        assert!(!polled);
        assert!(
            poll_took < Duration::from_millis(50),
            "wait(0) took {poll_took:?}"
        );
        assert!(!timed);
        assert!(
            took >= Duration::from_millis(100),
            "timed out after {took:?}"
        );
    }
    // And a timed wait returns true when the event gets set.
    let setter = {
        let event = Arc::clone(&event);
        thread::spawn(move || {
            until_waiting(&event, 1);
            event.set();
        })
    };
    assert!(event.wait_timeout(Duration::from_secs(60)));
    setter.join().unwrap();
}

#[test]
fn waiters_released_by_set_return_true_after_clear() {
    // test_set_and_clear: set then clear at once; every waiter was released and says so.
    let event = Arc::new(Event::new());
    let waiters: Vec<_> = (0..5)
        .map(|i| {
            let event = Arc::clone(&event);
            thread::spawn(move || {
                if i % 2 == 0 {
                    event.wait()
                } else {
                    event.wait_timeout(Duration::from_secs(60))
                }
            })
        })
        .collect();
    until_waiting(&event, 5);
    event.set();
    event.clear();
    for w in waiters {
        assert!(
            join_within(w, "a waiter released by set"),
            "a waiter released by set returned false"
        );
    }
    assert!(!event.is_set());
}

#[test]
fn a_huge_timeout_is_a_plain_wait() {
    let event = Arc::new(Event::new());
    let waiter = {
        let event = Arc::clone(&event);
        thread::spawn(move || event.wait_timeout(Duration::MAX))
    };
    until_waiting(&event, 1);
    event.set();
    assert!(join_within(waiter, "the waiter"));
}
