//! The check report: runs checks, shows progress, prints the table and how to replay.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{self, Outcome, Replay, Settings, Verdict};
use crate::registry::Check;

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Row {
    /// What ran.
    pub check: Check,
    /// What it found, or `None` when the model does not run under this checker.
    pub outcome: Option<Outcome>,
    /// Found against expected.
    pub verdict: Verdict,
}

/// Runs one check.
pub fn run_check(check: &Check, settings: &Settings, progress: &Arc<AtomicUsize>) -> Row {
    if let Some(why) = check.model.skip_reason(check.checker) {
        return Row {
            check: *check,
            outcome: None,
            verdict: Verdict::Skipped(why),
        };
    }
    let outcome = harness::run(&check.model, check.checker, settings, progress);
    let verdict = outcome.verdict(check.model.expect);
    Row {
        check: *check,
        outcome: Some(outcome),
        verdict,
    }
}

/// Runs every check in turn, reporting progress on stderr: one line per finished check, and
/// while a check runs longer than a second, the schedules explored so far.
pub fn run_all(checks: &[Check], settings: &Settings) -> Vec<Row> {
    let progress = Arc::new(AtomicUsize::new(0));
    let mut rows = Vec::with_capacity(checks.len());
    let tty = std::io::stderr().is_terminal();
    crate::quiet::install();
    for (i, check) in checks.iter().enumerate() {
        let label = format!("[{}/{}] {}", i + 1, checks.len(), check.id());
        let done = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (done, progress, label) = (Arc::clone(&done), Arc::clone(&progress), label.clone());
            std::thread::spawn(move || tick(&label, &done, &progress, tty))
        };
        let row = run_check(check, settings, &progress);
        done.store(true, Ordering::Relaxed);
        let _ = ticker.join();
        let mut err = crate::quiet::stderr();
        let clear = if tty { "\r\x1b[2K" } else { "" };
        let _ = writeln!(err, "{clear}{label}: {}", row_summary(&row));
        rows.push(row);
    }
    rows
}

fn tick(label: &str, done: &AtomicBool, progress: &AtomicUsize, tty: bool) {
    let start = Instant::now();
    // Terminals get a live counter; logs get a line every 10 s of a long check.
    let every = if tty {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(10)
    };
    let mut next = Duration::from_secs(1);
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        let elapsed = start.elapsed();
        if elapsed >= next {
            next = elapsed + every;
            let n = progress.load(Ordering::Relaxed);
            let mut err = crate::quiet::stderr();
            if tty {
                let _ = write!(err, "\r\x1b[2K{label}: {n} schedules, {elapsed:.0?}");
            } else {
                let _ = writeln!(err, "{label}: still running, {n} schedules, {elapsed:.0?}");
            }
            let _ = err.flush();
        }
    }
}

fn row_summary(row: &Row) -> String {
    match &row.outcome {
        Some(o) => format!(
            "{} ({} schedules, {:.2}s)",
            row.verdict,
            o.schedules,
            o.elapsed.as_secs_f64()
        ),
        None => row.verdict.to_string(),
    }
}

/// Counts of verdicts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// References that held.
    pub holds: usize,
    /// Flawed variants caught with their kind.
    pub caught: usize,
    /// Flawed variants not caught.
    pub escaped: usize,
    /// References that failed, or flawed variants caught with the wrong kind.
    pub failed: usize,
    /// Models that do not run under a checker.
    pub skipped: usize,
}

impl Summary {
    /// Tallies the rows.
    pub fn of(rows: &[Row]) -> Summary {
        let mut s = Summary::default();
        for row in rows {
            match row.verdict {
                Verdict::Holds => s.holds += 1,
                Verdict::Caught(_) => s.caught += 1,
                Verdict::Escaped => s.escaped += 1,
                Verdict::Failed(_) => s.failed += 1,
                Verdict::Skipped(_) => s.skipped += 1,
            }
        }
        s
    }

    /// True when a reference failed or a flawed variant escaped.
    pub fn is_bad(&self) -> bool {
        self.escaped + self.failed > 0
    }
}

/// How times are shown: measured, or redacted for snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// Seconds with two decimals.
    Shown,
    /// `[time]`.
    Redacted,
}

/// The table: pattern, variant, model, checker, schedules, verdict, time.
pub fn render_table(rows: &[Row], times: Times) -> String {
    let header = [
        "pattern",
        "variant",
        "model",
        "checker",
        "schedules",
        "verdict",
        "time",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            let m = &row.check.model;
            let (schedules, time) = match &row.outcome {
                Some(o) => (
                    o.schedules.to_string(),
                    match times {
                        Times::Shown => format!("{:.2}s", o.elapsed.as_secs_f64()),
                        Times::Redacted => "[time]".to_string(),
                    },
                ),
                None => ("-".to_string(), "-".to_string()),
            };
            let verdict = match &row.verdict {
                // The full message goes below the table; the cell stays one line.
                Verdict::Failed(_) => "FAILED".to_string(),
                v => v.to_string(),
            };
            [
                m.pattern.to_string(),
                m.variant.to_string(),
                m.scenario.to_string(),
                row.check.checker.to_string(),
                schedules,
                verdict,
                time,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for line in &cells {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cols.iter().zip(widths).enumerate() {
            // Numbers right-aligned, text left-aligned.
            if i == 4 || i == 6 {
                let _ = write!(text, "{cell:>w$}  ");
            } else {
                let _ = write!(text, "{cell:<w$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.map(String::from));
    line(&widths.map(|w| "-".repeat(w)));
    for cells in &cells {
        line(cells);
    }
    out
}

/// The summary line.
pub fn render_summary(rows: &[Row]) -> String {
    let s = Summary::of(rows);
    let verdict = if s.is_bad() { "FAIL" } else { "ok" };
    format!(
        "{verdict}: {} checks: {} hold, {} caught, {} escaped, {} failed, {} skipped\n",
        rows.len(),
        s.holds,
        s.caught,
        s.escaped,
        s.failed,
        s.skipped
    )
}

/// For every failure found: what broke, and the command that replays it.
pub fn render_failures(rows: &[Row], root: &Path) -> String {
    let mut out = String::new();
    for row in rows {
        let Some(failure) = row.outcome.as_ref().and_then(|o| o.failure.as_ref()) else {
            continue;
        };
        let id = row.check.id();
        let _ = writeln!(out, "{id}: {}", row.verdict);
        let _ = writeln!(out, "  panic: {}", first_line(&failure.message));
        match &failure.replay {
            Replay::Shuttle(schedule) => {
                let _ = writeln!(
                    out,
                    "  replay: cargo run --release -- replay {id} --schedule {schedule}"
                );
            }
            Replay::LoomCheckpoint(path) => {
                let shown = path.strip_prefix(root).unwrap_or(path);
                let _ = writeln!(
                    out,
                    "  replay: cargo run --release -- replay {id} --checkpoint {} --log",
                    shown.display()
                );
            }
            Replay::Unavailable(why) => {
                let _ = writeln!(out, "  replay: unavailable ({why})");
            }
        }
    }
    for row in rows {
        if let Verdict::Escaped = row.verdict {
            let _ = writeln!(
                out,
                "{}: ESCAPED: no schedule failed, so this check cannot tell the flawed variant from a correct one",
                row.check.id()
            );
        }
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
