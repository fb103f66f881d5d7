//! Generates the runner's cases (`nnd_tests::runner_gen`) for the target named by `NND_TARGET`
//! (default `cortex-m4`), and passes the linker script on.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    println!("cargo::rerun-if-env-changed=NND_TARGET");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=memory.x");
    let target_name = std::env::var("NND_TARGET").unwrap_or_else(|_| "cortex-m4".into());
    let target =
        nn_dsl::back::rust::Target::from_name(&target_name).map_err(|e| e.to_string())?;

    // The linker script.
    std::fs::copy(Path::new(&manifest).join("memory.x"), out.join("memory.x"))
        .map_err(|e| format!("memory.x: {e}"))?;
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rustc-link-arg=-Tlink.x");
    nnd_tests::runner_gen::generate(&out, target)
}
