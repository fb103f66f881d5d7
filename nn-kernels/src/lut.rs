//! Element-wise int8 functions through a 256-entry table: LEAKY_RELU and HARD_SWISH (TFLM's
//! int8 `QuantizeLeakyRelu` and `HardSwish`).
//!
//! An int8 element-wise function has only 256 possible inputs, so the compiler evaluates it once
//! per input value on the host ([`leaky_relu_value`], [`hard_swish_value`]: TFLM's integer
//! arithmetic, step by step) and the device runs [`lut_s8`], one table load per element. The
//! table is part of the layer's constants (256 bytes of flash); the result is the function's by
//! construction. [`leaky_relu_s8`] and [`hard_swish_s8`] compute without a table, for callers
//! who prefer 0 bytes of table to speed.

use crate::error::check_len;
use crate::fixedpoint::{multiply_by_quantized_multiplier, rounding_divide_by_pot};
use crate::KernelResult;

/// A table for one int8 element-wise function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LutParams {
    /// Number of elements.
    pub len: usize,
    /// `table[x as u8 ^ 0x80]` is the output for input `x` (`table[0]` for -128, `table[255]`
    /// for 127).
    pub table: [i8; 256],
}

/// The table of `f` over every int8 input, in [`LutParams::table`]'s order.
#[must_use]
pub fn table(f: impl Fn(i8) -> i8) -> [i8; 256] {
    let mut t = [0i8; 256];
    for (slot, x) in t.iter_mut().zip(i8::MIN..=i8::MAX) {
        *slot = f(x);
    }
    t
}

/// Applies the table to every element.
///
/// # Errors
/// [`KernelError`](crate::KernelError) on wrong slice lengths.
pub fn lut_s8(p: &LutParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = lookup(p, x);
    }
    Ok(())
}

/// [`lut_s8`] over `data` itself (the output written over its input).
///
/// # Errors
/// [`KernelError`](crate::KernelError) on a wrong slice length.
pub fn lut_s8_in_place(p: &LutParams, data: &mut [i8]) -> KernelResult {
    check_len("data", p.len, data.len())?;
    for d in data.iter_mut() {
        *d = lookup(p, *d);
    }
    Ok(())
}

#[inline(always)]
fn lookup(p: &LutParams, x: i8) -> i8 {
    // A `u8` index into a 256-entry array: never out of bounds.
    p.table[usize::from(x.cast_unsigned() ^ 0x80)]
}

/// Every constant of one int8 LEAKY_RELU (TFLM `LeakyReluOpData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeakyReluParams {
    /// Number of elements.
    pub len: usize,
    /// Input zero point.
    pub input_zero_point: i32,
    /// Output zero point.
    pub output_zero_point: i32,
    /// Q31 multiplier of `input_scale * alpha / output_scale` (inputs below the zero point).
    pub multiplier_alpha: i32,
    /// Its shift.
    pub shift_alpha: i32,
    /// Q31 multiplier of `input_scale / output_scale` (inputs at or above the zero point).
    pub multiplier_identity: i32,
    /// Its shift.
    pub shift_identity: i32,
}

/// LEAKY_RELU of one value.
#[must_use]
pub fn leaky_relu_value(p: &LeakyReluParams, x: i8) -> i8 {
    let v = i32::from(x) - p.input_zero_point;
    let scaled = if v >= 0 {
        multiply_by_quantized_multiplier(v, p.multiplier_identity, p.shift_identity)
    } else {
        multiply_by_quantized_multiplier(v, p.multiplier_alpha, p.shift_alpha)
    };
    clamp_i8(scaled.saturating_add(p.output_zero_point))
}

/// LEAKY_RELU of every element, without a table.
///
/// # Errors
/// [`KernelError`](crate::KernelError) on wrong slice lengths.
pub fn leaky_relu_s8(p: &LeakyReluParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = leaky_relu_value(p, x);
    }
    Ok(())
}

/// Every constant of one int8 HARD_SWISH (TFLite `HardSwishParams`): 16-bit fixed-point
/// multipliers from the input's "high-resolution" scale (`input_scale / 128`) to the output scale
/// and to the `3 / 32768` scale of the ReLU-ish gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardSwishParams {
    /// Number of elements.
    pub len: usize,
    /// Input zero point.
    pub input_zero_point: i32,
    /// Output zero point.
    pub output_zero_point: i32,
    /// Q15 multiplier, high-resolution input scale to the gate's scale.
    pub reluish_multiplier: i16,
    /// Its exponent (either sign).
    pub reluish_exponent: i32,
    /// Q15 multiplier, high-resolution input scale to the output scale.
    pub output_multiplier: i16,
    /// Its exponent, at most 0 (TFLM refuses a model otherwise).
    pub output_exponent: i32,
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul` on `i16`.
fn srdhm16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let ab = i32::from(a) * i32::from(b);
    let nudge = if ab >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    // |ab + nudge| / 2^15 <= 2^15 - 1 apart from the case handled above: fits.
    ((ab + nudge) / (1 << 15)) as i16
}

/// TFLite's `SaturatingDoublingHighMul` on `i16`: as [`srdhm16`] but truncating toward zero.
fn sdhm16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((i32::from(a) * i32::from(b)) / (1 << 15)) as i16
}

/// TFLite's `SaturatingLeftShift` on `i16` (`amount` below 16 here).
fn saturating_left_shift16(x: i16, amount: i32) -> i16 {
    let shifted = i64::from(x) << amount.clamp(0, 31);
    shifted.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// HARD_SWISH of one value: `x * relu6(x + 3) / 6` in TFLite's 16-bit fixed-point steps.
#[must_use]
pub fn hard_swish_value(p: &HardSwishParams, x: i8) -> i8 {
    // (x - zp) * 128 is within +-32,640: an i16.
    let hires = ((i32::from(x) - p.input_zero_point) * 128).clamp(-32768, 32767) as i16;
    let on_output_scale = srdhm16(hires, p.output_multiplier);
    let mut reluish = hires;
    if p.reluish_exponent > 0 {
        reluish = saturating_left_shift16(reluish, p.reluish_exponent - 1);
    }
    reluish = srdhm16(reluish, p.reluish_multiplier);
    if p.reluish_exponent > 0 {
        reluish = saturating_left_shift16(reluish, 1);
    }
    if p.reluish_exponent < 0 {
        reluish = rounding_divide_by_pot(i32::from(reluish), -p.reluish_exponent) as i16;
    }
    // From [-1, 1] to [0, 1] in Q15.
    let gate = ((i32::from(reluish) + (1 << 15)) >> 1) as i16;
    let preshift = sdhm16(gate, on_output_scale);
    let out = rounding_divide_by_pot(i32::from(preshift), -p.output_exponent) as i16;
    clamp_i8(i32::from(out.wrapping_add(p.output_zero_point as i16)))
}

/// HARD_SWISH of every element, without a table.
///
/// # Errors
/// [`KernelError`](crate::KernelError) on wrong slice lengths.
pub fn hard_swish_s8(p: &HardSwishParams, input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, o) in input.iter().zip(output.iter_mut()) {
        *o = hard_swish_value(p, x);
    }
    Ok(())
}

fn clamp_i8(v: i32) -> i8 {
    v.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_and_lookup() {
        let t = table(|x| x.wrapping_neg());
        assert_eq!(t[0], i8::MIN.wrapping_neg());
        assert_eq!(t[128], 0);
        assert_eq!(t[255], -127);
        let p = LutParams { len: 4, table: t };
        let mut out = [0i8; 4];
        lut_s8(&p, &[-128, -1, 0, 127], &mut out).unwrap();
        assert_eq!(out, [-128, 1, 0, -127]);
        assert!(lut_s8(&p, &[0; 3], &mut out).is_err());
    }

    #[test]
    fn fixed_point_helpers() {
        assert_eq!(srdhm16(i16::MIN, i16::MIN), i16::MAX);
        assert_eq!(srdhm16(16384, 16384), 8192);
        // gemmlowp's nudge: a tie rounds up (1.5 -> 2, -1.5 -> -1); -1.99997 rounds to -2.
        assert_eq!(srdhm16(3, 16384), 2);
        assert_eq!(srdhm16(-3, 16384), -1);
        assert_eq!(srdhm16(-3, 21845), -2);
        // The truncating form: -1.99997 -> -1.
        assert_eq!(sdhm16(-3, 21845), -1);
        assert_eq!(saturating_left_shift16(20000, 1), i16::MAX);
        assert_eq!(saturating_left_shift16(-20000, 1), i16::MIN);
    }
}
