//! Runs the nnd-compiled digits network over the held-out split and compares it with TFLM.
//!
//! `cargo run -p digits` prints the predicted labels (misclassified samples marked), the accuracy,
//! and whether every prediction and every output byte equals TensorFlow Lite for Microcontrollers'.
//! The exit status is 1 when anything differs from TFLM or the accuracy is below 95%.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use digits::{evaluate, Digits, Error, Evaluation, Reference, TestSet};

/// The accuracy the example must reach on the held-out split.
const MIN_ACCURACY: f64 = 0.95;
/// Predicted labels printed per line.
const PER_LINE: usize = 60;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, Error> {
    let test = TestSet::load()?;
    let reference = Reference::load(&test)?;
    let eval = evaluate(&test)?;

    println!(
        "digits: {} held-out 8x8 images, arena {} bytes (TFLM: {} bytes in total)",
        test.len(),
        Digits::ARENA_BYTES,
        reference.tflm_arena_bytes
    );
    print_predictions(&test, &eval);

    let same_labels = count_equal(&eval.predictions, &reference.tflm_predictions);
    let same_outputs = count_equal(&eval.outputs, &reference.tflm_outputs);
    println!(
        "accuracy: {}/{} = {:.2}%   (float Keras model: {:.2}%)",
        eval.correct,
        test.len(),
        100.0 * eval.accuracy(),
        100.0 * reference.float_accuracy
    );
    let same_accuracy = eval.correct == reference.tflm_correct;
    println!(
        "TFLM accuracy: {}/{} = {:.2}%   {}",
        reference.tflm_correct,
        test.len(),
        100.0 * reference.tflm_accuracy,
        verdict(same_accuracy)
    );
    println!(
        "labels equal to TFLM's: {same_labels}/{}   {}",
        test.len(),
        verdict(same_labels == test.len())
    );
    println!(
        "output bytes equal to TFLM's: {same_outputs}/{} samples   {}",
        test.len(),
        verdict(same_outputs == test.len())
    );
    let ok = same_accuracy
        && same_labels == test.len()
        && same_outputs == test.len()
        && eval.accuracy() >= MIN_ACCURACY;
    if eval.accuracy() < MIN_ACCURACY {
        println!("accuracy below {:.0}%", 100.0 * MIN_ACCURACY);
    }
    Ok(ok)
}

/// Predicted labels, `PER_LINE` per line; a misclassified sample is followed by `(label)`.
fn print_predictions(test: &TestSet, eval: &Evaluation) {
    println!("predicted labels (wrong ones followed by the true label in brackets):");
    let mut line = String::new();
    for (i, (&predicted, &label)) in eval.predictions.iter().zip(&test.labels).enumerate() {
        line.push(char::from(b'0' + predicted % 10));
        if predicted != label {
            line.push_str(&format!("({label})"));
        }
        if (i + 1) % PER_LINE == 0 || i + 1 == test.len() {
            println!("  {:>4}: {line}", i + 1 - (i % PER_LINE));
            line.clear();
        }
    }
}

fn count_equal<T: PartialEq>(ours: &[T], theirs: &[T]) -> usize {
    ours.iter().zip(theirs).filter(|(a, b)| a == b).count()
}

fn verdict(equal: bool) -> &'static str {
    if equal {
        "(equal)"
    } else {
        "(DIFFERENT)"
    }
}
