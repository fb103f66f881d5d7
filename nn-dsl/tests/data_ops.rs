//! Issue 16 item 8: the data-movement ops `resize_nearest`, `strided_slice` and `split` (TFLite
//! RESIZE_NEAREST_NEIGHBOR, STRIDED_SLICE, SPLIT): checking, quantisation carried from the input
//! by the binder, host execution against hand-computed results, the .nnd writer's round trip, the
//! portable kernels on every target, and the diagnostics at their spans.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::back::nnd::{write_string, Options};
use nn_dsl::back::rust::{self, KernelChoice, Target};
use nn_dsl::check::check_source;
use nn_dsl::ir::{Module, Op};
use nn_dsl::span::Span;
use nn_dsl::weights::{bind, WeightTensor, Weights};

const SRC: &str = "network Data {
    input x: i8[3, 4, 2];
    let r = resize_nearest(x, size = [5, 3], align_corners = true);
    output s = strided_slice(r, begin = [-1, 0, 1], end = [-9, 3, 2], strides = [-2, 2, 1]);
    output a = split(x, axis = 1, parts = 2, index = 1);
    output h = resize_nearest(x, size = 2, half_pixel_centers = true);
    output f = strided_slice(x, begin = [1, 0, 0], end = [2, 4, 2], shape = [4, 2]);
}
";

fn checked(src: &str) -> Module {
    let (m, warnings) = check_source(src).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    m
}

/// Only the input is quantised: every data op carries it to its output.
fn weights(x_scale: f32) -> Weights {
    let mut w = Weights::default();
    w.tensors
        .insert("x.scale".into(), WeightTensor::scalar_f32(x_scale));
    w.tensors
        .insert("x.zero_point".into(), WeightTensor::scalar_i64(3));
    w
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

#[test]
fn data_ops_check_bind_run_and_round_trip() {
    let mut m = checked(SRC);
    assert_eq!(
        op_of(&m, "r"),
        Op::ResizeNearest {
            size: [5, 3],
            align_corners: true,
            half_pixel_centers: false
        }
    );
    // Axis 0: from 4 back through 0 by 2 (the resolved end is -1); axis 1: 0, 2; axis 2: 1.
    assert_eq!(
        op_of(&m, "s"),
        Op::StridedSlice {
            begin: vec![4, 0, 1],
            end: vec![-1, 3, 2],
            strides: vec![-2, 2, 1],
            shape: vec![3, 2, 1],
        }
    );
    assert_eq!(
        op_of(&m, "a"),
        Op::StridedSlice {
            begin: vec![0, 2, 0],
            end: vec![3, 4, 2],
            strides: vec![1, 1, 1],
            shape: vec![3, 2, 2],
        }
    );
    let w = weights(0.5);
    bind(&mut m, &w, Span::UNDEFINED).unwrap_or_else(|d| panic!("{d:?}"));
    for (_, n) in m.nodes.iter() {
        let q = m.tensors[n.output].quant.as_ref().unwrap();
        assert_eq!((q.scale[0], q.zero_point[0]), (0.5, 3), "{}", n.name);
    }
    let lowered = nn_dsl::lower::lower(&m, &w).unwrap();
    // x[h][w][c] = 8h + 2w + c.
    let x: Vec<i8> = (0..24).collect();
    let out = nn_dsl::exec::run_i8(&m, &lowered, &[&x]).unwrap();
    // align_corners, 3 -> 5 rows: round(o / 2) = 0, 1, 1, 2, 2; 4 -> 3 columns: round(1.5 o) =
    // 0, 2, 3. The slice takes rows 4, 2, 0 (sources 2, 1, 0), columns 0, 2 (sources 0, 3),
    // channel 1.
    assert_eq!(out[0], vec![17, 23, 9, 15, 1, 7]);
    // Columns 2 and 3 of every row.
    assert_eq!(out[1], vec![4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23]);
    // Half-pixel centres, 3 -> 2 rows: floor((o + 0.5) * 1.5) = 0, 2; 4 -> 2 columns: 1, 3.
    assert_eq!(out[2], vec![2, 3, 6, 7, 18, 19, 22, 23]);
    // Row 1, reshaped to [4, 2].
    assert_eq!(out[3], (8..16).collect::<Vec<i8>>());

    // The writer's text checks back to the same ops (split is written as its slice).
    let text = write_string(&m, &Options::default()).unwrap();
    assert!(
        text.contains("resize_nearest(x, size = [5, 3], align_corners = true)"),
        "{text}"
    );
    assert!(
        text.contains(
            "strided_slice(r, begin = [4, 0, 1], end = [-6, 3, 2], strides = [-2, 2, 1])"
        ),
        "{text}"
    );
    assert!(
        text.contains("strided_slice(x, begin = [0, 2, 0], end = [3, 4, 2])"),
        "{text}"
    );
    assert!(text.contains("shape = [4, 2]"), "{text}");
    let back = checked(&text);
    for n in ["r", "s", "a", "h", "f"] {
        assert_eq!(op_of(&back, n), op_of(&m, n), "{n}");
    }

    // No target has its own kernels for these: the portable ones run everywhere.
    for target in [
        Target::CortexM4,
        Target::Aarch64,
        Target::K210,
        Target::Generic,
    ] {
        for node in &lowered.nodes {
            assert!(
                matches!(rust::choose(target, node), KernelChoice::Portable(_)),
                "{target:?}"
            );
        }
    }
}

#[test]
fn another_output_quantisation_is_e0204() {
    let mut m = checked(SRC);
    let mut w = weights(0.5);
    w.tensors
        .insert("r.scale".into(), WeightTensor::scalar_f32(0.25));
    w.tensors
        .insert("r.zero_point".into(), WeightTensor::scalar_i64(3));
    let diags = bind(&mut m, &w, Span::UNDEFINED).unwrap_err();
    assert!(
        diags
            .iter()
            .any(|d| d.code == "E0204" && format!("{d:?}").contains("copies int8 values")),
        "{diags:?}"
    );
}

/// Each bad call is reported with its code at the exact text of the offending value.
#[test]
fn diagnostics_point_at_the_attribute() {
    let base = "network D {\n    input x: i8[3, 4, 2];\n    output y = CALL;\n}\n";
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "strided_slice(x, begin = [0, 0], end = [1, 1, 1])",
            "E0104",
            "[0, 0]",
            "2 values for an input of rank 3",
        ),
        (
            "strided_slice(x, begin = [0, 0, 0], end = [1, 1, 1], strides = [1, 0, 1])",
            "E0114",
            "0",
            "strides",
        ),
        (
            "strided_slice(x, begin = [0, 3, 0], end = [1, 1, 1])",
            "E0104",
            "1",
            "an empty slice 3..1 by 1 of an axis of 4",
        ),
        (
            "strided_slice(x, begin = [0, 0, 0], end = [1, 1, 1], shape = [2])",
            "E0104",
            "[2]",
            "as many elements",
        ),
        (
            "split(x, axis = 1, parts = 3, index = 0)",
            "E0104",
            "3",
            "3 parts of an axis of 4",
        ),
        (
            "split(x, axis = -1, parts = 2, index = 2)",
            "E0104",
            "2",
            "2 of 2 parts",
        ),
        ("split(x, axis = 3, parts = 2, index = 0)", "E0122", "3", ""),
        (
            "resize_nearest(x, size = 4, align_corners = true, half_pixel_centers = true)",
            "E0104",
            "true",
            "half_pixel_centers",
        ),
        ("resize_nearest(x, size = [0, 2])", "E0113", "0", ""),
        ("resize_nearest(x)", "E0103", "", "size"),
    ];
    for &(call, code, at, found) in cases {
        let src = base.replace("CALL", call);
        let diags = check_source(&src).unwrap_err();
        let d = &diags[0];
        assert_eq!(d.code, code, "{call}: {diags:?}");
        assert!(format!("{d:?}").contains(found), "{call}: {d:?}");
        if !at.is_empty() {
            let span = d.primary_span().unwrap();
            let text = &src[span.start as usize..span.end as usize];
            // The last occurrence for values that also appear earlier in the call.
            assert_eq!(text, at, "{call}: {d:?}");
            let call_at = src.find(call).unwrap();
            assert!(span.start as usize >= call_at, "{call}");
        }
    }
    // An f32 input is E0115; a rank-2 input to resize_nearest is a rank error.
    for call in [
        "strided_slice(x, begin = [0], end = [1])",
        "split(x, axis = 0, parts = 2, index = 0)",
    ] {
        let src = format!("network D {{\n    input x: f32[4];\n    output y = {call};\n}}\n");
        assert_eq!(check_source(&src).unwrap_err()[0].code, "E0115", "{call}");
    }
    let src =
        "network D {\n    input x: i8[4, 2];\n    output y = resize_nearest(x, size = 2);\n}\n";
    assert_eq!(check_source(src).unwrap_err()[0].code, "E0116");
}
