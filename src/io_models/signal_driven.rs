//! Signal-driven I/O (seed 000/001 "网络IO模型": 信号驱动式IO), as a small demonstration — not a
//! server, and not a model to copy.
//!
//! The process asks the kernel to send it `SIGIO` when a socket becomes readable
//! (`fcntl(F_SETOWN, pid)`, then `O_ASYNC`). Phase one, the wait, no longer blocks anyone: the
//! process does other work until the signal arrives. Phase two, the copy, is still an ordinary
//! `read`. Why no server here is built this way:
//! - one signal for the whole process, delivered to any thread, with no word on *which*
//!   descriptor is ready (unless `F_SETSIG` and a queued real-time signal, with its own limits);
//! - a signal handler may do almost nothing (here: bump an atomic counter);
//! - the signal says "something happened", like an edge-triggered event: coalesced signals
//!   mean the reader must still drain until `WouldBlock`.
//!
//! epoll answers the same question without any of that, so the kit shows `SIGIO` once, in
//! [`signal_driven_echo`], and uses readiness multiplexing for real servers.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;

use super::loopback_listener;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::time::{Duration, Instant};

/// `SIGIO`s received by this process since the handler was installed.
static SIGIOS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigio(_signal: libc::c_int) {
    // Async-signal-safe: one atomic add, nothing else.
    SIGIOS.fetch_add(1, Ordering::SeqCst);
}

/// What [`signal_driven_echo`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalDemo {
    /// `SIGIO`s that arrived while waiting for the message.
    pub signals: usize,
    /// Rounds of "other work" the process did while the kernel waited for data for it.
    pub other_work_rounds: u64,
    /// What the client got back.
    pub echoed: Vec<u8>,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

// ANCHOR: sigio
/// One message over loopback, received by signal-driven I/O: installs a `SIGIO` handler, sets
/// `O_ASYNC` on the accepted socket, lets a client send `message`, does "other work" until the
/// signal arrives (at most `patience`), then reads and echoes it back.
pub fn signal_driven_echo(message: &[u8], patience: Duration) -> io::Result<SignalDemo> {
    // SAFETY: a zeroed `sigaction` with a handler that only touches an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigio as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        check(libc::sigaction(libc::SIGIO, &action, std::ptr::null_mut()))?;
    }
    let listener = loopback_listener()?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    client.set_read_timeout(Some(patience))?;
    let (mut server_side, _) = listener.accept()?;
    server_side.set_nonblocking(true)?;
    let fd = server_side.as_raw_fd();
    // SAFETY: fcntl on an open descriptor we own.
    unsafe {
        check(libc::fcntl(fd, libc::F_SETOWN, libc::getpid()))?;
        let flags = check(libc::fcntl(fd, libc::F_GETFL))?;
        check(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC))?;
    }
    let before = SIGIOS.load(Ordering::SeqCst);
    client.write_all(message)?;

    // Phase one: the kernel waits for us; we do other work until the signal says "readable".
    let deadline = Instant::now() + patience;
    let mut other_work_rounds = 0u64;
    while SIGIOS.load(Ordering::SeqCst) == before {
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "signal_driven_echo: no SIGIO arrived",
            ));
        }
        other_work_rounds += 1;
        std::thread::sleep(Duration::from_micros(100));
    }
    let signals = SIGIOS.load(Ordering::SeqCst) - before;

    // Phase two: the copy, an ordinary read — drained, since signals coalesce.
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while received.len() < message.len() {
        match server_side.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    server_side.set_nonblocking(false)?;
    server_side.write_all(&received)?;
    let mut echoed = vec![0u8; received.len()];
    client.read_exact(&mut echoed)?;
    Ok(SignalDemo {
        signals,
        other_work_rounds,
        echoed,
    })
}
// ANCHOR_END: sigio
