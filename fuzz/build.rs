//! Compiles the `.npy` reader of `nndc run` into the harness. It lives in the `nndc` binary
//! (`nn-dsl/src/bin/nndc/run.rs`), not in the library, so the file is copied into `OUT_DIR`
//! with its inner doc comments removed (an `include!`d file cannot hold them) and `crate::`
//! (the binary's `CliError` and `emit`) turned into `super::` (the harness's stand-ins in
//! `src/npy.rs`). The code that runs is exactly nndc's.

use std::path::PathBuf;

fn main() {
    let source = PathBuf::from("../nn-dsl/src/bin/nndc/run.rs");
    println!("cargo::rerun-if-changed={}", source.display());
    let text = match std::fs::read_to_string(&source) {
        Ok(t) => t,
        Err(e) => {
            println!("cargo::error=cannot read {}: {e}", source.display());
            return;
        }
    };
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//!"))
        .map(|l| l.replace("crate::", "super::") + "\n")
        .collect();
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        println!("cargo::error=OUT_DIR is not set");
        return;
    };
    let out = PathBuf::from(out_dir).join("nndc_run.rs");
    if let Err(e) = std::fs::write(&out, body) {
        println!("cargo::error=cannot write {}: {e}", out.display());
    }
}
