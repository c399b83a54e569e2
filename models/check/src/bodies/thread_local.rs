//! Models of the per-thread context pattern (seed 003 §2.4).

use std::cell::RefCell;

use super::world::sync::atomic::{AtomicUsize, Ordering};
use super::world::sync::{Arc, thread, thread_local};
use super::world::thread_local::flawed::{SharedSlot, handle_request_leaky};
use super::world::thread_local::school::{LOCAL_SCHOOL, process_thread};
use super::world::thread_local::{Context, ThreadContext, handle_request};
use crate::harness::{Expect, Kind, LoomPlan, Model};
use crate::outcomes::{Label, Outcome, OutcomeTest};
use crate::require;

// ANCHOR: students_model
/// The seed's program: Thread-A binds Alice, Thread-B binds Bob, each greets its own student
/// from a nested call.
fn students<C: Context<String> + Send + 'static>(school: C) {
    let school = Arc::new(school);
    let threads: Vec<_> = [("Thread-A", "Alice"), ("Thread-B", "Bob")]
        .into_iter()
        .map(|(thread_name, student)| {
            let school = Arc::clone(&school);
            thread::Builder::new()
                .name(thread_name.to_string())
                .spawn(move || {
                    let greeting = process_thread(&*school, student);
                    let expected = format!("Hello, {student} (in {thread_name})");
                    require!(
                        greeting.as_deref() == Ok(expected.as_str()),
                        Kind::CrossTalk,
                        "{thread_name} bound {student} but printed {greeting:?}"
                    );
                })
                .expect("spawn")
        })
        .collect();
    for t in threads {
        t.join().expect("student thread panicked");
    }
}
// ANCHOR_END: students_model

fn students_thread_local() {
    students(LOCAL_SCHOOL);
}

fn students_shared_slot() {
    students(SharedSlot::<String>::default());
}

/// A value whose drop is counted.
struct Connection(Arc<AtomicUsize>);

impl Drop for Connection {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static CONNECTION_SLOT: RefCell<Option<Connection>> = RefCell::new(None);
}
static CONNECTION: ThreadContext<Connection> = ThreadContext::new(&CONNECTION_SLOT);

/// Two threads each bind a connection; each is dropped exactly once when its thread ends, and
/// a thread started afterwards finds nothing bound.
fn dropped_at_thread_end() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let dropped = Arc::clone(&dropped);
            thread::spawn(move || {
                CONNECTION.set(Connection(dropped));
                require!(
                    CONNECTION.with(|c| c.is_some()),
                    Kind::CrossTalk,
                    "bound a connection and found none"
                );
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread panicked");
    }
    let count = dropped.load(Ordering::SeqCst);
    require!(
        count == 2,
        Kind::Leak,
        "2 threads ended, {count} connections dropped"
    );
    let fresh = thread::spawn(|| CONNECTION.with(|c| c.is_none()));
    require!(
        fresh.join().expect("fresh thread panicked"),
        Kind::StaleContext,
        "a new thread found a connection bound"
    );
}

thread_local! {
    static USER_SLOT: RefCell<Option<String>> = RefCell::new(None);
}
static USER: ThreadContext<String> = ThreadContext::new(&USER_SLOT);

type Handler = fn(&ThreadContext<String>, Option<&str>) -> Option<String>;

// ANCHOR: worker_model
/// Two worker threads each serve their user's request and then an anonymous one: the anonymous
/// request must run as nobody, and no worker may see the other's user.
fn worker_reuse(handle: Handler) {
    let workers: Vec<_> = ["ada", "grace"]
        .into_iter()
        .map(|user| {
            thread::spawn(move || {
                let first = handle(&USER, Some(user));
                require!(
                    first.as_deref() == Some(user),
                    Kind::CrossTalk,
                    "{user}'s request ran as {first:?}"
                );
                let second = handle(&USER, None);
                require!(
                    second.is_none(),
                    Kind::StaleContext,
                    "the anonymous request after {user}'s ran as {second:?}"
                );
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked");
    }
}
// ANCHOR_END: worker_model

fn worker_reference() {
    worker_reuse(|context, user| handle_request(context, user, || context.get()));
}

fn worker_leaky() {
    worker_reuse(|context, user| handle_request_leaky(context, user, || context.get()));
}

/// The thread-local models.
pub fn models() -> Vec<Model> {
    let model = |variant, scenario, expect, body| {
        Model::new("thread_local", variant, scenario, expect, body)
    };
    vec![
        model(
            "ThreadContext",
            "Alice and Bob bind, nested call reads",
            Expect::Holds,
            students_thread_local,
        ),
        model(
            "shared slot (flawed)",
            "Alice and Bob bind, nested call reads",
            Expect::Caught(Kind::CrossTalk),
            students_shared_slot,
        ),
        Model {
            loom: LoomPlan::Skip(
                "loom drops thread-locals outside its model of the thread, so join does not order the drop",
            ),
            ..model(
                "ThreadContext",
                "value dropped at thread end",
                Expect::Holds,
                dropped_at_thread_end,
            )
        },
        model(
            "handle_request",
            "worker reused for 2 requests",
            Expect::Holds,
            worker_reference,
        ),
        model(
            "leaky worker (flawed)",
            "worker reused for 2 requests",
            Expect::Caught(Kind::StaleContext),
            worker_leaky,
        ),
    ]
}

/// Thread-A binds Alice and Thread-B binds Bob; the outcome is whom each one's nested call read.
fn who_read_whom<C: Context<String> + Send + 'static>(school: C) -> String {
    let school = Arc::new(school);
    let read = |student: &'static str| {
        let school = Arc::clone(&school);
        thread::spawn(move || {
            school.set(student.to_string());
            school.get().unwrap_or_default()
        })
    };
    let (a, b) = (read("Alice"), read("Bob"));
    let a = a.join().expect("Thread-A panicked");
    let b = b.join().expect("Thread-B panicked");
    format!("A read {a}, B read {b}")
}

const WHO_READ_WHOM: &[Outcome] = &[
    Outcome {
        value: "A read Alice, B read Bob",
        label: Label::Acceptable,
        meaning: "each thread reads its own student",
    },
    Outcome {
        value: "A read Bob, B read Bob",
        label: Label::Forbidden,
        meaning: "cross-talk: B bound Bob between A's bind and A's read",
    },
    Outcome {
        value: "A read Alice, B read Alice",
        label: Label::Forbidden,
        meaning: "cross-talk: A bound Alice between B's bind and B's read",
    },
    Outcome {
        value: "A read Bob, B read Alice",
        label: Label::Forbidden,
        meaning: "impossible even for one shared slot: the last bind wins both reads",
    },
];

/// The per-thread context's outcome tables.
pub fn outcome_tests() -> Vec<OutcomeTest> {
    let test = |variant, body, flawed| OutcomeTest {
        pattern: "thread_local",
        variant,
        scenario: "Alice and Bob bind, then read",
        body,
        outcomes: WHO_READ_WHOM,
        flawed,
    };
    vec![
        test("ThreadContext", || who_read_whom(LOCAL_SCHOOL), false),
        test(
            "shared slot (flawed)",
            || who_read_whom(SharedSlot::<String>::default()),
            true,
        ),
    ]
}
