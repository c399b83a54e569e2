//! Helpers shared by the IPC tests: running python3 with a deadline.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a child printed and how it ended.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Waits for `child` until `deadline`, killing it if the deadline passes.
pub fn wait_or_kill(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "child {} did not finish within {limit:?}; killed",
                child.id()
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A Python 3.12 or later (whose handshake uses `{sha256}`), if this machine has one: on
/// PATH as `python3.12`/`python3.13`, or installed by pyenv (`$PYENV_ROOT` or `~/.pyenv`).
pub fn find_python_312_plus() -> Option<String> {
    let works = |p: &str| {
        Command::new(p)
            .args(["-c", "import sys; assert sys.version_info >= (3, 12)"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    for name in ["python3.12", "python3.13"] {
        if works(name) {
            return Some(name.to_string());
        }
    }
    let root = std::env::var("PYENV_ROOT")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.pyenv")))?;
    let mut versions: Vec<_> = std::fs::read_dir(format!("{root}/versions"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/python3"))
        .filter(|p| p.exists())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions.into_iter().find(|p| works(p))
}

/// Starts `python3 -c script args...` with piped stdin/stdout/stderr.
pub fn spawn_python(script: &str, args: &[&str]) -> Child {
    spawn_interpreter("python3", script, args)
}

/// Starts `interpreter -c script args...` with piped stdin/stdout/stderr.
pub fn spawn_interpreter(interpreter: &str, script: &str, args: &[&str]) -> Child {
    Command::new(interpreter)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{interpreter} is required for the interop tests: {e}"))
}

/// Runs `python3 -c script args...` feeding `input`, killed after `limit`.
pub fn run_python(script: &str, args: &[&str], input: &[u8], limit: Duration) -> Ran {
    run_interpreter("python3", script, args, input, limit)
}

/// Runs `interpreter -c script args...` feeding `input`, killed after `limit`.
pub fn run_interpreter(
    interpreter: &str,
    script: &str,
    args: &[&str],
    input: &[u8],
    limit: Duration,
) -> Ran {
    let mut child = spawn_interpreter(interpreter, script, args);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = wait_or_kill(&mut child, limit);
    feeder.join().unwrap();
    Ran {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}
