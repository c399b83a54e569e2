//! Inter-process communication — seeds 003 §1.1-1.5 and 002 §3.1-3.4 (`multiprocessing`,
//! `subprocess`). **Linux only** (Unix sockets, `poll`, `memfd`, Linux's `renameat2`).
//!
//! - [`frame`]: length-prefixed messages, byte-compatible with Python's
//!   `multiprocessing.connection` `send_bytes`/`recv_bytes`, with a maximum size enforced
//!   before allocating.
//! - [`connection`]: [`pipe`] (Python's `Pipe()`), [`Listener`] and [`Client`] on a Unix
//!   socket with the authkey handshake of [`auth`]; they talk to Python's own.
//! - [`communicate`](mod@communicate): feed a child's stdin and collect stdout and stderr
//!   without the pipe-buffer deadlock.
//! - [`process`]: worker processes started by re-running the current executable in a role
//!   (`spawn`, not `fork`): start, join with exit status, kill, pid and parent pid.
//! - [`pool`]: a master-worker process pool (`apply_async`, `map`, `close`, `join`) whose
//!   killed workers are replaced and their tasks run again.
//! - [`queue`](mod@queue): a bounded blocking queue shared by processes (many producers,
//!   many consumers) in shared memory, with a robust mutex and futexes, that survives a
//!   process killed in the middle of an operation; items are [`Message`]s. Its record
//!   record and blocking protocol [`queue_protocol`] is OS-free: crashed after every store in
//!   the tests, and its wakeups checked by loom and shuttle.
//! - [`shm_ring`]: a single-producer single-consumer byte ring in shared memory (memfd), whose
//!   index protocol [`ring_protocol`] is OS-free and checked by loom.
//!
//! Flawed variants, kept to show the bug (do not copy):
//! - [`flawed::communicate_write_then_read`]: writes all input before reading: **deadlock**
//!   once the input and output exceed the pipe buffers.
//! - [`queue_protocol::Wake::One`]: wakes one sleeper: a woken process that is killed strands
//!   the others (**deadlock**, loom and shuttle); [`queue_protocol::flawed::push_commit_first`]:
//!   **torn item** after a crash (the crash check).
//! - [`ring_protocol::flawed::RELAXED`]: the ring's protocol with Relaxed orderings: **torn
//!   read**, caught by loom.
//!
//! This module talks to the operating system, so unlike the thread patterns it is not compiled
//! into the loom and shuttle model crates, except for [`ring_protocol`] and [`queue_protocol`],
//! which are OS-free.

pub mod auth;
pub mod communicate;
pub mod connection;
pub mod flawed;
pub mod frame;
pub mod message;
pub mod pool;
pub mod process;
pub mod queue;
pub mod queue_protocol;
pub mod ring_protocol;
mod shm;
pub mod shm_ring;

pub use communicate::{Output, communicate};
pub use connection::{Client, ConnectError, Connection, Listener, pipe};
pub use message::{DecodeError, Message};
pub use pool::Pool;
pub use process::Process;
pub use queue::Queue;
