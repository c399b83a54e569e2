//! The counterexamples the book shows, regenerated and checked.
//!
//! For every flawed variant: the shortest failing interleaving the checkers find (loom's, and
//! shuttle PCT's and random's over 8 seeds each), replayed with tracing, must fail with the
//! variant's kind. Its text timeline is an insta snapshot (`snapshots/traces__*.snap`) and its
//! picture an SVG under `book/src/traces/`; the book includes both, so a change in a flawed
//! variant's behaviour changes a file here and cannot reach the book unreviewed.
//!
//! To accept new timelines: `INSTA_UPDATE=always THREADPROOF_BLESS=1 cargo test --test traces`.

use std::path::PathBuf;

use threadproof_check::harness::{self, Expect, Settings, workspace_root};
use threadproof_check::registry;

/// Shuttle seeds tried per checker when looking for the shortest trace.
const ATTEMPTS: u64 = 8;

#[test]
fn every_flawed_variant_has_a_trace_and_a_picture() {
    let settings = Settings {
        replay_dir: workspace_root().join("target/threadproof/test-replay/traces"),
        ..Settings::default()
    };
    let checks = registry::all();
    let mut seen: Vec<String> = Vec::new();
    let mut stale: Vec<String> = Vec::new();
    for check in &checks {
        let model = check.model;
        let Expect::Caught(kind) = model.expect else {
            continue;
        };
        if seen.contains(&model.id()) {
            continue;
        }
        seen.push(model.id());
        let runs: Vec<_> = checks
            .iter()
            .filter(|c| c.model.id() == model.id())
            .map(|c| (c.model, c.checker))
            .collect();
        let traced = harness::shortest_failure(&runs, &settings, ATTEMPTS)
            .unwrap_or_else(|| panic!("{}: no checker found a failure to trace", model.id()));
        let timeline = &traced.timeline;
        assert!(
            timeline.ending.starts_with(kind.name()),
            "{}: the traced failure ends '{}', expected {kind}",
            model.id(),
            timeline.ending
        );
        let name = model.id().replace('/', "__");
        let seed = traced
            .seed
            .map(|s| format!(", seed {s:#x}"))
            .unwrap_or_default();
        let text = format!(
            "{} / {} / {}: shortest failure, found by {}{seed}\n\n{}",
            model.pattern,
            model.variant,
            model.scenario,
            traced.checker,
            timeline.render_text()
        );
        insta::assert_snapshot!(name.clone(), text);

        let title = format!("{} / {} / {}", model.pattern, model.variant, model.scenario);
        let svg = timeline.render_svg(&title);
        let path: PathBuf = workspace_root()
            .join("book/src/traces")
            .join(format!("{name}.svg"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != svg {
            if std::env::var_os("THREADPROOF_BLESS").is_some() {
                std::fs::write(&path, &svg).expect("write the SVG");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these pictures differ from the timelines the checkers produce now \
         (rerun with THREADPROOF_BLESS=1 to rewrite them): {stale:?}"
    );
}
