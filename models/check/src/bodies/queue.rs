//! Models of the bounded queue (seeds 002 §3.3, 003 §2.5, §1.4).
//!
//! Items are `u32`s numbered `producer * 100 + i`, so every check can say which item went
//! missing or came twice, and whether one producer's items stayed in order.

use super::world::queue::flawed::{
    CloseNotifyOneQueue, EmptyJoinQueue, IfWaitQueue, NoPassOnQueue, OneCondvarQueue,
    SilentTaskQueue, TransitionNotifyQueue,
};
use super::world::queue::{BoundedQueue, GetError, PutError, SeedQueue};
use super::world::sync::atomic::{AtomicUsize, Ordering};
use super::world::sync::time::Duration;
use super::world::sync::{Arc, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::outcomes::{Label, Outcome, OutcomeTest};
use crate::require;

/// An `Arc` that is not released while its thread unwinds. A checker reports a deadlock by
/// panicking in the thread that blocked last; under loom, releasing a loom `Arc` during that
/// unwind is itself a loom operation, which loom cannot run any more, and the process aborts.
/// Leaking on that path only is harmless: the execution is over.
struct Shared<T>(Option<Arc<T>>);

impl<T> Shared<T> {
    fn new(value: T) -> Self {
        Shared(Some(Arc::new(value)))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().expect("present until dropped")
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::mem::forget(self.0.take());
        }
    }
}

/// The item producer `p` puts `i`-th.
fn item(p: u32, i: u32) -> u32 {
    p * 100 + i
}

/// Every item of `expected` is in `delivered` exactly once, and nothing else is.
fn exactly_once(mut delivered: Vec<u32>, expected: impl IntoIterator<Item = u32>) {
    delivered.sort_unstable();
    for pair in delivered.windows(2) {
        require!(
            pair[0] != pair[1],
            Kind::DuplicateItem,
            "item {} was delivered twice (delivered: {delivered:?})",
            pair[0]
        );
    }
    let mut expected: Vec<u32> = expected.into_iter().collect();
    expected.sort_unstable();
    for want in &expected {
        require!(
            delivered.binary_search(want).is_ok(),
            Kind::LostItem,
            "item {want} was put and never delivered (delivered: {delivered:?})"
        );
    }
    require!(
        delivered.len() == expected.len(),
        Kind::DuplicateItem,
        "delivered {delivered:?}, but only {expected:?} were put"
    );
}

/// One consumer saw each producer's items in the order that producer put them.
fn in_fifo_order(received: &[u32]) {
    for (i, later) in received.iter().enumerate() {
        for earlier in &received[..i] {
            require!(
                !(earlier / 100 == later / 100 && earlier > later),
                Kind::OutOfOrder,
                "a consumer got {earlier} before {later}"
            );
        }
    }
}

/// The queue holds no more than its capacity.
fn within_capacity<Q: SeedQueue<u32>>(queue: &Q) {
    let len = queue.qsize();
    require!(
        len <= queue.maxsize(),
        Kind::Overfill,
        "the queue holds {len} items, capacity {}",
        queue.maxsize()
    );
}

// ANCHOR: handoff_model
/// `producers` threads each put `each` items; `consumers` consumers share the gets evenly,
/// the main thread being the last of them (one thread fewer to explore). No closing: every
/// get must return an item, every item must arrive once, in per-producer order, and the
/// queue must never hold more than `maxsize`.
fn handoff<Q>(producers: u32, each: u32, consumers: u32, maxsize: usize)
where
    Q: SeedQueue<u32> + Send + Sync + 'static,
{
    let queue = Shared::new(Q::with_maxsize(maxsize));
    let per_consumer = producers * each / consumers;
    let producer_threads: Vec<_> = (0..producers)
        .map(|p| {
            let queue = queue.clone();
            thread::spawn(move || {
                for i in 0..each {
                    require!(
                        queue.put(item(p, i)).is_ok(),
                        Kind::LostItem,
                        "an open queue refused item {}",
                        item(p, i)
                    );
                    within_capacity(&*queue);
                }
            })
        })
        .collect();
    let consume = move |queue: Shared<Q>| {
        let mut received = Vec::new();
        for _ in 0..per_consumer {
            let got = queue.get();
            require!(
                got.is_some(),
                Kind::LostItem,
                "a get on an open queue returned without an item"
            );
            received.extend(got);
        }
        in_fifo_order(&received);
        received
    };
    let consumer_threads: Vec<_> = (1..consumers)
        .map(|_| {
            let queue = queue.clone();
            thread::spawn(move || consume(queue))
        })
        .collect();
    let mut delivered = consume(queue);
    for t in producer_threads {
        t.join().expect("producer panicked");
    }
    for t in consumer_threads {
        delivered.extend(t.join().expect("consumer panicked"));
    }
    exactly_once(
        delivered,
        (0..producers).flat_map(|p| (0..each).map(move |i| item(p, i))),
    );
}
// ANCHOR_END: handoff_model

/// A consumer that gets until the queue reports closed, checking order as it goes.
fn drain_until_closed<Q: SeedQueue<u32> + Send + Sync + 'static>(
    queue: &Shared<Q>,
) -> thread::JoinHandle<Vec<u32>> {
    let queue = queue.clone();
    thread::spawn(move || {
        let mut received = Vec::new();
        while let Some(item) = queue.get() {
            received.push(item);
        }
        in_fifo_order(&received);
        received
    })
}

// ANCHOR: close_model
/// The producer (the main thread) puts `items` items and closes; `consumers` threads get
/// until closed. A consumer blocked on the empty queue must wake at the close, and items
/// buffered before the close must still arrive.
fn close_wakes_getters<Q>(consumers: u32, items: u32)
where
    Q: SeedQueue<u32> + Send + Sync + 'static,
{
    let queue = Shared::new(Q::with_maxsize(2));
    let consumer_threads: Vec<_> = (0..consumers).map(|_| drain_until_closed(&queue)).collect();
    for i in 0..items {
        require!(
            queue.put(item(0, i)).is_ok(),
            Kind::LostItem,
            "an open queue refused an item"
        );
    }
    queue.close();
    let mut delivered = Vec::new();
    for t in consumer_threads {
        delivered.extend(t.join().expect("consumer panicked"));
    }
    exactly_once(delivered, (0..items).map(|i| item(0, i)));
}
// ANCHOR_END: close_model

/// A full queue of capacity 2; 2 producers put 1 item each (both have to wait); the main
/// thread gets 2 items and then joins the producers *before* getting again. Both puts must
/// finish on the room those 2 gets made, whoever of the two is notified or spinning when it
/// appears: no later get comes to wake a putter that was passed over.
fn putters_share_room<Q>()
where
    Q: SeedQueue<u32> + Send + Sync + 'static,
{
    let queue = Shared::new(Q::with_maxsize(2));
    let prefill = [item(9, 0), item(9, 1)];
    for i in prefill {
        require!(
            queue.put(i).is_ok(),
            Kind::LostItem,
            "an open queue refused item {i}"
        );
    }
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let queue = queue.clone();
            thread::spawn(move || {
                require!(
                    queue.put(item(p, 0)).is_ok(),
                    Kind::LostItem,
                    "an open queue refused item {}",
                    item(p, 0)
                );
            })
        })
        .collect();
    let mut delivered: Vec<u32> = (0..2).filter_map(|_| queue.get()).collect();
    for t in producers {
        t.join().expect("producer panicked");
    }
    delivered.extend((0..2).filter_map(|_| queue.get()));
    exactly_once(
        delivered,
        prefill.into_iter().chain([item(0, 0), item(1, 0)]),
    );
}

/// A producer thread puts 2 items into a queue of capacity 1 (the second blocks until the
/// main thread closes or drains). The main thread closes, then drains. Each item must either
/// be handed back by the failed put or be drained: once, not zero times, not twice.
fn close_wakes_putter() {
    let queue = Arc::new(BoundedQueue::<u32>::new(1));
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            let mut returned = Vec::new();
            for i in 0..2 {
                if let Err(e) = queue.put(item(0, i)) {
                    require!(
                        e.is_closed(),
                        Kind::LostItem,
                        "a blocking put failed with {e}"
                    );
                    returned.push(e.into_inner());
                }
            }
            returned
        })
    };
    queue.close();
    let mut delivered = Vec::new();
    while let Ok(item) = queue.get() {
        delivered.push(item);
    }
    delivered.extend(producer.join().expect("producer panicked"));
    exactly_once(delivered, [item(0, 0), item(0, 1)]);
}

// ANCHOR: tasks_model
/// The seed's `task_done`/`join` program: the main thread puts `items` items and joins; a
/// consumer gets each, works on it (counts it), and marks it done. When `join` returns, every
/// item must have been worked on; a second `join` returns too.
fn task_done_join<Q>(items: u32)
where
    Q: SeedQueue<u32> + Send + Sync + 'static,
{
    let queue = Shared::new(Q::with_maxsize(2));
    let worked = Shared::new(AtomicUsize::new(0));
    let consumer = {
        let (queue, worked) = (queue.clone(), worked.clone());
        thread::spawn(move || {
            for _ in 0..items {
                let got = queue.get();
                require!(got.is_some(), Kind::LostItem, "get returned no item");
                worked.fetch_add(1, Ordering::SeqCst);
                require!(
                    queue.task_done().is_ok(),
                    Kind::EarlyJoin,
                    "task_done refused a fetched item"
                );
            }
        })
    };
    for i in 0..items {
        require!(queue.put(item(0, i)).is_ok(), Kind::LostItem, "put refused");
    }
    queue.join();
    let done = worked.load(Ordering::SeqCst);
    require!(
        done == items as usize,
        Kind::EarlyJoin,
        "join returned with {done} of {items} items worked on"
    );
    queue.join();
    consumer.join().expect("consumer panicked");
}
// ANCHOR_END: tasks_model

/// A value whose drops are counted.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A producer puts 2 counted items, a consumer takes 1 and drops it, then the queue is
/// dropped with the other still inside: 2 drops, no more, no fewer.
fn dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Arc::new(BoundedQueue::new(2));
    let producer = {
        let (queue, drops) = (Arc::clone(&queue), Arc::clone(&drops));
        thread::spawn(move || {
            for _ in 0..2 {
                let put = queue.put(Tracked(Arc::clone(&drops)));
                require!(put.is_ok(), Kind::Leak, "an open queue refused an item");
            }
        })
    };
    let consumer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || drop(queue.get()))
    };
    producer.join().expect("producer panicked");
    consumer.join().expect("consumer panicked");
    let early = drops.load(Ordering::SeqCst);
    require!(
        early == 1,
        Kind::Leak,
        "{early} items dropped while one was still queued"
    );
    drop(queue);
    let total = drops.load(Ordering::SeqCst);
    require!(total == 2, Kind::Leak, "2 items, {total} drops");
}

// ANCHOR: mpmc_model
/// 3 producers x 3 items, 3 consumers, capacity 2; the main thread closes after the
/// producers finish. With `timed`, every put first tries with a zero timeout (which must hand
/// the item back as `Timeout` when the queue is full) and then waits with a timeout, and
/// every get waits with a timeout; neither checker lets a timed wait expire, so this explores
/// the timed paths' recheck loops. Every item arrives exactly once, in per-producer order.
fn mpmc_close(timed: bool) {
    const LONG: Duration = Duration::from_secs(3600);
    let queue = Arc::new(BoundedQueue::<u32>::new(2));
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for i in 0..3 {
                    let result = if timed {
                        match queue.put_timeout(item(p, i), Duration::ZERO) {
                            Err(PutError::Timeout(back)) => {
                                require!(back == item(p, i), Kind::LostItem, "wrong item back");
                                queue.put_timeout(back, LONG)
                            }
                            other => other,
                        }
                    } else {
                        queue.put(item(p, i))
                    };
                    require!(result.is_ok(), Kind::LostItem, "open queue refused an item");
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut received = Vec::new();
                loop {
                    let got = if timed {
                        queue.get_timeout(LONG)
                    } else {
                        queue.get()
                    };
                    match got {
                        Ok(item) => received.push(item),
                        Err(e) => {
                            require!(
                                e == GetError::Closed,
                                Kind::LostItem,
                                "a get without a real timeout failed: {e}"
                            );
                            break;
                        }
                    }
                }
                in_fifo_order(&received);
                received
            })
        })
        .collect();
    for t in producers {
        t.join().expect("producer panicked");
    }
    queue.close();
    let mut delivered = Vec::new();
    for t in consumers {
        delivered.extend(t.join().expect("consumer panicked"));
    }
    exactly_once(
        delivered,
        (0..3).flat_map(|p| (0..3).map(move |i| item(p, i))),
    );
}
// ANCHOR_END: mpmc_model

fn model(
    variant: &'static str,
    scenario: &'static str,
    expect: Expect,
    body: fn(),
    loom: LoomPlan,
) -> Model {
    Model {
        loom,
        ..Model::new("queue", variant, scenario, expect, body)
    }
}

const SPSC: &str = "seed Queue(1): 1 producer x 2 items, 1 consumer";
const MPSC: &str = "2 producers x 1 item, 1 consumer, capacity 1";
const SPMC: &str = "1 producer x 2 items, 2 consumers, capacity 1";
const SPMC_CAP_2: &str = "1 producer x 2 items, 2 consumers, capacity 2";
const MPSC_CAP_2: &str = "2 producers x 2 items, 1 consumer, capacity 2";
const MPSC_2: &str = "2 producers x 2 items, 1 consumer, capacity 1";
const CLOSE_1: &str = "put 1 item and close, 1 consumer gets until closed";
const CLOSE_2: &str = "put 1 item and close, 2 consumers get until closed";
const SHARE_ROOM: &str =
    "capacity 2, full; 2 producers x 1 item; main gets 2, joins the producers, gets 2";
const TASKS: &str = "seed task_done/join: put 1 item, join; consumer gets, works, task_done";

/// The queue's models.
pub fn models() -> Vec<Model> {
    use Expect::{Caught, Holds};
    use LoomPlan::Exhaustive;
    const THREE_THREADS: LoomPlan = LoomPlan::Bounded {
        preemptions: 3,
        why: "exhaustive search of 3 threads with per-put capacity checks runs for minutes; \
              bound 3 takes under a second and the one-condvar deadlock needs 2",
    };
    const MPSC_2_BOUND: LoomPlan = LoomPlan::Bounded {
        preemptions: 2,
        why: "3 threads x 4 items is slow exhaustively; the overfill needs 1 preemption",
    };
    vec![
        // The reference.
        model(
            "bounded",
            SPSC,
            Holds,
            || handoff::<BoundedQueue<u32>>(1, 2, 1, 1),
            Exhaustive,
        ),
        model(
            "bounded",
            MPSC,
            Holds,
            || handoff::<BoundedQueue<u32>>(2, 1, 1, 1),
            THREE_THREADS,
        ),
        model(
            "bounded",
            SPMC,
            Holds,
            || handoff::<BoundedQueue<u32>>(1, 2, 2, 1),
            THREE_THREADS,
        ),
        model(
            "bounded",
            MPSC_2,
            Holds,
            || handoff::<BoundedQueue<u32>>(2, 2, 1, 1),
            MPSC_2_BOUND,
        ),
        // Where notifying only on the empty/full transition loses a wakeup: the counts of
        // parked getters and putters must not.
        model(
            "bounded",
            SPMC_CAP_2,
            Holds,
            || handoff::<BoundedQueue<u32>>(1, 2, 2, 2),
            THREE_THREADS,
        ),
        model(
            "bounded",
            MPSC_CAP_2,
            Holds,
            || handoff::<BoundedQueue<u32>>(2, 2, 1, 2),
            MPSC_2_BOUND,
        ),
        // Where a woken putter that leaves room behind must pass the wakeup on.
        model(
            "bounded",
            SHARE_ROOM,
            Holds,
            putters_share_room::<BoundedQueue<u32>>,
            THREE_THREADS,
        ),
        model(
            "bounded",
            CLOSE_1,
            Holds,
            || close_wakes_getters::<BoundedQueue<u32>>(1, 1),
            Exhaustive,
        ),
        model(
            "bounded",
            CLOSE_2,
            Holds,
            || close_wakes_getters::<BoundedQueue<u32>>(2, 1),
            LoomPlan::Bounded {
                preemptions: 4,
                why: "exhaustive took 117,081 schedules before the spin before parking and \
                      more than 15 minutes after; bound 4 takes seconds (5: ~16 s on a loaded \
                      machine), and the close bug on this scenario needs 2",
            },
        ),
        model(
            "bounded",
            "capacity 1, producer puts 2 items, main closes then drains",
            Holds,
            close_wakes_putter,
            Exhaustive,
        ),
        model(
            "bounded",
            TASKS,
            Holds,
            || task_done_join::<BoundedQueue<u32>>(1),
            Exhaustive,
        ),
        model(
            "bounded",
            "seed task_done/join with 2 items, join twice",
            Holds,
            || task_done_join::<BoundedQueue<u32>>(2),
            Exhaustive,
        ),
        model(
            "bounded",
            "2 counted items, 1 taken, queue dropped with 1 inside",
            Holds,
            dropped_exactly_once,
            Exhaustive,
        ),
        Model {
            shuttle: ShuttlePlan {
                iterations: 1_000,
                pct_depth: 3,
            },
            ..model(
                "bounded",
                "3 producers x 3 items, 3 consumers, capacity 2, close",
                Holds,
                || mpmc_close(false),
                LoomPlan::Skip("7 threads are beyond exhaustive search; shuttle samples them"),
            )
        },
        Model {
            shuttle: ShuttlePlan {
                iterations: 1_000,
                pct_depth: 3,
            },
            ..model(
                "bounded",
                "3 producers x 3 items, 3 consumers, capacity 2, close, timeouts",
                Holds,
                || mpmc_close(true),
                LoomPlan::Skip("7 threads are beyond exhaustive search; shuttle samples them"),
            )
        },
        // The flawed variants.
        model(
            "one condvar (flawed)",
            SPMC,
            Caught(Kind::Deadlock),
            || handoff::<OneCondvarQueue<u32>>(1, 2, 2, 1),
            THREE_THREADS,
        ),
        model(
            "if not while (flawed)",
            MPSC_2,
            Caught(Kind::Overfill),
            || handoff::<IfWaitQueue<u32>>(2, 2, 1, 1),
            MPSC_2_BOUND,
        ),
        model(
            "silent task_done (flawed)",
            TASKS,
            Caught(Kind::Deadlock),
            || task_done_join::<SilentTaskQueue<u32>>(1),
            Exhaustive,
        ),
        model(
            "join on empty (flawed)",
            TASKS,
            Caught(Kind::EarlyJoin),
            || task_done_join::<EmptyJoinQueue<u32>>(1),
            Exhaustive,
        ),
        model(
            "notify on transition only (flawed)",
            SPMC_CAP_2,
            Caught(Kind::Deadlock),
            || handoff::<TransitionNotifyQueue<u32>>(1, 2, 2, 2),
            THREE_THREADS,
        ),
        model(
            "no pass-on (flawed)",
            SPMC_CAP_2,
            Caught(Kind::Deadlock),
            || handoff::<NoPassOnQueue<u32>>(1, 2, 2, 2),
            THREE_THREADS,
        ),
        model(
            "no pass-on (flawed)",
            SHARE_ROOM,
            Caught(Kind::Deadlock),
            putters_share_room::<NoPassOnQueue<u32>>,
            THREE_THREADS,
        ),
        model(
            "close with notify_one (flawed)",
            CLOSE_2,
            Caught(Kind::Deadlock),
            || close_wakes_getters::<CloseNotifyOneQueue<u32>>(2, 1),
            Exhaustive,
        ),
    ]
}

/// Queue(1) hand-off (seed 003 §2.5): a producer puts 1 then 2 into a queue of capacity 1 while
/// a consumer gets twice; the outcome is what the consumer got, in order.
fn handoff_order() -> String {
    let queue = Arc::new(BoundedQueue::new(1));
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for item in [1u32, 2] {
                queue.put(item).expect("queue open");
            }
        })
    };
    let first = queue.get().expect("queue open");
    let second = queue.get().expect("queue open");
    producer.join().expect("producer panicked");
    format!("got {first}, {second}")
}

const HANDOFF_ORDER: &[Outcome] = &[
    Outcome {
        value: "got 1, 2",
        label: Label::Acceptable,
        meaning: "first in, first out",
    },
    Outcome {
        value: "got 2, 1",
        label: Label::Forbidden,
        meaning: "out of order",
    },
];

/// The queue's outcome table: the reference's hand-off order over every schedule.
pub fn outcome_tests() -> Vec<OutcomeTest> {
    vec![OutcomeTest {
        pattern: "queue",
        variant: "BoundedQueue",
        scenario: "capacity 1, put 1 and 2, get twice",
        body: handoff_order,
        outcomes: HANDOFF_ORDER,
        flawed: false,
    }]
}
