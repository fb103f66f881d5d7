//! Logistic (sigmoid), int8 in, int8 out with scale 1/256 and zero point -128 (TFLite
//! `LOGISTIC`; TFLM `reference_integer_ops::Logistic`, gemmlowp fixed point).
//!
//! Inputs within `input_range_radius` of the zero point are scaled to Q4.27 by
//! `input_multiplier` / `input_left_shift`; outside it the output saturates.

use crate::error::check_len;
use crate::fixedpoint::{logistic, multiply_by_quantized_multiplier, rounding_divide_by_pot};
use crate::KernelResult;

/// Every constant of one int8 logistic (or tanh: same fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogisticParams {
    /// Number of elements.
    pub len: usize,
    /// Input zero point.
    pub input_zero_point: i32,
    /// Offset inputs with `|x| >= radius` saturate.
    pub input_range_radius: i32,
    /// Q31 multiplier of `input_scale * 2^27`.
    pub input_multiplier: i32,
    /// Its shift (TFLite's frexp exponent).
    pub input_left_shift: i32,
}

/// Run the logistic.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn logistic_s8(p: &LogisticParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = logistic_value(p, x);
    }
    Ok(())
}

/// [`logistic_s8`] over `data` itself (the output written over its input).
///
/// # Errors
/// [`crate::KernelError`] on a wrong slice length.
pub fn logistic_s8_in_place(p: &LogisticParams, data: &mut [i8]) -> KernelResult {
    check_len("data", p.len, data.len())?;
    for d in data.iter_mut() {
        *d = logistic_value(p, *d);
    }
    Ok(())
}

#[inline(always)]
fn logistic_value(p: &LogisticParams, x: i8) -> i8 {
    // Q0.31 in [0, 1) to the output's scale 1/256, zero point -128.
    saturating_map(p, x, |q4| {
        rounding_divide_by_pot(logistic(q4, 4), 31 - 8) + i32::from(i8::MIN)
    })
}

/// The shared shape of the int8 logistic and tanh: the offset input saturates outside
/// `input_range_radius`, else it is scaled to Q4.27 and `f` maps it to the output value, which is
/// clamped to int8.
#[inline(always)]
pub(crate) fn saturating_map(p: &LogisticParams, x: i8, f: impl Fn(i32) -> i32) -> i8 {
    let v = i32::from(x).wrapping_sub(p.input_zero_point);
    if v <= -p.input_range_radius {
        i8::MIN
    } else if v >= p.input_range_radius {
        i8::MAX
    } else {
        let q4 = multiply_by_quantized_multiplier(v, p.input_multiplier, p.input_left_shift);
        f(q4).clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_maps_to_half_and_radius_saturates() {
        // logistic(0) = 0.5 -> 128 - 128 = 0.
        let p = LogisticParams {
            len: 3,
            input_zero_point: 3,
            input_range_radius: 10,
            input_multiplier: 1 << 30,
            input_left_shift: 20,
        };
        let mut out = [1i8; 3];
        logistic_s8(&p, &[3, 13, -7], &mut out).unwrap();
        assert_eq!(out, [0, 127, -128]);
    }
}
