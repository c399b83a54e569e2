//! `communicate`: feed a child's stdin and collect its stdout and stderr — seed 003 §1.3 and
//! §1.5 (`Popen(..., stdin=PIPE, stdout=PIPE, stderr=PIPE).communicate(input)`).
//!
//! A pipe holds a bounded amount (64 KiB on Linux). A child like `cat` reads some input,
//! writes some output, reads more. If the parent first writes all of a large input and only
//! then reads, the child fills its stdout pipe and blocks writing; it stops reading stdin, so
//! the stdin pipe fills and the parent blocks writing: each waits for the other, forever
//! ([`flawed::communicate_write_then_read`](super::flawed::communicate_write_then_read)).
//!
//! [`communicate`] never blocks on one pipe while another needs service: one `poll` waits for
//! whichever of stdin (room to write), stdout and stderr (data to read) is ready, and the
//! stdin end is non-blocking so a write never waits for room. Input the child does not read
//! (it exits early, closing stdin) is dropped, as Python does on `BrokenPipeError`.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, ExitStatus};

/// What the child wrote and how it ended.
#[derive(Debug)]
pub struct Output {
    /// The exit status (after the child was waited for).
    pub status: ExitStatus,
    /// Everything the child wrote to stdout (empty if stdout was not piped).
    pub stdout: Vec<u8>,
    /// Everything the child wrote to stderr (empty if stderr was not piped).
    pub stderr: Vec<u8>,
}

fn set_nonblocking(fd: i32) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One read from a pipe that `poll` reported readable (or hung up), so it does not block.
/// End of stream closes it (sets it to `None`).
fn read_some<R: Read>(pipe: &mut Option<R>, buf: &mut Vec<u8>, chunk: &mut [u8]) -> io::Result<()> {
    let Some(p) = pipe else { return Ok(()) };
    match p.read(chunk) {
        Ok(0) => *pipe = None,
        Ok(n) => buf.extend_from_slice(&chunk[..n]),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

// ANCHOR: communicate
/// Writes `input` to the child's stdin (then closes it), reads its stdout and stderr until
/// both end, and waits for it. The child's stdin must be piped if `input` is not empty.
pub fn communicate(child: &mut Child, input: &[u8]) -> io::Result<Output> {
    let mut stdin = child.stdin.take();
    if stdin.is_none() && !input.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "communicate: input given but the child's stdin is not piped",
        ));
    }
    if input.is_empty() {
        stdin = None; // closes it: the child sees end of input at once
    }
    if let Some(s) = &stdin {
        set_nonblocking(s.as_raw_fd())?;
    }
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut written = 0;
    let mut chunk = vec![0u8; 64 * 1024];

    while stdin.is_some() || stdout.is_some() || stderr.is_some() {
        // One pollfd per open pipe; -1 marks a closed one (poll ignores negative fds).
        let fd = |o: Option<i32>| o.unwrap_or(-1);
        let mut fds = [
            libc::pollfd {
                fd: fd(stdin.as_ref().map(|s| s.as_raw_fd())),
                events: libc::POLLOUT,
                revents: 0,
            },
            libc::pollfd {
                fd: fd(stdout.as_ref().map(|s| s.as_raw_fd())),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: fd(stderr.as_ref().map(|s| s.as_raw_fd())),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: three valid pollfds for the duration of the call.
        if unsafe { libc::poll(fds.as_mut_ptr(), 3, -1) } < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[0].revents != 0
            && let Some(s) = &mut stdin
        {
            match s.write(&input[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The child closed its stdin: it will not read the rest.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => written = input.len(),
                Err(e) => return Err(e),
            }
            if written == input.len() {
                stdin = None; // closes the pipe: end of input for the child
            }
        }
        if fds[1].revents != 0 {
            read_some(&mut stdout, &mut out, &mut chunk)?;
        }
        if fds[2].revents != 0 {
            read_some(&mut stderr, &mut err, &mut chunk)?;
        }
    }
    let status = child.wait()?;
    Ok(Output {
        status,
        stdout: out,
        stderr: err,
    })
}
// ANCHOR_END: communicate
