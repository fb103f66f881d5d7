//! Vector building blocks shared by the AArch64 kernels: the exact requantisation of four
//! accumulators, the narrowing of sixteen results to int8, and `SDOT` by element.

use core::arch::aarch64::*;

use super::Requant;

/// The requantisation constants of four consecutive channels, loaded once per channel block.
#[derive(Clone, Copy)]
pub(super) struct Rq4 {
    pub(super) bias: int32x4_t,
    mult: int32x4_t,
    left: int32x4_t,
    right: int32x4_t,
}

impl Rq4 {
    /// Channels `c..c + 4` of `rq`.
    ///
    /// # Safety
    /// `c + 4 <= CP`.
    #[inline(always)]
    pub(super) unsafe fn load<const CP: usize>(rq: &Requant<CP>, c: usize) -> Rq4 {
        // SAFETY: the caller guarantees `c + 4 <= CP`, so each 16-byte load reads four
        // initialised i32s of the arrays.
        unsafe {
            Rq4 {
                bias: vld1q_s32(rq.bias.as_ptr().add(c)),
                mult: vld1q_s32(rq.mult.as_ptr().add(c)),
                left: vld1q_s32(rq.left.as_ptr().add(c)),
                right: vld1q_s32(rq.right.as_ptr().add(c)),
            }
        }
    }

    /// TFLite's `MultiplyByQuantizedMultiplier(acc, multiplier, shift)` on four lanes (bias
    /// already added). `RIGHT_ONLY`: every lane shifts right by at least 1 (or has multiplier
    /// 0), so the left shift and the tie mask are skipped.
    #[inline(always)]
    pub(super) fn apply<const RIGHT_ONLY: bool>(&self, acc: int32x4_t) -> int32x4_t {
        #[cfg(feature = "single-rounding")]
        {
            let _ = RIGHT_ONLY;
            let (mut a, mut m, mut l, mut r) = ([0i32; 4], [0i32; 4], [0i32; 4], [0i32; 4]);
            // SAFETY: each store writes four i32s into a local array of four.
            unsafe {
                vst1q_s32(a.as_mut_ptr(), acc);
                vst1q_s32(m.as_mut_ptr(), self.mult);
                vst1q_s32(l.as_mut_ptr(), self.left);
                vst1q_s32(r.as_mut_ptr(), self.right);
            }
            for i in 0..4 {
                a[i] = crate::fixedpoint::multiply_by_quantized_multiplier_single_rounding(
                    a[i],
                    m[i],
                    l[i] + r[i],
                );
            }
            // SAFETY: reads the four i32s of `a`.
            unsafe { vld1q_s32(a.as_ptr()) }
        }
        #[cfg(not(feature = "single-rounding"))]
        {
            // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target.
            unsafe {
                if RIGHT_ONLY {
                    let h = vqrdmulhq_s32(acc, self.mult);
                    // h + (h >> 31): one less for negative h (h > i32::MIN since the multiplier is
                    // below 2^31), so SRSHL's ties-up rounding gives ties away from zero.
                    vrshlq_s32(vsraq_n_s32::<31>(h, h), self.right)
                } else {
                    // `x << left` wraps, as TFLite's `x * (1 << left)` does.
                    let h = vqrdmulhq_s32(vshlq_s32(acc, self.left), self.mult);
                    // The tie correction only where the lane shifts right (`right` < 0 has its
                    // sign bit set).
                    vrshlq_s32(vsraq_n_s32::<31>(h, vandq_s32(h, self.right)), self.right)
                }
            }
        }
    }
}

/// The output stage: zero point, clamp and narrowing of requantised int32 lanes.
#[derive(Clone, Copy)]
pub(super) struct OutStage {
    zp: int16x8_t,
    lo: int8x16_t,
    hi: int8x16_t,
    /// Which clamp bounds are tighter than the int8 saturation of the narrowing (read by the
    /// `SDOT` kernels).
    #[cfg_attr(not(target_feature = "dotprod"), allow(dead_code))]
    pub(super) bounds: Bounds,
}

/// The clamp bounds an output stage applies after narrowing to int8 (which saturates to
/// -128..=127 already).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Bounds {
    /// `-128..=127`: nothing to clamp.
    None,
    /// `lo..=127` with `lo > -128` (a fused ReLU).
    Low,
    /// Both bounds (or only the upper one).
    Both,
}

impl OutStage {
    #[inline(always)]
    pub(super) fn new<const CP: usize>(rq: &Requant<CP>) -> OutStage {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            // `new` validated these as int8 values.
            OutStage {
                zp: vdupq_n_s16(rq.offset as i16),
                lo: vdupq_n_s8(rq.min as i8),
                hi: vdupq_n_s8(rq.max as i8),
                bounds: match (rq.min > -128, rq.max < 127) {
                    (false, false) => Bounds::None,
                    (true, false) => Bounds::Low,
                    _ => Bounds::Both,
                },
            }
        }
    }

    /// Sixteen results (`v[0]` lanes first) plus the zero point, clamped, as int8. Saturating
    /// to int16 before adding the zero point cannot change a clamped result: the clamp bounds
    /// are int8 values.
    #[inline(always)]
    pub(super) fn narrow16(&self, v: [int32x4_t; 4]) -> int8x16_t {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            let a = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[0]), v[1]), self.zp);
            let b = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[2]), v[3]), self.zp);
            let c = vqmovn_high_s16(vqmovn_s16(a), b);
            vminq_s8(vmaxq_s8(c, self.lo), self.hi)
        }
    }

    /// [`OutStage::narrow16`] with the clamp bounds fixed at compile time: `B` is
    /// [`Bounds::None`] (0), [`Bounds::Low`] (1) or [`Bounds::Both`] (2), and must match
    /// `self.bounds` (a looser one would skip a bound the layer needs).
    #[cfg_attr(not(target_feature = "dotprod"), allow(dead_code))]
    #[inline(always)]
    pub(super) fn narrow16_b<const B: u8>(&self, v: [int32x4_t; 4]) -> int8x16_t {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            let a = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[0]), v[1]), self.zp);
            let b = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[2]), v[3]), self.zp);
            let c = vqmovn_high_s16(vqmovn_s16(a), b);
            match B {
                0 => c,
                1 => vmaxq_s8(c, self.lo),
                _ => vminq_s8(vmaxq_s8(c, self.lo), self.hi),
            }
        }
    }

    /// Eight results as int8 (the low half of [`OutStage::narrow16`]).
    #[inline(always)]
    pub(super) fn narrow8(&self, v: [int32x4_t; 2]) -> int8x8_t {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            let a = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v[0]), v[1]), self.zp);
            let c = vqmovn_s16(a);
            vmin_s8(vmax_s8(c, vget_low_s8(self.lo)), vget_low_s8(self.hi))
        }
    }
}

/// `acc[l] += sum_b w[4 l + b] * a[4 L + b]`: `SDOT` by element.
#[cfg(target_feature = "dotprod")]
#[inline(always)]
pub(super) fn sdot_lane<const L: i32>(acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: `SDOT` reads two vector registers and updates a third; no memory, no flags. The
    // crate is compiled with the dotprod feature (this function exists only then).
    unsafe {
        core::arch::asm!(
            "sdot {acc:v}.4s, {w:v}.16b, {a:v}.4b[{l}]",
            acc = inout(vreg) acc,
            w = in(vreg) w,
            a = in(vreg) a,
            l = const L,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}

/// `acc += a (2x8) * b (2x8)^T`: `SMMLA`, a 2x2 block of int32 sums over 8 int8 products.
#[cfg(target_feature = "i8mm")]
#[inline(always)]
pub(super) fn smmla(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: `SMMLA` reads two vector registers and updates a third; no memory, no flags. The
    // crate is compiled with the i8mm feature (this function exists only then).
    unsafe {
        core::arch::asm!(
            "smmla {acc:v}.4s, {a:v}.16b, {b:v}.16b",
            acc = inout(vreg) acc,
            a = in(vreg) a,
            b = in(vreg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}
