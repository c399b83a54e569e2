//! The cross-process queue with real processes: the seed's writer and reader, many
//! producers and consumers with exact accounting, blocking, close, timeouts, SIGKILLed
//! processes, hostile bytes; and the OS-free record protocol, crashed after every store.
//! This test binary is its own worker (`harness = false`): `main` runs a worker role first.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use threadproof::ipc::process::{self, Builder, Process, exit_code};
use threadproof::ipc::queue::{DATA_OFFSET, GetError, PutError, Queue};
use threadproof::ipc::queue_protocol::{self as protocol, MemStore, Push, Store, Word};

type Test = fn() -> Result<(), Failed>;

const LIMIT: Duration = Duration::from_secs(20);

/// The queue this worker inherited: its descriptor number is the first argument.
fn inherited<T: threadproof::ipc::Message>() -> Queue<T> {
    let fd = std::env::args().nth(1).expect("queue fd argument");
    Queue::inherited(fd.parse().expect("a descriptor number")).expect("open the queue")
}

/// Starts a worker in `role` that inherits `queue`, with extra arguments.
fn start<T>(role: &str, queue: &Queue<T>, extra: &[String]) -> Process {
    let mut args = vec![queue.fd().as_raw_fd().to_string()];
    args.extend_from_slice(extra);
    let mut p = Builder::new(role)
        .inherit(queue.fd())
        .args(args)
        .start()
        .expect("start worker");
    p.connection()
        .set_read_timeout(Some(LIMIT))
        .expect("read timeout");
    p
}

fn join(p: &mut Process) -> std::process::ExitStatus {
    p.join_timeout(LIMIT)
        .unwrap()
        .ok_or("the worker did not exit in time")
        .unwrap()
}

fn arg(n: usize) -> u64 {
    std::env::args().nth(n).unwrap().parse().unwrap()
}

// ANCHOR: seed_workers
// The seed's `write(q)`: put A, B, C, sleeping a little after each.
fn write(q: &Queue<String>) {
    println!("Process to write: {}", process::pid());
    for value in ["A", "B", "C"] {
        println!("Put {value} to queue...");
        q.put(value.to_string()).unwrap();
        std::thread::sleep(Duration::from_millis(random_below(100)));
    }
}

// The seed's `read(q)`: its `while True` loop ends when the queue is closed and drained, so
// the reader exits by itself instead of being `terminate()`d.
fn read(q: &Queue<String>) -> Vec<String> {
    println!("Process to read: {}", process::pid());
    let mut got = Vec::new();
    while let Ok(value) = q.get() {
        println!("Get {value} from queue.");
        got.push(value);
    }
    got
}
// ANCHOR_END: seed_workers

/// `random.random()` in milliseconds, without a crate: the clock's nanoseconds.
fn random_below(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    nanos % n
}

fn worker(role: &str) -> i32 {
    let mut conn = process::worker_connection().expect("worker connection");
    match role {
        "seed-write" => write(&inherited()),
        "seed-read" => {
            let got = read(&inherited());
            conn.send_bytes(got.join(",").as_bytes()).unwrap();
        }
        // Puts producer * 1_000_000 + i for i in 0..count.
        "produce" => {
            let q: Queue<u64> = inherited();
            let (producer, count) = (arg(2), arg(3));
            for i in 0..count {
                q.put(producer * 1_000_000 + i).unwrap();
            }
        }
        // Gets until closed and drained; reports everything it got.
        "consume" => {
            let q: Queue<u64> = inherited();
            let mut got = Vec::new();
            while let Ok(v) = q.get() {
                got.push(v);
            }
            let bytes: Vec<u8> = got.iter().flat_map(|v| v.to_le_bytes()).collect();
            conn.send_bytes(&bytes).unwrap();
        }
        // Says it is about to get, gets (blocking), reports what it got.
        "get-one" => {
            let q: Queue<u64> = inherited();
            conn.send_bytes(b"getting").unwrap();
            let report = match q.get() {
                Ok(v) => v.to_string(),
                Err(e) => e.to_string(),
            };
            conn.send_bytes(report.as_bytes()).unwrap();
        }
        // Says it is about to put, puts (blocking), says it did.
        "put-one" => {
            let q: Queue<u64> = inherited();
            conn.send_bytes(b"putting").unwrap();
            let report = match q.put(arg(2)) {
                Ok(()) => "put".to_string(),
                Err(e) => e.to_string(),
            };
            conn.send_bytes(report.as_bytes()).unwrap();
        }
        // Takes the mutex and hangs holding it, to be SIGKILLed.
        "hold-lock" => {
            let q: Queue<u64> = inherited();
            let why = q.lock_and_hang_for_tests(|| conn.send_bytes(b"locked").unwrap());
            eprintln!("hold-lock: {why}");
            return 1;
        }
        // Puts numbered items of varying sizes as fast as it can, until killed.
        "spam" => {
            let q: Queue<Vec<u8>> = inherited();
            conn.send_bytes(b"spamming").unwrap();
            for i in 0u64.. {
                q.put(numbered(i)).unwrap();
            }
        }
        other => {
            eprintln!("unknown worker role {other}");
            return 70;
        }
    }
    0
}

/// Item `i` of the spam test: its number, then `i % 500` bytes derived from it.
fn numbered(i: u64) -> Vec<u8> {
    let mut v = i.to_le_bytes().to_vec();
    v.extend((0..i % 500).map(|k| (i as usize).wrapping_mul(31).wrapping_add(k as usize) as u8));
    v
}

fn seed_writer_and_reader() -> Result<(), Failed> {
    // ANCHOR: seed_main
    // The parent creates the queue and hands it to both children.
    let q: Queue<String> = Queue::new(100)?;
    let mut pw = start("seed-write", &q, &[]);
    let mut pr = start("seed-read", &q, &[]);
    // Wait for the writer to finish.
    assert!(join(&mut pw).success());
    // The seed terminates the reader; closing lets it drain the queue and exit.
    q.close();
    let got = String::from_utf8(pr.connection().recv_bytes()?)?;
    assert_eq!(got, "A,B,C");
    assert!(join(&mut pr).success());
    // ANCHOR_END: seed_main
    Ok(())
}

fn many_producers_and_consumers_deliver_every_item_exactly_once() -> Result<(), Failed> {
    const PRODUCERS: u64 = 3;
    const CONSUMERS: usize = 3;
    const EACH: u64 = 3_000;
    // A small queue, so producers block on full and consumers on empty, many times.
    let q: Queue<u64> = Queue::new(8)?;
    let mut consumers: Vec<Process> = (0..CONSUMERS).map(|_| start("consume", &q, &[])).collect();
    let mut producers: Vec<Process> = (0..PRODUCERS)
        .map(|p| start("produce", &q, &[p.to_string(), EACH.to_string()]))
        .collect();
    for p in &mut producers {
        assert!(join(p).success());
    }
    q.close();
    let mut all = Vec::new();
    let mut per_consumer = Vec::new();
    for c in &mut consumers {
        let bytes = c.connection().recv_bytes()?;
        let got: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        // Each producer's items reach each consumer in the producer's order (FIFO).
        for p in 0..PRODUCERS {
            let mine: Vec<u64> = got.iter().copied().filter(|v| v / 1_000_000 == p).collect();
            assert!(mine.is_sorted(), "producer {p}'s items out of order");
        }
        per_consumer.push(got.len());
        all.extend(got);
        assert!(join(c).success());
    }
    all.sort_unstable();
    let want: Vec<u64> = (0..PRODUCERS)
        .flat_map(|p| (0..EACH).map(move |i| p * 1_000_000 + i))
        .collect();
    assert_eq!(all.len(), want.len(), "per consumer: {per_consumer:?}");
    assert_eq!(all, want, "every item exactly once");
    assert_eq!(q.get(), Err(GetError::Closed));
    Ok(())
}

fn get_blocks_until_another_process_puts() -> Result<(), Failed> {
    let q: Queue<u64> = Queue::new(4)?;
    let mut getter = start("get-one", &q, &[]);
    assert_eq!(getter.connection().recv_bytes()?, b"getting");
    // Still blocked a while later: nothing to get.
    assert!(!getter.connection().poll(Some(Duration::from_millis(300)))?);
    q.put(42).unwrap();
    assert_eq!(getter.connection().recv_bytes()?, b"42");
    assert!(join(&mut getter).success());
    Ok(())
}

fn put_blocks_on_a_full_queue_until_another_process_gets() -> Result<(), Failed> {
    let q: Queue<u64> = Queue::new(1)?;
    q.put(1).unwrap();
    let mut putter = start("put-one", &q, &["2".into()]);
    assert_eq!(putter.connection().recv_bytes()?, b"putting");
    assert!(!putter.connection().poll(Some(Duration::from_millis(300)))?);
    assert_eq!(q.get(), Ok(1));
    assert_eq!(putter.connection().recv_bytes()?, b"put");
    assert_eq!(q.get(), Ok(2));
    assert!(join(&mut putter).success());
    Ok(())
}

fn close_wakes_blocked_processes_and_delivers_what_is_buffered() -> Result<(), Failed> {
    // Two getters blocked on an empty queue, one putter blocked on a full one.
    let empty: Queue<u64> = Queue::new(1)?;
    let mut getters: Vec<Process> = (0..2).map(|_| start("get-one", &empty, &[])).collect();
    for g in &mut getters {
        assert_eq!(g.connection().recv_bytes()?, b"getting");
    }
    let full: Queue<u64> = Queue::new(1)?;
    full.put(7).unwrap();
    let mut putter = start("put-one", &full, &["8".into()]);
    assert_eq!(putter.connection().recv_bytes()?, b"putting");
    std::thread::sleep(Duration::from_millis(100));
    assert!(empty.close());
    assert!(!empty.close(), "closing twice says it was closed");
    assert!(full.close());
    for g in &mut getters {
        assert_eq!(
            g.connection().recv_bytes()?,
            b"getting from a closed and empty queue"
        );
        assert!(join(g).success());
    }
    assert_eq!(
        putter.connection().recv_bytes()?,
        b"putting into a closed queue"
    );
    // The item buffered before the close is still delivered, then Closed.
    assert_eq!(full.get(), Ok(7));
    assert_eq!(full.get(), Err(GetError::Closed));
    assert!(matches!(full.put(9), Err(PutError::Closed(9))));
    assert!(join(&mut putter).success());
    Ok(())
}

fn try_and_timeout_variants() -> Result<(), Failed> {
    let q: Queue<String> = Queue::new(2)?;
    assert_eq!(q.try_get(), Err(GetError::Empty));
    let t = Instant::now();
    assert_eq!(
        q.get_timeout(Duration::from_millis(150)),
        Err(GetError::Timeout)
    );
    assert!(t.elapsed() >= Duration::from_millis(150));
    q.try_put("a".into()).unwrap();
    q.put_timeout("b".into(), Duration::ZERO).unwrap();
    assert!(q.is_full());
    assert_eq!(q.len(), 2);
    match q.try_put("c".into()) {
        Err(PutError::Full(item)) => assert_eq!(item, "c"),
        other => panic!("{other:?}"),
    }
    let t = Instant::now();
    match q.put_timeout("d".into(), Duration::from_millis(150)) {
        Err(PutError::Timeout(item)) => assert_eq!(item, "d"),
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(q.get_timeout(Duration::from_secs(1)).as_deref(), Ok("a"));
    assert_eq!(q.try_get().as_deref(), Ok("b"));
    assert!(q.is_empty());
    // An item larger than the buffer is refused at once, and handed back.
    let small: Queue<Vec<u8>> = Queue::with_data_bytes(4, 64)?;
    assert_eq!(small.max_item_len(), 60);
    small.put(vec![1; 60]).unwrap();
    match small.put(vec![2; 61]) {
        Err(e @ PutError::TooLarge(_)) => {
            assert_eq!(
                e.to_string(),
                "the item is larger than the queue's largest item"
            );
            assert_eq!(e.into_inner().len(), 61);
        }
        other => panic!("{other:?}"),
    }
    // Full by bytes, not by count: the second item waits for the first's bytes.
    assert!(matches!(small.try_put(vec![3]), Err(PutError::Full(_))));
    assert_eq!(small.get().unwrap().len(), 60);
    small.try_put(vec![3]).unwrap();
    // Bad sizes are clear errors.
    assert!(Queue::<u8>::new(0).is_err());
    assert!(Queue::<u8>::with_data_bytes(1, 8).is_err());
    Ok(())
}

fn a_process_killed_holding_the_lock_does_not_wedge_the_others() -> Result<(), Failed> {
    let q: Queue<u64> = Queue::new(4)?;
    let mut holder = start("hold-lock", &q, &[]);
    assert_eq!(holder.connection().recv_bytes()?, b"locked");
    // A getter in another process blocks on the held mutex.
    let mut getter = start("get-one", &q, &[]);
    assert_eq!(getter.connection().recv_bytes()?, b"getting");
    // So does a thread here.
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| -> Result<(), Failed> {
        s.spawn(|| tx.send(q.try_get()).unwrap());
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "the lock is held"
        );
        holder.kill()?;
        assert_eq!(exit_code(join(&mut holder)), -9);
        // The kernel hands the robust mutex on: both go on.
        assert_eq!(rx.recv_timeout(LIMIT)?, Err(GetError::Empty));
        Ok(())
    })?;
    q.put(5).unwrap();
    assert_eq!(getter.connection().recv_bytes()?, b"5");
    assert!(join(&mut getter).success());
    q.put(6).unwrap();
    assert_eq!(q.get(), Ok(6));
    Ok(())
}

fn a_killed_sleeper_leaves_nothing_behind() -> Result<(), Failed> {
    let q: Queue<u64> = Queue::new(4)?;
    let mut doomed = start("get-one", &q, &[]);
    let mut survivor = start("get-one", &q, &[]);
    for p in [&mut doomed, &mut survivor] {
        assert_eq!(p.connection().recv_bytes()?, b"getting");
    }
    std::thread::sleep(Duration::from_millis(100)); // both asleep in the futex
    doomed.kill()?;
    join(&mut doomed);
    q.put(11).unwrap();
    assert_eq!(survivor.connection().recv_bytes()?, b"11");
    assert!(join(&mut survivor).success());
    Ok(())
}

fn a_producer_killed_mid_put_leaves_whole_items_in_order() -> Result<(), Failed> {
    for round in 0..5u64 {
        let q: Queue<Vec<u8>> = Queue::with_data_bytes(64, 8 * 1024)?;
        let mut spammer = start("spam", &q, &[]);
        assert_eq!(spammer.connection().recv_bytes()?, b"spamming");
        let mut next = 0u64;
        let kill_after = 500 + round * 377;
        while next < kill_after {
            let item = q.get_timeout(LIMIT)?;
            assert_eq!(item, numbered(next));
            next += 1;
        }
        spammer.kill()?; // somewhere in a put: before, during or after its commit
        assert_eq!(exit_code(join(&mut spammer)), -9);
        // Whatever it left is whole items, in order, with no gap.
        while let Ok(item) = q.try_get() {
            assert_eq!(item, numbered(next), "item {next}");
            next += 1;
        }
        // The queue still works, from this process.
        q.put(b"after".to_vec()).unwrap();
        assert_eq!(q.get()?, b"after");
    }
    Ok(())
}

fn hostile_bytes_and_foreign_files_are_clear_errors() -> Result<(), Failed> {
    // A record whose length is a lie: refused before allocating, and the queue says broken.
    let q: Queue<Vec<u8>> = Queue::new(4)?;
    q.put(b"abc".to_vec()).unwrap();
    let file = std::fs::File::from(q.fd().try_clone_to_owned()?);
    file.write_all_at(&0x7fff_ffffu32.to_le_bytes(), DATA_OFFSET as u64)?;
    match q.get() {
        Err(GetError::Broken(why)) => assert!(
            why.contains("a record of 2147483647 bytes at position 0, with 3 bytes published"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(q.put(vec![1]), Err(PutError::Broken(_))));
    // Bytes that are not the item type: handed back with the reason.
    let q: Queue<String> = Queue::new(4)?;
    q.put("ok".into()).unwrap();
    let file = std::fs::File::from(q.fd().try_clone_to_owned()?);
    file.write_all_at(&[0xff], DATA_OFFSET as u64 + 4)?;
    match q.get() {
        Err(GetError::Decode { bytes, error }) => {
            assert_eq!(bytes, [0xff, b'k']);
            assert_eq!(
                error.to_string(),
                "cannot decode a String: invalid utf-8 sequence of 1 bytes from index 0"
            );
        }
        other => panic!("{other:?}"),
    }
    // Opened as another item type.
    let err = Queue::<u64>::from_fd(q.fd().try_clone_to_owned()?).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the queue holds another item type"),
        "{err}"
    );
    // Not a queue at all.
    let file = tempfile::tempfile()?;
    file.set_len(4096)?;
    let err = Queue::<u64>::from_fd(OwnedFd::from(file)).unwrap_err();
    assert!(
        err.to_string().starts_with("not a queue: magic number"),
        "{err}"
    );
    let err = Queue::<u64>::inherited(987_654).unwrap_err();
    assert_eq!(
        err.to_string(),
        "descriptor 987654 is not open: was the queue inherited?"
    );
    assert!(q.fd().as_fd().as_raw_fd() > 2);
    Ok(())
}

// --- The OS-free record protocol -------------------------------------------------------------

/// A store that dies after `budget` stores: every later store (and write) is lost, as when
/// the process is killed. A write cut short writes a prefix.
struct Crashing {
    inner: MemStore,
    budget: usize,
}

impl Store for Crashing {
    fn load(&self, w: Word) -> u64 {
        self.inner.load(w)
    }
    fn store(&mut self, w: Word, v: u64) {
        if self.budget > 0 {
            self.budget -= 1;
            self.inner.store(w, v);
        }
    }
    fn data_len(&self) -> u64 {
        self.inner.data_len()
    }
    fn read(&self, pos: u64, out: &mut [u8]) {
        self.inner.read(pos, out)
    }
    fn write(&mut self, pos: u64, bytes: &[u8]) {
        if self.budget > 0 {
            self.budget -= 1;
            let half = bytes.len() / 2;
            self.inner.write(pos, &bytes[..half]); // a crash mid-copy: only a prefix
            if self.budget > 0 {
                self.budget -= 1;
                self.inner.write(pos + half as u64, &bytes[half..]);
            }
        }
    }
}

fn contents(s: &mut MemStore) -> Vec<Vec<u8>> {
    let mut copy = s.clone();
    std::iter::from_fn(|| protocol::pop(&mut copy).unwrap()).collect()
}

type PushFn = fn(&mut Crashing, u64, &[u8]) -> Result<Push, protocol::Corrupt>;

/// Crashes `push` (and the reference pop) after each of its steps, from several starting
/// states, recovers, and checks the queue holds exactly the items from before the operation
/// or exactly those from after it. `Err` says which crash broke that.
fn crash_check(push: PushFn) -> Result<(), String> {
    // Empty, partly full, and with the new record wrapping around the buffer's end.
    for (prefill, drained) in [(0usize, 0usize), (3, 0), (5, 3), (5, 5)] {
        let mut base = MemStore::new(40);
        for i in 0..prefill {
            assert_eq!(protocol::push(&mut base, 8, &[i as u8; 3]), Ok(Push::Done));
        }
        for _ in 0..drained {
            protocol::pop(&mut base).unwrap();
        }
        let before = contents(&mut base);
        let mut after_push = base.clone();
        protocol::push(&mut after_push, 8, b"newitem").unwrap();
        let done = contents(&mut after_push);
        for budget in 0..=6 {
            let mut s = Crashing {
                inner: base.clone(),
                budget,
            };
            push(&mut s, 8, b"newitem").unwrap();
            let mut s = s.inner;
            let why = format!("push crashed after {budget} steps, {prefill} put, {drained} got");
            let count = protocol::recover(&mut s).map_err(|e| format!("{why}: {e}"))?;
            let got = contents(&mut s);
            if got != before && got != done {
                return Err(format!("{why}: holds {got:?}"));
            }
            assert_eq!(count as usize, got.len());
        }
        if !before.is_empty() {
            for budget in 0..=3 {
                let mut s = Crashing {
                    inner: base.clone(),
                    budget,
                };
                let popped = protocol::pop(&mut s).unwrap();
                assert_eq!(popped.as_ref(), before.first());
                let mut s = s.inner;
                let why = format!("pop crashed after {budget} steps");
                let count = protocol::recover(&mut s).map_err(|e| format!("{why}: {e}"))?;
                let got = contents(&mut s);
                if got != before && got != before[1..] {
                    return Err(format!("{why}: holds {got:?}"));
                }
                assert_eq!(count as usize, got.len());
            }
        }
    }
    Ok(())
}

// ANCHOR: crash_check
fn the_record_protocol_survives_a_crash_after_any_store() -> Result<(), Failed> {
    crash_check(protocol::push::<Crashing>)?;
    Ok(())
}

fn the_crash_check_catches_a_commit_before_the_bytes() -> Result<(), Failed> {
    let err = crash_check(protocol::flawed::push_commit_first::<Crashing>).unwrap_err();
    // Crashed right after publishing `write`: the "record" is the buffer's old bytes.
    assert!(err.starts_with("push crashed after 1 steps"), "{err}");
    Ok(())
}
// ANCHOR_END: crash_check

fn the_record_protocol_is_a_bounded_fifo() -> Result<(), Failed> {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(200)
    });
    let op = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..30).prop_map(Some),
        Just(None)
    ];
    runner
        .run(&prop::collection::vec(op, 0..60), |ops| {
            let (capacity, data_len) = (5u64, 64usize);
            let mut s = MemStore::new(data_len);
            let mut model = std::collections::VecDeque::new();
            let mut bytes = 0u64;
            for op in ops {
                match op {
                    Some(item) => {
                        let fits = (model.len() as u64) < capacity
                            && bytes + 4 + item.len() as u64 <= data_len as u64;
                        let r = protocol::push(&mut s, capacity, &item).unwrap();
                        prop_assert_eq!(r, if fits { Push::Done } else { Push::Full });
                        if fits {
                            bytes += 4 + item.len() as u64;
                            model.push_back(item);
                        }
                    }
                    None => {
                        let got = protocol::pop(&mut s).unwrap();
                        let want = model.pop_front();
                        if let Some(w) = &want {
                            bytes -= 4 + w.len() as u64;
                        }
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(s.load(Word::Count), model.len() as u64);
            }
            prop_assert_eq!(protocol::recover(&mut s).unwrap(), model.len() as u64);
            Ok(())
        })
        .map_err(|e| Failed::from(e.to_string()))
}

fn main() {
    if let Some(role) = process::worker_role() {
        std::process::exit(worker(&role));
    }
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(180));
        eprintln!("ipc_queue: watchdog: tests still running after 180 s");
        std::process::exit(101);
    });
    let args = Arguments::from_args();
    let tests: [(&str, Test); 13] = [
        ("seed_writer_and_reader", seed_writer_and_reader),
        (
            "many_producers_and_consumers_deliver_every_item_exactly_once",
            many_producers_and_consumers_deliver_every_item_exactly_once,
        ),
        (
            "get_blocks_until_another_process_puts",
            get_blocks_until_another_process_puts,
        ),
        (
            "put_blocks_on_a_full_queue_until_another_process_gets",
            put_blocks_on_a_full_queue_until_another_process_gets,
        ),
        (
            "close_wakes_blocked_processes_and_delivers_what_is_buffered",
            close_wakes_blocked_processes_and_delivers_what_is_buffered,
        ),
        ("try_and_timeout_variants", try_and_timeout_variants),
        (
            "a_process_killed_holding_the_lock_does_not_wedge_the_others",
            a_process_killed_holding_the_lock_does_not_wedge_the_others,
        ),
        (
            "a_killed_sleeper_leaves_nothing_behind",
            a_killed_sleeper_leaves_nothing_behind,
        ),
        (
            "a_producer_killed_mid_put_leaves_whole_items_in_order",
            a_producer_killed_mid_put_leaves_whole_items_in_order,
        ),
        (
            "hostile_bytes_and_foreign_files_are_clear_errors",
            hostile_bytes_and_foreign_files_are_clear_errors,
        ),
        (
            "the_record_protocol_survives_a_crash_after_any_store",
            the_record_protocol_survives_a_crash_after_any_store,
        ),
        (
            "the_crash_check_catches_a_commit_before_the_bytes",
            the_crash_check_catches_a_commit_before_the_bytes,
        ),
        (
            "the_record_protocol_is_a_bounded_fifo",
            the_record_protocol_is_a_bounded_fifo,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, f)| Trial::test(name, f))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
