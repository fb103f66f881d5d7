//! Lowering of the layers of TFLite's 16x8 scheme (int16 activations with zero point 0, int8
//! weights, int64 bias) to the `_s16` kernels: the int8 builders with int16 clamps and offsets
//! 0, and the int64 bias beside them ([`S16Params`]).

use crate::ir::{DType, Op, Tensor};
use crate::quant;
use crate::weights::WDType;

use super::super::{DequantizeParams, NodeParams, QuantizeParams, S16Params};
use super::LowerError;
use super::{activation, add, conv2d, dense, depthwise_conv2d, mul, pool2d, ActQuant, Ctx};

/// `Some(params)` for a node with an int16 input or output, `None` for any other (reshape and
/// flatten of int16 data lower as copies, like int8 ones).
pub(super) fn lower(cx: &Ctx<'_>) -> Result<Option<NodeParams>, LowerError> {
    let mut any_i16 = cx.output()?.dtype == DType::I16;
    for i in 0..cx.node.inputs.len() {
        any_i16 |= cx.input(i)?.dtype == DType::I16;
    }
    if !any_i16 {
        return Ok(None);
    }
    let qe = cx.quant_err();
    let params = match &cx.node.op {
        // Data movement lowers as for int8 (the same constants; exec and the generated code
        // pick the int16 kernel from the tensors' type).
        Op::Reshape { .. }
        | Op::Flatten
        | Op::Concat { .. }
        | Op::Pad { .. }
        | Op::StridedSlice { .. }
        | Op::ResizeNearest { .. } => return Ok(None),
        Op::Conv2d(c) => {
            let (x, xq, y, yq) = unary(cx)?;
            let g = cx.geometry(&c.window, x, y)?;
            let groups = c.groups;
            if groups == 0 || g.input_c % groups != 0 || g.output_c % groups != 0 {
                return Err(cx.malformed(format!(
                    "groups = {groups} does not divide the {} input and {} output channels",
                    g.input_c, g.output_c
                )));
            }
            let w = cx.weights_i8(&[g.output_c, g.kernel_h, g.kernel_w, g.input_c / groups])?;
            let scales = cx.filter_scales(g.output_c)?;
            symmetric(cx)?;
            let bias = bias64(cx, c.bias, g.output_c)?;
            let mut lowered =
                conv2d(g, xq, &scales, yq, activation(c.activation), w, None).map_err(qe)?;
            lowered.groups = groups;
            S16Params::Conv2d(lowered, bias)
        }
        Op::DepthwiseConv2d(c) => {
            let (x, xq, y, yq) = unary(cx)?;
            let g = cx.geometry(&c.window, x, y)?;
            if g.output_c != g.input_c.saturating_mul(c.depth_multiplier) {
                return Err(cx.malformed("output channels are not input channels * multiplier"));
            }
            let w = cx.weights_i8(&[1, g.kernel_h, g.kernel_w, g.output_c])?;
            let scales = cx.filter_scales(g.output_c)?;
            symmetric(cx)?;
            let bias = bias64(cx, c.bias, g.output_c)?;
            let act = activation(c.activation);
            let lowered = depthwise_conv2d(g, c.depth_multiplier, xq, &scales, yq, act, w, None)
                .map_err(qe)?;
            S16Params::DepthwiseConv2d(lowered, bias)
        }
        Op::Dense(d) => {
            let (x, xq, y, yq) = unary(cx)?;
            let depth = x.shape.last().copied().unwrap_or(1).max(1);
            let batches = x.elements() / depth;
            if y.elements() != batches.saturating_mul(d.units) {
                return Err(cx.malformed("output size differs from rows * units"));
            }
            let w = cx.weights_i8(&[d.units, depth])?;
            let scales = cx.filter_scales(d.units)?;
            symmetric(cx)?;
            let bias = bias64(cx, d.bias, d.units)?;
            let act = activation(d.activation);
            let lowered =
                dense(batches, depth, d.units, xq, &scales, 0, yq, act, w, None).map_err(qe)?;
            S16Params::Dense(lowered, bias)
        }
        Op::MaxPool2d(p) | Op::AvgPool2d(p) => {
            let (x, xq, y, yq) = unary(cx)?;
            if xq != yq {
                return Err(crate::lower::LowerError::BadQuant {
                    tensor: y.name.clone(),
                    reason: format!(
                        "pooling keeps the input's scale (as TFLite does): {} on the input, {} \
                         on the output",
                        xq.scale, yq.scale
                    ),
                });
            }
            let g = cx.geometry(&p.window, x, y)?;
            let params = pool2d(g, yq, activation(p.activation)).map_err(qe)?;
            if matches!(cx.node.op, Op::MaxPool2d(_)) {
                S16Params::MaxPool2d(params)
            } else {
                S16Params::AvgPool2d(params)
            }
        }
        Op::Add {
            activation: act,
            operand: None,
        }
        | Op::Mul {
            activation: act,
            operand: None,
        } => {
            cx.arity(2)?;
            let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output()?);
            let (aq, bq, yq) = (q16(cx, a)?, q16(cx, b)?, q16(cx, y)?);
            let shapes = [a.shape.clone(), b.shape.clone(), y.shape.clone()];
            if matches!(cx.node.op, Op::Add { .. }) {
                S16Params::Add(add(shapes, aq, bq, yq, activation(*act)).map_err(qe)?)
            } else {
                S16Params::Mul(mul(shapes, aq, bq, yq, activation(*act)).map_err(qe)?)
            }
        }
        Op::Quantize => {
            cx.arity(1)?;
            let (x, y) = (cx.input(0)?, cx.output()?);
            if x.dtype == DType::I16 {
                // int16 -> int16: a requantisation, as `quantize` from i8 to i8 is.
                let (xq, yq) = (q16(cx, x)?, q16(cx, y)?);
                return Ok(Some(NodeParams::S16(S16Params::Requantize(
                    super::requantize(x.elements(), xq, yq).map_err(qe)?,
                ))));
            }
            if x.dtype != DType::F32 {
                return Err(cx.unsupported(format!(
                    "quantize from {} to {} (the 16x8 scheme has f32 -> i16 and i16 -> i16)",
                    x.dtype, y.dtype
                )));
            }
            let yq = q16(cx, y)?;
            S16Params::Quantize(QuantizeParams {
                len: x.elements(),
                scale: yq.scale,
                zero_point: 0,
            })
        }
        Op::Requantize => {
            let (x, xq, _, yq) = unary(cx)?;
            S16Params::Requantize(super::requantize(x.elements(), xq, yq).map_err(qe)?)
        }
        Op::Softmax { beta } => {
            let (x, xq, _, yq) = unary(cx)?;
            let depth = x.shape.last().copied().unwrap_or(1);
            let m = quant::softmax16(xq.scale, xq.zero_point, *beta, yq.scale, yq.zero_point)
                .map_err(qe)?;
            let (input_multiplier, input_shift) = m.to_raw();
            S16Params::Softmax(nn_kernels::softmax16::Softmax16Params {
                rows: x.elements() / depth.max(1),
                depth,
                input_multiplier,
                input_shift,
            })
        }
        Op::Logistic | Op::Tanh => {
            let (x, xq, _, yq) = unary(cx)?;
            let tanh = matches!(cx.node.op, Op::Tanh);
            let (input_multiplier, input_left_shift) =
                quant::sigmoid16(xq.scale, xq.zero_point, yq.scale, yq.zero_point, tanh)
                    .map_err(qe)?;
            let p = nn_kernels::sigmoid16::Sigmoid16Params {
                len: x.elements(),
                input_multiplier,
                input_left_shift,
            };
            if tanh {
                S16Params::Tanh(p)
            } else {
                S16Params::Logistic(p)
            }
        }
        Op::Dequantize => {
            cx.arity(1)?;
            let (x, y) = (cx.input(0)?, cx.output()?);
            let xq = q16(cx, x)?;
            cx.dtype(y, DType::F32)?;
            S16Params::Dequantize(DequantizeParams {
                len: x.elements(),
                scale: xq.scale,
                zero_point: 0,
            })
        }
        _ => {
            return Err(cx.unsupported(
                "no 16x8 (int16 activation) kernel for this operator yet; the 16x8 scheme runs \
                 conv2d, depthwise_conv2d, dense, max/avg pooling, add, mul, logistic, tanh, softmax, \
                 quantize, requantize, dequantize, concat, pad, strided_slice, resize_nearest, \
                 reshape and flatten \
                 (docs/ops.md)",
            ))
        }
    };
    Ok(Some(NodeParams::S16(params)))
}

/// The int16 tensor `t`'s quantisation (zero point 0).
fn q16(cx: &Ctx<'_>, t: &Tensor) -> Result<ActQuant, LowerError> {
    if t.dtype != DType::I16 {
        return Err(cx.unsupported(format!(
            "tensor `{}` is {}, but this 16x8 layer reads and writes i16 (no mixed int8/int16 \
             layers)",
            t.name, t.dtype
        )));
    }
    super::act_quant(t)
}

/// Input 0 and the output, both int16, with their quantisation.
fn unary<'a>(cx: &Ctx<'a>) -> Result<(&'a Tensor, ActQuant, &'a Tensor, ActQuant), LowerError> {
    cx.arity(1)?;
    let (x, y) = (cx.input(0)?, cx.output()?);
    Ok((x, q16(cx, x)?, y, q16(cx, y)?))
}

/// 16x8 weights are symmetric int8.
fn symmetric(cx: &Ctx<'_>) -> Result<(), LowerError> {
    if cx.filter_zero_point()? != 0 {
        return Err(cx.unsupported("16x8 weights must have zero point 0"));
    }
    Ok(())
}

/// The int64 bias of a 16x8 multiply-accumulate layer, `None` for a layer without one (TFLM
/// then runs the same 64-bit arithmetic, checked on a FULLY_CONNECTED without bias in
/// `cnn_16x8`). An INT32 bias makes TFLM accumulate in 32 bits with the 32-bit rounding, which
/// nnd does not implement: such a layer is refused rather than computed differently.
fn bias64(cx: &Ctx<'_>, has_bias: bool, len: usize) -> Result<Option<Vec<i64>>, LowerError> {
    if !has_bias {
        return Ok(None);
    }
    let (name, w) = cx.weight("bias")?;
    if w.dtype != WDType::I64 {
        return Err(cx.unsupported(format!(
            "`{name}` is {}; a 16x8 layer needs an int64 bias (TFLM accumulates int32-bias 16x8 \
             layers in 32 bits, which nnd does not implement)",
            w.dtype.name()
        )));
    }
    let (_, w) = cx.checked("bias", WDType::I64, &[len])?;
    Ok(Some(
        w.data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
    ))
}
