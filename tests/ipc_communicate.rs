//! The communicate deadlock pair: the same child (`cat`) and the same 1 MiB payload (16 times
//! a 64 KiB pipe buffer). The flawed write-then-read hangs and is killed by a watchdog; the
//! reference finishes. Every child is killed after a deadline, so nothing here can hang.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use threadproof::ipc::communicate::{Output, communicate};
use threadproof::ipc::flawed::communicate_write_then_read;

const PAYLOAD: usize = 1 << 20;

fn payload() -> Vec<u8> {
    (0..PAYLOAD).map(|i| (i * 31 % 251) as u8).collect()
}

fn spawn(program: &str, args: &[&str]) -> Child {
    Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// Runs `f(child, input)` on a thread; if it has not returned within `limit`, SIGKILLs the
/// child (which unblocks `f`) and returns `None`.
fn with_watchdog(
    mut child: Child,
    input: Vec<u8>,
    limit: Duration,
    f: fn(&mut Child, &[u8]) -> std::io::Result<Output>,
) -> Option<Output> {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let result = f(&mut child, &input);
        let _ = tx.send(());
        // Reap the child in every case (it may have been killed).
        let _ = child.kill();
        let _ = child.wait();
        result
    });
    match rx.recv_timeout(limit) {
        Ok(()) => Some(worker.join().unwrap().expect("communicate failed")),
        Err(_) => {
            // SAFETY: plain kill(2) of our own child, which has not been reaped yet: the
            // worker thread reaps it only after `f` returns, and `f` is still blocked.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // Killing the child breaks the pipes, so the flawed code returns (with an error).
            let _ = worker.join().unwrap();
            None
        }
    }
}

#[test]
fn write_then_read_deadlocks_on_a_payload_larger_than_the_pipe_buffer() {
    let start = Instant::now();
    let out = with_watchdog(
        spawn("cat", &[]),
        payload(),
        Duration::from_secs(2),
        communicate_write_then_read,
    );
    assert!(
        out.is_none(),
        "the flawed communicate finished; the deadlock did not happen"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn write_then_read_is_fine_below_the_pipe_buffer() {
    // The flaw needs both pipes full: with 1 KiB it passes, which is why it survives review.
    let out = with_watchdog(
        spawn("cat", &[]),
        b"small".to_vec(),
        Duration::from_secs(20),
        communicate_write_then_read,
    )
    .expect("small payloads do not deadlock");
    assert_eq!(out.stdout, b"small");
}

#[test]
fn communicate_passes_the_same_payload_through_cat() {
    let out = with_watchdog(
        spawn("cat", &[]),
        payload(),
        Duration::from_secs(20),
        communicate,
    )
    .expect("communicate deadlocked");
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), PAYLOAD);
    assert!(out.stdout == payload());
    assert!(out.stderr.is_empty());
}

#[test]
fn communicate_drains_stdout_and_stderr_together() {
    // The child echoes its input to stdout and to stderr: 1 MiB on each.
    let script = "import sys\nd = sys.stdin.buffer.read()\nsys.stdout.buffer.write(d)\nsys.stderr.buffer.write(d[::-1])\n";
    let out = with_watchdog(
        spawn("python3", &["-c", script]),
        payload(),
        Duration::from_secs(20),
        communicate,
    )
    .expect("communicate deadlocked");
    assert!(out.status.success());
    assert!(out.stdout == payload());
    let mut reversed = payload();
    reversed.reverse();
    assert!(out.stderr == reversed);
}

#[test]
fn a_child_that_ignores_its_input_does_not_break_communicate() {
    let out = with_watchdog(
        spawn("sh", &["-c", "echo early; exit 3"]),
        payload(),
        Duration::from_secs(20),
        communicate,
    )
    .expect("communicate hung");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"early\n");
}

#[test]
fn input_without_a_piped_stdin_is_a_clear_error() {
    let mut child = Command::new("true").stdin(Stdio::null()).spawn().unwrap();
    let err = communicate(&mut child, b"x").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    child.wait().unwrap();
}

#[test]
fn several_children_are_fed_at_once() {
    // Seed 003 §1.5: start three children, then communicate with each (here in parallel,
    // each on its own thread, each with more than a pipe's worth of input).
    let children: Vec<_> = (0..3u8)
        .map(|k| {
            let input: Vec<u8> = (0..200_000u32).map(|i| (i as u8).wrapping_add(k)).collect();
            (spawn("cat", &[]), input)
        })
        .collect();
    let workers: Vec<_> = children
        .into_iter()
        .map(|(child, input)| {
            thread::spawn(move || {
                let out = with_watchdog(child, input.clone(), Duration::from_secs(20), communicate)
                    .expect("communicate hung");
                out.stdout == input
            })
        })
        .collect();
    for w in workers {
        assert!(w.join().unwrap());
    }
}
