//! The behaviour suite (`io_suite`) against the process-per-connection server. This test
//! binary is also the server's worker: the server re-runs the current executable, and
//! `run_if_worker` (first thing in `main`) serves the connection in that child and exits. Hence
//! `harness = false`, with libtest-mimic for the test list.

#[cfg(target_os = "linux")]
mod io_suite;

#[cfg(target_os = "linux")]
fn main() {
    use libtest_mimic::{Arguments, Trial};
    use threadproof::io_models::Model;
    use threadproof::io_models::process_per_conn::run_if_worker;

    run_if_worker(); // in a worker, never returns

    const MODEL: Model = Model::ProcessPerConnection;
    type Behaviour = (&'static str, fn(Model));
    let behaviours: [Behaviour; 13] = [
        ("echo_round_trip", io_suite::echo_round_trip),
        ("many_concurrent_clients", io_suite::many_concurrent_clients),
        (
            "partial_writes_and_reads",
            io_suite::partial_writes_and_reads,
        ),
        ("half_closed_client", io_suite::half_closed_client),
        ("one_mib_at_once", io_suite::one_mib_at_once),
        (
            "slow_reader_gets_every_byte",
            io_suite::slow_reader_gets_every_byte,
        ),
        (
            "silent_client_does_not_block_others",
            io_suite::silent_client_does_not_block_others,
        ),
        ("idle_timeout", io_suite::idle_timeout),
        ("bounded_connections", io_suite::bounded_connections),
        (
            "client_disconnects_mid_message",
            io_suite::client_disconnects_mid_message,
        ),
        (
            "line_too_long_is_refused",
            io_suite::line_too_long_is_refused,
        ),
        (
            "shutdown_keeps_accepted_messages",
            io_suite::shutdown_keeps_accepted_messages,
        ),
        ("bad_config_is_refused", io_suite::bad_config_is_refused),
    ];
    let trials = behaviours
        .into_iter()
        .map(|(name, behaviour)| {
            Trial::test(format!("process_per_connection::{name}"), move || {
                behaviour(MODEL);
                Ok(())
            })
        })
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

#[cfg(not(target_os = "linux"))]
fn main() {}
