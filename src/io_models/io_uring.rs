//! Completion-based I/O with io_uring — the seed's true "异步IO", where the kernel does both
//! phases (waits for the data *and* copies it into the buffer we handed it) and only then tells
//! us. [`availability`] asks the kernel whether this process may use it, so the claim is checked
//! rather than assumed: container runtimes often forbid it.
//!
//! On the reference machine (kernel 6.18, 2-vCPU VM) it answers yes. A completion-based echo
//! server is **not built yet**: it is the one model of the issue still missing (see the book's
//! I/O models chapter).

use std::io;

/// Whether this process may create an io_uring instance: `Ok(())`, or the kernel's refusal.
///
/// Calls `io_uring_setup(1, &params)` directly. `ENOSYS`: the kernel lacks io_uring; `EPERM`:
/// it is disabled (`kernel.io_uring_disabled`) or filtered by a seccomp policy, as container
/// runtimes commonly do.
pub fn availability() -> Result<(), io::Error> {
    // `struct io_uring_params` is 120 bytes; zeroed asks for defaults.
    let mut params = [0u64; 15];
    // SAFETY: the kernel reads and writes at most 120 bytes of `params`.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1u32, params.as_mut_ptr()) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is the ring's descriptor, ours to close.
    unsafe { libc::close(fd as libc::c_int) };
    Ok(())
}
