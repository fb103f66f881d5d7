//! Quantisation f32 -> int8 (TFLite `QUANTIZE` with a float input; TFLM
//! `reference_ops::AffineQuantize`): `round(x / scale) + zero_point`, clamped, with the
//! division in `f32` and rounding half away from zero.

use crate::error::check_len;
use crate::KernelResult;

/// Every constant of one quantisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantizeParams {
    /// Number of elements.
    pub len: usize,
    /// Output scale (the float32 stored in the model).
    pub scale: f32,
    /// Output zero point.
    pub zero_point: i32,
}

/// `static_cast<int32_t>(float)` as x86-64 performs it (the oracle's platform): out-of-range
/// values and NaN give `i32::MIN` (C++ leaves them undefined; SSE `cvttss2si` returns the
/// "integer indefinite" value). Rust's `as` would saturate instead.
#[inline(always)]
fn f32_to_i32_like_x86(v: f32) -> i32 {
    // 2^31 as f32 is exact; every f32 below it and >= -2^31 converts exactly after truncation.
    if v.is_nan() || !(-2_147_483_648.0..2_147_483_648.0).contains(&v) {
        i32::MIN
    } else {
        v as i32
    }
}

/// Run the quantisation.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn quantize_f32_s8(p: &QuantizeParams, input: &[f32], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        let q = f32_to_i32_like_x86(crate::round_f32(x / p.scale)).wrapping_add(p.zero_point);
        *o = q.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
    }
    Ok(())
}

/// Run the quantisation to int16 (TFLite `QUANTIZE` float -> int16 of the 16x8 scheme; the
/// same arithmetic clamped to the int16 range).
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn quantize_f32_s16(p: &QuantizeParams, input: &[f32], output: &mut [i16]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        let q = f32_to_i32_like_x86(crate::round_f32(x / p.scale)).wrapping_add(p.zero_point);
        *o = q.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_clamp() {
        let p = QuantizeParams {
            len: 5,
            scale: 0.5,
            zero_point: -1,
        };
        let mut out = [0i8; 5];
        quantize_f32_s8(&p, &[0.25, -0.25, 1.0, 100.0, -100.0], &mut out).unwrap();
        // 0.5 -> 1 (away from zero) -> 0; -0.5 -> -1 -> -2; 2 -> 1; 200 -> 127; -200 -> -128
        assert_eq!(out, [0, -2, 1, 127, -128]);
    }
}
