//! Reading a per-thread context: the kit's `ThreadContext::get` and `with`, against the raw
//! `thread_local!` + `RefCell` a user would write by hand, and against the flawed
//! `SharedSlot` (a mutex every thread shares). `scope` (bind, run, restore) too.
//!
//! `cargo bench -p threadproof --bench thread_local`. Results and the machine are in the book's chapter.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use threadproof::thread_local::flawed::SharedSlot;
use threadproof::thread_local::{Context, ThreadContext};

thread_local! {
    static RAW: RefCell<Option<String>> = const { RefCell::new(None) };
}

threadproof::sync::thread_local! {
    static SLOT: RefCell<Option<String>> = RefCell::new(None);
}
static USER: ThreadContext<String> = ThreadContext::new(&SLOT);

fn reads(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_local");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));

    RAW.with(|r| *r.borrow_mut() = Some("ada".into()));
    USER.set("ada".into());
    let shared = SharedSlot::default();
    shared.set("ada".to_string());

    group.bench_function("raw thread_local! with/borrow (peer)", |b| {
        b.iter(|| RAW.with(|r| black_box(r.borrow().as_ref().map(String::len))))
    });
    group.bench_function("ThreadContext::with", |b| {
        b.iter(|| USER.with(|u| black_box(u.map(String::len))))
    });
    group.bench_function("ThreadContext::get (clones)", |b| {
        b.iter(|| black_box(USER.get()))
    });
    group.bench_function("ThreadContext::scope", |b| {
        b.iter(|| USER.scope(black_box("grace".to_string()), || black_box(1)))
    });
    group.bench_function("SharedSlot::get (flawed, one mutex)", |b| {
        b.iter(|| black_box(shared.get()))
    });
    group.finish();
}

criterion_group!(benches, reads);
criterion_main!(benches);
