//! The harness: one model body, every checker.
//!
//! A [`Model`] is a plain `fn()` that spawns threads through the facade and states what must
//! hold with [`require!`](crate::require). Its file is compiled once per world (see
//! `bodies/mod.rs`), so the same body runs on loom's primitives under [`Checker::Loom`] and on
//! shuttle's under [`Checker::ShuttlePct`] and [`Checker::ShuttleRandom`].
//!
//! [`run`] explores the model and returns an [`Outcome`]: how many schedules ran, and the
//! first failure with its [`Kind`] and how to replay it. [`Outcome::verdict`] compares that
//! with what the model expects: a reference must hold, a flawed variant must be caught with the
//! kind of bug it exhibits.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::quiet;
use crate::record::Recording;

/// The kind of bug a failed check exhibits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Two read-modify-writes interleaved and one increment vanished.
    LostUpdate,
    /// A thread read a value another thread bound.
    CrossTalk,
    /// A task ran with context left behind by an earlier task on the same thread.
    StaleContext,
    /// More permits were out, or available, than a semaphore's count allows.
    OverPermit,
    /// A thread took a lock out of the global lock order (reported by the ordered-locking
    /// helper's debug check, `lock_order::OrderedMutex`, before any deadlock happens).
    LockOrder,
    /// Every live thread is blocked (reported by the checker itself). A missed wakeup shows up
    /// as this too: the thread that slept through its notification never runs again.
    Deadlock,
    /// A thread kept running without making progress (the checker's step bound ran out).
    Livelock,
    /// A value was dropped a wrong number of times, or not at all.
    Leak,
    /// An item put into a queue was never delivered (nor handed back).
    LostItem,
    /// An item put once was delivered twice.
    DuplicateItem,
    /// Items from one producer reached a consumer out of their FIFO order.
    OutOfOrder,
    /// A bounded queue held more items than its capacity.
    Overfill,
    /// `join` returned while a task was still unfinished.
    EarlyJoin,
    /// Data was read before the write that publishes it was ordered before the read, or
    /// overwritten while still being read (loom: "Causality violation" on a tracked cell).
    TornRead,
    /// Anything else: a panic the model did not classify. Always a failure of the model.
    Unclassified,
}

impl Kind {
    /// Every kind, for parsing and listing.
    pub const ALL: [Kind; 15] = [
        Kind::LostUpdate,
        Kind::CrossTalk,
        Kind::StaleContext,
        Kind::OverPermit,
        Kind::LockOrder,
        Kind::Deadlock,
        Kind::Livelock,
        Kind::Leak,
        Kind::LostItem,
        Kind::DuplicateItem,
        Kind::OutOfOrder,
        Kind::Overfill,
        Kind::EarlyJoin,
        Kind::TornRead,
        Kind::Unclassified,
    ];

    /// The words used in reports and in `require!` tags.
    pub fn name(self) -> &'static str {
        match self {
            Kind::LostUpdate => "lost update",
            Kind::CrossTalk => "cross-talk",
            Kind::StaleContext => "stale context",
            Kind::OverPermit => "over-permit",
            Kind::LockOrder => "lock order",
            Kind::Deadlock => "deadlock",
            Kind::Livelock => "livelock",
            Kind::Leak => "leak",
            Kind::LostItem => "lost item",
            Kind::DuplicateItem => "duplicate item",
            Kind::OutOfOrder => "out of order",
            Kind::Overfill => "overfill",
            Kind::EarlyJoin => "early join",
            Kind::TornRead => "torn read",
            Kind::Unclassified => "unclassified panic",
        }
    }

    /// Classifies a panic message: a `require!` tag, or the checkers' own deadlock and step-bound
    /// reports.
    pub fn of_message(message: &str) -> Kind {
        if let Some(rest) = message.strip_prefix('[')
            && let Some((tag, _)) = rest.split_once(']')
            && let Some(kind) = Kind::ALL.into_iter().find(|k| k.name() == tag)
        {
            return kind;
        }
        // `lock_order::OrderedMutex`'s debug check: "lock order violation: ...".
        if message.starts_with("lock order violation") {
            return Kind::LockOrder;
        }
        // loom: "deadlock; threads = ..."; shuttle: "deadlock! blocked tasks: [...]".
        if message.starts_with("deadlock") {
            return Kind::Deadlock;
        }
        // loom, on an `UnsafeCell` (or unsync) access no happens-before edge orders after a
        // conflicting one: "Causality violation: Concurrent read and write accesses ...".
        if message.starts_with("Causality violation") {
            return Kind::TornRead;
        }
        // shuttle: "exceeded max_steps bound"; loom: "Model exceeded maximum number of branches".
        if message.contains("max_steps") || message.contains("maximum number of branches") {
            return Kind::Livelock;
        }
        Kind::Unclassified
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// States what must hold in a model; on failure, panics with the bug's kind as a tag so the
/// harness can classify it: `require!(count == 2, Kind::LostUpdate, "count is {count}")`.
#[macro_export]
macro_rules! require {
    ($cond:expr, $kind:expr, $($msg:tt)+) => {
        if !$cond {
            ::std::panic!("[{}] {}", $crate::harness::Kind::name($kind), ::std::format!($($msg)+));
        }
    };
}

/// What a model is expected to do under every checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A reference: no schedule may fail.
    Holds,
    /// A flawed variant: some schedule must fail with this kind.
    Caught(Kind),
}

/// How loom explores a model.
#[derive(Debug, Clone, Copy)]
pub enum LoomPlan {
    /// Every schedule, no bound.
    Exhaustive,
    /// Schedules with at most `preemptions` preemptions per execution; `why` says why the
    /// bound is needed and why it still covers the bug class.
    Bounded {
        /// The preemption bound.
        preemptions: usize,
        /// The reason, printed in the report's list.
        why: &'static str,
    },
    /// Not run under loom; `why` says why (too many threads for exhaustive search, say).
    Skip(&'static str),
}

/// How shuttle explores a model.
#[derive(Debug, Clone, Copy)]
pub struct ShuttlePlan {
    /// Executions per scheduler (PCT and random each run this many).
    pub iterations: usize,
    /// PCT's bug depth: the number of priority change points plus one.
    pub pct_depth: usize,
}

impl ShuttlePlan {
    /// 1,000 executions per scheduler, PCT depth 3: enough for the small models here; every
    /// flawed variant is caught well inside it (the report shows after how many).
    pub const DEFAULT: ShuttlePlan = ShuttlePlan {
        iterations: 1_000,
        pct_depth: 3,
    };

    /// Not run under shuttle (zero iterations): for models of memory orderings, which shuttle
    /// cannot see — it runs every atomic access as SeqCst and does not track cells, so a
    /// flawed ordering would always escape. The report shows it as skipped with
    /// [`SHUTTLE_SKIP_REASON`].
    pub const SKIP: ShuttlePlan = ShuttlePlan {
        iterations: 0,
        pct_depth: 0,
    };

    /// True for [`ShuttlePlan::SKIP`].
    pub fn is_skip(&self) -> bool {
        self.iterations == 0
    }
}

/// Why a model with [`ShuttlePlan::SKIP`] does not run under shuttle.
pub const SHUTTLE_SKIP_REASON: &str =
    "a memory-ordering model: shuttle runs every atomic as SeqCst; loom checks orderings";

/// One model: a body and what it must show.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// The pattern's module name, e.g. `counter`.
    pub pattern: &'static str,
    /// The implementation under test, e.g. `locking` or `racy (flawed)`.
    pub variant: &'static str,
    /// What the body does, e.g. `2 threads x 2 increments`.
    pub scenario: &'static str,
    /// Holds, or caught with a kind.
    pub expect: Expect,
    /// The body: spawns threads through the facade, asserts with `require!`.
    pub body: fn(),
    /// How loom runs it.
    pub loom: LoomPlan,
    /// How shuttle runs it.
    pub shuttle: ShuttlePlan,
}

/// The checkers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Checker {
    /// loom: exhaustive (or preemption-bounded) exploration.
    Loom,
    /// shuttle with the PCT scheduler (probabilistic concurrency testing).
    ShuttlePct,
    /// shuttle with the uniform random scheduler.
    ShuttleRandom,
}

impl Checker {
    /// Every checker, in report order.
    pub const ALL: [Checker; 3] = [Checker::Loom, Checker::ShuttlePct, Checker::ShuttleRandom];

    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Checker::Loom => "loom",
            Checker::ShuttlePct => "shuttle-pct",
            Checker::ShuttleRandom => "shuttle-random",
        }
    }
}

impl fmt::Display for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The default seed for shuttle's schedulers, so runs are deterministic ("threadpr" in ASCII).
pub const DEFAULT_SEED: u64 = 0x7468_7265_6164_7072;

/// How to reproduce a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// A shuttle schedule string for `shuttle::replay` (or `threadproof-check replay`).
    Shuttle(String),
    /// A loom checkpoint file: loom starts from the failing execution when given it
    /// (`LOOM_CHECKPOINT_FILE`, or `threadproof-check replay`).
    LoomCheckpoint(PathBuf),
    /// The checkpoint could not be written (the reason).
    Unavailable(String),
}

/// The first failure a checker found.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The bug's kind.
    pub kind: Kind,
    /// The panic message.
    pub message: String,
    /// How to see it again.
    pub replay: Replay,
}

/// What one checker found for one model.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The checker that ran.
    pub checker: Checker,
    /// Schedules (executions) explored, including the failing one.
    pub schedules: usize,
    /// The first failure, if any.
    pub failure: Option<Failure>,
    /// Wall time.
    pub elapsed: Duration,
}

/// The verdict of one check against its expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A reference held on every schedule explored.
    Holds,
    /// A flawed variant was caught with the expected kind.
    Caught(Kind),
    /// A flawed variant was not caught: the check could not fail. Counts as a failure.
    Escaped,
    /// A reference failed, or a flawed variant failed with an unexpected kind.
    Failed(String),
    /// The model does not run under this checker (the reason).
    Skipped(&'static str),
}

impl Verdict {
    /// True when the report must exit non-zero for this verdict.
    pub fn is_bad(&self) -> bool {
        matches!(self, Verdict::Escaped | Verdict::Failed(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Holds => f.write_str("holds"),
            Verdict::Caught(kind) => write!(f, "caught: {kind}"),
            Verdict::Escaped => f.write_str("ESCAPED"),
            Verdict::Failed(why) => write!(f, "FAILED: {why}"),
            Verdict::Skipped(_) => f.write_str("skipped"),
        }
    }
}

impl Outcome {
    /// Compares what the checker found with what the model expects.
    pub fn verdict(&self, expect: Expect) -> Verdict {
        match (expect, &self.failure) {
            (Expect::Holds, None) => Verdict::Holds,
            (Expect::Holds, Some(f)) => Verdict::Failed(format!("{}: {}", f.kind, f.message)),
            (Expect::Caught(_), None) => Verdict::Escaped,
            (Expect::Caught(want), Some(f)) if f.kind == want => Verdict::Caught(want),
            (Expect::Caught(want), Some(f)) => {
                Verdict::Failed(format!("expected {want}, caught {}: {}", f.kind, f.message))
            }
        }
    }
}

/// Run-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seed for shuttle's schedulers.
    pub seed: u64,
    /// Where loom checkpoints of failures are written.
    pub replay_dir: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: DEFAULT_SEED,
            replay_dir: default_replay_dir(),
        }
    }
}

/// The workspace's root directory (where `target/` is).
pub fn workspace_root() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.ancestors().nth(2).unwrap_or(manifest);
    root.canonicalize().unwrap_or_else(|_| root.to_path_buf())
}

/// `target/threadproof/replay` of the workspace.
pub fn default_replay_dir() -> PathBuf {
    workspace_root().join("target/threadproof/replay")
}

/// Explores `model` with `checker`. `progress` counts schedules as they run (the report shows
/// it while long checks run). Callers skip models whose [`Model::skip_reason`] names `checker`.
pub fn run(
    model: &Model,
    checker: Checker,
    settings: &Settings,
    progress: &Arc<AtomicUsize>,
) -> Outcome {
    quiet::install();
    progress.store(0, Ordering::Relaxed);
    let start = Instant::now();
    let body = model.body;
    let counted = {
        let progress = Arc::clone(progress);
        move || {
            progress.fetch_add(1, Ordering::Relaxed);
            body();
        }
    };
    let recording = Recording::default();
    let result = quiet::catching(|| match checker {
        Checker::Loom => loom_builder(model.loom).check(counted),
        Checker::ShuttlePct => {
            let plan = model.shuttle;
            let pct = shuttle::scheduler::PctScheduler::new_from_seed(
                settings.seed,
                plan.pct_depth,
                plan.iterations,
            );
            shuttle_runner(recording.wrap(pct)).run(counted);
        }
        Checker::ShuttleRandom => {
            let random = shuttle::scheduler::RandomScheduler::new_from_seed(
                settings.seed,
                model.shuttle.iterations,
            );
            shuttle_runner(recording.wrap(random)).run(counted);
        }
    });
    let schedules = progress.load(Ordering::Relaxed);
    let failure = result.err().map(|message| {
        let replay = match checker {
            Checker::Loom => loom_checkpoint(model, settings),
            Checker::ShuttlePct | Checker::ShuttleRandom => Replay::Shuttle(recording.serialized()),
        };
        Failure {
            kind: Kind::of_message(&message),
            message,
            replay,
        }
    });
    Outcome {
        checker,
        schedules,
        failure,
        elapsed: start.elapsed(),
    }
}

/// loom's builder for `plan`, ignoring `LOOM_*` environment variables.
pub fn loom_builder(plan: LoomPlan) -> loom::model::Builder {
    // Start from loom's defaults but ignore LOOM_* variables: the plan, not the environment,
    // decides what a check means. (Replays set the checkpoint explicitly.)
    let mut builder = loom::model::Builder::new();
    builder.checkpoint_file = None;
    builder.max_duration = None;
    builder.max_permutations = None;
    builder.log = false;
    builder.location = false;
    builder.preemption_bound = match plan {
        LoomPlan::Bounded { preemptions, .. } => Some(preemptions),
        LoomPlan::Exhaustive | LoomPlan::Skip(_) => None,
    };
    builder
}

fn shuttle_runner<S: shuttle::scheduler::Scheduler + 'static>(scheduler: S) -> shuttle::Runner<S> {
    let mut config = shuttle::Config::new();
    // The harness records the schedule itself (see `record`), so shuttle need not print it.
    config.failure_persistence = shuttle::FailurePersistence::None;
    // shuttle warns that it treats every atomic ordering as SeqCst; the book says so, and loom
    // is the checker for orderings.
    config.silence_warnings = true;
    shuttle::Runner::new(scheduler, config)
}

/// Loom is deterministic: running the model again with a checkpoint written before every
/// execution stops at the same failing execution and leaves its path in the file.
fn loom_checkpoint(model: &Model, settings: &Settings) -> Replay {
    let path = settings
        .replay_dir
        .join(format!("{}.loom.json", model.id().replace('/', ".")));
    if let Err(e) = std::fs::create_dir_all(&settings.replay_dir) {
        return Replay::Unavailable(format!("{}: {e}", settings.replay_dir.display()));
    }
    let _ = std::fs::remove_file(&path);
    let mut builder = loom_builder(model.loom);
    builder.checkpoint_file = Some(path.clone());
    builder.checkpoint_interval = 1;
    let body = model.body;
    match quiet::catching(|| builder.check(body)) {
        Err(_) if path.exists() => Replay::LoomCheckpoint(path),
        Err(_) => Replay::Unavailable("loom wrote no checkpoint".into()),
        Ok(()) => Replay::Unavailable("the failure did not recur on the rerun".into()),
    }
}

/// Lower-case ASCII letters, digits and `_`, with every other run of characters as one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

impl Model {
    /// A model with the default plans: loom exhaustive, shuttle [`ShuttlePlan::DEFAULT`].
    /// Override a plan with struct update syntax: `Model { loom: ..., ..Model::new(...) }`.
    pub fn new(
        pattern: &'static str,
        variant: &'static str,
        scenario: &'static str,
        expect: Expect,
        body: fn(),
    ) -> Model {
        Model {
            pattern,
            variant,
            scenario,
            expect,
            body,
            loom: LoomPlan::Exhaustive,
            shuttle: ShuttlePlan::DEFAULT,
        }
    }

    /// Why this model does not run under `checker`, or `None` when it does.
    pub fn skip_reason(&self, checker: Checker) -> Option<&'static str> {
        match (checker, self.loom) {
            (Checker::Loom, LoomPlan::Skip(why)) => Some(why),
            (Checker::Loom, _) => None,
            _ if self.shuttle.is_skip() => Some(SHUTTLE_SKIP_REASON),
            _ => None,
        }
    }

    /// A stable id: `counter/racy-flawed/2-threads-x-2-increments`.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/{}",
            slug(self.pattern),
            slug(self.variant),
            slug(self.scenario)
        )
    }
}

/// What a replay found: the panic it ended with (or `None` if the replayed execution passed),
/// and the trace of the replayed execution.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The panic message, if the execution failed again.
    pub failure: Option<String>,
    /// Every traced operation of the replayed execution, up to the failure.
    pub events: Vec<threadproof_trace::Event>,
    /// Events past `threadproof_trace::MAX_EVENTS`, not kept.
    pub dropped: usize,
}

/// Replays one failure with its schedule (shuttle) or checkpoint (loom), recording the trace of
/// the replayed execution. loom's replay also prints loom's own execution log when `log` is set.
pub fn replay(model: &Model, replay: &Replay, log: bool) -> Result<Replayed, String> {
    quiet::install();
    let body = model.body;
    let traced = move || {
        threadproof_trace::start();
        body();
    };
    let result = match replay {
        Replay::Shuttle(schedule) => {
            let scheduler =
                quiet::catching(|| shuttle::scheduler::ReplayScheduler::new_from_encoded(schedule))
                    .map_err(|e| format!("not a shuttle schedule: {e}"))?;
            quiet::catching(|| {
                shuttle_runner(scheduler).run(traced);
            })
        }
        Replay::LoomCheckpoint(path) => {
            if !path.exists() {
                return Err(format!("no loom checkpoint at {}", path.display()));
            }
            let mut builder = loom_builder(model.loom);
            builder.checkpoint_file = Some(path.clone());
            builder.log = log;
            // loom checks the bound before each execution: 2 lets exactly one (the failing one) run.
            builder.max_permutations = Some(2);
            builder.checkpoint_interval = 1;
            quiet::catching(|| builder.check(traced))
        }
        Replay::Unavailable(why) => return Err(why.clone()),
    };
    let (events, dropped) = threadproof_trace::take();
    Ok(Replayed {
        failure: result.err(),
        events,
        dropped,
    })
}

/// A failure's interleaving, traced: which checker found it, with which seed.
#[derive(Debug, Clone)]
pub struct TracedFailure {
    /// The checker that found it.
    pub checker: Checker,
    /// The shuttle seed it was found with (loom has none).
    pub seed: Option<u64>,
    /// The timeline of the replayed execution.
    pub timeline: crate::timeline::Timeline,
}

/// Runs each model under its checker — the same model built on each checker's world, as the
/// registry pairs them; shuttle with `attempts` consecutive seeds from `settings.seed`, loom
/// once (it is deterministic) — replays every failure found with tracing on, and returns the
/// shortest trace (fewest operations; the first found on ties). `None` when no checker found a
/// failure. Deterministic for a fixed seed.
pub fn shortest_failure(
    runs: &[(Model, Checker)],
    settings: &Settings,
    attempts: u64,
) -> Option<TracedFailure> {
    let progress = Arc::new(AtomicUsize::new(0));
    let mut best: Option<TracedFailure> = None;
    for (model, checker) in runs {
        let (model, checker) = (model, *checker);
        if model.skip_reason(checker).is_some() {
            continue;
        }
        let seeds: Vec<Option<u64>> = match checker {
            Checker::Loom => vec![None],
            _ => (0..attempts)
                .map(|k| Some(settings.seed.wrapping_add(k)))
                .collect(),
        };
        for seed in seeds {
            let settings = Settings {
                seed: seed.unwrap_or(settings.seed),
                ..settings.clone()
            };
            let outcome = run(model, checker, &settings, &progress);
            let Some(failure) = outcome.failure else {
                continue;
            };
            let Ok(replayed) = replay(model, &failure.replay, false) else {
                continue;
            };
            let Some(message) = replayed.failure else {
                continue;
            };
            let kind = Kind::of_message(&message);
            let timeline =
                crate::timeline::Timeline::new(replayed.events, replayed.dropped, kind, &message);
            if best
                .as_ref()
                .is_none_or(|b| timeline.len() < b.timeline.len())
            {
                best = Some(TracedFailure {
                    checker,
                    seed,
                    timeline,
                });
            }
        }
    }
    best
}

/// True when a replay failed because the schedule does not fit the model (shuttle found a
/// step that names a task that cannot run, or could not decode the string), rather than by
/// reproducing the bug.
pub fn is_replay_mismatch(message: &str) -> bool {
    message.contains("scheduled task is not runnable") || message.contains("invalid schedule")
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(&*payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_tags_and_checker_messages_are_classified() {
        assert_eq!(Kind::of_message("[lost update] got 1"), Kind::LostUpdate);
        assert_eq!(Kind::of_message("[stale context] x"), Kind::StaleContext);
        assert_eq!(
            Kind::of_message("deadlock; threads = [(0, Blocked)]"),
            Kind::Deadlock
        );
        assert_eq!(
            Kind::of_message("deadlock! blocked tasks: [main-thread]"),
            Kind::Deadlock
        );
        assert_eq!(
            Kind::of_message(
                "Causality violation: Concurrent read and write accesses to `UnsafeCell`."
            ),
            Kind::TornRead
        );
        assert_eq!(Kind::of_message("[no such tag] x"), Kind::Unclassified);
        assert_eq!(Kind::of_message("assertion failed"), Kind::Unclassified);
        for kind in Kind::ALL {
            assert_eq!(Kind::of_message(&format!("[{kind}] m")), kind);
        }
    }

    fn outcome(failure: Option<Kind>) -> Outcome {
        Outcome {
            checker: Checker::Loom,
            schedules: 1,
            failure: failure.map(|kind| Failure {
                kind,
                message: format!("[{kind}] m"),
                replay: Replay::Unavailable(String::new()),
            }),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn verdicts_compare_found_with_expected() {
        let lost = Expect::Caught(Kind::LostUpdate);
        assert_eq!(outcome(None).verdict(Expect::Holds), Verdict::Holds);
        assert_eq!(outcome(None).verdict(lost), Verdict::Escaped);
        assert_eq!(
            outcome(Some(Kind::LostUpdate)).verdict(lost),
            Verdict::Caught(Kind::LostUpdate)
        );
        assert!(outcome(Some(Kind::Deadlock)).verdict(lost).is_bad());
        assert!(
            outcome(Some(Kind::LostUpdate))
                .verdict(Expect::Holds)
                .is_bad()
        );
    }

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("racy (flawed)"), "racy-flawed");
        assert_eq!(slug("2 threads x 2 increments"), "2-threads-x-2-increments");
        assert_eq!(slug("thread_local"), "thread_local");
    }
}
