//! The model bodies, on the patterns built against loom.

pub use threadproof_loom as world;

#[path = "bodies/mod.rs"]
pub mod bodies;
