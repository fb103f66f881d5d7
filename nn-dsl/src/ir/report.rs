//! Per-layer cost report (`nndc info`): output shape, multiply-accumulates and parameters.
//!
//! MACs count convolutions, depthwise convolutions and dense layers only:
//! - conv2d: `OH * OW * OC * KH * KW * IC / groups`;
//! - depthwise_conv2d: `OH * OW * C * M * KH * KW`;
//! - dense: `in * units`.
//!
//! Parameters are weights plus biases (when the op has a bias). Other ops count 0 for both.
//!
//! The field names of [`Report`] and [`Layer`] are the `nndc info --json` format documented in
//! `docs/cli.md`: fields may be added, never renamed.

use serde::Serialize;

use super::{Module, Op};

/// One node of the module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Layer {
    /// Node name.
    pub name: String,
    /// Operator name as in .nnd.
    pub op: String,
    /// Output shape without the batch.
    pub output_shape: Vec<usize>,
    /// Multiply-accumulates per inference.
    pub macs: u64,
    /// Weights plus biases.
    pub params: u64,
}

/// Sums over all layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Total multiply-accumulates (saturating).
    pub macs: u64,
    /// Total parameters (saturating).
    pub params: u64,
    /// Bytes of all constants: int8 weights (1 byte each) plus int32 biases (4 bytes each).
    pub weight_bytes: u64,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Network name.
    pub network: String,
    /// One entry per node in schedule order (graph inputs are not layers).
    pub layers: Vec<Layer>,
    /// Sums.
    pub total: Totals,
}

fn prod(values: &[usize]) -> u64 {
    values
        .iter()
        .try_fold(1u64, |acc, &v| acc.checked_mul(v as u64))
        .unwrap_or(u64::MAX)
}

/// Builds the report for `module`. Numbers saturate at `u64::MAX`, which a checked module never
/// reaches (every weight tensor has at most `i32::MAX` elements).
pub fn report(module: &Module) -> Report {
    let mut layers = Vec::with_capacity(module.nodes.len());
    let mut total = Totals::default();
    for (h, node) in module.nodes.iter() {
        let out: &[usize] = module
            .tensors
            .get(node.output)
            .map(|t| t.shape.as_slice())
            .unwrap_or(&[]);
        let input = module.input_shape(h, 0).unwrap_or(&[]);
        let (macs, params) = cost(&node.op, input, out);
        total.macs = total.macs.saturating_add(macs);
        total.params = total.params.saturating_add(params);
        total.weight_bytes = total
            .weight_bytes
            .saturating_add(weight_bytes(&node.op, params, out));
        layers.push(Layer {
            name: node.name.clone(),
            op: node.op.name().to_string(),
            output_shape: out.to_vec(),
            macs,
            params,
        });
    }
    Report {
        network: module.name.clone(),
        layers,
        total,
    }
}

/// Bytes of an op's constants from its parameter count: every parameter is an int8 weight except
/// the int32 biases (one per output channel / unit), which take 4 bytes.
fn weight_bytes(op: &Op, params: u64, output: &[usize]) -> u64 {
    let biases = match op {
        Op::Conv2d(c) if c.bias => c.filters as u64,
        Op::TransposeConv2d(c) if c.bias => c.filters as u64,
        Op::DepthwiseConv2d(c) if c.bias => output.get(2).copied().unwrap_or(0) as u64,
        Op::Dense(d) if d.bias => d.units as u64,
        Op::Lstm(l) => {
            // int32 biases take three bytes more each.
            return params.saturating_add(prod(&[4, l.units]).saturating_mul(3));
        }
        Op::Svdf(v) => {
            // int16 time weights take one byte more each, int32 biases three.
            let bias = if v.bias { v.units as u64 } else { 0 };
            let time = if v.state == super::DType::I16 {
                prod(&[v.filters(), v.memory])
            } else {
                0
            };
            return params
                .saturating_add(bias.saturating_mul(3))
                .saturating_add(time);
        }
        _ => 0,
    };
    params.saturating_add(biases.saturating_mul(3))
}

/// The `(input index, filter index)` pairs of one axis of a transposed convolution whose output
/// index `i * stride - pad + k` lies in `0..output`.
fn transposed_taps(input: usize, kernel: usize, stride: usize, pad: usize, output: usize) -> u64 {
    let mut n = 0u64;
    for k in 0..kernel {
        for i in 0..input {
            let at = i.saturating_mul(stride).saturating_add(k);
            if at >= pad && at - pad < output {
                n = n.saturating_add(1);
            }
        }
    }
    n
}

/// `(macs, params)` of one op given its first input's and its output's shapes.
fn cost(op: &Op, input: &[usize], output: &[usize]) -> (u64, u64) {
    let spatial = |shape: &[usize]| prod(shape.get(..2).unwrap_or(&[]));
    match op {
        Op::Conv2d(c) => {
            let in_c = input.get(2).copied().unwrap_or(0) / c.groups.max(1);
            let weights = prod(&[c.filters, c.window.kernel[0], c.window.kernel[1], in_c]);
            let bias = if c.bias { c.filters as u64 } else { 0 };
            (
                spatial(output).saturating_mul(weights),
                weights.saturating_add(bias),
            )
        }
        Op::DepthwiseConv2d(c) => {
            let out_c = output.get(2).copied().unwrap_or(0);
            let weights = prod(&[c.window.kernel[0], c.window.kernel[1], out_c]);
            let bias = if c.bias { out_c as u64 } else { 0 };
            (
                spatial(output).saturating_mul(weights),
                weights.saturating_add(bias),
            )
        }
        Op::TransposeConv2d(c) => {
            let in_c = input.get(2).copied().unwrap_or(0);
            let [kh, kw] = c.window.kernel;
            let weights = prod(&[c.filters, kh, kw, in_c]);
            let bias = if c.bias { c.filters as u64 } else { 0 };
            // Every (input pixel, filter tap) pair that lands inside the output.
            let taps = |axis: usize| {
                transposed_taps(
                    input.get(axis).copied().unwrap_or(0),
                    c.window.kernel[axis],
                    c.window.stride[axis],
                    [c.window.padding.top, c.window.padding.left][axis],
                    c.output_size[axis],
                )
            };
            (
                taps(0)
                    .saturating_mul(taps(1))
                    .saturating_mul(prod(&[c.filters, in_c])),
                weights.saturating_add(bias),
            )
        }
        Op::Dense(d) => {
            let weights = prod(&[input.first().copied().unwrap_or(0), d.units]);
            let bias = if d.bias { d.units as u64 } else { 0 };
            (weights, weights.saturating_add(bias))
        }
        Op::Lstm(l) => {
            let (t, n) = (
                input.first().copied().unwrap_or(0),
                input.get(1).copied().unwrap_or(0),
            );
            let per_step = prod(&[4, l.units, n.saturating_add(l.units)]);
            let weights = per_step;
            (
                per_step.saturating_mul(t as u64),
                weights.saturating_add(prod(&[4, l.units])),
            )
        }
        Op::Svdf(v) => {
            let n = input.first().copied().unwrap_or(0);
            let feature = prod(&[v.filters(), n]);
            let time = prod(&[v.filters(), v.memory]);
            let bias = if v.bias { v.units as u64 } else { 0 };
            (
                feature.saturating_add(time),
                feature.saturating_add(time).saturating_add(bias),
            )
        }
        Op::Prelu { alpha_shape } => (0, prod(alpha_shape)),
        _ => (0, 0),
    }
}
