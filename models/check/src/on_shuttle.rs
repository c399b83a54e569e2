//! The model bodies, on the patterns built against shuttle.

pub use threadproof_shuttle as world;

#[path = "bodies/mod.rs"]
pub mod bodies;
