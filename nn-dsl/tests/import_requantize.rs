//! `requantize`: the IR op for TFLite's int8 -> int8 QUANTIZE. Imported from a hand-built model,
//! written as `.nnd`, and run from `.nnd` + safetensors against every TFLM requantize vector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "tflite/writer.rs"]
mod writer;

use std::path::Path;

use nn_dsl::front::load::load_nnd;
use nn_dsl::front::tflite::{import, read};
use nn_dsl::ir::Op;
use nn_dsl::weights::{WeightTensor, Weights};
use writer::*;

const QUANTIZE: i32 = 114;

#[test]
fn int8_to_int8_quantize_imports_as_requantize_and_round_trips() {
    let m = MModel::new(
        vec![MOpcode::builtin(QUANTIZE)],
        MSubgraph {
            name: None,
            tensors: vec![
                MTensor::new("x", &[1, 4], INT8, 0).q(MQuant::per_tensor(0.1, 0)),
                MTensor::new("y", &[1, 4], INT8, 0).q(MQuant::per_tensor(0.2, 5)),
            ],
            inputs: vec![0],
            outputs: vec![1],
            operators: vec![MOp::new(0, &[0], &[1], MOptions::None)],
        },
        vec![MBuffer::empty()],
    );
    let (module, _) = import(&read(&m.build()).unwrap()).unwrap();
    let (_, n) = module.nodes.iter().next().unwrap();
    assert_eq!(n.op, Op::Requantize);
    let text = nn_dsl::back::nnd::write_string(&module, &Default::default()).unwrap();
    assert!(text.contains("let y = requantize(x);"), "{text}");
    let (back, _) = nn_dsl::check::check_source(&text).unwrap();
    assert_eq!(back.nodes.iter().next().unwrap().1.op, Op::Requantize);
    // The checker wants an int8 input.
    let errs = nn_dsl::check::check_source(
        "network F { input x: f32[4]; let y = requantize(x); output y; }",
    )
    .unwrap_err();
    assert!(errs.iter().any(|d| d.code == "E0115"), "{errs:?}");
}

fn nums<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Vec<T> {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn requantize_from_nnd_equals_tflm_on_every_vector() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("../tests/vectors/ops/requantize.json")).unwrap(),
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("import_requantize");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let input = &case["inputs"][0];
        let output = &case["output"];
        let shape: Vec<usize> = nums(&input["shape"]);
        let dims: Vec<String> = shape[1..].iter().map(usize::to_string).collect();
        let name = case["name"].as_str().unwrap();
        std::fs::write(
            dir.join(format!("{name}.nnd")),
            format!(
                "network R {{ input x: i8[{}]; weights \"{name}.safetensors\"; let y = requantize(x); output y; }}",
                dims.join(", ")
            ),
        )
        .unwrap();
        let mut w = Weights::default();
        for (t, q) in [("x", input), ("y", output)] {
            let scale: Vec<f32> = nums(&q["scale"]);
            let zp: Vec<i64> = nums(&q["zero_point"]);
            w.tensors
                .insert(format!("{t}.scale"), WeightTensor::scalar_f32(scale[0]));
            w.tensors
                .insert(format!("{t}.zero_point"), WeightTensor::scalar_i64(zp[0]));
        }
        w.write(&dir.join(format!("{name}.safetensors"))).unwrap();
        let loaded = load_nnd(&dir.join(format!("{name}.nnd")))
            .unwrap_or_else(|e| panic!("{name}: {}", e.render()));
        let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
        let x: Vec<i8> = nums(&input["data"]);
        let got = nn_dsl::exec::run_i8(&loaded.module, &lowered, &[&x]).unwrap();
        let expected: Vec<i8> = nums(&output["data"]);
        assert_eq!(got[0], expected, "{name}");
    }
}
