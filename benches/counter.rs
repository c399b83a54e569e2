//! Counter increments, side by side: the kit's `LockingCounter` (parking_lot) and
//! `AtomicCounter`, against the peer a std user would write, `std::sync::Mutex<u64>`.
//! One thread (uncontended) and 2 threads hammering one counter (contended).
//!
//! The 2-threads measurement is wall time per round, a round being one increment by each of
//! the 2 threads: criterion's "time per iteration" there covers 2 increments, not one.
//!
//! `cargo bench -p threadproof --bench counter`. Results and the machine are recorded in the book's counter
//! chapter.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use threadproof::counter::{AtomicCounter, Counter, LockingCounter};

/// The peer: what a user without the kit writes.
#[derive(Default)]
struct StdMutexCounter(Mutex<u64>);

impl Counter for StdMutexCounter {
    fn increment(&self, offset: u64) {
        *self.0.lock().unwrap() += offset;
    }
    fn count(&self) -> u64 {
        *self.0.lock().unwrap()
    }
}

/// Time for `iters` increments per thread on `threads` threads sharing one counter.
fn contended<C: Counter + Default + 'static>(threads: usize, iters: u64) -> Duration {
    let counter = Arc::new(C::default());
    let barrier = Arc::new(std::sync::Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (counter, barrier) = (Arc::clone(&counter), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..iters {
                    counter.increment(black_box(1));
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for w in workers {
        w.join().unwrap();
    }
    let took = start.elapsed();
    assert_eq!(counter.count(), threads as u64 * iters);
    took
}

fn bench<C: Counter + Default + 'static>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("counter");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.bench_function(format!("{name}/1 thread"), |b| {
        let counter = C::default();
        b.iter(|| counter.increment(black_box(1)));
    });
    group.bench_function(format!("{name}/2 threads"), |b| {
        b.iter_custom(|iters| contended::<C>(2, iters.max(1)));
    });
    group.finish();
}

fn counters(c: &mut Criterion) {
    bench::<LockingCounter>(c, "LockingCounter (parking_lot)");
    bench::<StdMutexCounter>(c, "std Mutex<u64> (peer)");
    bench::<AtomicCounter>(c, "AtomicCounter");
}

criterion_group!(benches, counters);
criterion_main!(benches);
