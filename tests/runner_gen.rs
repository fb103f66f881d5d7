//! The generator of the emulated oracle runners (`tests/cortex-m`, `tests/aarch64`,
//! `tests/riscv64`), called from their build scripts: every single-op oracle case
//! (`tests/vectors/ops/*.json`, as one-node modules from [`crate::oracle_ir`]) and every
//! whole-network model (`tests/vectors/models/*.tflite`), each compiled by nn-dsl's real
//! pipeline (lower, plan, `back::rust::write_string`) for one target. Inputs and TFLM's expected
//! outputs become binary files included with `include_bytes!`; `cases.rs` holds a runner
//! function per case and the table `CASES` (see `tests/runner_common.rs` for the items it
//! expects).
//!
//! A case that cannot be generated is an error naming it: nothing is skipped silently.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::{ModelFile, Tensor as VTensor};
use nn_dsl::back::rust::{self, Options, Target};
use nn_dsl::ir::{DType, Module};
use nn_dsl::weights::Weights;

/// `tests/vectors/models/manifest.json`: the recorded cases of each model.
#[derive(Debug, serde::Deserialize)]
struct ModelManifest {
    models: std::collections::BTreeMap<String, ModelEntry>,
}

#[derive(Debug, serde::Deserialize)]
struct ModelEntry {
    cases: usize,
}

/// The bytes of a vector tensor as the module stores it: int8 bytes, or int16 / f32
/// little-endian.
fn bytes(t: &VTensor) -> Result<Vec<u8>, String> {
    if t.dtype == crate::DType::Float32 {
        let v = t.f32_data().map_err(|e| e.to_string())?;
        Ok(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    } else if t.dtype == crate::DType::Int16 {
        let v = t.i16_data().map_err(|e| e.to_string())?;
        Ok(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    } else {
        let v = t.i8_data().map_err(|e| e.to_string())?;
        Ok(v.iter().map(|&x| x as u8).collect())
    }
}

/// The element type of a graph input or output.
fn elem(d: DType) -> Result<&'static str, String> {
    match d {
        DType::I8 => Ok("i8"),
        DType::I16 => Ok("i16"),
        DType::F32 => Ok("f32"),
        other => Err(format!("graph tensor of type {other}")),
    }
}

struct Gen {
    out: PathBuf,
    options: Options,
    index: String,
    table: String,
    count: usize,
    modules: usize,
    max_arena: usize,
}

impl Gen {
    /// Compiles `module` once; returns its number (`mod m{n}`).
    fn compile(&mut self, name: &str, module: &Module, weights: &Weights) -> Result<usize, String> {
        let plan =
            nn_dsl::plan::plan(module, &Default::default()).map_err(|e| format!("{name}: {e}"))?;
        self.compile_planned(name, module, weights, &plan)
    }

    /// Compiles `module` with `plan`; returns its number.
    fn compile_planned(
        &mut self,
        name: &str,
        module: &Module,
        weights: &Weights,
        plan: &nn_dsl::plan::ArenaPlan,
    ) -> Result<usize, String> {
        let lowered = nn_dsl::lower::lower(module, weights).map_err(|e| format!("{name}: {e}"))?;
        let code = rust::write_string(module, &lowered, plan, &self.options)
            .map_err(|e| format!("{name}: {e}"))?;
        let n = self.modules;
        self.modules += 1;
        self.max_arena = self.max_arena.max(plan.arena_bytes);
        rust::write_if_changed(&self.out.join(format!("m{n}.rs")), &code)
            .map_err(|e| e.to_string())?;
        let _ = writeln!(
            self.index,
            "/// {name}\nmod m{n} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/m{n}.rs\"));\n}}\n"
        );
        Ok(n)
    }

    /// Adds case `name`: module `m{n}` run on `inputs`, compared with `outputs`.
    fn case(
        &mut self,
        name: &str,
        n: usize,
        module: &Module,
        inputs: &[Vec<u8>],
        outputs: &[Vec<u8>],
    ) -> Result<(), String> {
        let i = self.count;
        self.count += 1;
        if inputs.len() != module.inputs.len() || outputs.len() != module.outputs.len() {
            return Err(format!(
                "{name}: the vectors do not match the graph's inputs/outputs"
            ));
        }
        let mut body = String::new();
        let mut args = Vec::new();
        let single_in = module.inputs.len() == 1;
        for (k, (&h, data)) in module.inputs.iter().zip(inputs).enumerate() {
            let t = &module.tensors[h];
            let e = elem(t.dtype)?;
            std::fs::write(self.out.join(format!("c{i}_in{k}.bin")), data)
                .map_err(|e| e.to_string())?;
            let ty = if single_in {
                "Input".to_string()
            } else {
                format!("Input{k}")
            };
            let _ = writeln!(
                body,
                "    let mut in{k}: m{n}::{ty} = {zero};\n    \
                 fill_{e}(flat_mut(&mut in{k}), include_bytes!(concat!(env!(\"OUT_DIR\"), \"/c{i}_in{k}.bin\")));",
                zero = zero(e, &t.shape),
            );
            args.push(format!("&in{k}"));
        }
        let single_out = module.outputs.len() == 1;
        let mut checks = String::new();
        for (k, ((_, h), data)) in module.outputs.iter().zip(outputs).enumerate() {
            let t = &module.tensors[*h];
            let e = elem(t.dtype)?;
            std::fs::write(self.out.join(format!("c{i}_out{k}.bin")), data)
                .map_err(|e| e.to_string())?;
            let ty = if single_out {
                "Output".to_string()
            } else {
                format!("Output{k}")
            };
            let _ = writeln!(
                body,
                "    let mut out{k}: m{n}::{ty} = {};",
                zero(e, &t.shape)
            );
            args.push(format!("&mut out{k}"));
            let _ = writeln!(
                checks,
                "    if let Some(d) = differ_{e}(flat(&out{k}), include_bytes!(concat!(env!(\"OUT_DIR\"), \"/c{i}_out{k}.bin\"))) {{ return Err(Failure::Differ({k}, d)); }}"
            );
        }
        // A 16x8 network's arena is `[i16; ARENA_BYTES / 2]`: the runner's arena seen as int16.
        let arena = if module.tensors.iter().any(|(_, t)| t.dtype == DType::I16) {
            format!("arena_i16(arena).get_mut(..m{n}::ARENA_BYTES / 2)")
        } else {
            format!("arena.get_mut(..m{n}::ARENA_BYTES)")
        };
        let _ = writeln!(
            self.index,
            "fn run_c{i}(arena: &mut [i8]) -> Result<(), Failure> {{\n{body}    \
             let arena: &mut m{n}::Arena = {arena}.and_then(|a| a.try_into().ok()).ok_or(Failure::Arena)?;\n    \
             m{n}::Net::run({args}, arena).map_err(Failure::Kernel)?;\n{checks}    Ok(())\n}}\n",
            args = args.join(", "),
        );
        let _ = writeln!(self.table, "    (\"{name}\", run_c{i}),");
        Ok(())
    }
}

impl Gen {
    /// Adds sequence `name` of a stateful network with one int8 input and output: module
    /// `m{n}` run step by step on one `State` from `State::new()`, each step compared with
    /// TFLM's.
    fn sequence(
        &mut self,
        name: &str,
        n: usize,
        module: &Module,
        steps: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), String> {
        let (&[x], &[(_, y)]) = (module.inputs.as_slice(), module.outputs.as_slice()) else {
            return Err(format!("{name}: a sequence needs one input and one output"));
        };
        if module.tensors[x].dtype != DType::I8 || module.tensors[y].dtype != DType::I8 {
            return Err(format!("{name}: a sequence needs int8 input and output"));
        }
        let i = self.count;
        self.count += 1;
        let mut body = String::new();
        for (k, (input, output)) in steps.iter().enumerate() {
            std::fs::write(self.out.join(format!("c{i}_s{k}_in.bin")), input)
                .map_err(|e| e.to_string())?;
            std::fs::write(self.out.join(format!("c{i}_s{k}_out.bin")), output)
                .map_err(|e| e.to_string())?;
            let _ = writeln!(
                body,
                "    fill_i8(flat_mut(&mut input), include_bytes!(concat!(env!(\"OUT_DIR\"), \"/c{i}_s{k}_in.bin\")));\n    \
                 m{n}::Net::run(&input, &mut output, &mut state, arena).map_err(Failure::Kernel)?;\n    \
                 if let Some(d) = differ_i8(flat(&output), include_bytes!(concat!(env!(\"OUT_DIR\"), \"/c{i}_s{k}_out.bin\"))) {{ return Err(Failure::Step({k}, d)); }}"
            );
        }
        let _ = writeln!(
            self.index,
            "fn run_c{i}(arena: &mut [i8]) -> Result<(), Failure> {{\n    \
             let arena: &mut m{n}::Arena = arena.get_mut(..m{n}::ARENA_BYTES).and_then(|a| a.try_into().ok()).ok_or(Failure::Arena)?;\n    \
             let mut state = m{n}::State::new();\n    \
             let mut input: m{n}::Input = {zi};\n    \
             let mut output: m{n}::Output = {zo};\n{body}    Ok(())\n}}\n",
            zi = zero("i8", &module.tensors[x].shape),
            zo = zero("i8", &module.tensors[y].shape),
        );
        let _ = writeln!(self.table, "    (\"{name}\", run_c{i}),");
        Ok(())
    }
}

/// A zero value of the nested array type for `shape`.
fn zero(e: &str, shape: &[usize]) -> String {
    let z = format!("0{e}");
    if shape.is_empty() {
        return format!("[{z}; 1]");
    }
    let mut s = z;
    for d in shape.iter().rev() {
        s = format!("[{s}; {d}]");
    }
    s
}

/// The body of a runner's build script: generates the cases into `OUT_DIR` for the target named
/// by `NND_TARGET` (`default_target` when unset), and prints the `cargo::rerun-if-*` lines.
///
/// # Errors
/// A missing `OUT_DIR`, an unknown target name, or an error of [`generate`].
pub fn generate_for_env(default_target: &str) -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    println!("cargo::rerun-if-env-changed=NND_TARGET");
    println!("cargo::rerun-if-changed=build.rs");
    let name = std::env::var("NND_TARGET").unwrap_or_else(|_| default_target.into());
    let target = Target::from_name(&name).map_err(|e| e.to_string())?;
    generate(&out, target)
}

/// Writes `cases.rs` and the case data into `out` (a build script's `OUT_DIR`) for `target`:
/// every single-op case and every whole-network case of the vectors, each compiled by nn-dsl's
/// real pipeline. Prints the `cargo::rerun-if-changed` line for the vectors.
///
/// # Errors
/// A message naming the case that could not be generated, or a count that disagrees with the
/// vectors' manifests.
pub fn generate(out: &Path, target: Target) -> Result<(), String> {
    let vectors = crate::vectors_dir();
    println!("cargo::rerun-if-changed={}", vectors.display());
    println!("cargo::rerun-if-env-changed=NND_RUNNER_SHARD");
    let (shard, shards) = shard()?;
    let mine = |i: usize| i % shards == shard;
    let out = out.to_path_buf();
    let mut g = Gen {
        out: out.clone(),
        options: Options {
            target,
            type_name: Some("Net".into()),
            ..Options::default()
        },
        index: String::from("// @generated by crate::runner_gen\n\n"),
        table: String::from(
            "/// Every case: its name and its runner.\nstatic CASES: &[(&str, Runner)] = &[\n",
        ),
        count: 0,
        modules: 0,
        max_arena: 0,
    };

    // Single-op cases.
    let mut op_cases = 0usize;
    let all_ops: Vec<&str> = crate::OPS.iter().chain(&crate::OPS_16X8).copied().collect();
    for op in all_ops
        .iter()
        .enumerate()
        .filter(|&(i, _)| mine(i))
        .map(|(_, op)| *op)
    {
        let file = crate::load_op(op).map_err(|e| format!("{op}: {e}"))?;
        for case in &file.cases {
            let (module, weights) = crate::oracle_ir::build(op, case);
            // The case's first tensors are the graph inputs; the rest are constants (filters,
            // biases) that the module holds as weights.
            let inputs = case
                .inputs
                .iter()
                .take(module.inputs.len())
                .map(bytes)
                .collect::<Result<Vec<_>, _>>()?;
            let outputs = vec![bytes(&case.output)?];
            let n = g.compile(&case.name, &module, &weights)?;
            g.case(&case.name, n, &module, &inputs, &outputs)?;
            op_cases += 1;
        }
    }

    // Whole networks, every recorded case.
    let dir = vectors.join("models");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| nn_dsl::front::load::is_tflite(p))
        .collect();
    models.sort();
    let mut model_cases = 0usize;
    let mut in_place_cases = 0usize;
    let mut in_place_models: Vec<String> = Vec::new();
    for path in models
        .iter()
        .enumerate()
        .filter(|&(i, _)| mine(i))
        .map(|(_, p)| p)
    {
        let loaded = nn_dsl::front::load::load_tflite(path).map_err(|e| e.render())?;
        let json = path.with_extension("json");
        let file: ModelFile = serde_json::from_str(
            &std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?,
        )
        .map_err(|e| format!("{}: {e}", json.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = g.compile(&stem, &loaded.module, &loaded.weights)?;
        // Planned with row-by-row in-place convolutions and fused residual blocks too, when that
        // changes the plan: the same cases must give the same bytes.
        let rows = nn_dsl::plan::PlanOptions {
            in_place_rows: true,
            fuse_blocks: true,
            ..Default::default()
        };
        let rows_plan =
            nn_dsl::plan::plan(&loaded.module, &rows).map_err(|e| format!("{stem}: {e}"))?;
        let in_place = rows_plan.tensors.iter().any(|t| {
            matches!(
                t.share,
                nn_dsl::plan::Share::Rows(_) | nn_dsl::plan::Share::Block
            )
        });
        let variants = if in_place {
            let m = g.compile_planned(
                &format!("{stem} (in place)"),
                &loaded.module,
                &loaded.weights,
                &rows_plan,
            )?;
            in_place_models.push(stem.clone());
            vec![(n, String::new()), (m, " in place".to_string())]
        } else {
            vec![(n, String::new())]
        };
        for ((k, case), (n, suffix)) in file
            .cases
            .iter()
            .enumerate()
            .flat_map(|c| variants.iter().map(move |v| (c, v)))
        {
            let n = *n;
            let inputs = case
                .input
                .iter()
                .map(bytes)
                .collect::<Result<Vec<_>, _>>()?;
            let outputs = case
                .output
                .iter()
                .map(bytes)
                .collect::<Result<Vec<_>, _>>()?;
            g.case(
                &format!("{stem}{suffix} case {k}"),
                n,
                &loaded.module,
                &inputs,
                &outputs,
            )?;
            model_cases += 1;
            if !suffix.is_empty() {
                in_place_cases += 1;
            }
        }
    }

    // The q7 and q15 (power-of-two) networks written by tools/oracle/gen_q7q15.py, every case,
    // in the shard after the models.
    let q7_manifest = crate::load_q7_manifest().map_err(|e| e.to_string())?;
    let mut expected_q7 = 0usize;
    if mine(models.len()) {
        let nnd = vectors.join("../../nn-macros/tests/ui/data/q7_cnn.nnd");
        println!("cargo::rerun-if-changed={}", nnd.display());
        let loaded = nn_dsl::front::load::load_nnd(&nnd).map_err(|e| e.render())?;
        let cases = crate::load_q7_network("q7_cnn").map_err(|e| e.to_string())?;
        let n = g.compile("q7_cnn", &loaded.module, &loaded.weights)?;
        let as_bytes = |v: &[i8]| v.iter().map(|&b| b as u8).collect::<Vec<u8>>();
        for (k, case) in cases.iter().enumerate() {
            g.case(
                &format!("q7_cnn case {k}"),
                n,
                &loaded.module,
                &[as_bytes(&case.input)],
                &[as_bytes(&case.output)],
            )?;
            model_cases += 1;
        }
        expected_q7 = q7_manifest.cases.get("q7_cnn").copied().unwrap_or(0);
        // The q15 network (int16 tensors, little-endian bytes), in the same shard.
        let nnd = vectors.join("../../nn-macros/tests/ui/data/q15_net.nnd");
        println!("cargo::rerun-if-changed={}", nnd.display());
        let loaded = nn_dsl::front::load::load_nnd(&nnd).map_err(|e| e.render())?;
        let cases = crate::load_q15_network("q15_net").map_err(|e| e.to_string())?;
        let n = g.compile("q15_net", &loaded.module, &loaded.weights)?;
        let as_bytes = |v: &[i16]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        for (k, case) in cases.iter().enumerate() {
            g.case(
                &format!("q15_net case {k}"),
                n,
                &loaded.module,
                &[as_bytes(&case.input)],
                &[as_bytes(&case.output)],
            )?;
            model_cases += 1;
        }
        expected_q7 += q7_manifest.cases.get("q15_net").copied().unwrap_or(0);
    }

    // Stateful networks (SVDF): every recorded sequence, run step by step on one state, in the
    // shard after the q7 network.
    let mut sequences = 0usize;
    let mut expected_sequences = 0usize;
    if mine(models.len() + 1) {
        let stems = crate::stateful_stems().map_err(|e| e.to_string())?;
        let path = vectors.join("stateful/manifest.json");
        println!(
            "cargo::rerun-if-changed={}",
            vectors.join("stateful").display()
        );
        let manifest: ModelManifest = serde_json::from_str(
            &std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let listed: Vec<String> = manifest.models.keys().cloned().collect();
        let mut sorted = stems.clone();
        sorted.sort();
        if sorted != listed {
            return Err(format!(
                "the runner generates stateful models {sorted:?}, {} lists {listed:?}",
                path.display()
            ));
        }
        expected_sequences = manifest.models.values().map(|m| m.cases).sum();
        for stem in &stems {
            let tflite = vectors.join("stateful").join(format!("{stem}.tflite"));
            let loaded = nn_dsl::front::load::load_tflite(&tflite).map_err(|e| e.render())?;
            let file = crate::load_stateful(stem).map_err(|e| e.to_string())?;
            let n = g.compile(stem, &loaded.module, &loaded.weights)?;
            for (c, seq) in file.cases.iter().enumerate() {
                let steps = seq
                    .steps
                    .iter()
                    .map(|s| match (s.input.as_slice(), s.output.as_slice()) {
                        ([x], [y]) => Ok((bytes(x)?, bytes(y)?)),
                        _ => Err(format!("{stem}: a step with several inputs or outputs")),
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                g.sequence(&format!("{stem} sequence {c}"), n, &loaded.module, &steps)?;
                sequences += 1;
            }
        }
    }
    if sequences != expected_sequences {
        return Err(format!(
            "generated {sequences} sequences, the stateful manifest lists {expected_sequences}"
        ));
    }

    // The expected number of cases, counted independently from the vectors' manifests: every op
    // and every model they list must have been generated, each with all of its cases.
    let manifest = crate::load_manifest().map_err(|e| e.to_string())?;
    let mut ops: Vec<&str> = all_ops.clone();
    ops.sort_unstable();
    let listed: Vec<&str> = manifest.ops.keys().map(String::as_str).collect();
    if ops != listed {
        return Err(format!(
            "the runner generates ops {ops:?}, the vectors' manifest lists {listed:?}"
        ));
    }
    let expected_ops: usize = all_ops
        .iter()
        .enumerate()
        .filter(|&(i, _)| mine(i))
        .filter_map(|(_, op)| manifest.ops.get(*op))
        .sum();
    let path = dir.join("manifest.json");
    let model_manifest: ModelManifest = serde_json::from_str(
        &std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let stems: Vec<String> = models
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let listed: Vec<String> = model_manifest.models.keys().cloned().collect();
    if stems != listed {
        return Err(format!(
            "the runner generates models {stems:?}, {} lists {listed:?}",
            path.display()
        ));
    }
    let expected_models: usize = stems
        .iter()
        .enumerate()
        .filter(|&(i, _)| mine(i))
        .filter_map(|(_, m)| model_manifest.models.get(m))
        .map(|m| m.cases)
        .sum::<usize>()
        + in_place_models
            .iter()
            .filter_map(|m| model_manifest.models.get(m))
            .map(|m| m.cases)
            .sum::<usize>()
        + expected_q7;
    if (op_cases, model_cases) != (expected_ops, expected_models) {
        return Err(format!(
            "generated {op_cases} single-op and {model_cases} whole-network cases, the manifests \
             list {expected_ops} and {expected_models}"
        ));
    }

    g.table.push_str("];\n");
    let mut file = g.index;
    file.push_str(&g.table);
    let _ = writeln!(
        file,
        "/// Single-op cases generated.\npub const OP_CASES: usize = {op_cases};\n\
         /// Whole-network cases.\npub const MODEL_CASES: usize = {model_cases};\n\
         /// Sequences of stateful networks (one case each).\npub const SEQUENCES: usize = {sequences};\n\
         /// Of which with row-by-row in-place convolutions.\npub const IN_PLACE_CASES: usize = {in_place_cases};\n\
         /// The number of cases the vectors' manifests list.\npub const EXPECTED_CASES: usize = {};\n\
         /// The largest arena of any case.\npub const MAX_ARENA: usize = {};\n\
         /// The target the cases were generated for.\npub const TARGET: &str = \"{}\";",
        expected_ops + expected_models + expected_sequences,
        // One int16 element more: an int16 arena starts at the runner arena's first even address.
        g.max_arena.max(1) + 2,
        target.name()
    );
    rust::write_if_changed(&out.join("cases.rs"), &file).map_err(|e| e.to_string())?;
    Ok(())
}

/// `NND_RUNNER_SHARD=k/n` (`k < n`): generate only the ops and models whose position (in `OPS`
/// order, and in file-name order) is `k` modulo `n`, so that a firmware image too large for one
/// target's flash runs in `n` parts (`tools/cortex-m-test.sh`); unset: everything (`0/1`).
fn shard() -> Result<(usize, usize), String> {
    let Ok(text) = std::env::var("NND_RUNNER_SHARD") else {
        return Ok((0, 1));
    };
    let parsed = text.split_once('/').and_then(|(k, n)| {
        Some((
            k.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((k, n)) if n > 0 && k < n => Ok((k, n)),
        _ => Err(format!(
            "NND_RUNNER_SHARD={text:?}: expected k/n with 0 <= k < n, e.g. 0/2"
        )),
    }
}
