//! Networks with state (SVDF, LSTM) against TFLM over whole sequences.
//!
//! - `stateful_networks_equal_tflm_over_sequences`: every `tests/vectors/stateful/*.tflite` is
//!   imported and lowered; each recorded sequence starts from a reset state and runs step by step
//!   through `nn_dsl::exec::run_with_state`: every step's outputs must EQUAL TFLM's. The state is
//!   what carries the sequence, so a wrong shift, a wrong reset value or a state that is not kept
//!   shows up as a differing step.
//! - `import_round_trip_keeps_the_state`: .tflite -> .nnd (`svdf(...)`, `lstm(...)`) +
//!   .safetensors -> load: the same lowering, and the same outputs over every sequence.
//! - `a_step_without_the_stream_differs_from_the_stream`: the vectors depend on the state, for
//!   both kinds of stateful layer.
//!
//! The same sequences run through the generated Rust of three targets in
//! `examples/streaming/tests/tflm.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use nn_dsl::exec::{self, ExecState, TensorData};
use nn_dsl::ir::Module;
use nn_dsl::weights::Weights;
use nnd_tests::{compare, load_stateful, stateful_stems, vectors_dir};

/// Runs every sequence of `stem` through `module`; returns the differences and the step count.
fn run_sequences(stem: &str, module: &Module, weights: &Weights) -> (Vec<String>, usize) {
    let lowered = nn_dsl::lower::lower(module, weights).unwrap();
    let mut state = ExecState::new(&lowered).unwrap();
    assert!(state.is_stateful(), "{stem}: no stateful layer");
    let file = load_stateful(stem).unwrap();
    let (mut failures, mut steps) = (Vec::new(), 0);
    for (c, seq) in file.cases.iter().enumerate() {
        // Cases run one after another on one state: reset is what separates them.
        state.reset(&lowered);
        for (k, step) in seq.steps.iter().enumerate() {
            let inputs: Vec<TensorData> = step
                .input
                .iter()
                .map(|t| TensorData::I8(t.i8_data().unwrap()))
                .collect();
            let out = exec::run_with_state(module, &lowered, &inputs, &mut state).unwrap();
            for (j, (got, want)) in out.iter().zip(&step.output).enumerate() {
                let got = got.as_i8().unwrap();
                let name = format!("{stem} sequence {c} step {k} output {j}");
                if let Some(d) = compare(&name, got, &want.i8_data().unwrap()) {
                    failures.push(d);
                }
            }
            steps += 1;
        }
    }
    (failures, steps)
}

fn tflite(stem: &str) -> PathBuf {
    vectors_dir()
        .join("stateful")
        .join(format!("{stem}.tflite"))
}

#[test]
fn stateful_networks_equal_tflm_over_sequences() {
    let stems = stateful_stems().unwrap();
    let mut failures = Vec::new();
    let mut steps = 0usize;
    for stem in &stems {
        let loaded = nn_dsl::front::load::load_tflite(&tflite(stem))
            .unwrap_or_else(|e| panic!("{stem}: {}", e.render()));
        let (f, n) = run_sequences(stem, &loaded.module, &loaded.weights);
        failures.extend(f);
        steps += n;
    }
    assert!(
        failures.is_empty(),
        "{} output(s) differ from TFLM:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(stems.len() >= 5, "only {} stateful models", stems.len());
    assert!(steps >= 360, "only {steps} steps");
}

#[test]
fn import_round_trip_keeps_the_state() {
    use nn_dsl::back::nnd::{write_string, Options};
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stateful_round_trip");
    std::fs::create_dir_all(&dir).unwrap();
    let mut steps = 0;
    for stem in stateful_stems().unwrap() {
        let direct = nn_dsl::front::load::load_tflite(&tflite(&stem)).unwrap();
        let text = write_string(
            &direct.module,
            &Options {
                weights: Some(format!("{stem}.safetensors")),
                header: vec![],
            },
        )
        .unwrap();
        assert!(
            text.contains("= svdf(") || text.contains("= lstm("),
            "{stem}: {text}"
        );
        let nnd = dir.join(format!("{stem}.nnd"));
        std::fs::write(&nnd, text).unwrap();
        direct
            .weights
            .write(&dir.join(format!("{stem}.safetensors")))
            .unwrap();
        let back = nn_dsl::front::load::load_nnd(&nnd)
            .unwrap_or_else(|e| panic!("{stem}: {}", e.render()));
        assert_eq!(
            nn_dsl::lower::lower(&direct.module, &direct.weights).unwrap(),
            nn_dsl::lower::lower(&back.module, &back.weights).unwrap(),
            "{stem}: lowering differs after the round trip"
        );
        let (failures, n) = run_sequences(&stem, &back.module, &back.weights);
        assert!(
            failures.is_empty(),
            "{stem} via .nnd:\n{}",
            failures.join("\n")
        );
        steps += n;
    }
    assert!(steps >= 360);
}

#[test]
fn a_step_without_the_stream_differs_from_the_stream() {
    // The vectors would pass a network that ignored its state only if every step's output were
    // the first step's: show that they are not, so the tests above can fail.
    for stem in ["svdf_kws", "lstm_classifier", "lstm_clip"] {
        let file = load_stateful(stem).unwrap();
        let loaded = nn_dsl::front::load::load_tflite(&tflite(stem)).unwrap();
        let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
        let mut differ = 0;
        for seq in &file.cases {
            for step in &seq.steps[1..] {
                let x = TensorData::I8(step.input[0].i8_data().unwrap());
                // `run` starts from a reset state every time.
                let out = exec::run(&loaded.module, &lowered, &[x]).unwrap();
                if out[0].as_i8().unwrap() != step.output[0].i8_data().unwrap().as_slice() {
                    differ += 1;
                }
            }
        }
        assert!(
            differ > 20,
            "{stem}: only {differ} steps depend on the earlier ones"
        );
    }
}
