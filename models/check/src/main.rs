//! `threadproof-check`: the check report (`cargo run --release` at the repository root).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use threadproof::counter::flawed::RacyCounter;
use threadproof::counter::{AtomicCounter, Counter, LockingCounter};
use threadproof_check::harness::{self, Checker, Replay, Settings, workspace_root};
use threadproof_check::registry::{self, Check};
use threadproof_check::report::{self, Summary, Times};
use threadproof_check::timeline::Timeline;

const USAGE: &str = "\
threadproof-check: run every pattern's model checks and print the report

usage:
  threadproof-check [--pattern NAME]... [--checker NAME]... [--seed N] [--trace] [--outcomes]
  threadproof-check --list
  threadproof-check demo [--threads N] [--increments N]
  threadproof-check replay ID (--schedule S | --checkpoint FILE) [--log]

options:
  --pattern NAME   only this pattern (repeat for several); see --list
  --checker NAME   only this checker: loom, shuttle-pct, shuttle-random, or shuttle (both)
  --seed N         seed for shuttle's schedulers (default: the fixed seed, so runs repeat)
  --trace          print the interleaving of each failure found, as a per-thread timeline
                   (the shortest found: loom's, or shuttle's over 8 seeds)
  --outcomes       print the outcome tables: every final outcome of each small test over
                   every loom schedule, acceptable or FORBIDDEN
  --list           list patterns, their models and checks, and exit
  demo             the seed's experiment on real threads: N threads x M increments
                   (default 5 x 100000) with the racy, locking and atomic counters
  replay ID        rerun one failing schedule: a shuttle schedule string or a loom
                   checkpoint file, as printed under the report; --log prints loom's
                   execution log

exit status: 0 when every reference holds and every flawed variant is caught with its kind;
1 when a reference fails or a flawed variant escapes; 2 on a usage error.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("replay") => replay(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => run(&args),
    };
    result.unwrap_or_else(|message| {
        eprintln!("error: {message}\n\n{USAGE}");
        ExitCode::from(2)
    })
}

/// Pulls the value of `--flag VALUE` (or `--flag=VALUE`) from `args[*i]`.
fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> Result<&'a str, String> {
    let arg = &args[*i];
    if let Some(v) = arg.strip_prefix(flag).and_then(|v| v.strip_prefix('=')) {
        return Ok(v);
    }
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag}: '{text}' is not a valid number"))
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let all = registry::all();
    let patterns = registry::patterns();
    let mut want_patterns: Vec<String> = Vec::new();
    let mut want_checkers: Vec<Checker> = Vec::new();
    let mut settings = Settings::default();
    let mut list = false;
    let mut trace = false;
    let mut outcomes = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if arg.starts_with("--pattern") {
            let p = value(args, &mut i, "--pattern")?;
            if !patterns.contains(&p) {
                return Err(format!(
                    "no pattern '{p}'; patterns: {}",
                    patterns.join(", ")
                ));
            }
            want_patterns.push(p.to_string());
        } else if arg.starts_with("--checker") {
            match value(args, &mut i, "--checker")? {
                "shuttle" => want_checkers.extend([Checker::ShuttlePct, Checker::ShuttleRandom]),
                name => want_checkers.push(
                    Checker::ALL
                        .into_iter()
                        .find(|c| c.name() == name)
                        .ok_or_else(|| {
                            format!(
                                "no checker '{name}'; checkers: loom, shuttle-pct, shuttle-random, shuttle"
                            )
                        })?,
                ),
            }
        } else if arg.starts_with("--seed") {
            settings.seed = number(value(args, &mut i, "--seed")?, "--seed")?;
        } else if arg == "--list" || arg == "list" {
            list = true;
        } else if arg == "--trace" {
            trace = true;
        } else if arg == "--outcomes" {
            outcomes = true;
        } else {
            return Err(format!("unknown argument '{arg}'"));
        }
        i += 1;
    }
    let checks: Vec<Check> = all
        .into_iter()
        .filter(|c| want_patterns.is_empty() || want_patterns.iter().any(|p| p == c.model.pattern))
        .filter(|c| want_checkers.is_empty() || want_checkers.contains(&c.checker))
        .collect();
    if list {
        print_list(&checks);
        return Ok(ExitCode::SUCCESS);
    }
    let root = workspace_root();
    let started = Instant::now();
    let rows = report::run_all(&checks, &settings);
    println!();
    print!("{}", report::render_table(&rows, Times::Shown));
    println!();
    let failures = report::render_failures(&rows, &root);
    if !failures.is_empty() {
        print!("{failures}");
        println!();
    }
    if trace {
        print_traces(&rows, &settings);
    }
    let mut tables_ok = true;
    if outcomes {
        for test in threadproof_check::on_loom::bodies::outcome_tests() {
            if want_patterns.is_empty() || want_patterns.iter().any(|p| p == test.pattern) {
                let table = test.run();
                tables_ok &= table.as_expected();
                println!("{}", table.render());
            }
        }
    }
    print!("{}", report::render_summary(&rows));
    println!(
        "seed {:#x}; {:.1}s in all",
        settings.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(if Summary::of(&rows).is_bad() || !tables_ok {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// For every model a checker caught, the shortest failing interleaving found by the checkers
/// that ran (shuttle tries 8 seeds), as a per-thread timeline.
fn print_traces(rows: &[report::Row], settings: &Settings) {
    let mut done: Vec<String> = Vec::new();
    for row in rows {
        let model = &row.check.model;
        let failed = row.outcome.as_ref().is_some_and(|o| o.failure.is_some());
        if !failed || done.contains(&model.id()) {
            continue;
        }
        done.push(model.id());
        let runs: Vec<_> = rows
            .iter()
            .filter(|r| r.check.model.id() == model.id() && r.outcome.is_some())
            .map(|r| (r.check.model, r.check.checker))
            .collect();
        match harness::shortest_failure(&runs, settings, 8) {
            Some(traced) => {
                let seed = traced
                    .seed
                    .map(|s| format!(", seed {s:#x}"))
                    .unwrap_or_default();
                println!(
                    "trace: {} (shortest found: {}{seed})",
                    model.id(),
                    traced.checker
                );
                print!("{}", traced.timeline.render_text());
                println!();
            }
            None => println!("trace: {}: the failure did not recur\n", model.id()),
        }
    }
}

fn print_list(checks: &[Check]) {
    let mut last_pattern = "";
    for check in checks {
        let m = &check.model;
        if m.pattern != last_pattern {
            println!("{}", m.pattern);
            last_pattern = m.pattern;
        }
        let expect = match m.expect {
            harness::Expect::Holds => "must hold".to_string(),
            harness::Expect::Caught(kind) => format!("must be caught: {kind}"),
        };
        let plan = match check.checker {
            _ if m.skip_reason(check.checker).is_some() => {
                format!(
                    "not run ({})",
                    m.skip_reason(check.checker).unwrap_or_default()
                )
            }
            Checker::Loom => match m.loom {
                harness::LoomPlan::Bounded { preemptions, why } => {
                    format!("preemption bound {preemptions} ({why})")
                }
                _ => "exhaustive".to_string(),
            },
            Checker::ShuttlePct => format!(
                "{} executions, depth {}",
                m.shuttle.iterations, m.shuttle.pct_depth
            ),
            Checker::ShuttleRandom => format!("{} executions", m.shuttle.iterations),
        };
        println!("  {}  [{expect}; {plan}]", check.id());
    }
}

fn replay(args: &[String]) -> Result<ExitCode, String> {
    let id = args.first().ok_or("replay needs a check id (see --list)")?;
    let check = registry::all()
        .into_iter()
        .find(|c| &c.id() == id)
        .ok_or_else(|| format!("no check '{id}' (see --list)"))?;
    let mut how = None;
    let mut log = false;
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].as_str();
        if arg.starts_with("--schedule") {
            how = Some(Replay::Shuttle(
                value(args, &mut i, "--schedule")?.to_string(),
            ));
        } else if arg.starts_with("--checkpoint") {
            let path = PathBuf::from(value(args, &mut i, "--checkpoint")?);
            let path = if path.is_relative() && !path.exists() {
                workspace_root().join(path)
            } else {
                path
            };
            how = Some(Replay::LoomCheckpoint(path));
        } else if arg == "--log" {
            log = true;
        } else {
            return Err(format!("unknown argument '{arg}'"));
        }
        i += 1;
    }
    let how = how.ok_or("replay needs --schedule S (shuttle) or --checkpoint FILE (loom)")?;
    match (&how, check.checker) {
        (Replay::Shuttle(_), Checker::ShuttlePct | Checker::ShuttleRandom) => {}
        (Replay::LoomCheckpoint(_), Checker::Loom) => {}
        _ => {
            return Err(format!(
                "{id} runs under {}: use --schedule for shuttle checks, --checkpoint for loom checks",
                check.checker
            ));
        }
    }
    let replayed = harness::replay(&check.model, &how, log)?;
    match replayed.failure {
        Some(message) if harness::is_replay_mismatch(&message) => Err(format!(
            "the schedule does not fit {id} (another check's schedule, or the code changed): {}",
            message.lines().next().unwrap_or_default()
        )),
        Some(message) => {
            let kind = harness::Kind::of_message(&message);
            let timeline = Timeline::new(replayed.events, replayed.dropped, kind, &message);
            println!("{id}: the replayed schedule fails again ({kind}):\n");
            print!("{}", timeline.render_text());
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("{id}: the replayed schedule passed (was the code changed since?)");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The seed's experiment on real threads.
fn demo(args: &[String]) -> Result<ExitCode, String> {
    let (mut threads, mut increments) = (5u64, 100_000u64);
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if arg.starts_with("--threads") {
            threads = number(value(args, &mut i, "--threads")?, "--threads")?;
        } else if arg.starts_with("--increments") {
            increments = number(value(args, &mut i, "--increments")?, "--increments")?;
        } else {
            return Err(format!("unknown argument '{arg}'"));
        }
        i += 1;
    }
    if threads == 0 || threads > 1024 {
        return Err(format!("--threads must be 1..=1024, not {threads}"));
    }
    println!(
        "{threads} threads x {increments} increments on real threads ({} CPUs)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let racy = experiment::<RacyCounter>(threads, increments);
    let locking = experiment::<LockingCounter>(threads, increments);
    let atomic = experiment::<AtomicCounter>(threads, increments);
    for (name, (found, took)) in [("racy", racy), ("locking", locking), ("atomic", atomic)] {
        let expected = threads * increments;
        let lost = expected - found;
        println!(
            "{name:>8}: Counter should be {expected}, got {found} ({lost} lost, {:.1} ms)",
            took * 1e3
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn experiment<C: Counter + Default + 'static>(threads: u64, increments: u64) -> (u64, f64) {
    let counter = Arc::new(C::default());
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                for _ in 0..increments {
                    counter.increment(1);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked");
    }
    (counter.count(), start.elapsed().as_secs_f64())
}
