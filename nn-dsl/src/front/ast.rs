//! The surface syntax tree shared by every text front end (.nnd through pest, Rust tokens through
//! syn). Every node carries the [`Span`] it was written at; the front ends build it and
//! [`crate::ir`] resolves it into the IR. Nothing here is checked yet: names may be undefined,
//! attributes unknown, shapes wrong.

use crate::span::{Span, Spanned};

/// An identifier with its span.
pub type Ident = Spanned<String>;

/// One `network Name { ... }` declaration (a .nnd file holds exactly one).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// The network's name (becomes the generated type's name).
    pub name: Ident,
    /// Statements in source order.
    pub items: Vec<Item>,
    /// The whole declaration.
    pub span: Span,
}

/// Element type written in an input declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `i8`: quantised int8 (TFLite int8 scheme).
    I8,
    /// `f32`: float; must pass through `quantize` before int8 ops.
    F32,
    /// `q7<F>`: power-of-two q7 with `F` fractional bits (an `i8` holding `x / 2^F`, as
    /// CMSIS-NN's legacy `_q7` functions take it). Makes the network a q7 network.
    Q7 {
        /// Fractional bits as written (the checker takes -31..=31).
        frac: i64,
    },
    /// `q15<F>`: power-of-two q15 with `F` fractional bits (an `i16` holding `x / 2^F`, as
    /// CMSIS-NN's legacy `_q15` functions take it). Makes the network a q15 network.
    Q15 {
        /// Fractional bits as written (the checker takes -31..=31).
        frac: i64,
    },
}

/// A statement of the network body.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `input x: i8[49, 10, 1];` (the batch dimension is implicit and 1).
    Input {
        /// Tensor name.
        name: Ident,
        /// Element type, with the span of the type keyword.
        dtype: Spanned<DType>,
        /// Dimensions as written (validated later: each must be >= 1).
        dims: Vec<Spanned<i64>>,
        /// The whole statement.
        span: Span,
    },
    /// `weights "kws.safetensors";`
    Weights {
        /// The path as written (without quotes, escapes resolved).
        path: Spanned<String>,
        /// The whole statement.
        span: Span,
    },
    /// `let c1 = conv2d(x, ...);`
    Let {
        /// The bound name.
        name: Ident,
        /// The value.
        value: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `output y;`, `output softmax(y);` or `output probs = softmax(y);`
    Output {
        /// Optional output name (defaults to the tensor's own name, or `output{index}`).
        name: Option<Ident>,
        /// The value.
        value: Expr,
        /// The whole statement.
        span: Span,
    },
}

/// A tensor-valued expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A reference to a named tensor.
    Ref(Ident),
    /// An operator call: `op(tensor args..., attr = value, ...)`.
    Call(Call),
}

impl Expr {
    /// The span of the whole expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Ref(id) => id.span,
            Expr::Call(c) => c.span,
        }
    }
}

/// An operator call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Operator name as written (may be unknown: checked later).
    pub op: Ident,
    /// Positional arguments: the input tensors, in order.
    pub inputs: Vec<Expr>,
    /// Named arguments: the attributes, in source order (duplicates are kept and reported later).
    pub attrs: Vec<Attr>,
    /// From the operator name to the closing parenthesis.
    pub span: Span,
}

/// `name = value` inside a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    /// Attribute name.
    pub name: Ident,
    /// Its value.
    pub value: Value,
    /// `name = value` as a whole.
    pub span: Span,
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer literal, possibly negative: `3`, `-1`.
    Int(Spanned<i64>),
    /// A float literal: `0.5`, `-1e-3`.
    Float(Spanned<f64>),
    /// A bare word: `same`, `relu`, `true`.
    Word(Ident),
    /// A string literal: `"x"`.
    Str(Spanned<String>),
    /// A list: `[10, 4]`, `[[0, 0], [1, 1]]`.
    List(Spanned<Vec<Value>>),
}

impl Value {
    /// The span of the whole value.
    pub fn span(&self) -> Span {
        match self {
            Value::Int(v) => v.span,
            Value::Float(v) => v.span,
            Value::Word(v) => v.span,
            Value::Str(v) => v.span,
            Value::List(v) => v.span,
        }
    }
}
