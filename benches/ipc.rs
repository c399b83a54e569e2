//! IPC benchmarks, side by side in one run: round-trip latency for 64-byte messages and
//! throughput for 64 KiB messages between this process and a worker process (this bench
//! binary re-run in a worker role) over
//!
//! 1. the kit's framed connection over a socket pair (`ipc::pipe`),
//! 2. the same socket pair with no framing (fixed-size `write_all`/`read_exact`: the floor),
//! 3. the Unix-socket `Listener`/`Client` connection (after the authkey handshake),
//! 4. the shared-memory ring (two rings, one each way, busy-waiting),
//! 5. a python3 echo peer speaking `multiprocessing.connection` (Rust client, Python server).
//!
//! Python-to-Python numbers come from `benches/ipc_python.py`, run by `cargo bench` too (its
//! output is printed before criterion's). `cargo bench -p threadproof --bench ipc`.
//!
//! Also side by side: the framed connection with a spinning receive on both sides
//! ([`Connection::set_spin`]), and (in the CPU-time table only) a pair of cross-process
//! [`Queue`]s. Before criterion, a table of **wall and CPU time** per 64-byte
//! round trip (this process's CPU time and the peer's, from `/proc/<pid>/schedstat`), for the same
//! transports.
//!
//! Pinning: `THREADPROOF_BENCH_PIN=same` puts this process and every peer on CPU 0;
//! `THREADPROOF_BENCH_PIN=split` puts this process on CPU 0 and every peer on CPU 1 (the
//! python script does the same with its two processes). Unset: the scheduler decides.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use threadproof::ipc::Queue;
use threadproof::ipc::process::{self, Builder, Process};
use threadproof::ipc::shm_ring::ShmRing;
use threadproof::ipc::{Client, Connection, Listener};

const SMALL: usize = 64;
const LARGE: usize = 64 * 1024;
const KEY: &[u8] = b"bench key";

// --- workers ---------------------------------------------------------------------------------

/// Pins this process as `THREADPROOF_BENCH_PIN` says (see the module docs).
fn pin(peer: bool) {
    let cpu = match std::env::var("THREADPROOF_BENCH_PIN").as_deref() {
        Ok("same") => 0,
        Ok("split") => usize::from(peer),
        _ => return,
    };
    // SAFETY: a zeroed cpu_set_t with one CPU set, for this process.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            panic!("pinning to CPU {cpu}: {}", std::io::Error::last_os_error());
        }
    }
}

/// How long a spinning receive polls before it blocks, in the spinning variant.
const SPIN: Duration = Duration::from_micros(50);

fn worker(role: &str) {
    pin(true);
    let args: Vec<String> = std::env::args().collect();
    match role {
        "echo-frame" => {
            let mut conn = process::worker_connection().unwrap();
            if args.get(1).map(String::as_str) == Some("spin") {
                conn.set_spin(Some(SPIN));
            }
            let mut buf = Vec::new();
            while conn.recv_bytes_into(&mut buf).is_ok() {
                conn.send_bytes(&buf).unwrap();
            }
        }
        "echo-raw" => {
            let conn = process::worker_connection().unwrap();
            let mut s = conn.into_stream().expect("nothing read yet");
            let size: usize = args[1].parse().unwrap();
            let mut buf = vec![0u8; size];
            while s.read_exact(&mut buf).is_ok() {
                s.write_all(&buf).unwrap();
            }
        }
        "echo-unix" => {
            let mut conn = Client::connect(&args[1], Some(KEY)).unwrap();
            let mut buf = Vec::new();
            while conn.recv_bytes_into(&mut buf).is_ok() {
                conn.send_bytes(&buf).unwrap();
            }
        }
        "echo-ring" => {
            let mut conn = process::worker_connection().unwrap();
            let fd = |i: usize| unsafe { OwnedFd::from_raw_fd(args[i].parse().unwrap()) };
            let (to_worker, to_parent) = (
                ShmRing::from_fd(fd(1)).unwrap(),
                ShmRing::from_fd(fd(2)).unwrap(),
            );
            let size: usize = args[3].parse().unwrap();
            // SAFETY: this worker is the only consumer of one ring and producer of the other.
            let (rx, tx) = unsafe { (to_worker.consumer(), to_parent.producer()) };
            let mut buf = vec![0u8; size];
            conn.send_bytes(b"ready").unwrap();
            loop {
                rx.pop_exact(&mut buf);
                if buf.iter().all(|&b| b == 0xff) {
                    break; // the stop message
                }
                tx.push(&buf);
            }
        }
        "echo-queue" => {
            let (to_worker, to_parent): (Queue<Vec<u8>>, Queue<Vec<u8>>) = (
                Queue::inherited(args[1].parse().unwrap()).unwrap(),
                Queue::inherited(args[2].parse().unwrap()).unwrap(),
            );
            while let Ok(m) = to_worker.get() {
                to_parent.put(m).unwrap();
            }
        }
        other => panic!("unknown worker role {other}"),
    }
}

// --- the benchmarks --------------------------------------------------------------------------

fn framed_pipe(c: &mut Criterion) {
    let mut g = c.benchmark_group("framed pipe (socketpair + frames)");
    let mut w = Builder::new("echo-frame").start().unwrap();
    for size in [SMALL, LARGE] {
        let msg = vec![7u8; size];
        let mut buf = Vec::new();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                let conn = w.connection();
                conn.send_bytes(&msg).unwrap();
                conn.recv_bytes_into(&mut buf).unwrap();
            })
        });
    }
    g.finish();
    drop(w.take_connection());
    w.join().unwrap();
}

fn framed_pipe_spinning(c: &mut Criterion) {
    let mut g = c.benchmark_group("framed pipe, spinning receive (50 us)");
    let mut w = Builder::new("echo-frame").args(["spin"]).start().unwrap();
    w.connection().set_spin(Some(SPIN));
    for size in [SMALL, LARGE] {
        let msg = vec![7u8; size];
        let mut buf = Vec::new();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                let conn = w.connection();
                conn.send_bytes(&msg).unwrap();
                conn.recv_bytes_into(&mut buf).unwrap();
            })
        });
    }
    g.finish();
    drop(w.take_connection());
    w.join().unwrap();
}

fn raw_pipe(c: &mut Criterion) {
    let mut g = c.benchmark_group("raw pipe (socketpair, no framing)");
    for size in [SMALL, LARGE] {
        let mut w = Builder::new("echo-raw")
            .args([size.to_string()])
            .start()
            .unwrap();
        let mut s = w
            .take_connection()
            .unwrap()
            .into_stream()
            .expect("nothing read yet");
        let msg = vec![7u8; size];
        let mut buf = vec![0u8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                s.write_all(&msg).unwrap();
                s.read_exact(&mut buf).unwrap();
            })
        });
        drop(s);
        w.join().unwrap();
    }
    g.finish();
}

fn unix_socket(c: &mut Criterion) {
    let mut g = c.benchmark_group("unix socket (Listener/Client + frames)");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sock");
    let listener = Listener::bind(&path, Some(KEY)).unwrap();
    let mut w = Builder::new("echo-unix")
        .args([path.to_str().unwrap()])
        .start()
        .unwrap();
    let mut conn = listener.accept_timeout(Duration::from_secs(20)).unwrap();
    for size in [SMALL, LARGE] {
        let msg = vec![7u8; size];
        let mut buf = Vec::new();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                conn.send_bytes(&msg).unwrap();
                conn.recv_bytes_into(&mut buf).unwrap();
            })
        });
    }
    g.finish();
    drop(conn);
    w.join().unwrap();
}

fn ring(c: &mut Criterion) {
    let mut g = c.benchmark_group("shared-memory ring (busy-wait)");
    for size in [SMALL, LARGE] {
        let (to_worker, to_parent) = (
            ShmRing::create(4 * size).unwrap(),
            ShmRing::create(4 * size).unwrap(),
        );
        let mut w: Process = Builder::new("echo-ring")
            .inherit(to_worker.fd())
            .inherit(to_parent.fd())
            .args([
                to_worker.fd().as_raw_fd().to_string(),
                to_parent.fd().as_raw_fd().to_string(),
                size.to_string(),
            ])
            .start()
            .unwrap();
        assert_eq!(w.connection().recv_bytes().unwrap(), b"ready");
        // SAFETY: this process is the only producer of one ring and consumer of the other.
        let (tx, rx) = unsafe { (to_worker.producer(), to_parent.consumer()) };
        let msg = vec![7u8; size];
        let mut buf = vec![0u8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                tx.push(&msg);
                rx.pop_exact(&mut buf);
            })
        });
        tx.push(&vec![0xff; size]);
        w.join().unwrap();
    }
    g.finish();
}

const PY_ECHO: &str = r#"
import os, sys
from multiprocessing.connection import Listener
pin = os.environ.get("THREADPROOF_BENCH_PIN")
if pin in ("same", "split"):
    os.sched_setaffinity(0, {1 if pin == "split" else 0})
with Listener(sys.argv[1], family="AF_UNIX", authkey=b"bench key") as l:
    print("ready", flush=True)
    with l.accept() as c:
        try:
            while True:
                c.send_bytes(c.recv_bytes())
        except EOFError:
            pass
"#;

fn python_peer(c: &mut Criterion) {
    let mut g = c.benchmark_group("python3 echo peer (multiprocessing.connection)");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.sock");
    let mut py: Child = Command::new("python3")
        .args(["-c", PY_ECHO, path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut ready = [0u8; 6];
    py.stdout.as_mut().unwrap().read_exact(&mut ready).unwrap();
    let mut conn: Connection = Client::connect(&path, Some(KEY)).unwrap();
    for size in [SMALL, LARGE] {
        let msg = vec![7u8; size];
        let mut buf = Vec::new();
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                conn.send_bytes(&msg).unwrap();
                conn.recv_bytes_into(&mut buf).unwrap();
            })
        });
    }
    g.finish();
    drop(conn);
    py.wait().unwrap();
}

fn python_to_python() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/ipc_python.py");
    match Command::new("python3").arg(script).output() {
        Ok(out) => print!("{}", String::from_utf8_lossy(&out.stdout)),
        Err(e) => println!("python3 not run: {e}"),
    }
}

// --- wall and CPU time per round trip ---------------------------------------------------------

/// CPU time of process `pid`'s main thread so far, in nanoseconds from
/// `/proc/<pid>/schedstat` (the peers and this bench do their work on their main thread).
fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).unwrap();
    Duration::from_nanos(stat.split(' ').next().unwrap().parse().unwrap())
}

/// Round trips for about a second (after a warm-up); prints wall time and both processes'
/// CPU time per round trip.
fn report(name: &str, peer: u32, mut round_trip: impl FnMut()) {
    for _ in 0..2_000 {
        round_trip();
    }
    let (cpu_me, cpu_peer) = (cpu_of(std::process::id()), cpu_of(peer));
    let start = std::time::Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..500 {
            round_trip();
        }
        n += 500;
    }
    let wall = start.elapsed() / n;
    let me = (cpu_of(std::process::id()) - cpu_me) / n;
    let other = (cpu_of(peer) - cpu_peer) / n;
    println!(
        "{name:<44} {:>8.2} us wall {:>8.2} us cpu here {:>8.2} us cpu peer",
        wall.as_secs_f64() * 1e6,
        me.as_secs_f64() * 1e6,
        other.as_secs_f64() * 1e6
    );
}

fn cpu_report() {
    println!(
        "64-byte round trips (pin: {}):",
        std::env::var("THREADPROOF_BENCH_PIN").unwrap_or("none".into())
    );
    let msg = [7u8; SMALL];
    let mut buf = Vec::new();
    for spin in [false, true] {
        let mut w = Builder::new("echo-frame")
            .args(if spin { vec!["spin"] } else { vec![] })
            .start()
            .unwrap();
        if spin {
            w.connection().set_spin(Some(SPIN));
        }
        let pid = w.pid();
        let name = if spin {
            "framed pipe, spinning receive (50 us)"
        } else {
            "framed pipe"
        };
        report(name, pid, || {
            let conn = w.connection();
            conn.send_bytes(&msg).unwrap();
            conn.recv_bytes_into(&mut buf).unwrap();
        });
        drop(w.take_connection());
        w.join().unwrap();
    }
    {
        let (to_worker, to_parent) = (
            ShmRing::create(4 * SMALL).unwrap(),
            ShmRing::create(4 * SMALL).unwrap(),
        );
        let mut w = Builder::new("echo-ring")
            .inherit(to_worker.fd())
            .inherit(to_parent.fd())
            .args([
                to_worker.fd().as_raw_fd().to_string(),
                to_parent.fd().as_raw_fd().to_string(),
                SMALL.to_string(),
            ])
            .start()
            .unwrap();
        assert_eq!(w.connection().recv_bytes().unwrap(), b"ready");
        // SAFETY: this process is the only producer of one ring and consumer of the other.
        let (tx, rx) = unsafe { (to_worker.producer(), to_parent.consumer()) };
        let mut out = [0u8; SMALL];
        report("shared-memory ring (busy-wait)", w.pid(), || {
            tx.push(&msg);
            rx.pop_exact(&mut out);
        });
        tx.push(&[0xff; SMALL]);
        w.join().unwrap();
    }
    {
        let (to_worker, to_parent): (Queue<Vec<u8>>, Queue<Vec<u8>>) =
            (Queue::new(8).unwrap(), Queue::new(8).unwrap());
        let mut w = Builder::new("echo-queue")
            .inherit(to_worker.fd())
            .inherit(to_parent.fd())
            .args([
                to_worker.fd().as_raw_fd().to_string(),
                to_parent.fd().as_raw_fd().to_string(),
            ])
            .start()
            .unwrap();
        report("ipc::Queue (one each way)", w.pid(), || {
            to_worker.put(msg.to_vec()).unwrap();
            to_parent.get().unwrap();
        });
        to_worker.close();
        w.join().unwrap();
    }
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("py.sock");
        let mut py: Child = Command::new("python3")
            .args(["-c", PY_ECHO, path.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut ready = [0u8; 6];
        py.stdout.as_mut().unwrap().read_exact(&mut ready).unwrap();
        let mut conn: Connection = Client::connect(&path, Some(KEY)).unwrap();
        report("Rust client, python3 echo peer", py.id(), || {
            conn.send_bytes(&msg).unwrap();
            conn.recv_bytes_into(&mut buf).unwrap();
        });
        drop(conn);
        py.wait().unwrap();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = framed_pipe, framed_pipe_spinning, raw_pipe, unix_socket, ring, python_peer
}

fn main() {
    if let Some(role) = process::worker_role() {
        worker(&role);
        return;
    }
    // `cargo test --benches` runs bench binaries with no `--bench`: only check they start.
    pin(false);
    let benching = std::env::args().any(|a| a == "--bench");
    if benching {
        python_to_python();
        cpu_report();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
