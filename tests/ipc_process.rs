//! Worker processes: this test binary is its own worker. `main` first checks whether it was
//! started in a worker role (`THREADPROOF_WORKER_ROLE`) and runs the worker; otherwise it runs
//! the tests, which start copies of this binary in those roles. (`harness = false`: a libtest
//! main would parse the command line and run tests in the worker too.)

use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};

type Test = fn() -> Result<(), Failed>;
use threadproof::ipc::process::{self, Builder, Process, exit_code};

const LIMIT: Duration = Duration::from_secs(20);

fn worker(role: &str) -> i32 {
    let mut conn = process::worker_connection().expect("worker connection");
    match role {
        "echo" => {
            while let Ok(m) = conn.recv_bytes() {
                conn.send_bytes(&m).unwrap();
            }
            0
        }
        "pids" => {
            let msg = format!("{} {}", process::pid(), process::parent_pid());
            conn.send_bytes(msg.as_bytes()).unwrap();
            0
        }
        "exit" => {
            let code = conn.recv_bytes().unwrap();
            String::from_utf8(code).unwrap().parse().unwrap()
        }
        "hang" => {
            conn.send_bytes(b"ready").unwrap();
            loop {
                std::thread::sleep(Duration::from_secs(60));
            }
        }
        "twice" => {
            let second = process::worker_connection().unwrap_err();
            conn.send_bytes(second.to_string().as_bytes()).unwrap();
            0
        }
        other => {
            eprintln!("unknown worker role {other}");
            70
        }
    }
}

fn start(role: &str) -> Process {
    Builder::new(role).start().expect("start worker")
}

fn join(p: &mut Process) -> std::process::ExitStatus {
    p.join_timeout(LIMIT)
        .unwrap()
        .ok_or("the worker did not exit in time")
        .unwrap()
}

fn echo_round_trips() -> Result<(), Failed> {
    let mut p = start("echo");
    p.connection().set_read_timeout(Some(LIMIT))?;
    for m in [&b""[..], b"x", &[7u8; 100_000]] {
        p.connection().send_bytes(m)?;
        assert_eq!(p.connection().recv_bytes()?, m);
    }
    drop(p.take_connection());
    let status = join(&mut p);
    assert!(status.success(), "{status}");
    Ok(())
}

fn pid_and_parent_pid() -> Result<(), Failed> {
    let mut p = start("pids");
    p.connection().set_read_timeout(Some(LIMIT))?;
    let msg = String::from_utf8(p.connection().recv_bytes()?)?;
    assert_eq!(msg, format!("{} {}", p.pid(), std::process::id()));
    assert!(join(&mut p).success());
    Ok(())
}

fn join_reports_the_exit_code() -> Result<(), Failed> {
    let mut p = start("exit");
    p.connection().send_bytes(b"3")?;
    let status = join(&mut p);
    assert_eq!(status.code(), Some(3));
    assert_eq!(exit_code(status), 3);
    Ok(())
}

fn kill_ends_a_hanging_worker_with_sigkill() -> Result<(), Failed> {
    let mut p = start("hang");
    p.connection().set_read_timeout(Some(LIMIT))?;
    assert_eq!(p.connection().recv_bytes()?, b"ready");
    assert!(p.try_join()?.is_none());
    p.kill()?;
    let status = join(&mut p);
    assert_eq!(exit_code(status), -9, "{status}");
    // The parent's end sees the worker gone.
    assert!(p.connection().recv_bytes().is_err());
    Ok(())
}

fn terminate_sends_sigterm() -> Result<(), Failed> {
    let mut p = start("hang");
    p.connection().set_read_timeout(Some(LIMIT))?;
    assert_eq!(p.connection().recv_bytes()?, b"ready");
    p.terminate()?;
    assert_eq!(exit_code(join(&mut p)), -15);
    Ok(())
}

fn the_connection_is_taken_once() -> Result<(), Failed> {
    let mut p = start("twice");
    p.connection().set_read_timeout(Some(LIMIT))?;
    let msg = String::from_utf8(p.connection().recv_bytes()?)?;
    assert_eq!(msg, "the worker connection was already taken");
    assert!(join(&mut p).success());
    Ok(())
}

fn not_a_worker_is_a_clear_error() -> Result<(), Failed> {
    let err = process::worker_connection().unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a worker process: THREADPROOF_WORKER_FD is not set to a descriptor"
    );
    Ok(())
}

fn main() {
    if let Some(role) = process::worker_role() {
        std::process::exit(worker(&role));
    }
    let args = Arguments::from_args();
    let tests: [(&str, Test); 7] = [
        ("echo_round_trips", echo_round_trips),
        ("pid_and_parent_pid", pid_and_parent_pid),
        ("join_reports_the_exit_code", join_reports_the_exit_code),
        (
            "kill_ends_a_hanging_worker_with_sigkill",
            kill_ends_a_hanging_worker_with_sigkill,
        ),
        ("terminate_sends_sigterm", terminate_sends_sigterm),
        ("the_connection_is_taken_once", the_connection_is_taken_once),
        (
            "not_a_worker_is_a_clear_error",
            not_a_worker_is_a_clear_error,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, f)| Trial::test(name, f))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
