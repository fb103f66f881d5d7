//! Host-side quantisation arithmetic (never run on the device).
//!
//! Every function reproduces the arithmetic TensorFlow Lite for Microcontrollers performs in
//! its `Prepare` step, in the same precision, so that the constants baked into generated code
//! (and fed to `nn_kernels`) are bit-identical to TFLM's:
//! - Q31 multipliers come from [`quantize_multiplier`] (`frexp`, round the significand to 31
//!   bits, carry a rounded-up `2^31` into the exponent, flush shifts below -31 to zero);
//! - conv / depthwise / per-channel fully connected: `in * w[c] / out` in `f64`
//!   (`PopulateConvolutionQuantizationParams`);
//! - per-tensor fully connected: the product `in * w` is taken in **`f32`** first, then divided
//!   in `f64` (`GetQuantizedConvolutionMultipler`);
//! - ADD: left shift 20, inputs rescaled to twice the larger input scale;
//! - MUL, MEAN, QUANTIZE (int8 -> int8): ratios in `f64`; RELU: the ratio in **`f32`**;
//! - SOFTMAX: `PreprocessSoftmaxScaling` with 5 integer bits and `CalculateInputRadius`;
//! - LOGISTIC / TANH: `frexp(in_scale * 2^27)` with 4 integer bits;
//! - fused activation clamps: `zero_point + round(f / scale)` with an `f32` division.
//!
//! The TFLM Python package the oracle vectors come from is built without
//! `TFLITE_SINGLE_ROUNDING`; these helpers follow that (double-rounding) build.

use thiserror::Error;

/// Invalid input to a host quantisation helper.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QuantError {
    /// A scale is NaN, infinite, zero or negative.
    #[error("{what} scale must be finite and positive, got {value}")]
    BadScale {
        /// Which scale (`"input"`, `"output"`, `"filter"`, ...).
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// A real multiplier is NaN or infinite.
    #[error("multiplier must be finite, got {0}")]
    NonFinite(f64),
    /// The multiplier is outside the range the operator's fixed-point scheme supports
    /// (TFLite would fail the same check in `Prepare`).
    #[error("{what}: real multiplier {value} out of the supported range")]
    OutOfRange {
        /// Which multiplier.
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// The number of per-channel scales does not match the channel count.
    #[error("expected 1 or {expected} per-channel scales, got {actual}")]
    ChannelCount {
        /// Channels of the layer.
        expected: usize,
        /// Scales given.
        actual: usize,
    },
    /// A zero point is outside int8.
    #[error("zero point {0} outside the int8 range")]
    ZeroPoint(i32),
    /// An int16 tensor of TFLite's 16x8 scheme has a zero point other than 0.
    #[error("zero point {0} on an int16 tensor (the 16x8 scheme needs 0)")]
    ZeroPoint16(i32),
    /// A multiplier so large that its Q31 form needs a left shift beyond 31: no int8 kernel (nor
    /// TFLM's `MultiplyByQuantizedMultiplier`) can apply it.
    #[error(
        "the {what} multiplier is {value:.3e}, which needs a shift of {shift}; the int8 kernels \
         take shifts in -31..=31 (multipliers below 2^31)"
    )]
    ShiftOutOfRange {
        /// Which multiplier and how it is made (`"requantisation (input scale * weight scale /
        /// output scale)"`).
        what: &'static str,
        /// The real multiplier.
        value: f64,
        /// The shift it would need.
        shift: i32,
    },
}

/// A Q31 multiplier and its power-of-two exponent, `real ~= multiplier * 2^shift` with the
/// multiplier a Q0.31 number (`fixed`'s `I1F31`): what every helper here returns, so that a
/// multiplier cannot be passed as a shift or read as a plain integer (issue 18 item 2). The
/// kernels take the raw pair ([`Q31Multiplier::to_raw`]), the same bits.
pub use nn_kernels::fixedpoint::typed::Q31Multiplier;

/// C's `frexp`: `x = m * 2^e` with `|m|` in `[0.5, 1)`; `(0, 0)` for zero. `x` must be finite.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i32;
    if exp_field == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
        return (m, e - 64);
    }
    let e = exp_field - 1022;
    let m_bits = (bits & !(0x7ffu64 << 52)) | (1022u64 << 52);
    (f64::from_bits(m_bits), e)
}

/// TFLite `QuantizeMultiplier` (double-rounding build).
///
/// # Errors
/// [`QuantError::NonFinite`] for NaN or infinity.
pub fn quantize_multiplier(real: f64) -> Result<Q31Multiplier, QuantError> {
    if !real.is_finite() {
        return Err(QuantError::NonFinite(real));
    }
    if real == 0.0 {
        return Ok(Q31Multiplier::from_raw((0, 0)));
    }
    let (q, mut shift) = frexp(real);
    let mut q_fixed = (q * 2f64.powi(31)).round() as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    Ok(Q31Multiplier::from_raw((q_fixed as i32, shift)))
}

/// [`quantize_multiplier`] for a multiplier an int8 kernel applies: a shift above 31 (a real
/// multiplier of 2^31 or more) is [`QuantError::ShiftOutOfRange`] instead of a constant the kernels
/// refuse at run time. Shifts below -31 are already flushed to a zero multiplier.
///
/// # Errors
/// [`QuantError::NonFinite`] or [`QuantError::ShiftOutOfRange`].
pub fn kernel_multiplier(what: &'static str, real: f64) -> Result<Q31Multiplier, QuantError> {
    let m = quantize_multiplier(real)?;
    if m.shift > 31 {
        return Err(QuantError::ShiftOutOfRange {
            what,
            value: real,
            shift: m.shift,
        });
    }
    Ok(m)
}

fn scale(what: &'static str, s: f32) -> Result<f32, QuantError> {
    if s.is_finite() && s > 0.0 {
        Ok(s)
    } else {
        Err(QuantError::BadScale {
            what,
            value: f64::from(s),
        })
    }
}

fn zero_point(zp: i32) -> Result<i32, QuantError> {
    if (i32::from(i8::MIN)..=i32::from(i8::MAX)).contains(&zp) {
        Ok(zp)
    } else {
        Err(QuantError::ZeroPoint(zp))
    }
}

/// Per-output-channel multipliers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMultipliers(pub Vec<Q31Multiplier>);

impl ChannelMultipliers {
    /// The raw Q31 multipliers, as the kernels take them.
    #[must_use]
    pub fn raw_multipliers(&self) -> Vec<i32> {
        self.0.iter().map(|m| m.multiplier.to_bits()).collect()
    }

    /// The shifts (positive: left), as the kernels take them.
    #[must_use]
    pub fn shifts(&self) -> Vec<i32> {
        self.0.iter().map(|m| m.shift).collect()
    }
}

/// Conv2d / depthwise / per-channel fully connected: one multiplier per output channel from
/// `input_scale * filter_scale[c] / output_scale` in `f64`. A single filter scale is broadcast
/// to `channels` (TFLite does the same for per-tensor conv weights).
///
/// # Errors
/// [`QuantError`] on a bad scale or a filter scale count that is neither 1 nor `channels`.
pub fn conv_multipliers(
    input_scale: f32,
    filter_scales: &[f32],
    output_scale: f32,
    channels: usize,
) -> Result<ChannelMultipliers, QuantError> {
    let si = f64::from(scale("input", input_scale)?);
    let so = f64::from(scale("output", output_scale)?);
    if filter_scales.len() != 1 && filter_scales.len() != channels {
        return Err(QuantError::ChannelCount {
            expected: channels,
            actual: filter_scales.len(),
        });
    }
    let mut out = Vec::with_capacity(channels);
    for c in 0..channels {
        let w = filter_scales
            .get(c)
            .or_else(|| filter_scales.first())
            .copied()
            .unwrap_or(0.0);
        let w = f64::from(scale("filter", w)?);
        out.push(kernel_multiplier(
            "requantisation (input scale * weight scale / output scale)",
            si * w / so,
        )?);
    }
    Ok(ChannelMultipliers(out))
}

/// Fully connected: per-channel weights (more than one scale) use [`conv_multipliers`];
/// per-tensor weights use TFLite's `GetQuantizedConvolutionMultipler`, whose product
/// `input_scale * filter_scale` is rounded to `f32` before the `f64` division. Returns one
/// entry (per-tensor) or `units` entries.
///
/// # Errors
/// [`QuantError`] on a bad scale or count.
pub fn fully_connected_multipliers(
    input_scale: f32,
    filter_scales: &[f32],
    output_scale: f32,
    units: usize,
) -> Result<ChannelMultipliers, QuantError> {
    match filter_scales {
        [w] => {
            let si = scale("input", input_scale)?;
            let w = scale("filter", *w)?;
            let so = scale("output", output_scale)?;
            Ok(ChannelMultipliers(vec![kernel_multiplier(
                "requantisation (input scale * weight scale / output scale)",
                f64::from(si * w) / f64::from(so),
            )?]))
        }
        _ => conv_multipliers(input_scale, filter_scales, output_scale, units),
    }
}

/// A fused activation function of TFLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// No clamp beyond the int8 range.
    None,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// `min(max(x, -1), 1)`.
    ReluN1To1,
}

/// The storage of a quantised activation: TFLite's int8 scheme, or its 16x8 scheme (int16
/// activations with zero point 0, int8 weights, int64 bias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Storage {
    /// int8, zero point in the int8 range.
    #[default]
    Int8,
    /// int16, zero point 0.
    Int16,
}

impl Storage {
    /// The value range `(min, max)`.
    pub fn range(self) -> (i32, i32) {
        match self {
            Storage::Int8 => (i32::from(i8::MIN), i32::from(i8::MAX)),
            Storage::Int16 => (i32::from(i16::MIN), i32::from(i16::MAX)),
        }
    }

    /// Checks a zero point: in the int8 range, or 0 for int16.
    ///
    /// # Errors
    /// [`QuantError::ZeroPoint`] / [`QuantError::ZeroPoint16`].
    pub fn zero_point(self, zp: i32) -> Result<i32, QuantError> {
        match self {
            Storage::Int8 => zero_point(zp),
            Storage::Int16 if zp == 0 => Ok(0),
            Storage::Int16 => Err(QuantError::ZeroPoint16(zp)),
        }
    }
}

/// TFLite `CalculateActivationRangeQuantized` for an int8 output: the `[min, max]` clamp of a
/// fused activation, with `zero_point + round(f / scale)` (division in `f32`).
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, or a bound overflowing `i32`.
pub fn activation_range(
    activation: Activation,
    output_scale: f32,
    output_zero_point: i32,
) -> Result<(i32, i32), QuantError> {
    activation_range_of(Storage::Int8, activation, output_scale, output_zero_point)
}

/// [`activation_range`] for an output stored as `storage` (the int16 range for the 16x8 scheme).
///
/// # Errors
/// As [`activation_range`]; a non-zero zero point on int16.
pub fn activation_range_of(
    storage: Storage,
    activation: Activation,
    output_scale: f32,
    output_zero_point: i32,
) -> Result<(i32, i32), QuantError> {
    let s = scale("output", output_scale)?;
    let zp = storage.zero_point(output_zero_point)?;
    let quantize = |f: f32| -> Result<i32, QuantError> {
        let t = (f / s).round();
        if !(-2_147_483_648.0..=2_147_483_647.0).contains(&t) {
            return Err(QuantError::OutOfRange {
                what: "activation bound",
                value: f64::from(t),
            });
        }
        Ok(zp.saturating_add(t as i32))
    };
    let (qmin, qmax) = storage.range();
    Ok(match activation {
        Activation::None => (qmin, qmax),
        Activation::Relu => (qmin.max(quantize(0.0)?), qmax),
        Activation::Relu6 => (qmin.max(quantize(0.0)?), qmax.min(quantize(6.0)?)),
        Activation::ReluN1To1 => (qmin.max(quantize(-1.0)?), qmax.min(quantize(1.0)?)),
    })
}

/// TFLite `QuantizeMultiplierSmallerThanOneExp`: the real value must be in `(0, 1)`.
fn smaller_than_one(what: &'static str, real: f64) -> Result<Q31Multiplier, QuantError> {
    if !(real > 0.0 && real < 1.0) {
        return Err(QuantError::OutOfRange { what, value: real });
    }
    let m = quantize_multiplier(real)?;
    if m.shift > 0 {
        return Err(QuantError::OutOfRange { what, value: real });
    }
    Ok(m)
}

/// Constants of an int8 ADD (TFLM `CalculateOpDataAdd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddQuant {
    /// `-zero_point` of each input.
    pub input_offset: [i32; 2],
    /// Output zero point.
    pub output_offset: i32,
    /// 20 for int8.
    pub left_shift: i32,
    /// Multiplier and shift (<= 0) of each input to the common scale.
    pub input: [Q31Multiplier; 2],
    /// Multiplier and shift (<= 0) from the common scale to the output.
    pub output: Q31Multiplier,
    /// Fused activation clamp.
    pub act: (i32, i32),
}

/// Int8 ADD constants: `twice_max = 2 * max(s1, s2)`, inputs scaled by `s_i / twice_max`, the
/// sum by `twice_max / (2^20 * s_out)`, all in `f64`.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, or an output multiplier not below one.
pub fn add(
    input_scales: [f32; 2],
    input_zero_points: [i32; 2],
    output_scale: f32,
    output_zero_point: i32,
    activation: Activation,
) -> Result<AddQuant, QuantError> {
    add_of(
        Storage::Int8,
        input_scales,
        input_zero_points,
        output_scale,
        output_zero_point,
        activation,
    )
}

/// [`add`] for operands stored as `storage`: TFLM's general-scale ADD uses `left_shift` 15 for
/// int16 (and zero points 0) instead of 20.
///
/// # Errors
/// As [`add`].
pub fn add_of(
    storage: Storage,
    input_scales: [f32; 2],
    input_zero_points: [i32; 2],
    output_scale: f32,
    output_zero_point: i32,
    activation: Activation,
) -> Result<AddQuant, QuantError> {
    let s1 = scale("input 1", input_scales[0])?;
    let s2 = scale("input 2", input_scales[1])?;
    let so = scale("output", output_scale)?;
    let left_shift = match storage {
        Storage::Int8 => 20,
        Storage::Int16 => 15,
    };
    let twice_max = 2.0 * f64::from(s1.max(s2));
    let real1 = f64::from(s1) / twice_max;
    let real2 = f64::from(s2) / twice_max;
    let real_out = twice_max / (f64::from(1u32 << left_shift) * f64::from(so));
    Ok(AddQuant {
        input_offset: [
            -storage.zero_point(input_zero_points[0])?,
            -storage.zero_point(input_zero_points[1])?,
        ],
        output_offset: storage.zero_point(output_zero_point)?,
        left_shift,
        input: [
            smaller_than_one("add input 1", real1)?,
            smaller_than_one("add input 2", real2)?,
        ],
        output: smaller_than_one("add output", real_out)?,
        act: activation_range_of(storage, activation, so, output_zero_point)?,
    })
}

/// Int8 MUL multiplier: `s1 * s2 / s_out` in `f64`.
///
/// # Errors
/// [`QuantError`] on a bad scale.
pub fn mul(input_scales: [f32; 2], output_scale: f32) -> Result<Q31Multiplier, QuantError> {
    let s1 = f64::from(scale("input 1", input_scales[0])?);
    let s2 = f64::from(scale("input 2", input_scales[1])?);
    let so = f64::from(scale("output", output_scale)?);
    kernel_multiplier(
        "mul output (input 1 scale * input 2 scale / output scale)",
        s1 * s2 / so,
    )
}

/// TFLite `CalculateInputRadius`: the largest offset input whose rescaled value cannot
/// overflow, `floor((2^ib - 1) * 2^(31 - ib) / 2^left_shift)`.
///
/// # Errors
/// [`QuantError::OutOfRange`] when `left_shift` is outside `0..=62`.
pub fn input_radius(integer_bits: i32, left_shift: i32) -> Result<i32, QuantError> {
    if !(0..=62).contains(&left_shift) || !(0..=30).contains(&integer_bits) {
        return Err(QuantError::OutOfRange {
            what: "input radius shift",
            value: f64::from(left_shift),
        });
    }
    let max_input_rescaled = f64::from((1i32 << integer_bits) - 1)
        * (1i64 << (31 - integer_bits)) as f64
        / (1i64 << left_shift) as f64;
    Ok(max_input_rescaled.floor() as i32)
}

/// Constants of an int8 SOFTMAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxQuant {
    /// Q31 multiplier of `beta * input_scale * 2^26` (capped at `2^31 - 1`); its shift is a
    /// left shift (>= 0).
    pub input_multiplier: Q31Multiplier,
    /// `-CalculateInputRadius(5, input_left_shift)`.
    pub diff_min: i32,
}

/// Int8 SOFTMAX constants (`PreprocessSoftmaxScaling` with 5 integer bits).
///
/// # Errors
/// [`QuantError`] on a bad scale or beta, or `beta * input_scale * 2^26 <= 1` (TFLite's
/// `QuantizeMultiplierGreaterThanOne` check).
pub fn softmax(beta: f32, input_scale: f32) -> Result<SoftmaxQuant, QuantError> {
    const INTEGER_BITS: i32 = 5;
    let s = f64::from(scale("input", input_scale)?);
    let b = f64::from(scale("beta", beta)?);
    let real = (b * s * f64::from(1i32 << (31 - INTEGER_BITS))).min(2_147_483_647.0);
    if real <= 1.0 {
        return Err(QuantError::OutOfRange {
            what: "softmax input multiplier",
            value: real,
        });
    }
    let m = quantize_multiplier(real)?;
    Ok(SoftmaxQuant {
        input_multiplier: m,
        diff_min: -input_radius(INTEGER_BITS, m.shift)?,
    })
}

/// Constants of an int8 LOGISTIC or TANH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigmoidQuant {
    /// Input zero point.
    pub input_zero_point: i32,
    /// Q31 multiplier of `input_scale * 2^27`; its shift is the `frexp` exponent (a left
    /// shift).
    pub input_multiplier: Q31Multiplier,
    /// Offset inputs at or beyond this magnitude saturate.
    pub input_range_radius: i32,
}

/// Int8 LOGISTIC / TANH constants (TFLM `CalculateArithmeticOpDataLogistic` and the TANH
/// equivalent, 4 integer bits). Note TFLM rounds `q * 2^31` without carrying a rounded-up
/// `2^31` into the exponent; the `as` conversion below mirrors x86-64's wrap of that case.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, or a scale so small that the shift is negative.
pub fn sigmoid(input_scale: f32, input_zero_point: i32) -> Result<SigmoidQuant, QuantError> {
    const INTEGER_BITS: i32 = 4;
    let s = f64::from(scale("input", input_scale)?);
    let real = s * f64::from(1i32 << (31 - INTEGER_BITS));
    let (q, shift) = frexp(real);
    let m = (q * 2f64.powi(31)).round() as i64 as i32;
    Ok(SigmoidQuant {
        input_zero_point: zero_point(input_zero_point)?,
        input_multiplier: Q31Multiplier::from_raw((m, shift)),
        input_range_radius: input_radius(INTEGER_BITS, shift)?,
    })
}

/// Int8 -> int8 QUANTIZE (requantisation) multiplier: `s_in / s_out` in `f64`.
///
/// # Errors
/// [`QuantError`] on a bad scale.
pub fn requantize(input_scale: f32, output_scale: f32) -> Result<Q31Multiplier, QuantError> {
    let si = f64::from(scale("input", input_scale)?);
    let so = f64::from(scale("output", output_scale)?);
    kernel_multiplier("requantisation (input scale / output scale)", si / so)
}

/// Constants of an int8 RELU (TFLM `CalculateReluOpData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReluQuant {
    /// Multiplier of `s_in / s_out`, the ratio taken in `f32`.
    pub multiplier: Q31Multiplier,
    /// `[max(-128, output_zero_point), 127]`.
    pub act: (i32, i32),
}

/// Int8 RELU constants.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn relu(
    input_scale: f32,
    output_scale: f32,
    output_zero_point: i32,
) -> Result<ReluQuant, QuantError> {
    let si = scale("input", input_scale)?;
    let so = scale("output", output_scale)?;
    let zp = zero_point(output_zero_point)?;
    let lower = zp.saturating_add((0.0f32 / so).round() as i32);
    Ok(ReluQuant {
        multiplier: kernel_multiplier(
            "relu requantisation (input scale / output scale)",
            f64::from(si / so),
        )?,
        act: (lower.max(i32::from(i8::MIN)), i32::from(i8::MAX)),
    })
}

/// Int8 LEAKY_RELU constants (TFLM `LeakyReluPrepare`): Q31 multipliers of
/// `input_scale * alpha / output_scale` and `input_scale / output_scale`, both products and
/// quotients in `f32` as TFLM computes them.
///
/// # Errors
/// [`QuantError`] on a bad scale, zero point or `alpha` (negative or not finite), or a
/// multiplier the kernels cannot apply.
pub fn leaky_relu(
    input: (f32, i32),
    output: (f32, i32),
    alpha: f32,
    len: usize,
) -> Result<nn_kernels::lut::LeakyReluParams, QuantError> {
    let si = scale("input", input.0)?;
    let so = scale("output", output.0)?;
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(QuantError::OutOfRange {
            what: "leaky_relu alpha",
            value: f64::from(alpha),
        });
    }
    let (multiplier_alpha, shift_alpha) = kernel_multiplier(
        "leaky_relu (input scale * alpha / output scale)",
        f64::from(si * alpha / so),
    )?
    .to_raw();
    let (multiplier_identity, shift_identity) = kernel_multiplier(
        "leaky_relu (input scale / output scale)",
        f64::from(si / so),
    )?
    .to_raw();
    Ok(nn_kernels::lut::LeakyReluParams {
        len,
        input_zero_point: zero_point(input.1)?,
        output_zero_point: zero_point(output.1)?,
        multiplier_alpha,
        shift_alpha,
        multiplier_identity,
        shift_identity,
    })
}

/// The two requantisations of an int8 SVDF (TFLM `PrepareSvdf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SvdfQuant {
    /// `input_scale * feature_scale / state_scale`: feature dot products to state values.
    pub feature: Q31Multiplier,
    /// `state_scale * time_scale / output_scale`: unit sums to output values.
    pub output: Q31Multiplier,
}

/// Int8 SVDF constants (TFLM `PrepareSvdf`): each multiplier is the product and quotient of the
/// three `f32` scales taken in `f32`, then widened to `f64`, as TFLM computes them.
///
/// # Errors
/// [`QuantError`] on a bad scale, or a multiplier the kernel cannot apply.
pub fn svdf(
    input_scale: f32,
    feature_scale: f32,
    state_scale: f32,
    time_scale: f32,
    output_scale: f32,
) -> Result<SvdfQuant, QuantError> {
    let si = scale("input", input_scale)?;
    let sf = scale("feature weights", feature_scale)?;
    let ss = scale("state", state_scale)?;
    let st = scale("time weights", time_scale)?;
    let so = scale("output", output_scale)?;
    Ok(SvdfQuant {
        feature: kernel_multiplier(
            "svdf (input scale * feature weight scale / state scale)",
            f64::from(si * sf / ss),
        )?,
        output: kernel_multiplier(
            "svdf (state scale * time weight scale / output scale)",
            f64::from(ss * st / so),
        )?,
    })
}

/// TFLite's `CheckedLog2` (in `f32`, as TFLite computes it): `log2(x)` rounded, and whether `x`
/// is within 1e-3 (in the exponent) of that power of two.
fn checked_log2(x: f32) -> (i32, bool) {
    let log2 = x.ln() * (1.0f32 / 2.0f32.ln());
    let rounded = log2.round();
    (rounded as i32, (log2 - rounded).abs() < 1e-3)
}

/// The input scaling of an int16 LOGISTIC (`tanh = false`) or TANH (TFLM's prepare for int16
/// data): `(input_multiplier, input_left_shift)`. A power-of-two input scale of 2^-12 (or, for
/// TANH, 2^-11) gives multiplier 0; any other gives `scale * 3 * 4096`, doubled until it exceeds
/// 16383.5 (at most 31 times), truncated. Input and output zero points must be 0 and the output
/// scale 2^-15.
///
/// # Errors
/// [`QuantError`] on a bad scale, a non-zero zero point or another output scale.
pub fn sigmoid16(
    input_scale: f32,
    input_zero_point: i32,
    output_scale: f32,
    output_zero_point: i32,
    tanh: bool,
) -> Result<(i32, i32), QuantError> {
    let si = scale("input", input_scale)?;
    let so = scale("output", output_scale)?;
    for zp in [input_zero_point, output_zero_point] {
        if zp != 0 {
            return Err(QuantError::ZeroPoint16(zp));
        }
    }
    if checked_log2(so) != (-15, true) {
        return Err(QuantError::OutOfRange {
            what: "int16 logistic / tanh output scale (must be 2^-15)",
            value: f64::from(so),
        });
    }
    let (log2, pot) = checked_log2(si);
    let left_shift = 12 + log2;
    let pot = pot && (left_shift == 0 || (tanh && left_shift == 1));
    if pot {
        return Ok((0, left_shift));
    }
    let mut multiplier = f64::from(si) * 4096.0 * 3.0;
    let mut shift = 0;
    while multiplier <= 32767.0 / 2.0 && shift <= 30 {
        shift += 1;
        multiplier *= 2.0;
    }
    if !(multiplier.is_finite() && multiplier < 2_147_483_648.0) {
        return Err(QuantError::OutOfRange {
            what: "int16 logistic / tanh input scale",
            value: f64::from(si),
        });
    }
    Ok((multiplier as i32, shift))
}

/// The input multiplier of an int16 SOFTMAX (TFLM's prepare for int16 data): the Q31 form of
/// `input_scale * beta / (10 / 65535)` in `f64`. The input and output zero points must be 0 and
/// the output scale 2^-15 (TFLM allows 0.1% off it).
///
/// # Errors
/// [`QuantError`] on a bad scale or beta, a non-zero zero point, another output scale or a
/// multiplier the kernel cannot apply.
pub fn softmax16(
    input_scale: f32,
    input_zero_point: i32,
    beta: f32,
    output_scale: f32,
    output_zero_point: i32,
) -> Result<Q31Multiplier, QuantError> {
    let si = scale("input", input_scale)?;
    let so = scale("output", output_scale)?;
    let beta = scale("softmax beta", beta)?;
    for zp in [input_zero_point, output_zero_point] {
        if zp != 0 {
            return Err(QuantError::ZeroPoint16(zp));
        }
    }
    let q15 = 1.0f32 / 32768.0;
    if (so - q15).abs() > 0.001 * q15 {
        return Err(QuantError::OutOfRange {
            what: "int16 softmax output scale (must be 2^-15)",
            value: f64::from(so),
        });
    }
    kernel_multiplier(
        "int16 softmax (input scale * beta / (10 / 65535))",
        f64::from(si) * f64::from(beta) / (10.0 / 65535.0),
    )
}

/// The requantisations of an int8 LSTM (TFLM `PrepareGateParametersInteger` and
/// `CreateLstmCellStateInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LstmQuant {
    /// Per gate (input, forget, cell, output): `input_scale * weight_scale / 2^-12`.
    pub input: [Q31Multiplier; 4],
    /// Per gate: `hidden_scale * recurrent_weight_scale / 2^-12`.
    pub recurrent: [Q31Multiplier; 4],
    /// `2^-15 * cell_scale / cell_scale`: forget gate times cell state.
    pub forget: Q31Multiplier,
    /// `2^-15 * 2^-15 / cell_scale`: input gate times cell gate.
    pub input_cell: Q31Multiplier,
    /// `2^-15 * 2^-15 / hidden_scale`: tanh of the cell times output gate.
    pub output: Q31Multiplier,
    /// `log2(cell_scale)`.
    pub cell_scale_power: i32,
    /// The cell clip in cell state units (TFLM truncates toward zero, saturating to int16).
    pub cell_clip: i16,
}

/// Int8 LSTM constants. The gate multipliers take the product of the two `f32` scales in `f32`
/// and divide by 2^-12 in `f64` (TFLM builds them with its fully connected helper, whose product
/// is in `f32`); the element-wise products are `f64` throughout. The cell state's scale must be
/// a power of two: TFLM's integer tanh reads it as one.
///
/// # Errors
/// [`QuantError`] on a bad scale, a cell scale that is not a power of two, or a multiplier the
/// kernel cannot apply.
pub fn lstm(
    input_scale: f32,
    weight_scales: [f32; 4],
    hidden_scale: f32,
    recurrent_scales: [f32; 4],
    cell_scale: f32,
    cell_clip: f32,
) -> Result<LstmQuant, QuantError> {
    let si = scale("input", input_scale)?;
    let sh = scale("hidden state", hidden_scale)?;
    let sc = scale("cell state", cell_scale)?;
    let (mantissa, exponent) = frexp(f64::from(sc));
    if mantissa != 0.5 {
        return Err(QuantError::OutOfRange {
            what: "lstm cell state scale (must be a power of two)",
            value: f64::from(sc),
        });
    }
    let gate = 1.0 / 4096.0;
    let pair = |g: usize| -> Result<(Q31Multiplier, Q31Multiplier), QuantError> {
        let w = scale("lstm input weights", weight_scales[g])?;
        let r = scale("lstm recurrent weights", recurrent_scales[g])?;
        Ok((
            kernel_multiplier(
                "lstm gate (input scale * weight scale / 2^-12)",
                f64::from(si * w) / gate,
            )?,
            kernel_multiplier(
                "lstm gate (hidden scale * recurrent weight scale / 2^-12)",
                f64::from(sh * r) / gate,
            )?,
        ))
    };
    let (g0, g1, g2, g3) = (pair(0)?, pair(1)?, pair(2)?, pair(3)?);
    let input = [g0.0, g1.0, g2.0, g3.0];
    let recurrent = [g0.1, g1.1, g2.1, g3.1];
    let q15 = 1.0 / 32768.0;
    let sc64 = f64::from(sc);
    if !(cell_clip.is_finite() && cell_clip >= 0.0) {
        return Err(QuantError::OutOfRange {
            what: "lstm cell clip",
            value: f64::from(cell_clip),
        });
    }
    Ok(LstmQuant {
        input,
        recurrent,
        forget: kernel_multiplier("lstm forget gate x cell state", q15 * sc64 / sc64)?,
        input_cell: kernel_multiplier("lstm input gate x cell gate", q15 * q15 / sc64)?,
        output: kernel_multiplier("lstm output gate x tanh(cell)", q15 * q15 / f64::from(sh))?,
        cell_scale_power: exponent - 1,
        cell_clip: (f64::from(cell_clip) / sc64).clamp(-32768.0, 32767.0) as i16,
    })
}

/// Constants of an int8 PRELU (TFLM `CalculatePreluParams`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreluQuant {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// `-alpha_zero_point`.
    pub alpha_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// `input_scale / output_scale` (for `x >= 0`).
    pub identity: Q31Multiplier,
    /// `input_scale * alpha_scale / output_scale` (for `x < 0`).
    pub alpha: Q31Multiplier,
}

/// Int8 PRELU constants (TFLM `CalculatePreluParams`): two multipliers, the scales converted to
/// `f64` before multiplying and dividing, as TFLM does.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, or a multiplier the kernels cannot apply.
pub fn prelu(
    input: (f32, i32),
    alpha: (f32, i32),
    output: (f32, i32),
) -> Result<PreluQuant, QuantError> {
    let si = f64::from(scale("input", input.0)?);
    let sa = f64::from(scale("alpha", alpha.0)?);
    let so = f64::from(scale("output", output.0)?);
    Ok(PreluQuant {
        input_offset: -zero_point(input.1)?,
        alpha_offset: -zero_point(alpha.1)?,
        output_offset: zero_point(output.1)?,
        identity: kernel_multiplier("prelu (input scale / output scale)", si / so)?,
        alpha: kernel_multiplier(
            "prelu (input scale * alpha scale / output scale)",
            si * sa / so,
        )?,
    })
}

/// TFLite's `DownScaleInt32ToInt16Multiplier`: a non-negative Q31 multiplier rounded to Q15.
fn q15_multiplier(m: Q31Multiplier) -> i16 {
    const ROUNDING: i32 = 1 << 15;
    let m = m.multiplier.to_bits();
    if m >= i32::MAX - ROUNDING {
        return i16::MAX;
    }
    i16::try_from((m.max(0) + ROUNDING) >> 16).unwrap_or(i16::MAX)
}

/// Int8 HARD_SWISH constants (TFLM `HardSwishPrepare`): from the high-resolution input scale
/// `input_scale / 128` to the output scale and to the gate's `3 / 32768`, as Q15 multipliers
/// and exponents (scales in `f32`, as TFLM computes them).
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, an output multiplier of 1 or more (TFLM refuses
/// such a model in `Prepare`), or a gate multiplier beyond the 16-bit scheme.
pub fn hard_swish(
    input: (f32, i32),
    output: (f32, i32),
    len: usize,
) -> Result<nn_kernels::lut::HardSwishParams, QuantError> {
    let si = scale("input", input.0)?;
    let so = scale("output", output.0)?;
    let hires = (1.0f32 / 128.0) * si;
    let reluish_scale = 3.0f32 / 32768.0;
    let out_real = f64::from(hires / so);
    let out_m = quantize_multiplier(out_real)?;
    let output_exponent = out_m.shift;
    if output_exponent > 0 {
        return Err(QuantError::OutOfRange {
            what: "hard_swish output (input scale / 128 / output scale, must be below 1)",
            value: out_real,
        });
    }
    let gate_real = f64::from(hires / reluish_scale);
    let gate_m = quantize_multiplier(gate_real)?;
    let reluish_exponent = gate_m.shift;
    if reluish_exponent > 31 {
        return Err(QuantError::OutOfRange {
            what: "hard_swish gate (input scale / 128 / (3 / 32768))",
            value: gate_real,
        });
    }
    Ok(nn_kernels::lut::HardSwishParams {
        len,
        input_zero_point: zero_point(input.1)?,
        output_zero_point: zero_point(output.1)?,
        reluish_multiplier: q15_multiplier(gate_m),
        reluish_exponent,
        output_multiplier: q15_multiplier(out_m),
        output_exponent,
    })
}

/// Int8 RELU6 bounds (TFLM `Relu6Prepare`): no requantisation; the raw input is clamped to
/// `[input_zero_point, round(6 / input_scale) + input_zero_point]` (division in `f32`, upper
/// bound clamped into int8).
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point.
pub fn relu6(input_scale: f32, input_zero_point: i32) -> Result<(i8, i8), QuantError> {
    let s = scale("input", input_scale)?;
    let zp = zero_point(input_zero_point)?;
    let six = f64::from((6.0f32 / s).round()) + f64::from(zp);
    let six = six.clamp(f64::from(i8::MIN), f64::from(i8::MAX)) as i8;
    Ok((zp as i8, six))
}

/// Which int8 MEAN path TFLM takes, with its constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeanQuant {
    /// Same scale and zero point in and out: integer mean, truncating division.
    Same,
    /// Otherwise: `(sum - input_zero_point * count)` requantised by `multiplier`/`shift`, plus the
    /// output zero point.
    Requant {
        /// Q31 multiplier of `input_scale / output_scale / count`, with its shift.
        multiplier: Q31Multiplier,
        /// Input zero point.
        input_zero_point: i32,
        /// Output zero point.
        output_zero_point: i32,
    },
}

/// Int8 MEAN constants (TFLM `EvalIntegerMean` and `QuantizedMeanOrSum`), for a reduction over
/// `count` elements per output. The ratio `s_in / s_out` is quantised in `f64`; then TFLM folds
/// `1 / count` into the multiplier: `k = min(floor(log2 count), 32, 31 + shift)`,
/// `multiplier' = (multiplier << k) / count` (integer division), `shift' = shift - k`.
///
/// # Errors
/// [`QuantError`] on a bad scale or zero point, or a zero count.
pub fn mean(
    input_scale: f32,
    input_zero_point: i32,
    output_scale: f32,
    output_zero_point: i32,
    count: usize,
) -> Result<MeanQuant, QuantError> {
    let si = scale("input", input_scale)?;
    let so = scale("output", output_scale)?;
    let zi = zero_point(input_zero_point)?;
    let zo = zero_point(output_zero_point)?;
    if zi == zo && si == so {
        return Ok(MeanQuant::Same);
    }
    let n = i64::try_from(count)
        .ok()
        .filter(|&n| n > 0)
        .ok_or(QuantError::OutOfRange {
            what: "mean element count",
            value: count as f64,
        })?;
    let real = f64::from(si) / f64::from(so);
    let (m, s) = quantize_multiplier(real)?.to_raw();
    let k = (63 - n.leading_zeros() as i32).min(32).min(31 + s).max(0);
    let multiplier = ((i64::from(m) << k) / n) as i32;
    // Folding `1 / count` in lowers the shift; what is left must be one the kernel applies.
    if s - k > 31 {
        return Err(QuantError::ShiftOutOfRange {
            what: "mean (input scale / output scale / element count)",
            value: real / count as f64,
            shift: s - k,
        });
    }
    Ok(MeanQuant::Requant {
        multiplier: Q31Multiplier::from_raw((multiplier, s - k)),
        input_zero_point: zi,
        output_zero_point: zo,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn q31_multiplier_is_the_real_multiplier() {
        // Read through its type, multiplier 2^shift is the real multiplier within half a Q31
        // ulp (times 2^shift), and the bits are quantize_multiplier's.
        for real in [
            1e-9,
            0.000_123,
            0.25,
            0.5,
            0.75,
            0.999_999_999_9,
            1.0,
            3.5,
            1234.5,
        ] {
            let m = quantize_multiplier(real).unwrap();
            let scale = 2f64.powi(m.shift);
            let approx = m.multiplier.to_num::<f64>() * scale;
            assert!(
                (approx - real).abs() <= 2f64.powi(-32) * scale,
                "{real}: {approx}"
            );
        }
        assert!(quantize_multiplier(f64::NAN).is_err());
    }

    #[test]
    fn frexp_matches_definition() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(frexp(f64::MIN_POSITIVE / 4.0), (0.5, -1023));
    }

    #[test]
    fn quantize_multiplier_cases() {
        assert_eq!(
            quantize_multiplier(0.5).map(Q31Multiplier::to_raw),
            Ok((1 << 30, 0))
        );
        assert_eq!(
            quantize_multiplier(1.0).map(Q31Multiplier::to_raw),
            Ok((1 << 30, 1))
        );
        assert_eq!(
            quantize_multiplier(0.75).map(Q31Multiplier::to_raw),
            Ok((1_610_612_736, 0))
        );
        // The significand rounds up to 2^31: halved, exponent + 1.
        assert_eq!(
            quantize_multiplier(1.0 - 2f64.powi(-40)).map(Q31Multiplier::to_raw),
            Ok((1 << 30, 1))
        );
        // Below 2^-32 the shift would be < -31: flushed to zero.
        assert_eq!(
            quantize_multiplier(2f64.powi(-40)).map(Q31Multiplier::to_raw),
            Ok((0, 0))
        );
        assert_eq!(
            quantize_multiplier(0.0).map(Q31Multiplier::to_raw),
            Ok((0, 0))
        );
        assert!(quantize_multiplier(f64::NAN).is_err());
    }

    #[test]
    fn activation_ranges() {
        assert_eq!(
            activation_range(Activation::None, 0.5, -10),
            Ok((-128, 127))
        );
        assert_eq!(activation_range(Activation::Relu, 0.5, -10), Ok((-10, 127)));
        assert_eq!(activation_range(Activation::Relu6, 0.5, -10), Ok((-10, 2)));
        assert_eq!(activation_range(Activation::ReluN1To1, 0.5, 0), Ok((-2, 2)));
        assert!(activation_range(Activation::Relu, 0.0, 0).is_err());
        assert!(activation_range(Activation::Relu, f32::NAN, 0).is_err());
    }

    #[test]
    fn add_constants() {
        let q = add([0.5, 0.25], [1, -2], 1.0, 3, Activation::None).unwrap();
        assert_eq!(
            q.input.map(Q31Multiplier::to_raw),
            [(1 << 30, 0), (1 << 30, -1)]
        );
        assert_eq!(q.output.to_raw(), (1 << 30, -19));
        assert_eq!(q.input_offset, [-1, 2]);
        assert_eq!(q.left_shift, 20);
    }

    #[test]
    fn softmax_sigmoid_mul_constants() {
        // 1/16 * 2^26 = 2^22 -> (2^30, 23); radius floor(31 * 2^26 / 2^23) = 248.
        assert_eq!(
            softmax(1.0, 0.0625),
            Ok(SoftmaxQuant {
                input_multiplier: Q31Multiplier::from_raw((1 << 30, 23)),
                diff_min: -248
            })
        );
        // 1/32 * 2^27 = 2^22 -> (2^30, 23); radius floor(15 * 2^27 / 2^23) = 240.
        assert_eq!(
            sigmoid(0.03125, -3),
            Ok(SigmoidQuant {
                input_zero_point: -3,
                input_multiplier: Q31Multiplier::from_raw((1 << 30, 23)),
                input_range_radius: 240
            })
        );
        assert_eq!(
            mul([0.5, 0.5], 0.125).map(Q31Multiplier::to_raw),
            Ok((1 << 30, 2))
        );
        assert_eq!(
            requantize(0.5, 0.25).map(Q31Multiplier::to_raw),
            Ok((1 << 30, 2))
        );
    }

    #[test]
    fn relu_and_mean() {
        assert_eq!(
            relu(0.5, 0.25, -100),
            Ok(ReluQuant {
                multiplier: Q31Multiplier::from_raw((1 << 30, 2)),
                act: (-100, 127)
            })
        );
        // 6 / 0.5 = 12, + zp 3 = 15; 6 / 0.01 = 600 clamps to 127.
        assert_eq!(relu6(0.5, 3), Ok((3, 15)));
        assert_eq!(relu6(0.01, 3), Ok((3, 127)));
        assert_eq!(mean(0.5, 1, 0.5, 1, 4), Ok(MeanQuant::Same));
        // ratio 2 -> (2^30, 2); count 4: k = 2, multiplier 2^32 / 4 = 2^30, shift 0.
        assert_eq!(
            mean(0.5, 2, 0.25, 1, 4),
            Ok(MeanQuant::Requant {
                multiplier: Q31Multiplier::from_raw((1 << 30, 0)),
                input_zero_point: 2,
                output_zero_point: 1
            })
        );
        // count 3: k = 1, multiplier 2^31 / 3 = 715827882, shift 1.
        assert_eq!(
            mean(0.5, 2, 0.25, 1, 3),
            Ok(MeanQuant::Requant {
                multiplier: Q31Multiplier::from_raw((715_827_882, 1)),
                input_zero_point: 2,
                output_zero_point: 1
            })
        );
    }

    /// Issue 16, item 4: a multiplier of 2^31 or more needs a shift above 31, which every int8
    /// kernel refuses; each helper reports it instead of returning the constant.
    #[test]
    fn shifts_beyond_31_are_errors() {
        assert_eq!(
            quantize_multiplier(2f64.powi(40)).map(Q31Multiplier::to_raw),
            Ok((1 << 30, 41))
        );
        assert_eq!(
            kernel_multiplier("x", 2f64.powi(31) - 1.0).map(Q31Multiplier::to_raw),
            Ok((i32::MAX, 31))
        );
        assert!(matches!(
            kernel_multiplier("x", 2f64.powi(31)),
            Err(QuantError::ShiftOutOfRange { shift: 32, .. })
        ));
        let big = |r: Result<(), QuantError>| matches!(r, Err(QuantError::ShiftOutOfRange { shift, .. }) if shift > 31);
        assert!(big(conv_multipliers(1.0, &[1e10], 1e-3, 2).map(|_| ())));
        assert!(big(
            fully_connected_multipliers(1.0, &[1e10], 1e-3, 2).map(|_| ())
        ));
        assert!(big(mul([1e6, 1e6], 1e-3).map(|_| ())));
        assert!(big(requantize(1e10, 1e-3).map(|_| ())));
        assert!(big(relu(1e10, 1e-3, 0).map(|_| ())));
        assert!(big(mean(1e10, 0, 1e-3, 0, 4).map(|_| ())));
        // Folding the count in brings a shift of 33 back to 31: accepted.
        assert!(matches!(
            mean(2f32.powi(32), 0, 1.0, 0, 4),
            Ok(MeanQuant::Requant { multiplier, .. }) if multiplier.shift == 31
        ));
        let msg = conv_multipliers(1.0, &[1e10], 1e-3, 1)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("multiplier is 1.000e13, which needs a shift of 44"),
            "{msg}"
        );
    }

    #[test]
    fn sigmoid16_input_scaling() {
        let q15 = 1.0 / 32768.0;
        // Power-of-two input scales: multiplier 0 (2^-11 only for tanh).
        assert_eq!(sigmoid16(1.0 / 4096.0, 0, q15, 0, false).unwrap(), (0, 0));
        assert_eq!(sigmoid16(1.0 / 2048.0, 0, q15, 0, true).unwrap(), (0, 1));
        // Otherwise scale * 3 * 4096 doubled past 16383.5, truncated: 2^-11 * 12288 = 6 ->
        // 24576 after 12 doublings; 0.001 * 12288 = 12.288 -> 25165.8 after 11.
        assert_eq!(
            sigmoid16(1.0 / 2048.0, 0, q15, 0, false).unwrap(),
            (24576, 12)
        );
        assert_eq!(sigmoid16(0.001, 0, q15, 0, false).unwrap(), (25165, 11));
        assert!(sigmoid16(0.001, 3, q15, 0, false).is_err());
        assert!(sigmoid16(0.001, 0, 1.0 / 256.0, 0, true).is_err());
    }

    #[test]
    fn lstm_constants() {
        let q = lstm(0.5, [0.25; 4], 1.0 / 128.0, [0.5; 4], 1.0 / 2048.0, 0.75).unwrap();
        // 0.5 * 0.25 / 2^-12 = 512 = 0.5 * 2^10.
        assert_eq!(q.input[0].to_raw(), (1 << 30, 10));
        assert_eq!(q.forget.to_raw(), (1 << 30, -14));
        assert_eq!(q.cell_scale_power, -11);
        assert_eq!(q.cell_clip, 1536);
        assert!(lstm(0.5, [0.25; 4], 1.0 / 128.0, [0.5; 4], 0.001, 0.0).is_err());
    }

    #[test]
    fn per_channel_and_fc() {
        let c = conv_multipliers(0.5, &[0.5, 0.25], 0.125, 2).unwrap();
        assert_eq!(c.raw_multipliers(), vec![1 << 30, 1 << 30]);
        assert_eq!(c.shifts(), vec![2, 1]);
        let b = conv_multipliers(0.5, &[0.5], 0.125, 3).unwrap();
        assert_eq!(b.shifts(), vec![2, 2, 2]);
        assert!(conv_multipliers(0.5, &[0.5, 0.5], 0.125, 3).is_err());
        assert!(conv_multipliers(0.5, &[-0.5], 0.125, 1).is_err());
        let f = fully_connected_multipliers(0.5, &[0.5], 0.125, 4).unwrap();
        assert_eq!((f.raw_multipliers(), f.shifts()), (vec![1 << 30], vec![2]));
    }
}
