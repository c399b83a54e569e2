//! Blocking I/O, one thread per connection (seed 001 "多任务": 针对每个客户端，Server都会创建一个
//! 新线程专门用于处理). Both phases of a read happen inside `read`: the thread sleeps in the
//! kernel until data arrives, then the kernel copies it. Simple, and each client costs a thread
//! (a stack, a scheduler entry), so the count is bounded: past [`Config::max_connections`] live
//! threads, a new client is accepted, told `ERR server full` and closed at once — it is not left
//! waiting in the backlog, where it could not tell a slow server from a dead one.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use super::conn::{LineEcho, TICK, finish, refuse};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, REFUSED_TOO_LONG, Server, loopback_listener};
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::sync::{Arc, thread};

pub(super) fn start(config: Config) -> io::Result<Server> {
    let listener = loopback_listener()?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = Arc::clone(&stop);
        thread::Builder::new()
            .name("thread-per-conn accept".into())
            .spawn(move || accept_loop(listener, config, &stop))?
    };
    let stop_server = Box::new(move || {
        stop.store(true, Ordering::SeqCst);
        // The acceptor sleeps in `accept`: a connection of our own wakes it to see the flag.
        let _ = TcpStream::connect(addr);
    });
    Ok(Server::new(
        "thread-per-connection",
        addr,
        stop_server,
        thread,
    ))
}

// ANCHOR: accept_loop
fn accept_loop(listener: TcpListener, config: Config, stop: &Arc<AtomicBool>) -> io::Result<()> {
    let live = Arc::new(AtomicUsize::new(0));
    let mut workers: Vec<thread::JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        workers.retain(|w| !w.is_finished());
        if live.load(Ordering::SeqCst) >= config.max_connections {
            refuse(&mut stream, REFUSED_FULL); // at the bound: a clear no, not a hang
            continue;
        }
        live.fetch_add(1, Ordering::SeqCst);
        let (live_, stop) = (Arc::clone(&live), Arc::clone(stop));
        let worker = thread::Builder::new()
            .name("thread-per-conn worker".into())
            .spawn(move || {
                let _ = serve(stream, &config, &stop);
                live_.fetch_sub(1, Ordering::SeqCst);
            });
        match worker {
            Ok(worker) => workers.push(worker),
            Err(_) => {
                live.fetch_sub(1, Ordering::SeqCst); // no thread for it: it was refused
            }
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}
// ANCHOR_END: accept_loop

// ANCHOR: serve
/// Serves one connection with blocking reads and writes until EOF, an idle timeout, an error
/// or `stop`. The read waits at most [`TICK`] so the thread notices `stop` and idleness.
pub(crate) fn serve(mut stream: TcpStream, config: &Config, stop: &AtomicBool) -> io::Result<()> {
    stream.set_read_timeout(Some(TICK))?;
    stream.set_write_timeout(Some(config.idle_timeout))?;
    let mut echo = LineEcho::new(config);
    let mut buf = [0u8; 16 * 1024];
    loop {
        if stop.load(Ordering::SeqCst) {
            stream.set_nonblocking(true)?;
            finish(&mut stream, &mut echo);
            return Ok(());
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                stream.write_all(echo.pending())?; // already written; a tail is dropped
                return stream.shutdown(Shutdown::Both);
            }
            Ok(n) => {
                if echo.absorb(&buf[..n]).is_err() {
                    refuse(&mut stream, REFUSED_TOO_LONG);
                    return Ok(());
                }
                stream.write_all(echo.pending())?;
                let sent = echo.pending().len();
                echo.consume(sent);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if echo.idle(config.idle_timeout) {
                    refuse(&mut stream, REFUSED_IDLE);
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: serve
