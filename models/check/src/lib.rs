//! The threadproof model checks: the harness, the model bodies, and the check report.
//!
//! - [`harness`]: [`Model`](harness::Model), [`run`](harness::run) under loom or shuttle, the
//!   [`Kind`](harness::Kind) of a failure and the [`Verdict`](harness::Verdict).
//! - `bodies/`: the model bodies, compiled twice — [`on_loom`] and [`on_shuttle`].
//! - [`registry`]: every check, each model under each checker.
//! - [`report`]: the table `cargo run --release` prints.
//! - [`book_table`]: the book's per-pattern tables of reference models, checked by the models test.
// `bodies/` is compiled once per checker on purpose (see `on_loom` and `on_shuttle`).
#![allow(clippy::duplicate_mod)]

pub mod book_table;
pub mod harness;
pub mod quiet;
pub mod record;
pub mod registry;
pub mod report;
pub mod timeline;

pub mod on_loom;
pub mod on_shuttle;
pub mod outcomes;
