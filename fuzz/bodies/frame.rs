//! The frame target's body, shared by the fuzz target and `tests/fuzz_replay.rs`.

use threadproof::ipc::frame::{FrameError, read_frame, write_frame};

/// The largest message the target accepts: small, so a length just above it is refused.
pub const MAX: u64 = 1 << 20;

/// Decodes frames from `data` until it ends or errs; checks what must hold for any input:
/// no panic, no payload over the maximum, every payload re-encodes and decodes to itself.
pub fn run(data: &[u8]) {
    let mut rest = data;
    loop {
        match read_frame(&mut rest, MAX) {
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
