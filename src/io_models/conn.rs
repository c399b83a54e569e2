//! What every model does with a connection's bytes, whichever way it waited for them: split
//! them into lines, queue complete lines for echo, keep the unterminated tail.

use std::io::{self, Read, Write};

use super::Config;
use crate::sync::time::{Duration, Instant};

/// Bytes read per `read` call by the models that read in chunks (the seed's `recv(1000)`,
/// rounded up to a page).
pub(crate) const READ_CHUNK: usize = 4096;

/// Above this many unsent bytes a connection stops reading until the client reads (so a client
/// that writes without reading cannot grow the server's memory without bound).
pub(crate) const HIGH_WATER: usize = 256 * 1024;

/// How often servers that wait with a timeout look at their stop flag and idle clocks.
pub(crate) const TICK: Duration = Duration::from_millis(20);

/// How long a stopping server keeps trying to flush a connection's echoes.
pub(crate) const FLUSH_LIMIT: Duration = Duration::from_secs(2);

// ANCHOR: line_echo
/// One connection's line state: the unterminated input tail and the echoes not yet sent.
#[derive(Debug)]
pub(crate) struct LineEcho {
    /// Bytes after the last newline seen.
    tail: Vec<u8>,
    /// Complete lines waiting to be written; `out[sent..]` is unsent.
    out: Vec<u8>,
    sent: usize,
    max_line: usize,
    /// When the client last sent something.
    pub(crate) last_heard: Instant,
    /// The client has closed its writing side: echo what is left, then close.
    pub(crate) eof: bool,
}

impl LineEcho {
    pub(crate) fn new(config: &Config) -> LineEcho {
        LineEcho {
            tail: Vec::new(),
            out: Vec::new(),
            sent: 0,
            max_line: config.max_line,
            last_heard: Instant::now(),
            eof: false,
        }
    }

    /// Takes bytes just read: complete lines move to the output, the rest waits for its newline.
    /// Err if the unterminated line has grown past `max_line`.
    pub(crate) fn absorb(&mut self, data: &[u8]) -> Result<(), LineTooLong> {
        self.last_heard = Instant::now();
        match data.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                let (lines, rest) = data.split_at(last + 1);
                // Every line but the first lies wholly in `lines`; check the longest only if
                // there may be one over the limit.
                if self.tail.len() + lines.len() > self.max_line
                    && longest_line(&self.tail, lines) > self.max_line
                {
                    return Err(LineTooLong);
                }
                self.out.extend_from_slice(&self.tail);
                self.out.extend_from_slice(lines);
                self.tail.clear();
                self.tail.extend_from_slice(rest);
            }
            None => self.tail.extend_from_slice(data),
        }
        if self.tail.len() >= self.max_line {
            return Err(LineTooLong);
        }
        Ok(())
    }

    /// Unsent echo bytes.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.out[self.sent..]
    }

    /// Marks `n` pending bytes as sent.
    pub(crate) fn consume(&mut self, n: usize) {
        self.sent += n;
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        } else if self.sent > 64 * 1024 && self.sent * 2 > self.out.len() {
            self.out.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Whether the connection should stop reading until the client catches up.
    pub(crate) fn over_high_water(&self) -> bool {
        self.pending().len() > HIGH_WATER
    }

    /// Whether the client has been silent longer than `timeout`.
    pub(crate) fn idle(&self, timeout: Duration) -> bool {
        self.last_heard.elapsed() >= timeout
    }

    /// Writes pending echoes until done or the socket would block. Ok(true) when all sent.
    pub(crate) fn flush_nonblocking(&mut self, stream: &mut impl Write) -> io::Result<bool> {
        while !self.pending().is_empty() {
            match stream.write(self.pending()) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.consume(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
// ANCHOR_END: line_echo

/// The longest line in `tail` followed by `lines` (which ends with a newline).
fn longest_line(tail: &[u8], lines: &[u8]) -> usize {
    let mut longest = 0;
    let mut current = tail.len();
    for &b in lines {
        current += 1;
        if b == b'\n' {
            longest = longest.max(current);
            current = 0;
        }
    }
    longest
}

/// A line exceeded [`Config::max_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineTooLong;

/// What one non-blocking read pass found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadState {
    /// The socket has nothing more now.
    Drained,
    /// The client closed its writing side (EOF).
    Eof,
    /// Stopped early: a single read was asked for, or the output is over the high water mark.
    Stopped,
    /// A line grew past [`Config::max_line`]: refuse with `REFUSED_TOO_LONG` and close.
    TooLong,
}

/// Reads and absorbs until `WouldBlock`, EOF or the high water mark; at most `max_reads` reads.
pub(crate) fn read_available(
    stream: &mut impl Read,
    echo: &mut LineEcho,
    max_reads: usize,
) -> io::Result<ReadState> {
    let mut buf = [0u8; READ_CHUNK];
    let mut reads = 0;
    loop {
        if reads == max_reads || echo.over_high_water() {
            return Ok(ReadState::Stopped);
        }
        match stream.read(&mut buf) {
            Ok(0) => return Ok(ReadState::Eof),
            Ok(n) => {
                reads += 1;
                if echo.absorb(&buf[..n]).is_err() {
                    return Ok(ReadState::TooLong);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(ReadState::Drained),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

// ANCHOR: service
/// One pass over a ready non-blocking connection: flush, read (at most `max_reads` reads; pass
/// `usize::MAX` to drain until `WouldBlock`), flush again — and go round again while reading
/// stopped at the high water mark and the client keeps up. Returns false when the connection
/// is finished and should be dropped (which closes it).
pub(crate) fn service<S: Read + Write>(
    stream: &mut S,
    echo: &mut LineEcho,
    max_reads: usize,
) -> bool {
    loop {
        match echo.flush_nonblocking(stream) {
            Ok(true) => {}
            // The client is not reading: a writable event will bring us back.
            Ok(false) => return true,
            Err(_) => return false,
        }
        if echo.eof {
            return false; // everything echoed: close
        }
        match read_available(stream, echo, max_reads) {
            // Stopped at the high water mark with bytes possibly left in the socket: flush and
            // read on. (Returning here with the output flushed would wait for an event that,
            // edge-triggered, never comes: the bytes are already there.)
            Ok(ReadState::Stopped) if echo.over_high_water() => {}
            Ok(ReadState::Stopped | ReadState::Drained) => break,
            Ok(ReadState::Eof) => echo.eof = true,
            Ok(ReadState::TooLong) => {
                refuse(stream, super::REFUSED_TOO_LONG);
                return false;
            }
            Err(_) => return false,
        }
    }
    echo.flush_nonblocking(stream).is_ok()
}
// ANCHOR_END: service

/// A stopping server's last words to a non-blocking connection: read what the client already
/// sent, echo every complete line of it, flush (for at most [`FLUSH_LIMIT`]). Errors are the
/// client's problem and are ignored.
pub(crate) fn finish<S: Read + Write>(stream: &mut S, echo: &mut LineEcho) {
    let deadline = Instant::now() + FLUSH_LIMIT;
    // `Stopped`: over the high water mark; flush, then read on. Anything else: all read.
    while let Ok(ReadState::Stopped) = read_available(stream, echo, usize::MAX) {
        if !flush_until(stream, echo, deadline) {
            return;
        }
    }
    flush_until(stream, echo, deadline);
}

/// Flushes a non-blocking stream, retrying on `WouldBlock` until `deadline`. True if all sent.
fn flush_until(stream: &mut impl Write, echo: &mut LineEcho, deadline: Instant) -> bool {
    loop {
        match echo.flush_nonblocking(stream) {
            Ok(true) => return true,
            Ok(false) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
            _ => return false,
        }
    }
}

/// An `accept` error that concerns one would-be client only (it gave up during the handshake, or
/// a signal interrupted the call): skip it and keep serving. Anything else stops the server.
pub(crate) fn accept_error_is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Tells a client why it is being closed (best effort, never blocks for long).
pub(crate) fn refuse(stream: &mut impl Write, why: &str) {
    let _ = stream.write(why.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(max_line: usize) -> LineEcho {
        LineEcho::new(&Config {
            max_line,
            ..Config::default()
        })
    }

    #[test]
    fn complete_lines_are_echoed_and_the_tail_waits() {
        let mut e = echo(100);
        e.absorb(b"hel").unwrap();
        assert_eq!(e.pending(), b"");
        e.absorb(b"lo\nwor").unwrap();
        assert_eq!(e.pending(), b"hello\n");
        e.consume(6);
        e.absorb(b"ld\n").unwrap();
        assert_eq!(e.pending(), b"world\n");
    }

    #[test]
    fn a_line_over_the_limit_is_refused_even_split_across_reads() {
        let mut e = echo(8);
        e.absorb(b"1234").unwrap();
        assert_eq!(e.absorb(b"5678\n"), Err(LineTooLong));
        let mut e = echo(8);
        assert_eq!(e.absorb(b"123456789"), Err(LineTooLong));
        let mut e = echo(8);
        assert_eq!(e.absorb(b"ok\n123456789\nok\n"), Err(LineTooLong));
        let mut e = echo(8);
        e.absorb(b"1234567\n").unwrap();
        assert_eq!(e.pending(), b"1234567\n");
    }
}
