//! Int16 sigmoid and tanh on TFLite's 256-entry sigmoid table (TFLM
//! `reference_integer_ops::Logistic` / `Tanh` for int16 data), the activations of the integer
//! LSTM's gates and of its cell state.
//!
//! Both read [`SIGMOID_TABLE`]: about `sigmoid(i / 24)` for `i` in `0..256`, in unsigned 0.16
//! fixed point, interpolated linearly between entries, mirrored for negative inputs. The table
//! is TFLite's, measured from TFLM by `tools/oracle/gen_sigmoid16.py` (it is not a plain
//! rounding of the sigmoid: 44 entries are one above it); `tests/int16_activations.rs` checks
//! both functions against TFLM on every int16 input. The input is first scaled to the table's grid: multiplied by
//! `input_multiplier` with a rounding right shift of `input_left_shift`, or, when
//! `input_multiplier` is 0 (a power-of-two input scale), multiplied by `3 << input_left_shift`.
//! The output is Q0.15 (scale 2^-15): sigmoid in `[0, 32767]`, tanh in `[-32767, 32767]`.

#[path = "sigmoid16_table.rs"]
mod table;
pub use table::SIGMOID_TABLE;

use crate::error::check_len;
use crate::KernelResult;

/// The parameters of an int16 LOGISTIC or TANH layer (TFLM's `input_multiplier` and
/// `input_left_shift`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sigmoid16Params {
    /// Elements.
    pub len: usize,
    /// 0 for a power-of-two input scale (the input is multiplied by `3 << input_left_shift`),
    /// else `input_scale * 3 * 4096 * 2^input_left_shift`, truncated.
    pub input_multiplier: i32,
    /// The input's left shift (0 to 31; a rounding right shift when `input_multiplier` is set).
    pub input_left_shift: i32,
}

/// Int16 LOGISTIC (TFLM `reference_integer_ops::Logistic` on int16): output scale 2^-15, zero
/// point 0.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn logistic_s16(p: &Sigmoid16Params, input: &[i16], output: &mut [i16]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, y) in input.iter().zip(output.iter_mut()) {
        *y = sigmoid_s16_value(x, p.input_multiplier, p.input_left_shift);
    }
    Ok(())
}

/// Int16 TANH (TFLM `reference_integer_ops::Tanh` on int16): output scale 2^-15, zero point 0.
///
/// # Errors
/// [`crate::KernelError`] on wrong slice lengths.
pub fn tanh_s16(p: &Sigmoid16Params, input: &[i16], output: &mut [i16]) -> KernelResult {
    check_len("input", p.len, input.len())?;
    check_len("output", p.len, output.len())?;
    for (&x, y) in input.iter().zip(output.iter_mut()) {
        *y = tanh_s16_value(x, p.input_multiplier, p.input_left_shift);
    }
    Ok(())
}

/// The input scaled onto the table's grid (`int32` arithmetic as TFLM's).
#[inline(always)]
fn scaled(x: i16, multiplier: i32, left_shift: i32) -> i32 {
    let (multiplier, shift) = if multiplier == 0 {
        (3i32.wrapping_shl(left_shift.clamp(0, 31) as u32), 0)
    } else {
        (multiplier, left_shift.clamp(0, 31))
    };
    let round = if shift > 0 { 1i32 << (shift - 1) } else { 0 };
    i32::from(x).wrapping_mul(multiplier).wrapping_add(round) >> shift
}

/// The table entry at `i` (`i < 255` is checked by the callers; anything else reads the last).
#[inline(always)]
fn entry(i: u32) -> u32 {
    u32::from(SIGMOID_TABLE.get(i as usize).copied().unwrap_or(65534))
}

/// Sigmoid of one int16 value: `input_multiplier` / `input_left_shift` as in the module
/// documentation; the result has scale 2^-15.
#[inline]
#[must_use]
pub fn sigmoid_s16_value(x: i16, input_multiplier: i32, input_left_shift: i32) -> i16 {
    let v = scaled(x, input_multiplier, input_left_shift);
    let a = v.unsigned_abs();
    let uh = a >> 9;
    let result = if uh >= 255 {
        0x7FFFu32 << 10
    } else {
        let (ua, ub) = (entry(uh), entry(uh + 1));
        (ua << 9).wrapping_add((a & 0x1FF).wrapping_mul(ub.wrapping_sub(ua)))
    };
    let result = if v >= 0 {
        result.wrapping_add(1 << 9)
    } else {
        (1u32 << 25).wrapping_sub(result).wrapping_add((1 << 9) - 1)
    };
    (result >> 10) as i16
}

/// Tanh of one int16 value: `input_multiplier` / `input_left_shift` as in the module
/// documentation; the result has scale 2^-15.
#[inline]
#[must_use]
pub fn tanh_s16_value(x: i16, input_multiplier: i32, input_left_shift: i32) -> i16 {
    let v = scaled(x, input_multiplier, input_left_shift);
    let a = v.unsigned_abs();
    let uh = a >> 8;
    let result = if uh >= 255 {
        0xFFFFu32 << 8
    } else {
        let (ua, ub) = (entry(uh), entry(uh + 1));
        (ua << 8).wrapping_add((a & 0xFF).wrapping_mul(ub.wrapping_sub(ua)))
    } as i32;
    let result = if v >= 0 {
        result.wrapping_sub(1 << 23).wrapping_add(1 << 7)
    } else {
        result
            .wrapping_neg()
            .wrapping_add(1 << 23)
            .wrapping_add((1 << 7) - 1)
    };
    (result >> 8) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_the_sigmoid_on_a_grid_of_one_24th() {
        for (i, &t) in SIGMOID_TABLE.iter().enumerate() {
            let s = 65536.0 / (1.0 + (-(i as f64) / 24.0).exp());
            assert!((f64::from(t) - s).abs() < 1.5, "entry {i}: {t} vs {s}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "no unsafe code; 65,536 inputs")]
    fn sigmoid_and_tanh_are_monotonic_and_bounded() {
        let mut last_s = i16::MIN;
        let mut last_t = i16::MIN;
        for x in i16::MIN..=i16::MAX {
            let s = sigmoid_s16_value(x, 0, 0);
            let t = tanh_s16_value(x, 0, 0);
            assert!(
                s >= last_s && (0..=32767).contains(&s),
                "sigmoid({x}) = {s}"
            );
            assert!(
                t >= last_t && (-32767..=32767).contains(&t),
                "tanh({x}) = {t}"
            );
            last_s = s;
            last_t = t;
        }
        // Q3.12 input: 0 -> 0.5 and 0.
        assert_eq!(sigmoid_s16_value(0, 0, 0), 16384);
        assert_eq!(tanh_s16_value(0, 0, 0), 0);
        // sigmoid(1.0) = 0.7311 and tanh(1.0) = 0.7616 in Q0.15, to the table's precision.
        assert!((sigmoid_s16_value(4096, 0, 0) - 23955).abs() <= 3);
        assert!((tanh_s16_value(4096, 0, 0) - 24956).abs() <= 3);
    }

    #[test]
    fn a_rounding_shift_scales_the_input() {
        // Multiplier 3 with a right shift of 1 is the same grid as x / 2 with multiplier 0.
        for x in [-20000i16, -4096, -1, 0, 1, 4095, 30000] {
            assert_eq!(
                tanh_s16_value(x & !1, 3, 1),
                tanh_s16_value((x & !1) / 2, 0, 0)
            );
        }
    }
}
