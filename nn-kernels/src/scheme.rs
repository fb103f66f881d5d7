//! The two TFLite quantisation schemes of the multiply-accumulate kernels, so that one loop of
//! convolution, depthwise convolution and fully connected serves both:
//!
//! - [`S8`]: int8 activations, int32 bias and accumulator, the 32-bit
//!   `MultiplyByQuantizedMultiplier`;
//! - [`S16`]: TFLite's 16x8 scheme, int16 activations (zero point 0), int8 weights, int64 bias
//!   and accumulator, the 64-bit `MultiplyByQuantizedMultiplier`
//!   ([`crate::fixedpoint::multiply_by_quantized_multiplier_i64`]).

use crate::fixedpoint::{
    check_shifts_i64, multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_i64,
};
use crate::{Act, KernelError, KernelResult};

/// One scheme's element types and arithmetic.
pub(crate) trait Scheme {
    /// Activation element.
    type X: Act;
    /// Bias element, which is also the accumulator.
    type Acc: Copy + Default;
    /// `acc + w * (x + offset)` (wrapping, as the C++ reference never overflows in range).
    fn mac(acc: Self::Acc, x: Self::X, offset: i32, w: i32) -> Self::Acc;
    /// `acc + bias`.
    fn add(acc: Self::Acc, bias: Self::Acc) -> Self::Acc;
    /// The accumulator scaled to the output.
    fn requantize(acc: Self::Acc, multiplier: i32, shift: i32) -> i32;
    /// Checks the offsets and the shifts a kernel of this scheme is given.
    fn check(offsets: &[i32], shifts: &[i32]) -> KernelResult;
}

/// TFLite's int8 scheme.
pub(crate) struct S8;

/// TFLite's 16x8 scheme.
pub(crate) struct S16;

impl Scheme for S8 {
    type X = i8;
    type Acc = i32;
    #[inline(always)]
    fn mac(acc: i32, x: i8, offset: i32, w: i32) -> i32 {
        acc.wrapping_add(w.wrapping_mul(i32::from(x).wrapping_add(offset)))
    }
    #[inline(always)]
    fn add(acc: i32, bias: i32) -> i32 {
        acc.wrapping_add(bias)
    }
    #[inline(always)]
    fn requantize(acc: i32, multiplier: i32, shift: i32) -> i32 {
        multiply_by_quantized_multiplier(acc, multiplier, shift)
    }
    fn check(_offsets: &[i32], shifts: &[i32]) -> KernelResult {
        crate::error::check_shifts(shifts)
    }
}

impl Scheme for S16 {
    type X = i16;
    type Acc = i64;
    #[inline(always)]
    fn mac(acc: i64, x: i16, offset: i32, w: i32) -> i64 {
        acc.wrapping_add(i64::from(w).wrapping_mul(i64::from(x) + i64::from(offset)))
    }
    #[inline(always)]
    fn add(acc: i64, bias: i64) -> i64 {
        acc.wrapping_add(bias)
    }
    #[inline(always)]
    fn requantize(acc: i64, multiplier: i32, shift: i32) -> i32 {
        multiply_by_quantized_multiplier_i64(acc, multiplier, shift)
    }
    fn check(offsets: &[i32], shifts: &[i32]) -> KernelResult {
        if offsets.iter().any(|&o| o != 0) {
            return Err(KernelError::Param(
                "16x8 activations have zero point 0 (offsets must be 0)",
            ));
        }
        check_shifts_i64(shifts)
    }
}
