//! Power-of-two fixed-point kernels: the arithmetic of CMSIS-NN's legacy `_q7` / `_q15`
//! functions (CMSIS 5, `arm_convolve_HWC_q7_basic` and its family; also nnom's scheme), where
//! every tensor is a Q-format number with a fixed number of fractional bits and every rescaling
//! is a shift.
//!
//! # The scheme
//! A q7 tensor with `f` fractional bits holds `x / 2^f` in an `i8`, a q15 tensor the same in an
//! `i16`; there is no zero point. A layer with input format `in_f`, weight format `w_f`, bias
//! format `b_f` and output format `out_f` computes, per output,
//!
//! ```text
//! acc = (bias << bias_shift) + round + sum(input * weight)     bias_shift = in_f + w_f - b_f
//! out = saturate(acc >> out_shift)                              out_shift  = in_f + w_f - out_f
//! ```
//!
//! in 32-bit two's-complement arithmetic (the accumulator wraps as the Cortex-M's `SMLAD` and
//! `MLA` do; C leaves the overflow undefined), with `>>` arithmetic and `saturate` clamping to the
//! output's integer range (`__SSAT(x, 8)` or `__SSAT(x, 16)`). `round` is [`Rounding::Nearest`]:
//! `(1 << out_shift) >> 1`, CMSIS's `NN_ROUND`, or [`Rounding::Truncate`]: 0. CMSIS's default
//! differs per function: the convolutions and fully connected layers round unless
//! `ARM_NN_TRUNCATE` is defined; `arm_depthwise_separable_conv_HWC_q7` truncates unless
//! `ARM_NNUSE_ROUND` is defined. Each kernel here takes the mode explicitly.
//!
//! These are not TFLite's numerics: TFLite rescales with a Q31 multiplier and rounds twice,
//! half away from zero; here one shift rounds half up. The two agree only when no tie occurs.
//!
//! # Which definition
//! CMSIS-NN ships two code paths per function: a reference (`#else` of `ARM_MATH_DSP`, for
//! Cortex-M0/M3) and a DSP path. For the convolutions, fully connected layers, ReLU and max
//! pooling they compute the same numbers. Average pooling differs: the DSP path averages along
//! x, then along y, rounding twice; the kernels here follow the reference path (one sum over the
//! window's valid positions, divided by their count, truncated toward zero as C's `/`). Softmax
//! follows CMSIS 5.9's `arm_softmax_q7` (base-2, a window of 8 below the maximum, one division)
//! and `arm_softmax_q15` (a window of 16).
//!
//! The vectors in `tests/vectors/q7q15/` are made by `tools/oracle/gen_q7q15.py`, an
//! independent Python transcription of the reference loops (docs/vectors.md), and every kernel
//! here is compared with them for equality (`tests/q7q15_oracle.rs`).

use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// How the accumulator is rounded before the right shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Add `(1 << out_shift) >> 1` first: round half up (CMSIS's `NN_ROUND`).
    Nearest,
    /// Add nothing: round toward minus infinity (`ARM_NN_TRUNCATE`).
    Truncate,
}

/// The two shifts of a layer and its rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shifts {
    /// Left shift of the bias into the accumulator's format (`in_f + w_f - b_f`), `0..=31`.
    pub bias_shift: u32,
    /// Right shift of the accumulator into the output's format (`in_f + w_f - out_f`),
    /// `0..=31`.
    pub out_shift: u32,
    /// Rounding before the right shift.
    pub rounding: Rounding,
}

impl Shifts {
    fn check(&self) -> KernelResult {
        if self.bias_shift > 31 || self.out_shift > 31 {
            return Err(KernelError::Param("q7/q15 shift outside 0..=31"));
        }
        Ok(())
    }

    /// The accumulator's start: the shifted bias plus the rounding term.
    #[inline(always)]
    fn start(&self, bias: i32) -> i32 {
        let round = match self.rounding {
            Rounding::Nearest => (1i32 << self.out_shift) >> 1,
            Rounding::Truncate => 0,
        };
        bias.wrapping_shl(self.bias_shift).wrapping_add(round)
    }

    /// The accumulator shifted into the output format (not yet saturated).
    #[inline(always)]
    fn finish(&self, acc: i32) -> i32 {
        acc >> self.out_shift
    }
}

/// An element type of this scheme: `i8` (q7) or `i16` (q15).
pub trait QElem: Copy + sealed::Sealed {
    /// The value, widened.
    fn wide(self) -> i32;
    /// `__SSAT(v, bits)`: `v` clamped to the type's range.
    fn saturate(v: i32) -> Self;
}

mod sealed {
    /// Only `i8` and `i16` are elements of the q7/q15 scheme.
    pub trait Sealed {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
}

impl QElem for i8 {
    #[inline(always)]
    fn wide(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn saturate(v: i32) -> i8 {
        v.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    }
}

impl QElem for i16 {
    #[inline(always)]
    fn wide(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn saturate(v: i32) -> i16 {
        v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
    }
}

/// Geometry of one convolution or pooling in HWC layout (one image). The legacy functions take
/// square or non-square sizes and one leading padding per axis; the output size is given, and
/// window positions outside the input read as 0 (convolution) or are skipped (pooling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Input channels.
    pub input_c: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
    /// Output channels (pooling and depthwise: equal to `input_c`).
    pub output_c: usize,
    /// Window height.
    pub kernel_h: usize,
    /// Window width.
    pub kernel_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Rows of padding before the input (`padding_y`).
    pub pad_top: usize,
    /// Columns of padding before the input (`padding_x`).
    pub pad_left: usize,
}

impl Window {
    fn check(&self) -> KernelResult {
        if self.stride_h == 0 || self.stride_w == 0 {
            return Err(KernelError::Param("zero stride"));
        }
        if self.kernel_h == 0 || self.kernel_w == 0 {
            return Err(KernelError::Param("empty window"));
        }
        Ok(())
    }

    /// The input rows (or columns) of window position `o` along an axis: the valid part of
    /// `o * stride - pad .. + kernel`, clipped to `0..input`.
    #[inline(always)]
    fn span(o: usize, stride: usize, pad: usize, kernel: usize, input: usize) -> (usize, usize) {
        // Saturating: no overflow for any sizes, and `min`/`max` where `clamp` could panic.
        let start = o.saturating_mul(stride) as isize - pad as isize;
        let end = start.saturating_add(kernel as isize);
        let top = input.min(isize::MAX as usize) as isize;
        let lo = start.max(0).min(top) as usize;
        let hi = end.max(0).min(top) as usize;
        (lo, hi)
    }

    fn rows(&self, oy: usize) -> (usize, usize) {
        Self::span(oy, self.stride_h, self.pad_top, self.kernel_h, self.input_h)
    }

    fn cols(&self, ox: usize) -> (usize, usize) {
        Self::span(
            ox,
            self.stride_w,
            self.pad_left,
            self.kernel_w,
            self.input_w,
        )
    }

    /// Position of input row `iy` inside the window of output row `oy` (`iy` from [`rows`]).
    fn ky(&self, oy: usize, iy: usize) -> usize {
        (iy + self.pad_top) - oy * self.stride_h
    }

    fn kx(&self, ox: usize, ix: usize) -> usize {
        (ix + self.pad_left) - ox * self.stride_w
    }
}

/// Convolution over `[H, W, C]` with filters `[OC, KH, KW, C]` and one bias per filter
/// (`arm_convolve_HWC_q7_basic` / `_nonsquare` with `X = W = B = O = i8`,
/// `arm_convolve_HWC_q15_basic` with `i16`).
fn conv<X: QElem, W: QElem, B: QElem, O: QElem>(
    g: &Window,
    s: &Shifts,
    input: &[X],
    weights: &[W],
    bias: &[B],
    output: &mut [O],
) -> KernelResult {
    g.check()?;
    s.check()?;
    let ic = g.input_c;
    check_len("input", product(&[g.input_h, g.input_w, ic])?, input.len())?;
    let filter = product(&[g.kernel_h, g.kernel_w, ic])?;
    check_len("weights", product(&[g.output_c, filter])?, weights.len())?;
    check_len("bias", g.output_c, bias.len())?;
    check_len(
        "output",
        product(&[g.output_h, g.output_w, g.output_c])?,
        output.len(),
    )?;
    let mut out = output.iter_mut();
    for oy in 0..g.output_h {
        let (y0, y1) = g.rows(oy);
        for ox in 0..g.output_w {
            let (x0, x1) = g.cols(ox);
            for (oc, b) in bias.iter().enumerate() {
                let mut acc = s.start(b.wide());
                for iy in y0..y1 {
                    let ky = g.ky(oy, iy);
                    let n = (x1 - x0) * ic;
                    let i_at = (iy * g.input_w + x0) * ic;
                    let w_at = oc * filter + (ky * g.kernel_w + g.kx(ox, x0)) * ic;
                    let (Some(xs), Some(ws)) =
                        (input.get(i_at..i_at + n), weights.get(w_at..w_at + n))
                    else {
                        continue;
                    };
                    for (x, w) in xs.iter().zip(ws) {
                        acc = acc.wrapping_add(x.wide().wrapping_mul(w.wide()));
                    }
                }
                if let Some(o) = out.next() {
                    *o = O::saturate(s.finish(acc));
                }
            }
        }
    }
    Ok(())
}

/// q7 convolution (`arm_convolve_HWC_q7_basic`, `arm_convolve_HWC_q7_basic_nonsquare` and the
/// `_fast` variants, which compute the same numbers): input `[H, W, C]`, weights
/// `[OC, KH, KW, C]`, bias `[OC]` (q7), output `[OH, OW, OC]`.
///
/// # Errors
/// [`KernelError`] when a length disagrees with the geometry, a stride or window is 0, or a
/// shift exceeds 31.
pub fn convolve_hwc_q7(
    g: &Window,
    s: &Shifts,
    input: &[i8],
    weights: &[i8],
    bias: &[i8],
    output: &mut [i8],
) -> KernelResult {
    conv(g, s, input, weights, bias, output)
}

/// q15 convolution (`arm_convolve_HWC_q15_basic`): as [`convolve_hwc_q7`] with q15 input,
/// weights, bias and output (saturated to 16 bits).
///
/// # Errors
/// As [`convolve_hwc_q7`].
pub fn convolve_hwc_q15(
    g: &Window,
    s: &Shifts,
    input: &[i16],
    weights: &[i16],
    bias: &[i16],
    output: &mut [i16],
) -> KernelResult {
    conv(g, s, input, weights, bias, output)
}

/// q7 depthwise convolution with one filter per channel (`arm_depthwise_separable_conv_HWC_q7`
/// and `_nonsquare`): input `[H, W, C]`, weights `[KH, KW, C]`, bias `[C]`, output
/// `[OH, OW, C]`; `output_c` must equal `input_c`. CMSIS truncates here by default
/// ([`Rounding::Truncate`]; `ARM_NNUSE_ROUND` gives [`Rounding::Nearest`]).
///
/// # Errors
/// As [`convolve_hwc_q7`]; also [`KernelError::Param`] when the channel counts differ.
pub fn depthwise_conv_hwc_q7(
    g: &Window,
    s: &Shifts,
    input: &[i8],
    weights: &[i8],
    bias: &[i8],
    output: &mut [i8],
) -> KernelResult {
    g.check()?;
    s.check()?;
    if g.input_c != g.output_c {
        return Err(KernelError::Param(
            "depthwise q7: output channels must equal input channels",
        ));
    }
    let c = g.input_c;
    check_len("input", product(&[g.input_h, g.input_w, c])?, input.len())?;
    check_len(
        "weights",
        product(&[g.kernel_h, g.kernel_w, c])?,
        weights.len(),
    )?;
    check_len("bias", c, bias.len())?;
    check_len(
        "output",
        product(&[g.output_h, g.output_w, c])?,
        output.len(),
    )?;
    let mut out = output.chunks_exact_mut(c.max(1));
    for oy in 0..g.output_h {
        let (y0, y1) = g.rows(oy);
        for ox in 0..g.output_w {
            let (x0, x1) = g.cols(ox);
            let Some(px) = out.next() else {
                continue;
            };
            for (ch, (o, b)) in px.iter_mut().zip(bias).enumerate() {
                let mut acc = s.start(b.wide());
                for iy in y0..y1 {
                    let ky = g.ky(oy, iy);
                    for ix in x0..x1 {
                        let kx = g.kx(ox, ix);
                        let x = input.get((iy * g.input_w + ix) * c + ch);
                        let w = weights.get((ky * g.kernel_w + kx) * c + ch);
                        if let (Some(x), Some(w)) = (x, w) {
                            acc = acc.wrapping_add(x.wide().wrapping_mul(w.wide()));
                        }
                    }
                }
                *o = i8::saturate(s.finish(acc));
            }
        }
    }
    Ok(())
}

/// `output[r] = saturate(((bias[r] << bias_shift) + round + sum_j input[j] * weights[r][j]) >>
/// out_shift)`, weights row-major `[rows, input.len()]`.
fn fully_connected<X: QElem, W: QElem, B: QElem, O: QElem>(
    s: &Shifts,
    input: &[X],
    weights: &[W],
    bias: &[B],
    output: &mut [O],
) -> KernelResult {
    s.check()?;
    let rows = output.len();
    check_len("bias", rows, bias.len())?;
    check_len("weights", product(&[rows, input.len()])?, weights.len())?;
    if input.is_empty() {
        for (o, b) in output.iter_mut().zip(bias) {
            *o = O::saturate(s.finish(s.start(b.wide())));
        }
        return Ok(());
    }
    for ((o, b), row) in output
        .iter_mut()
        .zip(bias)
        .zip(weights.chunks_exact(input.len()))
    {
        let mut acc = s.start(b.wide());
        for (x, w) in input.iter().zip(row) {
            acc = acc.wrapping_add(x.wide().wrapping_mul(w.wide()));
        }
        *o = O::saturate(s.finish(acc));
    }
    Ok(())
}

/// q7 fully connected layer (`arm_fully_connected_q7`): weights `[output.len(), input.len()]`
/// row-major, q7 bias per output.
///
/// # Errors
/// [`KernelError`] when a length disagrees or a shift exceeds 31.
pub fn fully_connected_q7(
    s: &Shifts,
    input: &[i8],
    weights: &[i8],
    bias: &[i8],
    output: &mut [i8],
) -> KernelResult {
    fully_connected(s, input, weights, bias, output)
}

/// q15 fully connected layer (`arm_fully_connected_q15`): q15 input, weights, bias and output.
///
/// # Errors
/// As [`fully_connected_q7`].
pub fn fully_connected_q15(
    s: &Shifts,
    input: &[i16],
    weights: &[i16],
    bias: &[i16],
    output: &mut [i16],
) -> KernelResult {
    fully_connected(s, input, weights, bias, output)
}

/// Mixed fully connected layer (`arm_fully_connected_mat_q7_vec_q15`): q15 input, q7 weights
/// and bias, q15 output.
///
/// # Errors
/// As [`fully_connected_q7`].
pub fn fully_connected_mat_q7_vec_q15(
    s: &Shifts,
    input: &[i16],
    weights: &[i8],
    bias: &[i8],
    output: &mut [i16],
) -> KernelResult {
    fully_connected(s, input, weights, bias, output)
}

/// `max(x, 0)` in place (`arm_relu_q7`).
pub fn relu_q7(data: &mut [i8]) {
    for x in data {
        *x = (*x).max(0);
    }
}

/// `max(x, 0)` in place (`arm_relu_q15`).
pub fn relu_q15(data: &mut [i16]) {
    for x in data {
        *x = (*x).max(0);
    }
}

fn pool(
    g: &Window,
    input: &[i8],
    output: &mut [i8],
    reduce: impl Fn(&mut dyn Iterator<Item = i8>) -> i8,
) -> KernelResult {
    g.check()?;
    if g.input_c != g.output_c {
        return Err(KernelError::Param(
            "pooling: output channels must equal input channels",
        ));
    }
    let c = g.input_c;
    check_len("input", product(&[g.input_h, g.input_w, c])?, input.len())?;
    check_len(
        "output",
        product(&[g.output_h, g.output_w, c])?,
        output.len(),
    )?;
    let mut out = output.chunks_exact_mut(c.max(1));
    for oy in 0..g.output_h {
        let (y0, y1) = g.rows(oy);
        for ox in 0..g.output_w {
            let (x0, x1) = g.cols(ox);
            let Some(px) = out.next() else {
                continue;
            };
            for (ch, o) in px.iter_mut().enumerate() {
                let mut window = (y0..y1)
                    .flat_map(|iy| (x0..x1).map(move |ix| (iy * g.input_w + ix) * c + ch))
                    .filter_map(|at| input.get(at).copied());
                *o = reduce(&mut window);
            }
        }
    }
    Ok(())
}

/// q7 max pooling (`arm_maxpool_q7_HWC` / `_nonsquare`), reading only the window's positions
/// inside the input; a window with none gives -128 (the reference's `-129` start, narrowed; such
/// windows need padding of at least the kernel size). Unlike CMSIS it does not overwrite its
/// input.
///
/// # Errors
/// [`KernelError`] when a length disagrees, a stride or window is 0, or the channel counts
/// differ.
pub fn maxpool_hwc_q7(g: &Window, input: &[i8], output: &mut [i8]) -> KernelResult {
    pool(g, input, output, |w| w.max().unwrap_or(i8::MIN))
}

/// q7 average pooling as CMSIS's reference path defines it (`arm_avepool_q7_HWC` without
/// `ARM_MATH_DSP`): the sum of the window's positions inside the input divided by their count,
/// truncated toward zero; a window with none gives 0. (The DSP path averages along x and then
/// along y, rounding twice, and can differ by one.) Unlike CMSIS it does not overwrite its input.
///
/// # Errors
/// As [`maxpool_hwc_q7`].
pub fn avepool_hwc_q7(g: &Window, input: &[i8], output: &mut [i8]) -> KernelResult {
    pool(g, input, output, |w| {
        let (sum, count) = w.fold((0i32, 0i32), |(s, n), x| {
            (s.wrapping_add(i32::from(x)), n + 1)
        });
        // C's `/` (truncating); no window is empty unless the padding covers it.
        sum.checked_div(count).map_or(0, i8::saturate)
    })
}

/// Base-2 softmax of CMSIS 5.9's `arm_softmax_q7`: with `base = max(input) - 8`, each element
/// weighs `2^clamp(x - base, 0, 7)`, `output_base = 2^20 / sum` of the weights, and
/// `output = saturate(output_base >> clamp(13 + base - x, 0, 31))` (so 128 stands for 100%).
///
/// # Errors
/// [`KernelError::Length`] when `input` and `output` differ in length.
pub fn softmax_q7(input: &[i8], output: &mut [i8]) -> KernelResult {
    check_len("output", input.len(), output.len())?;
    let base = input
        .iter()
        .map(|&x| i32::from(x))
        .fold(-128, i32::max)
        .wrapping_sub(8);
    let sum = input.iter().fold(0i32, |sum, &x| {
        sum.wrapping_add(1 << (i32::from(x) - base).clamp(0, 7))
    });
    // `sum` >= 128 when the input is not empty (the maximum weighs 2^7).
    let output_base = if sum > 0 { (1i32 << 20) / sum } else { 0 };
    for (o, &x) in output.iter_mut().zip(input) {
        let shift = (13 + base - i32::from(x)).clamp(0, 31);
        *o = i8::saturate(output_base >> shift);
    }
    Ok(())
}

/// [`softmax_q7`] on each row of `depth` elements (the last axis of a tensor).
///
/// # Errors
/// [`KernelError`] when the lengths differ, `depth` is 0 or does not divide them.
pub fn softmax_q7_rows(depth: usize, input: &[i8], output: &mut [i8]) -> KernelResult {
    softmax_rows(depth, input, output, softmax_q7)
}

/// `softmax` on each row of `depth` elements of `input`, into the same row of `output`.
fn softmax_rows<T>(
    depth: usize,
    input: &[T],
    output: &mut [T],
    softmax: fn(&[T], &mut [T]) -> KernelResult,
) -> KernelResult {
    check_len("output", input.len(), output.len())?;
    if depth == 0 || !input.len().is_multiple_of(depth) {
        return Err(KernelError::Param(
            "softmax rows: depth must divide the length",
        ));
    }
    for (x, y) in input
        .chunks_exact(depth)
        .zip(output.chunks_exact_mut(depth))
    {
        softmax(x, y)?;
    }
    Ok(())
}

/// Base-2 softmax of `arm_softmax_q15`: with `base = max(input) - 16`, elements above `base`
/// weigh `2^(x - base)`, `output_base = 2^32 / sum` (truncated to 32 bits), and each element
/// above `base` gives `saturate(output_base >> clamp(17 + base - x, 0, 31))`, the others 0
/// (32768 stands for 100%).
///
/// # Errors
/// [`KernelError::Length`] when `input` and `output` differ in length.
pub fn softmax_q15(input: &[i16], output: &mut [i16]) -> KernelResult {
    check_len("output", input.len(), output.len())?;
    let base = input
        .iter()
        .map(|&x| i32::from(x))
        .fold(-0x10_0000, i32::max)
        - 16;
    // Elements above `base` are at most 16 above it: every weight is at most 2^16 and the sum
    // of at most `input.len()` of them fits in i64.
    let sum: i64 = input
        .iter()
        .map(|&x| i32::from(x) - base)
        .filter(|&d| d > 0)
        .map(|d| 1i64 << d.clamp(0, 31))
        .sum();
    let output_base = if sum > 0 {
        ((1i64 << 32) / sum) as i32
    } else {
        0
    };
    for (o, &x) in output.iter_mut().zip(input) {
        let x = i32::from(x);
        *o = if x > base {
            i16::saturate(output_base >> (17 + base - x).clamp(0, 31))
        } else {
            0
        };
    }
    Ok(())
}

/// [`softmax_q15`] on each row of `depth` elements (the last axis of a tensor).
///
/// # Errors
/// [`KernelError`] when the lengths differ, `depth` is 0 or does not divide them.
pub fn softmax_q15_rows(depth: usize, input: &[i16], output: &mut [i16]) -> KernelResult {
    softmax_rows(depth, input, output, softmax_q15)
}

/// [`relu_q15`] from `input` into `output` (a layer that does not run in place).
///
/// # Errors
/// [`KernelError::Length`] when `input` and `output` differ in length.
pub fn relu_q15_copy(input: &[i16], output: &mut [i16]) -> KernelResult {
    check_len("output", input.len(), output.len())?;
    output.copy_from_slice(input);
    relu_q15(output);
    Ok(())
}

#[path = "q7q15_tables.rs"]
mod tables;

/// The function of a table activation (CMSIS's `arm_nn_activation_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
}

fn check_int_width(int_width: u32) -> KernelResult {
    if int_width > 3 {
        return Err(KernelError::Param(
            "table activation: int_width outside 0..=3",
        ));
    }
    Ok(())
}

/// Sigmoid or tanh of a q7 tensor in place, by table lookup (`arm_nn_activations_direct_q7`).
///
/// The input has `int_width` integer bits (format Q`int_width`.`7 - int_width`); the output is
/// Q0.7. Each input is shifted right by `3 - int_width` into the tables' Q3.4 grid and the low
/// byte of the result picks one of 256 entries, without interpolation.
///
/// # Errors
/// [`KernelError::Param`] when `int_width > 3` (CMSIS's shift `3 - int_width` would be negative).
#[inline(never)]
pub fn activations_direct_q7(data: &mut [i8], int_width: u32, f: Activation) -> KernelResult {
    check_int_width(int_width)?;
    let table = match f {
        Activation::Sigmoid => &tables::SIGMOID_Q7,
        Activation::Tanh => &tables::TANH_Q7,
    };
    let shift = 3 - int_width;
    for x in data {
        // The index is a byte: every value of it is inside the 256-entry table.
        *x = table[usize::from((*x >> shift) as u8)];
    }
    Ok(())
}

/// Sigmoid or tanh of a q15 tensor in place, by table lookup with linear interpolation
/// (`arm_nn_activations_direct_q15`, as CMSIS 5.7 and later define it).
///
/// The input has `int_width` integer bits; the output is Q0.15. With `shift = 11 - int_width`,
/// `x >> shift` (its low byte) picks an entry `a` on the Q3.4 grid and the next entry `b` (the
/// index wrapping in 8 bits), and the low `shift` bits `t` of `x` weight them:
/// `((2^shift - t) * a + t * b) >> shift`. The largest positive index, 127, has no right
/// neighbour: its entry is returned as is.
///
/// # Errors
/// [`KernelError::Param`] when `int_width > 3`.
#[inline(never)]
pub fn activations_direct_q15(data: &mut [i16], int_width: u32, f: Activation) -> KernelResult {
    check_int_width(int_width)?;
    let table = match f {
        Activation::Sigmoid => &tables::SIGMOID_Q15,
        Activation::Tanh => &tables::TANH_Q15,
    };
    let shift = 11 - int_width;
    let mask = 0x7ffi32 >> int_width;
    let full = mask + 1;
    for x in data {
        let v = i32::from(*x);
        let hi = v >> shift;
        // Both indices are bytes: every value of them is inside the 256-entry table.
        let i = (hi as u8) as usize;
        let a = i32::from(table[i]);
        if hi == 0x7f {
            *x = a as i16;
            continue;
        }
        let b = i32::from(table[(i + 1) & 0xff]);
        let t = v & mask;
        // A weighted mean of two i16 entries with weights summing to 2^shift: it fits i16.
        *x = (((full - t) * a + t * b) >> shift) as i16;
    }
    Ok(())
}

/// [`activations_direct_q7`] from `input` into `output`.
///
/// # Errors
/// [`KernelError::Length`] when `input` and `output` differ in length; as
/// [`activations_direct_q7`].
pub fn activations_direct_q7_copy(
    input: &[i8],
    output: &mut [i8],
    int_width: u32,
    f: Activation,
) -> KernelResult {
    check_len("output", input.len(), output.len())?;
    output.copy_from_slice(input);
    activations_direct_q7(output, int_width, f)
}

/// [`activations_direct_q15`] from `input` into `output`.
///
/// # Errors
/// [`KernelError::Length`] when `input` and `output` differ in length; as
/// [`activations_direct_q15`].
pub fn activations_direct_q15_copy(
    input: &[i16],
    output: &mut [i16],
    int_width: u32,
    f: Activation,
) -> KernelResult {
    check_len("output", input.len(), output.len())?;
    output.copy_from_slice(input);
    activations_direct_q15(output, int_width, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nearest(bias_shift: u32, out_shift: u32) -> Shifts {
        Shifts {
            bias_shift,
            out_shift,
            rounding: Rounding::Nearest,
        }
    }

    /// Ties round up, toward plus infinity, in both signs (not away from zero as TFLite).
    #[test]
    fn nearest_rounds_half_up() {
        let s = nearest(0, 1);
        let mut out = [0i8; 2];
        fully_connected_q7(&s, &[3, -3], &[1, 0, 0, 1], &[0, 0], &mut out).unwrap();
        assert_eq!(out, [2, -1]);
        let t = Shifts {
            rounding: Rounding::Truncate,
            ..s
        };
        fully_connected_q7(&t, &[3, -3], &[1, 0, 0, 1], &[0, 0], &mut out).unwrap();
        assert_eq!(out, [1, -2]);
    }

    /// A 1x1 convolution is a fully connected layer per pixel.
    #[test]
    fn one_by_one_conv_is_fully_connected() {
        let g = Window {
            input_h: 2,
            input_w: 1,
            input_c: 3,
            output_h: 2,
            output_w: 1,
            output_c: 2,
            kernel_h: 1,
            kernel_w: 1,
            stride_h: 1,
            stride_w: 1,
            pad_top: 0,
            pad_left: 0,
        };
        let s = nearest(2, 3);
        let input = [10i8, -20, 30, 5, 6, -7];
        let weights = [1i8, 2, 3, -4, 5, -6];
        let bias = [7i8, -9];
        let mut conv_out = [0i8; 4];
        convolve_hwc_q7(&g, &s, &input, &weights, &bias, &mut conv_out).unwrap();
        let mut fc_out = [0i8; 4];
        for p in 0..2 {
            fully_connected_q7(
                &s,
                &input[3 * p..3 * p + 3],
                &weights,
                &bias,
                &mut fc_out[2 * p..2 * p + 2],
            )
            .unwrap();
        }
        assert_eq!(conv_out, fc_out);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let s = nearest(32, 0);
        let mut out = [0i8; 1];
        assert!(fully_connected_q7(&s, &[1], &[1], &[1], &mut out).is_err());
        let s = nearest(0, 0);
        assert!(fully_connected_q7(&s, &[1, 2], &[1], &[1], &mut out).is_err());
        assert!(softmax_q7(&[1, 2], &mut out).is_err());
        assert!(activations_direct_q7(&mut out, 4, Activation::Sigmoid).is_err());
        assert!(activations_direct_q15(&mut [0i16], 4, Activation::Tanh).is_err());
    }

    /// Zero maps to one half (sigmoid) and zero (tanh) at every int_width.
    #[test]
    fn table_activations_at_zero() {
        for w in 0..4 {
            let mut a = [0i8, 0];
            activations_direct_q7(&mut a[..1], w, Activation::Sigmoid).unwrap();
            activations_direct_q7(&mut a[1..], w, Activation::Tanh).unwrap();
            assert_eq!(a, [64, 0]);
            let mut b = [0i16, 0];
            activations_direct_q15(&mut b[..1], w, Activation::Sigmoid).unwrap();
            activations_direct_q15(&mut b[1..], w, Activation::Tanh).unwrap();
            assert_eq!(b, [16384, 0]);
        }
    }

    #[test]
    fn softmax_q7_of_equal_inputs_splits_evenly() {
        let mut out = [0i8; 4];
        softmax_q7(&[5; 4], &mut out).unwrap();
        // base = -3, each weighs 2^7, sum 512, output_base 2048, shift 5: 64.
        assert_eq!(out, [64; 4]);
    }
}
