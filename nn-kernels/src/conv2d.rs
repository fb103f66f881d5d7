//! 2-D convolution, int8 activations, int8 per-channel weights, int32 bias
//! (TFLite `CONV_2D`; TFLM `reference_integer_ops::ConvPerChannel`).

use crate::error::{check_len, product};
use crate::scheme::{Scheme, S16, S8};
use crate::{Act, KernelError, KernelResult};

/// Every constant of one int8 convolution. Layouts: input `[N, H, W, C]`, filter
/// `[OC, KH, KW, C]`, bias `[OC]`, output `[N, OH, OW, OC]`.
#[derive(Clone, Copy, Debug)]
pub struct Conv2dParams<'a> {
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
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical dilation.
    pub dilation_h: usize,
    /// Horizontal dilation.
    pub dilation_w: usize,
    /// Padding rows before the data (taps there are skipped, not multiplied by a zero point).
    pub pad_top: usize,
    /// Padding columns before the data.
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

/// Run the convolution. `bias` is optional, as in TFLite.
///
/// # Errors
/// [`KernelError`] when a slice length disagrees with the parameters or a stride/dilation is 0.
pub fn conv2d_s8(
    p: &Conv2dParams<'_>,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
) -> KernelResult {
    conv2d_grouped_s8(p, 1, input, filter, bias, output)
}

/// Run a grouped convolution (TFLM's reference `Conv` with `groups = input_c / filter_c`): the
/// input channels and the filters are split into `groups` equal parts, and filter `oc` reads
/// only the `input_c / groups` channels of group `oc / (output_c / groups)`. The filter is
/// `[output_c, kernel_h, kernel_w, input_c / groups]`. `groups = 1` is [`conv2d_s8`].
///
/// # Errors
/// As [`conv2d_s8`]; also [`KernelError::Param`] when `groups` is 0 or does not divide both
/// `input_c` and `output_c`.
pub fn conv2d_grouped_s8(
    p: &Conv2dParams<'_>,
    groups: usize,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
) -> KernelResult {
    conv2d_grouped::<S8>(p, groups, input, filter, bias, output)
}

/// Run a grouped convolution on int16 activations (TFLite's 16x8 scheme; TFLM's int16
/// `ConvPerChannel` with an int64 bias): the products summed in 64 bits, the bias added, and
/// the 64-bit `MultiplyByQuantizedMultiplier`. Zero points are 0, so `input_offset` and
/// `output_offset` must be 0. `groups = 1` is a plain convolution.
///
/// # Errors
/// As [`conv2d_grouped_s8`]; also [`KernelError::Param`] for a non-zero offset or a shift
/// outside `-31..=14`.
pub fn conv2d_grouped_s16(
    p: &Conv2dParams<'_>,
    groups: usize,
    input: &[i16],
    filter: &[i8],
    bias: Option<&[i64]>,
    output: &mut [i16],
) -> KernelResult {
    conv2d_grouped::<S16>(p, groups, input, filter, bias, output)
}

fn conv2d_grouped<S: Scheme>(
    p: &Conv2dParams<'_>,
    groups: usize,
    input: &[S::X],
    filter: &[i8],
    bias: Option<&[S::Acc]>,
    output: &mut [S::X],
) -> KernelResult {
    if p.stride_h == 0 || p.stride_w == 0 || p.dilation_h == 0 || p.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if groups == 0 || !p.input_c.is_multiple_of(groups) || !p.output_c.is_multiple_of(groups) {
        return Err(KernelError::Param(
            "groups must divide the input and output channels",
        ));
    }
    // Input channels per group (the filter's innermost dimension) and filters per group.
    let fc = p.input_c / groups;
    let per_group = p.output_c / groups;
    let ic = p.input_c;
    check_len(
        "input",
        product(&[p.batches, p.input_h, p.input_w, ic])?,
        input.len(),
    )?;
    check_len(
        "filter",
        product(&[p.output_c, p.kernel_h, p.kernel_w, fc])?,
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
    S::check(&[p.input_offset, p.output_offset], p.output_shift)?;

    let filter_stride = p.kernel_h * p.kernel_w * fc;
    let mut out_iter = output.iter_mut();
    for b in 0..p.batches {
        let image = b * p.input_h * p.input_w * ic;
        for oy in 0..p.output_h {
            let y0 = (oy * p.stride_h) as isize - p.pad_top as isize;
            for ox in 0..p.output_w {
                let x0 = (ox * p.stride_w) as isize - p.pad_left as isize;
                for oc in 0..p.output_c {
                    let mut acc = S::Acc::default();
                    let f_base = oc * filter_stride;
                    let channel0 = (oc / per_group.max(1)) * fc;
                    for ky in 0..p.kernel_h {
                        let iy = y0 + (ky * p.dilation_h) as isize;
                        if iy < 0 || iy >= p.input_h as isize {
                            continue;
                        }
                        for kx in 0..p.kernel_w {
                            let ix = x0 + (kx * p.dilation_w) as isize;
                            if ix < 0 || ix >= p.input_w as isize {
                                continue;
                            }
                            let i_at =
                                image + (iy as usize * p.input_w + ix as usize) * ic + channel0;
                            let f_at = f_base + (ky * p.kernel_w + kx) * fc;
                            let (Some(xs), Some(ws)) =
                                (input.get(i_at..i_at + fc), filter.get(f_at..f_at + fc))
                            else {
                                continue;
                            };
                            for (&x, &w) in xs.iter().zip(ws) {
                                acc = S::mac(acc, x, p.input_offset, i32::from(w));
                            }
                        }
                    }
                    if let Some(&bv) = bias.and_then(|b| b.get(oc)) {
                        acc = S::add(acc, bv);
                    }
                    let m = p.output_multiplier.get(oc).copied().unwrap_or(0);
                    let s = p.output_shift.get(oc).copied().unwrap_or(0);
                    let v = S::requantize(acc, m, s).wrapping_add(p.output_offset);
                    if let Some(o) = out_iter.next() {
                        *o = S::X::narrow(v, p.act_min, p.act_max);
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

    /// 1x3x3x1 input, one 2x2 filter of ones, VALID, stride 1, multiplier 0.5 (2^30, shift 0):
    /// each output is half the sum of a 2x2 window of (x + 1) (input zero point -1).
    #[test]
    fn hand_case_valid() {
        let input: [i8; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        let filter = [1i8; 4];
        let mut out = [0i8; 4];
        let p = Conv2dParams {
            batches: 1,
            input_h: 3,
            input_w: 3,
            input_c: 1,
            output_h: 2,
            output_w: 2,
            output_c: 1,
            kernel_h: 2,
            kernel_w: 2,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 0,
            pad_left: 0,
            input_offset: 1,
            output_offset: 3,
            output_multiplier: &[1 << 30],
            output_shift: &[0],
            act_min: -128,
            act_max: 127,
        };
        conv2d_s8(&p, &input, &filter, Some(&[2]), &mut out).unwrap();
        // window sums of x+1: (2+3+5+6)=16, (3+4+6+7)=20, (5+6+8+9)=28, (6+7+9+10)=32;
        // +bias 2 -> 18, 22, 30, 34; * 0.5 -> 9, 11, 15, 17; + 3.
        assert_eq!(out, [12, 14, 18, 20]);
    }

    /// SAME padding with a pad row/column before: padded taps are skipped, not taken as zero
    /// point. Input zero point 5 (offset -5), input all 5 => every real tap contributes 0.
    #[test]
    fn padded_taps_are_skipped() {
        let input = [5i8; 4];
        let filter = [1i8; 9];
        let mut out = [0i8; 4];
        let p = Conv2dParams {
            batches: 1,
            input_h: 2,
            input_w: 2,
            input_c: 1,
            output_h: 2,
            output_w: 2,
            output_c: 1,
            kernel_h: 3,
            kernel_w: 3,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 1,
            pad_left: 1,
            input_offset: -5,
            output_offset: 0,
            output_multiplier: &[1 << 30],
            output_shift: &[1],
            act_min: -128,
            act_max: 127,
        };
        conv2d_s8(&p, &input, &filter, None, &mut out).unwrap();
        assert_eq!(out, [0; 4]);
    }

    #[test]
    fn wrong_length_is_an_error() {
        let p = Conv2dParams {
            batches: 1,
            input_h: 2,
            input_w: 2,
            input_c: 1,
            output_h: 1,
            output_w: 1,
            output_c: 1,
            kernel_h: 2,
            kernel_w: 2,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 0,
            pad_left: 0,
            input_offset: 0,
            output_offset: 0,
            output_multiplier: &[1 << 30],
            output_shift: &[0],
            act_min: -128,
            act_max: 127,
        };
        let mut out = [0i8; 1];
        assert!(matches!(
            conv2d_s8(&p, &[0; 3], &[0; 4], None, &mut out),
            Err(KernelError::Length {
                operand: "input",
                ..
            })
        ));
    }
}
