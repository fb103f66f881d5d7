//! Element-wise addition and subtraction with broadcasting, int8 (TFLite `ADD`; TFLM
//! `reference_integer_ops::Add` / `BroadcastAdd6DSlow`; TFLite `SUB`: TFLM
//! `reference_ops::Sub` / `BroadcastQuantSubSlow`, the same constants with the two scaled
//! inputs subtracted).
//!
//! Each input is offset by its zero point, shifted left by `left_shift` (20 for int8), scaled
//! by its own multiplier to a common scale (twice the larger input scale), summed, and the sum
//! is scaled to the output.

use crate::error::{check_len, product};
use crate::fixedpoint::multiply_by_quantized_multiplier_smaller_than_one_exp as scale_down;
use crate::shape::{broadcast_strides, extend, for_each_index, offset, MAX_RANK};
use crate::{Act, KernelError, KernelResult};

/// Every constant of one int8 addition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddParams<'a> {
    /// Shape of `a` as stored (rank up to [`MAX_RANK`]).
    pub a_shape: &'a [usize],
    /// Shape of `b`.
    pub b_shape: &'a [usize],
    /// Shape of the output (the broadcast of `a` and `b`).
    pub output_shape: &'a [usize],
    /// `-a_zero_point`.
    pub a_offset: i32,
    /// `-b_zero_point`.
    pub b_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Left shift applied to both offset inputs (TFLite: 20 for int8).
    pub left_shift: i32,
    /// Q31 multiplier of `a` to the common scale.
    pub a_multiplier: i32,
    /// Shift (<= 0) of `a`.
    pub a_shift: i32,
    /// Q31 multiplier of `b`.
    pub b_multiplier: i32,
    /// Shift (<= 0) of `b`.
    pub b_shift: i32,
    /// Q31 multiplier from the common scale to the output.
    pub output_multiplier: i32,
    /// Shift (<= 0) to the output.
    pub output_shift: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// Shapes of a binary broadcasting op, checked and extended to rank [`MAX_RANK`].
pub(crate) struct Broadcast {
    pub out: [usize; MAX_RANK],
    pub a_strides: [usize; MAX_RANK],
    pub b_strides: [usize; MAX_RANK],
}

pub(crate) fn broadcast(
    a_shape: &[usize],
    b_shape: &[usize],
    out_shape: &[usize],
    a_len: usize,
    b_len: usize,
    out_len: usize,
) -> Result<Broadcast, KernelError> {
    let too_big = KernelError::Param("rank above MAX_RANK");
    let a = extend(a_shape).ok_or(too_big)?;
    let b = extend(b_shape).ok_or(too_big)?;
    let out = extend(out_shape).ok_or(too_big)?;
    for i in 0..MAX_RANK {
        let ok = |d: usize| d == out[i] || d == 1;
        if !ok(a[i]) || !ok(b[i]) {
            return Err(KernelError::Param(
                "shapes do not broadcast to the output shape",
            ));
        }
    }
    check_len("a", product(&a)?, a_len)?;
    check_len("b", product(&b)?, b_len)?;
    check_len("output", product(&out)?, out_len)?;
    Ok(Broadcast {
        out,
        a_strides: broadcast_strides(&a, &out),
        b_strides: broadcast_strides(&b, &out),
    })
}

/// Apply `f(a, b)` over the broadcast of `a` and `b` into `output` (row-major).
pub(crate) fn broadcast_map<T: Copy + Default>(
    bc: &Broadcast,
    a: &[T],
    b: &[T],
    output: &mut [T],
    f: impl Fn(T, T) -> T,
) {
    let mut out_iter = output.iter_mut();
    for_each_index(&bc.out, |idx| {
        let x = a
            .get(offset(idx, &bc.a_strides))
            .copied()
            .unwrap_or_default();
        let y = b
            .get(offset(idx, &bc.b_strides))
            .copied()
            .unwrap_or_default();
        if let Some(o) = out_iter.next() {
            *o = f(x, y);
        }
    });
}

/// The operand a binary kernel run in place writes its output over (it must have the output's
/// shape; the other one may broadcast).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
    /// The first operand.
    A,
    /// The second operand.
    B,
}

/// Applies `f(a, b)` over the broadcast of `a` and `b` with the output written over operand
/// `over` (`data`, which must have the output's shape) and the other operand read from `other`.
/// Each element of `data` is read once, just before its own result is written there, so no
/// element still to be read is overwritten.
///
/// # Errors
/// As [`broadcast`], and when the operand written over does not have the output's shape.
pub(crate) fn map_over<T: Copy + Default>(
    shapes: [&[usize]; 3],
    data: &mut [T],
    over: Over,
    other: &[T],
    f: impl Fn(T, T) -> T,
) -> KernelResult {
    let [a_shape, b_shape, out_shape] = shapes;
    let (a_len, b_len, over_shape) = match over {
        Over::A => (data.len(), other.len(), a_shape),
        Over::B => (other.len(), data.len(), b_shape),
    };
    let bc = broadcast(a_shape, b_shape, out_shape, a_len, b_len, data.len())?;
    if extend(over_shape) != Some(bc.out) {
        return Err(KernelError::Param(
            "the operand written over must have the output's shape",
        ));
    }
    let other_strides = match over {
        Over::A => &bc.b_strides,
        Over::B => &bc.a_strides,
    };
    let mut data_iter = data.iter_mut();
    for_each_index(&bc.out, |idx| {
        let y = other
            .get(offset(idx, other_strides))
            .copied()
            .unwrap_or_default();
        if let Some(d) = data_iter.next() {
            *d = match over {
                Over::A => f(*d, y),
                Over::B => f(y, *d),
            };
        }
    });
    Ok(())
}

impl AddParams<'_> {
    fn shapes(&self) -> [&[usize]; 3] {
        [self.a_shape, self.b_shape, self.output_shape]
    }

    #[inline(always)]
    fn apply<T: Act>(&self, x: T, y: T) -> T {
        self.combine(x, y, i32::wrapping_add)
    }

    /// Both inputs scaled to the common scale, combined by `f` (sum or difference), scaled to
    /// the output, offset and clamped.
    #[inline(always)]
    fn combine<T: Act>(&self, x: T, y: T, f: impl Fn(i32, i32) -> i32) -> T {
        let shift = self.left_shift.clamp(0, 31);
        let xa = (x.widen().wrapping_add(self.a_offset)).wrapping_mul(1i32 << shift);
        let yb = (y.widen().wrapping_add(self.b_offset)).wrapping_mul(1i32 << shift);
        let sa = scale_down(xa, self.a_multiplier, self.a_shift);
        let sb = scale_down(yb, self.b_multiplier, self.b_shift);
        let out = scale_down(f(sa, sb), self.output_multiplier, self.output_shift)
            .wrapping_add(self.output_offset);
        T::narrow(out, self.act_min, self.act_max)
    }
}

/// Run the addition.
///
/// # Errors
/// [`KernelError`] when the shapes do not broadcast to `output_shape`, a rank exceeds
/// [`MAX_RANK`], or a slice length disagrees with its shape.
pub fn add_s8(p: &AddParams<'_>, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    let bc = checked(p, a.len(), b.len(), output.len())?;
    broadcast_map(&bc, a, b, output, |x, y| p.apply(x, y));
    Ok(())
}

/// [`add_s8`] on int16 activations (TFLite's 16x8 `ADD` with general scales,
/// `pot_scale_int16 = false`: TFLM runs the int8 arithmetic with `left_shift` 15).
///
/// # Errors
/// As [`add_s8`].
pub fn add_s16(p: &AddParams<'_>, a: &[i16], b: &[i16], output: &mut [i16]) -> KernelResult {
    let bc = checked(p, a.len(), b.len(), output.len())?;
    broadcast_map(&bc, a, b, output, |x, y| p.apply(x, y));
    Ok(())
}

/// Run the subtraction `a - b` (TFLite `SUB`): the constants are ADD's (TFLM's
/// `CalculateOpDataSub` computes them the same way); the two inputs, each scaled to the common
/// scale, are subtracted instead of added.
///
/// # Errors
/// As [`add_s8`].
pub fn sub_s8(p: &AddParams<'_>, a: &[i8], b: &[i8], output: &mut [i8]) -> KernelResult {
    let bc = checked(p, a.len(), b.len(), output.len())?;
    broadcast_map(&bc, a, b, output, |x, y| p.combine(x, y, i32::wrapping_sub));
    Ok(())
}

/// [`add_s8`] written over operand `over` (`data`, with the output's shape), reading `other`.
///
/// # Errors
/// As [`add_s8`], and when the operand written over does not have the output's shape.
pub fn add_s8_in_place(
    p: &AddParams<'_>,
    data: &mut [i8],
    over: Over,
    other: &[i8],
) -> KernelResult {
    check_shifts(p)?;
    map_over(p.shapes(), data, over, other, |x, y| p.apply(x, y))
}

/// [`sub_s8`] written over operand `over`, as [`add_s8_in_place`].
///
/// # Errors
/// As [`add_s8_in_place`].
pub fn sub_s8_in_place(
    p: &AddParams<'_>,
    data: &mut [i8],
    over: Over,
    other: &[i8],
) -> KernelResult {
    check_shifts(p)?;
    map_over(p.shapes(), data, over, other, |x, y| {
        p.combine(x, y, i32::wrapping_sub)
    })
}

fn check_shifts(p: &AddParams<'_>) -> KernelResult {
    for s in [p.a_shift, p.b_shift, p.output_shift] {
        if !(-31..=0).contains(&s) {
            return Err(KernelError::Param("add shifts must be in -31..=0"));
        }
    }
    Ok(())
}

fn checked(p: &AddParams<'_>, a: usize, b: usize, output: usize) -> Result<Broadcast, KernelError> {
    check_shifts(p)?;
    broadcast(p.a_shape, p.b_shape, p.output_shape, a, b, output)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal scales s, output scale 2s: the common scale is 2s, so each input multiplier is
    /// 0.5 (2^30, shift 0) and the output multiplier 2s / (2^20 * 2s) = 2^-20 (2^30, shift -19).
    /// out = round((x - zx + y - zy) / 2) + zo.
    #[test]
    fn hand_case_broadcast() {
        let a: [i8; 4] = [10, 20, 30, 41];
        let b: [i8; 2] = [1, -3];
        let mut out = [0i8; 4];
        let p = AddParams {
            a_shape: &[2, 2],
            b_shape: &[2],
            output_shape: &[2, 2],
            a_offset: 0,
            b_offset: 1,
            output_offset: 4,
            left_shift: 20,
            a_multiplier: 1 << 30,
            a_shift: 0,
            b_multiplier: 1 << 30,
            b_shift: 0,
            output_multiplier: 1 << 30,
            output_shift: -19,
            act_min: -128,
            act_max: 127,
        };
        add_s8(&p, &a, &b, &mut out).unwrap();
        // (10 + 2)/2 = 6; (20 - 2)/2 = 9; (30 + 2)/2 = 16; (41 - 2)/2 = 19.5 -> 20; then + 4.
        assert_eq!(out, [10, 13, 20, 24]);
    }

    /// The hand case above as a subtraction: (x - zx) - (y - zy), halved.
    #[test]
    fn hand_case_sub() {
        let p = AddParams {
            a_shape: &[2, 2],
            b_shape: &[2],
            output_shape: &[2, 2],
            a_offset: 0,
            b_offset: 1,
            output_offset: 4,
            left_shift: 20,
            a_multiplier: 1 << 30,
            a_shift: 0,
            b_multiplier: 1 << 30,
            b_shift: 0,
            output_multiplier: 1 << 30,
            output_shift: -19,
            act_min: -128,
            act_max: 127,
        };
        let mut out = [0i8; 4];
        sub_s8(&p, &[10, 20, 30, 41], &[1, -3], &mut out).unwrap();
        // (10 - 2)/2 = 4; (20 + 2)/2 = 11; (30 - 2)/2 = 14; (41 + 2)/2 = 21.5 -> 22; then + 4.
        assert_eq!(out, [8, 15, 18, 26]);
    }

    #[test]
    fn non_broadcastable_is_an_error() {
        let p = AddParams {
            a_shape: &[2, 2],
            b_shape: &[3],
            output_shape: &[2, 2],
            a_offset: 0,
            b_offset: 0,
            output_offset: 0,
            left_shift: 20,
            a_multiplier: 1 << 30,
            a_shift: 0,
            b_multiplier: 1 << 30,
            b_shift: 0,
            output_multiplier: 1 << 30,
            output_shift: -19,
            act_min: -128,
            act_max: 127,
        };
        let mut out = [0i8; 4];
        assert!(add_s8(&p, &[0; 4], &[0; 3], &mut out).is_err());
    }
}
