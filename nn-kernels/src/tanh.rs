//! Hyperbolic tangent, int8 in, int8 out with scale 1/128 and zero point 0 (TFLite `TANH`;
//! TFLM `reference_integer_ops::Tanh`, gemmlowp fixed point).

use crate::error::check_len;
use crate::fixedpoint::{rounding_divide_by_pot, tanh};
pub use crate::logistic::LogisticParams as TanhParams;
use crate::KernelResult;

/// Run the tanh. The parameters have the same meaning as for the logistic.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn tanh_s8(p: &TanhParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = tanh_value(p, x);
    }
    Ok(())
}

/// [`tanh_s8`] over `data` itself (the output written over its input).
///
/// # Errors
/// [`crate::KernelError`] on a wrong slice length.
pub fn tanh_s8_in_place(p: &TanhParams, data: &mut [i8]) -> KernelResult {
    check_len("data", p.len, data.len())?;
    for d in data.iter_mut() {
        *d = tanh_value(p, *d);
    }
    Ok(())
}

#[inline(always)]
fn tanh_value(p: &TanhParams, x: i8) -> i8 {
    // Q0.31 in (-1, 1) to the output's scale 1/128, zero point 0.
    crate::logistic::saturating_map(p, x, |q4| rounding_divide_by_pot(tanh(q4, 4), 31 - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_saturation() {
        let p = TanhParams {
            len: 3,
            input_zero_point: -2,
            input_range_radius: 50,
            input_multiplier: 1 << 30,
            input_left_shift: 20,
        };
        let mut out = [1i8; 3];
        tanh_s8(&p, &[-2, 48, -52], &mut out).unwrap();
        assert_eq!(out, [0, 127, -128]);
    }
}
