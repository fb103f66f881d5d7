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
pub mod mul;
pub mod pack;
pub mod pool;
pub mod softmax;

use crate::KernelError;

/// One output channel's requantisation, TFLite's `MultiplyByQuantizedMultiplier(acc,
/// multiplier, shift)` (two roundings), with every shift-dependent constant computed at build
/// time by [`Rq::new`].
///
/// TFLite computes `h = SaturatingRoundingDoublingHighMul(acc << left, multiplier)` then
/// `RoundingDivideByPOT(h, right)`. For a non-negative multiplier both roundings merge into one
/// 64-bit sum. With `x = acc << left` and `t = x * multiplier`:
/// - the high multiply is `h = floor((t + 2^30) / 2^31)` (its nudge rounds half up once the
///   only saturating input, `i32::MIN * i32::MIN`, is excluded);
/// - for `r = right >= 1`, `RoundingDivideByPOT(h, r) = floor((h + 2^(r-1) - [h < 0]) / 2^r)`,
///   and nested floors of integer divisions combine:
///   `floor((t + 2^30 + 2^(r+30) - [h < 0] * 2^31) / 2^(31+r))`. With a non-negative
///   multiplier `[x < 0]` may replace `[h < 0]`: they differ only when `h = 0`, and then both
///   give 0. So the result is the high word of `K + x * m + [x < 0] * (-2^31)`, shifted right
///   by `r - 1`, with `K = 2^30 + 2^(r+30)`;
/// - for `r = 0` it is `h`, the high word of `2^31 + x * m + x * m`.
///
/// Both are `K + x * m + y * n` with `y = x >>> s` (logical; `s = 31` gives `[x < 0]`, `s = 0`
/// gives `x`): two `SMLAL`s into a 64-bit constant and one shift of the high word, no branch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rq {
    k: i64,
    /// `2^left` (the left shift as a multiply; `2^31` wraps to `i32::MIN`, as `x << 31` does).
    pow: i32,
    m: i32,
    n: i32,
    /// 31 (`right >= 1`) or 0.
    s: u32,
    /// `right - 1` (`right >= 1`) or 0.
    sh: u32,
    /// The TFLite shift (positive to the left), kept for validation.
    shift: i32,
}

impl Rq {
    /// The requantisation by a TFLite `(multiplier, shift)` pair (shift positive to the left).
    /// A shift outside `-31..=31` or a negative multiplier is accepted here and refused by every
    /// kernel at entry.
    #[must_use]
    pub const fn new(multiplier: i32, shift: i32) -> Rq {
        let left = if shift > 0 && shift <= 31 { shift } else { 0 };
        let right = if shift < 0 && shift >= -31 { -shift } else { 0 };
        let pow = (1u32 << left) as i32;
        if right == 0 {
            Rq {
                k: 1 << 31,
                pow,
                m: multiplier,
                n: multiplier,
                s: 0,
                sh: 0,
                shift,
            }
        } else {
            Rq {
                k: (1 << 30) + (1i64 << (right + 30)),
                pow,
                m: multiplier,
                n: i32::MIN,
                s: 31,
                sh: (right - 1) as u32,
                shift,
            }
        }
    }

    /// The Q31 multiplier.
    #[must_use]
    pub const fn multiplier(&self) -> i32 {
        self.m
    }

    /// The TFLite shift (positive to the left).
    #[must_use]
    pub const fn shift(&self) -> i32 {
        self.shift
    }
}

/// Checks a requantisation table: shifts in `-31..=31` and non-negative multipliers (TFLite's
/// `QuantizeMultiplier` of a non-negative scale gives `0` or a value in `[2^30, 2^31)`;
/// [`requantize`]'s merged rounding relies on the sign).
pub(crate) fn check_rq(rq: &[Rq]) -> Result<(), KernelError> {
    if rq.iter().all(|q| q.m >= 0 && (-31..=31).contains(&q.shift)) {
        Ok(())
    } else {
        Err(KernelError::Param(
            "requantisation: shift outside -31..=31 or a negative multiplier",
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

/// `MultiplyByQuantizedMultiplier(acc, multiplier, shift)` exactly as TFLite computes it by
/// default (see [`Rq`] for why one 64-bit step gives the two-rounding result), for a `q` that
/// passed `check_rq`.
#[inline(always)]
#[must_use]
#[allow(unsafe_code)]
pub fn requantize(acc: i32, q: Rq) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        crate::fixedpoint::multiply_by_quantized_multiplier_single_rounding(acc, q.m, q.shift)
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        // SAFETY: `Rq::new` is the only constructor and sets `s` to 0 or 31 and `sh <= 30`.
        unsafe { core::hint::assert_unchecked(q.s < 32 && q.sh < 32) };
        let x = acc.wrapping_mul(q.pow);
        let y = ((x as u32) >> q.s) as i32;
        let u = q.k + i64::from(x) * i64::from(q.m) + i64::from(y) * i64::from(q.n);
        ((u >> 32) as i32) >> q.sh
    }
}

/// Requantise, add the output offset and clamp (`min`/`max` already checked to lie in int8).
#[inline(always)]
#[must_use]
pub(crate) fn finish(acc: i32, q: Rq, offset: i32, min: i32, max: i32) -> i8 {
    requantize(acc, q).wrapping_add(offset).max(min).min(max) as i8
}

/// [`finish`] out of line: the output path of layers that do not take the fast one, kept out of
/// the kernels' loops so that they are not compiled twice.
#[inline(never)]
#[cold]
fn general(acc: i32, q: Rq, offset: i32, min: i32, max: i32) -> i8 {
    finish(acc, q, offset, min, max)
}

/// The output stage of a kernel: offset and clamp, and whether the layer takes the fast path
/// (every shift a right shift, clamp the whole int8 range, as for no activation and for ReLU
/// with output zero point -128), decided once per call by [`Out::new`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Out {
    offset: i32,
    min: i32,
    max: i32,
    fast: bool,
}

impl Out {
    /// The output stage, and whether `rq`, `min` and `max` allow the fast path.
    pub(crate) fn new(rq: &[Rq], offset: i32, min: i32, max: i32) -> (Out, bool) {
        let fast = min == -128 && max == 127 && rq.iter().all(|q| (-31..=-1).contains(&q.shift));
        (
            Out {
                offset,
                min,
                max,
                fast,
            },
            fast,
        )
    }

    /// The int8 output of accumulator `acc` requantised by `q`. On the fast path (decided by
    /// [`Out::new`] for the whole layer: one predictable branch per output) the left shift is
    /// known to be 0 and the right shift at least 1, so the requantisation is one `SMLAL` plus
    /// the sign term, and the clamp is one `SSAT`; other layers call [`general`], out of line so
    /// that the kernels' loops are compiled once.
    #[inline(always)]
    #[must_use]
    #[allow(unsafe_code)]
    pub(crate) fn put(&self, acc: i32, q: &Rq) -> i8 {
        if self.fast && cfg!(not(feature = "single-rounding")) {
            // `Rq::new` with a shift in -31..=-1: pow = 1, s = 31, n = i32::MIN, sh = right - 1,
            // so `y * n` is `-[acc < 0] * 2^31`, which is `(acc >> 31) << 31` as an i64.
            let u = q.k + i64::from(acc) * i64::from(q.m) + (i64::from(acc >> 31) << 31);
            // SAFETY: `Rq::new` is the only constructor and sets `sh <= 30`.
            unsafe { core::hint::assert_unchecked(q.sh < 32) };
            let v = (((u >> 32) as i32) >> q.sh).wrapping_add(self.offset);
            v.clamp(-128, 127) as i8
        } else {
            general(acc, *q, self.offset, self.min, self.max)
        }
    }
}

#[cfg(test)]
mod tests;

/// `cases` proptest cases (`miri` under Miri, without the failure-persistence file: Miri's
/// isolation forbids `getcwd`).
#[cfg(test)]
pub(crate) fn proptest_config(miri: u32, cases: u32) -> proptest::test_runner::Config {
    if cfg!(miri) {
        proptest::test_runner::Config {
            cases: miri,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        }
    } else {
        proptest::test_runner::Config::with_cases(cases)
    }
}

#[cfg(test)]
mod rq_tests {
    use super::*;
    use crate::fixedpoint::multiply_by_quantized_multiplier;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::cortex_m::proptest_config(16, 20_000))]
        #[test]
        fn requantize_equals_tflite(acc in any::<i32>(), m in 0..=i32::MAX, s in -31i32..=31) {
            prop_assert_eq!(requantize(acc, Rq::new(m, s)), multiply_by_quantized_multiplier(acc, m, s));
        }
    }

    proptest! {
        #![proptest_config(crate::cortex_m::proptest_config(16, 20_000))]
        #[test]
        fn fast_output_equals_general(acc in any::<i32>(), m in prop_oneof![0..=i32::MAX, 0..4096], s in -31i32..=-1,
                                      off in -128i32..=127, min in -128i32..=127) {
            let q = Rq::new(m, s);
            let (out, fast) = Out::new(&[q], off, -128, 127);
            prop_assert!(fast);
            prop_assert_eq!(out.put(acc, &q), finish(acc, q, off, -128, 127));
            let (out, fast) = Out::new(&[q], off, min, 127);
            prop_assert_eq!(fast, min == -128);
            prop_assert_eq!(out.put(acc, &q), finish(acc, q, off, min, 127));
        }
    }

    #[test]
    fn requantize_edges() {
        for acc in [i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX] {
            for m in [0, 1, 1 << 30, (1 << 30) + 1, i32::MAX - 1, i32::MAX] {
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
