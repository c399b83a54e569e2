//! The I/O models side by side, loopback only.
//!
//! 1. A load table (printed, and written to `target/io_models_load.md`): for each model, 1, 64
//!    and 1000 concurrent connections driven by `io_models::load` (closed-loop, 64-byte lines):
//!    throughput, p50/p99 round-trip latency, and the process CPU time the run used (server and
//!    load generator together: they share the process). Then each model's idle CPU: a server
//!    with 64 silent connections, 1 s of wall time.
//! 2. criterion: one echo round trip on one connection, per model.
//!
//! `cargo bench --bench io_models` (about a minute). Results and the machine are in the book's
//! I/O models chapter.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use criterion::Criterion;
use threadproof::io_models::{Config, Model, cpu, load};

fn config() -> Config {
    Config {
        max_connections: 1_100,
        idle_timeout: Duration::from_secs(60),
        ..Config::default()
    }
}

/// (connections, messages per connection): about 2,000-10,000 messages per run.
const LOADS: [(usize, usize); 3] = [(1, 2_000), (64, 100), (1_000, 10)];

fn load_table() -> String {
    let mut table = String::from(
        "| model | connections | messages | echoes/s | p50 | p99 | CPU time | CPU per echo |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for model in Model::ALL {
        for (connections, messages) in LOADS {
            let server = model.start(config()).expect("server starts");
            let cpu_before = cpu::process_cpu_time().unwrap();
            let report = load::run(
                server.local_addr(),
                connections,
                messages,
                Duration::from_secs(20),
            )
            .unwrap_or_else(|e| panic!("{} x {connections}: {e}", model.name()));
            let cpu = cpu::process_cpu_time().unwrap() - cpu_before;
            server.shutdown().expect("clean shutdown");
            let row = format!(
                "| {} | {} | {}{} | {:.0} | {:.0} µs | {:.0} µs | {:.0} ms | {:.1} µs |\n",
                model.name(),
                connections,
                report.messages,
                if report.timed_out {
                    " (cut at 20 s)"
                } else {
                    ""
                },
                report.throughput(),
                report.latency(0.5).as_secs_f64() * 1e6,
                report.latency(0.99).as_secs_f64() * 1e6,
                cpu.as_secs_f64() * 1e3,
                cpu.as_secs_f64() * 1e6 / report.messages.max(1) as f64,
            );
            print!("{row}");
            table.push_str(&row);
        }
    }
    table
}

fn idle_table() -> String {
    let mut table =
        String::from("| model | CPU used in 1 s with 64 silent connections |\n|---|---:|\n");
    for model in Model::ALL {
        let server = model.start(config()).expect("server starts");
        let silent: Vec<TcpStream> = (0..64)
            .map(|_| TcpStream::connect(server.local_addr()).unwrap())
            .collect();
        std::thread::sleep(Duration::from_millis(200)); // let it accept everyone
        let before = cpu::process_cpu_time().unwrap();
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu::process_cpu_time().unwrap() - before;
        drop(silent);
        server.shutdown().expect("clean shutdown");
        let row = format!(
            "| {} | {:.0} ms ({:.0}% of a core) |\n",
            model.name(),
            used.as_secs_f64() * 1e3,
            used.as_secs_f64() * 100.0
        );
        print!("{row}");
        table.push_str(&row);
    }
    table
}

fn round_trips(c: &mut Criterion) {
    let mut group = c.benchmark_group("io_models/round trip, 1 connection");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(300));
    for model in Model::ALL {
        let server = model.start(config()).expect("server starts");
        let stream = TcpStream::connect(server.local_addr()).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        group.bench_function(model.name(), |b| {
            b.iter(|| {
                writer
                    .write_all(b"a 64-byte line, give or take, for the round trip bench....\n")
                    .unwrap();
                line.clear();
                reader.read_line(&mut line).unwrap();
            })
        });
        drop((writer, reader));
        server.shutdown().expect("clean shutdown");
    }
    group.finish();
}

fn main() {
    let mut out = String::new();
    let _ = writeln!(out, "## Load (closed-loop, 64-byte lines)\n");
    out.push_str(&load_table());
    let _ = writeln!(out, "\n## Idle\n");
    out.push_str(&idle_table());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/io_models_load.md");
    let _ = std::fs::write(path, &out);
    println!("(written to {path})");

    let mut c = Criterion::default().configure_from_args();
    round_trips(&mut c);
    c.final_summary();
}
