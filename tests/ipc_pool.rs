//! The process pool: results in order, task errors, and recovery from workers that are
//! SIGKILLed mid-task, exit on their own, or die on every attempt. This test binary is its own
//! worker (`harness = false`): `main` runs `pool::serve` when started in the worker role.

use std::path::Path;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

type Test = fn() -> Result<(), Failed>;
use threadproof::ipc::pool::{Pool, TaskError, serve};
use threadproof::ipc::process::{self, Builder};

const ROLE: &str = "pool-test-worker";

/// The workers' task: a tiny command language.
fn task(payload: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(payload).map_err(|e| e.to_string())?;
    let words: Vec<&str> = text.split(' ').collect();
    match words.as_slice() {
        ["double", n] => {
            let n: u64 = n.parse().map_err(|e| format!("{e}"))?;
            Ok((2 * n).to_string().into_bytes())
        }
        ["fail", why] => Err(why.to_string()),
        // Logs that it started (the caller counts executions), waits until the file `go`
        // exists (at most 20 s), answers n.
        ["gated", n, log, go] => {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(log)
                .map_err(|e| e.to_string())?;
            // One write(2) for the whole line: `writeln!` on a File makes one per piece, and
            // the test, reading the log meanwhile, could see "3" without its pid.
            let line = format!("{n} {}\n", process::pid());
            f.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
            drop(f);
            let deadline = Instant::now() + Duration::from_secs(20);
            while !Path::new(go).exists() {
                if Instant::now() > deadline {
                    return Err("never released".into());
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(n.as_bytes().to_vec())
        }
        // Exits the first time (marker file absent), answers the second time.
        ["exit-once", marker] => {
            if Path::new(marker).exists() {
                Ok(b"second try".to_vec())
            } else {
                std::fs::write(marker, b"").unwrap();
                std::process::exit(0)
            }
        }
        ["abort"] => std::process::abort(),
        _ => Err(format!("unknown task {text:?}")),
    }
}

fn pool(workers: usize) -> Pool {
    Pool::new(workers, || Builder::new(ROLE).quiet(true))
}

fn map_returns_results_in_input_order() -> Result<(), Failed> {
    let p = pool(3);
    let tasks: Vec<String> = (0..20).map(|i| format!("double {i}")).collect();
    let results = p.map(&tasks);
    let want: Vec<_> = (0..20u64)
        .map(|i| Ok((2 * i).to_string().into_bytes()))
        .collect();
    assert_eq!(results, want);
    assert_eq!(p.restarts(), 0);
    p.join();
    Ok(())
}

fn a_failing_task_reports_its_error_and_the_pool_goes_on() -> Result<(), Failed> {
    let p = pool(1);
    let failed = p.apply_async(b"fail disk-full");
    let fine = p.apply_async(b"double 21");
    assert_eq!(failed.get(), Err(TaskError::Failed("disk-full".into())));
    assert_eq!(fine.get(), Ok(b"42".to_vec()));
    assert_eq!(p.restarts(), 0);
    p.join();
    Ok(())
}

// ANCHOR: sigkill_test
fn a_worker_killed_mid_task_is_replaced_and_its_task_rerun() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let (log, go) = (dir.path().join("starts"), dir.path().join("go"));
    let p = pool(2);
    // Every task blocks until `go` exists, so a worker seen starting one is surely mid-task.
    let tasks: Vec<String> = (0..6)
        .map(|i| format!("gated {i} {} {}", log.display(), go.display()))
        .collect();
    let handles: Vec<_> = tasks.iter().map(|t| p.apply_async(t.as_bytes())).collect();
    // Wait until both workers are inside a task, then SIGKILL the second one's.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (task, victim) = loop {
        let started = std::fs::read_to_string(&log).unwrap_or_default();
        // Only whole lines: a worker may be writing its line as we read.
        let mut lines = started.split_inclusive('\n').filter(|l| l.ends_with('\n'));
        if let Some(line) = lines.nth(1) {
            let (task, pid) = line
                .trim_end()
                .split_once(' ')
                .expect("a log line is 'task pid'");
            break (task.to_string(), pid.parse::<u32>()?);
        }
        assert!(Instant::now() < deadline, "the workers never started");
        std::thread::sleep(Duration::from_millis(5));
    };
    // SAFETY: kill(2) of a worker the pool started and has not reaped (it is mid-task).
    assert_eq!(
        unsafe { libc::kill(victim as libc::pid_t, libc::SIGKILL) },
        0
    );
    std::fs::write(&go, b"")?; // release the tasks

    // Every task completes exactly once, with its own result...
    for (i, h) in handles.iter().enumerate() {
        assert_eq!(h.get(), Ok(i.to_string().into_bytes()), "task {i}");
    }
    assert_eq!(p.restarts(), 1);
    assert!(!p.pids().contains(&victim));
    // ...but the killed task started twice: execution is at-least-once.
    let starts = std::fs::read_to_string(&log)?;
    assert_eq!(starts.lines().count(), 7, "{starts}");
    let runs_of_killed = starts
        .lines()
        .filter(|l| l.split(' ').next() == Some(task.as_str()))
        .count();
    assert_eq!(runs_of_killed, 2, "task {task} on {victim}:\n{starts}");
    p.join();
    Ok(())
}
// ANCHOR_END: sigkill_test

fn a_worker_that_exits_on_its_own_is_replaced() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let marker = dir.path().join("marker");
    let p = pool(1);
    let r = p.apply_async(format!("exit-once {}", marker.display()).as_bytes());
    assert_eq!(r.get(), Ok(b"second try".to_vec()));
    assert_eq!(p.restarts(), 1);
    assert_eq!(p.apply_async(b"double 1").get(), Ok(b"2".to_vec()));
    p.join();
    Ok(())
}

fn a_task_that_kills_every_worker_gives_up_after_max_attempts() -> Result<(), Failed> {
    let p = pool(1);
    let r = p.apply_async(b"abort");
    assert_eq!(r.get(), Err(TaskError::WorkerDied { attempts: 3 }));
    assert_eq!(p.restarts(), 3);
    assert_eq!(p.apply_async(b"double 2").get(), Ok(b"4".to_vec()));
    p.join();
    Ok(())
}

fn tasks_after_close_are_refused() -> Result<(), Failed> {
    let p = pool(1);
    let before = p.apply_async(b"double 5");
    p.close();
    assert_eq!(p.apply_async(b"double 6").get(), Err(TaskError::Closed));
    assert_eq!(before.get(), Ok(b"10".to_vec()));
    p.join();
    Ok(())
}

fn main() {
    if process::worker_role().as_deref() == Some(ROLE) {
        serve(task).expect("worker connection");
        return;
    }
    // A watchdog: a hung pool fails the run instead of hanging it.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        eprintln!("ipc_pool: watchdog: tests still running after 120 s");
        std::process::exit(101);
    });
    let args = Arguments::from_args();
    let tests: [(&str, Test); 6] = [
        (
            "map_returns_results_in_input_order",
            map_returns_results_in_input_order,
        ),
        (
            "a_failing_task_reports_its_error_and_the_pool_goes_on",
            a_failing_task_reports_its_error_and_the_pool_goes_on,
        ),
        (
            "a_worker_killed_mid_task_is_replaced_and_its_task_rerun",
            a_worker_killed_mid_task_is_replaced_and_its_task_rerun,
        ),
        (
            "a_worker_that_exits_on_its_own_is_replaced",
            a_worker_that_exits_on_its_own_is_replaced,
        ),
        (
            "a_task_that_kills_every_worker_gives_up_after_max_attempts",
            a_task_that_kills_every_worker_gives_up_after_max_attempts,
        ),
        (
            "tasks_after_close_are_refused",
            tasks_after_close_are_refused,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, f)| Trial::test(name, f))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
