//! Element-wise multiplication with broadcasting, int8 (TFLite `MUL`; TFLM
//! `reference_integer_ops::Mul` / `BroadcastMul6DSlow`): one requantisation of the product of
//! the offset inputs.

use crate::add::{broadcast, broadcast_map, map_over, Over};
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::{Act, KernelError, KernelResult};

/// Every constant of one int8 multiplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulParams<'a> {
    /// Shape of `a` (rank up to [`crate::shape::MAX_RANK`]).
    pub a_shape: &'a [usize],
    /// Shape of `b`.
    pub b_shape: &'a [usize],
    /// Shape of the output.
    pub output_shape: &'a [usize],
    /// `-a_zero_point`.
    pub a_offset: i32,
    /// `-b_zero_point`.
    pub b_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multiplier of `a_scale * b_scale / output_scale`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// Run the multiplication.
///
/// # Errors
/// [`KernelError`] when the shapes do not broadcast, a rank exceeds [`crate::shape::MAX_RANK`], or a slice
/// length disagrees with its shape.
pub fn mul_s8(p: &MulParams<'_>, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    mul(p, a, b, output)
}

/// [`mul_s8`] on int16 activations (TFLite's 16x8 `MUL`; TFLM's int16 `Mul`: the same
/// requantisation of the product of the offset inputs, which fits 32 bits).
///
/// # Errors
/// As [`mul_s8`].
pub fn mul_s16(p: &MulParams<'_>, a: &[i16], b: &[i16], output: &mut [i16]) -> KernelResult {
    mul(p, a, b, output)
}

fn mul<T: Act>(p: &MulParams<'_>, a: &[T], b: &[T], output: &mut [T]) -> KernelResult {
    if !(-31..=31).contains(&p.output_shift) {
        return Err(KernelError::Param("shift outside -31..=31"));
    }
    let bc = broadcast(
        p.a_shape,
        p.b_shape,
        p.output_shape,
        a.len(),
        b.len(),
        output.len(),
    )?;
    broadcast_map(&bc, a, b, output, |x, y| product(p, x, y));
    Ok(())
}

/// [`mul_s8`] written over operand `over` (`data`, with the output's shape), reading `other`.
///
/// # Errors
/// As [`mul_s8`], and when the operand written over does not have the output's shape.
pub fn mul_s8_in_place(
    p: &MulParams<'_>,
    data: &mut [i8],
    over: Over,
    other: &[i8],
) -> KernelResult {
    if !(-31..=31).contains(&p.output_shift) {
        return Err(KernelError::Param("shift outside -31..=31"));
    }
    let shapes = [p.a_shape, p.b_shape, p.output_shape];
    map_over(shapes, data, over, other, |x, y| product(p, x, y))
}

#[inline(always)]
fn product<T: Act>(p: &MulParams<'_>, x: T, y: T) -> T {
    let prod =
        (x.widen().wrapping_add(p.a_offset)).wrapping_mul(y.widen().wrapping_add(p.b_offset));
    let v = multiply_by_quantized_multiplier(prod, p.output_multiplier, p.output_shift)
        .wrapping_add(p.output_offset);
    T::narrow(v, p.act_min, p.act_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_case_scalar_broadcast() {
        // multiplier 0.5: out = round((x + 2) * (y - 1) / 2) - 3, y broadcast from a scalar.
        let a: [i8; 3] = [1, -2, 5];
        let b: [i8; 1] = [4];
        let mut out = [0i8; 3];
        let p = MulParams {
            a_shape: &[1, 3],
            b_shape: &[],
            output_shape: &[1, 3],
            a_offset: 2,
            b_offset: -1,
            output_offset: -3,
            output_multiplier: 1 << 30,
            output_shift: 0,
            act_min: -128,
            act_max: 127,
        };
        mul_s8(&p, &a, &b, &mut out).unwrap();
        // (3*3)/2 = 4.5 -> 5; 0; 21/2 = 10.5 -> 11; minus 3
        assert_eq!(out, [2, -3, 8]);
    }
}
