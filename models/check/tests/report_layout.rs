//! The report's layout, as an insta snapshot: the table, the summary and the replay section for
//! the counter pattern. Times are redacted (they vary); schedule counts are not, because loom's
//! exploration and shuttle's seeded schedulers are deterministic — a changed count means the
//! model or the pattern changed, which a reviewer should see.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use threadproof_check::harness::{Settings, workspace_root};
use threadproof_check::registry;
use threadproof_check::report::{self, Times, run_check};

#[test]
fn report_layout_for_the_counter() {
    let settings = Settings {
        replay_dir: workspace_root().join("target/threadproof/test-replay/layout"),
        ..Settings::default()
    };
    let progress = Arc::new(AtomicUsize::new(0));
    let rows: Vec<_> = registry::all()
        .into_iter()
        .filter(|c| c.model.pattern == "counter")
        .map(|c| run_check(&c, &settings, &progress))
        .collect();
    let failures = report::render_failures(&rows, &workspace_root());
    // Loom checkpoint paths are stable; shuttle schedule strings too, but long: keep their
    // first 12 characters so the layout stays readable.
    let failures: String = failures
        .lines()
        .map(|line| match line.split_once("--schedule ") {
            Some((head, schedule)) => {
                format!(
                    "{head}--schedule {}…\n",
                    &schedule[..schedule.len().min(12)]
                )
            }
            None => format!("{line}\n"),
        })
        .collect();
    let text = format!(
        "{}\n{}\n{}",
        report::render_table(&rows, Times::Redacted),
        failures,
        report::render_summary(&rows)
    );
    insta::assert_snapshot!(text);
}
