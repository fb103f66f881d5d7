//! 2-D convolution (TFLite `CONV_2D`, int8, per-channel weights) and fully connected layers as
//! one matrix multiply: each output pixel is a row of `KP` int8 values (its receptive field, or
//! the input pixel itself for a 1x1 convolution whose channel count is a multiple of 16, read in
//! place), multiplied by filters the compiler laid out for the register block that reads them
//! ([`super::pack`]). Four pixels are computed at a time, so each filter vector loaded serves
//! four rows; padded taps read the input zero point, which the folded bias cancels.
//!
//! - [`conv_s8`] / [`fully_connected_s8`]: plain NEON, 4 pixels x 4 channels, `SMULL` +
//!   `SMLAL2` + `SADALP` per 16 values, the four partial sums of each pair reduced with `ADDP`.
//! - [`conv_dot_s8`] / [`fully_connected_dot_s8`] (only with `target_feature = "dotprod"`):
//!   4 pixels x `4 NB` channels, `SDOT` by element per 4 values.

use core::arch::aarch64::*;

use super::neon::{OutStage, Rq4};
use super::pack::kpad;
use super::Requant;
use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// Pixels per register block.
const MR: usize = 4;

/// The geometry of one convolution whose channel counts are const generics of the kernel.
/// Layouts: input `[H, W, IC]`, output `[OH, OW, OC]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvSpec {
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
    /// Filter height.
    pub kernel_h: usize,
    /// Filter width.
    pub kernel_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical dilation.
    pub dilation_h: usize,
    /// Horizontal dilation.
    pub dilation_w: usize,
    /// Padding rows before the data.
    pub pad_top: usize,
    /// Padding columns before the data.
    pub pad_left: usize,
    /// The input zero point: the value a padded tap reads (cancelled by the folded bias).
    pub pad_value: i8,
}

impl ConvSpec {
    /// The spec of a fully connected layer over `batches` rows of `depth` values: a 1x1
    /// convolution of a `[batches, 1, depth]` image.
    #[must_use]
    pub const fn rows(batches: usize) -> ConvSpec {
        ConvSpec {
            input_h: batches,
            input_w: 1,
            output_h: batches,
            output_w: 1,
            kernel_h: 1,
            kernel_w: 1,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 0,
            pad_left: 0,
            pad_value: 0,
        }
    }

    /// Whether every pixel's row is its input pixel, read in place: 1x1, no padding, whole
    /// 16-value chunks, every strided pixel inside the input.
    fn direct(&self, ic: usize, kp: usize) -> bool {
        self.kernel_h == 1
            && self.kernel_w == 1
            && self.pad_top == 0
            && self.pad_left == 0
            && ic == kp
            && (self.output_h == 0 || (self.output_h - 1) * self.stride_h < self.input_h)
            && (self.output_w == 0 || (self.output_w - 1) * self.stride_w < self.input_w)
    }
}

/// Checks the spec against the slices and the const generics once at entry.
#[allow(clippy::too_many_arguments)]
fn check(
    s: &ConvSpec,
    ic: usize,
    oc: usize,
    kh: usize,
    kw: usize,
    kp: usize,
    cp: usize,
    input: usize,
    output: usize,
) -> KernelResult {
    if s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if ic == 0
        || oc == 0
        || cp < oc
        || kh != s.kernel_h
        || kw != s.kernel_w
        || kp != kpad(product(&[kh, kw, ic])?)
    {
        return Err(KernelError::Param("packed filter sizes"));
    }
    check_len("input", product(&[s.input_h, s.input_w, ic])?, input)?;
    check_len("output", product(&[s.output_h, s.output_w, oc])?, output)
}

/// Where each pixel's row comes from.
struct Rows<'a, const IC: usize, const KH: usize, const KW: usize, const KP: usize> {
    s: &'a ConvSpec,
    input: *const i8,
    /// Bytes of the input.
    len: usize,
    direct: bool,
}

impl<const IC: usize, const KH: usize, const KW: usize, const KP: usize> Rows<'_, IC, KH, KW, KP> {
    /// The row of output pixel `p`: in place, or gathered into `dst` (its bytes past the
    /// receptive field meet zero filters: zeros written once by the caller, or input bytes a
    /// 16-byte copy left there).
    ///
    /// # Safety
    /// `p < output_h * output_w` and the spec was validated by [`check`] against the input.
    #[inline(always)]
    unsafe fn row(&self, p: usize, dst: &mut [i8; KP]) -> *const i8 {
        let s = self.s;
        // `checked_*`: no division-by-zero path (`p < output_h * output_w` rules 0 out).
        let (oy, ox) = (
            p.checked_div(s.output_w).unwrap_or(0),
            p.checked_rem(s.output_w).unwrap_or(0),
        );
        // SAFETY: the caller's bounds.
        unsafe { self.row_at(oy, ox, dst) }
    }

    /// [`Rows::row`] of output pixel `(oy, ox)`. Bytes of `dst` past the receptive field may
    /// be overwritten with input values by the 16-byte copies; the filters are zero there.
    ///
    /// # Safety
    /// `oy < output_h`, `ox < output_w` and the spec was validated by [`check`] against the
    /// input.
    #[inline(always)]
    unsafe fn row_at(&self, oy: usize, ox: usize, dst: &mut [i8; KP]) -> *const i8 {
        let s = self.s;
        if self.direct {
            // SAFETY: `direct` guarantees the strided pixel lies in the input, which holds
            // `input_h * input_w * IC` values.
            return unsafe {
                self.input
                    .add(((oy * s.stride_h) * s.input_w + ox * s.stride_w) * IC)
            };
        }
        let d = dst.as_mut_ptr();
        // Const sizes: the copies below compile to plain loads and stores.
        let span = KW * IC;
        // A row segment shorter than 16 bytes is copied as one 16-byte load and store when
        // both stay inside their buffers; the bytes past it are rewritten by the next segment
        // or lie past the receptive field (zero filters).
        let wide = span.div_ceil(16) * 16;
        let mut at = 0usize;
        for ky in 0..KH {
            let iy = (oy * s.stride_h + ky * s.dilation_h) as isize - s.pad_top as isize;
            let x0 = (ox * s.stride_w) as isize - s.pad_left as isize;
            // SAFETY (every write below): `at + span <= kernel_h * kernel_w * IC <= KP`, the
            // bytes of `dst` (`at + wide <= KP` for the wide copy); every read is of a pixel
            // checked to lie inside the input (`from + wide <= len` for the wide copy).
            unsafe {
                if iy < 0 || iy >= s.input_h as isize {
                    core::ptr::write_bytes(d.add(at), s.pad_value as u8, span);
                } else if s.dilation_w == 1 && x0 >= 0 && x0 as usize + s.kernel_w <= s.input_w {
                    let from = (iy as usize * s.input_w + x0 as usize) * IC;
                    if span < 16 && at + wide <= KP && from + wide <= self.len {
                        copy16(self.input.add(from), d.add(at));
                    } else {
                        core::ptr::copy_nonoverlapping(self.input.add(from), d.add(at), span);
                    }
                } else {
                    for kx in 0..KW {
                        let ix = x0 + (kx * s.dilation_w) as isize;
                        let to = d.add(at + kx * IC);
                        if ix < 0 || ix >= s.input_w as isize {
                            core::ptr::write_bytes(to, s.pad_value as u8, IC);
                        } else {
                            let from = (iy as usize * s.input_w + ix as usize) * IC;
                            core::ptr::copy_nonoverlapping(self.input.add(from), to, IC);
                        }
                    }
                }
            }
            at += span;
        }
        d
    }
}

/// Copies 16 bytes with one vector load and store (a byte copy's overlapping stores would be
/// split into narrower pieces by the compiler).
///
/// # Safety
/// `from` is valid for 16 bytes of reads, `to` for 16 bytes of writes.
#[inline(always)]
unsafe fn copy16(from: *const i8, to: *mut i8) {
    // SAFETY: the caller's bounds; Advanced SIMD is a baseline feature of every AArch64 target.
    unsafe { vst1q_s8(to, vld1q_s8(from)) }
}

/// Where the register block reads its rows: `SY x SX` segments of `SEG` values per row (a
/// multiple of 8), segment `(ty, tx)` of row `p` at `seg(p, ty, tx)`; the values of a row are
/// its segments in row-major order.
trait Src {
    /// Segment rows per row.
    const SY: usize;
    /// Segments per segment row.
    const SX: usize;
    /// Values per segment.
    const SEG: usize;
    /// # Safety
    /// `p` is a row of the source, `ty < SY`, `tx < SX`.
    unsafe fn seg(&self, p: usize, ty: usize, tx: usize) -> *const i8;
}

/// Rows of `KP` values stored contiguously (gathered, or 1x1 pixels read in place): one segment.
struct Contig<const MRB: usize, const KP: usize>([*const i8; MRB]);

impl<const MRB: usize, const KP: usize> Src for Contig<MRB, KP> {
    const SY: usize = 1;
    const SX: usize = 1;
    const SEG: usize = KP;
    #[inline(always)]
    unsafe fn seg(&self, p: usize, _ty: usize, _tx: usize) -> *const i8 {
        self.0[p]
    }
}

#[cfg(any(target_feature = "dotprod", target_feature = "i8mm"))]
/// The receptive fields of consecutive output pixels of one row whose windows lie wholly inside
/// the input, read in place: value `k` of pixel `p` is channel `k % IC` of tap `k / IC`, at a
/// constant offset from the first pixel's window (`IC % 16 == 0`, so a 16-value load stays in one
/// tap). No gather.
struct InPlace<const IC: usize, const KH: usize, const KW: usize> {
    /// The first pixel's window corner.
    base: *const i8,
    /// Bytes between consecutive pixels' windows (`stride_w * IC`).
    px: usize,
    /// Byte offset of each tap row from the window corner.
    row: [usize; KH],
    /// Bytes between the taps of a row (`dilation_w * IC`).
    col: usize,
}

#[cfg(any(target_feature = "dotprod", target_feature = "i8mm"))]
impl<const IC: usize, const KH: usize, const KW: usize> Src for InPlace<IC, KH, KW> {
    const SY: usize = KH;
    const SX: usize = KW;
    const SEG: usize = IC;
    #[inline(always)]
    unsafe fn seg(&self, p: usize, ty: usize, tx: usize) -> *const i8 {
        // SAFETY: the window of pixel `p` lies inside the input (checked when the source was
        // made), and tap `(ty, tx)` is one of its `KH x KW` taps.
        unsafe { self.base.add(self.row[ty] + tx * self.col + p * self.px) }
    }
}

#[cfg(any(target_feature = "dotprod", target_feature = "i8mm"))]
/// The in-place source of output pixels `p..p + n` ([`InPlace::new`]), for filters larger than
/// 1x1 (a 1x1 convolution with whole 16-value chunks already reads its rows in place).
#[inline(always)]
fn in_place<const IC: usize, const KH: usize, const KW: usize>(
    s: &ConvSpec,
    input: *const i8,
    p: usize,
    n: usize,
) -> Option<InPlace<IC, KH, KW>> {
    if KH * KW == 1 {
        None
    } else {
        InPlace::new(s, input, p, n)
    }
}

#[cfg(any(target_feature = "dotprod", target_feature = "i8mm"))]
impl<const IC: usize, const KH: usize, const KW: usize> InPlace<IC, KH, KW> {
    /// The in-place source of `n` output pixels `(oy, ox..ox + n)` when every window lies inside
    /// the input and `IC % 16 == 0`; `None` otherwise.
    #[inline(always)]
    fn new(s: &ConvSpec, input: *const i8, p: usize, n: usize) -> Option<Self> {
        if !IC.is_multiple_of(16) || s.output_w == 0 {
            return None;
        }
        let (oy, ox) = (p.checked_div(s.output_w)?, p.checked_rem(s.output_w)?);
        if n == 0 || ox + n > s.output_w {
            return None;
        }
        let iy0 = (oy * s.stride_h).checked_sub(s.pad_top)?;
        let ix0 = (ox * s.stride_w).checked_sub(s.pad_left)?;
        if iy0 + (KH - 1) * s.dilation_h >= s.input_h
            || ix0 + (n - 1) * s.stride_w + (KW - 1) * s.dilation_w >= s.input_w
        {
            return None;
        }
        let mut row = [0usize; KH];
        for (ky, r) in row.iter_mut().enumerate() {
            *r = ky * s.dilation_h * s.input_w * IC;
        }
        Some(InPlace {
            // SAFETY: pixel (iy0, ix0) lies inside the input (checked above).
            base: unsafe { input.add((iy0 * s.input_w + ix0) * IC) },
            px: s.stride_w * IC,
            row,
            col: s.dilation_w * IC,
        })
    }
}

/// Stores `n <= 16` bytes of `v` at `to`.
#[cfg(any(target_feature = "dotprod", target_feature = "i8mm"))]
///
/// # Safety
/// `to` is valid for `n` bytes of writes.
#[inline(always)]
unsafe fn store_n(v: int8x16_t, to: *mut i8, n: usize) {
    if n >= 16 {
        // SAFETY: 16 writable bytes at `to`.
        unsafe { vst1q_s8(to, v) };
    } else {
        let mut tmp = [0i8; 16];
        // SAFETY: 16 bytes of `tmp`; then `n < 16` bytes of it copied to `to`.
        unsafe {
            vst1q_s8(tmp.as_mut_ptr(), v);
            core::ptr::copy_nonoverlapping(tmp.as_ptr(), to, n);
        }
    }
}

/// Plain NEON: the channel sums of `MRB` rows with one block of 4 filters.
///
/// # Safety
/// Each `a[p]` is valid for `16 * KCH` bytes of reads.
#[inline(always)]
unsafe fn block_c16<const MRB: usize, const KCH: usize, S: Src>(
    a: &S,
    w: &[[[i8; 16]; 4]; KCH],
) -> [int32x4_t; MRB] {
    // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
    // intrinsics' feature requirement holds; every memory access is justified where it occurs.
    #[allow(unused_unsafe)]
    unsafe {
        let mut acc = [[vdupq_n_s32(0); 4]; MRB];
        let mut wi = w.iter();
        for (ty, tx) in (0..S::SY).flat_map(|ty| (0..S::SX).map(move |tx| (ty, tx))) {
            let mut row = [core::ptr::null::<i8>(); MRB];
            for (p, r) in row.iter_mut().enumerate() {
                *r = a.seg(p, ty, tx);
            }
            for ch in 0..S::SEG / 16 {
                let Some(wj) = wi.next() else { break };
                // SAFETY: `wj` is four contiguous 16-byte arrays; `16 ch + 16 <= SEG` values of
                // segment `t` of each row.
                unsafe {
                    let q4 = vld1q_s8_x4(wj.as_ptr().cast::<i8>());
                    let wv = [q4.0, q4.1, q4.2, q4.3];
                    for p in 0..MRB {
                        let x = vld1q_s8(row[p].add(16 * ch));
                        let xl = vget_low_s8(x);
                        for c in 0..4 {
                            let t = vmlal_high_s8(vmull_s8(xl, vget_low_s8(wv[c])), x, wv[c]);
                            acc[p][c] = vpadalq_s16(acc[p][c], t);
                        }
                    }
                }
            }
        }
        let mut out = [vdupq_n_s32(0); MRB];
        for p in 0..MRB {
            out[p] = vpaddq_s32(
                vpaddq_s32(acc[p][0], acc[p][1]),
                vpaddq_s32(acc[p][2], acc[p][3]),
            );
        }
        out
    }
}

/// Plain NEON: `MRB` rows times every filter block, requantised and stored.
///
/// # Safety
/// Each `a[p]` is valid for `KP` reads, each `y[p]` for `OC` writes, `4 * OB <= CP`, `OC <= CP`.
#[inline(always)]
unsafe fn tile_c16<
    const MRB: usize,
    const OC: usize,
    const KCH: usize,
    const OB: usize,
    const CP: usize,
    const RIGHT_ONLY: bool,
    S: Src,
>(
    a: &S,
    w: &[[[[i8; 16]; 4]; KCH]; OB],
    rq: &Requant<CP>,
    st: OutStage,
    y: &[*mut i8; MRB],
) {
    // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
    // intrinsics' feature requirement holds; every memory access is justified where it occurs.
    #[allow(unused_unsafe)]
    unsafe {
        for (b, wb) in w.iter().enumerate() {
            let c = 4 * b;
            // SAFETY: the caller's bounds: rows of `16 * KCH = KP` bytes, `c + 4 <= 4 OB <= CP`.
            let (sums, q) = unsafe { (block_c16::<MRB, KCH, S>(a, wb), Rq4::load(rq, c)) };
            let mut v = [vdupq_n_s32(0); 4];
            for p in 0..MRB.min(4) {
                v[p] = q.apply::<RIGHT_ONLY>(vaddq_s32(sums[p], q.bias));
            }
            let bytes = vreinterpretq_s32_s8(st.narrow16(v));
            let n = OC.saturating_sub(c).min(4);
            let lanes = [
                vgetq_lane_s32::<0>(bytes),
                vgetq_lane_s32::<1>(bytes),
                vgetq_lane_s32::<2>(bytes),
                vgetq_lane_s32::<3>(bytes),
            ];
            for p in 0..MRB.min(4) {
                // SAFETY: `y[p] + c + n <= y[p] + OC`.
                unsafe {
                    if n == 4 {
                        core::ptr::write_unaligned(y[p].add(c).cast::<i32>(), lanes[p]);
                    } else {
                        let bytes = lanes[p].to_le_bytes();
                        core::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<i8>(), y[p].add(c), n);
                    }
                }
            }
        }
    }
}

/// Runs the convolution on plain NEON. `IC`/`OC`: channels; `KP = kpad(KH * KW * IC)`;
/// `KCH = KP / 16`; `OB = ceil(OC / 4)` filter blocks; `CP = 4 * OB` requantised channels;
/// `weights` as [`super::pack::pack_c16`] lays them out.
///
/// # Errors
/// [`KernelError`] when a length disagrees with the spec, a const generic does not fit the
/// others, or a stride or dilation is 0.
#[allow(clippy::too_many_arguments)]
pub fn conv_s8<
    const IC: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const KP: usize,
    const KCH: usize,
    const OB: usize,
    const CP: usize,
>(
    s: &ConvSpec,
    rq: &Requant<CP>,
    input: &[i8],
    weights: &[[[[i8; 16]; 4]; KCH]; OB],
    output: &mut [i8],
) -> KernelResult {
    check(s, IC, OC, KH, KW, KP, CP, input.len(), output.len())?;
    if KCH * 16 != KP || OB != OC.div_ceil(4) || CP != 4 * OB {
        return Err(KernelError::Param("packed filter sizes"));
    }
    if rq.right_only {
        run_c16::<IC, OC, KH, KW, KP, KCH, OB, CP, true>(s, rq, input, weights, output);
    } else {
        run_c16::<IC, OC, KH, KW, KP, KCH, OB, CP, false>(s, rq, input, weights, output);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn run_c16<
    const IC: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const KP: usize,
    const KCH: usize,
    const OB: usize,
    const CP: usize,
    const RIGHT_ONLY: bool,
>(
    s: &ConvSpec,
    rq: &Requant<CP>,
    input: &[i8],
    weights: &[[[[i8; 16]; 4]; KCH]; OB],
    output: &mut [i8],
) {
    let rows: Rows<'_, IC, KH, KW, KP> = Rows {
        s,
        input: input.as_ptr(),
        len: input.len(),
        direct: s.direct(IC, KP),
    };
    let st = OutStage::new(rq);
    let pixels = s.output_h * s.output_w;
    let y = output.as_mut_ptr();
    let mut scratch = [[0i8; KP]; MR];
    let mut p = 0;
    // SAFETY (both loops): `check` validated the input and output lengths against the spec;
    // rows are `KP` bytes (in place: `IC == KP` bytes of one pixel), outputs `OC` bytes at
    // `p * OC < pixels * OC`; `CP = 4 OB`.
    unsafe {
        while p + MR <= pixels {
            let o = [
                y.add(p * OC),
                y.add((p + 1) * OC),
                y.add((p + 2) * OC),
                y.add((p + 3) * OC),
            ];
            // Gathered rows: reading the taps in place (as the SDOT and SMMLA kernels do) measured
            // 4% more instructions here, where the multiply costs more per value.
            let [s0, s1, s2, s3] = &mut scratch;
            let a = Contig::<_, KP>([
                rows.row(p, s0),
                rows.row(p + 1, s1),
                rows.row(p + 2, s2),
                rows.row(p + 3, s3),
            ]);
            tile_c16::<MR, OC, KCH, OB, CP, RIGHT_ONLY, _>(&a, weights, rq, st, &o);
            p += MR;
        }
        while p < pixels {
            let a = Contig::<_, KP>([rows.row(p, &mut scratch[0])]);
            tile_c16::<1, OC, KCH, OB, CP, RIGHT_ONLY, _>(&a, weights, rq, st, &[y.add(p * OC)]);
            p += 1;
        }
    }
}

/// A fully connected layer on plain NEON: `batches` rows of `D` inputs, `U` units; `KP =
/// kpad(D)`, `KCH = KP / 16`, `OB = ceil(U / 4)`, `CP = 4 * OB`; weights as
/// [`super::pack::pack_c16`] lays out `[U][D]`.
///
/// # Errors
/// As [`conv_s8`].
pub fn fully_connected_s8<
    const D: usize,
    const U: usize,
    const KP: usize,
    const KCH: usize,
    const OB: usize,
    const CP: usize,
>(
    batches: usize,
    rq: &Requant<CP>,
    input: &[i8],
    weights: &[[[[i8; 16]; 4]; KCH]; OB],
    output: &mut [i8],
) -> KernelResult {
    conv_s8::<D, U, 1, 1, KP, KCH, OB, CP>(&ConvSpec::rows(batches), rq, input, weights, output)
}

#[cfg(target_feature = "dotprod")]
pub use dot::{conv_dot_s8, fully_connected_dot_s8};
#[cfg(target_feature = "i8mm")]
pub use mm::{conv_mm_s8, fully_connected_mm_s8};

#[cfg(target_feature = "dotprod")]
mod dot {
    use super::*;
    use crate::aarch64::neon::{sdot_lane, Bounds};

    /// `MRB` rows times one block of `4 NB` filters: `[pixel][vector]` sums of 4 channels each.
    ///
    /// # Safety
    /// Each `a[p]` is valid for `4 * K4` bytes of reads.
    #[inline(always)]
    unsafe fn block_dot<const MRB: usize, const NB: usize, const K4: usize, S: Src>(
        a: &S,
        w: &[[[i8; 16]; NB]; K4],
        init: [int32x4_t; NB],
    ) -> [[int32x4_t; NB]; MRB] {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            // The accumulators start at the bias.
            let mut acc = [init; MRB];
            let (quads, _) = w.as_chunks::<4>();
            let mut wi = quads.iter();
            for ty in 0..S::SY {
                for tx in 0..S::SX {
                    let mut row = [core::ptr::null::<i8>(); MRB];
                    for (p, r) in row.iter_mut().enumerate() {
                        *r = a.seg(p, ty, tx);
                    }
                    for ch in 0..S::SEG / 16 {
                        let Some(w4) = wi.next() else { break };
                        let mut x = [vdupq_n_s8(0); MRB];
                        for p in 0..MRB {
                            // SAFETY: `16 ch + 16 <= SEG` values of segment `t` of row `p`.
                            x[p] = unsafe { vld1q_s8(row[p].add(16 * ch)) };
                        }
                        macro_rules! step {
                            ($q:literal) => {{
                                let mut wv = [vdupq_n_s8(0); NB];
                                if NB == 4 {
                                    // SAFETY: the four 16-byte arrays of `w4[$q]` are contiguous.
                                    let q4 = unsafe { vld1q_s8_x4(w4[$q].as_ptr().cast::<i8>()) };
                                    wv[0] = q4.0;
                                    wv[1 % NB] = q4.1;
                                    wv[2 % NB] = q4.2;
                                    wv[3 % NB] = q4.3;
                                } else {
                                    for v in 0..NB {
                                        // SAFETY: a 16-byte array of the packed filters.
                                        wv[v] = unsafe { vld1q_s8(w4[$q][v].as_ptr()) };
                                    }
                                }
                                for p in 0..MRB {
                                    for v in 0..NB {
                                        acc[p][v] = sdot_lane::<$q>(acc[p][v], wv[v], x[p]);
                                    }
                                }
                            }};
                        }
                        step!(0);
                        step!(1);
                        step!(2);
                        step!(3);
                    }
                }
            }
            acc
        }
    }

    /// Four `SDOT`s by element: pixel `$x`'s four accumulators `v$a..v$a+3` take lane `$l` of
    /// its values `v$x` times the filter vectors `v5..v8`.
    macro_rules! sdot4 {
        ($a:literal, $b:literal, $c:literal, $d:literal, $x:literal, $l:literal) => {
            concat!(
                "sdot v",
                $a,
                ".4s, v5.16b, v",
                $x,
                ".4b[",
                $l,
                "]\n",
                "sdot v",
                $b,
                ".4s, v6.16b, v",
                $x,
                ".4b[",
                $l,
                "]\n",
                "sdot v",
                $c,
                ".4s, v7.16b, v",
                $x,
                ".4b[",
                $l,
                "]\n",
                "sdot v",
                $d,
                ".4s, v8.16b, v",
                $x,
                ".4b[",
                $l,
                "]\n",
            )
        };
    }

    /// One group of 4 values (lane `$l` of the 16 loaded per pixel) for five pixels and 16
    /// channels: the group's four filter vectors in one `LD1`, 20 `SDOT`s. Pixel `p`'s vector
    /// `v` accumulates in `v(12 + 4 p + v)`.
    macro_rules! lane5 {
        ($l:literal) => {
            concat!(
                "ld1 {{v5.16b, v6.16b, v7.16b, v8.16b}}, [{w}], #64\n",
                sdot4!(12, 13, 14, 15, 0, $l),
                sdot4!(16, 17, 18, 19, 1, $l),
                sdot4!(20, 21, 22, 23, 2, $l),
                sdot4!(24, 25, 26, 27, 3, $l),
                sdot4!(28, 29, 30, 31, 4, $l),
            )
        };
    }

    /// One chunk of 16 values for five pixels: its offset, the five rows' values, four lane
    /// groups.
    macro_rules! chunk5 {
        () => {
            concat!(
                "ldr {o:w}, [{t}], #4\n",
                "ldr q0, [{p0}, {o}]\n",
                "ldr q1, [{p1}, {o}]\n",
                "ldr q2, [{p2}, {o}]\n",
                "ldr q3, [{p3}, {o}]\n",
                "ldr q4, [{p4}, {o}]\n",
                lane5!(0),
                lane5!(1),
                lane5!(2),
                lane5!(3),
            )
        };
    }

    /// Pixels per block of the 16-channel kernel: 20 accumulators, five rows of 16 values and
    /// four filter vectors take 29 of the 32 vector registers, so each filter vector loaded
    /// serves five pixels (four in [`block_dot`], where the compiler allocates registers) and
    /// the requantisation constants of 16 channels still fit beside the accumulators.
    pub(super) const MR5: usize = 5;

    /// Five rows times one block of 16 filters: `[pixel][vector]` sums of 4 channels each,
    /// starting from `init`. Chunk `j` (16 values) of row `p` is at `px[p] + offs[j]`; `w` holds
    /// the block's filters as [`crate::aarch64::pack::pack_dot`] lays them out with 4 vectors
    /// (`16 n` values: `n * 256` bytes). Per chunk: its offset, 5 loads of values, 4 of filters
    /// (64 bytes each) and 80 `SDOT`s; two chunks per loop pass.
    ///
    /// # Safety
    /// `n >= 1`; `offs` is valid for `n` reads; for every `j < n` and `p`, `px[p] + offs[j]` is
    /// valid for 16 bytes of reads; `w` is valid for `256 n` bytes of reads.
    #[inline(always)]
    unsafe fn dot5x16(
        px: &[*const i8; MR5],
        offs: *const u32,
        n: usize,
        w: *const i8,
        init: [int32x4_t; 4],
    ) -> [[int32x4_t; 4]; MR5] {
        let [i0, i1, i2, i3] = init;
        let mut a = [[i0, i1, i2, i3]; MR5];
        let [[a0, a1, a2, a3], [a4, a5, a6, a7], [a8, a9, a10, a11], [a12, a13, a14, a15], [a16, a17, a18, a19]] =
            &mut a;
        // SAFETY: the caller's bounds: every load reads 16 bytes at `px[p] + offs[j]`, 4 bytes
        // of `offs` or the next 64 bytes of `w`, `n >= 1` passes; no stores; v0-v8 are declared
        // clobbered and the accumulators are the v12-v31 operands.
        unsafe {
            core::arch::asm!(
                // An odd chunk first, then two per loop pass.
                "tbz {n}, #0, 2f",
                chunk5!(),
                "subs {n}, {n}, #1",
                "b.eq 3f",
                "2:",
                chunk5!(),
                chunk5!(),
                "subs {n}, {n}, #2",
                "b.ne 2b",
                "3:",
                t = inout(reg) offs => _,
                n = inout(reg) n => _,
                w = inout(reg) w => _,
                o = out(reg) _,
                p0 = in(reg) px[0],
                p1 = in(reg) px[1],
                p2 = in(reg) px[2],
                p3 = in(reg) px[3],
                p4 = in(reg) px[4],
                out("v0") _,
                out("v1") _,
                out("v2") _,
                out("v3") _,
                out("v4") _,
                out("v5") _,
                out("v6") _,
                out("v7") _,
                out("v8") _,
                inout("v12") *a0,
                inout("v13") *a1,
                inout("v14") *a2,
                inout("v15") *a3,
                inout("v16") *a4,
                inout("v17") *a5,
                inout("v18") *a6,
                inout("v19") *a7,
                inout("v20") *a8,
                inout("v21") *a9,
                inout("v22") *a10,
                inout("v23") *a11,
                inout("v24") *a12,
                inout("v25") *a13,
                inout("v26") *a14,
                inout("v27") *a15,
                inout("v28") *a16,
                inout("v29") *a17,
                inout("v30") *a18,
                inout("v31") *a19,
                options(nostack, readonly),
            );
        }
        a
    }

    /// Up to five pixels waiting for one pass of [`dot5x16`]: their rows and outputs.
    struct Block5 {
        px: [*const i8; MR5],
        out: [*mut i8; MR5],
        /// The pixels' indices (`oy * output_w + ox`), for a last partial block.
        pix: [usize; MR5],
        n: usize,
    }

    impl Block5 {
        const fn new() -> Block5 {
            Block5 {
                px: [core::ptr::null(); MR5],
                out: [core::ptr::null_mut(); MR5],
                pix: [0; MR5],
                n: 0,
            }
        }

        /// Adds pixel `pix`; the caller flushes the block when it holds five.
        #[inline(always)]
        fn push(&mut self, px: *const i8, out: *mut i8, pix: usize) {
            if let (Some(p), Some(o), Some(i)) = (
                self.px.get_mut(self.n),
                self.out.get_mut(self.n),
                self.pix.get_mut(self.n),
            ) {
                *p = px;
                *o = out;
                *i = pix;
                self.n += 1;
            }
        }
    }

    /// The pixels of a last partial block, one at a time with [`tile_dot`] (a five-pixel pass
    /// for fewer pixels would multiply repeated rows): rows gathered already (`gathered`) are
    /// read where they are, in-place ones gathered into `scratch` first.
    ///
    /// # Safety
    /// As [`run_dot`]; a gathered block's rows are `KP` contiguous bytes (a slot of `scratch`
    /// or an input pixel read in place by a 1x1 layer).
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tail5<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
    >(
        blk: &mut Block5,
        gathered: bool,
        rows: &Rows<'_, IC, KH, KW, KP>,
        scratch: &mut [[i8; KP]; MR5 + 1],
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        rq: &Requant<CP>,
        st: OutStage,
    ) {
        let n = blk.n.min(MR5);
        for (i, slot) in scratch.iter_mut().enumerate().take(n) {
            // SAFETY: the caller's bounds: a pending pixel's index is an output pixel.
            unsafe {
                let row = if gathered {
                    blk.px[i]
                } else {
                    rows.row(blk.pix[i], slot)
                };
                let a = Contig::<1, KP>([row]);
                tile_dot::<1, OC, NB, K4, OB, CP, RIGHT_ONLY, _>(
                    &a,
                    weights,
                    rq,
                    st,
                    &[blk.out[i]],
                );
            }
        }
        blk.n = 0;
    }

    /// The output pixels `lo..hi` of a dimension whose windows lie wholly inside the input:
    /// `o * stride >= pad` and `o * stride - pad + (k - 1) * dilation < size`.
    fn inside(
        size: usize,
        k: usize,
        stride: usize,
        dilation: usize,
        pad: usize,
        outs: usize,
    ) -> (usize, usize) {
        let lo = pad.div_ceil(stride.max(1));
        let reach = (k - 1) * dilation;
        let hi = match (size + pad).checked_sub(reach + 1) {
            Some(last) => (last / stride.max(1) + 1).min(outs),
            None => 0,
        };
        (lo.min(hi), hi)
    }

    /// Multiplies the pending rows of `blk` (chunk offsets `offs`) by every filter block,
    /// requantises and stores them ([`block5`]), and empties `blk`.
    ///
    /// # Safety
    /// As [`block5`] for the pending rows.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn flush5<
        const OC: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
    >(
        blk: &mut Block5,
        offs: *const u32,
        chunks: usize,
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        rq: &Requant<CP>,
        st: OutStage,
    ) {
        if blk.n > 0 {
            // SAFETY: the caller's bounds.
            unsafe {
                block5::<OC, NB, K4, OB, CP, RIGHT_ONLY>(
                    blk.px, blk.out, blk.n, offs, chunks, weights, rq, st,
                );
            }
        }
        blk.n = 0;
    }

    /// Multiplies rows `px[..n]` (chunk offsets `offs`) by every filter block, requantises
    /// and stores them at `out[..n]`; slots past `n` repeat row 0 and are not stored. Taking
    /// the pointers by value lets a caller that makes them keep them in registers.
    ///
    /// # Safety
    /// `1 <= n <= 5`; rows `px[..n]` are valid for the reads `offs` describes (`chunks >= 1`
    /// offsets), outputs `out[..n]` for `OC` writes; `CP = 16 OB`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block5<
        const OC: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
    >(
        mut px: [*const i8; MR5],
        out: [*mut i8; MR5],
        n: usize,
        offs: *const u32,
        chunks: usize,
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        rq: &Requant<CP>,
        st: OutStage,
    ) {
        let n = n.min(MR5);
        let first = px[0];
        for slot in px.iter_mut().skip(n) {
            *slot = first;
        }
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            for (b, wb) in weights.iter().enumerate() {
                let c = 16 * b;
                let mut q = [None; 4];
                let mut init = [vdupq_n_s32(0); 4];
                for (v, (qv, bi)) in q.iter_mut().zip(init.iter_mut()).enumerate() {
                    // SAFETY: `c + 4 v + 4 <= 16 OB = CP`.
                    let r = unsafe { Rq4::load(rq, c + 4 * v) };
                    *bi = r.bias;
                    *qv = Some(r);
                }
                // SAFETY: the caller's bounds; the block's filters are `K4 * 64 = 256 chunks`
                // bytes.
                let sums = unsafe { dot5x16(&px, offs, chunks, wb.as_ptr().cast::<i8>(), init) };
                let left = OC.saturating_sub(c).min(16);
                // The clamp a layer needs, chosen once per block (a fused ReLU clamps below
                // only; a layer without activation needs no clamp past the int8 narrowing).
                macro_rules! store {
                    ($b:literal) => {
                        for (sp, &o) in sums.iter().zip(out.iter()).take(n) {
                            let mut v4 = [vdupq_n_s32(0); 4];
                            for v in 0..4 {
                                if let Some(qv) = q[v] {
                                    v4[v] = qv.apply::<RIGHT_ONLY>(sp[v]);
                                }
                            }
                            // SAFETY: `o + c + left <= o + OC`.
                            unsafe { store_n(st.narrow16_b::<$b>(v4), o.add(c), left) };
                        }
                    };
                }
                match st.bounds {
                    Bounds::None => store!(0),
                    Bounds::Low => store!(1),
                    Bounds::Both => store!(2),
                }
            }
        }
    }

    /// Every pixel of a 16-channel-block layer (`NB == 4`), five at a time ([`dot5x16`]):
    /// pixels whose windows lie inside the input are read in place when `IC % 16 == 0` (the five
    /// may come from different output rows: each has its own pointer, the chunk offsets are
    /// shared), the others gathered; a last partial block of each kind repeats a row.
    ///
    /// # Safety
    /// As [`run_dot`]: `check` validated the lengths; `NB == 4`, `K4 = KP / 4`, `CP = 16 OB`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn run5<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
    >(
        s: &ConvSpec,
        rq: &Requant<CP>,
        rows: &Rows<'_, IC, KH, KW, KP>,
        input: *const i8,
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        y: *mut i8,
        st: OutStage,
        scratch: &mut [[i8; KP]; MR5 + 1],
    ) {
        let chunks = KP / 16;
        if chunks == 0 || chunks > K4 {
            return;
        }
        // Chunk offsets: in a gathered row, 16 j; in place, tap `t = j / (IC / 16)` at its
        // offset from the window corner plus the chunk's place in the tap. `u32` keeps the
        // table small; a layer too large for it reads every row gathered.
        let mut gathered = [0u32; K4];
        let mut inplace = [0u32; K4];
        let mut can_in_place = IC.is_multiple_of(16) && IC > 0;
        for j in 0..chunks {
            gathered[j] = (16 * j) as u32;
            if can_in_place {
                let per_tap = IC / 16;
                let (t, ch) = (j / per_tap, j % per_tap);
                let (ty, tx) = (t / KW, t % KW);
                let off = (ty * s.dilation_h * s.input_w + tx * s.dilation_w) * IC + 16 * ch;
                match u32::try_from(off) {
                    Ok(o) => inplace[j] = o,
                    Err(_) => can_in_place = false,
                }
            }
        }
        let (gy_lo, gy_hi) = inside(
            s.input_h,
            KH,
            s.stride_h,
            s.dilation_h,
            s.pad_top,
            s.output_h,
        );
        let (y_lo, y_hi) = if can_in_place { (gy_lo, gy_hi) } else { (0, 0) };
        // Gathering a pixel whose window lies inside the input when a filter row is at most 16
        // values: one 16-byte copy per filter row (the bytes past the row are rewritten by the
        // next copy, or land past the receptive field where the filters are zero, or in the
        // next scratch slot, which its own gathering rewrites; the last slot has a spare one).
        let wide_rows = s.dilation_w == 1 && KW * IC <= 16;
        let pitch = s.dilation_h * s.input_w * IC;
        let reach = (KH - 1) * pitch + 16;
        let slots = scratch.as_mut_ptr().cast::<i8>();
        let (x_lo, x_hi) = inside(
            s.input_w,
            KW,
            s.stride_w,
            s.dilation_w,
            s.pad_left,
            s.output_w,
        );
        let mut inp = Block5::new();
        let mut gat = Block5::new();
        // SAFETY (the loop): pixel `(oy, ox)` is an output pixel, its output `OC` bytes at
        // `(oy OW + ox) OC`; an in-place row's window lies inside the input (`y_lo..y_hi`,
        // `x_lo..x_hi`), its chunk offsets inside the window; a gathered row is a `KP`-byte
        // slot of `scratch` (or an input pixel, `direct`) read at `16 j < KP`.
        unsafe {
            for oy in 0..s.output_h {
                let row_inside = oy >= y_lo && oy < y_hi;
                let out_row = y.add(oy * s.output_w * OC);
                let mut ox = 0;
                while ox < s.output_w {
                    if row_inside && ox >= x_lo && ox < x_hi {
                        // The interior run of this row, in place.
                        let iy = oy * s.stride_h - s.pad_top;
                        let mut src =
                            input.add((iy * s.input_w + ox * s.stride_w - s.pad_left) * IC);
                        let step = s.stride_w * IC;
                        while ox < x_hi {
                            if inp.n == 0 && x_hi - ox >= MR5 {
                                // Five pixels of this run: one block, pointers in registers.
                                let out = out_row.add(ox * OC);
                                block5::<OC, NB, K4, OB, CP, RIGHT_ONLY>(
                                    [
                                        src,
                                        src.wrapping_add(step),
                                        src.wrapping_add(2 * step),
                                        src.wrapping_add(3 * step),
                                        src.wrapping_add(4 * step),
                                    ],
                                    [
                                        out,
                                        out.wrapping_add(OC),
                                        out.wrapping_add(2 * OC),
                                        out.wrapping_add(3 * OC),
                                        out.wrapping_add(4 * OC),
                                    ],
                                    MR5,
                                    inplace.as_ptr(),
                                    chunks,
                                    weights,
                                    rq,
                                    st,
                                );
                                src = src.wrapping_add(MR5 * step);
                                ox += MR5;
                            } else {
                                inp.push(src, out_row.add(ox * OC), oy * s.output_w + ox);
                                src = src.wrapping_add(step);
                                ox += 1;
                            }
                            if inp.n == MR5 {
                                flush5::<OC, NB, K4, OB, CP, RIGHT_ONLY>(
                                    &mut inp,
                                    inplace.as_ptr(),
                                    chunks,
                                    weights,
                                    rq,
                                    st,
                                );
                            }
                        }
                        continue;
                    }
                    let step = s.stride_w * IC;
                    if wide_rows
                        && gat.n == 0
                        && oy >= gy_lo
                        && oy < gy_hi
                        && ox >= x_lo
                        && x_hi.saturating_sub(ox) >= MR5
                    {
                        let corner = ((oy * s.stride_h - s.pad_top) * s.input_w
                            + (ox * s.stride_w - s.pad_left))
                            * IC;
                        if corner + (MR5 - 1) * step + reach <= rows.len {
                            // Five interior pixels of this row, gathered 16 bytes per filter
                            // row (slot `i + 1` is written after slot `i` spills into it).
                            for i in 0..MR5 {
                                let src = input.add(corner + i * step);
                                let dst = slots.add(i * KP);
                                for ky in 0..KH {
                                    copy16(src.add(ky * pitch), dst.add(ky * KW * IC));
                                }
                            }
                            let out = out_row.add(ox * OC);
                            block5::<OC, NB, K4, OB, CP, RIGHT_ONLY>(
                                [
                                    slots,
                                    slots.add(KP),
                                    slots.add(2 * KP),
                                    slots.add(3 * KP),
                                    slots.add(4 * KP),
                                ]
                                .map(<*mut i8>::cast_const),
                                [
                                    out,
                                    out.wrapping_add(OC),
                                    out.wrapping_add(2 * OC),
                                    out.wrapping_add(3 * OC),
                                    out.wrapping_add(4 * OC),
                                ],
                                MR5,
                                gathered.as_ptr(),
                                chunks,
                                weights,
                                rq,
                                st,
                            );
                            ox += MR5;
                            continue;
                        }
                    }
                    if gat.n >= MR5 {
                        return;
                    }
                    // The window corner when the window lies inside the input (`gy_lo..gy_hi`,
                    // `x_lo..x_hi`: no underflow), and all `KH` 16-byte copies stay inside it.
                    let corner =
                        (wide_rows && oy >= gy_lo && oy < gy_hi && ox >= x_lo && ox < x_hi)
                            .then(|| {
                                ((oy * s.stride_h - s.pad_top) * s.input_w + ox * s.stride_w
                                    - s.pad_left)
                                    * IC
                            })
                            .filter(|&c| c + reach <= rows.len);
                    let row = if let Some(corner) = corner {
                        let dst = slots.add(gat.n * KP);
                        for ky in 0..KH {
                            copy16(input.add(corner + ky * pitch), dst.add(ky * KW * IC));
                        }
                        dst.cast_const()
                    } else {
                        let Some(slot) = scratch.get_mut(gat.n) else {
                            return;
                        };
                        rows.row_at(oy, ox, slot)
                    };
                    gat.push(row, out_row.add(ox * OC), oy * s.output_w + ox);
                    if gat.n == MR5 {
                        flush5::<OC, NB, K4, OB, CP, RIGHT_ONLY>(
                            &mut gat,
                            gathered.as_ptr(),
                            chunks,
                            weights,
                            rq,
                            st,
                        );
                    }
                    ox += 1;
                }
            }
            // The gathered rows first: they live in `scratch`, which the in-place ones reuse.
            tail5::<IC, OC, KH, KW, KP, NB, K4, OB, CP, RIGHT_ONLY>(
                &mut gat, true, rows, scratch, weights, rq, st,
            );
            tail5::<IC, OC, KH, KW, KP, NB, K4, OB, CP, RIGHT_ONLY>(
                &mut inp, false, rows, scratch, weights, rq, st,
            );
        }
    }

    /// `MRB` rows times every filter block, requantised and stored.
    ///
    /// # Safety
    /// Each `a[p]` is valid for `4 * K4` reads, each `y[p]` for `OC` writes, `4 NB OB <= CP`.
    #[inline(always)]
    unsafe fn tile_dot<
        const MRB: usize,
        const OC: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
        S: Src,
    >(
        a: &S,
        w: &[[[[i8; 16]; NB]; K4]; OB],
        rq: &Requant<CP>,
        st: OutStage,
        y: &[*mut i8; MRB],
    ) {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target, so the NEON
        // intrinsics' feature requirement holds; every memory access is justified where it occurs.
        #[allow(unused_unsafe)]
        unsafe {
            for (b, wb) in w.iter().enumerate() {
                let c = 4 * NB * b;
                let mut q = [None; NB];
                let mut init = [vdupq_n_s32(0); NB];
                for (v, (qv, b)) in q.iter_mut().zip(init.iter_mut()).enumerate() {
                    // SAFETY: `c + 4 v + 4 <= 4 NB OB <= CP`.
                    let r = unsafe { Rq4::load(rq, c + 4 * v) };
                    *b = r.bias;
                    *qv = Some(r);
                }
                // SAFETY: the caller's bounds.
                let sums = unsafe { block_dot::<MRB, NB, K4, S>(a, wb, init) };
                let n = OC.saturating_sub(c).min(4 * NB);
                for p in 0..MRB {
                    let mut v4 = [vdupq_n_s32(0); 4];
                    for v in 0..NB.min(4) {
                        if let Some(qv) = q[v] {
                            v4[v] = qv.apply::<RIGHT_ONLY>(sums[p][v]);
                        }
                    }
                    // SAFETY: `y[p] + c + n <= y[p] + OC`.
                    unsafe { store_n(st.narrow16(v4), y[p].add(c), n) };
                }
            }
        }
    }

    /// Runs the convolution with `SDOT`. `KP = kpad(KH * KW * IC)`, `K4 = KP / 4`; blocks of
    /// `4 NB` filters (`NB` in 1..=4), `OB = ceil(OC / (4 NB))`, `CP = 4 NB OB`; `weights` as
    /// [`crate::aarch64::pack::pack_dot`] lays them out.
    ///
    /// # Errors
    /// As [`super::conv_s8`].
    #[allow(clippy::too_many_arguments)]
    pub fn conv_dot_s8<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
    >(
        s: &ConvSpec,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        output: &mut [i8],
    ) -> KernelResult {
        conv_dot::<IC, OC, KH, KW, KP, NB, K4, OB, CP, true>(s, rq, input, weights, output)
    }

    /// [`conv_dot_s8`]; `BLOCK5`: whether the five-pixel kernel may run (a fully connected
    /// layer, usually of one row, leaves its code out of the binary).
    #[allow(clippy::too_many_arguments)]
    fn conv_dot<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const BLOCK5: bool,
    >(
        s: &ConvSpec,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        output: &mut [i8],
    ) -> KernelResult {
        check(s, IC, OC, KH, KW, KP, CP, input.len(), output.len())?;
        if !(1..=4).contains(&NB) || K4 * 4 != KP || OB != OC.div_ceil(4 * NB) || CP != 4 * NB * OB
        {
            return Err(KernelError::Param("packed filter sizes"));
        }
        if rq.right_only {
            run_dot::<IC, OC, KH, KW, KP, NB, K4, OB, CP, true, BLOCK5>(
                s, rq, input, weights, output,
            );
        } else {
            run_dot::<IC, OC, KH, KW, KP, NB, K4, OB, CP, false, BLOCK5>(
                s, rq, input, weights, output,
            );
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run_dot<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
        const BLOCK5: bool,
    >(
        s: &ConvSpec,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        output: &mut [i8],
    ) {
        let rows: Rows<'_, IC, KH, KW, KP> = Rows {
            s,
            input: input.as_ptr(),
            len: input.len(),
            direct: s.direct(IC, KP),
        };
        let st = OutStage::new(rq);
        let pixels = s.output_h * s.output_w;
        let y = output.as_mut_ptr();
        let mut scratch = [[0i8; KP]; MR5 + 1];
        let mut p = 0;
        // SAFETY: as in `run_c16`: validated lengths, rows of `KP = 4 K4` bytes, outputs of
        // `OC` bytes, `CP = 4 NB OB`.
        unsafe {
            // Fewer than five pixels (a fully connected layer of one row): the 4- and
            // 1-pixel tiles below.
            if BLOCK5 && NB == 4 && pixels >= MR5 {
                run5::<IC, OC, KH, KW, KP, NB, K4, OB, CP, RIGHT_ONLY>(
                    s,
                    rq,
                    &rows,
                    input.as_ptr(),
                    weights,
                    y,
                    st,
                    &mut scratch,
                );
                return;
            }
            while p + MR <= pixels {
                let o = [
                    y.add(p * OC),
                    y.add((p + 1) * OC),
                    y.add((p + 2) * OC),
                    y.add((p + 3) * OC),
                ];
                if let Some(a) = in_place::<IC, KH, KW>(s, input.as_ptr(), p, MR) {
                    tile_dot::<MR, OC, NB, K4, OB, CP, RIGHT_ONLY, _>(&a, weights, rq, st, &o);
                } else {
                    let [s0, s1, s2, s3, _, _] = &mut scratch;
                    let a = Contig::<_, KP>([
                        rows.row(p, s0),
                        rows.row(p + 1, s1),
                        rows.row(p + 2, s2),
                        rows.row(p + 3, s3),
                    ]);
                    tile_dot::<MR, OC, NB, K4, OB, CP, RIGHT_ONLY, _>(&a, weights, rq, st, &o);
                }
                p += MR;
            }
            while p < pixels {
                let a = Contig::<_, KP>([rows.row(p, &mut scratch[0])]);
                tile_dot::<1, OC, NB, K4, OB, CP, RIGHT_ONLY, _>(
                    &a,
                    weights,
                    rq,
                    st,
                    &[y.add(p * OC)],
                );
                p += 1;
            }
        }
    }

    /// A fully connected layer with `SDOT`: as [`super::fully_connected_s8`] with the
    /// [`conv_dot_s8`] layout.
    ///
    /// # Errors
    /// As [`conv_dot_s8`].
    pub fn fully_connected_dot_s8<
        const D: usize,
        const U: usize,
        const KP: usize,
        const NB: usize,
        const K4: usize,
        const OB: usize,
        const CP: usize,
    >(
        batches: usize,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NB]; K4]; OB],
        output: &mut [i8],
    ) -> KernelResult {
        conv_dot::<D, U, 1, 1, KP, NB, K4, OB, CP, false>(
            &ConvSpec::rows(batches),
            rq,
            input,
            weights,
            output,
        )
    }
}

#[cfg(target_feature = "i8mm")]
mod mm {
    use super::*;
    use crate::aarch64::neon::smmla;

    /// Four rows (two pairs) times one block of `2 NV` filters: `[pair][vector]` 2x2 blocks
    /// `[p0 c0, p0 c1, p1 c0, p1 c1]`.
    ///
    /// # Safety
    /// Each `a[p]` is valid for `8 * K8` bytes of reads.
    #[inline(always)]
    unsafe fn block_mm<const NV: usize, const K8: usize, S: Src>(
        a: &S,
        w: &[[[i8; 16]; NV]; K8],
        init: [int32x4_t; NV],
    ) -> [[int32x4_t; NV]; 2] {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target; `8 j + 8 <=
        // 8 K8` bytes of each row; `w[j]` holds `NV` contiguous 16-byte arrays.
        unsafe {
            // The 2x2 blocks start at the bias of their two channels.
            let mut acc = [init; 2];
            let mut wi = w.iter();
            for ty in 0..S::SY {
                for tx in 0..S::SX {
                    let r = [
                        a.seg(0, ty, tx),
                        a.seg(1, ty, tx),
                        a.seg(2, ty, tx),
                        a.seg(3, ty, tx),
                    ];
                    for ch in 0..S::SEG / 8 {
                        let Some(wj) = wi.next() else { break };
                        let a01 = vcombine_s8(vld1_s8(r[0].add(8 * ch)), vld1_s8(r[1].add(8 * ch)));
                        let a23 = vcombine_s8(vld1_s8(r[2].add(8 * ch)), vld1_s8(r[3].add(8 * ch)));
                        let mut b = [vdupq_n_s8(0); NV];
                        let mut v = 0;
                        while v + 4 <= NV {
                            let q4 = vld1q_s8_x4(wj.as_ptr().cast::<i8>().add(16 * v));
                            b[v] = q4.0;
                            b[v + 1] = q4.1;
                            b[v + 2] = q4.2;
                            b[v + 3] = q4.3;
                            v += 4;
                        }
                        while v < NV {
                            b[v] = vld1q_s8(wj[v].as_ptr());
                            v += 1;
                        }
                        for v in 0..NV {
                            acc[0][v] = smmla(acc[0][v], a01, b[v]);
                            acc[1][v] = smmla(acc[1][v], a23, b[v]);
                        }
                    }
                }
            }
            acc
        }
    }

    /// Four rows times every filter block, requantised; the first `valid` rows stored.
    ///
    /// # Safety
    /// Each `a[p]` is valid for `8 * K8` reads, each `y[p]` (`p < valid`) for `OC` writes,
    /// `2 NV OB <= CP`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_mm<
        const OC: usize,
        const NV: usize,
        const K8: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
        S: Src,
    >(
        a: &S,
        w: &[[[[i8; 16]; NV]; K8]; OB],
        rq: &Requant<CP>,
        st: OutStage,
        y: &[*mut i8; MR],
        valid: usize,
    ) {
        // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target; the bounds are
        // the caller's.
        unsafe {
            for (b, wb) in w.iter().enumerate() {
                let c = 2 * NV * b;
                // Channel pair v's bias in both rows of its 2x2 block: [b0, b1, b0, b1].
                let mut init = [vdupq_n_s32(0); NV];
                for (v, i) in init.iter_mut().enumerate() {
                    let pair =
                        core::ptr::read_unaligned(rq.bias.as_ptr().add(c + 2 * v).cast::<i64>());
                    *i = vreinterpretq_s32_s64(vdupq_n_s64(pair));
                }
                let acc = block_mm::<NV, K8, S>(a, wb, init);
                let n = OC.saturating_sub(c).min(2 * NV);
                let mut q = [None; 4];
                for (g, qg) in q.iter_mut().enumerate().take(NV / 2) {
                    *qg = Some(Rq4::load(rq, c + 4 * g));
                }
                // Pixel 2 pp + h, channels c + 4 g .. c + 4 g + 4: the low (h = 0) or high
                // 64-bit halves of the 2x2 blocks of channel pairs 2 g and 2 g + 1.
                for (p, yp) in y.iter().enumerate().take(valid.min(MR)) {
                    let (pp, h) = (p / 2, p % 2);
                    let mut v4 = [vdupq_n_s32(0); 4];
                    for g in 0..(NV / 2).min(4) {
                        let (lo, hi) = (
                            vreinterpretq_s64_s32(acc[pp][2 * g]),
                            vreinterpretq_s64_s32(acc[pp][2 * g + 1]),
                        );
                        let sums = vreinterpretq_s32_s64(if h == 0 {
                            vzip1q_s64(lo, hi)
                        } else {
                            vzip2q_s64(lo, hi)
                        });
                        if let Some(qg) = q[g] {
                            v4[g] = qg.apply::<RIGHT_ONLY>(sums);
                        }
                    }
                    store_n(st.narrow16(v4), yp.add(c), n);
                }
            }
        }
    }

    /// Runs the convolution with `SMMLA`. `KP = kpad(KH * KW * IC)`, `K8 = KP / 8`; blocks of
    /// `2 NV` filters (`NV` in 2, 4, 6, 8), `OB = ceil(OC / (2 NV))`, `CP = 2 NV OB`; `weights`
    /// as [`crate::aarch64::pack::pack_mm`] lays them out.
    ///
    /// # Errors
    /// As [`super::conv_s8`].
    #[allow(clippy::too_many_arguments)]
    pub fn conv_mm_s8<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NV: usize,
        const K8: usize,
        const OB: usize,
        const CP: usize,
    >(
        s: &ConvSpec,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NV]; K8]; OB],
        output: &mut [i8],
    ) -> KernelResult {
        check(s, IC, OC, KH, KW, KP, CP, input.len(), output.len())?;
        if !matches!(NV, 2 | 4 | 6 | 8)
            || K8 * 8 != KP
            || OB != OC.div_ceil(2 * NV)
            || CP != 2 * NV * OB
        {
            return Err(KernelError::Param("packed filter sizes"));
        }
        if rq.right_only {
            run_mm::<IC, OC, KH, KW, KP, NV, K8, OB, CP, true>(s, rq, input, weights, output);
        } else {
            run_mm::<IC, OC, KH, KW, KP, NV, K8, OB, CP, false>(s, rq, input, weights, output);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run_mm<
        const IC: usize,
        const OC: usize,
        const KH: usize,
        const KW: usize,
        const KP: usize,
        const NV: usize,
        const K8: usize,
        const OB: usize,
        const CP: usize,
        const RIGHT_ONLY: bool,
    >(
        s: &ConvSpec,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NV]; K8]; OB],
        output: &mut [i8],
    ) {
        let rows: Rows<'_, IC, KH, KW, KP> = Rows {
            s,
            input: input.as_ptr(),
            len: input.len(),
            direct: s.direct(IC, KP),
        };
        let st = OutStage::new(rq);
        let pixels = s.output_h * s.output_w;
        let y = output.as_mut_ptr();
        let mut scratch = [[0i8; KP]; MR];
        let mut p = 0;
        // SAFETY: validated lengths; rows of `KP = 8 K8` bytes (a last partial tile repeats
        // its first row, whose results are not stored); outputs of `OC` bytes at
        // `(p + i) * OC` for `p + i < pixels`; `CP = 2 NV OB`.
        unsafe {
            while p < pixels {
                let valid = (pixels - p).min(MR);
                let o = [
                    y.add(p * OC),
                    y.add((p + 1).min(pixels - 1) * OC),
                    y.add((p + 2).min(pixels - 1) * OC),
                    y.add((p + 3).min(pixels - 1) * OC),
                ];
                match in_place::<IC, KH, KW>(s, input.as_ptr(), p, valid) {
                    Some(a) if valid == MR => {
                        tile_mm::<OC, NV, K8, OB, CP, RIGHT_ONLY, _>(
                            &a, weights, rq, st, &o, valid,
                        );
                    }
                    _ => {
                        let [s0, s1, s2, s3] = &mut scratch;
                        let r0 = rows.row(p, s0);
                        let a = Contig::<_, KP>([
                            r0,
                            if valid > 1 { rows.row(p + 1, s1) } else { r0 },
                            if valid > 2 { rows.row(p + 2, s2) } else { r0 },
                            if valid > 3 { rows.row(p + 3, s3) } else { r0 },
                        ]);
                        tile_mm::<OC, NV, K8, OB, CP, RIGHT_ONLY, _>(
                            &a, weights, rq, st, &o, valid,
                        );
                    }
                }
                p += valid;
            }
        }
    }

    /// A fully connected layer with `SMMLA`: as [`super::fully_connected_s8`] with the
    /// [`conv_mm_s8`] layout.
    ///
    /// # Errors
    /// As [`conv_mm_s8`].
    pub fn fully_connected_mm_s8<
        const D: usize,
        const U: usize,
        const KP: usize,
        const NV: usize,
        const K8: usize,
        const OB: usize,
        const CP: usize,
    >(
        batches: usize,
        rq: &Requant<CP>,
        input: &[i8],
        weights: &[[[[i8; 16]; NV]; K8]; OB],
        output: &mut [i8],
    ) -> KernelResult {
        conv_mm_s8::<D, U, 1, 1, KP, NV, K8, OB, CP>(
            &ConvSpec::rows(batches),
            rq,
            input,
            weights,
            output,
        )
    }
}
