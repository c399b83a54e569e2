//! The behaviour suite (`io_suite`) against every model in `Model::ALL`, and the
//! edge-triggered stall.
#![cfg(target_os = "linux")]

mod io_suite;

use std::io::ErrorKind;
use std::time::Duration;

use io_suite::*;
use threadproof::io_models::flawed::MioEdgeReadOnce;
use threadproof::io_models::{Config, Model};

macro_rules! suite {
    ($($module:ident => $model:expr),* $(,)?) => {$(
        mod $module {
            use super::*;
            const MODEL: Model = $model;
            #[test] fn echo_round_trip() { super::echo_round_trip(MODEL) }
            #[test] fn many_concurrent_clients() { super::many_concurrent_clients(MODEL) }
            #[test] fn partial_writes_and_reads() { super::partial_writes_and_reads(MODEL) }
            #[test] fn half_closed_client() { super::half_closed_client(MODEL) }
            #[test] fn one_mib_at_once() { super::one_mib_at_once(MODEL) }
            #[test] fn slow_reader_gets_every_byte() { super::slow_reader_gets_every_byte(MODEL) }
            #[test] fn silent_client_does_not_block_others() { super::silent_client_does_not_block_others(MODEL) }
            #[test] fn idle_timeout() { super::idle_timeout(MODEL) }
            #[test] fn bounded_connections() { super::bounded_connections(MODEL) }
            #[test] fn client_disconnects_mid_message() { super::client_disconnects_mid_message(MODEL) }
            #[test] fn line_too_long_is_refused() { super::line_too_long_is_refused(MODEL) }
            #[test] fn shutdown_keeps_accepted_messages() { super::shutdown_keeps_accepted_messages(MODEL) }
            #[test] fn bad_config_is_refused() { super::bad_config_is_refused(MODEL) }
        }
    )*};
}

suite! {
    thread_per_connection => Model::ThreadPerConnection,
    busy_poll => Model::BusyPoll,
    epoll_level => Model::EpollLevel,
    mio_edge => Model::MioEdge,
    event_loop => Model::EventLoop,
    tokio => Model::Tokio,
    io_uring => Model::IoUring,
}

#[test]
fn every_model_is_in_the_suite() {
    // Adding a model to `Model::ALL` without adding it to `suite!` above fails here.
    assert_eq!(Model::ALL.len(), 7);
}

// ANCHOR: stall_tests
#[test]
fn edge_triggered_reference_drains_both_bursts() {
    let server = Model::MioEdge.start(Config::default()).unwrap();
    assert_eq!(two_burst_client(&server, PATIENCE), 6);
    server.shutdown().unwrap();
}

#[test]
fn edge_triggered_read_once_stalls_on_two_bursts() {
    let server = MioEdgeReadOnce::start(Config::default()).unwrap();
    // One 4 KiB read per event, two or so events for 18,000 bytes: the rest sits in the kernel
    // buffer with no event to announce it. Half a second is ample for the reference (above).
    let echoed = two_burst_client(&server, Duration::from_millis(500));
    assert!(
        echoed < 6,
        "the read-once server echoed all 6 lines: no stall shown"
    );
    server.shutdown().unwrap();
}
// ANCHOR_END: stall_tests

#[test]
fn level_triggered_reads_once_per_event_and_does_not_stall() {
    // The same client and the same one-read-per-event handler as the flawed variant, but
    // level-triggered: the kernel keeps reporting the leftover bytes.
    let server = Model::EpollLevel.start(Config::default()).unwrap();
    assert_eq!(two_burst_client(&server, PATIENCE), 6);
    server.shutdown().unwrap();
}

#[test]
fn signal_driven_demo_waits_without_blocking_then_copies() {
    let demo = threadproof::io_models::signal_driven::signal_driven_echo(b"by signal\n", PATIENCE)
        .expect("SIGIO demo");
    assert!(demo.signals >= 1, "no SIGIO counted: {demo:?}");
    assert_eq!(demo.echoed, b"by signal\n");
}

#[test]
fn io_uring_availability_is_a_clear_answer() {
    match threadproof::io_models::io_uring::availability() {
        Ok(()) => {}
        Err(e) => {
            let code = e.raw_os_error();
            assert!(
                matches!(
                    code,
                    Some(libc::ENOSYS | libc::EPERM | libc::EACCES | libc::ENOMEM)
                ),
                "io_uring_setup failed unexpectedly: {e}"
            );
            eprintln!("io_uring unavailable here: {e}");
        }
    }
}

#[test]
fn io_uring_server_runs_here_or_says_why() {
    // Where io_uring is unavailable (a seccomp sandbox, `kernel.io_uring_disabled`), the
    // io-uring model must refuse to start with an error that says so — and this test, like the
    // suite's `io_uring::*` tests, then fails loudly instead of passing without having run.
    match threadproof::io_models::io_uring::availability() {
        Ok(()) => Model::IoUring
            .start(Config::default())
            .expect("io_uring is available, so the io-uring server must start")
            .shutdown()
            .unwrap(),
        Err(why) => {
            let err = Model::IoUring.start(Config::default()).unwrap_err();
            assert!(
                err.to_string().contains("io_uring unavailable"),
                "unclear error: {err}"
            );
            panic!("io_uring is unavailable here ({why}): the io-uring model was NOT tested");
        }
    }
}

#[test]
fn load_generator_is_bounded_and_loopback_only() {
    let server = Model::MioEdge.start(Config::default()).unwrap();
    let report = threadproof::io_models::load::run(server.local_addr(), 8, 5, PATIENCE).unwrap();
    assert_eq!(report.messages, 40);
    assert!(!report.timed_out);
    assert!(report.latency(0.5) <= report.latency(0.99));
    server.shutdown().unwrap();
    let far = "192.0.2.1:7".parse().unwrap(); // TEST-NET-1: never contacted
    let err = threadproof::io_models::load::run(far, 1, 1, PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("loopback"), "unclear error: {err}");
}

#[test]
fn io_uring_completes_a_receive_submitted_before_the_data_came() {
    use threadproof::io_models::io_uring;
    if let Err(e) = io_uring::availability() {
        // Checked and explained by `io_uring_availability_is_a_clear_answer`.
        eprintln!("io_uring unavailable, demo not run: {e}");
        return;
    }
    let demo = io_uring::completion_echo(b"completed by the kernel\n", PATIENCE).unwrap();
    assert_eq!(demo.received, 24);
    assert_eq!(demo.echoed, b"completed by the kernel\n");
}
