//! TRANSPOSE_CONV: `transpose_conv2d(x, filters, kernel, stride, padding, activation, bias,
//! output_size)`: checking (output size and TFLite's padding), the filter shape the binder asks
//! for, host execution against hand-computed results, the generated Rust on every target (the
//! portable kernel, reported by `choose`), the .nnd writer's round trip and the diagnostics at
//! their spans.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::back::nnd::{write_string, Options};
use nn_dsl::back::rust::{self, KernelChoice, Target};
use nn_dsl::check::check_source;
use nn_dsl::ir::{Activation, Module, Op, PaddingScheme};
use nn_dsl::plan::{plan, PlanOptions};
use nn_dsl::span::Span;
use nn_dsl::weights::{bind, required, WDType, WeightTensor, Weights};

const SRC: &str = "network Tconv {
    input x: i8[2, 2, 1];
    output y = transpose_conv2d(x, filters = 1, kernel = 3, stride = 2, padding = same, bias = false);
    output v = transpose_conv2d(x, filters = 2, kernel = [1, 2], stride = 2, activation = relu, output_size = [4, 5]);
}
";

fn checked(src: &str) -> Module {
    let (m, warnings) = check_source(src).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    m
}

fn op_of(m: &Module, name: &str) -> Op {
    m.nodes
        .iter()
        .find(|(_, n)| n.name == name)
        .unwrap_or_else(|| panic!("no node {name}"))
        .1
        .op
        .clone()
}

fn i8_tensor(shape: &[usize], values: &[i8]) -> WeightTensor {
    WeightTensor::new(
        WDType::I8,
        shape.to_vec(),
        values.iter().map(|&v| v as u8).collect(),
    )
    .unwrap()
}

/// Scale 1 and zero point 0 everywhere (multipliers of exactly 1); `y`'s filter is all ones,
/// `v`'s filters are `[1, 2]` and `[0, -1]` with biases 10 and -10.
fn weights() -> Weights {
    let mut w = Weights::default();
    for t in ["x", "y", "v"] {
        w.tensors
            .insert(format!("{t}.scale"), WeightTensor::scalar_f32(1.0));
        w.tensors
            .insert(format!("{t}.zero_point"), WeightTensor::scalar_i64(0));
    }
    w.tensors
        .insert("y.weight".into(), i8_tensor(&[1, 3, 3, 1], &[1; 9]));
    w.tensors
        .insert("y.weight_scale".into(), WeightTensor::scalar_f32(1.0));
    w.tensors
        .insert("v.weight".into(), i8_tensor(&[2, 1, 2, 1], &[1, 2, 0, -1]));
    w.tensors
        .insert("v.weight_scale".into(), WeightTensor::scalar_f32(1.0));
    let bias: Vec<u8> = [10i32, -10].iter().flat_map(|b| b.to_le_bytes()).collect();
    w.tensors.insert(
        "v.bias".into(),
        WeightTensor::new(WDType::I32, vec![2], bias).unwrap(),
    );
    w
}

#[test]
fn transpose_conv_checks_binds_runs_generates_and_round_trips() {
    let mut m = checked(SRC);
    let Op::TransposeConv2d(y) = op_of(&m, "y") else {
        panic!("{:?}", op_of(&m, "y"))
    };
    // SAME, 2 inputs at stride 2: 4 outputs; the forward convolution of 4 with kernel 3 pads 1,
    // all of it after, so nothing is cut from the top of the full 5-row result.
    assert_eq!(y.output_size, [4, 4]);
    assert_eq!(y.window.padding.scheme, PaddingScheme::Same);
    assert_eq!(
        [
            y.window.padding.top,
            y.window.padding.bottom,
            y.window.padding.left,
            y.window.padding.right
        ],
        [0, 1, 0, 1]
    );
    assert!(!y.bias);
    let Op::TransposeConv2d(v) = op_of(&m, "v") else {
        panic!()
    };
    assert_eq!(
        (v.output_size, v.filters, v.activation),
        ([4, 5], 2, Activation::Relu)
    );
    assert_eq!(v.window.padding.scheme, PaddingScheme::Valid);

    // The binder asks for [OC, KH, KW, IC] filters.
    let req = required(&m);
    let shape_of = |key: &str| {
        req.iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("{key} not required"))
            .shapes[0]
            .clone()
    };
    assert_eq!(shape_of("y.weight"), vec![1, 3, 3, 1]);
    assert_eq!(shape_of("v.weight"), vec![2, 1, 2, 1]);
    assert_eq!(shape_of("v.bias"), vec![2]);
    assert!(!req.iter().any(|r| r.key == "y.bias"));

    let w = weights();
    bind(&mut m, &w, Span::UNDEFINED).unwrap_or_else(|d| panic!("{d:?}"));
    let lowered = nn_dsl::lower::lower(&m, &w).unwrap();
    let x: Vec<i8> = vec![1, 2, 3, 4];
    let out = nn_dsl::exec::run_i8(&m, &lowered, &[&x]).unwrap();
    // Every input spreads over a 3x3 footprint at stride 2 (rows 0-2 and 2-4 of 5); the 4x4
    // output is the top-left of the full result.
    #[rustfmt::skip]
    let want_y: Vec<i8> = vec![
        1, 1, 3, 2,
        1, 1, 3, 2,
        4, 4, 10, 6,
        3, 3, 7, 4,
    ];
    assert_eq!(out[0], want_y);
    // VALID with the larger output: rows 1 and 3 and column 4 get only the bias; relu clamps
    // filter 1 (0 or negative) to 0.
    #[rustfmt::skip]
    let want_v: Vec<i8> = vec![
        11, 0, 12, 0, 12, 0, 14, 0, 10, 0,
        10, 0, 10, 0, 10, 0, 10, 0, 10, 0,
        13, 0, 16, 0, 14, 0, 18, 0, 10, 0,
        10, 0, 10, 0, 10, 0, 10, 0, 10, 0,
    ];
    assert_eq!(out[1], want_v);

    // Generated Rust: the typed portable kernel on every target, which `choose` reports.
    let arena = plan(&m, &PlanOptions::default()).unwrap();
    for target in [
        Target::Generic,
        Target::CortexM4,
        Target::Aarch64,
        Target::K210,
    ] {
        for node in &lowered.nodes {
            match rust::choose(target, node) {
                KernelChoice::Portable(None) if target == Target::Generic => {}
                KernelChoice::Portable(Some(why)) if target != Target::Generic => {
                    assert!(why.contains("transposed convolution"), "{why}")
                }
                other => panic!("{target:?}: {other:?}"),
            }
        }
        let options = rust::Options {
            target,
            ..rust::Options::default()
        };
        let code = rust::write_string(&m, &lowered, &arena, &options).unwrap();
        assert_eq!(
            code.matches("typed::transpose_conv2d(").count(),
            2,
            "{code}"
        );
    }

    // The writer: output_size only where it is not the default, and the text checks back to the
    // same ops.
    let text = write_string(&m, &Options::default()).unwrap();
    assert!(
        text.contains(
            "transpose_conv2d(x, filters = 1, kernel = 3, stride = 2, padding = same, bias = \
             false)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "transpose_conv2d(x, filters = 2, kernel = [1, 2], stride = 2, activation = relu, \
             output_size = [4, 5])"
        ),
        "{text}"
    );
    let back = checked(&text);
    for n in ["y", "v"] {
        assert_eq!(op_of(&back, n), op_of(&m, n), "{n}");
    }
}

/// The default output sizes: `in * stride` for SAME, `(in - 1) * stride + kernel` for VALID, and
/// any other size TensorFlow takes when written.
#[test]
fn output_sizes() {
    let size = |attrs: &str| {
        let src = format!(
            "network S {{ input x: i8[3, 5, 2]; output y = transpose_conv2d(x, filters = 4, \
             {attrs}); }}"
        );
        let m = checked(&src);
        let Op::TransposeConv2d(c) = op_of(&m, "y") else {
            panic!()
        };
        let (_, n) = m.nodes.iter().next().unwrap();
        assert_eq!(
            m.tensors[n.output].shape,
            vec![c.output_size[0], c.output_size[1], 4]
        );
        (c.output_size, [c.window.padding.top, c.window.padding.left])
    };
    assert_eq!(size("kernel = 3"), ([5, 7], [0, 0]));
    assert_eq!(size("kernel = [2, 4], stride = [1, 3]"), ([4, 16], [0, 0]));
    assert_eq!(size("kernel = 1, stride = 2"), ([5, 9], [0, 0]));
    assert_eq!(
        size("kernel = 1, stride = 2, output_size = [6, 10]"),
        ([6, 10], [0, 0])
    );
    // SAME: total padding max(0, (in - 1) * stride + kernel - out), the smaller half cut first.
    assert_eq!(
        size("kernel = 4, stride = 2, padding = same"),
        ([6, 10], [1, 1])
    );
    assert_eq!(
        size("kernel = 4, stride = 2, padding = same, output_size = [5, 9]"),
        ([5, 9], [1, 1])
    );
    assert_eq!(size("kernel = 5, padding = same"), ([3, 5], [2, 2]));
}

/// The first diagnostic has `code`, mentions `says` and its primary span covers the text `at`.
fn diag(src: &str, code: &str, at: &str, says: &str) {
    let diags = check_source(src).unwrap_err();
    let d = &diags[0];
    assert_eq!(d.code, code, "{src}\n{diags:?}");
    assert!(format!("{d:?}").contains(says), "{says:?} not in {d:?}");
    let span = d.primary_span().unwrap();
    assert_eq!(&src[span.start as usize..span.end as usize], at, "{d:?}");
}

#[test]
fn diagnostics_point_at_the_value() {
    let net = |x: &str, call: &str| {
        format!("network D {{\n    input x: {x};\n    output y = {call};\n}}\n")
    };
    let hwc = "i8[2, 3, 4]";
    // Output sizes TensorFlow does not take: SAME at stride 2 from 2 rows gives 3 or 4.
    diag(
        &net(
            hwc,
            "transpose_conv2d(x, filters = 2, kernel = 3, stride = 2, padding = same, \
             output_size = [5, 6])",
        ),
        "E0104",
        "[5, 6]",
        "height 5 for an input height of 2 (possible: 3 to 4)",
    );
    // VALID, kernel 2, stride 1: exactly in + 1.
    diag(
        &net(
            hwc,
            "transpose_conv2d(x, filters = 2, kernel = 2, output_size = [3, 5])",
        ),
        "E0104",
        "[3, 5]",
        "width 5 for an input width of 3 (possible: 4)",
    );
    diag(
        &net(hwc, "transpose_conv2d(x, filters = 2, kernel = 0)"),
        "E0113",
        "0",
        "kernel",
    );
    diag(
        &net(
            hwc,
            "transpose_conv2d(x, filters = 2, kernel = 2, output_size = [0, 4])",
        ),
        "E0113",
        "0",
        "`output_size` must be at least 1",
    );
    diag(
        &net(
            hwc,
            "transpose_conv2d(x, filters = 2, kernel = 2, stride = [1, 0])",
        ),
        "E0114",
        "0",
        "stride",
    );
    diag(
        &net(
            hwc,
            "transpose_conv2d(x, filters = 2, kernel = 2, padding = [[1, 1], [1, 1]])",
        ),
        "E0104",
        "[[1, 1], [1, 1]]",
        "`same` or `valid`",
    );
    diag(
        &net(
            hwc,
            "transpose_conv2d(x, filters = 2, kernel = 2, dilation = 2)",
        ),
        "E0101",
        "dilation",
        "output_size",
    );
    diag(
        &net(hwc, "transpose_conv2d(x, kernel = 2)"),
        "E0103",
        "transpose_conv2d(x, kernel = 2)",
        "filters",
    );
    diag(
        &net("i8[2, 3]", "transpose_conv2d(x, filters = 2, kernel = 2)"),
        "E0116",
        "x",
        "[H, W, C]",
    );
    diag(
        &net(
            "f32[2, 3, 4]",
            "transpose_conv2d(x, filters = 2, kernel = 2)",
        ),
        "E0115",
        "x",
        "i8",
    );
}
