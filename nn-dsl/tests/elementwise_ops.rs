//! Issue 16 item 8: `sub`, `maximum`, `minimum` and `prelu` in the .nnd language: checking
//! (shapes, attribute diagnostics at the attribute), binding (PRELU's alpha constants, the
//! one-quantisation rule of MAXIMUM / MINIMUM), host execution, and the .nnd writer's round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::back::nnd::{write_string, Options};
use nn_dsl::check::check_source;
use nn_dsl::ir::{Module, Op};
use nn_dsl::span::Span;
use nn_dsl::weights::{bind, WDType, WeightTensor, Weights};

const SRC: &str = "network Ew {
    input a: i8[2, 3, 4];
    input b: i8[4];
    let d = sub(a, b, activation = relu);
    let hi = maximum(d, a);
    let lo = minimum(hi, b);
    let p = prelu(lo, alpha_shape = [1, 1, 4]);
    output y = prelu(p);
}
";

fn checked(src: &str) -> Module {
    let (m, warnings) = check_source(src).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    m
}

fn op_of<'m>(m: &'m Module, name: &str) -> &'m Op {
    &m.nodes[m.node_by_name(name).unwrap()].op
}

fn q(w: &mut Weights, t: &str, scale: f32, zp: i64) {
    w.tensors
        .insert(format!("{t}.scale"), WeightTensor::scalar_f32(scale));
    w.tensors
        .insert(format!("{t}.zero_point"), WeightTensor::scalar_i64(zp));
}

fn weights(hi_scale: f32) -> Weights {
    let mut w = Weights::default();
    for t in ["a", "b", "d", "lo", "p", "y"] {
        q(&mut w, t, 0.1, 2);
    }
    q(&mut w, "hi", hi_scale, 2);
    let alpha = |shape: &[usize], v: &[i8]| {
        WeightTensor::new(
            WDType::I8,
            shape.to_vec(),
            v.iter().map(|&x| x as u8).collect(),
        )
        .unwrap()
    };
    w.tensors
        .insert("p.alpha".into(), alpha(&[1, 1, 4], &[64, -64, 0, 127]));
    w.tensors
        .insert("p.alpha_scale".into(), WeightTensor::scalar_f32(1.0 / 64.0));
    w.tensors
        .insert("y.alpha".into(), alpha(&[2, 3, 4], &[32; 24]));
    w.tensors
        .insert("y.alpha_scale".into(), WeightTensor::scalar_f32(1.0 / 64.0));
    w
}

#[test]
fn shapes_and_ops_are_inferred() {
    let m = checked(SRC);
    assert!(matches!(op_of(&m, "d"), Op::Sub { .. }));
    assert_eq!(op_of(&m, "hi"), &Op::Maximum);
    assert_eq!(op_of(&m, "lo"), &Op::Minimum);
    assert_eq!(
        op_of(&m, "p"),
        &Op::Prelu {
            alpha_shape: vec![1, 1, 4]
        }
    );
    // Without `alpha_shape` alpha has the input's shape.
    assert_eq!(
        op_of(&m, "y"),
        &Op::Prelu {
            alpha_shape: vec![2, 3, 4]
        }
    );
    let y = m.outputs[0].1;
    assert_eq!(m.tensors[y].shape, vec![2, 3, 4]);
}

#[test]
fn bad_alpha_shapes_are_e0104_at_the_attribute() {
    for (shape, found) in [
        ("[1, 2, 3, 4]", "rank 4 for an input of rank 3"),
        ("[2, 4]", "2 against the input's 3"),
        ("[0]", "0 against the input's 4"),
    ] {
        let src = SRC.replace("[1, 1, 4]", shape);
        let diags = check_source(&src).unwrap_err();
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!(d.code, "E0104", "{d:?}");
        assert!(
            d.message.contains(found)
                || d.labels[0].message.contains(found)
                || format!("{d:?}").contains(found),
            "{d:?}"
        );
        let span = d.primary_span().unwrap();
        let text = &src[span.start as usize..span.end as usize];
        assert!(shape.contains(text), "label on {text:?} for {shape}");
    }
    // maximum and minimum take no attributes.
    let src = SRC.replace("maximum(d, a)", "maximum(d, a, activation = relu)");
    let diags = check_source(&src).unwrap_err();
    assert_eq!(diags[0].code, "E0101", "{diags:?}");
}

#[test]
fn binding_runs_and_round_trips() {
    let mut m = checked(SRC);
    bind(&mut m, &weights(0.1), Span::UNDEFINED).unwrap_or_else(|d| panic!("{d:?}"));
    let lowered = nn_dsl::lower::lower(&m, &weights(0.1)).unwrap();
    // All scales 0.1, zero points 2: a - b, then max with a, min with b, then two PReLUs.
    let a: Vec<i8> = (0..24).map(|i| (i * 11 % 256 - 128) as i8).collect();
    let b: Vec<i8> = vec![-100, 0, 50, 120];
    let out = nn_dsl::exec::run_i8(&m, &lowered, &[&a, &b]).unwrap();
    let mut want = Vec::new();
    for (i, &x) in a.iter().enumerate() {
        let c = i % 4;
        let y = b[c];
        // sub with equal scales s: ((x-2) - (y-2)) * s / s + 2, clamped by relu at 2.
        let d = (i32::from(x) - i32::from(y) + 2).clamp(2, 127);
        let hi = d.max(i32::from(x));
        let lo = hi.min(i32::from(y));
        // prelu 1: alpha [1, -1, 0, ~2] on channels; prelu 2: alpha 0.5.
        let alpha = [1.0, -1.0, 0.0, 127.0 / 64.0][c];
        let v = f64::from(lo - 2);
        let p1 = if v >= 0.0 { v } else { (v * alpha).round() };
        let p1 = (p1 + 2.0).clamp(-128.0, 127.0);
        let v = p1 - 2.0;
        let p2 = if v >= 0.0 { v } else { (v * 0.5).round() };
        want.push((p2 + 2.0).clamp(-128.0, 127.0) as i8);
    }
    assert_eq!(out[0], want);

    // The writer's text checks back to the same ops.
    let text = write_string(&m, &Options::default()).unwrap();
    assert!(
        text.contains("prelu(lo, alpha_shape = [1, 1, 4])"),
        "{text}"
    );
    assert!(text.contains("sub(a, b, activation = relu)"), "{text}");
    let back = checked(&text);
    for n in ["d", "hi", "lo", "p", "y"] {
        assert_eq!(op_of(&back, n), op_of(&m, n), "{n}");
    }
}

#[test]
fn maximum_with_another_quantisation_is_e0204() {
    let mut m = checked(SRC);
    let diags = bind(&mut m, &weights(0.2), Span::UNDEFINED).unwrap_err();
    assert!(
        diags
            .iter()
            .any(|d| d.code == "E0204" && format!("{d:?}").contains("compares raw int8 values")),
        "{diags:?}"
    );
}

#[test]
fn missing_alpha_is_e0200() {
    let mut m = checked(SRC);
    let mut w = weights(0.1);
    w.tensors.remove("p.alpha_scale");
    let diags = bind(&mut m, &w, Span::UNDEFINED).unwrap_err();
    assert!(
        diags
            .iter()
            .any(|d| d.code == "E0200" && d.message.contains("`p.alpha_scale`")),
        "{diags:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// `add`, `mul`, `sub` with a constant second operand (`operand = [..]`, weights
// `<layer>.operand`, `.operand_scale`, optional `.operand_zero_point`).

const CONST_SRC: &str = "network Consts {
    input x: i8[2, 4];
    let s = add(x, operand = [4]);
    let m = mul(s, operand = [1], activation = relu);
    output y = sub(m, operand = [2, 1]);
}
";

fn const_weights() -> Weights {
    let mut w = Weights::default();
    for t in ["x", "s", "m", "y"] {
        q(&mut w, t, 0.5, 0);
    }
    let c = |shape: &[usize], v: &[i8]| {
        WeightTensor::new(
            WDType::I8,
            shape.to_vec(),
            v.iter().map(|&x| x as u8).collect(),
        )
        .unwrap()
    };
    w.tensors
        .insert("s.operand".into(), c(&[4], &[1, -2, 3, 4]));
    w.tensors
        .insert("s.operand_scale".into(), WeightTensor::scalar_f32(0.5));
    w.tensors.insert("m.operand".into(), c(&[1], &[3]));
    w.tensors
        .insert("m.operand_scale".into(), WeightTensor::scalar_f32(1.0));
    w.tensors
        .insert("m.operand_zero_point".into(), WeightTensor::scalar_i64(1));
    w.tensors.insert("y.operand".into(), c(&[2, 1], &[2, -2]));
    w.tensors
        .insert("y.operand_scale".into(), WeightTensor::scalar_f32(0.5));
    w
}

#[test]
fn constant_operands_check_bind_run_and_round_trip() {
    let mut m = checked(CONST_SRC);
    assert_eq!(
        op_of(&m, "s"),
        &Op::Add {
            activation: nn_dsl::ir::Activation::None,
            operand: Some(vec![4])
        }
    );
    assert_eq!(m.nodes[m.node_by_name("s").unwrap()].inputs.len(), 1);
    let w = const_weights();
    bind(&mut m, &w, Span::UNDEFINED).unwrap_or_else(|d| panic!("{d:?}"));
    let lowered = nn_dsl::lower::lower(&m, &w).unwrap();
    let x: Vec<i8> = vec![10, -20, 30, -40, 5, 6, 7, 8];
    let out = nn_dsl::exec::run_i8(&m, &lowered, &[&x]).unwrap();
    // All scales 0.5; the mul constant 3 with scale 1 and zero point 1 is 2.0: s = x + c,
    // m = relu(s * 2), y = m - row constant.
    let want: Vec<i8> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let s = (i32::from(v) + [1, -2, 3, 4][i % 4]).clamp(-128, 127);
            let m = (s * 2).clamp(0, 127);
            (m - [2, -2][i / 4]).clamp(-128, 127) as i8
        })
        .collect();
    assert_eq!(out[0], want);
    let text = write_string(&m, &Options::default()).unwrap();
    assert!(text.contains("add(x, operand = [4])"), "{text}");
    assert!(
        text.contains("mul(s, operand = [1], activation = relu)"),
        "{text}"
    );
    let back = checked(&text);
    for n in ["s", "m", "y"] {
        assert_eq!(op_of(&back, n), op_of(&m, n), "{n}");
    }
    // A missing constant is E0200 naming it.
    let mut w = const_weights();
    w.tensors.remove("m.operand");
    let mut m2 = checked(CONST_SRC);
    let diags = bind(&mut m2, &w, Span::UNDEFINED).unwrap_err();
    assert!(
        diags
            .iter()
            .any(|d| d.code == "E0200" && d.message.contains("`m.operand`")),
        "{diags:?}"
    );
}

#[test]
fn constant_operand_errors() {
    let cases = [
        // One tensor and no constant: a second operand is missing.
        ("add(x, operand = [4])", "add(x)", "E0105", "add(x)"),
        // Two tensors and a constant.
        (
            "add(x, operand = [4])",
            "add(x, x, operand = [4])",
            "E0104",
            "[4]",
        ),
        // A constant that does not broadcast: at the attribute.
        (
            "add(x, operand = [4])",
            "add(x, operand = [3])",
            "E0117",
            "[3]",
        ),
        (
            "sub(m, operand = [2, 1])",
            "sub(m, operand = [3, 1])",
            "E0118",
            "[3, 1]",
        ),
        (
            "add(x, operand = [4])",
            "add(x, operand = [0])",
            "E0121",
            "0",
        ),
        (
            "add(x, operand = [4])",
            "add(x, operand = [])",
            "E0104",
            "[]",
        ),
    ];
    for (from, to, code, at) in cases {
        let src = CONST_SRC.replace(from, to);
        let diags = check_source(&src).unwrap_err();
        let d = &diags[0];
        assert_eq!(d.code, code, "{to}: {diags:?}");
        let span = d.primary_span().unwrap();
        assert_eq!(
            &src[span.start as usize..span.end as usize],
            at,
            "{to}: {d:?}"
        );
    }
}
