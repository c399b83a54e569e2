//! A memfd mapped shared into this process: what the shared-memory ring
//! ([`shm_ring`](super::shm_ring)) and the cross-process queue ([`queue`](super::queue)) have
//! in common with the kernel. Each lays out its own words on top; this owns the descriptor and
//! the mapping, and unmaps it when dropped.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

/// A system call's `int` result as an `io::Result`.
pub(super) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// The file status of `fd` (its size and type, checked before anything is mapped).
pub(super) fn fstat(fd: BorrowedFd<'_>) -> io::Result<libc::stat> {
    // SAFETY: fstat into a zeroed local buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

/// `len` bytes of a memfd, mapped read-write and shared.
#[derive(Debug)]
pub(super) struct SharedMap {
    ptr: NonNull<u8>,
    len: usize,
    fd: OwnedFd,
}

impl SharedMap {
    /// A fresh memfd named `name` (close-on-exec) of `len` zero bytes, mapped.
    pub(super) fn create(name: &CStr, len: usize) -> io::Result<SharedMap> {
        // SAFETY: a NUL-terminated name and flags; returns a new descriptor or -1.
        let fd = cvt(unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) })?;
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: ftruncate on our memfd.
        cvt(unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) })?;
        Self::map(fd, len)
    }

    /// Maps the first `len` bytes of `fd` (which the caller has checked against its size).
    pub(super) fn map(fd: OwnedFd, len: usize) -> io::Result<SharedMap> {
        // SAFETY: a fresh shared mapping of `len` bytes of our descriptor.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(SharedMap {
            ptr: NonNull::new(p.cast()).expect("mmap does not return null on success"),
            len,
            fd,
        })
    }

    /// The first byte of the mapping (page-aligned).
    pub(super) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The mapping's length in bytes.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The memfd, to hand to another process.
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for SharedMap {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly our mapping; the owners' views and guards borrow the owner,
        // so none outlive it.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}
