//! A bounded blocking queue shared by processes — seeds 002 §3.3 (`multiprocessing.Queue`:
//! `put` blocks when full, `get` when empty) and 003 §1.4 (a writer process and a reader
//! process sharing a queue). **Linux only** (`memfd`, futexes, robust mutexes).
//!
//! [`Queue`] has the surface of the thread queue [`BoundedQueue`](crate::queue::BoundedQueue)
//! where it can: blocking [`put`](Queue::put)/[`get`](Queue::get), `try_`, `_timeout`, an
//! explicit [`close`](Queue::close) after which getters drain what is buffered and then get
//! `Closed`, failed puts that hand the item back. Items cross the process boundary as bytes
//! through the [`Message`] trait. There is no `task_done`/`join`: wait for the worker
//! processes themselves ([`Process::join`](super::Process::join)).
//!
//! # Design: shared memory, a robust mutex, futexes
//!
//! The queue is one `memfd` mapped by every process that uses it (hand it over with
//! [`Builder::inherit`](super::process::Builder::inherit) and [`Queue::inherited`]). In it:
//! a `pthread_mutex_t` that is **process-shared and robust**, the queue's state (two stream
//! positions, a count, a closed flag; see [`queue_protocol`](super::queue_protocol)), two
//! 32-bit sequence words that waiters sleep on with `futex(FUTEX_WAIT)`, and a circular buffer
//! of length-prefixed records.
//!
//! The alternatives, and why not:
//! - **CPython's design** (a pipe, a lock around reading it, a `BoundedSemaphore` for the
//!   capacity, a feeder thread per putting process): a process killed while holding the
//!   reader lock or the semaphore wedges every other process for good, and items still in a
//!   dead process's feeder buffer are lost. Python's docs warn about both.
//! - **A broker** (one process holds a [`BoundedQueue`](crate::queue::BoundedQueue) and
//!   serves `put`/`get` over connections, like `multiprocessing.Manager().Queue()`): robust,
//!   but every operation is a round trip through the broker (two wakeups), and the queue dies
//!   with the broker.
//! - **Process-shared condition variables**: glibc's condvar keeps waiter bookkeeping in the
//!   shared object, and a waiter killed inside `pthread_cond_wait` can leave it inconsistent.
//!   A futex on a sequence word has no bookkeeping to corrupt: a dead sleeper leaves nothing
//!   behind.
//!
//! # Surviving a killed process
//!
//! - **Killed while holding the mutex.** The kernel releases a robust mutex when its owner
//!   dies and the next `pthread_mutex_lock` returns `EOWNERDEAD`; that process runs
//!   [`queue_protocol::recover`](super::queue_protocol::recover), which rebuilds the derived
//!   state from the one-word commit points, and marks the mutex consistent. An item whose
//!   commit happened is in the queue; one whose commit did not is not: never half an item.
//! - **Killed while sleeping.** (The blocking layer is OS-free,
//!   [`queue_protocol::blocking_put`](super::queue_protocol::blocking_put) and
//!   [`blocking_get`](super::queue_protocol::blocking_get), and checked by loom and shuttle.)
//!   Every state change bumps the sequence word and wakes **all** sleepers (a process woken alone and then killed would take the wakeup with it), and the
//!   wake happens *before* the commit, while holding the mutex: if the waker dies between
//!   the two, the sleepers it woke are already queued on the mutex and see `EOWNERDEAD`. A
//!   waker that dies after its commit has therefore always woken everyone.
//! - **Killed after taking an item.** That item is gone with the process (at-most-once
//!   delivery to a process that dies, as with any queue). Every item is delivered at most
//!   once, and exactly once to processes that live.
//!
//! A process that stops *without* dying (SIGSTOP, an infinite loop) while holding the mutex
//! still blocks the others: the mutex is held only for a copy of one item.
//!
//! Closing is explicit, as for `BoundedQueue`: a getter waiting for a producer that died does
//! not learn of it from the queue. Whoever waits for the producers (usually the parent that
//! [`join`](super::Process::join)s them) closes the queue, or getters use
//! [`get_timeout`](Queue::get_timeout).
//!
//! Wake-all costs a thundering herd with many blocked processes of one kind; this queue is
//! meant for a handful of processes.
//!
//! ```no_run
//! use threadproof::ipc::process::{self, Builder};
//! use threadproof::ipc::queue::{GetError, Queue};
//! use std::os::fd::AsRawFd;
//!
//! fn main() {
//!     if process::worker_role().as_deref() == Some("reader") {
//!         let fd = std::env::args().nth(1).unwrap().parse().unwrap();
//!         let q: Queue<String> = Queue::inherited(fd).unwrap();
//!         while let Ok(value) = q.get() {
//!             println!("Get {value} from queue.");
//!         }
//!         return;
//!     }
//!     let q: Queue<String> = Queue::new(10).unwrap();
//!     let mut reader = Builder::new("reader")
//!         .inherit(q.fd())
//!         .args([q.fd().as_raw_fd().to_string()])
//!         .start()
//!         .unwrap();
//!     for value in ["A", "B", "C"] {
//!         q.put(value.to_string()).unwrap();
//!     }
//!     q.close(); // the reader drains A, B, C, then its get returns Err(Closed)
//!     assert!(reader.join().unwrap().success());
//!     assert_eq!(q.get(), Err(GetError::Closed));
//! }
//! ```

use std::error::Error;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::message::{DecodeError, Message};
use super::queue_protocol::{
    self as protocol, Corrupt, Get, Put, Shared, Signal, Store, Wait, Wake, Word,
};
use super::shm::{SharedMap, fstat};

// Layout of the mapping.
const MAGIC: usize = 0;
const CAPACITY: usize = 8;
const DATA_LEN: usize = 16;
const TYPE_HASH: usize = 24;
const MUTEX: usize = 64;
const STATE: usize = 128; // Read, Write, Count, Closed: four u64
const BROKEN: usize = 160;
const NOT_EMPTY: usize = 192; // futex word: bumped when an item arrives or on close
const NOT_FULL: usize = 256; // futex word: bumped when an item leaves or on close
const DATA: usize = 512;
/// Where the item buffer starts in the memfd (the layout is in the source; tests use this to
/// write hostile bytes into a queue).
#[doc(hidden)]
pub const DATA_OFFSET: usize = DATA;
const MAGIC_VALUE: u64 = u64::from_be_bytes(*b"tpqueue1");
const _: () = assert!(std::mem::size_of::<libc::pthread_mutex_t>() <= STATE - MUTEX);

/// The default size of the item buffer of [`Queue::new`]: 1 MiB (memfd pages are allocated
/// when first touched, so unused room costs address space, not memory).
pub const DEFAULT_DATA_BYTES: usize = 1 << 20;
/// The largest item buffer: 1 GiB.
pub const MAX_DATA_BYTES: usize = 1 << 30;

/// Why a put failed. Every variant carries the item back: nothing is lost on failure.
/// `Full`, `Closed` and `Timeout` mean what they mean for
/// [`queue::PutError`](crate::queue::PutError).
#[derive(Clone, PartialEq, Eq)]
pub enum PutError<T> {
    /// No room now (`try_put` only): `capacity` items, or not enough free bytes.
    Full(T),
    /// The queue was closed.
    Closed(T),
    /// No room until the timeout ran out (`put_timeout` only).
    Timeout(T),
    /// The encoded item is larger than the queue's largest item ([`Queue::max_item_len`]); it
    /// would never fit.
    TooLarge(T),
    /// The shared state is corrupt (only a process writing the memory by other means does
    /// that); the queue refuses all operations.
    Broken(T),
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(v)
            | PutError::Closed(v)
            | PutError::Timeout(v)
            | PutError::TooLarge(v)
            | PutError::Broken(v) => v,
        }
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "Full(..)",
            PutError::Closed(_) => "Closed(..)",
            PutError::Timeout(_) => "Timeout(..)",
            PutError::TooLarge(_) => "TooLarge(..)",
            PutError::Broken(_) => "Broken(..)",
        })
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "putting into a full queue",
            PutError::Closed(_) => "putting into a closed queue",
            PutError::Timeout(_) => "timed out putting into a full queue",
            PutError::TooLarge(_) => "the item is larger than the queue's largest item",
            PutError::Broken(_) => "the queue's shared state is corrupt",
        })
    }
}

impl<T> Error for PutError<T> {}

/// Why a get failed. `Empty`, `Closed` and `Timeout` mean what they mean for
/// [`queue::GetError`](crate::queue::GetError): `Closed` is closed **and drained**.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetError {
    /// The queue was empty (`try_get` only).
    Empty,
    /// The queue was closed and no items were left.
    Closed,
    /// The queue stayed empty until the timeout ran out (`get_timeout` only).
    Timeout,
    /// An item was taken but its bytes do not decode as the queue's type: here they are.
    Decode {
        /// The item's bytes.
        bytes: Vec<u8>,
        /// Why they do not decode.
        error: DecodeError,
    },
    /// The shared state is corrupt; the queue refuses all operations.
    Broken(String),
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty => f.write_str("getting from an empty queue"),
            GetError::Closed => f.write_str("getting from a closed and empty queue"),
            GetError::Timeout => f.write_str("timed out getting from an empty queue"),
            GetError::Decode { bytes, error } => {
                write!(f, "an item of {} bytes: {error}", bytes.len())
            }
            GetError::Broken(why) => write!(f, "the queue is broken: {why}"),
        }
    }
}

impl Error for GetError {}

/// A bounded blocking FIFO queue of `T` shared by processes (see the [module](self) docs).
///
/// Every process holding a `Queue` for the same memfd may put and get; it is `Sync` too, so
/// threads of one process may share one.
///
/// ```
/// use std::time::Duration;
/// use threadproof::ipc::queue::{GetError, PutError, Queue};
///
/// let q: Queue<u32> = Queue::new(2).unwrap();
/// // A second mapping of the same memfd, as another process would open it.
/// let other: Queue<u32> = Queue::from_fd(q.fd().try_clone_to_owned().unwrap()).unwrap();
/// q.put(1).unwrap();
/// q.put(2).unwrap();
/// assert!(matches!(q.try_put(3), Err(PutError::Full(3))));
/// assert_eq!(other.get(), Ok(1));
/// q.close();
/// assert!(matches!(q.put(4), Err(PutError::Closed(4))));
/// assert_eq!(other.get_timeout(Duration::from_secs(1)), Ok(2)); // drained after close
/// assert_eq!(other.get(), Err(GetError::Closed));
/// ```
pub struct Queue<T> {
    /// Unmapped on drop; the mutex in it is never destroyed: other processes may still use it.
    map: SharedMap,
    capacity: u64,
    data_len: u64,
    _items: PhantomData<fn(T) -> T>,
}

// SAFETY: the mapping is shared memory whose state is only touched under the process-shared
// mutex (or through atomics); `T` values never live in it, only their bytes.
unsafe impl<T> Send for Queue<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Queue<T> {}

fn pthread(r: libc::c_int) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(r))
    }
}

/// FNV-1a of the item type's name, so a process that opens the queue as another type gets
/// an error instead of garbage. (Processes started with [`Builder`](super::process::Builder)
/// run the same executable, so the names agree.)
fn type_hash<T>() -> u64 {
    std::any::type_name::<T>()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        })
}

/// Sleeps while `*word == expected`, at most `timeout` (None: no limit). Returns on a wake,
/// a timeout, a signal, or at once if the word has changed already.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: the word is a live, 4-byte-aligned u32 in shared memory; a shared (not
    // FUTEX_PRIVATE) wait, because the wakers are other processes. The result is ignored:
    // callers recheck the state whatever woke them.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            tsp,
        );
    }
}

/// Wakes every process sleeping on `word` ([`Wake::All`]), or one.
fn futex_wake(word: &AtomicU32, whom: Wake) {
    let n = match whom {
        Wake::All => i32::MAX,
        Wake::One => 1,
    };
    // SAFETY: as in `futex_wait`.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, n);
    }
}

impl<T: Message> Queue<T> {
    /// A queue of at most `capacity` items (at least 1) with a [`DEFAULT_DATA_BYTES`] buffer.
    pub fn new(capacity: usize) -> io::Result<Queue<T>> {
        Self::with_data_bytes(capacity, DEFAULT_DATA_BYTES)
    }

    /// A queue of at most `capacity` items whose encoded bytes (plus 4 per item) fit in
    /// `data_bytes` (16 to [`MAX_DATA_BYTES`]). A put waits for room in both.
    pub fn with_data_bytes(capacity: usize, data_bytes: usize) -> io::Result<Queue<T>> {
        if capacity == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a Queue needs a capacity of at least 1",
            ));
        }
        if !(16..=MAX_DATA_BYTES).contains(&data_bytes) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a Queue's buffer must be 16 to {MAX_DATA_BYTES} bytes, not {data_bytes}"),
            ));
        }
        let mut queue = Self::over(SharedMap::create(c"threadproof-queue", DATA + data_bytes)?);
        queue.capacity = capacity as u64;
        queue.data_len = data_bytes as u64;
        // The memfd starts zeroed: the state is an empty, open queue. Set up the mutex before
        // the magic number, which says the queue is ready.
        // SAFETY: attribute and mutex calls on a zeroed local attribute and on the mapping's
        // mutex slot, which no other process can use before the magic number is written.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            pthread(libc::pthread_mutexattr_init(&mut attr))?;
            pthread(libc::pthread_mutexattr_setpshared(
                &mut attr,
                libc::PTHREAD_PROCESS_SHARED,
            ))?;
            pthread(libc::pthread_mutexattr_setrobust(
                &mut attr,
                libc::PTHREAD_MUTEX_ROBUST,
            ))?;
            let r = libc::pthread_mutex_init(queue.mutex(), &attr);
            libc::pthread_mutexattr_destroy(&mut attr);
            pthread(r)?;
        }
        queue
            .word(CAPACITY)
            .store(capacity as u64, Ordering::Relaxed);
        queue
            .word(DATA_LEN)
            .store(data_bytes as u64, Ordering::Relaxed);
        queue
            .word(TYPE_HASH)
            .store(type_hash::<T>(), Ordering::Relaxed);
        queue.word(MAGIC).store(MAGIC_VALUE, Ordering::Release);
        Ok(queue)
    }

    /// Maps a queue created by [`new`](Self::new) (in this or another process) from its
    /// memfd. Checks the magic number, the sizes and the item type before trusting them.
    pub fn from_fd(fd: OwnedFd) -> io::Result<Queue<T>> {
        let st = fstat(fd.as_fd())?;
        let len = st.st_size as usize;
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        if st.st_mode & libc::S_IFMT != libc::S_IFREG || len < DATA + 16 {
            return Err(bad(format!("not a queue: a file of {len} bytes")));
        }
        if len > DATA + MAX_DATA_BYTES {
            return Err(bad(format!("not a queue: a file of {len} bytes")));
        }
        let mut queue = Self::over(SharedMap::map(fd, len)?);
        let magic = queue.word(MAGIC).load(Ordering::Acquire);
        if magic != MAGIC_VALUE {
            return Err(bad(format!("not a queue: magic number {magic:#x}")));
        }
        let capacity = queue.word(CAPACITY).load(Ordering::Relaxed);
        let data_len = queue.word(DATA_LEN).load(Ordering::Relaxed);
        if capacity == 0 || data_len != (len - DATA) as u64 {
            return Err(bad(format!(
                "corrupt queue: capacity {capacity}, {data_len} bytes of buffer in a {len}-byte file"
            )));
        }
        if queue.word(TYPE_HASH).load(Ordering::Relaxed) != type_hash::<T>() {
            return Err(bad(format!(
                "the queue holds another item type than {}",
                std::any::type_name::<T>()
            )));
        }
        queue.capacity = capacity;
        queue.data_len = data_len;
        Ok(queue)
    }

    /// Opens the queue whose memfd this process inherited as descriptor number `fd` (see
    /// [`Builder::inherit`](super::process::Builder::inherit)). It works on a duplicate, so it
    /// never takes ownership of a descriptor that something else may own, and may be called
    /// again; a number that is not an open queue is an error.
    pub fn inherited(fd: RawFd) -> io::Result<Queue<T>> {
        // SAFETY: F_GETFD only checks that the number is an open descriptor.
        if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("descriptor {fd} is not open: was the queue inherited?"),
            ));
        }
        // SAFETY: `fd` is open (checked above) and borrowed only for the duplication.
        let dup = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
        Self::from_fd(dup)
    }
}

impl<T> Queue<T> {
    /// A queue over `map`, its sizes not read yet.
    fn over(map: SharedMap) -> Queue<T> {
        Queue {
            map,
            capacity: 0,
            data_len: 0,
            _items: PhantomData,
        }
    }

    fn word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: offset + 8 <= DATA <= len; the mapping is page-aligned and offsets are
        // 8-aligned; every process accesses these words atomically.
        unsafe { &*self.map.ptr().add(offset).cast() }
    }

    fn seq(&self, offset: usize) -> &AtomicU32 {
        // SAFETY: as in `word`, for a 4-byte futex word.
        unsafe { &*self.map.ptr().add(offset).cast() }
    }

    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        // SAFETY: MUTEX + size_of(pthread_mutex_t) <= STATE (asserted above).
        unsafe { self.map.ptr().add(MUTEX).cast() }
    }

    /// The memfd, to hand to another process.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.map.fd()
    }

    /// The most items the queue holds.
    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// The largest encoded item the queue takes, in bytes.
    pub fn max_item_len(&self) -> usize {
        protocol::max_payload(self.data_len) as usize
    }

    // ANCHOR: lock
    /// Locks the shared mutex. If its last owner died holding it, rebuilds the state
    /// ([`protocol::recover`]), wakes every sleeper (the dead process may have been about to),
    /// and marks the mutex usable again.
    fn lock(&self) -> Result<Guard<'_, T>, String> {
        // SAFETY: the mutex was initialized by `new` before the magic number was published.
        let r = unsafe { libc::pthread_mutex_lock(self.mutex()) };
        let mut guard = match r {
            0 => Guard(self),
            libc::EOWNERDEAD => {
                let mut guard = Guard(self);
                if let Err(Corrupt(why)) = protocol::recover(&mut guard) {
                    self.word(BROKEN).store(1, Ordering::Relaxed);
                    eprintln!("threadproof::ipc::Queue: after a dead owner: {why}");
                }
                guard.wake(NOT_EMPTY, Wake::All);
                guard.wake(NOT_FULL, Wake::All);
                // SAFETY: we own the mutex (EOWNERDEAD hands it over).
                unsafe { libc::pthread_mutex_consistent(self.mutex()) };
                guard
            }
            e => return Err(format!("locking: {}", io::Error::from_raw_os_error(e))),
        };
        if self.word(BROKEN).load(Ordering::Relaxed) != 0 {
            drop(guard);
            return Err("its shared state was found corrupt".into());
        }
        // A fresh guard is consistent; check it is also sane before using it.
        if let Err(Corrupt(why)) = guard.check() {
            self.word(BROKEN).store(1, Ordering::Relaxed);
            return Err(why);
        }
        Ok(guard)
    }
    // ANCHOR_END: lock
}

/// The locked queue: the [`Store`] the protocol runs on. Unlocks on drop.
struct Guard<'a, T>(&'a Queue<T>);

impl<T> Guard<'_, T> {
    /// Bumps a sequence word and wakes `whom` of the processes sleeping on it. Called with
    /// the lock held and **before** the commit (see the module docs).
    fn wake(&mut self, offset: usize, whom: Wake) {
        let seq = self.0.seq(offset);
        seq.fetch_add(1, Ordering::Relaxed);
        futex_wake(seq, whom);
    }

    fn check(&mut self) -> Result<(), Corrupt> {
        let (read, write) = (self.load(Word::Read), self.load(Word::Write));
        if read > write || write - read > self.0.data_len {
            return Err(Corrupt(format!("positions {read} and {write}")));
        }
        Ok(())
    }

    /// Waits for `offset`'s sequence word to move, unlocking meanwhile; `None` if the lock
    /// could not be taken again.
    fn wait(self, offset: usize, deadline: Option<Instant>) -> Result<Self, String> {
        let queue = self.0;
        let seen = queue.seq(offset).load(Ordering::Relaxed);
        drop(self);
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        futex_wait(queue.seq(offset), seen, timeout);
        queue.lock()
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this guard holds the mutex.
        unsafe { libc::pthread_mutex_unlock(self.0.mutex()) };
    }
}

impl<T> Store for Guard<'_, T> {
    fn load(&self, word: Word) -> u64 {
        self.0.word(state_offset(word)).load(Ordering::Relaxed)
    }
    fn store(&mut self, word: Word, value: u64) {
        self.0
            .word(state_offset(word))
            .store(value, Ordering::Relaxed)
    }
    fn data_len(&self) -> u64 {
        self.0.data_len
    }
    fn read(&self, pos: u64, out: &mut [u8]) {
        let (start, first) = self.runs(pos, out.len());
        let base = self.data();
        // SAFETY: both runs lie within the buffer; the lock makes this the only process
        // touching these bytes (a hostile process could write them anyway: they are bytes,
        // any value is valid, and lengths read from them are checked).
        unsafe {
            std::ptr::copy_nonoverlapping(base.add(start), out.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(base, out.as_mut_ptr().add(first), out.len() - first);
        }
    }
    fn write(&mut self, pos: u64, bytes: &[u8]) {
        let (start, first) = self.runs(pos, bytes.len());
        let base = self.data();
        // SAFETY: as in `read`.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(start), first);
            std::ptr::copy_nonoverlapping(bytes.as_ptr().add(first), base, bytes.len() - first);
        }
    }
}

impl<T> Guard<'_, T> {
    fn data(&self) -> *mut u8 {
        // SAFETY: DATA < len.
        unsafe { self.0.map.ptr().add(DATA) }
    }

    /// Where stream position `pos` is in the buffer, and how many of `len` bytes fit before
    /// the end (the rest wrap to the start). `len` is at most the buffer's size.
    fn runs(&self, pos: u64, len: usize) -> (usize, usize) {
        let n = self.0.data_len;
        assert!(len as u64 <= n, "a copy larger than the buffer");
        let start = (pos % n) as usize;
        (start, len.min(n as usize - start))
    }
}

/// `timeout` from now; a timeout too large to represent waits for ever.
fn deadline(timeout: Duration) -> Wait {
    Instant::now()
        .checked_add(timeout)
        .map_or(Wait::Forever, Wait::Until)
}

fn state_offset(word: Word) -> usize {
    STATE
        + 8 * match word {
            Word::Read => 0,
            Word::Write => 1,
            Word::Count => 2,
            Word::Closed => 3,
        }
}

impl<T: Message> Queue<T> {
    // ANCHOR: put
    /// Puts `item` at the back, blocking while the queue is full. Fails when the queue is
    /// closed (before or while waiting) or the item can never fit, handing `item` back.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_until(item, Wait::Forever)
    }
    // ANCHOR_END: put

    /// Puts `item` if there is room now: `Full(item)` or `Closed(item)` otherwise.
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_until(item, Wait::No)
    }

    /// Like [`put`](Self::put), giving up with `Timeout(item)` once `timeout` has passed.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.put_until(item, deadline(timeout))
    }

    fn put_until(&self, item: T, wait: Wait) -> Result<(), PutError<T>> {
        let mut bytes = Vec::new();
        item.encode(&mut bytes);
        if bytes.len() > self.max_item_len() {
            return Err(PutError::TooLarge(item));
        }
        match protocol::blocking_put(&Os(self), &bytes, wait, Wake::All) {
            Put::Done => Ok(()),
            Put::Full => Err(PutError::Full(item)),
            Put::Closed => Err(PutError::Closed(item)),
            Put::Timeout => Err(PutError::Timeout(item)),
            Put::Broken(_) => Err(PutError::Broken(item)),
        }
    }

    // ANCHOR: get
    /// Takes the item at the front, blocking while the queue is empty. After
    /// [`close`](Self::close), items still buffered are delivered first; then `Err(Closed)`.
    pub fn get(&self) -> Result<T, GetError> {
        self.get_until(Wait::Forever)
    }
    // ANCHOR_END: get

    /// Takes the front item if there is one now: `Empty`, or `Closed` once closed and drained.
    pub fn try_get(&self) -> Result<T, GetError> {
        self.get_until(Wait::No)
    }

    /// Like [`get`](Self::get), giving up with `Timeout` once `timeout` has passed.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_until(deadline(timeout))
    }

    fn get_until(&self, wait: Wait) -> Result<T, GetError> {
        match protocol::blocking_get(&Os(self), wait, Wake::All) {
            Get::Item(bytes) => {
                T::decode(&bytes).map_err(|error| GetError::Decode { bytes, error })
            }
            Get::Empty => Err(GetError::Empty),
            Get::Closed => Err(GetError::Closed),
            Get::Timeout => Err(GetError::Timeout),
            Get::Broken(why) => Err(GetError::Broken(why)),
        }
    }
}

/// The queue as the OS-free blocking layer sees it: the robust mutex, futexes on the
/// sequence words. (A private wrapper, so the guard type stays private.)
struct Os<'q, T>(&'q Queue<T>);

impl<T> Shared for Os<'_, T> {
    type Guard<'a>
        = Guard<'a, T>
    where
        Self: 'a;

    fn lock(&self) -> Result<Guard<'_, T>, String> {
        self.0.lock()
    }

    fn capacity(&self) -> u64 {
        self.0.capacity
    }

    fn wake(&self, guard: &mut Guard<'_, T>, signal: Signal, whom: Wake) {
        guard.wake(offset(signal), whom);
    }

    fn wait<'a>(
        &'a self,
        guard: Guard<'a, T>,
        signal: Signal,
        deadline: Option<Instant>,
    ) -> Result<Guard<'a, T>, String> {
        guard.wait(offset(signal), deadline)
    }

    fn mark_broken(&self) {
        self.0.word(BROKEN).store(1, Ordering::Relaxed);
    }
}

fn offset(signal: Signal) -> usize {
    match signal {
        Signal::NotEmpty => NOT_EMPTY,
        Signal::NotFull => NOT_FULL,
    }
}

impl<T> Queue<T> {
    // ANCHOR: close
    /// Closes the queue for every process: later puts fail with `Closed(item)`; getters
    /// drain what is buffered, then get `Closed`. Wakes every blocked process. Returns false
    /// if it was already closed (or the queue is broken).
    pub fn close(&self) -> bool {
        protocol::close_and_wake(&Os(self))
    }
    // ANCHOR_END: close

    /// True once some process has closed the queue.
    pub fn is_closed(&self) -> bool {
        self.lock()
            .map(|g| g.load(Word::Closed) != 0)
            .unwrap_or(true)
    }

    /// Items in the queue now (Python's `qsize()`); stale as soon as it returns.
    pub fn len(&self) -> usize {
        self.lock()
            .map(|g| g.load(Word::Count) as usize)
            .unwrap_or(0)
    }

    /// True when no items are in the queue now (Python's `empty()`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the queue holds `capacity` items now (Python's `full()`; a queue can also
    /// refuse a large item for lack of bytes while not full in this sense).
    pub fn is_full(&self) -> bool {
        self.len() >= self.capacity()
    }

    #[doc(hidden)]
    /// **For the crash tests only**: takes the queue's mutex, calls `locked`, and never gives
    /// the mutex back, as a process killed in the middle of an operation does (kill it).
    /// Returns only on a broken queue.
    pub fn lock_and_hang_for_tests(&self, locked: impl FnOnce()) -> String {
        match self.lock() {
            Ok(guard) => {
                std::mem::forget(guard);
                locked();
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
            Err(why) => why,
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("fd", &self.map.fd().as_raw_fd())
            .field("capacity", &self.capacity)
            .field("data_len", &self.data_len)
            .finish_non_exhaustive()
    }
}
