//! The weights file: safetensors round trip, bad files (errors naming the file, never panics),
//! and binding a weights set to a checked .nnd module (diagnostics naming the layer, the tensor
//! and both shapes; quantisation filled in). Plus a snapshot of the .nnd written for a model.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use nn_dsl::check::check_source;
use nn_dsl::diag::render;
use nn_dsl::ir::Module;
use nn_dsl::span::Span;
use nn_dsl::weights::{bind, WDType, WeightTensor, Weights, WeightsError};

const SMALL: &str = include_str!("import/bind_small.nnd");

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("import_weights");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn t(dtype: WDType, shape: &[usize]) -> WeightTensor {
    let n: usize = shape.iter().product();
    WeightTensor::new(dtype, shape.to_vec(), vec![1; n * dtype.size_bytes()]).unwrap()
}

/// A complete, valid weights set for `SMALL`.
fn small_weights() -> Weights {
    let mut w = Weights::default();
    let mut put = |k: &str, v: WeightTensor| {
        w.tensors.insert(k.to_owned(), v);
    };
    put("c.weight", t(WDType::I8, &[4, 3, 3, 3]));
    put("c.bias", t(WDType::I32, &[4]));
    put("c.weight_scale", t(WDType::F32, &[4]));
    put("y.weight", t(WDType::I8, &[5, 16]));
    put("y.bias", t(WDType::I32, &[5]));
    put("y.weight_scale", WeightTensor::scalar_f32(0.02));
    for (name, scale, zp) in [("x", 0.5, -1), ("c", 0.25, -128), ("y", 0.125, 3)] {
        put(&format!("{name}.scale"), WeightTensor::scalar_f32(scale));
        put(&format!("{name}.zero_point"), WeightTensor::scalar_i64(zp));
    }
    w
}

fn checked() -> (Module, Span) {
    let (m, warnings) = check_source(SMALL).unwrap();
    assert!(warnings.is_empty());
    let span = m.weights.as_ref().unwrap().span;
    (m, span)
}

#[test]
fn safetensors_round_trip_keeps_every_tensor_and_the_metadata() {
    let w = small_weights();
    let bytes = w.to_safetensors("mem").unwrap();
    // The metadata is readable by any safetensors reader.
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let info = meta.metadata().clone().unwrap();
    assert_eq!(info.get("format").map(String::as_str), Some("nnd-weights"));
    assert_eq!(info.get("version").map(String::as_str), Some("1"));
    assert_eq!(Weights::from_safetensors(&bytes, "mem").unwrap(), w);
    // Deterministic bytes.
    for _ in 0..8 {
        assert_eq!(small_weights().to_safetensors("mem").unwrap(), bytes);
    }
    // Names are JSON-escaped.
    let mut odd = Weights::default();
    odd.tensors
        .insert("we\"ird\\name\n".into(), WeightTensor::scalar_i64(-7));
    let back = Weights::from_safetensors(&odd.to_safetensors("mem").unwrap(), "mem").unwrap();
    assert_eq!(back, odd);
    // A tensor whose data does not match its shape cannot be written.
    let mut bad = Weights::default();
    bad.tensors.insert(
        "t".into(),
        WeightTensor {
            dtype: WDType::I32,
            shape: vec![3],
            data: vec![0; 8],
        },
    );
    let e = bad.to_safetensors("out.safetensors").unwrap_err();
    assert!(matches!(e, WeightsError::Inconsistent { .. }), "{e}");
    let path = tmp("small.safetensors");
    w.write(&path).unwrap();
    assert_eq!(Weights::read(&path).unwrap(), w);
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let good = small_weights().to_safetensors("mem").unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("text", b"not a safetensors file at all".to_vec()),
        ("huge header length", {
            let mut b = u64::MAX.to_le_bytes().to_vec();
            b.extend_from_slice(b"{}");
            b
        }),
    ];
    for cut in [1, 8, 9, good.len() / 2, good.len() - 1] {
        cases.push(("truncated", good[..cut].to_vec()));
    }
    for (what, bytes) in &cases {
        let e = Weights::from_safetensors(bytes, "w/bad.safetensors").unwrap_err();
        assert!(matches!(e, WeightsError::Format { .. }), "{what}: {e:?}");
        assert!(e.to_string().contains("`w/bad.safetensors`"), "{what}: {e}");
    }
    // Valid safetensors, but not ours: no metadata, another format, another version, a bf16 tensor.
    let data = [0u8; 4];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1], &data).unwrap();
    let meta = |pairs: &[(&str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    let foreign = [
        (None, "has no `__metadata__`"),
        (meta(&[("format", "pt")]), "metadata format is \"pt\""),
        (
            meta(&[("format", "nnd-weights"), ("version", "9")]),
            "version \"9\" is not supported",
        ),
    ];
    for (m, expected) in foreign {
        let bytes = safetensors::serialize([("a", view.clone())], m).unwrap();
        let e = Weights::from_safetensors(&bytes, "x.safetensors").unwrap_err();
        assert!(
            e.to_string().contains(expected) && e.to_string().contains("`x.safetensors`"),
            "{e}"
        );
    }
    let bf =
        safetensors::tensor::TensorView::new(safetensors::Dtype::BF16, vec![2], &data).unwrap();
    let bytes = safetensors::serialize(
        [("odd", bf)],
        meta(&[("format", "nnd-weights"), ("version", "1")]),
    )
    .unwrap();
    let e = Weights::from_safetensors(&bytes, "x.safetensors").unwrap_err();
    assert!(e.to_string().contains("tensor `odd` has dtype BF16"), "{e}");
    let e = Weights::read(Path::new("/nonexistent/dir/w.safetensors")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot read `/nonexistent/dir/w.safetensors`"),
        "{e}"
    );
}

#[test]
fn bind_fills_quantisation_including_implied_tensors() {
    let (mut m, span) = checked();
    bind(&mut m, &small_weights(), span).unwrap();
    let quant = |name: &str| {
        let q = m.tensors[m.tensor_by_name(name).unwrap()]
            .quant
            .clone()
            .unwrap();
        (q.scale[0], q.zero_point[0])
    };
    assert_eq!(quant("x"), (0.5, -1));
    assert_eq!(quant("c"), (0.25, -128));
    // Pooling and flatten keep their input's; softmax is fixed.
    assert_eq!(quant("p"), (0.25, -128));
    assert_eq!(quant("y.flatten"), (0.25, -128));
    assert_eq!(quant("y"), (0.125, 3));
    assert_eq!(quant("probs"), (1.0 / 256.0, -128));
}

#[test]
fn bind_reports_every_problem_with_layer_tensor_and_both_shapes() {
    let (mut m, span) = checked();
    let before = m.clone();
    let mut w = small_weights();
    w.tensors.remove("c.bias");
    w.tensors.remove("c.weight_scale");
    w.tensors.insert("y.weight".into(), t(WDType::I8, &[5, 15]));
    w.tensors.insert("y.bias".into(), t(WDType::I8, &[5]));
    w.tensors.remove("x.zero_point");
    w.tensors
        .insert("y.scale".into(), WeightTensor::scalar_f32(-1.0));
    let diags = bind(&mut m, &w, span).unwrap_err();
    assert_eq!(m, before, "a failed bind leaves the module unchanged");
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0200", "E0201", "E0202", "E0200", "E0203"]);
    let text = render::to_string("bind_small.nnd", SMALL, &diags);
    insta::assert_snapshot!("bind_errors", text);
    assert!(text.contains(
        "`y.weight` has shape [5, 15] in the weights file but layer `y` (dense) needs [5, 16]"
    ));
}

#[test]
fn imported_model_writes_readable_nnd() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/models/flatten_cnn.tflite");
    let loaded = nn_dsl::front::load::load_tflite(&path).unwrap();
    let text = nn_dsl::back::nnd::write_string(
        &loaded.module,
        &nn_dsl::back::nnd::Options {
            weights: Some("flatten_cnn.safetensors".into()),
            header: vec!["Imported from flatten_cnn.tflite.".into()],
        },
    )
    .unwrap();
    insta::assert_snapshot!("flatten_cnn_nnd", text);
}
