//! The index protocol of a single-producer single-consumer byte ring. **OS-free**: it sees
//! two counters and a slice of byte cells, wherever they live. In the library they live in
//! shared memory between two processes ([`shm_ring`](super::shm_ring)); the loom model crate
//! includes this file alone by `#[path]` and puts them in loom's atomics and tracked cells, so
//! loom checks this very code, exhaustively, for a read of a byte before it was published or
//! a write over a byte before it was consumed.
//!
//! The protocol: `head` counts bytes ever written, `tail` bytes ever read (both only grow;
//! `u64` does not wrap in practice). Byte `i` of the stream lives in cell `i % capacity`.
//!
//! - The producer owns `head`. To push, it reads `tail` with **Acquire** (so the consumer's
//!   reads of the cells it freed happen before the producer overwrites them), writes the
//!   bytes, then stores the new `head` with **Release** (publishing the bytes).
//! - The consumer owns `tail`. To pop, it reads `head` with **Acquire** (so the producer's
//!   writes of the bytes happen before it reads them), reads them, then stores the new `tail`
//!   with **Release** (handing the cells back).
//!
//! Each side loads its own counter Relaxed: only it ever stores it.
//!
//! [`flawed::RELAXED`] is the same protocol with every ordering Relaxed (do not copy): the
//! consumer can see the new `head` before the bytes, and loom reports it. So are
//! [`flawed::RELEASE_RELAXED`] and [`flawed::RELAXED_ACQUIRE`], which keep one half of each
//! Release/Acquire pair: a happens-before edge needs both.

use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::cell::UnsafeCell;

/// The memory orderings the protocol uses to publish and to observe a counter.
#[derive(Debug, Clone, Copy)]
pub struct Orderings {
    /// Storing one's own counter (publishing bytes written, or cells freed).
    pub publish: Ordering,
    /// Loading the other side's counter.
    pub observe: Ordering,
}

/// The correct orderings: Release to publish, Acquire to observe.
pub const ACQUIRE_RELEASE: Orderings = Orderings {
    publish: Ordering::Release,
    observe: Ordering::Acquire,
};

/// A ring's shared state, borrowed: the two counters and the byte cells.
#[derive(Clone, Copy)]
pub struct RingRef<'a> {
    head: &'a AtomicU64,
    tail: &'a AtomicU64,
    cells: &'a [UnsafeCell<u8>],
    orderings: Orderings,
}

impl<'a> RingRef<'a> {
    /// A view of a ring with the correct orderings. `cells` must not be empty.
    ///
    /// # Safety
    ///
    /// At most one thread (in any process) pushes and at most one pops through views of the
    /// same ring at a time, and nothing else touches the counters or cells.
    pub unsafe fn new(
        head: &'a AtomicU64,
        tail: &'a AtomicU64,
        cells: &'a [UnsafeCell<u8>],
    ) -> Self {
        // SAFETY: passed on to the caller.
        unsafe { Self::with_orderings(head, tail, cells, ACQUIRE_RELEASE) }
    }

    /// Like [`new`](Self::new) with chosen orderings (for the flawed variant).
    ///
    /// # Safety
    ///
    /// As for [`new`](Self::new).
    pub unsafe fn with_orderings(
        head: &'a AtomicU64,
        tail: &'a AtomicU64,
        cells: &'a [UnsafeCell<u8>],
        orderings: Orderings,
    ) -> Self {
        assert!(!cells.is_empty(), "a ring needs at least one byte");
        RingRef {
            head,
            tail,
            cells,
            orderings,
        }
    }

    /// Bytes the ring holds at most.
    pub fn capacity(&self) -> usize {
        self.cells.len()
    }

    /// The cells of stream bytes `[position, position + len)`: at most two runs, since the
    /// range may wrap around the end of the buffer.
    fn runs(&self, position: u64, len: usize) -> (&[UnsafeCell<u8>], &[UnsafeCell<u8>]) {
        let start = (position % self.cells.len() as u64) as usize;
        let first = len.min(self.cells.len() - start);
        (
            &self.cells[start..start + first],
            &self.cells[..len - first],
        )
    }

    // ANCHOR: push
    /// Producer: appends all of `bytes`, or nothing if there is not room for all of them.
    pub fn try_push(&self, bytes: &[u8]) -> bool {
        let head = self.head.load(Ordering::Relaxed); // our own counter
        let tail = self.tail.load(self.orderings.observe);
        let free = self.cells.len() as u64 - (head - tail);
        if (bytes.len() as u64) > free {
            return false;
        }
        let (a, b) = self.runs(head, bytes.len());
        // Two plain loops over slices, not one over a chained iterator: the compiler turns
        // each into a block copy in production (a 64 KiB round trip between processes went
        // from 126 to 3 us), while the checkers still see one access per cell.
        let (bytes_a, bytes_b) = bytes.split_at(a.len());
        for (cells, bytes) in [(a, bytes_a), (b, bytes_b)] {
            for (cell, &byte) in cells.iter().zip(bytes) {
                // SAFETY: cells in [head, tail + capacity) are the producer's: the consumer
                // has finished with them (observed through `tail`) and will not read them
                // before `head` is published below.
                cell.with_mut(|p| unsafe { *p = byte });
            }
        }
        self.head
            .store(head + bytes.len() as u64, self.orderings.publish);
        true
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Consumer: fills all of `out`, or takes nothing if fewer bytes are there.
    pub fn try_pop_exact(&self, out: &mut [u8]) -> bool {
        let tail = self.tail.load(Ordering::Relaxed); // our own counter
        let head = self.head.load(self.orderings.observe);
        if head - tail < out.len() as u64 {
            return false;
        }
        let (a, b) = self.runs(tail, out.len());
        let (out_a, out_b) = out.split_at_mut(a.len());
        for (cells, out) in [(a, out_a), (b, out_b)] {
            for (cell, byte) in cells.iter().zip(out.iter_mut()) {
                // SAFETY: cells in [tail, head) were published by the producer (observed
                // through `head`) and it will not overwrite them before `tail` is published
                // below.
                *byte = cell.with(|p| unsafe { *p });
            }
        }
        self.tail
            .store(tail + out.len() as u64, self.orderings.publish);
        true
    }
    // ANCHOR_END: pop

    /// Bytes ready to pop (a snapshot; from the consumer it is a lower bound).
    pub fn len(&self) -> usize {
        let head = self.head.load(self.orderings.observe);
        let tail = self.tail.load(self.orderings.observe);
        head.saturating_sub(tail) as usize
    }

    /// Whether no bytes are ready (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Flawed orderings. **Do not copy.**
pub mod flawed {
    use super::{Ordering, Orderings};

    // ANCHOR: relaxed
    /// **Do not copy.** Every counter access Relaxed: the consumer may observe the new `head`
    /// and still read the bytes from before the producer wrote them (an early, or torn, read),
    /// and the producer may overwrite bytes the consumer is still reading.
    pub const RELAXED: Orderings = Orderings {
        publish: Ordering::Relaxed,
        observe: Ordering::Relaxed,
    };
    // ANCHOR_END: relaxed

    /// **Do not copy.** Release stores but Relaxed loads: the publishing half of each edge
    /// without the observing half, so nothing synchronizes (**torn read**).
    pub const RELEASE_RELAXED: Orderings = Orderings {
        publish: Ordering::Release,
        observe: Ordering::Relaxed,
    };

    /// **Do not copy.** Acquire loads but Relaxed stores: the observing half without the
    /// publishing half (**torn read**).
    pub const RELAXED_ACQUIRE: Orderings = Orderings {
        publish: Ordering::Relaxed,
        observe: Ordering::Acquire,
    };
}
