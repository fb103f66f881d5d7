//! Compiles the network to benchmark: `NND_BENCH_MODEL` (a .tflite, or a .nnd with its weights),
//! for `NND_BENCH_TARGET` (default `cortex-m4`), with layer marks when `NND_BENCH_MARKS=1`, with
//! row-by-row in-place convolutions and the input and output in the arena when
//! `NND_BENCH_IN_PLACE=1`.
//! Without a model, a one-layer network is built (the firmware's own size, for the code-bytes
//! baseline). Writes `net.rs` and `layers.txt` (the marked blocks, in order) to OUT_DIR.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use nn_dsl::back::rust::{self, Options, Target};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    for v in [
        "NND_BENCH_MODEL",
        "NND_BENCH_TARGET",
        "NND_BENCH_MARKS",
        "NND_BENCH_IN_PLACE",
    ] {
        println!("cargo::rerun-if-env-changed={v}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=memory.x");
    std::fs::copy(Path::new(&manifest).join("memory.x"), out.join("memory.x"))
        .map_err(|e| format!("memory.x: {e}"))?;
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rustc-link-arg=-Tlink.x");

    let target = Target::from_name(
        &std::env::var("NND_BENCH_TARGET").unwrap_or_else(|_| "cortex-m4".into()),
    )
    .map_err(|e| e.to_string())?;
    let marks = std::env::var("NND_BENCH_MARKS").is_ok_and(|v| v == "1");
    let options = Options {
        target,
        type_name: Some("Net".into()),
        layer_marks: marks.then(|| "crate::marks".to_string()),
        ..Options::default()
    };
    let code = match std::env::var("NND_BENCH_MODEL") {
        Ok(model) if !model.is_empty() => {
            println!("cargo::rerun-if-changed={model}");
            // NND_BENCH_IN_PLACE=1: row-by-row in-place convolutions, fused residual blocks and
            // the input and output in the arena (`nndc build --in-place --io-in-arena`).
            let in_place = std::env::var("NND_BENCH_IN_PLACE").is_ok_and(|v| v == "1");
            let plan_options = nn_dsl::plan::PlanOptions {
                in_place_rows: in_place,
                fuse_blocks: in_place,
                io_in_arena: in_place,
                ..Default::default()
            };
            nn_dsl::build::compile_file_with(Path::new(&model), &options, &plan_options)
                .map_err(|e| e.to_string())?
                .code
        }
        _ => {
            // The smallest network: the firmware's own code, for the code-bytes baseline.
            let (mut module, _) = nn_dsl::check::check_source(
                "network Net { input x: i8[16]; let y = relu(x); output y; }",
            )
            .map_err(|d| format!("{d:?}"))?;
            let handles: Vec<_> = module.tensors.handles().collect();
            for h in handles {
                module.tensors[h].quant = Some(nn_dsl::ir::Quant {
                    scale: vec![0.5],
                    zero_point: vec![-3],
                    axis: None,
                });
            }
            let lowered =
                nn_dsl::lower::lower(&module, &Default::default()).map_err(|e| e.to_string())?;
            let plan =
                nn_dsl::plan::plan(&module, &Default::default()).map_err(|e| e.to_string())?;
            rust::write_string(&module, &lowered, &plan, &options).map_err(|e| e.to_string())?
        }
    };
    // The marked blocks are the node blocks, labelled "// `name` (op)" by write_string.
    let layers: Vec<String> = code
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("// `") && l.ends_with(')'))
        .map(|l| l.trim_start_matches("// ").to_string())
        .collect();
    rust::write_if_changed(&out.join("net.rs"), &code).map_err(|e| e.to_string())?;
    rust::write_if_changed(&out.join("layers.txt"), &(layers.join("\n") + "\n"))
        .map_err(|e| e.to_string())?;
    Ok(())
}
