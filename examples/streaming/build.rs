//! Compiles the stateful oracle networks (`tests/vectors/stateful/*.tflite`: SVDF and LSTM
//! layers) with nnd's build.rs API, once per target whose code builds on the host: `generic`,
//! `cortex-m4` and `k210` (SVDF and LSTM run the portable kernels on every target; the tests
//! check each module anyway).

// A build script reports failure on stderr; cargo shows it when the build fails.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

const MODELS: [&str; 5] = [
    "svdf_kws",
    "svdf_rank3",
    "svdf_int8_state",
    "lstm_classifier",
    "lstm_clip",
];

fn main() {
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let files: Vec<String> = MODELS
        .iter()
        .map(|m| format!("../../tests/vectors/stateful/{m}.tflite"))
        .collect();
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
    }
    for target in ["generic", "cortex-m4", "k210"] {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        nn_dsl::build::Build::new()
            .files(&files)
            .target(target)
            .allow_foreign_target(true)
            .out_dir(&dir)
            .compile()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
