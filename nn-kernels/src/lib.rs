//! # nn-kernels
//!
//! `no_std`, allocation-free int8 kernels with TensorFlow Lite's int8 semantics, bit-exact with
//! the reference kernels of TensorFlow Lite for Microcontrollers (TFLM).
//!
//! Layout:
//! - one module per operator ([`conv2d`], [`depthwise_conv2d`], [`fully_connected`],
//!   [`max_pool2d`], [`avg_pool2d`], [`add`], [`mul`], [`softmax`], [`logistic`], [`tanh`],
//!   [`pad`], [`concat`](mod@concat), [`mean`], [`requantize`], [`quantize`], [`dequantize`], [`relu`],
//!   [`minmax`], [`prelu`], [`resize`], [`strided_slice`], [`transpose_conv`]).
//!   Each has a parameter struct whose public fields hold every constant the kernel needs
//!   (shapes, strides, paddings, offsets, Q31 multipliers and shifts, clamp bounds) and a
//!   slice-based `*_s8` function. The constants are computed on the host by `nn_dsl::quant`;
//!   the kernels never derive a multiplier from a float (only quantize / dequantize are float
//!   operations by nature).
//! - [`fixedpoint`]: TFLite's integer arithmetic (`MultiplyByQuantizedMultiplier`, the saturating
//!   rounding doubling high multiply, the rounding shift) and gemmlowp's fixed-point `exp`,
//!   `logistic`, `tanh` and reciprocal.
//! - [`typed`]: const-generic wrappers whose signatures carry shapes as fixed-size arrays, and
//!   safe views of an activation arena as such arrays.
//! - [`shaped`]: the hand-written API: typenum dimensions, output shapes computed in the types
//!   from the input shape, kernel, stride, dilation and padding, so that `cargo check` rejects
//!   a chain of kernel calls that does not connect.
//!
//! Every kernel validates the lengths of its slices against its parameters once, at entry, and
//! returns [`KernelError`] instead of panicking; inner loops do no further checks that can fail.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(all(feature = "std", not(test)))]
extern crate std;

pub mod aarch64;
pub mod add;
pub mod avg_pool2d;
pub mod concat;
pub mod conv2d;
pub mod cortex_m;
pub mod depthwise_conv2d;
pub mod dequantize;
mod error;
pub mod fixedpoint;
pub mod fully_connected;
pub mod logistic;
pub mod lstm;
pub mod lut;
pub mod max_pool2d;
pub mod mean;
pub mod minmax;
pub mod mul;
pub mod pad;
pub mod prelu;
pub mod q7q15;
pub mod qformat;
pub mod quantize;
pub mod relu;
pub mod requantize;
pub mod resize;
pub mod rv64;
mod scheme;
pub mod shape;
pub mod shaped;
pub mod sigmoid16;
pub mod softmax;
pub mod softmax16;
pub mod strided_slice;
pub mod svdf;
pub mod tanh;
#[cfg(test)]
mod test_util;
pub mod transpose_conv;
pub mod typed;

pub use error::KernelError;
/// The `fixed` crate (`no_std`, no default features), whose types the Q-format conversions of
/// [`qformat`] and of the generated modules take: `nn_kernels::fixed::types::I1F15` is Q15.
pub use fixed;

/// Paths for generated code (`nndc build`, `network!`): every module of this crate under one
/// name, so a generator can be pointed at `::nn_kernels::__private` (or a re-export of it).
/// Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::{
        aarch64, add, avg_pool2d, concat, conv2d, cortex_m, depthwise_conv2d, dequantize, fixed,
        fixedpoint, fully_connected, logistic, lstm, lut, max_pool2d, mean, minmax, mul, pad,
        prelu, q7q15, qformat, quantize, relu, requantize, resize, rv64, shape, sigmoid16, softmax,
        softmax16, strided_slice, svdf, tanh, transpose_conv, typed, KernelError, KernelResult,
    };
}

/// Every public module is reachable through [`__private`]: generated code names kernels only
/// there, so a module missing from it compiles for `nndc build` users (who may point at the
/// crate root) and fails for `network!` users.
#[cfg(test)]
#[test]
fn private_reexports_every_public_module() {
    let source = include_str!("lib.rs");
    let (head, private) = source
        .split_once("pub mod __private {")
        .unwrap_or((source, ""));
    let private = private.split_once('}').map_or("", |(p, _)| p);
    let listed: Vec<&str> = private
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    let mut count = 0;
    for line in head.lines() {
        // `shaped` is the hand-written typenum API, never named by generated code.
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|l| l.strip_suffix(';'))
        {
            count += 1;
            assert!(
                name == "shaped" || listed.contains(&name),
                "`{name}` is not re-exported by __private"
            );
        }
    }
    assert!(count > 20, "only {count} modules found");
}

/// Result type of every kernel.
pub type KernelResult = Result<(), KernelError>;

/// `roundf`: round half away from zero, without `std` (`f32::round` is not in `core`).
/// Exact: for `|x| < 2^23` the fractional part `x - trunc(x)` is representable; larger values
/// are already integers and NaN passes through.
#[inline(always)]
pub(crate) fn round_f32(x: f32) -> f32 {
    if x.is_nan() || x.abs() >= 8_388_608.0 {
        return x;
    }
    let t = (x as i32) as f32;
    let frac = x - t;
    if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    }
}

/// An activation element type of the quantised kernels: `i8` (TFLite's int8 scheme) or `i16`
/// (its 16x8 scheme: int16 activations, int8 weights). Lets one kernel body serve both where
/// TFLM's arithmetic is the same for the two (pooling, ADD, MUL).
pub(crate) trait Act: Copy + Default + Ord {
    /// The smallest value (the start of a running maximum).
    const MIN: Self;
    /// The value as an `i32`.
    fn widen(self) -> i32;
    /// `v` clamped to `[min, max]` and then to the type's range.
    fn narrow(v: i32, min: i32, max: i32) -> Self;
}

impl Act for i8 {
    const MIN: i8 = i8::MIN;
    #[inline(always)]
    fn widen(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn narrow(v: i32, min: i32, max: i32) -> i8 {
        clamp_i8(v, min, max)
    }
}

impl Act for i16 {
    const MIN: i16 = i16::MIN;
    #[inline(always)]
    fn widen(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn narrow(v: i32, min: i32, max: i32) -> i16 {
        clamp_i16(v, min, max)
    }
}

/// Clamp an `i32` to `[min, max]` and narrow it to `i16` (saturating, as [`clamp_i8`]).
#[inline(always)]
pub(crate) fn clamp_i16(v: i32, min: i32, max: i32) -> i16 {
    let v = v.max(min).min(max);
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// Clamp an `i32` accumulator to `[min, max]` and narrow it to `i8`.
///
/// `min`/`max` are expected inside the int8 range (they come from the activation range); the
/// final narrowing also saturates, so a bad bound can never wrap.
#[inline(always)]
pub(crate) fn clamp_i8(v: i32, min: i32, max: i32) -> i8 {
    let v = v.max(min).min(max);
    v.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
}
