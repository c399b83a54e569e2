//! Inter-process communication — seeds 003 §1.1-1.5 and 002 §3.1-3.4 (`multiprocessing`,
//! `subprocess`). **Linux only** (Unix sockets, `poll`, Linux's `renameat2`).
//!
//! - [`frame`]: length-prefixed messages, byte-compatible with Python's
//!   `multiprocessing.connection` `send_bytes`/`recv_bytes`, with a maximum size enforced
//!   before allocating.
//! - [`connection`]: [`pipe`] (Python's `Pipe()`), [`Listener`] and [`Client`] on a Unix
//!   socket with the authkey handshake of [`auth`]; they talk to Python's own.
//!
//! This module talks to the operating system, so unlike the thread patterns it is not compiled
//! into the loom and shuttle model crates.

pub mod auth;
pub mod connection;
pub mod frame;

pub use connection::{Client, ConnectError, Connection, Listener, pipe};
