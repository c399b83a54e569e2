//! What framing costs over a raw socket pair, without processes or criterion in the way: two
//! threads of one process echo `size`-byte messages 2,000 times over a Unix socket pair, raw
//! (`read_exact`/`write_all` of a known size) and framed (`Connection::send_bytes` /
//! `recv_bytes_into`), and print the round trip. Pin it to one CPU so that wake-ups cost the
//! same for both, and count system calls with strace:
//!
//! ```text
//! cargo build --release -p threadproof --example frame_cost
//! taskset -c 1 target/release/examples/frame_cost 65536
//! taskset -c 1 strace -f -c -e trace=recvfrom,recvmsg,readv,sendto,sendmsg,writev target/release/examples/frame_cost 65536 framed
//! ```
//!
//! Arguments: message size (default 65536), then `raw`, `framed` or nothing (both).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;
use threadproof::ipc::connection::pipe;

const N: usize = 2000;
fn main() {
    let size: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(65536);
    let mode = std::env::args().nth(2).unwrap_or("both".into());
    if mode != "framed" {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = vec![0u8; size];
            while b.read_exact(&mut buf).is_ok() {
                b.write_all(&buf).unwrap();
            }
        });
        let msg = vec![7u8; size];
        let mut buf = vec![0u8; size];
        let start = Instant::now();
        for _ in 0..N {
            a.write_all(&msg).unwrap();
            a.read_exact(&mut buf).unwrap();
        }
        println!(
            "raw    {size}: {:.2} us",
            start.elapsed().as_secs_f64() * 1e6 / N as f64
        );
        drop(a);
        t.join().unwrap();
    }
    if mode != "raw" {
        let (mut a, mut b) = pipe().unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = Vec::new();
            while b.recv_bytes_into(&mut buf).is_ok() {
                b.send_bytes(&buf).unwrap();
            }
        });
        let msg = vec![7u8; size];
        let mut buf = Vec::new();
        let start = Instant::now();
        for _ in 0..N {
            a.send_bytes(&msg).unwrap();
            a.recv_bytes_into(&mut buf).unwrap();
        }
        println!(
            "framed {size}: {:.2} us",
            start.elapsed().as_secs_f64() * 1e6 / N as f64
        );
        drop(a);
        t.join().unwrap();
    }
}
