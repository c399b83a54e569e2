//! A bounded load generator for the echo servers: N connections x M messages, loopback only.
//!
//! One client thread drives every connection through mio, closed-loop: each connection sends
//! its next line only when the previous echo is back, so a message's latency is exactly the
//! time from its write to its echo. Bounded in count (N x M messages) and in time (a deadline);
//! it stops by itself either way and says which.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::sync::time::{Duration, Instant};

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Connections opened.
    pub connections: usize,
    /// Echoes received (at most connections x messages).
    pub messages: usize,
    /// Wall time from the first write to the last echo (or the deadline).
    pub elapsed: Duration,
    /// Per-message round-trip latencies, sorted.
    pub latencies: Vec<Duration>,
    /// True if the deadline cut the run short.
    pub timed_out: bool,
}

impl LoadReport {
    /// Echoes per second.
    pub fn throughput(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile of the latencies (0.5 for p50, 0.99 for p99).
    pub fn latency(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 * q).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1]
    }
}

struct Client {
    stream: TcpStream,
    line: Vec<u8>,
    sent_at: Instant,
    got: usize,
    remaining: usize,
}

impl Client {
    fn send(&mut self) -> io::Result<()> {
        self.sent_at = Instant::now();
        self.got = 0;
        // A 64-byte line fits any socket buffer: one write, or it is an error.
        match self.stream.write(&self.line) {
            Ok(n) if n == self.line.len() => Ok(()),
            Ok(_) => Err(io::Error::other("load: short write of a 64-byte line")),
            Err(e) => Err(e),
        }
    }
}

// ANCHOR: load
/// Opens `connections` connections to `addr` (which must be loopback) and sends `messages`
/// 64-byte lines on each, one at a time, until all are echoed or `deadline` passes.
pub fn run(
    addr: SocketAddr,
    connections: usize,
    messages: usize,
    deadline: Duration,
) -> io::Result<LoadReport> {
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("load::run drives loopback servers only, not {addr}"),
        ));
    }
    let give_up = Instant::now() + deadline;
    let mut poll = Poll::new()?;
    let mut clients = HashMap::new();
    for id in 0..connections {
        let std_stream = std::net::TcpStream::connect(addr)?;
        std_stream.set_nodelay(true)?;
        std_stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(std_stream);
        poll.registry()
            .register(&mut stream, Token(id), Interest::READABLE)?;
        let mut line = format!("connection {id:>6} says hello");
        line.push_str(&".".repeat(63 - line.len()));
        line.push('\n');
        clients.insert(
            id,
            Client {
                stream,
                line: line.into_bytes(),
                sent_at: Instant::now(),
                got: 0,
                remaining: messages,
            },
        );
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(connections * messages);
    for client in clients.values_mut() {
        if client.remaining > 0 {
            client.send()?;
        }
    }
    let mut open = clients.values().filter(|c| c.remaining > 0).count();
    let mut events = Events::with_capacity(1024);
    let mut buf = [0u8; 4096];
    let mut timed_out = false;
    while open > 0 {
        let now = Instant::now();
        if now >= give_up {
            timed_out = true;
            break;
        }
        match poll.poll(&mut events, Some(give_up - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            let Some(client) = clients.get_mut(&event.token().0) else {
                continue;
            };
            loop {
                match client.stream.read(&mut buf) {
                    Ok(0) => return Err(io::Error::other("load: the server closed a connection")),
                    Ok(n) => client.got += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
                if client.got >= client.line.len() {
                    latencies.push(client.sent_at.elapsed());
                    client.remaining -= 1;
                    if client.remaining == 0 {
                        open -= 1;
                        break;
                    }
                    client.send()?;
                }
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(LoadReport {
        connections,
        messages: latencies.len(),
        elapsed,
        latencies,
        timed_out,
    })
}
// ANCHOR_END: load
