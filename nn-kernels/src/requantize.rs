//! Requantisation int8 -> int8 and int16 -> int16 (TFLite `QUANTIZE` with an integer input;
//! TFLM `reference_ops::Requantize`).

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
    requantize_clamped(
        input,
        output,
        affine(p),
        i32::from(i8::MIN),
        i32::from(i8::MAX),
    )
}

/// [`requantize_s8`] for int16 values (TFLite's 16x8 scheme, where the converter requantises
/// the operands of a concatenation to the output's scale): clamped to int16.
///
/// # Errors
/// As [`requantize_s8`].
pub fn requantize_s16(p: &RequantizeParams, input: &[i16], output: &mut [i16]) -> KernelResult {
    check_shift(affine(p))?;
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        let v = multiply_by_quantized_multiplier(
            i32::from(x).wrapping_sub(p.input_zero_point),
            p.multiplier,
            p.shift,
        )
        .wrapping_add(p.output_zero_point);
        *o = v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
    Ok(())
}

/// [`requantize_s8`] over `data` itself (the output written over its input).
///
/// # Errors
/// As [`requantize_s8`].
pub fn requantize_s8_in_place(p: &RequantizeParams, data: &mut [i8]) -> KernelResult {
    requantize_clamped_in_place(data, affine(p), i32::from(i8::MIN), i32::from(i8::MAX))
}

fn affine(p: &RequantizeParams) -> Affine {
    Affine {
        len: p.len,
        input_zero_point: p.input_zero_point,
        output_zero_point: p.output_zero_point,
        multiplier: p.multiplier,
        shift: p.shift,
    }
}

/// The element-wise map shared by requantisation and RELU: `(x - in_zp) * M >> s + out_zp`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affine {
    pub len: usize,
    pub input_zero_point: i32,
    pub output_zero_point: i32,
    pub multiplier: i32,
    pub shift: i32,
}

/// Applies `a` to every element and clamps to `[act_min, act_max]`.
pub(crate) fn requantize_clamped(
    input: &[i8],
    output: &mut [i8],
    a: Affine,
    act_min: i32,
    act_max: i32,
) -> KernelResult {
    check_shift(a)?;
    check_len("input", a.len, input.len())?;
    check_len("output", a.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = affine_value(a, x, act_min, act_max);
    }
    Ok(())
}

/// [`requantize_clamped`] over `data` itself.
pub(crate) fn requantize_clamped_in_place(
    data: &mut [i8],
    a: Affine,
    act_min: i32,
    act_max: i32,
) -> KernelResult {
    check_shift(a)?;
    check_len("data", a.len, data.len())?;
    for d in data.iter_mut() {
        *d = affine_value(a, *d, act_min, act_max);
    }
    Ok(())
}

fn check_shift(a: Affine) -> KernelResult {
    if (-31..=31).contains(&a.shift) {
        Ok(())
    } else {
        Err(KernelError::Param("shift outside -31..=31"))
    }
}

/// One element of the affine map, clamped.
#[inline(always)]
fn affine_value(a: Affine, x: i8, act_min: i32, act_max: i32) -> i8 {
    let v = multiply_by_quantized_multiplier(
        i32::from(x).wrapping_sub(a.input_zero_point),
        a.multiplier,
        a.shift,
    )
    .wrapping_add(a.output_zero_point);
    clamp_i8(v, act_min, act_max)
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
