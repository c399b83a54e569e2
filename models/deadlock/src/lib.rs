//! Nothing here: the package exists for `tests/deadlock_detection.rs`, which needs parking_lot
//! built with its `deadlock_detection` feature (see `Cargo.toml`).
