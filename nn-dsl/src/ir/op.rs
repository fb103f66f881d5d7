//! Operators with fully resolved attributes.
//!
//! Every number a back end needs is explicit here: no defaults, no "same as kernel", no negative
//! axes. Front ends (the .nnd checker, the .tflite importer) resolve their own syntax into these
//! values; back ends and the memory planner read them without knowing where they came from.

use std::fmt;

use super::DType;

/// A fused activation applied to an op's output (TFLite's `FusedActivationFunction` subset that
/// int8 kernels support).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Activation {
    /// No clamping beyond the output type's range.
    #[default]
    None,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
}

impl Activation {
    /// The name used in .nnd and reports.
    pub fn name(self) -> &'static str {
        match self {
            Activation::None => "none",
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
        }
    }
}

/// How the padding amounts of a windowed op were chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaddingScheme {
    /// TFLite SAME: `ceil(in / stride)` outputs, `floor(total / 2)` before the data.
    Same,
    /// TFLite VALID: no padding.
    Valid,
    /// Amounts written explicitly by the user (TFLite expresses this as a PAD op before the layer).
    Explicit,
}

/// Padding of the two spatial dimensions: the scheme and the resolved amounts.
///
/// The amounts are always filled in, whatever the scheme (zero for VALID), so kernels never
/// recompute them. Padded positions read as the input's zero point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Padding2d {
    /// Where the amounts came from.
    pub scheme: PaddingScheme,
    /// Rows before the data (top).
    pub top: usize,
    /// Rows after the data (bottom).
    pub bottom: usize,
    /// Columns before the data.
    pub left: usize,
    /// Columns after the data.
    pub right: usize,
}

/// The sliding window of a convolution or pooling op over `[H, W, C]` data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window2d {
    /// Kernel `[height, width]`, each >= 1.
    pub kernel: [usize; 2],
    /// Stride `[height, width]`, each >= 1.
    pub stride: [usize; 2],
    /// Dilation `[height, width]`, each >= 1 (always `[1, 1]` for pooling).
    pub dilation: [usize; 2],
    /// Padding scheme and amounts.
    pub padding: Padding2d,
}

/// 2-D convolution. Weights `[filters, kh, kw, in_channels / groups]` (OHWI, as TFLite), bias
/// `[filters]` int32 when `bias` is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2d {
    /// Output channels.
    pub filters: usize,
    /// Window.
    pub window: Window2d,
    /// Channel groups (1 for an ordinary convolution; `in_channels` divisible by it).
    pub groups: usize,
    /// Fused activation.
    pub activation: Activation,
    /// Whether a bias vector is added.
    pub bias: bool,
}

/// Transposed 2-D convolution (TFLite `TRANSPOSE_CONV`, Keras `Conv2DTranspose`). Weights
/// `[filters, kh, kw, in_channels]` (OHWI, as TFLite), bias `[filters]` int32 when `bias` is set.
/// Input pixel `(iy, ix)` adds its products to output `(iy * stride - top + ky, ix * stride -
/// left + kx)` where that lies inside `output_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransposeConv2d {
    /// Output channels.
    pub filters: usize,
    /// Kernel and stride (dilation `[1, 1]`); the padding scheme is SAME or VALID and its amounts
    /// are TFLite's for the forward convolution of the output (`top` / `left` are cut from the
    /// full result; see [`crate::shape::transpose_window`]).
    pub window: Window2d,
    /// Output `[height, width]`, one of [`crate::shape::transpose_sizes`] per axis.
    pub output_size: [usize; 2],
    /// Fused activation.
    pub activation: Activation,
    /// Whether a bias vector is added.
    pub bias: bool,
}

/// Depthwise 2-D convolution. Weights `[1, kh, kw, channels * depth_multiplier]`, bias
/// `[channels * depth_multiplier]` when `bias` is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DepthwiseConv2d {
    /// Output channels per input channel.
    pub depth_multiplier: usize,
    /// Window.
    pub window: Window2d,
    /// Fused activation.
    pub activation: Activation,
    /// Whether a bias vector is added.
    pub bias: bool,
}

/// Fully connected layer on a rank-1 input. Weights `[units, in]`, bias `[units]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dense {
    /// Output features.
    pub units: usize,
    /// Fused activation.
    pub activation: Activation,
    /// Whether a bias vector is added.
    pub bias: bool,
}

/// Max or average pooling. `window.dilation` is `[1, 1]` and the scheme is SAME or VALID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2d {
    /// Window.
    pub window: Window2d,
    /// Fused activation.
    pub activation: Activation,
}

/// SVDF (TFLite `SVDF`): a rank-factorised filter over the last `memory` steps of a stream. Weights
/// `<layer>.weights_feature` `[units * rank, in]` int8, `<layer>.weights_time` `[units * rank,
/// memory]` of the state type, bias `[units]` int32 when `bias` is set; the state (`[units * rank,
/// memory]`, oldest step first) persists between runs and is owned by the caller (the generated
/// module's `State`). Its quantisation is in the weights (`<layer>.state_scale`,
/// `<layer>.state_zero_point`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Svdf {
    /// Output features.
    pub units: usize,
    /// Filters per unit, >= 1.
    pub rank: usize,
    /// Steps remembered per filter, >= 1.
    pub memory: usize,
    /// Whether a bias vector is added.
    pub bias: bool,
    /// Element type of the time weights and the state: [`DType::I16`] or [`DType::I8`].
    pub state: DType,
}

impl Svdf {
    /// Filters: `units * rank`.
    pub fn filters(&self) -> usize {
        self.units.saturating_mul(self.rank)
    }

    /// Elements of the state: `units * rank * memory`.
    pub fn state_len(&self) -> usize {
        self.filters().saturating_mul(self.memory)
    }
}

/// LSTM (TFLite `UNIDIRECTIONAL_SEQUENCE_LSTM`, batch-major, no peepholes, projection or layer
/// normalisation): `[T, N] -> [T, units]`, the hidden state of every step. Weights
/// `<layer>.weight` `[4 * units, N]` and `<layer>.recurrent_weight` `[4 * units, units]` int8
/// (gates input, forget, cell, output, each with its own f32 scale in `<layer>.weight_scale` /
/// `<layer>.recurrent_weight_scale` `[4]`), bias `[4 * units]` int32, and the int16 cell
/// state's power-of-two scale `<layer>.cell_scale`. The hidden state has the output's
/// quantisation. Both states persist between runs and are owned by the caller (the generated
/// module's `State`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lstm {
    /// Units: the size of the hidden and cell states.
    pub units: usize,
    /// The cell state is clipped to `±cell_clip` (real value) after each update; 0 for none.
    pub cell_clip: f32,
}

/// An operator and its resolved attributes. Shapes in comments exclude the implicit batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `[H, W, C] -> [OH, OW, filters]`.
    Conv2d(Conv2d),
    /// `[H, W, C] -> [OH, OW, C * depth_multiplier]`.
    DepthwiseConv2d(DepthwiseConv2d),
    /// `[H, W, C] -> [output_size[0], output_size[1], filters]`.
    TransposeConv2d(TransposeConv2d),
    /// `[N] -> [units]`.
    Dense(Dense),
    /// `[N] -> [units]`, with state kept between runs.
    Svdf(Svdf),
    /// `[T, N] -> [T, units]`, with state kept between runs.
    Lstm(Lstm),
    /// `[H, W, C] -> [OH, OW, C]`.
    MaxPool2d(Pool2d),
    /// `[H, W, C] -> [OH, OW, C]`.
    AvgPool2d(Pool2d),
    /// Mean over H and W: `[H, W, C] -> [C]` or `[1, 1, C]`.
    GlobalAvgPool {
        /// Keep the reduced dimensions as size 1.
        keep_dims: bool,
    },
    /// Mean over `axes`.
    Mean {
        /// Reduced axes: non-negative, sorted ascending, no duplicates, each < input rank.
        axes: Vec<usize>,
        /// Keep the reduced dimensions as size 1.
        keep_dims: bool,
    },
    /// Element-wise sum with broadcasting (aligned from the right).
    Add {
        /// Fused activation.
        activation: Activation,
        /// The shape of a constant second operand (weights `<layer>.operand`), when the node has
        /// one input; `None` for two inputs.
        operand: Option<Vec<usize>>,
    },
    /// Element-wise product with broadcasting (aligned from the right).
    Mul {
        /// Fused activation.
        activation: Activation,
        /// As for [`Op::Add`].
        operand: Option<Vec<usize>>,
    },
    /// Element-wise difference `a - b` with broadcasting (aligned from the right).
    Sub {
        /// Fused activation.
        activation: Activation,
        /// As for [`Op::Add`] (the constant is always `b`).
        operand: Option<Vec<usize>>,
    },
    /// Element-wise maximum with broadcasting; inputs and output share one quantisation.
    Maximum,
    /// Element-wise minimum with broadcasting; inputs and output share one quantisation.
    Minimum,
    /// `x` for `x >= 0`, `alpha * x` below, with a constant int8 `alpha` (weights
    /// `<layer>.alpha`) broadcast against `x`.
    Prelu {
        /// Shape of `alpha`: rank <= the input's, each dimension 1 or the input's (aligned from
        /// the right).
        alpha_shape: Vec<usize>,
    },
    /// Joins two or more tensors along `axis`.
    Concat {
        /// Non-negative axis, < rank.
        axis: usize,
    },
    /// Reinterprets the data with a new shape of the same element count.
    Reshape {
        /// The output shape with any `-1` resolved.
        shape: Vec<usize>,
    },
    /// Reshape to rank 1.
    Flatten,
    /// Nearest-neighbour resize `[H, W, C] -> [size[0], size[1], C]` (TFLite
    /// RESIZE_NEAREST_NEIGHBOR); input and output share one quantisation.
    ResizeNearest {
        /// Output `[height, width]`, each >= 1.
        size: [usize; 2],
        /// Corner pixels of input and output aligned (scale `(in - 1) / (out - 1)`).
        align_corners: bool,
        /// Sample at pixel centres (`+ 0.5` before scaling).
        half_pixel_centers: bool,
    },
    /// Strided slice (TFLite STRIDED_SLICE, and each output of SPLIT / SPLIT_V); input and output
    /// share one quantisation. Output index `i` of axis `a` reads input index
    /// `begin[a] + i * strides[a]` for `i` in `0..` [`crate::shape::slice_size`]`(begin, end,
    /// stride)`; the taken sizes, in order, give `shape` once dimensions of size 1 are dropped or
    /// added (TFLite's shrink axes).
    StridedSlice {
        /// First index read per input axis (inside the axis).
        begin: Vec<usize>,
        /// Exclusive stop per input axis, resolved (`-1`: through index 0 with a negative stride).
        end: Vec<i64>,
        /// Non-zero step per input axis.
        strides: Vec<i64>,
        /// The output shape (the taken sizes, possibly without or with extra 1s).
        shape: Vec<usize>,
    },
    /// Zero-point padding of every dimension.
    Pad {
        /// `[before, after]` per input dimension.
        paddings: Vec<[usize; 2]>,
    },
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// `x` for `x >= 0`, `alpha * x` below.
    LeakyRelu {
        /// Slope below zero (finite, >= 0).
        alpha: f32,
    },
    /// `x * relu6(x + 3) / 6`.
    HardSwish,
    /// `1 / (1 + exp(-x))`.
    Logistic,
    /// `tanh(x)`.
    Tanh,
    /// Softmax over the last axis.
    Softmax {
        /// Inverse temperature (finite, > 0).
        beta: f32,
    },
    /// f32 -> i8 with the output tensor's quantisation.
    Quantize,
    /// i8 -> f32 with the input tensor's quantisation.
    Dequantize,
    /// i8 -> i8: rescales from the input's quantisation to the output's (TFLite's int8 -> int8
    /// `QUANTIZE`).
    Requantize,
}

impl Op {
    /// The operator's name as written in .nnd (`conv2d`, `avg_pool2d`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Conv2d(_) => "conv2d",
            Op::DepthwiseConv2d(_) => "depthwise_conv2d",
            Op::TransposeConv2d(_) => "transpose_conv2d",
            Op::Dense(_) => "dense",
            Op::Svdf(_) => "svdf",
            Op::Lstm(_) => "lstm",
            Op::MaxPool2d(_) => "max_pool2d",
            Op::AvgPool2d(_) => "avg_pool2d",
            Op::GlobalAvgPool { .. } => "global_avg_pool",
            Op::Mean { .. } => "mean",
            Op::Add { .. } => "add",
            Op::Mul { .. } => "mul",
            Op::Sub { .. } => "sub",
            Op::Maximum => "maximum",
            Op::Minimum => "minimum",
            Op::Prelu { .. } => "prelu",
            Op::Concat { .. } => "concat",
            Op::Reshape { .. } => "reshape",
            Op::Flatten => "flatten",
            Op::ResizeNearest { .. } => "resize_nearest",
            Op::StridedSlice { .. } => "strided_slice",
            Op::Pad { .. } => "pad",
            Op::Relu => "relu",
            Op::Relu6 => "relu6",
            Op::LeakyRelu { .. } => "leaky_relu",
            Op::HardSwish => "hard_swish",
            Op::Logistic => "logistic",
            Op::Tanh => "tanh",
            Op::Softmax { .. } => "softmax",
            Op::Quantize => "quantize",
            Op::Dequantize => "dequantize",
            Op::Requantize => "requantize",
        }
    }

    /// The window of a convolution or pooling op.
    pub fn window(&self) -> Option<&Window2d> {
        match self {
            Op::Conv2d(c) => Some(&c.window),
            Op::DepthwiseConv2d(c) => Some(&c.window),
            Op::MaxPool2d(p) | Op::AvgPool2d(p) => Some(&p.window),
            _ => None,
        }
    }

    /// The fused activation, for ops that have one.
    pub fn activation(&self) -> Option<Activation> {
        match self {
            Op::Conv2d(c) => Some(c.activation),
            Op::DepthwiseConv2d(c) => Some(c.activation),
            Op::TransposeConv2d(c) => Some(c.activation),
            Op::Dense(d) => Some(d.activation),
            Op::MaxPool2d(p) | Op::AvgPool2d(p) => Some(p.activation),
            Op::Add { activation, .. }
            | Op::Mul { activation, .. }
            | Op::Sub { activation, .. } => Some(*activation),
            _ => None,
        }
    }

    /// True for ops whose output is the input's bytes under another shape (the memory planner may
    /// alias them).
    pub fn is_reshape_like(&self) -> bool {
        matches!(self, Op::Reshape { .. } | Op::Flatten)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
