//! The frame target's body, shared by the fuzz target and `tests/fuzz_replay.rs`.

use threadproof::ipc::frame::{FrameError, FrameReader, read_frame, write_frame};

/// The largest message the target accepts: small, so a length just above it is refused.
pub const MAX: u64 = 1 << 20;

/// Decodes frames from `data` until it ends or errs; checks what must hold for any input:
/// no panic, no payload over the maximum, every payload re-encodes and decodes to itself, and
/// the buffered `FrameReader` (reading into a reused buffer whose starting length is the first
/// byte times 64, so that it is read into straight away from 64 up) decodes the same payloads
/// and ends with the same error.
pub fn run(data: &[u8]) {
    let mut rest = data;
    let mut buffered = FrameReader::new(data);
    let mut reused = vec![0u8; usize::from(data.first().copied().unwrap_or(0)) * 64];
    loop {
        let decoded = read_frame(&mut rest, MAX);
        let again = buffered.read_frame_into(MAX, &mut reused);
        match (&decoded, &again) {
            (Ok(payload), Ok(())) => assert_eq!(&reused, payload),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("read_frame gave {decoded:?}, FrameReader gave {again:?}"),
        }
        match decoded {
            Ok(payload) => {
                assert!(payload.len() as u64 <= MAX);
                let mut wire = Vec::new();
                write_frame(&mut wire, &payload).expect("writing to a Vec");
                let again = read_frame(&mut &wire[..], MAX).expect("a frame we wrote");
                assert_eq!(again, payload);
            }
            Err(FrameError::Closed) => break,
            Err(FrameError::TooLarge { len, max }) => {
                assert!(len > max);
                break;
            }
            Err(FrameError::Truncated { got, expected, .. }) => {
                assert!(got < expected);
                break;
            }
            Err(FrameError::BadLength(n)) => {
                assert!(n < -1);
                break;
            }
            Err(FrameError::Io(e)) => panic!("reading a slice cannot fail: {e}"),
        }
    }
}
