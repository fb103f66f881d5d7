//! The IR: one graph of tensors and nodes in typed arenas, with a span on every element.
//!
//! A [`Module`] is what every front end produces (the .nnd checker in [`crate::check`], later the
//! .tflite importer) and what the memory planner and the code generators read. It is not shaped
//! around the .nnd syntax: attributes are resolved to explicit numbers ([`op`]), names are
//! resolved to [`Handle`]s, shapes are inferred.
//!
//! # Invariants of a module returned by a front end
//!
//! - **Shapes exclude the batch dimension**, which is implicit and 1. Every dimension is >= 1, and
//!   every tensor (and every weight tensor implied by an op) has at most `i32::MAX` elements,
//!   TensorFlow Lite's limit, so element counts and MAC counts fit in `u64` without overflow.
//! - **Handles are in range**: every `Handle<Tensor>` and `Handle<Node>` stored in the module
//!   points into its own arenas.
//! - **Single producer**: each tensor is either a graph input ([`Producer::Input`], listed in
//!   [`Module::inputs`]) or the output of exactly one node ([`Producer::Node`]); the node's
//!   `output` handle points back at it.
//! - **Topological schedule**: nodes are stored in an order in which every node comes after the
//!   producers of all its inputs. Executing `nodes` in arena order is a valid schedule. There are
//!   no cycles.
//! - **Consistent shapes and dtypes**: each node's output tensor has the shape and dtype its
//!   [`Op`] computes from its input tensors (TFLite semantics, see `docs/ops.md`).
//! - **Node inputs are data tensors only**, in the op's argument order. Parameters (weights,
//!   biases, quantisation of weights) are not graph tensors: their shapes follow from the op's
//!   attributes and its input shape, and their values come from the weights file named by
//!   [`Module::weights`].
//! - **Names are unique** among tensors, and a node's name equals its output tensor's name. Nested
//!   calls in .nnd (`dense(flatten(g))` bound to `y`) become nodes named `y.flatten`.
//! - Nodes whose output no graph output depends on are kept (the checker warns about them);
//!   consumers that want only the live part can walk back from [`Module::outputs`].

pub mod arena;
pub mod fold;
pub mod op;
pub mod report;

use std::fmt;

use crate::span::{Span, Spanned};

pub use arena::{Arena, ArenaFull, Handle};
pub use op::{
    Activation, Conv2d, Dense, DepthwiseConv2d, Lstm, Op, Padding2d, PaddingScheme, Pool2d, Svdf,
    TransposeConv2d, Window2d,
};

/// Element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// Signed 8-bit, quantised (TFLite int8 scheme).
    I8,
    /// Signed 16-bit, quantised with zero point 0 (TFLite's 16x8 scheme: int16 activations,
    /// int8 weights, int64 bias).
    I16,
    /// IEEE single precision.
    F32,
    /// Signed 32-bit (biases, indices).
    I32,
}

impl DType {
    /// The name used in .nnd (`i8`, `i16`, `f32`, `i32`).
    pub fn name(self) -> &'static str {
        match self {
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::F32 => "f32",
            DType::I32 => "i32",
        }
    }

    /// Bytes per element.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

impl From<crate::front::ast::DType> for DType {
    fn from(d: crate::front::ast::DType) -> Self {
        match d {
            crate::front::ast::DType::I8 | crate::front::ast::DType::Q7 { .. } => DType::I8,
            crate::front::ast::DType::Q15 { .. } => DType::I16,
            crate::front::ast::DType::F32 => DType::F32,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The arithmetic a network's layers use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Numerics {
    /// TensorFlow Lite's int8 scheme: scale and zero point per tensor, Q31 multipliers (every
    /// imported model, every `.nnd` network with `i8` or `f32` inputs).
    #[default]
    Tflite,
    /// Power-of-two q7 or q15 (CMSIS-NN's legacy `_q7` / `_q15` functions, nnom): every tensor
    /// has scale `2^-frac` and zero point 0 ([`Quant::pow2`]), weights and biases have their own
    /// formats, and every rescaling is a shift (`nn_kernels::q7q15`). A `.nnd` network whose
    /// inputs are declared `q7<F>` (every tensor [`DType::I8`]) or `q15<F>` (every tensor
    /// [`DType::I16`]).
    Pow2,
}

/// Affine quantisation `real = scale * (q - zero_point)`, per tensor or per channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Quant {
    /// One scale (per tensor) or one per channel along `axis`.
    pub scale: Vec<f32>,
    /// Same length as `scale`.
    pub zero_point: Vec<i64>,
    /// The channel axis for per-channel quantisation, `None` for per-tensor.
    pub axis: Option<usize>,
}

impl Quant {
    /// The quantisation of a q7 tensor with `frac` fractional bits: scale `2^-frac` (exact in
    /// `f32` for `frac` in -126..=126), zero point 0.
    pub fn pow2(frac: i32) -> Quant {
        let exponent = (127 - frac.clamp(-126, 126)) as u32;
        Quant {
            scale: vec![f32::from_bits(exponent << 23)],
            zero_point: vec![0],
            axis: None,
        }
    }

    /// `Some(frac)` when this is [`Quant::pow2`]`(frac)`: one scale that is a normal power of
    /// two, zero point 0.
    pub fn pow2_frac(&self) -> Option<i32> {
        match (self.scale.as_slice(), self.zero_point.as_slice()) {
            (&[s], &[0]) if s.is_normal() && s > 0.0 && s.to_bits() & 0x7f_ffff == 0 => {
                Some(127 - (s.to_bits() >> 23) as i32)
            }
            _ => None,
        }
    }
}

/// Who writes a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Producer {
    /// The graph input at this position of [`Module::inputs`].
    Input(usize),
    /// The node whose `output` this is.
    Node(Handle<Node>),
}

/// A value flowing along the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Unique name (the .nnd binding, or `binding.op` for nested calls).
    pub name: String,
    /// Dimensions without the batch, each >= 1.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Quantisation parameters; `None` when not known yet (the .nnd front end leaves them to the
    /// weights file), filled by the .tflite importer.
    pub quant: Option<Quant>,
    /// Graph input or producing node.
    pub producer: Producer,
    /// Where the tensor was defined (the binding's name, or the nested call).
    pub span: Span,
}

impl Tensor {
    /// Number of elements (product of the shape; 1 for rank 0). Saturates, which cannot happen in
    /// a checked module.
    pub fn elements(&self) -> usize {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .unwrap_or(usize::MAX)
    }

    /// Size in bytes of the data (elements times element size), saturating.
    pub fn size_bytes(&self) -> usize {
        self.elements().saturating_mul(self.dtype.size_bytes())
    }
}

/// One operator application.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Unique name (equal to the output tensor's name).
    pub name: String,
    /// Operator and resolved attributes.
    pub op: Op,
    /// Data inputs in argument order.
    pub inputs: Vec<Handle<Tensor>>,
    /// The tensor this node writes.
    pub output: Handle<Tensor>,
    /// The call that produced this node.
    pub span: Span,
    /// Where an imported node came from in the source model, for people reading the result
    /// (`tflite operator 3 (CONV_2D), output "model/conv2d_5/Relu"`); `None` for `.nnd` networks.
    pub source: Option<String>,
}

/// A whole network.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    /// The network's name.
    pub name: String,
    /// The weights file named by the source, with the span of the path.
    pub weights: Option<Spanned<String>>,
    /// Every tensor (graph inputs and node outputs).
    pub tensors: Arena<Tensor>,
    /// Every node, in a valid execution order.
    pub nodes: Arena<Node>,
    /// Graph inputs in declaration order.
    pub inputs: Vec<Handle<Tensor>>,
    /// Graph outputs in declaration order, with their names.
    pub outputs: Vec<(String, Handle<Tensor>)>,
    /// The arithmetic of its layers.
    pub numerics: Numerics,
}

impl Module {
    /// An empty module called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Module {
            name: name.into(),
            ..Module::default()
        }
    }

    /// The element type of `t` as `.nnd` writes it: `q7<F>` for an int8 tensor of a q7 network,
    /// `q15<F>` for an int16 tensor of a q15 network, the dtype's name otherwise.
    pub fn element_type(&self, t: &Tensor) -> String {
        match t.quant.as_ref().and_then(Quant::pow2_frac) {
            Some(f) if self.numerics == Numerics::Pow2 && t.dtype == DType::I8 => {
                format!("q7<{f}>")
            }
            Some(f) if self.numerics == Numerics::Pow2 && t.dtype == DType::I16 => {
                format!("q15<{f}>")
            }
            _ => t.dtype.name().to_owned(),
        }
    }

    /// Bytes of the state the stateful layers (SVDF, LSTM) keep between runs, outside the arena
    /// (0 for a network without state).
    pub fn state_bytes(&self) -> usize {
        self.nodes
            .iter()
            .map(|(_, n)| match &n.op {
                Op::Svdf(s) => s.state_len().saturating_mul(s.state.size_bytes()),
                // int8 hidden state and int16 cell state.
                Op::Lstm(l) => l.units.saturating_mul(3),
                _ => 0,
            })
            .fold(0usize, usize::saturating_add)
    }

    /// The tensor named `name`, if any.
    pub fn tensor_by_name(&self, name: &str) -> Option<Handle<Tensor>> {
        self.tensors
            .iter()
            .find(|(_, t)| t.name == name)
            .map(|(h, _)| h)
    }

    /// The node named `name`, if any.
    pub fn node_by_name(&self, name: &str) -> Option<Handle<Node>> {
        self.nodes
            .iter()
            .find(|(_, n)| n.name == name)
            .map(|(h, _)| h)
    }

    /// The shape of `node`'s input number `i`, if both exist.
    pub fn input_shape(&self, node: Handle<Node>, i: usize) -> Option<&[usize]> {
        let n = self.nodes.get(node)?;
        let t = self.tensors.get(*n.inputs.get(i)?)?;
        Some(&t.shape)
    }

    /// Checks the structural invariants listed in the module docs (handles in range, single
    /// producer, topological order, dimensions >= 1, unique names). Returns a description of the
    /// first violation. Shape rules per op are the checker's job and are not re-derived here.
    pub fn validate(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for (h, t) in self.tensors.iter() {
            if !names.insert(t.name.as_str()) {
                return Err(format!("tensor name `{}` is used twice", t.name));
            }
            if t.shape.contains(&0) {
                return Err(format!("tensor `{}` has a zero dimension", t.name));
            }
            match t.producer {
                Producer::Input(i) => {
                    if self.inputs.get(i) != Some(&h) {
                        return Err(format!("input tensor `{}` is not inputs[{i}]", t.name));
                    }
                }
                Producer::Node(n) => match self.nodes.get(n) {
                    Some(node) if node.output == h => {}
                    _ => return Err(format!("tensor `{}` has a wrong producer", t.name)),
                },
            }
        }
        for (i, &h) in self.inputs.iter().enumerate() {
            match self.tensors.get(h) {
                Some(t) if t.producer == Producer::Input(i) => {}
                _ => return Err(format!("inputs[{i}] is not an input tensor")),
            }
        }
        for (h, n) in self.nodes.iter() {
            match self.tensors.get(n.output) {
                Some(t) if t.producer == Producer::Node(h) && t.name == n.name => {}
                _ => return Err(format!("node `{}` has a wrong output tensor", n.name)),
            }
            for &input in &n.inputs {
                match self.tensors.get(input).map(|t| t.producer) {
                    None => return Err(format!("node `{}` has a dangling input", n.name)),
                    Some(Producer::Node(p)) if p >= h => {
                        return Err(format!("node `{}` runs before its input", n.name))
                    }
                    Some(_) => {}
                }
            }
        }
        for (name, h) in &self.outputs {
            if !self.tensors.contains(*h) {
                return Err(format!("output `{name}` is dangling"));
            }
        }
        Ok(())
    }
}

/// Formats a shape as `[8, 8, 16]`.
pub fn shape_string(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("[{}]", dims.join(", "))
}

#[cfg(test)]
mod tests {
    use super::Quant;

    /// `pow2(f)` is exactly `2^-f` and `pow2_frac` gives `f` back; other quantisations are not
    /// q7 formats.
    #[test]
    fn pow2_formats_round_trip() {
        for f in -31..=31 {
            let q = Quant::pow2(f);
            assert_eq!(f64::from(q.scale[0]), 2f64.powi(-f), "{f}");
            assert_eq!(q.pow2_frac(), Some(f));
        }
        let not = |scale: f32, zero_point: i64| Quant {
            scale: vec![scale],
            zero_point: vec![zero_point],
            axis: None,
        };
        assert_eq!(not(0.75, 0).pow2_frac(), None);
        assert_eq!(not(0.5, 3).pow2_frac(), None);
        assert_eq!(not(f32::MIN_POSITIVE / 2.0, 0).pow2_frac(), None);
        assert_eq!(not(-0.5, 0).pow2_frac(), None);
        let per_channel = Quant {
            scale: vec![0.5, 0.5],
            zero_point: vec![0, 0],
            axis: Some(0),
        };
        assert_eq!(per_channel.pow2_frac(), None);
    }
}
