//! Parametric ReLU, int8 (TFLite `PRELU`; TFLM `reference_ops::BroadcastPrelu4DSlow`): `x` for
//! `x >= 0`, `alpha * x` below, with a constant int8 `alpha` tensor broadcast against the input.
//!
//! The offset input `x - input_zero_point` is requantised to the output by one multiplier
//! (`input_scale / output_scale`) when it is >= 0; below, its product with the offset alpha
//! `alpha - alpha_zero_point` is requantised by another (`input_scale * alpha_scale /
//! output_scale`).

use crate::add::{broadcast, map_over, Over};
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::shape::{for_each_index, offset};
use crate::{clamp_i8, KernelError, KernelResult};

/// Every constant of one int8 PRELU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreluParams<'a> {
    /// Shape of the input (rank up to [`crate::shape::MAX_RANK`]).
    pub input_shape: &'a [usize],
    /// Shape of `alpha` (broadcast against the input).
    pub alpha_shape: &'a [usize],
    /// Shape of the output (the broadcast of both).
    pub output_shape: &'a [usize],
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `-alpha_zero_point`.
    pub alpha_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multiplier of `input_scale / output_scale` (for `x >= 0`).
    pub multiplier_identity: i32,
    /// Its shift.
    pub shift_identity: i32,
    /// Q31 multiplier of `input_scale * alpha_scale / output_scale` (for `x < 0`).
    pub multiplier_alpha: i32,
    /// Its shift.
    pub shift_alpha: i32,
}

impl PreluParams<'_> {
    /// One output value from a raw input and its raw alpha.
    #[inline(always)]
    #[must_use]
    pub fn value(&self, x: i8, alpha: i8) -> i8 {
        let v = i32::from(x).wrapping_add(self.input_offset);
        let out = if v >= 0 {
            multiply_by_quantized_multiplier(v, self.multiplier_identity, self.shift_identity)
        } else {
            let a = i32::from(alpha).wrapping_add(self.alpha_offset);
            multiply_by_quantized_multiplier(
                v.wrapping_mul(a),
                self.multiplier_alpha,
                self.shift_alpha,
            )
        };
        clamp_i8(out.wrapping_add(self.output_offset), -128, 127)
    }
}

/// Run the PRELU.
///
/// # Errors
/// [`KernelError`] when a shift is outside -31..=31, the shapes do not broadcast to
/// `output_shape`, a rank exceeds [`crate::shape::MAX_RANK`], or a slice length disagrees with
/// its shape.
pub fn prelu_s8(
    p: &PreluParams<'_>,
    input: &[i8],
    alpha: &[i8],
    output: &mut [i8],
) -> KernelResult {
    for s in [p.shift_identity, p.shift_alpha] {
        if !(-31..=31).contains(&s) {
            return Err(KernelError::Param("prelu shifts must be in -31..=31"));
        }
    }
    let bc = broadcast(
        p.input_shape,
        p.alpha_shape,
        p.output_shape,
        input.len(),
        alpha.len(),
        output.len(),
    )?;
    let mut out_iter = output.iter_mut();
    for_each_index(&bc.out, |idx| {
        let x = input.get(offset(idx, &bc.a_strides)).copied().unwrap_or(0);
        let a = alpha.get(offset(idx, &bc.b_strides)).copied().unwrap_or(0);
        if let Some(o) = out_iter.next() {
            *o = p.value(x, a);
        }
    });
    Ok(())
}

/// [`prelu_s8`] written over its input (`data`, which has the output's shape).
///
/// # Errors
/// As [`prelu_s8`].
pub fn prelu_s8_in_place(p: &PreluParams<'_>, data: &mut [i8], alpha: &[i8]) -> KernelResult {
    for s in [p.shift_identity, p.shift_alpha] {
        if !(-31..=31).contains(&s) {
            return Err(KernelError::Param("prelu shifts must be in -31..=31"));
        }
    }
    let shapes = [p.input_shape, p.alpha_shape, p.output_shape];
    map_over(shapes, data, Over::A, alpha, |x, a| p.value(x, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identity multiplier 1 (2^30, shift 1) and alpha multiplier 1/4 (2^30, shift -1):
    /// out = x - zx for x >= zx, round((x - zx) * (a - za) / 4) below, plus zo.
    #[test]
    fn hand_case_channel_alpha() {
        let p = PreluParams {
            input_shape: &[2, 2],
            alpha_shape: &[2],
            output_shape: &[2, 2],
            input_offset: -1,
            alpha_offset: 0,
            output_offset: 3,
            multiplier_identity: 1 << 30,
            shift_identity: 1,
            multiplier_alpha: 1 << 30,
            shift_alpha: -1,
        };
        let mut out = [0i8; 4];
        prelu_s8(&p, &[5, -5, -9, 127], &[2, -6], &mut out).unwrap();
        // 4 + 3; -6 * -6 / 4 = 9 -> 12; -10 * 2 / 4 = -5 -> -2; 126 + 3 clamps to 127.
        assert_eq!(out, [7, 12, -2, 127]);
        assert!(prelu_s8(&p, &[0; 4], &[0; 3], &mut out).is_err());
    }
}
