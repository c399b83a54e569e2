//! `BoundedQueue` against crossbeam-channel `bounded`, std `sync_channel` and flume `bounded`:
//! spsc (1:1), mpsc (4:1) and mpmc (2:2) at capacity 1 and 64. One iteration moves
//! `MESSAGES` messages from the producers to the consumers, thread start-up included; the
//! chapter's table divides by `MESSAGES` for ns per message.
//!
//! std's `Receiver` cannot be shared, so std has no mpmc row.
//!
//! `cargo bench -p threadproof --bench queue` (about a minute: 10 samples per case, 1 s of measurement).

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use threadproof::queue::BoundedQueue;

/// Messages per iteration, split evenly among the producers.
const MESSAGES: usize = 10_000;

/// Each producer's share of the messages.
fn share(producers: usize) -> usize {
    MESSAGES / producers
}

fn bounded_queue(producers: usize, consumers: usize, cap: usize) {
    let queue = Arc::new(BoundedQueue::new(cap));
    thread::scope(|s| {
        let consumer_threads: Vec<_> = (0..consumers)
            .map(|_| {
                let queue = &queue;
                s.spawn(move || {
                    let mut n = 0usize;
                    while let Ok(v) = queue.get() {
                        n += black_box(v);
                    }
                    n
                })
            })
            .collect();
        let producer_threads: Vec<_> = (0..producers)
            .map(|_| {
                let queue = &queue;
                s.spawn(move || {
                    for i in 0..share(producers) {
                        queue.put(i).unwrap();
                    }
                })
            })
            .collect();
        for p in producer_threads {
            p.join().unwrap();
        }
        queue.close();
        for c in consumer_threads {
            black_box(c.join().unwrap());
        }
    });
}

/// A channel whose senders and receivers are cloned per thread and disconnect on drop.
macro_rules! channel_run {
    ($name:ident, $make:expr) => {
        fn $name(producers: usize, consumers: usize, cap: usize) {
            let (tx, rx) = $make(cap);
            thread::scope(|s| {
                for _ in 0..consumers {
                    let rx = rx.clone();
                    s.spawn(move || {
                        let mut n = 0usize;
                        while let Ok(v) = rx.recv() {
                            n += black_box(v);
                        }
                        n
                    });
                }
                drop(rx);
                for _ in 0..producers {
                    let tx = tx.clone();
                    s.spawn(move || {
                        for i in 0..share(producers) {
                            tx.send(i).unwrap();
                        }
                    });
                }
                drop(tx);
            });
        }
    };
}

channel_run!(crossbeam_bounded, crossbeam::channel::bounded::<usize>);
channel_run!(flume_bounded, flume::bounded::<usize>);

fn std_sync_channel(producers: usize, consumers: usize, cap: usize) {
    assert_eq!(consumers, 1, "std's Receiver cannot be shared");
    let (tx, rx) = std::sync::mpsc::sync_channel::<usize>(cap);
    thread::scope(|s| {
        let consumer = s.spawn(move || {
            let mut n = 0usize;
            while let Ok(v) = rx.recv() {
                n += black_box(v);
            }
            n
        });
        for _ in 0..producers {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..share(producers) {
                    tx.send(i).unwrap();
                }
            });
        }
        drop(tx);
        black_box(consumer.join().unwrap());
    });
}

type Run = fn(usize, usize, usize);

fn queues(c: &mut Criterion) {
    let shapes = [("spsc", 1, 1), ("mpsc 4:1", 4, 1), ("mpmc 2:2", 2, 2)];
    let impls: [(&str, Run); 4] = [
        ("BoundedQueue", bounded_queue),
        ("crossbeam bounded", crossbeam_bounded),
        ("std sync_channel", std_sync_channel),
        ("flume bounded", flume_bounded),
    ];
    for (shape, producers, consumers) in shapes {
        for cap in [1, 64] {
            let mut group = c.benchmark_group(format!("{shape} cap {cap}"));
            group.throughput(Throughput::Elements(MESSAGES as u64));
            for (name, run) in impls {
                if name.starts_with("std") && consumers > 1 {
                    continue;
                }
                group.bench_function(BenchmarkId::from_parameter(name), |b| {
                    b.iter(|| run(producers, consumers, cap));
                });
            }
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = queues
}
criterion_main!(benches);
