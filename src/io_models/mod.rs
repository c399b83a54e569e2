//! I/O models — seeds 000/001 "网络IO模型", "Epoll", 001 "selectors", "多任务", 004 "事件驱动".
//!
//! The notes list five ways a server waits for the network (blocking, non-blocking, multiplexing,
//! signal-driven, asynchronous) and split every read into two phases: **wait** until data has
//! arrived in the kernel's buffer, then **copy** it into the process. This module has one small
//! echo server per model, all behind one interface ([`Model::start`] returns a [`Server`]), so the
//! behaviour suite (`tests/io_models.rs`, `tests/io_process.rs`) and the benchmark (`benches/io_models.rs`) treat them
//! alike.
//!
//! # Framing: newline-delimited lines
//!
//! A message is a line ending in `\n`. The server echoes each complete line, byte for byte. An
//! unterminated tail when the client closes (a client disconnecting mid-message) is not a
//! message: it is dropped, and the server carries on with its other clients. A line longer than
//! [`Config::max_line`] is refused with `ERR line too long` and the connection closed.
//!
//! # What every server does
//!
//! - At most [`Config::max_connections`] connections; the next one is accepted, told
//!   [`REFUSED_FULL`] and closed (a clear refusal rather than a silent backlog).
//! - A connection that sends nothing for [`Config::idle_timeout`] is told [`REFUSED_IDLE`] and
//!   closed.
//! - A half-closed client (it shut down its writing side) still gets every echo, then EOF.
//! - [`Server::shutdown`] stops accepting, reads what every connection has already sent, echoes
//!   every complete line of it, flushes, closes, and returns: no accepted message is lost.
//!
//! | model | file | waits in | copies in |
//! |---|---|---|---|
//! | [`Model::ThreadPerConnection`] | `thread_per_conn.rs` | `read` (one thread per client) | `read` |
//! | [`Model::BusyPoll`] | `busy_poll.rs` | nowhere: it spins over non-blocking sockets | `read` |
//! | [`Model::EpollLevel`] | `epoll_level.rs` | `epoll_wait`, level-triggered | one `read` per event |
//! | [`Model::MioEdge`] | `mio_edge.rs` | `epoll_wait` (mio), edge-triggered | `read` until `WouldBlock` |
//! | [`Model::EventLoop`] | `event_loop.rs` | a task queue fed by a poller thread | handlers on one thread |
//! | [`Model::Tokio`] | `tokio_server.rs` | tokio's reactor (epoll) | `read().await` |
//! | [`Model::IoUring`] | `io_uring_server.rs` | the kernel (a receive submitted in advance) | the kernel, before the completion |
//! | [`Model::ProcessPerConnection`] | `process_per_conn.rs` | `read` (one process per client) | `read` |
//!
//! Flawed, kept as a positive control (do not copy): [`flawed::MioEdgeReadOnce`], edge-triggered
//! but reading once per readiness event — it stalls a client whose data arrives in two bursts.
//!
//! Also: [`signal_driven`], a documented `SIGIO` demonstration (not a server);
//! [`io_uring::availability`], which asks the kernel whether io_uring may be used here; and
//! [`io_uring::completion_echo`], a one-message completion-based demonstration.
//!
//! Linux only (epoll, `getrusage`).
//!
//! # Example
//!
//! Every model is started, spoken to and stopped the same way; here the completion-based one,
//! which refuses to start (with an error that says why) where the kernel forbids io_uring:
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use threadproof::io_models::{Config, Model};
//!
//! # fn main() -> std::io::Result<()> {
//! let server = match Model::IoUring.start(Config::default()) {
//!     Ok(server) => server,
//!     Err(e) => {
//!         // "io_uring unavailable here, the io-uring server cannot start: ..."
//!         assert!(e.to_string().contains("io_uring unavailable"));
//!         return Ok(());
//!     }
//! };
//! let mut client = std::net::TcpStream::connect(server.local_addr())?;
//! client.write_all(b"done by the kernel\n")?;
//! let mut echo = String::new();
//! BufReader::new(client).read_line(&mut echo)?;
//! assert_eq!(echo, "done by the kernel\n");
//! server.shutdown()
//! # }
//! ```

mod busy_poll;
mod conn;
pub mod cpu;
mod epoll_level;
mod event_loop;
pub mod flawed;
pub mod io_uring;
mod io_uring_server;
pub mod load;
mod mio_edge;
pub mod process_per_conn;
pub mod signal_driven;
pub mod task_queue;
mod thread_per_conn;
mod tokio_server;

use std::io;
use std::net::SocketAddr;

use crate::sync::thread::JoinHandle;
use crate::sync::time::Duration;

// ANCHOR: config
/// The limits every server enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Connections served at once; one more is told [`REFUSED_FULL`] and closed.
    pub max_connections: usize,
    /// A connection silent this long is told [`REFUSED_IDLE`] and closed.
    pub idle_timeout: Duration,
    /// The longest line accepted, newline included; longer is told [`REFUSED_TOO_LONG`].
    pub max_line: usize,
}

impl Default for Config {
    /// 256 connections, 10 s idle timeout, 64 KiB lines.
    fn default() -> Self {
        Config {
            max_connections: 256,
            idle_timeout: Duration::from_secs(10),
            max_line: 64 * 1024,
        }
    }
}

impl Config {
    /// Checks the limits: all must be non-zero.
    pub fn validate(&self) -> io::Result<()> {
        let bad = |what: &str| {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                what.to_string(),
            ))
        };
        if self.max_connections == 0 {
            return bad("io_models::Config: max_connections must be at least 1");
        }
        if self.idle_timeout.is_zero() {
            return bad("io_models::Config: idle_timeout must be non-zero");
        }
        if self.max_line == 0 {
            return bad("io_models::Config: max_line must be at least 1");
        }
        Ok(())
    }
}

/// Sent to a connection past [`Config::max_connections`], before closing it.
pub const REFUSED_FULL: &str = "ERR server full\n";
/// Sent to a connection silent for [`Config::idle_timeout`], before closing it.
pub const REFUSED_IDLE: &str = "ERR idle timeout\n";
/// Sent to a connection whose line exceeds [`Config::max_line`], before closing it.
pub const REFUSED_TOO_LONG: &str = "ERR line too long\n";
// ANCHOR_END: config

// ANCHOR: model
/// The reference servers, one per I/O model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// Blocking sockets, one thread per connection, the thread count bounded.
    ThreadPerConnection,
    /// Non-blocking sockets polled in a loop that never sleeps.
    BusyPoll,
    /// Raw `epoll`, level-triggered: one read per readiness event is enough.
    EpollLevel,
    /// mio (epoll, edge-triggered): every event drains the socket until `WouldBlock`.
    MioEdge,
    /// A hand-written event loop: a task queue, handlers run on one thread.
    EventLoop,
    /// tokio, current-thread runtime: one task per connection.
    Tokio,
    /// Completion-based: io_uring, one thread; the kernel waits *and* copies, then reports.
    /// [`Model::start`] fails with a clear error where io_uring is unavailable.
    IoUring,
    /// Blocking sockets, one worker process per connection (the current executable re-run).
    /// Not in [`Model::ALL`]: the host binary must call
    /// [`process_per_conn::run_if_worker`] first thing in `main`.
    ProcessPerConnection,
}

impl Model {
    /// Every reference model that runs inside any binary, in the order of the book's table
    /// (all but [`Model::ProcessPerConnection`]). [`Model::IoUring`] is here too, and its
    /// [`Model::start`] fails with a clear error where the kernel forbids io_uring.
    pub const ALL: [Model; 7] = [
        Model::ThreadPerConnection,
        Model::BusyPoll,
        Model::EpollLevel,
        Model::MioEdge,
        Model::EventLoop,
        Model::Tokio,
        Model::IoUring,
    ];

    /// A short name for tests, benches and the book.
    pub fn name(self) -> &'static str {
        match self {
            Model::ThreadPerConnection => "thread-per-connection",
            Model::BusyPoll => "busy-poll",
            Model::EpollLevel => "epoll-level",
            Model::MioEdge => "mio-edge",
            Model::EventLoop => "event-loop",
            Model::Tokio => "tokio",
            Model::IoUring => "io-uring",
            Model::ProcessPerConnection => "process-per-connection",
        }
    }

    /// Starts this model's server on `127.0.0.1` (an ephemeral port): see
    /// [`Server::local_addr`].
    pub fn start(self, config: Config) -> io::Result<Server> {
        config.validate()?;
        match self {
            Model::ThreadPerConnection => thread_per_conn::start(config),
            Model::BusyPoll => busy_poll::start(config),
            Model::EpollLevel => epoll_level::start(config),
            Model::MioEdge => mio_edge::start(config, mio_edge::ReadPolicy::Drain),
            Model::EventLoop => event_loop::start(config),
            Model::Tokio => tokio_server::start(config),
            Model::IoUring => io_uring_server::start(config),
            Model::ProcessPerConnection => process_per_conn::start(config),
        }
    }
}
// ANCHOR_END: model

/// A running server. [`Server::shutdown`] stops it cleanly; dropping it does the same and
/// ignores the result.
pub struct Server {
    name: &'static str,
    addr: SocketAddr,
    stop: Option<Box<dyn FnOnce() + Send>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    pub(crate) fn new(
        name: &'static str,
        addr: SocketAddr,
        stop: Box<dyn FnOnce() + Send>,
        thread: JoinHandle<io::Result<()>>,
    ) -> Server {
        Server {
            name,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where it listens (always on loopback).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, echoes every complete line already received, closes every connection
    /// and waits for the server's threads. Returns the server's error, if it failed.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("io_models: server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// A listener on `127.0.0.1`, ephemeral port.
pub(crate) fn loopback_listener() -> io::Result<std::net::TcpListener> {
    std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
}
