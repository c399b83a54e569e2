//! The behaviour suite every I/O model must pass, shared by `tests/io_models.rs` (the models
//! that run in any binary) and `tests/io_process.rs` (process per connection, whose test binary
//! doubles as the worker). Loopback only; every client socket has a read and write timeout,
//! every count is fixed, and every server is shut down (or dropped) by the test.
//!
//! Framing: newline-delimited lines; the server echoes each complete line.
#![allow(dead_code)] // each test binary uses part of it

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use threadproof::io_models::{Config, Model, REFUSED_FULL, REFUSED_IDLE, REFUSED_TOO_LONG, Server};

/// The longest any single client read may wait.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the server on loopback");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends `line` (with its newline) and reads one line back.
pub fn round_trip(stream: &mut TcpStream, line: &str) -> String {
    stream.write_all(line.as_bytes()).unwrap();
    read_line(stream)
}

/// Reads one line, byte by byte (so nothing past it is consumed).
pub fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            // A signal (say, SIGCHLD from a process-per-connection worker) may interrupt a read.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!(
                "read failed after {:?}: {e}",
                String::from_utf8_lossy(&line)
            ),
        }
    }
    String::from_utf8(line).unwrap()
}

/// Reads until EOF; a reset counts as EOF (the server closed with data unread).
pub fn read_to_eof(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed after {} bytes: {e}", all.len()),
        }
    }
    String::from_utf8(all).unwrap()
}

pub fn start(model: Model, config: Config) -> Server {
    model
        .start(config)
        .unwrap_or_else(|e| panic!("{} failed to start: {e}", model.name()))
}

pub fn echo_round_trip(model: Model) {
    let server = start(model, Config::default());
    let mut c = client(server.local_addr());
    assert_eq!(round_trip(&mut c, "hello\n"), "hello\n");
    c.write_all(b"two\nlines\n").unwrap();
    assert_eq!(read_line(&mut c), "two\n");
    assert_eq!(read_line(&mut c), "lines\n");
    server.shutdown().unwrap();
}

pub fn many_concurrent_clients(model: Model) {
    const CLIENTS: usize = 40;
    const MESSAGES: usize = 20;
    let server = start(model, Config::default());
    let addr = server.local_addr();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            thread::spawn(move || {
                let mut c = client(addr);
                for m in 0..MESSAGES {
                    let line = format!("client {id} message {m}\n");
                    assert_eq!(round_trip(&mut c, &line), line);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client failed");
    }
    server.shutdown().unwrap();
}

pub fn partial_writes_and_reads(model: Model) {
    let server = start(model, Config::default());
    let mut c = client(server.local_addr());
    for piece in ["hel", "lo\nwo", "r", "ld\n"] {
        c.write_all(piece.as_bytes()).unwrap();
        thread::sleep(Duration::from_millis(15));
    }
    // Read one byte at a time: the echo may come back in any split.
    assert_eq!(read_line(&mut c), "hello\n");
    assert_eq!(read_line(&mut c), "world\n");
    server.shutdown().unwrap();
}

pub fn half_closed_client(model: Model) {
    let server = start(model, Config::default());
    let mut c = client(server.local_addr());
    let lines: String = (0..100).map(|i| format!("line {i}\n")).collect();
    c.write_all(lines.as_bytes()).unwrap();
    c.write_all(b"an unterminated tail").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    // Every complete line comes back, the tail does not, then the server closes.
    assert_eq!(read_to_eof(&mut c), lines);
    server.shutdown().unwrap();
}

pub fn one_mib_at_once(model: Model) {
    let server = start(model, Config::default());
    let mut c = client(server.local_addr());
    let line = format!("{}\n", "x".repeat(1023));
    let data = line.repeat(1024); // 1 MiB
    assert_eq!(data.len(), 1 << 20);
    let mut writer = c.try_clone().unwrap();
    let sent = data.clone();
    // Write from another thread: the echo fills our receive buffer while we are still writing.
    let writing = thread::spawn(move || writer.write_all(sent.as_bytes()).unwrap());
    let mut echoed = vec![0u8; data.len()];
    c.read_exact(&mut echoed).unwrap();
    writing.join().unwrap();
    assert!(echoed == data.as_bytes(), "the 1 MiB echo differs");
    server.shutdown().unwrap();
}

pub fn slow_reader_gets_every_byte(model: Model) {
    // 4 MiB written while the client does not read for half a second: the server's echoes
    // fill the client's receive buffer, its sends come back short (partial writes: io_uring's
    // resubmitted sends, the readiness models' `WouldBlock`), it stops reading at its high
    // water mark — and when the client reads, every byte comes back, in order.
    let server = start(model, Config::default());
    let c = client(server.local_addr());
    let data = format!("{}\n", "s".repeat(1023)).repeat(4096);
    let mut writer = c.try_clone().unwrap();
    let sent = data.clone();
    let writing = thread::spawn(move || writer.write_all(sent.as_bytes()).unwrap());
    thread::sleep(Duration::from_millis(500));
    let mut echoed = vec![0u8; data.len()];
    (&c).read_exact(&mut echoed).unwrap();
    writing.join().unwrap();
    assert!(echoed == data.as_bytes(), "the 4 MiB echo differs");
    server.shutdown().unwrap();
}

pub fn silent_client_does_not_block_others(model: Model) {
    let server = start(model, Config::default());
    let silent = client(server.local_addr());
    let mut talker = client(server.local_addr());
    for i in 0..10 {
        let line = format!("still served {i}\n");
        assert_eq!(round_trip(&mut talker, &line), line);
    }
    // The silent one is still connected (well before the idle timeout): nothing to read yet.
    silent.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let peeked = silent.peek(&mut byte);
    assert!(
        matches!(&peeked, Err(e) if e.kind() == ErrorKind::WouldBlock),
        "silent client got {peeked:?}"
    );
    server.shutdown().unwrap();
}

pub fn idle_timeout(model: Model) {
    let config = Config {
        idle_timeout: Duration::from_millis(500),
        ..Config::default()
    };
    let server = start(model, config);
    let mut silent = client(server.local_addr());
    let mut talker = client(server.local_addr());
    let started = Instant::now();
    // The talker speaks every 60 ms for 720 ms (longer than the timeout) and is never cut off;
    // the margin (440 ms) absorbs scheduling stalls on a loaded machine.
    for i in 0..12 {
        let line = format!("tick {i}\n");
        assert_eq!(round_trip(&mut talker, &line), line);
        thread::sleep(Duration::from_millis(60));
    }
    assert_eq!(read_to_eof(&mut silent), REFUSED_IDLE);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "closed too early: {waited:?}"
    );
    server.shutdown().unwrap();
}

pub fn bounded_connections(model: Model) {
    let config = Config {
        max_connections: 2,
        ..Config::default()
    };
    let server = start(model, config);
    let addr = server.local_addr();
    let mut first = client(addr);
    let mut second = client(addr);
    assert_eq!(round_trip(&mut first, "one\n"), "one\n");
    assert_eq!(round_trip(&mut second, "two\n"), "two\n");
    let mut third = client(addr);
    assert_eq!(read_to_eof(&mut third), REFUSED_FULL);
    // A slot frees when a client leaves; the server notices the EOF soon after.
    drop(first);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut again = client(addr);
        again.write_all(b"three\n").unwrap();
        let answer = read_line(&mut again);
        if answer == "three\n" {
            break;
        }
        assert_eq!(answer, REFUSED_FULL);
        assert!(Instant::now() < deadline, "the freed slot was never reused");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(round_trip(&mut second, "still here\n"), "still here\n");
    server.shutdown().unwrap();
}

pub fn client_disconnects_mid_message(model: Model) {
    let server = start(model, Config::default());
    let addr = server.local_addr();
    let mut stayer = client(addr);
    assert_eq!(round_trip(&mut stayer, "before\n"), "before\n");
    for _ in 0..5 {
        let mut leaver = client(addr);
        leaver.write_all(b"half a mess").unwrap();
        drop(leaver); // gone mid-message
    }
    let mut newcomer = client(addr);
    assert_eq!(round_trip(&mut newcomer, "after\n"), "after\n");
    assert_eq!(round_trip(&mut stayer, "still\n"), "still\n");
    server.shutdown().unwrap();
}

pub fn line_too_long_is_refused(model: Model) {
    let config = Config {
        max_line: 64,
        ..Config::default()
    };
    let server = start(model, config);
    let mut c = client(server.local_addr());
    assert_eq!(round_trip(&mut c, "short\n"), "short\n");
    c.write_all("y".repeat(100).as_bytes()).unwrap();
    let answer = read_to_eof(&mut c);
    // The refusal, unless the close raced it (a reset with our bytes unread loses it).
    assert!(
        answer == REFUSED_TOO_LONG || answer.is_empty(),
        "got {answer:?}"
    );
    let mut other = client(server.local_addr());
    assert_eq!(round_trip(&mut other, "fine\n"), "fine\n");
    server.shutdown().unwrap();
}

pub fn shutdown_keeps_accepted_messages(model: Model) {
    let server = start(model, Config::default());
    let addr = server.local_addr();
    let mut c = client(addr);
    assert_eq!(round_trip(&mut c, "hello\n"), "hello\n"); // accepted for sure
    c.write_all(b"last words\nand a tail").unwrap();
    // Loopback: once `write_all` returns, the bytes are in the server's receive buffer.
    server.shutdown().unwrap();
    assert_eq!(read_to_eof(&mut c), "last words\n");
    assert!(
        TcpStream::connect(addr).is_err(),
        "still accepting after shutdown"
    );
}

pub fn bad_config_is_refused(model: Model) {
    for (config, words) in [
        (
            Config {
                max_connections: 0,
                ..Config::default()
            },
            "max_connections",
        ),
        (
            Config {
                idle_timeout: Duration::ZERO,
                ..Config::default()
            },
            "idle_timeout",
        ),
        (
            Config {
                max_line: 0,
                ..Config::default()
            },
            "max_line",
        ),
    ] {
        let err = model
            .start(config)
            .expect_err("a bad config must be refused");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains(words), "unclear error: {err}");
    }
}

// ANCHOR: two_bursts
/// A client whose data arrives in two bursts, each larger than one read: three 3,000-byte lines,
/// a pause, three more. Returns how many of the six echoes came back within `wait`.
pub fn two_burst_client(server: &Server, wait: Duration) -> usize {
    let mut c = client(server.local_addr());
    let line = format!("{}\n", "z".repeat(2_999));
    let burst = line.repeat(3);
    c.write_all(burst.as_bytes()).unwrap();
    thread::sleep(Duration::from_millis(50));
    c.write_all(burst.as_bytes()).unwrap();
    c.set_read_timeout(Some(wait)).unwrap();
    let mut reader = BufReader::new(c);
    let mut echoed = 0;
    let mut got = String::new();
    while echoed < 6 {
        got.clear();
        match reader.read_line(&mut got) {
            Ok(_) if got == line => echoed += 1,
            Ok(_) => panic!("unexpected echo of {} bytes", got.len()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
    echoed
}
// ANCHOR_END: two_bursts
