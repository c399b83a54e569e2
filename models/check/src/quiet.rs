//! Expected panics, kept quiet.
//!
//! A flawed variant is supposed to panic; the harness catches the panic and classifies it, so
//! printing it would only bury the report. While [`catching`] runs:
//! - the panic hook prints nothing on this OS thread (loom and shuttle run every model thread
//!   as a coroutine on the caller's OS thread, so a thread-local flag covers them);
//! - file descriptor 2 points at `/dev/null`, because shuttle's schedulers also print their
//!   failing seeds and tasks with `eprintln!`. The report writes its progress to
//!   [`stderr`], a duplicate of the real stderr taken before any redirection.

use std::cell::Cell;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::panic;
use std::sync::{Mutex, Once, OnceLock, PoisonError};

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// The real stderr, duplicated before any redirection.
static REAL_STDERR: OnceLock<Option<OwnedFd>> = OnceLock::new();

/// How many threads are inside [`catching`]; fd 2 is redirected while it is above zero.
static SILENCED: Mutex<usize> = Mutex::new(0);

/// Installs the hook once. shuttle installs its own hook (which prints the failing task) on its
/// first execution and wraps whatever hook was there; running one empty shuttle execution first
/// and then wrapping shuttle's hook keeps both quiet inside [`catching`].
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        REAL_STDERR.get_or_init(|| io::stderr().as_fd().try_clone_to_owned().ok());
        shuttle::check_random(|| {}, 1);
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.get() {
                // The execution failed here: what unwinding does next is not part of its trace.
                threadproof_trace::freeze();
            } else {
                previous(info);
            }
        }));
    });
}

/// A writer to the real stderr, which stays visible while checks run.
pub fn stderr() -> Box<dyn io::Write> {
    install();
    match REAL_STDERR
        .get()
        .and_then(|fd| fd.as_ref()?.try_clone().ok())
    {
        Some(fd) => Box::new(File::from(fd)),
        None => Box::new(io::stderr()),
    }
}

/// Runs `f` with this thread's panics and the process's stderr silenced, returning the panic
/// message if it panicked.
pub fn catching<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install();
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.set(self.0);
            silence(false);
        }
    }
    silence(true);
    let _restore = Restore(QUIET.replace(true));
    crate::harness::catch(f)
}

fn silence(on: bool) {
    let mut depth = SILENCED.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(Some(real)) = REAL_STDERR.get() else {
        return;
    };
    if on {
        *depth += 1;
        if *depth == 1
            && let Ok(null) = File::options().write(true).open("/dev/null")
        {
            // SAFETY: dup2 on two open descriptors; fd 2 is replaced atomically.
            unsafe { libc::dup2(null.as_raw_fd(), 2) };
        }
    } else {
        *depth = depth.saturating_sub(1);
        if *depth == 0 {
            // SAFETY: as above; `real` is the duplicate of the original stderr.
            unsafe { libc::dup2(real.as_raw_fd(), 2) };
        }
    }
}
