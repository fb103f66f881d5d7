//! Mean over a set of axes, int8 (TFLite `MEAN`; TFLM `EvalIntegerMean`).
//!
//! TFLM picks one of two int8 paths, and so do the host helpers (`nn_dsl::quant::mean`):
//! - input and output share scale and zero point: integer sum of the raw values divided by the
//!   element count with C's truncating division (`reference_ops::Mean`);
//! - otherwise `reference_ops::QuantizedMeanOrSum`: the sum of `x - input_zero_point` is
//!   requantised by one multiplier that folds `input_scale / output_scale` and `1 / count`
//!   together (computed on the host), plus the output zero point, clamped.

use crate::error::{check_len, product};
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::shape::{extend, for_each_index, MAX_RANK};
use crate::{clamp_i8, KernelError, KernelResult};

/// How the reduced sums become int8 outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeanRequant {
    /// Same quantisation in and out: `sum / count`, truncating.
    Same,
    /// Different quantisation: one requantisation of the offset sum.
    Requant {
        /// Q31 multiplier of `input_scale / output_scale / count` (TFLM's derivation).
        multiplier: i32,
        /// Its shift.
        shift: i32,
        /// Input zero point.
        input_zero_point: i32,
        /// Output zero point.
        output_zero_point: i32,
    },
}

/// Every constant of one mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeanParams<'a> {
    /// Input shape (rank up to [`MAX_RANK`]).
    pub input_shape: &'a [usize],
    /// Reduced axes, non-negative, duplicates allowed (ignored).
    pub axes: &'a [usize],
    /// How to requantise.
    pub requant: MeanRequant,
}

/// Run the mean. The output has the input's shape with the reduced axes removed (or kept as
/// ones: the data order is the same).
///
/// # Errors
/// [`KernelError`] on an axis out of range, a rank above [`MAX_RANK`], or wrong slice lengths.
pub fn mean_s8(p: &MeanParams<'_>, input: &[i8], output: &mut [i8]) -> KernelResult {
    let rank = p.input_shape.len();
    let shape = extend(p.input_shape).ok_or(KernelError::Param("rank above MAX_RANK"))?;
    let mut reduced = [false; MAX_RANK];
    for &a in p.axes {
        if a >= rank {
            return Err(KernelError::Param("mean axis out of range"));
        }
        if let Some(r) = reduced.get_mut(MAX_RANK - rank + a) {
            *r = true;
        }
    }
    let mut out_shape = shape;
    let mut red_shape = [1usize; MAX_RANK];
    for i in 0..MAX_RANK {
        if reduced[i] {
            out_shape[i] = 1;
            red_shape[i] = shape[i];
        }
    }
    check_len("input", product(&shape)?, input.len())?;
    check_len("output", product(&out_shape)?, output.len())?;
    let count = product(&red_shape)?;
    if count == 0 {
        output.fill(0);
        return Ok(());
    }
    let mut strides = [1usize; MAX_RANK];
    for i in (0..MAX_RANK - 1).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let mut out_iter = output.iter_mut();
    for_each_index(&out_shape, |o_idx| {
        let base: usize = o_idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
        let mut sum: i32 = 0;
        for_each_index(&red_shape, |r_idx| {
            let off: usize = r_idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
            if let Some(&v) = input.get(base + off) {
                sum = sum.wrapping_add(i32::from(v));
            }
        });
        let v = match p.requant {
            MeanRequant::Same => {
                // The mean of int8 values is an int8 value; `as i8` never truncates here.
                // `checked_div` instead of `/`: `count` is positive, and no panic path is left.
                i64::from(sum).checked_div(count as i64).unwrap_or(0) as i8
            }
            MeanRequant::Requant {
                multiplier,
                shift,
                input_zero_point,
                output_zero_point,
            } => {
                let offset_sum = i64::from(sum) - i64::from(input_zero_point) * count as i64;
                let v = multiply_by_quantized_multiplier(offset_sum as i32, multiplier, shift)
                    .wrapping_add(output_zero_point);
                clamp_i8(v, i32::from(i8::MIN), i32::from(i8::MAX))
            }
        };
        if let Some(o) = out_iter.next() {
            *o = v;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_quantisation_truncates() {
        // [1, 2, 2, 1] over axes 1, 2: (3 - 3 + 4 - 4) / 4 = 0.
        let input: [i8; 4] = [3, -3, 4, -4];
        let mut out = [0i8; 1];
        let p = MeanParams {
            input_shape: &[1, 2, 2, 1],
            axes: &[1, 2],
            requant: MeanRequant::Same,
        };
        mean_s8(&p, &input, &mut out).unwrap();
        assert_eq!(out, [0]);
        let p2 = MeanParams {
            input_shape: &[2, 2],
            axes: &[1],
            requant: MeanRequant::Same,
        };
        let mut out2 = [0i8; 2];
        mean_s8(&p2, &[3, 4, -3, -4], &mut out2).unwrap();
        // 7 / 2 = 3 (truncating), -7 / 2 = -3
        assert_eq!(out2, [3, -3]);
    }

    #[test]
    fn requant_path() {
        // mean over axis 0 of [[1, 2], [2, 3]] with input zero point 1: offset sums 1, 3.
        // Multiplier 0.25 (2^30, shift -1) = scale ratio 0.5 / count 2; output zero point 10.
        let p = MeanParams {
            input_shape: &[2, 2],
            axes: &[0],
            requant: MeanRequant::Requant {
                multiplier: 1 << 30,
                shift: -1,
                input_zero_point: 1,
                output_zero_point: 10,
            },
        };
        let mut out = [0i8; 2];
        mean_s8(&p, &[1, 2, 2, 3], &mut out).unwrap();
        // Double rounding: 1 * 0.5 = 0.5 -> 1, then 1 / 2 -> 1; 3 * 0.5 = 1.5 -> 2, 2 / 2 = 1.
        assert_eq!(out, [11, 11]);
    }
}
