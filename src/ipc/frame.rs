//! Length-prefixed frames, byte-compatible with Python's `multiprocessing.connection`.
//!
//! `Connection.send_bytes(buf)` in CPython (3.7 to 3.13, `Lib/multiprocessing/connection.py`)
//! writes:
//!
//! | payload length `n` | bytes on the wire |
//! |---|---|
//! | `n <= 0x7fff_ffff` | `n` as a 4-byte big-endian **signed** integer, then the payload |
//! | `n > 0x7fff_ffff` | `-1` (`ff ff ff ff`), then `n` as an 8-byte big-endian unsigned integer, then the payload |
//!
//! An empty message is a bare `00 00 00 00`. [`write_frame`] produces exactly these bytes and
//! [`read_frame`] accepts them (it also accepts the escape with a small length, which Python
//! reads too but never writes). [`read_frame`] never reads past a frame; [`FrameReader`] reads
//! ahead into a buffer of its own, and a large payload straight into the caller's buffer, header
//! and payload in one vectored read.
//!
//! Both readers are written for bytes from a peer that may be hostile or broken:
//!
//! - the length is checked against a maximum **before** anything is allocated, and even an
//!   accepted length is not allocated up front: the buffer grows as bytes actually arrive, so a
//!   peer that announces 1 GiB and sends 10 bytes costs 10 bytes;
//! - end of stream before a header ([`FrameError::Closed`]: the peer hung up between
//!   messages, Python's `EOFError`) and end of stream inside a header or payload
//!   ([`FrameError::Truncated`]: the peer died mid-message, Python's "got end of file during
//!   message") are distinct errors;
//! - a negative length other than the `-1` escape is [`FrameError::BadLength`].
//!
//! An I/O error (a read timeout, say) in the middle of a frame leaves the stream at an unknown
//! position: drop the connection after any error other than [`FrameError::TooLarge`] (after
//! which the stream is also unusable, since the payload was not consumed).

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};

/// The largest payload [`read_frame`] accepts unless told otherwise: 64 MiB.
pub const DEFAULT_MAX_MESSAGE: u64 = 64 << 20;

/// Payloads up to this length use the 4-byte header (Python's `0x7fffffff`).
pub const SHORT_MAX: u64 = i32::MAX as u64;

/// How much of an announced payload is reserved before any of it has arrived.
const INITIAL_RESERVE: u64 = 64 * 1024;

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The stream ended cleanly before the first byte of a header: the peer closed the
    /// connection between messages (Python raises `EOFError`).
    Closed,
    /// The stream ended inside a frame: `got` of the `expected` bytes of the header or the
    /// payload had arrived (Python: "got end of file during message").
    Truncated {
        /// Which part was cut short.
        part: Part,
        /// Bytes of that part that did arrive.
        got: u64,
        /// Bytes of that part that were due.
        expected: u64,
    },
    /// The header announced more than the reader's maximum; nothing was allocated.
    TooLarge {
        /// The announced payload length.
        len: u64,
        /// The maximum in force.
        max: u64,
    },
    /// The 4-byte header held a negative length other than the `-1` escape.
    BadLength(i32),
    /// The underlying stream failed.
    Io(io::Error),
}

/// The part of a frame that a truncated stream cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The 4-byte length.
    Header,
    /// The 8-byte length after the `-1` escape.
    LongHeader,
    /// The message itself.
    Payload,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "4-byte length header",
            Part::LongHeader => "8-byte extended length",
            Part::Payload => "payload",
        })
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Closed => f.write_str("connection closed by the peer (end of stream)"),
            FrameError::Truncated {
                part,
                got,
                expected,
            } => write!(
                f,
                "end of stream in the middle of a message: got {got} of {expected} bytes of the {part}"
            ),
            FrameError::TooLarge { len, max } => write!(
                f,
                "message length {len} exceeds the maximum of {max} bytes (corrupt or hostile peer)"
            ),
            FrameError::BadLength(n) => write!(f, "invalid negative message length {n}"),
            FrameError::Io(e) => write!(f, "I/O error while reading a message: {e}"),
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrameError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        FrameError::Io(e)
    }
}

impl From<FrameError> for io::Error {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::Io(e) => e,
            FrameError::Closed => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            FrameError::Truncated { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            FrameError::TooLarge { .. } | FrameError::BadLength(_) => {
                io::Error::new(io::ErrorKind::InvalidData, e)
            }
        }
    }
}

// ANCHOR: header
/// The header for a payload of `len` bytes: 4 bytes, or 12 with the `-1` escape. Returns the
/// buffer and how many of its bytes to send.
pub fn encode_header(len: u64) -> ([u8; 12], usize) {
    let mut header = [0u8; 12];
    if len <= SHORT_MAX {
        header[..4].copy_from_slice(&(len as i32).to_be_bytes());
        (header, 4)
    } else {
        header[..4].copy_from_slice(&(-1i32).to_be_bytes());
        header[4..].copy_from_slice(&len.to_be_bytes());
        (header, 12)
    }
}
// ANCHOR_END: header

/// Writes one frame: the header, then `payload`, gathered into one `writev` where the writer
/// supports it (a socket does), so a frame costs one system call and no copy.
pub fn write_frame<W: Write + ?Sized>(w: &mut W, payload: &[u8]) -> io::Result<()> {
    let (header, n) = encode_header(payload.len() as u64);
    let mut slices = [IoSlice::new(&header[..n]), IoSlice::new(payload)];
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut bufs, written),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One read, retried while a signal interrupts it.
fn read_once(mut read: impl FnMut() -> io::Result<usize>) -> Result<usize, FrameError> {
    loop {
        match read() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return result.map_err(FrameError::Io),
        }
    }
}

/// Reads bytes until `buf` is full or the stream ends; returns how many arrived.
fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<usize, FrameError> {
    let mut got = 0;
    while got < buf.len() {
        match read_once(|| r.read(&mut buf[got..]))? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

// ANCHOR: read_len
/// Reads a frame's header and returns the payload length, checked against `max`.
pub fn read_len<R: Read + ?Sized>(r: &mut R, max: u64) -> Result<u64, FrameError> {
    let mut short = [0u8; 4];
    match read_full(r, &mut short)? {
        0 => return Err(FrameError::Closed),
        4 => {}
        got => {
            return Err(FrameError::Truncated {
                part: Part::Header,
                got: got as u64,
                expected: 4,
            });
        }
    }
    let len = match short_len(short)? {
        Some(len) => len,
        None => {
            let mut long = [0u8; 8];
            let got = read_full(r, &mut long)?;
            if got < 8 {
                return Err(FrameError::Truncated {
                    part: Part::LongHeader,
                    got: got as u64,
                    expected: 8,
                });
            }
            u64::from_be_bytes(long)
        }
    };
    within(len, max)
}

/// The length a 4-byte header gives: `Some(len)`, or `None` for the `-1` escape (the length
/// is in the next 8 bytes), or [`FrameError::BadLength`] for any other negative value.
fn short_len(short: [u8; 4]) -> Result<Option<u64>, FrameError> {
    match i32::from_be_bytes(short) {
        -1 => Ok(None),
        n if n < 0 => Err(FrameError::BadLength(n)),
        n => Ok(Some(n as u64)),
    }
}

/// `len` if it is at most `max`: checked before a single byte of the payload is allocated.
fn within(len: u64, max: u64) -> Result<u64, FrameError> {
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(len)
}
// ANCHOR_END: read_len

/// Reads one frame's payload into `buf` (replacing what it held), accepting at most `max` bytes.
pub fn read_frame_into<R: Read + ?Sized>(
    r: &mut R,
    max: u64,
    buf: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let len = match read_len(r, max) {
        Ok(len) => len,
        Err(e) => {
            buf.clear();
            return Err(e);
        }
    };
    read_payload(r, len, buf, 0)
}

/// Reads the rest of a `len`-byte payload into `buf`, whose first `got` bytes already hold
/// its start; on success `buf` is exactly the payload, on error the part that arrived.
///
/// The payload is read straight into `buf`, in chunks that grow only as bytes really arrive:
/// the first is at most INITIAL_RESERVE (or what has arrived), each later one at most what has
/// arrived so far, so a lying length costs at most twice the bytes actually sent. Bytes `buf`
/// already holds from an earlier message are overwritten in place, not zeroed first. A payload
/// larger than the connection's read buffer thus takes one `read` for its rest, straight into
/// place, where `read_to_end` took one per doubling step, each through the buffer. No byte
/// past the payload is read.
fn read_payload<R: Read + ?Sized>(
    r: &mut R,
    len: u64,
    buf: &mut Vec<u8>,
    mut got: usize,
) -> Result<(), FrameError> {
    while (got as u64) < len {
        let chunk = (len - got as u64).min((got as u64).max(INITIAL_RESERVE)) as usize;
        let end = got + chunk;
        if buf.len() < end {
            buf.resize(end, 0);
        }
        let n = match read_full(r, &mut buf[got..end]) {
            Ok(n) => n,
            Err(e) => {
                buf.truncate(got);
                return Err(e);
            }
        };
        got += n;
        if n < chunk {
            buf.truncate(got);
            return Err(FrameError::Truncated {
                part: Part::Payload,
                got: got as u64,
                expected: len,
            });
        }
    }
    buf.truncate(got);
    Ok(())
}

/// Reads one frame and returns its payload, accepting at most `max` bytes.
pub fn read_frame<R: Read + ?Sized>(r: &mut R, max: u64) -> Result<Vec<u8>, FrameError> {
    let mut buf = Vec::new();
    read_frame_into(r, max, &mut buf)?;
    Ok(buf)
}

/// The read-ahead buffer a [`FrameReader`] starts with.
const READ_AHEAD: usize = 16 * 1024;

/// The most of the caller's buffer a [`FrameReader`] offers as room for a payload before it
/// knows the payload's length. It bounds how far a read may run past a short frame, and so how
/// much the reader's own buffer may have to grow to keep those bytes.
const SPECULATIVE_MAX: usize = 1 << 20;

/// A caller's buffer shorter than this is not read into before the length is known: the
/// payload it predicts is cheaper to copy out of the reader's own buffer, filled by a plain
/// `recv`, than to gather with a three-part vectored read (measured on a Unix socket pair: the
/// vectored read costs 100-300 ns more per call up to 4 KiB, about as much at 16 KiB).
pub const SPECULATE_MIN: usize = 4 * 1024;

/// A buffered frame reader that reads a payload straight into the caller's buffer, so that a
/// large message costs about one `read` of the payload.
///
/// [`read_frame_into`] on an unbuffered stream never reads past a frame, so it needs one read
/// for the header and one for the payload; behind a plain read-ahead buffer, a large payload is
/// copied through that buffer. When its own buffer holds no complete header, a `FrameReader`
/// instead reads with one vectored read (`readv`, or `recvmsg` in a
/// [`Connection`](super::connection::Connection)) into
///
/// | the rest of the 4-byte header | the caller's buffer, as far as it is already long | its own buffer |
///
/// so a buffer reused for messages of one size receives each in a single system call, with
/// the header kept apart and no copy. (A buffer shorter than [`SPECULATE_MIN`] is not
/// offered: a small payload is cheaper to copy than to gather.) What lands past the end of the
/// frame (the next frame's start, if the peer sent several) is moved into the reader's own
/// buffer and read from there next time; a payload longer than the caller's buffer continues with reads straight into
/// it. Small messages arrive several per read, as through any buffer.
///
/// The guarantees of [`read_frame_into`] hold: the length is checked against the maximum
/// before anything is allocated, the caller's buffer grows only as payload bytes arrive,
/// [`FrameError::Closed`] and [`FrameError::Truncated`] are told apart, the `-1` escape is
/// read. No byte of the stream is lost between messages: the reader's buffer keeps what was
/// read ahead (see [`buffer`](Self::buffer)).
///
/// A reader whose [`Read::read_vectored`] is not really vectored (the default fills only the
/// first buffer) still works: the header then arrives in a read of its own.
///
/// ```
/// use threadproof::ipc::frame::{FrameError, FrameReader, write_frame};
///
/// // Two frames back to back, as a peer's `send_bytes` would write them.
/// let mut stream = Vec::new();
/// write_frame(&mut stream, &[7; 8192]).unwrap();
/// write_frame(&mut stream, b"second").unwrap();
///
/// let mut reader = FrameReader::new(&stream[..]);
/// let mut buf = vec![0; 8192]; // reused: its length is the room offered to the next payload
/// reader.read_frame_into(1 << 20, &mut buf).unwrap();
/// assert_eq!(buf, [7; 8192]);
/// reader.read_frame_into(1 << 20, &mut buf).unwrap(); // read ahead, not lost
/// assert_eq!(buf, b"second");
/// assert!(matches!(reader.read_frame_into(1 << 20, &mut buf), Err(FrameError::Closed)));
/// ```
pub struct FrameReader<R> {
    inner: R,
    /// Read-ahead bytes are `buf[pos..filled]`; all of `buf` is initialized.
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
}

impl<R: fmt::Debug> fmt::Debug for FrameReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("inner", &self.inner)
            .field("buffered", &(self.filled - self.pos))
            .field("capacity", &self.buf.len())
            .finish()
    }
}

impl<R: Read> FrameReader<R> {
    /// Wraps `inner` with a 16 KiB read-ahead buffer.
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            buf: vec![0; READ_AHEAD],
            pos: 0,
            filled: 0,
        }
    }

    /// The bytes read ahead and not yet returned: the start of the next frame(s).
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// The underlying reader. Reading from it directly bypasses [`buffer`](Self::buffer).
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably. Reading from it directly bypasses
    /// [`buffer`](Self::buffer).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The underlying reader; the bytes in [`buffer`](Self::buffer) are dropped, so check that
    /// it is empty first if they matter.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads one frame and returns its payload, accepting at most `max` bytes. The payload is
    /// allocated as it arrives; [`read_frame_into`](Self::read_frame_into) with a reused buffer
    /// is the faster way to receive large messages.
    pub fn read_frame(&mut self, max: u64) -> Result<Vec<u8>, FrameError> {
        let mut buf = Vec::new();
        self.read_frame_into(max, &mut buf)?;
        Ok(buf)
    }

    /// Reads one frame's payload into `buf` (replacing what it held), accepting at most `max`
    /// bytes. The bytes `buf` already holds (if at least [`SPECULATE_MIN`]) are the room
    /// offered to the payload before its length is known: a buffer reused for messages of one
    /// size receives each in one read.
    /// After an error, `buf` holds the part of the payload that did arrive (nothing if the
    /// header was not read).
    pub fn read_frame_into(&mut self, max: u64, buf: &mut Vec<u8>) -> Result<(), FrameError> {
        let (len, got) = match self.read_header(max, buf) {
            Ok(header) => header,
            Err(e) => {
                buf.clear();
                return Err(e);
            }
        };
        // The stream goes on with `buf[..got]`, then `self.buffer()`, then `inner`.
        let n = ((self.filled - self.pos) as u64).min(len - got as u64) as usize;
        if n > 0 {
            if buf.len() < got + n {
                buf.resize(got + n, 0);
            }
            buf[got..got + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
        }
        read_payload(&mut self.inner, len, buf, got + n)
    }

    /// Reads and checks a header; returns the payload length and how many payload bytes are
    /// already at the start of `out` (the rest of the stream follows in `self.buffer()`).
    fn read_header(&mut self, max: u64, out: &mut [u8]) -> Result<(u64, usize), FrameError> {
        loop {
            let have = self.filled - self.pos;
            if have >= 4 {
                let at = self.pos;
                let len = match short_len(self.buf[at..at + 4].try_into().unwrap())? {
                    Some(len) => {
                        self.pos += 4;
                        len
                    }
                    None if have < 12 => {
                        if self.fill()? == 0 {
                            return Err(FrameError::Truncated {
                                part: Part::LongHeader,
                                got: (have - 4) as u64,
                                expected: 8,
                            });
                        }
                        continue;
                    }
                    None => {
                        self.pos += 12;
                        u64::from_be_bytes(self.buf[at + 4..at + 12].try_into().unwrap())
                    }
                };
                return Ok((within(len, max)?, 0));
            }
            // Less than a header: read it, and as much of the payload as `out` has room for,
            // straight into `out`.
            self.compact();
            let slot = match out.len() {
                n if n < SPECULATE_MIN => 0,
                n => n.min(SPECULATIVE_MAX),
            };
            let n = if slot == 0 {
                self.fill()?
            } else {
                let (head, tail) = self.buf.split_at_mut(4);
                let mut bufs = [
                    IoSliceMut::new(&mut head[have..]),
                    IoSliceMut::new(&mut out[..slot]),
                    IoSliceMut::new(tail),
                ];
                read_once(|| self.inner.read_vectored(&mut bufs))?
            };
            if n == 0 {
                return Err(if have == 0 {
                    FrameError::Closed
                } else {
                    FrameError::Truncated {
                        part: Part::Header,
                        got: have as u64,
                        expected: 4,
                    }
                });
            }
            if slot == 0 || n <= 4 - have {
                if slot != 0 {
                    self.filled += n;
                }
                continue;
            }
            // The header is whole in `buf[..4]`; `m` bytes went to `out`, `t` to `buf[4..]`.
            let m = (n - (4 - have)).min(slot);
            let t = n - (4 - have) - m;
            self.filled = 4 + t;
            let short = i32::from_be_bytes(self.buf[..4].try_into().unwrap());
            if short < 0 || short as u64 > max {
                // The escape, a bad or an oversized length: give back what went to `out` and
                // let the buffered path above decide.
                self.unread(4, &out[..m]);
                continue;
            }
            let len = short as usize;
            self.pos = 4;
            if len < m {
                // The frame ended inside `out`: what follows it is the next frame's start.
                self.unread(4, &out[len..m]);
                return Ok((len as u64, len));
            }
            return Ok((len as u64, m));
        }
    }

    /// Moves the buffered bytes to the start of the buffer.
    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
    }

    /// Reads once into the free end of the buffer (compacting it first if it is full);
    /// returns how many bytes came (0: end of stream).
    fn fill(&mut self) -> Result<usize, FrameError> {
        if self.filled == self.buf.len() {
            self.compact();
        }
        let n = read_once(|| self.inner.read(&mut self.buf[self.filled..]))?;
        self.filled += n;
        Ok(n)
    }

    /// Inserts `bytes` into the buffered bytes at `at` (between `pos` and `filled`), growing
    /// the buffer if they do not fit: they are bytes that really arrived.
    fn unread(&mut self, at: usize, bytes: &[u8]) {
        let k = bytes.len();
        if self.filled + k > self.buf.len() {
            self.buf.resize(self.filled + k, 0);
        }
        self.buf.copy_within(at..self.filled, at + k);
        self.buf[at..at + k].copy_from_slice(bytes);
        self.filled += k;
    }
}

/// Reads through the buffer, like [`std::io::BufReader`]: for frames written some other way
/// than [`read_frame_into`](FrameReader::read_frame_into), such as the handshake's.
impl<R: Read> Read for FrameReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.filled {
            if out.len() >= self.buf.len() {
                return self.inner.read(out);
            }
            self.pos = 0;
            self.filled = 0;
            self.filled = self.inner.read(&mut self.buf)?;
        }
        let n = (self.filled - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_python_struct_pack() {
        // struct.pack("!i", 5), struct.pack("!i", 0)
        assert_eq!(&encode_header(5).0[..4], &[0, 0, 0, 5]);
        assert_eq!(encode_header(0).1, 4);
        // struct.pack("!i", 0x7fffffff)
        let (h, n) = encode_header(SHORT_MAX);
        assert_eq!(&h[..n], &[0x7f, 0xff, 0xff, 0xff]);
        // struct.pack("!i", -1) + struct.pack("!Q", 0x80000000)
        let (h, n) = encode_header(SHORT_MAX + 1);
        assert_eq!(
            &h[..n],
            &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0]
        );
    }

    #[test]
    fn a_huge_announced_length_is_refused_before_allocating() {
        let wire = [0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0];
        match read_frame(&mut &wire[..], DEFAULT_MAX_MESSAGE) {
            Err(FrameError::TooLarge { len, max }) => {
                assert_eq!(len, 0xff00_0000_0000_0000);
                assert_eq!(max, DEFAULT_MAX_MESSAGE);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn a_reused_buffer_holds_exactly_the_new_payload() {
        // An earlier, longer message leaves bytes in the buffer; they are overwritten in
        // place, and what is left over is cut off.
        let mut buf = vec![9u8; 200_000];
        for payload in [
            vec![1u8; 150_000],
            vec![2u8; 70_000],
            b"short".to_vec(),
            Vec::new(),
        ] {
            let mut wire = Vec::new();
            write_frame(&mut wire, &payload).unwrap();
            read_frame_into(&mut &wire[..], DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
            assert_eq!(buf, payload);
        }
    }

    #[test]
    fn a_lying_length_below_the_maximum_allocates_only_what_arrives() {
        let mut wire = (DEFAULT_MAX_MESSAGE as i32).to_be_bytes().to_vec();
        wire.extend_from_slice(b"only this");
        let mut buf = Vec::new();
        let err = read_frame_into(&mut &wire[..], DEFAULT_MAX_MESSAGE, &mut buf).unwrap_err();
        assert!(matches!(
            err,
            FrameError::Truncated {
                part: Part::Payload,
                got: 9,
                ..
            }
        ));
        assert!(buf.capacity() <= 2 * INITIAL_RESERVE as usize);
    }
}
