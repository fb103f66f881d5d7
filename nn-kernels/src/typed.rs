//! Const-generic wrappers: shapes in the types, so that a wrong connection between layers is a
//! rustc type error, plus safe views of an activation arena as such arrays.
//!
//! Activations are `[[[i8; C]; W]; H]` (one image, NHWC without the batch); conv filters are
//! `[[[[i8; C]; KW]; KH]; OC]`; depthwise filters `[[[i8; OC]; KW]; KH]`; dense weights
//! `[[i8; IN]; OUT]`. The wrappers flatten the arrays (no copy) and call the slice kernels,
//! which still check the spatial arithmetic (output size against stride and padding) that the
//! types cannot express on stable Rust.

use crate::avg_pool2d::avg_pool2d_s8;
use crate::conv2d::{conv2d_s8, Conv2dParams};
use crate::depthwise_conv2d::{depthwise_conv2d_s8, DepthwiseConv2dParams};
use crate::fully_connected::{fully_connected_s8, FullyConnectedParams};
use crate::max_pool2d::{max_pool2d_s8, Pool2dParams};
use crate::softmax::{softmax_s8, SoftmaxParams};
use crate::{KernelError, KernelResult};

use crate::add::{add_s8, AddParams};
use crate::concat::{concat_s8, ConcatParams};
use crate::dequantize::{dequantize_s8_f32, DequantizeParams};
use crate::logistic::{logistic_s8, LogisticParams};
use crate::mean::{mean_s8, MeanParams};
use crate::mul::{mul_s8, MulParams};
use crate::pad::{pad_s8, PadParams};
use crate::quantize::{quantize_f32_s8, QuantizeParams};
use crate::relu::{relu6_s8, relu_s8, Relu6Params, ReluParams};
use crate::requantize::{requantize_s8, RequantizeParams};
use crate::resize::{resize_nearest_s8, ResizeNearestParams};
use crate::strided_slice::{strided_slice_s8, StridedSliceParams};
use crate::tanh::tanh_s8;
use crate::transpose_conv::{transpose_conv_s8, TransposeConv2dParams};

/// An int8 activation tensor of one image: `H` rows of `W` pixels of `C` channels.
pub type Tensor3<const H: usize, const W: usize, const C: usize> = [[[i8; C]; W]; H];

/// Window geometry and requantisation constants of a convolution whose shapes are in the
/// types. `OC` ties the per-channel tables to the number of filters.
#[derive(Clone, Copy, Debug)]
pub struct ConvSpec<'a, const OC: usize> {
    /// `[vertical, horizontal]` stride.
    pub stride: [usize; 2],
    /// `[vertical, horizontal]` dilation.
    pub dilation: [usize; 2],
    /// `[top, left]` padding (TFLite SAME/VALID arithmetic, computed on the host).
    pub pad: [usize; 2],
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multiplier per output channel.
    pub output_multiplier: &'a [i32; OC],
    /// Shift per output channel.
    pub output_shift: &'a [i32; OC],
    /// `[min, max]` clamp.
    pub act: [i32; 2],
}

/// 2-D convolution of one image with shapes in the types.
///
/// # Errors
/// [`KernelError`] when the output size disagrees with the window arithmetic is not detected
/// here; only slice errors from the core kernel (which cannot happen with these types) and
/// zero strides are reported.
#[allow(clippy::too_many_arguments)]
pub fn conv2d<
    const H: usize,
    const W: usize,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const OC: usize,
>(
    spec: &ConvSpec<'_, OC>,
    input: &Tensor3<H, W, C>,
    filter: &[[[[i8; C]; KW]; KH]; OC],
    bias: Option<&[i32; OC]>,
    output: &mut Tensor3<OH, OW, OC>,
) -> KernelResult {
    let p = Conv2dParams {
        batches: 1,
        input_h: H,
        input_w: W,
        input_c: C,
        output_h: OH,
        output_w: OW,
        output_c: OC,
        kernel_h: KH,
        kernel_w: KW,
        stride_h: spec.stride[0],
        stride_w: spec.stride[1],
        dilation_h: spec.dilation[0],
        dilation_w: spec.dilation[1],
        pad_top: spec.pad[0],
        pad_left: spec.pad[1],
        input_offset: spec.input_offset,
        output_offset: spec.output_offset,
        output_multiplier: spec.output_multiplier,
        output_shift: spec.output_shift,
        act_min: spec.act[0],
        act_max: spec.act[1],
    };
    conv2d_s8(
        &p,
        input.as_flattened().as_flattened(),
        filter.as_flattened().as_flattened().as_flattened(),
        bias.map(|b| b.as_slice()),
        output.as_flattened_mut().as_flattened_mut(),
    )
}

/// Grouped convolution of one image with shapes in the types: the filter has `FC` input
/// channels, `groups = C / FC` (TFLM's rule); `FC = C` is [`conv2d`].
///
/// # Errors
/// [`KernelError::Param`] when `FC` does not divide `C` or `C / FC` does not divide `OC`; zero
/// strides.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_grouped<
    const H: usize,
    const W: usize,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const FC: usize,
    const OH: usize,
    const OW: usize,
    const OC: usize,
>(
    spec: &ConvSpec<'_, OC>,
    input: &Tensor3<H, W, C>,
    filter: &[[[[i8; FC]; KW]; KH]; OC],
    bias: Option<&[i32; OC]>,
    output: &mut Tensor3<OH, OW, OC>,
) -> KernelResult {
    if FC == 0 || !C.is_multiple_of(FC) {
        return Err(KernelError::Param(
            "the filter's channels must divide the input's",
        ));
    }
    let p = Conv2dParams {
        batches: 1,
        input_h: H,
        input_w: W,
        input_c: C,
        output_h: OH,
        output_w: OW,
        output_c: OC,
        kernel_h: KH,
        kernel_w: KW,
        stride_h: spec.stride[0],
        stride_w: spec.stride[1],
        dilation_h: spec.dilation[0],
        dilation_w: spec.dilation[1],
        pad_top: spec.pad[0],
        pad_left: spec.pad[1],
        input_offset: spec.input_offset,
        output_offset: spec.output_offset,
        output_multiplier: spec.output_multiplier,
        output_shift: spec.output_shift,
        act_min: spec.act[0],
        act_max: spec.act[1],
    };
    crate::conv2d::conv2d_grouped_s8(
        &p,
        C / FC,
        input.as_flattened().as_flattened(),
        filter.as_flattened().as_flattened().as_flattened(),
        bias.map(|b| b.as_slice()),
        output.as_flattened_mut().as_flattened_mut(),
    )
}

/// Transposed convolution (TFLite `TRANSPOSE_CONV`) of one image with shapes in the types: the
/// filter is `[OC][KH][KW][C]`, the output size `OH x OW` is the layer's (TFLite's
/// `output_shape`), `spec.pad` is TFLite's padding for that output size and `spec.dilation` must
/// be `[1, 1]`.
///
/// # Errors
/// [`KernelError::Param`] for a dilation other than 1, a zero stride or a padding not below the
/// kernel.
#[allow(clippy::too_many_arguments)]
pub fn transpose_conv2d<
    const H: usize,
    const W: usize,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const OC: usize,
>(
    spec: &ConvSpec<'_, OC>,
    input: &Tensor3<H, W, C>,
    filter: &[[[[i8; C]; KW]; KH]; OC],
    bias: Option<&[i32; OC]>,
    output: &mut Tensor3<OH, OW, OC>,
) -> KernelResult {
    if spec.dilation != [1, 1] {
        return Err(KernelError::Param(
            "a transposed convolution has no dilation",
        ));
    }
    let p = TransposeConv2dParams {
        batches: 1,
        input_h: H,
        input_w: W,
        input_c: C,
        output_h: OH,
        output_w: OW,
        output_c: OC,
        kernel_h: KH,
        kernel_w: KW,
        stride_h: spec.stride[0],
        stride_w: spec.stride[1],
        pad_top: spec.pad[0],
        pad_left: spec.pad[1],
        input_offset: spec.input_offset,
        output_offset: spec.output_offset,
        output_multiplier: spec.output_multiplier,
        output_shift: spec.output_shift,
        act_min: spec.act[0],
        act_max: spec.act[1],
    };
    transpose_conv_s8(
        &p,
        input.as_flattened().as_flattened(),
        filter.as_flattened().as_flattened().as_flattened(),
        bias.map(|b| b.as_slice()),
        output.as_flattened_mut().as_flattened_mut(),
    )
}

/// Depthwise convolution of one image with shapes in the types; `OC = C * M`.
///
/// # Errors
/// [`KernelError::Param`] when `OC` is not a multiple of `C`, or on a zero stride.
pub fn depthwise_conv2d<
    const H: usize,
    const W: usize,
    const C: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const OC: usize,
>(
    spec: &ConvSpec<'_, OC>,
    input: &Tensor3<H, W, C>,
    filter: &[[[i8; OC]; KW]; KH],
    bias: Option<&[i32; OC]>,
    output: &mut Tensor3<OH, OW, OC>,
) -> KernelResult {
    if C == 0 || !OC.is_multiple_of(C) {
        return Err(KernelError::Param(
            "depthwise output channels must be a multiple of C",
        ));
    }
    let p = DepthwiseConv2dParams {
        batches: 1,
        input_h: H,
        input_w: W,
        input_c: C,
        depth_multiplier: OC / C,
        output_h: OH,
        output_w: OW,
        kernel_h: KH,
        kernel_w: KW,
        stride_h: spec.stride[0],
        stride_w: spec.stride[1],
        dilation_h: spec.dilation[0],
        dilation_w: spec.dilation[1],
        pad_top: spec.pad[0],
        pad_left: spec.pad[1],
        input_offset: spec.input_offset,
        output_offset: spec.output_offset,
        output_multiplier: spec.output_multiplier,
        output_shift: spec.output_shift,
        act_min: spec.act[0],
        act_max: spec.act[1],
    };
    depthwise_conv2d_s8(
        &p,
        input.as_flattened().as_flattened(),
        filter.as_flattened().as_flattened(),
        bias.map(|b| b.as_slice()),
        output.as_flattened_mut().as_flattened_mut(),
    )
}

/// Requantisation constants of a dense layer with per-channel (`N == OUT`) or per-tensor
/// (`N == 1`) multipliers.
#[derive(Clone, Copy, Debug)]
pub struct DenseSpec<'a, const N: usize> {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multipliers.
    pub output_multiplier: &'a [i32; N],
    /// Shifts.
    pub output_shift: &'a [i32; N],
    /// `[min, max]` clamp.
    pub act: [i32; 2],
}

/// Fully connected layer on a vector, shapes in the types.
///
/// # Errors
/// [`KernelError::Param`] when `N` is neither 1 nor `OUT`.
pub fn dense<const IN: usize, const OUT: usize, const N: usize>(
    spec: &DenseSpec<'_, N>,
    input: &[i8; IN],
    weights: &[[i8; IN]; OUT],
    bias: Option<&[i32; OUT]>,
    output: &mut [i8; OUT],
) -> KernelResult {
    let p = FullyConnectedParams {
        batches: 1,
        depth: IN,
        units: OUT,
        input_offset: spec.input_offset,
        filter_offset: 0,
        output_offset: spec.output_offset,
        output_multiplier: spec.output_multiplier,
        output_shift: spec.output_shift,
        act_min: spec.act[0],
        act_max: spec.act[1],
    };
    fully_connected_s8(
        &p,
        input,
        weights.as_flattened(),
        bias.map(|b| b.as_slice()),
        output,
    )
}

/// Pooling window, stride, padding and clamp of a pooling layer whose shapes are in the types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSpec {
    /// `[height, width]` of the window.
    pub filter: [usize; 2],
    /// `[vertical, horizontal]` stride.
    pub stride: [usize; 2],
    /// `[top, left]` padding.
    pub pad: [usize; 2],
    /// `[min, max]` clamp.
    pub act: [i32; 2],
}

fn pool_params<const H: usize, const W: usize, const C: usize, const OH: usize, const OW: usize>(
    spec: &PoolSpec,
) -> Pool2dParams {
    Pool2dParams {
        batches: 1,
        input_h: H,
        input_w: W,
        channels: C,
        output_h: OH,
        output_w: OW,
        filter_h: spec.filter[0],
        filter_w: spec.filter[1],
        stride_h: spec.stride[0],
        stride_w: spec.stride[1],
        pad_top: spec.pad[0],
        pad_left: spec.pad[1],
        act_min: spec.act[0],
        act_max: spec.act[1],
    }
}

/// Max pooling with shapes in the types (channels are preserved by the signature).
///
/// # Errors
/// [`KernelError::Param`] on a zero stride.
pub fn max_pool2d<
    const H: usize,
    const W: usize,
    const C: usize,
    const OH: usize,
    const OW: usize,
>(
    spec: &PoolSpec,
    input: &Tensor3<H, W, C>,
    output: &mut Tensor3<OH, OW, C>,
) -> KernelResult {
    max_pool2d_s8(
        &pool_params::<H, W, C, OH, OW>(spec),
        input.as_flattened().as_flattened(),
        output.as_flattened_mut().as_flattened_mut(),
    )
}

/// Average pooling with shapes in the types.
///
/// # Errors
/// [`KernelError::Param`] on a zero stride or an empty window.
pub fn avg_pool2d<
    const H: usize,
    const W: usize,
    const C: usize,
    const OH: usize,
    const OW: usize,
>(
    spec: &PoolSpec,
    input: &Tensor3<H, W, C>,
    output: &mut Tensor3<OH, OW, C>,
) -> KernelResult {
    avg_pool2d_s8(
        &pool_params::<H, W, C, OH, OW>(spec),
        input.as_flattened().as_flattened(),
        output.as_flattened_mut().as_flattened_mut(),
    )
}

/// Softmax of a vector (input and output have the same length by type).
///
/// # Errors
/// [`KernelError::Param`] on a bad left shift.
pub fn softmax<const N: usize>(
    input_multiplier: i32,
    input_left_shift: i32,
    diff_min: i32,
    input: &[i8; N],
    output: &mut [i8; N],
) -> KernelResult {
    let p = SoftmaxParams {
        outer: 1,
        depth: N,
        input_multiplier,
        input_left_shift,
        diff_min,
    };
    softmax_s8(&p, input, output)
}

/// View `arena[offset .. offset + H*W*C]` as a `[[[i8; C]; W]; H]`. `None` when the region
/// runs past the arena or a dimension is zero.
#[must_use]
pub fn view3<const H: usize, const W: usize, const C: usize>(
    arena: &[i8],
    offset: usize,
) -> Option<&Tensor3<H, W, C>> {
    if C == 0 || W == 0 {
        return None;
    }
    let len = H.checked_mul(W)?.checked_mul(C)?;
    let region = arena.get(offset..offset.checked_add(len)?)?;
    let (pixels, rest) = region.as_chunks::<C>();
    if !rest.is_empty() {
        return None;
    }
    let (rows, rest) = pixels.as_chunks::<W>();
    if !rest.is_empty() {
        return None;
    }
    <&Tensor3<H, W, C>>::try_from(rows).ok()
}

/// Mutable counterpart of [`view3`].
#[must_use]
pub fn view3_mut<const H: usize, const W: usize, const C: usize>(
    arena: &mut [i8],
    offset: usize,
) -> Option<&mut Tensor3<H, W, C>> {
    if C == 0 || W == 0 {
        return None;
    }
    let len = H.checked_mul(W)?.checked_mul(C)?;
    let region = arena.get_mut(offset..offset.checked_add(len)?)?;
    let (pixels, rest) = region.as_chunks_mut::<C>();
    if !rest.is_empty() {
        return None;
    }
    let (rows, rest) = pixels.as_chunks_mut::<W>();
    if !rest.is_empty() {
        return None;
    }
    <&mut Tensor3<H, W, C>>::try_from(rows).ok()
}

/// View `arena[offset .. offset + N]` as a `[i8; N]`.
#[must_use]
pub fn view1<const N: usize>(arena: &[i8], offset: usize) -> Option<&[i8; N]> {
    <&[i8; N]>::try_from(arena.get(offset..offset.checked_add(N)?)?).ok()
}

/// Mutable counterpart of [`view1`].
#[must_use]
pub fn view1_mut<const N: usize>(arena: &mut [i8], offset: usize) -> Option<&mut [i8; N]> {
    <&mut [i8; N]>::try_from(arena.get_mut(offset..offset.checked_add(N)?)?).ok()
}

/// Split an arena into a read-only input region and a disjoint mutable output region (for a
/// layer reading one tensor of the arena and writing another). `None` if the regions overlap
/// or run past the arena.
#[must_use]
pub fn split_in_out(
    arena: &mut [i8],
    input: core::ops::Range<usize>,
    output: core::ops::Range<usize>,
) -> Option<(&[i8], &mut [i8])> {
    if input.start > input.end
        || output.start > output.end
        || input.end > arena.len()
        || output.end > arena.len()
    {
        return None;
    }
    if input.end <= output.start {
        let (lo, hi) = arena.split_at_mut(output.start);
        Some((lo.get(input)?, hi.get_mut(..output.end - output.start)?))
    } else if output.end <= input.start {
        let (lo, hi) = arena.split_at_mut(input.start);
        Some((hi.get(..input.end - input.start)?, lo.get_mut(output)?))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Wrappers for the remaining operators and arena helpers, used by the code nnd generates.

/// Requantisation constants of a fully connected layer applied to `R` rows, with the weights'
/// zero point (`N == OUT` per-channel multipliers or `N == 1` per-tensor).
#[derive(Clone, Copy, Debug)]
pub struct FcSpec<'a, const N: usize> {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `-weights_zero_point` (0 for symmetric int8 weights).
    pub filter_offset: i32,
    /// `output_zero_point`.
    pub output_offset: i32,
    /// Q31 multipliers.
    pub output_multiplier: &'a [i32; N],
    /// Shifts.
    pub output_shift: &'a [i32; N],
    /// `[min, max]` clamp.
    pub act: [i32; 2],
}

/// Fully connected layer over `R` rows of `IN` features (TFLite applies FULLY_CONNECTED to the
/// last dimension), shapes in the types.
///
/// # Errors
/// [`KernelError::Param`] when `N` is neither 1 nor `OUT`, or a shift is out of range.
pub fn fully_connected<const R: usize, const IN: usize, const OUT: usize, const N: usize>(
    spec: &FcSpec<'_, N>,
    input: &[[i8; IN]; R],
    weights: &[[i8; IN]; OUT],
    bias: Option<&[i32; OUT]>,
    output: &mut [[i8; OUT]; R],
) -> KernelResult {
    let p = FullyConnectedParams {
        batches: R,
        depth: IN,
        units: OUT,
        input_offset: spec.input_offset,
        filter_offset: spec.filter_offset,
        output_offset: spec.output_offset,
        output_multiplier: spec.output_multiplier,
        output_shift: spec.output_shift,
        act_min: spec.act[0],
        act_max: spec.act[1],
    };
    fully_connected_s8(
        &p,
        input.as_flattened(),
        weights.as_flattened(),
        bias.map(|b| b.as_slice()),
        output.as_flattened_mut(),
    )
}

/// Softmax over the last axis of `R` rows of `N` values.
///
/// # Errors
/// [`KernelError::Param`] on a bad left shift.
pub fn softmax_rows<const R: usize, const N: usize>(
    input_multiplier: i32,
    input_left_shift: i32,
    diff_min: i32,
    input: &[[i8; N]; R],
    output: &mut [[i8; N]; R],
) -> KernelResult {
    let p = SoftmaxParams {
        outer: R,
        depth: N,
        input_multiplier,
        input_left_shift,
        diff_min,
    };
    softmax_s8(&p, input.as_flattened(), output.as_flattened_mut())
}

/// ReLU with requantisation of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn relu<const N: usize>(p: &ReluParams, input: &[i8; N], output: &mut [i8; N]) -> KernelResult {
    relu_s8(p, input, output)
}

/// ReLU6 of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn relu6<const N: usize>(
    p: &Relu6Params,
    input: &[i8; N],
    output: &mut [i8; N],
) -> KernelResult {
    relu6_s8(p, input, output)
}

/// An element-wise function through its table (LEAKY_RELU, HARD_SWISH) on `N` values (`p.len`
/// must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn lut<const N: usize>(
    p: &crate::lut::LutParams,
    input: &[i8; N],
    output: &mut [i8; N],
) -> KernelResult {
    crate::lut::lut_s8(p, input, output)
}

/// Logistic of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn logistic<const N: usize>(
    p: &LogisticParams,
    input: &[i8; N],
    output: &mut [i8; N],
) -> KernelResult {
    logistic_s8(p, input, output)
}

/// Tanh of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn tanh<const N: usize>(
    p: &LogisticParams,
    input: &[i8; N],
    output: &mut [i8; N],
) -> KernelResult {
    tanh_s8(p, input, output)
}

/// Int8 to int8 requantisation of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError`] when `p.len != N` or the shift is out of range.
pub fn requantize<const N: usize>(
    p: &RequantizeParams,
    input: &[i8; N],
    output: &mut [i8; N],
) -> KernelResult {
    requantize_s8(p, input, output)
}

/// The element-wise kernels written over their input (the planner's in-place layers): `data`
/// holds the input on entry and the output on return. `p.len` must be `N`.
///
/// # Errors
/// [`KernelError`] when `p.len != N` (and, for the requantising ones, a shift out of range).
pub fn relu_in_place<const N: usize>(p: &ReluParams, data: &mut [i8; N]) -> KernelResult {
    crate::relu::relu_s8_in_place(p, data)
}

/// [`relu_in_place`] for ReLU6.
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn relu6_in_place<const N: usize>(p: &Relu6Params, data: &mut [i8; N]) -> KernelResult {
    crate::relu::relu6_s8_in_place(p, data)
}

/// [`relu_in_place`] for a table (LEAKY_RELU, HARD_SWISH).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn lut_in_place<const N: usize>(p: &crate::lut::LutParams, data: &mut [i8; N]) -> KernelResult {
    crate::lut::lut_s8_in_place(p, data)
}

/// [`relu_in_place`] for the logistic.
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn logistic_in_place<const N: usize>(p: &LogisticParams, data: &mut [i8; N]) -> KernelResult {
    crate::logistic::logistic_s8_in_place(p, data)
}

/// [`relu_in_place`] for tanh.
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn tanh_in_place<const N: usize>(p: &LogisticParams, data: &mut [i8; N]) -> KernelResult {
    crate::tanh::tanh_s8_in_place(p, data)
}

/// [`relu_in_place`] for an int8 to int8 requantisation.
///
/// # Errors
/// [`KernelError`] when `p.len != N` or the shift is out of range.
pub fn requantize_in_place<const N: usize>(
    p: &RequantizeParams,
    data: &mut [i8; N],
) -> KernelResult {
    crate::requantize::requantize_s8_in_place(p, data)
}

/// Element-wise ADD written over operand `over` (`data`, `N` values with the output's shape),
/// reading `other` (`NB` values, broadcast); the shapes are in `p`.
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `N`, `NB`, do not broadcast, or the
/// operand written over does not have the output's shape.
pub fn add_in_place<const N: usize, const NB: usize>(
    p: &AddParams<'_>,
    data: &mut [i8; N],
    over: crate::add::Over,
    other: &[i8; NB],
) -> KernelResult {
    crate::add::add_s8_in_place(p, data, over, other)
}

/// [`add_in_place`] for SUB.
///
/// # Errors
/// As [`add_in_place`].
pub fn sub_in_place<const N: usize, const NB: usize>(
    p: &AddParams<'_>,
    data: &mut [i8; N],
    over: crate::add::Over,
    other: &[i8; NB],
) -> KernelResult {
    crate::add::sub_s8_in_place(p, data, over, other)
}

/// [`add_in_place`] for MUL.
///
/// # Errors
/// As [`add_in_place`].
pub fn mul_in_place<const N: usize, const NB: usize>(
    p: &MulParams<'_>,
    data: &mut [i8; N],
    over: crate::add::Over,
    other: &[i8; NB],
) -> KernelResult {
    crate::mul::mul_s8_in_place(p, data, over, other)
}

/// [`add_in_place`] for MAXIMUM.
///
/// # Errors
/// As [`add_in_place`].
pub fn maximum_in_place<const N: usize, const NB: usize>(
    p: &crate::minmax::MinMaxParams<'_>,
    data: &mut [i8; N],
    over: crate::add::Over,
    other: &[i8; NB],
) -> KernelResult {
    crate::minmax::maximum_s8_in_place(p, data, over, other)
}

/// [`add_in_place`] for MINIMUM.
///
/// # Errors
/// As [`add_in_place`].
pub fn minimum_in_place<const N: usize, const NB: usize>(
    p: &crate::minmax::MinMaxParams<'_>,
    data: &mut [i8; N],
    over: crate::add::Over,
    other: &[i8; NB],
) -> KernelResult {
    crate::minmax::minimum_s8_in_place(p, data, over, other)
}

/// PRELU written over its input (`data`, `N` values) with a constant `alpha` of `NA` values.
///
/// # Errors
/// As [`prelu`].
pub fn prelu_in_place<const N: usize, const NA: usize>(
    p: &crate::prelu::PreluParams<'_>,
    data: &mut [i8; N],
    alpha: &[i8; NA],
) -> KernelResult {
    crate::prelu::prelu_s8_in_place(p, data, alpha)
}

/// Float to int8 quantisation of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn quantize<const N: usize>(
    p: &QuantizeParams,
    input: &[f32; N],
    output: &mut [i8; N],
) -> KernelResult {
    quantize_f32_s8(p, input, output)
}

/// Int8 to float dequantisation of `N` values (`p.len` must be `N`).
///
/// # Errors
/// [`KernelError::Length`] when `p.len != N`.
pub fn dequantize<const N: usize>(
    p: &DequantizeParams,
    input: &[i8; N],
    output: &mut [f32; N],
) -> KernelResult {
    dequantize_s8_f32(p, input, output)
}

/// Element-wise ADD with broadcasting; the shapes are in `p`, the element counts in the types.
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `NA`, `NB`, `NO` or do not broadcast.
pub fn add<const NA: usize, const NB: usize, const NO: usize>(
    p: &AddParams<'_>,
    a: &[i8; NA],
    b: &[i8; NB],
    output: &mut [i8; NO],
) -> KernelResult {
    add_s8(p, a, b, output)
}

/// Element-wise SUB (`a - b`) with broadcasting; the shapes are in `p`, the element counts in
/// the types.
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `NA`, `NB`, `NO` or do not broadcast.
pub fn sub<const NA: usize, const NB: usize, const NO: usize>(
    p: &AddParams<'_>,
    a: &[i8; NA],
    b: &[i8; NB],
    output: &mut [i8; NO],
) -> KernelResult {
    crate::add::sub_s8(p, a, b, output)
}

/// Element-wise MAXIMUM with broadcasting (raw int8 values; one quantisation for all three).
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `NA`, `NB`, `NO` or do not broadcast.
pub fn maximum<const NA: usize, const NB: usize, const NO: usize>(
    p: &crate::minmax::MinMaxParams<'_>,
    a: &[i8; NA],
    b: &[i8; NB],
    output: &mut [i8; NO],
) -> KernelResult {
    crate::minmax::maximum_s8(p, a, b, output)
}

/// Element-wise MINIMUM with broadcasting (raw int8 values; one quantisation for all three).
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `NA`, `NB`, `NO` or do not broadcast.
pub fn minimum<const NA: usize, const NB: usize, const NO: usize>(
    p: &crate::minmax::MinMaxParams<'_>,
    a: &[i8; NA],
    b: &[i8; NB],
    output: &mut [i8; NO],
) -> KernelResult {
    crate::minmax::minimum_s8(p, a, b, output)
}

/// PRELU of `N` values with a constant `alpha` of `NA` values broadcast against them.
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `N`, `NA` or do not broadcast.
pub fn prelu<const N: usize, const NA: usize>(
    p: &crate::prelu::PreluParams<'_>,
    input: &[i8; N],
    alpha: &[i8; NA],
    output: &mut [i8; N],
) -> KernelResult {
    crate::prelu::prelu_s8(p, input, alpha, output)
}

/// Element-wise MUL with broadcasting; the shapes are in `p`, the element counts in the types.
///
/// # Errors
/// [`KernelError`] when the shapes in `p` disagree with `NA`, `NB`, `NO` or do not broadcast.
pub fn mul<const NA: usize, const NB: usize, const NO: usize>(
    p: &MulParams<'_>,
    a: &[i8; NA],
    b: &[i8; NB],
    output: &mut [i8; NO],
) -> KernelResult {
    mul_s8(p, a, b, output)
}

/// MEAN over axes of an `N`-element tensor into `M` elements (shape and axes in `p`).
///
/// # Errors
/// [`KernelError`] when `p` disagrees with `N` or `M`.
pub fn mean<const N: usize, const M: usize>(
    p: &MeanParams<'_>,
    input: &[i8; N],
    output: &mut [i8; M],
) -> KernelResult {
    mean_s8(p, input, output)
}

/// PAD of an `N`-element tensor into `M` elements (shape and paddings in `p`).
///
/// # Errors
/// [`KernelError`] when `p` disagrees with `N` or `M`.
pub fn pad<T: Element, const N: usize, const M: usize>(
    p: &PadParams<'_>,
    input: &[T; N],
    output: &mut [T; M],
) -> KernelResult {
    T::pad(p, input, output)
}

/// RESIZE_NEAREST_NEIGHBOR of an `N`-element `[H, W, C]` tensor into `M` elements (tables in `p`).
///
/// # Errors
/// [`KernelError`] when `p` disagrees with `N` or `M`.
pub fn resize_nearest<T: Element, const N: usize, const M: usize>(
    p: &ResizeNearestParams<'_>,
    input: &[T; N],
    output: &mut [T; M],
) -> KernelResult {
    T::resize_nearest(p, input, output)
}

/// STRIDED_SLICE (or a SPLIT output) of an `N`-element tensor into `M` elements.
///
/// # Errors
/// [`KernelError`] when `p` disagrees with `N` or `M`.
pub fn strided_slice<T: Element, const N: usize, const M: usize>(
    p: &StridedSliceParams<'_>,
    input: &[T; N],
    output: &mut [T; M],
) -> KernelResult {
    T::strided_slice(p, input, output)
}

/// Concatenation of `inputs` into `N` elements (sizes in `p`).
///
/// # Errors
/// [`KernelError`] when the inputs disagree with `p` or `N`.
pub fn concat<T: Element, const N: usize>(
    p: &ConcatParams<'_>,
    inputs: &[&[T]],
    output: &mut [T; N],
) -> KernelResult {
    T::concat(p, inputs, output)
}

/// Copy of `N` elements (a reshape that cannot be an alias).
pub fn copy<T: Copy, const N: usize>(input: &[T; N], output: &mut [T; N]) {
    *output = *input;
}

/// View `data[offset .. offset + A*B]` as `[[T; B]; A]`. `None` when the region runs past the
/// data or `B` is zero.
#[must_use]
pub fn view2<T, const A: usize, const B: usize>(data: &[T], offset: usize) -> Option<&[[T; B]; A]> {
    if B == 0 {
        return None;
    }
    let len = A.checked_mul(B)?;
    let region = data.get(offset..offset.checked_add(len)?)?;
    let (rows, rest) = region.as_chunks::<B>();
    if !rest.is_empty() {
        return None;
    }
    <&[[T; B]; A]>::try_from(rows).ok()
}

/// Mutable counterpart of [`view2`].
#[must_use]
pub fn view2_mut<T, const A: usize, const B: usize>(
    data: &mut [T],
    offset: usize,
) -> Option<&mut [[T; B]; A]> {
    if B == 0 {
        return None;
    }
    let len = A.checked_mul(B)?;
    let region = data.get_mut(offset..offset.checked_add(len)?)?;
    let (rows, rest) = region.as_chunks_mut::<B>();
    if !rest.is_empty() {
        return None;
    }
    <&mut [[T; B]; A]>::try_from(rows).ok()
}

/// View `data[offset .. offset + N]` as `[T; N]` (any element type, unlike [`view1`]).
#[must_use]
pub fn array<T, const N: usize>(data: &[T], offset: usize) -> Option<&[T; N]> {
    <&[T; N]>::try_from(data.get(offset..offset.checked_add(N)?)?).ok()
}

/// Mutable counterpart of [`array()`].
#[must_use]
pub fn array_mut<T, const N: usize>(data: &mut [T], offset: usize) -> Option<&mut [T; N]> {
    <&mut [T; N]>::try_from(data.get_mut(offset..offset.checked_add(N)?)?).ok()
}

/// An activation element the data-movement wrappers ([`pad`], [`strided_slice`],
/// [`resize_nearest`], [`concat()`]) take: `i8`, or `i16` for TFLite's 16x8 scheme. Sealed: implemented for
/// those two only.
pub trait Element: Copy + sealed::Sealed {
    /// The PAD kernel for this element.
    ///
    /// # Errors
    /// As [`pad_s8`].
    fn pad(p: &PadParams<'_>, input: &[Self], output: &mut [Self]) -> KernelResult;
    /// The STRIDED_SLICE kernel for this element.
    ///
    /// # Errors
    /// As [`strided_slice_s8`].
    fn strided_slice(
        p: &StridedSliceParams<'_>,
        input: &[Self],
        output: &mut [Self],
    ) -> KernelResult;
    /// The RESIZE_NEAREST_NEIGHBOR kernel for this element.
    ///
    /// # Errors
    /// As [`resize_nearest_s8`].
    fn resize_nearest(
        p: &ResizeNearestParams<'_>,
        input: &[Self],
        output: &mut [Self],
    ) -> KernelResult;
    /// The CONCATENATION kernel for this element.
    ///
    /// # Errors
    /// As [`concat_s8`].
    fn concat(p: &ConcatParams<'_>, inputs: &[&[Self]], output: &mut [Self]) -> KernelResult;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
}

impl Element for i8 {
    fn pad(p: &PadParams<'_>, input: &[i8], output: &mut [i8]) -> KernelResult {
        pad_s8(p, input, output)
    }
    fn strided_slice(p: &StridedSliceParams<'_>, input: &[i8], output: &mut [i8]) -> KernelResult {
        strided_slice_s8(p, input, output)
    }
    fn resize_nearest(
        p: &ResizeNearestParams<'_>,
        input: &[i8],
        output: &mut [i8],
    ) -> KernelResult {
        resize_nearest_s8(p, input, output)
    }
    fn concat(p: &ConcatParams<'_>, inputs: &[&[i8]], output: &mut [i8]) -> KernelResult {
        concat_s8(p, inputs, output)
    }
}

impl Element for i16 {
    fn pad(p: &PadParams<'_>, input: &[i16], output: &mut [i16]) -> KernelResult {
        crate::pad::pad_s16(p, input, output)
    }
    fn strided_slice(
        p: &StridedSliceParams<'_>,
        input: &[i16],
        output: &mut [i16],
    ) -> KernelResult {
        crate::strided_slice::strided_slice_s16(p, input, output)
    }
    fn resize_nearest(
        p: &ResizeNearestParams<'_>,
        input: &[i16],
        output: &mut [i16],
    ) -> KernelResult {
        crate::resize::resize_nearest_s16(p, input, output)
    }
    fn concat(p: &ConcatParams<'_>, inputs: &[&[i16]], output: &mut [i16]) -> KernelResult {
        crate::concat::concat_s16(p, inputs, output)
    }
}

/// An arena with one region lent out mutably (see [`split_arena`]): every byte outside that
/// region can still be read, at its offset in the whole arena.
#[derive(Clone, Copy, Debug)]
pub struct ArenaRest<'a, T = i8> {
    head: &'a [T],
    tail: &'a [T],
    tail_start: usize,
}

impl<'a, T> ArenaRest<'a, T> {
    /// The whole arena, read-only (for a layer whose output is not in the arena).
    #[must_use]
    pub fn whole(arena: &'a [T]) -> Self {
        ArenaRest {
            head: arena,
            tail: &[],
            tail_start: arena.len(),
        }
    }

    /// `arena[offset .. offset + len]`, or `None` when the region overlaps the lent-out one or
    /// runs past the arena.
    #[must_use]
    pub fn get(&self, offset: usize, len: usize) -> Option<&'a [T]> {
        let end = offset.checked_add(len)?;
        if end <= self.head.len() {
            self.head.get(offset..end)
        } else if offset >= self.tail_start {
            self.tail
                .get(offset - self.tail_start..end - self.tail_start)
        } else {
            None
        }
    }
}

/// Lend out `arena[offset .. offset + len]` mutably (a layer's output) while keeping the rest
/// readable (its inputs). `None` when the region runs past the arena. Offsets and lengths count
/// elements of the arena (bytes for the `i8` arena of int8 networks, `i16` elements for the
/// arena of a 16x8 network).
#[must_use]
pub fn split_arena<T>(
    arena: &mut [T],
    offset: usize,
    len: usize,
) -> Option<(ArenaRest<'_, T>, &mut [T])> {
    let end = offset.checked_add(len)?;
    let (head, rest) = arena.split_at_mut_checked(offset)?;
    let (out, tail) = rest.split_at_mut_checked(len)?;
    Some((
        ArenaRest {
            head,
            tail,
            tail_start: end,
        },
        out,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_check_bounds() {
        let mut arena = [0i8; 24];
        assert!(view3::<2, 3, 4>(&arena, 0).is_some());
        assert!(view3::<2, 3, 4>(&arena, 1).is_none());
        assert!(view3::<2, 0, 4>(&arena, 0).is_none());
        if let Some(t) = view3_mut::<1, 2, 3>(&mut arena, 6) {
            t[0][1][2] = 7;
        }
        assert_eq!(arena[6 + 5], 7);
        assert_eq!(view1::<4>(&arena, 8).map(|a| a[3]), Some(7));
        assert!(view1::<4>(&arena, 21).is_none());
    }

    #[test]
    fn split_regions() {
        let mut arena = [0i8; 10];
        arena[0] = 5;
        let (i, o) = split_in_out(&mut arena, 0..4, 4..10).unwrap();
        o[0] = i[0];
        assert_eq!(arena[4], 5);
        assert!(split_in_out(&mut arena, 0..5, 4..10).is_none());
        let (i, o) = split_in_out(&mut arena, 6..10, 0..6).unwrap();
        assert_eq!((i.len(), o.len()), (4, 6));
    }

    #[test]
    fn typed_dense_and_pool() {
        let spec = DenseSpec {
            input_offset: 0,
            output_offset: 0,
            output_multiplier: &[1 << 30],
            output_shift: &[1],
            act: [-128, 127],
        };
        let mut out = [0i8; 2];
        dense(&spec, &[1, 2, 3], &[[1, 1, 1], [0, 0, 2]], None, &mut out).unwrap();
        assert_eq!(out, [6, 6]);
        let pool = PoolSpec {
            filter: [2, 2],
            stride: [2, 2],
            pad: [0, 0],
            act: [-128, 127],
        };
        let input: Tensor3<2, 2, 1> = [[[1], [4]], [[3], [2]]];
        let mut out: Tensor3<1, 1, 1> = [[[0]]];
        max_pool2d(&pool, &input, &mut out).unwrap();
        assert_eq!(out, [[[4]]]);
    }

    #[test]
    fn arena_split_lends_one_region() {
        let mut arena = [0i8; 16];
        arena[1] = 3;
        arena[12] = 9;
        let (rest, out) = split_arena(&mut arena, 4, 8).unwrap();
        assert_eq!(out.len(), 8);
        assert_eq!(rest.get(0, 4).map(|s| s[1]), Some(3));
        assert_eq!(rest.get(12, 4).map(|s| s[0]), Some(9));
        // Overlapping the lent-out region, or past the end: refused.
        assert!(rest.get(2, 4).is_none());
        assert!(rest.get(10, 4).is_none());
        assert!(rest.get(12, 5).is_none());
        out[0] = 1;
        assert!(split_arena(&mut arena, 10, 7).is_none());
        assert_eq!(arena[4], 1);
        let whole = ArenaRest::whole(&arena);
        assert_eq!(whole.get(0, 16).map(<[i8]>::len), Some(16));
        assert!(whole.get(8, 9).is_none());
    }

    #[test]
    fn rows_views_and_fully_connected() {
        let data = [1i8, 2, 3, 4, 5, 6];
        let v = view2::<i8, 2, 3>(&data, 0).unwrap();
        assert_eq!(v[1], [4, 5, 6]);
        assert!(view2::<i8, 2, 3>(&data, 1).is_none());
        assert_eq!(array::<i8, 2>(&data, 4), Some(&[5, 6]));
        let spec = FcSpec {
            input_offset: 0,
            filter_offset: 1,
            output_offset: 0,
            output_multiplier: &[1 << 30],
            output_shift: &[1],
            act: [-128, 127],
        };
        let mut out = [[0i8; 1]; 2];
        // (x + 0) . (w + 1) with w = [0, 0, 1]: row sums plus the third element.
        fully_connected(&spec, v, &[[0, 0, 1]], None, &mut out).unwrap();
        assert_eq!(out, [[1 + 2 + 3 + 3], [4 + 5 + 6 + 6]]);
        let mut copied = [0i8; 6];
        copy(&data, &mut copied);
        assert_eq!(copied, data);
    }
}
