//! Frames: round trips through arbitrary read splits, the large-length escape, truncation and
//! hostile lengths, and byte compatibility with CPython's `multiprocessing.connection`.

mod ipc_common;

use std::io::{self, Read};
use std::time::Duration;

use proptest::prelude::*;
use threadproof::ipc::frame::{
    DEFAULT_MAX_MESSAGE, FrameError, Part, SHORT_MAX, encode_header, read_frame, read_len,
    write_frame,
};

/// A reader that hands out its bytes in the given chunk sizes (cycled), like a socket that
/// delivers a message in pieces.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn encode_all(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for m in messages {
        write_frame(&mut wire, m).unwrap();
    }
    wire
}

proptest! {
    #[test]
    fn messages_round_trip_through_any_read_split(
        messages in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40_000), 0..6),
        sizes in prop::collection::vec(1usize..9_000, 1..8),
    ) {
        let wire = encode_all(&messages);
        let mut r = Chunked { data: &wire, sizes, next: 0 };
        for m in &messages {
            prop_assert_eq!(&read_frame(&mut r, DEFAULT_MAX_MESSAGE).unwrap(), m);
        }
        prop_assert!(matches!(read_frame(&mut r, DEFAULT_MAX_MESSAGE), Err(FrameError::Closed)));
    }

    #[test]
    fn the_escape_form_is_read_for_any_length(
        payload in prop::collection::vec(any::<u8>(), 0..2_000),
        sizes in prop::collection::vec(1usize..16, 1..5),
    ) {
        // Python writes the escape only above 2 GiB but reads it for any length.
        let mut wire = (-1i32).to_be_bytes().to_vec();
        wire.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        wire.extend_from_slice(&payload);
        let mut r = Chunked { data: &wire, sizes, next: 0 };
        prop_assert_eq!(read_frame(&mut r, DEFAULT_MAX_MESSAGE).unwrap(), payload);
    }

    #[test]
    fn cutting_a_stream_anywhere_inside_a_frame_is_truncation(
        payload in prop::collection::vec(any::<u8>(), 1..300),
        cut_at in any::<prop::sample::Index>(),
    ) {
        let wire = encode_all(std::slice::from_ref(&payload));
        let cut = 1 + cut_at.index(wire.len() - 1); // 1..wire.len(): never empty, never whole
        let err = read_frame(&mut &wire[..cut], DEFAULT_MAX_MESSAGE).unwrap_err();
        let FrameError::Truncated { part, got, expected } = err else {
            panic!("expected Truncated, got {err:?}");
        };
        prop_assert!(got < expected);
        prop_assert_eq!(part, if cut < 4 { Part::Header } else { Part::Payload });
    }

    #[test]
    fn lengths_over_the_maximum_are_refused(len in 1u64..u64::MAX, max in 0u64..1_000_000) {
        prop_assume!(len > max);
        let (h, n) = encode_header(len);
        let err = read_frame(&mut &h[..n], max).unwrap_err();
        let refused = matches!(err, FrameError::TooLarge { len: l, max: m } if l == len && m == max);
        prop_assert!(refused, "{}", err);
    }
}

/// A writer that takes at most 3 bytes per call, vectored or not.
struct Trickle(Vec<u8>);

impl io::Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(3);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn partial_writes_still_produce_whole_frames() {
    let mut w = Trickle(Vec::new());
    write_frame(&mut w, b"hello, world").unwrap();
    write_frame(&mut w, b"").unwrap();
    assert_eq!(w.0, encode_all(&[b"hello, world".to_vec(), vec![]]));
    assert_eq!(&w.0[..4], &[0, 0, 0, 12]);
}

#[test]
fn a_large_length_uses_the_escape_and_reads_back() {
    for len in [SHORT_MAX + 1, 5 << 30, u64::MAX] {
        let (h, n) = encode_header(len);
        assert_eq!(n, 12);
        assert_eq!(read_len(&mut &h[..n], u64::MAX).unwrap(), len);
    }
}

#[test]
fn end_of_stream_before_a_header_and_inside_one_differ() {
    let empty: &[u8] = &[];
    assert!(matches!(
        read_frame(&mut &empty[..], 10),
        Err(FrameError::Closed)
    ));
    let err = read_frame(&mut &[0u8, 0][..], 10).unwrap_err();
    assert!(matches!(
        err,
        FrameError::Truncated {
            part: Part::Header,
            got: 2,
            expected: 4
        }
    ));
    assert_eq!(
        err.to_string(),
        "end of stream in the middle of a message: got 2 of 4 bytes of the 4-byte length header"
    );
    let err = read_frame(&mut &[0xffu8, 0xff, 0xff, 0xff, 0, 0][..], 10).unwrap_err();
    assert!(matches!(
        err,
        FrameError::Truncated {
            part: Part::LongHeader,
            got: 2,
            expected: 8
        }
    ));
}

#[test]
fn negative_lengths_other_than_the_escape_are_rejected() {
    let wire = (-2i32).to_be_bytes();
    let err = read_frame(&mut &wire[..], 10).unwrap_err();
    assert!(matches!(err, FrameError::BadLength(-2)));
    assert_eq!(err.to_string(), "invalid negative message length -2");
}

#[test]
fn empty_messages_are_four_zero_bytes() {
    assert_eq!(encode_all(&[vec![]]), [0, 0, 0, 0]);
    assert_eq!(read_frame(&mut &[0u8, 0, 0, 0][..], 0).unwrap(), b"");
}

/// Python writes frames with `Connection(1).send_bytes`; Rust reads them.
const PY_SEND: &str = r#"
import sys
from multiprocessing.connection import Connection
c = Connection(1, readable=False)
for m in [b"", b"hello", bytes(range(256)) * 300]:
    c.send_bytes(m)
"#;

/// Rust writes frames; Python reads them with `Connection(0).recv_bytes` and echoes each as hex.
const PY_RECV: &str = r#"
import sys
from multiprocessing.connection import Connection
c = Connection(0, writable=False)
while True:
    try:
        m = c.recv_bytes()
    except EOFError:
        break
    print(len(m), m[:8].hex())
"#;

#[test]
fn frames_written_by_python_are_read_by_rust() {
    let ran = ipc_common::run_python(PY_SEND, &[], b"", Duration::from_secs(20));
    assert!(ran.status.success(), "{}", ran.stderr);
    let mut r = &ran.stdout[..];
    assert_eq!(read_frame(&mut r, DEFAULT_MAX_MESSAGE).unwrap(), b"");
    assert_eq!(read_frame(&mut r, DEFAULT_MAX_MESSAGE).unwrap(), b"hello");
    let big: Vec<u8> = (0..=255u8).cycle().take(256 * 300).collect();
    assert_eq!(read_frame(&mut r, DEFAULT_MAX_MESSAGE).unwrap(), big);
    assert!(matches!(
        read_frame(&mut r, DEFAULT_MAX_MESSAGE),
        Err(FrameError::Closed)
    ));
}

#[test]
fn frames_written_by_rust_are_read_by_python() {
    let big: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let wire = encode_all(&[vec![], b"hello".to_vec(), big]);
    let ran = ipc_common::run_python(PY_RECV, &[], &wire, Duration::from_secs(20));
    assert!(ran.status.success(), "{}", ran.stderr);
    assert_eq!(
        String::from_utf8(ran.stdout).unwrap(),
        "0 \n5 68656c6c6f\n100000 0001020304050607\n"
    );
}
