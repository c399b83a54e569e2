//! Models of the event pattern (seed 002 §2.4).

use super::leak;
use super::world::event::Event;
use super::world::event::flawed::{CheckThenWaitEvent, FlagEvent};
use super::world::sync::atomic::{AtomicBool, Ordering};
use super::world::sync::thread;
use super::world::sync::time::Duration;
use crate::harness::{Expect, Kind, Model};
use crate::outcomes::{Label, Outcome, OutcomeTest};
use crate::require;

/// What the models need of an event: the reference and the flawed ones all have it.
trait Gate: Default + Send + Sync + 'static {
    fn set(&self);
    fn clear(&self);
    fn wait(&self) -> bool;
    fn waiters(&self) -> usize;
}

macro_rules! gate {
    ($($t:ty),*) => {$(
        impl Gate for $t {
            fn set(&self) { <$t>::set(self) }
            fn clear(&self) { <$t>::clear(self) }
            fn wait(&self) -> bool { <$t>::wait(self) }
            fn waiters(&self) -> usize { <$t>::waiters(self) }
        }
    )*};
}
gate!(Event, CheckThenWaitEvent, FlagEvent);

fn spawn_waiters<G: Gate>(event: &'static G, n: usize) -> Vec<thread::JoinHandle<bool>> {
    (0..n)
        .map(|_| thread::spawn(move || event.wait()))
        .collect()
}

fn join_released(waiters: Vec<thread::JoinHandle<bool>>) {
    for waiter in waiters {
        let released = waiter.join().expect("waiter panicked");
        require!(released, Kind::Unclassified, "wait() returned false");
    }
}

// ANCHOR: set_releases_all_model
/// Two waiters start at any time, the main thread sets the event at any time: both waiters
/// return, whichever came first. (A waiter that sleeps through the set never returns, and the
/// checker reports the deadlock.)
fn set_releases_all<G: Gate>() {
    let event = leak(G::default());
    let waiters = spawn_waiters(event, 2);
    event.set();
    join_released(waiters);
}
// ANCHOR_END: set_releases_all_model

// ANCHOR: set_then_clear_model
/// Two waiters are asleep; the main thread sets the event and clears it at once, before they
/// run again. Both must return: they were released by the set.
fn set_then_clear<G: Gate>() {
    let event = leak(G::default());
    let waiters = spawn_waiters(event, 2);
    while event.waiters() < 2 {
        thread::yield_now();
    }
    event.set();
    event.clear();
    join_released(waiters);
}
// ANCHOR_END: set_then_clear_model

/// One waiter waits with a timeout, the main thread sets, clears and sets the event again (a
/// waiter arriving after the clear must still be released: loom never times out). The
/// waiter may time out (shuttle lets a timed wait time out at any point, loom never does), but
/// a `true` must mean a set happened, and a zero timeout must answer at once what the event is.
fn timed_wait() {
    let (event, setting) = (leak(Event::new()), leak(AtomicBool::new(false)));
    let waiter = {
        thread::spawn(move || {
            let polled = event.wait_timeout(Duration::ZERO);
            require!(
                !polled || setting.load(Ordering::SeqCst),
                Kind::Unclassified,
                "wait_timeout(0) returned true before any set"
            );
            let released = event.wait_timeout(Duration::from_secs(60));
            require!(
                !released || setting.load(Ordering::SeqCst),
                Kind::Unclassified,
                "wait_timeout returned true before any set"
            );
        })
    };
    setting.store(true, Ordering::SeqCst);
    event.set();
    event.clear();
    event.set();
    waiter.join().expect("waiter panicked");
}

/// The event's models.
pub fn models() -> Vec<Model> {
    let model =
        |variant, scenario, expect, body| Model::new("event", variant, scenario, expect, body);
    vec![
        model(
            "Event",
            "2 waiters, set",
            Expect::Holds,
            set_releases_all::<Event>,
        ),
        model(
            "Event",
            "2 waiters asleep, set then clear",
            Expect::Holds,
            set_then_clear::<Event>,
        ),
        model(
            "Event",
            "timed waiter, set, clear, set",
            Expect::Holds,
            timed_wait,
        ),
        model(
            "check then wait (flawed)",
            "2 waiters, set",
            Expect::Caught(Kind::Deadlock),
            set_releases_all::<CheckThenWaitEvent>,
        ),
        model(
            "flag re-read (flawed)",
            "2 waiters asleep, set then clear",
            Expect::Caught(Kind::Deadlock),
            set_then_clear::<FlagEvent>,
        ),
    ]
}

/// One waiter is asleep; the main thread sets the event and clears it at once. The outcome is
/// what `wait()` returned and what `is_set()` said when the waiter read it right after. (The
/// flawed `FlagEvent` cannot be tabulated here: its waiter sleeps through the set for good,
/// which the model above reports as a deadlock.)
fn set_then_clear_outcome() -> String {
    let event = leak(Event::new());
    let waiter = thread::spawn(move || {
        let released = event.wait();
        (released, event.is_set())
    });
    while event.waiters() < 1 {
        thread::yield_now();
    }
    event.set();
    event.clear();
    let (released, seen) = waiter.join().expect("waiter panicked");
    let seen = if seen { "set" } else { "clear" };
    format!("wait() = {released}, then is_set() = {seen}")
}

const SET_THEN_CLEAR: &[Outcome] = &[
    Outcome {
        value: "wait() = true, then is_set() = set",
        label: Label::Acceptable,
        meaning: "released, and ran before the clear",
    },
    Outcome {
        value: "wait() = true, then is_set() = clear",
        label: Label::Acceptable,
        meaning: "released by the set for good, though the clear ran first",
    },
    Outcome {
        value: "wait() = false, then is_set() = set",
        label: Label::Forbidden,
        meaning: "a wait without timeout gave up",
    },
    Outcome {
        value: "wait() = false, then is_set() = clear",
        label: Label::Forbidden,
        meaning: "a wait without timeout gave up",
    },
];

/// The event's outcome tables.
pub fn outcome_tests() -> Vec<OutcomeTest> {
    vec![OutcomeTest {
        pattern: "event",
        variant: "Event",
        scenario: "1 waiter asleep, set then clear",
        body: set_then_clear_outcome,
        outcomes: SET_THEN_CLEAR,
        flawed: false,
    }]
}
