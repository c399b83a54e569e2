//! Worker processes — seeds 003 §1.1 (`fork`, `getpid`/`getppid`) and 002 §3.1-3.2
//! (`Process(target=...)`, `start`, `join`).
//!
//! Python's `multiprocessing` on Linux used to `fork` (3.14 makes `forkserver` the default);
//! its `spawn` start method runs a fresh interpreter instead. This module does the `spawn`
//! thing: the parent runs **its own executable again** with an environment variable naming the
//! worker's role, and the child's `main` checks for it first thing ([`worker_role`]) and runs
//! the worker instead of the program. `fork` alone in a multi-threaded Rust program is unsound
//! in practice: the child gets a copy of memory with only the forking thread, so any lock
//! another thread held (the allocator's, stdout's, a `Mutex` in your code) stays locked
//! forever, and only async-signal-safe calls are allowed until `exec`.
//!
//! Each worker gets one end of a [`pipe`](fn@super::pipe) (a Unix socket pair) as an inherited
//! file descriptor, named by [`FD_ENV`]: [`worker_connection`] picks it up in the child.
//!
//! ```no_run
//! use threadproof::ipc::process::{self, Process};
//!
//! fn main() {
//!     if process::worker_role().as_deref() == Some("echo") {
//!         let mut conn = process::worker_connection().unwrap();
//!         while let Ok(m) = conn.recv_bytes() {
//!             conn.send_bytes(&m).unwrap();
//!         }
//!         return;
//!     }
//!     let mut worker = Process::start("echo").unwrap();
//!     let conn = worker.connection();
//!     conn.send_bytes(b"hi").unwrap();
//!     assert_eq!(conn.recv_bytes().unwrap(), b"hi");
//!     drop(worker.take_connection()); // the worker sees end of stream and exits
//!     assert!(worker.join().unwrap().success());
//! }
//! ```

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::connection::{Connection, pipe};

/// The environment variable that names a worker's role.
pub const ROLE_ENV: &str = "THREADPROOF_WORKER_ROLE";
/// The environment variable that holds the worker's connection's file descriptor.
pub const FD_ENV: &str = "THREADPROOF_WORKER_FD";

/// The role this process was started in, if it is a worker.
pub fn worker_role() -> Option<String> {
    std::env::var(ROLE_ENV).ok()
}

static CONNECTION_TAKEN: AtomicBool = AtomicBool::new(false);

/// In a worker: the connection to the parent. It can be taken once; later calls, and calls
/// in a process that is not a worker, return an error.
pub fn worker_connection() -> io::Result<Connection> {
    let fd: i32 = std::env::var(FD_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&fd| fd > 2)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("not a worker process: {FD_ENV} is not set to a descriptor"),
            )
        })?;
    if CONNECTION_TAKEN.swap(true, Ordering::SeqCst) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the worker connection was already taken",
        ));
    }
    // Check it really is an open socket before taking ownership of it.
    // SAFETY: fstat only reads the descriptor's metadata into a local buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 || st.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{FD_ENV}={fd} is not an open socket"),
        ));
    }
    // SAFETY: the parent passed this descriptor for us alone, it is open (checked above), and
    // the flag above makes sure only one `OwnedFd` is ever made from it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // Not inherited by processes this worker starts.
    // SAFETY: fcntl on a descriptor we own.
    unsafe { libc::fcntl(owned.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    Ok(Connection::from_fd(owned))
}

/// This process's id (Python's `os.getpid()`).
pub fn pid() -> u32 {
    std::process::id()
}

/// The parent process's id (Python's `os.getppid()`).
pub fn parent_pid() -> u32 {
    // SAFETY: getppid has no preconditions and cannot fail.
    unsafe { libc::getppid() as u32 }
}

/// A worker process started from the current executable.
///
/// Unlike Python's `Process`, dropping a `Process` whose worker is still running kills
/// (SIGKILL) and reaps it, so no worker outlives its handle; `join` first to let it finish.
#[derive(Debug)]
pub struct Process {
    child: Child,
    connection: Option<Connection>,
    status: Option<ExitStatus>,
}

/// How to start a worker: its role, extra arguments, and what to do with stdout/stderr.
#[derive(Debug)]
pub struct Builder {
    role: String,
    args: Vec<OsString>,
    exe: Option<PathBuf>,
    quiet: bool,
    inherit: Vec<RawFd>,
}

impl Builder {
    /// A worker in `role`.
    pub fn new(role: &str) -> Builder {
        Builder {
            role: role.to_string(),
            args: Vec::new(),
            exe: None,
            quiet: false,
            inherit: Vec::new(),
        }
    }

    /// Command-line arguments for the worker (a test binary, for instance, needs
    /// `--exact some_test` or nothing at all; the worker's `main` returns before parsing them).
    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Builder {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Run this executable instead of the current one.
    pub fn executable(mut self, exe: impl Into<PathBuf>) -> Builder {
        self.exe = Some(exe.into());
        self
    }

    /// Discard the worker's stdout and stderr (they are inherited otherwise).
    pub fn quiet(mut self, quiet: bool) -> Builder {
        self.quiet = quiet;
        self
    }

    /// Let the worker inherit `fd` too (under the same number; pass the number to it, e.g.
    /// in [`args`](Self::args)). The descriptor must stay open until [`start`](Self::start).
    pub fn inherit(mut self, fd: BorrowedFd<'_>) -> Builder {
        self.inherit.push(fd.as_raw_fd());
        self
    }

    // ANCHOR: start
    /// Starts the worker with one end of a fresh connection; the parent keeps the other.
    pub fn start(self) -> io::Result<Process> {
        let exe = match self.exe {
            Some(exe) => exe,
            None => std::env::current_exe()?,
        };
        let (parent_end, child_end) = pipe()?;
        let fd = child_end.as_raw_fd();
        let mut inherited = self.inherit.clone();
        inherited.push(fd);
        let mut command = Command::new(exe);
        command
            .args(&self.args)
            .env(ROLE_ENV, &self.role)
            .env(FD_ENV, fd.to_string())
            .stdin(Stdio::null());
        if self.quiet {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
        // SAFETY: between fork and exec the closure only calls fcntl, which is
        // async-signal-safe, and reads a vector allocated before the fork. It clears
        // close-on-exec on the child's copies of the descriptors (descriptor flags are per
        // process), so exactly these are inherited.
        unsafe {
            command.pre_exec(move || {
                for &fd in &inherited {
                    if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        drop(child_end); // the parent's copy: the worker holds the only one now
        Ok(Process {
            child,
            connection: Some(parent_end),
            status: None,
        })
    }
    // ANCHOR_END: start
}

impl Process {
    /// Starts a worker in `role` (see [`Builder`] for options).
    pub fn start(role: &str) -> io::Result<Process> {
        Builder::new(role).start()
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The connection to the worker.
    ///
    /// # Panics
    ///
    /// If it was taken with [`take_connection`](Self::take_connection).
    pub fn connection(&mut self) -> &mut Connection {
        self.connection
            .as_mut()
            .expect("the connection was taken with take_connection")
    }

    /// Takes the connection out (dropping it closes the parent's end).
    pub fn take_connection(&mut self) -> Option<Connection> {
        self.connection.take()
    }

    /// Waits for the worker to exit (Python's `join()`).
    pub fn join(&mut self) -> io::Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        let s = self.child.wait()?;
        self.status = Some(s);
        Ok(s)
    }

    /// Waits at most `timeout`; `None` if the worker is still running.
    pub fn join_timeout(&mut self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_join()? {
                return Ok(Some(s));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The exit status if the worker has exited, without waiting.
    pub fn try_join(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.child.try_wait()?;
        }
        Ok(self.status)
    }

    /// Sends SIGKILL (Python's `kill()`); a no-op if the worker has already been reaped.
    pub fn kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        self.child.kill()
    }

    /// Sends SIGTERM (Python's `terminate()`).
    pub fn terminate(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        // SAFETY: kill(2) on our own child, not yet reaped (so its pid is not reused).
        if unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Describes an exit status the way Python's `exitcode` does: `0`, `3`, or `-9` for SIGKILL.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => -sig,
        (None, None) => i32::MIN,
    }
}

impl Drop for Process {
    /// A dropped worker that is still running is killed and reaped, so none is left behind.
    fn drop(&mut self) {
        if self.status.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
