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
//! reads too but never writes).
//!
//! The reader is written for bytes from a peer that may be hostile or broken:
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
use std::io::{self, IoSlice, Read, Write};

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

/// Reads bytes until `buf` is full or the stream ends; returns how many arrived.
fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<usize, FrameError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
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
    let len = match i32::from_be_bytes(short) {
        -1 => {
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
        n if n < 0 => return Err(FrameError::BadLength(n)),
        n => n as u64,
    };
    // Checked before a single byte of the payload is allocated.
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
    // The payload is read straight into `buf`, in chunks that grow only as bytes really
    // arrive: the first is at most INITIAL_RESERVE, each later one at most what has arrived so
    // far, so a lying length costs at most twice the bytes actually sent. Bytes `buf` already
    // holds from an earlier message are overwritten in place, not zeroed first. A payload
    // larger than the connection's read buffer thus takes one `read` for its rest, straight
    // into place, where `read_to_end` took one per doubling step, each through the buffer.
    let mut got = 0usize;
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
