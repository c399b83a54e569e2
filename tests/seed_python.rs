//! The seed programs the book opens its chapters with are real: they run with the machine's
//! python3 and print what the chapters say. (The racy `Counter` line is not asserted: whether
//! CPython loses updates depends on its thread-switch points, which is the chapter's point.)
//! Every `.py` file in `book/src/seeds` is run here, or listed in [`NOT_PROGRAMS`] with the
//! reason; a new file that is neither fails `every_seed_file_is_run_or_explained`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Files in `book/src/seeds` that the tests run, each by a test below.
const PROGRAMS: [&str; 7] = [
    "counter.py",
    "thread_local.py",
    "queue_maxsize.py",
    "pipeline.py",
    "process_queue.py",
    "fan.py",
    "selectors_echo.py",
];

/// `.py` files that are not programs: API listings quoted from the notes as they are (with the
/// notes' Chinese comments inline), shown in the book, not run.
const NOT_PROGRAMS: [&str; 2] = ["event.py", "lock.py"];

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

#[test]
fn every_seed_file_is_run_or_explained() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/seeds");
    let mut unexplained = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("book/src/seeds exists") {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy().into_owned();
        if name.ends_with(".py")
            && !PROGRAMS.contains(&name.as_str())
            && !NOT_PROGRAMS.contains(&name.as_str())
        {
            unexplained.push(name);
        }
    }
    assert!(
        unexplained.is_empty(),
        "seed files neither run nor listed as not programs: {unexplained:?}"
    );
}

#[test]
fn the_queue_seed_puts_and_gets_every_item() {
    let out = run_seed("queue_maxsize.py");
    // Two threads print at once, so two messages may share a line: count, don't split lines.
    let puts = out.matches("Producer put ").count();
    let gets = out.matches("Consumer got ").count();
    assert_eq!((puts, gets), (2, 2), "{out}");
    assert!(
        out.contains("Producer done") && out.contains("Consumer done"),
        "{out}"
    );
}

#[test]
fn the_pipeline_seed_finishes_every_item() {
    let out = run_seed("pipeline.py");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("1000 items finished"),
        "{out}"
    );
}

#[test]
fn the_process_queue_seed_reads_what_the_writer_put() {
    let out = run_seed("process_queue.py");
    for v in ["A", "B", "C"] {
        assert!(out.contains(&format!("Put {v} to queue...")), "{out}");
        assert!(out.contains(&format!("Get {v} from queue.")), "{out}");
    }
}

#[test]
fn the_fan_seed_shows_map_stopping_and_per_item_outcomes() {
    let out = run_seed("fan.py");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "map stopped at the first error: invalid literal for int() with base 10: 'two'",
            "results before it: [1]",
            "1 -> 1",
            "two -> error: invalid literal for int() with base 10: 'two'",
            "3 -> 3",
            "4 -> 4",
        ],
        "{out}"
    );
}

/// The selectors echo server runs until killed: start it, wait for its banner, echo one line
/// through port 8090 (the seed's own), kill it.
#[test]
fn the_selectors_seed_echoes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/seeds/selectors_echo.py");
    let mut child = Command::new("python3")
        .arg("-u")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is required for the seed programs");
    // Keep reading the server's output (it prints every event; a closed pipe would kill it).
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut banner = String::new();
    stdout
        .read_line(&mut banner)
        .expect("the server's first line");
    let drain = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let echoed = (|| -> std::io::Result<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut stream = loop {
            match TcpStream::connect(("127.0.0.1", 8090)) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.write_all(b"hello seed\n")?;
        let mut buf = [0u8; 11];
        stream.read_exact(&mut buf)?;
        Ok(buf.to_vec())
    })();
    let _ = child.kill();
    let status = child.wait().expect("the server is reaped");
    let _ = drain.join();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert_eq!(banner.trim_end(), "server....", "{banner}{stderr}");
    let echoed = echoed.unwrap_or_else(|e| {
        panic!("no echo from the seed server on port 8090 ({e}); exit {status}; stderr: {stderr}")
    });
    assert_eq!(echoed, b"hello seed\n");
}
