#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::ir::Quant;
use crate::quant;
use crate::weights::{WDType, WeightTensor};

fn module(src: &str) -> Module {
    crate::check::check_source(src)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .0
}

fn set_quant(m: &mut Module, name: &str, scale: f32, zp: i64) {
    let h = m.tensor_by_name(name).unwrap();
    m.tensors[h].quant = Some(Quant {
        scale: vec![scale],
        zero_point: vec![zp],
        axis: None,
    });
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

const CONV: &str = "network T { input x: i8[5, 5, 2]; \
    let c = conv2d(x, filters = 3, kernel = 3, stride = 2, padding = same, activation = relu); \
    output c; }";

fn conv_setup() -> (Module, Weights) {
    let mut m = module(CONV);
    set_quant(&mut m, "x", 0.05, -3);
    set_quant(&mut m, "c", 0.1, 7);
    let mut w = Weights::default();
    let filt: Vec<u8> = (0..54).map(|i| (i as i8 - 27) as u8).collect();
    put(&mut w, "c.weight", WDType::I8, &[3, 3, 3, 2], filt);
    let scales = [0.01f32, 0.02, 0.005];
    put(
        &mut w,
        "c.weight_scale",
        WDType::F32,
        &[3],
        scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
    );
    put(
        &mut w,
        "c.bias",
        WDType::I32,
        &[3],
        [100i32, -200, 70000]
            .iter()
            .flat_map(|b| b.to_le_bytes())
            .collect(),
    );
    (m, w)
}

#[test]
fn conv_constants_come_from_the_quant_helpers() {
    let (m, w) = conv_setup();
    let l = lower(&m, &w).unwrap();
    let NodeParams::Conv2d(c) = &l.nodes[0] else {
        panic!("{:?}", l.nodes[0]);
    };
    // 5 -> 3 with kernel 3 stride 2 SAME: total padding 2, one row/column before.
    assert_eq!(
        (
            c.geometry.output_h,
            c.geometry.output_w,
            c.geometry.output_c
        ),
        (3, 3, 3)
    );
    assert_eq!((c.geometry.pad_top, c.geometry.pad_left), (1, 1));
    let want = quant::conv_multipliers(0.05, &[0.01, 0.02, 0.005], 0.1, 3).unwrap();
    assert_eq!(c.requant.multiplier, want.raw_multipliers());
    assert_eq!(c.requant.shift, want.shifts());
    assert_eq!((c.requant.input_offset, c.requant.output_offset), (3, 7));
    // Relu clamps at the output zero point.
    assert_eq!((c.requant.act_min, c.requant.act_max), (7, 127));
    assert_eq!(c.bias.as_deref(), Some(&[100, -200, 70000][..]));
    assert_eq!(c.weights[0], -27);
    assert_eq!(c.weights[53], 26);
    assert_eq!(l.constant_bytes(), 54 + 4 * (3 + 3 + 3));
    let p = c.params();
    assert_eq!((p.batches, p.stride_h, p.kernel_w), (1, 2, 3));
}

#[test]
fn missing_quant_names_the_tensor() {
    let (mut m, w) = conv_setup();
    let h = m.tensor_by_name("c").unwrap();
    m.tensors[h].quant = None;
    assert_eq!(
        lower(&m, &w),
        Err(LowerError::MissingQuant { tensor: "c".into() })
    );
}

#[test]
fn per_channel_activation_is_rejected() {
    let (mut m, w) = conv_setup();
    let h = m.tensor_by_name("x").unwrap();
    m.tensors[h].quant = Some(Quant {
        scale: vec![0.1, 0.2],
        zero_point: vec![0, 0],
        axis: Some(2),
    });
    assert!(matches!(lower(&m, &w), Err(LowerError::BadQuant { tensor, .. }) if tensor == "x"));
    set_quant(&mut m, "x", 0.0, 0);
    assert!(matches!(lower(&m, &w), Err(LowerError::BadQuant { .. })));
    set_quant(&mut m, "x", 0.1, 300);
    assert!(matches!(lower(&m, &w), Err(LowerError::BadQuant { .. })));
}

#[test]
fn missing_and_misshapen_weights() {
    let (m, mut w) = conv_setup();
    let bias = w.tensors.remove("c.bias").unwrap();
    assert_eq!(
        lower(&m, &w),
        Err(LowerError::MissingWeight {
            node: "c".into(),
            op: "conv2d",
            name: "c.bias".into()
        })
    );
    w.tensors.insert("c.bias".into(), bias);
    put(&mut w, "c.weight", WDType::I8, &[3, 3, 3, 1], vec![0; 27]);
    let e = lower(&m, &w).unwrap_err();
    assert_eq!(
        e.to_string(),
        "weight tensor `c.weight` of node `c`: expected i8[3, 3, 3, 2], found i8[3, 3, 3, 1]"
    );
    put(
        &mut w,
        "c.weight",
        WDType::I32,
        &[3, 3, 3, 2],
        vec![0; 54 * 4],
    );
    assert!(matches!(lower(&m, &w), Err(LowerError::BadWeight { .. })));
    // Scales: one or one per channel.
    put(&mut w, "c.weight", WDType::I8, &[3, 3, 3, 2], vec![0; 54]);
    put(&mut w, "c.weight_scale", WDType::F32, &[2], vec![0; 8]);
    assert!(matches!(lower(&m, &w), Err(LowerError::BadWeight { .. })));
    // A zero filter scale is a quantisation error naming the node.
    put(&mut w, "c.weight_scale", WDType::F32, &[1], vec![0; 4]);
    assert!(matches!(
        lower(&m, &w),
        Err(LowerError::Quant { node, .. }) if node == "c"
    ));
}

#[test]
fn fixed_output_quantisation_is_checked() {
    let src = "network S { input x: i8[10]; output y = softmax(x); }";
    let mut m = module(src);
    set_quant(&mut m, "x", 0.1, 0);
    set_quant(&mut m, "y", 1.0 / 256.0, -128);
    let l = lower(&m, &Weights::default()).unwrap();
    let want = quant::softmax(1.0, 0.1).unwrap();
    assert_eq!(
        l.nodes,
        vec![NodeParams::Softmax(SoftmaxParams {
            outer: 1,
            depth: 10,
            input_multiplier: want.input_multiplier.multiplier.to_bits(),
            input_left_shift: want.input_multiplier.shift,
            diff_min: want.diff_min
        })]
    );
    set_quant(&mut m, "y", 1.0 / 128.0, 0);
    assert!(matches!(
        lower(&m, &Weights::default()),
        Err(LowerError::BadQuant { tensor, .. }) if tensor == "y"
    ));
}

#[test]
fn element_wise_and_structural_ops() {
    let src = "network E { input a: i8[4, 4, 2]; input b: i8[2]; \
        let s = add(a, b, activation = relu6); \
        let p = max_pool2d(s, size = 2); \
        let g = global_avg_pool(p); \
        let q = concat(g, b); \
        output r = reshape(q, shape = [2, 2]); }";
    let mut m = module(src);
    for (n, s, z) in [
        ("a", 0.1, 1),
        ("b", 0.2, -2),
        ("s", 0.3, -5),
        ("p", 0.3, -5),
        ("g", 0.25, 3),
        ("q", 0.25, 3),
        ("r", 0.25, 3),
    ] {
        set_quant(&mut m, n, s, z);
    }
    let l = lower(&m, &Weights::default()).unwrap();
    let NodeParams::Add(add) = &l.nodes[0] else {
        panic!()
    };
    let q = quant::add([0.1, 0.2], [1, -2], 0.3, -5, quant::Activation::Relu6).unwrap();
    assert_eq!(
        (add.a_multiplier, add.b_shift, add.output_multiplier),
        (
            q.input[0].multiplier.to_bits(),
            q.input[1].shift,
            q.output.multiplier.to_bits()
        )
    );
    assert_eq!((add.act_min, add.act_max), q.act);
    assert_eq!(add.b_shape, vec![2]);
    let NodeParams::MaxPool2d(p) = &l.nodes[1] else {
        panic!()
    };
    assert_eq!((p.output_h, p.filter_w, p.stride_h), (2, 2, 2));
    let NodeParams::Mean(g) = &l.nodes[2] else {
        panic!()
    };
    assert_eq!(
        (g.input_shape.clone(), g.axes.clone()),
        (vec![2, 2, 2], vec![0, 1])
    );
    assert_eq!(
        g.requant,
        match quant::mean(0.3, -5, 0.25, 3, 4).unwrap() {
            quant::MeanQuant::Same => MeanRequant::Same,
            quant::MeanQuant::Requant {
                multiplier,
                input_zero_point,
                output_zero_point,
            } => MeanRequant::Requant {
                multiplier: multiplier.multiplier.to_bits(),
                shift: multiplier.shift,
                input_zero_point,
                output_zero_point,
            },
        }
    );
    assert_eq!(
        l.nodes[3],
        NodeParams::Concat(ConcatLowered {
            outer: 1,
            inner: 1,
            axis_sizes: vec![2, 2]
        })
    );
    assert_eq!(l.nodes[4], NodeParams::Copy { bytes: 4 });
    assert_eq!(l.constant_bytes(), 0);
}

#[test]
fn dense_per_tensor_uses_one_multiplier() {
    let src = "network D { input x: i8[3]; output y = dense(x, units = 2); }";
    let mut m = module(src);
    set_quant(&mut m, "x", 0.5, 0);
    set_quant(&mut m, "y", 0.25, 0);
    let mut w = Weights::default();
    put(
        &mut w,
        "y.weight",
        WDType::I8,
        &[2, 3],
        vec![1, 2, 3, 4, 5, 6],
    );
    put(
        &mut w,
        "y.weight_scale",
        WDType::F32,
        &[1],
        0.125f32.to_le_bytes().to_vec(),
    );
    put(&mut w, "y.bias", WDType::I32, &[2], vec![0; 8]);
    let l = lower(&m, &w).unwrap();
    let NodeParams::Dense(d) = &l.nodes[0] else {
        panic!()
    };
    let want = quant::fully_connected_multipliers(0.5, &[0.125], 0.25, 2).unwrap();
    assert_eq!((d.depth, d.units), (3, 2));
    assert_eq!(d.requant.multiplier, want.raw_multipliers());
    assert_eq!(d.requant.multiplier.len(), 1);
    assert_eq!(d.weights, vec![1, 2, 3, 4, 5, 6]);
}

/// Issue 16, item 4: a weight scale whose multiplier needs a shift above 31 used to lower (and
/// fail with a `KernelError` on the device); lowering now refuses it naming the node.
#[test]
fn constants_the_kernels_refuse_are_lowering_errors() {
    let (m, mut w) = conv_setup();
    put(
        &mut w,
        "c.weight_scale",
        WDType::F32,
        &[1],
        1e10f32.to_le_bytes().to_vec(),
    );
    let err = lower(&m, &w).unwrap_err();
    assert!(
        matches!(
            &err,
            LowerError::Quant {
                node,
                source: quant::QuantError::ShiftOutOfRange { shift, .. },
                ..
            } if node == "c" && *shift > 31
        ),
        "{err}"
    );
    // The same network with an input and output 2^40 apart: RELU and requantisation too.
    let mut r = module("network R { input x: i8[4]; let y = relu(x); output y; }");
    set_quant(&mut r, "x", 1e6, 0);
    set_quant(&mut r, "y", 1e-6, 0);
    let err = lower(&r, &Weights::default()).unwrap_err();
    assert!(err.to_string().starts_with("node `y` (relu): "), "{err}");
    // Constants made by hand, outside what the kernels take, are refused by the final check.
    let (_, node) = m.nodes.iter().next().unwrap();
    let node = node.clone();
    let mut p = match lower(&conv_setup().0, &conv_setup().1)
        .unwrap()
        .nodes
        .remove(0)
    {
        NodeParams::Conv2d(c) => c,
        other => panic!("{other:?}"),
    };
    p.requant.shift[1] = 40;
    let err = check_constants(&node, &NodeParams::Conv2d(p.clone())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "node `c` (conv2d): output shift is 40, outside -31..=31, the range the int8 kernels take"
    );
    p.requant.shift[1] = 0;
    p.requant.multiplier[0] = -1;
    assert!(check_constants(&node, &NodeParams::Conv2d(p.clone())).is_err());
    p.requant.multiplier[0] = 1;
    p.requant.act_min = 10;
    p.requant.act_max = 5;
    assert!(check_constants(&node, &NodeParams::Conv2d(p)).is_err());
}

/// The conv of `conv_setup` with its tensors retyped to int16 (TFLite's 16x8 scheme): an int64
/// bias lowers to the `_s16` kernel with int16 clamps; the int32 bias of the int8 setup is
/// refused (TFLM would accumulate in 32 bits), and so is a non-zero int16 zero point.
#[test]
fn sixteen_by_eight_conv() {
    let (mut m, mut w) = conv_setup();
    for name in ["x", "c"] {
        let h = m.tensor_by_name(name).unwrap();
        m.tensors[h].dtype = crate::ir::DType::I16;
    }
    set_quant(&mut m, "x", 0.05, 0);
    set_quant(&mut m, "c", 0.1, 0);
    let e = lower(&m, &w).unwrap_err().to_string();
    assert!(e.contains("int64 bias"), "{e}");
    put(
        &mut w,
        "c.bias",
        WDType::I64,
        &[3],
        [100i64, -200, 70000]
            .iter()
            .flat_map(|b| b.to_le_bytes())
            .collect(),
    );
    let l = lower(&m, &w).unwrap();
    match &l.nodes[0] {
        NodeParams::S16(S16Params::Conv2d(c, Some(b))) => {
            assert_eq!(b, &[100, -200, 70000]);
            // RELU on an int16 output: [0, 32767]; zero offsets.
            assert_eq!((c.requant.act_min, c.requant.act_max), (0, 32767));
            assert_eq!((c.requant.input_offset, c.requant.output_offset), (0, 0));
            assert!(c.bias.is_none());
        }
        other => panic!("{other:?}"),
    }
    set_quant(&mut m, "c", 0.1, 5);
    let e = lower(&m, &w).unwrap_err().to_string();
    assert!(e.contains("zero point 5 on an int16 tensor"), "{e}");
}
