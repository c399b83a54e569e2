//! Models of the shared-memory ring's index protocol (issue 6; `src/ipc/ring_protocol.rs`).
//!
//! The protocol file is compiled into the model crates on its own; here its counters are the
//! checker's atomics and its bytes are the checker's cells, so loom tracks every byte: a read
//! that no happens-before edge orders after the byte's write (or a write over a byte still
//! being read) is reported as a causality violation, a **torn read**.

use super::world::ring_protocol::{self, Orderings, RingRef, flawed};
use super::world::sync::atomic::AtomicU64;
use super::world::sync::cell::UnsafeCell;
use super::world::sync::{Arc, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::require;

/// What two processes share: the counters and the cells.
struct Shared {
    head: AtomicU64,
    tail: AtomicU64,
    cells: Vec<UnsafeCell<u8>>,
}

// SAFETY: one producer thread and one consumer thread use the ring, as the protocol requires;
// the cells are what the checker watches.
unsafe impl Sync for Shared {}
// SAFETY: as above; nothing in it is tied to a thread.
unsafe impl Send for Shared {}

// ANCHOR: ring_model
/// A producer pushes bytes 1..=`count` one at a time into a ring of `capacity` bytes (so it
/// wraps and fills); the consumer pops them and checks each value and the order.
fn transfer(orderings: Orderings, capacity: usize, count: u8) {
    let shared = Arc::new(Shared {
        head: AtomicU64::new(0),
        tail: AtomicU64::new(0),
        cells: (0..capacity).map(|_| UnsafeCell::new(0)).collect(),
    });
    let producer = {
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            // SAFETY: this thread is the only producer.
            let ring = unsafe {
                RingRef::with_orderings(&shared.head, &shared.tail, &shared.cells, orderings)
            };
            for byte in 1..=count {
                while !ring.try_push(&[byte]) {
                    thread::yield_now();
                }
            }
        })
    };
    // SAFETY: this thread is the only consumer.
    let ring =
        unsafe { RingRef::with_orderings(&shared.head, &shared.tail, &shared.cells, orderings) };
    for want in 1..=count {
        let mut got = [0u8];
        while !ring.try_pop_exact(&mut got) {
            thread::yield_now();
        }
        require!(
            got[0] == want,
            Kind::TornRead,
            "popped {} where byte {want} was pushed",
            got[0]
        );
    }
    producer.join().expect("producer panicked");
}
// ANCHOR_END: ring_model

/// The ring's models.
pub fn models() -> Vec<Model> {
    vec![
        Model {
            pattern: "ring",
            variant: "acquire/release",
            scenario: "3 bytes through a 2-byte ring",
            expect: Expect::Holds,
            body: || transfer(ring_protocol::ACQUIRE_RELEASE, 2, 3),
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::DEFAULT,
        },
        Model {
            pattern: "ring",
            variant: "relaxed (flawed)",
            scenario: "3 bytes through a 2-byte ring",
            expect: Expect::Caught(Kind::TornRead),
            body: || transfer(flawed::RELAXED, 2, 3),
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::SKIP,
        },
        Model {
            pattern: "ring",
            variant: "release stores, relaxed loads (flawed)",
            scenario: "3 bytes through a 2-byte ring",
            expect: Expect::Caught(Kind::TornRead),
            body: || transfer(flawed::RELEASE_RELAXED, 2, 3),
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::SKIP,
        },
        Model {
            pattern: "ring",
            variant: "relaxed stores, acquire loads (flawed)",
            scenario: "3 bytes through a 2-byte ring",
            expect: Expect::Caught(Kind::TornRead),
            body: || transfer(flawed::RELAXED_ACQUIRE, 2, 3),
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::SKIP,
        },
    ]
}
