//! The generated Rust module of every whole-network oracle model, run on every recorded case:
//! each output byte must EQUAL TensorFlow Lite Micro's, and equal the host executor's
//! (`nn_dsl::exec`, the reference every target is compared with).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use nnd_e2e::MODELS;
use nnd_tests::{compare, Tensor as VTensor};

#[derive(Debug, serde::Deserialize)]
struct ModelFile {
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

#[test]
fn every_model_is_compiled() {
    let on_disk = std::fs::read_dir(models_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "tflite")
        })
        .count();
    assert_eq!(
        MODELS.len(),
        on_disk,
        "models compiled by build.rs vs on disk"
    );
    assert!(MODELS.len() >= 6, "only {} models", MODELS.len());
}

#[test]
fn generated_code_equals_tflm_and_exec() {
    let mut failures = Vec::new();
    let mut cases = 0usize;
    let mut bytes = 0usize;
    for model in MODELS {
        let tflite = models_dir().join(model.source);
        let json = tflite.with_extension("json");
        let file: ModelFile =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let loaded = nn_dsl::front::load::load_tflite(&tflite)
            .unwrap_or_else(|e| panic!("{}: {}", model.name, e.render()));
        let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
        for (i, case) in file.cases.iter().enumerate() {
            let label = format!("{} case {i}", model.name);
            let inputs: Vec<Vec<i8>> = case.input.iter().map(|t| t.i8_data().unwrap()).collect();
            let refs: Vec<&[i8]> = inputs.iter().map(Vec::as_slice).collect();
            // The arena's previous contents must not matter: a different fill per case.
            let fill = (i as i8).wrapping_mul(37);
            let got = (model.run)(&refs, fill).unwrap_or_else(|e| panic!("{label}: {e}"));
            let host = nn_dsl::exec::run_i8(&loaded.module, &lowered, &refs).unwrap();
            assert_eq!(got.len(), case.output.len(), "{label}: output count");
            for (k, ((g, want), h)) in got.iter().zip(&case.output).zip(&host).enumerate() {
                if let Some(d) =
                    compare(&format!("{label} output {k}"), g, &want.i8_data().unwrap())
                {
                    failures.push(d);
                }
                if g != h {
                    failures.push(format!("{label} output {k}: differs from nn_dsl::exec"));
                }
                bytes += g.len();
            }
            cases += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} output(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 120, "only {cases} cases ran");
    assert!(bytes > 0);
}

#[test]
fn arena_sizes_are_the_plans() {
    for model in MODELS {
        let loaded = nn_dsl::front::load::load_tflite(&models_dir().join(model.source)).unwrap();
        let plan = nn_dsl::plan::plan(&loaded.module, &Default::default()).unwrap();
        assert_eq!(model.arena_bytes, plan.arena_bytes, "{}", model.name);
    }
}
