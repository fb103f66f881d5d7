//! The power-of-two q7/q15 kernels (`nn_kernels::q7q15`) against the committed vectors of
//! `tests/vectors/q7q15/`, written by `tools/oracle/gen_q7q15.py` (a Python transcription of
//! CMSIS-NN's legacy reference loops; docs/vectors.md). Outputs must be equal, element for
//! element. One test per kernel; every file's case count is checked against its manifest.
#![allow(clippy::panic)]

use std::fs;

use nn_kernels::q7q15::{self, Rounding, Shifts, Window};
use nn_kernels::KernelResult;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    op: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    window: Option<WindowJson>,
    bias_shift: Option<u32>,
    out_shift: Option<u32>,
    rounding: Option<String>,
    input: Vec<i32>,
    weights: Option<Vec<i32>>,
    bias: Option<Vec<i32>>,
    function: Option<String>,
    int_width: Option<u32>,
    output: Vec<i32>,
}

#[derive(Deserialize)]
struct WindowJson {
    input_h: usize,
    input_w: usize,
    input_c: usize,
    output_h: usize,
    output_w: usize,
    output_c: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad_top: usize,
    pad_left: usize,
}

impl Case {
    fn window(&self) -> Window {
        let w = self
            .window
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no window", self.name));
        Window {
            input_h: w.input_h,
            input_w: w.input_w,
            input_c: w.input_c,
            output_h: w.output_h,
            output_w: w.output_w,
            output_c: w.output_c,
            kernel_h: w.kernel_h,
            kernel_w: w.kernel_w,
            stride_h: w.stride_h,
            stride_w: w.stride_w,
            pad_top: w.pad_top,
            pad_left: w.pad_left,
        }
    }

    fn shifts(&self) -> Shifts {
        let rounding = match self.rounding.as_deref() {
            Some("nearest") => Rounding::Nearest,
            Some("truncate") => Rounding::Truncate,
            other => panic!("{}: rounding {other:?}", self.name),
        };
        Shifts {
            bias_shift: self
                .bias_shift
                .unwrap_or_else(|| panic!("{}: no bias_shift", self.name)),
            out_shift: self
                .out_shift
                .unwrap_or_else(|| panic!("{}: no out_shift", self.name)),
            rounding,
        }
    }

    fn weights(&self) -> &[i32] {
        self.weights
            .as_deref()
            .unwrap_or_else(|| panic!("{}: no weights", self.name))
    }

    fn bias(&self) -> &[i32] {
        self.bias
            .as_deref()
            .unwrap_or_else(|| panic!("{}: no bias", self.name))
    }
}

fn narrow<T: TryFrom<i32>>(name: &str, what: &str, data: &[i32]) -> Vec<T> {
    data.iter()
        .map(|&v| {
            T::try_from(v).unwrap_or_else(|_| panic!("{name}: {what} value {v} out of range"))
        })
        .collect()
}

/// Run every case of `op` through `run` (which returns the kernel's output widened) and fail
/// with one line per differing case.
fn check(op: &str, run: impl Fn(&Case) -> (KernelResult, Vec<i32>)) {
    let dir = nnd_tests::vectors_dir().join("q7q15");
    let manifest = nnd_tests::load_q7_manifest().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(format!("{op}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: File =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(file.op, op);
    assert_eq!(
        Some(&file.cases.len()),
        manifest.cases.get(op),
        "{op}: case count differs from the manifest"
    );
    let mut failures = Vec::new();
    for case in &file.cases {
        let (result, got) = run(case);
        if let Err(e) = result {
            failures.push(format!("{}: kernel error {e}", case.name));
            continue;
        }
        if let Some(at) = got.iter().zip(&case.output).position(|(a, b)| a != b) {
            failures.push(format!(
                "{}: output differs at index {at}: got {}, want {}",
                case.name, got[at], case.output[at]
            ));
        } else if got.len() != case.output.len() {
            failures.push(format!(
                "{}: output length {} want {}",
                case.name,
                got.len(),
                case.output.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{op}: {} of {} cases differ from the reference:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
}

fn widen<T: Copy + Into<i32>>(v: &[T]) -> Vec<i32> {
    v.iter().map(|&x| x.into()).collect()
}

/// A test of a layer with weights: `$kernel(window?, shifts, input, weights, bias, output)` with
/// element types input `$x`, weights and bias `$w`, output `$o`.
macro_rules! layer_test {
    ($kernel:ident, $x:ty, $w:ty, $o:ty $(, $window:ident)?) => {
        #[test]
        fn $kernel() {
            check(stringify!($kernel), |c| {
                let mut out = vec![<$o>::default(); c.output.len()];
                let r = q7q15::$kernel(
                    $(&c.$window(),)?
                    &c.shifts(),
                    &narrow::<$x>(&c.name, "input", &c.input),
                    &narrow::<$w>(&c.name, "weights", c.weights()),
                    &narrow::<$w>(&c.name, "bias", c.bias()),
                    &mut out,
                );
                (r, widen(&out))
            });
        }
    };
}

layer_test!(convolve_hwc_q7, i8, i8, i8, window);
layer_test!(convolve_hwc_q15, i16, i16, i16, window);
layer_test!(depthwise_conv_hwc_q7, i8, i8, i8, window);
layer_test!(fully_connected_q7, i8, i8, i8);
layer_test!(fully_connected_q15, i16, i16, i16);
layer_test!(fully_connected_mat_q7_vec_q15, i16, i8, i16);

/// A test of a kernel mapping one vector to another: `$run(case input) -> (result, output)`.
macro_rules! map_test {
    ($kernel:ident, $t:ty, $run:expr) => {
        #[test]
        fn $kernel() {
            check(stringify!($kernel), |c| {
                let input = narrow::<$t>(&c.name, "input", &c.input);
                let mut out = vec![<$t>::default(); c.output.len()];
                let run: fn(&Case, &[$t], &mut [$t]) -> KernelResult = $run;
                let r = run(c, &input, &mut out);
                (r, widen(&out))
            });
        }
    };
}

map_test!(maxpool_hwc_q7, i8, |c, x, y| q7q15::maxpool_hwc_q7(
    &c.window(),
    x,
    y
));
map_test!(avepool_hwc_q7, i8, |c, x, y| q7q15::avepool_hwc_q7(
    &c.window(),
    x,
    y
));
map_test!(softmax_q7, i8, |_, x, y| q7q15::softmax_q7(x, y));
map_test!(softmax_q15, i16, |_, x, y| q7q15::softmax_q15(x, y));
map_test!(relu_q7, i8, |_, x, y| {
    y.copy_from_slice(x);
    q7q15::relu_q7(y);
    Ok(())
});
map_test!(relu_q15, i16, |_, x, y| {
    y.copy_from_slice(x);
    q7q15::relu_q15(y);
    Ok(())
});

impl Case {
    fn activation(&self) -> (u32, q7q15::Activation) {
        let f = match self.function.as_deref() {
            Some("sigmoid") => q7q15::Activation::Sigmoid,
            Some("tanh") => q7q15::Activation::Tanh,
            other => panic!("{}: function {other:?}", self.name),
        };
        let w = self
            .int_width
            .unwrap_or_else(|| panic!("{}: no int_width", self.name));
        (w, f)
    }
}

map_test!(activations_direct_q7, i8, |c, x, y| {
    let (w, f) = c.activation();
    q7q15::activations_direct_q7_copy(x, y, w, f)
});
map_test!(activations_direct_q15, i16, |c, x, y| {
    let (w, f) = c.activation();
    y.copy_from_slice(x);
    q7q15::activations_direct_q15(y, w, f)
});

/// The q7 network written by the generator (`nn-macros/tests/ui/data/q7_cnn.nnd`: conv2d, relu,
/// max_pool2d, depthwise_conv2d, a 1x1 conv2d, avg_pool2d, flatten, dense, softmax, every layer
/// in CMSIS-NN's power-of-two arithmetic) checked, bound, lowered and run by the host executor:
/// every output equal to the generator's composed reference loops.
#[test]
fn q7_network_through_the_compiler_equals_the_reference() {
    use nn_dsl::exec::{self, TensorData};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let loaded = nn_dsl::front::load::load_nnd(&root.join("nn-macros/tests/ui/data/q7_cnn.nnd"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(loaded.module.numerics, nn_dsl::ir::Numerics::Pow2);
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights)
        .unwrap_or_else(|e| panic!("lowering: {e}"));
    let q7_kernels = lowered.nodes.iter().filter(|p| p.is_q7()).count();
    assert_eq!(
        q7_kernels, 6,
        "conv, depthwise, conv, avg pool, dense, softmax"
    );
    let cases = nnd_tests::load_q7_network("q7_cnn").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cases.len(), 20);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let input = TensorData::I8(case.input.clone());
        let want = &case.output;
        match exec::run(&loaded.module, &lowered, &[input]) {
            Ok(out) => match &out[0] {
                TensorData::I8(got) if got == want => {}
                other => failures.push(format!("case {i}: got {other:?}, want {want:?}")),
            },
            Err(e) => failures.push(format!("case {i}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The q7 network builds for every target, plain and with the memory modes on: its q7 layers
/// run the portable power-of-two kernels (said per layer), the others the target's.
#[test]
fn q7_network_builds_for_every_target() {
    use nn_dsl::back::rust::{KernelChoice, Options, Target};
    use nn_dsl::plan::PlanOptions;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nn-macros/tests/ui/data/q7_cnn.nnd");
    for name in ["generic", "cortex-m4", "aarch64-dotprod", "k210"] {
        let target = Target::from_name(name).unwrap_or_else(|e| panic!("{e}"));
        for plan in [
            PlanOptions::default(),
            PlanOptions::memory(true, None, true),
        ] {
            let options = Options {
                target,
                ..Options::default()
            };
            let compiled = nn_dsl::build::compile_file_with(&path, &options, &plan)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(compiled.code.contains("q7q15::convolve_hwc_q7"), "{name}");
            assert!(
                compiled.code.contains("q7q15::depthwise_conv_hwc_q7"),
                "{name}"
            );
            assert!(compiled.code.contains("q7q15::softmax_q7_rows"), "{name}");
            let q7: Vec<_> = compiled
                .kernels
                .iter()
                .filter(|k| matches!(&k.choice, KernelChoice::Portable(Some(why)) if why.contains("q7")))
                .map(|k| k.node.as_str())
                .collect();
            let expect = if name == "generic" {
                vec![]
            } else {
                vec!["c1", "d1", "c2", "a1", "logits", "probs"]
            };
            assert_eq!(q7, expect, "{name}");
        }
    }
}

/// A format whose shift would be negative (more output fractional bits than the accumulator
/// has) is refused when the weights are bound, at the layer, naming the shift.
#[test]
fn q7_shift_out_of_range_is_refused_at_the_layer() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nn-macros/tests/ui/data");
    let source = fs::read_to_string(dir.join("q7_cnn.nnd")).unwrap_or_else(|e| panic!("{e}"));
    let bad = source.replace("padding = same, frac = 5", "padding = same, frac = 20");
    assert_ne!(bad, source);
    let err = match nn_dsl::front::load::load_nnd_source(bad, "q7_bad.nnd".into(), &dir) {
        Ok(_) => panic!("a negative output shift was accepted"),
        Err(e) => e.render(),
    };
    assert!(err.contains("E0204"), "{err}");
    assert!(err.contains("layer `c1` (conv2d)"), "{err}");
    assert!(err.contains("output shift"), "{err}");
}

/// The .nnd writer prints a q7 network back with its `q7<F>` input and every `frac`: the text
/// checks and binds to the same formats.
#[test]
fn q7_network_writes_back_as_nnd() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nn-macros/tests/ui/data");
    let loaded = nn_dsl::front::load::load_nnd(&dir.join("q7_cnn.nnd"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let text = nn_dsl::back::nnd::write_string(&loaded.module, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("input x: q7<7>[12, 12, 2];"), "{text}");
    assert_eq!(text.matches("frac = ").count(), 4, "{text}");
    let again = nn_dsl::front::load::load_nnd_source(text, "again.nnd".into(), &dir)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let formats = |m: &nn_dsl::ir::Module| -> Vec<(String, Option<i32>)> {
        m.tensors
            .iter()
            .map(|(_, t)| (t.name.clone(), t.quant.as_ref().and_then(|q| q.pow2_frac())))
            .collect()
    };
    assert_eq!(formats(&again.module), formats(&loaded.module));
}

/// The q15 network written by the generator (`nn-macros/tests/ui/data/q15_net.nnd`: conv2d,
/// relu, a strided conv2d, relu, flatten, dense with q15 weights, relu, dense with q7 weights,
/// softmax, every layer in CMSIS-NN's power-of-two `_q15` arithmetic) checked, bound, lowered
/// and run by the host executor: every output equal to the generator's composed reference loops.
#[test]
fn q15_network_through_the_compiler_equals_the_reference() {
    use nn_dsl::exec::{self, TensorData};
    use nn_dsl::lower::NodeParams;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let loaded = nn_dsl::front::load::load_nnd(&root.join("nn-macros/tests/ui/data/q15_net.nnd"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(loaded.module.numerics, nn_dsl::ir::Numerics::Pow2);
    assert!(
        loaded
            .module
            .tensors
            .iter()
            .all(|(_, t)| t.dtype == nn_dsl::ir::DType::I16),
        "every tensor of a q15 network is i16"
    );
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights)
        .unwrap_or_else(|e| panic!("lowering: {e}"));
    let kernels: Vec<&str> = lowered
        .nodes
        .iter()
        .filter_map(|p| match p {
            NodeParams::Q15(q) => Some(q.op_name()),
            _ => None,
        })
        .collect();
    assert_eq!(
        kernels,
        [
            "q15 conv2d",
            "q15 relu",
            "q15 conv2d",
            "q15 relu",
            "q15 dense",
            "q15 relu",
            "q15 dense (q7 weights)",
            "q15 softmax"
        ]
    );
    assert!(
        lowered
            .nodes
            .iter()
            .any(|p| matches!(p, NodeParams::Copy { .. })),
        "flatten"
    );
    let cases = nnd_tests::load_q15_network("q15_net").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cases.len(), 20);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let input = TensorData::I16(case.input.clone());
        let want = &case.output;
        match exec::run(&loaded.module, &lowered, &[input]) {
            Ok(out) => match &out[0] {
                TensorData::I16(got) if got == want => {}
                other => failures.push(format!("case {i}: got {other:?}, want {want:?}")),
            },
            Err(e) => failures.push(format!("case {i}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The q15 network builds for every target, plain and with the memory modes on: every layer
/// but the flatten runs a portable `_q15` kernel, said per layer on the targets with kernels
/// of their own.
#[test]
fn q15_network_builds_for_every_target() {
    use nn_dsl::back::rust::{KernelChoice, Options, Target};
    use nn_dsl::plan::PlanOptions;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nn-macros/tests/ui/data/q15_net.nnd");
    for name in ["generic", "cortex-m4", "aarch64-dotprod", "k210"] {
        let target = Target::from_name(name).unwrap_or_else(|e| panic!("{e}"));
        for plan in [
            PlanOptions::default(),
            PlanOptions::memory(true, None, true),
        ] {
            let options = Options {
                target,
                ..Options::default()
            };
            let compiled = nn_dsl::build::compile_file_with(&path, &options, &plan)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for f in [
                "q7q15::convolve_hwc_q15",
                "q7q15::relu_q15_copy",
                "q7q15::fully_connected_q15",
                "q7q15::fully_connected_mat_q7_vec_q15",
                "q7q15::softmax_q15_rows",
            ] {
                assert!(compiled.code.contains(f), "{name}: {f}");
            }
            let q15: Vec<_> = compiled
                .kernels
                .iter()
                .filter(|k| matches!(&k.choice, KernelChoice::Portable(Some(why)) if why.contains("q15")))
                .map(|k| k.node.as_str())
                .collect();
            let expect = if name == "generic" {
                vec![]
            } else {
                vec!["c1", "r1", "c2", "r2", "h", "r3", "logits", "probs"]
            };
            assert_eq!(q15, expect, "{name}");
        }
    }
}

/// The .nnd writer prints a q15 network back with its `q15<F>` input and every `frac`: the
/// text checks and binds to the same formats and types.
#[test]
fn q15_network_writes_back_as_nnd() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nn-macros/tests/ui/data");
    let loaded = nn_dsl::front::load::load_nnd(&dir.join("q15_net.nnd"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let text = nn_dsl::back::nnd::write_string(&loaded.module, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("input x: q15<12>[8, 8, 2];"), "{text}");
    assert_eq!(text.matches("frac = ").count(), 4, "{text}");
    let again = nn_dsl::front::load::load_nnd_source(text, "again.nnd".into(), &dir)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let formats = |m: &nn_dsl::ir::Module| -> Vec<(String, nn_dsl::ir::DType, Option<i32>)> {
        m.tensors
            .iter()
            .map(|(_, t)| {
                (
                    t.name.clone(),
                    t.dtype,
                    t.quant.as_ref().and_then(|q| q.pow2_frac()),
                )
            })
            .collect()
    };
    assert_eq!(formats(&again.module), formats(&loaded.module));
}

/// A q15 dense layer whose weights file holds q7 weights but a q15 bias is refused when the
/// weights are bound, naming the key and the type it needs (the weights' type chooses the
/// bias's).
#[test]
fn q15_dense_bias_type_follows_its_weights() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nn-macros/tests/ui/data");
    let loaded = nn_dsl::front::load::load_nnd(&dir.join("q15_net.nnd"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let mut weights = loaded.weights.clone();
    let w = weights
        .get("h.weight")
        .cloned()
        .unwrap_or_else(|| panic!("h.weight"));
    assert_eq!(w.dtype, nn_dsl::weights::WDType::I16);
    // h's weights as q7 (the mixed kernel), its q15 bias left in place.
    let q7 = nn_dsl::weights::WeightTensor {
        dtype: nn_dsl::weights::WDType::I8,
        shape: w.shape.clone(),
        data: w.data.chunks_exact(2).map(|c| c[0]).collect(),
    };
    weights.tensors.insert("h.weight".into(), q7);
    let mut module = loaded.module.clone();
    let diags = nn_dsl::weights::bind(&mut module, &weights, nn_dsl::Span::default())
        .expect_err("a q15 bias beside q7 weights");
    let text: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
    let text = text.join("\n");
    assert!(text.contains("E0202"), "{text}");
    assert!(text.contains("`h.bias` is i16"), "{text}");
}

/// The emulated runners' generator (`nnd_tests::runner_gen`, used by `tools/cortex-m-test.sh`,
/// `tools/aarch64-test.sh`, `tools/riscv64-test.sh`) writes every case of both power-of-two
/// networks, the q15 one with int16 ports, and its case count agrees with the manifests.
#[test]
fn runner_generator_writes_the_q7_and_q15_networks() {
    let out = std::env::temp_dir().join(format!("nnd-q15-runner-{}", std::process::id()));
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
    let target =
        nn_dsl::back::rust::Target::from_name("cortex-m4").unwrap_or_else(|e| panic!("{e}"));
    let r = nnd_tests::runner_gen::generate(&out, target);
    let cases = fs::read_to_string(out.join("cases.rs"));
    let _ = fs::remove_dir_all(&out);
    r.unwrap_or_else(|e| panic!("{e}"));
    let cases = cases.unwrap_or_else(|e| panic!("{e}"));
    for k in 0..20 {
        assert!(
            cases.contains(&format!("\"q7_cnn case {k}\"")),
            "q7_cnn case {k}"
        );
        assert!(
            cases.contains(&format!("\"q15_net case {k}\"")),
            "q15_net case {k}"
        );
    }
    assert!(
        cases.contains("fill_i16"),
        "the q15 network's input is int16"
    );
}

/// A q15 `conv1d` (a height-1 `conv2d` between two reshapes, all int16) lowers to
/// `convolve_hwc_q15` and gives what that kernel gives on the same data, then `relu_q15`.
#[test]
fn q15_conv1d_runs_the_q15_convolution() {
    use nn_dsl::exec::{self, TensorData};
    use nn_dsl::lower::{NodeParams, Q15Params};
    use nn_dsl::weights::{WDType, WeightTensor, Weights};
    let dir = std::env::temp_dir().join(format!("nnd-q15-conv1d-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let le = |v: &[i16]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let weights: Vec<i16> = (0..4 * 3 * 3)
        .map(|i| (i * 97 % 401 - 200) as i16)
        .collect();
    let bias: Vec<i16> = vec![300, -1200, 0, 4000];
    let mut w = Weights::default();
    let mut put = |k: &str, t: Option<WeightTensor>| {
        w.tensors
            .insert(k.into(), t.unwrap_or_else(|| panic!("{k}")));
    };
    put(
        "c.weight",
        WeightTensor::new(WDType::I16, vec![4, 1, 3, 3], le(&weights)),
    );
    put("c.bias", WeightTensor::new(WDType::I16, vec![4], le(&bias)));
    put(
        "c.weight_frac",
        WeightTensor::new(WDType::I32, vec![1], 12i32.to_le_bytes().to_vec()),
    );
    put(
        "c.bias_frac",
        WeightTensor::new(WDType::I32, vec![1], 18i32.to_le_bytes().to_vec()),
    );
    w.write(&dir.join("w.safetensors"))
        .unwrap_or_else(|e| panic!("{e}"));
    let source =
        "network Q15Seq {\n    input x: q15<10>[16, 3];\n    weights \"w.safetensors\";\n    \
                  let c = conv1d(x, filters = 4, kernel = 3, padding = same, frac = 9);\n    \
                  output y = relu(c);\n}\n";
    let loaded = nn_dsl::front::load::load_nnd_source(source.into(), "seq.nnd".into(), &dir);
    let _ = fs::remove_dir_all(&dir);
    let loaded = loaded.unwrap_or_else(|e| panic!("{}", e.render()));
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights)
        .unwrap_or_else(|e| panic!("lowering: {e}"));
    let conv = lowered
        .nodes
        .iter()
        .find_map(|p| match p {
            NodeParams::Q15(Q15Params::Conv2d(c)) => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no q15 convolution in {:?}", lowered.nodes));
    // in 10 + w 12 - out 9; in 10 + w 12 - bias 18.
    assert_eq!((conv.shifts.out_shift, conv.shifts.bias_shift), (13, 4));
    let x: Vec<i16> = (0..48).map(|i| (i * 1237 % 9000 - 4500) as i16).collect();
    let mut want = vec![0i16; 16 * 4];
    q7q15::convolve_hwc_q15(&conv.window, &conv.shifts, &x, &weights, &bias, &mut want)
        .unwrap_or_else(|e| panic!("{e:?}"));
    q7q15::relu_q15(&mut want);
    let out = exec::run(&loaded.module, &lowered, &[TensorData::I16(x)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0].as_i16(), Some(want.as_slice()));
    assert!(want.iter().any(|&v| v > 0) && want.contains(&0), "{want:?}");
}

/// The q7 or q15 network's weights file, beside the networks below (which use none of its
/// tensors: the loader wants a weights statement).
fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nn-macros/tests/ui/data")
}

/// Loads a `.nnd` source whose weights file is in [`data_dir`].
fn load_source(source: &str) -> Result<nn_dsl::front::load::Loaded, String> {
    nn_dsl::front::load::load_nnd_source(source.into(), "table.nnd".into(), &data_dir())
        .map_err(|e| e.render())
}

const Q7_TABLE: &str = "network Q7Table {\n    input x: q7<5>[256];\n    \
                        weights \"q7_cnn.safetensors\";\n    \
                        let s = logistic(x);\n    output t = tanh(s);\n}\n";

/// `logistic` and `tanh` in a q7 network lower to the table kernels with `int_width = 7 - frac`
/// and run (host executor) as the generator's reference lookups composed, on every input.
#[test]
fn q7_table_activations_run_as_the_reference() {
    use nn_dsl::exec::{self, TensorData};
    use nn_dsl::lower::{NodeParams, TableActivation};
    let loaded = load_source(Q7_TABLE).unwrap_or_else(|e| panic!("{e}"));
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights)
        .unwrap_or_else(|e| panic!("lowering: {e}"));
    assert_eq!(
        lowered.nodes,
        vec![
            NodeParams::Q7Activation {
                function: TableActivation::Sigmoid,
                int_width: 2
            },
            NodeParams::Q7Activation {
                function: TableActivation::Tanh,
                int_width: 0
            },
        ]
    );
    let file: File = serde_json::from_str(
        &fs::read_to_string(nnd_tests::vectors_dir().join("q7q15/activations_direct_q7.json"))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let find = |f: &str, w: u32| {
        file.cases
            .iter()
            .find(|c| c.function.as_deref() == Some(f) && c.int_width == Some(w))
            .unwrap_or_else(|| panic!("no {f} case at int_width {w}"))
    };
    let (sig, tanh) = (find("sigmoid", 2), find("tanh", 0));
    let x: Vec<i8> = narrow(&sig.name, "input", &sig.input);
    let want: Vec<i8> = sig
        .output
        .iter()
        .map(|&s| tanh.output[(s + 128) as usize] as i8)
        .collect();
    let out =
        exec::run(&loaded.module, &lowered, &[TensorData::I8(x)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0].as_i8(), Some(want.as_slice()));
    // The .nnd writer prints both layers back; the text lowers to the same kernels.
    let text = nn_dsl::back::nnd::write_string(&loaded.module, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.contains("logistic(x)") && text.contains("tanh(s)"),
        "{text}"
    );
    let again = load_source(&text).unwrap_or_else(|e| panic!("{e}"));
    let relowered = nn_dsl::lower::lower(&again.module, &again.weights)
        .unwrap_or_else(|e| panic!("lowering: {e}"));
    assert_eq!(relowered.nodes, lowered.nodes, "{text}");
}

/// The q7 table network builds for every target, plain and with the memory modes on (the
/// table kernels read an input and write an output: not planned in place).
#[test]
fn q7_table_activations_build_for_every_target() {
    use nn_dsl::back::rust::{Options, Target};
    use nn_dsl::plan::PlanOptions;
    let dir = std::env::temp_dir().join(format!("nnd-q7-table-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("q7_table.nnd");
    fs::write(&path, Q7_TABLE).unwrap_or_else(|e| panic!("{e}"));
    fs::copy(
        data_dir().join("q7_cnn.safetensors"),
        dir.join("q7_cnn.safetensors"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for name in ["generic", "cortex-m4", "aarch64-dotprod", "k210"] {
        let target = Target::from_name(name).unwrap_or_else(|e| panic!("{e}"));
        for plan in [
            PlanOptions::default(),
            PlanOptions::memory(true, None, true),
        ] {
            let options = Options {
                target,
                ..Options::default()
            };
            let compiled = nn_dsl::build::compile_file_with(&path, &options, &plan)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                compiled.code.contains("q7q15::activations_direct_q7_copy"),
                "{name}"
            );
        }
    }
    let _ = fs::remove_dir_all(&dir);
}

/// An input format the tables cannot take (more than 3 integer bits) is refused by the checker
/// (E0128) at the layer, in q7 and q15 networks; a q15 sigmoid lowers with `15 - frac`.
#[test]
fn table_activation_formats() {
    use nn_dsl::lower::{NodeParams, Q15Params, TableActivation};
    for (src, word) in [
        (
            "network A {\n    input x: q7<3>[4];\n    output t = tanh(x);\n}\n",
            "q7<3>",
        ),
        (
            "network A {\n    input x: q15<11>[4];\n    output t = logistic(x);\n}\n",
            "q15<11>",
        ),
    ] {
        let e = load_source(src)
            .err()
            .unwrap_or_else(|| panic!("{word} accepted"));
        assert!(e.contains("E0128") && e.contains(word), "{e}");
        assert!(e.contains("0 to 3 integer bits"), "{e}");
    }
    let loaded = load_source(
        "network A {\n    input x: q15<12>[4];\n    weights \"q15_net.safetensors\";\n    \
         output t = logistic(x);\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights)
        .unwrap_or_else(|e| panic!("lowering: {e}"));
    assert_eq!(
        lowered.nodes,
        vec![NodeParams::Q15(Q15Params::Activation {
            function: TableActivation::Sigmoid,
            int_width: 3
        })]
    );
    let out = nn_dsl::exec::run(
        &loaded.module,
        &lowered,
        &[nn_dsl::exec::TensorData::I16(vec![0, 4096, -4096, 32767])],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut want = [0i16, 4096, -4096, 32767];
    q7q15::activations_direct_q15(&mut want, 3, q7q15::Activation::Sigmoid)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out[0].as_i16(), Some(want.as_slice()));
    assert_eq!(want[0], 16384);
}
