#![no_main]
//! Fuzzes the frame decoder: `cargo +nightly fuzz run frame` (from `fuzz/`).

#[path = "../bodies/frame.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
