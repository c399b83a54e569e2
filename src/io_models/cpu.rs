//! CPU time used by this process, for measuring what a server burns (busy polling while idle).

use std::io;
use std::time::Duration;

/// User plus system CPU time used by the whole process so far (`getrusage(RUSAGE_SELF)`).
pub fn process_cpu_time() -> io::Result<Duration> {
    // SAFETY: `getrusage` fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(time(usage.ru_utime) + time(usage.ru_stime))
}

/// User plus system CPU time used by this process's children that have exited and been waited
/// for (`getrusage(RUSAGE_CHILDREN)`): the process-per-connection workers, once the server's
/// shutdown has reaped them.
pub fn children_cpu_time() -> io::Result<Duration> {
    // SAFETY: `getrusage` fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(time(usage.ru_utime) + time(usage.ru_stime))
}
