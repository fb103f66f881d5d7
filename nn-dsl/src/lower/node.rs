//! Per-op builders (plain numbers in, kernel constants out) and the lowering of one IR node.

use crate::ir::{self, Activation, DType, Module, Node, Op, Tensor};
use crate::quant::{self, QuantError};
use crate::weights::{WDType, WeightTensor, Weights};

use super::{
    BinaryLowered, ConcatLowered, Conv2dLowered, ConvGeometry, DenseLowered, DepthwiseLowered,
    DequantizeParams, LogisticParams, LowerError, LstmLowered, MeanLowered, MeanRequant,
    MinMaxLowered, NodeParams, PadLowered, Pool2dParams, PreluLowered, QuantizeParams, Relu6Params,
    ReluParams, Requant, RequantizeParams, ResizeNearestLowered, SoftmaxParams,
    StridedSliceLowered, SvdfLowered, TimeWeights, TransposeConv2dLowered,
};

/// Per-tensor quantisation of an activation: `real = scale * (q - zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActQuant {
    /// Scale (finite, > 0).
    pub scale: f32,
    /// Zero point (int8 range; 0 for int16).
    pub zero_point: i32,
    /// int8, or int16 of TFLite's 16x8 scheme (the range of the clamps).
    pub storage: quant::Storage,
}

impl ActQuant {
    /// An int8 activation's quantisation.
    pub fn int8(scale: f32, zero_point: i32) -> ActQuant {
        ActQuant {
            scale,
            zero_point,
            storage: quant::Storage::Int8,
        }
    }

    /// An int16 activation's quantisation (16x8 scheme; the zero point is checked to be 0 by
    /// the builders).
    pub fn int16(scale: f32, zero_point: i32) -> ActQuant {
        ActQuant {
            scale,
            zero_point,
            storage: quant::Storage::Int16,
        }
    }
}

/// Copying ops (resize, strided slice) move int8 values unchanged, as TFLM does: the output must
/// be quantised as the input.
fn same_quant(op: &str, x: &Tensor, xq: ActQuant, yq: ActQuant) -> Result<(), LowerError> {
    if xq == yq {
        return Ok(());
    }
    Err(LowerError::BadQuant {
        tensor: x.name.clone(),
        reason: format!(
            "{op} copies int8 values (as TFLite does), so its input needs the output's \
             quantisation (scale {}, zero point {}), found scale {} and zero point {}",
            yq.scale, yq.zero_point, xq.scale, xq.zero_point
        ),
    })
}

fn activation(a: Activation) -> quant::Activation {
    match a {
        Activation::None => quant::Activation::None,
        Activation::Relu => quant::Activation::Relu,
        Activation::Relu6 => quant::Activation::Relu6,
    }
}

fn requant(
    input: ActQuant,
    output: ActQuant,
    m: quant::ChannelMultipliers,
    act: quant::Activation,
) -> Result<Requant, QuantError> {
    let (act_min, act_max) =
        quant::activation_range_of(output.storage, act, output.scale, output.zero_point)?;
    Ok(Requant {
        input_offset: -input.zero_point,
        output_offset: output.zero_point,
        multiplier: m.raw_multipliers(),
        shift: m.shifts(),
        act_min,
        act_max,
    })
}

/// CONV_2D constants: per-channel multipliers from `input.scale * filter_scales[c] /
/// output.scale`, offsets and the fused-activation clamp.
///
/// # Errors
/// [`QuantError`] on a bad scale, zero point or filter-scale count.
pub fn conv2d(
    geometry: ConvGeometry,
    input: ActQuant,
    filter_scales: &[f32],
    output: ActQuant,
    act: quant::Activation,
    weights: Vec<i8>,
    bias: Option<Vec<i32>>,
) -> Result<Conv2dLowered, QuantError> {
    let m = quant::conv_multipliers(input.scale, filter_scales, output.scale, geometry.output_c)?;
    Ok(Conv2dLowered {
        geometry,
        requant: requant(input, output, m, act)?,
        weights,
        bias,
        groups: 1,
    })
}

/// TRANSPOSE_CONV constants: as [`conv2d`]'s (TFLM's `PopulateConvolutionQuantizationParams`
/// with the layer's fused activation). `geometry` holds the output size and TFLite's padding for
/// it ([`crate::shape::transpose_window`]).
///
/// # Errors
/// [`QuantError`] on a bad scale, zero point or filter-scale count.
pub fn transpose_conv2d(
    geometry: ConvGeometry,
    input: ActQuant,
    filter_scales: &[f32],
    output: ActQuant,
    act: quant::Activation,
    weights: Vec<i8>,
    bias: Option<Vec<i32>>,
) -> Result<TransposeConv2dLowered, QuantError> {
    let m = quant::conv_multipliers(input.scale, filter_scales, output.scale, geometry.output_c)?;
    Ok(TransposeConv2dLowered {
        geometry,
        requant: requant(input, output, m, act)?,
        weights,
        bias,
    })
}

/// DEPTHWISE_CONV_2D constants (as [`conv2d`], one multiplier per output channel).
///
/// # Errors
/// [`QuantError`] on a bad scale, zero point or filter-scale count.
#[allow(clippy::too_many_arguments)]
pub fn depthwise_conv2d(
    geometry: ConvGeometry,
    depth_multiplier: usize,
    input: ActQuant,
    filter_scales: &[f32],
    output: ActQuant,
    act: quant::Activation,
    weights: Vec<i8>,
    bias: Option<Vec<i32>>,
) -> Result<DepthwiseLowered, QuantError> {
    let m = quant::conv_multipliers(input.scale, filter_scales, output.scale, geometry.output_c)?;
    Ok(DepthwiseLowered {
        geometry,
        depth_multiplier,
        requant: requant(input, output, m, act)?,
        weights,
        bias,
    })
}

/// FULLY_CONNECTED constants for `batches` rows of `depth` features: one multiplier (per-tensor
/// weights, TFLite's `f32` product) or one per unit (per-channel weights).
///
/// # Errors
/// [`QuantError`] on a bad scale, zero point or filter-scale count.
#[allow(clippy::too_many_arguments)]
pub fn dense(
    batches: usize,
    depth: usize,
    units: usize,
    input: ActQuant,
    filter_scales: &[f32],
    filter_zero_point: i32,
    output: ActQuant,
    act: quant::Activation,
    weights: Vec<i8>,
    bias: Option<Vec<i32>>,
) -> Result<DenseLowered, QuantError> {
    let m = quant::fully_connected_multipliers(input.scale, filter_scales, output.scale, units)?;
    Ok(DenseLowered {
        batches,
        depth,
        units,
        filter_offset: -filter_zero_point,
        requant: requant(input, output, m, act)?,
        weights,
        bias,
    })
}

/// MAX_POOL_2D / AVERAGE_POOL_2D constants: the window and the fused-activation clamp of the
/// output (pooling keeps the input's scale; TFLM does not requantise).
///
/// # Errors
/// [`QuantError`] on a bad output scale or zero point.
pub fn pool2d(
    geometry: ConvGeometry,
    output: ActQuant,
    act: quant::Activation,
) -> Result<Pool2dParams, QuantError> {
    let (act_min, act_max) =
        quant::activation_range_of(output.storage, act, output.scale, output.zero_point)?;
    Ok(Pool2dParams {
        batches: 1,
        input_h: geometry.input_h,
        input_w: geometry.input_w,
        channels: geometry.input_c,
        output_h: geometry.output_h,
        output_w: geometry.output_w,
        filter_h: geometry.kernel_h,
        filter_w: geometry.kernel_w,
        stride_h: geometry.stride_h,
        stride_w: geometry.stride_w,
        pad_top: geometry.pad_top,
        pad_left: geometry.pad_left,
        act_min,
        act_max,
    })
}

/// ADD constants (TFLM `CalculateOpDataAdd`).
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn add(
    shapes: [Vec<usize>; 3],
    a: ActQuant,
    b: ActQuant,
    output: ActQuant,
    act: quant::Activation,
) -> Result<BinaryLowered, QuantError> {
    let q = quant::add_of(
        output.storage,
        [a.scale, b.scale],
        [a.zero_point, b.zero_point],
        output.scale,
        output.zero_point,
        act,
    )?;
    let [a_shape, b_shape, output_shape] = shapes;
    Ok(BinaryLowered {
        a_shape,
        b_shape,
        output_shape,
        a_offset: q.input_offset[0],
        b_offset: q.input_offset[1],
        output_offset: q.output_offset,
        left_shift: q.left_shift,
        a_multiplier: q.input[0].multiplier.to_bits(),
        a_shift: q.input[0].shift,
        b_multiplier: q.input[1].multiplier.to_bits(),
        b_shift: q.input[1].shift,
        output_multiplier: q.output.multiplier.to_bits(),
        output_shift: q.output.shift,
        act_min: q.act.0,
        act_max: q.act.1,
        b_constant: None,
    })
}

/// MUL constants: one multiplier of `a.scale * b.scale / output.scale`.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn mul(
    shapes: [Vec<usize>; 3],
    a: ActQuant,
    b: ActQuant,
    output: ActQuant,
    act: quant::Activation,
) -> Result<BinaryLowered, QuantError> {
    let (m, s) = quant::mul([a.scale, b.scale], output.scale)?.to_raw();
    let (act_min, act_max) =
        quant::activation_range_of(output.storage, act, output.scale, output.zero_point)?;
    let [a_shape, b_shape, output_shape] = shapes;
    Ok(BinaryLowered {
        a_shape,
        b_shape,
        output_shape,
        a_offset: -a.zero_point,
        b_offset: -b.zero_point,
        output_offset: output.zero_point,
        left_shift: 0,
        a_multiplier: 0,
        a_shift: 0,
        b_multiplier: 0,
        b_shift: 0,
        output_multiplier: m,
        output_shift: s,
        act_min,
        act_max,
        b_constant: None,
    })
}

/// SOFTMAX constants over `outer` rows of `depth` values.
///
/// # Errors
/// [`QuantError`] on a bad scale or beta.
pub fn softmax(
    beta: f32,
    input_scale: f32,
    outer: usize,
    depth: usize,
) -> Result<SoftmaxParams, QuantError> {
    let q = quant::softmax(beta, input_scale)?;
    Ok(SoftmaxParams {
        outer,
        depth,
        input_multiplier: q.input_multiplier.multiplier.to_bits(),
        input_left_shift: q.input_multiplier.shift,
        diff_min: q.diff_min,
    })
}

/// LOGISTIC / TANH constants for `len` elements.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn logistic_or_tanh(len: usize, input: ActQuant) -> Result<LogisticParams, QuantError> {
    let q = quant::sigmoid(input.scale, input.zero_point)?;
    Ok(LogisticParams {
        len,
        input_zero_point: q.input_zero_point,
        input_range_radius: q.input_range_radius,
        input_multiplier: q.input_multiplier.multiplier.to_bits(),
        input_left_shift: q.input_multiplier.shift,
    })
}

/// MEAN constants: the integer path when the quantisation is unchanged, otherwise the folded
/// requantisation of TFLM's `QuantizedMeanOrSum`.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, or an empty reduction.
pub fn mean(
    input_shape: Vec<usize>,
    axes: Vec<usize>,
    input: ActQuant,
    output: ActQuant,
) -> Result<MeanLowered, QuantError> {
    let mut unique = axes.clone();
    unique.sort_unstable();
    unique.dedup();
    let count: usize = unique.iter().filter_map(|&a| input_shape.get(a)).product();
    let requant = match quant::mean(
        input.scale,
        input.zero_point,
        output.scale,
        output.zero_point,
        count,
    )? {
        quant::MeanQuant::Same => MeanRequant::Same,
        quant::MeanQuant::Requant {
            multiplier,
            input_zero_point,
            output_zero_point,
        } => MeanRequant::Requant {
            multiplier: multiplier.multiplier.to_bits(),
            shift: multiplier.shift,
            input_zero_point,
            output_zero_point,
        },
    };
    Ok(MeanLowered {
        input_shape,
        axes,
        requant,
    })
}

/// RELU constants (TFLM requantises `input -> output` and clamps at the output zero point).
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn relu(len: usize, input: ActQuant, output: ActQuant) -> Result<ReluParams, QuantError> {
    let q = quant::relu(input.scale, output.scale, output.zero_point)?;
    Ok(ReluParams {
        len,
        input_zero_point: input.zero_point,
        output_zero_point: output.zero_point,
        multiplier: q.multiplier.multiplier.to_bits(),
        shift: q.multiplier.shift,
        act_min: q.act.0,
        act_max: q.act.1,
    })
}

/// RELU6 bounds (TFLM clamps the raw input to `[zp, zp + round(6 / scale)]`).
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn relu6(len: usize, input: ActQuant) -> Result<Relu6Params, QuantError> {
    let (lower, upper) = quant::relu6(input.scale, input.zero_point)?;
    Ok(Relu6Params { len, lower, upper })
}

/// Int8 -> int8 QUANTIZE constants.
///
/// # Errors
/// [`QuantError`] on a bad scale.
pub fn requantize(
    len: usize,
    input: ActQuant,
    output: ActQuant,
) -> Result<RequantizeParams, QuantError> {
    let (multiplier, shift) = quant::requantize(input.scale, output.scale)?.to_raw();
    Ok(RequantizeParams {
        len,
        input_zero_point: input.zero_point,
        output_zero_point: output.zero_point,
        multiplier,
        shift,
    })
}

/// NumPy broadcasting of two shapes (aligned from the right), `None` when they do not broadcast.
fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![1; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let pick = |s: &[usize]| (i + s.len()).checked_sub(rank).map_or(1, |k| s[k]);
        let (p, q) = (pick(a), pick(b));
        *o = match (p, q) {
            _ if p == q || q == 1 => p,
            (1, _) => q,
            _ => return None,
        };
    }
    Some(out)
}

/// The weight-file names a node's constants live under (see `docs/weights.md`).
fn weight_name(node: &str, what: &str) -> String {
    format!("{node}.{what}")
}

#[path = "q7.rs"]
mod q7;
#[path = "s16.rs"]
mod s16;

/// Lowering context of one node.
struct Ctx<'a> {
    module: &'a Module,
    weights: &'a Weights,
    node: &'a Node,
}

impl<'a> Ctx<'a> {
    fn op(&self) -> &'static str {
        self.node.op.name()
    }

    fn malformed(&self, reason: impl Into<String>) -> LowerError {
        LowerError::Malformed {
            node: self.node.name.clone(),
            reason: reason.into(),
        }
    }

    fn unsupported(&self, reason: impl Into<String>) -> LowerError {
        LowerError::Unsupported {
            node: self.node.name.clone(),
            op: self.op(),
            reason: reason.into(),
        }
    }

    fn quant_err(&self) -> impl Fn(QuantError) -> LowerError + '_ {
        move |source| LowerError::Quant {
            node: self.node.name.clone(),
            op: self.op(),
            source,
        }
    }

    fn input(&self, i: usize) -> Result<&'a Tensor, LowerError> {
        let h = self
            .node
            .inputs
            .get(i)
            .ok_or_else(|| self.malformed(format!("input {i} is missing")))?;
        self.module
            .tensors
            .get(*h)
            .ok_or_else(|| self.malformed(format!("input {i} is a dangling handle")))
    }

    fn output(&self) -> Result<&'a Tensor, LowerError> {
        self.module
            .tensors
            .get(self.node.output)
            .ok_or_else(|| self.malformed("the output is a dangling handle"))
    }

    fn arity(&self, n: usize) -> Result<(), LowerError> {
        if self.node.inputs.len() == n {
            Ok(())
        } else {
            Err(self.malformed(format!(
                "expected {n} input(s), found {}",
                self.node.inputs.len()
            )))
        }
    }

    fn dtype(&self, t: &Tensor, want: DType) -> Result<(), LowerError> {
        if t.dtype == want {
            Ok(())
        } else {
            Err(self.unsupported(format!(
                "tensor `{}` is {}, the int8 kernel needs {want}",
                t.name, t.dtype
            )))
        }
    }

    /// An int8 tensor's per-tensor quantisation.
    fn q8(&self, t: &Tensor) -> Result<ActQuant, LowerError> {
        self.dtype(t, DType::I8)?;
        act_quant(t)
    }

    fn weight(&self, what: &str) -> Result<(String, &'a WeightTensor), LowerError> {
        let name = weight_name(&self.node.name, what);
        match self.weights.tensors.get(&name) {
            Some(w) => Ok((name, w)),
            None => Err(LowerError::MissingWeight {
                node: self.node.name.clone(),
                op: self.op(),
                name,
            }),
        }
    }

    fn bad_weight(&self, name: &str, expected: String, w: &WeightTensor) -> LowerError {
        LowerError::BadWeight {
            node: self.node.name.clone(),
            name: name.to_string(),
            expected,
            found: format!("{}{}", w.dtype.name(), ir::shape_string(&w.shape)),
        }
    }

    /// Checks a weight's dtype and element count against `shape` (leading 1s may differ) and its
    /// byte length against the element count.
    fn checked(
        &self,
        what: &str,
        dtype: WDType,
        shape: &[usize],
    ) -> Result<(String, &'a WeightTensor), LowerError> {
        let (name, w) = self.weight(what)?;
        let want: usize = shape.iter().product();
        let have: usize = w.shape.iter().product();
        if w.dtype != dtype
            || have != want
            || w.data.len() != want.saturating_mul(dtype.size_bytes())
        {
            return Err(self.bad_weight(
                &name,
                format!("{}{}", dtype.name(), ir::shape_string(shape)),
                w,
            ));
        }
        Ok((name, w))
    }

    fn weights_i8(&self, shape: &[usize]) -> Result<Vec<i8>, LowerError> {
        let (_, w) = self.checked("weight", WDType::I8, shape)?;
        Ok(w.data.iter().map(|&b| b as i8).collect())
    }

    fn bias(&self, has_bias: bool, len: usize) -> Result<Option<Vec<i32>>, LowerError> {
        if !has_bias {
            return Ok(None);
        }
        let (_, w) = self.checked("bias", WDType::I32, &[len])?;
        Ok(Some(
            w.data
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ))
    }

    /// Filter scales: `[1]` (per tensor) or `[channels]`.
    fn filter_scales(&self, channels: usize) -> Result<Vec<f32>, LowerError> {
        let (name, w) = self.weight("weight_scale")?;
        let n: usize = w.shape.iter().product();
        if w.dtype != WDType::F32 || (n != 1 && n != channels) || w.data.len() != 4 * n {
            return Err(self.bad_weight(&name, format!("f32[1] or f32[{channels}]"), w));
        }
        Ok(w.data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The filter zero point, when the weights store one (0 otherwise); int8 filters of
    /// convolutions must be symmetric.
    fn filter_zero_point(&self) -> Result<i32, LowerError> {
        self.zero_point_of("weight_zero_point")
    }

    /// The zero point stored as `<node>.<what>` (0 when absent), one value or equal values.
    fn zero_point_of(&self, what: &str) -> Result<i32, LowerError> {
        let name = weight_name(&self.node.name, what);
        let Some(w) = self.weights.tensors.get(&name) else {
            return Ok(0);
        };
        let Some(values) = w.to_i64() else {
            return Err(self.bad_weight(&name, "i64[1] or i32[1]".into(), w));
        };
        let first = values.first().copied().unwrap_or(0);
        if values.iter().any(|&z| z != first) {
            return Err(self.unsupported(format!("the zero points in `{name}` differ")));
        }
        i32::try_from(first)
            .ok()
            .filter(|z| (-128..=127).contains(z))
            .ok_or_else(|| {
                self.unsupported(format!("zero point {first} in `{name}` is outside int8"))
            })
    }

    /// The one f32 stored as `<node>.<what>`.
    fn scalar_f32(&self, what: &str) -> Result<f32, LowerError> {
        let (_, w) = self.checked(what, WDType::F32, &[1])?;
        Ok(f32::from_le_bytes([
            w.data[0], w.data[1], w.data[2], w.data[3],
        ]))
    }

    /// The zero point stored as `<node>.<what>` (one i64 or i32; 0 when absent), inside `range`.
    fn wide_zero_point(
        &self,
        what: &str,
        range: std::ops::RangeInclusive<i32>,
    ) -> Result<i32, LowerError> {
        let name = weight_name(&self.node.name, what);
        let Some(w) = self.weights.tensors.get(&name) else {
            return Ok(0);
        };
        let value = w
            .to_i64()
            .filter(|v| v.len() == 1)
            .and_then(|v| v.first().copied())
            .ok_or_else(|| self.bad_weight(&name, "i64[1] or i32[1]".into(), w))?;
        i32::try_from(value)
            .ok()
            .filter(|z| range.contains(z))
            .ok_or_else(|| {
                self.unsupported(format!(
                    "zero point {value} in `{name}` is outside {}..={}",
                    range.start(),
                    range.end()
                ))
            })
    }

    /// The two dimensions of a rank-2 tensor.
    fn pair(&self, t: &Tensor) -> Result<[usize; 2], LowerError> {
        <[usize; 2]>::try_from(t.shape.as_slice()).map_err(|_| {
            self.malformed(format!(
                "`{}` has shape {}, not [T, N]",
                t.name,
                crate::ir::shape_string(&t.shape)
            ))
        })
    }

    fn hwc(&self, t: &Tensor) -> Result<[usize; 3], LowerError> {
        <[usize; 3]>::try_from(t.shape.as_slice()).map_err(|_| {
            self.malformed(format!(
                "tensor `{}` has shape {}, expected [H, W, C]",
                t.name,
                ir::shape_string(&t.shape)
            ))
        })
    }

    fn geometry(
        &self,
        window: &ir::Window2d,
        input: &Tensor,
        output: &Tensor,
    ) -> Result<ConvGeometry, LowerError> {
        let [ih, iw, ic] = self.hwc(input)?;
        let [oh, ow, oc] = self.hwc(output)?;
        Ok(ConvGeometry {
            input_h: ih,
            input_w: iw,
            input_c: ic,
            output_h: oh,
            output_w: ow,
            output_c: oc,
            kernel_h: window.kernel[0],
            kernel_w: window.kernel[1],
            stride_h: window.stride[0],
            stride_w: window.stride[1],
            dilation_h: window.dilation[0],
            dilation_w: window.dilation[1],
            pad_top: window.padding.top,
            pad_left: window.padding.left,
        })
    }

    /// Input 0 and the output, both int8, with their quantisation.
    fn unary_q8(&self) -> Result<(&'a Tensor, ActQuant, &'a Tensor, ActQuant), LowerError> {
        self.arity(1)?;
        let (x, y) = (self.input(0)?, self.output()?);
        Ok((x, self.q8(x)?, y, self.q8(y)?))
    }

    /// Input 0 and the output of a data-movement layer (pad, strided slice, resize), both int8
    /// or both int16 (16x8 scheme), with their quantisation.
    fn unary_data(&self) -> Result<(&'a Tensor, ActQuant, &'a Tensor, ActQuant), LowerError> {
        self.arity(1)?;
        let (x, y) = (self.input(0)?, self.output()?);
        if x.dtype == DType::I16 && y.dtype == DType::I16 {
            return Ok((x, act_quant(x)?, y, act_quant(y)?));
        }
        self.unary_q8()
    }

    /// TFLM fixes the output quantisation of softmax, logistic and tanh.
    fn fixed_output(&self, y: &Tensor, scale: f32, zero_point: i32) -> Result<(), LowerError> {
        let q = self.q8(y)?;
        if q.scale == scale && q.zero_point == zero_point {
            Ok(())
        } else {
            Err(LowerError::BadQuant {
                tensor: y.name.clone(),
                reason: format!(
                    "{} output must have scale {scale} and zero point {zero_point} (TFLite int8), found scale {} and zero point {}",
                    self.op(),
                    q.scale,
                    q.zero_point
                ),
            })
        }
    }
}

/// The per-tensor quantisation of `t`.
fn act_quant(t: &Tensor) -> Result<ActQuant, LowerError> {
    let bad = |reason: String| LowerError::BadQuant {
        tensor: t.name.clone(),
        reason,
    };
    let q = t.quant.as_ref().ok_or_else(|| LowerError::MissingQuant {
        tensor: t.name.clone(),
    })?;
    let (&[scale], &[zp]) = (q.scale.as_slice(), q.zero_point.as_slice()) else {
        return Err(bad(format!(
            "an activation needs one scale and one zero point, found {} and {}",
            q.scale.len(),
            q.zero_point.len()
        )));
    };
    if !(scale.is_finite() && scale > 0.0) {
        return Err(bad(format!("scale {scale} is not finite and positive")));
    }
    if t.dtype == DType::I16 {
        if zp != 0 {
            return Err(bad(format!(
                "zero point {zp} on an int16 tensor (TFLite's 16x8 scheme needs 0)"
            )));
        }
        return Ok(ActQuant::int16(scale, 0));
    }
    let zero_point = i32::try_from(zp)
        .ok()
        .filter(|z| (-128..=127).contains(z))
        .ok_or_else(|| bad(format!("zero point {zp} is outside int8")))?;
    Ok(ActQuant::int8(scale, zero_point))
}

/// Lowers one node.
pub(super) fn lower_node(
    module: &Module,
    weights: &Weights,
    node: &Node,
) -> Result<NodeParams, LowerError> {
    let cx = Ctx {
        module,
        weights,
        node,
    };
    if module.numerics == ir::Numerics::Pow2 {
        if let Some(params) = q7::lower(&cx)? {
            return Ok(params);
        }
    }
    if let Some(params) = s16::lower(&cx)? {
        return Ok(params);
    }
    let qe = cx.quant_err();
    match &node.op {
        Op::Conv2d(c) => {
            let (x, xq, y, yq) = cx.unary_q8()?;
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
            if cx.filter_zero_point()? != 0 {
                return Err(cx.unsupported("int8 convolution filters must have zero point 0"));
            }
            let bias = cx.bias(c.bias, g.output_c)?;
            let mut lowered =
                conv2d(g, xq, &scales, yq, activation(c.activation), w, bias).map_err(qe)?;
            lowered.groups = groups;
            Ok(NodeParams::Conv2d(lowered))
        }
        Op::TransposeConv2d(c) => {
            let (x, xq, y, yq) = cx.unary_q8()?;
            let g = cx.geometry(&c.window, x, y)?;
            let consistent = c.window.dilation == [1, 1]
                && [g.output_h, g.output_w] == c.output_size
                && g.output_c == c.filters
                && g.pad_top < g.kernel_h
                && g.pad_left < g.kernel_w;
            if !consistent {
                return Err(cx.malformed(
                    "transposed convolution geometry differs from its output (size, filters, \
                     padding below the kernel, no dilation)",
                ));
            }
            let w = cx.weights_i8(&[g.output_c, g.kernel_h, g.kernel_w, g.input_c])?;
            let scales = cx.filter_scales(g.output_c)?;
            if cx.filter_zero_point()? != 0 {
                return Err(
                    cx.unsupported("int8 transposed convolution filters must have zero point 0")
                );
            }
            let bias = cx.bias(c.bias, g.output_c)?;
            transpose_conv2d(g, xq, &scales, yq, activation(c.activation), w, bias)
                .map(NodeParams::TransposeConv2d)
                .map_err(qe)
        }
        Op::DepthwiseConv2d(c) => {
            let (x, xq, y, yq) = cx.unary_q8()?;
            let g = cx.geometry(&c.window, x, y)?;
            if g.output_c != g.input_c.saturating_mul(c.depth_multiplier) {
                return Err(cx.malformed("output channels are not input channels * multiplier"));
            }
            let w = cx.weights_i8(&[1, g.kernel_h, g.kernel_w, g.output_c])?;
            let scales = cx.filter_scales(g.output_c)?;
            if cx.filter_zero_point()? != 0 {
                return Err(cx.unsupported("int8 depthwise filters must have zero point 0"));
            }
            let bias = cx.bias(c.bias, g.output_c)?;
            depthwise_conv2d(
                g,
                c.depth_multiplier,
                xq,
                &scales,
                yq,
                activation(c.activation),
                w,
                bias,
            )
            .map(NodeParams::DepthwiseConv2d)
            .map_err(qe)
        }
        Op::Dense(d) => {
            let (x, xq, y, yq) = cx.unary_q8()?;
            // TFLite applies the layer to the last dimension; the IR's dense takes rank 1.
            let depth = x.shape.last().copied().unwrap_or(1).max(1);
            let batches = x.elements() / depth;
            if y.elements() != batches.saturating_mul(d.units) {
                return Err(cx.malformed("output size differs from rows * units"));
            }
            let w = cx.weights_i8(&[d.units, depth])?;
            let scales = cx.filter_scales(d.units)?;
            let fz = cx.filter_zero_point()?;
            let bias = cx.bias(d.bias, d.units)?;
            dense(
                batches,
                depth,
                d.units,
                xq,
                &scales,
                fz,
                yq,
                activation(d.activation),
                w,
                bias,
            )
            .map(NodeParams::Dense)
            .map_err(qe)
        }
        Op::Lstm(l) => {
            let (x, xq, y, yq) = cx.unary_q8()?;
            let (u, [t, n]) = (l.units, cx.pair(x)?);
            if y.shape != [t, u] {
                return Err(cx.malformed("lstm takes [T, N] to [T, units]"));
            }
            let input_weights = cx.weights_i8(&[4 * u, n])?;
            let (_, r) = cx.checked("recurrent_weight", WDType::I8, &[4 * u, u])?;
            let recurrent_weights = r.data.iter().map(|&b| b as i8).collect();
            let four = |what: &str| -> Result<[f32; 4], LowerError> {
                let (name, w) = cx.checked(what, WDType::F32, &[4])?;
                w.to_f32()
                    .and_then(|v| <[f32; 4]>::try_from(v).ok())
                    .ok_or_else(|| cx.bad_weight(&name, "f32[4]".into(), w))
            };
            let (ws, rs) = (four("weight_scale")?, four("recurrent_weight_scale")?);
            let cell_scale = cx.scalar_f32("cell_scale")?;
            let bias = cx.bias(true, 4 * u)?.unwrap_or_default();
            let q = quant::lstm(xq.scale, ws, yq.scale, rs, cell_scale, l.cell_clip).map_err(qe)?;
            let gate = |g: usize| {
                let (input_multiplier, input_shift) = q.input[g].to_raw();
                let (recurrent_multiplier, recurrent_shift) = q.recurrent[g].to_raw();
                nn_kernels::lstm::GateParams {
                    input_multiplier,
                    input_shift,
                    recurrent_multiplier,
                    recurrent_shift,
                }
            };
            let (forget_multiplier, forget_shift) = q.forget.to_raw();
            let (input_multiplier, input_shift) = q.input_cell.to_raw();
            let (output_multiplier, output_shift) = q.output.to_raw();
            let (cell_tanh_multiplier, cell_tanh_shift) =
                nn_kernels::lstm::LstmParams::cell_tanh(q.cell_scale_power);
            Ok(NodeParams::Lstm(LstmLowered {
                params: nn_kernels::lstm::LstmParams {
                    time_steps: t,
                    input_size: n,
                    units: u,
                    input_offset: -xq.zero_point,
                    hidden_zero_point: yq.zero_point,
                    gates: [gate(0), gate(1), gate(2), gate(3)],
                    forget_multiplier,
                    forget_shift,
                    input_multiplier,
                    input_shift,
                    output_multiplier,
                    output_shift,
                    clip_cell: l.cell_clip > 0.0,
                    cell_clip: q.cell_clip,
                    cell_tanh_multiplier,
                    cell_tanh_shift,
                },
                input_weights,
                recurrent_weights,
                bias,
            }))
        }
        Op::Svdf(v) => {
            let (x, xq, y, yq) = cx.unary_q8()?;
            let n = x.elements();
            if x.shape.len() != 1 || y.shape != [v.units] {
                return Err(cx.malformed("svdf takes [N] to [units]"));
            }
            let filters = v.filters();
            let weights = cx.weights_i8(&[filters, n])?;
            let feature_scale = cx.scalar_f32("weight_scale")?;
            let time_scale = cx.scalar_f32("time_weight_scale")?;
            let state_scale = cx.scalar_f32("state_scale")?;
            let (time, range) = if v.state == DType::I8 {
                let (_, w) = cx.checked("time_weight", WDType::I8, &[filters, v.memory])?;
                let t = w.data.iter().map(|&b| b as i8).collect();
                (TimeWeights::I8(t), -128..=127)
            } else {
                let (_, w) = cx.checked("time_weight", WDType::I16, &[filters, v.memory])?;
                (
                    TimeWeights::I16(w.to_i16().unwrap_or_default()),
                    -32768..=32767,
                )
            };
            let state_zero_point = cx.wide_zero_point("state_zero_point", range)?;
            let bias = cx.bias(v.bias, v.units)?;
            let q = quant::svdf(xq.scale, feature_scale, state_scale, time_scale, yq.scale)
                .map_err(qe)?;
            let (feature_multiplier, feature_shift) = q.feature.to_raw();
            let (output_multiplier, output_shift) = q.output.to_raw();
            Ok(NodeParams::Svdf(SvdfLowered {
                params: nn_kernels::svdf::SvdfParams {
                    input_size: n,
                    units: v.units,
                    rank: v.rank,
                    memory: v.memory,
                    input_offset: -xq.zero_point,
                    feature_multiplier,
                    feature_shift,
                    state_zero_point,
                    output_multiplier,
                    output_shift,
                    output_zero_point: yq.zero_point,
                },
                weights,
                time,
                bias,
            }))
        }
        Op::MaxPool2d(p) | Op::AvgPool2d(p) => {
            let (x, _, y, yq) = cx.unary_q8()?;
            let g = cx.geometry(&p.window, x, y)?;
            let params = pool2d(g, yq, activation(p.activation)).map_err(qe)?;
            Ok(if matches!(node.op, Op::MaxPool2d(_)) {
                NodeParams::MaxPool2d(params)
            } else {
                NodeParams::AvgPool2d(params)
            })
        }
        Op::GlobalAvgPool { .. } => {
            let (x, xq, _, yq) = cx.unary_q8()?;
            cx.hwc(x)?;
            mean(x.shape.clone(), vec![0, 1], xq, yq)
                .map(NodeParams::Mean)
                .map_err(qe)
        }
        Op::Mean { axes, .. } => {
            let (x, xq, _, yq) = cx.unary_q8()?;
            if axes.iter().any(|&a| a >= x.shape.len()) {
                return Err(cx.malformed("mean axis out of range"));
            }
            mean(x.shape.clone(), axes.clone(), xq, yq)
                .map(NodeParams::Mean)
                .map_err(qe)
        }
        Op::Add {
            activation: act,
            operand,
        }
        | Op::Mul {
            activation: act,
            operand,
        }
        | Op::Sub {
            activation: act,
            operand,
        } => {
            let (a, y) = (cx.input(0)?, cx.output()?);
            let (aq, yq) = (cx.q8(a)?, cx.q8(y)?);
            let (b_shape, bq, constant) = match operand {
                None => {
                    cx.arity(2)?;
                    let b = cx.input(1)?;
                    (b.shape.clone(), cx.q8(b)?, None)
                }
                Some(shape) => {
                    cx.arity(1)?;
                    if broadcast_shape(&a.shape, shape).as_ref() != Some(&y.shape) {
                        return Err(cx.malformed(format!(
                            "the constant operand {} and the input {} do not broadcast to the \
                             output {}",
                            ir::shape_string(shape),
                            ir::shape_string(&a.shape),
                            ir::shape_string(&y.shape)
                        )));
                    }
                    let (_, w) = cx.checked("operand", WDType::I8, shape)?;
                    let data: Vec<i8> = w.data.iter().map(|&b| b as i8).collect();
                    let (_, s) = cx.checked("operand_scale", WDType::F32, &[1])?;
                    let scale = f32::from_le_bytes([s.data[0], s.data[1], s.data[2], s.data[3]]);
                    let zero_point = cx.zero_point_of("operand_zero_point")?;
                    (shape.clone(), ActQuant::int8(scale, zero_point), Some(data))
                }
            };
            let shapes = [a.shape.clone(), b_shape, y.shape.clone()];
            let r = match node.op {
                Op::Add { .. } => add(shapes, aq, bq, yq, activation(*act)),
                Op::Sub { .. } => add(shapes, aq, bq, yq, activation(*act)),
                _ => mul(shapes, aq, bq, yq, activation(*act)),
            };
            let mut lowered = r.map_err(qe)?;
            lowered.b_constant = constant;
            Ok(match node.op {
                Op::Add { .. } => NodeParams::Add(lowered),
                Op::Sub { .. } => NodeParams::Sub(lowered),
                _ => NodeParams::Mul(lowered),
            })
        }
        Op::Maximum | Op::Minimum => {
            cx.arity(2)?;
            let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output()?);
            let (aq, bq, yq) = (cx.q8(a)?, cx.q8(b)?, cx.q8(y)?);
            for (t, q) in [(a, aq), (b, bq)] {
                if q != yq {
                    return Err(LowerError::BadQuant {
                        tensor: t.name.clone(),
                        reason: format!(
                            "{} compares raw int8 values (as TFLite does), so both inputs need \
                             the output's quantisation (scale {}, zero point {}), found scale {} \
                             and zero point {}",
                            cx.op(),
                            yq.scale,
                            yq.zero_point,
                            q.scale,
                            q.zero_point
                        ),
                    });
                }
            }
            let m = MinMaxLowered {
                a_shape: a.shape.clone(),
                b_shape: b.shape.clone(),
                output_shape: y.shape.clone(),
            };
            Ok(if matches!(node.op, Op::Maximum) {
                NodeParams::Maximum(m)
            } else {
                NodeParams::Minimum(m)
            })
        }
        Op::Prelu { alpha_shape } => {
            let (x, xq, y, yq) = cx.unary_q8()?;
            if x.shape != y.shape {
                return Err(cx.malformed("prelu changes the shape"));
            }
            let skip = x.shape.len().checked_sub(alpha_shape.len());
            let fits = skip.is_some_and(|k| {
                alpha_shape
                    .iter()
                    .zip(&x.shape[k..])
                    .all(|(&a, &d)| a == 1 || a == d)
            });
            if !fits {
                return Err(cx.malformed(format!(
                    "alpha shape {} does not broadcast to the input's {}",
                    ir::shape_string(alpha_shape),
                    ir::shape_string(&x.shape)
                )));
            }
            let (_, w) = cx.checked("alpha", WDType::I8, alpha_shape)?;
            let alpha: Vec<i8> = w.data.iter().map(|&b| b as i8).collect();
            let (_, s) = cx.checked("alpha_scale", WDType::F32, &[1])?;
            let alpha_scale = f32::from_le_bytes([s.data[0], s.data[1], s.data[2], s.data[3]]);
            let alpha_zero_point = cx.zero_point_of("alpha_zero_point")?;
            let q = quant::prelu(
                (xq.scale, xq.zero_point),
                (alpha_scale, alpha_zero_point),
                (yq.scale, yq.zero_point),
            )
            .map_err(qe)?;
            Ok(NodeParams::Prelu(PreluLowered {
                input_shape: x.shape.clone(),
                alpha_shape: alpha_shape.clone(),
                alpha,
                input_offset: q.input_offset,
                alpha_offset: q.alpha_offset,
                output_offset: q.output_offset,
                multiplier_identity: q.identity.multiplier.to_bits(),
                shift_identity: q.identity.shift,
                multiplier_alpha: q.alpha.multiplier.to_bits(),
                shift_alpha: q.alpha.shift,
            }))
        }
        Op::Concat { axis } => {
            let y = cx.output()?;
            // int8, or int16 (16x8 scheme; the same constants, the int16 kernel).
            let data = |t: &Tensor| match t.dtype {
                DType::I16 if y.dtype == DType::I16 => act_quant(t),
                _ => cx.q8(t),
            };
            data(y)?;
            if node.inputs.len() < 2 {
                return Err(cx.malformed("concat needs at least two inputs"));
            }
            let mut axis_sizes = Vec::with_capacity(node.inputs.len());
            for i in 0..node.inputs.len() {
                let x = cx.input(i)?;
                // TFLM's int8 concatenation copies bytes without requantising; the inputs'
                // quantisation must exist but is not used.
                data(x)?;
                axis_sizes.push(
                    *x.shape
                        .get(*axis)
                        .ok_or_else(|| cx.malformed("concat axis out of range"))?,
                );
            }
            let (before, after) = y.shape.split_at((*axis).min(y.shape.len()));
            Ok(NodeParams::Concat(ConcatLowered {
                outer: before.iter().product(),
                inner: after.iter().skip(1).product(),
                axis_sizes,
            }))
        }
        Op::Reshape { .. } | Op::Flatten => {
            cx.arity(1)?;
            let (x, y) = (cx.input(0)?, cx.output()?);
            if x.dtype != y.dtype || x.size_bytes() != y.size_bytes() {
                return Err(cx.malformed("reshape changes the dtype or the size"));
            }
            Ok(NodeParams::Copy {
                bytes: y.size_bytes(),
            })
        }
        Op::Pad { paddings, .. } => {
            let (x, _, _, yq) = cx.unary_data()?;
            if paddings.len() != x.shape.len() {
                return Err(cx.malformed("one [before, after] pair per dimension"));
            }
            Ok(NodeParams::Pad(PadLowered {
                input_shape: x.shape.clone(),
                paddings: paddings.clone(),
                pad_value: i8::try_from(yq.zero_point)
                    .map_err(|_| cx.unsupported("pad value outside int8"))?,
            }))
        }
        Op::ResizeNearest {
            size,
            align_corners,
            half_pixel_centers,
        } => {
            let (x, xq, y, yq) = cx.unary_data()?;
            same_quant(cx.op(), x, xq, yq)?;
            let &[h, w, c] = x.shape.as_slice() else {
                return Err(cx.malformed("resize_nearest needs an [H, W, C] input"));
            };
            if y.shape != [size[0], size[1], c] {
                return Err(cx.malformed("resize_nearest output shape differs from its size"));
            }
            if h == 0 || w == 0 || size[0] == 0 || size[1] == 0 {
                return Err(cx.malformed("resize_nearest with an empty axis"));
            }
            let table = |n: usize, out: usize| -> Vec<usize> {
                (0..out)
                    .map(|o| {
                        nn_kernels::resize::nearest_source(
                            o,
                            n,
                            out,
                            *align_corners,
                            *half_pixel_centers,
                        )
                    })
                    .collect()
            };
            Ok(NodeParams::ResizeNearest(ResizeNearestLowered {
                input_shape: [h, w, c],
                rows: table(h, size[0]),
                cols: table(w, size[1]),
            }))
        }
        Op::StridedSlice {
            begin,
            end,
            strides,
            shape,
        } => {
            let (x, xq, y, yq) = cx.unary_data()?;
            same_quant(cx.op(), x, xq, yq)?;
            let rank = x.shape.len();
            if begin.len() != rank || end.len() != rank || strides.len() != rank {
                return Err(cx.malformed("one begin, end and stride per input dimension"));
            }
            let mut sizes = Vec::with_capacity(rank);
            let mut steps = Vec::with_capacity(rank);
            for (((&b, &e), &s), &d) in begin.iter().zip(end).zip(strides).zip(&x.shape) {
                let bi = i64::try_from(b).map_err(|_| cx.malformed("slice begin too large"))?;
                let n = crate::shape::slice_size(bi, e, s);
                let last = i64::try_from(n)
                    .ok()
                    .and_then(|n| (n - 1).checked_mul(s))
                    .and_then(|v| v.checked_add(bi));
                let inside = |v: i64| usize::try_from(v).is_ok_and(|v| v < d);
                if n == 0 || !inside(bi) || !last.is_some_and(inside) {
                    return Err(cx.malformed("strided slice empty or outside its input"));
                }
                sizes.push(n);
                steps.push(isize::try_from(s).map_err(|_| cx.malformed("stride too large"))?);
            }
            if sizes.iter().product::<usize>() != shape.iter().product::<usize>()
                || y.shape != *shape
            {
                return Err(cx.malformed("strided slice output shape differs from its sizes"));
            }
            Ok(NodeParams::StridedSlice(StridedSliceLowered {
                input_shape: x.shape.clone(),
                begin: begin.clone(),
                strides: steps,
                sizes,
            }))
        }
        Op::Relu => {
            let (x, xq, _, yq) = cx.unary_q8()?;
            relu(x.elements(), xq, yq).map(NodeParams::Relu).map_err(qe)
        }
        Op::Relu6 => {
            let (x, xq, _, _) = cx.unary_q8()?;
            relu6(x.elements(), xq).map(NodeParams::Relu6).map_err(qe)
        }
        Op::LeakyRelu { alpha } => {
            let (x, xq, _, yq) = cx.unary_q8()?;
            let p = quant::leaky_relu(
                (xq.scale, xq.zero_point),
                (yq.scale, yq.zero_point),
                *alpha,
                x.elements(),
            )
            .map_err(qe)?;
            Ok(NodeParams::Lut(nn_kernels::lut::LutParams {
                len: p.len,
                table: nn_kernels::lut::table(|v| nn_kernels::lut::leaky_relu_value(&p, v)),
            }))
        }
        Op::HardSwish => {
            let (x, xq, _, yq) = cx.unary_q8()?;
            let p = quant::hard_swish(
                (xq.scale, xq.zero_point),
                (yq.scale, yq.zero_point),
                x.elements(),
            )
            .map_err(qe)?;
            Ok(NodeParams::Lut(nn_kernels::lut::LutParams {
                len: p.len,
                table: nn_kernels::lut::table(|v| nn_kernels::lut::hard_swish_value(&p, v)),
            }))
        }
        Op::Logistic | Op::Tanh => {
            let (x, xq, y, _) = cx.unary_q8()?;
            if matches!(node.op, Op::Logistic) {
                cx.fixed_output(y, 1.0 / 256.0, -128)?;
                logistic_or_tanh(x.elements(), xq)
                    .map(NodeParams::Logistic)
                    .map_err(qe)
            } else {
                cx.fixed_output(y, 1.0 / 128.0, 0)?;
                logistic_or_tanh(x.elements(), xq)
                    .map(NodeParams::Tanh)
                    .map_err(qe)
            }
        }
        Op::Softmax { beta } => {
            let (x, xq, y, _) = cx.unary_q8()?;
            cx.fixed_output(y, 1.0 / 256.0, -128)?;
            let depth = x.shape.last().copied().unwrap_or(1).max(1);
            softmax(*beta, xq.scale, x.elements() / depth, depth)
                .map(NodeParams::Softmax)
                .map_err(qe)
        }
        Op::Quantize => {
            cx.arity(1)?;
            let (x, y) = (cx.input(0)?, cx.output()?);
            let yq = cx.q8(y)?;
            match x.dtype {
                DType::F32 => Ok(NodeParams::Quantize(QuantizeParams {
                    len: x.elements(),
                    scale: yq.scale,
                    zero_point: yq.zero_point,
                })),
                DType::I8 => requantize(x.elements(), act_quant(x)?, yq)
                    .map(NodeParams::Requantize)
                    .map_err(qe),
                DType::I16 => Err(cx.unsupported("quantize from i16 to i8")),
                DType::I32 => Err(cx.unsupported("quantize from i32")),
            }
        }
        Op::Dequantize => {
            cx.arity(1)?;
            let (x, y) = (cx.input(0)?, cx.output()?);
            let xq = cx.q8(x)?;
            cx.dtype(y, DType::F32)?;
            Ok(NodeParams::Dequantize(DequantizeParams {
                len: x.elements(),
                scale: xq.scale,
                zero_point: xq.zero_point,
            }))
        }
        Op::Requantize => {
            cx.arity(1)?;
            let (x, y) = (cx.input(0)?, cx.output()?);
            let yq = cx.q8(y)?;
            requantize(x.elements(), cx.q8(x)?, yq)
                .map(NodeParams::Requantize)
                .map_err(qe)
        }
        // Ops added to the IR after this lowering was written.
        #[allow(unreachable_patterns)]
        _ => Err(cx.unsupported("no lowering for this operator yet")),
    }
}
