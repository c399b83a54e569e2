//! Models of the semaphores (seed 001, mid-level concurrency).

use super::leak;
use super::world::semaphore::flawed::{RacyBoundedSemaphore, SilentSemaphore};
use super::world::semaphore::{BoundedSemaphore, OverRelease, Semaphore};
use super::world::sync::atomic::{AtomicUsize, Ordering};
use super::world::sync::thread;
use super::world::sync::time::Duration;
use crate::harness::{Expect, Kind, LoomPlan, Model};
use crate::outcomes::{Label, Outcome, OutcomeTest};
use crate::require;

// ANCHOR: permits_model
/// Three threads share two permits: at most two are ever inside, and every permit comes back.
fn at_most_count() {
    let (sem, inside) = (leak(Semaphore::new(2)), leak(AtomicUsize::new(0)));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(move || {
                let _permit = sem.acquire();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                require!(now <= 2, Kind::OverPermit, "{now} threads hold 2 permits");
                inside.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    let available = sem.available();
    require!(
        available == 2,
        Kind::Leak,
        "{available} permits available after all returned, not 2"
    );
}
// ANCHOR_END: permits_model

/// Raw acquire and release(n), as the flawed semaphore has them.
trait Raw: Send + Sync + 'static {
    fn with(permits: usize) -> Self;
    fn take(&self);
    fn give(&self, n: usize);
}

impl Raw for Semaphore {
    fn with(permits: usize) -> Self {
        Semaphore::new(permits)
    }
    fn take(&self) {
        self.acquire().forget();
    }
    fn give(&self, n: usize) {
        self.release(n);
    }
}

impl Raw for SilentSemaphore {
    fn with(permits: usize) -> Self {
        SilentSemaphore::new(permits)
    }
    fn take(&self) {
        self.acquire();
    }
    fn give(&self, n: usize) {
        self.release(n);
    }
}

// ANCHOR: release_wakes_model
/// Two threads wait on an empty semaphore; the main thread releases two permits at once. Both
/// must get one (a waiter left asleep is reported by the checker as a deadlock).
fn release_wakes<S: Raw>() {
    let sem = leak(S::with(0));
    let acquirers: Vec<_> = (0..2).map(|_| thread::spawn(move || sem.take())).collect();
    sem.give(2);
    for acquirer in acquirers {
        acquirer.join().expect("acquirer panicked");
    }
}
// ANCHOR_END: release_wakes_model

/// A thread waits for a permit with a timeout while the main thread releases one. The wait
/// may or may not time out (the checkers decide), but the permit is never lost or doubled: it
/// is either in the waiter's hands or back in the semaphore.
fn timed_acquire() {
    let sem = leak(Semaphore::new(0));
    let waiter = thread::spawn(move || {
        sem.acquire_timeout(Duration::from_secs(60))
            .map(|permit| permit.forget())
            .is_some()
    });
    sem.release(1);
    let got = usize::from(waiter.join().expect("waiter panicked"));
    let available = sem.available();
    require!(
        got + available == 1,
        Kind::Leak,
        "1 permit released: {got} taken, {available} available"
    );
}

/// What the bounded models need: release(n) with the error, and the count.
trait Bounded: Send + Sync + 'static {
    fn with(permits: usize) -> Self;
    fn take(&self);
    fn give(&self, n: usize) -> Result<(), OverRelease>;
    fn available(&self) -> usize;
}

impl Bounded for BoundedSemaphore {
    fn with(permits: usize) -> Self {
        BoundedSemaphore::new(permits)
    }
    fn take(&self) {
        self.acquire().forget();
    }
    fn give(&self, n: usize) -> Result<(), OverRelease> {
        self.release(n)
    }
    fn available(&self) -> usize {
        BoundedSemaphore::available(self)
    }
}

impl Bounded for RacyBoundedSemaphore {
    fn with(permits: usize) -> Self {
        RacyBoundedSemaphore::new(permits)
    }
    fn take(&self) {
        self.acquire();
    }
    fn give(&self, n: usize) -> Result<(), OverRelease> {
        self.release(n)
    }
    fn available(&self) -> usize {
        RacyBoundedSemaphore::available(self)
    }
}

// ANCHOR: over_release_model
/// A bound of 2 with one permit out; two threads each release one. Returns how many releases
/// were accepted and how many permits are available afterwards.
fn release_race<S: Bounded>() -> (usize, usize) {
    let sem = leak(S::with(2));
    sem.take();
    let releasers: Vec<_> = (0..2)
        .map(|_| thread::spawn(move || sem.give(1).is_ok()))
        .collect();
    let accepted = releasers
        .into_iter()
        .map(|r| r.join().expect("releaser panicked"))
        .filter(|&ok| ok)
        .count();
    (accepted, sem.available())
}

/// Exactly one release fits: the other must be refused, and the count must end at the bound.
fn racing_releases<S: Bounded>() {
    let (accepted, available) = release_race::<S>();
    require!(
        available <= 2,
        Kind::OverPermit,
        "{available} permits available, bound 2"
    );
    require!(
        accepted == 1,
        Kind::OverPermit,
        "{accepted} of 2 releases accepted with room for 1"
    );
}
// ANCHOR_END: over_release_model

/// The semaphores' models.
pub fn models() -> Vec<Model> {
    let model =
        |variant, scenario, expect, body| Model::new("semaphore", variant, scenario, expect, body);
    vec![
        Model {
            loom: LoomPlan::Bounded {
                preemptions: 3,
                why: "3 threads on one count do not finish exhaustively in minutes; 3 preemptions \
                      put every thread between any other's acquire and release",
            },
            ..model(
                "Semaphore",
                "3 threads, 2 permits",
                Expect::Holds,
                at_most_count,
            )
        },
        model(
            "Semaphore",
            "2 waiters, release(2)",
            Expect::Holds,
            release_wakes::<Semaphore>,
        ),
        model(
            "Semaphore",
            "timed acquirer, release(1)",
            Expect::Holds,
            timed_acquire,
        ),
        model(
            "BoundedSemaphore",
            "2 releases race for 1 place",
            Expect::Holds,
            racing_releases::<BoundedSemaphore>,
        ),
        model(
            "silent release (flawed)",
            "2 waiters, release(2)",
            Expect::Caught(Kind::Deadlock),
            release_wakes::<SilentSemaphore>,
        ),
        model(
            "racy bound check (flawed)",
            "2 releases race for 1 place",
            Expect::Caught(Kind::OverPermit),
            racing_releases::<RacyBoundedSemaphore>,
        ),
    ]
}

/// The release race as an outcome: releases accepted, permits available.
fn racing_releases_outcome<S: Bounded>() -> String {
    let (accepted, available) = release_race::<S>();
    format!("{accepted} accepted, {available} available")
}

const RACING_RELEASES: &[Outcome] = &[
    Outcome {
        value: "1 accepted, 2 available",
        label: Label::Acceptable,
        meaning: "one release fits, the other is refused",
    },
    Outcome {
        value: "2 accepted, 3 available",
        label: Label::Forbidden,
        meaning: "over-permit: both passed the bound check before either added",
    },
];

/// The semaphores' outcome tables.
pub fn outcome_tests() -> Vec<OutcomeTest> {
    let test = |variant, body, flawed| OutcomeTest {
        pattern: "semaphore",
        variant,
        scenario: "bound 2, 1 permit out, 2 threads release 1",
        body,
        outcomes: RACING_RELEASES,
        flawed,
    };
    vec![
        test(
            "BoundedSemaphore",
            racing_releases_outcome::<BoundedSemaphore>,
            false,
        ),
        test(
            "racy bound check (flawed)",
            racing_releases_outcome::<RacyBoundedSemaphore>,
            true,
        ),
    ]
}
