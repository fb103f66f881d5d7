//! Lowering of the layers of q7 and q15 networks ([`crate::ir::Numerics::Pow2`]) to the
//! power-of-two kernels of `nn_kernels::q7q15`: the shifts from the formats of input, weights,
//! bias and output. In q7 networks max pooling, ReLU, reshape and flatten lower as in int8
//! networks (with scale `2^-f` and zero point 0 on both sides their int8 kernels compute exactly
//! the q7 results); in q15 networks (int16 tensors) reshape and flatten lower as copies and
//! every other layer to a `_q15` kernel ([`Q15Params`]).

use crate::ir::{DType, Op, Tensor};
use crate::weights::WDType;

use super::super::{
    NodeParams, Q15ConvLowered, Q15DenseLowered, Q15Params, Q15Weights, Q7ConvLowered,
    Q7DenseLowered, Rounding, Shifts, TableActivation, Window,
};
use super::{Ctx, LowerError};

/// `Some(params)` for a layer with a q7 or q15 kernel of its own, `None` for one that lowers as
/// in an int8 network.
pub(super) fn lower(cx: &Ctx<'_>) -> Result<Option<NodeParams>, LowerError> {
    if cx.input(0)?.dtype == DType::I16 {
        return lower_q15(cx);
    }
    let params = match &cx.node.op {
        Op::Conv2d(c) => {
            let (x, y) = unary(cx)?;
            let window = window(cx, &c.window, x, y)?;
            let weights = cx.weights_i8(&[
                window.output_c,
                window.kernel_h,
                window.kernel_w,
                window.input_c,
            ])?;
            let shifts = shifts(cx, x, y, c.bias, Rounding::Nearest)?;
            let bias = bias_i8(cx, c.bias, window.output_c)?;
            NodeParams::Q7Conv2d(Q7ConvLowered {
                window,
                shifts,
                weights,
                bias,
            })
        }
        Op::DepthwiseConv2d(c) => {
            let (x, y) = unary(cx)?;
            let window = window(cx, &c.window, x, y)?;
            if window.input_c != window.output_c {
                return Err(cx.unsupported("a q7 depthwise convolution keeps its channel count"));
            }
            let weights = cx.weights_i8(&[1, window.kernel_h, window.kernel_w, window.input_c])?;
            // CMSIS's depthwise q7 truncates unless built with ARM_NNUSE_ROUND.
            let shifts = shifts(cx, x, y, c.bias, Rounding::Truncate)?;
            let bias = bias_i8(cx, c.bias, window.output_c)?;
            NodeParams::Q7DepthwiseConv2d(Q7ConvLowered {
                window,
                shifts,
                weights,
                bias,
            })
        }
        Op::Dense(d) => {
            let (x, y) = unary(cx)?;
            let depth = x.elements();
            let weights = cx.weights_i8(&[d.units, depth])?;
            let shifts = shifts(cx, x, y, d.bias, Rounding::Nearest)?;
            let bias = bias_i8(cx, d.bias, d.units)?;
            NodeParams::Q7Dense(Q7DenseLowered {
                depth,
                units: d.units,
                shifts,
                weights,
                bias,
            })
        }
        Op::AvgPool2d(p) => {
            let (x, y) = unary(cx)?;
            NodeParams::Q7AvgPool2d(window(cx, &p.window, x, y)?)
        }
        Op::Softmax { .. } => {
            let (x, y) = unary(cx)?;
            if frac(cx, y)? != 7 {
                return Err(cx.unsupported("a q7 softmax writes q7<7>"));
            }
            let depth = x.shape.last().copied().unwrap_or(1);
            NodeParams::Q7Softmax {
                rows: x.elements() / depth.max(1),
                depth,
            }
        }
        Op::Logistic | Op::Tanh => {
            let (function, int_width) = table_activation(cx, 7)?;
            NodeParams::Q7Activation {
                function,
                int_width,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(params))
}

/// The layers of a q15 network (int16 tensors): the `_q15` kernels; reshape and flatten lower
/// as copies (`None`). CMSIS's `_q15` convolution and fully connected layers round half up
/// (`NN_ROUND`) in its default build.
fn lower_q15(cx: &Ctx<'_>) -> Result<Option<NodeParams>, LowerError> {
    let params = match &cx.node.op {
        Op::Reshape { .. } | Op::Flatten => return Ok(None),
        Op::Conv2d(c) => {
            let (x, y) = unary(cx)?;
            let window = window(cx, &c.window, x, y)?;
            let (_, w) = cx.checked(
                "weight",
                WDType::I16,
                &[
                    window.output_c,
                    window.kernel_h,
                    window.kernel_w,
                    window.input_c,
                ],
            )?;
            let weights = i16s(&w.data);
            let shifts = shifts(cx, x, y, c.bias, Rounding::Nearest)?;
            let bias = bias_i16(cx, c.bias, window.output_c)?;
            Q15Params::Conv2d(Q15ConvLowered {
                window,
                shifts,
                weights,
                bias,
            })
        }
        Op::Dense(d) => {
            let (x, y) = unary(cx)?;
            let depth = x.elements();
            let shifts = shifts(cx, x, y, d.bias, Rounding::Nearest)?;
            // q7 weights in the weights file select CMSIS's mixed `_mat_q7_vec_q15` layer.
            let (_, w) = cx.weight("weight")?;
            let weights = if w.dtype == WDType::I8 {
                Q15Weights::Q7 {
                    weights: cx.weights_i8(&[d.units, depth])?,
                    bias: bias_i8(cx, d.bias, d.units)?,
                }
            } else {
                let (_, w) = cx.checked("weight", WDType::I16, &[d.units, depth])?;
                let bias = bias_i16(cx, d.bias, d.units)?;
                Q15Weights::Q15 {
                    weights: i16s(&w.data),
                    bias,
                }
            };
            Q15Params::Dense(Q15DenseLowered {
                depth,
                units: d.units,
                shifts,
                weights,
            })
        }
        Op::Relu => {
            let (x, y) = unary(cx)?;
            if frac(cx, x)? != frac(cx, y)? {
                return Err(cx.unsupported("a q15 relu keeps its input's format"));
            }
            Q15Params::Relu
        }
        Op::Softmax { .. } => {
            let (x, y) = unary(cx)?;
            if frac(cx, y)? != 15 {
                return Err(cx.unsupported("a q15 softmax writes q15<15>"));
            }
            let depth = x.shape.last().copied().unwrap_or(1);
            Q15Params::Softmax {
                rows: x.elements() / depth.max(1),
                depth,
            }
        }
        Op::Logistic | Op::Tanh => {
            let (function, int_width) = table_activation(cx, 15)?;
            Q15Params::Activation {
                function,
                int_width,
            }
        }
        _ => {
            return Err(cx.unsupported(
                "q15 networks take conv2d, dense, relu, logistic, tanh, softmax, reshape and \
                 flatten (the legacy `_q15` functions of CMSIS-NN)",
            ))
        }
    };
    Ok(Some(NodeParams::Q15(params)))
}

/// Sigmoid or tanh by CMSIS's tables: the function and the input's integer bits
/// (`bits - frac`, which the tables take in 0..=3); the output is Q0.`bits`.
fn table_activation(cx: &Ctx<'_>, bits: i32) -> Result<(TableActivation, u32), LowerError> {
    let (x, y) = unary(cx)?;
    let function = if matches!(cx.node.op, Op::Logistic) {
        TableActivation::Sigmoid
    } else {
        TableActivation::Tanh
    };
    let int_width = bits - frac(cx, x)?;
    if !(0..=3).contains(&int_width) {
        return Err(
            cx.unsupported("CMSIS's table sigmoid and tanh take inputs with 0 to 3 integer bits")
        );
    }
    if frac(cx, y)? != bits {
        return Err(cx.unsupported("the table sigmoid and tanh write q7<7> or q15<15>"));
    }
    Ok((function, int_width as u32))
}

/// Little-endian `i16`s.
fn i16s(data: &[u8]) -> Vec<i16> {
    data.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn unary<'a>(cx: &Ctx<'a>) -> Result<(&'a Tensor, &'a Tensor), LowerError> {
    cx.arity(1)?;
    Ok((cx.input(0)?, cx.output()?))
}

/// The fractional bits of a q7 tensor (scale `2^-frac`, zero point 0).
fn frac(cx: &Ctx<'_>, t: &Tensor) -> Result<i32, LowerError> {
    let q = t.quant.as_ref().ok_or_else(|| LowerError::MissingQuant {
        tensor: t.name.clone(),
    })?;
    q.pow2_frac().ok_or_else(|| LowerError::BadQuant {
        tensor: t.name.clone(),
        reason: format!(
            "a tensor of a q7 / q15 network needs a power-of-two scale and zero point 0 (node `{}`)",
            cx.node.name
        ),
    })
}

fn window(
    cx: &Ctx<'_>,
    w: &crate::ir::Window2d,
    x: &Tensor,
    y: &Tensor,
) -> Result<Window, LowerError> {
    if w.dilation != [1, 1] {
        return Err(cx.unsupported("the q7 kernels take no dilation"));
    }
    let g = cx.geometry(w, x, y)?;
    Ok(Window {
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
    })
}

/// One i32 `[1]` constant of the layer (`weight_frac`, `bias_frac`).
fn scalar(cx: &Ctx<'_>, what: &str) -> Result<i32, LowerError> {
    let (_, w) = cx.checked(what, WDType::I32, &[1])?;
    match w.data.as_slice() {
        &[a, b, c, d] => Ok(i32::from_le_bytes([a, b, c, d])),
        _ => Err(cx.malformed(format!("`{what}` is not one i32"))),
    }
}

/// The layer's shifts (`bias_shift = in + w - b`, `out_shift = in + w - out`, each 0..=31).
fn shifts(
    cx: &Ctx<'_>,
    x: &Tensor,
    y: &Tensor,
    has_bias: bool,
    rounding: Rounding,
) -> Result<Shifts, LowerError> {
    let (in_f, out_f) = (frac(cx, x)?, frac(cx, y)?);
    let w_f = scalar(cx, "weight_frac")?;
    let range = |what: &'static str, v: i64| {
        if (0..=31).contains(&v) {
            Ok(v as u32)
        } else {
            Err(LowerError::Constant {
                node: cx.node.name.clone(),
                op: cx.op(),
                what,
                value: v,
                range: "0..=31",
            })
        }
    };
    let acc = i64::from(in_f) + i64::from(w_f);
    let out_shift = range(
        "output shift (input + weight - output fractional bits)",
        acc - i64::from(out_f),
    )?;
    let bias_shift = if has_bias {
        let b_f = scalar(cx, "bias_frac")?;
        range(
            "bias shift (input + weight - bias fractional bits)",
            acc - i64::from(b_f),
        )?
    } else {
        0
    };
    Ok(Shifts {
        bias_shift,
        out_shift,
        rounding,
    })
}

/// The layer's q7 bias (zeros without one).
fn bias_i8(cx: &Ctx<'_>, has_bias: bool, channels: usize) -> Result<Vec<i8>, LowerError> {
    if !has_bias {
        return Ok(vec![0; channels]);
    }
    let (_, b) = cx.checked("bias", WDType::I8, &[channels])?;
    Ok(b.data.iter().map(|&v| v as i8).collect())
}

/// [`bias_i8`] for the q15 layers' int16 biases.
fn bias_i16(cx: &Ctx<'_>, has_bias: bool, channels: usize) -> Result<Vec<i16>, LowerError> {
    if !has_bias {
        return Ok(vec![0; channels]);
    }
    Ok(i16s(&cx.checked("bias", WDType::I16, &[channels])?.1.data))
}
