//! Model bodies, written once for every checker.
//!
//! This module is compiled twice: as `on_loom::bodies` with `world` = the patterns built on
//! loom, and as `on_shuttle::bodies` with `world` = the patterns built on shuttle. A body
//! imports everything concurrent from `world` (the pattern under test and the facade), so the
//! same text runs under both checkers.

pub use super::world;

pub mod counter;
pub mod ring;
pub mod thread_local;

use crate::harness::Model;

/// Every model of every pattern, in report order.
pub fn models() -> Vec<Model> {
    [counter::models(), thread_local::models(), ring::models()].concat()
}
