//! The per-thread context on real threads, and its sequential behaviour against a model.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use threadproof::sync::thread_local;
use threadproof::thread_local::flawed::handle_request_leaky;
use threadproof::thread_local::school::{LOCAL_SCHOOL, NoStudent, process_student, process_thread};
use threadproof::thread_local::{ThreadContext, handle_request};

thread_local! {
    static NAME_SLOT: RefCell<Option<String>> = RefCell::new(None);
}
static NAME: ThreadContext<String> = ThreadContext::new(&NAME_SLOT);

#[test]
fn the_seeds_program_greets_each_threads_own_student() {
    let spawn = |thread_name: &str, student: &'static str| {
        std::thread::Builder::new()
            .name(thread_name.into())
            .spawn(move || process_thread(&LOCAL_SCHOOL, student))
            .unwrap()
    };
    let a = spawn("Thread-A", "Alice");
    let b = spawn("Thread-B", "Bob");
    assert_eq!(a.join().unwrap().unwrap(), "Hello, Alice (in Thread-A)");
    assert_eq!(b.join().unwrap().unwrap(), "Hello, Bob (in Thread-B)");
}

#[test]
fn process_student_without_a_student_is_an_error_not_a_panic() {
    let result = std::thread::spawn(|| process_student(&LOCAL_SCHOOL))
        .join()
        .unwrap();
    assert_eq!(result, Err(NoStudent));
    assert!(NoStudent.to_string().contains("process_thread"));
}

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

#[test]
fn the_value_is_dropped_when_its_thread_ends() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&dropped);
    std::thread::spawn(move || {
        CONNECTION.set(Connection(d));
    })
    .join()
    .unwrap();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    let fresh = std::thread::spawn(|| CONNECTION.with(|c| c.is_none()));
    assert!(fresh.join().unwrap(), "a new thread must start unbound");
}

#[test]
fn scope_restores_the_previous_value_even_when_the_call_panics() {
    std::thread::spawn(|| {
        NAME.set("outer".into());
        let result = catch_unwind(AssertUnwindSafe(|| {
            NAME.scope("inner".to_string(), || {
                assert_eq!(NAME.get().as_deref(), Some("inner"));
                panic!("task failed");
            })
        }));
        assert!(result.is_err());
        assert_eq!(NAME.get().as_deref(), Some("outer"));
        NAME.scope(None, || assert_eq!(NAME.get(), None));
        assert_eq!(NAME.get().as_deref(), Some("outer"));
    })
    .join()
    .unwrap();
}

#[test]
fn a_reused_worker_leaks_context_only_in_the_flawed_handler() {
    std::thread::spawn(|| {
        handle_request(&NAME, Some("ada"), || ());
        assert_eq!(handle_request(&NAME, None, || NAME.get()), None);
        handle_request_leaky(&NAME, Some("ada"), || ());
        assert_eq!(
            handle_request_leaky(&NAME, None, || NAME.get()).as_deref(),
            Some("ada"),
            "the flawed handler is expected to leak; if it no longer does, its model is wrong"
        );
    })
    .join()
    .unwrap();
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8),
    Take,
    Get,
    Scope(u8),
    ScopeNone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u8>().prop_map(Op::Set),
        Just(Op::Take),
        Just(Op::Get),
        any::<u8>().prop_map(Op::Scope),
        Just(Op::ScopeNone),
    ]
}

proptest! {
    /// Any sequence of operations on one thread behaves like one `Option` slot.
    #[test]
    fn behaves_like_an_option(ops in proptest::collection::vec(op(), 0..40)) {
        let ops2 = ops.clone();
        let mismatch = std::thread::spawn(move || {
            let mut model: Option<String> = None;
            for op in ops2 {
                match op {
                    Op::Set(v) => {
                        let prev = NAME.set(v.to_string());
                        if prev != model.replace(v.to_string()) { return Some("set"); }
                    }
                    Op::Take => if NAME.take() != model.take() { return Some("take"); },
                    Op::Get => if NAME.get() != model { return Some("get"); },
                    Op::Scope(v) => {
                        let inside = NAME.scope(v.to_string(), || NAME.get());
                        if inside != Some(v.to_string()) || NAME.get() != model { return Some("scope"); }
                    }
                    Op::ScopeNone => {
                        let inside = NAME.scope(None, || NAME.get());
                        if inside.is_some() || NAME.get() != model { return Some("scope(None)"); }
                    }
                }
            }
            None
        }).join().unwrap();
        prop_assert_eq!(mismatch, None, "ops: {:?}", ops);
    }
}
