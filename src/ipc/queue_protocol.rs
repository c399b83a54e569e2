//! The record protocol of the cross-process [`Queue`](super::Queue). **OS-free**: it sees a
//! few words and a circular byte buffer through the [`Store`] trait, wherever they live. In
//! the library they live in shared memory and every call happens under the queue's robust
//! process-shared mutex, so the protocol itself is sequential; what it must survive is a
//! process that **dies in the middle of an operation** (SIGKILL while holding the mutex). The
//! next process to lock the mutex is told so (`EOWNERDEAD`) and runs [`recover`].
//!
//! The state: `read` and `write` are positions in the byte stream (both only grow), `count`
//! is the number of records between them, `closed` is 0 or 1. A record is a 4-byte
//! little-endian length and that many bytes, starting at `write` and wrapping around the
//! buffer.
//!
//! **The commit point of every operation is one word.** A push writes the record's bytes
//! beyond `write` (invisible: no reader looks past `write`), then stores the new `write`
//! (commit), then `count + 1`. A pop reads the record at `read`, then stores the new `read`
//! (commit), then `count - 1`. `count` is derived data: [`recover`] recomputes it by walking
//! the records from `read` to `write`, validating every length, so a process that died
//! between the commit and the `count` store leaves nothing wrong behind, and one that died
//! before the commit left only unpublished bytes. `tests/ipc_queue.rs` checks this by crashing
//! each operation after every one of its stores (a [`Store`] that ignores stores after the
//! k-th) and recovering.
//!
//! [`flawed::push_commit_first`] stores `write` before the bytes (do not copy): the same
//! crash check finds a torn item.
//!
//! Lengths read from the buffer are never trusted: a record longer than the bytes between
//! `read` and `write` (or than the buffer) is [`Corrupt`], not an allocation.
//!
//! # Blocking: sequence words, wake all, wake before the commit
//!
//! The blocking operations [`blocking_put`] and [`blocking_get`] are OS-free too: they see the
//! lock and the sleeping through the [`Shared`] trait. The library implements it with the
//! robust mutex and `futex` calls; the loom and shuttle model crates include this file by
//! `#[path]` and implement it with the checker's mutex and a condition variable that behaves as
//! a futex (`models/check/src/bodies/ipc_queue.rs`), where a process "killed" just after being
//! woken is a thread that stops there. A waiter reads the sequence word of the condition it
//! waits for *under the lock* and sleeps only while the word still has that value; every state
//! change bumps the word under the lock, so a change between the unlock and the sleep is never
//! missed. Every change wakes **all** sleepers ([`Wake::All`]): [`Wake::One`] (flawed, do not
//! copy) lets a woken process that is then killed take the only wakeup with it, and the checker
//! finds the survivor asleep beside an item (**deadlock**).

use std::fmt;
use std::time::Instant;

/// The words of the queue's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// Stream position of the next record to pop.
    Read,
    /// Stream position one past the last record pushed.
    Write,
    /// Records between `Read` and `Write` (derived; rebuilt by [`recover`]).
    Count,
    /// 1 once the queue is closed.
    Closed,
}

/// Where the state lives. Every method is called with the queue's lock held.
pub trait Store {
    /// The value of a word.
    fn load(&self, word: Word) -> u64;
    /// Sets a word (one machine store: a process dies before it or after it).
    fn store(&mut self, word: Word, value: u64);
    /// Size of the circular buffer in bytes.
    fn data_len(&self) -> u64;
    /// Copies buffer bytes starting at stream position `pos` (wrapping) into `out`.
    fn read(&self, pos: u64, out: &mut [u8]);
    /// Copies `bytes` into the buffer starting at stream position `pos` (wrapping).
    fn write(&mut self, pos: u64, bytes: &[u8]);
}

/// Bytes of a record's length prefix.
pub const HEADER: u64 = 4;

/// The shared state is inconsistent: a length or position no correct process writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt(pub String);

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupt queue state: {}", self.0)
    }
}

impl std::error::Error for Corrupt {}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// The record is in the queue.
    Done,
    /// No room (items or bytes); nothing changed.
    Full,
    /// The queue is closed; nothing changed.
    Closed,
}

/// The largest payload a buffer of `data_len` bytes holds in one record.
pub fn max_payload(data_len: u64) -> u64 {
    (data_len - HEADER).min(u32::MAX as u64)
}

/// `read` and `write` as they must be: `read <= write <= read + data_len`.
fn positions<S: Store + ?Sized>(s: &S) -> Result<(u64, u64), Corrupt> {
    let (read, write) = (s.load(Word::Read), s.load(Word::Write));
    match write.checked_sub(read) {
        Some(used) if used <= s.data_len() => Ok((read, write)),
        _ => Err(Corrupt(format!(
            "positions read {read} and write {write} with a {}-byte buffer",
            s.data_len()
        ))),
    }
}

/// The payload length of the record at `pos`, checked against the bytes up to `write`.
fn record_len<S: Store + ?Sized>(s: &S, pos: u64, write: u64) -> Result<u64, Corrupt> {
    let mut header = [0u8; HEADER as usize];
    if write - pos < HEADER {
        return Err(Corrupt(format!(
            "{} stray bytes at position {pos}",
            write - pos
        )));
    }
    s.read(pos, &mut header);
    let len = u32::from_le_bytes(header) as u64;
    if len > write - pos - HEADER {
        return Err(Corrupt(format!(
            "a record of {len} bytes at position {pos}, with {} bytes published",
            write - pos - HEADER
        )));
    }
    Ok(len)
}

// ANCHOR: push
/// Appends one record holding `payload` if the queue is open, has fewer than `capacity`
/// records and has the bytes. `payload` must be at most [`max_payload`] bytes.
pub fn push<S: Store + ?Sized>(s: &mut S, capacity: u64, payload: &[u8]) -> Result<Push, Corrupt> {
    if s.load(Word::Closed) != 0 {
        return Ok(Push::Closed);
    }
    let (read, write) = positions(s)?;
    let record = HEADER + payload.len() as u64;
    let count = s.load(Word::Count);
    if count >= capacity || record > s.data_len() - (write - read) {
        return Ok(Push::Full);
    }
    // Beyond `write`: no reader looks here until the commit below.
    s.write(write, &(payload.len() as u32).to_le_bytes());
    s.write(write + HEADER, payload);
    s.store(Word::Write, write + record); // commit
    s.store(Word::Count, count + 1); // derived
    Ok(Push::Done)
}
// ANCHOR_END: push

// ANCHOR: pop
/// Takes the oldest record's payload, or `None` if there is none.
pub fn pop<S: Store + ?Sized>(s: &mut S) -> Result<Option<Vec<u8>>, Corrupt> {
    let (read, write) = positions(s)?;
    if read == write {
        return Ok(None);
    }
    let len = record_len(s, read, write)?; // checked before allocating
    let mut payload = vec![0u8; len as usize];
    s.read(read + HEADER, &mut payload);
    s.store(Word::Read, read + HEADER + len); // commit
    let count = s.load(Word::Count);
    s.store(Word::Count, count.saturating_sub(1)); // derived
    Ok(Some(payload))
}
// ANCHOR_END: pop

/// Closes the queue (one store). Returns whether it was open.
pub fn close<S: Store + ?Sized>(s: &mut S) -> bool {
    let was_open = s.load(Word::Closed) == 0;
    s.store(Word::Closed, 1);
    was_open
}

// ANCHOR: recover
/// Makes the state consistent after a process died holding the lock: walks the records from
/// `read` to `write`, checking every length, and stores their number as `count`. `Corrupt`
/// if the records do not tile the published bytes exactly.
pub fn recover<S: Store + ?Sized>(s: &mut S) -> Result<u64, Corrupt> {
    let (read, write) = positions(s)?;
    let mut pos = read;
    let mut count = 0;
    while pos < write {
        pos += HEADER + record_len(s, pos, write)?;
        count += 1;
    }
    if s.load(Word::Closed) > 1 {
        return Err(Corrupt(format!("closed flag {}", s.load(Word::Closed))));
    }
    s.store(Word::Count, count);
    Ok(count)
}
// ANCHOR_END: recover

/// The two conditions processes sleep on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// An item arrived, or the queue was closed: getters sleep on it.
    NotEmpty,
    /// An item left, or the queue was closed: putters sleep on it.
    NotFull,
}

/// Whom a state change wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Every sleeper: the reference.
    All,
    /// One sleeper. **Flawed**: a sleeper woken and then killed takes the wakeup with it.
    One,
}

/// How long a blocking operation waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Not at all (`try_`).
    No,
    /// As long as it takes.
    Forever,
    /// Until this instant (`_timeout`).
    Until(Instant),
}

/// The queue as the blocking layer sees it: a lock that hands out the [`Store`], and a
/// sequence word per [`Signal`] to sleep on. `Err` from `lock` or `wait` means the queue
/// cannot be used (a corrupt state, or, in the models, this process was killed).
pub trait Shared {
    /// The locked state. Dropping it unlocks.
    type Guard<'a>: Store
    where
        Self: 'a;
    /// Locks the state (recovering it if the last owner died holding the lock).
    fn lock(&self) -> Result<Self::Guard<'_>, String>;
    /// The most records the queue holds.
    fn capacity(&self) -> u64;
    /// With the lock held: bumps `signal`'s sequence word and wakes `whom` of its sleepers.
    fn wake(&self, guard: &mut Self::Guard<'_>, signal: Signal, whom: Wake);
    /// Reads `signal`'s sequence word, unlocks, sleeps while the word keeps that value (until
    /// a wake, `deadline`, or spuriously), and locks again.
    fn wait<'a>(
        &'a self,
        guard: Self::Guard<'a>,
        signal: Signal,
        deadline: Option<Instant>,
    ) -> Result<Self::Guard<'a>, String>;
    /// Marks the queue unusable for every process (its state was found corrupt).
    fn mark_broken(&self);
}

/// How a [`blocking_put`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// The record is in the queue.
    Done,
    /// No room (with [`Wait::No`]).
    Full,
    /// The queue is closed.
    Closed,
    /// No room until the deadline.
    Timeout,
    /// The queue cannot be used.
    Broken(String),
}

/// How a [`blocking_get`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Get {
    /// The oldest record's payload.
    Item(Vec<u8>),
    /// Nothing there (with [`Wait::No`]).
    Empty,
    /// Closed, and no records left.
    Closed,
    /// Nothing there until the deadline.
    Timeout,
    /// The queue cannot be used.
    Broken(String),
}

/// Whether a record of `len` payload bytes fits now: fewer than `capacity` records, and the
/// bytes free.
pub fn room<S: Store + ?Sized>(s: &S, capacity: u64, len: usize) -> bool {
    let used = s.load(Word::Write).saturating_sub(s.load(Word::Read));
    s.load(Word::Count) < capacity && HEADER + len as u64 <= s.data_len().saturating_sub(used)
}

/// Sleeps on `signal` unless `wait` says not to or its deadline has passed; `Err` with the
/// outcome to return otherwise.
fn sleep<'a, Q: Shared, R>(
    q: &'a Q,
    guard: Q::Guard<'a>,
    signal: Signal,
    wait: Wait,
    empty: R,
    timeout: R,
    broken: fn(String) -> R,
) -> Result<Q::Guard<'a>, R> {
    let deadline = match wait {
        Wait::No => return Err(empty),
        Wait::Forever => None,
        Wait::Until(d) if Instant::now() >= d => return Err(timeout),
        Wait::Until(d) => Some(d),
    };
    q.wait(guard, signal, deadline).map_err(broken)
}

// ANCHOR: blocking_put
/// Puts one record holding `payload` (at most [`max_payload`] bytes), waiting for room as
/// `wait` says. Wakes the getters **before** the commit, with the lock held: if this process
/// dies in between, the processes it woke are already queued on the lock and recover it.
pub fn blocking_put<Q: Shared>(q: &Q, payload: &[u8], wait: Wait, whom: Wake) -> Put {
    let mut guard = match q.lock() {
        Ok(g) => g,
        Err(why) => return Put::Broken(why),
    };
    loop {
        if guard.load(Word::Closed) != 0 {
            return Put::Closed;
        }
        if room(&guard, q.capacity(), payload.len()) {
            q.wake(&mut guard, Signal::NotEmpty, whom); // first...
            return match push(&mut guard, q.capacity(), payload) {
                Ok(Push::Done) => Put::Done, // ...then the commit
                Ok(Push::Closed) => Put::Closed,
                Ok(Push::Full) => unreachable!("room was checked under the same lock"),
                Err(Corrupt(why)) => {
                    q.mark_broken();
                    Put::Broken(why)
                }
            };
        }
        guard = match sleep(
            q,
            guard,
            Signal::NotFull,
            wait,
            Put::Full,
            Put::Timeout,
            Put::Broken,
        ) {
            Ok(g) => g,
            Err(outcome) => return outcome,
        };
    }
}
// ANCHOR_END: blocking_put

// ANCHOR: blocking_get
/// Takes the oldest record, waiting for one as `wait` says; `Closed` once closed and drained.
/// Wakes the putters before the commit, as [`blocking_put`] does.
pub fn blocking_get<Q: Shared>(q: &Q, wait: Wait, whom: Wake) -> Get {
    let mut guard = match q.lock() {
        Ok(g) => g,
        Err(why) => return Get::Broken(why),
    };
    loop {
        if guard.load(Word::Read) != guard.load(Word::Write) {
            q.wake(&mut guard, Signal::NotFull, whom); // first...
            return match pop(&mut guard) {
                Ok(Some(payload)) => Get::Item(payload), // ...then the commit
                Ok(None) => unreachable!("positions differ, so there is a record"),
                Err(Corrupt(why)) => {
                    q.mark_broken();
                    Get::Broken(why)
                }
            };
        }
        if guard.load(Word::Closed) != 0 {
            return Get::Closed;
        }
        guard = match sleep(
            q,
            guard,
            Signal::NotEmpty,
            wait,
            Get::Empty,
            Get::Timeout,
            Get::Broken,
        ) {
            Ok(g) => g,
            Err(outcome) => return outcome,
        };
    }
}
// ANCHOR_END: blocking_get

/// Closes the queue and wakes every sleeper of both kinds. Returns whether it was open (false
/// too if the queue cannot be used).
pub fn close_and_wake<Q: Shared>(q: &Q) -> bool {
    let Ok(mut guard) = q.lock() else {
        return false;
    };
    q.wake(&mut guard, Signal::NotEmpty, Wake::All);
    q.wake(&mut guard, Signal::NotFull, Wake::All);
    close(&mut guard)
}

/// A [`Store`] in ordinary memory: for tests, and to show the protocol without an OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemStore {
    /// Read, Write, Count, Closed.
    pub words: [u64; 4],
    /// The circular buffer.
    pub data: Vec<u8>,
}

impl MemStore {
    /// An empty, open queue state with a `data_len`-byte buffer (more than [`HEADER`]).
    pub fn new(data_len: usize) -> MemStore {
        assert!(data_len as u64 > HEADER, "the buffer must hold a header");
        MemStore {
            words: [0; 4],
            data: vec![0; data_len],
        }
    }
}

fn index(word: Word) -> usize {
    match word {
        Word::Read => 0,
        Word::Write => 1,
        Word::Count => 2,
        Word::Closed => 3,
    }
}

impl Store for MemStore {
    fn load(&self, word: Word) -> u64 {
        self.words[index(word)]
    }
    fn store(&mut self, word: Word, value: u64) {
        self.words[index(word)] = value;
    }
    fn data_len(&self) -> u64 {
        self.data.len() as u64
    }
    fn read(&self, pos: u64, out: &mut [u8]) {
        let n = self.data.len();
        for (i, b) in out.iter_mut().enumerate() {
            *b = self.data[((pos + i as u64) % n as u64) as usize];
        }
    }
    fn write(&mut self, pos: u64, bytes: &[u8]) {
        let n = self.data.len() as u64;
        for (i, &b) in bytes.iter().enumerate() {
            self.data[((pos + i as u64) % n) as usize] = b;
        }
    }
}

/// A flawed push. **Do not copy.**
pub mod flawed {
    use super::{Corrupt, HEADER, Push, Store, Word, positions};

    // ANCHOR: commit_first
    /// **Do not copy.** Publishes the new `write` *before* copying the record in. Under the
    /// lock nobody can tell, until a process dies between the two: the queue then holds a
    /// record made of whatever bytes were in the buffer: a **torn item**, or (as the crash check in
    /// `tests/ipc_queue.rs` finds) a state recovery must declare corrupt.
    pub fn push_commit_first<S: Store + ?Sized>(
        s: &mut S,
        capacity: u64,
        payload: &[u8],
    ) -> Result<Push, Corrupt> {
        if s.load(Word::Closed) != 0 {
            return Ok(Push::Closed);
        }
        let (read, write) = positions(s)?;
        let record = HEADER + payload.len() as u64;
        let count = s.load(Word::Count);
        if count >= capacity || record > s.data_len() - (write - read) {
            return Ok(Push::Full);
        }
        s.store(Word::Write, write + record); // "commit" of bytes not yet there
        s.store(Word::Count, count + 1);
        s.write(write, &(payload.len() as u32).to_le_bytes());
        s.write(write + HEADER, payload);
        Ok(Push::Done)
    }
    // ANCHOR_END: commit_first
}
