#![no_main]
//! Fuzzes both sides of the authkey handshake: `cargo +nightly fuzz run handshake`.

#[path = "../bodies/handshake.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
