//! `BoundedQueue` on real threads: behaviours from crossbeam-channel's bounded-channel tests
//! (`crossbeam-channel/tests/array.rs`) and CPython's `Lib/test/test_queue.py`, then a
//! proptest of single-threaded operation sequences against a `VecDeque` model.
//!
//! The timing tests only assert what cannot be true if the queue is broken (an operation
//! that returned before the other thread acted, a timeout that returned early), so a slow or
//! loaded machine makes them slower, never flaky.

use std::collections::VecDeque;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use threadproof::queue::{BoundedQueue, GetError, PutError, TaskDoneError, ZeroCapacity};

const MS: Duration = Duration::from_millis(1);

/// Runs `act` on another thread after `delay`, setting the returned flag just before.
fn after(
    delay: Duration,
    act: impl FnOnce() + Send + 'static,
) -> (Arc<AtomicBool>, thread::JoinHandle<()>) {
    let acted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&acted);
    let handle = thread::spawn(move || {
        thread::sleep(delay);
        flag.store(true, Ordering::SeqCst);
        act();
    });
    (acted, handle)
}

// ---- crossbeam-channel: tests/array.rs --------------------------------------------------

#[test]
fn smoke() {
    let q = BoundedQueue::new(1);
    q.try_put(7).unwrap();
    assert_eq!(q.try_get(), Ok(7));
    q.put(8).unwrap();
    assert_eq!(q.get(), Ok(8));
    assert_eq!(q.try_get(), Err(GetError::Empty));
    assert_eq!(q.get_timeout(MS), Err(GetError::Timeout));
}

#[test]
fn capacity() {
    for cap in 1..10 {
        let q = BoundedQueue::<i32>::new(cap);
        assert_eq!(q.capacity(), cap);
    }
}

#[test]
fn len_empty_full() {
    let q = BoundedQueue::new(2);
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (0, true, false));
    q.put(()).unwrap();
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (1, false, false));
    q.put(()).unwrap();
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (2, false, true));
    q.get().unwrap();
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (1, false, false));
    q.get().unwrap();
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (0, true, false));
}

#[test]
fn try_get_sees_empty_then_the_item() {
    let q = Arc::new(BoundedQueue::new(1));
    assert_eq!(q.try_get(), Err(GetError::Empty));
    let (acted, putter) = after(50 * MS, {
        let q = Arc::clone(&q);
        move || q.put(7).unwrap()
    });
    // Poll until the item shows up; it cannot show up before the putter acted.
    let got = loop {
        match q.try_get() {
            Ok(v) => break v,
            Err(GetError::Empty) => thread::sleep(MS),
            Err(e) => panic!("unexpected {e}"),
        }
    };
    assert!(acted.load(Ordering::SeqCst));
    assert_eq!(got, 7);
    putter.join().unwrap();
}

#[test]
fn get_blocks_until_a_put() {
    let q = Arc::new(BoundedQueue::new(1));
    let (acted, putter) = after(50 * MS, {
        let q = Arc::clone(&q);
        move || q.put(7).unwrap()
    });
    assert_eq!(q.get(), Ok(7));
    assert!(
        acted.load(Ordering::SeqCst),
        "get returned before anything was put"
    );
    putter.join().unwrap();
}

#[test]
fn get_timeout_times_out_then_succeeds() {
    let q = Arc::new(BoundedQueue::new(1));
    let start = Instant::now();
    assert_eq!(q.get_timeout(30 * MS), Err(GetError::Timeout));
    assert!(start.elapsed() >= 30 * MS, "timed out early");
    let (_, putter) = after(10 * MS, {
        let q = Arc::clone(&q);
        move || q.put(7).unwrap()
    });
    assert_eq!(q.get_timeout(Duration::from_secs(60)), Ok(7));
    putter.join().unwrap();
}

#[test]
fn try_put_reports_full_and_closed_with_the_value() {
    let q = BoundedQueue::new(1);
    assert_eq!(q.try_put(1), Ok(()));
    assert_eq!(q.try_put(2), Err(PutError::Full(2)));
    q.close();
    assert_eq!(q.try_put(3), Err(PutError::Closed(3)));
}

#[test]
fn put_blocks_until_a_get() {
    let q = Arc::new(BoundedQueue::new(1));
    q.put(1).unwrap();
    let (acted, getter) = after(50 * MS, {
        let q = Arc::clone(&q);
        move || assert_eq!(q.get(), Ok(1))
    });
    q.put(2).unwrap();
    assert!(
        acted.load(Ordering::SeqCst),
        "put into a full queue returned at once"
    );
    getter.join().unwrap();
    assert_eq!(q.get(), Ok(2));
}

#[test]
fn put_timeout_times_out_with_the_value_then_succeeds() {
    let q = Arc::new(BoundedQueue::new(1));
    q.put(1).unwrap();
    let start = Instant::now();
    assert_eq!(q.put_timeout(2, 30 * MS), Err(PutError::Timeout(2)));
    assert!(start.elapsed() >= 30 * MS, "timed out early");
    let (_, getter) = after(10 * MS, {
        let q = Arc::clone(&q);
        move || assert_eq!(q.get(), Ok(1))
    });
    assert_eq!(q.put_timeout(3, Duration::from_secs(60)), Ok(()));
    getter.join().unwrap();
    assert_eq!(q.get(), Ok(3));
}

#[test]
fn close_wakes_a_blocked_putter() {
    let q = Arc::new(BoundedQueue::new(1));
    q.put(1).unwrap();
    let (acted, closer) = after(50 * MS, {
        let q = Arc::clone(&q);
        move || assert!(q.close())
    });
    assert_eq!(q.put(2), Err(PutError::Closed(2)));
    assert!(acted.load(Ordering::SeqCst));
    closer.join().unwrap();
    assert_eq!(q.get(), Ok(1), "the buffered item survives the close");
}

#[test]
fn close_wakes_every_blocked_getter() {
    let q = Arc::new(BoundedQueue::<i32>::new(1));
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get())
        })
        .collect();
    thread::sleep(30 * MS);
    assert!(q.close());
    assert!(
        !q.close(),
        "closing twice reports the queue was already closed"
    );
    for g in getters {
        assert_eq!(g.join().unwrap(), Err(GetError::Closed));
    }
}

#[test]
fn close_wakes_timed_waiters() {
    let q = Arc::new(BoundedQueue::<i32>::new(1));
    let getter = {
        let q = Arc::clone(&q);
        thread::spawn(move || q.get_timeout(Duration::from_secs(600)))
    };
    thread::sleep(20 * MS);
    q.close();
    assert_eq!(getter.join().unwrap(), Err(GetError::Closed));
}

#[test]
fn buffered_items_drain_after_close() {
    let q = BoundedQueue::new(3);
    for i in 0..3 {
        q.put(i).unwrap();
    }
    q.close();
    assert!(q.is_closed());
    assert_eq!(q.put(9), Err(PutError::Closed(9)));
    assert_eq!(q.try_get(), Ok(0));
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.get_timeout(MS), Ok(2));
    assert_eq!(q.try_get(), Err(GetError::Closed));
    assert_eq!(q.get(), Err(GetError::Closed));
    assert_eq!(q.get_timeout(MS), Err(GetError::Closed));
}

/// Counts its drops in a shared counter.
#[derive(Debug)]
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn every_item_is_dropped_exactly_once_including_unreceived() {
    for (put, got) in [(0, 0), (5, 0), (5, 2), (5, 5), (8, 3)] {
        let drops = Arc::new(AtomicUsize::new(0));
        let q = BoundedQueue::new(8);
        for _ in 0..put {
            q.put(DropCounter(Arc::clone(&drops))).unwrap();
        }
        for _ in 0..got {
            drop(q.get().unwrap());
        }
        assert_eq!(drops.load(Ordering::SeqCst), got);
        drop(q);
        assert_eq!(drops.load(Ordering::SeqCst), put, "{put} put, {got} taken");
    }
}

#[test]
fn a_refused_item_is_handed_back_not_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q = BoundedQueue::new(1);
    q.put(DropCounter(Arc::clone(&drops))).unwrap();
    let full = q.try_put(DropCounter(Arc::clone(&drops))).unwrap_err();
    let timed_out = q
        .put_timeout(DropCounter(Arc::clone(&drops)), Duration::ZERO)
        .unwrap_err();
    q.close();
    let closed = q.put(DropCounter(Arc::clone(&drops))).unwrap_err();
    assert!(full.is_full() && timed_out.is_timeout() && closed.is_closed());
    assert_eq!(drops.load(Ordering::SeqCst), 0, "nothing dropped yet");
    let items = [
        full.into_inner(),
        timed_out.into_inner(),
        closed.into_inner(),
    ];
    drop(items);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(q);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn mpmc_every_item_arrives_exactly_once() {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const EACH: usize = 10_000;
    let q = Arc::new(BoundedQueue::new(3));
    let seen: Arc<Vec<AtomicUsize>> =
        Arc::new((0..PRODUCERS * EACH).map(|_| AtomicUsize::new(0)).collect());
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                for i in 0..EACH {
                    q.put(p * EACH + i).unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (q, seen) = (Arc::clone(&q), Arc::clone(&seen));
            thread::spawn(move || {
                let mut last = [None; PRODUCERS];
                while let Ok(item) = q.get() {
                    seen[item].fetch_add(1, Ordering::Relaxed);
                    let p = item / EACH;
                    assert!(last[p] < Some(item), "producer {p}'s items out of order");
                    last[p] = Some(item);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    q.close();
    for c in consumers {
        c.join().unwrap();
    }
    for (item, count) in seen.iter().enumerate() {
        assert_eq!(count.load(Ordering::Relaxed), 1, "item {item}");
    }
}

#[test]
fn a_put_followed_by_try_get_never_reports_empty() {
    // crossbeam's `linearizable`: every thread puts, then takes; with capacity for all of
    // them, the queue can never look empty to a thread right after its own put.
    const THREADS: usize = 4;
    const COUNT: usize = 10_000;
    let q = Arc::new(BoundedQueue::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                for _ in 0..COUNT {
                    q.put(0).unwrap();
                    q.try_get().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

// ---- CPython: Lib/test/test_queue.py ----------------------------------------------------

#[test]
fn fifo_order_and_the_size_queries() {
    let q = BoundedQueue::new(3);
    for item in [111, 333, 222] {
        q.put(item).unwrap();
    }
    assert!(q.is_full());
    assert_eq!(q.len(), 3);
    let got: Vec<_> = (0..3).map(|_| q.get().unwrap()).collect();
    assert_eq!(got, [111, 333, 222]);
    assert!(q.is_empty());
}

#[test]
fn a_blocking_put_really_blocks_until_another_thread_gets() {
    let q = Arc::new(BoundedQueue::new(2));
    q.put(1).unwrap();
    q.put(2).unwrap();
    let (acted, getter) = after(100 * MS, {
        let q = Arc::clone(&q);
        move || {
            q.get().unwrap();
        }
    });
    q.put(3).unwrap();
    assert!(
        acted.load(Ordering::SeqCst),
        "blocking put returned before the get"
    );
    getter.join().unwrap();
}

#[test]
fn a_blocking_get_really_blocks_until_another_thread_puts() {
    let q = Arc::new(BoundedQueue::new(2));
    let (acted, putter) = after(100 * MS, {
        let q = Arc::clone(&q);
        move || q.put("x").unwrap()
    });
    assert_eq!(q.get(), Ok("x"));
    assert!(
        acted.load(Ordering::SeqCst),
        "blocking get returned before the put"
    );
    putter.join().unwrap();
}

#[test]
fn task_done_more_than_items_put_is_an_error() {
    let q = BoundedQueue::new(2);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put(1).unwrap();
    q.get().unwrap();
    assert_eq!(q.unfinished_tasks(), 1);
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TaskDoneError), "one item, two task_done");
    assert_eq!(q.unfinished_tasks(), 0, "the failed call changed nothing");
    q.join();
}

#[test]
fn join_waits_for_every_task_and_works_twice() {
    let q = Arc::new(BoundedQueue::new(4));
    let total = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (q, total) = (Arc::clone(&q), Arc::clone(&total));
            thread::spawn(move || {
                while let Ok(n) = q.get() {
                    thread::sleep(MS); // working on it: taken, not yet done
                    total.fetch_add(n, Ordering::SeqCst);
                    q.task_done().unwrap();
                }
            })
        })
        .collect();
    for round in 0..2 {
        for n in 0..100 {
            q.put(n).unwrap();
        }
        q.join();
        assert_eq!(
            total.load(Ordering::SeqCst),
            4950 * (round + 1),
            "join returned early"
        );
    }
    q.join(); // nothing unfinished: returns at once
    q.close();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn the_seed_task_done_program() {
    // 003 §2.5: the consumer gets, works, calls task_done; the producer puts and joins.
    let q = Arc::new(BoundedQueue::new(1));
    let worked = Arc::new(AtomicBool::new(false));
    let consumer = {
        let (q, worked) = (Arc::clone(&q), Arc::clone(&worked));
        thread::spawn(move || {
            q.get().unwrap();
            thread::sleep(20 * MS);
            worked.store(true, Ordering::SeqCst);
            q.task_done().unwrap();
        })
    };
    q.put(()).unwrap();
    q.join();
    assert!(worked.load(Ordering::SeqCst));
    consumer.join().unwrap();
}

#[test]
fn zero_timeouts_try_once() {
    // Python rejects negative timeouts with ValueError; a `Duration` cannot be negative.
    let q = BoundedQueue::new(1);
    assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::Timeout));
    assert_eq!(q.put_timeout(1, Duration::ZERO), Ok(()));
    assert_eq!(q.put_timeout(2, Duration::ZERO), Err(PutError::Timeout(2)));
    assert_eq!(q.get_timeout(Duration::ZERO), Ok(1));
}

#[test]
fn an_enormous_timeout_waits_like_no_timeout() {
    let q = Arc::new(BoundedQueue::new(1));
    assert_eq!(q.put_timeout(1, Duration::MAX), Ok(()));
    assert_eq!(q.get_timeout(Duration::MAX), Ok(1));
    let (_, putter) = after(10 * MS, {
        let q = Arc::clone(&q);
        move || q.put(2).unwrap()
    });
    assert_eq!(q.get_timeout(Duration::MAX), Ok(2));
    putter.join().unwrap();
}

// ---- construction, errors ----------------------------------------------------------------

#[test]
#[should_panic(expected = "a BoundedQueue needs a capacity of at least 1")]
fn capacity_zero_panics_in_new() {
    let _ = BoundedQueue::<u8>::new(0);
}

#[test]
fn capacity_zero_is_an_error_in_try_new() {
    assert_eq!(BoundedQueue::<u8>::try_new(0).unwrap_err(), ZeroCapacity);
    assert!(BoundedQueue::<u8>::try_new(1).is_ok());
    // A huge capacity does not reserve memory for it.
    assert_eq!(BoundedQueue::<u8>::new(usize::MAX).capacity(), usize::MAX);
}

#[test]
fn errors_display_debug_and_box() {
    assert_eq!(PutError::Full(1).to_string(), "putting into a full queue");
    assert_eq!(
        PutError::Closed(1).to_string(),
        "putting into a closed queue"
    );
    assert_eq!(
        PutError::Timeout(1).to_string(),
        "timed out putting into a full queue"
    );
    assert_eq!(format!("{:?}", PutError::Full(vec![1])), "Full(..)");
    assert_eq!(GetError::Empty.to_string(), "getting from an empty queue");
    assert_eq!(
        GetError::Closed.to_string(),
        "getting from a closed and empty queue"
    );
    assert_eq!(
        GetError::Timeout.to_string(),
        "timed out getting from an empty queue"
    );
    assert_eq!(
        TaskDoneError.to_string(),
        "task_done() called more times than items were put"
    );
    let boxed: Box<dyn Error + Send + Sync> = Box::new(PutError::Closed(5u8));
    assert_eq!(boxed.to_string(), "putting into a closed queue");
    let q = BoundedQueue::<u8>::new(2);
    q.put(1).unwrap();
    assert_eq!(
        format!("{q:?}"),
        "BoundedQueue { len: 1, capacity: 2, closed: false, unfinished: 1, .. }"
    );
}

#[test]
fn many_threads_start_together() {
    // Barrier-started burst at capacity 1: the queue neither loses nor invents items.
    let q = Arc::new(BoundedQueue::new(1));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (q, barrier) = (Arc::clone(&q), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                if i % 2 == 0 {
                    (0..500).for_each(|n| q.put(n).unwrap());
                    0
                } else {
                    (0..500).map(|_| q.get().unwrap()).sum::<usize>()
                }
            })
        })
        .collect();
    let sum: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(sum, 4 * (0..500).sum::<usize>());
    assert!(q.is_empty());
}

// ---- proptest: single-threaded operations against a VecDeque ------------------------------

#[derive(Debug, Clone)]
enum Op {
    TryPut(u8),
    PutZeroTimeout(u8),
    Put(u8),
    TryGet,
    GetZeroTimeout,
    Get,
    TaskDone,
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u8>().prop_map(Op::TryPut),
        any::<u8>().prop_map(Op::PutZeroTimeout),
        any::<u8>().prop_map(Op::Put),
        Just(Op::TryGet),
        Just(Op::GetZeroTimeout),
        Just(Op::Get),
        Just(Op::TaskDone),
        Just(Op::Close),
    ]
}

/// The reference model: what each operation must return, single-threaded.
struct ModelQueue {
    items: VecDeque<u8>,
    capacity: usize,
    closed: bool,
    unfinished: usize,
}

impl ModelQueue {
    fn put(&mut self, v: u8, full: fn(u8) -> PutError<u8>) -> Result<(), PutError<u8>> {
        if self.closed {
            Err(PutError::Closed(v))
        } else if self.items.len() == self.capacity {
            Err(full(v))
        } else {
            self.items.push_back(v);
            self.unfinished += 1;
            Ok(())
        }
    }

    fn get(&mut self, empty: GetError) -> Result<u8, GetError> {
        match self.items.pop_front() {
            Some(v) => Ok(v),
            None if self.closed => Err(GetError::Closed),
            None => Err(empty),
        }
    }
}

proptest! {
    #[test]
    fn matches_a_vecdeque(capacity in 1usize..5, ops in proptest::collection::vec(op(), 0..60)) {
        let q = BoundedQueue::new(capacity);
        let mut m = ModelQueue { items: VecDeque::new(), capacity, closed: false, unfinished: 0 };
        for op in ops {
            match op {
                Op::TryPut(v) => prop_assert_eq!(q.try_put(v), m.put(v, PutError::Full)),
                Op::PutZeroTimeout(v) => {
                    prop_assert_eq!(q.put_timeout(v, Duration::ZERO), m.put(v, PutError::Timeout));
                }
                // Blocking calls only when they would not block forever on one thread.
                Op::Put(v) if m.closed || m.items.len() < capacity => {
                    prop_assert_eq!(q.put(v), m.put(v, PutError::Full));
                }
                Op::TryGet => prop_assert_eq!(q.try_get(), m.get(GetError::Empty)),
                Op::GetZeroTimeout => {
                    prop_assert_eq!(q.get_timeout(Duration::ZERO), m.get(GetError::Timeout));
                }
                Op::Get if m.closed || !m.items.is_empty() => {
                    prop_assert_eq!(q.get(), m.get(GetError::Empty));
                }
                Op::Put(_) | Op::Get => {}
                Op::TaskDone => {
                    let want = if m.unfinished == 0 {
                        Err(TaskDoneError)
                    } else {
                        m.unfinished -= 1;
                        Ok(())
                    };
                    prop_assert_eq!(q.task_done(), want);
                }
                Op::Close => {
                    prop_assert_eq!(q.close(), !m.closed);
                    m.closed = true;
                }
            }
            prop_assert_eq!(q.len(), m.items.len());
            prop_assert_eq!(q.is_empty(), m.items.is_empty());
            prop_assert_eq!(q.is_full(), m.items.len() == capacity);
            prop_assert_eq!(q.is_closed(), m.closed);
            prop_assert_eq!(q.unfinished_tasks(), m.unfinished);
        }
    }
}
