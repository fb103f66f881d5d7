//! Kernels for 64-bit scalar cores without SIMD, called by code generated for the `k210` target
//! (the Kendryte K210's RV64GC cores). Plain Rust, except the matrix multiply's inner loops,
//! which are RV64 assembly on RV64 and have a Rust twin elsewhere: they build and are tested on
//! every architecture, and are tuned for what an RV64 core without vector or bit-manipulation
//! extensions executes.
//!
//! - Packed products ([`pack`]): three filters' int8 weights for one input position are one
//!   64-bit word `w0 + w1 * 2^21 + w2 * 2^42`, laid out by the compiler. One `MUL` of an input
//!   value by that word and one `ADD` accumulate three products, each in a 21-bit signed lane of
//!   a 64-bit accumulator (the lanes are exact integers, not bit fields: a negative lane borrows
//!   from the next, and extraction undoes it). A lane holds any sum of products whose weights'
//!   magnitudes add up to at most [`pack::LANE_WEIGHT_SUM`] (`128 * 8191 < 2^20`): the compiler
//!   computes, from the layer's weights, how many values may be accumulated between two
//!   extractions into int32 sums ([`pack::flush_every`]).
//! - Convolutions and fully connected layers ([`conv`]) are one matrix multiply: 4 output
//!   pixels x 3 `NG` channels per register block, rows read in place (1x1 convolutions,
//!   interior pixels of larger filters) or gathered; depthwise convolutions ([`depthwise`])
//!   slide a packed accumulator along the output row, so that one product serves up to three
//!   output pixels of the same channel.
//! - The input zero point is folded into the bias at build time; padded taps read the zero
//!   point, which the folded bias cancels.
//! - Requantisation ([`Requant`]) is TFLite's `MultiplyByQuantizedMultiplier` on 64-bit
//!   registers, exact with the reference's two roundings.
//!
//! Every kernel checks its arguments once at entry and returns [`KernelError`] instead of
//! panicking. A packed filter whose lanes could overflow (a flush interval larger than its
//! weights allow) computes wrong values but never touches memory out of bounds.

#![allow(unsafe_code)]

pub mod conv;
pub mod depthwise;
pub mod pack;
#[cfg(test)]
mod tests;

use crate::KernelError;

/// The requantisation of one output channel, split by [`Requant::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelRq {
    /// Bias with the input zero point folded in.
    pub(crate) bias: i32,
    /// Q31 multiplier (non-negative).
    pub(crate) mult: i32,
    /// TFLite's shift (positive to the left).
    pub(crate) shift: i32,
    /// Left shift (`0..=31`).
    pub(crate) left: u32,
    /// Right shift (`0..=31`).
    pub(crate) right: u32,
    /// Half of `2^right` (0 when `right` is 0).
    pub(crate) half: i64,
    /// 1 when `right > 0`: negative values round down by one more before the shift (ties
    /// away from zero); 0 otherwise.
    pub(crate) neg: i64,
    /// The fused form ([`Fused`]) of this channel, exact for every sum whose value (bias
    /// excluded) lies in `-2^20..=2^20`; `None` when it is not.
    pub(crate) fused: Option<Fused>,
}

/// One channel's requantisation, bias, output zero point and both roundings folded into four
/// 64-bit constants: for a sum `v` without the bias, `y = v fmul + k`, and the int8 output is
/// `(y + (sign(y) & mask) + g) >> r` clamped, where `fmul = mult 2^left`,
/// `k = bias fmul + 2^30`, `mask = -2^31` when the channel shifts right (else 0),
/// `g = 2^(right - 1) 2^31 + offset 2^r` and `r = 31 + right`.
///
/// Why it is exact: TFLite's `(floor((x m + 2^30) / 2^31) + 2^(right-1) - [t < 0]) >> right`,
/// with `t < 0` exactly when `x m + 2^30 < 0`, is one floor division by `2^(31 + right)`
/// (`floor((floor(a / p) + b) / q) = floor((a + b p) / (p q))` for integers), and adding the
/// output zero point times `2^r` before the shift adds it after. [`Requant::new`] builds it only
/// when every intermediate fits in 64 bits and `(v + bias) 2^left` cannot leave int32 (where
/// TFLite's int32 arithmetic and this would part): `right <= 23` and
/// `(|bias| + 2^20) 2^left < 2^31`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fused {
    pub(crate) fmul: i64,
    pub(crate) k: i64,
    pub(crate) mask: i64,
    pub(crate) g: i64,
    pub(crate) r: u32,
}

/// The largest magnitude of a sum (bias excluded) the fused form takes: a depthwise lane.
pub(crate) const FUSED_SUM: i64 = 1 << 20;

impl Fused {
    /// The constants for one channel, or `None` when the fused form is not exact for it.
    const fn new(bias: i32, mult: i32, left: u32, right: u32, offset: i32) -> Option<Fused> {
        let b = bias as i64;
        let span = if b < 0 { -b } else { b } + FUSED_SUM;
        if right > 23 || left > 31 || (span << left) >= (1i64 << 31) {
            return None;
        }
        let fmul = (mult as i64) << left;
        let r = 31 + right;
        Some(Fused {
            fmul,
            k: b * fmul + (1 << 30),
            mask: if right > 0 { -(1i64 << 31) } else { 0 },
            g: (if right > 0 { 1i64 << (right - 1) } else { 0 } << 31) + ((offset as i64) << r),
            r,
        })
    }

    /// The int8 output of sum `v` (bias excluded, `|v| <= 2^20`), clamped to `[min, max]`.
    #[inline(always)]
    pub(crate) fn output(&self, v: i64, min: i64, max: i64) -> i8 {
        let y = v.wrapping_mul(self.fmul).wrapping_add(self.k);
        let y = y.wrapping_add((y >> 63) & self.mask).wrapping_add(self.g);
        let o = y >> self.r;
        let o = if o < min { min } else { o };
        let o = if o > max { max } else { o };
        o as i8
    }
}

impl ChannelRq {
    /// Whether the channel shifts right by at least one and not left.
    #[inline(always)]
    pub(crate) fn right_only(&self) -> bool {
        self.right > 0 && self.left == 0
    }
}

/// The requantisation of a layer's `C` output channels, the output zero point and clamp. Built
/// by [`Requant::new`], which validates every constant, so the kernels need not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant<const C: usize> {
    pub(crate) ch: [ChannelRq; C],
    pub(crate) offset: i32,
    pub(crate) min: i32,
    pub(crate) max: i32,
}

const ZERO_RQ: ChannelRq = ChannelRq {
    bias: 0,
    mult: 0,
    shift: 0,
    left: 0,
    right: 0,
    half: 0,
    neg: 0,
    fused: None,
};

impl<const C: usize> Requant<C> {
    /// The requantisation for TFLite's per-channel `(multiplier, shift)` pairs (shift positive to
    /// the left), `bias` with the input zero point folded in ([`pack::fold_bias`]), output zero
    /// point `output_offset` and clamp `[act_min, act_max]`.
    ///
    /// # Errors
    /// [`KernelError::Param`] for a negative multiplier, a shift outside `-31..=31`, an output
    /// zero point or clamp bound outside int8, or `act_min > act_max`.
    pub const fn new(
        bias: [i32; C],
        multiplier: [i32; C],
        shift: [i32; C],
        output_offset: i32,
        act_min: i32,
        act_max: i32,
    ) -> Result<Self, KernelError> {
        if output_offset < -128 || output_offset > 127 {
            return Err(KernelError::Param("output zero point outside int8"));
        }
        if act_min < -128 || act_max > 127 || act_min > act_max {
            return Err(KernelError::Param("activation range outside int8"));
        }
        let mut ch = [ZERO_RQ; C];
        let mut i = 0;
        while i < C {
            let (m, s) = (multiplier[i], shift[i]);
            if m < 0 {
                return Err(KernelError::Param("negative requantisation multiplier"));
            }
            if s < -31 || s > 31 {
                return Err(KernelError::Param("requantisation shift outside -31..=31"));
            }
            let (left, right) = if s > 0 {
                (s as u32, 0)
            } else {
                (0, (-s) as u32)
            };
            ch[i] = ChannelRq {
                bias: bias[i],
                mult: m,
                shift: s,
                left,
                right,
                half: if right > 0 { 1i64 << (right - 1) } else { 0 },
                neg: if right > 0 { 1 } else { 0 },
                fused: Fused::new(bias[i], m, left, right, output_offset),
            };
            i += 1;
        }
        Ok(Requant {
            ch,
            offset: output_offset,
            min: act_min,
            max: act_max,
        })
    }
}

/// TFLite's `MultiplyByQuantizedMultiplier(acc, mult, shift)` for one channel.
///
/// Double rounding (the default): `SaturatingRoundingDoublingHighMul` is `(a m + 2^30) >> 31`
/// for every product (C's truncating division of `a m + 1 - 2^30` equals that floor for
/// negative products, and the one saturating case needs a negative multiplier, which
/// [`Requant::new`] refuses); `RoundingDivideByPOT` by `e > 0` is
/// `(t + 2^(e-1) - [t < 0]) >> e`.
#[inline(always)]
pub(crate) fn scale(acc: i32, q: &ChannelRq) -> i32 {
    #[cfg(feature = "single-rounding")]
    {
        crate::fixedpoint::multiply_by_quantized_multiplier_single_rounding(acc, q.mult, q.shift)
    }
    #[cfg(not(feature = "single-rounding"))]
    {
        let a = acc.wrapping_shl(q.left);
        let t = (i64::from(a) * i64::from(q.mult) + (1 << 30)) >> 31;
        let neg = ((t as u64) >> 63) as i64 & q.neg;
        ((t + q.half - neg) >> q.right) as i32
    }
}

/// The int8 output of int32 sum `acc` (bias included) of a channel. `RIGHT`: the channel
/// shifts right by at least one and not left ([`ChannelRq::right_only`]), so the rounding's
/// correction for negative values is the sign (`t >> 63`) itself: two instructions fewer.
#[inline(always)]
pub(crate) fn output<const RIGHT: bool>(
    acc: i32,
    q: &ChannelRq,
    offset: i32,
    min: i32,
    max: i32,
) -> i8 {
    let scaled = if RIGHT && cfg!(not(feature = "single-rounding")) {
        let t = (i64::from(acc) * i64::from(q.mult) + (1 << 30)) >> 31;
        ((t + q.half + (t >> 63)) >> q.right) as i32
    } else {
        scale(acc, q)
    };
    let v = scaled.wrapping_add(offset);
    // `min <= max` and both in int8 (validated by `Requant::new`).
    let v = if v < min { min } else { v };
    let v = if v > max { max } else { v };
    v as i8
}

/// The signed value of the lowest 21-bit lane of `a`, and `a` with that lane removed and the
/// others shifted down one lane. Exact when the lane's value lies in `-2^20..2^20`.
#[inline(always)]
pub(crate) fn pop_lane(a: i64) -> (i64, i64) {
    let low = (a << (64 - pack::LANE_BITS)) >> (64 - pack::LANE_BITS);
    (low, (a - low) >> pack::LANE_BITS)
}
