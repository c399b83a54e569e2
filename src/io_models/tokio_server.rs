//! The asynchronous model with tokio (seed 000/001 "异步IO", 004 "协程": coroutines as
//! user-level threads). Each connection is a task — a coroutine — written like the blocking
//! thread-per-connection code, `read().await` where that had `read()`. Underneath, tokio's
//! reactor does what `mio_edge.rs` does (epoll, edge-triggered, drain until `WouldBlock`): an
//! `.await` on a socket that would block parks the task and lets the runtime run another.
//!
//! (The seed keeps "asynchronous I/O" for completion-based I/O, where the kernel does both
//! phases and signals completion; tokio is readiness-based. See `io_uring` in the book.)
//!
//! The runtime is current-thread, like the other single-threaded models, so the comparison is
//! about the model, not the thread count.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::conn::{FLUSH_LIMIT, LineEcho};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, REFUSED_TOO_LONG, Server, loopback_listener};
use crate::sync::thread;

pub(super) fn start(config: Config) -> io::Result<Server> {
    let std_listener = loopback_listener()?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let thread = thread::Builder::new()
        .name("tokio".into())
        .spawn(move || runtime.block_on(accept_loop(std_listener, config, stop_rx)))?;
    let stop = Box::new(move || {
        let _ = stop_tx.send(true);
    });
    Ok(Server::new("tokio", addr, stop, thread))
}

// ANCHOR: tokio_accept
async fn accept_loop(
    listener: std::net::TcpListener,
    config: Config,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        while connections.try_join_next().is_some() {}
        if connections.len() >= config.max_connections {
            let _ = stream.try_write(REFUSED_FULL.as_bytes());
            continue;
        }
        connections.spawn(connection(stream, config, stop.clone()));
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}
// ANCHOR_END: tokio_accept

enum Step {
    Stop,
    Idle,
    Read(io::Result<usize>),
}

// ANCHOR: tokio_connection
async fn connection(mut stream: TcpStream, config: Config, mut stop: watch::Receiver<bool>) {
    let mut echo = LineEcho::new(&config);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let step = tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => Step::Stop,
            read = tokio::time::timeout(config.idle_timeout, stream.read(&mut buf)) => {
                read.map_or(Step::Idle, Step::Read)
            }
        };
        match step {
            Step::Stop => return finish(&mut stream, &mut echo).await,
            Step::Idle => {
                let _ = stream.try_write(REFUSED_IDLE.as_bytes());
                return;
            }
            Step::Read(Ok(0)) | Step::Read(Err(_)) => return, // EOF: a tail is dropped
            Step::Read(Ok(n)) => {
                if echo.absorb(&buf[..n]).is_err() {
                    let _ = stream.try_write(REFUSED_TOO_LONG.as_bytes());
                    return;
                }
                if write_pending(&mut stream, &mut echo, config.idle_timeout)
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Stopping: read what the client already sent (without waiting), echo its lines, flush.
async fn finish(stream: &mut TcpStream, echo: &mut LineEcho) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match recv_now(stream, &mut buf) {
            Ok(0) | Err(_) => break, // EOF, WouldBlock or an error
            Ok(n) => {
                if echo.absorb(&buf[..n]).is_err() {
                    break;
                }
                if echo.over_high_water() && write_pending(stream, echo, FLUSH_LIMIT).await.is_err()
                {
                    return;
                }
            }
        }
    }
    let _ = write_pending(stream, echo, FLUSH_LIMIT).await;
}
// ANCHOR_END: tokio_connection

/// A non-blocking `recv` straight to the kernel. Not `try_read`: that trusts tokio's readiness
/// cache, which may not have heard of bytes that arrived just before the stop (the stop can wake
/// the task before the reactor's next turn), and would report `WouldBlock` over them.
fn recv_now(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `recv` writes at most `buf.len()` bytes into `buf`; the descriptor is open.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

async fn write_pending(
    stream: &mut TcpStream,
    echo: &mut LineEcho,
    limit: Duration,
) -> io::Result<()> {
    match tokio::time::timeout(limit, stream.write_all(echo.pending())).await {
        Ok(result) => result?,
        Err(_) => return Err(io::ErrorKind::TimedOut.into()),
    }
    let sent = echo.pending().len();
    echo.consume(sent);
    Ok(())
}
