//! 2-D convolution (TFLite `CONV_2D`, int8, per-channel weights) as a matrix multiply over
//! im2col columns: for each pair of output pixels the kernel gathers the two receptive fields,
//! widened to int16 pairs (padded taps take the input zero point), then a 2x2 register block
//! (two pixels, two output channels) accumulates with `SMLAD` against weights the compiler
//! pre-widened at build time. A 1x1 convolution is the same with a one-tap gather.

use super::dsp::{pkhbt16, pkhtb16, smlad, smlad_2x2, sxtb16, sxtb16_ror8, word};
use super::pack::pair;
use super::{check_act, check_rq, finish, Rq};
use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// The run-time constants of one convolution whose channel counts are const generics of
/// [`conv_s8`]. Layouts: input `[H, W, IC]`, output `[OH, OW, OC]`.
#[derive(Clone, Copy, Debug)]
pub struct ConvSpec<'a, const OC: usize> {
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
    /// The input zero point: the value a padded tap reads (it contributes nothing, see
    /// [`super::pack::fold_bias`]).
    pub pad_value: i8,
    /// Output zero point.
    pub output_offset: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
    /// Bias with the input zero point folded in, per output channel.
    pub bias: &'a [i32; OC],
    /// Requantisation per output channel.
    pub rq: &'a [Rq; OC],
}

/// Runs the convolution. `IC`: input channels; `OC`: output channels; `W`: words per packed
/// filter row (`ceil(kernel_h * kernel_w * IC / 2)`); `weights[oc]` is filter `oc` in
/// `[KH, KW, IC]` order widened to int16 pairs ([`super::pack::pack_pairs`]).
///
/// # Errors
/// [`KernelError`] when a length disagrees with the spec, `W` does not fit the filter, a stride
/// or dilation is 0, or a requantisation constant is out of range.
pub fn conv_s8<const IC: usize, const OC: usize, const W: usize>(
    s: &ConvSpec<'_, OC>,
    input: &[i8],
    weights: &[[u32; W]; OC],
    output: &mut [i8],
) -> KernelResult {
    if s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if IC == 0 || OC == 0 || super::pack::words(product(&[s.kernel_h, s.kernel_w, IC])?) != W {
        return Err(KernelError::Param("packed filter row length"));
    }
    check_len("input", product(&[s.input_h, s.input_w, IC])?, input.len())?;
    check_len(
        "output",
        product(&[s.output_h, s.output_w, OC])?,
        output.len(),
    )?;
    check_rq(s.rq)?;
    check_act(s.act_min, s.act_max)?;

    let pixels = s.output_h * s.output_w;
    let mut col0 = [0u32; W];
    let mut col1 = [0u32; W];
    let mut outs = output.chunks_exact_mut(OC);
    let mut at = Walk::default();
    let mut left = pixels;
    while left >= 2 {
        gather::<IC, OC, W>(s, input, at, &mut col0);
        at.step(s.output_w);
        gather::<IC, OC, W>(s, input, at, &mut col1);
        at.step(s.output_w);
        let (Some(o0), Some(o1)) = (outs.next(), outs.next()) else {
            break;
        };
        block2::<OC, W>(s, &col0, &col1, weights, o0, o1);
        left -= 2;
    }
    if left == 1 {
        gather::<IC, OC, W>(s, input, at, &mut col0);
        if let Some(o0) = outs.next() {
            block1::<OC, W>(s, &col0, weights, o0);
        }
    }
    Ok(())
}

/// The output pixel being gathered.
#[derive(Clone, Copy, Debug, Default)]
struct Walk {
    oy: usize,
    ox: usize,
}

impl Walk {
    #[inline(always)]
    fn step(&mut self, width: usize) {
        self.ox += 1;
        if self.ox == width {
            self.ox = 0;
            self.oy += 1;
        }
    }
}

/// The receptive field of output pixel `at` as int16 pairs in `[KH, KW, IC]` order; padded taps
/// read `pad_value`. The words past the field keep their zeros.
#[inline(always)]
fn gather<const IC: usize, const OC: usize, const W: usize>(
    s: &ConvSpec<'_, OC>,
    input: &[i8],
    at: Walk,
    col: &mut [u32; W],
) {
    let y0 = (at.oy * s.stride_h) as isize - s.pad_top as isize;
    let x0 = (at.ox * s.stride_w) as isize - s.pad_left as isize;
    let pad = s.pad_value;
    let mut e = 0usize; // element index of the current tap's first channel
    for ky in 0..s.kernel_h {
        let iy = y0 + (ky * s.dilation_h) as isize;
        let row_in = iy >= 0 && (iy as usize) < s.input_h;
        for kx in 0..s.kernel_w {
            let ix = x0 + (kx * s.dilation_w) as isize;
            let src = if row_in && ix >= 0 && (ix as usize) < s.input_w {
                let i = (iy as usize * s.input_w + ix as usize) * IC;
                input.get(i..i + IC)
            } else {
                None
            };
            put_tap::<IC, W>(col, e, src, pad);
            e += IC;
        }
    }
}

/// Writes one tap's `IC` values (or `IC` copies of `pad`) at element `e` of `col`.
#[inline(always)]
fn put_tap<const IC: usize, const W: usize>(
    col: &mut [u32; W],
    e: usize,
    src: Option<&[i8]>,
    pad: i8,
) {
    if IC.is_multiple_of(2) {
        // `e` is even: whole words.
        let Some(dst) = col.get_mut(e / 2..e / 2 + IC / 2) else {
            return;
        };
        match src {
            Some(src) if IC.is_multiple_of(4) => {
                for (d, q) in dst.chunks_exact_mut(2).zip(src.chunks_exact(4)) {
                    if let ([d0, d1], &[q0, q1, q2, q3]) = (d, q) {
                        let x = word([q0, q1, q2, q3]);
                        let (even, odd) = (sxtb16(x), sxtb16_ror8(x));
                        *d0 = pkhbt16(even, odd);
                        *d1 = pkhtb16(even, odd);
                    }
                }
            }
            Some(src) => {
                for (d, q) in dst.iter_mut().zip(src.chunks_exact(2)) {
                    if let &[q0, q1] = q {
                        *d = pair(i16::from(q0), i16::from(q1));
                    }
                }
            }
            None => dst.fill(pair(i16::from(pad), i16::from(pad))),
        }
    } else {
        for c in 0..IC {
            let v = match src {
                Some(src) => src.get(c).copied().unwrap_or(pad),
                None => pad,
            };
            let i = e + c;
            if let Some(w) = col.get_mut(i / 2) {
                let v = u32::from(i16::from(v) as u16);
                *w = if i.is_multiple_of(2) {
                    (*w & 0xFFFF_0000) | v
                } else {
                    (*w & 0x0000_FFFF) | (v << 16)
                };
            }
        }
    }
}

/// Two pixels times every output channel, two channels at a time.
#[inline(always)]
fn block2<const OC: usize, const W: usize>(
    s: &ConvSpec<'_, OC>,
    col0: &[u32; W],
    col1: &[u32; W],
    weights: &[[u32; W]; OC],
    o0: &mut [i8],
    o1: &mut [i8],
) {
    let (min, max, off) = (s.act_min, s.act_max, s.output_offset);
    let mut w_pairs = weights.chunks_exact(2);
    let mut b_pairs = s.bias.chunks_exact(2);
    let mut q_pairs = s.rq.chunks_exact(2);
    let mut o0_pairs = o0.chunks_exact_mut(2);
    let mut o1_pairs = o1.chunks_exact_mut(2);
    for ((((w, b), q), p0), p1) in (&mut w_pairs)
        .zip(&mut b_pairs)
        .zip(&mut q_pairs)
        .zip(&mut o0_pairs)
        .zip(&mut o1_pairs)
    {
        let ([w0, w1], [b0, b1], [q0, q1], [y00, y01], [y10, y11]) = (w, b, q, p0, p1) else {
            continue;
        };
        let [a00, a01, a10, a11] = dot2x2(col0, col1, w0, w1, [*b0, *b1, *b0, *b1]);
        *y00 = finish(a00, *q0, off, min, max);
        *y01 = finish(a01, *q1, off, min, max);
        *y10 = finish(a10, *q0, off, min, max);
        *y11 = finish(a11, *q1, off, min, max);
    }
    // An odd last channel.
    if let ([w0], [b0], [q0], [y0], [y1]) = (
        w_pairs.remainder(),
        b_pairs.remainder(),
        q_pairs.remainder(),
        o0_pairs.into_remainder(),
        o1_pairs.into_remainder(),
    ) {
        let (mut a0, mut a1) = (*b0, *b0);
        for ((x0, x1), k0) in col0.iter().zip(col1).zip(w0) {
            a0 = smlad(*x0, *k0, a0);
            a1 = smlad(*x1, *k0, a1);
        }
        *y0 = finish(a0, *q0, off, min, max);
        *y1 = finish(a1, *q0, off, min, max);
    }
}

/// One pixel times every output channel.
#[inline(always)]
fn block1<const OC: usize, const W: usize>(
    s: &ConvSpec<'_, OC>,
    col0: &[u32; W],
    weights: &[[u32; W]; OC],
    o0: &mut [i8],
) {
    let (min, max, off) = (s.act_min, s.act_max, s.output_offset);
    for (((w0, b0), q0), y0) in weights.iter().zip(s.bias).zip(s.rq).zip(o0) {
        let mut a0 = *b0;
        for (x0, k0) in col0.iter().zip(w0) {
            a0 = smlad(*x0, *k0, a0);
        }
        *y0 = finish(a0, *q0, off, min, max);
    }
}

/// The four dot products of two columns with two filter rows, added to `acc` (`[x0.k0, x0.k1,
/// x1.k0, x1.k1]`), two words per step so that each operand streams through double-word loads.
#[inline(always)]
fn dot2x2(x0: &[u32], x1: &[u32], k0: &[u32], k1: &[u32], acc: [i32; 4]) -> [i32; 4] {
    let mut a = acc;
    let (x0c, x0r) = x0.as_chunks::<2>();
    let (x1c, x1r) = x1.as_chunks::<2>();
    let (k0c, k0r) = k0.as_chunks::<2>();
    let (k1c, k1r) = k1.as_chunks::<2>();
    for (((x0, x1), k0), k1) in x0c.iter().zip(x1c).zip(k0c).zip(k1c) {
        smlad_2x2(&mut a, x0[0], x1[0], k0[0], k1[0]);
        smlad_2x2(&mut a, x0[1], x1[1], k0[1], k1[1]);
    }
    for (((x0, x1), k0), k1) in x0r.iter().zip(x1r).zip(k0r).zip(k1r) {
        smlad_2x2(&mut a, *x0, *x1, *k0, *k1);
    }
    a
}
