//! Depthwise convolution (TFLite `DEPTHWISE_CONV_2D`, int8, depth multiplier 1) four channels at
//! a time: one word load brings four input channels of a tap, `SXTB16` splits them into the
//! even and odd channels as int16, and `SMLABB`/`SMLATT` multiply each half by its channel's
//! weight, pre-widened and paired the same way at build time. Pixels whose window lies inside
//! the input take a path without padding checks; border pixels read the input zero point for
//! padded taps.

use super::dsp::{smlabb, smlatt, sxtb16, sxtb16_ror8, word};
use super::{check_act, check_rq, finish, Rq};
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
/// filter size; `weights` as [`super::pack::pack_depthwise`] lays them out.
///
/// # Errors
/// [`KernelError`] when a length disagrees with the spec, `G * 4 != C`, a stride or dilation is
/// 0, or a requantisation constant is out of range.
pub fn depthwise_s8<const C: usize, const G: usize, const KH: usize, const KW: usize>(
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
    check_len("input", product(&[s.input_h, s.input_w, C])?, input.len())?;
    check_len(
        "output",
        product(&[s.output_h, s.output_w, C])?,
        output.len(),
    )?;
    check_rq(s.rq)?;
    check_act(s.act_min, s.act_max)?;
    let pad = word([s.pad_value; 4]);
    let (min, max, off) = (s.act_min, s.act_max, s.output_offset);
    let span_h = (KH - 1) * s.dilation_h;
    let span_w = (KW - 1) * s.dilation_w;
    let mut outs = output.chunks_exact_mut(C);
    for oy in 0..s.output_h {
        let y0 = (oy * s.stride_h) as isize - s.pad_top as isize;
        let rows_in = y0 >= 0 && y0 as usize + span_h < s.input_h;
        for ox in 0..s.output_w {
            let x0 = (ox * s.stride_w) as isize - s.pad_left as isize;
            let Some(out) = outs.next() else {
                return Ok(());
            };
            let inside = rows_in && x0 >= 0 && x0 as usize + span_w < s.input_w;
            // The word of channels 4g..4g+4 at tap (ky, kx), or the padding word.
            let load = |ky: usize, kx: usize, g: usize| -> u32 {
                let iy = y0 + (ky * s.dilation_h) as isize;
                let ix = x0 + (kx * s.dilation_w) as isize;
                if !inside
                    && (iy < 0 || iy as usize >= s.input_h || ix < 0 || ix as usize >= s.input_w)
                {
                    return pad;
                }
                let i = (iy as usize * s.input_w + ix as usize) * C + 4 * g;
                match input.get(i..i + 4) {
                    Some(&[a, b, c, d]) => word([a, b, c, d]),
                    _ => pad,
                }
            };
            for (g, ((((wg, b), q), o), _)) in weights
                .iter()
                .zip(s.bias.chunks_exact(4))
                .zip(s.rq.chunks_exact(4))
                .zip(out.chunks_exact_mut(4))
                .zip(0..G)
                .enumerate()
            {
                let (&[b0, b1, b2, b3], &[q0, q1, q2, q3], [y0_, y1_, y2_, y3_]) = (b, q, o) else {
                    continue;
                };
                let (mut a0, mut a1, mut a2, mut a3) = (b0, b1, b2, b3);
                for (ky, wrow) in wg.iter().enumerate() {
                    for (kx, &[w02, w13]) in wrow.iter().enumerate() {
                        let x = load(ky, kx, g);
                        let (x02, x13) = (sxtb16(x), sxtb16_ror8(x));
                        a0 = smlabb(x02, w02, a0);
                        a2 = smlatt(x02, w02, a2);
                        a1 = smlabb(x13, w13, a1);
                        a3 = smlatt(x13, w13, a3);
                    }
                }
                *y0_ = finish(a0, q0, off, min, max);
                *y1_ = finish(a1, q1, off, min, max);
                *y2_ = finish(a2, q2, off, min, max);
                *y3_ = finish(a3, q3, off, min, max);
            }
        }
    }
    Ok(())
}
