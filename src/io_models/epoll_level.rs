//! Readiness multiplexing with raw `epoll`, **level-triggered** (seed 000/001 "Epoll"; the
//! seed's `selectors` server, which reads once per event, is exactly this).
//!
//! Level-triggered means "report the socket while the condition holds": a readable socket with
//! bytes left after one `read` is reported again by the next `epoll_wait`. So one read per event
//! is correct here, unlike under edge-triggering (`mio_edge.rs`, `flawed.rs`). The price is
//! that the interest set must follow the connection's state: a socket that wants nothing more
//! (EOF seen, or echoes piling up) must drop `EPOLLIN`, and `EPOLLOUT` is asked for only while
//! echoes are pending — a level-triggered `EPOLLOUT` on an idle socket fires on every wait.
//!
//! mio only speaks edge-triggered, so this file talks to `epoll` through `libc`.

use std::collections::HashMap;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::conn::{LineEcho, TICK, accept_error_is_transient, finish, refuse, service};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, Server, loopback_listener};
use crate::sync::{Arc, thread};

const LISTENER: u64 = 0;
const WAKER: u64 = 1;

/// An epoll instance (level-triggered: no `EPOLLET` anywhere).
struct Epoll(OwnedFd);

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: plain syscall; the returned descriptor is owned from here on.
        let fd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, key: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: key };
        // SAFETY: both descriptors are open; `event` lives across the call.
        check(unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd, &mut event) }).map(drop)
    }

    fn wait(&self, events: &mut [libc::epoll_event], timeout_ms: i32) -> io::Result<usize> {
        // SAFETY: the kernel writes at most `events.len()` entries into `events`.
        let n = unsafe {
            libc::epoll_wait(
                self.0.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as libc::c_int,
                timeout_ms,
            )
        };
        check(n).map(|n| n as usize)
    }
}

/// An eventfd the stopping thread writes to, to wake `epoll_wait`.
fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the returned descriptor is owned from here on.
    let fd = check(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(super) fn start(config: Config) -> io::Result<Server> {
    let listener = loopback_listener()?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let epoll = Epoll::new()?;
    let waker = Arc::new(eventfd()?);
    epoll.ctl(
        libc::EPOLL_CTL_ADD,
        waker.as_raw_fd(),
        libc::EPOLLIN as u32,
        WAKER,
    )?;
    // The eventfd lives as long as the loop: closing it would take a pending wake off epoll's
    // ready list with it.
    let keep_waker = Arc::clone(&waker);
    let thread = thread::Builder::new()
        .name("epoll-level".into())
        .spawn(move || {
            let result = run(&epoll, listener, config);
            drop(keep_waker);
            result
        })?;
    let stop = Box::new(move || {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer to an open eventfd.
        unsafe { libc::write(waker.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    });
    Ok(Server::new("epoll-level", addr, stop, thread))
}

struct Conn {
    stream: TcpStream,
    echo: LineEcho,
    /// The interest currently registered.
    interest: u32,
}

/// What the connection wants to hear about now.
fn wanted(echo: &LineEcho) -> u32 {
    let mut interest = 0;
    if !echo.eof && !echo.over_high_water() {
        interest |= libc::EPOLLIN as u32;
    }
    if !echo.pending().is_empty() {
        interest |= libc::EPOLLOUT as u32;
    }
    interest
}

// ANCHOR: epoll_loop
fn run(epoll: &Epoll, listener: TcpListener, config: Config) -> io::Result<()> {
    epoll.ctl(
        libc::EPOLL_CTL_ADD,
        listener.as_raw_fd(),
        libc::EPOLLIN as u32,
        LISTENER,
    )?;
    let mut conns: HashMap<u64, Conn> = HashMap::new();
    let mut next_key = 2;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    loop {
        let n = match epoll.wait(&mut events, TICK.as_millis() as i32) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for event in &events[..n] {
            match event.u64 {
                WAKER => {
                    for conn in conns.values_mut() {
                        conn.stream.set_nonblocking(true)?;
                        finish(&mut conn.stream, &mut conn.echo);
                    }
                    return Ok(());
                }
                LISTENER => {
                    // One accept per event: if more are queued, the next wait reports it again.
                    let mut stream = match listener.accept() {
                        Ok((stream, _)) => stream,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        Err(e) if accept_error_is_transient(&e) => continue,
                        Err(e) => return Err(e),
                    };
                    if conns.len() >= config.max_connections {
                        refuse(&mut stream, REFUSED_FULL);
                        continue;
                    }
                    stream.set_nonblocking(true)?;
                    let interest = libc::EPOLLIN as u32;
                    epoll.ctl(libc::EPOLL_CTL_ADD, stream.as_raw_fd(), interest, next_key)?;
                    let echo = LineEcho::new(&config);
                    conns.insert(
                        next_key,
                        Conn {
                            stream,
                            echo,
                            interest,
                        },
                    );
                    next_key += 1;
                }
                key => {
                    let Some(conn) = conns.get_mut(&key) else {
                        continue;
                    };
                    // One read per event: level-triggering reports leftovers again.
                    if !service(&mut conn.stream, &mut conn.echo, 1) {
                        conns.remove(&key); // closing the socket removes it from the set
                        continue;
                    }
                    let interest = wanted(&conn.echo);
                    if interest != conn.interest {
                        let fd = conn.stream.as_raw_fd();
                        epoll.ctl(libc::EPOLL_CTL_MOD, fd, interest, key)?;
                        conn.interest = interest;
                    }
                }
            }
        }
        conns.retain(|_, conn| {
            let idle = conn.echo.idle(config.idle_timeout) && !conn.echo.eof;
            if idle {
                refuse(&mut conn.stream, REFUSED_IDLE);
            }
            !idle
        });
    }
}
// ANCHOR_END: epoll_loop
