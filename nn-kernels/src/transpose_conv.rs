//! Transposed 2-D convolution, int8 activations, int8 per-channel weights, int32 bias
//! (TFLite `TRANSPOSE_CONV`; TFLM `reference_integer_ops::TransposeConv`).
//!
//! TFLM scatters: every input pixel adds `(x + input_offset) * w` into an int32 scratch copy of
//! the whole output at `in * stride - pad + k`, then each output element gets the bias, the
//! requantisation and the clamp. This kernel gathers instead, with no scratch buffer: output
//! row `oy` receives input row `iy` through filter row `ky` exactly when
//! `iy * stride_h - pad_top + ky = oy`, i.e. when `oy + pad_top - ky` is a non-negative multiple
//! of `stride_h` whose quotient is a row of the input (columns alike). Each output element sums
//! the same products as TFLM's scratch element, in int32 with wrapping (two's-complement sums
//! do not depend on the order), so the results are equal, not merely close.

use core::num::NonZeroUsize;

use crate::error::{check_len, check_shifts, product};
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::{clamp_i8, KernelError, KernelResult};

/// Every constant of one int8 transposed convolution. Layouts: input `[N, H, W, IC]`, filter
/// `[OC, KH, KW, IC]` (TFLite's order), bias `[OC]`, output `[N, OH, OW, OC]`. The output size
/// is given (TFLite's `output_shape` operand); the padding is TFLite's, computed on the host
/// from the output size as for a convolution of the output (`nn_dsl::shape::window`).
#[derive(Clone, Copy, Debug)]
pub struct TransposeConv2dParams<'a> {
    /// Batch size `N`.
    pub batches: usize,
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Input channels (also the filter's innermost dimension).
    pub input_c: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
    /// Output channels (number of filters).
    pub output_c: usize,
    /// Filter height.
    pub kernel_h: usize,
    /// Filter width.
    pub kernel_w: usize,
    /// Vertical stride (input rows are `stride_h` output rows apart).
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Rows cut from the top of the full (uncropped) result; below `kernel_h`.
    pub pad_top: usize,
    /// Columns cut from the left; below `kernel_w`.
    pub pad_left: usize,
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multiplier per output channel.
    pub output_multiplier: &'a [i32],
    /// Shift per output channel (positive: left).
    pub output_shift: &'a [i32],
    /// Lower clamp (fused activation and int8 range).
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// The taps of one output position along one axis: `(k, i)` pairs with filter index `k` and
/// input index `i` such that `i * stride - pad + k = out`. Starts at the smallest `k` with
/// `out + pad - k` a multiple of the stride; `k` grows by the stride, `i` falls by one.
#[derive(Clone, Copy, Debug)]
struct Taps {
    /// Next filter index.
    k: usize,
    /// `out + pad - k` for that `k` (a multiple of the stride while `k <= out + pad`).
    reach: usize,
    kernel: usize,
    input: usize,
    stride: NonZeroUsize,
}

impl Taps {
    fn new(out: usize, pad: usize, kernel: usize, input: usize, stride: NonZeroUsize) -> Self {
        // `out + pad` cannot overflow: the caller checked `output + pad` at entry.
        let reach = out.saturating_add(pad);
        let k = reach % stride;
        Taps {
            k,
            reach: reach - k,
            kernel,
            input,
            stride,
        }
    }
}

impl Iterator for Taps {
    /// `(filter index, input index)`.
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        loop {
            if self.k >= self.kernel {
                return None;
            }
            let (k, i) = (self.k, self.reach / self.stride);
            let stride = self.stride.get();
            // `reach` is a multiple of the stride: past 0 no later `k` reaches the input.
            let Some(reach) = self.reach.checked_sub(stride) else {
                self.k = self.kernel;
                return (i < self.input).then_some((k, i));
            };
            self.reach = reach;
            self.k = k.saturating_add(stride);
            if i < self.input {
                return Some((k, i));
            }
        }
    }
}

/// Run the transposed convolution. `bias` is optional, as in TFLite.
///
/// # Errors
/// [`KernelError`] when a slice length disagrees with the parameters, a stride or a kernel
/// dimension is 0, the padding is not below the kernel (TFLite's never is), or a shift is
/// outside `-31..=31`.
pub fn transpose_conv_s8(
    p: &TransposeConv2dParams<'_>,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
) -> KernelResult {
    let (Some(stride_h), Some(stride_w)) =
        (NonZeroUsize::new(p.stride_h), NonZeroUsize::new(p.stride_w))
    else {
        return Err(KernelError::Param("zero stride"));
    };
    if p.kernel_h == 0 || p.kernel_w == 0 {
        return Err(KernelError::Param("zero kernel size"));
    }
    if p.pad_top >= p.kernel_h || p.pad_left >= p.kernel_w {
        return Err(KernelError::Param(
            "padding must be smaller than the kernel",
        ));
    }
    if p.output_h.checked_add(p.pad_top).is_none() || p.output_w.checked_add(p.pad_left).is_none() {
        return Err(KernelError::Param("tensor size overflows usize"));
    }
    let ic = p.input_c;
    check_len(
        "input",
        product(&[p.batches, p.input_h, p.input_w, ic])?,
        input.len(),
    )?;
    check_len(
        "filter",
        product(&[p.output_c, p.kernel_h, p.kernel_w, ic])?,
        filter.len(),
    )?;
    check_len(
        "output",
        product(&[p.batches, p.output_h, p.output_w, p.output_c])?,
        output.len(),
    )?;
    if let Some(b) = bias {
        check_len("bias", p.output_c, b.len())?;
    }
    check_len("multiplier", p.output_c, p.output_multiplier.len())?;
    check_len("shift", p.output_c, p.output_shift.len())?;
    check_shifts(p.output_shift)?;

    // Every index below is bounded by a length checked above, so no product overflows.
    let filter_stride = p.kernel_h * p.kernel_w * ic;
    let image_len = p.input_h * p.input_w * ic;
    let mut out_iter = output.iter_mut();
    for b in 0..p.batches {
        let image = b * image_len;
        for oy in 0..p.output_h {
            for ox in 0..p.output_w {
                for oc in 0..p.output_c {
                    let mut acc: i32 = 0;
                    let f_base = oc * filter_stride;
                    for (ky, iy) in Taps::new(oy, p.pad_top, p.kernel_h, p.input_h, stride_h) {
                        for (kx, ix) in Taps::new(ox, p.pad_left, p.kernel_w, p.input_w, stride_w) {
                            let i_at = image + (iy * p.input_w + ix) * ic;
                            let f_at = f_base + (ky * p.kernel_w + kx) * ic;
                            let (Some(xs), Some(ws)) =
                                (input.get(i_at..i_at + ic), filter.get(f_at..f_at + ic))
                            else {
                                continue;
                            };
                            for (&x, &w) in xs.iter().zip(ws) {
                                acc = acc.wrapping_add(
                                    i32::from(x)
                                        .wrapping_add(p.input_offset)
                                        .wrapping_mul(i32::from(w)),
                                );
                            }
                        }
                    }
                    if let Some(&bv) = bias.and_then(|b| b.get(oc)) {
                        acc = acc.wrapping_add(bv);
                    }
                    let m = p.output_multiplier.get(oc).copied().unwrap_or(0);
                    let s = p.output_shift.get(oc).copied().unwrap_or(0);
                    let v =
                        multiply_by_quantized_multiplier(acc, m, s).wrapping_add(p.output_offset);
                    if let Some(o) = out_iter.next() {
                        *o = clamp_i8(v, p.act_min, p.act_max);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// TFLM's scatter formulation, written out for the tests: int32 scratch of the whole output.
    fn scatter(p: &TransposeConv2dParams<'_>, x: &[i8], w: &[i8], bias: Option<&[i32]>) -> Vec<i8> {
        let (oh, ow, oc, ic) = (p.output_h, p.output_w, p.output_c, p.input_c);
        let mut scratch = vec![0i32; p.batches * oh * ow * oc];
        for b in 0..p.batches {
            for iy in 0..p.input_h {
                for ix in 0..p.input_w {
                    for c in 0..ic {
                        for ky in 0..p.kernel_h {
                            for kx in 0..p.kernel_w {
                                let y = (iy * p.stride_h + ky) as isize - p.pad_top as isize;
                                let xx = (ix * p.stride_w + kx) as isize - p.pad_left as isize;
                                if y < 0 || xx < 0 || y >= oh as isize || xx >= ow as isize {
                                    continue;
                                }
                                for o in 0..oc {
                                    let xv = x[((b * p.input_h + iy) * p.input_w + ix) * ic + c];
                                    let wv = w[((o * p.kernel_h + ky) * p.kernel_w + kx) * ic + c];
                                    let at = ((b * oh + y as usize) * ow + xx as usize) * oc + o;
                                    scratch[at] = scratch[at].wrapping_add(
                                        (i32::from(xv) + p.input_offset) * i32::from(wv),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        scratch
            .iter()
            .enumerate()
            .map(|(i, &acc)| {
                let o = i % oc;
                let acc = acc.wrapping_add(bias.map_or(0, |b| b[o]));
                let v = multiply_by_quantized_multiplier(
                    acc,
                    p.output_multiplier[o],
                    p.output_shift[o],
                ) + p.output_offset;
                v.clamp(p.act_min, p.act_max) as i8
            })
            .collect()
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn i8(&mut self) -> i8 {
            self.next() as i8
        }
    }

    /// Random geometries (padding below the kernel, any output size) against the scatter form.
    #[test]
    fn gather_equals_scatter() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..400 {
            let (kh, kw) = (1 + rng.below(5), 1 + rng.below(5));
            let (sh, sw) = (1 + rng.below(3), 1 + rng.below(3));
            let (ih, iw) = (1 + rng.below(5), 1 + rng.below(5));
            let (ic, oc) = (1 + rng.below(4), 1 + rng.below(4));
            let (pt, pl) = (rng.below(kh), rng.below(kw));
            let oh = ((ih - 1) * sh + kh).saturating_sub(pt) + rng.below(3);
            let ow = ((iw - 1) * sw + kw).saturating_sub(pl) + rng.below(3);
            let batches = 1 + rng.below(2);
            let x: Vec<i8> = (0..batches * ih * iw * ic).map(|_| rng.i8()).collect();
            let w: Vec<i8> = (0..oc * kh * kw * ic).map(|_| rng.i8()).collect();
            let bias: Vec<i32> = (0..oc).map(|_| rng.next() as i32 >> 12).collect();
            let mult: Vec<i32> = (0..oc)
                .map(|_| (1 << 30) + (rng.next() as i32 >> 3).abs())
                .collect();
            let shift: Vec<i32> = (0..oc).map(|_| -(rng.below(12) as i32)).collect();
            let p = TransposeConv2dParams {
                batches,
                input_h: ih,
                input_w: iw,
                input_c: ic,
                output_h: oh,
                output_w: ow,
                output_c: oc,
                kernel_h: kh,
                kernel_w: kw,
                stride_h: sh,
                stride_w: sw,
                pad_top: pt,
                pad_left: pl,
                input_offset: i32::from(rng.i8()),
                output_offset: i32::from(rng.i8()),
                output_multiplier: &mult,
                output_shift: &shift,
                act_min: -128 + rng.below(20) as i32,
                act_max: 127 - rng.below(20) as i32,
            };
            let with_bias = rng.below(2) == 0;
            let b = with_bias.then_some(bias.as_slice());
            let mut got = vec![0i8; batches * oh * ow * oc];
            transpose_conv_s8(&p, &x, &w, b, &mut got).unwrap();
            assert_eq!(got, scatter(&p, &x, &w, b), "{p:?}");
        }
    }

    /// 1x2x2x1 input, 3x3 filter of ones, stride 2, SAME crop of 1 (output 4x4 of the 5x5 full
    /// result): each output sums the inputs whose 3x3 footprint covers it.
    #[test]
    fn hand_case_stride_2() {
        let input: [i8; 4] = [1, 2, 3, 4];
        let filter = [1i8; 9];
        let mut out = [0i8; 16];
        let p = TransposeConv2dParams {
            batches: 1,
            input_h: 2,
            input_w: 2,
            input_c: 1,
            output_h: 4,
            output_w: 4,
            output_c: 1,
            kernel_h: 3,
            kernel_w: 3,
            stride_h: 2,
            stride_w: 2,
            pad_top: 1,
            pad_left: 1,
            input_offset: 0,
            output_offset: 0,
            output_multiplier: &[1 << 30],
            output_shift: &[1],
            act_min: -128,
            act_max: 127,
        };
        transpose_conv_s8(&p, &input, &filter, None, &mut out).unwrap();
        // Full 5x5 result rows: [1,1,1+2,2,2], [1,1,3,2,2], [1+3,..], ...; cropped by 1 at the
        // top and left (and 0 at the bottom/right).
        #[rustfmt::skip]
        let want = [
            1, 3, 2, 2,
            4, 10, 6, 6,
            3, 7, 4, 4,
            3, 7, 4, 4,
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let base = TransposeConv2dParams {
            batches: 1,
            input_h: 1,
            input_w: 1,
            input_c: 1,
            output_h: 2,
            output_w: 2,
            output_c: 1,
            kernel_h: 2,
            kernel_w: 2,
            stride_h: 1,
            stride_w: 1,
            pad_top: 0,
            pad_left: 0,
            input_offset: 0,
            output_offset: 0,
            output_multiplier: &[1 << 30],
            output_shift: &[0],
            act_min: -128,
            act_max: 127,
        };
        let mut out = [0i8; 4];
        assert!(transpose_conv_s8(&base, &[1], &[1; 4], None, &mut out).is_ok());
        for p in [
            TransposeConv2dParams {
                stride_h: 0,
                ..base
            },
            TransposeConv2dParams {
                pad_left: 2,
                ..base
            },
            TransposeConv2dParams {
                output_h: usize::MAX,
                ..base
            },
        ] {
            assert!(matches!(
                transpose_conv_s8(&p, &[1], &[1; 4], None, &mut out),
                Err(KernelError::Param(_))
            ));
        }
        assert!(matches!(
            transpose_conv_s8(&base, &[1], &[1; 3], None, &mut out),
            Err(KernelError::Length {
                operand: "filter",
                ..
            })
        ));
    }
}
