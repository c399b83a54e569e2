//! # threadproof
//!
//! Reference implementations of the classic concurrency patterns, each model-checked with
//! [loom](https://docs.rs/loom) (exhaustive) and [shuttle](https://docs.rs/shuttle)
//! (randomized, PCT), each shipped with flawed variants that prove the checks can fail.
//!
//! Every pattern reaches synchronization primitives only through [`sync`], the facade. In this
//! library the facade is parking_lot and std; the model crates in the repository's `models/`
//! compile the same pattern files against loom and shuttle. The library pulls in neither.
//!
//! | module | seed | reference | flawed (do not copy) |
//! |---|---|---|---|
//! | [`counter`] | 003 §2.3 | `LockingCounter`, `AtomicCounter` | `RacyCounter`, `SplitLockCounter` (lost update) |
//! | [`io_models`] | 000/001 网络IO模型, Epoll; 004 事件驱动 | one echo server per I/O model; `TaskQueue` | `MioEdgeReadOnce` (stall), `LostWakeupQueue` (lost wakeup) |
//! | [`thread_local`] | 003 §2.4 | `ThreadContext`, `handle_request` | `SharedSlot` (cross-talk), `handle_request_leaky` (stale context) |
//!
//! Run `cargo run --release` in the repository for the check report, `cargo test` for every
//! test and model check, and read the book in `book/`.

pub mod counter;
#[cfg(target_os = "linux")]
pub mod io_models;
pub mod sync;
pub mod thread_local;
