//! Build-time layouts of the Cortex-M kernels' constants.
//!
//! The compiler (`nn_dsl`) calls these on the host and writes their results into the generated
//! module as statics; they are the one definition of each layout, next to the kernels that read
//! it. No allocation: every function writes into a slice the caller provides.

use crate::fixedpoint::{
    exp_on_negative_values, multiply_by_quantized_multiplier_greater_than_one,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
};
use crate::KernelError;

/// Two int16 values in one word, `lo` in bits 0..16 (the order `SMLAD` pairs them in).
#[inline(always)]
#[must_use]
pub const fn pair(lo: i16, hi: i16) -> u32 {
    (lo as u16 as u32) | ((hi as u16 as u32) << 16)
}

/// Words needed for `len` int8 values widened to int16 pairs (`ceil(len / 2)`).
#[must_use]
pub const fn words(len: usize) -> usize {
    len.div_ceil(2)
}

/// Widens `row` to int16 pairs: `out[j] = (row[2j], row[2j + 1])`, a missing last value is 0.
///
/// # Errors
/// [`KernelError::Length`] unless `out.len() == words(row.len())`.
pub fn pack_pairs(row: &[i8], out: &mut [u32]) -> Result<(), KernelError> {
    crate::error::check_len("packed row", words(row.len()), out.len())?;
    for (o, p) in out.iter_mut().zip(row.chunks(2)) {
        let lo = p.first().copied().unwrap_or(0);
        let hi = p.get(1).copied().unwrap_or(0);
        *o = pair(i16::from(lo), i16::from(hi));
    }
    Ok(())
}

/// Convolution filters `[OC][row]` (each row `[KH, KW, IC]`, `row` values) for
/// [`super::conv::conv_s8`]: each row widened to int16 pairs as [`pack_pairs`] does, and rows
/// `2p` and `2p + 1` interleaved word by word, `out[(p * words(row) + j) * 2 + r]` = word `j` of
/// row `2p + r` (a missing last row is zeros), so one `LDRD` loads a word of both filters.
///
/// # Errors
/// [`KernelError::Length`] unless `weights.len() == oc * row` and
/// `out.len() == 2 * ceil(oc / 2) * words(row)`.
pub fn pack_conv(
    weights: &[i8],
    oc: usize,
    row: usize,
    out: &mut [u32],
) -> Result<(), KernelError> {
    crate::error::check_len("filters", oc.saturating_mul(row), weights.len())?;
    let w = words(row);
    crate::error::check_len("packed filters", 2 * oc.div_ceil(2) * w, out.len())?;
    out.fill(0);
    for (r, filter) in weights.chunks_exact(row.max(1)).enumerate().take(oc) {
        let (p, lane) = (r / 2, r % 2);
        for (j, q) in filter.chunks(2).enumerate() {
            let lo = q.first().copied().unwrap_or(0);
            let hi = q.get(1).copied().unwrap_or(0);
            if let Some(o) = out.get_mut((p * w + j) * 2 + lane) {
                *o = pair(i16::from(lo), i16::from(hi));
            }
        }
    }
    Ok(())
}

/// Fully connected weights `[units][depth]` for [`super::fully_connected::fully_connected_s8`]:
/// each row widened to int16 pairs as [`pack_pairs`] does, and rows `4q .. 4q + 4` interleaved
/// word by word, `out[(q * words(depth) + j) * 4 + r]` = word `j` of row `4q + r` (missing rows
/// are zeros).
///
/// # Errors
/// [`KernelError::Length`] unless `weights.len() == units * depth` and
/// `out.len() == 4 * ceil(units / 4) * words(depth)`.
pub fn pack_fc(
    weights: &[i8],
    units: usize,
    depth: usize,
    out: &mut [u32],
) -> Result<(), KernelError> {
    crate::error::check_len("weights", units.saturating_mul(depth), weights.len())?;
    let w = words(depth);
    crate::error::check_len("packed weights", 4 * units.div_ceil(4) * w, out.len())?;
    out.fill(0);
    for (r, row) in weights.chunks_exact(depth.max(1)).enumerate().take(units) {
        let (q, lane) = (r / 4, r % 4);
        for (j, p) in row.chunks(2).enumerate() {
            let lo = p.first().copied().unwrap_or(0);
            let hi = p.get(1).copied().unwrap_or(0);
            if let Some(o) = out.get_mut((q * w + j) * 4 + lane) {
                *o = pair(i16::from(lo), i16::from(hi));
            }
        }
    }
    Ok(())
}

/// The bias with the input zero point folded in: `bias + input_offset * sum(weights)` (wrapping,
/// as the int32 accumulator of the reference kernel would wrap).
#[must_use]
pub fn fold_bias(bias: i32, input_offset: i32, weights: impl IntoIterator<Item = i8>) -> i32 {
    let sum = weights
        .into_iter()
        .fold(0i32, |s, w| s.wrapping_add(i32::from(w)));
    bias.wrapping_add(input_offset.wrapping_mul(sum))
}

/// Depthwise weights `[taps][channels]` (TFLite's `[1, KH, KW, C]` without the 1, multiplier 1)
/// laid out per group of four channels, then per tap, as two words: channels 0 and 2 of the
/// group widened to int16 in the first word, channels 1 and 3 in the second (the halves `SXTB16`
/// and `SXTB16 ROR #8` take out of four input bytes). `out[g * taps + t]` belongs to group `g`,
/// tap `t`.
///
/// # Errors
/// [`KernelError`] unless `channels` is a multiple of 4 and the lengths agree.
pub fn pack_depthwise(
    weights: &[i8],
    channels: usize,
    out: &mut [[u32; 2]],
) -> Result<(), KernelError> {
    if channels == 0 || !channels.is_multiple_of(4) || !weights.len().is_multiple_of(channels) {
        return Err(KernelError::Param(
            "depthwise packing needs a multiple of 4 channels",
        ));
    }
    crate::error::check_len("packed depthwise weights", weights.len() / 4, out.len())?;
    let taps = weights.len() / channels;
    for (i, o) in out.iter_mut().enumerate() {
        let (g, t) = (i / taps, i % taps);
        let w = |c: usize| i16::from(weights.get(t * channels + 4 * g + c).copied().unwrap_or(0));
        *o = [pair(w(0), w(2)), pair(w(1), w(3))];
    }
    Ok(())
}

/// ADD's rescaling of one int8 input as a table indexed by the input byte (`x as u8`):
/// `MultiplyByQuantizedMultiplierSmallerThanOneExp((x + offset) << left_shift, multiplier,
/// shift)`, exactly what TFLite computes per element.
#[must_use]
pub fn add_table(offset: i32, left_shift: i32, multiplier: i32, shift: i32) -> [i32; 256] {
    let mut t = [0i32; 256];
    let ls = left_shift.clamp(0, 31);
    for (i, e) in t.iter_mut().enumerate() {
        let x = i32::from(i as u8 as i8);
        let shifted = x.wrapping_add(offset).wrapping_mul(1i32 << ls);
        *e = multiply_by_quantized_multiplier_smaller_than_one_exp(shifted, multiplier, shift);
    }
    t
}

/// Softmax's exponentials as a table indexed by `k = row_max - x` (`0..256`): TFLite's
/// `exp_on_negative_values(MultiplyByQuantizedMultiplierGreaterThanOne(-k, input_multiplier,
/// input_left_shift), 5)` where `-k >= diff_min`, and 0 below (such an element adds nothing to
/// the sum and gets -128, as in TFLite).
#[must_use]
pub fn softmax_table(input_multiplier: i32, input_left_shift: i32, diff_min: i32) -> [i32; 256] {
    let mut t = [0i32; 256];
    for (k, e) in t.iter_mut().enumerate() {
        let diff = -(k as i32);
        if diff >= diff_min {
            let scaled = multiply_by_quantized_multiplier_greater_than_one(
                diff,
                input_multiplier,
                input_left_shift,
            );
            *e = exp_on_negative_values(scaled, crate::softmax::SCALED_DIFF_INTEGER_BITS);
        }
    }
    t
}
