//! Frames: round trips through arbitrary read splits, the large-length escape, truncation and
//! hostile lengths, and byte compatibility with CPython's `multiprocessing.connection`.

mod ipc_common;

use std::io::{self, IoSliceMut, Read};
use std::time::Duration;

use proptest::prelude::*;
use threadproof::ipc::frame::{
    DEFAULT_MAX_MESSAGE, FrameError, FrameReader, Part, SHORT_MAX, SPECULATE_MIN, encode_header,
    read_frame, read_len, write_frame,
};

/// A reader that hands out its bytes in the given chunk sizes (cycled), like a socket that
/// delivers a message in pieces. A vectored read spreads one chunk over all the buffers it is
/// given, as `readv` does; without `vectored` it fills only the first (the trait's default).
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
    vectored: bool,
}

impl<'a> Chunked<'a> {
    fn new(data: &'a [u8], sizes: Vec<usize>) -> Self {
        Chunked {
            data,
            sizes,
            next: 0,
            vectored: false,
        }
    }
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

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        if !self.vectored {
            let first = bufs.iter_mut().find(|b| !b.is_empty());
            return first.map_or(Ok(0), |b| self.read(b));
        }
        let mut left = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let mut total = 0;
        for b in bufs {
            let n = left.min(b.len()).min(self.data.len());
            b[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            left -= n;
            total += n;
        }
        Ok(total)
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
        let mut r = Chunked::new(&wire, sizes);
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
        let mut r = Chunked::new(&wire, sizes);
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

// The buffered `FrameReader`: it reads a header together with as much payload as the caller's
// buffer has room for (if it has at least SPECULATE_MIN bytes), so a read may end inside the
// caller's buffer, past it in the reader's own buffer, or beyond the frame; none of that may
// change what is decoded.

/// A maximum that some of the generated frames exceed.
const SMALL_MAX: u64 = 5_000;

/// Payload lengths on both sides of `SMALL_MAX` and of `SPECULATE_MIN`.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..150),
        prop::collection::vec(any::<u8>(), 3_900..6_000),
    ]
}

/// Lengths of the caller's reused buffer: too short to be read into, and long enough.
fn start_len() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..300, SPECULATE_MIN..SPECULATE_MIN + 2_000]
}

/// A piece of a test stream: a frame in the short form, one in the escape form (which Python
/// reads for any length), or loose bytes that may break the framing anywhere.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        payload().prop_map(|p| encode_all(&[p])),
        payload().prop_map(|p| {
            let mut wire = (-1i32).to_be_bytes().to_vec();
            wire.extend_from_slice(&(p.len() as u64).to_be_bytes());
            wire.extend_from_slice(&p);
            wire
        }),
        prop::collection::vec(any::<u8>(), 0..20),
    ]
}

fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![1usize..16, 16usize..9_000, 9_000usize..100_000],
        1..8,
    )
}

/// What `read_frame` decodes from `wire`: the payloads, then the error that ended it.
fn decode_unbuffered(wire: &[u8], max: u64) -> (Vec<Vec<u8>>, String) {
    let mut r = wire;
    let mut payloads = Vec::new();
    loop {
        match read_frame(&mut r, max) {
            Ok(p) => payloads.push(p),
            Err(e) => return (payloads, e.to_string()),
        }
    }
}

proptest! {
    #[test]
    fn a_frame_reader_round_trips_through_any_read_split_and_reused_buffer(
        messages in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40_000), 0..6),
        sizes in read_sizes(),
        start_len in 0usize..50_000,
        vectored: bool,
        reuse: bool,
    ) {
        let wire = encode_all(&messages);
        let mut chunked = Chunked::new(&wire, sizes);
        chunked.vectored = vectored;
        let mut r = FrameReader::new(chunked);
        let mut buf = vec![0xaa; start_len];
        for m in &messages {
            if reuse {
                r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
                prop_assert_eq!(&buf, m);
            } else {
                prop_assert_eq!(&r.read_frame(DEFAULT_MAX_MESSAGE).unwrap(), m);
            }
        }
        prop_assert!(r.buffer().is_empty());
        let end = r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf);
        prop_assert!(matches!(end, Err(FrameError::Closed)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn a_frame_reader_decodes_any_stream_as_read_frame_does(
        pieces in prop::collection::vec(piece(), 0..8),
        sizes in read_sizes(),
        start_len in start_len(),
        vectored: bool,
    ) {
        // Escapes, bad and oversized lengths, truncation anywhere: the same payloads and the
        // same final error, whatever the reads and the caller's buffer.
        let wire = pieces.concat();
        let (want, want_err) = decode_unbuffered(&wire, SMALL_MAX);
        let mut chunked = Chunked::new(&wire, sizes);
        chunked.vectored = vectored;
        let mut r = FrameReader::new(chunked);
        let mut buf = vec![0xaa; start_len];
        for m in &want {
            r.read_frame_into(SMALL_MAX, &mut buf).unwrap();
            prop_assert_eq!(&buf, m);
        }
        let err = r.read_frame_into(SMALL_MAX, &mut buf).unwrap_err();
        prop_assert_eq!(err.to_string(), want_err);
        // After an error the buffer holds exactly the part of the payload that arrived.
        match err {
            FrameError::Truncated { part: Part::Payload, got, .. } => {
                prop_assert_eq!(buf.len() as u64, got);
                prop_assert_eq!(&buf[..], &wire[wire.len() - got as usize..]);
            }
            _ => prop_assert!(buf.is_empty()),
        }
    }
}

#[test]
fn two_frames_arriving_in_one_read_the_second_is_not_lost() {
    // One read takes both frames: the first payload and the whole second frame land in the
    // caller's buffer, and the second frame must move to the reader's buffer.
    let wire = encode_all(&[vec![1; 100], vec![2; 50]]);
    let mut r = FrameReader::new(&wire[..]);
    let mut buf = vec![0; SPECULATE_MIN];
    r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
    assert_eq!(buf, [1; 100]);
    assert_eq!(r.buffer(), &wire[104..]);
    assert!(r.get_ref().is_empty(), "both frames came in the first read");
    r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
    assert_eq!(buf, [2; 50]);
    assert!(matches!(
        r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf),
        Err(FrameError::Closed)
    ));
}

#[test]
fn a_payload_landing_partly_in_the_callers_buffer_and_partly_after_it_is_whole() {
    // A 12,000-byte payload read with a 5,000-byte buffer: 5,000 bytes land in the buffer,
    // the rest and the next frame in the reader's own buffer.
    let first: Vec<u8> = (0..12_000u32).map(|i| i as u8).collect();
    let wire = encode_all(&[first.clone(), b"next".to_vec()]);
    let mut r = FrameReader::new(&wire[..]);
    let mut buf = vec![0; 5_000];
    r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
    assert_eq!(buf, first);
    assert_eq!(r.buffer(), &wire[12_004..]);
    r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
    assert_eq!(buf, b"next");
}

#[test]
fn a_payload_exactly_as_long_as_the_buffer_leaves_the_next_frame_in_place() {
    let n = SPECULATE_MIN;
    let wire = encode_all(&[vec![3; n], vec![4; n]]);
    let mut r = FrameReader::new(&wire[..]);
    let mut buf = vec![0; n];
    r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
    assert_eq!(buf, [3; SPECULATE_MIN]);
    assert_eq!(r.buffer(), &wire[4 + n..]);
    r.read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf).unwrap();
    assert_eq!(buf, [4; SPECULATE_MIN]);
}

#[test]
fn an_oversized_length_read_into_a_reused_buffer_allocates_nothing() {
    let mut wire = 50_000i32.to_be_bytes().to_vec();
    wire.extend_from_slice(&[9; 50_000]);
    let mut r = FrameReader::new(&wire[..]);
    let mut buf = vec![0; SPECULATE_MIN];
    let capacity = buf.capacity();
    let err = r.read_frame_into(10_000, &mut buf).unwrap_err();
    assert!(
        matches!(
            err,
            FrameError::TooLarge {
                len: 50_000,
                max: 10_000
            }
        ),
        "{err}"
    );
    assert!(buf.is_empty());
    assert_eq!(buf.capacity(), capacity);
}

#[test]
fn a_lying_length_through_a_frame_reader_allocates_only_what_arrives() {
    let mut wire = (DEFAULT_MAX_MESSAGE as i32).to_be_bytes().to_vec();
    wire.extend_from_slice(b"only this");
    for start_len in [0, 4, 1000, SPECULATE_MIN] {
        let mut r = FrameReader::new(&wire[..]);
        let mut buf = vec![0; start_len];
        let err = r
            .read_frame_into(DEFAULT_MAX_MESSAGE, &mut buf)
            .unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::Truncated {
                    part: Part::Payload,
                    got: 9,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(buf, b"only this");
        assert!(buf.capacity() <= 200 * 1024, "{}", buf.capacity());
    }
}
