//! Generates the runner's cases (`nnd_tests::runner_gen`) for the target named by `NND_TARGET`
//! (default `aarch64`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    println!("cargo::rerun-if-env-changed=NND_TARGET");
    println!("cargo::rerun-if-changed=build.rs");
    let target_name = std::env::var("NND_TARGET").unwrap_or_else(|_| "aarch64".into());
    let target =
        nn_dsl::back::rust::Target::from_name(&target_name).map_err(|e| e.to_string())?;
    nnd_tests::runner_gen::generate(&out, target)
}
