//! Seeds 003 §1.1 and §1.2 with the kit: a child process started, given its argument and
//! joined; then a pool of 4 worker processes running 5 tasks, the fifth waiting for a free
//! worker. `cargo run --example seed_processes` (Linux only).

use std::time::{Duration, Instant};

use threadproof::ipc::pool::{self, Pool};
use threadproof::ipc::process::{self, Builder, Process};

// ANCHOR: seed_pool
/// The seed's `long_time_task(name)`, which sleeps a random time under 3 s; here a
/// pseudo-random time under 0.3 s, so the example is quick.
fn long_time_task(payload: &[u8]) -> Result<Vec<u8>, String> {
    let name = String::from_utf8_lossy(payload).into_owned();
    println!("Run task {name} ({})...", process::pid());
    let start = Instant::now();
    let ms = (u64::from(process::pid()) * 7919 + name.len() as u64 * 104_729) % 300;
    std::thread::sleep(Duration::from_millis(ms));
    println!(
        "Task {name} runs {:.2} seconds.",
        start.elapsed().as_secs_f64()
    );
    Ok(Vec::new())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A worker runs its role and nothing else: this check comes first.
    match process::worker_role().as_deref() {
        Some("run_proc") => {
            let mut parent = process::worker_connection()?;
            let name = String::from_utf8(parent.recv_bytes()?)?;
            println!("Run child process {name} ({})...", process::pid());
            return Ok(());
        }
        Some("pool") => return Ok(pool::serve(long_time_task)?),
        _ => {}
    }

    // 003 §1.1: Process(target=run_proc, args=('test',)); start(); join().
    println!("Parent process {}.", process::pid());
    let mut p = Process::start("run_proc")?;
    println!("Child process will start.");
    p.connection().send_bytes(b"test")?;
    p.join()?;
    println!("Child process end.");

    // 003 §1.2: Pool(4); apply_async five times; close(); join().
    println!("Parent process {}.", process::pid());
    let pool = Pool::new(4, || Builder::new("pool"));
    let tasks: Vec<_> = (0..5)
        .map(|i| pool.apply_async(i.to_string().as_bytes()))
        .collect();
    println!("Waiting for all subprocesses done...");
    pool.join();
    for task in tasks {
        task.get()?;
    }
    println!("All subprocesses done.");
    Ok(())
}
// ANCHOR_END: seed_pool
