//! Lowering of the layers of q7 networks ([`crate::ir::Numerics::Pow2`]) to the power-of-two
//! kernels of `nn_kernels::q7q15`: the shifts from the formats of input, weights, bias and
//! output. Max pooling, ReLU, reshape and flatten lower as in int8 networks (with scale `2^-f`
//! and zero point 0 on both sides their int8 kernels compute exactly the q7 results).

use crate::ir::{Op, Tensor};
use crate::weights::WDType;

use super::super::{NodeParams, Q7ConvLowered, Q7DenseLowered, Rounding, Shifts, Window};
use super::{Ctx, LowerError};

/// `Some(params)` for a layer with a q7 kernel of its own, `None` for one that lowers as in an
/// int8 network.
pub(super) fn lower(cx: &Ctx<'_>) -> Result<Option<NodeParams>, LowerError> {
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
            let (shifts, bias) = shifts(cx, x, y, c.bias, window.output_c, Rounding::Nearest)?;
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
            let (shifts, bias) = shifts(cx, x, y, c.bias, window.output_c, Rounding::Truncate)?;
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
            let (shifts, bias) = shifts(cx, x, y, d.bias, d.units, Rounding::Nearest)?;
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
        _ => return Ok(None),
    };
    Ok(Some(params))
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
            "a tensor of a q7 network needs a power-of-two scale and zero point 0 (node `{}`)",
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

/// The layer's shifts (`bias_shift = in + w - b`, `out_shift = in + w - out`, each 0..=31) and
/// its q7 bias (zeros without one).
fn shifts(
    cx: &Ctx<'_>,
    x: &Tensor,
    y: &Tensor,
    has_bias: bool,
    channels: usize,
    rounding: Rounding,
) -> Result<(Shifts, Vec<i8>), LowerError> {
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
    let (bias_shift, bias) = if has_bias {
        let b_f = scalar(cx, "bias_frac")?;
        let (_, b) = cx.checked("bias", WDType::I8, &[channels])?;
        let shift = range(
            "bias shift (input + weight - bias fractional bits)",
            acc - i64::from(b_f),
        )?;
        (shift, b.data.iter().map(|&v| v as i8).collect())
    } else {
        (0, vec![0; channels])
    };
    Ok((
        Shifts {
            bias_shift,
            out_shift,
            rounding,
        },
        bias,
    ))
}
