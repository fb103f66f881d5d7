//! The build script of the Linux user-mode benchmarks (`bench/aarch64`, `bench/riscv64`): the
//! network of `../net.rs` (default target `aarch64` on AArch64, `k210` on RISC-V 64).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

#[path = "../net.rs"]
mod net;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    println!("cargo::rerun-if-changed=../linux/build.rs");
    let default = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("riscv64") => "k210",
        _ => "aarch64",
    };
    net::write(&out, default)
}
