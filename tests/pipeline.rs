//! The pipeline on real threads: exact accounting across success, error and panic;
//! back-pressure from a slow last stage; shutdown that drains; bad configuration; and a
//! proptest over random shapes.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use threadproof::pipeline::{Cause, ConfigError, Pipeline, Report};

/// The stage panics below are expected; keep their messages out of the test output.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !msg.starts_with("stage panic") {
                default(info);
            }
        }));
    });
}

/// Every input number in `0..report.accepted` ends exactly once across `taken`, the
/// report's outputs, failures and abandoned; each result is `want(item)`.
fn assert_exactly_once(report: &Report<u64>, taken: &[(u64, u64)], want: impl Fn(u64) -> u64) {
    assert_eq!(report.taken, taken.len() as u64, "results taken");
    let mut ends = vec![Vec::new(); report.accepted as usize];
    for &(item, value) in taken.iter().chain(&report.outputs) {
        assert_eq!(value, want(item), "value of item {item}");
        ends[item as usize].push("delivered");
    }
    for f in &report.failures {
        ends[f.item as usize].push("failed");
    }
    for a in &report.abandoned {
        ends[a.item as usize].push("abandoned");
    }
    for (item, how) in ends.iter().enumerate() {
        assert_eq!(how.len(), 1, "item {item} ended {how:?}: {report:?}");
    }
    assert!(report.is_balanced());
}

/// Puts `0..items` from a producer thread while this thread takes the results; returns the
/// results taken, the items refused (handed back), and the report.
fn run(pipeline: Pipeline<u64, u64>, items: u64) -> (Vec<(u64, u64)>, Vec<u64>, Report<u64>) {
    let (taken, refused) = thread::scope(|s| {
        let producer = s.spawn(|| {
            let mut refused = Vec::new();
            for i in 0..items {
                match pipeline.put(i) {
                    Ok(n) => assert_eq!(n, i - refused.len() as u64, "input numbers are dense"),
                    Err(r) => refused.push(r.into_inner()),
                }
            }
            pipeline.close();
            refused
        });
        let taken: Vec<_> = pipeline.outputs().collect();
        (taken, producer.join().unwrap())
    });
    (taken, refused, pipeline.finish())
}

#[test]
fn success_delivers_every_item_once() {
    let pipeline = Pipeline::builder(4)
        .stage("times10", 3, 2, |x: u64| Ok::<_, Infallible>(x * 10))
        .stage("plus1", 2, 1, |x: u64| Ok::<_, Infallible>(x + 1))
        .stage("plus100", 1, 3, |x: u64| Ok::<_, Infallible>(x + 100))
        .start()
        .unwrap();
    let (taken, refused, report) = run(pipeline, 500);
    assert!(refused.is_empty());
    assert_eq!(report.accepted, 500);
    assert_eq!(taken.len(), 500, "every result reached the reader");
    assert!(report.failures.is_empty() && report.abandoned.is_empty());
    assert_exactly_once(&report, &taken, |i| i * 10 + 101);
}

#[test]
fn an_error_stops_the_pipeline_and_says_which_stage_and_item() {
    let pipeline = Pipeline::builder(2)
        .stage("times10", 2, 2, |x: u64| Ok::<_, Infallible>(x * 10))
        .stage("check", 2, 2, |x: u64| {
            if x == 370 {
                Err(format!("bad value {x}"))
            } else {
                Ok(x + 1)
            }
        })
        .stage("plus100", 1, 2, |x: u64| Ok::<_, Infallible>(x + 100))
        .start()
        .unwrap();
    let (taken, refused, report) = run(pipeline, 1000);
    assert_exactly_once(&report, &taken, |i| i * 10 + 101);
    assert_eq!(report.accepted + refused.len() as u64, 1000);
    assert!(!refused.is_empty(), "the stop refused later input");
    let error = report.error().expect("the failure reached the caller");
    assert_eq!(
        (error.stage, error.name.as_str(), error.item),
        (1, "check", 37)
    );
    assert_eq!(error.cause, Cause::Failed("bad value 370".into()));
    assert_eq!(
        error.to_string(),
        "stage 1 (check) failed on item 37: bad value 370"
    );
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.clone().into_result().unwrap_err(), *error);
}

#[test]
fn a_panic_stops_the_pipeline_and_is_reported() {
    quiet_panics();
    let pipeline = Pipeline::builder(3)
        .stage("times10", 1, 3, |x: u64| Ok::<_, Infallible>(x * 10))
        .stage("explode", 3, 1, |x: u64| {
            if x == 50 {
                panic!("stage panic at {x}");
            }
            Ok::<_, Infallible>(x + 101)
        })
        .start()
        .unwrap();
    let (taken, refused, report) = run(pipeline, 300);
    assert_exactly_once(&report, &taken, |i| i * 10 + 101);
    assert_eq!(report.accepted + refused.len() as u64, 300);
    let error = report.error().expect("the panic reached the caller");
    assert_eq!((error.stage, error.item), (1, 5));
    assert_eq!(error.cause, Cause::Panicked("stage panic at 50".into()));
    // Items taken before the stop finished normally; the first failure is the only one.
    assert_eq!(report.failures.len(), 1);
}

#[test]
fn the_report_alone_accounts_when_nobody_reads() {
    // No reader: `finish` collects every result.
    let pipeline = Pipeline::builder(100)
        .stage("double", 2, 100, |x: u64| Ok::<_, Infallible>(x * 2))
        .start()
        .unwrap();
    for i in 0..50 {
        pipeline.put(i).unwrap();
    }
    let report = pipeline.finish();
    assert_eq!(report.taken, 0);
    assert_exactly_once(&report, &[], |i| i * 2);
    let values = report.into_result().unwrap();
    assert_eq!(
        values,
        (0..50).map(|i| i * 2).collect::<Vec<_>>(),
        "into_result sorts by input"
    );
}

#[test]
fn a_slow_last_stage_blocks_the_producer() {
    let open = Arc::new(AtomicBool::new(false));
    let gate = Arc::clone(&open);
    // Input queue 2; stage 0: 1 worker, 3 results may wait; stage 1 (last): 2 workers, held
    // at a gate. With the gate shut, at most 2 + 1 + 3 + 2 = 8 items can be accepted: 2 in
    // the input queue, 1 in stage 0's worker (blocked putting), 3 in stage 0's output queue,
    // 2 in stage 1's workers.
    let pipeline = Pipeline::builder(2)
        .stage("fast", 1, 3, |x: u64| Ok::<_, Infallible>(x))
        .stage("slow", 2, 4, move |x: u64| {
            while !gate.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
            Ok::<_, Infallible>(x)
        })
        .start()
        .unwrap();
    let capacities = pipeline.capacities();
    assert_eq!(capacities, [2, 3, 4]);
    let accepted = AtomicU64::new(0);
    thread::scope(|s| {
        let producer = s.spawn(|| {
            for i in 0..20 {
                pipeline.put(i).unwrap();
                accepted.fetch_add(1, Ordering::SeqCst);
            }
            pipeline.close();
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while accepted.load(Ordering::SeqCst) < 8 {
            assert!(
                Instant::now() < deadline,
                "the producer never got 8 items in"
            );
            thread::sleep(Duration::from_millis(1));
        }
        // Give it time to overrun, watching every queue.
        let watch = Instant::now();
        while watch.elapsed() < Duration::from_millis(200) {
            for (len, cap) in pipeline.backlog().iter().zip(&capacities) {
                assert!(len <= cap, "a queue over capacity: {len} > {cap}");
            }
            thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            8,
            "the producer got past the bound"
        );
        assert!(!producer.is_finished(), "the producer is blocked in put");
        assert_eq!(pipeline.backlog(), [2, 3, 0], "full up to the slow stage");
        open.store(true, Ordering::SeqCst);
        let mut got: Vec<u64> = pipeline.outputs().map(|(_, x)| x).collect();
        got.sort();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
    });
    let report = pipeline.finish();
    assert!(report.is_balanced() && report.error().is_none());
}

#[test]
fn close_drains_every_stage_in_order() {
    let calls: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
    let c = [Arc::clone(&calls), Arc::clone(&calls), Arc::clone(&calls)];
    let [c0, c1, c2] = c;
    let pipeline = Pipeline::builder(8)
        .stage("a", 2, 2, move |x: u64| {
            c0[0].fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(x)
        })
        .stage("b", 1, 2, move |x: u64| {
            thread::sleep(Duration::from_micros(200));
            c1[1].fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(x)
        })
        .stage("c", 2, 64, move |x: u64| {
            c2[2].fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(x + 1)
        })
        .start()
        .unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..60 {
                pipeline.put(i).unwrap();
            }
            pipeline.close(); // while most items are still upstream
            assert!(
                pipeline.put(99).is_err_and(|r| r.into_inner() == 99),
                "handed back"
            );
        });
    });
    let report = pipeline.finish();
    assert_exactly_once(&report, &[], |i| i + 1);
    assert_eq!(report.outputs.len(), 60);
    for (stage, count) in calls.iter().enumerate() {
        assert_eq!(
            count.load(Ordering::SeqCst),
            60,
            "stage {stage} saw every item"
        );
    }
}

#[test]
fn dropping_a_pipeline_drains_and_joins() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let pipeline = Pipeline::builder(16)
        .stage("slow", 2, 1, |x: u64| {
            thread::sleep(Duration::from_micros(100));
            Ok::<_, Infallible>(x)
        })
        .stage("count", 1, 1, move |x: u64| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(x)
        })
        .start()
        .unwrap();
    for i in 0..16 {
        pipeline.put(i).unwrap();
    }
    drop(pipeline); // no close, no reader: drop closes, drains the output, joins
    assert_eq!(seen.load(Ordering::SeqCst), 16);
}

#[test]
fn bad_configuration_is_an_error_not_a_panic() {
    let ok = |x: u64| Ok::<_, Infallible>(x);
    let e = Pipeline::<u64, u64>::builder(0)
        .stage("a", 1, 1, ok)
        .start()
        .unwrap_err();
    assert_eq!(e, ConfigError::ZeroCapacity { stage: None });
    let e = Pipeline::builder(1)
        .stage("a", 1, 1, ok)
        .stage("b", 0, 1, ok)
        .start()
        .unwrap_err();
    assert_eq!(e, ConfigError::ZeroWorkers { stage: 1 });
    assert_eq!(e.to_string(), "stage 1 needs at least one worker");
    let e = Pipeline::builder(1)
        .stage("a", 1, 0, ok)
        .start()
        .unwrap_err();
    assert_eq!(e, ConfigError::ZeroCapacity { stage: Some(0) });
    let e = Pipeline::<u64, u64>::builder(1).start().unwrap_err();
    assert_eq!(e, ConfigError::NoStages);
}

/// A stage in a random pipeline: workers, output capacity.
fn shape() -> impl Strategy<Value = (usize, usize)> {
    (1usize..=3, 1usize..=3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random stage counts, worker counts, capacities and item counts, with at most one
    /// failing item (an error or a panic, in a random stage): every accepted item ends
    /// exactly once, refused items are handed back, the failure is the one planted, and with
    /// none every item comes out.
    #[test]
    fn every_item_ends_exactly_once(
        input_capacity in 1usize..=3,
        stages in prop::collection::vec(shape(), 1..=4),
        items in 0u64..40,
        failure in prop::option::of((0usize..4, 0u64..40, any::<bool>())),
    ) {
        quiet_panics();
        let n = stages.len();
        let failure = failure.map(|(stage, item, panics)| (stage % n, item, panics));
        let mut builder = Pipeline::builder(input_capacity)
            .stage("s0", 1, 1, |x: u64| Ok::<_, String>(x));
        // Stage k adds 1; the planted failure hits `item` (`x - k` recovers it) in its stage.
        for (k, &(workers, capacity)) in stages.iter().enumerate() {
            builder = builder.stage("s", workers, capacity, move |x: u64| {
                match failure {
                    Some((stage, item, panics)) if stage == k && x - k as u64 == item => {
                        if panics {
                            panic!("stage panic on {item}");
                        }
                        Err(format!("fails on {item}"))
                    }
                    _ => Ok(x + 1),
                }
            });
        }
        let (taken, refused, report) = run(builder.start().unwrap(), items);
        assert_exactly_once(&report, &taken, |i| i + n as u64);
        prop_assert_eq!(report.accepted + refused.len() as u64, items);
        let planted = failure.filter(|&(_, item, _)| item < items);
        match (planted, report.error()) {
            (None, None) => {
                prop_assert_eq!(report.accepted, items);
                prop_assert_eq!(taken.len() as u64, items);
            }
            (Some((stage, item, panics)), Some(error)) => {
                prop_assert_eq!((error.stage, error.item), (stage + 1, item));
                prop_assert_eq!(matches!(error.cause, Cause::Panicked(_)), panics);
                prop_assert_eq!(report.failures.len(), 1);
            }
            (planted, got) => prop_assert!(false, "planted {:?}, reported {:?}", planted, got),
        }
    }
}
