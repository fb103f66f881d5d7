//! Lowering: every constant a kernel needs, computed once on the host.
//!
//! [`lower`] walks a checked [`Module`] whose tensors carry their quantisation (filled by the
//! .tflite importer or by binding a weights file) and the [`Weights`] holding its constants, and
//! produces one [`NodeParams`] per node: the exact numbers `nn_kernels` takes (spatial sizes,
//! resolved padding, input/output offsets, per-channel Q31 multipliers and shifts, fused-activation
//! clamps, the softmax / logistic / tanh / add / mul / mean constants) plus the node's int8 weights
//! and int32 biases decoded from the weights file.
//!
//! This is the **single place** where constants are derived. The host executor ([`crate::exec`])
//! feeds them to the portable kernels; code generators bake the same values into generated code.
//! The arithmetic itself lives in [`crate::quant`] (TFLM's `Prepare` step) and [`crate::shape`];
//! this module decides which helper applies to which node, with which scales.
//!
//! The per-op builders ([`conv2d`], [`depthwise_conv2d`], [`dense`], [`pool2d`], [`add`], [`mul`],
//! [`softmax`], ...) take plain numbers, so callers that have no [`Module`] (the single-op oracle
//! harness) derive constants the same way.
//!
//! Shapes in the IR exclude the batch dimension (always 1), so every lowered kernel runs one batch.

mod node;

use thiserror::Error;

use crate::ir::{Handle, Module, Node};
use crate::quant::QuantError;
use crate::weights::Weights;

pub use nn_kernels::dequantize::DequantizeParams;
pub use nn_kernels::logistic::LogisticParams;
pub use nn_kernels::max_pool2d::Pool2dParams;
pub use nn_kernels::mean::MeanRequant;
pub use nn_kernels::q7q15::{Activation as TableActivation, Rounding, Shifts, Window};
pub use nn_kernels::quantize::QuantizeParams;
pub use nn_kernels::relu::{Relu6Params, ReluParams};
pub use nn_kernels::requantize::RequantizeParams;
pub use nn_kernels::softmax::SoftmaxParams;
pub use node::{
    add, conv2d, dense, depthwise_conv2d, logistic_or_tanh, mean, mul, pool2d, relu, relu6,
    requantize, softmax, transpose_conv2d, ActQuant,
};

use nn_kernels::add::AddParams;
use nn_kernels::concat::ConcatParams;
use nn_kernels::conv2d::Conv2dParams;
use nn_kernels::depthwise_conv2d::DepthwiseConv2dParams;
use nn_kernels::fully_connected::FullyConnectedParams;
use nn_kernels::mean::MeanParams;
use nn_kernels::mul::MulParams;
use nn_kernels::pad::PadParams;
use nn_kernels::transpose_conv::TransposeConv2dParams;

/// Why a module cannot be lowered. Every variant names the node or tensor concerned.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LowerError {
    /// A tensor an int8 kernel reads or writes has no quantisation parameters.
    #[error("tensor `{tensor}` has no quantisation (scale and zero point); bind a weights file or import a quantised model")]
    MissingQuant {
        /// Tensor name.
        tensor: String,
    },
    /// A tensor's quantisation cannot be used (per-channel on an activation, bad scale, zero point
    /// outside int8, mismatched lengths).
    #[error("tensor `{tensor}`: {reason}")]
    BadQuant {
        /// Tensor name.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// A host quantisation helper rejected the node's scales.
    #[error("node `{node}` ({op}): {source}")]
    Quant {
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// The helper's error.
        source: QuantError,
    },
    /// A constant the node needs is not in the weights.
    #[error("node `{node}` ({op}) needs weight tensor `{name}`, which the weights do not contain")]
    MissingWeight {
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// The weight tensor's name.
        name: String,
    },
    /// A constant has the wrong element type or element count.
    #[error("weight tensor `{name}` of node `{node}`: expected {expected}, found {found}")]
    BadWeight {
        /// Node name.
        node: String,
        /// The weight tensor's name.
        name: String,
        /// What the node needs (dtype and shape).
        expected: String,
        /// What the weights hold.
        found: String,
    },
    /// The node's dtypes, attributes or input count have no int8 kernel.
    #[error("node `{node}` ({op}) cannot be lowered: {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// Why.
        reason: String,
    },
    /// A derived constant is outside the range the int8 kernels take (they would refuse it, or
    /// compute something else, when the network runs).
    #[error(
        "node `{node}` ({op}): {what} is {value}, outside {range}, the range the int8 kernels take"
    )]
    Constant {
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// Which constant (`output shift`, `activation minimum`, ...).
        what: &'static str,
        /// Its value.
        value: i64,
        /// The accepted range (`-31..=31`).
        range: &'static str,
    },
    /// The module breaks an IR invariant (dangling handle, wrong input count).
    #[error("malformed module at node `{node}`: {reason}")]
    Malformed {
        /// Node name.
        node: String,
        /// What is wrong.
        reason: String,
    },
}

/// A lowered module: one [`NodeParams`] per node, in the module's node (schedule) order.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    /// `nodes[i]` belongs to the node with handle index `i`.
    pub nodes: Vec<NodeParams>,
}

impl Lowered {
    /// The parameters of `node`.
    pub fn get(&self, node: Handle<Node>) -> Option<&NodeParams> {
        self.nodes.get(node.index())
    }

    /// Bytes of all constants of the lowered network: int8 weights, int32 biases and the
    /// per-channel int32 multipliers and shifts.
    pub fn constant_bytes(&self) -> usize {
        self.nodes.iter().map(NodeParams::constant_bytes).sum()
    }
}

/// Lowers every node of `module` with the constants in `weights`.
///
/// # Errors
/// The first [`LowerError`] met, in schedule order.
pub fn lower(module: &Module, weights: &Weights) -> Result<Lowered, LowerError> {
    let nodes = module
        .nodes
        .iter()
        .map(|(_, n)| lower_node(module, weights, n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Lowered { nodes })
}

/// Lowers one node of `module` (what [`lower`] does for each), so that callers can report every
/// node that cannot be lowered, not only the first. Every constant of the result is one the int8
/// kernels take: shifts, multipliers, offsets and clamps outside their ranges are
/// [`LowerError::Quant`] or [`LowerError::Constant`] here, never a `KernelError` on the device.
///
/// # Errors
/// [`LowerError`] naming the node.
pub fn lower_node(
    module: &Module,
    weights: &Weights,
    node: &Node,
) -> Result<NodeParams, LowerError> {
    let params = node::lower_node(module, weights, node)?;
    check_constants(node, &params)?;
    Ok(params)
}

/// The ranges the kernels check at entry (every target's: the portable kernels refuse shifts
/// outside -31..=31, ADD's above 0 and softmax's below 0; the AArch64 and RV64 requantisation
/// also negative multipliers and offsets or clamps outside int8). The quantisation helpers
/// already keep every constant inside them; this makes the guarantee independent of that.
fn check_constants(node: &Node, params: &NodeParams) -> Result<(), LowerError> {
    let check = |what: &'static str, value: i32, lo: i32, hi: i32, range: &'static str| {
        if (lo..=hi).contains(&value) {
            Ok(())
        } else {
            Err(LowerError::Constant {
                node: node.name.clone(),
                op: node.op.name(),
                what,
                value: i64::from(value),
                range,
            })
        }
    };
    let shift = |what, v| check(what, v, -31, 31, "-31..=31");
    let multiplier = |what, v| check(what, v, 0, i32::MAX, "0..=2147483647");
    let int8 = |what, v| check(what, v, -128, 127, "-128..=127");
    let offset = |what, v| check(what, v, -127, 128, "-127..=128 (minus an int8 zero point)");
    let clamp = |min: i32, max: i32| {
        int8("activation minimum", min)?;
        int8("activation maximum", max)?;
        check(
            "activation maximum",
            max,
            min,
            127,
            "activation minimum..=127",
        )
    };
    match params {
        NodeParams::Conv2d(Conv2dLowered { requant: r, .. })
        | NodeParams::TransposeConv2d(TransposeConv2dLowered { requant: r, .. })
        | NodeParams::DepthwiseConv2d(DepthwiseLowered { requant: r, .. })
        | NodeParams::Dense(DenseLowered { requant: r, .. }) => {
            for &m in &r.multiplier {
                multiplier("output multiplier", m)?;
            }
            for &s in &r.shift {
                shift("output shift", s)?;
            }
            offset("input offset", r.input_offset)?;
            int8("output offset", r.output_offset)?;
            clamp(r.act_min, r.act_max)
        }
        NodeParams::Add(b) | NodeParams::Sub(b) => {
            for (m, s) in [
                (b.a_multiplier, b.a_shift),
                (b.b_multiplier, b.b_shift),
                (b.output_multiplier, b.output_shift),
            ] {
                multiplier("multiplier", m)?;
                check("shift", s, -31, 0, "-31..=0")?;
            }
            check("left shift", b.left_shift, 0, 20, "0..=20")?;
            offset("input offset", b.a_offset)?;
            offset("input offset", b.b_offset)?;
            int8("output offset", b.output_offset)?;
            clamp(b.act_min, b.act_max)
        }
        NodeParams::Mul(b) => {
            multiplier("output multiplier", b.output_multiplier)?;
            shift("output shift", b.output_shift)?;
            offset("input offset", b.a_offset)?;
            offset("input offset", b.b_offset)?;
            int8("output offset", b.output_offset)?;
            clamp(b.act_min, b.act_max)
        }
        NodeParams::Prelu(p) => {
            multiplier("multiplier", p.multiplier_identity)?;
            shift("shift", p.shift_identity)?;
            multiplier("multiplier", p.multiplier_alpha)?;
            shift("shift", p.shift_alpha)?;
            offset("input offset", p.input_offset)?;
            offset("alpha offset", p.alpha_offset)?;
            int8("output offset", p.output_offset)
        }
        NodeParams::Relu(p) => {
            multiplier("multiplier", p.multiplier)?;
            shift("shift", p.shift)?;
            clamp(p.act_min, p.act_max)
        }
        NodeParams::Requantize(p) => {
            multiplier("multiplier", p.multiplier)?;
            shift("shift", p.shift)
        }
        NodeParams::Mean(MeanLowered {
            requant:
                MeanRequant::Requant {
                    multiplier: m,
                    shift: s,
                    ..
                },
            ..
        }) => {
            multiplier("multiplier", *m)?;
            shift("shift", *s)
        }
        NodeParams::Softmax(p) => {
            multiplier("input multiplier", p.input_multiplier)?;
            check("input left shift", p.input_left_shift, 0, 31, "0..=31")
        }
        NodeParams::MaxPool2d(p) | NodeParams::AvgPool2d(p) => clamp(p.act_min, p.act_max),
        NodeParams::S16(p) => {
            let int16 = |what, v| check(what, v, -32768, 32767, "-32768..=32767");
            let zero = |what, v| check(what, v, 0, 0, "0 (int16 zero points are 0)");
            let clamp16 = |min: i32, max: i32| {
                int16("activation minimum", min)?;
                int16("activation maximum", max)?;
                check(
                    "activation maximum",
                    max,
                    min,
                    32767,
                    "activation minimum..=32767",
                )
            };
            match p {
                S16Params::Conv2d(Conv2dLowered { requant: r, .. }, _)
                | S16Params::DepthwiseConv2d(DepthwiseLowered { requant: r, .. }, _)
                | S16Params::Dense(DenseLowered { requant: r, .. }, _) => {
                    for &m in &r.multiplier {
                        multiplier("output multiplier", m)?;
                    }
                    for &s in &r.shift {
                        check("output shift", s, -31, 14, "-31..=14 (16x8)")?;
                    }
                    zero("input offset", r.input_offset)?;
                    zero("output offset", r.output_offset)?;
                    clamp16(r.act_min, r.act_max)
                }
                S16Params::Add(b) => {
                    for (m, s) in [
                        (b.a_multiplier, b.a_shift),
                        (b.b_multiplier, b.b_shift),
                        (b.output_multiplier, b.output_shift),
                    ] {
                        multiplier("multiplier", m)?;
                        check("shift", s, -31, 0, "-31..=0")?;
                    }
                    clamp16(b.act_min, b.act_max)
                }
                S16Params::Mul(b) => {
                    multiplier("output multiplier", b.output_multiplier)?;
                    shift("output shift", b.output_shift)?;
                    clamp16(b.act_min, b.act_max)
                }
                S16Params::MaxPool2d(p) | S16Params::AvgPool2d(p) => clamp16(p.act_min, p.act_max),
                S16Params::Quantize(_)
                | S16Params::Dequantize(_)
                | S16Params::Logistic(_)
                | S16Params::Tanh(_)
                | S16Params::Softmax(_)
                | S16Params::Requantize(_) => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The kernel call of one node, with all its constants.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeParams {
    /// `nn_kernels::conv2d::conv2d_s8`.
    Conv2d(Conv2dLowered),
    /// `nn_kernels::depthwise_conv2d::depthwise_conv2d_s8`.
    DepthwiseConv2d(DepthwiseLowered),
    /// `nn_kernels::transpose_conv::transpose_conv_s8`.
    TransposeConv2d(TransposeConv2dLowered),
    /// `nn_kernels::fully_connected::fully_connected_s8`.
    Dense(DenseLowered),
    /// `nn_kernels::max_pool2d::max_pool2d_s8`.
    MaxPool2d(Pool2dParams),
    /// `nn_kernels::avg_pool2d::avg_pool2d_s8`.
    AvgPool2d(Pool2dParams),
    /// `nn_kernels::mean::mean_s8` (MEAN and global average pooling).
    Mean(MeanLowered),
    /// `nn_kernels::add::add_s8`.
    Add(BinaryLowered),
    /// `nn_kernels::mul::mul_s8`.
    Mul(BinaryLowered),
    /// `nn_kernels::add::sub_s8` (ADD's constants).
    Sub(BinaryLowered),
    /// `nn_kernels::minmax::maximum_s8`.
    Maximum(MinMaxLowered),
    /// `nn_kernels::minmax::minimum_s8`.
    Minimum(MinMaxLowered),
    /// `nn_kernels::prelu::prelu_s8`.
    Prelu(PreluLowered),
    /// `nn_kernels::svdf::svdf_s8` (with state kept between runs).
    Svdf(SvdfLowered),
    /// `nn_kernels::lstm::lstm_s8` (with state kept between runs).
    Lstm(LstmLowered),
    /// `nn_kernels::concat::concat_s8`.
    Concat(ConcatLowered),
    /// `nn_kernels::pad::pad_s8`.
    Pad(PadLowered),
    /// `nn_kernels::resize::resize_nearest_s8`: source tables computed on the host.
    ResizeNearest(ResizeNearestLowered),
    /// `nn_kernels::strided_slice::strided_slice_s8` (STRIDED_SLICE, SPLIT outputs).
    StridedSlice(StridedSliceLowered),
    /// Reshape / flatten: the output is the input's bytes (a copy on the host, an alias in
    /// generated code).
    Copy {
        /// Bytes moved.
        bytes: usize,
    },
    /// `nn_kernels::relu::relu_s8`.
    Relu(ReluParams),
    /// `nn_kernels::relu::relu6_s8`.
    Relu6(Relu6Params),
    /// `nn_kernels::lut::lut_s8`: an element-wise function (LEAKY_RELU, HARD_SWISH) as a table
    /// of its 256 outputs, computed on the host with TFLM's arithmetic.
    Lut(nn_kernels::lut::LutParams),
    /// `nn_kernels::logistic::logistic_s8`.
    Logistic(LogisticParams),
    /// `nn_kernels::tanh::tanh_s8`.
    Tanh(LogisticParams),
    /// `nn_kernels::softmax::softmax_s8`.
    Softmax(SoftmaxParams),
    /// `nn_kernels::quantize::quantize_f32_s8`.
    Quantize(QuantizeParams),
    /// `nn_kernels::dequantize::dequantize_s8_f32`.
    Dequantize(DequantizeParams),
    /// `nn_kernels::requantize::requantize_s8` (int8 -> int8 QUANTIZE).
    Requantize(RequantizeParams),
    /// `nn_kernels::q7q15::convolve_hwc_q7` (q7 networks).
    Q7Conv2d(Q7ConvLowered),
    /// `nn_kernels::q7q15::depthwise_conv_hwc_q7` (q7 networks).
    Q7DepthwiseConv2d(Q7ConvLowered),
    /// `nn_kernels::q7q15::fully_connected_q7` (q7 networks).
    Q7Dense(Q7DenseLowered),
    /// `nn_kernels::q7q15::avepool_hwc_q7` (q7 networks).
    Q7AvgPool2d(Window),
    /// `nn_kernels::q7q15::softmax_q7` on each of `rows` rows of `depth` (q7 networks).
    Q7Softmax {
        /// Rows (the product of every dimension but the last).
        rows: usize,
        /// The last dimension.
        depth: usize,
    },
    /// `nn_kernels::q7q15::activations_direct_q7` (sigmoid or tanh by table, q7 networks).
    Q7Activation {
        /// Sigmoid or tanh.
        function: TableActivation,
        /// Integer bits of the input format (`7 - frac`, 0..=3).
        int_width: u32,
    },
    /// A layer of TFLite's 16x8 scheme (int16 activations): the `_s16` kernels.
    S16(S16Params),
    /// A layer of a q15 network: the `_q15` kernels of `nn_kernels::q7q15`.
    Q15(Q15Params),
}

/// The constants of a layer of a q15 network (power-of-two, int16 tensors; reshape and flatten
/// lower to [`NodeParams::Copy`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Q15Params {
    /// `nn_kernels::q7q15::convolve_hwc_q15`.
    Conv2d(Q15ConvLowered),
    /// `nn_kernels::q7q15::fully_connected_q15`, or `fully_connected_mat_q7_vec_q15` with q7
    /// weights.
    Dense(Q15DenseLowered),
    /// `nn_kernels::q7q15::relu_q15` (on a copy of the input).
    Relu,
    /// `nn_kernels::q7q15::softmax_q15` on each of `rows` rows of `depth`.
    Softmax {
        /// Rows (the product of every dimension but the last).
        rows: usize,
        /// The last dimension.
        depth: usize,
    },
    /// `nn_kernels::q7q15::activations_direct_q15` (sigmoid or tanh by table, on a copy of the
    /// input).
    Activation {
        /// Sigmoid or tanh.
        function: TableActivation,
        /// Integer bits of the input format (`15 - frac`, 0..=3).
        int_width: u32,
    },
}

impl Q15Params {
    /// The operator's name, for reports and errors.
    pub fn op_name(&self) -> &'static str {
        match self {
            Q15Params::Conv2d(_) => "q15 conv2d",
            Q15Params::Dense(Q15DenseLowered {
                weights: Q15Weights::Q7 { .. },
                ..
            }) => "q15 dense (q7 weights)",
            Q15Params::Dense(_) => "q15 dense",
            Q15Params::Relu => "q15 relu",
            Q15Params::Softmax { .. } => "q15 softmax",
            Q15Params::Activation {
                function: TableActivation::Sigmoid,
                ..
            } => "q15 sigmoid",
            Q15Params::Activation { .. } => "q15 tanh",
        }
    }
}

/// A q15 convolution: geometry, shifts and q15 constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q15ConvLowered {
    /// Sizes, kernel, stride and leading padding.
    pub window: Window,
    /// Bias and output shifts and the rounding.
    pub shifts: Shifts,
    /// Weights `[OC, KH, KW, C]`.
    pub weights: Vec<i16>,
    /// q15 bias per output channel (zeros for a layer without bias).
    pub bias: Vec<i16>,
}

/// A fully connected layer of a q15 network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q15DenseLowered {
    /// Input length.
    pub depth: usize,
    /// Outputs.
    pub units: usize,
    /// Bias and output shifts and the rounding.
    pub shifts: Shifts,
    /// Weights `[units, depth]` and bias, q15 or q7.
    pub weights: Q15Weights,
}

/// The weights and bias of a q15 dense layer: the weights file's element type chooses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Q15Weights {
    /// q15 weights and bias (`fully_connected_q15`).
    Q15 {
        /// Weights `[units, depth]`.
        weights: Vec<i16>,
        /// Bias per output (zeros without one).
        bias: Vec<i16>,
    },
    /// q7 weights and bias (`fully_connected_mat_q7_vec_q15`).
    Q7 {
        /// Weights `[units, depth]`.
        weights: Vec<i8>,
        /// Bias per output (zeros without one).
        bias: Vec<i8>,
    },
}

/// The constants of a layer of TFLite's 16x8 scheme: int16 activations with zero point 0, int8
/// weights, int64 bias. The int8 layer's constants are reused with the int16 clamps and zero
/// offsets; the bias of a multiply-accumulate layer is held beside them as int64 (the int8
/// struct's `bias` is `None`).
#[derive(Clone, Debug, PartialEq)]
pub enum S16Params {
    /// `nn_kernels::conv2d::conv2d_grouped_s16`.
    Conv2d(Conv2dLowered, Option<Vec<i64>>),
    /// `nn_kernels::depthwise_conv2d::depthwise_conv2d_s16`.
    DepthwiseConv2d(DepthwiseLowered, Option<Vec<i64>>),
    /// `nn_kernels::fully_connected::fully_connected_s16`.
    Dense(DenseLowered, Option<Vec<i64>>),
    /// `nn_kernels::max_pool2d::max_pool2d_s16`.
    MaxPool2d(Pool2dParams),
    /// `nn_kernels::avg_pool2d::avg_pool2d_s16`.
    AvgPool2d(Pool2dParams),
    /// `nn_kernels::add::add_s16` (left shift 15).
    Add(BinaryLowered),
    /// `nn_kernels::mul::mul_s16`.
    Mul(BinaryLowered),
    /// `nn_kernels::quantize::quantize_f32_s16`.
    Quantize(QuantizeParams),
    /// `nn_kernels::dequantize::dequantize_s16_f32`.
    Dequantize(DequantizeParams),
    /// `nn_kernels::sigmoid16::logistic_s16`.
    Logistic(nn_kernels::sigmoid16::Sigmoid16Params),
    /// `nn_kernels::sigmoid16::tanh_s16`.
    Tanh(nn_kernels::sigmoid16::Sigmoid16Params),
    /// `nn_kernels::softmax16::softmax_s16`.
    Softmax(nn_kernels::softmax16::Softmax16Params),
    /// `nn_kernels::requantize::requantize_s16` (int16 -> int16 QUANTIZE).
    Requantize(RequantizeParams),
}

impl S16Params {
    /// The TFLite operator name, for reports and errors.
    pub fn op_name(&self) -> &'static str {
        match self {
            S16Params::Conv2d(..) => "conv2d",
            S16Params::DepthwiseConv2d(..) => "depthwise_conv2d",
            S16Params::Dense(..) => "dense",
            S16Params::MaxPool2d(_) => "max_pool2d",
            S16Params::AvgPool2d(_) => "avg_pool2d",
            S16Params::Add(_) => "add",
            S16Params::Mul(_) => "mul",
            S16Params::Quantize(_) => "quantize",
            S16Params::Dequantize(_) => "dequantize",
            S16Params::Logistic(_) => "logistic",
            S16Params::Tanh(_) => "tanh",
            S16Params::Softmax(_) => "softmax",
            S16Params::Requantize(_) => "requantize",
        }
    }
}

/// A q7 convolution or depthwise convolution: geometry, shifts and q7 constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q7ConvLowered {
    /// Sizes, kernel, stride and leading padding.
    pub window: Window,
    /// Bias and output shifts and the rounding.
    pub shifts: Shifts,
    /// Weights: `[OC, KH, KW, C]`, depthwise `[KH, KW, C]`.
    pub weights: Vec<i8>,
    /// q7 bias per output channel (zeros for a layer without bias).
    pub bias: Vec<i8>,
}

/// A q7 fully connected layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q7DenseLowered {
    /// Input length.
    pub depth: usize,
    /// Outputs.
    pub units: usize,
    /// Bias and output shifts and the rounding.
    pub shifts: Shifts,
    /// Weights `[units, depth]`.
    pub weights: Vec<i8>,
    /// q7 bias per output (zeros for a layer without bias).
    pub bias: Vec<i8>,
}

impl NodeParams {
    /// True for the kernels of q7 networks (`nn_kernels::q7q15`: portable on every target).
    pub fn is_q7(&self) -> bool {
        matches!(
            self,
            NodeParams::Q7Conv2d(_)
                | NodeParams::Q7DepthwiseConv2d(_)
                | NodeParams::Q7Dense(_)
                | NodeParams::Q7AvgPool2d(_)
                | NodeParams::Q7Softmax { .. }
                | NodeParams::Q7Activation { .. }
        )
    }
}

impl NodeParams {
    /// Bytes of constants this node carries (weights, biases, per-channel multipliers and shifts).
    pub fn constant_bytes(&self) -> usize {
        fn per_channel(r: &Requant, w: &[i8], b: Option<&Vec<i32>>) -> usize {
            w.len() + 4 * (r.multiplier.len() + r.shift.len() + b.map_or(0, Vec::len))
        }
        match self {
            NodeParams::Conv2d(c) => per_channel(&c.requant, &c.weights, c.bias.as_ref()),
            NodeParams::DepthwiseConv2d(c) => per_channel(&c.requant, &c.weights, c.bias.as_ref()),
            NodeParams::TransposeConv2d(c) => per_channel(&c.requant, &c.weights, c.bias.as_ref()),
            NodeParams::Dense(c) => per_channel(&c.requant, &c.weights, c.bias.as_ref()),
            NodeParams::Prelu(p) => p.alpha.len(),
            NodeParams::Svdf(s) => {
                s.weights.len() + s.time.bytes() + 4 * s.bias.as_ref().map_or(0, Vec::len)
            }
            NodeParams::Lstm(l) => {
                l.input_weights.len() + l.recurrent_weights.len() + 4 * l.bias.len()
            }
            NodeParams::Q7Conv2d(c) | NodeParams::Q7DepthwiseConv2d(c) => {
                c.weights.len() + c.bias.len()
            }
            NodeParams::Q7Dense(d) => d.weights.len() + d.bias.len(),
            NodeParams::Q15(Q15Params::Conv2d(c)) => 2 * (c.weights.len() + c.bias.len()),
            NodeParams::Q15(Q15Params::Dense(d)) => match &d.weights {
                Q15Weights::Q15 { weights, bias } => 2 * (weights.len() + bias.len()),
                Q15Weights::Q7 { weights, bias } => weights.len() + bias.len(),
            },
            NodeParams::S16(S16Params::Conv2d(c, b)) => {
                per_channel(&c.requant, &c.weights, None) + 8 * b.as_ref().map_or(0, Vec::len)
            }
            NodeParams::S16(S16Params::DepthwiseConv2d(c, b)) => {
                per_channel(&c.requant, &c.weights, None) + 8 * b.as_ref().map_or(0, Vec::len)
            }
            NodeParams::S16(S16Params::Dense(c, b)) => {
                per_channel(&c.requant, &c.weights, None) + 8 * b.as_ref().map_or(0, Vec::len)
            }
            NodeParams::Add(b) | NodeParams::Sub(b) | NodeParams::Mul(b) => {
                b.b_constant.as_ref().map_or(0, Vec::len)
            }
            _ => 0,
        }
    }
}

/// Spatial geometry shared by convolutions: sizes, strides, dilations and resolved padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
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
    /// Output channels.
    pub output_c: usize,
    /// Kernel height.
    pub kernel_h: usize,
    /// Kernel width.
    pub kernel_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical dilation.
    pub dilation_h: usize,
    /// Horizontal dilation.
    pub dilation_w: usize,
    /// Rows of padding before the data.
    pub pad_top: usize,
    /// Columns of padding before the data.
    pub pad_left: usize,
}

/// A convolution's requantisation: offsets, per-channel multipliers and shifts, clamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requant {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Q31 multiplier per output channel (one entry for a per-tensor dense layer).
    pub multiplier: Vec<i32>,
    /// Shift per output channel (positive: left).
    pub shift: Vec<i32>,
    /// Fused activation lower bound.
    pub act_min: i32,
    /// Fused activation upper bound.
    pub act_max: i32,
}

/// A lowered 2-D convolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv2dLowered {
    /// Sizes and padding.
    pub geometry: ConvGeometry,
    /// Offsets, multipliers, clamp.
    pub requant: Requant,
    /// Int8 filter `[OC, KH, KW, IC / groups]`.
    pub weights: Vec<i8>,
    /// Int32 bias `[OC]`, if the layer has one.
    pub bias: Option<Vec<i32>>,
    /// Channel groups (1 for an ordinary convolution; the filter then has `input_c / groups`
    /// input channels).
    pub groups: usize,
}

impl Conv2dLowered {
    /// The kernel's parameter struct, borrowing the multipliers and shifts.
    pub fn params(&self) -> Conv2dParams<'_> {
        let g = &self.geometry;
        Conv2dParams {
            batches: 1,
            input_h: g.input_h,
            input_w: g.input_w,
            input_c: g.input_c,
            output_h: g.output_h,
            output_w: g.output_w,
            output_c: g.output_c,
            kernel_h: g.kernel_h,
            kernel_w: g.kernel_w,
            stride_h: g.stride_h,
            stride_w: g.stride_w,
            dilation_h: g.dilation_h,
            dilation_w: g.dilation_w,
            pad_top: g.pad_top,
            pad_left: g.pad_left,
            input_offset: self.requant.input_offset,
            output_offset: self.requant.output_offset,
            output_multiplier: &self.requant.multiplier,
            output_shift: &self.requant.shift,
            act_min: self.requant.act_min,
            act_max: self.requant.act_max,
        }
    }
}

/// A lowered transposed convolution (TFLite `TRANSPOSE_CONV`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransposeConv2dLowered {
    /// Sizes, stride and TFLite's padding (`pad_top` / `pad_left` are cut from the top and left
    /// of the full result); dilation 1.
    pub geometry: ConvGeometry,
    /// Offsets, multipliers, clamp (as a convolution's).
    pub requant: Requant,
    /// Int8 filter `[OC, KH, KW, IC]`.
    pub weights: Vec<i8>,
    /// Int32 bias `[OC]`, if the layer has one.
    pub bias: Option<Vec<i32>>,
}

impl TransposeConv2dLowered {
    /// The kernel's parameter struct, borrowing the multipliers and shifts.
    pub fn params(&self) -> TransposeConv2dParams<'_> {
        let g = &self.geometry;
        TransposeConv2dParams {
            batches: 1,
            input_h: g.input_h,
            input_w: g.input_w,
            input_c: g.input_c,
            output_h: g.output_h,
            output_w: g.output_w,
            output_c: g.output_c,
            kernel_h: g.kernel_h,
            kernel_w: g.kernel_w,
            stride_h: g.stride_h,
            stride_w: g.stride_w,
            pad_top: g.pad_top,
            pad_left: g.pad_left,
            input_offset: self.requant.input_offset,
            output_offset: self.requant.output_offset,
            output_multiplier: &self.requant.multiplier,
            output_shift: &self.requant.shift,
            act_min: self.requant.act_min,
            act_max: self.requant.act_max,
        }
    }
}

/// A lowered depthwise convolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepthwiseLowered {
    /// Sizes and padding (`output_c = input_c * depth_multiplier`).
    pub geometry: ConvGeometry,
    /// Output channels per input channel.
    pub depth_multiplier: usize,
    /// Offsets, multipliers, clamp.
    pub requant: Requant,
    /// Int8 filter `[KH, KW, C * M]` (TFLite's `[1, KH, KW, C * M]` without the leading 1).
    pub weights: Vec<i8>,
    /// Int32 bias `[C * M]`, if the layer has one.
    pub bias: Option<Vec<i32>>,
}

impl DepthwiseLowered {
    /// The kernel's parameter struct, borrowing the multipliers and shifts.
    pub fn params(&self) -> DepthwiseConv2dParams<'_> {
        let g = &self.geometry;
        DepthwiseConv2dParams {
            batches: 1,
            input_h: g.input_h,
            input_w: g.input_w,
            input_c: g.input_c,
            depth_multiplier: self.depth_multiplier,
            output_h: g.output_h,
            output_w: g.output_w,
            kernel_h: g.kernel_h,
            kernel_w: g.kernel_w,
            stride_h: g.stride_h,
            stride_w: g.stride_w,
            dilation_h: g.dilation_h,
            dilation_w: g.dilation_w,
            pad_top: g.pad_top,
            pad_left: g.pad_left,
            input_offset: self.requant.input_offset,
            output_offset: self.requant.output_offset,
            output_multiplier: &self.requant.multiplier,
            output_shift: &self.requant.shift,
            act_min: self.requant.act_min,
            act_max: self.requant.act_max,
        }
    }
}

/// A lowered fully connected layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseLowered {
    /// Rows: 1 for a rank-1 input; the product of the leading dimensions when the input has a
    /// higher rank (TFLite applies the layer to the last dimension).
    pub batches: usize,
    /// Input features.
    pub depth: usize,
    /// Output features.
    pub units: usize,
    /// `-filter_zero_point` (0 for symmetric int8 weights).
    pub filter_offset: i32,
    /// Offsets, multipliers (one, or one per unit), clamp.
    pub requant: Requant,
    /// Int8 weights `[units, depth]`.
    pub weights: Vec<i8>,
    /// Int32 bias `[units]`, if the layer has one.
    pub bias: Option<Vec<i32>>,
}

impl DenseLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> FullyConnectedParams<'_> {
        FullyConnectedParams {
            batches: self.batches,
            depth: self.depth,
            units: self.units,
            input_offset: self.requant.input_offset,
            filter_offset: self.filter_offset,
            output_offset: self.requant.output_offset,
            output_multiplier: &self.requant.multiplier,
            output_shift: &self.requant.shift,
            act_min: self.requant.act_min,
            act_max: self.requant.act_max,
        }
    }
}

/// A lowered mean over axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeanLowered {
    /// Input shape.
    pub input_shape: Vec<usize>,
    /// Reduced axes.
    pub axes: Vec<usize>,
    /// Integer mean or requantised sum.
    pub requant: MeanRequant,
}

impl MeanLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> MeanParams<'_> {
        MeanParams {
            input_shape: &self.input_shape,
            axes: &self.axes,
            requant: self.requant,
        }
    }
}

/// A lowered ADD or MUL with broadcasting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryLowered {
    /// First input's shape.
    pub a_shape: Vec<usize>,
    /// Second input's shape.
    pub b_shape: Vec<usize>,
    /// Output shape.
    pub output_shape: Vec<usize>,
    /// `-zero_point` of the first input.
    pub a_offset: i32,
    /// `-zero_point` of the second input.
    pub b_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// ADD only (20 for int8; 0 for MUL).
    pub left_shift: i32,
    /// ADD only: first input's multiplier to the common scale.
    pub a_multiplier: i32,
    /// ADD only: its shift.
    pub a_shift: i32,
    /// ADD only: second input's multiplier to the common scale.
    pub b_multiplier: i32,
    /// ADD only: its shift.
    pub b_shift: i32,
    /// Output multiplier.
    pub output_multiplier: i32,
    /// Output shift.
    pub output_shift: i32,
    /// Fused activation lower bound.
    pub act_min: i32,
    /// Fused activation upper bound.
    pub act_max: i32,
    /// The second operand's values when it is a constant (`<layer>.operand`); `None` when it is
    /// the node's second input.
    pub b_constant: Option<Vec<i8>>,
}

impl BinaryLowered {
    /// The ADD kernel's parameter struct.
    pub fn add_params(&self) -> AddParams<'_> {
        AddParams {
            a_shape: &self.a_shape,
            b_shape: &self.b_shape,
            output_shape: &self.output_shape,
            a_offset: self.a_offset,
            b_offset: self.b_offset,
            output_offset: self.output_offset,
            left_shift: self.left_shift,
            a_multiplier: self.a_multiplier,
            a_shift: self.a_shift,
            b_multiplier: self.b_multiplier,
            b_shift: self.b_shift,
            output_multiplier: self.output_multiplier,
            output_shift: self.output_shift,
            act_min: self.act_min,
            act_max: self.act_max,
        }
    }

    /// The MUL kernel's parameter struct.
    pub fn mul_params(&self) -> MulParams<'_> {
        MulParams {
            a_shape: &self.a_shape,
            b_shape: &self.b_shape,
            output_shape: &self.output_shape,
            a_offset: self.a_offset,
            b_offset: self.b_offset,
            output_offset: self.output_offset,
            output_multiplier: self.output_multiplier,
            output_shift: self.output_shift,
            act_min: self.act_min,
            act_max: self.act_max,
        }
    }
}

/// A lowered MAXIMUM or MINIMUM (raw int8 comparison: one quantisation for all three tensors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinMaxLowered {
    /// First input's shape.
    pub a_shape: Vec<usize>,
    /// Second input's shape.
    pub b_shape: Vec<usize>,
    /// Output shape.
    pub output_shape: Vec<usize>,
}

impl MinMaxLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> nn_kernels::minmax::MinMaxParams<'_> {
        nn_kernels::minmax::MinMaxParams {
            a_shape: &self.a_shape,
            b_shape: &self.b_shape,
            output_shape: &self.output_shape,
        }
    }
}

/// The time weights of an SVDF, in the state's element type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeWeights {
    /// With an int8 state.
    I8(Vec<i8>),
    /// With an int16 state.
    I16(Vec<i16>),
}

impl TimeWeights {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            TimeWeights::I8(v) => v.len(),
            TimeWeights::I16(v) => v.len(),
        }
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the values.
    pub fn bytes(&self) -> usize {
        match self {
            TimeWeights::I8(v) => v.len(),
            TimeWeights::I16(v) => 2 * v.len(),
        }
    }
}

/// A lowered SVDF: its kernel parameters and constants. The state (`params.state_len()` elements
/// of the time weights' type, starting at `state_zero_point` everywhere) belongs to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvdfLowered {
    /// The kernel's parameters.
    pub params: nn_kernels::svdf::SvdfParams,
    /// Feature weights `[units * rank, input]`.
    pub weights: Vec<i8>,
    /// Time weights `[units * rank, memory]`.
    pub time: TimeWeights,
    /// Bias `[units]`.
    pub bias: Option<Vec<i32>>,
}

/// A lowered LSTM: its kernel parameters and constants. The states (`units` int8 hidden values
/// starting at the output zero point, `units` int16 cell values starting at 0) belong to the
/// caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LstmLowered {
    /// The kernel's parameters.
    pub params: nn_kernels::lstm::LstmParams,
    /// Input weights `[4 * units, input]` (gates input, forget, cell, output).
    pub input_weights: Vec<i8>,
    /// Recurrent weights `[4 * units, units]`.
    pub recurrent_weights: Vec<i8>,
    /// Bias `[4 * units]`.
    pub bias: Vec<i32>,
}

/// A lowered PRELU with its constant alpha.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreluLowered {
    /// Input (and output) shape.
    pub input_shape: Vec<usize>,
    /// Alpha's shape (broadcast against the input).
    pub alpha_shape: Vec<usize>,
    /// The int8 alpha values.
    pub alpha: Vec<i8>,
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `-alpha_zero_point`.
    pub alpha_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Multiplier for `x >= 0`.
    pub multiplier_identity: i32,
    /// Its shift.
    pub shift_identity: i32,
    /// Multiplier for `x < 0`.
    pub multiplier_alpha: i32,
    /// Its shift.
    pub shift_alpha: i32,
}

impl PreluLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> nn_kernels::prelu::PreluParams<'_> {
        nn_kernels::prelu::PreluParams {
            input_shape: &self.input_shape,
            alpha_shape: &self.alpha_shape,
            output_shape: &self.input_shape,
            input_offset: self.input_offset,
            alpha_offset: self.alpha_offset,
            output_offset: self.output_offset,
            multiplier_identity: self.multiplier_identity,
            shift_identity: self.shift_identity,
            multiplier_alpha: self.multiplier_alpha,
            shift_alpha: self.shift_alpha,
        }
    }
}

/// A lowered concatenation (byte copy: inputs share the output's quantisation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConcatLowered {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Product of the dimensions after the axis.
    pub inner: usize,
    /// Each input's size along the axis.
    pub axis_sizes: Vec<usize>,
}

impl ConcatLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> ConcatParams<'_> {
        ConcatParams {
            outer: self.outer,
            inner: self.inner,
            axis_sizes: &self.axis_sizes,
        }
    }
}

/// A lowered PAD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadLowered {
    /// Input shape.
    pub input_shape: Vec<usize>,
    /// `[before, after]` per dimension.
    pub paddings: Vec<[usize; 2]>,
    /// The padding value (the output zero point).
    pub pad_value: i8,
}

impl PadLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> PadParams<'_> {
        PadParams {
            input_shape: &self.input_shape,
            paddings: &self.paddings,
            pad_value: self.pad_value,
        }
    }
}

/// A nearest-neighbour resize: the input shape and the source row and column of every output
/// row and column (TFLM's float index arithmetic, run once on the host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResizeNearestLowered {
    /// Input `[H, W, C]`.
    pub input_shape: [usize; 3],
    /// Source row per output row.
    pub rows: Vec<usize>,
    /// Source column per output column.
    pub cols: Vec<usize>,
}

impl ResizeNearestLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> nn_kernels::resize::ResizeNearestParams<'_> {
        nn_kernels::resize::ResizeNearestParams {
            input_shape: self.input_shape,
            rows: &self.rows,
            cols: &self.cols,
        }
    }
}

/// A strided slice: per input axis the first index, the step and the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StridedSliceLowered {
    /// Input shape.
    pub input_shape: Vec<usize>,
    /// First index read per axis.
    pub begin: Vec<usize>,
    /// Step per axis.
    pub strides: Vec<isize>,
    /// Elements taken per axis.
    pub sizes: Vec<usize>,
}

impl StridedSliceLowered {
    /// The kernel's parameter struct.
    pub fn params(&self) -> nn_kernels::strided_slice::StridedSliceParams<'_> {
        nn_kernels::strided_slice::StridedSliceParams {
            input_shape: &self.input_shape,
            begin: &self.begin,
            strides: &self.strides,
            sizes: &self.sizes,
        }
    }
}

#[cfg(test)]
mod tests;
