//! The int16 sigmoid and tanh of `nn_kernels::sigmoid16` (the integer LSTM's gate and cell
//! activations) against TFLM's int16 LOGISTIC and TANH on every int16 input.
//!
//! `tests/vectors/int16_activations/{logistic,tanh}_q3_12.i16` hold TFLM's outputs for the
//! inputs -32768..=32767 at scale 2^-12 (where TFLM scales the input by 3 with no shift, the
//! setting the LSTM uses), written by `tools/oracle/gen_sigmoid16.py`. Every output must EQUAL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_kernels::sigmoid16::{sigmoid_s16_value, tanh_s16_value};
use nnd_tests::vectors_dir;

fn tflm(file: &str) -> Vec<i16> {
    let path = vectors_dir().join("int16_activations").join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.len(), 2 * 65536, "{}", path.display());
    bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn check(file: &str, f: impl Fn(i16) -> i16) {
    let want = tflm(file);
    let differ: Vec<String> = (i16::MIN..=i16::MAX)
        .zip(&want)
        .filter(|&(x, &w)| f(x) != w)
        .map(|(x, &w)| format!("x = {x}: got {}, TFLM {w}", f(x)))
        .collect();
    assert!(
        differ.is_empty(),
        "{file}: {} of 65536 outputs differ from TFLM, first: {:?}",
        differ.len(),
        &differ[..differ.len().min(5)]
    );
}

#[test]
fn sigmoid_equals_tflm_on_every_int16_input() {
    check("logistic_q3_12.i16", |x| sigmoid_s16_value(x, 0, 0));
}

#[test]
fn tanh_equals_tflm_on_every_int16_input() {
    check("tanh_q3_12.i16", |x| tanh_s16_value(x, 0, 0));
}
