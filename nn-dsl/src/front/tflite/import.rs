//! Import of a `.tflite` model (as read by [`super::read`]) into the IR and a [`Weights`] set.
//!
//! [`import`] maps each TensorFlow Lite operator of the (single) subgraph to one IR node, in the
//! file's execution order, and moves every constant (weights, biases, per-channel weight scales)
//! and every activation's scale and zero point into [`Weights`] under the names of
//! `docs/weights.md`. The rules (documented for users in `docs/import.md`):
//!
//! - **Batch.** IR shapes exclude the batch: every activation tensor must have a leading
//!   dimension of 1, which is dropped. Axes (concatenation, mean, pad) are shifted by one.
//! - **Types.** Activations are int8 (TFLite's full-integer scheme); float32 appears only as the
//!   input of QUANTIZE or the output of DEQUANTIZE. Weights are int8 with zero points 0, biases
//!   int32. Anything else is an [`ImportError`] naming the operator and the tensor.
//! - **Per-channel quantisation** is read as TensorFlow Lite Micro reads it: the channel axis is
//!   fixed by the operator (output channels: axis 0 of CONV_2D and FULLY_CONNECTED weights, axis 3
//!   of DEPTHWISE_CONV_2D weights), whatever `quantized_dimension` says, as long as that axis has
//!   the same size (TFLM checks exactly this). Older converters wrote other dimensions there.
//! - **Keras `Flatten`** emits SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE. The int32 shape
//!   computation is evaluated here (constant folding) and only the RESHAPE becomes a node; the
//!   folded shape must agree with the RESHAPE output tensor's stored shape.
//! - **TRANSPOSE_CONV** needs its `output_shape` operand constant (or folded from a SHAPE /
//!   STRIDED_SLICE / PACK chain) and equal to the output tensor's shape, which TFLM uses.
//! - **FULLY_CONNECTED** on an input of rank > 1 gets a `flatten` node in front (the IR's `dense`
//!   takes rank 1), and a `reshape` after it when the file keeps more output dimensions.
//! - **PADV2** is accepted when its constant equals the input's zero point (then it is the same as
//!   PAD); any other constant is an error, because the IR's `pad` fills with the zero point.
//! - **QUANTIZE** from float32 is `quantize`; int8 -> int8 is `requantize`.
//! - **Names** become `.nnd` identifiers: the Keras layer name is taken from paths like
//!   `sequential/conv2d/Relu;...`, lower-cased, with other characters replaced by `_`, made unique
//!   with `_2`, `_3`, ... suffixes.

use std::collections::HashSet;

use crate::ir::{
    self, Activation as IrActivation, Conv2d, DType, Dense, DepthwiseConv2d, Handle, Module, Op,
    Padding2d, PaddingScheme, Pool2d, Producer, Quant, TransposeConv2d, Window2d,
};
use crate::shape;
use crate::span::Span;
use crate::weights::{WDType, WeightTensor, Weights};

use super::{
    Activation, BuiltinOp, BuiltinOptions, Model, Operator, Padding, StridedSliceOptions, Subgraph,
    Tensor as TfTensor, TensorType,
};

/// The TFLite operators the importer maps (SHAPE and PACK only as the folded shape computation of
/// a Keras `Flatten`, whose STRIDED_SLICE of the shape vector is folded too).
pub const SUPPORTED_OPS: &str = "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, \
MAX_POOL_2D, ADD, SUB, MUL, MAXIMUM, MINIMUM, SOFTMAX, RESHAPE, EXPAND_DIMS, SQUEEZE, LOGISTIC, TANH, PAD, PADV2, \
CONCATENATION, MEAN, QUANTIZE, DEQUANTIZE, RELU, RELU6, LEAKY_RELU, PRELU, HARD_SWISH, \
RESIZE_NEAREST_NEIGHBOR, STRIDED_SLICE, SPLIT, SPLIT_V, TRANSPOSE_CONV, SVDF, UNIDIRECTIONAL_SEQUENCE_LSTM (and SHAPE, PACK when they \
only compute a RESHAPE's target shape or a TRANSPOSE_CONV's output shape)";

/// Everything that can stop an import. Operator errors carry the operator's index in the
/// subgraph and its TFLite name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// The model has no subgraph.
    #[error("the model has no subgraph")]
    NoSubgraph,
    /// Operators nnd does not import: every one of the model, found before anything else is
    /// imported, grouped by name in the order they first occur.
    #[error("{}", unsupported_message(.0))]
    UnsupportedOps(Vec<UnsupportedOp>),
    /// A tensor of a type nnd does not import at that place.
    #[error("operator {index} ({op}): tensor `{tensor}` has type {dtype}, expected {expected}")]
    UnsupportedType {
        /// Position in the subgraph's operator list.
        index: usize,
        /// The TFLite operator name.
        op: String,
        /// The tensor's name in the file.
        tensor: String,
        /// Its TFLite type.
        dtype: String,
        /// What would have been accepted.
        expected: String,
    },
    /// Something wrong with one tensor of an operator (shape, quantisation, constness).
    #[error("operator {index} ({op}): tensor `{tensor}`: {problem}")]
    Tensor {
        /// Position in the subgraph's operator list.
        index: usize,
        /// The TFLite operator name.
        op: String,
        /// The tensor's name in the file.
        tensor: String,
        /// What is wrong.
        problem: String,
    },
    /// Something wrong with an operator as a whole (options, input count).
    #[error("operator {index} ({op}): {problem}")]
    Operator {
        /// Position in the subgraph's operator list.
        index: usize,
        /// The TFLite operator name.
        op: String,
        /// What is wrong.
        problem: String,
    },
    /// A graph input or output tensor that cannot be imported.
    #[error("graph {role} `{tensor}`: {problem}")]
    Graph {
        /// `input` or `output`.
        role: &'static str,
        /// The tensor's name in the file.
        tensor: String,
        /// What is wrong.
        problem: String,
    },
    /// The model has more tensors or nodes than the IR arenas hold.
    #[error(
        "the model is too large for the IR (more than {} tensors or nodes)",
        u32::MAX
    )]
    TooLarge,
    /// The activation arena, or a graph input or output, would be larger than any target can
    /// hold ([`crate::plan::MAX_OBJECT_BYTES`]), or cannot be planned at all.
    #[error("{0}")]
    Memory(crate::plan::PlanError),
    /// A layer whose kernel constants cannot be derived (a requantisation shift outside
    /// -31..=31, a softmax output without TFLite's fixed quantisation, ...): every later stage
    /// would refuse it, so the import does.
    #[error("{0}")]
    Lower(crate::lower::LowerError),
}

/// One operator name nnd does not import, and where the model uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOp {
    /// The TFLite operator name (`EXPAND_DIMS`; `CUSTOM "name"` for a custom operator).
    pub op: String,
    /// Positions in the subgraph's operator list, ascending.
    pub indices: Vec<usize>,
}

/// How many positions of one operator a message lists before saying how many more there are.
const SHOWN_INDICES: usize = 8;

fn unsupported_message(ops: &[UnsupportedOp]) -> String {
    let uses: usize = ops.iter().map(|o| o.indices.len()).sum();
    let mut out = format!(
        "{} not supported ({} operator{} in all): ",
        if ops.len() == 1 {
            "1 operator type is".to_owned()
        } else {
            format!("{} operator types are", ops.len())
        },
        uses,
        if uses == 1 { "" } else { "s" }
    );
    for (i, o) in ops.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let shown: Vec<String> = o
            .indices
            .iter()
            .take(SHOWN_INDICES)
            .map(ToString::to_string)
            .collect();
        let more = o.indices.len().saturating_sub(SHOWN_INDICES);
        out.push_str(&format!(
            "{} (operator{} {}{})",
            o.op,
            if o.indices.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    out.push_str(&format!("; supported operators: {SUPPORTED_OPS}"));
    out
}

/// True for the builtin operators [`import`] maps (SHAPE, STRIDED_SLICE and PACK as far as they
/// fold into a RESHAPE's target shape: anything else they compute is refused by name later).
fn imported(builtin: BuiltinOp) -> bool {
    matches!(
        builtin,
        BuiltinOp::Conv2d
            | BuiltinOp::DepthwiseConv2d
            | BuiltinOp::FullyConnected
            | BuiltinOp::AveragePool2d
            | BuiltinOp::MaxPool2d
            | BuiltinOp::Add
            | BuiltinOp::Mul
            | BuiltinOp::Sub
            | BuiltinOp::Maximum
            | BuiltinOp::Minimum
            | BuiltinOp::Prelu
            | BuiltinOp::Svdf
            | BuiltinOp::UnidirectionalSequenceLstm
            | BuiltinOp::Softmax
            | BuiltinOp::Logistic
            | BuiltinOp::Tanh
            | BuiltinOp::Relu
            | BuiltinOp::Relu6
            | BuiltinOp::Reshape
            | BuiltinOp::ExpandDims
            | BuiltinOp::Squeeze
            | BuiltinOp::LeakyRelu
            | BuiltinOp::HardSwish
            | BuiltinOp::Pad
            | BuiltinOp::PadV2
            | BuiltinOp::Concatenation
            | BuiltinOp::Mean
            | BuiltinOp::Quantize
            | BuiltinOp::Dequantize
            | BuiltinOp::Shape
            | BuiltinOp::StridedSlice
            | BuiltinOp::Pack
            | BuiltinOp::ResizeNearestNeighbor
            | BuiltinOp::Split
            | BuiltinOp::SplitV
            | BuiltinOp::TransposeConv
    )
}

/// For each operator of `sg`, whether a graph output depends on it (operators are stored in
/// execution order, so one backward pass finds them all).
fn live_operators(sg: &Subgraph) -> Vec<bool> {
    let mut needed = vec![false; sg.tensors.len()];
    for &o in &sg.outputs {
        if let Some(n) = needed.get_mut(o) {
            *n = true;
        }
    }
    let mut live = vec![false; sg.operators.len()];
    for (index, op) in sg.operators.iter().enumerate().rev() {
        // An output index out of range is reported when the operator is imported: keep it.
        let used = op
            .outputs
            .iter()
            .any(|&o| needed.get(o).copied().unwrap_or(true));
        if used {
            live[index] = true;
            for &i in op.inputs.iter().flatten() {
                if let Some(n) = needed.get_mut(i) {
                    *n = true;
                }
            }
        }
    }
    live
}

/// The operators of `model` that no graph output depends on: [`import`] drops them, so that the
/// imported network has no dead layer (positions in the subgraph's operator list, with names).
pub fn dead_operators(model: &Model) -> Vec<(usize, String)> {
    let Some(sg) = model.subgraph() else {
        return Vec::new();
    };
    let live = live_operators(sg);
    sg.operators
        .iter()
        .enumerate()
        .filter(|(i, _)| !live.get(*i).copied().unwrap_or(true))
        .map(|(i, op)| (i, model.opcode(op).map_or_else(|| "?".into(), |c| c.name())))
        .collect()
}

/// Every live operator of `sg` that [`import`] does not map, grouped by name (first occurrence
/// order).
fn unsupported_ops(model: &Model, sg: &Subgraph, live: &[bool]) -> Vec<UnsupportedOp> {
    let mut found: Vec<UnsupportedOp> = Vec::new();
    for (index, op) in sg.operators.iter().enumerate() {
        if !live.get(index).copied().unwrap_or(true) {
            continue;
        }
        // An opcode index out of range is reported where the operator is imported.
        let Some(code) = model.opcode(op) else {
            continue;
        };
        if imported(code.builtin) {
            continue;
        }
        let name = code.name();
        match found.iter_mut().find(|o| o.op == name) {
            Some(o) => o.indices.push(index),
            None => found.push(UnsupportedOp {
                op: name,
                indices: vec![index],
            }),
        }
    }
    found
}

/// Imports `model` into an IR module and its weights. The module's name is `"Model"`; callers
/// usually rename it (the CLI uses the file stem). `module.weights` is left `None`. A model whose
/// activation arena (or a graph input or output) is larger than any target can hold is
/// [`ImportError::Memory`]; one with a layer whose kernel constants cannot be derived is
/// [`ImportError::Lower`].
pub fn import(model: &Model) -> Result<(Module, Weights), ImportError> {
    let sg = model.subgraph().ok_or(ImportError::NoSubgraph)?;
    let mut im = Importer {
        model,
        sg,
        module: Module::new("Model"),
        weights: Weights::default(),
        values: vec![Value::Unset; sg.tensors.len()],
        names: HashSet::new(),
        source: None,
    };
    let live = live_operators(sg);
    let unsupported = unsupported_ops(model, sg, &live);
    if !unsupported.is_empty() {
        return Err(ImportError::UnsupportedOps(unsupported));
    }
    im.inputs()?;
    for (index, op) in sg.operators.iter().enumerate() {
        // An operator no graph output depends on is dropped (it would be a dead `let`).
        if live.get(index).copied().unwrap_or(true) {
            im.operator(index, op)?;
        }
    }
    im.outputs()?;
    // Keras' ZeroPadding2D before a convolution: the PAD becomes the convolution's padding, and
    // the padded tensor (and its quantisation entries) disappear.
    let (module, folds) = crate::ir::fold::fold_pads(&im.module);
    for f in &folds {
        for key in ["scale", "zero_point"] {
            im.weights.tensors.remove(&format!("{}.{key}", f.pad));
        }
    }
    im.module = module;
    // A model every later stage would refuse is refused here, where `nndc check` sees it: the
    // arena must fit a 32-bit target (as the checker's E0126 for `.nnd`).
    crate::plan::plan(&im.module, &crate::plan::PlanOptions::default())
        .map_err(ImportError::Memory)?;
    // And every layer must lower to constants the int8 kernels take (issue 16).
    crate::lower::lower(&im.module, &im.weights).map_err(ImportError::Lower)?;
    Ok((im.module, im.weights))
}

/// What a TFLite tensor index stands for during import.
#[derive(Clone, Debug)]
enum Value {
    /// Not produced yet (or a constant: see the buffer).
    Unset,
    /// An IR tensor.
    Tensor(Handle<ir::Tensor>),
    /// An integer value computed at import time (the Flatten shape chain).
    Folded(Folded),
}

/// A folded integer tensor.
#[derive(Clone, Debug, PartialEq)]
struct Folded {
    shape: Vec<usize>,
    values: Vec<i64>,
}

struct Importer<'m> {
    model: &'m Model,
    sg: &'m Subgraph,
    module: Module,
    weights: Weights,
    values: Vec<Value>,
    names: HashSet<String>,
    /// The operator being imported, as [`ir::Node::source`] describes it.
    source: Option<String>,
}

/// The operator being imported, for error messages.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    index: usize,
    op: &'a str,
}

impl Ctx<'_> {
    fn op_err(self, problem: impl Into<String>) -> ImportError {
        ImportError::Operator {
            index: self.index,
            op: self.op.to_owned(),
            problem: problem.into(),
        }
    }

    fn tensor_err(self, t: &TfTensor, problem: impl Into<String>) -> ImportError {
        ImportError::Tensor {
            index: self.index,
            op: self.op.to_owned(),
            tensor: t.name.clone(),
            problem: problem.into(),
        }
    }

    fn type_err(self, t: &TfTensor, expected: &str) -> ImportError {
        ImportError::UnsupportedType {
            index: self.index,
            op: self.op.to_owned(),
            tensor: t.name.clone(),
            dtype: t.dtype.to_string(),
            expected: expected.to_owned(),
        }
    }
}

/// A node about to be added: its op, IR inputs and the TFLite output tensor index.
struct Emit {
    /// The node name when already chosen (layers with weights), else derived from the output.
    name: Option<String>,
    op: Op,
    inputs: Vec<Handle<ir::Tensor>>,
    shape: Vec<usize>,
    dtype: DType,
}

impl<'m> Importer<'m> {
    // ----- tensors ------------------------------------------------------------------------------

    fn tensor(&self, ctx: Ctx<'_>, idx: usize) -> Result<&'m TfTensor, ImportError> {
        self.sg
            .tensors
            .get(idx)
            .ok_or_else(|| ctx.op_err(format!("tensor index {idx} is out of range")))
    }

    /// A unique identifier for a TFLite tensor name.
    fn fresh(&mut self, raw: &str, fallback: &str) -> String {
        let base = identifier(raw).unwrap_or_else(|| fallback.to_owned());
        let mut name = base.clone();
        let mut i = 2usize;
        while self.names.contains(&name) {
            name = format!("{base}_{i}");
            i += 1;
        }
        self.names.insert(name.clone());
        name
    }

    /// The name of the node writing TFLite tensor `idx`: from the tensor's name, or `output{k}`
    /// for the k-th graph output whose name says nothing (`StatefulPartitionedCall:0`), or
    /// `t{idx}`.
    fn output_name(&mut self, idx: usize) -> String {
        let raw = self.sg.tensors.get(idx).map_or("", |t| t.name.as_str());
        let fallback = match self.sg.outputs.iter().position(|&o| o == idx) {
            Some(k) => format!("output{k}"),
            None => format!("t{idx}"),
        };
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("statefulpartitionedcall") || lower.starts_with("partitionedcall") {
            return self.fresh("", &fallback);
        }
        self.fresh(raw, &fallback)
    }

    /// The activation quantisation of an int8 tensor (per tensor), or `None` for float32.
    fn act_quant(
        &self,
        t: &TfTensor,
        err: impl Fn(String) -> ImportError,
    ) -> Result<Option<Quant>, ImportError> {
        if !matches!(t.dtype, TensorType::Int8 | TensorType::Int16) {
            return Ok(None);
        }
        let Some(q) = &t.quantization else {
            return Err(err(format!(
                "{} activation has no quantisation parameters (scale and zero point)",
                t.dtype
            )));
        };
        let (Some(&scale), Some(&zp)) = (q.scale.first(), q.zero_point.first()) else {
            return Err(err("int8 activation has an empty quantisation".into()));
        };
        if q.scale.len() != 1 {
            return Err(err(format!(
                "activation has {} scales; int8 activations are quantised per tensor",
                q.scale.len()
            )));
        }
        if t.dtype == TensorType::Int16 && zp != 0 {
            return Err(err(format!(
                "zero point {zp} on an INT16 activation (TFLite's 16x8 scheme has 0)"
            )));
        }
        if !(-128..=127).contains(&zp) {
            return Err(err(format!("zero point {zp} is outside the int8 range")));
        }
        Ok(Some(Quant {
            scale: vec![scale],
            zero_point: vec![zp],
            axis: None,
        }))
    }

    /// The IR shape (batch dropped) of an activation tensor.
    fn ir_shape(t: &TfTensor) -> Result<Vec<usize>, String> {
        match t.shape.split_first() {
            Some((1, rest)) => {
                if rest.contains(&0) {
                    Err(format!("shape {:?} has a zero dimension", t.shape))
                } else {
                    Ok(rest.to_vec())
                }
            }
            Some((b, _)) => Err(format!(
                "shape {:?} has a leading (batch) dimension of {b}; nnd models run one sample, \
                 so the batch must be 1",
                t.shape
            )),
            None => Err("is a scalar; activations need a leading batch dimension of 1".into()),
        }
    }

    /// Stores `<name>.scale` / `<name>.zero_point` for an int8 tensor.
    fn store_act_quant(&mut self, name: &str, q: &Quant) {
        let scale = q.scale.first().copied().unwrap_or(1.0);
        let zp = q.zero_point.first().copied().unwrap_or(0);
        self.weights.tensors.insert(
            format!("{name}.scale"),
            WeightTensor {
                dtype: WDType::F32,
                shape: vec![1],
                data: scale.to_le_bytes().to_vec(),
            },
        );
        self.weights.tensors.insert(
            format!("{name}.zero_point"),
            WeightTensor {
                dtype: WDType::I64,
                shape: vec![1],
                data: zp.to_le_bytes().to_vec(),
            },
        );
    }

    fn inputs(&mut self) -> Result<(), ImportError> {
        for (pos, &idx) in self.sg.inputs.iter().enumerate() {
            let Some(t) = self.sg.tensors.get(idx) else {
                return Err(ImportError::Graph {
                    role: "input",
                    tensor: format!("#{idx}"),
                    problem: "tensor index out of range".into(),
                });
            };
            let err = |problem: String| ImportError::Graph {
                role: "input",
                tensor: t.name.clone(),
                problem,
            };
            let dtype = match t.dtype {
                TensorType::Int8 => DType::I8,
                TensorType::Int16 => DType::I16,
                TensorType::Float32 => DType::F32,
                other => {
                    return Err(err(format!(
                        "has type {other}; graph inputs must be INT8, INT16 (16x8 models) or \
                         FLOAT32"
                    )))
                }
            };
            let shape = Self::ir_shape(t).map_err(err)?;
            let quant = self.act_quant(t, err)?;
            let name = self.fresh(&t.name, &format!("input{pos}"));
            if let Some(q) = &quant {
                self.store_act_quant(&name, q);
            }
            let h = self
                .module
                .tensors
                .append(ir::Tensor {
                    name,
                    shape,
                    dtype,
                    quant,
                    producer: Producer::Input(pos),
                    span: Span::UNDEFINED,
                })
                .map_err(|_| ImportError::TooLarge)?;
            self.module.inputs.push(h);
            if let Some(v) = self.values.get_mut(idx) {
                *v = Value::Tensor(h);
            }
        }
        Ok(())
    }

    fn outputs(&mut self) -> Result<(), ImportError> {
        for &idx in &self.sg.outputs {
            let name = self
                .sg
                .tensors
                .get(idx)
                .map_or_else(|| format!("#{idx}"), |t| t.name.clone());
            match self.values.get(idx) {
                Some(Value::Tensor(h)) => {
                    let h = *h;
                    let out = self.module.tensors[h].name.clone();
                    self.module.outputs.push((out, h));
                }
                _ => {
                    return Err(ImportError::Graph {
                        role: "output",
                        tensor: name,
                        problem: "is not computed by an imported operator (a constant or a \
                                  folded shape value)"
                            .into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// The IR tensor of a data input (activation).
    fn data(
        &self,
        ctx: Ctx<'_>,
        op: &Operator,
        i: usize,
    ) -> Result<Handle<ir::Tensor>, ImportError> {
        let Some(Some(idx)) = op.inputs.get(i).copied() else {
            return Err(ctx.op_err(format!("input {i} is missing")));
        };
        let t = self.tensor(ctx, idx)?;
        match self.values.get(idx) {
            Some(Value::Tensor(h)) => Ok(*h),
            Some(Value::Folded(_)) => Err(ctx.tensor_err(
                t,
                "is a computed shape value; only a RESHAPE's shape input may be one",
            )),
            _ if self.model.tensor_data(t).is_some() => Err(ctx.tensor_err(
                t,
                "is a constant; this operator's data inputs must be activations (nnd ops take \
                 constants only as weights and biases)",
            )),
            _ => Err(ctx.tensor_err(t, "is not produced by any earlier operator")),
        }
    }

    /// An int8 data input.
    fn data_i8(
        &self,
        ctx: Ctx<'_>,
        op: &Operator,
        i: usize,
    ) -> Result<Handle<ir::Tensor>, ImportError> {
        let h = self.data(ctx, op, i)?;
        if self.module.tensors[h].dtype != DType::I8 {
            let t = self.input_tensor(ctx, op, i)?;
            return Err(ctx.type_err(
                t,
                "INT8 (nnd imports int8-quantised models, and 16x8 models whose layers are \
                 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, pools, ADD, MUL, LOGISTIC, TANH, \
                 SOFTMAX, RESHAPE, QUANTIZE and DEQUANTIZE)",
            ));
        }
        Ok(h)
    }

    /// An int8 data input, or an int16 one (TFLite's 16x8 scheme) for the operators that have
    /// 16x8 kernels; returns the handle and its dtype (which the operator's output keeps).
    fn data_act(
        &self,
        ctx: Ctx<'_>,
        op: &Operator,
        i: usize,
    ) -> Result<(Handle<ir::Tensor>, DType), ImportError> {
        let h = self.data(ctx, op, i)?;
        match self.module.tensors[h].dtype {
            d @ (DType::I8 | DType::I16) => Ok((h, d)),
            _ => {
                let t = self.input_tensor(ctx, op, i)?;
                Err(ctx.type_err(t, "INT8 or INT16"))
            }
        }
    }

    fn input_tensor(
        &self,
        ctx: Ctx<'_>,
        op: &Operator,
        i: usize,
    ) -> Result<&'m TfTensor, ImportError> {
        match op.inputs.get(i).copied() {
            Some(Some(idx)) => self.tensor(ctx, idx),
            _ => Err(ctx.op_err(format!("input {i} is missing"))),
        }
    }

    fn optional_input(
        &self,
        ctx: Ctx<'_>,
        op: &Operator,
        i: usize,
    ) -> Result<Option<&'m TfTensor>, ImportError> {
        match op.inputs.get(i).copied() {
            Some(Some(idx)) => self.tensor(ctx, idx).map(Some),
            _ => Ok(None),
        }
    }

    /// An integer vector: a constant INT32/INT64 buffer or a folded value.
    fn ints(&self, ctx: Ctx<'_>, op: &Operator, i: usize) -> Result<Folded, ImportError> {
        let Some(Some(idx)) = op.inputs.get(i).copied() else {
            return Err(ctx.op_err(format!("input {i} is missing")));
        };
        let t = self.tensor(ctx, idx)?;
        if let Some(Value::Folded(f)) = self.values.get(idx) {
            return Ok(f.clone());
        }
        let Some(data) = self.model.tensor_data(t) else {
            return Err(ctx.tensor_err(
                t,
                "must be a constant (or a shape computation nnd can fold)",
            ));
        };
        let values: Vec<i64> = match t.dtype {
            TensorType::Int32 => data
                .chunks_exact(4)
                .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            TensorType::Int64 => data
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            _ => return Err(ctx.type_err(t, "INT32 or INT64")),
        };
        Ok(Folded {
            shape: t.shape.clone(),
            values,
        })
    }

    // ----- operators ----------------------------------------------------------------------------

    fn operator(&mut self, index: usize, op: &Operator) -> Result<(), ImportError> {
        let code = self.model.opcode(op).ok_or(ImportError::Operator {
            index,
            op: "?".into(),
            problem: "opcode index out of range".into(),
        })?;
        let op_name = code.name();
        let ctx = Ctx {
            index,
            op: &op_name,
        };
        self.source = Some(
            match op.outputs.first().and_then(|&o| self.sg.tensors.get(o)) {
                Some(t) if !t.name.is_empty() => {
                    // Escaped (one line whatever the file holds) and at most 200 characters.
                    let mut name = format!("{:?}", t.name);
                    if name.chars().count() > 200 {
                        name = name.chars().take(199).collect::<String>() + "…";
                    }
                    format!("tflite operator {index} ({op_name}), output {name}")
                }
                _ => format!("tflite operator {index} ({op_name})"),
            },
        );
        if matches!(code.builtin, BuiltinOp::Split | BuiltinOp::SplitV) {
            return self.split(ctx, code.builtin, op);
        }
        if op.outputs.len() != 1 {
            return Err(ctx.op_err(format!(
                "has {} outputs; every supported operator has exactly one",
                op.outputs.len()
            )));
        }
        let out_idx = op.outputs[0];
        let out = self.tensor(ctx, out_idx)?;
        let builtin = code.builtin;
        // A STRIDED_SLICE of an activation is a slice node; of a constant or folded integer
        // vector (Keras Flatten's shape chain) it is folded.
        let slices_activation = builtin == BuiltinOp::StridedSlice
            && matches!(
                op.inputs
                    .first()
                    .copied()
                    .flatten()
                    .and_then(|i| self.values.get(i)),
                Some(Value::Tensor(_))
            );
        if builtin == BuiltinOp::Shape
            || (builtin == BuiltinOp::StridedSlice && !slices_activation)
            || builtin == BuiltinOp::Pack
        {
            let folded = self.fold(ctx, builtin, op)?;
            if let Some(v) = self.values.get_mut(out_idx) {
                *v = Value::Folded(folded);
            }
            return Ok(());
        }
        let emit = match builtin {
            BuiltinOp::Conv2d => self.conv(ctx, op)?,
            BuiltinOp::DepthwiseConv2d => self.depthwise(ctx, op)?,
            BuiltinOp::TransposeConv => self.transpose_conv(ctx, op)?,
            BuiltinOp::FullyConnected => return self.fully_connected(ctx, op, out_idx),
            BuiltinOp::AveragePool2d | BuiltinOp::MaxPool2d => self.pool(ctx, builtin, op)?,
            BuiltinOp::Add | BuiltinOp::Mul | BuiltinOp::Sub => self.binary(ctx, builtin, op)?,
            BuiltinOp::Maximum | BuiltinOp::Minimum => {
                // TFLite compares the raw int8 values: the converter gives both inputs the
                // output's quantisation, and nnd needs exactly that.
                for i in 0..2 {
                    let t = self.input_tensor(ctx, op, i)?;
                    if t.quantization != out.quantization {
                        return Err(ctx.tensor_err(
                            t,
                            format!(
                                "{builtin} input {i} is quantised differently from the output; \
                                 nnd needs one quantisation for both inputs and the output (the \
                                 kernel compares raw int8 values)"
                            ),
                        ));
                    }
                }
                self.binary(ctx, builtin, op)?
            }
            BuiltinOp::Prelu => self.prelu(ctx, op)?,
            BuiltinOp::Svdf => self.svdf(ctx, op)?,
            BuiltinOp::UnidirectionalSequenceLstm => self.lstm(ctx, op)?,
            BuiltinOp::Softmax => {
                let (x, _) = self.data_act(ctx, op, 0)?;
                let beta = match op.options {
                    BuiltinOptions::Softmax { beta } => beta,
                    _ => 1.0,
                };
                if !(beta.is_finite() && beta > 0.0) {
                    return Err(ctx.op_err(format!("beta {beta} must be finite and positive")));
                }
                self.unary(x, Op::Softmax { beta })
            }
            BuiltinOp::Logistic => {
                let (x, _) = self.data_act(ctx, op, 0)?;
                self.unary(x, Op::Logistic)
            }
            BuiltinOp::Tanh => {
                let (x, _) = self.data_act(ctx, op, 0)?;
                self.unary(x, Op::Tanh)
            }
            BuiltinOp::Relu => {
                let x = self.data_i8(ctx, op, 0)?;
                self.unary(x, Op::Relu)
            }
            BuiltinOp::Relu6 => {
                let x = self.data_i8(ctx, op, 0)?;
                self.unary(x, Op::Relu6)
            }
            BuiltinOp::Reshape => self.reshape(ctx, op, out)?,
            // Keras Conv1D's wrappers: only the stored output shape matters (the axis input or
            // the squeeze_dims option say the same, and TFLite verified them when converting).
            BuiltinOp::ExpandDims | BuiltinOp::Squeeze => self.reshape_to_stored(ctx, op, out)?,
            BuiltinOp::LeakyRelu => {
                let BuiltinOptions::LeakyRelu { alpha } = op.options else {
                    return Err(ctx.op_err("has no LeakyReluOptions"));
                };
                if !(alpha.is_finite() && alpha >= 0.0) {
                    return Err(ctx.op_err(format!(
                        "alpha {alpha} is not supported (a finite slope >= 0 is)"
                    )));
                }
                let x = self.data_i8(ctx, op, 0)?;
                self.unary(x, Op::LeakyRelu { alpha })
            }
            BuiltinOp::HardSwish => {
                let x = self.data_i8(ctx, op, 0)?;
                self.unary(x, Op::HardSwish)
            }
            BuiltinOp::Pad | BuiltinOp::PadV2 => self.pad(ctx, builtin, op)?,
            BuiltinOp::StridedSlice => self.strided_slice(ctx, op, out)?,
            BuiltinOp::ResizeNearestNeighbor => self.resize_nearest(ctx, op, out)?,
            BuiltinOp::Concatenation => self.concat(ctx, op)?,
            BuiltinOp::Mean => self.mean(ctx, op)?,
            BuiltinOp::Quantize => {
                let x = self.data(ctx, op, 0)?;
                let xt = self.input_tensor(ctx, op, 0)?;
                let (op, dtype) =
                    match (self.module.tensors[x].dtype, out.dtype) {
                        (DType::F32, TensorType::Int16) => (Op::Quantize, DType::I16),
                        (DType::F32, _) => (Op::Quantize, DType::I8),
                        (DType::I8, _) => (Op::Requantize, DType::I8),
                        (DType::I16, TensorType::Int16) => (Op::Requantize, DType::I16),
                        (DType::I16 | DType::I32, _) => return Err(ctx.type_err(
                            xt,
                            "FLOAT32, INT8, or INT16 into INT16 (int16 -> int8 QUANTIZE is not \
                             supported yet)",
                        )),
                    };
                Emit {
                    name: None,
                    op,
                    inputs: vec![x],
                    shape: self.module.tensors[x].shape.clone(),
                    dtype,
                }
            }
            BuiltinOp::Dequantize => {
                let (x, _) = self.data_act(ctx, op, 0)?;
                Emit {
                    name: None,
                    op: Op::Dequantize,
                    inputs: vec![x],
                    shape: self.module.tensors[x].shape.clone(),
                    dtype: DType::F32,
                }
            }
            // `unsupported_ops` refused every other operator before the import began.
            _ => {
                return Err(ImportError::UnsupportedOps(vec![UnsupportedOp {
                    op: op_name.clone(),
                    indices: vec![index],
                }]))
            }
        };
        self.finish(ctx, out_idx, emit).map(|_| ())
    }

    fn unary(&self, x: Handle<ir::Tensor>, op: Op) -> Emit {
        Emit {
            name: None,
            op,
            inputs: vec![x],
            shape: self.module.tensors[x].shape.clone(),
            dtype: self.module.tensors[x].dtype,
        }
    }

    /// Adds the node for `emit` as the producer of TFLite tensor `out_idx` (checking the stored
    /// shape and dtype against the computed ones).
    fn finish(
        &mut self,
        ctx: Ctx<'_>,
        out_idx: usize,
        mut emit: Emit,
    ) -> Result<Handle<ir::Tensor>, ImportError> {
        let out = self.tensor(ctx, out_idx)?;
        let expected_type = match emit.dtype {
            DType::I8 => TensorType::Int8,
            DType::I16 => TensorType::Int16,
            DType::F32 => TensorType::Float32,
            DType::I32 => TensorType::Int32,
        };
        if out.dtype != expected_type {
            return Err(ctx.type_err(out, &expected_type.to_string()));
        }
        let stored = Self::ir_shape(out).map_err(|p| ctx.tensor_err(out, p))?;
        if stored != emit.shape {
            return Err(ctx.tensor_err(
                out,
                format!(
                    "the file says the output has shape {} (without the batch) but the operator \
                     computes {}",
                    ir::shape_string(&stored),
                    ir::shape_string(&emit.shape)
                ),
            ));
        }
        let quant = self.act_quant(out, |p| ctx.tensor_err(out, p))?;
        let name = match emit.name.take() {
            Some(n) => n,
            None => self.output_name(out_idx),
        };
        let h = self.push_node(name, emit, quant)?;
        if let Some(v) = self.values.get_mut(out_idx) {
            *v = Value::Tensor(h);
        }
        Ok(h)
    }

    fn push_node(
        &mut self,
        name: String,
        emit: Emit,
        quant: Option<Quant>,
    ) -> Result<Handle<ir::Tensor>, ImportError> {
        if let Some(q) = &quant {
            self.store_act_quant(&name, q);
        }
        // The node handle is the next slot of the node arena.
        let placeholder = ir::Tensor {
            name: name.clone(),
            shape: emit.shape,
            dtype: emit.dtype,
            quant,
            producer: Producer::Input(usize::MAX),
            span: Span::UNDEFINED,
        };
        let th = self
            .module
            .tensors
            .append(placeholder)
            .map_err(|_| ImportError::TooLarge)?;
        let nh = self
            .module
            .nodes
            .append(ir::Node {
                name,
                op: emit.op,
                inputs: emit.inputs,
                output: th,
                span: Span::UNDEFINED,
                source: self.source.clone(),
            })
            .map_err(|_| ImportError::TooLarge)?;
        self.module.tensors[th].producer = Producer::Node(nh);
        Ok(th)
    }

    // ----- weights ------------------------------------------------------------------------------

    /// Checks a weight tensor (constant int8, zero points 0, per-tensor or per-channel along
    /// `axis` with `channels` channels) and stores `<layer>.weight` and `<layer>.weight_scale`.
    fn store_weight(
        &mut self,
        ctx: Ctx<'_>,
        layer: &str,
        t: &TfTensor,
        axis: usize,
        channels: usize,
    ) -> Result<(), ImportError> {
        if t.dtype != TensorType::Int8 {
            return Err(ctx.type_err(t, "INT8 weights"));
        }
        let Some(data) = self.model.tensor_data(t) else {
            return Err(ctx.tensor_err(t, "weights must be a constant"));
        };
        let Some(q) = &t.quantization else {
            return Err(ctx.tensor_err(t, "int8 weights have no quantisation parameters"));
        };
        if let Some(zp) = q.zero_point.iter().find(|&&z| z != 0) {
            return Err(ctx.tensor_err(
                t,
                format!("weight zero point {zp} is not 0 (TFLite int8 weights are symmetric)"),
            ));
        }
        if q.scale.len() != 1 {
            // TFLM: the scale count must equal the op's channel count, and the dimension named
            // by quantized_dimension must have that size; the scales apply along `axis`.
            if q.scale.len() != channels {
                return Err(ctx.tensor_err(
                    t,
                    format!(
                        "has {} per-channel scales but the operator has {channels} output \
                         channels (axis {axis} of shape {:?})",
                        q.scale.len(),
                        t.shape
                    ),
                ));
            }
            if t.shape.get(q.quantized_dimension) != Some(&channels) {
                return Err(ctx.tensor_err(
                    t,
                    format!(
                        "quantized_dimension {} of shape {:?} does not have the {channels} \
                         output channels",
                        q.quantized_dimension, t.shape
                    ),
                ));
            }
        }
        if let Some(s) = q.scale.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(ctx.tensor_err(t, format!("weight scale {s} is not finite and positive")));
        }
        self.weights.tensors.insert(
            format!("{layer}.weight"),
            WeightTensor {
                dtype: WDType::I8,
                shape: t.shape.clone(),
                data: data.to_vec(),
            },
        );
        self.weights.tensors.insert(
            format!("{layer}.weight_scale"),
            WeightTensor {
                dtype: WDType::F32,
                shape: vec![q.scale.len()],
                data: q.scale.iter().flat_map(|s| s.to_le_bytes()).collect(),
            },
        );
        Ok(())
    }

    /// Stores `<layer>.bias` (int32 `[channels]`) if the operator has a bias; returns whether it
    /// has one.
    fn store_bias(
        &mut self,
        ctx: Ctx<'_>,
        layer: &str,
        op: &Operator,
        channels: usize,
    ) -> Result<bool, ImportError> {
        self.store_bias_at(ctx, layer, op, 2, channels)
    }

    /// The optional bias operand `i` of `op`, stored as `<layer>.bias`; `false` when absent.
    fn store_bias_at(
        &mut self,
        ctx: Ctx<'_>,
        layer: &str,
        op: &Operator,
        i: usize,
        channels: usize,
    ) -> Result<bool, ImportError> {
        let Some(t) = self.optional_input(ctx, op, i)? else {
            return Ok(false);
        };
        let dtype = match t.dtype {
            TensorType::Int32 => WDType::I32,
            TensorType::Int64 => WDType::I64,
            _ => return Err(ctx.type_err(t, "INT32 bias (int8 models) or INT64 (16x8 models)")),
        };
        let Some(data) = self.model.tensor_data(t) else {
            return Err(ctx.tensor_err(t, "the bias must be a constant"));
        };
        if t.shape != [channels] {
            return Err(ctx.tensor_err(t, format!("bias shape {:?} is not [{channels}]", t.shape)));
        }
        self.weights.tensors.insert(
            format!("{layer}.bias"),
            WeightTensor {
                dtype,
                shape: vec![channels],
                data: data.to_vec(),
            },
        );
        Ok(true)
    }

    fn activation(ctx: Ctx<'_>, a: Activation) -> Result<IrActivation, ImportError> {
        match a {
            Activation::None => Ok(IrActivation::None),
            Activation::Relu => Ok(IrActivation::Relu),
            Activation::Relu6 => Ok(IrActivation::Relu6),
            other => Err(ctx.op_err(format!(
                "fused activation {other:?} is not supported (only NONE, RELU, RELU6)"
            ))),
        }
    }

    fn window(
        ctx: Ctx<'_>,
        input: &[usize],
        kernel: [usize; 2],
        stride: [i32; 2],
        dilation: [i32; 2],
        padding: Padding,
    ) -> Result<(Window2d, [usize; 2]), ImportError> {
        let pos = |v: i32, what: &str| {
            usize::try_from(v)
                .ok()
                .filter(|&v| v >= 1)
                .ok_or_else(|| ctx.op_err(format!("{what} {v} must be at least 1")))
        };
        let stride = [pos(stride[0], "stride")?, pos(stride[1], "stride")?];
        let dilation = [pos(dilation[0], "dilation")?, pos(dilation[1], "dilation")?];
        let (scheme, p) = match padding {
            Padding::Same => (PaddingScheme::Same, shape::Padding::Same),
            Padding::Valid => (PaddingScheme::Valid, shape::Padding::Valid),
        };
        let (Some(&h), Some(&w)) = (input.first(), input.get(1)) else {
            return Err(ctx.op_err("the input must have rank 3 ([H, W, C] without the batch)"));
        };
        let rows = shape::window(h, kernel[0], stride[0], dilation[0], p);
        let cols = shape::window(w, kernel[1], stride[1], dilation[1], p);
        let (Some(rows), Some(cols)) = (rows, cols) else {
            return Err(ctx.op_err(format!(
                "window {kernel:?} (dilation {dilation:?}) does not fit the input {}",
                ir::shape_string(input)
            )));
        };
        Ok((
            Window2d {
                kernel,
                stride,
                dilation,
                padding: Padding2d {
                    scheme,
                    top: rows.pad_before,
                    bottom: rows.pad_after,
                    left: cols.pad_before,
                    right: cols.pad_after,
                },
            },
            [rows.out, cols.out],
        ))
    }

    fn conv(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let BuiltinOptions::Conv2d(o) = op.options else {
            return Err(ctx.op_err("has no Conv2DOptions"));
        };
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let w = self.input_tensor(ctx, op, 1)?;
        let [oc, kh, kw, ic] = w.shape[..] else {
            return Err(ctx.tensor_err(
                w,
                format!("filter shape {:?} is not [OC, KH, KW, IC]", w.shape),
            ));
        };
        let c = in_shape.get(2).copied().unwrap_or(0);
        // TFLM: groups = input channels / filter channels; the filters split evenly too.
        if in_shape.len() != 3 || ic == 0 || c % ic != 0 || oc % (c / ic) != 0 {
            return Err(ctx.tensor_err(
                w,
                format!(
                    "filter shape {:?} does not fit the input {} (the filter's channels must \
                     divide the input's, and the groups they make the filter count)",
                    w.shape,
                    ir::shape_string(&in_shape)
                ),
            ));
        }
        let groups = c / ic;
        let (window, [oh, ow]) = Self::window(
            ctx,
            &in_shape,
            [kh, kw],
            [o.stride_h, o.stride_w],
            [o.dilation_h, o.dilation_w],
            o.padding,
        )?;
        let activation = Self::activation(ctx, o.activation)?;
        let layer = self.node_name(op);
        self.store_weight(ctx, &layer, w, 0, oc)?;
        let bias = self.store_bias(ctx, &layer, op, oc)?;
        Ok(Emit {
            name: Some(layer),
            op: Op::Conv2d(Conv2d {
                filters: oc,
                window,
                groups,
                activation,
                bias,
            }),
            inputs: vec![x],
            shape: vec![oh, ow, oc],
            dtype: act_dtype,
        })
    }

    fn depthwise(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let BuiltinOptions::DepthwiseConv2d(o) = op.options else {
            return Err(ctx.op_err("has no DepthwiseConv2DOptions"));
        };
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let w = self.input_tensor(ctx, op, 1)?;
        let [1, kh, kw, cm] = w.shape[..] else {
            return Err(ctx.tensor_err(
                w,
                format!("filter shape {:?} is not [1, KH, KW, C * M]", w.shape),
            ));
        };
        let c = match in_shape[..] {
            [_, _, c] => c,
            _ => return Err(ctx.op_err("the input must have rank 3 ([H, W, C] without the batch)")),
        };
        if c == 0 || cm % c != 0 || cm == 0 {
            return Err(ctx.tensor_err(
                w,
                format!("{cm} filter channels are not a multiple of the {c} input channels"),
            ));
        }
        let m = cm / c;
        let (window, [oh, ow]) = Self::window(
            ctx,
            &in_shape,
            [kh, kw],
            [o.stride_h, o.stride_w],
            [o.dilation_h, o.dilation_w],
            o.padding,
        )?;
        let activation = Self::activation(ctx, o.activation)?;
        let layer = self.node_name(op);
        self.store_weight(ctx, &layer, w, 3, cm)?;
        let bias = self.store_bias(ctx, &layer, op, cm)?;
        Ok(Emit {
            name: Some(layer),
            op: Op::DepthwiseConv2d(DepthwiseConv2d {
                depth_multiplier: m,
                window,
                activation,
                bias,
            }),
            inputs: vec![x],
            shape: vec![oh, ow, cm],
            dtype: act_dtype,
        })
    }

    /// TRANSPOSE_CONV: operands `[output_shape, filter, input, bias?]`. The output shape must be
    /// a constant (or a folded shape computation) equal to the output tensor's shape, which TFLM
    /// uses; each spatial size must be one TensorFlow allows for the input
    /// ([`shape::transpose_sizes`]), and the padding is TFLite's for it.
    fn transpose_conv(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let BuiltinOptions::TransposeConv(o) = op.options else {
            return Err(ctx.op_err("has no TransposeConvOptions"));
        };
        if !matches!(op.inputs.len(), 3 | 4) {
            return Err(ctx.op_err(format!(
                "has {} inputs; expected output_shape, filter, input and an optional bias",
                op.inputs.len()
            )));
        }
        if !matches!(
            o.quantized_bias_type,
            TensorType::Float32 | TensorType::Int32
        ) {
            return Err(ctx.op_err(format!(
                "quantized_bias_type {} is not supported (int8 models take an INT32 bias)",
                o.quantized_bias_type
            )));
        }
        let x = self.data_i8(ctx, op, 2)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let &[h, w, c] = in_shape.as_slice() else {
            return Err(ctx.op_err("the input must have rank 3 ([H, W, C] without the batch)"));
        };
        let wt = self.input_tensor(ctx, op, 1)?;
        let [oc, kh, kw, ic] = wt.shape[..] else {
            return Err(ctx.tensor_err(
                wt,
                format!("filter shape {:?} is not [OC, KH, KW, IC]", wt.shape),
            ));
        };
        if ic != c || oc == 0 || kh == 0 || kw == 0 {
            return Err(ctx.tensor_err(
                wt,
                format!(
                    "filter shape {:?} does not fit the input {} (its last dimension must be the \
                     input's channels)",
                    wt.shape,
                    ir::shape_string(&in_shape)
                ),
            ));
        }
        // The output shape operand: TFLM ignores it (it reads the output tensor's shape), TFLite
        // resizes the output to it; nnd needs it known now and equal to the stored shape.
        let shape_t = self.input_tensor(ctx, op, 0)?;
        if matches!(
            op.inputs
                .first()
                .copied()
                .flatten()
                .and_then(|i| self.values.get(i)),
            Some(Value::Tensor(_))
        ) {
            return Err(ctx.tensor_err(
                shape_t,
                "(output_shape) is computed at run time; nnd needs a constant output shape (or a \
                 SHAPE / STRIDED_SLICE / PACK chain of static shapes, which it folds)",
            ));
        }
        let output_shape = self.ints(ctx, op, 0)?.values;
        let out = self.tensor(ctx, op.outputs.first().copied().unwrap_or(usize::MAX))?;
        let stored: Vec<i64> = out
            .shape
            .iter()
            .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
            .collect();
        if output_shape != stored {
            return Err(ctx.tensor_err(
                shape_t,
                format!(
                    "(output_shape) is {output_shape:?}, but the output tensor has shape \
                     {stored:?}"
                ),
            ));
        }
        let [1, oh, ow, ooc] = output_shape[..] else {
            return Err(ctx.tensor_err(
                shape_t,
                format!("(output_shape) {output_shape:?} is not [1, H, W, C]"),
            ));
        };
        let size = |v: i64| usize::try_from(v).ok().filter(|&v| v >= 1);
        let (Some(oh), Some(ow)) = (size(oh), size(ow)) else {
            return Err(ctx.tensor_err(
                shape_t,
                format!("(output_shape) {output_shape:?} has an empty axis"),
            ));
        };
        if size(ooc) != Some(oc) {
            return Err(ctx.tensor_err(
                shape_t,
                format!("(output_shape) has {ooc} channels but the filter has {oc} filters"),
            ));
        }
        let stride = |v: i32| {
            usize::try_from(v)
                .ok()
                .filter(|&v| v >= 1)
                .ok_or_else(|| ctx.op_err(format!("stride {v} must be at least 1")))
        };
        let stride = [stride(o.stride_h)?, stride(o.stride_w)?];
        let (scheme, p) = match o.padding {
            Padding::Same => (PaddingScheme::Same, shape::Padding::Same),
            Padding::Valid => (PaddingScheme::Valid, shape::Padding::Valid),
        };
        let rows = shape::transpose_window(h, kh, stride[0], p, oh);
        let cols = shape::transpose_window(w, kw, stride[1], p, ow);
        let (Some(rows), Some(cols)) = (rows, cols) else {
            return Err(ctx.op_err(format!(
                "output {oh}x{ow} does not fit the input {h}x{w} (kernel {kh}x{kw}, stride \
                 {}x{}, {} padding): TensorFlow takes sizes whose convolution gives back the \
                 input's",
                stride[0],
                stride[1],
                if p == shape::Padding::Same {
                    "SAME"
                } else {
                    "VALID"
                }
            )));
        };
        let activation = Self::activation(ctx, o.activation)?;
        let layer = self.node_name(op);
        self.store_weight(ctx, &layer, wt, 0, oc)?;
        let bias = self.store_bias_at(ctx, &layer, op, 3, oc)?;
        Ok(Emit {
            name: Some(layer),
            op: Op::TransposeConv2d(TransposeConv2d {
                filters: oc,
                window: Window2d {
                    kernel: [kh, kw],
                    stride,
                    dilation: [1, 1],
                    padding: Padding2d {
                        scheme,
                        top: rows.pad_before,
                        bottom: rows.pad_after,
                        left: cols.pad_before,
                        right: cols.pad_after,
                    },
                },
                output_size: [oh, ow],
                activation,
                bias,
            }),
            inputs: vec![x],
            shape: vec![oh, ow, oc],
            dtype: DType::I8,
        })
    }

    /// The name the node producing `out` will get (reserved now so that weights can be stored
    /// under it before the node exists).
    fn node_name(&mut self, op: &Operator) -> String {
        let idx = op.outputs.first().copied().unwrap_or(0);
        self.output_name(idx)
    }

    /// UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM's integer kernel runs it: int8 input, output and
    /// hidden state (one quantisation for output and hidden state), int8 per-tensor weights,
    /// int32 biases, an int16 cell state with a power-of-two scale; batch-major, batch 1; no
    /// peepholes, projection or layer normalisation (TFLM supports none of them); TANH as the
    /// cell gate's activation. The two states must be variable tensors.
    fn lstm(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let BuiltinOptions::UnidirectionalSequenceLstm {
            activation,
            cell_clip,
            time_major,
            ..
        } = op.options
        else {
            return Err(ctx.op_err("has no UnidirectionalSequenceLSTMOptions"));
        };
        if time_major {
            return Err(ctx.op_err(
                "time_major is set; nnd imports batch-major LSTMs ([1, T, N], what Keras \
                 converts to)",
            ));
        }
        if activation != Activation::Tanh {
            return Err(ctx.op_err(format!(
                "cell gate activation {activation:?} is not supported (TFLM's integer LSTM \
                 uses TANH)"
            )));
        }
        if !(cell_clip.is_finite() && cell_clip >= 0.0) {
            return Err(ctx.op_err(format!("cell_clip {cell_clip} is not finite and >= 0")));
        }
        for (range, what) in [
            (9..12, "peephole weights"),
            (16..18, "a projection"),
            (20..24, "layer normalisation"),
        ] {
            for i in range {
                if self.optional_input(ctx, op, i)?.is_some() {
                    return Err(ctx.op_err(format!(
                        "has {what} (input {i}); TFLM's integer LSTM and nnd support the plain \
                         LSTM only"
                    )));
                }
            }
        }
        let x = self.data_i8(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let &[t, n] = in_shape.as_slice() else {
            return Err(ctx.op_err(format!(
                "input {} is not [1, T, N] (batch 1, T steps of N features)",
                ir::shape_string(&in_shape)
            )));
        };
        let per_tensor = |t: &TfTensor, what: &str| per_tensor_quant(ctx, t, what, "LSTM");
        let matrices = |first: usize,
                        cols: usize,
                        what: &str|
         -> Result<(Vec<u8>, Vec<f32>, usize), ImportError> {
            let mut data = Vec::new();
            let mut scales = Vec::new();
            let mut units = None;
            for i in first..first + 4 {
                let w = self.input_tensor(ctx, op, i)?;
                if w.dtype != TensorType::Int8 {
                    return Err(ctx.type_err(w, "INT8 weights"));
                }
                let rows = match w.shape[..] {
                    [r, c] if c == cols || (cols == 0 && c == r) => r,
                    _ => {
                        return Err(ctx.tensor_err(
                            w,
                            format!(
                                "{what} shape {:?} is not [units, {}]",
                                w.shape,
                                if cols == 0 {
                                    "units".to_string()
                                } else {
                                    cols.to_string()
                                }
                            ),
                        ))
                    }
                };
                if units.is_some_and(|u| u != rows) {
                    return Err(
                        ctx.tensor_err(w, format!("{what} of the four gates differ in units"))
                    );
                }
                units = Some(rows);
                let (s, z) = per_tensor(w, what)?;
                if z != 0 {
                    return Err(ctx.tensor_err(w, format!("weight zero point {z} is not 0")));
                }
                let Some(bytes) = self.model.tensor_data(w) else {
                    return Err(ctx.tensor_err(w, "weights must be a constant"));
                };
                data.extend_from_slice(bytes);
                scales.push(s);
            }
            Ok((data, scales, units.unwrap_or(0)))
        };
        let (w, ws, units) = matrices(1, n, "input weights")?;
        let (r, rs, r_units) = matrices(5, 0, "recurrent weights")?;
        if r_units != units || units == 0 {
            return Err(ctx.op_err(format!(
                "recurrent weights have {r_units} units, input weights {units}"
            )));
        }
        let mut bias = Vec::new();
        for i in 12..16 {
            let b = self.input_tensor(ctx, op, i)?;
            if b.dtype != TensorType::Int32 {
                return Err(ctx.type_err(b, "an INT32 bias (int8 LSTM)"));
            }
            if b.shape != [units] {
                return Err(ctx.tensor_err(b, format!("bias shape {:?} is not [{units}]", b.shape)));
            }
            let Some(bytes) = self.model.tensor_data(b) else {
                return Err(ctx.tensor_err(b, "the bias must be a constant"));
            };
            bias.extend_from_slice(bytes);
        }
        let hidden = self.input_tensor(ctx, op, 18)?;
        let cell = self.input_tensor(ctx, op, 19)?;
        for (s, ty, what) in [
            (hidden, TensorType::Int8, "INT8 hidden state (int8 LSTM)"),
            (cell, TensorType::Int16, "INT16 cell state (int8 LSTM)"),
        ] {
            if s.dtype != ty {
                return Err(ctx.type_err(s, what));
            }
            if !s.is_variable {
                return Err(ctx.tensor_err(
                    s,
                    "an LSTM state must be a variable tensor (is_variable), which TFLM keeps \
                     between invocations",
                ));
            }
            if s.shape.iter().product::<usize>() != units {
                return Err(ctx.tensor_err(
                    s,
                    format!(
                        "state shape {:?} does not hold {units} values (batch 1)",
                        s.shape
                    ),
                ));
            }
        }
        let (hidden_scale, hidden_zp) = per_tensor(hidden, "hidden state")?;
        let (cell_scale, cell_zp) = per_tensor(cell, "cell state")?;
        if cell_zp != 0 {
            return Err(ctx.tensor_err(cell, format!("cell state zero point {cell_zp} is not 0")));
        }
        if cell_scale.to_bits() & 0x007F_FFFF != 0 {
            return Err(ctx.tensor_err(
                cell,
                format!(
                    "cell state scale {cell_scale} is not a power of two (TFLM's integer LSTM \
                     needs one)"
                ),
            ));
        }
        let out = op
            .outputs
            .first()
            .and_then(|&o| self.sg.tensors.get(o))
            .ok_or_else(|| ctx.op_err("has no output"))?;
        let (out_scale, out_zp) = per_tensor(out, "output")?;
        if (out_scale, out_zp) != (hidden_scale, hidden_zp) {
            return Err(ctx.tensor_err(
                out,
                format!(
                    "output quantisation ({out_scale}, {out_zp}) differs from the hidden state's \
                     ({hidden_scale}, {hidden_zp}); TFLM copies the hidden state to the output"
                ),
            ));
        }
        let layer = self.node_name(op);
        let mut put = |key: &str, dtype, shape: Vec<usize>, data: Vec<u8>| {
            self.weights.tensors.insert(
                format!("{layer}.{key}"),
                WeightTensor { dtype, shape, data },
            );
        };
        let f32s = |v: &[f32]| v.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<u8>>();
        put("weight", WDType::I8, vec![4 * units, n], w);
        put("weight_scale", WDType::F32, vec![4], f32s(&ws));
        put("recurrent_weight", WDType::I8, vec![4 * units, units], r);
        put("recurrent_weight_scale", WDType::F32, vec![4], f32s(&rs));
        put("bias", WDType::I32, vec![4 * units], bias);
        put("cell_scale", WDType::F32, vec![1], f32s(&[cell_scale]));
        Ok(Emit {
            name: Some(layer),
            op: Op::Lstm(ir::Lstm { units, cell_clip }),
            inputs: vec![x],
            shape: vec![t, units],
            dtype: DType::I8,
        })
    }

    /// SVDF (int8 input and output, int16 or int8 time weights and state): the state tensor must
    /// be a variable tensor of the time weights' type, `[1, memory * filters]`. TFLM's integer
    /// SVDF applies no fused activation, and neither does nnd's (the flag is read and ignored).
    fn svdf(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let BuiltinOptions::Svdf { rank, .. } = op.options else {
            return Err(ctx.op_err("has no SVDFOptions"));
        };
        let x = self.data_i8(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let &[n] = in_shape.as_slice() else {
            return Err(ctx.op_err(format!(
                "input {} is not [1, N] (one step of one stream)",
                ir::shape_string(&in_shape)
            )));
        };
        let wf = self.input_tensor(ctx, op, 1)?;
        let wt = self.input_tensor(ctx, op, 2)?;
        let st = self.input_tensor(ctx, op, 4)?;
        let [filters, wn] = wf.shape[..] else {
            return Err(ctx.tensor_err(
                wf,
                format!(
                    "feature weights shape {:?} is not [filters, inputs]",
                    wf.shape
                ),
            ));
        };
        if wn != n {
            return Err(ctx.tensor_err(
                wf,
                format!(
                    "feature weights shape {:?} needs {wn} inputs, the input has {n}",
                    wf.shape
                ),
            ));
        }
        let rank = usize::try_from(rank)
            .ok()
            .filter(|&r| r >= 1 && filters % r == 0)
            .ok_or_else(|| {
                ctx.op_err(format!(
                    "rank {rank} is not a positive divisor of the {filters} filters"
                ))
            })?;
        let units = filters / rank;
        let [wt_filters, memory] = wt.shape[..] else {
            return Err(ctx.tensor_err(
                wt,
                format!("time weights shape {:?} is not [filters, memory]", wt.shape),
            ));
        };
        if wt_filters != filters || memory == 0 {
            return Err(ctx.tensor_err(
                wt,
                format!(
                    "time weights shape {:?} is not [{filters}, memory >= 1]",
                    wt.shape
                ),
            ));
        }
        let (state, time_dtype, zp_range) = match wt.dtype {
            TensorType::Int16 => (DType::I16, WDType::I16, -32768..=32767),
            TensorType::Int8 => (DType::I8, WDType::I8, -128..=127),
            _ => return Err(ctx.type_err(wt, "INT16 or INT8 time weights")),
        };
        if st.dtype != wt.dtype {
            return Err(ctx.type_err(st, "a state of the time weights' type"));
        }
        if !st.is_variable {
            return Err(ctx.tensor_err(
                st,
                "the SVDF state must be a variable tensor (is_variable), which TFLM keeps between \
                 invocations",
            ));
        }
        if st.shape != [1, memory * filters] {
            return Err(ctx.tensor_err(
                st,
                format!(
                    "state shape {:?} is not [1, {}] (batch 1, memory x filters)",
                    st.shape,
                    memory * filters
                ),
            ));
        }
        let per_tensor = |t: &TfTensor, what: &str| per_tensor_quant(ctx, t, what, "SVDF");
        per_tensor(wf, "feature weights")?;
        let (time_scale, time_zp) = per_tensor(wt, "time weights")?;
        let (state_scale, state_zp) = per_tensor(st, "state")?;
        if time_zp != 0 {
            return Err(ctx.tensor_err(
                wt,
                format!("time weight zero point {time_zp} is not 0 (TFLM's SVDF ignores it)"),
            ));
        }
        if !zp_range.contains(&state_zp) {
            return Err(ctx.tensor_err(
                st,
                format!("state zero point {state_zp} is outside the state type"),
            ));
        }
        let Some(time) = self.model.tensor_data(wt) else {
            return Err(ctx.tensor_err(wt, "the time weights must be a constant"));
        };
        let time = time.to_vec();
        let layer = self.node_name(op);
        self.store_weight(ctx, &layer, wf, 0, filters)?;
        let bias = self.store_bias_at(ctx, &layer, op, 3, units)?;
        if bias
            && self
                .weights
                .tensors
                .get(&format!("{layer}.bias"))
                .map(|w| w.dtype)
                != Some(WDType::I32)
        {
            return Err(ctx.op_err("an SVDF bias must be INT32"));
        }
        let mut put = |key: &str, dtype, shape: Vec<usize>, data: Vec<u8>| {
            self.weights.tensors.insert(
                format!("{layer}.{key}"),
                WeightTensor { dtype, shape, data },
            );
        };
        put("time_weight", time_dtype, vec![filters, memory], time);
        put(
            "time_weight_scale",
            WDType::F32,
            vec![1],
            time_scale.to_le_bytes().to_vec(),
        );
        put(
            "state_scale",
            WDType::F32,
            vec![1],
            state_scale.to_le_bytes().to_vec(),
        );
        put(
            "state_zero_point",
            WDType::I64,
            vec![1],
            state_zp.to_le_bytes().to_vec(),
        );
        Ok(Emit {
            name: Some(layer),
            op: Op::Svdf(ir::Svdf {
                units,
                rank,
                memory,
                bias,
                state,
            }),
            inputs: vec![x],
            shape: vec![units],
            dtype: DType::I8,
        })
    }

    fn fully_connected(
        &mut self,
        ctx: Ctx<'_>,
        op: &Operator,
        out_idx: usize,
    ) -> Result<(), ImportError> {
        let BuiltinOptions::FullyConnected(o) = op.options else {
            return Err(ctx.op_err("has no FullyConnectedOptions"));
        };
        if o.weights_format != super::WeightsFormat::Default {
            return Err(ctx.op_err("shuffled FULLY_CONNECTED weights are not supported"));
        }
        let activation = Self::activation(ctx, o.activation)?;
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let w = self.input_tensor(ctx, op, 1)?;
        let out = self.tensor(ctx, out_idx)?;
        let [units, n] = w.shape[..] else {
            return Err(ctx.tensor_err(
                w,
                format!("weights shape {:?} is not [units, inputs]", w.shape),
            ));
        };
        let in_shape = self.module.tensors[x].shape.clone();
        let count: usize = in_shape.iter().product();
        if count != n {
            return Err(ctx.tensor_err(
                w,
                format!(
                    "weights shape {:?} needs {n} inputs but the input {} has {count} elements \
                     (a FULLY_CONNECTED over several rows is not supported)",
                    w.shape,
                    ir::shape_string(&in_shape)
                ),
            ));
        }
        let stored = Self::ir_shape(out).map_err(|p| ctx.tensor_err(out, p))?;
        if stored.iter().product::<usize>() != units {
            return Err(ctx.tensor_err(
                out,
                format!(
                    "output shape {} does not hold {units} units",
                    ir::shape_string(&stored)
                ),
            ));
        }
        let name = self.output_name(out_idx);
        // Rank > 1 input: flatten first (TFLite's FULLY_CONNECTED flattens implicitly).
        let x = if in_shape.len() == 1 {
            x
        } else {
            let flat_name = self.fresh(&format!("{name}_flat"), "flat");
            let q = self.module.tensors[x].quant.clone();
            self.push_node(
                flat_name,
                Emit {
                    name: None,
                    op: Op::Flatten,
                    inputs: vec![x],
                    shape: vec![n],
                    dtype: act_dtype,
                },
                q,
            )?
        };
        let reshape_after = stored != [units];
        let dense_name = if reshape_after {
            self.fresh(&format!("{name}_dense"), "dense")
        } else {
            name.clone()
        };
        self.store_weight(ctx, &dense_name, w, 0, units)?;
        let bias = self.store_bias(ctx, &dense_name, op, units)?;
        let emit = Emit {
            name: None,
            op: Op::Dense(Dense {
                units,
                activation,
                bias,
            }),
            inputs: vec![x],
            shape: vec![units],
            dtype: act_dtype,
        };
        if !reshape_after {
            self.finish(
                ctx,
                out_idx,
                Emit {
                    name: Some(name),
                    ..emit
                },
            )?;
            return Ok(());
        }
        let q = self.act_quant(out, |p| ctx.tensor_err(out, p))?;
        let d = self.push_node(dense_name, emit, q)?;
        let emit = Emit {
            name: Some(name),
            op: Op::Reshape {
                shape: stored.clone(),
            },
            inputs: vec![d],
            shape: stored,
            dtype: act_dtype,
        };
        self.finish(ctx, out_idx, emit)?;
        Ok(())
    }

    fn pool(
        &mut self,
        ctx: Ctx<'_>,
        builtin: BuiltinOp,
        op: &Operator,
    ) -> Result<Emit, ImportError> {
        let BuiltinOptions::Pool2d(o) = op.options else {
            return Err(ctx.op_err("has no Pool2DOptions"));
        };
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let k = |v: i32| {
            usize::try_from(v)
                .ok()
                .filter(|&v| v >= 1)
                .ok_or_else(|| ctx.op_err(format!("filter size {v} must be at least 1")))
        };
        let kernel = [k(o.filter_height)?, k(o.filter_width)?];
        let (window, [oh, ow]) = Self::window(
            ctx,
            &in_shape,
            kernel,
            [o.stride_h, o.stride_w],
            [1, 1],
            o.padding,
        )?;
        let activation = Self::activation(ctx, o.activation)?;
        let c = in_shape.get(2).copied().unwrap_or(1);
        if in_shape.len() != 3 {
            return Err(ctx.op_err("the input must have rank 3 ([H, W, C] without the batch)"));
        }
        let p = Pool2d { window, activation };
        Ok(Emit {
            name: None,
            op: if builtin == BuiltinOp::MaxPool2d {
                Op::MaxPool2d(p)
            } else {
                Op::AvgPool2d(p)
            },
            inputs: vec![x],
            shape: vec![oh, ow, c],
            dtype: act_dtype,
        })
    }

    /// Input `i` when it is a constant (a buffer-backed tensor no operator produces).
    fn constant_input(
        &self,
        ctx: Ctx<'_>,
        op: &Operator,
        i: usize,
    ) -> Result<Option<&'m TfTensor>, ImportError> {
        let Some(Some(idx)) = op.inputs.get(i).copied() else {
            return Ok(None);
        };
        let t = self.tensor(ctx, idx)?;
        let produced = matches!(
            self.values.get(idx),
            Some(Value::Tensor(_) | Value::Folded(_))
        );
        Ok((!produced && self.model.tensor_data(t).is_some()).then_some(t))
    }

    /// ADD / MUL / SUB with one constant operand: the other input, the constant stored as
    /// `<layer>.operand` (int8, per-tensor `.operand_scale` and `.operand_zero_point`; leading
    /// 1s beyond the input's rank dropped, a scalar as `[1]`).
    fn binary_constant(
        &mut self,
        ctx: Ctx<'_>,
        builtin: BuiltinOp,
        op: &Operator,
        data_index: usize,
        c: &TfTensor,
        activation: ir::Activation,
    ) -> Result<Emit, ImportError> {
        let x = self.data_i8(ctx, op, data_index)?;
        let x_shape = self.module.tensors[x].shape.clone();
        if c.dtype != TensorType::Int8 {
            return Err(ctx.type_err(c, "INT8 constant operand"));
        }
        let data = self.model.tensor_data(c).unwrap_or_default();
        let (scale, zero_point) = match &c.quantization {
            Some(q) if q.scale.len() == 1 && q.zero_point.len() == 1 => {
                (q.scale[0], q.zero_point[0])
            }
            _ => {
                return Err(ctx.tensor_err(
                    c,
                    "a constant operand needs one scale and one zero point (per-tensor \
                     quantisation)",
                ))
            }
        };
        if !(scale.is_finite() && scale > 0.0 && (-128..=127).contains(&zero_point)) {
            return Err(ctx.tensor_err(
                c,
                format!("constant operand scale {scale} or zero point {zero_point} is unusable"),
            ));
        }
        let mut shape: Vec<usize> = c.shape.clone();
        while shape.len() > x_shape.len() && shape.first() == Some(&1) {
            shape.remove(0);
        }
        if shape.is_empty() {
            shape.push(1);
        }
        let out = broadcast(&x_shape, &shape).filter(|o| o.len() == x_shape.len());
        let Some(out) = out.filter(|_| data.len() == shape.iter().product::<usize>()) else {
            return Err(ctx.tensor_err(
                c,
                format!(
                    "constant operand shape {:?} does not broadcast with the input {}",
                    c.shape,
                    ir::shape_string(&x_shape)
                ),
            ));
        };
        let layer = self.node_name(op);
        let put = |w: &mut Weights, what: &str, dtype: WDType, shape: Vec<usize>, data: Vec<u8>| {
            w.tensors.insert(
                format!("{layer}.{what}"),
                WeightTensor { dtype, shape, data },
            );
        };
        put(
            &mut self.weights,
            "operand",
            WDType::I8,
            shape.clone(),
            data.to_vec(),
        );
        put(
            &mut self.weights,
            "operand_scale",
            WDType::F32,
            vec![1],
            scale.to_le_bytes().to_vec(),
        );
        put(
            &mut self.weights,
            "operand_zero_point",
            WDType::I64,
            vec![1],
            zero_point.to_le_bytes().to_vec(),
        );
        let operand = Some(shape);
        Ok(Emit {
            name: Some(layer.clone()),
            op: match builtin {
                BuiltinOp::Add => Op::Add {
                    activation,
                    operand,
                },
                BuiltinOp::Sub => Op::Sub {
                    activation,
                    operand,
                },
                _ => Op::Mul {
                    activation,
                    operand,
                },
            },
            inputs: vec![x],
            shape: out,
            dtype: DType::I8,
        })
    }

    fn binary(
        &mut self,
        ctx: Ctx<'_>,
        builtin: BuiltinOp,
        op: &Operator,
    ) -> Result<Emit, ImportError> {
        let constants = (
            self.constant_input(ctx, op, 0)?,
            self.constant_input(ctx, op, 1)?,
        );
        if constants.0.is_some() || constants.1.is_some() {
            let act = match op.options {
                BuiltinOptions::Add { activation }
                | BuiltinOptions::Mul { activation }
                | BuiltinOptions::Sub { activation } => activation,
                _ => Activation::None,
            };
            let activation = Self::activation(ctx, act)?;
            let commutes = matches!(builtin, BuiltinOp::Add | BuiltinOp::Mul);
            return match constants {
                (Some(_), Some(_)) => Err(ctx.op_err(
                    "both operands are constants (nnd does not fold constant expressions)",
                )),
                // ADD and MUL give the same bits with their operands swapped.
                (Some(c), None) if commutes => {
                    self.binary_constant(ctx, builtin, op, 1, c, activation)
                }
                (None, Some(c)) if commutes || builtin == BuiltinOp::Sub => {
                    self.binary_constant(ctx, builtin, op, 0, c, activation)
                }
                (Some(c), _) | (_, Some(c)) => Err(ctx.tensor_err(
                    c,
                    format!(
                        "is a constant operand of {builtin}; nnd takes a constant only as the \
                         second operand of ADD, MUL and SUB, or the first of ADD and MUL"
                    ),
                )),
                (None, None) => Err(ctx.op_err("no constant operand")),
            };
        }
        // ADD and MUL have 16x8 kernels; SUB, MAXIMUM and MINIMUM are int8 only.
        let (a, b, act_dtype) = if matches!(builtin, BuiltinOp::Add | BuiltinOp::Mul) {
            let (a, da) = self.data_act(ctx, op, 0)?;
            let (b, db) = self.data_act(ctx, op, 1)?;
            if da != db {
                let t = self.input_tensor(ctx, op, 1)?;
                let want = if da == DType::I16 {
                    "INT16, as the first operand"
                } else {
                    "INT8, as the first operand"
                };
                return Err(ctx.type_err(t, want));
            }
            (a, b, da)
        } else {
            (
                self.data_i8(ctx, op, 0)?,
                self.data_i8(ctx, op, 1)?,
                DType::I8,
            )
        };
        let act = match op.options {
            BuiltinOptions::Add { activation }
            | BuiltinOptions::Mul { activation }
            | BuiltinOptions::Sub { activation } => activation,
            _ => Activation::None,
        };
        let activation = Self::activation(ctx, act)?;
        let sa = &self.module.tensors[a].shape;
        let sb = &self.module.tensors[b].shape;
        let Some(shape) = broadcast(sa, sb) else {
            return Err(ctx.op_err(format!(
                "input shapes {} and {} do not broadcast",
                ir::shape_string(sa),
                ir::shape_string(sb)
            )));
        };
        Ok(Emit {
            name: None,
            op: match builtin {
                BuiltinOp::Add => Op::Add {
                    activation,
                    operand: None,
                },
                BuiltinOp::Sub => Op::Sub {
                    activation,
                    operand: None,
                },
                BuiltinOp::Maximum => Op::Maximum,
                BuiltinOp::Minimum => Op::Minimum,
                _ => Op::Mul {
                    activation,
                    operand: None,
                },
            },
            inputs: vec![a, b],
            shape,
            dtype: act_dtype,
        })
    }

    /// PRELU: input 1 is the constant int8 alpha (per-tensor quantised), stored as
    /// `<layer>.alpha`, `<layer>.alpha_scale` and `<layer>.alpha_zero_point`; its shape loses
    /// leading 1s beyond the input's rank and must broadcast to the input.
    fn prelu(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let x = self.data_i8(ctx, op, 0)?;
        let x_shape = self.module.tensors[x].shape.clone();
        let a = self.input_tensor(ctx, op, 1)?;
        if a.dtype != TensorType::Int8 {
            return Err(ctx.type_err(a, "INT8 alpha"));
        }
        let Some(data) = self.model.tensor_data(a) else {
            return Err(ctx.tensor_err(a, "alpha must be a constant"));
        };
        let (scale, zero_point) = match &a.quantization {
            Some(q) if q.scale.len() == 1 && q.zero_point.len() == 1 => {
                (q.scale[0], q.zero_point[0])
            }
            _ => {
                return Err(ctx.tensor_err(
                    a,
                    "alpha needs one scale and one zero point (per-tensor quantisation)",
                ))
            }
        };
        if !(scale.is_finite() && scale > 0.0 && (-128..=127).contains(&zero_point)) {
            return Err(ctx.tensor_err(
                a,
                format!("alpha scale {scale} or zero point {zero_point} is unusable"),
            ));
        }
        let mut alpha_shape: Vec<usize> = a.shape.clone();
        while alpha_shape.len() > x_shape.len().max(1) && alpha_shape.first() == Some(&1) {
            alpha_shape.remove(0);
        }
        let skip = x_shape.len().checked_sub(alpha_shape.len());
        let fits = skip.is_some_and(|k| {
            alpha_shape
                .iter()
                .zip(&x_shape[k..])
                .all(|(&d, &want)| d == 1 || d == want)
        });
        if !fits || alpha_shape.is_empty() || data.len() != alpha_shape.iter().product::<usize>() {
            return Err(ctx.tensor_err(
                a,
                format!(
                    "alpha shape {:?} does not broadcast to the input {}",
                    a.shape,
                    ir::shape_string(&x_shape)
                ),
            ));
        }
        let layer = self.node_name(op);
        self.weights.tensors.insert(
            format!("{layer}.alpha"),
            WeightTensor {
                dtype: WDType::I8,
                shape: alpha_shape.clone(),
                data: data.to_vec(),
            },
        );
        self.weights.tensors.insert(
            format!("{layer}.alpha_scale"),
            WeightTensor {
                dtype: WDType::F32,
                shape: vec![1],
                data: scale.to_le_bytes().to_vec(),
            },
        );
        self.weights.tensors.insert(
            format!("{layer}.alpha_zero_point"),
            WeightTensor {
                dtype: WDType::I64,
                shape: vec![1],
                data: zero_point.to_le_bytes().to_vec(),
            },
        );
        Ok(Emit {
            name: Some(layer),
            op: Op::Prelu { alpha_shape },
            inputs: vec![x],
            shape: x_shape,
            dtype: DType::I8,
        })
    }

    fn reshape(
        &mut self,
        ctx: Ctx<'_>,
        op: &Operator,
        out: &TfTensor,
    ) -> Result<Emit, ImportError> {
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let count: usize = in_shape.iter().product();
        // The target shape: input 1 (constant or folded), else the options, else the output.
        let target: Option<Vec<i64>> = if matches!(op.inputs.get(1), Some(Some(_))) {
            Some(self.ints(ctx, op, 1)?.values)
        } else {
            match &op.options {
                BuiltinOptions::Reshape { new_shape: Some(s) } if !s.is_empty() => {
                    Some(s.iter().map(|&v| i64::from(v)).collect())
                }
                _ => None,
            }
        };
        let stored = Self::ir_shape(out).map_err(|p| ctx.tensor_err(out, p))?;
        if let Some(target) = target {
            let resolved = resolve_reshape(&target, count).ok_or_else(|| {
                ctx.op_err(format!(
                    "target shape {target:?} does not fit the {count} elements of the input"
                ))
            })?;
            let with_batch: Vec<usize> = std::iter::once(1).chain(stored.iter().copied()).collect();
            if resolved != with_batch && resolved != stored {
                return Err(ctx.tensor_err(
                    out,
                    format!(
                        "the target shape {target:?} resolves to {resolved:?}, not the stored \
                         shape {:?}",
                        out.shape
                    ),
                ));
            }
        }
        if stored.iter().product::<usize>() != count {
            return Err(ctx.tensor_err(
                out,
                format!(
                    "output shape {} does not have the {count} elements of the input {}",
                    ir::shape_string(&stored),
                    ir::shape_string(&in_shape)
                ),
            ));
        }
        let op = if stored.len() == 1 {
            Op::Flatten
        } else {
            Op::Reshape {
                shape: stored.clone(),
            }
        };
        Ok(Emit {
            name: None,
            op,
            inputs: vec![x],
            shape: stored,
            dtype: act_dtype,
        })
    }

    /// EXPAND_DIMS / SQUEEZE: a reshape of input 0 to the stored output shape (same element
    /// count).
    fn reshape_to_stored(
        &mut self,
        ctx: Ctx<'_>,
        op: &Operator,
        out: &TfTensor,
    ) -> Result<Emit, ImportError> {
        let x = self.data_i8(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let count: usize = in_shape.iter().product();
        let stored = Self::ir_shape(out).map_err(|p| ctx.tensor_err(out, p))?;
        if stored.iter().product::<usize>() != count {
            return Err(ctx.tensor_err(
                out,
                format!(
                    "output shape {} does not have the {count} elements of the input {}",
                    ir::shape_string(&stored),
                    ir::shape_string(&in_shape)
                ),
            ));
        }
        let op = if stored.len() == 1 {
            Op::Flatten
        } else {
            Op::Reshape {
                shape: stored.clone(),
            }
        };
        Ok(Emit {
            name: None,
            op,
            inputs: vec![x],
            shape: stored,
            dtype: DType::I8,
        })
    }

    fn pad(
        &mut self,
        ctx: Ctx<'_>,
        builtin: BuiltinOp,
        op: &Operator,
    ) -> Result<Emit, ImportError> {
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let p = self.ints(ctx, op, 1)?;
        let rank = in_shape.len() + 1;
        if p.values.len() != rank * 2 {
            return Err(ctx.op_err(format!(
                "paddings has {} values, expected {rank} [before, after] pairs",
                p.values.len()
            )));
        }
        let mut paddings = Vec::with_capacity(rank - 1);
        for (d, pair) in p.values.chunks_exact(2).enumerate() {
            let (Ok(b), Ok(a)) = (usize::try_from(pair[0]), usize::try_from(pair[1])) else {
                return Err(ctx.op_err(format!("negative padding {pair:?} on dimension {d}")));
            };
            if d == 0 {
                if b != 0 || a != 0 {
                    return Err(ctx.op_err("padding the batch dimension is not supported"));
                }
                continue;
            }
            paddings.push([b, a]);
        }
        if builtin == BuiltinOp::PadV2 {
            if let Some(c) = self.optional_input(ctx, op, 2)? {
                let zp = self.module.tensors[x]
                    .quant
                    .as_ref()
                    .and_then(|q| q.zero_point.first().copied())
                    .unwrap_or(0);
                let value = match (c.dtype, self.model.tensor_data(c)) {
                    (TensorType::Int8, Some([v])) => i64::from(*v as i8),
                    (TensorType::Int8, _) => {
                        return Err(ctx.tensor_err(c, "the pad value must be a constant scalar"))
                    }
                    _ => return Err(ctx.type_err(c, "INT8 pad value")),
                };
                if value != zp {
                    return Err(ctx.tensor_err(
                        c,
                        format!(
                            "pad value {value} differs from the input's zero point {zp}; nnd's \
                             `pad` fills with the zero point (a real 0.0)"
                        ),
                    ));
                }
            }
        }
        let shape = in_shape
            .iter()
            .zip(&paddings)
            .map(|(&d, [b, a])| d + b + a)
            .collect();
        Ok(Emit {
            name: None,
            op: Op::Pad { paddings },
            inputs: vec![x],
            shape,
            dtype: act_dtype,
        })
    }

    /// Copying ops move int8 values unchanged (TFLM does too): refused unless `out` is quantised
    /// as the data input `x`.
    fn same_quant(
        &self,
        ctx: Ctx<'_>,
        what: &str,
        x: &TfTensor,
        out: &TfTensor,
    ) -> Result<(), ImportError> {
        if x.quantization == out.quantization {
            return Ok(());
        }
        Err(ctx.tensor_err(
            out,
            format!(
                "is quantised differently from the input {:?}; {what} copies int8 values, so nnd \
                 needs one quantisation for both",
                x.name
            ),
        ))
    }

    /// RESIZE_NEAREST_NEIGHBOR of `[1, H, W, C]` to the constant `size`.
    fn resize_nearest(
        &mut self,
        ctx: Ctx<'_>,
        op: &Operator,
        out: &TfTensor,
    ) -> Result<Emit, ImportError> {
        let BuiltinOptions::ResizeNearestNeighbor {
            align_corners,
            half_pixel_centers,
        } = op.options
        else {
            return Err(ctx.op_err("has no ResizeNearestNeighborOptions"));
        };
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        self.same_quant(
            ctx,
            "RESIZE_NEAREST_NEIGHBOR",
            self.input_tensor(ctx, op, 0)?,
            out,
        )?;
        let &[_, _, c] = self.module.tensors[x].shape.as_slice() else {
            let xt = self.input_tensor(ctx, op, 0)?;
            return Err(ctx.tensor_err(xt, "must have shape [1, H, W, C]"));
        };
        let size = self.ints(ctx, op, 1)?;
        let size = match size.values.as_slice() {
            &[h, w] => match (usize::try_from(h), usize::try_from(w)) {
                (Ok(h), Ok(w)) if h > 0 && w > 0 => [h, w],
                _ => return Err(ctx.op_err(format!("size [{h}, {w}] must be positive"))),
            },
            v => {
                return Err(ctx.op_err(format!(
                    "size has {} values; expected [height, width]",
                    v.len()
                )))
            }
        };
        if align_corners && half_pixel_centers {
            return Err(ctx.op_err(
                "align_corners and half_pixel_centers are both set (TensorFlow allows one)",
            ));
        }
        Ok(Emit {
            name: None,
            op: Op::ResizeNearest {
                size,
                align_corners,
                half_pixel_centers,
            },
            inputs: vec![x],
            shape: vec![size[0], size[1], c],
            dtype: act_dtype,
        })
    }

    /// STRIDED_SLICE of an activation: constant begin/end/strides, masks resolved
    /// ([`crate::shape::tflite_strided_slice`]); the batch axis must be kept whole.
    fn strided_slice(
        &mut self,
        ctx: Ctx<'_>,
        op: &Operator,
        out: &TfTensor,
    ) -> Result<Emit, ImportError> {
        let BuiltinOptions::StridedSlice(o) = op.options else {
            return Err(ctx.op_err("has no StridedSliceOptions"));
        };
        if o.offset {
            return Err(ctx.op_err("the offset form (StridedSliceOptions.offset) is not supported"));
        }
        let (x, act_dtype) = self.data_act(ctx, op, 0)?;
        let xt = self.input_tensor(ctx, op, 0)?;
        self.same_quant(ctx, "STRIDED_SLICE", xt, out)?;
        let (begin, end, strides) = (
            self.ints(ctx, op, 1)?,
            self.ints(ctx, op, 2)?,
            self.ints(ctx, op, 3)?,
        );
        let mut full = vec![1usize];
        full.extend(&self.module.tensors[x].shape);
        let masks = crate::shape::SliceMasks {
            begin_mask: o.begin_mask,
            end_mask: o.end_mask,
            ellipsis_mask: o.ellipsis_mask,
            new_axis_mask: o.new_axis_mask,
            shrink_axis_mask: o.shrink_axis_mask,
        };
        let (axes, shape) = crate::shape::tflite_strided_slice(
            &full,
            &begin.values,
            &end.values,
            &strides.values,
            masks,
        )
        .map_err(|p| ctx.op_err(p))?;
        let batch_kept = o.shrink_axis_mask & 1 == 0
            && axes.first().is_some_and(|a| a.begin == 0 && a.size == 1);
        if !batch_kept {
            return Err(ctx.op_err(
                "slicing or shrinking the batch axis (0) is not supported; it must stay whole",
            ));
        }
        if let Some((a, _)) = axes.iter().enumerate().find(|(_, a)| a.size == 0) {
            return Err(ctx.op_err(format!("axis {a} of the slice is empty")));
        }
        let ir_axes = &axes[1..];
        Ok(Emit {
            name: None,
            op: Op::StridedSlice {
                begin: ir_axes.iter().map(|a| a.begin).collect(),
                end: ir_axes.iter().map(|a| a.end).collect(),
                strides: ir_axes.iter().map(|a| a.stride).collect(),
                shape: shape[1..].to_vec(),
            },
            inputs: vec![x],
            shape: shape[1..].to_vec(),
            dtype: act_dtype,
        })
    }

    /// SPLIT / SPLIT_V: each output that is used becomes its own stride-1 slice node.
    fn split(
        &mut self,
        ctx: Ctx<'_>,
        builtin: BuiltinOp,
        op: &Operator,
    ) -> Result<(), ImportError> {
        let BuiltinOptions::Split { num_splits } = op.options else {
            return Err(ctx.op_err("has no SplitOptions"));
        };
        let (data_at, axis_at) = if builtin == BuiltinOp::Split {
            (1, 0)
        } else {
            (0, 2)
        };
        let (x, act_dtype) = self.data_act(ctx, op, data_at)?;
        let xt = self.input_tensor(ctx, op, data_at)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let rank = in_shape.len() + 1;
        let axis = match self.ints(ctx, op, axis_at)?.values.as_slice() {
            &[a] => a,
            v => return Err(ctx.op_err(format!("axis has {} values; expected 1", v.len()))),
        };
        let r = i64::try_from(rank).unwrap_or(i64::MAX);
        if !(-r..r).contains(&axis) {
            return Err(ctx.op_err(format!("axis {axis} is out of range for rank {rank}")));
        }
        let axis = usize::try_from(if axis < 0 { axis + r } else { axis }).unwrap_or(0);
        if axis == 0 {
            return Err(ctx.op_err("splitting the batch axis (0) is not supported"));
        }
        let d = in_shape[axis - 1];
        let n = op.outputs.len();
        if usize::try_from(num_splits).ok() != Some(n) || n == 0 {
            return Err(ctx.op_err(format!(
                "num_splits {num_splits} differs from the {n} outputs"
            )));
        }
        let sizes: Vec<usize> = if builtin == BuiltinOp::Split {
            if d % n != 0 {
                return Err(ctx.op_err(format!(
                    "an axis of {d} does not split into {n} equal parts"
                )));
            }
            vec![d / n; n]
        } else {
            let given = self.ints(ctx, op, 1)?.values;
            if given.len() != n {
                return Err(ctx.op_err(format!(
                    "size_splits has {} values for {n} outputs",
                    given.len()
                )));
            }
            let known: i64 = given.iter().filter(|&&v| v != -1).sum();
            let holes = given.iter().filter(|&&v| v == -1).count();
            let dd = i64::try_from(d).unwrap_or(i64::MAX);
            let mut out = Vec::with_capacity(n);
            for &v in &given {
                let v = if v == -1 { dd - known } else { v };
                match usize::try_from(v) {
                    Ok(v) if v > 0 => out.push(v),
                    _ => {
                        return Err(ctx.op_err(format!(
                            "size_splits {given:?} does not split an axis of {d} into non-empty \
                             parts"
                        )))
                    }
                }
            }
            if holes > 1 || out.iter().sum::<usize>() != d {
                return Err(ctx.op_err(format!(
                    "size_splits {given:?} does not add up to the axis size {d}"
                )));
            }
            out
        };
        let mut start = 0usize;
        for (k, (&out_idx, &size)) in op.outputs.iter().zip(&sizes).enumerate() {
            let (begin_k, end_k) = (start, start + size);
            start = end_k;
            let used = self.sg.outputs.contains(&out_idx)
                || self
                    .sg
                    .operators
                    .iter()
                    .any(|o| o.inputs.iter().flatten().any(|&i| i == out_idx));
            if !used {
                continue;
            }
            let out = self.tensor(ctx, out_idx)?;
            self.same_quant(ctx, &format!("{builtin} (output {k})"), xt, out)?;
            let mut begin = vec![0usize; in_shape.len()];
            let mut end: Vec<i64> = in_shape
                .iter()
                .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
                .collect();
            let mut shape = in_shape.clone();
            begin[axis - 1] = begin_k;
            end[axis - 1] = i64::try_from(end_k).unwrap_or(i64::MAX);
            shape[axis - 1] = size;
            let emit = Emit {
                name: None,
                op: Op::StridedSlice {
                    begin,
                    end,
                    strides: vec![1; in_shape.len()],
                    shape: shape.clone(),
                },
                inputs: vec![x],
                shape,
                dtype: act_dtype,
            };
            self.finish(ctx, out_idx, emit)?;
        }
        Ok(())
    }

    fn concat(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let BuiltinOptions::Concatenation { axis, activation } = op.options else {
            return Err(ctx.op_err("has no ConcatenationOptions"));
        };
        if activation != Activation::None {
            return Err(ctx.op_err("a fused activation on CONCATENATION is not supported"));
        }
        if op.inputs.len() < 2 {
            return Err(ctx.op_err("needs at least two inputs"));
        }
        let mut inputs = Vec::with_capacity(op.inputs.len());
        let mut dtype = None;
        for i in 0..op.inputs.len() {
            let (h, d) = self.data_act(ctx, op, i)?;
            if dtype.is_some_and(|first| first != d) {
                let t = self.input_tensor(ctx, op, i)?;
                return Err(ctx.type_err(t, "the type of the first input (all INT8 or all INT16)"));
            }
            dtype = Some(d);
            inputs.push(h);
        }
        let first = self.module.tensors[inputs[0]].shape.clone();
        let rank = first.len() + 1;
        let a = normalise_axis(i64::from(axis), rank)
            .ok_or_else(|| ctx.op_err(format!("axis {axis} is out of range for rank {rank}")))?;
        if a == 0 {
            return Err(ctx.op_err("concatenation along the batch dimension is not supported"));
        }
        let axis = a - 1;
        let mut shape = first.clone();
        for &h in &inputs[1..] {
            let s = &self.module.tensors[h].shape;
            let compatible = s.len() == first.len()
                && s.iter()
                    .zip(&first)
                    .enumerate()
                    .all(|(d, (x, y))| d == axis || x == y);
            if !compatible {
                return Err(ctx.op_err(format!(
                    "input shapes {} and {} differ outside axis {axis}",
                    ir::shape_string(&first),
                    ir::shape_string(s)
                )));
            }
            shape[axis] += s[axis];
        }
        Ok(Emit {
            name: None,
            op: Op::Concat { axis },
            inputs,
            shape,
            dtype: dtype.unwrap_or(DType::I8),
        })
    }

    fn mean(&mut self, ctx: Ctx<'_>, op: &Operator) -> Result<Emit, ImportError> {
        let keep_dims = match op.options {
            BuiltinOptions::Reducer { keep_dims } => keep_dims,
            _ => false,
        };
        let x = self.data_i8(ctx, op, 0)?;
        let in_shape = self.module.tensors[x].shape.clone();
        let rank = in_shape.len() + 1;
        let raw = self.ints(ctx, op, 1)?;
        let mut axes = Vec::with_capacity(raw.values.len());
        for &v in &raw.values {
            let a = normalise_axis(v, rank)
                .ok_or_else(|| ctx.op_err(format!("axis {v} is out of range for rank {rank}")))?;
            if a == 0 {
                return Err(ctx.op_err("a mean over the batch dimension is not supported"));
            }
            if axes.contains(&(a - 1)) {
                return Err(ctx.op_err(format!("axis {v} is given twice")));
            }
            axes.push(a - 1);
        }
        axes.sort_unstable();
        if axes.is_empty() {
            return Err(ctx.op_err("a mean over no axis is not supported"));
        }
        let shape: Vec<usize> = in_shape
            .iter()
            .enumerate()
            .filter_map(|(d, &n)| match (axes.contains(&d), keep_dims) {
                (false, _) => Some(n),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        let op = if in_shape.len() == 3 && axes == [0, 1] {
            Op::GlobalAvgPool { keep_dims }
        } else {
            Op::Mean { axes, keep_dims }
        };
        Ok(Emit {
            name: None,
            op,
            inputs: vec![x],
            shape,
            dtype: DType::I8,
        })
    }

    // ----- constant folding ---------------------------------------------------------------------

    fn fold(&self, ctx: Ctx<'_>, builtin: BuiltinOp, op: &Operator) -> Result<Folded, ImportError> {
        let unsupported = |detail: &str| ImportError::Operator {
            index: ctx.index,
            op: ctx.op.to_owned(),
            problem: format!(
                "{detail}; {} is only supported as part of a shape computation nnd can fold \
                 (Keras Flatten). Supported operators: {SUPPORTED_OPS}",
                ctx.op
            ),
        };
        if builtin == BuiltinOp::Shape {
            let Some(Some(idx)) = op.inputs.first().copied() else {
                return Err(ctx.op_err("input 0 is missing"));
            };
            let t = self.tensor(ctx, idx)?;
            let values = t
                .shape
                .iter()
                .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
                .collect::<Vec<_>>();
            return Ok(Folded {
                shape: vec![values.len()],
                values,
            });
        }
        if builtin == BuiltinOp::Pack {
            let BuiltinOptions::Pack { axis, .. } = op.options else {
                return Err(ctx.op_err("has no PackOptions"));
            };
            if axis != 0 {
                return Err(unsupported("packing along an axis other than 0"));
            }
            let mut values = Vec::new();
            let mut elem_shape: Option<Vec<usize>> = None;
            for i in 0..op.inputs.len() {
                let f = self
                    .ints(ctx, op, i)
                    .map_err(|_| unsupported("an input is not a constant integer"))?;
                if elem_shape.as_ref().is_some_and(|s| *s != f.shape) {
                    return Err(ctx.op_err("packed values have different shapes"));
                }
                elem_shape = Some(f.shape.clone());
                values.extend(f.values);
            }
            let mut shape = vec![op.inputs.len()];
            shape.extend(elem_shape.unwrap_or_default());
            return Ok(Folded { shape, values });
        }
        // STRIDED_SLICE of a 1-D integer vector.
        let BuiltinOptions::StridedSlice(o) = op.options else {
            return Err(ctx.op_err("has no StridedSliceOptions"));
        };
        let input = self
            .ints(ctx, op, 0)
            .map_err(|_| unsupported("the sliced tensor is not a constant integer vector"))?;
        let begin = self.ints(ctx, op, 1)?;
        let end = self.ints(ctx, op, 2)?;
        let strides = self.ints(ctx, op, 3)?;
        if input.shape.len() != 1
            || begin.values.len() != 1
            || end.values.len() != 1
            || strides.values.len() != 1
        {
            return Err(unsupported("only 1-D slices can be folded"));
        }
        slice_1d(
            &input.values,
            begin.values[0],
            end.values[0],
            strides.values[0],
            o,
        )
        .ok_or_else(|| unsupported("this slice (masks or negative stride) cannot be folded"))
    }
}

/// TFLite's 1-D strided slice with begin/end/shrink masks and a positive stride.
fn slice_1d(
    values: &[i64],
    begin: i64,
    end: i64,
    stride: i64,
    o: StridedSliceOptions,
) -> Option<Folded> {
    if stride <= 0 || o.ellipsis_mask != 0 || o.new_axis_mask != 0 {
        return None;
    }
    let n = i64::try_from(values.len()).ok()?;
    let norm = |v: i64| {
        if v < 0 {
            (v + n).clamp(0, n)
        } else {
            v.clamp(0, n)
        }
    };
    let b = if o.begin_mask & 1 != 0 {
        0
    } else {
        norm(begin)
    };
    if o.shrink_axis_mask & 1 != 0 {
        let v = *values.get(usize::try_from(b).ok()?)?;
        return Some(Folded {
            shape: vec![],
            values: vec![v],
        });
    }
    let e = if o.end_mask & 1 != 0 { n } else { norm(end) };
    let mut out = Vec::new();
    let mut i = b;
    while i < e {
        out.push(*values.get(usize::try_from(i).ok()?)?);
        i += stride;
    }
    Some(Folded {
        shape: vec![out.len()],
        values: out,
    })
}

/// A reshape target with at most one -1 resolved against `count` elements (the batch included in
/// neither or both).
fn resolve_reshape(target: &[i64], count: usize) -> Option<Vec<usize>> {
    let mut known = 1usize;
    let mut hole = None;
    for (i, &v) in target.iter().enumerate() {
        if v == -1 {
            if hole.replace(i).is_some() {
                return None;
            }
        } else {
            known = known.checked_mul(usize::try_from(v).ok().filter(|&v| v > 0)?)?;
        }
    }
    let mut out: Vec<usize> = target
        .iter()
        .map(|&v| usize::try_from(v).unwrap_or(0))
        .collect();
    match hole {
        Some(i) => {
            if count % known != 0 {
                return None;
            }
            out[i] = count / known;
        }
        None if known != count => return None,
        None => {}
    }
    Some(out)
}

/// The one scale and zero point of tensor `t` (`what` in messages), which `op` (an operator TFLM
/// reads with per-tensor quantisation) requires: an error for per-channel or missing parameters
/// and for a scale that is not finite and positive.
fn per_tensor_quant(
    ctx: Ctx<'_>,
    t: &TfTensor,
    what: &str,
    op: &str,
) -> Result<(f32, i64), ImportError> {
    match &t.quantization {
        Some(q) if q.scale.len() == 1 && q.zero_point.len() <= 1 => {
            let (s, z) = (q.scale[0], q.zero_point.first().copied().unwrap_or(0));
            if s.is_finite() && s > 0.0 {
                Ok((s, z))
            } else {
                Err(ctx.tensor_err(t, format!("{what} scale {s} is not finite and positive")))
            }
        }
        _ => Err(ctx.tensor_err(
            t,
            format!(
                "{what} needs one scale and one zero point (per-tensor quantisation, as TFLM's \
                 {op} reads it)"
            ),
        )),
    }
}

/// `axis` (negative counts from the end) as an index below `rank`.
fn normalise_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = i64::try_from(rank).ok()?;
    let a = if axis < 0 { axis + r } else { axis };
    usize::try_from(a).ok().filter(|&a| a < rank)
}

/// NumPy broadcasting of two shapes aligned from the right.
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for (i, o) in out.iter_mut().enumerate() {
        let da = (i + a.len()).checked_sub(n).map_or(1, |j| a[j]);
        let db = (i + b.len()).checked_sub(n).map_or(1, |j| b[j]);
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Last path components that name the core op of a fused TFLite op.
const CORE_LEAVES: [&str; 5] = [
    "convolution",
    "depthwise",
    "Conv2D",
    "MatMul",
    "DepthwiseConv2dNative",
];

/// Keywords of the .nnd language, which cannot be names.
const KEYWORDS: [&str; 5] = ["network", "input", "weights", "let", "output"];

/// A readable `.nnd` identifier for a TFLite tensor name, or `None` if nothing usable remains.
///
/// Of `;`-separated names (a fused op), the one ending in `convolution`, `depthwise`, `Conv2D` or
/// `MatMul` is used, else the first. Its first path component (the model scope) is
/// dropped; of the rest, the second-to-last component (the Keras layer) is taken, or the only
/// one: `sequential/conv2d/Relu;sequential/conv2d/BiasAdd` gives `conv2d`, `functional_1/Mean`
/// gives `mean`, `serving_default_input_1:0` gives `input_1`, `StatefulPartitionedCall:0` gives
/// `statefulpartitionedcall`.
pub fn identifier(raw: &str) -> Option<String> {
    // A fused op lists every name it replaces; prefer the convolution / matmul itself over the
    // activation or batch-norm layers folded into it.
    let first = raw
        .split(';')
        .find(|seg| {
            seg.rsplit('/')
                .next()
                .is_some_and(|leaf| CORE_LEAVES.iter().any(|c| leaf.eq_ignore_ascii_case(c)))
        })
        .or_else(|| raw.split(';').next())
        .unwrap_or(raw);
    let first = first.strip_prefix("serving_default_").unwrap_or(first);
    let first = match first.rsplit_once(':') {
        Some((head, tail)) if tail.chars().all(|c| c.is_ascii_digit()) => head,
        _ => first,
    };
    let mut parts: Vec<&str> = first.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() >= 2 {
        // The model scope (`sequential`, `functional_1`).
        parts.remove(0);
    }
    let pick = match parts.len() {
        0 => return None,
        1 => parts[0],
        n => parts[n - 2],
    };
    let mut out = String::with_capacity(pick.len());
    for c in pick.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        return None;
    }
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) || KEYWORDS.contains(&out.as_str()) {
        format!("t_{out}")
    } else {
        out
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_readable() {
        assert_eq!(
            identifier("sequential/conv2d/Relu;sequential/conv2d/BiasAdd").as_deref(),
            Some("conv2d")
        );
        assert_eq!(
            identifier("serving_default_input_1:0").as_deref(),
            Some("input_1")
        );
        assert_eq!(
            identifier("StatefulPartitionedCall:0").as_deref(),
            Some("statefulpartitionedcall")
        );
        assert_eq!(identifier("input").as_deref(), Some("t_input"));
        assert_eq!(identifier("1x").as_deref(), Some("t_1x"));
        assert_eq!(identifier(";;").as_deref(), None);
        assert_eq!(identifier("functional_1/Mean").as_deref(), Some("mean"));
        assert_eq!(
            identifier(
                "m/re_lu_9/Relu;m/batch_normalization_9/batchnorm/add_1;m/conv2d_5/convolution"
            )
            .as_deref(),
            Some("conv2d_5")
        );
        assert_eq!(identifier("a--b").as_deref(), Some("a_b"));
    }

    #[test]
    fn slices_fold_like_tflite() {
        let o = StridedSliceOptions {
            begin_mask: 0,
            end_mask: 0,
            ellipsis_mask: 0,
            new_axis_mask: 0,
            shrink_axis_mask: 1,
            offset: false,
        };
        let f = slice_1d(&[1, 4, 4, 8], 0, 1, 1, o).unwrap_or_else(|| Folded {
            shape: vec![9],
            values: vec![],
        });
        assert_eq!(f.values, [1]);
        assert!(f.shape.is_empty());
        let o = StridedSliceOptions {
            shrink_axis_mask: 0,
            begin_mask: 1,
            ..o
        };
        let f = slice_1d(&[1, 4, 4, 8], 3, -1, 1, o).map(|f| f.values);
        assert_eq!(f, Some(vec![1, 4, 4]));
        assert_eq!(resolve_reshape(&[1, -1], 128), Some(vec![1, 128]));
        assert_eq!(resolve_reshape(&[-1, -1], 128), None);
        assert_eq!(resolve_reshape(&[3, -1], 128), None);
        assert_eq!(broadcast(&[4, 4, 2], &[2]), Some(vec![4, 4, 2]));
        assert_eq!(broadcast(&[4, 4, 2], &[3]), None);
    }
}
