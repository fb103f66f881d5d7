//! Mean over a set of axes, int8 (TFLite `MEAN`; TFLM `EvalIntegerMean`).
//!
//! TFLM picks one of two int8 paths, and so do the host helpers (`nn_dsl::quant::mean`):
//! - input and output share scale and zero point: integer sum of the raw values divided by the
//!   element count with C's truncating division (`reference_ops::Mean`);
//! - otherwise: the float path of `reference_ops::QuantizedMeanOrSum`,
//!   `round(sum / count * scale + bias) + output_zero_point` in `f32`, with
//!   `scale = input_scale / output_scale` and `bias = -input_zero_point * scale`.

use crate::error::{check_len, product};
use crate::shape::{extend, for_each_index, MAX_RANK};
use crate::{KernelError, KernelResult};

/// How the reduced sums become int8 outputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MeanRequant {
    /// Same quantisation in and out: `sum / count`, truncating.
    Same,
    /// Different quantisation: the float path.
    Float {
        /// `input_scale / output_scale` (f32 division).
        scale: f32,
        /// `-input_zero_point * scale` (f32).
        bias: f32,
        /// Output zero point.
        output_zero_point: i32,
    },
}

/// Every constant of one mean.
#[derive(Clone, Copy, Debug, PartialEq)]
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
        reduced[MAX_RANK - rank + a] = true;
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
                (i64::from(sum) / count as i64) as i8
            }
            MeanRequant::Float {
                scale,
                bias,
                output_zero_point,
            } => {
                let mean = sum as f32 / count as f32;
                let r = crate::round_f32(mean * scale + bias) + output_zero_point as f32;
                // The comparisons keep NaN out: f32 `as` saturates and maps NaN to 0.
                r.min(f32::from(i8::MAX)).max(f32::from(i8::MIN)) as i8
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
    fn float_path_rounds_half_away() {
        // mean over axis 0 of [[1, 2], [2, 3]] = [1.5, 2.5]; scale 1, bias 0, zp 1 -> 3, 4.
        let p = MeanParams {
            input_shape: &[2, 2],
            axes: &[0],
            requant: MeanRequant::Float {
                scale: 1.0,
                bias: 0.0,
                output_zero_point: 1,
            },
        };
        let mut out = [0i8; 2];
        mean_s8(&p, &[1, 2, 2, 3], &mut out).unwrap();
        assert_eq!(out, [3, 4]);
    }
}
