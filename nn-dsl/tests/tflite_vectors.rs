//! Real `.tflite` files produced by the TensorFlow Lite converter: every file under the workspace's
//! `tests/vectors/models/` and `nn-dsl/tests/tflite/converter/` (and under the directories listed in `NND_EXTRA_TFLITE_DIRS`, separated
//! by `:`, for local checks) must be read, with every operator recognised and its options decoded
//! into the variant its operator uses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use nn_dsl::front::tflite::{read, BuiltinOp, BuiltinOptions, Model, TensorType};

fn model_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        root.join("../tests/vectors/models"),
        root.join("tests/tflite/converter"),
    ];
    if let Ok(extra) = std::env::var("NND_EXTRA_TFLITE_DIRS") {
        dirs.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "tflite") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The options variant each recognised operator must carry.
fn options_fit(op: BuiltinOp, options: &BuiltinOptions) -> bool {
    use BuiltinOp as B;
    use BuiltinOptions as O;
    match op {
        B::Conv2d => matches!(options, O::Conv2d(_)),
        B::DepthwiseConv2d => matches!(options, O::DepthwiseConv2d(_)),
        B::FullyConnected => matches!(options, O::FullyConnected(_)),
        B::AveragePool2d | B::MaxPool2d => matches!(options, O::Pool2d(_)),
        B::Add => matches!(options, O::Add { .. }),
        B::Mul => matches!(options, O::Mul { .. }),
        B::Softmax => matches!(options, O::Softmax { .. }),
        B::Concatenation => matches!(options, O::Concatenation { .. }),
        B::Mean => matches!(options, O::Reducer { .. }),
        B::StridedSlice => matches!(options, O::StridedSlice(_)),
        B::Pack => matches!(options, O::Pack { .. }),
        B::Reshape => matches!(options, O::Reshape { .. } | O::None),
        B::Pad => matches!(options, O::Pad | O::None),
        B::PadV2 => matches!(options, O::PadV2 | O::None),
        _ => true,
    }
}

fn check_model(path: &Path, model: &Model) {
    let name = path.display();
    let sg = model.subgraph().unwrap();
    assert!(!sg.tensors.is_empty(), "{name}: no tensors");
    assert!(!sg.inputs.is_empty(), "{name}: no inputs");
    assert!(!sg.outputs.is_empty(), "{name}: no outputs");
    assert!(!sg.operators.is_empty(), "{name}: no operators");
    for (i, op) in sg.operators.iter().enumerate() {
        let code = model.opcode(op).unwrap();
        assert!(
            !matches!(code.builtin, BuiltinOp::Other(_)),
            "{name}: operator {i} has an unrecognised builtin code {}",
            code.builtin.code()
        );
        assert!(
            options_fit(code.builtin, &op.options),
            "{name}: operator {i} ({}) carries {:?}",
            code.builtin,
            op.options
        );
    }
    for (i, t) in sg.tensors.iter().enumerate() {
        if t.dtype == TensorType::Int8 {
            assert!(
                t.quantization.is_some(),
                "{name}: int8 tensor {i} {:?} has no quantisation",
                t.name
            );
        }
    }
}

#[test]
fn converter_models_are_read() {
    let files = model_files();
    assert!(
        files.len() >= 2,
        "the committed converter fixtures are missing"
    );
    for path in files {
        let bytes = fs::read(&path).unwrap();
        match read(&bytes) {
            Ok(model) => check_model(&path, &model),
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}
