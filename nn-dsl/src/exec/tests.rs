#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::ir::Quant;
use crate::lower::lower;
use crate::weights::Weights;

fn module(src: &str, quant: &[(&str, f32, i64)]) -> (Module, Lowered) {
    let mut m = crate::check::check_source(src)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .0;
    for &(name, scale, zp) in quant {
        let h = m.tensor_by_name(name).unwrap();
        m.tensors[h].quant = Some(Quant {
            scale: vec![scale],
            zero_point: vec![zp],
            axis: None,
        });
    }
    let l = lower(&m, &Weights::default()).unwrap();
    (m, l)
}

/// max pool, then flatten, then concat with a second input: values checked by hand.
#[test]
fn graph_with_two_inputs_runs_in_order() {
    let (m, l) = module(
        "network G { input a: i8[2, 2, 2]; input b: i8[3]; \
         let p = max_pool2d(a, size = 2); let f = flatten(p); \
         output y = concat(b, f); output z = relu6(f); }",
        &[
            ("a", 0.5, 0),
            ("b", 0.5, 0),
            ("p", 0.5, 0),
            ("f", 0.5, 0),
            ("y", 0.5, 0),
            ("z", 0.5, 0),
        ],
    );
    // a is [H=2, W=2, C=2]: channel 0 = 1, -5, 9, 3; channel 1 = -1, -2, -3, -4.
    let a = [1, -1, -5, -2, 9, -3, 3, -4];
    let out = run_i8(&m, &l, &[&a, &[7, 8, 20]]).unwrap();
    assert_eq!(out, vec![vec![7, 8, 20, 9, -1], vec![9, 0]]);
}

#[test]
fn input_errors_name_the_input() {
    let (m, l) = module(
        "network R { input x: i8[4]; output y = relu(x); }",
        &[("x", 0.5, 0), ("y", 0.5, 0)],
    );
    assert_eq!(
        run(&m, &l, &[]),
        Err(ExecError::InputCount {
            expected: 1,
            found: 0
        })
    );
    assert_eq!(
        run(&m, &l, &[TensorData::I8(vec![0; 3])]),
        Err(ExecError::InputLength {
            input: "x".into(),
            expected: 4,
            found: 3
        })
    );
    assert_eq!(
        run(&m, &l, &[TensorData::F32(vec![0.0; 4])]),
        Err(ExecError::InputDType {
            input: "x".into(),
            expected: DType::I8,
            found: DType::F32
        })
    );
    let other = Lowered { nodes: vec![] };
    assert!(matches!(
        run(&m, &other, &[TensorData::I8(vec![0; 4])]),
        Err(ExecError::Mismatch { .. })
    ));
}

#[test]
fn float_conversion_uses_the_model_quantisation() {
    let (m, l) = module(
        "network R { input x: i8[4]; output y = relu(x); }",
        &[("x", 0.5, -1), ("y", 0.25, -128)],
    );
    // 1.0 / 0.5 = 2, + zp -1 = 1; -0.25 / 0.5 = -0.5 rounds away to -1, -> -2.
    let x = from_float_input(&m, 0, &[1.0, -0.25, 100.0, 0.0]).unwrap();
    assert_eq!(x, TensorData::I8(vec![1, -2, 127, -1]));
    let y = run(&m, &l, &[x]).unwrap();
    let f = to_float_output(&m, 0, &y[0]).unwrap();
    // relu: 1.0, 0, 64 (clamped: 127 - (-128) = 255 * 0.25 = 63.75), 0.
    assert_eq!(f, vec![1.0, 0.0, 63.75, 0.0]);
    assert!(from_float_input(&m, 0, &[1.0]).is_err());
    assert!(from_float_input(&m, 1, &[1.0; 4]).is_err());
}

#[test]
fn quantize_and_dequantize_nodes() {
    let (m, l) = module(
        "network Q { input x: f32[3]; let q = quantize(x); output y = dequantize(q); }",
        &[("q", 0.5, 2)],
    );
    let out = run(&m, &l, &[TensorData::F32(vec![1.0, -1.24, 1000.0])]).unwrap();
    // 1.0 -> 2 + 2 = 4 -> 1.0; -1.24 -> round(-2.48) = -2 + 2 = 0 -> -1.0; 1000 -> 127 -> 62.5.
    assert_eq!(out, vec![TensorData::F32(vec![1.0, -1.0, 62.5])]);
    assert_eq!(
        to_float_output(&m, 0, &out[0]).unwrap(),
        vec![1.0, -1.0, 62.5]
    );
    assert!(matches!(
        run_i8(&m, &l, &[&[0, 0, 0]]),
        Err(ExecError::InputDType { .. })
    ));
}
