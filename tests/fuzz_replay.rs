//! Replays the fuzz targets' committed inputs with plain `cargo test` (no nightly, no
//! libFuzzer): every file in `fuzz/corpus/<target>/` (the seed corpus) and
//! `fuzz/regressions/<target>/` (inputs that once crashed a target: copy a crash from
//! `fuzz/artifacts/<target>/` there when fixing it). The target bodies are the very files the
//! fuzz targets include.

use std::path::Path;

#[path = "../fuzz/bodies/frame.rs"]
mod frame;
#[path = "../fuzz/bodies/handshake.rs"]
mod handshake;

/// Runs `body` on every input of `target`; returns how many there were.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let dir = root.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden || !path.is_file() {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let run = std::panic::catch_unwind(|| body(&data));
            assert!(
                run.is_ok(),
                "{} panicked the {target} target",
                path.display()
            );
            count += 1;
        }
    }
    count
}

#[test]
fn the_frame_corpus_replays_without_a_crash() {
    assert!(
        replay("frame", frame::run) >= 10,
        "the frame corpus is missing"
    );
}

#[test]
fn the_handshake_corpus_replays_without_a_crash() {
    assert!(
        replay("handshake", handshake::run) >= 11,
        "the handshake corpus is missing"
    );
}

#[test]
#[should_panic(expected = "panicked the frame target")]
fn a_crashing_input_fails_the_replay() {
    replay("frame", |data| assert!(data.is_empty(), "boom"));
}
