//! Non-blocking busy polling (seed 000/001 "Epoll": 非阻塞【忙轮询】：采用死循环方式轮询每一个流
//! ... 容易导致CPU空转). Every socket is non-blocking; one thread asks each of them in turn
//! "anything for me?" and never sleeps. Phase one (waiting) becomes a loop of `read`s that
//! return `WouldBlock`; phase two (the copy) is the `read` that finally returns data. It serves
//! many clients on one thread, and burns a whole core while nobody says anything: the bench
//! measures that (`benches/io_models.rs`, idle CPU).

use std::io;
use std::net::{TcpListener, TcpStream};

use super::conn::{LineEcho, accept_error_is_transient, finish, refuse, service};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, Server, loopback_listener};
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Arc, thread};

pub(super) fn start(config: Config) -> io::Result<Server> {
    let listener = loopback_listener()?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = Arc::clone(&stop);
        thread::Builder::new()
            .name("busy-poll".into())
            .spawn(move || run(listener, config, &stop))?
    };
    let stop_server = Box::new(move || stop.store(true, Ordering::SeqCst));
    Ok(Server::new("busy-poll", addr, stop_server, thread))
}

// ANCHOR: busy_loop
fn run(listener: TcpListener, config: Config, stop: &AtomicBool) -> io::Result<()> {
    let mut conns: Vec<(TcpStream, LineEcho)> = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            for (stream, echo) in &mut conns {
                finish(stream, echo);
            }
            return Ok(());
        }
        // Anyone new?
        match listener.accept() {
            Ok((mut stream, _)) if conns.len() >= config.max_connections => {
                refuse(&mut stream, REFUSED_FULL)
            }
            Ok((stream, _)) => {
                stream.set_nonblocking(true)?;
                conns.push((stream, LineEcho::new(&config)));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || accept_error_is_transient(&e) => {}
            Err(e) => return Err(e),
        }
        // Anything from anyone? Ask every socket, every time round.
        conns.retain_mut(|(stream, echo)| {
            if echo.idle(config.idle_timeout) && !echo.eof {
                refuse(stream, REFUSED_IDLE);
                return false;
            }
            service(stream, echo, 1)
        });
        thread::yield_now(); // polite, but still a spin: the core stays busy
    }
}
// ANCHOR_END: busy_loop
