//! A single-producer single-consumer byte ring in shared memory (a `memfd` mapped by both
//! processes), built on the loom-checked index protocol of
//! [`ring_protocol`](super::ring_protocol).
//!
//! Layout of the mapping: the producer's `head` counter at offset 0, a magic number and the
//! capacity after it (read-only once created), the consumer's `tail` counter at offset 64 (its
//! own cache line, so the two sides do not slow each other down by writing one line), and the
//! bytes from offset 128.
//!
//! Hand the ring to another process by passing its file descriptor ([`ShmRing::fd`], e.g.
//! with [`Builder::inherit`](super::process::Builder::inherit)); the other side maps it with
//! [`ShmRing::from_fd`], which checks the magic number and the size before trusting them.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::ring_protocol::{Orderings, RingRef};
use super::shm::{SharedMap, fstat};
use crate::sync::atomic::AtomicU64;
use crate::sync::cell::UnsafeCell;
use crate::sync::{hint, thread};

const HEAD: usize = 0;
const MAGIC: usize = 8;
const CAPACITY: usize = 16;
const TAIL: usize = 64;
const DATA: usize = 128;
const MAGIC_VALUE: u64 = u64::from_be_bytes(*b"tpring01");
/// The largest ring [`ShmRing::create`] makes: 1 GiB.
pub const MAX_CAPACITY: usize = 1 << 30;

/// A shared-memory ring, mapped in this process.
#[derive(Debug)]
pub struct ShmRing {
    map: SharedMap,
}

// SAFETY: the mapping is plain shared memory; all access goes through atomics and through the
// SPSC protocol, whose one-producer/one-consumer rule the `unsafe` role constructors state.
unsafe impl Send for ShmRing {}
// SAFETY: as above; `&ShmRing` only hands out views through the unsafe role constructors.
unsafe impl Sync for ShmRing {}

impl ShmRing {
    /// A new ring of `capacity` bytes (1 to [`MAX_CAPACITY`]) in a fresh memfd.
    pub fn create(capacity: usize) -> io::Result<ShmRing> {
        if capacity == 0 || capacity > MAX_CAPACITY {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ring capacity must be 1 to {MAX_CAPACITY} bytes, not {capacity}"),
            ));
        }
        let ring = ShmRing {
            map: SharedMap::create(c"threadproof-ring", DATA + capacity)?,
        };
        // The memfd starts zeroed: head = tail = 0. Write the identification.
        ring.word(MAGIC)
            .store(MAGIC_VALUE, std::sync::atomic::Ordering::Relaxed);
        ring.word(CAPACITY)
            .store(capacity as u64, std::sync::atomic::Ordering::Release);
        Ok(ring)
    }

    /// Maps a ring created by [`create`](Self::create) (in this or another process). Checks the
    /// magic number and that the capacity matches the file's size.
    pub fn from_fd(fd: OwnedFd) -> io::Result<ShmRing> {
        let len = fstat(fd.as_fd())?.st_size as usize;
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        if len <= DATA || len > DATA + MAX_CAPACITY {
            return Err(bad(format!("not a ring: the file is {len} bytes")));
        }
        let ring = ShmRing {
            map: SharedMap::map(fd, len)?,
        };
        let magic = ring.word(MAGIC).load(std::sync::atomic::Ordering::Relaxed);
        let capacity = ring
            .word(CAPACITY)
            .load(std::sync::atomic::Ordering::Acquire);
        if magic != MAGIC_VALUE {
            return Err(bad(format!("not a ring: magic number {magic:#x}")));
        }
        if capacity as usize != len - DATA {
            return Err(bad(format!(
                "corrupt ring: capacity {capacity} but {} bytes of data",
                len - DATA
            )));
        }
        Ok(ring)
    }

    /// A std atomic at `offset` (for the identification words).
    fn word(&self, offset: usize) -> &std::sync::atomic::AtomicU64 {
        // SAFETY: offset + 8 <= DATA < len; the mapping is page-aligned, offsets 8-aligned;
        // AtomicU64 has u64's layout and may alias memory other processes access atomically.
        unsafe { &*self.map.ptr().add(offset).cast() }
    }

    fn counter(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: as in `word`; the facade's AtomicU64 is std's in the library.
        unsafe { &*self.map.ptr().add(offset).cast() }
    }

    /// The ring's capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.map.len() - DATA
    }

    /// The memfd, to hand to another process.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.map.fd()
    }

    fn view(&self, orderings: Orderings) -> RingRef<'_> {
        // SAFETY: DATA + capacity == len; the facade's UnsafeCell<u8> is repr(transparent)
        // over std's, which has u8's layout.
        let cells: &[UnsafeCell<u8>] =
            unsafe { std::slice::from_raw_parts(self.map.ptr().add(DATA).cast(), self.capacity()) };
        // SAFETY: the caller of the role constructor promised one producer and one consumer.
        unsafe { RingRef::with_orderings(self.counter(HEAD), self.counter(TAIL), cells, orderings) }
    }

    /// The producer side.
    ///
    /// # Safety
    ///
    /// Across all processes mapping this ring, at most one producer exists at a time.
    pub unsafe fn producer(&self) -> Producer<'_> {
        Producer(self.view(super::ring_protocol::ACQUIRE_RELEASE))
    }

    /// The consumer side.
    ///
    /// # Safety
    ///
    /// Across all processes mapping this ring, at most one consumer exists at a time.
    pub unsafe fn consumer(&self) -> Consumer<'_> {
        Consumer(self.view(super::ring_protocol::ACQUIRE_RELEASE))
    }
}

/// Busy-waits (lowest latency while the other side is running), then yields the CPU after
/// 1,000 tries so a descheduled peer on the same core can run.
fn backoff(spins: &mut u32) {
    if *spins < 1_000 {
        *spins += 1;
        hint::spin_loop();
    } else {
        thread::yield_now();
    }
}

/// The producer side of a [`ShmRing`].
pub struct Producer<'a>(RingRef<'a>);

impl Producer<'_> {
    /// Appends all of `bytes` or nothing (when there is not room).
    pub fn try_push(&self, bytes: &[u8]) -> bool {
        self.0.try_push(bytes)
    }

    /// Appends all of `bytes`, busy-waiting for room (spinning, then yielding). `bytes` must
    /// fit in the ring.
    pub fn push(&self, bytes: &[u8]) {
        assert!(
            bytes.len() <= self.0.capacity(),
            "message larger than the ring"
        );
        let mut spins = 0u32;
        while !self.0.try_push(bytes) {
            backoff(&mut spins);
        }
    }
}

/// The consumer side of a [`ShmRing`].
pub struct Consumer<'a>(RingRef<'a>);

impl Consumer<'_> {
    /// Fills all of `out` or takes nothing (when fewer bytes are there).
    pub fn try_pop_exact(&self, out: &mut [u8]) -> bool {
        self.0.try_pop_exact(out)
    }

    /// Fills all of `out`, busy-waiting for bytes (spinning, then yielding). `out` must fit in
    /// the ring.
    pub fn pop_exact(&self, out: &mut [u8]) {
        assert!(
            out.len() <= self.0.capacity(),
            "message larger than the ring"
        );
        let mut spins = 0u32;
        while !self.0.try_pop_exact(out) {
            backoff(&mut spins);
        }
    }
}
