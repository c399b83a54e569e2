//! Models of the counter pattern (seed 003 §2.3).

use super::world::counter::flawed::{RacyCounter, SplitLockCounter};
use super::world::counter::{AtomicCounter, Counter, LockingCounter};
use super::world::sync::{Arc, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::outcomes::{Label, Outcome, OutcomeTest};
use crate::require;

// ANCHOR: counter_model
/// `threads` threads each add 1 `increments` times; afterwards the count must be exact.
fn increments<C: Counter + Default + 'static>(threads: u64, increments: u64) {
    let counter = Arc::new(C::default());
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..increments {
                    counter.increment(1);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    let expected = threads * increments;
    let found = counter.count();
    require!(
        found == expected,
        Kind::LostUpdate,
        "Counter should be {expected}, got {found}"
    );
}
// ANCHOR_END: counter_model

/// One variant's models: 2 threads x 2 increments (loom, exhaustive: 90 schedules for the
/// locking counter; and shuttle), and the seed's 5 threads (x 10 increments, shuttle only).
fn variant<C: Counter + Default + 'static>(variant: &'static str, expect: Expect) -> [Model; 2] {
    [
        Model {
            pattern: "counter",
            variant,
            scenario: "2 threads x 2 increments",
            expect,
            body: || increments::<C>(2, 2),
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::DEFAULT,
        },
        Model {
            pattern: "counter",
            variant,
            scenario: "5 threads x 10 increments",
            expect,
            body: || increments::<C>(5, 10),
            loom: LoomPlan::Skip(
                "5 threads x 10 steps is beyond exhaustive search; 2 x 2 covers the race",
            ),
            shuttle: ShuttlePlan::DEFAULT,
        },
    ]
}

/// The counter's models.
pub fn models() -> Vec<Model> {
    [
        variant::<LockingCounter>("locking", Expect::Holds),
        variant::<AtomicCounter>("atomic", Expect::Holds),
        variant::<RacyCounter>("racy (flawed)", Expect::Caught(Kind::LostUpdate)),
        variant::<SplitLockCounter>("split lock (flawed)", Expect::Caught(Kind::LostUpdate)),
    ]
    .concat()
}

/// Two threads add 1 each; the outcome is the final count.
fn two_increments<C: Counter + Default + 'static>() -> String {
    let counter = Arc::new(C::default());
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || counter.increment(1))
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    counter.count().to_string()
}

const TWO_INCREMENTS: &[Outcome] = &[
    Outcome {
        value: "2",
        label: Label::Acceptable,
        meaning: "both increments counted",
    },
    Outcome {
        value: "1",
        label: Label::Forbidden,
        meaning: "lost update: both threads read 0",
    },
];

/// The counter's outcome tables: each variant, 2 threads x 1 increment.
pub fn outcome_tests() -> Vec<OutcomeTest> {
    let test = |variant, body, flawed| OutcomeTest {
        pattern: "counter",
        variant,
        scenario: "2 threads x 1 increment",
        body,
        outcomes: TWO_INCREMENTS,
        flawed,
    };
    vec![
        test("locking", two_increments::<LockingCounter>, false),
        test("atomic", two_increments::<AtomicCounter>, false),
        test("racy (flawed)", two_increments::<RacyCounter>, true),
        test(
            "split lock (flawed)",
            two_increments::<SplitLockCounter>,
            true,
        ),
    ]
}
