//! Depthwise 2-D convolution (TFLite `DEPTHWISE_CONV_2D`, int8, depth multiplier 1) on NEON:
//! sixteen channels per vector (a last group of eight when `C % 16 == 8`). The loop runs over
//! channel groups outside and output pixels inside, so a group's `KH x KW` filter vectors and
//! its requantisation constants stay in registers for the whole image. Two taps are multiplied
//! into one int16 partial sum (`SMULL` + `SMLAL`, exact since no weight is -128: the compiler
//! checks) and widened into the int32 accumulators with `SADDW`. Pixels whose window lies inside
//! the input read it directly; border pixels read the input zero point for padded taps (which
//! the folded bias cancels).

use core::arch::aarch64::*;

use super::conv::ConvSpec;
use super::neon::{OutStage, Rq4};
use super::Requant;
use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// Runs the depthwise convolution. `C`: channels, a multiple of 8; `KH`/`KW`: the filter;
/// `weights` `[KH][KW][C]` as TFLite stores them; `rq` the per-channel requantisation.
///
/// # Errors
/// [`KernelError`] when a length disagrees with the spec, `C` is not a positive multiple of 8,
/// the filter size differs from the spec's, or a stride or dilation is 0.
pub fn depthwise_s8<const C: usize, const KH: usize, const KW: usize>(
    s: &ConvSpec,
    rq: &Requant<C>,
    input: &[i8],
    weights: &[[[i8; C]; KW]; KH],
    output: &mut [i8],
) -> KernelResult {
    if s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if C == 0 || !C.is_multiple_of(8) || KH == 0 || KW == 0 || s.kernel_h != KH || s.kernel_w != KW
    {
        return Err(KernelError::Param("depthwise filter sizes"));
    }
    check_len("input", product(&[s.input_h, s.input_w, C])?, input.len())?;
    check_len(
        "output",
        product(&[s.output_h, s.output_w, C])?,
        output.len(),
    )?;
    if rq.right_only {
        run::<C, KH, KW, true>(s, rq, input, weights, output);
    } else {
        run::<C, KH, KW, false>(s, rq, input, weights, output);
    }
    Ok(())
}

/// Whether output coordinate `o` has every tap of its window inside `0..size`.
#[inline(always)]
fn inside(o: usize, stride: usize, pad: usize, k: usize, dilation: usize, size: usize) -> bool {
    o * stride >= pad && o * stride - pad + (k - 1) * dilation < size
}

/// One output pixel of sixteen channels: the taps' products summed two at a time in int16,
/// widened into the accumulators (which start at the bias), then requantised and narrowed.
#[inline(always)]
///
/// # Safety
/// Every pointer of `p` is valid for 16 bytes of reads.
unsafe fn pixel16<const KH: usize, const KW: usize, const RIGHT_ONLY: bool>(
    w: &[[int8x16_t; KW]; KH],
    q: &[Rq4; 4],
    st: &OutStage,
    p: &[[*const i8; KW]; KH],
) -> int8x16_t {
    // SAFETY: Advanced SIMD is a baseline feature of every AArch64 target; the caller
    // guarantees the pointers.
    unsafe {
        let tap = |ky: usize, kx: usize| vld1q_s8(p[ky][kx]);
        let mut acc = [q[0].bias, q[1].bias, q[2].bias, q[3].bias];
        let mut t = 0;
        while t + 1 < KH * KW {
            let (a, b) = (t, t + 1);
            let (xa, xb) = (tap(a / KW, a % KW), tap(b / KW, b % KW));
            let (wa, wb) = (w[a / KW][a % KW], w[b / KW][b % KW]);
            let lo = vmlal_s8(
                vmull_s8(vget_low_s8(xa), vget_low_s8(wa)),
                vget_low_s8(xb),
                vget_low_s8(wb),
            );
            let hi = vmlal_high_s8(vmull_high_s8(xa, wa), xb, wb);
            acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
            acc[1] = vaddw_high_s16(acc[1], lo);
            acc[2] = vaddw_s16(acc[2], vget_low_s16(hi));
            acc[3] = vaddw_high_s16(acc[3], hi);
            t += 2;
        }
        if t < KH * KW {
            let (xa, wa) = (tap(t / KW, t % KW), w[t / KW][t % KW]);
            let lo = vmull_s8(vget_low_s8(xa), vget_low_s8(wa));
            let hi = vmull_high_s8(xa, wa);
            acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
            acc[1] = vaddw_high_s16(acc[1], lo);
            acc[2] = vaddw_s16(acc[2], vget_low_s16(hi));
            acc[3] = vaddw_high_s16(acc[3], hi);
        }
        st.narrow16([
            q[0].apply::<RIGHT_ONLY>(acc[0]),
            q[1].apply::<RIGHT_ONLY>(acc[1]),
            q[2].apply::<RIGHT_ONLY>(acc[2]),
            q[3].apply::<RIGHT_ONLY>(acc[3]),
        ])
    }
}

/// One output pixel of eight channels (the last group when `C % 16 == 8`).
#[inline(always)]
///
/// # Safety
/// Every pointer of `p` is valid for 8 bytes of reads.
unsafe fn pixel8<const KH: usize, const KW: usize, const RIGHT_ONLY: bool>(
    w: &[[int8x8_t; KW]; KH],
    q: &[Rq4; 2],
    st: &OutStage,
    p: &[[*const i8; KW]; KH],
) -> int8x8_t {
    // SAFETY: as for `pixel16`, 8 bytes.
    unsafe {
        let tap = |ky: usize, kx: usize| vld1_s8(p[ky][kx]);
        let mut acc = [q[0].bias, q[1].bias];
        let mut t = 0;
        while t + 1 < KH * KW {
            let (a, b) = (t, t + 1);
            let lo = vmlal_s8(
                vmull_s8(tap(a / KW, a % KW), w[a / KW][a % KW]),
                tap(b / KW, b % KW),
                w[b / KW][b % KW],
            );
            acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
            acc[1] = vaddw_high_s16(acc[1], lo);
            t += 2;
        }
        if t < KH * KW {
            let lo = vmull_s8(tap(t / KW, t % KW), w[t / KW][t % KW]);
            acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
            acc[1] = vaddw_high_s16(acc[1], lo);
        }
        st.narrow8([
            q[0].apply::<RIGHT_ONLY>(acc[0]),
            q[1].apply::<RIGHT_ONLY>(acc[1]),
        ])
    }
}

/// Where the taps of output pixels are: whole windows read at fixed offsets from the window's
/// first pixel; border windows checked tap by tap.
struct Taps<const KH: usize, const KW: usize> {
    /// Byte offset of tap `(ky, kx)` from the window's top-left input pixel.
    off: [[isize; KW]; KH],
    /// Bytes per input row.
    row: isize,
    c: isize,
}

impl<const KH: usize, const KW: usize> Taps<KH, KW> {
    fn new(s: &ConvSpec, c: usize) -> Self {
        let row = (s.input_w * c) as isize;
        let mut off = [[0isize; KW]; KH];
        for (ky, r) in off.iter_mut().enumerate() {
            for (kx, o) in r.iter_mut().enumerate() {
                *o = (ky * s.dilation_h) as isize * row + (kx * s.dilation_w * c) as isize;
            }
        }
        Taps {
            off,
            row,
            c: c as isize,
        }
    }
}

/// The range of output columns whose window lies wholly inside `0..size`.
fn whole_range(
    out: usize,
    stride: usize,
    pad: usize,
    k: usize,
    dilation: usize,
    size: usize,
) -> (usize, usize) {
    // `max(1)`: no division-by-zero path (the caller rejects a zero stride).
    let lo = pad.div_ceil(stride.max(1)).min(out);
    let mut hi = lo;
    while hi < out && inside(hi, stride, pad, k, dilation, size) {
        hi += 1;
    }
    (lo, hi)
}

fn run<const C: usize, const KH: usize, const KW: usize, const RIGHT_ONLY: bool>(
    s: &ConvSpec,
    rq: &Requant<C>,
    input: &[i8],
    weights: &[[[i8; C]; KW]; KH],
    output: &mut [i8],
) {
    let taps: Taps<KH, KW> = Taps::new(s, C);
    let (x, y) = (input.as_ptr(), output.as_mut_ptr());
    let st = OutStage::new(rq);
    let (x_lo, x_hi) = whole_range(
        s.output_w,
        s.stride_w,
        s.pad_left,
        KW,
        s.dilation_w,
        s.input_w,
    );
    // What a padded tap reads: the input zero point.
    let pad = [s.pad_value; 16];
    // The tap pointers of output pixel (oy, ox) at channel `c`: in place when its window lies
    // inside the input, else each tap checked (a padded tap points at `pad`).
    let pointers = |oy: usize, ox: usize, c: usize| -> [[*const i8; KW]; KH] {
        let iy0 = (oy * s.stride_h) as isize - s.pad_top as isize;
        let ix0 = (ox * s.stride_w) as isize - s.pad_left as isize;
        let corner = iy0 * taps.row + ix0 * taps.c + c as isize;
        let mut p = [[pad.as_ptr(); KW]; KH];
        let whole = inside(oy, s.stride_h, s.pad_top, KH, s.dilation_h, s.input_h)
            && (x_lo..x_hi).contains(&ox);
        for (ky, (row, offs)) in p.iter_mut().zip(&taps.off).enumerate() {
            let iy = iy0 + (ky * s.dilation_h) as isize;
            let row_ok = iy >= 0 && iy < s.input_h as isize;
            for (kx, (ptr, off)) in row.iter_mut().zip(offs).enumerate() {
                let ix = ix0 + (kx * s.dilation_w) as isize;
                if whole || (row_ok && ix >= 0 && ix < s.input_w as isize) {
                    // SAFETY: pixel (iy, ix) lies inside the input (checked, or implied by
                    // `inside` for the whole window), whose length `check_len` validated;
                    // the channel offset `c` is below `C`.
                    *ptr = unsafe { x.offset(corner + off) };
                }
            }
        }
        p
    };
    let mut c = 0;
    // SAFETY (every load and store below): the tap pointers are valid for 16 (or 8) bytes: an
    // input pixel's channels `c..c + 16 <= C`, or `pad`; output pixel (oy, ox) holds `C`
    // values. Advanced SIMD is a baseline feature of every AArch64 target.
    unsafe {
        while c + 16 <= C {
            let mut w = [[vdupq_n_s8(0); KW]; KH];
            for ky in 0..KH {
                for kx in 0..KW {
                    w[ky][kx] = vld1q_s8(weights[ky][kx].as_ptr().add(c));
                }
            }
            let q = [
                Rq4::load(rq, c),
                Rq4::load(rq, c + 4),
                Rq4::load(rq, c + 8),
                Rq4::load(rq, c + 12),
            ];
            for oy in 0..s.output_h {
                for ox in 0..s.output_w {
                    let v = pixel16::<KH, KW, RIGHT_ONLY>(&w, &q, &st, &pointers(oy, ox, c));
                    vst1q_s8(y.add((oy * s.output_w + ox) * C + c), v);
                }
            }
            c += 16;
        }
        if c + 8 <= C {
            let mut w = [[vdup_n_s8(0); KW]; KH];
            for ky in 0..KH {
                for kx in 0..KW {
                    w[ky][kx] = vld1_s8(weights[ky][kx].as_ptr().add(c));
                }
            }
            let q = [Rq4::load(rq, c), Rq4::load(rq, c + 4)];
            for oy in 0..s.output_h {
                for ox in 0..s.output_w {
                    let v = pixel8::<KH, KW, RIGHT_ONLY>(&w, &q, &st, &pointers(oy, ox, c));
                    vst1_s8(y.add((oy * s.output_w + ox) * C + c), v);
                }
            }
        }
    }
}
