//! Completion-based I/O with io_uring — the seed's true "异步IO", where the kernel does both
//! phases (waits for the data *and* copies it into the buffer we handed it) and only then tells
//! us. [`availability`] asks the kernel whether this process may use it, so the claim is checked
//! rather than assumed: container runtimes often forbid it.
//!
//! On the reference machine (kernel 6.18, 2-vCPU VM) it answers yes, and [`completion_echo`]
//! shows the model on one message: a minimal ring over raw `io_uring_setup`/`io_uring_enter`
//! (the ABI written out here; no crate), accept, receive and send submitted and completed.
//! The same ring drives the completion-based echo server,
//! [`Model::IoUring`](super::Model::IoUring) (`io_uring_server.rs`), which passes the behaviour
//! suite like every other model.
//!
//! (The atomics here are the kernel's shared ring indices, not synchronization between our
//! threads, so they come from `std` and not from the facade.)

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::sync::time::{Duration, Instant};

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

// The kernel's ABI (linux/io_uring.h), written out: the libc crate does not carry it.

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct SqRingOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    flags: u32,
    dropped: u32,
    array: u32,
    resv1: u32,
    user_addr: u64,
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct CqRingOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    overflow: u32,
    cqes: u32,
    flags: u32,
    resv1: u32,
    user_addr: u64,
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct Params {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
    wq_fd: u32,
    resv: [u32; 3],
    sq_off: SqRingOffsets,
    cq_off: CqRingOffsets,
}

/// A submission queue entry (64 bytes).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Sqe {
    pub(super) opcode: u8,
    pub(super) flags: u8,
    pub(super) ioprio: u16,
    pub(super) fd: i32,
    pub(super) off: u64,
    pub(super) addr: u64,
    pub(super) len: u32,
    pub(super) op_flags: u32,
    pub(super) user_data: u64,
    pub(super) buf_index: u16,
    pub(super) personality: u16,
    pub(super) splice_fd_in: i32,
    pub(super) addr3: u64,
    pub(super) pad: u64,
}

/// A completion queue entry (16 bytes).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Cqe {
    pub(super) user_data: u64,
    pub(super) res: i32,
    flags: u32,
}

pub(super) const OP_READ_EVENTFD: u8 = 22; // IORING_OP_READ
pub(super) const OP_TIMEOUT: u8 = 11;
pub(super) const OP_ACCEPT: u8 = 13;
pub(super) const OP_ASYNC_CANCEL: u8 = 14;
pub(super) const OP_LINK_TIMEOUT: u8 = 15;
pub(super) const OP_SEND: u8 = 26;
pub(super) const OP_RECV: u8 = 27;
/// `IOSQE_IO_LINK`: the next entry runs only after this one (for a linked timeout: bounds it).
pub(super) const SQE_IO_LINK: u8 = 1 << 2;
/// `IORING_FEAT_NODROP`: completions past the queue's size are kept, not dropped.
const FEAT_NODROP: u32 = 1 << 1;
/// `IORING_SETUP_CQSIZE`: `cq_entries` says how many completion slots.
const SETUP_CQSIZE: u32 = 1 << 3;
const REGISTER_PROBE: libc::c_uint = 8;
const OP_SUPPORTED: u16 = 1;
const OFF_SQ_RING: libc::off_t = 0;
const OFF_CQ_RING: libc::off_t = 0x800_0000;
const OFF_SQES: libc::off_t = 0x1000_0000;
const ENTER_GETEVENTS: libc::c_uint = 1;

/// A mapped region, unmapped on drop.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(fd: libc::c_int, len: usize, offset: libc::off_t) -> io::Result<Mapping> {
        // SAFETY: maps `len` bytes of the ring `fd` at the kernel-defined `offset`.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The `u32` the kernel shares at byte `offset`, as an atomic.
    fn atomic(&self, offset: u32) -> &AtomicU32 {
        // SAFETY: `offset` comes from the kernel's params, inside the mapping, 4-byte aligned.
        unsafe { &*self.ptr.add(offset as usize).cast::<AtomicU32>() }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// A minimal io_uring: queue submissions, tell the kernel, reap completions. Used by the
/// thread that created it.
pub(super) struct Ring {
    fd: OwnedFd,
    params: Params,
    sq: Mapping,
    cq: Mapping,
    sqes: Mapping,
}

impl Ring {
    /// A ring of `entries` submission slots; `cq_entries` completion slots if given (else the
    /// kernel's default, twice `entries`).
    pub(super) fn new(entries: u32, cq_entries: Option<u32>) -> io::Result<Ring> {
        let mut params = Params::default();
        if let Some(cq) = cq_entries {
            params.flags |= SETUP_CQSIZE;
            params.cq_entries = cq;
        }
        // SAFETY: the kernel fills `params` (120 bytes, the ABI's size).
        let fd = unsafe {
            libc::syscall(
                libc::SYS_io_uring_setup,
                entries,
                &mut params as *mut Params,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor, ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) };
        let raw = fd.as_raw_fd();
        let sq_len = params.sq_off.array as usize + params.sq_entries as usize * 4;
        let cq_len =
            params.cq_off.cqes as usize + params.cq_entries as usize * std::mem::size_of::<Cqe>();
        let sqes_len = params.sq_entries as usize * std::mem::size_of::<Sqe>();
        Ok(Ring {
            sq: Mapping::new(raw, sq_len, OFF_SQ_RING)?,
            cq: Mapping::new(raw, cq_len, OFF_CQ_RING)?,
            sqes: Mapping::new(raw, sqes_len, OFF_SQES)?,
            fd,
            params,
        })
    }

    /// Checks that the kernel supports each of `opcodes` (`IORING_REGISTER_PROBE`) and keeps
    /// completions when the completion queue is full (`IORING_FEAT_NODROP`, Linux 5.5+).
    pub(super) fn require(&self, opcodes: &[u8]) -> io::Result<()> {
        if self.params.features & FEAT_NODROP == 0 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "io_uring: this kernel may drop completions (no IORING_FEAT_NODROP; Linux 5.5+)",
            ));
        }
        // struct io_uring_probe: 16-byte header, then 256 entries of 8 bytes
        // ({ op: u8, resv: u8, flags: u16, resv2: u32 }).
        let mut probe = [0u8; 16 + 256 * 8];
        // SAFETY: the kernel writes at most the 256 entries we said we have room for.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                self.fd.as_raw_fd(),
                REGISTER_PROBE,
                probe.as_mut_ptr(),
                256u32,
            )
        };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        let last_op = probe[0];
        for &op in opcodes {
            let entry = 16 + op as usize * 8;
            let flags = u16::from_ne_bytes([probe[entry + 2], probe[entry + 3]]);
            if op > last_op || flags & OP_SUPPORTED == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("io_uring: this kernel lacks opcode {op}"),
                ));
            }
        }
        Ok(())
    }

    /// Entries queued and not yet handed to the kernel, and free slots left.
    fn queued_and_free(&self) -> (u32, u32) {
        let off = &self.params.sq_off;
        let head = self.sq.atomic(off.head).load(Ordering::Acquire);
        let tail = self.sq.atomic(off.tail).load(Ordering::Relaxed);
        let queued = tail.wrapping_sub(head);
        (queued, self.params.sq_entries - queued)
    }

    /// Free submission slots: a caller that needs several adjacent entries (a linked pair)
    /// asks first, and calls [`Ring::enter`] if there are not enough.
    pub(super) fn free_slots(&self) -> u32 {
        self.queued_and_free().1
    }

    /// Queues `sqe` without telling the kernel ([`Ring::enter`] does). Hands the queue to the
    /// kernel first if it is full.
    pub(super) fn push(&self, sqe: Sqe) -> io::Result<()> {
        while self.free_slots() == 0 {
            self.enter(0)?;
        }
        let off = &self.params.sq_off;
        let tail = self.sq.atomic(off.tail).load(Ordering::Relaxed);
        let mask = self.sq.atomic(off.ring_mask).load(Ordering::Relaxed);
        let index = tail & mask;
        // SAFETY: `index` is within the SQE array and the array of indices; we are the only
        // producer, and the kernel reads the slot only after the tail store below.
        unsafe {
            self.sqes.ptr.cast::<Sqe>().add(index as usize).write(sqe);
            self.sq
                .ptr
                .add(off.array as usize)
                .cast::<u32>()
                .add(index as usize)
                .write(index);
        }
        self.sq
            .atomic(off.tail)
            .store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Queues `sqe` and tells the kernel; does not wait.
    fn submit(&self, sqe: Sqe) -> io::Result<()> {
        self.push(sqe)?;
        self.enter(0)
    }

    /// Hands every queued entry to the kernel and, if `wait_for > 0`, waits until that many
    /// completions are there. `EINTR` and `EBUSY` (completions must be reaped first) return
    /// `Ok`: the caller reaps, and what was not submitted stays queued for the next call.
    pub(super) fn enter(&self, wait_for: u32) -> io::Result<()> {
        let (submit, _) = self.queued_and_free();
        // SAFETY: io_uring_enter on our ring, no signal mask.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_io_uring_enter,
                self.fd.as_raw_fd(),
                submit,
                wait_for,
                if wait_for > 0 { ENTER_GETEVENTS } else { 0 },
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if ret < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EINTR | libc::EBUSY | libc::EAGAIN) => Ok(()),
                _ => Err(e),
            };
        }
        Ok(())
    }

    /// The next completion, if one is there — without entering the kernel.
    pub(super) fn peek(&self) -> Option<Cqe> {
        let off = &self.params.cq_off;
        let head = self.cq.atomic(off.head).load(Ordering::Relaxed);
        let tail = self.cq.atomic(off.tail).load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        let mask = self.cq.atomic(off.ring_mask).load(Ordering::Relaxed);
        // SAFETY: the entry at `head` is published (head != tail, tail loaded with Acquire).
        let cqe = unsafe {
            self.cq
                .ptr
                .add(off.cqes as usize)
                .cast::<Cqe>()
                .add((head & mask) as usize)
                .read()
        };
        self.cq
            .atomic(off.head)
            .store(head.wrapping_add(1), Ordering::Release);
        Some(cqe)
    }

    /// Waits (in the kernel) for the next completion.
    fn wait(&self) -> io::Result<Cqe> {
        loop {
            if let Some(cqe) = self.peek() {
                return Ok(cqe);
            }
            self.enter(1)?;
        }
    }
}

/// The completion's result: a count, or the kernel's error.
pub(super) fn result(cqe: Cqe) -> io::Result<usize> {
    if cqe.res < 0 {
        Err(io::Error::from_raw_os_error(-cqe.res))
    } else {
        Ok(cqe.res as usize)
    }
}

/// What [`completion_echo`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionDemo {
    /// Rounds of "other work" done between submitting the receive and finding it complete.
    pub other_work_rounds: u64,
    /// Bytes the kernel had already copied into our buffer when the completion came.
    pub received: usize,
    /// What the client got back.
    pub echoed: Vec<u8>,
}

// ANCHOR: completion_echo
/// One message over loopback with completion-based I/O: the accept, the receive and the send
/// are each *submitted* to the kernel and *completed* by it. The receive is submitted before the
/// client has sent anything; the process then does other work, looking at the completion queue
/// without a system call, until the kernel reports the receive done — both phases, the wait and
/// the copy into our buffer, finished on our behalf. Not a server: a demonstration.
pub fn completion_echo(message: &[u8], patience: Duration) -> io::Result<CompletionDemo> {
    let ring = Ring::new(8, None)?;
    let listener = super::loopback_listener()?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    client.set_read_timeout(Some(patience))?;

    ring.submit(Sqe {
        opcode: OP_ACCEPT,
        fd: listener.as_raw_fd(),
        user_data: 1,
        ..Sqe::default()
    })?;
    // SAFETY: the accept's result is a fresh descriptor, ours.
    let conn = unsafe { OwnedFd::from_raw_fd(result(ring.wait()?)? as libc::c_int) };

    let mut buf = vec![0u8; message.len().max(1)];
    ring.submit(Sqe {
        opcode: OP_RECV,
        fd: conn.as_raw_fd(),
        addr: buf.as_mut_ptr() as u64,
        len: buf.len() as u32,
        user_data: 2,
        ..Sqe::default()
    })?;
    client.write_all(message)?;

    let deadline = Instant::now() + patience;
    let mut other_work_rounds = 0u64;
    let received = loop {
        if let Some(cqe) = ring.peek() {
            break result(cqe)?;
        }
        if Instant::now() >= deadline {
            break result(ring.wait()?)?;
        }
        other_work_rounds += 1;
        std::thread::sleep(Duration::from_micros(100));
    };

    ring.submit(Sqe {
        opcode: OP_SEND,
        fd: conn.as_raw_fd(),
        addr: buf.as_ptr() as u64,
        len: received as u32,
        user_data: 3,
        ..Sqe::default()
    })?;
    let sent = result(ring.wait()?)?;
    let mut echoed = vec![0u8; sent];
    client.read_exact(&mut echoed)?;
    Ok(CompletionDemo {
        other_work_rounds,
        received,
        echoed,
    })
}
// ANCHOR_END: completion_echo
