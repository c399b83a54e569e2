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
//! | [`queue`] | 002 §3.3, 003 §2.5, §1.4 | `BoundedQueue` | `OneCondvarQueue` (deadlock), `IfWaitQueue` (overfill), `SilentTaskQueue` (deadlock), `EmptyJoinQueue` (early join), `CloseNotifyOneQueue` (deadlock), `TransitionNotifyQueue`, `NoPassOnQueue` (lost wakeup) |
//! | [`pool`] | 002 §3.4, 003 §1.2, 001 dynamic mapping | `Pool` (`Strategy::CentralQueue` or `Strategy::WorkStealing`), `TaskHandle` | `UnclosedJoinPool` (deadlock), `RelaxedSlot` (torn read), `LostWakeupPool` (lost wakeup) |
//! | [`fan`] | 003 §3.3 | `scatter_gather` (bounded scoped workers, per-item outcomes in input order) | — (real threads; the model-checked fan-out is `Pool::map`) |
//! | [`pipeline`] | 003 §2.5 | `Pipeline` (stages joined by bounded queues, exact accounting) | `CloseAll`, `FirstOutCloses` (lost item), `ExitOnEmpty` (lost items) |
//! | `io_models` (Linux, feature `io-models`) | 000/001 网络IO模型, Epoll; 004 事件驱动 | one echo server per I/O model (incl. io_uring); `TaskQueue` | `MioEdgeReadOnce` (stall), `LostWakeupQueue` (lost wakeup) |
//! | [`thread_local`](mod@thread_local) | 003 §2.4 | `ThreadContext`, `handle_request` | `SharedSlot` (cross-talk), `handle_request_leaky` (stale context) |
//! | [`event`] | 002 §2.4 | `Event` | `CheckThenWaitEvent`, `FlagEvent` (missed wakeup, seen as deadlock) |
//! | [`semaphore`] | 001 并发的级别 | `Semaphore`, `BoundedSemaphore` | `SilentSemaphore` (missed wakeup, seen as deadlock), `RacyBoundedSemaphore` (over-permit) |
//! | [`lock_order`] | 002 §2.5, §2.5.1 | `OrderedMutex`, `lock_two`, `transfer`, `dine_ordered`, `dine_seated`, `Waiter` | `transfer_naive`, `dine_naive` (deadlock), `transfer_unordered` (lock order) |
//! | `ipc` (Linux, feature `ipc`) | 003 §1.1-1.5, 002 §3.1-3.4 | frames, `pipe`/`Listener`/`Client` (Python-compatible), `communicate`, `Process`, `Pool`, `Queue` across processes, shared-memory ring | `communicate_write_then_read` (deadlock), ring `RELAXED` orderings (torn read), queue `Wake::One` (deadlock) |
//! | [`measure`] | 001 性能评估 | `speedup`, `efficiency`, `karp_flatt`, `fit_serial_fraction`, Amdahl and Gustafson | — (arithmetic; `benches/parallel.rs` has the global-lock demo) |
//!
//! ## Features
//!
//! The thread patterns need only parking_lot and crossbeam. The OS-facing modules are cargo
//! features, both on by default: `ipc` (libc and the RustCrypto HMAC crates) and `io-models`
//! (adds mio and tokio; implies `ipc`). With `default-features = false` the library builds the
//! thread patterns alone:
//!
//! ```toml
//! threadproof = { version = "0.1", default-features = false }
//! ```
//!
//! Run `cargo run --release` in the repository for the check report, `cargo test` for every
//! test and model check, and read the book in `book/`.

pub mod counter;
pub mod event;
pub mod fan;
#[cfg(all(target_os = "linux", feature = "io-models"))]
pub mod io_models;
#[cfg(all(target_os = "linux", feature = "ipc"))]
pub mod ipc;
pub mod lock_order;
pub mod measure;
pub mod pipeline;
pub mod pool;
pub mod queue;
pub mod semaphore;
pub mod sync;
pub mod thread_local;
