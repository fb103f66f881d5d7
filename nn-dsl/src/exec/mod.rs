//! The host executor: runs a lowered module through `nn_kernels`' portable kernels.
//!
//! This is the reference every generated target is compared with, and what `nndc run` uses. Each
//! tensor gets its own `Vec` buffer; nodes run in the module's schedule (arena) order with the
//! constants of [`crate::lower`]. Nothing is derived here: every number a kernel sees comes from
//! [`Lowered`].
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use nn_dsl::exec::{self, TensorData};
//! use nn_dsl::ir::{Quant, Module};
//! let (mut module, _) = nn_dsl::check::check_source(
//!     "network R { input x: i8[4]; let y = relu(x); output y; }",
//! )
//! .map_err(|d| format!("{d:?}"))?;
//! for h in module.tensors.handles().collect::<Vec<_>>() {
//!     module.tensors[h].quant = Some(Quant { scale: vec![0.5], zero_point: vec![-3], axis: None });
//! }
//! let lowered = nn_dsl::lower::lower(&module, &Default::default())?;
//! let out = exec::run(&module, &lowered, &[TensorData::I8(vec![-10, -3, 0, 7])])?;
//! assert_eq!(out, vec![TensorData::I8(vec![-3, -3, 0, 7])]);
//! # Ok(())
//! # }
//! ```

use thiserror::Error;

use nn_kernels::KernelError;

use crate::ir::{DType, Module, Tensor};
use crate::lower::{Lowered, NodeParams};

/// The data of one tensor on the host.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// Int8 (quantised) values.
    I8(Vec<i8>),
    /// Int16 (quantised, TFLite's 16x8 scheme) values.
    I16(Vec<i16>),
    /// Float values.
    F32(Vec<f32>),
}

impl TensorData {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            TensorData::I8(_) => DType::I8,
            TensorData::I16(_) => DType::I16,
            TensorData::F32(_) => DType::F32,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::I8(v) => v.len(),
            TensorData::I16(v) => v.len(),
            TensorData::F32(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The int8 values, if this is int8 data.
    pub fn as_i8(&self) -> Option<&[i8]> {
        match self {
            TensorData::I8(v) => Some(v),
            _ => None,
        }
    }

    /// The int16 values, if this is int16 data.
    pub fn as_i16(&self) -> Option<&[i16]> {
        match self {
            TensorData::I16(v) => Some(v),
            _ => None,
        }
    }

    /// The float values, if this is float data.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match self {
            TensorData::F32(v) => Some(v),
            _ => None,
        }
    }

    fn zeros(t: &Tensor) -> Result<TensorData, ExecError> {
        match t.dtype {
            DType::I8 => Ok(TensorData::I8(filled(t.elements(), 0, &t.name)?)),
            DType::I16 => Ok(TensorData::I16(filled(t.elements(), 0, &t.name)?)),
            DType::F32 => Ok(TensorData::F32(filled(t.elements(), 0.0, &t.name)?)),
            DType::I32 => Err(ExecError::DType {
                tensor: t.name.clone(),
                dtype: t.dtype,
            }),
        }
    }

    /// A copy, or [`ExecError::Alloc`] naming `tensor` when the host has no memory for it.
    fn try_clone(&self, tensor: &str) -> Result<TensorData, ExecError> {
        Ok(match self {
            TensorData::I8(v) => TensorData::I8(copied(v, tensor)?),
            TensorData::I16(v) => TensorData::I16(copied(v, tensor)?),
            TensorData::F32(v) => TensorData::F32(copied(v, tensor)?),
        })
    }
}

/// `n` copies of `value`, or [`ExecError::Alloc`] when the host cannot allocate them (instead of
/// aborting the process, which is what `vec![value; n]` does).
fn filled<T: Copy>(n: usize, value: T, tensor: &str) -> Result<Vec<T>, ExecError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| ExecError::Alloc {
        tensor: tensor.to_owned(),
        bytes: n.saturating_mul(std::mem::size_of::<T>()),
    })?;
    v.resize(n, value);
    Ok(v)
}

/// A copy of `values`, or [`ExecError::Alloc`] when the host cannot allocate it.
fn copied<T: Copy>(values: &[T], tensor: &str) -> Result<Vec<T>, ExecError> {
    let mut v = Vec::new();
    v.try_reserve_exact(values.len())
        .map_err(|_| ExecError::Alloc {
            tensor: tensor.to_owned(),
            bytes: std::mem::size_of_val(values),
        })?;
    v.extend_from_slice(values);
    Ok(v)
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExecError {
    /// The number of inputs differs from the module's.
    #[error("the network takes {expected} input(s), {found} given")]
    InputCount {
        /// Graph inputs.
        expected: usize,
        /// Inputs passed.
        found: usize,
    },
    /// An input has the wrong element type.
    #[error("input `{input}` is {expected}, but {found} data was given")]
    InputDType {
        /// Input tensor name.
        input: String,
        /// Its dtype.
        expected: DType,
        /// The data's dtype.
        found: DType,
    },
    /// An input has the wrong number of elements.
    #[error("input `{input}` has {expected} elements, but {found} were given")]
    InputLength {
        /// Input tensor name.
        input: String,
        /// Its element count.
        expected: usize,
        /// The data's element count.
        found: usize,
    },
    /// The lowering does not belong to this module.
    #[error("the lowering has {found} nodes, the module {expected}")]
    Mismatch {
        /// Nodes in the module.
        expected: usize,
        /// Lowered nodes.
        found: usize,
    },
    /// A tensor's element type has no host buffer (i32 activations).
    #[error("tensor `{tensor}` has dtype {dtype}, which the host executor does not run")]
    DType {
        /// Tensor name.
        tensor: String,
        /// Its dtype.
        dtype: DType,
    },
    /// A node's input or output is not what its lowering expects (a handle out of range, a
    /// tensor of the wrong dtype, or a lowering that does not fit the op).
    #[error("node `{node}`: {reason}")]
    Malformed {
        /// Node name.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// A kernel rejected its parameters or buffers.
    #[error("node `{node}` ({op}): kernel error: {error}")]
    Kernel {
        /// Node name.
        node: String,
        /// Operator name.
        op: &'static str,
        /// The kernel's error (`no_std`, so not an `Error` source).
        error: KernelError,
    },
    /// The host cannot allocate a tensor's buffer.
    #[error("cannot allocate {bytes} bytes on the host for tensor `{tensor}`")]
    Alloc {
        /// Tensor name.
        tensor: String,
        /// The bytes requested.
        bytes: usize,
    },
    /// An input or output has no usable quantisation for a float conversion.
    #[error("tensor `{tensor}`: {reason}")]
    Quant {
        /// Tensor name.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
}

/// The state of a module's stateful layers (SVDF, LSTM) kept between runs on a stream: buffers
/// per stateful node, starting at their zero points ([`ExecState::reset`] returns there).
#[derive(Clone, Debug, PartialEq)]
pub struct ExecState {
    /// Per lowered node: its state.
    slots: Vec<Slot>,
}

/// The state of one node.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    /// A stateless node.
    None,
    /// An SVDF's memory (the time weights' type).
    Svdf(TensorData),
    /// An LSTM's hidden (int8) and cell (int16) states.
    Lstm { hidden: Vec<i8>, cell: Vec<i16> },
}

impl ExecState {
    /// The reset state of every stateful layer of `lowered`.
    ///
    /// # Errors
    /// [`ExecError::Alloc`] if the host cannot allocate a state buffer.
    pub fn new(lowered: &Lowered) -> Result<ExecState, ExecError> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(lowered.nodes.len())
            .map_err(|_| ExecError::Alloc {
                tensor: "state".into(),
                bytes: lowered.nodes.len(),
            })?;
        for params in &lowered.nodes {
            let slot = match params {
                NodeParams::Lstm(l) => {
                    let (mut hidden, mut cell) = (
                        filled(l.params.units, 0i8, "hidden state")?,
                        filled(l.params.units, 0i16, "cell state")?,
                    );
                    nn_kernels::lstm::lstm_reset(
                        &mut hidden,
                        &mut cell,
                        l.params.hidden_zero_point,
                    );
                    Slot::Lstm { hidden, cell }
                }
                NodeParams::Svdf(s) => {
                    let len = s.params.state_len().unwrap_or(0);
                    let z = s.params.state_zero_point;
                    Slot::Svdf(match s.time {
                        crate::lower::TimeWeights::I8(_) => {
                            let z = i8::try_from(z).unwrap_or(0);
                            TensorData::I8(filled(len, z, "state")?)
                        }
                        crate::lower::TimeWeights::I16(_) => {
                            let z = i16::try_from(z).unwrap_or(0);
                            TensorData::I16(filled(len, z, "state")?)
                        }
                    })
                }
                _ => Slot::None,
            };
            slots.push(slot);
        }
        Ok(ExecState { slots })
    }

    /// True if the module has a stateful layer.
    pub fn is_stateful(&self) -> bool {
        self.slots.iter().any(|s| *s != Slot::None)
    }

    /// Back to the start of a stream: every state element its zero point.
    pub fn reset(&mut self, lowered: &Lowered) {
        for (slot, params) in self.slots.iter_mut().zip(&lowered.nodes) {
            match (slot, params) {
                (Slot::Svdf(data), NodeParams::Svdf(s)) => {
                    let z = s.params.state_zero_point;
                    match data {
                        TensorData::I8(v) => nn_kernels::svdf::svdf_reset(v, z),
                        TensorData::I16(v) => nn_kernels::svdf::svdf_reset(v, z),
                        TensorData::F32(_) => {}
                    }
                }
                (Slot::Lstm { hidden, cell }, NodeParams::Lstm(l)) => {
                    nn_kernels::lstm::lstm_reset(hidden, cell, l.params.hidden_zero_point);
                }
                _ => {}
            }
        }
    }
}

/// Runs `module` on `inputs` (one per graph input, in order) and returns the graph outputs in
/// order. A stateful layer starts from its reset state (one step of a new stream; see
/// [`run_with_state`] to continue a stream).
///
/// # Errors
/// [`ExecError`] on inputs that do not fit the module, a lowering of another module, a kernel
/// that rejects its arguments (which a lowering of this module never causes), or a tensor the
/// host cannot allocate ([`ExecError::Alloc`]; nothing here aborts on a failed allocation).
pub fn run(
    module: &Module,
    lowered: &Lowered,
    inputs: &[TensorData],
) -> Result<Vec<TensorData>, ExecError> {
    let mut state = ExecState::new(lowered)?;
    run_with_state(module, lowered, inputs, &mut state)
}

/// [`run`] as one step of a stream: stateful layers read and update `state`.
///
/// # Errors
/// As [`run`]; [`ExecError::Mismatch`] if `state` was made for another lowering.
pub fn run_with_state(
    module: &Module,
    lowered: &Lowered,
    inputs: &[TensorData],
    state: &mut ExecState,
) -> Result<Vec<TensorData>, ExecError> {
    if state.slots.len() != lowered.nodes.len() {
        return Err(ExecError::Mismatch {
            expected: lowered.nodes.len(),
            found: state.slots.len(),
        });
    }
    if inputs.len() != module.inputs.len() {
        return Err(ExecError::InputCount {
            expected: module.inputs.len(),
            found: inputs.len(),
        });
    }
    if lowered.nodes.len() != module.nodes.len() {
        return Err(ExecError::Mismatch {
            expected: module.nodes.len(),
            found: lowered.nodes.len(),
        });
    }
    let mut buffers: Vec<Option<TensorData>> = vec![None; module.tensors.len()];
    for (&h, data) in module.inputs.iter().zip(inputs) {
        let t = tensor(module, h, "graph input")?;
        if data.dtype() != t.dtype {
            return Err(ExecError::InputDType {
                input: t.name.clone(),
                expected: t.dtype,
                found: data.dtype(),
            });
        }
        if data.len() != t.elements() {
            return Err(ExecError::InputLength {
                input: t.name.clone(),
                expected: t.elements(),
                found: data.len(),
            });
        }
        if let Some(slot) = buffers.get_mut(h.index()) {
            *slot = Some(data.try_clone(&t.name)?);
        }
    }
    for (((_, node), params), slot) in module
        .nodes
        .iter()
        .zip(&lowered.nodes)
        .zip(&mut state.slots)
    {
        let out_t = tensor(module, node.output, &node.name)?;
        let mut out = TensorData::zeros(out_t)?;
        {
            let ins: Vec<&TensorData> = node
                .inputs
                .iter()
                .map(|&h| {
                    buffers
                        .get(h.index())
                        .and_then(Option::as_ref)
                        .ok_or_else(|| ExecError::Malformed {
                            node: node.name.clone(),
                            reason: "an input is read before it is written".into(),
                        })
                })
                .collect::<Result<_, _>>()?;
            match (params, slot) {
                (NodeParams::Svdf(s), Slot::Svdf(st)) => {
                    svdf_step(&node.name, s, &ins, st, &mut out)?;
                }
                (NodeParams::Lstm(l), Slot::Lstm { hidden, cell }) => {
                    let x = i8_in(&node.name, &ins, 0)?;
                    let TensorData::I8(o) = &mut out else {
                        return Err(ExecError::Malformed {
                            node: node.name.clone(),
                            reason: "the output of an lstm is not int8".into(),
                        });
                    };
                    let (p, w, r, b) = (&l.params, &l.input_weights, &l.recurrent_weights, &l.bias);
                    nn_kernels::lstm::lstm_s8(p, x, w, r, b, hidden, cell, o).map_err(|error| {
                        ExecError::Kernel {
                            node: node.name.clone(),
                            op: "lstm",
                            error,
                        }
                    })?;
                }
                _ => step(&node.name, node.op.name(), params, &ins, &mut out)?,
            }
        }
        if let Some(slot) = buffers.get_mut(node.output.index()) {
            *slot = Some(out);
        }
    }
    module
        .outputs
        .iter()
        .map(|(name, h)| {
            buffers
                .get(h.index())
                .and_then(Option::as_ref)
                .ok_or_else(|| ExecError::Malformed {
                    node: name.clone(),
                    reason: "output never written".into(),
                })?
                .try_clone(name)
        })
        .collect()
}

/// [`run`] for a network whose inputs and outputs are all int8.
///
/// # Errors
/// As [`run`]; [`ExecError::DType`] when an output is not int8.
pub fn run_i8(
    module: &Module,
    lowered: &Lowered,
    inputs: &[&[i8]],
) -> Result<Vec<Vec<i8>>, ExecError> {
    let data: Vec<TensorData> = inputs
        .iter()
        .zip(&module.inputs)
        .map(|(x, &h)| {
            let name = module.tensors.get(h).map_or("", |t| t.name.as_str());
            copied(x, name).map(TensorData::I8)
        })
        .collect::<Result<_, _>>()?;
    let outputs = run(module, lowered, &data)?;
    module
        .outputs
        .iter()
        .zip(outputs)
        .map(|((name, _), d)| match d {
            TensorData::I8(v) => Ok(v),
            other => Err(ExecError::DType {
                tensor: name.clone(),
                dtype: other.dtype(),
            }),
        })
        .collect()
}

fn tensor<'m>(
    module: &'m Module,
    h: crate::ir::Handle<Tensor>,
    what: &str,
) -> Result<&'m Tensor, ExecError> {
    module.tensors.get(h).ok_or_else(|| ExecError::Malformed {
        node: what.to_string(),
        reason: "dangling tensor handle".into(),
    })
}

fn i8_in<'a>(node: &str, ins: &[&'a TensorData], i: usize) -> Result<&'a [i8], ExecError> {
    ins.get(i)
        .and_then(|d| d.as_i8())
        .ok_or_else(|| ExecError::Malformed {
            node: node.to_string(),
            reason: format!("input {i} is missing or not int8"),
        })
}

/// The second operand of ADD / MUL / SUB: the constant, or the node's second input.
fn operand<'a>(
    node: &str,
    b: &'a crate::lower::BinaryLowered,
    ins: &[&'a TensorData],
) -> Result<&'a [i8], ExecError> {
    match &b.b_constant {
        Some(c) => Ok(c.as_slice()),
        None => i8_in(node, ins, 1),
    }
}

/// One step of an SVDF: reads and updates its state.
fn svdf_step(
    node: &str,
    s: &crate::lower::SvdfLowered,
    ins: &[&TensorData],
    state: &mut TensorData,
    out: &mut TensorData,
) -> Result<(), ExecError> {
    use crate::lower::TimeWeights;
    use nn_kernels::svdf::svdf_s8;
    let x = i8_in(node, ins, 0)?;
    let malformed = |reason: &str| ExecError::Malformed {
        node: node.to_string(),
        reason: reason.to_string(),
    };
    let TensorData::I8(o) = out else {
        return Err(malformed("the output of an svdf is not int8"));
    };
    let (p, w, b) = (&s.params, &s.weights, s.bias.as_deref());
    let r = match (&s.time, state) {
        (TimeWeights::I8(t), TensorData::I8(st)) => svdf_s8(p, x, w, t, b, st, o),
        (TimeWeights::I16(t), TensorData::I16(st)) => svdf_s8(p, x, w, t, b, st, o),
        _ => return Err(malformed("the state's type differs from the time weights'")),
    };
    r.map_err(|error| ExecError::Kernel {
        node: node.to_string(),
        op: "svdf",
        error,
    })
}

/// Runs one node's kernel.
fn step(
    node: &str,
    op: &'static str,
    params: &NodeParams,
    ins: &[&TensorData],
    out: &mut TensorData,
) -> Result<(), ExecError> {
    use nn_kernels as k;
    let kernel = |error: KernelError| ExecError::Kernel {
        node: node.to_string(),
        op,
        error,
    };
    let malformed = |reason: &str| ExecError::Malformed {
        node: node.to_string(),
        reason: reason.to_string(),
    };
    if let (NodeParams::Dequantize(p), TensorData::F32(o)) = (params, &mut *out) {
        let x = i8_in(node, ins, 0)?;
        return k::dequantize::dequantize_s8_f32(p, x, o).map_err(kernel);
    }
    if let NodeParams::Quantize(p) = params {
        let x = ins
            .first()
            .and_then(|d| d.as_f32())
            .ok_or_else(|| malformed("quantize input is not f32"))?;
        let TensorData::I8(o) = out else {
            return Err(malformed("quantize output is not int8"));
        };
        return k::quantize::quantize_f32_s8(p, x, o).map_err(kernel);
    }
    if let NodeParams::Copy { .. } = params {
        let x = ins
            .first()
            .ok_or_else(|| malformed("reshape has no input"))?;
        return match (x, &mut *out) {
            (TensorData::I8(x), TensorData::I8(o)) if x.len() == o.len() => {
                o.copy_from_slice(x);
                Ok(())
            }
            (TensorData::I16(x), TensorData::I16(o)) if x.len() == o.len() => {
                o.copy_from_slice(x);
                Ok(())
            }
            (TensorData::F32(x), TensorData::F32(o)) if x.len() == o.len() => {
                o.copy_from_slice(x);
                Ok(())
            }
            _ => Err(malformed("reshape changes the dtype or the size")),
        };
    }
    if let NodeParams::S16(p) = params {
        return step_s16(p, ins, out, malformed)?.map_err(kernel);
    }
    if let NodeParams::Q15(p) = params {
        return step_q15(p, ins, out, malformed)?.map_err(kernel);
    }
    // Data movement of int16 (16x8) tensors: the int8 constants, the int16 kernels.
    if let (TensorData::I16(o), Some(TensorData::I16(x))) = (&mut *out, ins.first()) {
        let r = match params {
            NodeParams::Pad(p) => k::pad::pad_s16(&p.params(), x, o),
            NodeParams::ResizeNearest(p) => k::resize::resize_nearest_s16(&p.params(), x, o),
            NodeParams::StridedSlice(p) => k::strided_slice::strided_slice_s16(&p.params(), x, o),
            NodeParams::Concat(c) => {
                let slices: Vec<&[i16]> = ins
                    .iter()
                    .map(|d| {
                        d.as_i16()
                            .ok_or_else(|| malformed("a concat input is not int16"))
                    })
                    .collect::<Result<_, _>>()?;
                k::concat::concat_s16(&c.params(), &slices, o)
            }
            _ => return Err(malformed("an int8 kernel given int16 tensors")),
        };
        return r.map_err(kernel);
    }
    let TensorData::I8(o) = out else {
        return Err(malformed("the output of an int8 kernel is not int8"));
    };
    let x = || i8_in(node, ins, 0);
    let operand = |b| operand(node, b, ins);
    let r = match params {
        NodeParams::Conv2d(c) => k::conv2d::conv2d_grouped_s8(
            &c.params(),
            c.groups,
            x()?,
            &c.weights,
            c.bias.as_deref(),
            o,
        ),
        NodeParams::TransposeConv2d(c) => k::transpose_conv::transpose_conv_s8(
            &c.params(),
            x()?,
            &c.weights,
            c.bias.as_deref(),
            o,
        ),
        NodeParams::DepthwiseConv2d(c) => k::depthwise_conv2d::depthwise_conv2d_s8(
            &c.params(),
            x()?,
            &c.weights,
            c.bias.as_deref(),
            o,
        ),
        NodeParams::Dense(c) => k::fully_connected::fully_connected_s8(
            &c.params(),
            x()?,
            &c.weights,
            c.bias.as_deref(),
            o,
        ),
        NodeParams::MaxPool2d(p) => k::max_pool2d::max_pool2d_s8(p, x()?, o),
        NodeParams::AvgPool2d(p) => k::avg_pool2d::avg_pool2d_s8(p, x()?, o),
        NodeParams::Mean(m) => k::mean::mean_s8(&m.params(), x()?, o),
        NodeParams::Add(b) => k::add::add_s8(&b.add_params(), x()?, operand(b)?, o),
        NodeParams::Mul(b) => k::mul::mul_s8(&b.mul_params(), x()?, operand(b)?, o),
        NodeParams::Sub(b) => k::add::sub_s8(&b.add_params(), x()?, operand(b)?, o),
        NodeParams::Maximum(m) => k::minmax::maximum_s8(&m.params(), x()?, i8_in(node, ins, 1)?, o),
        NodeParams::Minimum(m) => k::minmax::minimum_s8(&m.params(), x()?, i8_in(node, ins, 1)?, o),
        NodeParams::Prelu(p) => k::prelu::prelu_s8(&p.params(), x()?, &p.alpha, o),
        NodeParams::Svdf(_) => return Err(malformed("an svdf run without its state")),
        NodeParams::Lstm(_) => return Err(malformed("an lstm run without its state")),
        NodeParams::Concat(c) => {
            let slices: Vec<&[i8]> = (0..ins.len())
                .map(|i| i8_in(node, ins, i))
                .collect::<Result<_, _>>()?;
            k::concat::concat_s8(&c.params(), &slices, o)
        }
        NodeParams::Pad(p) => k::pad::pad_s8(&p.params(), x()?, o),
        NodeParams::ResizeNearest(p) => k::resize::resize_nearest_s8(&p.params(), x()?, o),
        NodeParams::StridedSlice(p) => k::strided_slice::strided_slice_s8(&p.params(), x()?, o),
        NodeParams::Relu(p) => k::relu::relu_s8(p, x()?, o),
        NodeParams::Relu6(p) => k::relu::relu6_s8(p, x()?, o),
        NodeParams::Lut(p) => k::lut::lut_s8(p, x()?, o),
        NodeParams::Logistic(p) => k::logistic::logistic_s8(p, x()?, o),
        NodeParams::Tanh(p) => k::tanh::tanh_s8(p, x()?, o),
        NodeParams::Softmax(p) => k::softmax::softmax_s8(p, x()?, o),
        NodeParams::Requantize(p) => k::requantize::requantize_s8(p, x()?, o),
        NodeParams::Q7Conv2d(c) => {
            k::q7q15::convolve_hwc_q7(&c.window, &c.shifts, x()?, &c.weights, &c.bias, o)
        }
        NodeParams::Q7DepthwiseConv2d(c) => {
            k::q7q15::depthwise_conv_hwc_q7(&c.window, &c.shifts, x()?, &c.weights, &c.bias, o)
        }
        NodeParams::Q7Dense(d) => {
            k::q7q15::fully_connected_q7(&d.shifts, x()?, &d.weights, &d.bias, o)
        }
        NodeParams::Q7AvgPool2d(w) => k::q7q15::avepool_hwc_q7(w, x()?, o),
        NodeParams::Q7Softmax { depth, .. } => k::q7q15::softmax_q7_rows(*depth, x()?, o),
        NodeParams::Q7Activation {
            function,
            int_width,
        } => k::q7q15::activations_direct_q7_copy(x()?, o, *int_width, *function),
        NodeParams::Quantize(_)
        | NodeParams::Dequantize(_)
        | NodeParams::Copy { .. }
        | NodeParams::S16(_)
        | NodeParams::Q15(_) => {
            return Err(malformed("conversion with the wrong output dtype"));
        }
    };
    r.map_err(kernel)
}

/// Runs one layer of a q15 network; `malformed` reports operands of the wrong type.
fn step_q15(
    p: &crate::lower::Q15Params,
    ins: &[&TensorData],
    out: &mut TensorData,
    malformed: impl Fn(&str) -> ExecError,
) -> Result<Result<(), KernelError>, ExecError> {
    use crate::lower::{Q15Params as P, Q15Weights};
    use nn_kernels::q7q15 as k;
    let x = ins
        .first()
        .and_then(|d| d.as_i16())
        .ok_or_else(|| malformed("the input of a q15 layer is missing or not int16"))?;
    let TensorData::I16(o) = out else {
        return Err(malformed("the output of a q15 layer is not int16"));
    };
    Ok(match p {
        P::Conv2d(c) => k::convolve_hwc_q15(&c.window, &c.shifts, x, &c.weights, &c.bias, o),
        P::Dense(d) => match &d.weights {
            Q15Weights::Q15 { weights, bias } => {
                k::fully_connected_q15(&d.shifts, x, weights, bias, o)
            }
            Q15Weights::Q7 { weights, bias } => {
                k::fully_connected_mat_q7_vec_q15(&d.shifts, x, weights, bias, o)
            }
        },
        P::Relu => k::relu_q15_copy(x, o),
        P::Softmax { depth, .. } => k::softmax_q15_rows(*depth, x, o),
        P::Activation {
            function,
            int_width,
        } => k::activations_direct_q15_copy(x, o, *int_width, *function),
    })
}

/// Runs one layer of the 16x8 scheme; `malformed` reports operands of the wrong type.
fn step_s16(
    p: &crate::lower::S16Params,
    ins: &[&TensorData],
    out: &mut TensorData,
    malformed: impl Fn(&str) -> ExecError,
) -> Result<Result<(), KernelError>, ExecError> {
    use crate::lower::S16Params as P;
    use nn_kernels as k;
    let i16_in = |i: usize| {
        ins.get(i)
            .and_then(|d| d.as_i16())
            .ok_or_else(|| malformed(&format!("input {i} is missing or not int16")))
    };
    if let P::Quantize(q) = p {
        let x = ins
            .first()
            .and_then(|d| d.as_f32())
            .ok_or_else(|| malformed("quantize input is not f32"))?;
        let TensorData::I16(o) = out else {
            return Err(malformed("quantize output is not int16"));
        };
        return Ok(k::quantize::quantize_f32_s16(q, x, o));
    }
    if let P::Dequantize(q) = p {
        let TensorData::F32(o) = out else {
            return Err(malformed("dequantize output is not f32"));
        };
        return Ok(k::dequantize::dequantize_s16_f32(q, i16_in(0)?, o));
    }
    let TensorData::I16(o) = out else {
        return Err(malformed("the output of a 16x8 kernel is not int16"));
    };
    Ok(match p {
        P::Conv2d(c, bias) => k::conv2d::conv2d_grouped_s16(
            &c.params(),
            c.groups,
            i16_in(0)?,
            &c.weights,
            bias.as_deref(),
            o,
        ),
        P::DepthwiseConv2d(c, bias) => k::depthwise_conv2d::depthwise_conv2d_s16(
            &c.params(),
            i16_in(0)?,
            &c.weights,
            bias.as_deref(),
            o,
        ),
        P::Dense(c, bias) => k::fully_connected::fully_connected_s16(
            &c.params(),
            i16_in(0)?,
            &c.weights,
            bias.as_deref(),
            o,
        ),
        P::MaxPool2d(q) => k::max_pool2d::max_pool2d_s16(q, i16_in(0)?, o),
        P::AvgPool2d(q) => k::avg_pool2d::avg_pool2d_s16(q, i16_in(0)?, o),
        P::Add(b) => k::add::add_s16(&b.add_params(), i16_in(0)?, i16_in(1)?, o),
        P::Mul(b) => k::mul::mul_s16(&b.mul_params(), i16_in(0)?, i16_in(1)?, o),
        P::Logistic(q) => k::sigmoid16::logistic_s16(q, i16_in(0)?, o),
        P::Tanh(q) => k::sigmoid16::tanh_s16(q, i16_in(0)?, o),
        P::Softmax(q) => k::softmax16::softmax_s16(q, i16_in(0)?, o),
        P::Requantize(q) => k::requantize::requantize_s16(q, i16_in(0)?, o),
        P::Quantize(_) | P::Dequantize(_) => return Err(malformed("conversion out of place")),
    })
}

/// The per-tensor quantisation of graph input or output `t`.
fn quant_of(t: &Tensor) -> Result<(f32, i32), ExecError> {
    let bad = |reason: &str| ExecError::Quant {
        tensor: t.name.clone(),
        reason: reason.to_string(),
    };
    let q = t
        .quant
        .as_ref()
        .ok_or_else(|| bad("no quantisation parameters"))?;
    match (q.scale.as_slice(), q.zero_point.as_slice()) {
        (&[s], &[z]) if s.is_finite() && s > 0.0 => {
            let z = i32::try_from(z)
                .ok()
                .filter(|z| (-128..=127).contains(z))
                .ok_or_else(|| bad("zero point outside int8"))?;
            Ok((s, z))
        }
        _ => Err(bad("needs one finite positive scale and one zero point")),
    }
}

/// Converts float data for graph input `index` to what the network takes: quantised with the
/// input's own scale and zero point (TFLite's QUANTIZE rounding) for an int8 or int16 input,
/// unchanged for a float input.
///
/// # Errors
/// [`ExecError`] on a bad index, a length mismatch or a missing quantisation.
pub fn from_float_input(
    module: &Module,
    index: usize,
    values: &[f32],
) -> Result<TensorData, ExecError> {
    let h = *module.inputs.get(index).ok_or(ExecError::InputCount {
        expected: module.inputs.len(),
        found: index + 1,
    })?;
    let t = tensor(module, h, "graph input")?;
    if values.len() != t.elements() {
        return Err(ExecError::InputLength {
            input: t.name.clone(),
            expected: t.elements(),
            found: values.len(),
        });
    }
    match t.dtype {
        DType::F32 => Ok(TensorData::F32(copied(values, &t.name)?)),
        DType::I8 => {
            quantized(t, values, nn_kernels::quantize::quantize_f32_s8).map(TensorData::I8)
        }
        DType::I16 => {
            quantized(t, values, nn_kernels::quantize::quantize_f32_s16).map(TensorData::I16)
        }
        DType::I32 => Err(ExecError::DType {
            tensor: t.name.clone(),
            dtype: t.dtype,
        }),
    }
}

/// `values` quantised with graph tensor `t`'s scale and zero point by `kernel` (TFLite's
/// QUANTIZE into int8 or int16).
fn quantized<T: Copy + Default>(
    t: &Tensor,
    values: &[f32],
    kernel: fn(&nn_kernels::quantize::QuantizeParams, &[f32], &mut [T]) -> nn_kernels::KernelResult,
) -> Result<Vec<T>, ExecError> {
    let (scale, zero_point) = quant_of(t)?;
    let p = nn_kernels::quantize::QuantizeParams {
        len: values.len(),
        scale,
        zero_point,
    };
    let mut out = filled(values.len(), T::default(), &t.name)?;
    kernel(&p, values, &mut out).map_err(|error| ExecError::Kernel {
        node: t.name.clone(),
        op: "quantize",
        error,
    })?;
    Ok(out)
}

/// `values` dequantised with graph tensor `t`'s scale and zero point by `kernel` (TFLite's
/// DEQUANTIZE from int8 or int16).
fn dequantized<S>(
    t: &Tensor,
    values: &[S],
    kernel: fn(
        &nn_kernels::dequantize::DequantizeParams,
        &[S],
        &mut [f32],
    ) -> nn_kernels::KernelResult,
) -> Result<Vec<f32>, ExecError> {
    let (scale, zero_point) = quant_of(t)?;
    let p = nn_kernels::dequantize::DequantizeParams {
        len: values.len(),
        scale,
        zero_point,
    };
    let mut out = filled(values.len(), 0f32, &t.name)?;
    kernel(&p, values, &mut out).map_err(|error| ExecError::Kernel {
        node: t.name.clone(),
        op: "dequantize",
        error,
    })?;
    Ok(out)
}

/// Converts graph output `index`'s data to floats: dequantised with the output's own scale and
/// zero point for int8 and int16, unchanged for float.
///
/// # Errors
/// [`ExecError`] on a bad index or a missing quantisation.
pub fn to_float_output(
    module: &Module,
    index: usize,
    data: &TensorData,
) -> Result<Vec<f32>, ExecError> {
    let (name, h) = module.outputs.get(index).ok_or(ExecError::Malformed {
        node: format!("output {index}"),
        reason: "no such graph output".into(),
    })?;
    let t = tensor(module, *h, name)?;
    match data {
        TensorData::F32(v) => copied(v, &t.name),
        TensorData::I8(v) => dequantized(t, v, nn_kernels::dequantize::dequantize_s8_f32),
        TensorData::I16(v) => dequantized(t, v, nn_kernels::dequantize::dequantize_s16_f32),
    }
}

#[cfg(test)]
mod tests;
