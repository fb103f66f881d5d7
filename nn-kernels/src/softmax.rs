//! Softmax over the innermost dimension, int8 in, int8 out with scale 1/256 and zero point
//! -128 (TFLite `SOFTMAX`; TFLM `reference_ops::Softmax`, the gemmlowp fixed-point path: TFLM
//! uses lookup tables only for int16).
//!
//! Per row: the differences to the row maximum are scaled by `input_multiplier` /
//! `input_left_shift` to a Q5.26 value, exponentiated with gemmlowp's `exp_on_negative_values`,
//! summed in Q12.19, and each exponential is multiplied by the fixed-point reciprocal of the
//! sum. Differences below `diff_min` contribute nothing and give -128.

use crate::error::{check_len, product};
use crate::fixedpoint::{
    exp_on_negative_values, get_reciprocal, multiply_by_quantized_multiplier_greater_than_one,
    rescale, rounding_divide_by_pot, saturating_rounding_doubling_high_mul,
};
use crate::{KernelError, KernelResult};

/// Integer bits of the scaled input differences (TFLite `kScaledDiffIntegerBits`).
pub const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (TFLite `kAccumulationIntegerBits`).
pub const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// Every constant of one int8 softmax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxParams {
    /// Number of rows (product of every dimension but the last).
    pub outer: usize,
    /// Row length (the last dimension).
    pub depth: usize,
    /// Q31 multiplier of `beta * input_scale * 2^26` (TFLite `PreprocessSoftmaxScaling`).
    pub input_multiplier: i32,
    /// Its left shift (>= 0).
    pub input_left_shift: i32,
    /// Smallest difference to the row maximum that still contributes (negative).
    pub diff_min: i32,
}

/// Run the softmax.
///
/// # Errors
/// [`KernelError`] on wrong slice lengths or a negative left shift.
pub fn softmax_s8(p: &SoftmaxParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    if !(0..=31).contains(&p.input_left_shift) {
        return Err(KernelError::Param("softmax left shift outside 0..=31"));
    }
    let n = product(&[p.outer, p.depth])?;
    check_len("input", n, input.len())?;
    check_len("output", n, output.len())?;
    if p.depth == 0 {
        return Ok(());
    }
    let exp_of = |diff: i32| {
        let scaled = multiply_by_quantized_multiplier_greater_than_one(
            diff,
            p.input_multiplier,
            p.input_left_shift,
        );
        exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS)
    };
    for (row, out_row) in input
        .chunks_exact(p.depth)
        .zip(output.chunks_exact_mut(p.depth))
    {
        let max = i32::from(row.iter().copied().max().unwrap_or(i8::MIN));
        let mut sum_of_exps: i32 = 0;
        for &x in row {
            let diff = i32::from(x) - max;
            if diff >= p.diff_min {
                sum_of_exps =
                    sum_of_exps.wrapping_add(rescale(exp_of(diff), 0, ACCUMULATION_INTEGER_BITS));
            }
        }
        let (shifted_scale, num_bits_over_unit) =
            get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
        let exponent = (num_bits_over_unit + 31 - 8).clamp(0, 31);
        for (&x, o) in row.iter().zip(out_row.iter_mut()) {
            let diff = i32::from(x) - max;
            *o = if diff >= p.diff_min {
                let prob = saturating_rounding_doubling_high_mul(shifted_scale, exp_of(diff));
                let v = rounding_divide_by_pot(prob, exponent) + i32::from(i8::MIN);
                v.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
            } else {
                i8::MIN
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of equal values gives 1/depth each: 256/4 = 64 -> 64 - 128 = -64.
    /// Multiplier/shift/diff_min are the host values for beta 1, scale 0.1 (irrelevant here
    /// since every difference is 0).
    #[test]
    fn uniform_row() {
        let p = SoftmaxParams {
            outer: 2,
            depth: 4,
            input_multiplier: 1_717_986_918,
            input_left_shift: 23,
            diff_min: -2480,
        };
        let mut out = [0i8; 8];
        softmax_s8(&p, &[7; 8], &mut out).unwrap();
        assert_eq!(out, [-64; 8]);
    }

    /// One dominant element: its probability rounds to 1.0 -> 256 - 128 = 128, saturating at
    /// 127; the others are below diff_min and give -128.
    #[test]
    fn dominant_element_saturates() {
        let p = SoftmaxParams {
            outer: 1,
            depth: 3,
            input_multiplier: 1_717_986_918,
            input_left_shift: 23,
            diff_min: -10,
        };
        let mut out = [0i8; 3];
        softmax_s8(&p, &[100, -100, 50], &mut out).unwrap();
        assert_eq!(out, [127, -128, -128]);
    }
}
