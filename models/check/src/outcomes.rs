//! Outcome tables, in the manner of jcstress: every final outcome of a small test under loom's
//! exhaustive search, how often it was seen, and whether it is acceptable or forbidden.
//!
//! A model check says *whether* some schedule breaks an assertion; an outcome table shows the
//! whole space: for the racy counter with two increments, `2` in most schedules and the
//! forbidden `1` in the rest; for the locking counter, `2` in every one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use crate::harness::{self, LoomPlan};

/// How an outcome is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// A correct implementation may produce it.
    Acceptable,
    /// Only a bug produces it.
    Forbidden,
}

/// One outcome a test can end with.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// The outcome as the body returns it, e.g. `"1"`.
    pub value: &'static str,
    /// Acceptable or forbidden.
    pub label: Label,
    /// What it means, e.g. `lost update`.
    pub meaning: &'static str,
}

/// A small test whose body returns its outcome instead of asserting.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeTest {
    /// The pattern's module name.
    pub pattern: &'static str,
    /// The implementation under test.
    pub variant: &'static str,
    /// What the body does.
    pub scenario: &'static str,
    /// Runs one execution and returns its outcome.
    pub body: fn() -> String,
    /// Every outcome the test knows; anything else is reported as unexpected.
    pub outcomes: &'static [Outcome],
    /// True for a flawed variant: some forbidden outcome must be seen.
    pub flawed: bool,
}

/// What loom saw.
#[derive(Debug, Clone)]
pub struct Table {
    /// The test.
    pub test: OutcomeTest,
    /// Each outcome seen, with how many executions ended with it.
    pub seen: BTreeMap<String, usize>,
}

impl OutcomeTest {
    /// Runs the body on every schedule loom explores (no preemption bound) and counts outcomes.
    pub fn run(&self) -> Table {
        let seen: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let body = self.body;
        let record = Arc::clone(&seen);
        let mut builder = harness::loom_builder(LoomPlan::Exhaustive);
        builder.preemption_bound = None;
        builder.check(move || {
            let outcome = body();
            *record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(outcome)
                .or_default() += 1;
        });
        let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        Table { test: *self, seen }
    }
}

impl Table {
    /// Executions explored.
    pub fn executions(&self) -> usize {
        self.seen.values().sum()
    }

    /// Executions that ended in a forbidden outcome.
    pub fn forbidden_seen(&self) -> usize {
        self.test
            .outcomes
            .iter()
            .filter(|o| o.label == Label::Forbidden)
            .map(|o| self.seen.get(o.value).copied().unwrap_or(0))
            .sum()
    }

    /// Outcomes seen that the test does not list.
    pub fn unexpected(&self) -> Vec<&str> {
        self.seen
            .keys()
            .filter(|v| !self.test.outcomes.iter().any(|o| o.value == v.as_str()))
            .map(String::as_str)
            .collect()
    }

    /// True when the table shows what the test expects: no forbidden outcome for a reference,
    /// at least one for a flawed variant, nothing unlisted.
    pub fn as_expected(&self) -> bool {
        self.unexpected().is_empty() && (self.forbidden_seen() > 0) == self.test.flawed
    }

    /// The table as text: outcome, times seen, label, meaning.
    pub fn render(&self) -> String {
        let t = &self.test;
        let mut rows: Vec<[String; 4]> = t
            .outcomes
            .iter()
            .map(|o| {
                let label = match o.label {
                    Label::Acceptable => "acceptable",
                    Label::Forbidden => "FORBIDDEN",
                };
                let seen = self.seen.get(o.value).copied().unwrap_or(0);
                [
                    o.value.to_string(),
                    seen.to_string(),
                    label.into(),
                    o.meaning.into(),
                ]
            })
            .collect();
        for v in self.unexpected() {
            rows.push([
                v.into(),
                self.seen[v].to_string(),
                "UNEXPECTED".into(),
                String::new(),
            ]);
        }
        let header = ["outcome", "seen", "label", "meaning"].map(String::from);
        let mut widths = header.clone().map(|h| h.chars().count());
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = format!(
            "{} / {} / {} — loom, every schedule: {} executions\n",
            t.pattern,
            t.variant,
            t.scenario,
            self.executions()
        );
        for r in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (i, (c, w)) in r.iter().zip(widths).enumerate() {
                if i == 1 {
                    let _ = write!(line, "{c:>w$}  ");
                } else {
                    let _ = write!(line, "{c:<w$}  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
