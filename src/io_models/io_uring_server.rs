//! Completion-based I/O with io_uring: the seed's "异步IO" (000/001 "网络IO模型": 异步IO, the
//! kernel waits for the data *and* copies it into our buffer, then tells us it is done) as a full
//! echo server behind the same interface as every other model.
//!
//! One thread, one ring (the raw ABI of `io_uring.rs`, no crate). The thread never asks "is this
//! socket ready?": it *submits* operations — accept on the listener, a receive into each
//! connection's buffer, a send of each connection's echoes, a read of the stop eventfd — and
//! handles their *completions*. Per connection at most one receive (linked to a timeout: the idle
//! timeout) and one send are in flight.
//!
//! **Buffer ownership.** From submission until its completion is reaped, an operation's buffer
//! belongs to the kernel: it writes into a receive buffer, reads from a send buffer, at a time we
//! do not choose. So:
//! - each connection's receive buffer is a heap allocation (it does not move when the connection
//!   moves in the slab), and the bytes of the send in flight live in their own `sending`
//!   buffer: echoes completed meanwhile go to the connection's `LineEcho`, never to `sending`
//!   (appending there could reallocate it under the kernel's read);
//! - a connection is freed (its buffers and its socket) only when none of its operations is in
//!   flight; closing one early shuts its socket down, which completes its operations, and
//!   waits for those completions;
//! - if the loop must give up with operations still in flight (an error, or a cancel that never
//!   completes), it leaks the buffers rather than free memory the kernel may still write.
//!
//! **Shutdown** writes the eventfd; the read of it completes; the loop cancels every operation
//! (`IORING_OP_ASYNC_CANCEL` by `user_data`), waits for all their completions (received bytes
//! included), then — nothing in flight any more — reads what each client already sent and
//! flushes every echo with the same non-blocking code the readiness models use
//! (`conn::finish`), for at most `conn::FLUSH_LIMIT`. A timer (`IORING_OP_TIMEOUT`) bounds the
//! wait for the cancellations.
//!
//! If io_uring cannot be used here (`io_uring_setup` refused: `ENOSYS`, or `EPERM` from
//! `kernel.io_uring_disabled` or a seccomp policy, as some container sandboxes have; or an old
//! kernel lacking an operation), [`start`] fails with an error that says so; it does not fall
//! back to another model.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::conn::{
    FLUSH_LIMIT, HIGH_WATER, LineEcho, READ_CHUNK, accept_error_is_transient, finish,
};
use super::io_uring::{
    Cqe, OP_ACCEPT, OP_ASYNC_CANCEL, OP_LINK_TIMEOUT, OP_READ_EVENTFD, OP_RECV, OP_SEND,
    OP_TIMEOUT, Ring, SQE_IO_LINK, Sqe,
};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, REFUSED_TOO_LONG, Server, loopback_listener};
use crate::sync::time::{Duration, Instant};
use crate::sync::{Arc, thread};

/// Submission slots: enough for a burst of completions' follow-ups; `push` hands a full queue
/// to the kernel anyway.
const SQ_ENTRIES: u32 = 256;

// `user_data` of each operation: a connection's slot and the operation, or a server-wide tag.
const RECV: u64 = 0;
const IDLE_TIMEOUT: u64 = 1;
const SEND: u64 = 2;
const ACCEPT: u64 = u64::MAX;
const WAKE: u64 = u64::MAX - 1;
const CANCEL: u64 = u64::MAX - 2;
const STOP_TIMER: u64 = u64::MAX - 3;

fn tag(slot: usize, op: u64) -> u64 {
    ((slot as u64) << 2) | op
}

/// `struct __kernel_timespec`. The kernel copies it when it takes the submission, so it must
/// live until `io_uring_enter` returns; the server keeps its two in boxes for its whole life.
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

impl Timespec {
    fn boxed(d: Duration) -> Box<Timespec> {
        Box::new(Timespec {
            sec: d.as_secs() as i64,
            nsec: d.subsec_nanos() as i64,
        })
    }
}

/// The error [`start`] returns when the kernel will not give us a usable ring.
fn unavailable(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "io_uring unavailable here, the io-uring server cannot start: {e} (ENOSYS: kernel \
             without io_uring; EPERM: disabled by kernel.io_uring_disabled or a seccomp policy)"
        ),
    )
}

pub(super) fn start(config: Config) -> io::Result<Server> {
    let listener = loopback_listener()?; // blocking: the ring does the waiting
    let addr = listener.local_addr()?;
    // SAFETY: plain syscall; the returned descriptor is owned from here on.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let waker = Arc::new(unsafe { OwnedFd::from_raw_fd(fd) });
    let loop_waker = Arc::clone(&waker);
    // The ring is created on the thread that uses it (the kernel ties a ring's work to the
    // tasks that use it); the thread reports whether that worked before serving.
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
    let thread = thread::Builder::new()
        .name("io-uring".into())
        .spawn(move || {
            let ring = match setup_ring(&config) {
                Ok(ring) => ring,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Ok(());
                }
            };
            let _ = ready_tx.send(Ok(()));
            Uring::new(ring, listener, loop_waker, config).run()
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = thread.join();
            return Err(e);
        }
        Err(_) => {
            let _ = thread.join();
            return Err(io::Error::other(
                "io-uring: the server thread died at start",
            ));
        }
    }
    let stop = Box::new(move || {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer to an open eventfd.
        unsafe { libc::write(waker.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    });
    Ok(Server::new("io-uring", addr, stop, thread))
}

/// A ring with every operation the server uses, or the reason io_uring is unavailable.
fn setup_ring(config: &Config) -> io::Result<Ring> {
    // Each connection has at most three operations in flight (receive, its timeout, send):
    // size the completion queue so it does not overflow (the kernel would keep the excess,
    // NODROP, but make submissions wait until we reap). The kernel wants at least as many
    // completion slots as submission slots.
    let cq_entries =
        (config.max_connections.saturating_mul(4)).clamp(2 * SQ_ENTRIES as usize, 65_536) as u32;
    let ring = Ring::new(SQ_ENTRIES, Some(cq_entries)).map_err(unavailable)?;
    ring.require(&[
        OP_ACCEPT,
        OP_RECV,
        OP_SEND,
        OP_READ_EVENTFD,
        OP_LINK_TIMEOUT,
        OP_TIMEOUT,
        OP_ASYNC_CANCEL,
    ])
    .map_err(unavailable)?;
    Ok(ring)
}

// ANCHOR: uring_conn
/// One connection. While an operation is in flight the kernel owns the buffer it names; the
/// `*_in_flight` flags say which, and the connection is freed only when all three are false.
struct Conn {
    /// Blocking socket: the ring waits for it, we never do.
    stream: TcpStream,
    /// Complete lines not yet handed to a send, and the unterminated tail.
    echo: LineEcho,
    /// The kernel writes here while a receive is in flight. Boxed: the bytes stay put when
    /// the `Conn` moves (the slab may grow).
    recv_buf: Box<[u8]>,
    /// The bytes of the send in flight, `sending[sent..]` still to go. Not appended to while
    /// the kernel reads it: new echoes wait in `echo`.
    sending: Vec<u8>,
    sent: usize,
    recv_in_flight: bool,
    /// A count, not a flag: the timeout linked to a completed receive may report after the
    /// next receive (and its timeout) has been submitted.
    timeouts_in_flight: u32,
    send_in_flight: bool,
    /// No new operations; freed once nothing is in flight.
    closing: bool,
}

impl Conn {
    fn in_flight(&self) -> bool {
        self.recv_in_flight || self.timeouts_in_flight > 0 || self.send_in_flight
    }

    /// Echo bytes not yet sent, in flight or waiting.
    fn unsent(&self) -> usize {
        self.sending.len() - self.sent + self.echo.pending().len()
    }
}
// ANCHOR_END: uring_conn

struct Uring {
    ring: Ring,
    listener: TcpListener,
    waker: Arc<OwnedFd>,
    /// The kernel writes the eventfd's counter here.
    wake_buf: Box<[u8; 8]>,
    idle: Box<Timespec>,
    give_up: Box<Timespec>,
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    live: usize,
    accept_in_flight: bool,
    wake_in_flight: bool,
    stopping: bool,
    config: Config,
}

impl Uring {
    fn new(ring: Ring, listener: TcpListener, waker: Arc<OwnedFd>, config: Config) -> Uring {
        Uring {
            ring,
            listener,
            waker,
            wake_buf: Box::new([0; 8]),
            idle: Timespec::boxed(config.idle_timeout),
            give_up: Timespec::boxed(FLUSH_LIMIT),
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            accept_in_flight: false,
            wake_in_flight: false,
            stopping: false,
            config,
        }
    }

    // ANCHOR: uring_loop
    fn run(mut self) -> io::Result<()> {
        self.submit_accept()?;
        self.ring.push(Sqe {
            opcode: OP_READ_EVENTFD,
            fd: self.waker.as_raw_fd(),
            addr: self.wake_buf.as_mut_ptr() as u64,
            len: 8,
            off: u64::MAX, // "the current position": an eventfd has none
            user_data: WAKE,
            ..Sqe::default()
        })?;
        self.wake_in_flight = true;
        loop {
            // Submit everything queued, sleep until at least one completion.
            self.ring.enter(1)?;
            while let Some(cqe) = self.ring.peek() {
                self.complete(cqe)?;
            }
            if self.stopping && self.quiet() {
                break;
            }
        }
        // Nothing in flight: the buffers are ours again. Last words to every connection.
        let deadline = Instant::now() + FLUSH_LIMIT;
        for conn in self.slots.iter_mut().flatten() {
            let _ = conn.stream.set_nonblocking(true);
            if write_until(&mut conn.stream, &conn.sending[conn.sent..], deadline) {
                finish(&mut conn.stream, &mut conn.echo);
            }
        }
        Ok(())
    }

    fn complete(&mut self, cqe: Cqe) -> io::Result<()> {
        match cqe.user_data {
            ACCEPT => self.accepted(cqe.res),
            WAKE => {
                self.wake_in_flight = false;
                self.begin_stop()
            }
            CANCEL => Ok(()), // the cancelled operation reports for itself
            STOP_TIMER => {
                if self.quiet() {
                    Ok(())
                } else {
                    // `Drop` leaks the buffers still named by operations in flight.
                    Err(io::Error::other(
                        "io-uring: cancelled operations still in flight after the flush limit",
                    ))
                }
            }
            tagged => {
                let slot = (tagged >> 2) as usize;
                let Some(conn) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
                    return Err(io::Error::other("io-uring: completion for no connection"));
                };
                match tagged & 3 {
                    RECV => {
                        conn.recv_in_flight = false;
                        received(conn, cqe.res, self.stopping);
                    }
                    IDLE_TIMEOUT => conn.timeouts_in_flight -= 1,
                    _ => {
                        conn.send_in_flight = false;
                        match usize::try_from(cqe.res) {
                            Ok(0) => close(conn), // no progress on a non-empty send
                            Ok(n) => conn.sent += n,
                            Err(_) if self.stopping => {} // cancelled: `run` sends the rest
                            Err(_) => close(conn),        // the client is gone
                        }
                    }
                }
                self.drive(slot)
            }
        }
    }
    // ANCHOR_END: uring_loop

    // ANCHOR: uring_drive
    /// Decides a connection's next operations after one of its completions.
    fn drive(&mut self, slot: usize) -> io::Result<()> {
        let Some(conn) = self.slots[slot].as_mut() else {
            return Ok(());
        };
        if conn.closing || self.stopping {
            if !conn.in_flight() && conn.closing {
                self.slots[slot] = None; // closes the socket, frees the buffers
                self.free.push(slot);
                self.live -= 1;
            }
            return Ok(());
        }
        if !conn.send_in_flight {
            if conn.sent == conn.sending.len() {
                // The last send is complete: the buffer is ours again; refill it.
                conn.sending.clear();
                conn.sent = 0;
                conn.sending.extend_from_slice(conn.echo.pending());
                let n = conn.sending.len();
                conn.echo.consume(n);
            }
            if conn.sent < conn.sending.len() {
                // A new send, or the rest of a partial one.
                let rest = &conn.sending[conn.sent..];
                self.ring.push(Sqe {
                    opcode: OP_SEND,
                    fd: conn.stream.as_raw_fd(),
                    addr: rest.as_ptr() as u64,
                    len: rest.len().min(u32::MAX as usize) as u32,
                    op_flags: libc::MSG_NOSIGNAL as u32,
                    user_data: tag(slot, SEND),
                    ..Sqe::default()
                })?;
                conn.send_in_flight = true;
            } else if conn.echo.eof {
                // Everything echoed and the client sends no more: close.
                close(conn);
                return self.drive(slot);
            }
        }
        if !conn.echo.eof && !conn.recv_in_flight && conn.unsent() <= HIGH_WATER {
            // A receive, linked to a timeout: if no byte comes within the idle timeout the
            // kernel cancels the receive (it completes with ECANCELED).
            if self.ring.free_slots() < 2 {
                self.ring.enter(0)?; // the pair must go in together
            }
            self.ring.push(Sqe {
                opcode: OP_RECV,
                flags: SQE_IO_LINK,
                fd: conn.stream.as_raw_fd(),
                addr: conn.recv_buf.as_mut_ptr() as u64,
                len: conn.recv_buf.len() as u32,
                user_data: tag(slot, RECV),
                ..Sqe::default()
            })?;
            self.ring.push(Sqe {
                opcode: OP_LINK_TIMEOUT,
                fd: -1,
                addr: &*self.idle as *const Timespec as u64,
                len: 1,
                user_data: tag(slot, IDLE_TIMEOUT),
                ..Sqe::default()
            })?;
            conn.recv_in_flight = true;
            conn.timeouts_in_flight += 1;
        }
        Ok(())
    }
    // ANCHOR_END: uring_drive

    fn submit_accept(&mut self) -> io::Result<()> {
        self.ring.push(Sqe {
            opcode: OP_ACCEPT,
            fd: self.listener.as_raw_fd(),
            op_flags: libc::SOCK_CLOEXEC as u32,
            user_data: ACCEPT,
            ..Sqe::default()
        })?;
        self.accept_in_flight = true;
        Ok(())
    }

    fn accepted(&mut self, res: i32) -> io::Result<()> {
        self.accept_in_flight = false;
        if res >= 0 {
            // SAFETY: the accept's result is a fresh descriptor, ours.
            let stream = unsafe { TcpStream::from_raw_fd(res) };
            // (Accepted while stopping: the cancel came too late. It is served like the others:
            // `drive` adds no operation, and `run` reads and echoes what it sent.)
            if self.live >= self.config.max_connections {
                refuse_now(stream.as_raw_fd(), REFUSED_FULL);
            } else {
                let conn = Conn {
                    stream,
                    echo: LineEcho::new(&self.config),
                    recv_buf: vec![0; READ_CHUNK].into_boxed_slice(),
                    sending: Vec::new(),
                    sent: 0,
                    recv_in_flight: false,
                    timeouts_in_flight: 0,
                    send_in_flight: false,
                    closing: false,
                };
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.slots[slot] = Some(conn);
                        slot
                    }
                    None => {
                        self.slots.push(Some(conn));
                        self.slots.len() - 1
                    }
                };
                self.live += 1;
                self.drive(slot)?;
            }
        } else {
            let e = io::Error::from_raw_os_error(-res);
            if !(self.stopping || accept_error_is_transient(&e)) {
                return Err(e);
            }
        }
        if !self.stopping {
            self.submit_accept()?;
        }
        Ok(())
    }

    /// Cancels every operation in flight; `run` finishes once their completions are in.
    fn begin_stop(&mut self) -> io::Result<()> {
        self.stopping = true;
        let mut targets = Vec::new();
        if self.accept_in_flight {
            targets.push(ACCEPT);
        }
        for (slot, conn) in self.slots.iter().enumerate() {
            let Some(conn) = conn else { continue };
            if conn.recv_in_flight {
                targets.push(tag(slot, RECV)); // its linked timeout goes with it
            }
            if conn.send_in_flight {
                targets.push(tag(slot, SEND));
            }
        }
        for target in targets {
            self.cancel(target)?;
        }
        self.ring.push(Sqe {
            opcode: OP_TIMEOUT,
            fd: -1,
            addr: &*self.give_up as *const Timespec as u64,
            len: 1,
            user_data: STOP_TIMER,
            ..Sqe::default()
        })?;
        // Connections already closing are freed here if their last completion came earlier.
        for slot in 0..self.slots.len() {
            self.drive(slot)?;
        }
        Ok(())
    }

    fn cancel(&self, target: u64) -> io::Result<()> {
        self.ring.push(Sqe {
            opcode: OP_ASYNC_CANCEL,
            fd: -1,
            addr: target,
            user_data: CANCEL,
            ..Sqe::default()
        })
    }

    /// No operation that names one of our buffers is in flight.
    fn quiet(&self) -> bool {
        !self.accept_in_flight
            && !self.wake_in_flight
            && self.slots.iter().flatten().all(|c| !c.in_flight())
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        if !self.quiet() {
            // The kernel may still write into these; closing the ring (dropped next) cancels
            // the operations, but only their completions would prove it. Leak, never free.
            std::mem::forget(std::mem::take(&mut self.slots));
            std::mem::forget(std::mem::replace(&mut self.wake_buf, Box::new([0; 8])));
        }
    }
}

// ANCHOR: uring_received
/// A receive completed: `res` bytes are already in `recv_buf` (the kernel did both phases), or
/// 0 for EOF, or `-errno` — `ECANCELED` when the linked idle timeout fired first.
fn received(conn: &mut Conn, res: i32, stopping: bool) {
    match res {
        0 => conn.echo.eof = true,
        n if n > 0 => {
            if conn.echo.absorb(&conn.recv_buf[..n as usize]).is_err() {
                refuse_now(conn.stream.as_raw_fd(), REFUSED_TOO_LONG);
                close(conn);
            }
        }
        e if -e == libc::ECANCELED && !conn.closing && !stopping => {
            refuse_now(conn.stream.as_raw_fd(), REFUSED_IDLE);
            close(conn);
        }
        _ if stopping => {} // cancelled by the stop: `run` reads what is left
        _ => close(conn),   // reset, or another error: the client is gone
    }
}
// ANCHOR_END: uring_received

/// Marks `conn` closing; it is freed when the completions of its operations in flight are in.
fn close(conn: &mut Conn) {
    conn.closing = true;
    // No cancel needed: shutting the socket down ends its operations in flight — a receive
    // completes with 0 (EOF), a send with EPIPE — and the linked timeout is cancelled with its
    // receive. `Uring::drive`, which runs after every completion, frees the connection once
    // the last one is in. Shut down, not closed: the descriptor stays valid (and is not
    // reused) while the kernel still has operations on it.
    // SAFETY: shuts down our own open socket.
    unsafe { libc::shutdown(conn.stream.as_raw_fd(), libc::SHUT_RDWR) };
}

/// Tells a client why it is being closed: a non-blocking send, best effort.
fn refuse_now(fd: RawFd, why: &str) {
    // SAFETY: sends from a live buffer on an open socket; never blocks, never raises SIGPIPE.
    unsafe {
        libc::send(
            fd,
            why.as_ptr().cast(),
            why.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
}

/// Writes `bytes` to a non-blocking stream, retrying on `WouldBlock` until `deadline`.
fn write_until(stream: &mut TcpStream, mut bytes: &[u8], deadline: Instant) -> bool {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return false,
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}
