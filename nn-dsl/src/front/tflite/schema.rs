//! Field numbers of the TensorFlow Lite schema (`tensorflow/lite/schema/schema.fbs`, version 3)
//! for the tables and fields this reader uses, and `flatbuffers::Verifiable` implementations that
//! let the `flatbuffers` crate's verifier check exactly those fields before they are decoded.
//!
//! A field's number is its position in the schema's table declaration (a union takes two numbers:
//! its type byte, then its value); its vtable slot is `4 + 2 * number`.

use flatbuffers::{ForwardsUOffset, InvalidFlatbuffer, Vector, Verifiable, Verifier};

/// The vtable slot of field number `index`.
const fn slot(index: u16) -> u16 {
    4 + 2 * index
}

/// `table Model`.
pub(crate) mod model {
    pub(crate) const VERSION: u16 = 0;
    pub(crate) const OPERATOR_CODES: u16 = 1;
    pub(crate) const SUBGRAPHS: u16 = 2;
    pub(crate) const DESCRIPTION: u16 = 3;
    pub(crate) const BUFFERS: u16 = 4;
}

/// `table OperatorCode`.
pub(crate) mod operator_code {
    pub(crate) const DEPRECATED_BUILTIN_CODE: u16 = 0;
    pub(crate) const CUSTOM_CODE: u16 = 1;
    pub(crate) const VERSION: u16 = 2;
    pub(crate) const BUILTIN_CODE: u16 = 3;
}

/// `table SubGraph`.
pub(crate) mod subgraph {
    pub(crate) const TENSORS: u16 = 0;
    pub(crate) const INPUTS: u16 = 1;
    pub(crate) const OUTPUTS: u16 = 2;
    pub(crate) const OPERATORS: u16 = 3;
    pub(crate) const NAME: u16 = 4;
}

/// `table Tensor`.
pub(crate) mod tensor {
    pub(crate) const SHAPE: u16 = 0;
    pub(crate) const TYPE: u16 = 1;
    pub(crate) const BUFFER: u16 = 2;
    pub(crate) const NAME: u16 = 3;
    pub(crate) const QUANTIZATION: u16 = 4;
    pub(crate) const IS_VARIABLE: u16 = 5;
    pub(crate) const SPARSITY: u16 = 6;
}

/// `table QuantizationParameters`.
pub(crate) mod quantization {
    pub(crate) const SCALE: u16 = 2;
    pub(crate) const ZERO_POINT: u16 = 3;
    pub(crate) const DETAILS_TYPE: u16 = 4;
    pub(crate) const QUANTIZED_DIMENSION: u16 = 6;
}

/// `table Operator`.
pub(crate) mod operator {
    pub(crate) const OPCODE_INDEX: u16 = 0;
    pub(crate) const INPUTS: u16 = 1;
    pub(crate) const OUTPUTS: u16 = 2;
    pub(crate) const BUILTIN_OPTIONS_TYPE: u16 = 3;
    pub(crate) const BUILTIN_OPTIONS: u16 = 4;
}

/// `table Buffer`.
pub(crate) mod buffer {
    pub(crate) const DATA: u16 = 0;
    pub(crate) const OFFSET: u16 = 1;
    pub(crate) const SIZE: u16 = 2;
}

/// Type codes of the `BuiltinOptions` union that are decoded.
pub(crate) mod options_type {
    pub(crate) const CONV_2D: u8 = 1;
    pub(crate) const DEPTHWISE_CONV_2D: u8 = 2;
    pub(crate) const POOL_2D: u8 = 5;
    pub(crate) const SVDF: u8 = 6;
    pub(crate) const UNIDIRECTIONAL_SEQUENCE_LSTM: u8 = 71;
    pub(crate) const FULLY_CONNECTED: u8 = 8;
    pub(crate) const SOFTMAX: u8 = 9;
    pub(crate) const CONCATENATION: u8 = 10;
    pub(crate) const ADD: u8 = 11;
    pub(crate) const RESHAPE: u8 = 17;
    pub(crate) const MUL: u8 = 21;
    pub(crate) const PAD: u8 = 22;
    pub(crate) const REDUCER: u8 = 27;
    pub(crate) const SUB: u8 = 28;
    pub(crate) const STRIDED_SLICE: u8 = 32;
    pub(crate) const SPLIT: u8 = 35;
    pub(crate) const TRANSPOSE_CONV: u8 = 49;
    pub(crate) const RESIZE_NEAREST_NEIGHBOR: u8 = 74;
    pub(crate) const SPLIT_V: u8 = 79;
    pub(crate) const PAD_V2: u8 = 43;
    pub(crate) const PACK: u8 = 59;
    pub(crate) const LEAKY_RELU: u8 = 75;
}

/// Field numbers of the decoded options tables.
pub(crate) mod options {
    /// `Conv2DOptions`.
    pub(crate) mod conv2d {
        pub(crate) const PADDING: u16 = 0;
        pub(crate) const STRIDE_W: u16 = 1;
        pub(crate) const STRIDE_H: u16 = 2;
        pub(crate) const ACTIVATION: u16 = 3;
        pub(crate) const DILATION_W: u16 = 4;
        pub(crate) const DILATION_H: u16 = 5;
    }
    /// `DepthwiseConv2DOptions`.
    pub(crate) mod depthwise {
        pub(crate) const PADDING: u16 = 0;
        pub(crate) const STRIDE_W: u16 = 1;
        pub(crate) const STRIDE_H: u16 = 2;
        pub(crate) const DEPTH_MULTIPLIER: u16 = 3;
        pub(crate) const ACTIVATION: u16 = 4;
        pub(crate) const DILATION_W: u16 = 5;
        pub(crate) const DILATION_H: u16 = 6;
    }
    /// `Pool2DOptions`.
    pub(crate) mod pool2d {
        pub(crate) const PADDING: u16 = 0;
        pub(crate) const STRIDE_W: u16 = 1;
        pub(crate) const STRIDE_H: u16 = 2;
        pub(crate) const FILTER_W: u16 = 3;
        pub(crate) const FILTER_H: u16 = 4;
        pub(crate) const ACTIVATION: u16 = 5;
    }
    /// `FullyConnectedOptions`.
    pub(crate) mod fully_connected {
        pub(crate) const ACTIVATION: u16 = 0;
        pub(crate) const WEIGHTS_FORMAT: u16 = 1;
        pub(crate) const KEEP_NUM_DIMS: u16 = 2;
    }
    /// `UnidirectionalSequenceLSTMOptions`.
    pub(crate) mod lstm {
        pub(crate) const ACTIVATION: u16 = 0;
        pub(crate) const CELL_CLIP: u16 = 1;
        pub(crate) const PROJ_CLIP: u16 = 2;
        pub(crate) const TIME_MAJOR: u16 = 3;
        pub(crate) const ASYMMETRIC_QUANTIZE_INPUTS: u16 = 4;
        pub(crate) const DIAGONAL_RECURRENT_TENSORS: u16 = 5;
    }
    /// `SVDFOptions`.
    pub(crate) mod svdf {
        pub(crate) const RANK: u16 = 0;
        pub(crate) const ACTIVATION: u16 = 1;
        pub(crate) const ASYMMETRIC_QUANTIZE_INPUTS: u16 = 2;
    }
    /// `SoftmaxOptions`.
    pub(crate) mod softmax {
        pub(crate) const BETA: u16 = 0;
    }
    /// `SubOptions`.
    pub(crate) mod sub {
        pub(crate) const ACTIVATION: u16 = 0;
        pub(crate) const POT_SCALE_INT16: u16 = 1;
    }
    /// `LeakyReluOptions`.
    pub(crate) mod leaky_relu {
        pub(crate) const ALPHA: u16 = 0;
    }
    /// `ConcatenationOptions`.
    pub(crate) mod concatenation {
        pub(crate) const AXIS: u16 = 0;
        pub(crate) const ACTIVATION: u16 = 1;
    }
    /// `AddOptions` and `MulOptions` (the activation is field 0 of both).
    pub(crate) mod add_mul {
        pub(crate) const ACTIVATION: u16 = 0;
    }
    /// `ReshapeOptions`.
    pub(crate) mod reshape {
        pub(crate) const NEW_SHAPE: u16 = 0;
    }
    /// `ReducerOptions`.
    pub(crate) mod reducer {
        pub(crate) const KEEP_DIMS: u16 = 0;
    }
    /// `StridedSliceOptions`.
    pub(crate) mod strided_slice {
        pub(crate) const BEGIN_MASK: u16 = 0;
        pub(crate) const END_MASK: u16 = 1;
        pub(crate) const ELLIPSIS_MASK: u16 = 2;
        pub(crate) const NEW_AXIS_MASK: u16 = 3;
        pub(crate) const SHRINK_AXIS_MASK: u16 = 4;
        pub(crate) const OFFSET: u16 = 5;
    }
    /// `ResizeNearestNeighborOptions`.
    pub(crate) mod resize_nearest {
        pub(crate) const ALIGN_CORNERS: u16 = 0;
        pub(crate) const HALF_PIXEL_CENTERS: u16 = 1;
    }
    /// `SplitOptions` and `SplitVOptions` (`num_splits` is field 0 of both).
    pub(crate) mod split {
        pub(crate) const NUM_SPLITS: u16 = 0;
    }
    /// `TransposeConvOptions`.
    pub(crate) mod transpose_conv {
        pub(crate) const PADDING: u16 = 0;
        pub(crate) const STRIDE_W: u16 = 1;
        pub(crate) const STRIDE_H: u16 = 2;
        pub(crate) const ACTIVATION: u16 = 3;
        pub(crate) const QUANTIZED_BIAS_TYPE: u16 = 4;
    }
    /// `PackOptions`.
    pub(crate) mod pack {
        pub(crate) const VALUES_COUNT: u16 = 0;
        pub(crate) const AXIS: u16 = 1;
    }
}

type VResult = Result<(), InvalidFlatbuffer>;
type Str = ForwardsUOffset<&'static str>;
type VecOf<T> = ForwardsUOffset<Vector<'static, T>>;
type TablesOf<T> = ForwardsUOffset<Vector<'static, ForwardsUOffset<T>>>;

/// Declares a marker type whose verifier visits the listed fields of a table.
macro_rules! verify_table {
    ($(#[$doc:meta])* $marker:ident { $($name:literal @ $index:expr => $ty:ty,)* }) => {
        $(#[$doc])*
        pub(crate) struct $marker;

        impl Verifiable for $marker {
            fn run_verifier(v: &mut Verifier, pos: usize) -> VResult {
                v.visit_table(pos)?
                    $(.visit_field::<$ty>($name, slot($index), false)?)*
                    .finish();
                Ok(())
            }
        }
    };
}

verify_table!(
    /// `Model` (the root).
    ModelV {
        "Model.version" @ model::VERSION => u32,
        "Model.operator_codes" @ model::OPERATOR_CODES => TablesOf<OperatorCodeV>,
        "Model.subgraphs" @ model::SUBGRAPHS => TablesOf<SubGraphV>,
        "Model.description" @ model::DESCRIPTION => Str,
        "Model.buffers" @ model::BUFFERS => TablesOf<BufferV>,
    }
);

verify_table!(
    /// `OperatorCode`.
    OperatorCodeV {
        "OperatorCode.deprecated_builtin_code" @ operator_code::DEPRECATED_BUILTIN_CODE => i8,
        "OperatorCode.custom_code" @ operator_code::CUSTOM_CODE => Str,
        "OperatorCode.version" @ operator_code::VERSION => i32,
        "OperatorCode.builtin_code" @ operator_code::BUILTIN_CODE => i32,
    }
);

verify_table!(
    /// `SubGraph`.
    SubGraphV {
        "SubGraph.tensors" @ subgraph::TENSORS => TablesOf<TensorV>,
        "SubGraph.inputs" @ subgraph::INPUTS => VecOf<i32>,
        "SubGraph.outputs" @ subgraph::OUTPUTS => VecOf<i32>,
        "SubGraph.operators" @ subgraph::OPERATORS => TablesOf<OperatorV>,
        "SubGraph.name" @ subgraph::NAME => Str,
    }
);

verify_table!(
    /// `Tensor` (the sparsity table is only tested for presence, so it is not visited).
    TensorV {
        "Tensor.shape" @ tensor::SHAPE => VecOf<i32>,
        "Tensor.type" @ tensor::TYPE => i8,
        "Tensor.buffer" @ tensor::BUFFER => u32,
        "Tensor.name" @ tensor::NAME => Str,
        "Tensor.quantization" @ tensor::QUANTIZATION => ForwardsUOffset<QuantizationV>,
        "Tensor.is_variable" @ tensor::IS_VARIABLE => u8,
    }
);

verify_table!(
    /// `QuantizationParameters` (the details union is only tested for presence).
    QuantizationV {
        "QuantizationParameters.scale" @ quantization::SCALE => VecOf<f32>,
        "QuantizationParameters.zero_point" @ quantization::ZERO_POINT => VecOf<i64>,
        "QuantizationParameters.details_type" @ quantization::DETAILS_TYPE => u8,
        "QuantizationParameters.quantized_dimension" @ quantization::QUANTIZED_DIMENSION => i32,
    }
);

verify_table!(
    /// `Buffer`.
    BufferV {
        "Buffer.data" @ buffer::DATA => VecOf<u8>,
        "Buffer.offset" @ buffer::OFFSET => u64,
        "Buffer.size" @ buffer::SIZE => u64,
    }
);

verify_table!(
    /// `Conv2DOptions`.
    Conv2dV {
        "Conv2DOptions.padding" @ options::conv2d::PADDING => i8,
        "Conv2DOptions.stride_w" @ options::conv2d::STRIDE_W => i32,
        "Conv2DOptions.stride_h" @ options::conv2d::STRIDE_H => i32,
        "Conv2DOptions.fused_activation_function" @ options::conv2d::ACTIVATION => i8,
        "Conv2DOptions.dilation_w_factor" @ options::conv2d::DILATION_W => i32,
        "Conv2DOptions.dilation_h_factor" @ options::conv2d::DILATION_H => i32,
    }
);

verify_table!(
    /// `DepthwiseConv2DOptions`.
    DepthwiseV {
        "DepthwiseConv2DOptions.padding" @ options::depthwise::PADDING => i8,
        "DepthwiseConv2DOptions.stride_w" @ options::depthwise::STRIDE_W => i32,
        "DepthwiseConv2DOptions.stride_h" @ options::depthwise::STRIDE_H => i32,
        "DepthwiseConv2DOptions.depth_multiplier" @ options::depthwise::DEPTH_MULTIPLIER => i32,
        "DepthwiseConv2DOptions.fused_activation_function" @ options::depthwise::ACTIVATION => i8,
        "DepthwiseConv2DOptions.dilation_w_factor" @ options::depthwise::DILATION_W => i32,
        "DepthwiseConv2DOptions.dilation_h_factor" @ options::depthwise::DILATION_H => i32,
    }
);

verify_table!(
    /// `Pool2DOptions`.
    Pool2dV {
        "Pool2DOptions.padding" @ options::pool2d::PADDING => i8,
        "Pool2DOptions.stride_w" @ options::pool2d::STRIDE_W => i32,
        "Pool2DOptions.stride_h" @ options::pool2d::STRIDE_H => i32,
        "Pool2DOptions.filter_width" @ options::pool2d::FILTER_W => i32,
        "Pool2DOptions.filter_height" @ options::pool2d::FILTER_H => i32,
        "Pool2DOptions.fused_activation_function" @ options::pool2d::ACTIVATION => i8,
    }
);

verify_table!(
    /// `FullyConnectedOptions`.
    FullyConnectedV {
        "FullyConnectedOptions.fused_activation_function" @ options::fully_connected::ACTIVATION => i8,
        "FullyConnectedOptions.weights_format" @ options::fully_connected::WEIGHTS_FORMAT => i8,
        "FullyConnectedOptions.keep_num_dims" @ options::fully_connected::KEEP_NUM_DIMS => u8,
    }
);

verify_table!(
    /// `UnidirectionalSequenceLSTMOptions`.
    LstmV {
        "UnidirectionalSequenceLSTMOptions.fused_activation_function" @ options::lstm::ACTIVATION => i8,
        "UnidirectionalSequenceLSTMOptions.cell_clip" @ options::lstm::CELL_CLIP => f32,
        "UnidirectionalSequenceLSTMOptions.proj_clip" @ options::lstm::PROJ_CLIP => f32,
        "UnidirectionalSequenceLSTMOptions.time_major" @ options::lstm::TIME_MAJOR => bool,
        "UnidirectionalSequenceLSTMOptions.asymmetric_quantize_inputs" @ options::lstm::ASYMMETRIC_QUANTIZE_INPUTS => bool,
        "UnidirectionalSequenceLSTMOptions.diagonal_recurrent_tensors" @ options::lstm::DIAGONAL_RECURRENT_TENSORS => bool,
    }
);

verify_table!(
    /// `SVDFOptions`.
    SvdfV {
        "SVDFOptions.rank" @ options::svdf::RANK => i32,
        "SVDFOptions.fused_activation_function" @ options::svdf::ACTIVATION => i8,
        "SVDFOptions.asymmetric_quantize_inputs" @ options::svdf::ASYMMETRIC_QUANTIZE_INPUTS => bool,
    }
);

verify_table!(
    /// `SoftmaxOptions`.
    SoftmaxV {
        "SoftmaxOptions.beta" @ options::softmax::BETA => f32,
    }
);

verify_table!(
    /// `SubOptions`.
    SubV {
        "fused_activation_function" @ options::sub::ACTIVATION => i8,
        "pot_scale_int16" @ options::sub::POT_SCALE_INT16 => bool,
    }
);

verify_table!(
    /// `LeakyReluOptions`.
    LeakyReluV {
        "LeakyReluOptions.alpha" @ options::leaky_relu::ALPHA => f32,
    }
);

verify_table!(
    /// `ConcatenationOptions`.
    ConcatenationV {
        "ConcatenationOptions.axis" @ options::concatenation::AXIS => i32,
        "ConcatenationOptions.fused_activation_function" @ options::concatenation::ACTIVATION => i8,
    }
);

verify_table!(
    /// `AddOptions` / `MulOptions`.
    AddMulV {
        "fused_activation_function" @ options::add_mul::ACTIVATION => i8,
    }
);

verify_table!(
    /// `ReshapeOptions`.
    ReshapeV {
        "ReshapeOptions.new_shape" @ options::reshape::NEW_SHAPE => VecOf<i32>,
    }
);

verify_table!(
    /// `ReducerOptions`.
    ReducerV {
        "ReducerOptions.keep_dims" @ options::reducer::KEEP_DIMS => u8,
    }
);

verify_table!(
    /// `StridedSliceOptions`.
    StridedSliceV {
        "StridedSliceOptions.begin_mask" @ options::strided_slice::BEGIN_MASK => i32,
        "StridedSliceOptions.end_mask" @ options::strided_slice::END_MASK => i32,
        "StridedSliceOptions.ellipsis_mask" @ options::strided_slice::ELLIPSIS_MASK => i32,
        "StridedSliceOptions.new_axis_mask" @ options::strided_slice::NEW_AXIS_MASK => i32,
        "StridedSliceOptions.shrink_axis_mask" @ options::strided_slice::SHRINK_AXIS_MASK => i32,
        "StridedSliceOptions.offset" @ options::strided_slice::OFFSET => bool,
    }
);

verify_table!(
    /// `ResizeNearestNeighborOptions`.
    ResizeNearestV {
        "ResizeNearestNeighborOptions.align_corners" @ options::resize_nearest::ALIGN_CORNERS => bool,
        "ResizeNearestNeighborOptions.half_pixel_centers" @ options::resize_nearest::HALF_PIXEL_CENTERS => bool,
    }
);

verify_table!(
    /// `SplitOptions` / `SplitVOptions`.
    SplitV {
        "SplitOptions.num_splits" @ options::split::NUM_SPLITS => i32,
    }
);

verify_table!(
    /// `TransposeConvOptions`.
    TransposeConvV {
        "TransposeConvOptions.padding" @ options::transpose_conv::PADDING => i8,
        "TransposeConvOptions.stride_w" @ options::transpose_conv::STRIDE_W => i32,
        "TransposeConvOptions.stride_h" @ options::transpose_conv::STRIDE_H => i32,
        "TransposeConvOptions.fused_activation_function" @ options::transpose_conv::ACTIVATION => i8,
        "TransposeConvOptions.quantized_bias_type" @ options::transpose_conv::QUANTIZED_BIAS_TYPE => i8,
    }
);

verify_table!(
    /// `PackOptions`.
    PackV {
        "PackOptions.values_count" @ options::pack::VALUES_COUNT => i32,
        "PackOptions.axis" @ options::pack::AXIS => i32,
    }
);

verify_table!(
    /// An options table with no fields this reader reads (`PadOptions`, `PadV2Options`).
    EmptyV {}
);

/// `Operator`, including the `builtin_options` union for the decoded option types.
pub(crate) struct OperatorV;

impl Verifiable for OperatorV {
    fn run_verifier(v: &mut Verifier, pos: usize) -> VResult {
        v.visit_table(pos)?
            .visit_field::<u32>("Operator.opcode_index", slot(operator::OPCODE_INDEX), false)?
            .visit_field::<VecOf<i32>>("Operator.inputs", slot(operator::INPUTS), false)?
            .visit_field::<VecOf<i32>>("Operator.outputs", slot(operator::OUTPUTS), false)?
            .visit_union::<u8, _>(
                "Operator.builtin_options_type",
                slot(operator::BUILTIN_OPTIONS_TYPE),
                "Operator.builtin_options",
                slot(operator::BUILTIN_OPTIONS),
                false,
                verify_options,
            )?
            .finish();
        Ok(())
    }
}

fn verify_options(type_code: u8, v: &mut Verifier, pos: usize) -> VResult {
    use options_type as t;
    match type_code {
        t::CONV_2D => v.verify_union_variant::<ForwardsUOffset<Conv2dV>>("Conv2DOptions", pos),
        t::DEPTHWISE_CONV_2D => {
            v.verify_union_variant::<ForwardsUOffset<DepthwiseV>>("DepthwiseConv2DOptions", pos)
        }
        t::POOL_2D => v.verify_union_variant::<ForwardsUOffset<Pool2dV>>("Pool2DOptions", pos),
        t::FULLY_CONNECTED => {
            v.verify_union_variant::<ForwardsUOffset<FullyConnectedV>>("FullyConnectedOptions", pos)
        }
        t::SOFTMAX => v.verify_union_variant::<ForwardsUOffset<SoftmaxV>>("SoftmaxOptions", pos),
        t::SVDF => v.verify_union_variant::<ForwardsUOffset<SvdfV>>("SVDFOptions", pos),
        t::UNIDIRECTIONAL_SEQUENCE_LSTM => v.verify_union_variant::<ForwardsUOffset<LstmV>>(
            "UnidirectionalSequenceLSTMOptions",
            pos,
        ),
        t::LEAKY_RELU => {
            v.verify_union_variant::<ForwardsUOffset<LeakyReluV>>("LeakyReluOptions", pos)
        }
        t::CONCATENATION => {
            v.verify_union_variant::<ForwardsUOffset<ConcatenationV>>("ConcatenationOptions", pos)
        }
        t::ADD => v.verify_union_variant::<ForwardsUOffset<AddMulV>>("AddOptions", pos),
        t::MUL => v.verify_union_variant::<ForwardsUOffset<AddMulV>>("MulOptions", pos),
        t::SUB => v.verify_union_variant::<ForwardsUOffset<SubV>>("SubOptions", pos),
        t::RESHAPE => v.verify_union_variant::<ForwardsUOffset<ReshapeV>>("ReshapeOptions", pos),
        t::REDUCER => v.verify_union_variant::<ForwardsUOffset<ReducerV>>("ReducerOptions", pos),
        t::STRIDED_SLICE => {
            v.verify_union_variant::<ForwardsUOffset<StridedSliceV>>("StridedSliceOptions", pos)
        }
        t::PACK => v.verify_union_variant::<ForwardsUOffset<PackV>>("PackOptions", pos),
        t::RESIZE_NEAREST_NEIGHBOR => v.verify_union_variant::<ForwardsUOffset<ResizeNearestV>>(
            "ResizeNearestNeighborOptions",
            pos,
        ),
        t::SPLIT => v.verify_union_variant::<ForwardsUOffset<SplitV>>("SplitOptions", pos),
        t::SPLIT_V => v.verify_union_variant::<ForwardsUOffset<SplitV>>("SplitVOptions", pos),
        t::TRANSPOSE_CONV => {
            v.verify_union_variant::<ForwardsUOffset<TransposeConvV>>("TransposeConvOptions", pos)
        }
        t::PAD => v.verify_union_variant::<ForwardsUOffset<EmptyV>>("PadOptions", pos),
        t::PAD_V2 => v.verify_union_variant::<ForwardsUOffset<EmptyV>>("PadV2Options", pos),
        // Option tables of other types are never read, so they need no verification.
        _ => Ok(()),
    }
}
