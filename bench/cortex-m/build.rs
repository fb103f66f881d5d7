//! The build script of the Cortex-M benchmark firmware: the memory layout, and the network of
//! `../net.rs` (default target `cortex-m4`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

#[path = "../net.rs"]
mod net;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=memory.x");
    std::fs::copy(Path::new(&manifest).join("memory.x"), out.join("memory.x"))
        .map_err(|e| format!("memory.x: {e}"))?;
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rustc-link-arg=-Tlink.x");
    net::write(&out, "cortex-m4")
}
