//! Event, semaphore and lock ordering, each side by side with the peer a user would write
//! without the kit, in the same run:
//!
//! - `Semaphore` acquire + release, uncontended, against a textbook `std::sync::Mutex<usize>` +
//!   `Condvar` semaphore written here;
//! - `Event` set/wait ping-pong between 2 threads against the same hand-off over crossbeam
//!   `bounded(1)` channels. One iteration is one round trip: main sets `ping`, the partner
//!   wakes, clears it and sets `pong`, main wakes and clears it;
//! - `lock_order::lock_two` against locking two `parking_lot::Mutex`es directly. In a release
//!   build (which `cargo bench` is) the debug order check of `OrderedMutex` is compiled out, so
//!   this measures the ordering itself (comparing keys) and the guard wrapper.
//!
//! `cargo bench -p threadproof --bench primitives`. Results and the machine are recorded in the book's event
//! and semaphore chapter and its deadlock chapter.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crossbeam::channel;
use threadproof::event::Event;
use threadproof::lock_order::{OrderedMutex, lock_two};
use threadproof::semaphore::Semaphore;

/// The peer: the semaphore from a textbook, a count under a mutex and a condvar.
struct StdSemaphore {
    permits: Mutex<usize>,
    available: Condvar,
}

impl StdSemaphore {
    fn new(permits: usize) -> Self {
        Self {
            permits: Mutex::new(permits),
            available: Condvar::new(),
        }
    }

    fn acquire(&self) {
        let mut permits = self.permits.lock().unwrap();
        while *permits == 0 {
            permits = self.available.wait(permits).unwrap();
        }
        *permits -= 1;
    }

    fn release(&self) {
        *self.permits.lock().unwrap() += 1;
        self.available.notify_one();
    }
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group
}

fn semaphores(c: &mut Criterion) {
    let mut group = group(c, "semaphore");
    let sem = Semaphore::new(1);
    group.bench_function("Semaphore acquire+release", |b| {
        b.iter(|| drop(black_box(sem.acquire())))
    });
    let peer = StdSemaphore::new(1);
    group.bench_function("std Mutex+Condvar semaphore (peer)", |b| {
        b.iter(|| {
            peer.acquire();
            peer.release();
        })
    });
    group.finish();
}

/// Two events and a partner thread that answers every `ping` with a `pong`.
fn events(c: &mut Criterion) {
    let mut group = group(c, "event");
    let (ping, pong) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let partner = {
        let (ping, pong, stop) = (Arc::clone(&ping), Arc::clone(&pong), Arc::clone(&stop));
        std::thread::spawn(move || {
            loop {
                ping.wait();
                ping.clear();
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                pong.set();
            }
        })
    };
    group.bench_function("Event set/wait round trip", |b| {
        b.iter(|| {
            ping.set();
            pong.wait();
            pong.clear();
        })
    });
    stop.store(true, Ordering::Relaxed);
    ping.set();
    partner.join().unwrap();

    let (ping_tx, ping_rx) = channel::bounded::<()>(1);
    let (pong_tx, pong_rx) = channel::bounded::<()>(1);
    let partner = std::thread::spawn(move || {
        while ping_rx.recv().is_ok() {
            pong_tx.send(()).unwrap();
        }
    });
    group.bench_function("crossbeam bounded(1) round trip (peer)", |b| {
        b.iter(|| {
            ping_tx.send(()).unwrap();
            pong_rx.recv().unwrap();
        })
    });
    drop(ping_tx);
    partner.join().unwrap();
    group.finish();
}

fn lock_ordering(c: &mut Criterion) {
    let mut group = group(c, "lock_order");
    let (a, b) = (OrderedMutex::new(1, 0u64), OrderedMutex::new(2, 0u64));
    group.bench_function("lock_two (release: no order check)", |bench| {
        bench.iter(|| {
            let (mut ga, mut gb) = lock_two(black_box(&b), black_box(&a));
            *ga += 1;
            *gb += 1;
        })
    });
    let (a, b) = (parking_lot::Mutex::new(0u64), parking_lot::Mutex::new(0u64));
    group.bench_function("two parking_lot::Mutex locks (peer)", |bench| {
        bench.iter(|| {
            let (mut ga, mut gb) = (black_box(&a).lock(), black_box(&b).lock());
            *ga += 1;
            *gb += 1;
        })
    });
    group.finish();
}

criterion_group!(benches, semaphores, events, lock_ordering);
criterion_main!(benches);
