//! Model bodies, written once for every checker.
//!
//! This module is compiled twice: as `on_loom::bodies` with `world` = the patterns built on
//! loom, and as `on_shuttle::bodies` with `world` = the patterns built on shuttle. A body
//! imports everything concurrent from `world` (the pattern under test and the facade), so the
//! same text runs under both checkers.

pub use super::world;

pub mod counter;
pub mod io_event_loop;
pub mod thread_local;

use crate::harness::Model;
use crate::outcomes::OutcomeTest;

/// Every model of every pattern, in report order.
pub fn models() -> Vec<Model> {
    [
        counter::models(),
        thread_local::models(),
        io_event_loop::models(),
    ]
    .concat()
}

/// Every outcome-table test (run under loom only; the shuttle world compiles them unused).
pub fn outcome_tests() -> Vec<OutcomeTest> {
    [counter::outcome_tests(), thread_local::outcome_tests()].concat()
}
