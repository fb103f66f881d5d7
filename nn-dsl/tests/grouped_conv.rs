//! Issue 16 item 8: grouped convolution (`conv2d(..., groups = g)`, TFLite's CONV_2D whose
//! filter has `input_c / g` channels): checking, the filter shape the binder asks for, host
//! execution against a hand-computed result, the .nnd writer, and the target kernels' fallback
//! to the portable one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::back::nnd::{write_string, Options};
use nn_dsl::back::rust::{self, KernelChoice, Target};
use nn_dsl::check::check_source;
use nn_dsl::ir::{Module, Op};
use nn_dsl::span::Span;
use nn_dsl::weights::{bind, required, WDType, WeightTensor, Weights};

const SRC: &str = "network Grouped {
    input x: i8[1, 2, 4];
    output y = conv2d(x, filters = 4, kernel = 1, groups = 2, bias = false);
}
";

fn checked(src: &str) -> Module {
    let (m, warnings) = check_source(src).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    m
}

fn weights() -> Weights {
    let mut w = Weights::default();
    for t in ["x", "y"] {
        w.tensors
            .insert(format!("{t}.scale"), WeightTensor::scalar_f32(1.0));
        w.tensors
            .insert(format!("{t}.zero_point"), WeightTensor::scalar_i64(0));
    }
    // 4 filters of 2 channels: filters 0, 1 read channels 0, 1; filters 2, 3 channels 2, 3.
    let f: [i8; 8] = [1, 0, 0, 1, 1, 1, 2, -1];
    w.tensors.insert(
        "y.weight".into(),
        WeightTensor::new(WDType::I8, vec![4, 1, 1, 2], f.map(|v| v as u8).to_vec()).unwrap(),
    );
    w.tensors
        .insert("y.weight_scale".into(), WeightTensor::scalar_f32(1.0));
    w
}

#[test]
fn grouped_conv_checks_binds_runs_and_round_trips() {
    let mut m = checked(SRC);
    let node = m.nodes.iter().next().unwrap().1.clone();
    let Op::Conv2d(c) = &node.op else {
        panic!("{:?}", node.op)
    };
    assert_eq!(c.groups, 2);
    // The binder asks for the grouped filter shape.
    let req = required(&m);
    assert_eq!(req[0].shapes[0], vec![4, 1, 1, 2]);
    let w = weights();
    bind(&mut m, &w, Span::UNDEFINED).unwrap_or_else(|d| panic!("{d:?}"));
    let lowered = nn_dsl::lower::lower(&m, &w).unwrap();
    let x: Vec<i8> = vec![1, 2, 3, 4, 5, 6, 7, 8];
    let out = nn_dsl::exec::run_i8(&m, &lowered, &[&x]).unwrap();
    // Pixel (a, b, c, d): [a, b, c + d, 2c - d].
    assert_eq!(out[0], vec![1, 2, 7, 2, 5, 6, 15, 6]);

    let text = write_string(&m, &Options::default()).unwrap();
    assert!(text.contains("groups = 2"), "{text}");
    let back = checked(&text);
    assert_eq!(back.nodes.iter().next().unwrap().1.op, node.op);

    // Every target with its own convolution kernels runs the portable one and says why.
    for target in [Target::CortexM4, Target::Aarch64, Target::K210] {
        match rust::choose(target, &lowered.nodes[0]) {
            KernelChoice::Portable(Some(why)) => assert!(why.contains("grouped"), "{why}"),
            other => panic!("{target:?}: {other:?}"),
        }
    }
}

#[test]
fn groups_must_divide_channels_and_filters() {
    for (groups, code, found) in [
        ("3", "E0104", "3 for 4 input channels and 4 filters"),
        ("0", "E0113", "must be at least 1"),
    ] {
        let src = SRC.replace("groups = 2", &format!("groups = {groups}"));
        let diags = check_source(&src).unwrap_err();
        let d = &diags[0];
        assert_eq!(d.code, code, "{diags:?}");
        assert!(format!("{d:?}").contains(found), "{d:?}");
        let span = d.primary_span().unwrap();
        assert_eq!(&src[span.start as usize..span.end as usize], groups);
    }
    let src = SRC.replace("filters = 4", "filters = 3");
    assert_eq!(check_source(&src).unwrap_err()[0].code, "E0104");
}
