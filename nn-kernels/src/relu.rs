//! Standalone RELU and RELU6, int8 (TFLite `RELU` / `RELU6`; TFLM `ReluQuantized` and
//! `Relu6Quantized`).
//!
//! TFLM's int8 RELU requantises from the input to the output quantisation with its own
//! multiplier and clamps at the output zero point; its int8 RELU6 does NOT requantise: it
//! clamps the raw input bytes to `[input_zero_point, quantize(6.0)]` in the input's
//! quantisation.

use crate::error::check_len;
use crate::requantize::{requantize_clamped, requantize_clamped_in_place, Affine};
use crate::KernelResult;

/// Every constant of one int8 RELU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReluParams {
    /// Number of elements.
    pub len: usize,
    /// Input zero point.
    pub input_zero_point: i32,
    /// Output zero point.
    pub output_zero_point: i32,
    /// Q31 multiplier of `input_scale / output_scale`.
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
    /// Lower clamp (`max(-128, output_zero_point)`).
    pub act_min: i32,
    /// Upper clamp (127).
    pub act_max: i32,
}

/// Run RELU.
///
/// # Errors
/// [`KernelError`](crate::KernelError) on wrong slice lengths or a shift outside `-31..=31`.
pub fn relu_s8(p: &ReluParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    requantize_clamped(input, output, affine(p), p.act_min, p.act_max)
}

/// [`relu_s8`] over `data` itself (the output written over its input).
///
/// # Errors
/// As [`relu_s8`].
pub fn relu_s8_in_place(p: &ReluParams, data: &mut [i8]) -> KernelResult {
    requantize_clamped_in_place(data, affine(p), p.act_min, p.act_max)
}

fn affine(p: &ReluParams) -> Affine {
    Affine {
        len: p.len,
        input_zero_point: p.input_zero_point,
        output_zero_point: p.output_zero_point,
        multiplier: p.multiplier,
        shift: p.shift,
    }
}

/// Every constant of one int8 RELU6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relu6Params {
    /// Number of elements.
    pub len: usize,
    /// Lower bound: the input zero point.
    pub lower: i8,
    /// Upper bound: 6.0 quantised with the input's scale and zero point.
    pub upper: i8,
}

/// Run RELU6.
///
/// # Errors
/// [`KernelError`](crate::KernelError) on wrong slice lengths.
pub fn relu6_s8(p: &Relu6Params, input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = relu6_value(p, x);
    }
    Ok(())
}

/// [`relu6_s8`] over `data` itself (the output written over its input).
///
/// # Errors
/// As [`relu6_s8`].
pub fn relu6_s8_in_place(p: &Relu6Params, data: &mut [i8]) -> KernelResult {
    check_len("data", p.len, data.len())?;
    for d in data.iter_mut() {
        *d = relu6_value(p, *d);
    }
    Ok(())
}

#[inline(always)]
fn relu6_value(p: &Relu6Params, x: i8) -> i8 {
    if x > p.upper {
        p.upper
    } else if x < p.lower {
        p.lower
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_requantises() {
        // same scale (multiplier 1.0 = 2^30 << 1), zero point -10 in, -128 out.
        let p = ReluParams {
            len: 3,
            input_zero_point: -10,
            output_zero_point: -128,
            multiplier: 1 << 30,
            shift: 1,
            act_min: -128,
            act_max: 127,
        };
        let mut out = [0i8; 3];
        relu_s8(&p, &[-20, -10, 50], &mut out).unwrap();
        // -10 - 128 clamps to -128; 0 - 128; 60 - 128
        assert_eq!(out, [-128, -128, -68]);
    }

    #[test]
    fn relu6_clamps_raw() {
        let p = Relu6Params {
            len: 3,
            lower: -3,
            upper: 40,
        };
        let mut out = [0i8; 3];
        relu6_s8(&p, &[-100, 7, 100], &mut out).unwrap();
        assert_eq!(out, [-3, 7, 40]);
    }
}
