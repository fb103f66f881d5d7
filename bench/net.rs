//! The network every benchmark build script compiles (`bench/cortex-m/build.rs`,
//! `bench/linux/build.rs`): `NND_BENCH_MODEL` (a .tflite, or a .nnd with its weights) for
//! `NND_BENCH_TARGET` (default: the caller's), with layer marks when `NND_BENCH_MARKS=1`, and with
//! `NND_BENCH_IN_PLACE=1` the memory plan of `nndc build --in-place --io-in-arena` (layers written
//! over their inputs, fused residual blocks, the input and output in the arena). Without a model,
//! a one-layer network (the binary's own size, for the code-bytes baseline). Writes `net.rs` and
//! `layers.txt` (the marked blocks, in order) to `out`.

use std::path::Path;

use nn_dsl::back::rust::{self, Options, Target};

/// Compiles the benchmarked network into `out` (see the module docs).
pub fn write(out: &Path, default_target: &str) -> Result<(), String> {
    for v in [
        "NND_BENCH_MODEL",
        "NND_BENCH_TARGET",
        "NND_BENCH_MARKS",
        "NND_BENCH_IN_PLACE",
    ] {
        println!("cargo::rerun-if-env-changed={v}");
    }
    println!("cargo::rerun-if-changed=../net.rs");
    let target = Target::from_name(
        &std::env::var("NND_BENCH_TARGET").unwrap_or_else(|_| default_target.into()),
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
            let in_place = std::env::var("NND_BENCH_IN_PLACE").is_ok_and(|v| v == "1");
            let plan_options = nn_dsl::plan::PlanOptions::memory(in_place, None, in_place);
            nn_dsl::build::compile_file_with(Path::new(&model), &options, &plan_options)
                .map_err(|e| e.to_string())?
                .code
        }
        _ => {
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
