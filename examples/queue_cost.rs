//! Where the queue benchmark's time goes: moves 1,000,000 `usize` messages through one
//! implementation in one shape, and prints wall time per message. Run it under
//! `perf stat -e task-clock,context-switches` to get CPU time and context switches per
//! message, which the loaded 2-vCPU machine the book's table comes from disturbs less than
//! wall time:
//!
//! ```text
//! cargo build --release -p threadproof --example queue_cost
//! perf stat -e task-clock,context-switches target/release/examples/queue_cost bounded 1 1 64
//! ```
//!
//! `floor` is a yardstick, not a queue to copy: a `parking_lot::Mutex<VecDeque>` whose callers
//! never sleep (they retry after crossbeam-utils' backoff), so it has no condvar, no counts and
//! no wakeups, only the one lock every put and get takes. It shows what any one-mutex queue
//! costs in a shape; the book's queue chapter compares `bounded` with it.
//!
//! Arguments: `bounded` | `crossbeam` | `flume` | `floor`, then producers, consumers, capacity, and
//! optionally messages per run (default: all 1,000,000 in one run). With fewer, the threads
//! are started anew for each run, as in the criterion bench (10,000 per iteration there):
//! `queue_cost bounded 4 1 1 10000` moves the same 1,000,000 messages in 100 runs.

use std::collections::VecDeque;
use std::hint::black_box;
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use crossbeam::utils::Backoff;
use parking_lot::Mutex;
use threadproof::queue::BoundedQueue;

/// Messages moved in all, over one or more runs.
const MESSAGES: usize = 1_000_000;

fn bounded(producers: usize, consumers: usize, cap: usize, messages: usize) {
    let queue = BoundedQueue::new(cap);
    let queue = &queue;
    thread::scope(|s| {
        let consumer_threads: Vec<_> = (0..consumers)
            .map(|_| {
                s.spawn(move || {
                    while let Ok(v) = queue.get() {
                        black_box(v);
                    }
                })
            })
            .collect();
        let producer_threads: Vec<_> = (0..producers)
            .map(|_| s.spawn(move || (0..messages / producers).for_each(|i| queue.put(i).unwrap())))
            .collect();
        producer_threads.into_iter().for_each(|t| t.join().unwrap());
        queue.close();
        consumer_threads.into_iter().for_each(|t| t.join().unwrap());
    });
}

/// The one-mutex yardstick (see the module doc): busy-waiting puts and gets on a
/// `Mutex<VecDeque>`; `closed` ends the consumers once the queue is drained.
fn floor(producers: usize, consumers: usize, cap: usize, messages: usize) {
    struct Shared {
        items: VecDeque<usize>,
        closed: bool,
    }
    let shared = Mutex::new(Shared {
        items: VecDeque::with_capacity(cap),
        closed: false,
    });
    let shared = &shared;
    thread::scope(|s| {
        let consumer_threads: Vec<_> = (0..consumers)
            .map(|_| {
                s.spawn(move || {
                    let backoff = Backoff::new();
                    loop {
                        let mut state = shared.lock();
                        if let Some(v) = state.items.pop_front() {
                            drop(state);
                            black_box(v);
                            backoff.reset();
                        } else if state.closed {
                            break;
                        } else {
                            drop(state);
                            backoff.snooze();
                        }
                    }
                })
            })
            .collect();
        let producer_threads: Vec<_> = (0..producers)
            .map(|_| {
                s.spawn(move || {
                    let backoff = Backoff::new();
                    for i in 0..messages / producers {
                        loop {
                            let mut state = shared.lock();
                            if state.items.len() < cap {
                                state.items.push_back(i);
                                break;
                            }
                            drop(state);
                            backoff.snooze();
                        }
                        backoff.reset();
                    }
                })
            })
            .collect();
        producer_threads.into_iter().for_each(|t| t.join().unwrap());
        shared.lock().closed = true;
        consumer_threads.into_iter().for_each(|t| t.join().unwrap());
    });
}

macro_rules! channel {
    ($name:ident, $make:expr) => {
        fn $name(producers: usize, consumers: usize, cap: usize, messages: usize) {
            let (tx, rx) = $make(cap);
            thread::scope(|s| {
                for _ in 0..consumers {
                    let rx = rx.clone();
                    s.spawn(move || {
                        while let Ok(v) = rx.recv() {
                            black_box(v);
                        }
                    });
                }
                drop(rx);
                for _ in 0..producers {
                    let tx = tx.clone();
                    s.spawn(move || (0..messages / producers).for_each(|i| tx.send(i).unwrap()));
                }
                drop(tx);
            });
        }
    };
}

channel!(crossbeam, crossbeam::channel::bounded::<usize>);
channel!(flume, flume::bounded::<usize>);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Option<Vec<usize>> = args
        .get(1..4)
        .and_then(|a| a.iter().map(|n| n.parse().ok()).collect());
    let run: Option<fn(usize, usize, usize, usize)> = match args.first().map(String::as_str) {
        Some("bounded") => Some(bounded),
        Some("crossbeam") => Some(crossbeam),
        Some("flume") => Some(flume),
        Some("floor") => Some(floor),
        _ => None,
    };
    let (Some(run), Some([producers, consumers, cap])) = (run, numbers.as_deref()) else {
        eprintln!(
            "usage: queue_cost bounded|crossbeam|flume|floor PRODUCERS CONSUMERS CAPACITY [MESSAGES_PER_RUN]"
        );
        return ExitCode::FAILURE;
    };
    let per_run = match args.get(4).map(|n| n.parse::<usize>()) {
        None => MESSAGES,
        Some(Ok(n)) if (1..=MESSAGES).contains(&n) => n,
        Some(_) => {
            eprintln!("messages per run must be a number from 1 to {MESSAGES}");
            return ExitCode::FAILURE;
        }
    };
    if *producers == 0 || *consumers == 0 || *cap == 0 {
        eprintln!("producers, consumers and capacity must be at least 1");
        return ExitCode::FAILURE;
    }
    let runs = MESSAGES / per_run;
    let start = Instant::now();
    for _ in 0..runs {
        run(*producers, *consumers, *cap, per_run);
    }
    let ns = start.elapsed().as_nanos() as f64 / (runs * per_run) as f64;
    println!(
        "{} {producers}:{consumers} cap {cap}: {ns:.0} ns/message (wall)",
        args[0]
    );
    ExitCode::SUCCESS
}
