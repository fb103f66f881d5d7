//! Depthwise 2-D convolution with a depth multiplier, int8 per-channel
//! (TFLite `DEPTHWISE_CONV_2D`; TFLM `reference_integer_ops::DepthwiseConvPerChannel`).

use crate::error::{check_len, product};
use crate::scheme::{Scheme, S16, S8};
use crate::{Act, KernelError, KernelResult};

/// Every constant of one int8 depthwise convolution. Layouts: input `[N, H, W, C]`, filter
/// `[1, KH, KW, C * M]`, bias `[C * M]`, output `[N, OH, OW, C * M]`; output channel
/// `c * M + m` reads input channel `c`.
#[derive(Clone, Copy, Debug)]
pub struct DepthwiseConv2dParams<'a> {
    /// Batch size.
    pub batches: usize,
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Input channels `C`.
    pub input_c: usize,
    /// Depth multiplier `M` (output channels = `C * M`).
    pub depth_multiplier: usize,
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
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multiplier per output channel.
    pub output_multiplier: &'a [i32],
    /// Shift per output channel.
    pub output_shift: &'a [i32],
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

/// Run the depthwise convolution.
///
/// # Errors
/// [`KernelError`] on a slice length that disagrees with the parameters, or a zero
/// stride/dilation.
pub fn depthwise_conv2d_s8(
    p: &DepthwiseConv2dParams<'_>,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
) -> KernelResult {
    depthwise_conv2d::<S8>(p, input, filter, bias, output)
}

/// Run the depthwise convolution on int16 activations (TFLite's 16x8 scheme; TFLM's int16
/// `DepthwiseConvPerChannel`): 64-bit accumulation, int64 bias, the 64-bit
/// `MultiplyByQuantizedMultiplier`; `input_offset` and `output_offset` must be 0.
///
/// # Errors
/// As [`depthwise_conv2d_s8`]; also [`KernelError::Param`] for a non-zero offset or a shift
/// outside `-31..=14`.
pub fn depthwise_conv2d_s16(
    p: &DepthwiseConv2dParams<'_>,
    input: &[i16],
    filter: &[i8],
    bias: Option<&[i64]>,
    output: &mut [i16],
) -> KernelResult {
    depthwise_conv2d::<S16>(p, input, filter, bias, output)
}

fn depthwise_conv2d<S: Scheme>(
    p: &DepthwiseConv2dParams<'_>,
    input: &[S::X],
    filter: &[i8],
    bias: Option<&[S::Acc]>,
    output: &mut [S::X],
) -> KernelResult {
    if p.stride_h == 0 || p.stride_w == 0 || p.dilation_h == 0 || p.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    let ic = p.input_c;
    let oc = product(&[ic, p.depth_multiplier])?;
    check_len(
        "input",
        product(&[p.batches, p.input_h, p.input_w, ic])?,
        input.len(),
    )?;
    check_len(
        "filter",
        product(&[p.kernel_h, p.kernel_w, oc])?,
        filter.len(),
    )?;
    check_len(
        "output",
        product(&[p.batches, p.output_h, p.output_w, oc])?,
        output.len(),
    )?;
    if let Some(b) = bias {
        check_len("bias", oc, b.len())?;
    }
    check_len("multiplier", oc, p.output_multiplier.len())?;
    check_len("shift", oc, p.output_shift.len())?;
    S::check(&[p.input_offset, p.output_offset], p.output_shift)?;

    let mut out_iter = output.iter_mut();
    for b in 0..p.batches {
        let image = b * p.input_h * p.input_w * ic;
        for oy in 0..p.output_h {
            let y0 = (oy * p.stride_h) as isize - p.pad_top as isize;
            for ox in 0..p.output_w {
                let x0 = (ox * p.stride_w) as isize - p.pad_left as isize;
                for c in 0..ic {
                    for m in 0..p.depth_multiplier {
                        let o = c * p.depth_multiplier + m;
                        let mut acc = S::Acc::default();
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
                                let i_at = image + (iy as usize * p.input_w + ix as usize) * ic + c;
                                let f_at = (ky * p.kernel_w + kx) * oc + o;
                                if let (Some(&x), Some(&w)) = (input.get(i_at), filter.get(f_at)) {
                                    acc = S::mac(acc, x, p.input_offset, i32::from(w));
                                }
                            }
                        }
                        if let Some(&bv) = bias.and_then(|b| b.get(o)) {
                            acc = S::add(acc, bv);
                        }
                        let mul = p.output_multiplier.get(o).copied().unwrap_or(0);
                        let sh = p.output_shift.get(o).copied().unwrap_or(0);
                        let v = S::requantize(acc, mul, sh).wrapping_add(p.output_offset);
                        if let Some(out) = out_iter.next() {
                            *out = S::X::narrow(v, p.act_min, p.act_max);
                        }
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

    /// 1x2x2x2 input, 2x2 kernel, depth multiplier 2 (4 output channels), VALID -> 1x1x4.
    /// Multiplier 1.0 expressed as 2^30 with shift 1.
    #[test]
    fn hand_case_multiplier_two() {
        // pixels (c0, c1): (1, 10), (2, 20), (3, 30), (4, 40)
        let input: [i8; 8] = [1, 10, 2, 20, 3, 30, 4, 40];
        // per tap: oc0 = c0*m0, oc1 = c0*m1, oc2 = c1*m0, oc3 = c1*m1
        let filter: [i8; 16] = [
            1, 0, 1, 0, //
            1, 0, 0, 1, //
            1, 1, 0, 0, //
            1, -1, 0, 0,
        ];
        let mut out = [0i8; 4];
        let p = DepthwiseConv2dParams {
            batches: 1,
            input_h: 2,
            input_w: 2,
            input_c: 2,
            depth_multiplier: 2,
            output_h: 1,
            output_w: 1,
            kernel_h: 2,
            kernel_w: 2,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 0,
            pad_left: 0,
            input_offset: 0,
            output_offset: -1,
            output_multiplier: &[1 << 30; 4],
            output_shift: &[1; 4],
            act_min: -128,
            act_max: 127,
        };
        depthwise_conv2d_s8(&p, &input, &filter, Some(&[0, 0, 0, 5]), &mut out).unwrap();
        // oc0 = 1+2+3+4 = 10; oc1 = 3-4 = -1; oc2 = c1 at taps 0 = 10; oc3 = c1 at tap 1 = 20 (+5)
        assert_eq!(out, [9, -2, 9, 24]);
    }
}
