//! Models of the cross-process queue's blocking protocol (issue 6; `src/ipc/queue_protocol.rs`).
//!
//! The protocol file is compiled into the model crates on its own. Here its [`Shared`] trait is
//! implemented with the checker's mutex for the robust process-shared mutex, the checker's
//! atomics for the sequence words, and a mutex plus a condition variable that behave as a
//! futex (a waiter checks the word and sleeps atomically with respect to wakers). A process
//! **killed just after being woken** is a thread whose `wait` returns an error there: it stops
//! without relocking, as a `SIGKILL`ed process would. Dying while holding the lock is not
//! modelled (the kernel's robust-mutex handover is not something a checker of Rust code sees);
//! `tests/ipc_queue.rs` does that with real processes.

use super::world::queue_protocol::{
    self as protocol, Get, MemStore, Put, Shared, Signal, Store, Wait, Wake, Word,
};
use super::world::sync::atomic::{AtomicUsize, Ordering};
use super::world::sync::thread;
use super::world::sync::{Condvar, Mutex, MutexGuard};
use crate::harness::{Expect, Kind, LoomPlan, Model};
use crate::require;

/// What the processes share: the state under its lock, and per signal a sequence word and
/// the futex emulation.
struct ModelQueue {
    state: Mutex<MemStore>,
    capacity: u64,
    seq: [AtomicUsize; 2],
    futex: Mutex<()>,
    sleepers: [Condvar; 2],
    /// How many times a process went to sleep (for the scenario to wait for).
    slept: AtomicUsize,
}

impl ModelQueue {
    fn new(capacity: u64) -> &'static ModelQueue {
        super::leak(ModelQueue {
            state: Mutex::new(MemStore::new(16)),
            capacity,
            seq: [AtomicUsize::new(0), AtomicUsize::new(0)],
            futex: Mutex::new(()),
            sleepers: [Condvar::new(), Condvar::new()],
            slept: AtomicUsize::new(0),
        })
    }
}

fn index(signal: Signal) -> usize {
    match signal {
        Signal::NotEmpty => 0,
        Signal::NotFull => 1,
    }
}

/// One process's view: `doomed` processes are killed right after their first wakeup.
struct Process<'q> {
    queue: &'q ModelQueue,
    doomed: bool,
}

/// The locked state (a newtype: the protocol's `Store` trait and the checker's guard are both
/// foreign here).
struct Locked<'a>(MutexGuard<'a, MemStore>);

impl Store for Locked<'_> {
    fn load(&self, word: Word) -> u64 {
        self.0.load(word)
    }
    fn store(&mut self, word: Word, value: u64) {
        self.0.store(word, value)
    }
    fn data_len(&self) -> u64 {
        self.0.data_len()
    }
    fn read(&self, pos: u64, out: &mut [u8]) {
        self.0.read(pos, out)
    }
    fn write(&mut self, pos: u64, bytes: &[u8]) {
        self.0.write(pos, bytes)
    }
}

impl Shared for Process<'_> {
    type Guard<'a>
        = Locked<'a>
    where
        Self: 'a;

    fn lock(&self) -> Result<Locked<'_>, String> {
        Ok(Locked(self.queue.state.lock()))
    }

    fn capacity(&self) -> u64 {
        self.queue.capacity
    }

    // ANCHOR: futex
    fn wake(&self, _guard: &mut Locked<'_>, signal: Signal, whom: Wake) {
        let i = index(signal);
        self.queue.seq[i].fetch_add(1, Ordering::SeqCst);
        // FUTEX_WAKE: the kernel's queue of sleepers is the condition variable's.
        let _futex = self.queue.futex.lock();
        match whom {
            Wake::All => self.queue.sleepers[i].notify_all(),
            Wake::One => self.queue.sleepers[i].notify_one(),
        }
    }

    fn wait<'a>(
        &'a self,
        guard: Locked<'a>,
        signal: Signal,
        _deadline: Option<std::time::Instant>,
    ) -> Result<Locked<'a>, String> {
        let i = index(signal);
        let seen = self.queue.seq[i].load(Ordering::SeqCst); // under the lock
        drop(guard);
        // FUTEX_WAIT: sleep only if the word still holds what was seen, atomically.
        let mut futex = self.queue.futex.lock();
        if self.queue.seq[i].load(Ordering::SeqCst) == seen {
            self.queue.slept.fetch_add(1, Ordering::SeqCst);
            self.queue.sleepers[i].wait(&mut futex);
        }
        drop(futex);
        if self.doomed {
            return Err("killed just after being woken".into());
        }
        self.lock()
    }
    // ANCHOR_END: futex

    fn mark_broken(&self) {}
}

// ANCHOR: killed_sleeper
/// Two getters go to sleep on an empty queue; then one item is put. One getter is killed as
/// soon as it is woken: the other must get the item. A wakeup spent on a dying process must not
/// strand the survivor.
fn killed_sleeper(whom: Wake) {
    let queue = ModelQueue::new(2);
    let getter = move |doomed: bool| {
        thread::spawn(move || {
            protocol::blocking_get(&Process { queue, doomed }, Wait::Forever, whom)
        })
    };
    let (doomed, survivor) = (getter(true), getter(false));
    while queue.slept.load(Ordering::SeqCst) < 2 {
        thread::yield_now(); // both asleep before the put
    }
    let me = Process {
        queue,
        doomed: false,
    };
    let put = protocol::blocking_put(&me, b"x", Wait::Forever, whom);
    require!(put == Put::Done, Kind::LostItem, "the put failed: {put:?}");
    let died = doomed.join().expect("doomed getter");
    require!(
        matches!(died, Get::Broken(_)),
        Kind::LostItem,
        "the doomed getter got {died:?}"
    );
    let got = survivor.join().expect("survivor"); // stranded: the checker reports a deadlock
    require!(
        got == Get::Item(b"x".to_vec()),
        Kind::LostItem,
        "the survivor got {got:?}"
    );
}
// ANCHOR_END: killed_sleeper

/// A putter puts two items and two getters take one each, through a queue of one record,
/// every operation blocking: each item exactly once, nobody stranded.
fn two_getters() {
    let queue = ModelQueue::new(1);
    let me = move || Process {
        queue,
        doomed: false,
    };
    let getters: Vec<_> = (0..2)
        .map(|_| thread::spawn(move || protocol::blocking_get(&me(), Wait::Forever, Wake::All)))
        .collect();
    for item in [b'a', b'b'] {
        let put = protocol::blocking_put(&me(), &[item], Wait::Forever, Wake::All);
        require!(put == Put::Done, Kind::LostItem, "a put failed: {put:?}");
    }
    let mut got: Vec<Get> = getters
        .into_iter()
        .map(|g| g.join().expect("getter"))
        .collect();
    got.sort_by_key(|g| format!("{g:?}"));
    require!(
        got == [Get::Item(vec![b'a']), Get::Item(vec![b'b'])],
        Kind::LostItem,
        "got {got:?}"
    );
}

/// The cross-process queue's models.
pub fn models() -> Vec<Model> {
    const BOUND: LoomPlan = LoomPlan::Bounded {
        preemptions: 2,
        why: "4 threads, 3 locks: exhaustive ran over 10 min; a stranded sleeper needs 0 preemptions",
    };
    vec![
        Model {
            loom: BOUND,
            ..Model::new(
                "ipc_queue",
                "wake all",
                "2 getters asleep, 1 put, 1 getter killed when woken",
                Expect::Holds,
                || killed_sleeper(Wake::All),
            )
        },
        Model {
            loom: BOUND,
            ..Model::new(
                "ipc_queue",
                "wake one (flawed)",
                "2 getters asleep, 1 put, 1 getter killed when woken",
                Expect::Caught(Kind::Deadlock),
                || killed_sleeper(Wake::One),
            )
        },
        Model {
            loom: BOUND,
            ..Model::new(
                "ipc_queue",
                "wake all",
                "1 putter x 2 items, 2 getters, capacity 1",
                Expect::Holds,
                two_getters,
            )
        },
    ]
}
