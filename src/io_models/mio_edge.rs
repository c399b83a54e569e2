//! Readiness multiplexing with mio, edge-triggered (seed 000/001 "Epoll": Epoll会哪个流发生了怎样
//! 的I/O事件通知处理线程; seed 001 "selectors", the `DefaultSelector` echo server).
//!
//! One thread sleeps in `epoll_wait` (phase one, for every socket at once) and, for each socket
//! the kernel names, does the copies (phase two) itself. mio registers sockets
//! **edge-triggered** (`EPOLLET`): an event means "something changed", not "something is there".
//! The kernel will not report the same bytes twice, so the handler must read until `WouldBlock`
//! — whatever it leaves behind waits for the next *new* data, which may never come. The flawed
//! variant ([`super::flawed::MioEdgeReadOnce`]) leaves it behind.
//!
//! Idle connections are found by a sweep after each wakeup; `poll` waits at most [`TICK`].

use std::collections::HashMap;
use std::io;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use super::conn::{LineEcho, TICK, accept_error_is_transient, finish, refuse, service};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, Server, loopback_listener};
use crate::sync::{Arc, thread};

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

/// How a handler reads a ready socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadPolicy {
    /// Until `WouldBlock`: what edge-triggering requires.
    Drain,
    /// One `read` per event, as the seed's `read` callback does (`conn.recv(1000)`): right under
    /// level-triggering, a stall under edge-triggering. Only the flawed variant uses it.
    OncePerEvent,
}

pub(crate) fn start(config: Config, policy: ReadPolicy) -> io::Result<Server> {
    let std_listener = loopback_listener()?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let name = match policy {
        ReadPolicy::Drain => "mio-edge",
        ReadPolicy::OncePerEvent => "mio-edge-read-once (flawed)",
    };
    // The waker lives as long as the loop: closing its descriptor would take a pending wake
    // off epoll's ready list with it.
    let keep_waker = Arc::clone(&waker);
    let thread = thread::Builder::new().name(name.into()).spawn(move || {
        let result = run(poll, TcpListener::from_std(std_listener), config, policy);
        drop(keep_waker);
        result
    })?;
    let stop = Box::new(move || {
        let _ = waker.wake();
    });
    Ok(Server::new(name, addr, stop, thread))
}

// ANCHOR: mio_loop
fn run(
    mut poll: Poll,
    mut listener: TcpListener,
    config: Config,
    policy: ReadPolicy,
) -> io::Result<()> {
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: HashMap<Token, (TcpStream, LineEcho)> = HashMap::new();
    let mut next_token = 2;
    let mut events = Events::with_capacity(1024);
    let max_reads = match policy {
        ReadPolicy::Drain => usize::MAX,
        ReadPolicy::OncePerEvent => 1,
    };
    loop {
        if let Err(e) = poll.poll(&mut events, Some(TICK)) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in &events {
            match event.token() {
                WAKER => {
                    // Stop: no more accepts; last words to every connection.
                    for (stream, echo) in conns.values_mut() {
                        finish(stream, echo);
                    }
                    return Ok(());
                }
                LISTENER => loop {
                    // Edge-triggered here too: accept until WouldBlock.
                    let (mut stream, _) = match listener.accept() {
                        Ok(accepted) => accepted,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if accept_error_is_transient(&e) => continue,
                        Err(e) => return Err(e),
                    };
                    if conns.len() >= config.max_connections {
                        refuse(&mut stream, REFUSED_FULL);
                        continue;
                    }
                    let token = Token(next_token);
                    next_token += 1;
                    poll.registry().register(
                        &mut stream,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    conns.insert(token, (stream, LineEcho::new(&config)));
                },
                token => {
                    if let Some((stream, echo)) = conns.get_mut(&token)
                        && !service(stream, echo, max_reads)
                    {
                        conns.remove(&token); // dropping it deregisters and closes it
                    }
                }
            }
        }
        conns.retain(|_, (stream, echo)| {
            let idle = echo.idle(config.idle_timeout) && !echo.eof;
            if idle {
                refuse(stream, REFUSED_IDLE);
            }
            !idle
        });
    }
}
// ANCHOR_END: mio_loop
