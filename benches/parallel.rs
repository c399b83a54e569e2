//! Speedup and efficiency, measured (seed 001 "如何评估并行程序的性能"; the GIL of seeds 000
//! and 002 §2.5.2).
//!
//! Side by side in one run, for p = 1, 2, 3, 4 workers: `TASKS` coarse CPU-bound tasks (about
//! 1 ms of arithmetic each) and `TASKS` sleeping "I/O-bound" tasks (2 ms each), fanned out
//! with the kit's `Pool`, with scoped threads (`fan::scatter_gather`), with a rayon
//! `ThreadPool`, and with the `Pool` under one global lock that every task holds while it
//! computes (the GIL). A plain loop on the calling thread is the serial reference. Then
//! python3 itself: the same kind of CPU-bound work on a `ThreadPoolExecutor` and on a
//! `ProcessPoolExecutor`, and sleeping work on threads (`benches/gil.py`).
//!
//! Each configuration is timed `ROUNDS` times, rounds interleaved across configurations (so a
//! burst of load from elsewhere hits them all alike), and the median is kept; wall time and
//! process CPU time (`getrusage`) per run. Speedups are relative (`T1` is the same strategy on
//! one worker), as seed 001 defines them; the serial fraction is fitted by least squares
//! (`threadproof::measure`).
//!
//! Writes `book/src/measuring/table.md` and `book/src/measuring/speedup.svg`, or, when the
//! process may use fewer CPUs than the machine has (`taskset -c 0 cargo bench ...`),
//! `table_pinned.md` and `speedup_pinned.svg`. Both state the machine, the date, the load
//! average before and after, and how much CPU other processes used during the run.
//!
//! `cargo bench -p threadproof --bench parallel` (about a minute).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use threadproof::fan::scatter_gather;
use threadproof::io_models::cpu::process_cpu_time;
use threadproof::measure::{self, Point, Sample};
use threadproof::pool::Pool;
use threadproof::sync::Mutex;

/// Tasks per run.
const TASKS: usize = 48;
/// Worker counts; this machine has 2 vCPUs, so 3 and 4 are oversubscribed.
const WORKERS: [usize; 4] = [1, 2, 3, 4];
/// Timed runs per configuration; the table keeps the median (and shows the best).
const ROUNDS: usize = 11;
/// The CPU-bound task's target length, calibrated once at start.
const CPU_TASK: Duration = Duration::from_millis(1);
/// The sleeping task's blocking time.
const SLEEP: Duration = Duration::from_millis(2);
/// The efficiency target of issue 5: coarse CPU-bound tasks, the Pool, 2 workers.
const TARGET_EFFICIENCY: f64 = 0.9;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Work {
    Cpu,
    Sleep,
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::Cpu => "CPU-bound",
            Work::Sleep => "sleeping",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strategy {
    Plain,
    Pool,
    Scoped,
    Rayon,
    GlobalLock,
}

impl Strategy {
    const PARALLEL: [Strategy; 4] = [
        Strategy::Pool,
        Strategy::Scoped,
        Strategy::Rayon,
        Strategy::GlobalLock,
    ];

    fn name(self) -> &'static str {
        match self {
            Strategy::Plain => "plain loop",
            Strategy::Pool => "Pool",
            Strategy::Scoped => "scoped threads",
            Strategy::Rayon => "rayon",
            Strategy::GlobalLock => "Pool + global lock",
        }
    }

    fn color(self) -> &'static str {
        match self {
            Strategy::Plain => "#777777",
            Strategy::Pool => "#08519c",
            Strategy::Scoped => "#e6550d",
            Strategy::Rayon => "#31a354",
            Strategy::GlobalLock => "#a50f15",
        }
    }
}

// ANCHOR: tasks
/// One task: `iterations` of arithmetic (calibrated to about 1 ms), or a 2 ms blocking wait
/// preceded by a hundredth of that arithmetic (the bookkeeping around an I/O call).
#[derive(Clone, Copy)]
struct Task {
    work: Work,
    iterations: u64,
}

/// A xorshift chain: each step depends on the last, so the compiler can neither vectorize it
/// nor fold it away, and it touches no memory (no cache or bandwidth effects between cores).
fn spin(iterations: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

impl Task {
    fn run(self) -> u64 {
        match self.work {
            Work::Cpu => spin(black_box(self.iterations)),
            Work::Sleep => {
                let bookkeeping = spin(black_box(self.iterations / 100));
                thread::sleep(SLEEP); // blocks like a read from a socket: no CPU meanwhile
                bookkeeping
            }
        }
    }
}
// ANCHOR_END: tasks

// ANCHOR: global_lock
/// The task under one lock shared by every worker, the way CPython runs threads: a thread
/// holds the GIL while it computes and releases it around a blocking call.
fn run_under_global_lock(task: Task, gil: &Mutex<()>) -> u64 {
    match task.work {
        Work::Cpu => {
            let _held = gil.lock(); // for the whole computation
            spin(black_box(task.iterations))
        }
        Work::Sleep => {
            let bookkeeping = {
                let _held = gil.lock();
                spin(black_box(task.iterations / 100))
            };
            thread::sleep(SLEEP); // outside the lock, as CPython releases the GIL for I/O
            bookkeeping
        }
    }
}
// ANCHOR_END: global_lock

// ANCHOR: runners
/// A strategy with its workers already started (pools are built before the timing).
enum Runner {
    Plain,
    Pool(Pool),
    Scoped(usize),
    Rayon(rayon::ThreadPool),
    GlobalLock(Pool, Arc<Mutex<()>>),
}

impl Runner {
    fn new(strategy: Strategy, p: usize) -> Runner {
        match strategy {
            Strategy::Plain => Runner::Plain,
            Strategy::Pool => Runner::Pool(Pool::new(p)),
            Strategy::Scoped => Runner::Scoped(p),
            Strategy::Rayon => Runner::Rayon(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(p)
                    .build()
                    .expect("rayon pool"),
            ),
            Strategy::GlobalLock => Runner::GlobalLock(Pool::new(p), Arc::new(Mutex::new(()))),
        }
    }

    /// Runs `tasks` copies of `task` and combines their results (so none is optimized away).
    fn run(&self, task: Task, tasks: usize) -> u64 {
        match self {
            Runner::Plain => (0..tasks).map(|_| task.run()).fold(0, u64::wrapping_add),
            Runner::Pool(pool) => pool
                .map(move |_| task.run(), 0..tasks)
                .into_iter()
                .map(|r| r.expect("no task panics"))
                .fold(0, u64::wrapping_add),
            Runner::Scoped(p) => {
                scatter_gather(&vec![task; tasks], *p, |t| Ok::<_, Infallible>(t.run()))
                    .into_iter()
                    .map(|r| r.expect("no task fails"))
                    .fold(0, u64::wrapping_add)
            }
            Runner::Rayon(pool) => pool.install(|| {
                (0..tasks)
                    .into_par_iter()
                    .map(|_| task.run())
                    .reduce(|| 0, u64::wrapping_add)
            }),
            Runner::GlobalLock(pool, gil) => {
                let gil = Arc::clone(gil);
                pool.map(move |_| run_under_global_lock(task, &gil), 0..tasks)
                    .into_iter()
                    .map(|r| r.expect("no task panics"))
                    .fold(0, u64::wrapping_add)
            }
        }
    }
}
// ANCHOR_END: runners

// ANCHOR: measure_one
/// One timed run: wall time, and the CPU time (user + system, all threads) of the process.
fn measure_one(runner: &Runner, task: Task, tasks: usize) -> (Duration, Duration) {
    let cpu = process_cpu_time().expect("getrusage");
    let wall = Instant::now();
    black_box(runner.run(task, tasks));
    let wall = wall.elapsed();
    let cpu = process_cpu_time().expect("getrusage") - cpu;
    (wall, cpu)
}
// ANCHOR_END: measure_one

/// Iterations of `spin` that take about `CPU_TASK` on this machine (the fastest of a few tries,
/// the one least disturbed by other processes).
fn calibrate() -> u64 {
    let probe = 200_000;
    let best = (0..7)
        .map(|_| {
            let t = Instant::now();
            black_box(spin(black_box(probe)));
            t.elapsed()
        })
        .min()
        .expect("seven tries");
    (probe as f64 * CPU_TASK.as_secs_f64() / best.as_secs_f64()).max(1.0) as u64
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The medians (and the best) of one configuration's runs, in seconds.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    best: f64,
    cpu: f64,
}

struct Config {
    work: Work,
    strategy: Strategy,
    p: usize,
    /// `TASKS`, or `p * TASKS` for the scaled (Gustafson) runs.
    tasks: usize,
    runner: Runner,
    walls: Vec<f64>,
    cpus: Vec<f64>,
}

impl Config {
    fn timing(&self) -> Timing {
        let (mut walls, mut cpus) = (self.walls.clone(), self.cpus.clone());
        Timing {
            wall: median(&mut walls),
            best: walls[0],
            cpu: median(&mut cpus),
        }
    }
}

/// The machine, and what else was running on it.
struct Machine {
    cpu_model: String,
    online: usize,
    allowed: usize,
    kernel: String,
    date: String,
}

impl Machine {
    fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "unknown CPU".into());
        // SAFETY: sysconf has no preconditions.
        let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
        let allowed = thread::available_parallelism().map_or(1, |n| n.get());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".into(), |s| s.trim().to_string());
        let date = Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map_or_else(|| "unknown date".into(), |s| s.trim().to_string());
        Machine {
            cpu_model,
            online,
            allowed,
            kernel,
            date,
        }
    }

    fn pinned(&self) -> bool {
        self.allowed < self.online
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_else(|_| "unknown".into())
}

/// (busy, steal, total) CPU time of the whole machine so far, in seconds, from /proc/stat.
fn machine_cpu() -> Option<(f64, f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let total: f64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    let steal = *fields.get(7)?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(((total - idle - steal) / hz, steal / hz, total / hz))
}

/// One line per configuration from `benches/gil.py`: (executor, work, p, wall, cpu, best wall).
type PyRow = (String, String, usize, f64, f64, f64);

fn run_python() -> Result<(String, Vec<PyRow>), String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gil.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(ROUNDS.to_string());
    cmd.args(WORKERS.iter().map(|p| p.to_string()));
    let out = cmd.output().map_err(|e| format!("python3 not run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut note = String::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("# ") {
            note = n.to_string();
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let [exec, work, p, wall, cpu, best] = f[..] else {
            return Err(format!("unexpected line from gil.py: {line}"));
        };
        let parse = |s: &str| s.parse::<f64>().map_err(|e| format!("{s}: {e}"));
        rows.push((
            exec.to_string(),
            work.to_string(),
            p.parse().map_err(|e| format!("{p}: {e}"))?,
            parse(wall)?,
            parse(cpu)?,
            parse(best)?,
        ));
    }
    Ok((note, rows))
}

fn fmt_f(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{x:.3}"))
}

/// The serial fraction fitted over `p <= up_to`, with its Amdahl limit.
fn fit_cells(samples: &[Sample], up_to: usize) -> (String, String) {
    let within: Vec<Sample> = samples
        .iter()
        .copied()
        .filter(|s| s.workers <= up_to)
        .collect();
    match measure::fit_serial_fraction(&within) {
        Ok(f) => {
            let limit = match measure::amdahl_limit(f) {
                Ok(l) if l.is_finite() => format!("{l:.1}"),
                Ok(_) => "∞".into(),
                Err(_) if f < 0.0 => "∞ (f < 0: superlinear, noise)".into(),
                Err(_) => "< 1 (slower than one worker)".into(),
            };
            (format!("{f:.3}"), limit)
        }
        Err(e) => (format!("({e})"), "—".into()),
    }
}

/// One plotted series: a label, a color, a dash pattern, and (p, speedup) points.
struct Series {
    label: String,
    color: &'static str,
    dash: &'static str,
    points: Vec<(usize, f64)>,
}

/// Speedup against workers, one panel per (title, series), the ideal `S = p` dotted, the
/// oversubscribed range (more workers than usable CPUs) shaded.
fn plot(panels: &[(String, Vec<Series>)], cpus: usize, caption: &str) -> String {
    let (pw, ph) = (330.0, 300.0);
    let (left, top, w, h) = (45.0, 40.0, 250.0, 190.0);
    let (pmax, smax) = (4.0, 4.5);
    let x = |p: f64| left + (p - 1.0) / (pmax - 1.0) * w;
    let y = |s: f64| top + h - s / smax * h;
    let width = pw * panels.len() as f64;
    let legend_rows = panels.iter().map(|(_, s)| s.len()).max().unwrap_or(0) as f64;
    let height = ph + legend_rows * 16.0 + 12.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (i, (title, series)) in panels.iter().enumerate() {
        let ox = i as f64 * pw;
        let _ = writeln!(
            svg,
            "<g transform=\"translate({ox},0)\">\n\
             <text x=\"{}\" y=\"20\" font-weight=\"bold\" text-anchor=\"middle\">{title}</text>",
            left + w / 2.0
        );
        if cpus < 4 {
            let x0 = x(cpus as f64 + 0.5);
            let _ = writeln!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{h}\" fill=\"#f0f0f0\"/>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"10\" fill=\"#666\" \
                 text-anchor=\"middle\">more workers than CPUs</text>",
                left + w - x0,
                (x0 + left + w) / 2.0,
                top + 12.0
            );
        }
        for s in 0..=4 {
            let _ = writeln!(
                svg,
                "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/>\
                 <text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\" font-size=\"10\">{s}</text>",
                y(s as f64),
                left + w,
                left - 6.0,
                y(s as f64) + 4.0
            );
        }
        for p in 1..=4 {
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{p}</text>",
                x(p as f64),
                top + h + 14.0
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">workers p</text>\
             <text x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" \
             text-anchor=\"middle\">speedup S = T1/Tp</text>\
             <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" \
             stroke-dasharray=\"2,3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#999\">S = p</text>",
            left + w / 2.0,
            top + h + 30.0,
            top + h / 2.0,
            top + h / 2.0,
            x(1.0),
            y(1.0),
            x(4.0),
            y(4.0),
            x(2.0) - 34.0,
            y(2.0) - 4.0
        );
        for (j, s) in series.iter().enumerate() {
            let pts: Vec<String> = s
                .points
                .iter()
                .map(|&(p, sp)| format!("{:.1},{:.1}", x(p as f64), y(sp.min(smax))))
                .collect();
            let _ = writeln!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" \
                 stroke-dasharray=\"{}\"/>",
                pts.join(" "),
                s.color,
                s.dash
            );
            for &(p, sp) in &s.points {
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
                    x(p as f64),
                    y(sp.min(smax)),
                    s.color
                );
            }
            let ly = ph - 20.0 + j as f64 * 16.0;
            let _ = writeln!(
                svg,
                "<line x1=\"{left}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{}\" \
                 stroke-width=\"2\" stroke-dasharray=\"{}\"/>\
                 <text x=\"{}\" y=\"{}\">{}</text>",
                left + 24.0,
                s.color,
                s.dash,
                left + 30.0,
                ly + 4.0,
                s.label
            );
        }
        svg.push_str("</g>\n");
    }
    let _ = writeln!(
        svg,
        "<text x=\"10\" y=\"{}\" font-size=\"10\" fill=\"#555\">{caption}</text>",
        height - 8.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn main() {
    let machine = Machine::probe();
    let load_before = load_average();
    let iterations = calibrate();
    println!(
        "spin({iterations}) is about {} ms; {} CPUs usable of {} online; load {load_before}",
        CPU_TASK.as_millis(),
        machine.allowed,
        machine.online
    );

    // Every configuration, its workers started once and warmed up once.
    let mut configs = Vec::new();
    for work in [Work::Cpu, Work::Sleep] {
        let task = Task { work, iterations };
        let plain = Runner::new(Strategy::Plain, 1);
        black_box(plain.run(task, TASKS));
        configs.push(Config {
            work,
            strategy: Strategy::Plain,
            p: 1,
            tasks: TASKS,
            runner: plain,
            walls: Vec::new(),
            cpus: Vec::new(),
        });
        for strategy in Strategy::PARALLEL {
            for p in WORKERS {
                let runner = Runner::new(strategy, p);
                black_box(runner.run(task, TASKS)); // warm-up
                configs.push(Config {
                    work,
                    strategy,
                    p,
                    tasks: TASKS,
                    runner,
                    walls: Vec::new(),
                    cpus: Vec::new(),
                });
            }
        }
        // Gustafson: the problem grows with the machine, p x TASKS tasks on p workers (p = 1
        // is the fixed-size Pool run above).
        for p in WORKERS.into_iter().filter(|&p| p > 1) {
            let runner = Runner::new(Strategy::Pool, p);
            black_box(runner.run(task, p * TASKS));
            configs.push(Config {
                work,
                strategy: Strategy::Pool,
                p,
                tasks: p * TASKS,
                runner,
                walls: Vec::new(),
                cpus: Vec::new(),
            });
        }
    }

    // ANCHOR: rounds
    // Rounds interleave the configurations, each round starting one further along, so a
    // burst of load from another process lands on many configurations, not all on one.
    let cpu_before = process_cpu_time().expect("getrusage");
    let machine_before = machine_cpu();
    let started = Instant::now();
    let n = configs.len();
    for round in 0..ROUNDS {
        for k in 0..n {
            let c = &mut configs[(round + k) % n];
            let task = Task {
                work: c.work,
                iterations,
            };
            let (wall, cpu) = measure_one(&c.runner, task, c.tasks);
            c.walls.push(wall.as_secs_f64());
            c.cpus.push(cpu.as_secs_f64());
        }
    }
    // ANCHOR_END: rounds
    let elapsed = started.elapsed().as_secs_f64();
    let own_cpu = (process_cpu_time().expect("getrusage") - cpu_before).as_secs_f64();
    let others = match (machine_before, machine_cpu()) {
        (Some((b0, s0, t0)), Some((b1, s1, t1))) if t1 > t0 => {
            let others = (b1 - b0 - own_cpu).max(0.0);
            format!(
                "other processes used {:.1} CPU-seconds of the {:.1} the machine had during \
                 the {elapsed:.1} s of Rust rounds ({:.0}%), hypervisor steal {:.0}%",
                others,
                t1 - t0,
                100.0 * others / (t1 - t0),
                100.0 * (s1 - s0) / (t1 - t0)
            )
        }
        _ => "/proc/stat not readable: other processes' CPU use unknown".into(),
    };
    let load_after_rust = load_average();
    println!("Rust rounds done in {elapsed:.1} s; {others}; load {load_after_rust}");
    let python = run_python();
    let load_after = load_average();

    // The tables.
    let cpus = machine.allowed;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated by `cargo bench -p threadproof --bench parallel` (benches/parallel.rs); \
         do not edit. -->\n"
    );
    let _ = writeln!(
        out,
        "**Machine:** {} × {} ({}), Linux {}; this run could use {} of them{}. \
         **Date:** {}. **Load average** (1 / 5 / 15 min): {} before, {} after the Rust \
         rounds, {} at the end; {}.\n",
        machine.online,
        machine.cpu_model,
        if machine.online == 2 {
            "2 vCPUs, a shared VM"
        } else {
            "vCPUs"
        },
        machine.kernel,
        cpus,
        if machine.pinned() {
            " (pinned with taskset)"
        } else {
            " (unpinned)"
        },
        machine.date,
        load_before,
        load_after_rust,
        load_after,
        others
    );
    let _ = writeln!(
        out,
        "Each run: {TASKS} tasks; a CPU-bound task is `spin({iterations})`, about {} ms; a \
         sleeping task sleeps {} ms. Each cell is the median of {ROUNDS} runs (best: the \
         fastest); CPU time is the process's user + system time (`getrusage`), all threads. \
         Speedup and efficiency are from the medians, relative to the same strategy on 1 worker; \
         e is the Karp–Flatt serial fraction of that row. S (best) and E (best) use the \
         fastest run of each configuration instead: on a shared machine the fastest run is the \
         one least disturbed by other processes.\n",
        CPU_TASK.as_millis(),
        SLEEP.as_millis()
    );
    let _ = writeln!(
        out,
        "| work | strategy | p | wall ms (median) | wall ms (best) | CPU ms | CPU / wall | \
         speedup S | efficiency E | Karp–Flatt e | S (best) | E (best) |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    let mut fits = String::new();
    let _ = writeln!(
        fits,
        "| work | strategy | fitted over p | serial fraction f | Amdahl limit 1/f | \
         S(2) fitted / measured | S(4) fitted / measured | f (best runs) |\n\
         |---|---|---|--:|--:|--:|--:|--:|"
    );
    let mut rust_panels = Vec::new();
    let mut target = None;
    let mut pool_fit = [None, None];
    // CPU-bound work cannot scale past the CPUs it may use: fit only up to there (and at
    // least to 2, so a pinned run still gets a fit). Sleeping work can.
    let fit_range = |work: Work| match work {
        Work::Cpu => cpus.max(2),
        Work::Sleep => 4,
    };
    for work in [Work::Cpu, Work::Sleep] {
        let mut series = Vec::new();
        let plain = configs
            .iter()
            .find(|c| c.work == work && c.strategy == Strategy::Plain)
            .expect("the plain loop ran")
            .timing();
        let _ = writeln!(
            out,
            "| {} | {} | 1 | {:.1} | {:.1} | {:.1} | {:.2} | — | — | — | — | — |",
            work.name(),
            Strategy::Plain.name(),
            plain.wall * 1e3,
            plain.best * 1e3,
            plain.cpu * 1e3,
            plain.cpu / plain.wall
        );
        for strategy in Strategy::PARALLEL {
            let mine: Vec<&Config> = configs
                .iter()
                .filter(|c| c.work == work && c.strategy == strategy && c.tasks == TASKS)
                .collect();
            let timings: Vec<Timing> = mine.iter().map(|c| c.timing()).collect();
            let samples: Vec<Sample> = mine
                .iter()
                .zip(&timings)
                .map(|(c, t)| Sample {
                    workers: c.p,
                    seconds: t.wall,
                })
                .collect();
            let points: Vec<Point> = measure::scaling(&samples).expect("positive times");
            let best_samples: Vec<Sample> = mine
                .iter()
                .zip(&timings)
                .map(|(c, t)| Sample {
                    workers: c.p,
                    seconds: t.best,
                })
                .collect();
            let best_points = measure::scaling(&best_samples).expect("positive times");
            for (((c, t), pt), bp) in mine.iter().zip(&timings).zip(&points).zip(&best_points) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.2} |",
                    work.name(),
                    strategy.name(),
                    c.p,
                    t.wall * 1e3,
                    t.best * 1e3,
                    t.cpu * 1e3,
                    t.cpu / t.wall,
                    pt.speedup,
                    pt.efficiency,
                    fmt_f(pt.karp_flatt),
                    bp.speedup,
                    bp.efficiency
                );
            }
            if strategy == Strategy::Pool {
                pool_fit[work as usize] = measure::fit_serial_fraction(
                    &samples
                        .iter()
                        .copied()
                        .filter(|s| s.workers <= fit_range(work))
                        .collect::<Vec<_>>(),
                )
                .ok();
            }
            if work == Work::Cpu && strategy == Strategy::Pool {
                let best = |p: usize| timings[WORKERS.iter().position(|&q| q == p).unwrap()].best;
                target = Some((points[1].efficiency, best(1) / best(2) / 2.0));
            }
            let up_to = fit_range(work);
            let (f, limit) = fit_cells(&samples, up_to);
            let predicted = |p: usize| {
                let within: Vec<Sample> = samples
                    .iter()
                    .copied()
                    .filter(|s| s.workers <= up_to)
                    .collect();
                measure::fit_serial_fraction(&within)
                    .ok()
                    .map(|f| f.clamp(0.0, 1.0))
                    .and_then(|f| measure::amdahl_speedup(f, p).ok())
            };
            let measured = |p: usize| points.iter().find(|x| x.workers == p).map(|x| x.speedup);
            let _ = writeln!(
                fits,
                "| {} | {} | 1–{} | {f} | {limit} | {} / {} | {} / {} | {} |",
                work.name(),
                strategy.name(),
                up_to,
                fmt_f(predicted(2)),
                fmt_f(measured(2)),
                fmt_f(predicted(4)),
                fmt_f(measured(4)),
                fit_cells(&best_samples, up_to).0,
            );
            series.push(Series {
                label: strategy.name().to_string(),
                color: strategy.color(),
                dash: if strategy == Strategy::GlobalLock {
                    "6,3"
                } else {
                    ""
                },
                points: best_points.iter().map(|p| (p.workers, p.speedup)).collect(),
            });
        }
        rust_panels.push((format!("Rust, {} tasks", work.name()), series));
    }
    let _ = writeln!(
        out,
        "\n**Fitted serial fraction** (Amdahl, least squares over the medians; for CPU-bound work only up to the {cpus} CPU(s) this run could use, since oversubscription is not serial code):\n"
    );
    out.push_str(&fits);
    // ANCHOR: gustafson
    // Gustafson's scaled speedup: p workers do p times the work in Tp(p x N); one worker
    // would need p x T1(N) for it (the serial part is a few microseconds here).
    let _ = writeln!(
        out,
        "\n**Gustafson** (the problem grows with the machine: p × {TASKS} tasks on p workers, \
         the Pool): scaled speedup p·T1 / Tp(p × {TASKS}) against S(p) = p − α(p − 1), \
         α taken as the fitted serial fraction f above:\n\n\
         | work | p | tasks | wall ms (median) | scaled speedup | Gustafson p − f(p − 1) |\n\
         |---|--:|--:|--:|--:|--:|"
    );
    for work in [Work::Cpu, Work::Sleep] {
        let t1 = configs
            .iter()
            .find(|c| c.work == work && c.strategy == Strategy::Pool && c.p == 1)
            .expect("Pool on 1 worker ran")
            .timing()
            .wall;
        for c in configs
            .iter()
            .filter(|c| c.work == work && c.strategy == Strategy::Pool && c.tasks == c.p * TASKS)
        {
            let tp = c.timing().wall;
            let predicted = pool_fit[work as usize]
                .and_then(|f| measure::gustafson_speedup(f.clamp(0.0, 1.0), c.p).ok());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {:.2} | {} |",
                work.name(),
                c.p,
                c.tasks,
                tp * 1e3,
                c.p as f64 * t1 / tp,
                fmt_f(predicted)
            );
        }
    }
    // ANCHOR_END: gustafson

    if cpus < 2 {
        let _ = writeln!(
            out,
            "\n**Target** (issue 5, efficiency above {TARGET_EFFICIENCY} at 2 workers): not \
             applicable to this run, which could use only {cpus} CPU."
        );
    } else if let Some((median_e, best_e)) = target {
        let verdict = |e: f64| {
            if e > TARGET_EFFICIENCY {
                "met"
            } else {
                "not met"
            }
        };
        let _ = writeln!(
            out,
            "\n**Target** (issue 5): efficiency above {TARGET_EFFICIENCY} at 2 workers for \
             coarse CPU-bound tasks with the Pool: E = {median_e:.3} from the medians \
             ({}), {best_e:.3} from the best runs ({}).",
            verdict(median_e),
            verdict(best_e)
        );
        println!("target: E(2) = {median_e:.3} median, {best_e:.3} best");
    }

    // python3: threads against processes.
    let mut py_panel = Vec::new();
    let _ = writeln!(out, "\n**python3** (`benches/gil.py`, same run):\n");
    match &python {
        Ok((note, rows)) => {
            let _ = writeln!(
                out,
                "{note}; median and fastest of {ROUNDS}. A process pool's work runs in its children, so \
                 its CPU column is empty.\n\n\
                 | work | executor | p | wall ms (median) | wall ms (best) | CPU ms | CPU / wall | \
                 speedup S | efficiency E | Karp–Flatt e | S (best) | E (best) |\n\
                 |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
            );
            for (exec, work, color, dash) in [
                ("threads", "cpu", "#a50f15", "6,3"),
                ("processes", "cpu", "#08519c", ""),
                ("threads", "sleep", "#31a354", ""),
            ] {
                let mine: Vec<&PyRow> =
                    rows.iter().filter(|r| r.0 == exec && r.1 == work).collect();
                let samples: Vec<Sample> = mine
                    .iter()
                    .map(|r| Sample {
                        workers: r.2,
                        seconds: r.3,
                    })
                    .collect();
                let best_samples: Vec<Sample> = mine
                    .iter()
                    .map(|r| Sample {
                        workers: r.2,
                        seconds: r.5,
                    })
                    .collect();
                let (Ok(points), Ok(best_points)) =
                    (measure::scaling(&samples), measure::scaling(&best_samples))
                else {
                    let _ = writeln!(out, "| {work} | {exec} | (no usable times) |");
                    continue;
                };
                for ((r, pt), bp) in mine.iter().zip(&points).zip(&best_points) {
                    let (cpu, ratio) = if r.4.is_nan() {
                        ("—".to_string(), "—".to_string())
                    } else {
                        (format!("{:.1}", r.4 * 1e3), format!("{:.2}", r.4 / r.3))
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {exec} | {} | {:.1} | {:.1} | {cpu} | {ratio} | {:.2} | {:.2} | {} | {:.2} | {:.2} |",
                        if work == "cpu" {
                            "CPU-bound"
                        } else {
                            "sleeping"
                        },
                        r.2,
                        r.3 * 1e3,
                        r.5 * 1e3,
                        pt.speedup,
                        pt.efficiency,
                        fmt_f(pt.karp_flatt),
                        bp.speedup,
                        bp.efficiency
                    );
                }
                py_panel.push(Series {
                    label: format!(
                        "{exec}, {}",
                        if work == "cpu" {
                            "CPU-bound"
                        } else {
                            "sleeping"
                        }
                    ),
                    color,
                    dash,
                    points: best_points.iter().map(|p| (p.workers, p.speedup)).collect(),
                });
            }
        }
        Err(e) => {
            let _ = writeln!(out, "not measured: {e}");
        }
    }

    let suffix = if machine.pinned() { "_pinned" } else { "" };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/measuring");
    std::fs::create_dir_all(dir).expect("book/src/measuring");
    let table = format!("{dir}/table{suffix}.md");
    std::fs::write(&table, &out).expect("write the table");
    let mut panels = rust_panels;
    if !py_panel.is_empty() {
        panels.push(("python3, 12 tasks".to_string(), py_panel));
    }
    let caption = format!(
        "{} · {} of {} CPUs usable · load {} → {} · speedup of the fastest of {ROUNDS} runs \
         (the least disturbed; medians in the table)",
        machine.date, cpus, machine.online, load_before, load_after
    );
    let svg = format!("{dir}/speedup{suffix}.svg");
    std::fs::write(&svg, plot(&panels, cpus, &caption)).expect("write the plot");
    println!("{out}\n(written to {table} and {svg})");
}
