//! Every check in the registry as a test: a reference must hold, a flawed variant must be
//! caught with its kind. Then every caught shuttle failure is replayed from its recorded
//! schedule and must fail again the same way, and every caught loom failure from its
//! checkpoint.
//!
//! Each reference's check also compares what it explored with its cell in the book's table
//! of the pattern's models (`book/src/models/<pattern>.md`), and one trial per pattern
//! (`<pattern>/book-table`) compares that table's rows with the registry; see
//! `threadproof_check::book_table`. `THREADPROOF_BLESS=1` rewrites the tables.
//!
//! The checks come from `threadproof_check::registry::all()`, so a model added to a pattern's
//! `bodies/` file is a test here without further code. Bounds are those of the models: loom
//! exhaustive unless the model states a preemption bound, shuttle 1,000 executions per
//! scheduler with PCT depth 3 (`ShuttlePlan::DEFAULT`) unless the model says otherwise.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use libtest_mimic::{Arguments, Failed, Trial};
use threadproof_check::book_table;
use threadproof_check::harness::{self, Expect, Kind, Replay, Settings, Verdict};
use threadproof_check::registry::{self, Check};
use threadproof_check::report::run_check;

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for pattern in registry::patterns() {
        trials.push(Trial::test(format!("{pattern}/book-table"), move || {
            Ok(book_table::check_rows(pattern)?)
        }));
    }
    for check in registry::all() {
        if check.model.skip_reason(check.checker).is_some() {
            continue;
        }
        trials.push(Trial::test(check.id(), move || verdict_matches(&check)));
        if check.model.expect != Expect::Holds {
            trials.push(Trial::test(format!("{}/replay", check.id()), move || {
                replay_reproduces(&check)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn settings_for(check: &Check, trial: &str) -> Settings {
    // Each trial writes its loom checkpoints to its own directory: trials run in parallel.
    Settings {
        replay_dir: harness::workspace_root()
            .join("target/threadproof/test-replay")
            .join(check.id().replace('/', "."))
            .join(trial),
        ..Settings::default()
    }
}

fn verdict_matches(check: &Check) -> Result<(), Failed> {
    let row = run_check(
        check,
        &settings_for(check, "verdict"),
        &Arc::new(AtomicUsize::new(0)),
    );
    let want = match check.model.expect {
        Expect::Holds => Verdict::Holds,
        Expect::Caught(kind) => Verdict::Caught(kind),
    };
    if row.verdict != want {
        return Err(format!("expected {want}, got {}", row.verdict).into());
    }
    // A reference's cell in the book's table must say what was just explored.
    Ok(book_table::check_cell(&row)?)
}

fn replay_reproduces(check: &Check) -> Result<(), Failed> {
    let Expect::Caught(want) = check.model.expect else {
        return Ok(());
    };
    let row = run_check(
        check,
        &settings_for(check, "replay"),
        &Arc::new(AtomicUsize::new(0)),
    );
    let failure = row
        .outcome
        .and_then(|o| o.failure)
        .ok_or("the flawed variant was not caught, so there is nothing to replay")?;
    if let Replay::Unavailable(why) = &failure.replay {
        return Err(format!("no replay recorded: {why}").into());
    }
    let replayed = harness::replay(&check.model, &failure.replay, false)?;
    let message = replayed.failure.ok_or("the replayed schedule passed")?;
    if replayed.events.is_empty() {
        return Err("the replay recorded no trace".into());
    }
    let kind = Kind::of_message(&message);
    if kind != want {
        return Err(format!("the replay failed with {kind}, not {want}: {message}").into());
    }
    if message != failure.message {
        return Err(format!(
            "the replay failed differently:\n  found:  {}\n  replay: {message}",
            failure.message
        )
        .into());
    }
    Ok(())
}
