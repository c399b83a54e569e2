//! The seed programs the book opens its chapters with are real: they run with the machine's
//! python3 and print what the chapters say. (The racy `Counter` line is not asserted: whether
//! CPython loses updates depends on its thread-switch points, which is the chapter's point.)

use std::path::Path;
use std::process::Command;

fn run_seed(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("book/src/seeds")
        .join(file);
    let out = Command::new("python3")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for the seed programs: {e}"));
    assert!(
        out.status.success(),
        "{file} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn the_counter_seed_prints_both_totals_and_the_locking_one_is_exact() {
    let out = run_seed("counter.py");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("Counter should be 500000, got "),
        "{out}"
    );
    assert_eq!(lines[1], "Counter should be 500000, got 500000");
}

#[test]
fn the_thread_local_seed_greets_each_threads_student() {
    let out = run_seed("thread_local.py");
    // Two threads print at once: `print` writes the text and the newline separately, so the
    // two greetings may share a line. Each must be whole, and each thread greets its own.
    let mut greetings: Vec<&str> = out
        .split("Hello, ")
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    greetings.sort();
    assert_eq!(
        greetings,
        ["Alice (in Thread-A)", "Bob (in Thread-B)"],
        "{out:?}"
    );
}
