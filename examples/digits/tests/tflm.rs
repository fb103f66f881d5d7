//! The nnd-compiled digits network against TensorFlow Lite for Microcontrollers on the held-out split.

use digits::{argmax, evaluate, Reference, TestSet};

#[test]
fn every_prediction_and_output_equals_tflm() {
    let test = TestSet::load().unwrap();
    let reference = Reference::load(&test).unwrap();
    assert_eq!(
        test.len(),
        360,
        "the committed held-out split has 360 samples"
    );
    let eval = evaluate(&test).unwrap();
    for i in 0..test.len() {
        assert_eq!(
            eval.outputs[i], reference.tflm_outputs[i],
            "sample {i}: output bytes differ from TFLM's"
        );
        assert_eq!(
            eval.predictions[i], reference.tflm_predictions[i],
            "sample {i}: predicted label differs from TFLM's"
        );
    }
    assert_eq!(eval.correct, reference.tflm_correct);
}

#[test]
fn accuracy_is_at_least_95_percent() {
    let test = TestSet::load().unwrap();
    let eval = evaluate(&test).unwrap();
    assert!(
        eval.accuracy() >= 0.95,
        "accuracy {:.4} < 0.95 ({}/{})",
        eval.accuracy(),
        eval.correct,
        test.len()
    );
}

#[test]
fn labels_cover_every_digit() {
    let test = TestSet::load().unwrap();
    for digit in 0..10u8 {
        let count = test.labels.iter().filter(|&&l| l == digit).count();
        assert!(count >= 30, "digit {digit}: only {count} held-out samples");
    }
}

#[test]
fn argmax_takes_the_first_maximum() {
    assert_eq!(argmax(&[-128, 5, 5, 0, 0, 0, 0, 0, 0, 0]), 1);
    assert_eq!(argmax(&[-128; 10]), 0);
    assert_eq!(argmax(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 127]), 9);
}

#[test]
fn test_bin_rejects_a_truncated_file() {
    assert!(TestSet::parse(&[0; 64]).is_err());
    let one = TestSet::parse(&[1; 65]).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one.images[0][7][7][0], 1);
}
