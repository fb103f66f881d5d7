//! Whole networks and single ops through `nn_dsl::lower` + `nn_dsl::exec`, against TFLM.
//!
//! - `single_op_vectors_through_exec`: every case of `tests/vectors/ops/*.json` becomes a one-node
//!   IR module (shapes without the batch, the node's constants in a `Weights` under the names of
//!   docs/weights.md), is lowered and run by the host executor; outputs must EQUAL TFLM's. This
//!   proves that `lower` derives the same constants as the kernel harness (`kernels_oracle.rs`).
//! - `whole_networks_equal_tflm`: every `tests/vectors/models/*.tflite` is imported, lowered and run
//!   on each of its recorded inputs; every output byte must equal TFLM's.
//! - `import_round_trip_gives_identical_bytes`: .tflite -> .nnd + .safetensors -> load -> run: the
//!   lowering (every kernel constant and weight) equals the directly imported module's, and every
//!   case's outputs equal TFLM's, byte for byte. (The CLI round trip, `nndc import` then
//!   `nndc run`, is in `nn-dsl/tests/exec_cli.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use nn_dsl::exec::{self, TensorData};
use nn_dsl::ir::{
    Activation, Conv2d, DType, Dense, DepthwiseConv2d, Module, Node, Op, Padding2d, PaddingScheme,
    Pool2d, Producer, Quant, Tensor as IrTensor, Window2d,
};
use nn_dsl::shape::{self, Padding};
use nn_dsl::span::Span;
use nn_dsl::weights::{WDType, WeightTensor, Weights};
use nnd_tests::{
    compare, load_op, ActivationName, ActivationOptions, Case, ConvOptions, DType as VDType,
    FullyConnectedOptions, MeanOptions, PadOptions, PoolOptions, SoftmaxOptions, Tensor as VTensor,
    OPS,
};

// ---------------------------------------------------------------------------------------------
// Single-op cases as one-node modules.

fn act(a: ActivationName) -> Activation {
    match a {
        ActivationName::None => Activation::None,
        ActivationName::Relu => Activation::Relu,
        ActivationName::Relu6 => Activation::Relu6,
    }
}

/// The IR shape of a stored activation: the leading batch of 1 removed (rank >= 2).
fn ir_shape(shape: &[usize]) -> Vec<usize> {
    match shape {
        [1, rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => shape.to_vec(),
    }
}

fn dtype(t: &VTensor) -> DType {
    match t.dtype {
        VDType::Int8 => DType::I8,
        VDType::Int32 => DType::I32,
        VDType::Float32 => DType::F32,
    }
}

fn quant_of(t: &VTensor) -> Option<Quant> {
    (!t.scale.is_empty()).then(|| Quant {
        scale: t.scales(),
        zero_point: t.zero_point.clone(),
        axis: None,
    })
}

fn ir_tensor(name: &str, t: &VTensor, producer: Producer) -> IrTensor {
    IrTensor {
        name: name.into(),
        shape: ir_shape(&t.shape),
        dtype: dtype(t),
        quant: quant_of(t),
        producer,
        span: Span::UNDEFINED,
    }
}

/// A module with `data_inputs` graph inputs feeding one node `n` with `op`.
fn one_node(case: &Case, data_inputs: usize, op: Op) -> Module {
    let mut m = Module::new("single");
    for (i, t) in case.inputs.iter().take(data_inputs).enumerate() {
        let h = m
            .tensors
            .append(ir_tensor(&format!("x{i}"), t, Producer::Input(i)))
            .unwrap();
        m.inputs.push(h);
    }
    let node = nn_dsl::ir::Handle::from_index(0);
    let out = m
        .tensors
        .append(ir_tensor("n", &case.output, Producer::Node(node)))
        .unwrap();
    m.nodes
        .append(Node {
            name: "n".into(),
            op,
            inputs: m.inputs.clone(),
            output: out,
            span: Span::UNDEFINED,
        })
        .unwrap();
    m.outputs.push(("n".into(), out));
    m.validate().unwrap();
    m
}

fn put(w: &mut Weights, name: &str, dtype: WDType, shape: &[usize], data: Vec<u8>) {
    w.tensors.insert(
        name.into(),
        WeightTensor {
            dtype,
            shape: shape.to_vec(),
            data,
        },
    );
}

/// `n.weight`, `n.weight_scale` and (if present) `n.bias` from operands 1 and 2.
fn layer_weights(case: &Case) -> Weights {
    let mut w = Weights::default();
    let f = case.input(1).unwrap();
    let fd: Vec<u8> = f.i8_data().unwrap().iter().map(|&v| v as u8).collect();
    put(&mut w, "n.weight", WDType::I8, &f.shape, fd);
    let scales: Vec<u8> = f.scales().iter().flat_map(|s| s.to_le_bytes()).collect();
    put(
        &mut w,
        "n.weight_scale",
        WDType::F32,
        &[f.scale.len()],
        scales,
    );
    if let Some(b) = case.inputs.get(2) {
        let bd: Vec<u8> = b
            .i32_data()
            .unwrap()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        put(&mut w, "n.bias", WDType::I32, &b.shape, bd);
    }
    w
}

fn window(
    case: &Case,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
) -> Window2d {
    let x = &case.inputs[0].shape;
    let dh = shape::window(x[1], kernel[0], stride[0], dilation[0], padding).unwrap();
    let dw = shape::window(x[2], kernel[1], stride[1], dilation[1], padding).unwrap();
    Window2d {
        kernel,
        stride,
        dilation,
        padding: Padding2d {
            scheme: match padding {
                Padding::Same => PaddingScheme::Same,
                Padding::Valid => PaddingScheme::Valid,
            },
            top: dh.pad_before,
            bottom: dh.pad_after,
            left: dw.pad_before,
            right: dw.pad_after,
        },
    }
}

fn axis(a: i64, stored_rank: usize) -> usize {
    // Normalise against the stored rank, then drop the batch dimension.
    let a = if a < 0 { a + stored_rank as i64 } else { a };
    usize::try_from(a - 1).unwrap()
}

/// The module and weights for one single-op case.
fn build(op: &str, case: &Case) -> (Module, Weights) {
    let none = Weights::default;
    match op {
        "conv2d" | "depthwise_conv2d" => {
            let o: ConvOptions = case.options().unwrap();
            let f = &case.inputs[1].shape;
            let win = window(case, [f[1], f[2]], o.stride, o.dilation, o.padding.into());
            let bias = case.inputs.len() > 2;
            let ir_op = if op == "conv2d" {
                Op::Conv2d(Conv2d {
                    filters: f[0],
                    window: win,
                    groups: 1,
                    activation: act(o.activation),
                    bias,
                })
            } else {
                let ic = case.inputs[0].shape[3];
                Op::DepthwiseConv2d(DepthwiseConv2d {
                    depth_multiplier: o.depth_multiplier.unwrap_or(f[3] / ic),
                    window: win,
                    activation: act(o.activation),
                    bias,
                })
            };
            (one_node(case, 1, ir_op), layer_weights(case))
        }
        "fully_connected" => {
            let o: FullyConnectedOptions = case.options().unwrap();
            let ir_op = Op::Dense(Dense {
                units: case.inputs[1].shape[0],
                activation: act(o.activation),
                bias: case.inputs.len() > 2,
            });
            (one_node(case, 1, ir_op), layer_weights(case))
        }
        "max_pool2d" | "avg_pool2d" => {
            let o: PoolOptions = case.options().unwrap();
            let p = Pool2d {
                window: window(case, o.filter, o.stride, [1, 1], o.padding.into()),
                activation: act(o.activation),
            };
            let ir_op = if op == "max_pool2d" {
                Op::MaxPool2d(p)
            } else {
                Op::AvgPool2d(p)
            };
            (one_node(case, 1, ir_op), none())
        }
        "add" | "mul" => {
            let o: ActivationOptions = case.options().unwrap();
            let activation = act(o.activation);
            let ir_op = if op == "add" {
                Op::Add { activation }
            } else {
                Op::Mul { activation }
            };
            (one_node(case, 2, ir_op), none())
        }
        "softmax" => {
            let o: SoftmaxOptions = case.options().unwrap();
            let beta = o.beta as f32;
            (one_node(case, 1, Op::Softmax { beta }), none())
        }
        "logistic" => (one_node(case, 1, Op::Logistic), none()),
        "tanh" => (one_node(case, 1, Op::Tanh), none()),
        "relu" => (one_node(case, 1, Op::Relu), none()),
        "relu6" => (one_node(case, 1, Op::Relu6), none()),
        "quantize" | "requantize" => (one_node(case, 1, Op::Quantize), none()),
        "dequantize" => (one_node(case, 1, Op::Dequantize), none()),
        "pad" => {
            let o: PadOptions = case.options().unwrap();
            let stored = case.inputs[0].shape.len();
            let paddings = if stored >= 2 && case.inputs[0].shape[0] == 1 {
                assert_eq!(o.paddings[0], [0, 0], "{}: batch padding", case.name);
                o.paddings[1..].to_vec()
            } else {
                o.paddings
            };
            (one_node(case, 1, Op::Pad { paddings }), none())
        }
        "concat" => {
            let o: ActivationOptions = case.options().unwrap();
            let rank = case.output.shape.len();
            let ir_op = Op::Concat {
                axis: axis(o.axis.unwrap_or(0), rank),
            };
            (one_node(case, case.inputs.len(), ir_op), none())
        }
        "mean" => {
            let o: MeanOptions = case.options().unwrap();
            let rank = case.inputs[0].shape.len();
            let mut axes: Vec<usize> = o.axis.iter().map(|&a| axis(a, rank)).collect();
            axes.sort_unstable();
            axes.dedup();
            let ir_op = Op::Mean {
                axes,
                keep_dims: o.keep_dims,
            };
            (one_node(case, 1, ir_op), none())
        }
        other => panic!("no IR mapping for op {other}"),
    }
}

fn input_data(t: &VTensor) -> TensorData {
    match t.dtype {
        VDType::Float32 => TensorData::F32(t.f32_data().unwrap()),
        _ => TensorData::I8(t.i8_data().unwrap()),
    }
}

fn run_single(op: &str, case: &Case) -> Result<Option<String>, String> {
    let (module, weights) = build(op, case);
    let lowered = nn_dsl::lower::lower(&module, &weights).map_err(|e| e.to_string())?;
    let inputs: Vec<TensorData> = module
        .inputs
        .iter()
        .enumerate()
        .map(|(i, _)| input_data(&case.inputs[i]))
        .collect();
    let out = exec::run(&module, &lowered, &inputs).map_err(|e| e.to_string())?;
    Ok(match &out[0] {
        TensorData::I8(got) => compare(&case.name, got, &case.output.i8_data().unwrap()),
        TensorData::F32(got) => {
            let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
            let want: Vec<u32> = case
                .output
                .f32_data()
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect();
            compare(&case.name, &got, &want).map(|d| format!("{d} (f32 bit patterns)"))
        }
    })
}

#[test]
fn single_op_vectors_through_exec() {
    let mut failures = Vec::new();
    let mut ran = 0usize;
    for op in OPS {
        let file = load_op(op).unwrap_or_else(|e| panic!("cannot load {op} vectors: {e}"));
        for case in &file.cases {
            ran += 1;
            match run_single(op, case) {
                Ok(None) => {}
                Ok(Some(diff)) => failures.push(diff),
                Err(e) => failures.push(format!("{}: could not run: {e}", case.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} single-op cases differ from TFLM:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran >= 480, "only {ran} single-op cases ran");
}

// ---------------------------------------------------------------------------------------------
// Whole networks.

#[derive(Debug, serde::Deserialize)]
struct ModelFile {
    model: String,
    cases: Vec<ModelCase>,
}

#[derive(Debug, serde::Deserialize)]
struct ModelCase {
    input: Vec<VTensor>,
    output: Vec<VTensor>,
}

fn models_dir() -> PathBuf {
    nnd_tests::vectors_dir().join("models")
}

/// Every `<name>.json` of the whole-network vectors with its `.tflite` path, sorted by name.
fn model_files() -> Vec<(String, PathBuf, ModelFile)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(models_dir()).unwrap() {
        let p = e.unwrap().path();
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        if p.extension().is_some_and(|x| x == "json") && stem != "manifest" {
            let f: ModelFile = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((stem, models_dir().join(&f.model), f));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Runs every case of `file` through `module`; one line per differing output, and the outputs.
fn run_cases(
    name: &str,
    module: &Module,
    weights: &Weights,
    file: &ModelFile,
) -> (Vec<String>, Vec<Vec<TensorData>>) {
    let lowered = nn_dsl::lower::lower(module, weights).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut failures = Vec::new();
    let mut outputs = Vec::new();
    for (i, case) in file.cases.iter().enumerate() {
        let label = format!("{name} case {i}");
        let inputs: Vec<TensorData> = case.input.iter().map(input_data).collect();
        let out = match exec::run(module, &lowered, &inputs) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{label}: could not run: {e}"));
                continue;
            }
        };
        assert_eq!(out.len(), case.output.len(), "{label}: output count");
        for (k, (got, want)) in out.iter().zip(&case.output).enumerate() {
            let got = got
                .as_i8()
                .unwrap_or_else(|| panic!("{label}: output {k} is not int8"));
            if let Some(d) = compare(
                &format!("{label} output {k}"),
                got,
                &want.i8_data().unwrap(),
            ) {
                failures.push(d);
            }
        }
        outputs.push(out);
    }
    (failures, outputs)
}

#[test]
fn whole_networks_equal_tflm() {
    let files = model_files();
    let mut failures = Vec::new();
    let mut cases = 0usize;
    let mut bytes = 0usize;
    for (name, tflite, file) in &files {
        let loaded = nn_dsl::front::load::load_tflite(tflite)
            .unwrap_or_else(|e| panic!("{name}: {}", e.render()));
        let (f, outputs) = run_cases(name, &loaded.module, &loaded.weights, file);
        failures.extend(f);
        cases += outputs.len();
        bytes += outputs.iter().flatten().map(TensorData::len).sum::<usize>();
    }
    assert!(
        failures.is_empty(),
        "{} output(s) differ from TFLM:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Six committed networks with 20 cases each: the test cannot pass on an empty directory.
    assert!(
        files.len() >= 6,
        "only {} whole-network models",
        files.len()
    );
    assert!(cases >= 120, "only {cases} whole-network cases ran");
    assert!(bytes > 0);
}

#[test]
fn import_round_trip_gives_identical_bytes() {
    use nn_dsl::back::nnd::{write_string, Options};
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("models_oracle_round_trip");
    let mut checked = 0usize;
    for (name, tflite, file) in &model_files() {
        let direct = nn_dsl::front::load::load_tflite(tflite)
            .unwrap_or_else(|e| panic!("{name}: {}", e.render()));
        let out = dir.join(name);
        std::fs::create_dir_all(&out).unwrap();
        let text = write_string(
            &direct.module,
            &Options {
                weights: Some(format!("{name}.safetensors")),
                header: vec![],
            },
        )
        .unwrap();
        std::fs::write(out.join(format!("{name}.nnd")), text).unwrap();
        direct
            .weights
            .write(&out.join(format!("{name}.safetensors")))
            .unwrap();
        let back = nn_dsl::front::load::load_nnd(&out.join(format!("{name}.nnd")))
            .unwrap_or_else(|e| panic!("{name}: {}", e.render()));
        // The same constants, hence the same bytes; and the loaded network still equals TFLM.
        let lowered_direct = nn_dsl::lower::lower(&direct.module, &direct.weights).unwrap();
        let lowered_back = nn_dsl::lower::lower(&back.module, &back.weights).unwrap();
        assert_eq!(
            lowered_direct, lowered_back,
            "{name}: lowering differs after the round trip"
        );
        let (failures, outputs) = run_cases(name, &back.module, &back.weights, file);
        assert!(
            failures.is_empty(),
            "{name} via .nnd:\n{}",
            failures.join("\n")
        );
        checked += outputs.len();
    }
    assert!(checked >= 120, "only {checked} round-trip cases");
}
