//! The trace of the model execution in progress.
//!
//! The facade's model backend (`models/facade/model_backend.rs`) records every operation a
//! pattern performs through it — spawn, join, lock, unlock, wait, wake, notify, atomic loads and
//! stores with their values — and every `sync::note` a pattern makes, here. The harness clears
//! the trace when an execution starts and freezes it when the execution fails, so after a
//! caught failure it holds exactly the interleaving that led there.
//!
//! loom and shuttle run every model thread as a coroutine on the OS thread that called the
//! checker, so one thread-local buffer sees all of an execution's threads in the order they
//! ran.

use std::cell::RefCell;
use std::collections::HashMap;

/// One operation of one thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The thread's label: `main`, its name if it was given one, or `t1`, `t2`… in spawn order.
    pub thread: String,
    /// What it did, e.g. `lock (locking.rs:22)` or `load (flawed.rs:21) -> 0`.
    pub what: String,
}

/// The most events kept for one execution; longer executions keep their first events and
/// count the rest.
pub const MAX_EVENTS: usize = 4_000;

#[derive(Default)]
struct Trace {
    recording: bool,
    events: Vec<Event>,
    dropped: usize,
    labels: HashMap<String, String>,
    unnamed: usize,
}

thread_local! {
    static TRACE: RefCell<Trace> = RefCell::new(Trace::default());
}

/// Starts a new execution's trace: clears events and thread labels and starts recording.
pub fn start() {
    TRACE.with_borrow_mut(|t| {
        *t = Trace {
            recording: true,
            ..Trace::default()
        }
    });
}

/// Stops recording, keeping what was recorded (called when the execution fails, so the unwinding
/// that follows does not add to the trace).
pub fn freeze() {
    TRACE.with_borrow_mut(|t| t.recording = false);
}

/// True while an execution is being recorded.
pub fn is_recording() -> bool {
    TRACE.with_borrow(|t| t.recording)
}

/// The recorded events and how many were dropped past [`MAX_EVENTS`]; leaves the trace empty.
pub fn take() -> (Vec<Event>, usize) {
    TRACE.with_borrow_mut(|t| {
        t.recording = false;
        (
            std::mem::take(&mut t.events),
            std::mem::take(&mut t.dropped),
        )
    })
}

/// Names a thread: `id` is the checker's thread id (its `Debug` text), `name` the name it was
/// spawned with. The first thread seen is the model's main thread.
pub fn label(id: &str, name: Option<&str>) -> String {
    TRACE.with_borrow_mut(|t| {
        if let Some(label) = t.labels.get(id) {
            return label.clone();
        }
        let label = match name {
            Some("main-thread" | "main") => "main".to_string(),
            Some(name) => name.to_string(),
            None if t.labels.is_empty() => "main".to_string(),
            None => {
                t.unnamed += 1;
                format!("t{}", t.unnamed)
            }
        };
        t.labels.insert(id.to_string(), label.clone());
        label
    })
}

/// Records `what` for `thread`, if recording.
pub fn record(thread: impl FnOnce() -> String, what: impl FnOnce() -> String) {
    if !is_recording() {
        return;
    }
    let event = Event {
        thread: thread(),
        what: what(),
    };
    TRACE.with_borrow_mut(|t| {
        if t.events.len() < MAX_EVENTS {
            t.events.push(event);
        } else {
            t.dropped += 1;
        }
    });
}

/// Records the start of an operation that may block (`lock (x): waiting`) and returns a token
/// for [`finish`].
pub fn begin(thread: impl FnOnce() -> String, what: impl FnOnce() -> String) -> Option<usize> {
    if !is_recording() {
        return None;
    }
    record(thread, what);
    TRACE.with_borrow(|t| t.events.len().checked_sub(1))
}

/// Records that the operation started by [`begin`] completed (`locked (x)`): if nothing ran in
/// between, the start event is replaced, so an uncontended lock is one row; otherwise the
/// completion is a row of its own, showing that the thread waited.
pub fn finish(
    token: Option<usize>,
    thread: impl FnOnce() -> String,
    what: impl FnOnce() -> String,
) {
    if !is_recording() {
        return;
    }
    let replaced = TRACE.with_borrow_mut(|t| match token {
        Some(i) if i + 1 == t.events.len() => {
            t.events[i].what = what();
            None
        }
        _ => Some(what),
    });
    if let Some(what) = replaced {
        record(thread, what);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_between_start_and_freeze() {
        record(|| "main".into(), || "before start".into());
        start();
        record(|| "main".into(), || "spawn t1".into());
        freeze();
        record(|| "main".into(), || "after freeze".into());
        let (events, dropped) = take();
        assert_eq!(dropped, 0);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].what, "spawn t1");
    }

    #[test]
    fn labels_main_first_then_names_then_numbers() {
        start();
        assert_eq!(label("ThreadId(0)", None), "main");
        assert_eq!(label("ThreadId(1)", None), "t1");
        assert_eq!(label("ThreadId(2)", Some("producer 1")), "producer 1");
        assert_eq!(label("ThreadId(3)", None), "t2");
        assert_eq!(label("ThreadId(1)", None), "t1");
        start();
        assert_eq!(label("ThreadId(7)", Some("main-thread")), "main");
    }

    #[test]
    fn an_uncontended_blocking_operation_is_one_row_a_contended_one_two() {
        start();
        let t = begin(|| "t1".into(), || "lock (a.rs:1): waiting".into());
        finish(t, || "t1".into(), || "locked (a.rs:1)".into());
        let t = begin(|| "t1".into(), || "lock (a.rs:2): waiting".into());
        record(|| "t2".into(), || "store (a.rs:3) <- 1".into());
        finish(t, || "t1".into(), || "locked (a.rs:2)".into());
        let whats: Vec<String> = take().0.into_iter().map(|e| e.what).collect();
        assert_eq!(
            whats,
            [
                "locked (a.rs:1)",
                "lock (a.rs:2): waiting",
                "store (a.rs:3) <- 1",
                "locked (a.rs:2)"
            ]
        );
    }

    #[test]
    fn long_executions_keep_their_first_events_and_count_the_rest() {
        start();
        for i in 0..MAX_EVENTS + 5 {
            record(|| "main".into(), || i.to_string());
        }
        let (events, dropped) = take();
        assert_eq!(events.len(), MAX_EVENTS);
        assert_eq!(dropped, 5);
        assert_eq!(events[0].what, "0");
    }
}
