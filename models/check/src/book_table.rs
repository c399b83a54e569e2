//! The tables of reference models the book shows: one Markdown file per pattern,
//! `book/src/models/<pattern>.md`, with a row for each model that must hold and a column for
//! each checker, whose cell says what that checker explored (loom's schedules and bound,
//! shuttle's executions).
//!
//! Nobody writes these files by hand. In the models test, every check of a reference compares
//! its own cell with what it has just explored ([`check_cell`]), and one trial per pattern
//! compares the rows with the registry ([`check_rows`]). A model added, removed or explored
//! differently (any change to a pattern moves loom's counts) fails the test until the file
//! is rewritten:
//!
//! ```text
//! THREADPROOF_BLESS=1 cargo test -p threadproof-check --test models
//! ```
//!
//! The chapters include the files with `{{#include models/<pattern>.md}}`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::harness::{Checker, Expect, LoomPlan, Model, workspace_root};
use crate::registry;
use crate::report::Row;

/// The cells of one file, by variant, scenario and column (the checker's index in
/// [`Checker::ALL`]).
type Cells = BTreeMap<(String, String, usize), String>;

/// The test's trials run in parallel threads: one at a time reads and rewrites a file.
static FILES: Mutex<()> = Mutex::new(());

const NOTE: &str = "<!-- Written by models/check/tests/models.rs from what the checkers \
explored; do not edit. `THREADPROOF_BLESS=1 cargo test -p threadproof-check --test models` \
rewrites it. -->";

const HEADER: &str =
    "| variant | model | loom | shuttle PCT | shuttle random |\n|---|---|---|---|---|";

/// The file of `pattern`'s table.
pub fn path(pattern: &str) -> PathBuf {
    workspace_root()
        .join("book/src/models")
        .join(format!("{pattern}.md"))
}

/// `row`'s cell, as the book shows it; `None` for a flawed variant (not in the tables).
pub fn cell(row: &Row) -> Option<String> {
    let model = &row.check.model;
    if model.expect != Expect::Holds {
        return None;
    }
    let checker = row.check.checker;
    let Some(outcome) = &row.outcome else {
        return Some(skipped(model, checker));
    };
    let n = thousands(outcome.schedules);
    Some(match checker {
        Checker::Loom => match model.loom {
            LoomPlan::Bounded { preemptions, .. } => {
                format!("{n} schedules, at most {preemptions} preemptions")
            }
            _ => format!("{n} schedules, exhaustive"),
        },
        Checker::ShuttlePct => format!("{n} executions, depth {}", model.shuttle.pct_depth),
        Checker::ShuttleRandom => format!("{n} executions"),
    })
}

/// Checks `row`'s cell against the committed file, or writes it there when blessing.
pub fn check_cell(row: &Row) -> Result<(), String> {
    let Some(cell) = cell(row) else {
        return Ok(());
    };
    let model = &row.check.model;
    let _files = FILES.lock().unwrap_or_else(|e| e.into_inner());
    let (_, mut cells) = read(model.pattern)?;
    let key = key(model, row.check.checker);
    let committed = cells.get(&key).cloned();
    if committed.as_deref() == Some(cell.as_str()) {
        return Ok(());
    }
    if blessing() {
        cells.insert(key, cell);
        return write(model.pattern, &render(model.pattern, &cells));
    }
    Err(format!(
        "{} says {} for this check, but {} explored {cell:?}; to accept, rerun with \
         THREADPROOF_BLESS=1",
        path(model.pattern).display(),
        committed.map_or("nothing".to_string(), |c| format!("{c:?}")),
        row.check.checker,
    ))
}

/// Checks that `pattern`'s file has a row for every reference model in the registry and no
/// other, in the registry's order (cells as committed), or rewrites it when blessing.
pub fn check_rows(pattern: &str) -> Result<(), String> {
    let _files = FILES.lock().unwrap_or_else(|e| e.into_inner());
    let (text, cells) = read(pattern)?;
    let want = render(pattern, &cells);
    if text == want {
        return Ok(());
    }
    if blessing() {
        return write(pattern, &want);
    }
    Err(format!(
        "{} does not list the registry's reference models as they are now (a model was added, \
         removed or renamed, or a cell is missing); to rewrite it, rerun with \
         THREADPROOF_BLESS=1",
        path(pattern).display()
    ))
}

/// The file's text for `pattern`: every reference model in registry order, skipped checks
/// with their reason, the others from `cells`.
pub fn render(pattern: &str, cells: &Cells) -> String {
    let mut out = format!("{NOTE}\n\n{HEADER}\n");
    for model in references(pattern) {
        let mut line = format!("| {} | {} |", model.variant, model.scenario);
        for checker in Checker::ALL {
            let cell = match model.skip_reason(checker) {
                Some(_) => skipped(&model, checker),
                None => cells
                    .get(&key(&model, checker))
                    .cloned()
                    .unwrap_or_else(|| "not run yet".to_string()),
            };
            line.push_str(&format!(" {cell} |"));
        }
        assert_eq!(
            line.matches('|').count(),
            Checker::ALL.len() + 3,
            "a variant, scenario or skip reason of {} contains '|': {line}",
            model.id()
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The cells of a file's text: every table row after the header, by variant and scenario.
pub fn parse(text: &str) -> Result<Cells, String> {
    let mut cells = Cells::new();
    for line in text.lines().filter(|l| l.starts_with("| ")).skip(1) {
        let fields: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [variant, scenario, columns @ ..] = fields.as_slice() else {
            return Err(format!("not a row of the table: {line:?}"));
        };
        if columns.len() != Checker::ALL.len() {
            return Err(format!("{} cells instead of 5: {line:?}", fields.len()));
        }
        for (i, cell) in columns.iter().enumerate() {
            cells.insert(
                (variant.to_string(), scenario.to_string(), i),
                cell.to_string(),
            );
        }
    }
    Ok(cells)
}

/// The reference models of `pattern`, in registry order.
fn references(pattern: &str) -> Vec<Model> {
    registry::all()
        .into_iter()
        .filter(|c| {
            c.checker == Checker::Loom
                && c.model.pattern == pattern
                && c.model.expect == Expect::Holds
        })
        .map(|c| c.model)
        .collect()
}

fn key(model: &Model, checker: Checker) -> (String, String, usize) {
    let column = Checker::ALL.iter().position(|c| *c == checker);
    (
        model.variant.to_string(),
        model.scenario.to_string(),
        column.unwrap_or(0),
    )
}

fn skipped(model: &Model, checker: Checker) -> String {
    format!(
        "skipped: {}",
        model.skip_reason(checker).unwrap_or("not run")
    )
}

/// The committed text (empty if there is no file yet) and its cells.
fn read(pattern: &str) -> Result<(String, Cells), String> {
    let path = path(pattern);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let cells = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((text, cells))
}

fn write(pattern: &str, text: &str) -> Result<(), String> {
    let path = path(pattern);
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn blessing() -> bool {
    std::env::var_os("THREADPROOF_BLESS").is_some()
}

/// `44223` as `44,223`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(44_223), "44,223");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_rendered_table_parses_back_to_its_cells() {
        let pattern = "queue";
        let mut cells = Cells::new();
        for (n, model) in references(pattern).iter().enumerate() {
            for (i, checker) in Checker::ALL.into_iter().enumerate() {
                if model.skip_reason(checker).is_none() {
                    let cell = format!("{} schedules", n * 10 + i);
                    cells.insert(key(model, checker), cell);
                }
            }
        }
        assert!(!cells.is_empty(), "the queue has reference models");
        let text = render(pattern, &cells);
        let parsed = parse(&text).expect("parses");
        for (k, v) in &cells {
            assert_eq!(parsed.get(k), Some(v), "{k:?}");
        }
        // Rendering the parsed cells gives the same text: the check of rows is stable.
        assert_eq!(render(pattern, &parsed), text);
    }

    #[test]
    fn a_table_missing_a_row_does_not_render_as_committed() {
        let pattern = "queue";
        let models = references(pattern);
        let mut cells = Cells::new();
        for model in &models {
            cells.insert(
                key(model, Checker::ShuttleRandom),
                "1 executions".to_string(),
            );
        }
        let full = render(pattern, &cells);
        let scenario = models[0].scenario;
        let without: String = full
            .lines()
            .filter(|l| !l.contains(scenario))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(without, full, "the row was there to remove");
        // What `check_rows` compares: the committed text against its cells rendered anew.
        let rerendered = render(pattern, &parse(&without).expect("parses"));
        assert_ne!(rerendered, without);
        assert!(rerendered.contains(&format!("| {scenario} | ")));
    }

    #[test]
    fn a_row_with_a_missing_cell_is_an_error() {
        let text = format!("{HEADER}\n| bounded | a model | 1 schedules, exhaustive |\n");
        assert!(parse(&text).unwrap_err().contains("cells instead of 5"));
    }
}
