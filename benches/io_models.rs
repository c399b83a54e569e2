//! The I/O models side by side, loopback only.
//!
//! 1. A load table (printed, and written to `target/io_models_load.md`): for each model, 1, 64
//!    and 1000 concurrent connections driven by `io_models::load` (closed-loop, 64-byte lines):
//!    throughput, p50/p99 round-trip latency, and the CPU time the run used (server and load
//!    generator together: they share the process; for process per connection, plus the
//!    workers' CPU, counted once shutdown has reaped them); best of 3 runs by throughput. A bar
//!    chart of the throughputs goes to `target/io_models_throughput.svg`.
//! 2. Each model's idle CPU: a server with 64 silent connections, 1 s of wall time.
//! 3. criterion: one echo round trip on one connection, per model.
//!
//! `cargo bench -p threadproof --bench io_models` (about four minutes). Results and the machine
//! are in the book's I/O models chapter. Every model is here, process per connection included:
//! this binary hosts its worker role (`run_if_worker` first thing in `main`). Process per
//! connection is bounded by the process limit (`process_cap`); a row it cut says so. `IO_BENCH_MODELS=tokio,io-uring` (names, comma-separated) runs a subset.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use criterion::Criterion;
use threadproof::io_models::process_per_conn::run_if_worker;
use threadproof::io_models::{Config, Model, cpu, load};

fn config() -> Config {
    Config {
        max_connections: 1_100,
        idle_timeout: Duration::from_secs(60),
        ..Config::default()
    }
}

/// Every model, side by side: `Model::ALL` with process per connection beside thread per
/// connection. `IO_BENCH_MODELS` (comma-separated names) narrows it.
fn models() -> Vec<Model> {
    let mut all = Model::ALL.to_vec();
    all.insert(1, Model::ProcessPerConnection);
    match std::env::var("IO_BENCH_MODELS") {
        Ok(names) => all
            .into_iter()
            .filter(|m| names.split(',').any(|n| n.trim() == m.name()))
            .collect(),
        Err(_) => all,
    }
}

/// The most worker processes process per connection gets: the `RLIMIT_NPROC` soft limit less
/// a margin of 256 for everything else this user runs (builds, other benches), at most 1000.
/// On the kit's machine (root, limit 96,365) that is 1000 and the row runs in full; where the
/// limit is lower the 1000-connection row runs fewer connections and says so.
fn process_cap() -> usize {
    // SAFETY: `getrlimit` fills the zeroed struct it is given.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return 1000;
    }
    (limit.rlim_cur as usize).saturating_sub(256).clamp(1, 1000)
}

/// Connections actually run for `model` when `connections` were asked for.
fn bounded(model: Model, connections: usize) -> usize {
    if model == Model::ProcessPerConnection {
        connections.min(process_cap())
    } else {
        connections
    }
}

/// Starts `model`, or says why not (io_uring may be unavailable).
fn start(model: Model) -> Option<threadproof::io_models::Server> {
    match model.start(config()) {
        Ok(server) => Some(server),
        Err(e) => {
            println!("| {} | — | not run: {e} |", model.name());
            None
        }
    }
}

/// Runs per (model, load); the table keeps the one with the highest throughput.
const RUNS: usize = 3;

/// (connections, messages per connection): about 2,000-10,000 messages per run.
const LOADS: [(usize, usize); 3] = [(1, 2_000), (64, 100), (1_000, 10)];

/// One measured load row, for the plot.
struct Row {
    model: &'static str,
    connections: usize,
    throughput: f64,
}

/// A grouped horizontal bar chart of echoes/s: one group per model, one bar per load.
fn plot(rows: &[Row]) -> String {
    const COLORS: [&str; 3] = ["#9ecae1", "#4292c6", "#08519c"];
    let max = rows.iter().map(|r| r.throughput).fold(1.0, f64::max);
    let (left, width, bar, gap) = (170.0, 480.0, 12.0, 10.0);
    let models: Vec<&str> = rows.iter().fold(Vec::new(), |mut v, r| {
        if !v.contains(&r.model) {
            v.push(r.model);
        }
        v
    });
    let height = 40.0 + models.len() as f64 * (3.0 * bar + gap) + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <text x=\"10\" y=\"20\" font-weight=\"bold\">Echoes per second (closed loop, 64-byte \
         lines, loopback, 2 vCPU)</text>\n",
        left + width + 90.0
    );
    for (i, model) in models.iter().enumerate() {
        let y0 = 40.0 + i as f64 * (3.0 * bar + gap);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{model}</text>",
            left - 8.0,
            y0 + 1.5 * bar + 4.0
        );
        for (j, row) in rows.iter().filter(|r| r.model == *model).enumerate() {
            let w = width * row.throughput / max;
            let y = y0 + j as f64 * bar;
            let _ = writeln!(
                svg,
                "<rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"10\">{:.0}k ({} conn)</text>",
                bar - 1.0,
                COLORS[j % 3],
                left + w + 4.0,
                y + bar - 2.0,
                row.throughput / 1e3,
                row.connections
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn load_table(rows: &mut Vec<Row>) -> String {
    let mut table = String::from(
        "| model | connections | messages | echoes/s | p50 | p99 | CPU time | CPU per echo |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for model in models() {
        for (asked, messages) in LOADS {
            let connections = bounded(model, asked);
            // Best of RUNS: the machine is shared, and the best run is the one least disturbed.
            let Some((report, cpu)) = (0..RUNS)
                .filter_map(|_| {
                    let server = start(model)?;
                    let cpu_before = cpu::process_cpu_time().unwrap();
                    let children_before = cpu::children_cpu_time().unwrap();
                    let report = load::run(
                        server.local_addr(),
                        connections,
                        messages,
                        Duration::from_secs(20),
                    )
                    .unwrap_or_else(|e| panic!("{} x {connections}: {e}", model.name()));
                    let cpu = cpu::process_cpu_time().unwrap() - cpu_before;
                    server.shutdown().expect("clean shutdown");
                    // Process per connection: the workers' CPU, reaped by the shutdown.
                    let children = cpu::children_cpu_time().unwrap() - children_before;
                    Some((report, cpu + children))
                })
                .max_by(|a, b| a.0.throughput().total_cmp(&b.0.throughput()))
            else {
                continue;
            };
            let shown = if connections < asked {
                format!("{asked} → {connections} (bounded by RLIMIT_NPROC)")
            } else {
                connections.to_string()
            };
            let row = format!(
                "| {} | {} | {}{} | {:.0} | {:.0} µs | {:.0} µs | {:.0} ms | {:.1} µs |\n",
                model.name(),
                shown,
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
            rows.push(Row {
                model: model.name(),
                connections,
                throughput: report.throughput(),
            });
        }
    }
    table
}

fn idle_table() -> String {
    let mut table =
        String::from("| model | CPU used in 1 s with 64 silent connections |\n|---|---:|\n");
    for model in models() {
        let Some(server) = start(model) else { continue };
        let children_before = cpu::children_cpu_time().unwrap();
        let silent: Vec<TcpStream> = (0..64)
            .map(|_| TcpStream::connect(server.local_addr()).unwrap())
            .collect();
        std::thread::sleep(Duration::from_millis(200)); // let it accept everyone
        let before = cpu::process_cpu_time().unwrap();
        std::thread::sleep(Duration::from_secs(1));
        let mut used = cpu::process_cpu_time().unwrap() - before;
        drop(silent);
        server.shutdown().expect("clean shutdown");
        // Process per connection: its 64 workers' CPU over their whole (mostly idle) life,
        // reaped by the shutdown; an upper bound on what they used in the measured second.
        used += cpu::children_cpu_time().unwrap() - children_before;
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
    for model in models() {
        let Some(server) = start(model) else { continue };
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
    run_if_worker(); // process per connection: in a worker, serves its client and exits
    let mut out = String::new();
    let _ = writeln!(out, "## Load (closed-loop, 64-byte lines)\n");
    let mut rows = Vec::new();
    out.push_str(&load_table(&mut rows));
    let _ = writeln!(out, "\n## Idle\n");
    out.push_str(&idle_table());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/io_models_load.md");
    let _ = std::fs::write(path, &out);
    println!("(written to {path})");
    let svg_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/io_models_throughput.svg"
    );
    let _ = std::fs::write(svg_path, plot(&rows));
    println!("(plot written to {svg_path}; the book keeps a copy in book/src/)");

    let mut c = Criterion::default().configure_from_args();
    round_trips(&mut c);
    c.final_summary();
}
