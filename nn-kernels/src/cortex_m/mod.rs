//! Kernels for Arm Cortex-M cores with the Armv7E-M DSP extension (Cortex-M4, M7, M33, M55),
//! called by code generated for the `cortex-m4` and `cortex-m7` targets.
//!
//! They compute exactly what the portable kernels of this crate compute (the reference they are
//! tested against, on the host and on an emulated Cortex-M4), from constants the compiler lays
//! out at build time for them:
//! - weights are pre-widened to int16 pairs, two per 32-bit word ([`pack`]), so one `SMLAD`
//!   multiplies two int8 weights by two int8 inputs with no unpacking of the weights at run time;
//! - the input zero point is folded into the bias (`bias + input_offset * sum(weights)`, computed
//!   on the host), so the inner loops multiply raw int8 inputs; padded taps read the input zero
//!   point, which contributes nothing once the fold is accounted for;
//! - each output channel's requantisation shift is split into its left and right parts ([`Rq`]);
//! - ADD's per-input rescaling becomes a 256-entry table per input ([`pack::add_table`]);
//! - channel counts and packed lengths are const generics, so inner loops are unrolled and have
//!   no bounds checks.
//!
//! The instructions come from [`dsp`]: inline assembly on Armv7E-M targets (`cfg(nnd_dsp)`, set
//! by the build script from the target triple), plain Rust with the same semantics elsewhere, so
//! these kernels also run, and are tested, on the host and under Miri.
//!
//! Every kernel checks its arguments once at entry and returns [`KernelError`] instead of
//! panicking.

pub mod add;
pub mod conv;
pub mod depthwise;
pub mod dsp;
pub mod fully_connected;
pub mod pack;

use crate::fixedpoint::rounding_divide_by_pot;
use crate::KernelError;

/// One output channel's requantisation: TFLite's `MultiplyByQuantizedMultiplier` with the shift
/// split at build time into a left shift (`max(shift, 0)`) and a right shift (`max(-shift, 0)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rq {
    /// Q31 multiplier (non-negative; `i32::MIN` is refused).
    pub multiplier: i32,
    /// Left shift before the multiply, `0..=31`.
    pub left: i32,
    /// Rounding right shift after it, `0..=31`.
    pub right: i32,
}

impl Rq {
    /// Splits a TFLite `(multiplier, shift)` pair (shift positive to the left).
    #[must_use]
    pub const fn new(multiplier: i32, shift: i32) -> Rq {
        Rq {
            multiplier,
            left: if shift > 0 { shift } else { 0 },
            right: if shift < 0 { -shift } else { 0 },
        }
    }
}

/// Checks a requantisation table: shifts in range, no `i32::MIN` multiplier (the one input for
/// which the shortcut in [`requantize`] would differ from TFLite's saturating multiply).
pub(crate) fn check_rq(rq: &[Rq]) -> Result<(), KernelError> {
    if rq.iter().all(|q| {
        q.multiplier != i32::MIN && (0..=31).contains(&q.left) && (0..=31).contains(&q.right)
    }) {
        Ok(())
    } else {
        Err(KernelError::Param(
            "requantisation: shift outside -31..=31 or multiplier i32::MIN",
        ))
    }
}

/// Checks a clamp range lies inside int8.
pub(crate) fn check_act(min: i32, max: i32) -> Result<(), KernelError> {
    if -128 <= min && min <= max && max <= 127 {
        Ok(())
    } else {
        Err(KernelError::Param("activation range outside int8"))
    }
}

/// `MultiplyByQuantizedMultiplier(acc, multiplier, shift)` as TFLite computes it by default (two
/// roundings), for a multiplier other than `i32::MIN`: the saturating rounding doubling high
/// multiply then reduces to `(x * m + 2^30) >> 31` (its only saturating input is
/// `i32::MIN * i32::MIN`), one `SMULL` and a 64-bit add.
#[inline(always)]
#[must_use]
pub fn requantize(acc: i32, q: Rq) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        crate::fixedpoint::multiply_by_quantized_multiplier_single_rounding(
            acc,
            q.multiplier,
            q.left - q.right,
        )
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        let x = acc.wrapping_shl(q.left as u32);
        let high = ((i64::from(x) * i64::from(q.multiplier) + (1 << 30)) >> 31) as i32;
        rounding_divide_by_pot(high, q.right)
    }
}

/// Requantise, add the output offset and clamp (`min`/`max` already checked to lie in int8).
#[inline(always)]
#[must_use]
pub(crate) fn finish(acc: i32, q: Rq, offset: i32, min: i32, max: i32) -> i8 {
    requantize(acc, q).wrapping_add(offset).max(min).min(max) as i8
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod rq_tests {
    use super::*;
    use crate::fixedpoint::multiply_by_quantized_multiplier;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn requantize_equals_tflite(acc in any::<i32>(), m in (i32::MIN + 1)..=i32::MAX, s in -31i32..=31) {
            prop_assert_eq!(requantize(acc, Rq::new(m, s)), multiply_by_quantized_multiplier(acc, m, s));
        }
    }

    #[test]
    fn requantize_edges() {
        for acc in [i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX] {
            for m in [0, 1, 1 << 30, i32::MAX, -1, i32::MIN + 1] {
                for s in [-31, -1, 0, 1, 31] {
                    assert_eq!(
                        requantize(acc, Rq::new(m, s)),
                        multiply_by_quantized_multiplier(acc, m, s)
                    );
                }
            }
        }
    }
}
