//! The shared-memory ring between two real processes: this test binary is its own consumer
//! (`harness = false`). The ring's index protocol is the loom-checked `ring_protocol`.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use threadproof::ipc::process::{self, Builder};
use threadproof::ipc::shm_ring::{MAX_CAPACITY, ShmRing};

type Test = fn() -> Result<(), Failed>;

const ROLE: &str = "ring-consumer";
const MESSAGE: usize = 64;
const MESSAGES: u64 = 20_000;

/// Message `i`: its number, then bytes derived from it.
fn message(i: u64) -> [u8; MESSAGE] {
    let mut m = [0u8; MESSAGE];
    m[..8].copy_from_slice(&i.to_le_bytes());
    for (k, b) in m[8..].iter_mut().enumerate() {
        *b = (i as usize).wrapping_mul(31).wrapping_add(k) as u8;
    }
    m
}

/// The consumer process: maps the ring from the inherited descriptor, checks every message,
/// and reports how many were right on its connection.
fn consumer() -> i32 {
    let mut conn = process::worker_connection().expect("worker connection");
    let fd: i32 = std::env::args().nth(1).unwrap().parse().unwrap();
    // SAFETY: the parent passed this descriptor for us alone.
    let ring = ShmRing::from_fd(unsafe { OwnedFd::from_raw_fd(fd) }).expect("map the ring");
    // SAFETY: this process is the ring's only consumer.
    let rx = unsafe { ring.consumer() };
    let mut right = 0u64;
    let mut m = [0u8; MESSAGE];
    for i in 0..MESSAGES {
        rx.pop_exact(&mut m);
        if m == message(i) {
            right += 1;
        }
    }
    conn.send_bytes(&right.to_le_bytes()).unwrap();
    0
}

fn messages_cross_processes_intact_and_in_order() -> Result<(), Failed> {
    let ring = ShmRing::create(4096)?;
    let mut worker = Builder::new(ROLE)
        .inherit(ring.fd())
        .args([ring.fd().as_raw_fd().to_string()])
        .start()?;
    // SAFETY: this process is the ring's only producer.
    let tx = unsafe { ring.producer() };
    for i in 0..MESSAGES {
        tx.push(&message(i));
    }
    worker
        .connection()
        .set_read_timeout(Some(Duration::from_secs(20)))?;
    let right = u64::from_le_bytes(worker.connection().recv_bytes()?.try_into().unwrap());
    assert_eq!(right, MESSAGES);
    let status = worker
        .join_timeout(Duration::from_secs(20))?
        .ok_or("consumer did not exit")?;
    assert!(status.success(), "{status}");
    Ok(())
}

fn a_full_ring_refuses_a_push_and_an_empty_one_a_pop() -> Result<(), Failed> {
    let ring = ShmRing::create(8)?;
    // SAFETY: one producer and one consumer, both on this thread.
    let (tx, rx) = unsafe { (ring.producer(), ring.consumer()) };
    let mut out = [0u8; 3];
    assert!(!rx.try_pop_exact(&mut out));
    assert!(tx.try_push(b"abcde"));
    assert!(!tx.try_push(b"xyzw"), "only 3 bytes are free");
    assert!(tx.try_push(b"xyz"));
    assert!(rx.try_pop_exact(&mut out));
    assert_eq!(&out, b"abc");
    assert!(tx.try_push(b"123"), "wraps around");
    let mut rest = [0u8; 8];
    assert!(rx.try_pop_exact(&mut rest));
    assert_eq!(&rest, b"dexyz123");
    Ok(())
}

fn bad_capacities_and_foreign_files_are_clear_errors() -> Result<(), Failed> {
    for capacity in [0, MAX_CAPACITY + 1] {
        let err = ShmRing::create(capacity).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    }
    // A file that is not a ring: right size class, wrong magic number.
    let file = tempfile::tempfile()?;
    file.set_len(4096)?;
    let err = ShmRing::from_fd(OwnedFd::from(file)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string().starts_with("not a ring: magic number"),
        "{err}"
    );
    // Too small to hold the header.
    let file = tempfile::tempfile()?;
    let err = ShmRing::from_fd(OwnedFd::from(file)).unwrap_err();
    assert_eq!(err.to_string(), "not a ring: the file is 0 bytes");
    // A real ring maps again from a duplicate of its descriptor.
    let ring = ShmRing::create(100)?;
    let again = ShmRing::from_fd(ring.fd().try_clone_to_owned()?)?;
    assert_eq!(again.capacity(), 100);
    assert!(again.fd().as_fd().as_raw_fd() >= 0);
    Ok(())
}

fn main() {
    if process::worker_role().as_deref() == Some(ROLE) {
        std::process::exit(consumer());
    }
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        eprintln!("ipc_ring: watchdog: tests still running after 120 s");
        std::process::exit(101);
    });
    let args = Arguments::from_args();
    let tests: [(&str, Test); 3] = [
        (
            "messages_cross_processes_intact_and_in_order",
            messages_cross_processes_intact_and_in_order,
        ),
        (
            "a_full_ring_refuses_a_push_and_an_empty_one_a_pop",
            a_full_ring_refuses_a_push_and_an_empty_one_a_pop,
        ),
        (
            "bad_capacities_and_foreign_files_are_clear_errors",
            bad_capacities_and_foreign_files_are_clear_errors,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, f)| Trial::test(name, f))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
