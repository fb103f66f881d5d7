//! Depthwise convolution (TFLite `DEPTHWISE_CONV_2D`, int8, depth multiplier 1) four channels at
//! a time: one word load brings four input channels of a tap, `SXTB16` splits them into the
//! even and odd channels as int16, and `SMLABB`/`SMLATT` multiply each half by its channel's
//! weight, pre-widened and paired the same way at build time. Pixels whose window lies inside
//! the input take a path without padding checks; border pixels read the input zero point for
//! padded taps.

use super::dsp::dw_tap4_w;
use super::{check_act, check_rq, Out, Rq};
use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// The run-time constants of one depthwise convolution with `C` channels. Layouts: input
/// `[H, W, C]`, output `[OH, OW, C]`.
#[derive(Clone, Copy, Debug)]
pub struct DepthwiseSpec<'a, const C: usize> {
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
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
    /// The input zero point (what a padded tap reads).
    pub pad_value: i8,
    /// Output zero point.
    pub output_offset: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
    /// Bias with the input zero point folded in, per channel.
    pub bias: &'a [i32; C],
    /// Requantisation per channel.
    pub rq: &'a [Rq; C],
}

/// Runs the depthwise convolution. `C`: channels (a multiple of 4); `G = C / 4`; `KH`, `KW`: the
/// filter size; `ROW = dilation_h * input_w * C` and `COL = dilation_w * C`, the byte distances
/// between taps (const, so every tap's load has a constant offset); `PROW = KW * C`, the same
/// for the padded copy of a border window; `weights` as [`super::pack::pack_depthwise`] lays
/// them out.
///
/// # Errors
/// [`KernelError`] when a length disagrees with the spec, `G * 4 != C`, a stride or dilation is
/// 0, or a requantisation constant is out of range.
pub fn depthwise_s8<
    const C: usize,
    const G: usize,
    const KH: usize,
    const KW: usize,
    const ROW: usize,
    const COL: usize,
    const PROW: usize,
>(
    s: &DepthwiseSpec<'_, C>,
    input: &[i8],
    weights: &[[[[u32; 2]; KW]; KH]; G],
    output: &mut [i8],
) -> KernelResult {
    if s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if G == 0 || G * 4 != C || KH == 0 || KW == 0 {
        return Err(KernelError::Param("depthwise channel groups"));
    }
    if ROW != s.dilation_h * s.input_w * C || COL != s.dilation_w * C || PROW != KW * C {
        return Err(KernelError::Param("depthwise tap strides"));
    }
    check_len("input", product(&[s.input_h, s.input_w, C])?, input.len())?;
    check_len(
        "output",
        product(&[s.output_h, s.output_w, C])?,
        output.len(),
    )?;
    check_rq(s.rq)?;
    check_act(s.act_min, s.act_max)?;
    let (stage, _) = Out::new(s.rq, s.output_offset, s.act_min, s.act_max);
    pixels::<C, G, KH, KW, ROW, COL, PROW>(s, stage, input, weights, output);
    Ok(())
}

/// Every output pixel: inside windows straight from the input, border windows from a padded
/// copy.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pixels<
    const C: usize,
    const G: usize,
    const KH: usize,
    const KW: usize,
    const ROW: usize,
    const COL: usize,
    const PROW: usize,
>(
    s: &DepthwiseSpec<'_, C>,
    stage: Out,
    input: &[i8],
    weights: &[[[[u32; 2]; KW]; KH]; G],
    output: &mut [i8],
) {
    let span_h = (KH - 1) * s.dilation_h;
    let span_w = (KW - 1) * s.dilation_w;
    // Border windows are copied here, padded; their taps are contiguous.
    let mut patch = [[[0i8; C]; KW]; KH];
    let mut outs = output.chunks_exact_mut(C);
    for oy in 0..s.output_h {
        let y0 = (oy * s.stride_h) as isize - s.pad_top as isize;
        let rows_in = y0 >= 0 && y0 as usize + span_h < s.input_h;
        for ox in 0..s.output_w {
            let x0 = (ox * s.stride_w) as isize - s.pad_left as isize;
            let Some(out) = outs.next() else {
                return;
            };
            if rows_in && x0 >= 0 && x0 as usize + span_w < s.input_w {
                let first = (y0 as usize * s.input_w + x0 as usize) * C;
                let Some(window) = input.get(first..first + (KH - 1) * ROW + (KW - 1) * COL + C)
                else {
                    continue;
                };
                interior::<C, G, KH, KW, ROW, COL>(s, stage, weights, out, window);
            } else {
                // A window over the border: copy it with padded taps set to the input zero
                // point, then run the same code on the copy.
                for (ky, row) in patch.iter_mut().enumerate() {
                    let iy = y0 + (ky * s.dilation_h) as isize;
                    for (kx, px) in row.iter_mut().enumerate() {
                        let ix = x0 + (kx * s.dilation_w) as isize;
                        let src = if iy >= 0
                            && (iy as usize) < s.input_h
                            && ix >= 0
                            && (ix as usize) < s.input_w
                        {
                            let i = (iy as usize * s.input_w + ix as usize) * C;
                            input.get(i..i + C)
                        } else {
                            None
                        };
                        match src {
                            Some(src) => px.copy_from_slice(src),
                            None => px.fill(s.pad_value),
                        }
                    }
                }
                interior::<C, G, KH, KW, PROW, C>(
                    s,
                    stage,
                    weights,
                    out,
                    patch.as_flattened().as_flattened(),
                );
            }
        }
    }
}

/// Every channel group of one output pixel whose window starts at `window[0]`, with taps `ROW`
/// bytes apart vertically and `COL` bytes apart horizontally: tap `(ky, kx)` of group `g` reads
/// the four bytes at `ky * ROW + kx * COL + 4g`.
#[inline(always)]
#[allow(unsafe_code)]
fn interior<
    const C: usize,
    const G: usize,
    const KH: usize,
    const KW: usize,
    const ROW: usize,
    const COL: usize,
>(
    s: &DepthwiseSpec<'_, C>,
    stage: Out,
    weights: &[[[[u32; 2]; KW]; KH]; G],
    out: &mut [i8],
    window: &[i8],
) {
    // The last tap of the last group ends at `(KH - 1) * ROW + (KW - 1) * COL + C`.
    if G * 4 != C || (KH - 1) * ROW + (KW - 1) * COL + C > window.len() {
        return;
    }
    let base = window.as_ptr();
    for (g, (((wg, b), q), o)) in weights
        .iter()
        .zip(s.bias.chunks_exact(4))
        .zip(s.rq.chunks_exact(4))
        .zip(out.chunks_exact_mut(4))
        .enumerate()
    {
        let ([b0, b1, b2, b3], [q0, q1, q2, q3], [y0, y1, y2, y3]) = (b, q, o) else {
            continue;
        };
        let mut a = [*b0, *b1, *b2, *b3];
        for (ky, row) in wg.iter().enumerate() {
            for (kx, w) in row.iter().enumerate() {
                let t = ky * ROW + kx * COL + 4 * g;
                // SAFETY: `g < G` (the zip stops at `weights.len() == G`), `ky < KH`, `kx < KW`,
                // so `t + 4 <= (KH - 1) * ROW + (KW - 1) * COL + 4G`, and `4G = C`: the bound
                // checked above, so the four input bytes lie inside `window`. `read_unaligned`
                // needs no alignment.
                let x = unsafe { base.add(t).cast::<u32>().read_unaligned() }.to_le();
                // SAFETY: `w` is a reference to the tap's weight pair.
                a = unsafe { dw_tap4_w(a, x, w) };
            }
        }
        let [a0, a1, a2, a3] = a;
        *y0 = stage.put(a0, q0);
        *y1 = stage.put(a1, q1);
        *y2 = stage.put(a2, q2);
        *y3 = stage.put(a3, q3);
    }
}
