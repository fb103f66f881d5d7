//! Networks with state (SVDF) against TFLM over whole sequences.
//!
//! Every `tests/vectors/stateful/*.tflite` is imported and lowered; each recorded sequence starts
//! from a reset state and runs step by step through `nn_dsl::exec::run_with_state`: every step's
//! outputs must EQUAL TFLM's. The state is what carries the sequence, so a wrong shift, a wrong
//! reset value or a state that is not kept shows up as a differing step. The same sequences run
//! through the generated Rust in `tests/e2e` and on the emulated targets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::exec::{self, ExecState, TensorData};
use nnd_tests::{compare, load_stateful, stateful_stems, vectors_dir};

#[test]
fn stateful_networks_equal_tflm_over_sequences() {
    let stems = stateful_stems().unwrap();
    let mut failures = Vec::new();
    let (mut steps, mut sequences) = (0usize, 0usize);
    for stem in &stems {
        let tflite = vectors_dir()
            .join("stateful")
            .join(format!("{stem}.tflite"));
        let loaded = nn_dsl::front::load::load_tflite(&tflite)
            .unwrap_or_else(|e| panic!("{stem}: {}", e.render()));
        let (module, weights) = (&loaded.module, &loaded.weights);
        let lowered = nn_dsl::lower::lower(module, weights).unwrap();
        let mut state = ExecState::new(&lowered).unwrap();
        assert!(state.is_stateful(), "{stem}: no stateful layer");
        let file = load_stateful(stem).unwrap();
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
            sequences += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} output(s) differ from TFLM:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(stems.len() >= 3, "only {} stateful models", stems.len());
    assert!(
        sequences >= 18 && steps >= 216,
        "only {sequences} sequences, {steps} steps"
    );
}

#[test]
fn a_step_without_the_stream_differs_from_the_stream() {
    // The vectors would pass a network that ignored its state only if every step's output were
    // the first step's: show that they are not, so the test above can fail.
    let file = load_stateful("svdf_kws").unwrap();
    let tflite = vectors_dir().join("stateful").join("svdf_kws.tflite");
    let loaded = nn_dsl::front::load::load_tflite(&tflite).unwrap();
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
        "only {differ} steps depend on the earlier ones"
    );
}
