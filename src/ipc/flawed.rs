//! Flawed IPC code. **Do not copy.** It exists so the tests can show the bug it has.

use std::io::{self, Read, Write};
use std::process::Child;

use super::communicate::Output;

// ANCHOR: write_then_read
/// **Do not copy.** Writes all of `input`, then reads stdout, then stderr. Once the child has
/// filled its stdout pipe (64 KiB) it blocks writing and stops reading stdin; once stdin's
/// pipe is full too, this blocks writing: **deadlock**, for any input and output larger than
/// the pipe buffers. (Reading stdout to the end before stderr has the same flaw when the child
/// writes more than 64 KiB to stderr.) Use [`communicate`](super::communicate::communicate).
pub fn communicate_write_then_read(child: &mut Child, input: &[u8]) -> io::Result<Output> {
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input)?; // blocks forever once both pipes are full
    } // stdin dropped: closed
    let mut stdout = Vec::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_end(&mut stdout)?;
    }
    let mut stderr = Vec::new();
    if let Some(mut s) = child.stderr.take() {
        s.read_to_end(&mut stderr)?;
    }
    let status = child.wait()?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}
// ANCHOR_END: write_then_read
