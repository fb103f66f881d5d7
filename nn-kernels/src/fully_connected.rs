//! Fully connected layer, int8, per-tensor or per-channel weights
//! (TFLite `FULLY_CONNECTED`; TFLM `reference_integer_ops::FullyConnected` and
//! `FullyConnectedPerChannel`).

use crate::error::{check_len, product};
use crate::scheme::{Scheme, S16, S8};
use crate::{Act, KernelError, KernelResult};

/// Every constant of one int8 fully connected layer. Layouts: input `[batches, depth]`,
/// weights `[units, depth]`, bias `[units]`, output `[batches, units]`.
#[derive(Clone, Copy, Debug)]
pub struct FullyConnectedParams<'a> {
    /// Rows of the input (product of every input dimension but the last).
    pub batches: usize,
    /// Accumulation depth (the weights' inner dimension).
    pub depth: usize,
    /// Output units (the weights' outer dimension).
    pub units: usize,
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `-weights_zero_point` (0 for TFLite's symmetric int8 weights).
    pub filter_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// One Q31 multiplier (per-tensor weights) or one per unit (per-channel weights).
    pub output_multiplier: &'a [i32],
    /// One shift, or one per unit, matching `output_multiplier`.
    pub output_shift: &'a [i32],
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// Run the layer.
///
/// # Errors
/// [`KernelError`] on a slice length that disagrees with the parameters, or multiplier tables
/// that are neither of length 1 nor `units`.
pub fn fully_connected_s8(
    p: &FullyConnectedParams<'_>,
    input: &[i8],
    weights: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
) -> KernelResult {
    fully_connected::<S8>(p, input, weights, bias, output)
}

/// Run the layer on int16 activations (TFLite's 16x8 scheme; TFLM's int16 `FullyConnected` /
/// `FullyConnectedPerChannel` with an int64 bias): 64-bit accumulation and the 64-bit
/// `MultiplyByQuantizedMultiplier`; `input_offset` and `output_offset` must be 0.
///
/// # Errors
/// As [`fully_connected_s8`]; also [`KernelError::Param`] for a non-zero offset or a shift
/// outside `-31..=14`.
pub fn fully_connected_s16(
    p: &FullyConnectedParams<'_>,
    input: &[i16],
    weights: &[i8],
    bias: Option<&[i64]>,
    output: &mut [i16],
) -> KernelResult {
    fully_connected::<S16>(p, input, weights, bias, output)
}

fn fully_connected<S: Scheme>(
    p: &FullyConnectedParams<'_>,
    input: &[S::X],
    weights: &[i8],
    bias: Option<&[S::Acc]>,
    output: &mut [S::X],
) -> KernelResult {
    check_len("input", product(&[p.batches, p.depth])?, input.len())?;
    check_len("weights", product(&[p.units, p.depth])?, weights.len())?;
    check_len("output", product(&[p.batches, p.units])?, output.len())?;
    if let Some(b) = bias {
        check_len("bias", p.units, b.len())?;
    }
    let per_channel = match p.output_multiplier.len() {
        1 => false,
        n if n == p.units => true,
        _ => {
            return Err(KernelError::Param(
                "multiplier table must have 1 or `units` entries",
            ))
        }
    };
    check_len("shift", p.output_multiplier.len(), p.output_shift.len())?;
    S::check(&[p.input_offset, p.output_offset], p.output_shift)?;

    let mut out_iter = output.iter_mut();
    for b in 0..p.batches {
        let row = input.get(b * p.depth..(b + 1) * p.depth).unwrap_or(&[]);
        for u in 0..p.units {
            let w_row = weights.get(u * p.depth..(u + 1) * p.depth).unwrap_or(&[]);
            let mut acc = S::Acc::default();
            for (&x, &w) in row.iter().zip(w_row) {
                acc = S::mac(
                    acc,
                    x,
                    p.input_offset,
                    i32::from(w).wrapping_add(p.filter_offset),
                );
            }
            if let Some(&bv) = bias.and_then(|bias| bias.get(u)) {
                acc = S::add(acc, bv);
            }
            let ch = if per_channel { u } else { 0 };
            let m = p.output_multiplier.get(ch).copied().unwrap_or(0);
            let s = p.output_shift.get(ch).copied().unwrap_or(0);
            let v = S::requantize(acc, m, s).wrapping_add(p.output_offset);
            if let Some(o) = out_iter.next() {
                *o = S::X::narrow(v, p.act_min, p.act_max);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case_per_tensor_and_clamp() {
        // two units over depth 3; input zp 1 (offset -1); multiplier 0.25 (2^30, shift -1).
        let input = [3i8, 5, 1];
        let weights = [1i8, 2, 3, -4, 0, 4];
        let mut out = [0i8; 2];
        let p = FullyConnectedParams {
            batches: 1,
            depth: 3,
            units: 2,
            input_offset: -1,
            filter_offset: 0,
            output_offset: 10,
            output_multiplier: &[1 << 30],
            output_shift: &[-1],
            act_min: 5,
            act_max: 127,
        };
        fully_connected_s8(&p, &input, &weights, Some(&[2, 0]), &mut out).unwrap();
        // unit0: 1*2 + 2*4 + 3*0 + 2 = 12 -> 3 -> 13; unit1: -4*2 + 0 + 0 = -8 -> -2 -> 8
        assert_eq!(out, [13, 8]);
        // act_min 9 clamps the second.
        let p2 = FullyConnectedParams { act_min: 9, ..p };
        fully_connected_s8(&p2, &input, &weights, Some(&[2, 0]), &mut out).unwrap();
        assert_eq!(out, [13, 9]);
    }
}
