//! Blocking I/O, one **process** per connection (seed 000/001 "多任务": 多进程; the classic
//! forking server). Each client gets a worker process that shares nothing with the others: a
//! crash in one takes down one connection, not the server.
//!
//! How the worker is started, kept simple: the server re-runs **the current executable** in a
//! worker role — environment variable [`WORKER_ENV`] set, the accepted socket as its standard
//! input (`fork` + `exec`, via `std::process::Command`). So the host binary must call
//! [`run_if_worker`] first thing in `main`; that is why this model is not in `Model::ALL` and
//! has its own test binary (`tests/io_process.rs`, `harness = false`). A worker serves its
//! connection with the same blocking loop as the thread-per-connection server, and stops —
//! echoing what it already received — on `SIGTERM`.
//!
//! `fork` without `exec` would be shorter but wrong in a multi-threaded parent: the child would
//! inherit every descriptor of every other thread's connections (keeping them open after the
//! parent closes them), and any lock another thread held at the fork.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};

use super::conn::refuse;
use super::{Config, REFUSED_FULL, Server, loopback_listener, thread_per_conn};
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::time::Duration;
use crate::sync::{Arc, thread};

/// Set (to `1`) in a worker's environment.
pub const WORKER_ENV: &str = "THREADPROOF_IO_WORKER";
const IDLE_ENV: &str = "THREADPROOF_IO_WORKER_IDLE_MS";
const MAX_LINE_ENV: &str = "THREADPROOF_IO_WORKER_MAX_LINE";

/// Set by the worker's `SIGTERM` handler.
static WORKER_STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigterm(_signal: libc::c_int) {
    WORKER_STOP.store(true, Ordering::SeqCst); // async-signal-safe: one atomic store
}

// ANCHOR: run_if_worker
/// Call first thing in `main` of any binary that starts
/// [`Model::ProcessPerConnection`](super::Model::ProcessPerConnection): in a worker process
/// (started by the server) it serves the connection on standard input and exits; anywhere
/// else it returns at once.
pub fn run_if_worker() {
    if std::env::var_os(WORKER_ENV).is_none() {
        return;
    }
    let number = |name: &str| -> Option<u64> { std::env::var(name).ok()?.parse().ok() };
    let config = Config {
        max_connections: 1,
        idle_timeout: Duration::from_millis(number(IDLE_ENV).unwrap_or(10_000)),
        max_line: number(MAX_LINE_ENV).unwrap_or(64 * 1024) as usize,
    };
    // SAFETY: installs a handler that only stores to an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigterm as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
    // SAFETY: the server passed the accepted socket as our standard input; we own it now.
    let stream = unsafe { TcpStream::from_raw_fd(0) };
    let status = match thread_per_conn::serve(stream, &config, &WORKER_STOP) {
        Ok(()) => 0,
        Err(_) => 1,
    };
    std::process::exit(status);
}
// ANCHOR_END: run_if_worker

pub(super) fn start(config: Config) -> io::Result<Server> {
    let exe = std::env::current_exe()?;
    let listener = loopback_listener()?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = Arc::clone(&stop);
        thread::Builder::new()
            .name("process-per-conn accept".into())
            .spawn(move || accept_loop(listener, &exe, config, &stop))?
    };
    let stop_server = Box::new(move || {
        stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(addr); // wakes `accept`
    });
    Ok(Server::new(
        "process-per-connection",
        addr,
        stop_server,
        thread,
    ))
}

// ANCHOR: process_accept
fn accept_loop(
    listener: TcpListener,
    exe: &std::path::Path,
    config: Config,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut workers: Vec<Child> = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        // Reap the workers that have exited; the rest count against the bound.
        workers.retain_mut(|w| matches!(w.try_wait(), Ok(None)));
        if workers.len() >= config.max_connections {
            refuse(&mut stream, REFUSED_FULL);
            continue;
        }
        let socket = OwnedFd::from(stream);
        let spawned = Command::new(exe)
            .env(WORKER_ENV, "1")
            .env(IDLE_ENV, config.idle_timeout.as_millis().to_string())
            .env(MAX_LINE_ENV, config.max_line.to_string())
            .stdin(Stdio::from(socket)) // the child's copy; ours closes when `Command` drops
            .stdout(Stdio::null())
            .spawn();
        if let Ok(worker) = spawned {
            workers.push(worker);
        }
    }
    // Stop: ask every worker to finish (echo what it has, flush, close), then wait for it.
    for worker in &workers {
        // SAFETY: signals a child we spawned and have not yet waited for.
        unsafe { libc::kill(worker.id() as libc::pid_t, libc::SIGTERM) };
    }
    for mut worker in workers {
        let _ = worker.wait();
    }
    Ok(())
}
// ANCHOR_END: process_accept
