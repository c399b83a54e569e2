//! Model bodies, written once for every checker.
//!
//! This module is compiled twice: as `on_loom::bodies` with `world` = the patterns built on
//! loom, and as `on_shuttle::bodies` with `world` = the patterns built on shuttle. A body
//! imports everything concurrent from `world` (the pattern under test and the facade), so the
//! same text runs under both checkers.

pub use super::world;

pub mod counter;
pub mod event;
pub mod io_event_loop;
pub mod ipc_queue;
pub mod lock_order;
pub mod pipeline;
pub mod pool;
pub mod queue;
pub mod ring;
pub mod semaphore;
pub mod thread_local;

use crate::harness::Model;
use crate::outcomes::OutcomeTest;

/// Moves `value` to the heap for good and returns a `'static` reference, for state that the
/// threads of a model which may deadlock share. A checker reports a deadlock by panicking in
/// the last thread to block, and loom aborts the process if that unwinding drops one of its
/// `Arc`s (the drop calls back into a scheduler that has no active thread). One small leak per
/// execution is the price.
pub fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Every model of every pattern, in report order.
pub fn models() -> Vec<Model> {
    [
        counter::models(),
        thread_local::models(),
        queue::models(),
        pool::models(),
        pipeline::models(),
        event::models(),
        semaphore::models(),
        lock_order::models(),
        ring::models(),
        ipc_queue::models(),
        io_event_loop::models(),
    ]
    .concat()
}

/// Every outcome-table test (run under loom only; the shuttle world compiles them unused).
pub fn outcome_tests() -> Vec<OutcomeTest> {
    [
        counter::outcome_tests(),
        thread_local::outcome_tests(),
        queue::outcome_tests(),
        event::outcome_tests(),
        semaphore::outcome_tests(),
    ]
    .concat()
}
