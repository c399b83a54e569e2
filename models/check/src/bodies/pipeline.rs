//! Models of the producer/consumer pipeline (seed 003 §2.5).
//!
//! Items are `u64`s equal to their input number, and every stage adds to them in a way that
//! says which stages an output went through, so a check can name the item that went missing,
//! came twice, or skipped a stage.

use std::convert::Infallible;

use super::world::pipeline::flawed::{CloseAll, ExitOnEmpty, FirstOutCloses};
use super::world::pipeline::{Builder, Cause, Graceful, Protocol, Report};
use super::world::sync::thread;
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::require;

// ANCHOR: accounting
/// Every accepted item (0 to `accepted - 1`) appears exactly once across the results
/// (`taken` by the caller and `outputs` collected by `finish`), the failures and the
/// abandoned, and each result is `want(item)`.
fn exactly_once(report: &Report<u64>, taken: &[(u64, u64)], want: impl Fn(u64) -> u64) {
    require!(
        report.taken == taken.len() as u64,
        Kind::LostItem,
        "the report counts {} results taken, the caller took {}",
        report.taken,
        taken.len()
    );
    let mut seen = vec![0u32; report.accepted as usize];
    let mut mark = |item: u64, how: &str| {
        require!(
            item < report.accepted,
            Kind::DuplicateItem,
            "{how} item {item}, but only {} were accepted",
            report.accepted
        );
        seen[item as usize] += 1;
        require!(
            seen[item as usize] == 1,
            Kind::DuplicateItem,
            "item {item} ended twice (the second time {how})"
        );
    };
    for &(item, value) in taken.iter().chain(&report.outputs) {
        mark(item, "delivered");
        require!(
            value == want(item),
            Kind::LostItem,
            "item {item} came out as {value}, not {}",
            want(item)
        );
    }
    for failure in &report.failures {
        mark(failure.item, "failed");
    }
    for abandoned in &report.abandoned {
        mark(abandoned.item, "abandoned");
    }
    if let Some(item) = seen.iter().position(|&n| n == 0) {
        require!(
            false,
            Kind::LostItem,
            "item {item} was accepted and never ended: {report:?}"
        );
    }
    require!(
        report.is_balanced(),
        Kind::LostItem,
        "unbalanced: {report:?}"
    );
}
// ANCHOR_END: accounting

// ANCHOR: close_drains_model
/// Two stages of one worker each (`x * 10`, then `+ 1`), queues of 2; the caller puts
/// `items` items, then `finish`es: closes the input, collects the results, joins. With no
/// failure, every item must come out of both stages: none abandoned, none lost.
fn close_drains<P: Protocol>(items: u64) {
    close_drains_with::<P>(1, items);
}

/// As [`close_drains`], with `workers` workers in the first stage: the second stage may stop
/// only after the **last** of them has left.
fn close_drains_with<P: Protocol>(workers: usize, items: u64) {
    let pipeline = Builder::<u64, u64, P>::with_protocol(2)
        .stage("times10", workers, 2, |x: u64| Ok::<_, Infallible>(x * 10))
        .stage("plus1", 1, 2, |x: u64| Ok::<_, Infallible>(x + 1))
        .start()
        .expect("a valid pipeline");
    for i in 0..items {
        let put = pipeline.put(i);
        require!(put == Ok(i), Kind::LostItem, "put {i} gave {put:?}");
    }
    let report = pipeline.finish();
    exactly_once(&report, &[], |i| i * 10 + 1);
    require!(
        report.failures.is_empty() && report.abandoned.is_empty(),
        Kind::LostItem,
        "a close with no failure lost items: {report:?}"
    );
}
// ANCHOR_END: close_drains_model

/// Two stages of one worker; the second fails on item 0. The caller puts 2 items (the
/// second may be refused and handed back), then finishes. The failure must reach the caller
/// with its stage and item, and every accepted item must end exactly once.
fn failure_stops() {
    let pipeline = Builder::<u64, u64, Graceful>::with_protocol(2)
        .stage("times10", 1, 2, |x: u64| Ok::<_, Infallible>(x * 10))
        .stage(
            "check",
            1,
            2,
            |x: u64| {
                if x == 0 { Err("zero") } else { Ok(x + 1) }
            },
        )
        .start()
        .expect("a valid pipeline");
    require!(pipeline.put(0) == Ok(0), Kind::LostItem, "put 0 refused");
    match pipeline.put(1) {
        Ok(n) => require!(n == 1, Kind::DuplicateItem, "item 1 numbered {n}"),
        Err(refused) => require!(
            refused.into_inner() == 1,
            Kind::LostItem,
            "a refused put handed back another item"
        ),
    }
    let report = pipeline.finish();
    exactly_once(&report, &[], |i| i * 10 + 1);
    let error = report.error();
    require!(
        error.is_some_and(|e| e.stage == 1
            && e.name == "check"
            && e.item == 0
            && e.cause == Cause::Failed("zero".into())),
        Kind::LostItem,
        "the failure of item 0 in stage 1 did not reach the caller: {error:?}"
    );
}

// ANCHOR: larger_model
/// For shuttle: three stages with 2, 2 and 1 workers and queues of 1; the middle stage fails
/// on item `fail_at` (if any) and the last panics on item `panic_at` (if any). A producer
/// thread puts 6 items while the caller takes results with `get`; then `finish`. Every
/// accepted item ends exactly once; refused items are handed back; with no failing item,
/// every item comes out; with one, a failure reaches the caller.
fn three_stages(fail_at: Option<u64>, panic_at: Option<u64>) {
    const ITEMS: u64 = 6;
    let pipeline = Builder::<u64, u64, Graceful>::with_protocol(1)
        .stage("times10", 2, 1, |x: u64| Ok::<_, Infallible>(x * 10))
        .stage("check", 2, 1, move |x: u64| {
            if Some(x / 10) == fail_at {
                Err(format!("bad {x}"))
            } else {
                Ok(x + 1)
            }
        })
        .stage("finish", 1, 1, move |x: u64| {
            if Some(x / 10) == panic_at {
                panic!("cannot finish {x}");
            }
            Ok::<_, Infallible>(x + 100)
        })
        .start()
        .expect("a valid pipeline");
    let pipeline = std::sync::Arc::new(pipeline);
    let producer = {
        let pipeline = std::sync::Arc::clone(&pipeline);
        thread::spawn(move || {
            let mut refused = 0;
            for i in 0..ITEMS {
                match pipeline.put(i) {
                    Ok(n) => require!(n == i - refused, Kind::DuplicateItem, "put {i} got {n}"),
                    Err(r) => {
                        require!(
                            r.into_inner() == i,
                            Kind::LostItem,
                            "refused {i}, handed back another"
                        );
                        refused += 1;
                    }
                }
            }
            pipeline.close();
            refused
        })
    };
    let taken: Vec<(u64, u64)> = pipeline.outputs().collect();
    let refused = producer.join().expect("the producer");
    let pipeline = std::sync::Arc::into_inner(pipeline).expect("the producer is gone");
    let report = pipeline.finish();
    require!(
        report.accepted + refused == ITEMS,
        Kind::LostItem,
        "{} accepted and {refused} refused of {ITEMS}",
        report.accepted
    );
    exactly_once(&report, &taken, |i| i * 10 + 101);
    let failing = [fail_at, panic_at].into_iter().flatten().count();
    if failing == 0 {
        require!(
            report.accepted == ITEMS && report.abandoned.is_empty(),
            Kind::LostItem,
            "no failure, and still not every item came out: {report:?}"
        );
    } else {
        require!(
            report.error().is_some(),
            Kind::LostItem,
            "no failure reported: {report:?}"
        );
    }
    for failure in &report.failures {
        let expected = match failure.stage {
            1 => {
                fail_at == Some(failure.item)
                    && failure.cause == Cause::Failed(format!("bad {}", failure.item * 10))
            }
            2 => {
                panic_at == Some(failure.item)
                    && failure.cause
                        == Cause::Panicked(format!("cannot finish {}", failure.item * 10 + 1))
            }
            _ => false,
        };
        require!(expected, Kind::Unclassified, "unexpected failure {failure}");
    }
}
// ANCHOR_END: larger_model

/// The pipeline's models.
pub fn models() -> Vec<Model> {
    use Expect::{Caught, Holds};
    const SMALL: LoomPlan = LoomPlan::Bounded {
        preemptions: 2,
        why: "the caller and 2 or 3 stage workers, each item a dozen lock and condvar steps \
              on 3 queues: exhaustive search ran over 10 minutes without finishing; with 2 \
              preemptions it is 700 to 40,000 schedules. The shutdown races (a stage \
              leaving, or its next queue closing, while an item is still upstream) need 1",
    };
    const LARGE: ShuttlePlan = ShuttlePlan {
        iterations: 1_000,
        pct_depth: 3,
    };
    let large = |scenario, body: fn()| Model {
        shuttle: LARGE,
        loom: LoomPlan::Skip("6 threads and 6 items are beyond exhaustive search"),
        ..Model::new("pipeline", "graceful", scenario, Holds, body)
    };
    let small = |variant, scenario, expect, body: fn()| Model {
        loom: SMALL,
        ..Model::new("pipeline", variant, scenario, expect, body)
    };
    vec![
        small(
            "graceful",
            "2 stages x 1 worker, 1 item, finish",
            Holds,
            || close_drains::<Graceful>(1),
        ),
        small(
            "graceful",
            "2 stages x 1 worker, 2 items, finish",
            Holds,
            || close_drains::<Graceful>(2),
        ),
        small(
            "graceful",
            "2 stages (2 workers, then 1), 2 items, finish",
            Holds,
            || close_drains_with::<Graceful>(2, 2),
        ),
        small(
            "graceful",
            "2 stages x 1 worker, 2 items, stage 2 fails on item 0",
            Holds,
            failure_stops,
        ),
        large(
            "3 stages (2, 2, 1 workers), 6 items, producer and consumer threads",
            || three_stages(None, None),
        ),
        large(
            "3 stages (2, 2, 1 workers), 6 items, stage 2 fails on item 3, stage 3 panics on item 4",
            || three_stages(Some(3), Some(4)),
        ),
        small(
            "close all at once (flawed)",
            "2 stages x 1 worker, 1 item, finish",
            Caught(Kind::LostItem),
            || close_drains::<CloseAll>(1),
        ),
        small(
            "exit on empty (flawed)",
            "2 stages x 1 worker, 1 item, finish",
            Caught(Kind::LostItem),
            || close_drains::<ExitOnEmpty>(1),
        ),
        small(
            "first out closes (flawed)",
            "2 stages (2 workers, then 1), 1 item, finish",
            Caught(Kind::LostItem),
            || close_drains_with::<FirstOutCloses>(2, 1),
        ),
    ]
}
