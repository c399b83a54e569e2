//! The handshake target's body, shared by the fuzz target and `tests/fuzz_replay.rs`.

use std::io::{self, Read, Write};

use threadproof::ipc::auth::{answer_challenge, deliver_challenge};

/// A peer that says `input` and swallows whatever it is sent.
struct Peer<'a> {
    input: &'a [u8],
}

impl Read for Peer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Peer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The first byte picks the side: even, we answer the fuzzer's challenge; odd, we challenge
/// the fuzzer. Neither may panic; and challenging, the fuzzer can never be accepted, since
/// it cannot know the HMAC of our fresh random challenge under our key.
pub fn run(data: &[u8]) {
    let Some((&side, input)) = data.split_first() else {
        return;
    };
    let mut peer = Peer { input };
    let key = b"fuzzing key";
    if side % 2 == 0 {
        let _ = answer_challenge(&mut peer, key);
    } else {
        let result = deliver_challenge(&mut peer, key);
        assert!(result.is_err(), "a peer without the key was accepted");
    }
}
