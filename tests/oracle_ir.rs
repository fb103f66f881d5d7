//! Every single-op oracle case (`tests/vectors/ops/*.json`) as a one-node IR module and its
//! weights: shapes without the batch, the node's constants under the names of docs/weights.md.
//! Shared by `tests/models_oracle.rs` (host executor) and `tests/cortex-m` (generated code on an
//! emulated Cortex-M4).
//!
//! Test-support code: a case the mapping does not know is a bug in the vectors or here, and
//! panics with its name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::ir::{
    Activation, Conv2d, DType, Dense, DepthwiseConv2d, Module, Node, Op, Padding2d, PaddingScheme,
    Pool2d, Producer, Quant, Tensor as IrTensor, TransposeConv2d, Window2d,
};
use nn_dsl::shape::{self, Padding};
use nn_dsl::span::Span;
use nn_dsl::weights::{WDType, WeightTensor, Weights};

use crate::{
    ActivationName, ActivationOptions, Case, ConstOperandOptions, ConvOptions, DType as VDType,
    FullyConnectedOptions, LeakyReluOptions, MeanOptions, PadOptions, PoolOptions, ResizeOptions,
    SoftmaxOptions, SplitOptions, StridedSliceOptions, Tensor as VTensor, TransposeConvOptions,
};

// ---------------------------------------------------------------------------------------------
// Single-op cases as one-node modules.

fn act(a: ActivationName) -> Activation {
    match a {
        ActivationName::None => Activation::None,
        ActivationName::Relu => Activation::Relu,
        ActivationName::Relu6 => Activation::Relu6,
    }
}

/// The IR shape of a stored activation: the leading batch of 1 removed (rank >= 2).
fn ir_shape(shape: &[usize]) -> Vec<usize> {
    match shape {
        [1, rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => shape.to_vec(),
    }
}

fn dtype(t: &VTensor) -> DType {
    match t.dtype {
        VDType::Int8 => DType::I8,
        VDType::Int16 => DType::I16,
        VDType::Int32 | VDType::Int64 => DType::I32,
        VDType::Float32 => DType::F32,
    }
}

fn quant_of(t: &VTensor) -> Option<Quant> {
    (!t.scale.is_empty()).then(|| Quant {
        scale: t.scales(),
        zero_point: t.zero_point.clone(),
        axis: None,
    })
}

fn ir_tensor(name: &str, t: &VTensor, producer: Producer) -> IrTensor {
    IrTensor {
        name: name.into(),
        shape: ir_shape(&t.shape),
        dtype: dtype(t),
        quant: quant_of(t),
        producer,
        span: Span::UNDEFINED,
    }
}

/// A module with `data_inputs` graph inputs feeding one node `n` with `op`.
fn one_node(case: &Case, data_inputs: usize, op: Op) -> Module {
    let mut m = Module::new("single");
    for (i, t) in case.inputs.iter().take(data_inputs).enumerate() {
        let h = m
            .tensors
            .append(ir_tensor(&format!("x{i}"), t, Producer::Input(i)))
            .unwrap();
        m.inputs.push(h);
    }
    let node = nn_dsl::ir::Handle::from_index(0);
    let out = m
        .tensors
        .append(ir_tensor("n", &case.output, Producer::Node(node)))
        .unwrap();
    m.nodes
        .append(Node {
            name: "n".into(),
            op,
            inputs: m.inputs.clone(),
            output: out,
            span: Span::UNDEFINED,
            source: None,
        })
        .unwrap();
    m.outputs.push(("n".into(), out));
    m.validate().unwrap();
    m
}

fn put(w: &mut Weights, name: &str, dtype: WDType, shape: &[usize], data: Vec<u8>) {
    w.tensors.insert(
        name.into(),
        WeightTensor {
            dtype,
            shape: shape.to_vec(),
            data,
        },
    );
}

/// `n.weight`, `n.weight_scale` and (if present) `n.bias` from operands 1 and 2.
fn layer_weights(case: &Case) -> Weights {
    let mut w = Weights::default();
    let f = case.input(1).unwrap();
    let fd: Vec<u8> = f.i8_data().unwrap().iter().map(|&v| v as u8).collect();
    put(&mut w, "n.weight", WDType::I8, &f.shape, fd);
    let scales: Vec<u8> = f.scales().iter().flat_map(|s| s.to_le_bytes()).collect();
    put(
        &mut w,
        "n.weight_scale",
        WDType::F32,
        &[f.scale.len()],
        scales,
    );
    match case.inputs.get(2) {
        Some(b) if b.dtype == VDType::Int64 => {
            let bd: Vec<u8> = b
                .i64_data()
                .unwrap()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            put(&mut w, "n.bias", WDType::I64, &b.shape, bd);
        }
        Some(b) => {
            let bd: Vec<u8> = b
                .i32_data()
                .unwrap()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            put(&mut w, "n.bias", WDType::I32, &b.shape, bd);
        }
        None => {}
    }
    w
}

fn window(
    case: &Case,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
) -> Window2d {
    let x = &case.inputs[0].shape;
    let dh = shape::window(x[1], kernel[0], stride[0], dilation[0], padding).unwrap();
    let dw = shape::window(x[2], kernel[1], stride[1], dilation[1], padding).unwrap();
    Window2d {
        kernel,
        stride,
        dilation,
        padding: Padding2d {
            scheme: match padding {
                Padding::Same => PaddingScheme::Same,
                Padding::Valid => PaddingScheme::Valid,
            },
            top: dh.pad_before,
            bottom: dh.pad_after,
            left: dw.pad_before,
            right: dw.pad_after,
        },
    }
}

fn axis(a: i64, stored_rank: usize) -> usize {
    // Normalise against the stored rank, then drop the batch dimension.
    let a = if a < 0 { a + stored_rank as i64 } else { a };
    usize::try_from(a - 1).unwrap()
}

/// The module and weights for one single-op case.
pub fn build(op: &str, case: &Case) -> (Module, Weights) {
    // A 16x8 case (`conv2d_16x8`) is its int8 op's graph: the dtypes come from the vectors.
    let op = op.strip_suffix("_16x8").unwrap_or(op);
    let none = Weights::default;
    match op {
        "conv2d" | "conv2d_grouped" | "depthwise_conv2d" => {
            let o: ConvOptions = case.options().unwrap();
            let f = &case.inputs[1].shape;
            let win = window(case, [f[1], f[2]], o.stride, o.dilation, o.padding.into());
            let bias = case.inputs.len() > 2;
            let ir_op = if op != "depthwise_conv2d" {
                Op::Conv2d(Conv2d {
                    filters: f[0],
                    window: win,
                    groups: case.inputs[0].shape[3] / f[3],
                    activation: act(o.activation),
                    bias,
                })
            } else {
                let ic = case.inputs[0].shape[3];
                Op::DepthwiseConv2d(DepthwiseConv2d {
                    depth_multiplier: o.depth_multiplier.unwrap_or(f[3] / ic),
                    window: win,
                    activation: act(o.activation),
                    bias,
                })
            };
            (one_node(case, 1, ir_op), layer_weights(case))
        }
        "transpose_conv" => {
            let o: TransposeConvOptions = case.options().unwrap();
            let (x, f) = (&case.inputs[0].shape, &case.inputs[1].shape);
            let padding: Padding = o.padding.into();
            let [_, oh, ow, _] = o.output_shape;
            let rows = shape::transpose_window(x[1], f[1], o.stride[0], padding, oh).unwrap();
            let cols = shape::transpose_window(x[2], f[2], o.stride[1], padding, ow).unwrap();
            let ir_op = Op::TransposeConv2d(TransposeConv2d {
                filters: f[0],
                window: Window2d {
                    kernel: [f[1], f[2]],
                    stride: o.stride,
                    dilation: [1, 1],
                    padding: Padding2d {
                        scheme: match padding {
                            Padding::Same => PaddingScheme::Same,
                            Padding::Valid => PaddingScheme::Valid,
                        },
                        top: rows.pad_before,
                        bottom: rows.pad_after,
                        left: cols.pad_before,
                        right: cols.pad_after,
                    },
                },
                output_size: [oh, ow],
                activation: act(o.activation),
                bias: o.bias,
            });
            (one_node(case, 1, ir_op), layer_weights(case))
        }
        "fully_connected" => {
            let o: FullyConnectedOptions = case.options().unwrap();
            let ir_op = Op::Dense(Dense {
                units: case.inputs[1].shape[0],
                activation: act(o.activation),
                bias: case.inputs.len() > 2,
            });
            (one_node(case, 1, ir_op), layer_weights(case))
        }
        "max_pool2d" | "avg_pool2d" => {
            let o: PoolOptions = case.options().unwrap();
            let p = Pool2d {
                window: window(case, o.filter, o.stride, [1, 1], o.padding.into()),
                activation: act(o.activation),
            };
            let ir_op = if op == "max_pool2d" {
                Op::MaxPool2d(p)
            } else {
                Op::AvgPool2d(p)
            };
            (one_node(case, 1, ir_op), none())
        }
        "add" | "mul" | "sub" => {
            let o: ActivationOptions = case.options().unwrap();
            let activation = act(o.activation);
            let operand = None;
            let ir_op = match op {
                "add" => Op::Add {
                    activation,
                    operand,
                },
                "sub" => Op::Sub {
                    activation,
                    operand,
                },
                _ => Op::Mul {
                    activation,
                    operand,
                },
            };
            (one_node(case, 2, ir_op), none())
        }
        "add_const" | "mul_const" => {
            // The data input is a graph input; the constant becomes `n.operand*` weights.
            let o: ConstOperandOptions = case.options().unwrap();
            let activation = act(o.activation);
            let c = &case.inputs[o.constant];
            let x_rank = ir_shape(&case.inputs[1 - o.constant].shape).len();
            let mut shape = c.shape.clone();
            while shape.len() > x_rank && shape[0] == 1 {
                shape.remove(0);
            }
            if shape.is_empty() {
                shape.push(1);
            }
            let mut w = Weights::default();
            let cd: Vec<u8> = c.i8_data().unwrap().iter().map(|&v| v as u8).collect();
            put(&mut w, "n.operand", WDType::I8, &shape, cd);
            let s = c.scales()[0].to_le_bytes().to_vec();
            put(&mut w, "n.operand_scale", WDType::F32, &[1], s);
            let z = c.zero_point[0].to_le_bytes().to_vec();
            put(&mut w, "n.operand_zero_point", WDType::I64, &[1], z);
            let operand = Some(shape);
            let ir_op = if op == "add_const" {
                Op::Add {
                    activation,
                    operand,
                }
            } else {
                Op::Mul {
                    activation,
                    operand,
                }
            };
            let mut single = case.clone();
            single.inputs = vec![case.inputs[1 - o.constant].clone()];
            (one_node(&single, 1, ir_op), w)
        }
        "maximum" => (one_node(case, 2, Op::Maximum), none()),
        "minimum" => (one_node(case, 2, Op::Minimum), none()),
        "prelu" => {
            let x_rank = ir_shape(&case.inputs[0].shape).len();
            let a = case.input(1).unwrap();
            let mut alpha_shape = a.shape.clone();
            while alpha_shape.len() > x_rank && alpha_shape[0] == 1 {
                alpha_shape.remove(0);
            }
            let mut w = Weights::default();
            let ad: Vec<u8> = a.i8_data().unwrap().iter().map(|&v| v as u8).collect();
            put(&mut w, "n.alpha", WDType::I8, &alpha_shape, ad);
            let s = a.scales()[0].to_le_bytes().to_vec();
            put(&mut w, "n.alpha_scale", WDType::F32, &[1], s);
            let z = a.zero_point[0].to_le_bytes().to_vec();
            put(&mut w, "n.alpha_zero_point", WDType::I64, &[1], z);
            (one_node(case, 1, Op::Prelu { alpha_shape }), w)
        }
        "softmax" => {
            let o: SoftmaxOptions = case.options().unwrap();
            let beta = o.beta as f32;
            (one_node(case, 1, Op::Softmax { beta }), none())
        }
        "logistic" => (one_node(case, 1, Op::Logistic), none()),
        "tanh" => (one_node(case, 1, Op::Tanh), none()),
        "relu" => (one_node(case, 1, Op::Relu), none()),
        "relu6" => (one_node(case, 1, Op::Relu6), none()),
        "leaky_relu" => {
            let o: LeakyReluOptions = case.options().unwrap();
            let alpha = o.alpha as f32;
            (one_node(case, 1, Op::LeakyRelu { alpha }), none())
        }
        "hard_swish" => (one_node(case, 1, Op::HardSwish), none()),
        "quantize" | "requantize" => (one_node(case, 1, Op::Quantize), none()),
        "dequantize" => (one_node(case, 1, Op::Dequantize), none()),
        "pad" => {
            let o: PadOptions = case.options().unwrap();
            let stored = case.inputs[0].shape.len();
            let paddings = if stored >= 2 && case.inputs[0].shape[0] == 1 {
                assert_eq!(o.paddings[0], [0, 0], "{}: batch padding", case.name);
                o.paddings[1..].to_vec()
            } else {
                o.paddings
            };
            (one_node(case, 1, Op::Pad { paddings }), none())
        }
        "resize_nearest_neighbor" => {
            let o: ResizeOptions = case.options().unwrap();
            let ir_op = Op::ResizeNearest {
                size: o.size,
                align_corners: o.align_corners,
                half_pixel_centers: o.half_pixel_centers,
            };
            (one_node(case, 1, ir_op), none())
        }
        "strided_slice" => {
            // Resolved over the stored shape; the batch axis (kept whole) is dropped.
            let o: StridedSliceOptions = case.options().unwrap();
            let (axes, shape) = o.resolve(&case.inputs[0].shape).unwrap();
            let ir_op = Op::StridedSlice {
                begin: axes[1..].iter().map(|a| a.begin).collect(),
                end: axes[1..].iter().map(|a| a.end).collect(),
                strides: axes[1..].iter().map(|a| a.stride).collect(),
                shape: shape[1..].to_vec(),
            };
            (one_node(case, 1, ir_op), none())
        }
        "split" => {
            let o: SplitOptions = case.options().unwrap();
            let stored = &case.inputs[0].shape;
            let rank = stored.len() as i64;
            let axis = usize::try_from(if o.axis < 0 { o.axis + rank } else { o.axis }).unwrap();
            let x = ir_shape(stored);
            let part = stored[axis] / o.num_splits;
            let mut begin = vec![0; x.len()];
            let mut end: Vec<i64> = x.iter().map(|&d| d as i64).collect();
            let mut shape = x.clone();
            begin[axis - 1] = o.index * part;
            end[axis - 1] = ((o.index + 1) * part) as i64;
            shape[axis - 1] = part;
            let ir_op = Op::StridedSlice {
                begin,
                end,
                strides: vec![1; x.len()],
                shape,
            };
            (one_node(case, 1, ir_op), none())
        }
        "concat" => {
            let o: ActivationOptions = case.options().unwrap();
            let rank = case.output.shape.len();
            let ir_op = Op::Concat {
                axis: axis(o.axis.unwrap_or(0), rank),
            };
            (one_node(case, case.inputs.len(), ir_op), none())
        }
        "mean" => {
            let o: MeanOptions = case.options().unwrap();
            let rank = case.inputs[0].shape.len();
            let mut axes: Vec<usize> = o.axis.iter().map(|&a| axis(a, rank)).collect();
            axes.sort_unstable();
            axes.dedup();
            let ir_op = Op::Mean {
                axes,
                keep_dims: o.keep_dims,
            };
            (one_node(case, 1, ir_op), none())
        }
        other => panic!("no IR mapping for op {other}"),
    }
}
