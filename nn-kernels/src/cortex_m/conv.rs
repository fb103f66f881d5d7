//! 2-D convolution (TFLite `CONV_2D`, int8, per-channel weights) as a matrix multiply over
//! im2col columns: for each pair of output pixels the kernel gathers the two receptive fields,
//! widened to int16 pairs (padded taps take the input zero point) and interleaved word by word,
//! then a 2x2 register block (two pixels, two output channels) accumulates with `SMLAD` against
//! weights the compiler pre-widened and interleaved the same way at build time
//! ([`super::pack::pack_conv`]), so each step is two `LDRD`s and four `SMLAD`s. A 1x1
//! convolution is the same with a one-tap gather.

use super::dsp::{dot_2x2, pkhbt16, pkhtb16, sxtb16, sxtb16_ror8, word};
use super::pack::pair;
use super::{check_act, check_rq, Out, Rq};
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
/// filter row (`ceil(kernel_h * kernel_w * IC / 2)`); `OP = ceil(OC / 2)`: filter pairs;
/// `weights` as [`super::pack::pack_conv`] lays them out.
///
/// # Errors
/// [`KernelError`] when a length disagrees with the spec, `W` or `OP` does not fit, a stride or
/// dilation is 0, or a requantisation constant is out of range.
pub fn conv_s8<const IC: usize, const OC: usize, const W: usize, const OP: usize>(
    s: &ConvSpec<'_, OC>,
    input: &[i8],
    weights: &[[[u32; 2]; W]; OP],
    output: &mut [i8],
) -> KernelResult {
    if s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if IC == 0
        || OC == 0
        || OP != OC.div_ceil(2)
        || super::pack::words(product(&[s.kernel_h, s.kernel_w, IC])?) != W
    {
        return Err(KernelError::Param("packed filter sizes"));
    }
    check_len("input", product(&[s.input_h, s.input_w, IC])?, input.len())?;
    check_len(
        "output",
        product(&[s.output_h, s.output_w, OC])?,
        output.len(),
    )?;
    check_rq(s.rq)?;
    check_act(s.act_min, s.act_max)?;

    let (out, _) = Out::new(s.rq, s.output_offset, s.act_min, s.act_max);
    pixels::<IC, OC, W, OP>(s, input, weights, output, out);
    Ok(())
}

/// Every output pixel, two at a time.
#[inline(always)]
fn pixels<const IC: usize, const OC: usize, const W: usize, const OP: usize>(
    s: &ConvSpec<'_, OC>,
    input: &[i8],
    weights: &[[[u32; 2]; W]; OP],
    output: &mut [i8],
    out: Out,
) {
    // Two im2col columns, word-interleaved: `cols[j] = [pixel 0 word j, pixel 1 word j]`.
    let mut cols = [[0u32; 2]; W];
    let mut outs = output.chunks_exact_mut(OC);
    let mut at = Walk::default();
    let mut left = s.output_h * s.output_w;
    while left >= 2 {
        gather::<IC, OC, W>(s, input, at, &mut cols, 0);
        at.step(s.output_w);
        gather::<IC, OC, W>(s, input, at, &mut cols, 1);
        at.step(s.output_w);
        let (Some(o0), Some(o1)) = (outs.next(), outs.next()) else {
            break;
        };
        block::<OC, W, OP>(s, out, &cols, weights, o0, Some(o1));
        left -= 2;
    }
    if left == 1 {
        gather::<IC, OC, W>(s, input, at, &mut cols, 0);
        if let Some(o0) = outs.next() {
            block::<OC, W, OP>(s, out, &cols, weights, o0, None);
        }
    }
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

/// The receptive field of output pixel `at` as int16 pairs in `[KH, KW, IC]` order, into lane
/// `lane` of `cols`; padded taps read `pad_value`. The words past the field keep their zeros.
#[inline(always)]
fn gather<const IC: usize, const OC: usize, const W: usize>(
    s: &ConvSpec<'_, OC>,
    input: &[i8],
    at: Walk,
    cols: &mut [[u32; 2]; W],
    lane: usize,
) {
    let y0 = (at.oy * s.stride_h) as isize - s.pad_top as isize;
    let x0 = (at.ox * s.stride_w) as isize - s.pad_left as isize;
    let pad = s.pad_value;
    if !IC.is_multiple_of(2) {
        gather_odd::<IC, OC, W>(s, input, (y0, x0), cols, lane);
        return;
    }
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
            put_tap::<IC, W>(cols, lane, e, src, pad);
            e += IC;
        }
    }
}

/// [`gather`] for an odd channel count (first layers: 1 or 3 channels), where taps do not start
/// on word boundaries: the field is first copied as bytes (a whole filter row at once when it
/// lies inside the input), then widened four bytes at a time into the lane.
#[inline(always)]
fn gather_odd<const IC: usize, const OC: usize, const W: usize>(
    s: &ConvSpec<'_, OC>,
    input: &[i8],
    (y0, x0): (isize, isize),
    cols: &mut [[u32; 2]; W],
    lane: usize,
) {
    let mut bytes = [[0i8; 2]; W];
    let patch = bytes.as_flattened_mut();
    let pad = s.pad_value;
    let row_len = s.kernel_w * IC;
    let cols_in = x0 >= 0 && x0 as usize + (s.kernel_w - 1) * s.dilation_w < s.input_w;
    for ky in 0..s.kernel_h {
        let iy = y0 + (ky * s.dilation_h) as isize;
        let row_in = iy >= 0 && (iy as usize) < s.input_h;
        let e = ky * row_len;
        let Some(dst) = patch.get_mut(e..e + row_len) else {
            return;
        };
        if row_in && cols_in && s.dilation_w == 1 {
            let i = (iy as usize * s.input_w + x0 as usize) * IC;
            match input.get(i..i + row_len) {
                Some(src) => dst.copy_from_slice(src),
                None => dst.fill(pad),
            }
            continue;
        }
        for (kx, d) in dst.chunks_exact_mut(IC).enumerate() {
            let ix = x0 + (kx * s.dilation_w) as isize;
            let src = if row_in && ix >= 0 && (ix as usize) < s.input_w {
                let i = (iy as usize * s.input_w + ix as usize) * IC;
                input.get(i..i + IC)
            } else {
                None
            };
            match src {
                Some(src) => d.copy_from_slice(src),
                None => d.fill(pad),
            }
        }
    }
    // Bytes past the field are zeros; widen them with the rest.
    let (quads, rest) = patch.as_chunks::<4>();
    let mut dst = cols.chunks_exact_mut(2);
    for (d, &[b0, b1, b2, b3]) in (&mut dst).zip(quads) {
        let x = word([b0, b1, b2, b3]);
        let (even, odd) = (sxtb16(x), sxtb16_ror8(x));
        if let [d0, d1] = d {
            if let (Some(d0), Some(d1)) = (d0.get_mut(lane), d1.get_mut(lane)) {
                *d0 = pkhbt16(even, odd);
                *d1 = pkhtb16(even, odd);
            }
        }
    }
    if let (Some(d), &[b0, b1]) = (dst.into_remainder().first_mut(), rest) {
        if let Some(d) = d.get_mut(lane) {
            *d = pair(i16::from(b0), i16::from(b1));
        }
    }
}

/// Writes one tap's `IC` values (or `IC` copies of `pad`) at element `e` of lane `lane`.
#[inline(always)]
fn put_tap<const IC: usize, const W: usize>(
    cols: &mut [[u32; 2]; W],
    lane: usize,
    e: usize,
    src: Option<&[i8]>,
    pad: i8,
) {
    if IC.is_multiple_of(2) {
        // `e` is even: whole words.
        let Some(dst) = cols.get_mut(e / 2..e / 2 + IC / 2) else {
            return;
        };
        match src {
            Some(src) if IC.is_multiple_of(4) => {
                for (d, q) in dst.chunks_exact_mut(2).zip(src.chunks_exact(4)) {
                    if let ([d0, d1], &[q0, q1, q2, q3]) = (d, q) {
                        let x = word([q0, q1, q2, q3]);
                        let (even, odd) = (sxtb16(x), sxtb16_ror8(x));
                        if let (Some(d0), Some(d1)) = (d0.get_mut(lane), d1.get_mut(lane)) {
                            *d0 = pkhbt16(even, odd);
                            *d1 = pkhtb16(even, odd);
                        }
                    }
                }
            }
            Some(src) => {
                for (d, q) in dst.iter_mut().zip(src.chunks_exact(2)) {
                    if let (Some(d), &[q0, q1]) = (d.get_mut(lane), q) {
                        *d = pair(i16::from(q0), i16::from(q1));
                    }
                }
            }
            None => {
                for d in dst.iter_mut() {
                    if let Some(d) = d.get_mut(lane) {
                        *d = pair(i16::from(pad), i16::from(pad));
                    }
                }
            }
        }
    } else {
        for c in 0..IC {
            let v = match src {
                Some(src) => src.get(c).copied().unwrap_or(pad),
                None => pad,
            };
            let i = e + c;
            if let Some(w) = cols.get_mut(i / 2).and_then(|p| p.get_mut(lane)) {
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

/// Every output channel of pixel 0 (`o0`) and, if given, pixel 1 (`o1`), two channels at a
/// time. Without `o1` the second lane's results are discarded.
#[inline(always)]
fn block<const OC: usize, const W: usize, const OP: usize>(
    s: &ConvSpec<'_, OC>,
    out: Out,
    cols: &[[u32; 2]; W],
    weights: &[[[u32; 2]; W]; OP],
    o0: &mut [i8],
    o1: Option<&mut [i8]>,
) {
    let mut spare = [0i8; OC];
    let (o1, two) = match o1 {
        Some(o1) => (o1, true),
        None => (&mut spare[..], false),
    };
    let mut b2 = s.bias.chunks_exact(2);
    let mut q2 = s.rq.chunks_exact(2);
    let mut y0 = o0.chunks_exact_mut(2);
    let mut y1 = o1.chunks_exact_mut(2);
    let mut ks = weights.iter();
    // The channel pairs run out first (an odd channel is left in the remainders), so they
    // lead the zip: `ks` is not advanced past the last full pair.
    for ((((b, q), y0), y1), k) in (&mut b2)
        .zip(&mut q2)
        .zip(&mut y0)
        .zip(&mut y1)
        .zip(&mut ks)
    {
        let ([b0, b1], [q0, q1], [y00, y01], [y10, y11]) = (b, q, y0, y1) else {
            continue;
        };
        // The requantisation constants are read after the loop (by reference), so they are
        // not held in registers across it.
        let a = dot_2x2([*b0, *b1, *b0, *b1], cols, k);
        *y00 = out.put(a[0], q0);
        *y01 = out.put(a[1], q1);
        if two {
            *y10 = out.put(a[2], q0);
            *y11 = out.put(a[3], q1);
        }
    }
    // An odd last channel: its pair's second filter is zeros.
    if let (Some(k), [b0], [q0], [y00], [y10]) = (
        ks.next(),
        b2.remainder(),
        q2.remainder(),
        y0.into_remainder(),
        y1.into_remainder(),
    ) {
        let a = dot_2x2([*b0, 0, *b0, 0], cols, k);
        *y00 = out.put(a[0], q0);
        if two {
            *y10 = out.put(a[2], q0);
        }
    }
}
