//! The plain Rust description of a `.tflite` model produced by [`super::read`].
//!
//! Every index in these types has been checked by the reader: tensor, buffer and opcode indices
//! are in range, shapes are non-negative, quantisation vectors are consistent and constant data
//! has the size its shape and type require.

use core::fmt;

/// A whole model (schema version 3).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Schema version stored in the file (3 for every current converter).
    pub version: u32,
    /// The model's description string, if any.
    pub description: Option<String>,
    /// The subgraphs; the reader accepts exactly one.
    pub subgraphs: Vec<Subgraph>,
    /// Operator codes, indexed by [`Operator::opcode_index`].
    pub operator_codes: Vec<OperatorCode>,
    /// Data buffers, indexed by [`Tensor::buffer`]; entry 0 is conventionally empty.
    pub buffers: Vec<Buffer>,
}

impl Model {
    /// The main (and only) subgraph.
    pub fn subgraph(&self) -> Option<&Subgraph> {
        self.subgraphs.first()
    }

    /// The constant data of `tensor`, or `None` for a tensor without data (activations, inputs).
    pub fn tensor_data(&self, tensor: &Tensor) -> Option<&[u8]> {
        self.buffers
            .get(tensor.buffer)
            .map(|b| b.data.as_slice())
            .filter(|d| !d.is_empty())
    }

    /// The operator code of `op`.
    pub fn opcode(&self, op: &Operator) -> Option<&OperatorCode> {
        self.operator_codes.get(op.opcode_index)
    }
}

/// A data buffer (constant tensor contents, little-endian).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    /// The bytes. For a buffer stored outside the flatbuffer (the `offset`/`size` fields used by
    /// models over 2 GB) these are the bytes copied from that region of the file.
    pub data: Vec<u8>,
    /// True when the data came from outside the flatbuffer (`offset`/`size` fields).
    pub external: bool,
}

/// An operator code: which builtin (or custom) operator an [`Operator`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorCode {
    /// The builtin operator (the larger of the deprecated byte code and the 32-bit code, as the
    /// schema prescribes).
    pub builtin: BuiltinOp,
    /// The custom operator's name when `builtin` is `CUSTOM`.
    pub custom_code: Option<String>,
    /// The operator version.
    pub version: i32,
}

impl OperatorCode {
    /// A short name for messages: the builtin name, or the custom code for custom operators.
    pub fn name(&self) -> String {
        match (&self.builtin, &self.custom_code) {
            (BuiltinOp::Custom, Some(code)) => format!("CUSTOM {code:?}"),
            (b, _) => b.to_string(),
        }
    }
}

/// One subgraph: tensors and operators in execution order.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgraph {
    /// The subgraph's name, if any.
    pub name: Option<String>,
    /// All tensors.
    pub tensors: Vec<Tensor>,
    /// Indices of the input tensors.
    pub inputs: Vec<usize>,
    /// Indices of the output tensors.
    pub outputs: Vec<usize>,
    /// Operators in execution order (checked: every operator reads only tensors produced by earlier
    /// operators, subgraph inputs, constants or variables).
    pub operators: Vec<Operator>,
}

/// A tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The tensor's name (empty if the file has none).
    pub name: String,
    /// The shape (every dimension non-negative).
    pub shape: Vec<usize>,
    /// The element type.
    pub dtype: TensorType,
    /// Index into [`Model::buffers`]; 0 (the empty sentinel) for tensors without data.
    pub buffer: usize,
    /// Affine quantisation parameters, if the tensor has any scale.
    pub quantization: Option<Quantization>,
    /// True for a variable (state) tensor.
    pub is_variable: bool,
}

/// Affine quantisation: `real = scale * (q - zero_point)`, per tensor or per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    /// One scale (per tensor) or one per channel along `quantized_dimension`.
    pub scale: Vec<f32>,
    /// Same length as `scale`.
    pub zero_point: Vec<i64>,
    /// The channel axis for per-channel quantisation (checked to be a valid axis whose size equals
    /// `scale.len()` when there is more than one scale).
    pub quantized_dimension: usize,
}

impl Quantization {
    /// True when there is one scale per channel.
    pub fn is_per_channel(&self) -> bool {
        self.scale.len() > 1
    }
}

/// An operator instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// Index into [`Model::operator_codes`].
    pub opcode_index: usize,
    /// Input tensor indices; `None` for an absent optional input (-1 in the file).
    pub inputs: Vec<Option<usize>>,
    /// Output tensor indices.
    pub outputs: Vec<usize>,
    /// Decoded builtin options.
    pub options: BuiltinOptions,
}

macro_rules! builtin_ops {
    ($($variant:ident = $code:literal => $name:literal,)*) => {
        /// The TensorFlow Lite builtin operators nnd knows by name; every other code is kept as
        /// [`BuiltinOp::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum BuiltinOp {
            $(
                #[doc = concat!("`", $name, "` (builtin code ", $code, ").")]
                $variant,
            )*
            /// Any other builtin code (displayed by its schema name when
            /// [`super::opnames::BUILTIN_NAMES`] knows it).
            Other(i32),
        }

        impl BuiltinOp {
            /// The operator for a builtin code.
            pub fn from_code(code: i32) -> Self {
                match code {
                    $($code => Self::$variant,)*
                    other => Self::Other(other),
                }
            }

            /// The builtin code.
            pub fn code(self) -> i32 {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Other(code) => code,
                }
            }
        }

        impl fmt::Display for BuiltinOp {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Self::$variant => f.write_str($name),)*
                    Self::Other(code) => match super::opnames::builtin_name(*code) {
                        Some(name) => f.write_str(name),
                        None => write!(f, "builtin code {code}"),
                    },
                }
            }
        }
    };
}

builtin_ops! {
    Add = 0 => "ADD",
    AveragePool2d = 1 => "AVERAGE_POOL_2D",
    Concatenation = 2 => "CONCATENATION",
    Conv2d = 3 => "CONV_2D",
    DepthwiseConv2d = 4 => "DEPTHWISE_CONV_2D",
    Dequantize = 6 => "DEQUANTIZE",
    FullyConnected = 9 => "FULLY_CONNECTED",
    Logistic = 14 => "LOGISTIC",
    MaxPool2d = 17 => "MAX_POOL_2D",
    Mul = 18 => "MUL",
    Relu = 19 => "RELU",
    Relu6 = 21 => "RELU6",
    Reshape = 22 => "RESHAPE",
    Softmax = 25 => "SOFTMAX",
    Svdf = 27 => "SVDF",
    Tanh = 28 => "TANH",
    Custom = 32 => "CUSTOM",
    Pad = 34 => "PAD",
    Transpose = 39 => "TRANSPOSE",
    UnidirectionalSequenceLstm = 44 => "UNIDIRECTIONAL_SEQUENCE_LSTM",
    ExpandDims = 70 => "EXPAND_DIMS",
    Mean = 40 => "MEAN",
    Sub = 41 => "SUB",
    Squeeze = 43 => "SQUEEZE",
    StridedSlice = 45 => "STRIDED_SLICE",
    Prelu = 54 => "PRELU",
    Maximum = 55 => "MAXIMUM",
    Minimum = 57 => "MINIMUM",
    PadV2 = 60 => "PADV2",
    Pack = 83 => "PACK",
    Split = 49 => "SPLIT",
    ResizeNearestNeighbor = 97 => "RESIZE_NEAREST_NEIGHBOR",
    SplitV = 102 => "SPLIT_V",
    TransposeConv = 67 => "TRANSPOSE_CONV",
    LeakyRelu = 98 => "LEAKY_RELU",
    Shape = 77 => "SHAPE",
    Quantize = 114 => "QUANTIZE",
    HardSwish = 117 => "HARD_SWISH",
}

macro_rules! tensor_types {
    ($($variant:ident = $code:literal => $name:literal, $size:expr,)*) => {
        /// Tensor element types of the TensorFlow Lite schema; unknown codes are kept as
        /// [`TensorType::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum TensorType {
            $(
                #[doc = concat!("`", $name, "` (type code ", $code, ").")]
                $variant,
            )*
            /// A type code this reader does not know.
            Other(i8),
        }

        impl TensorType {
            /// The type for a schema code.
            pub fn from_code(code: i8) -> Self {
                match code {
                    $($code => Self::$variant,)*
                    other => Self::Other(other),
                }
            }

            /// The schema code.
            pub fn code(self) -> i8 {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Other(code) => code,
                }
            }

            /// Storage size of `n` elements in a buffer, or `None` for types without a fixed size
            /// (strings, resources, unknown codes) or on overflow. INT4 is packed two per byte.
            pub fn storage_bytes(self, n: u64) -> Option<u64> {
                if self == Self::Int4 {
                    return Some(n.div_ceil(2));
                }
                match self {
                    $(Self::$variant => { let size: Option<u64> = $size; size.and_then(|s| s.checked_mul(n)) })*
                    Self::Other(_) => None,
                }
            }
        }

        impl fmt::Display for TensorType {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Self::$variant => f.write_str($name),)*
                    Self::Other(code) => write!(f, "unknown type code {code}"),
                }
            }
        }
    };
}

tensor_types! {
    Float32 = 0 => "FLOAT32", Some(4),
    Float16 = 1 => "FLOAT16", Some(2),
    Int32 = 2 => "INT32", Some(4),
    Uint8 = 3 => "UINT8", Some(1),
    Int64 = 4 => "INT64", Some(8),
    String = 5 => "STRING", None,
    Bool = 6 => "BOOL", Some(1),
    Int16 = 7 => "INT16", Some(2),
    Complex64 = 8 => "COMPLEX64", Some(8),
    Int8 = 9 => "INT8", Some(1),
    Float64 = 10 => "FLOAT64", Some(8),
    Complex128 = 11 => "COMPLEX128", Some(16),
    Uint64 = 12 => "UINT64", Some(8),
    Resource = 13 => "RESOURCE", None,
    Variant = 14 => "VARIANT", None,
    Uint32 = 15 => "UINT32", Some(4),
    Uint16 = 16 => "UINT16", Some(2),
    Int4 = 17 => "INT4", None,
}

impl TensorType {
    /// True for the numeric types that may carry affine quantisation parameters (the integer
    /// types, and float types, which converters sometimes annotate).
    pub fn accepts_quantization(self) -> bool {
        matches!(
            self,
            Self::Int4
                | Self::Int8
                | Self::Uint8
                | Self::Int16
                | Self::Uint16
                | Self::Int32
                | Self::Int64
                | Self::Float32
                | Self::Float16
        )
    }
}

/// Padding scheme of convolutions and pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    /// `SAME`: output size `ceil(in / stride)`.
    Same,
    /// `VALID`: no padding.
    Valid,
}

/// A fused activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// No activation.
    None,
    /// `max(x, 0)`.
    Relu,
    /// Clamp to `[-1, 1]`.
    ReluN1To1,
    /// Clamp to `[0, 6]`.
    Relu6,
    /// `tanh`.
    Tanh,
    /// `SIGN_BIT`.
    SignBit,
}

/// Weight layout of a fully-connected operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightsFormat {
    /// Row-major `[units, inputs]`.
    Default,
    /// The shuffled 4x16 int8 layout.
    Shuffled4x16Int8,
}

/// Options of a 2-D convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Padding.
    pub padding: Padding,
    /// Horizontal stride.
    pub stride_w: i32,
    /// Vertical stride.
    pub stride_h: i32,
    /// Fused activation.
    pub activation: Activation,
    /// Horizontal dilation (default 1).
    pub dilation_w: i32,
    /// Vertical dilation (default 1).
    pub dilation_h: i32,
}

/// Options of a depthwise 2-D convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthwiseConv2dOptions {
    /// Padding.
    pub padding: Padding,
    /// Horizontal stride.
    pub stride_w: i32,
    /// Vertical stride.
    pub stride_h: i32,
    /// Depth multiplier (redundant with the filter shape in recent versions).
    pub depth_multiplier: i32,
    /// Fused activation.
    pub activation: Activation,
    /// Horizontal dilation (default 1).
    pub dilation_w: i32,
    /// Vertical dilation (default 1).
    pub dilation_h: i32,
}

/// Options of a fully-connected operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullyConnectedOptions {
    /// Fused activation.
    pub activation: Activation,
    /// Weight layout.
    pub weights_format: WeightsFormat,
    /// Keep the input's rank in the output.
    pub keep_num_dims: bool,
}

/// Options of average and max pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// Padding.
    pub padding: Padding,
    /// Horizontal stride.
    pub stride_w: i32,
    /// Vertical stride.
    pub stride_h: i32,
    /// Window width.
    pub filter_width: i32,
    /// Window height.
    pub filter_height: i32,
    /// Fused activation.
    pub activation: Activation,
}

/// Options of a transposed convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransposeConvOptions {
    /// Padding.
    pub padding: Padding,
    /// Horizontal stride.
    pub stride_w: i32,
    /// Vertical stride.
    pub stride_h: i32,
    /// Fused activation (NONE in files older than version 4).
    pub activation: Activation,
    /// The bias type the converter asked for (`FLOAT32`, the schema's default, when unset).
    pub quantized_bias_type: TensorType,
}

/// Options of a strided slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StridedSliceOptions {
    /// Bit mask of axes whose begin index is ignored.
    pub begin_mask: i32,
    /// Bit mask of axes whose end index is ignored.
    pub end_mask: i32,
    /// Bit mask of the ellipsis axis.
    pub ellipsis_mask: i32,
    /// Bit mask of inserted axes.
    pub new_axis_mask: i32,
    /// Bit mask of removed axes.
    pub shrink_axis_mask: i32,
    /// The `offset` form (end = begin + end); nnd refuses it.
    pub offset: bool,
}

/// The decoded `builtin_options` of an operator.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BuiltinOptions {
    /// The operator has no options table.
    None,
    /// `Conv2DOptions`.
    Conv2d(Conv2dOptions),
    /// `DepthwiseConv2DOptions`.
    DepthwiseConv2d(DepthwiseConv2dOptions),
    /// `FullyConnectedOptions`.
    FullyConnected(FullyConnectedOptions),
    /// `Pool2DOptions` (average and max pooling).
    Pool2d(Pool2dOptions),
    /// `UnidirectionalSequenceLSTMOptions`.
    UnidirectionalSequenceLstm {
        /// The cell gate's activation (TFLM's integer LSTM: TANH).
        activation: Activation,
        /// Clip of the cell state (0: none).
        cell_clip: f32,
        /// Clip of the projection (0: none).
        proj_clip: f32,
        /// `[T, B, N]` instead of `[B, T, N]`.
        time_major: bool,
        /// Hybrid (float) models only.
        asymmetric_quantize_inputs: bool,
    },
    /// `SVDFOptions`.
    Svdf {
        /// Filters per unit.
        rank: i32,
        /// Fused activation (TFLM's integer SVDF does not apply it).
        activation: Activation,
        /// Hybrid (float) models only.
        asymmetric_quantize_inputs: bool,
    },
    /// `AddOptions`.
    Add {
        /// Fused activation.
        activation: Activation,
    },
    /// `MulOptions`.
    Mul {
        /// Fused activation.
        activation: Activation,
    },
    /// `SubOptions` (`pot_scale_int16` only matters for int16).
    Sub {
        /// Fused activation.
        activation: Activation,
    },
    /// `SoftmaxOptions`.
    Softmax {
        /// The `beta` multiplier of the logits.
        beta: f32,
    },
    /// `LeakyReluOptions`.
    LeakyRelu {
        /// The slope below zero.
        alpha: f32,
    },
    /// `ReshapeOptions`.
    Reshape {
        /// The target shape (may contain -1), if stored in the options.
        new_shape: Option<Vec<i32>>,
    },
    /// `ConcatenationOptions`.
    Concatenation {
        /// Concatenation axis (may be negative).
        axis: i32,
        /// Fused activation.
        activation: Activation,
    },
    /// `ReducerOptions` (MEAN, SUM, ...).
    Reducer {
        /// Keep reduced axes as size 1.
        keep_dims: bool,
    },
    /// `StridedSliceOptions`.
    StridedSlice(StridedSliceOptions),
    /// `TransposeConvOptions`.
    TransposeConv(TransposeConvOptions),
    /// `ResizeNearestNeighborOptions`.
    ResizeNearestNeighbor {
        /// Corner pixels aligned.
        align_corners: bool,
        /// Pixel-centre sampling.
        half_pixel_centers: bool,
    },
    /// `SplitOptions` / `SplitVOptions`.
    Split {
        /// Number of outputs.
        num_splits: i32,
    },
    /// `PackOptions`.
    Pack {
        /// Number of packed tensors.
        values_count: i32,
        /// Packing axis.
        axis: i32,
    },
    /// `PadOptions` (no fields).
    Pad,
    /// `PadV2Options` (no fields).
    PadV2,
    /// An options table of a type this reader does not decode, kept by its union type code.
    NotDecoded {
        /// The `BuiltinOptions` union type code.
        type_code: u8,
    },
}
