//! Requantisation int8 -> int8 (TFLite `QUANTIZE` with an int8 input; TFLM
//! `reference_ops::Requantize`).

use crate::error::check_len;
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::{clamp_i8, KernelError, KernelResult};

/// Every constant of one requantisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequantizeParams {
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
}

/// Run the requantisation.
///
/// # Errors
/// [`KernelError`] on wrong slice lengths or a shift outside `-31..=31`.
pub fn requantize_s8(p: &RequantizeParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    if !(-31..=31).contains(&p.shift) {
        return Err(KernelError::Param("shift outside -31..=31"));
    }
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        let v = multiply_by_quantized_multiplier(
            i32::from(x).wrapping_sub(p.input_zero_point),
            p.multiplier,
            p.shift,
        )
        .wrapping_add(p.output_zero_point);
        *o = clamp_i8(v, i32::from(i8::MIN), i32::from(i8::MAX));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halve_scale() {
        // multiplier 2.0 (2^30, shift 2): out = 2 * (x - 1) - 5, clamped.
        let p = RequantizeParams {
            len: 3,
            input_zero_point: 1,
            output_zero_point: -5,
            multiplier: 1 << 30,
            shift: 2,
        };
        let mut out = [0i8; 3];
        requantize_s8(&p, &[1, 11, 100], &mut out).unwrap();
        assert_eq!(out, [-5, 15, 127]);
    }
}
