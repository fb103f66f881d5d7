//! Binding a [`Weights`] set to a module: every constant a layer needs must be there with the
//! right dtype and shape, and every int8 tensor gets its quantisation.
//!
//! Diagnostic codes (documented in `docs/weights.md`):
//! - `E0200` a layer's constant or a tensor's scale / zero point is missing from the weights file;
//! - `E0201` a constant has the wrong shape;
//! - `E0202` a constant has the wrong dtype;
//! - `E0203` a scale or zero point has an unusable value (scale not finite and positive, zero point
//!   outside the int8 range);
//! - `E0204` a layer's constants cannot be derived for the int8 kernels: a requantisation
//!   multiplier needing a shift outside -31..=31, a softmax / logistic / tanh output without
//!   TFLite's fixed quantisation, ... (every [`crate::lower::LowerError`], at the layer).

use crate::diag::Diagnostic;
use crate::ir::{shape_string, DType, Handle, Module, Node, Numerics, Op, Producer, Quant, Tensor};
use crate::span::Span;

use super::{WDType, WeightTensor, Weights};

/// What a constant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// `<layer>.weight`: int8 filter / weight matrix.
    Weight,
    /// `<layer>.bias`: int32 bias.
    Bias,
    /// `<layer>.weight_scale`: f32 scale per output channel, or one for the tensor.
    WeightScale,
    /// `<layer>.alpha`: a PRELU's int8 slopes.
    Alpha,
    /// `<layer>.alpha_scale`: their f32 scale (one for the tensor).
    AlphaScale,
    /// `<layer>.operand`: the int8 constant second operand of `add`, `mul`, `sub`.
    Operand,
    /// `<layer>.operand_scale`: its f32 scale (one for the tensor).
    OperandScale,
    /// `<layer>.weight_frac`: the fractional bits of a q7 layer's weights (i32 `[1]`).
    WeightFrac,
    /// `<layer>.bias_frac`: the fractional bits of a q7 layer's bias (i32 `[1]`).
    BiasFrac,
    /// `<layer>.time_weight`: an SVDF's time weights (i16 or i8, the state's type).
    TimeWeight,
    /// `<layer>.time_weight_scale`: their f32 scale (one for the tensor).
    TimeWeightScale,
    /// `<layer>.state_scale`: the f32 scale of an SVDF's state.
    StateScale,
    /// `<layer>.state_zero_point`: the zero point of an SVDF's state (i64 `[1]`; 0 for i16).
    StateZeroPoint,
    /// `<layer>.recurrent_weight`: an LSTM's int8 hidden-to-gate weights.
    RecurrentWeight,
    /// `<layer>.recurrent_weight_scale`: their f32 scales (one per gate).
    RecurrentWeightScale,
    /// `<layer>.cell_scale`: the f32 power-of-two scale of an LSTM's int16 cell state.
    CellScale,
}

/// One constant a layer needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Required {
    /// The layer.
    pub node: Handle<Node>,
    /// What it is for.
    pub role: Role,
    /// Its name in the weights file (`<layer>.weight`, ...).
    pub key: String,
    /// The dtype it must have.
    pub dtype: WDType,
    /// The shapes accepted (the first is the canonical one).
    pub shapes: Vec<Vec<usize>>,
}

/// The constant `<layer>.<key>` of `node`, of one dtype and one shape.
fn one(
    node: Handle<Node>,
    layer: &str,
    role: Role,
    key: &str,
    dtype: WDType,
    shape: Vec<usize>,
) -> Required {
    Required {
        node,
        role,
        key: format!("{layer}.{key}"),
        dtype,
        shapes: vec![shape],
    }
}

/// Every constant the layers of `module` need, in node order. A layer whose input shape is
/// unknown (an unchecked module) is skipped.
pub fn required(module: &Module) -> Vec<Required> {
    let mut out = Vec::new();
    for (h, node) in module.nodes.iter() {
        let Some(input) = node
            .inputs
            .first()
            .and_then(|&t| module.tensors.get(t))
            .map(|t| t.shape.as_slice())
        else {
            continue;
        };
        if let Op::Add {
            operand: Some(shape),
            ..
        }
        | Op::Mul {
            operand: Some(shape),
            ..
        }
        | Op::Sub {
            operand: Some(shape),
            ..
        } = &node.op
        {
            let name = &node.name;
            out.push(Required {
                node: h,
                role: Role::Operand,
                key: format!("{name}.operand"),
                dtype: WDType::I8,
                shapes: vec![shape.clone()],
            });
            out.push(Required {
                node: h,
                role: Role::OperandScale,
                key: format!("{name}.operand_scale"),
                dtype: WDType::F32,
                shapes: vec![vec![1]],
            });
            continue;
        }
        if let Op::Lstm(l) = &node.op {
            let name = &node.name;
            let n = input.last().copied().unwrap_or(0);
            let gates = l.units.saturating_mul(4);
            let mut need = |role, key: &str, dtype, shape: Vec<usize>| {
                out.push(one(h, name, role, key, dtype, shape));
            };
            need(Role::Weight, "weight", WDType::I8, vec![gates, n]);
            need(Role::WeightScale, "weight_scale", WDType::F32, vec![4]);
            need(
                Role::RecurrentWeight,
                "recurrent_weight",
                WDType::I8,
                vec![gates, l.units],
            );
            need(
                Role::RecurrentWeightScale,
                "recurrent_weight_scale",
                WDType::F32,
                vec![4],
            );
            need(Role::Bias, "bias", WDType::I32, vec![gates]);
            need(Role::CellScale, "cell_scale", WDType::F32, vec![1]);
            continue;
        }
        if let Op::Svdf(v) = &node.op {
            let name = &node.name;
            let n = input.iter().product::<usize>();
            let time = if v.state == DType::I8 {
                WDType::I8
            } else {
                WDType::I16
            };
            let mut need = |role, key: &str, dtype, shape: Vec<usize>| {
                out.push(one(h, name, role, key, dtype, shape));
            };
            need(Role::Weight, "weight", WDType::I8, vec![v.filters(), n]);
            need(Role::WeightScale, "weight_scale", WDType::F32, vec![1]);
            need(
                Role::TimeWeight,
                "time_weight",
                time,
                vec![v.filters(), v.memory],
            );
            need(
                Role::TimeWeightScale,
                "time_weight_scale",
                WDType::F32,
                vec![1],
            );
            if v.bias {
                need(Role::Bias, "bias", WDType::I32, vec![v.units]);
            }
            need(Role::StateScale, "state_scale", WDType::F32, vec![1]);
            need(
                Role::StateZeroPoint,
                "state_zero_point",
                WDType::I64,
                vec![1],
            );
            continue;
        }
        if let Op::Prelu { alpha_shape } = &node.op {
            let name = &node.name;
            out.push(Required {
                node: h,
                role: Role::Alpha,
                key: format!("{name}.alpha"),
                dtype: WDType::I8,
                shapes: vec![alpha_shape.clone()],
            });
            out.push(Required {
                node: h,
                role: Role::AlphaScale,
                key: format!("{name}.alpha_scale"),
                dtype: WDType::F32,
                shapes: vec![vec![1]],
            });
            continue;
        }
        let (weight, channels, bias) = match &node.op {
            Op::Conv2d(c) => {
                let Some(&ic) = input.get(2) else { continue };
                let [kh, kw] = c.window.kernel;
                (
                    vec![c.filters, kh, kw, ic / c.groups.max(1)],
                    c.filters,
                    c.bias,
                )
            }
            Op::TransposeConv2d(c) => {
                let Some(&ic) = input.get(2) else { continue };
                let [kh, kw] = c.window.kernel;
                (vec![c.filters, kh, kw, ic], c.filters, c.bias)
            }
            Op::DepthwiseConv2d(c) => {
                let Some(&ic) = input.get(2) else { continue };
                let [kh, kw] = c.window.kernel;
                let cm = ic.saturating_mul(c.depth_multiplier);
                (vec![1, kh, kw, cm], cm, c.bias)
            }
            Op::Dense(d) => {
                let n = input.iter().product::<usize>();
                (vec![d.units, n], d.units, d.bias)
            }
            _ => continue,
        };
        let name = &node.name;
        // A layer of a q15 network (int16 input) takes q15 weights and bias (a dense layer may
        // take q7 ones instead: see `q15_dense_q7`).
        let q15 = module.numerics == Numerics::Pow2
            && node
                .inputs
                .first()
                .and_then(|&t| module.tensors.get(t))
                .is_some_and(|t| t.dtype == crate::ir::DType::I16);
        let word = if q15 { WDType::I16 } else { WDType::I8 };
        out.push(Required {
            node: h,
            role: Role::Weight,
            key: format!("{name}.weight"),
            dtype: word,
            shapes: vec![weight],
        });
        if module.numerics == Numerics::Pow2 {
            // q7 / q15: a bias of the weights' word and the formats of weights and bias; no
            // scales.
            out.push(Required {
                node: h,
                role: Role::WeightFrac,
                key: format!("{name}.weight_frac"),
                dtype: WDType::I32,
                shapes: vec![vec![1]],
            });
            if bias {
                out.push(Required {
                    node: h,
                    role: Role::Bias,
                    key: format!("{name}.bias"),
                    dtype: word,
                    shapes: vec![vec![channels]],
                });
                out.push(Required {
                    node: h,
                    role: Role::BiasFrac,
                    key: format!("{name}.bias_frac"),
                    dtype: WDType::I32,
                    shapes: vec![vec![1]],
                });
            }
            continue;
        }
        if bias {
            out.push(Required {
                node: h,
                role: Role::Bias,
                key: format!("{name}.bias"),
                dtype: WDType::I32,
                shapes: vec![vec![channels]],
            });
        }
        out.push(Required {
            node: h,
            role: Role::WeightScale,
            key: format!("{name}.weight_scale"),
            dtype: WDType::F32,
            shapes: if channels == 1 {
                vec![vec![1]]
            } else {
                vec![vec![channels], vec![1]]
            },
        });
    }
    out
}

/// Checks `weights` against `module` and fills `Tensor.quant` of every int8 tensor.
///
/// `weights_span` is the `weights "..."` statement (a secondary label of every diagnostic;
/// [`Span::UNDEFINED`] when there is none). All problems are reported at once; on error the
/// module's quantisation is left as it was. When every constant is present and usable, every
/// layer is also lowered ([`crate::lower::lower_node`]): a layer whose kernel constants cannot be
/// derived is `E0204` here, so that `nndc check`, `nndc build`, `nndc run` and the macros refuse
/// it at the layer rather than generate code a kernel refuses on the device.
///
/// Quantisation of an int8 tensor `T` comes from `T.scale` and `T.zero_point`. When both are
/// absent, a tensor that already has quantisation keeps it; the output of `max_pool2d`,
/// `avg_pool2d`, `reshape`, `flatten` and `pad` takes its input's (TFLite's kernels copy it);
/// `softmax` and `logistic` outputs get scale 1/256 and zero point -128, `tanh` outputs 1/128
/// and 0. Any other int8 tensor without them is an error.
pub fn bind(
    module: &mut Module,
    weights: &Weights,
    weights_span: Span,
) -> Result<(), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    check_layers(module, weights, weights_span, &mut diags);
    let quants = activation_quants(module, weights, weights_span, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut bound = module.clone();
    for (h, q) in quants {
        if let Some(t) = bound.tensors.get_mut(h) {
            t.quant = Some(q);
        }
    }
    check_lowering(&bound, weights, weights_span, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    *module = bound;
    Ok(())
}

/// E0204 for every layer of `module` (quantisation filled) that cannot be lowered.
fn check_lowering(
    module: &Module,
    weights: &Weights,
    weights_span: Span,
    diags: &mut Vec<Diagnostic>,
) {
    use crate::lower::LowerError;
    for (_, node) in module.nodes.iter() {
        let Err(e) = crate::lower::lower_node(module, weights, node) else {
            continue;
        };
        let reason = match &e {
            LowerError::Quant { source, .. } => source.to_string(),
            LowerError::Constant {
                what, value, range, ..
            } => format!("its {what} is {value}, outside {range}, the range the int8 kernels take"),
            other => other.to_string(),
        };
        let d = Diagnostic::error(
            "E0204",
            format!(
                "layer `{}` ({}) cannot be lowered: {reason}",
                node.name,
                node.op.name()
            ),
        )
        .with_primary(node.span, "constants derived for this layer")
        .with_help(format!(
            "check the scales of `{}`, its inputs and its weights in the weights file",
            node.name
        ));
        diags.push(with_weights(d, weights_span));
    }
}

fn with_weights(d: Diagnostic, weights_span: Span) -> Diagnostic {
    if weights_span.is_undefined() {
        d
    } else {
        d.with_secondary(weights_span, "weights file named here")
    }
}

fn describe(dtype: WDType, shape: &[usize]) -> String {
    format!("{dtype} {}", shape_string(shape))
}

/// True when `node` is a dense layer of a q15 network (int16 input) and the weights file holds
/// its `weight` as i8: the layer takes q7 weights and a q7 bias
/// (`nn_kernels::q7q15::fully_connected_mat_q7_vec_q15`).
fn q15_dense_q7(module: &Module, weights: &Weights, node: Handle<Node>) -> bool {
    let Some(n) = module.nodes.get(node) else {
        return false;
    };
    module.numerics == Numerics::Pow2
        && matches!(n.op, Op::Dense(_))
        && n.inputs
            .first()
            .and_then(|&t| module.tensors.get(t))
            .is_some_and(|t| t.dtype == crate::ir::DType::I16)
        && weights
            .get(&format!("{}.weight", n.name))
            .is_some_and(|w| w.dtype == WDType::I8)
}

fn check_layers(
    module: &Module,
    weights: &Weights,
    weights_span: Span,
    diags: &mut Vec<Diagnostic>,
) {
    let mut reqs = required(module);
    // A dense layer of a q15 network whose weights file holds i8 weights is CMSIS's mixed
    // `fully_connected_mat_q7_vec_q15`: q7 weights and bias.
    for r in &mut reqs {
        if matches!(r.role, Role::Weight | Role::Bias) && q15_dense_q7(module, weights, r.node) {
            r.dtype = WDType::I8;
        }
    }
    let mut i = 0;
    while i < reqs.len() {
        let node_h = reqs[i].node;
        let group: Vec<&Required> = reqs[i..].iter().take_while(|r| r.node == node_h).collect();
        i += group.len();
        let Some(node) = module.nodes.get(node_h) else {
            continue;
        };
        let layer = format!("layer `{}` ({})", node.name, node.op.name());
        let missing: Vec<&&Required> = group
            .iter()
            .filter(|r| weights.get(&r.key).is_none())
            .collect();
        if !missing.is_empty() {
            let keys: Vec<String> = missing.iter().map(|r| format!("`{}`", r.key)).collect();
            let mut d = Diagnostic::error(
                "E0200",
                format!("{layer} has no {} in the weights file", keys.join(", ")),
            )
            .with_primary(node.span, "this layer needs them");
            for r in &missing {
                d = d.with_note(format!(
                    "expected `{}`: {}",
                    r.key,
                    describe(r.dtype, &r.shapes[0])
                ));
            }
            diags.push(with_weights(d, weights_span));
        }
        for r in group {
            let Some(t) = weights.get(&r.key) else {
                continue;
            };
            if t.dtype != r.dtype {
                let d = Diagnostic::error(
                    "E0202",
                    format!(
                        "`{}` is {} in the weights file but {layer} needs {}",
                        r.key, t.dtype, r.dtype
                    ),
                )
                .with_primary(
                    node.span,
                    format!("needs {} here", describe(r.dtype, &r.shapes[0])),
                );
                diags.push(with_weights(d, weights_span));
            } else if !r.shapes.contains(&t.shape) {
                let alternatives: Vec<String> = r.shapes.iter().map(|s| shape_string(s)).collect();
                let d = Diagnostic::error(
                    "E0201",
                    format!(
                        "`{}` has shape {} in the weights file but {layer} needs {}",
                        r.key,
                        shape_string(&t.shape),
                        alternatives.join(" or ")
                    ),
                )
                .with_primary(
                    node.span,
                    format!("needs {} here", describe(r.dtype, &r.shapes[0])),
                );
                diags.push(with_weights(d, weights_span));
            } else if matches!(
                r.role,
                Role::WeightScale
                    | Role::AlphaScale
                    | Role::OperandScale
                    | Role::TimeWeightScale
                    | Role::StateScale
                    | Role::RecurrentWeightScale
                    | Role::CellScale
            ) {
                if let Some(bad) = t
                    .to_f32()
                    .unwrap_or_default()
                    .into_iter()
                    .find(|s| !(s.is_finite() && *s > 0.0))
                {
                    let d = Diagnostic::error(
                        "E0203",
                        format!(
                            "`{}` holds the scale {bad}, which is not finite and positive",
                            r.key
                        ),
                    )
                    .with_primary(node.span, format!("{layer} uses it"));
                    diags.push(with_weights(d, weights_span));
                }
            }
        }
    }
}

/// One scalar of `T.scale` / `T.zero_point`: `Ok(None)` when absent.
fn scalar(
    weights: &Weights,
    key: &str,
    dtypes: &[WDType],
    span: Span,
    weights_span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<Option<WeightTensor>> {
    let t = weights.get(key)?;
    if !dtypes.contains(&t.dtype) {
        let names: Vec<&str> = dtypes.iter().map(|d| d.name()).collect();
        let d = Diagnostic::error(
            "E0202",
            format!(
                "`{key}` is {} in the weights file but must be {}",
                t.dtype,
                names.join(" or ")
            ),
        )
        .with_primary(span, "for this tensor");
        diags.push(with_weights(d, weights_span));
        return Some(None);
    }
    if t.elements() != 1 || t.shape.len() > 1 {
        let d = Diagnostic::error(
            "E0201",
            format!(
                "`{key}` has shape {} in the weights file but must be [1]",
                shape_string(&t.shape)
            ),
        )
        .with_primary(span, "for this tensor");
        diags.push(with_weights(d, weights_span));
        return Some(None);
    }
    Some(Some(t.clone()))
}

/// The quantisation every int8 tensor gets, in tensor order.
fn activation_quants(
    module: &Module,
    weights: &Weights,
    weights_span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Handle<Tensor>, Quant)> {
    if module.numerics == Numerics::Pow2 {
        // Every format of a q7 network comes from the source (its types and `frac`).
        return Vec::new();
    }
    let mut known: Vec<Option<Quant>> = vec![None; module.tensors.len()];
    let mut out = Vec::new();
    // Inputs first, then node outputs in schedule order (producers before consumers).
    let order: Vec<Handle<Tensor>> = module
        .inputs
        .iter()
        .copied()
        .chain(module.nodes.iter().map(|(_, n)| n.output))
        .collect();
    for h in order {
        let Some(t) = module.tensors.get(h) else {
            continue;
        };
        if t.dtype != DType::I8 {
            continue;
        }
        let node = match t.producer {
            Producer::Node(n) => module.nodes.get(n),
            Producer::Input(_) => None,
        };
        let span = node.map_or(t.span, |n| n.span);
        let scale_key = format!("{}.scale", t.name);
        let zp_key = format!("{}.zero_point", t.name);
        let scale = scalar(
            weights,
            &scale_key,
            &[WDType::F32],
            span,
            weights_span,
            diags,
        );
        let zp = scalar(
            weights,
            &zp_key,
            &[WDType::I64, WDType::I32],
            span,
            weights_span,
            diags,
        );
        let q = match (scale, zp) {
            (Some(Some(s)), Some(Some(z))) => {
                let s = s
                    .to_f32()
                    .and_then(|v| v.first().copied())
                    .unwrap_or(f32::NAN);
                let z = z
                    .to_i64()
                    .and_then(|v| v.first().copied())
                    .unwrap_or(i64::MIN);
                if !(s.is_finite() && s > 0.0) {
                    let d = Diagnostic::error(
                        "E0203",
                        format!("`{scale_key}` is {s}, which is not a finite positive scale"),
                    )
                    .with_primary(span, "for this tensor");
                    diags.push(with_weights(d, weights_span));
                    None
                } else if !(-128..=127).contains(&z) {
                    let d = Diagnostic::error(
                        "E0203",
                        format!("`{zp_key}` is {z}, outside the int8 range -128..=127"),
                    )
                    .with_primary(span, "for this tensor");
                    diags.push(with_weights(d, weights_span));
                    None
                } else {
                    Some(Quant {
                        scale: vec![s],
                        zero_point: vec![z],
                        axis: None,
                    })
                }
            }
            // A present-but-invalid entry was reported already.
            (Some(None), _) | (_, Some(None)) => None,
            (None, None) => match implied(module, t, node, &known) {
                Some(q) => Some(q),
                None => {
                    let d = Diagnostic::error(
                        "E0200",
                        format!(
                            "tensor `{}` has no quantisation: the weights file has no `{scale_key}` and `{zp_key}`",
                            t.name
                        ),
                    )
                    .with_primary(span, "this int8 tensor needs a scale and a zero point");
                    diags.push(with_weights(d, weights_span));
                    None
                }
            },
            (Some(Some(_)), None) | (None, Some(Some(_))) => {
                let missing = if weights.get(&scale_key).is_none() {
                    &scale_key
                } else {
                    &zp_key
                };
                let d = Diagnostic::error(
                    "E0200",
                    format!("tensor `{}` has no `{missing}` in the weights file", t.name),
                )
                .with_primary(span, "this int8 tensor needs a scale and a zero point");
                diags.push(with_weights(d, weights_span));
                None
            }
        };
        if let Some(q) = q {
            if let Some(slot) = known.get_mut(h.index()) {
                *slot = Some(q.clone());
            }
            out.push((h, q));
        }
    }
    out
}

/// The quantisation of a tensor the weights file does not name: kept, copied from the input, or
/// fixed by the op.
fn implied(
    module: &Module,
    t: &Tensor,
    node: Option<&Node>,
    known: &[Option<Quant>],
) -> Option<Quant> {
    if let Some(q) = &t.quant {
        return Some(q.clone());
    }
    let node = node?;
    let fixed = |scale: f32, zp: i64| Quant {
        scale: vec![scale],
        zero_point: vec![zp],
        axis: None,
    };
    match node.op {
        Op::Softmax { .. } | Op::Logistic => Some(fixed(1.0 / 256.0, -128)),
        Op::Tanh => Some(fixed(1.0 / 128.0, 0)),
        Op::MaxPool2d(_)
        | Op::AvgPool2d(_)
        | Op::Reshape { .. }
        | Op::Flatten
        | Op::Pad { .. }
        | Op::ResizeNearest { .. }
        | Op::StridedSlice { .. } => {
            let input = *node.inputs.first()?;
            known
                .get(input.index())
                .cloned()
                .flatten()
                .or_else(|| module.tensors.get(input).and_then(|i| i.quant.clone()))
        }
        _ => None,
    }
}
