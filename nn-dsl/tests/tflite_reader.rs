//! The `.tflite` reader on valid models: models built by the test writer (bytes we control) and a
//! model made by the TensorFlow Lite converter (`tests/tflite/converter/`, facts checked against
//! `tf.lite.Interpreter`'s tensor and operator details).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "tflite/writer.rs"]
mod writer;

use nn_dsl::front::tflite::{
    read, Activation, BuiltinOp, BuiltinOptions, Conv2dOptions, DepthwiseConv2dOptions,
    FullyConnectedOptions, Padding, Pool2dOptions, ReadErrorKind, StridedSliceOptions, TensorType,
    TransposeConvOptions, WeightsFormat,
};
use writer::*;

#[test]
fn conv_softmax_model_reads_back() {
    let m = read(&conv_softmax().build()).unwrap();
    assert_eq!(m.version, 3);
    assert_eq!(m.description.as_deref(), Some("nnd test model"));
    let ops: Vec<_> = m.operator_codes.iter().map(|c| c.builtin).collect();
    assert_eq!(
        ops,
        [BuiltinOp::Conv2d, BuiltinOp::Reshape, BuiltinOp::Softmax]
    );
    let sg = m.subgraph().unwrap();
    assert_eq!(sg.name.as_deref(), Some("main"));
    assert_eq!(sg.inputs, [0]);
    assert_eq!(sg.outputs, [6]);
    assert_eq!(sg.tensors.len(), 7);

    let w = &sg.tensors[1];
    assert_eq!(w.name, "conv/weights");
    assert_eq!(w.shape, [4, 3, 3, 3]);
    assert_eq!(w.dtype, TensorType::Int8);
    let q = w.quantization.as_ref().unwrap();
    assert!(q.is_per_channel());
    assert_eq!(q.scale, [0.01, 0.02, 0.03, 0.04]);
    assert_eq!(q.zero_point, [0; 4]);
    assert_eq!(m.tensor_data(w).unwrap().len(), 108);
    assert_eq!(m.tensor_data(w).unwrap()[1], 37);

    let bias = &sg.tensors[2];
    assert_eq!(bias.dtype, TensorType::Int32);
    assert_eq!(
        m.tensor_data(bias).unwrap(),
        [10i32, -20, 30, -40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>()
    );
    assert!(m.tensor_data(&sg.tensors[0]).is_none());
    let q0 = sg.tensors[0].quantization.as_ref().unwrap();
    assert_eq!(
        (q0.scale.as_slice(), q0.zero_point.as_slice()),
        (&[0.5f32][..], &[-1i64][..])
    );

    assert_eq!(
        sg.operators[0].options,
        BuiltinOptions::Conv2d(Conv2dOptions {
            padding: Padding::Same,
            stride_w: 1,
            stride_h: 1,
            activation: Activation::Relu,
            dilation_w: 1,
            dilation_h: 1,
        })
    );
    assert_eq!(sg.operators[0].inputs, [Some(0), Some(1), Some(2)]);
    assert_eq!(
        sg.operators[1].options,
        BuiltinOptions::Reshape {
            new_shape: Some(vec![1, 256])
        }
    );
    assert_eq!(
        sg.operators[2].options,
        BuiltinOptions::Softmax { beta: 1.0 }
    );
    assert_eq!(sg.operators[2].outputs, [6]);
    assert_eq!(m.opcode(&sg.operators[2]).unwrap().name(), "SOFTMAX");
}

#[test]
fn fc_with_absent_bias_and_per_channel_weights() {
    let m = read(&fc_per_channel().build()).unwrap();
    let sg = m.subgraph().unwrap();
    assert_eq!(sg.name, None);
    assert_eq!(sg.operators[0].inputs, [Some(0), Some(1), None]);
    assert_eq!(
        sg.operators[0].options,
        BuiltinOptions::FullyConnected(FullyConnectedOptions {
            activation: Activation::Relu6,
            weights_format: WeightsFormat::Default,
            keep_num_dims: true,
        })
    );
    let q = sg.tensors[1].quantization.as_ref().unwrap();
    assert_eq!(q.scale.len(), 10);
    assert_eq!(q.quantized_dimension, 0);
}

#[test]
fn graph_with_two_inputs_pool_and_mean() {
    let m = read(&add_pool_mean().build()).unwrap();
    let sg = m.subgraph().unwrap();
    assert_eq!(sg.inputs, [0, 1]);
    assert_eq!(
        sg.operators[0].options,
        BuiltinOptions::Add {
            activation: Activation::None
        }
    );
    assert_eq!(
        sg.operators[1].options,
        BuiltinOptions::Pool2d(Pool2dOptions {
            padding: Padding::Valid,
            stride_w: 2,
            stride_h: 2,
            filter_width: 2,
            filter_height: 2,
            activation: Activation::None,
        })
    );
    assert_eq!(
        sg.operators[2].options,
        BuiltinOptions::Reducer { keep_dims: true }
    );
}

/// A model whose operators each read tensor 0 and write their own output, one per option kind.
fn options_model(options: Vec<(i32, MOptions)>) -> MModel {
    let mut tensors = vec![MTensor::new("x", &[1, 4], INT8, 0).q(MQuant::per_tensor(1.0, 0))];
    let mut ops = Vec::new();
    let mut codes = Vec::new();
    for (i, (code, o)) in options.into_iter().enumerate() {
        tensors
            .push(MTensor::new(&format!("y{i}"), &[1, 4], INT8, 0).q(MQuant::per_tensor(1.0, 0)));
        codes.push(MOpcode::builtin(code));
        ops.push(MOp::new(i as u32, &[0], &[i as i32 + 1], o));
    }
    let n = ops.len() as i32;
    MModel::new(
        codes,
        MSubgraph {
            name: None,
            tensors,
            inputs: vec![0],
            outputs: (1..=n).collect(),
            operators: ops,
        },
        vec![MBuffer::empty()],
    )
}

#[test]
fn every_decoded_option_kind_reads_back() {
    let m = options_model(vec![
        (
            DEPTHWISE_CONV_2D,
            MOptions::Depthwise {
                padding: 1,
                stride_w: 2,
                stride_h: 3,
                depth_multiplier: 4,
                act: 3,
                dilation_w: 2,
                dilation_h: 5,
            },
        ),
        (2, MOptions::Concatenation { axis: -1, act: 2 }),
        (18, MOptions::Mul { act: 4 }),
        (
            45,
            MOptions::StridedSlice {
                masks: [1, 2, 4, 8, 16],
            },
        ),
        (
            83,
            MOptions::Pack {
                values_count: 3,
                axis: -2,
            },
        ),
        (34, MOptions::Pad),
        (60, MOptions::PadV2),
        (RESHAPE, MOptions::Reshape { new_shape: None }),
        (25, MOptions::Softmax { beta: 0.5 }),
        (
            9,
            MOptions::FullyConnected {
                act: 5,
                weights_format: 1,
                keep_num_dims: false,
            },
        ),
        (28, MOptions::None),
        (
            67,
            MOptions::TransposeConv {
                padding: 1,
                stride_w: 2,
                stride_h: 3,
                act: 3,
                quantized_bias_type: 2,
            },
        ),
        // A union type this reader does not decode (GatherOptions = 23).
        (36, MOptions::Raw { type_code: 23 }),
        // A union type code beyond the schema (kept, not decoded).
        (0, MOptions::Raw { type_code: 250 }),
    ]);
    let model = read(&m.build()).unwrap();
    let got: Vec<_> = model
        .subgraph()
        .unwrap()
        .operators
        .iter()
        .map(|o| o.options.clone())
        .collect();
    assert_eq!(
        got,
        [
            BuiltinOptions::DepthwiseConv2d(DepthwiseConv2dOptions {
                padding: Padding::Valid,
                stride_w: 2,
                stride_h: 3,
                depth_multiplier: 4,
                activation: Activation::Relu6,
                dilation_w: 2,
                dilation_h: 5,
            }),
            BuiltinOptions::Concatenation {
                axis: -1,
                activation: Activation::ReluN1To1
            },
            BuiltinOptions::Mul {
                activation: Activation::Tanh
            },
            BuiltinOptions::StridedSlice(StridedSliceOptions {
                begin_mask: 1,
                end_mask: 2,
                ellipsis_mask: 4,
                new_axis_mask: 8,
                shrink_axis_mask: 16,
                offset: false,
            }),
            BuiltinOptions::Pack {
                values_count: 3,
                axis: -2
            },
            BuiltinOptions::Pad,
            BuiltinOptions::PadV2,
            BuiltinOptions::Reshape { new_shape: None },
            BuiltinOptions::Softmax { beta: 0.5 },
            BuiltinOptions::FullyConnected(FullyConnectedOptions {
                activation: Activation::SignBit,
                weights_format: WeightsFormat::Shuffled4x16Int8,
                keep_num_dims: false,
            }),
            BuiltinOptions::None,
            BuiltinOptions::TransposeConv(TransposeConvOptions {
                padding: Padding::Valid,
                stride_w: 2,
                stride_h: 3,
                activation: Activation::Relu6,
                quantized_bias_type: TensorType::Int32,
            }),
            BuiltinOptions::NotDecoded { type_code: 23 },
            BuiltinOptions::NotDecoded { type_code: 250 },
        ]
    );
    let names: Vec<_> = model
        .operator_codes
        .iter()
        .map(|c| c.builtin.to_string())
        .collect();
    assert_eq!(
        names[..5],
        [
            "DEPTHWISE_CONV_2D",
            "CONCATENATION",
            "MUL",
            "STRIDED_SLICE",
            "PACK"
        ]
    );
    assert_eq!(names[10], "TANH");
    assert_eq!(names[11], "TRANSPOSE_CONV");
    assert_eq!(names[12], "GATHER");
}

#[test]
fn extended_builtin_codes_and_custom_ops() {
    let mut m = options_model(vec![(150, MOptions::None), (CUSTOM, MOptions::None)]);
    m.opcodes[1].custom = Some("MyOp".to_owned());
    m.opcodes[1].version = 7;
    let model = read(&m.build()).unwrap();
    // GELU (150) is past the byte code's range: the writer stores 127 there, the reader takes the
    // larger 32-bit code.
    assert_eq!(model.operator_codes[0].builtin, BuiltinOp::Other(150));
    assert_eq!(model.operator_codes[1].builtin, BuiltinOp::Custom);
    assert_eq!(model.operator_codes[1].custom_code.as_deref(), Some("MyOp"));
    assert_eq!(model.operator_codes[1].version, 7);
    assert_eq!(model.operator_codes[1].name(), "CUSTOM \"MyOp\"");
    assert_eq!(model.operator_codes[0].version, 1);
}

#[test]
fn external_buffers_are_read_from_the_file() {
    // Build once to learn the flatbuffer's length (the offset value does not change the layout),
    // then point buffer 1 just past the flatbuffer and append the weights there.
    let weights: Vec<u8> = (0..108u8).map(|i| i.wrapping_mul(7)).collect();
    let mut m = conv_softmax();
    m.buffers.as_mut().unwrap()[1] = MBuffer {
        data: Vec::new(),
        offset: 2,
        size: 108,
    };
    let len = m.build().len() as u64;
    let offset = len.div_ceil(16) * 16;
    m.buffers.as_mut().unwrap()[1].offset = offset;
    let mut bytes = m.build();
    assert_eq!(bytes.len() as u64, len);
    bytes.resize(offset as usize, 0);
    bytes.extend_from_slice(&weights);
    let model = read(&bytes).unwrap();
    assert!(model.buffers[1].external);
    assert!(!model.buffers[2].external);
    assert_eq!(model.buffers[1].data, weights);
    // One byte short: the region runs past the end of the file.
    bytes.pop();
    let e = read(&bytes).unwrap_err();
    assert_eq!(e.kind(), ReadErrorKind::ExternalBuffer);
}

#[test]
fn offset_one_means_inline_data() {
    // The schema reserves offsets 0 and 1 as "not external".
    let mut m = conv_softmax();
    m.buffers.as_mut().unwrap()[1].offset = 1;
    let model = read(&m.build()).unwrap();
    assert!(!model.buffers[1].external);
    assert_eq!(model.buffers[1].data.len(), 108);
}

#[test]
fn tensors_that_need_no_producer() {
    let mut m = add_pool_mean();
    // Input b becomes a variable tensor (state), no longer a subgraph input.
    m.sg().inputs = vec![0];
    m.sg().tensors[1].is_variable = true;
    let model = read(&m.build()).unwrap();
    assert!(model.subgraph().unwrap().tensors[1].is_variable);

    // An empty tensor ([0] elements) needs no producer either; a scalar shape [] is fine.
    let mut m = add_pool_mean();
    m.sg().inputs = vec![0];
    m.sg().tensors[1].shape = vec![0, 4];
    m.sg().tensors[4].shape = vec![];
    m.buffers.as_mut().unwrap()[1].data.truncate(4);
    let model = read(&m.build()).unwrap();
    assert_eq!(
        model.subgraph().unwrap().tensors[4].shape,
        Vec::<usize>::new()
    );
}

#[test]
fn empty_quantization_is_none_and_buffers_may_be_shared() {
    let mut m = conv_softmax();
    m.sg().tensors[3].quant = Some(MQuant {
        scale: vec![],
        zero_point: vec![],
        quantized_dimension: 0,
    });
    // The converter shares identical constant buffers between tensors.
    m.sg()
        .tensors
        .push(MTensor::new("shape_copy", &[2], INT32, 3));
    let model = read(&m.build()).unwrap();
    let sg = model.subgraph().unwrap();
    assert_eq!(sg.tensors[3].quantization, None);
    assert_eq!(
        model.tensor_data(&sg.tensors[7]),
        model.tensor_data(&sg.tensors[4])
    );
}

#[test]
fn subgraph_output_may_be_an_input() {
    let mut m = add_pool_mean();
    m.sg().outputs.push(0);
    assert!(read(&m.build()).is_ok());
}

#[test]
fn read_error_is_a_std_error() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let e = read(b"12345678").unwrap_err();
    is_error(&e);
    assert_eq!(e.kind(), ReadErrorKind::FileIdentifier);
    assert_eq!(
        e.to_string(),
        "file identifier is \"5678\", expected \"TFL3\" (not a TensorFlow Lite model)"
    );
}

/// Facts of `tests/tflite/converter/mixed_int8.tflite`, as `tf.lite.Interpreter` reports them
/// (`get_tensor_details`, `_get_ops_details`).
#[test]
fn converter_int8_model() {
    let bytes = include_bytes!("tflite/converter/mixed_int8.tflite");
    let m = read(bytes).unwrap();
    let sg = m.subgraph().unwrap();
    assert_eq!(sg.tensors.len(), 22);
    assert_eq!(sg.inputs, [0]);
    assert_eq!(sg.outputs, [21]);
    let ops: Vec<String> = sg
        .operators
        .iter()
        .map(|o| m.opcode(o).unwrap().builtin.to_string())
        .collect();
    assert_eq!(
        ops,
        [
            "CONV_2D",
            "DEPTHWISE_CONV_2D",
            "CONV_2D",
            "ADD",
            "AVERAGE_POOL_2D",
            "MAX_POOL_2D",
            "MEAN",
            "RESHAPE",
            "CONCATENATION",
            "FULLY_CONNECTED",
            "CONCATENATION",
            "SOFTMAX"
        ]
    );
    assert_eq!(sg.operators[0].inputs, [Some(0), Some(9), Some(6)]);
    assert_eq!(sg.operators[0].outputs, [10]);
    assert_eq!(sg.operators[1].inputs, [Some(10), Some(5), Some(7)]);
    // The Dense layer was converted without a bias: an absent optional input.
    assert_eq!(sg.operators[9].inputs[2], None);

    let input = &sg.tensors[0];
    assert_eq!(input.name, "serving_default_keras_tensor:0");
    assert_eq!(input.shape, [1, 12, 12, 3]);
    assert_eq!(input.dtype, TensorType::Int8);
    let q = input.quantization.as_ref().unwrap();
    assert_eq!(q.scale, [0.02806518]);
    assert_eq!(q.zero_point, [11]);

    let fc_w = &sg.tensors[3];
    assert_eq!(fc_w.name, "functional_1/dense_1/MatMul1");
    assert_eq!(fc_w.shape, [10, 144]);
    assert_eq!(fc_w.quantization.as_ref().unwrap().scale.len(), 10);
    assert_eq!(m.tensor_data(fc_w).unwrap().len(), 1440);

    let dw = &sg.tensors[5];
    assert_eq!(dw.shape, [1, 3, 3, 8]);
    let q = dw.quantization.as_ref().unwrap();
    assert_eq!((q.scale.len(), q.quantized_dimension), (8, 3));

    let out = sg.tensors[21].quantization.as_ref().unwrap();
    assert_eq!(
        (out.scale.as_slice(), out.zero_point.as_slice()),
        (&[1.0f32 / 256.0][..], &[-128i64][..])
    );
    assert!(matches!(
        sg.operators[0].options,
        BuiltinOptions::Conv2d(Conv2dOptions {
            padding: Padding::Same,
            stride_w: 2,
            stride_h: 2,
            activation: Activation::Relu,
            ..
        })
    ));
    assert!(matches!(
        sg.operators[1].options,
        BuiltinOptions::DepthwiseConv2d(DepthwiseConv2dOptions {
            activation: Activation::Relu6,
            depth_multiplier: 1,
            ..
        })
    ));
    assert_eq!(
        sg.operators[6].options,
        BuiltinOptions::Reducer { keep_dims: false }
    );
    assert_eq!(
        sg.operators[8].options,
        BuiltinOptions::Concatenation {
            axis: -1,
            activation: Activation::None
        }
    );
}
