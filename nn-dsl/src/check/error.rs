//! The checker's error type: one compact enum with spans, turned into [`Diagnostic`]s in one place
//! so that every code, message and label style lives here (and in `docs/diagnostics.md`).

use crate::diag::Diagnostic;
use crate::ir::{shape_string, DType};
use crate::span::Span;

use super::ops::{self, Arity};

/// A tensor as seen by an error message: its name, shape and dtype, where it is used (the
/// argument) and where it was defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorRef {
    /// Tensor name.
    pub name: String,
    /// Shape without the batch.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// The argument that uses it.
    pub use_span: Span,
    /// Its definition.
    pub def_span: Span,
}

impl TensorRef {
    fn desc(&self) -> String {
        format!("`{}` is {}", self.name, shape_string(&self.shape))
    }

    fn named(&self) -> String {
        format!("`{}` {}", self.name, shape_string(&self.shape))
    }
}

/// Why a tensor or attribute would exceed TensorFlow Lite's int32 sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TooLargeWhat {
    /// An attribute value or an input dimension above `i32::MAX`.
    Value {
        /// What was written (`stride`, `dimension 0 of input x`).
        what: String,
        /// The value.
        value: i64,
    },
    /// A tensor (or weight tensor) with more than `i32::MAX` elements; the shape is as far as it
    /// could be computed.
    Tensor {
        /// `tensor \`y\`` or `the weights of \`c1\``.
        what: String,
        /// The shape in question.
        shape: Vec<usize>,
    },
}

/// Every problem the checker reports.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckError {
    /// E0100.
    UnknownOp {
        /// As written.
        name: String,
        /// The operator name.
        span: Span,
    },
    /// E0101.
    UnknownAttr {
        /// The operator.
        op: &'static str,
        /// As written.
        name: String,
        /// The attribute name.
        span: Span,
    },
    /// E0102.
    DuplicateAttr {
        /// Attribute name.
        name: String,
        /// The second occurrence.
        span: Span,
        /// The first occurrence.
        first: Span,
    },
    /// E0103.
    MissingAttr {
        /// The operator.
        op: &'static str,
        /// The missing attribute.
        name: &'static str,
        /// The call.
        call: Span,
    },
    /// E0104: wrong type or an invalid value for an attribute.
    BadAttr {
        /// Attribute name.
        name: &'static str,
        /// What it accepts.
        expected: &'static str,
        /// What was found, already formatted (`` `same` ``, `a list of 3 values`).
        found: String,
        /// The value.
        span: Span,
    },
    /// E0105.
    ArgCount {
        /// The operator.
        op: &'static str,
        /// Accepted counts.
        expected: Arity,
        /// Given count.
        found: usize,
        /// The call.
        span: Span,
    },
    /// E0106.
    Undefined {
        /// The name.
        name: String,
        /// The reference.
        span: Span,
        /// A defined name close to it.
        suggestion: Option<String>,
    },
    /// E0107.
    Redefined {
        /// The name.
        name: String,
        /// The second definition.
        span: Span,
        /// The first definition.
        first: Span,
    },
    /// E0108: bindings that depend on each other. `chain` starts and ends with the same name.
    Cycle {
        /// `(name, definition span)` along the cycle, the first repeated at the end.
        chain: Vec<(String, Span)>,
    },
    /// E0109.
    NoOutput {
        /// Network name.
        network: String,
        /// The network's name.
        span: Span,
    },
    /// E0110.
    NoInput {
        /// Network name.
        network: String,
        /// The network's name.
        span: Span,
    },
    /// E0111.
    DuplicateWeights {
        /// The second statement.
        span: Span,
        /// The first one.
        first: Span,
    },
    /// E0112: an input dimension that is zero or negative, or no dimensions at all.
    InputDims {
        /// Input name.
        name: String,
        /// The bad value, or `None` when the shape is empty.
        value: Option<i64>,
        /// The dimension (or the input's name when empty).
        span: Span,
    },
    /// E0113: a size attribute (filters, units, kernel, pool size, depth multiplier) below 1.
    ZeroSize {
        /// Attribute name.
        name: &'static str,
        /// The value.
        value: i64,
        /// The value.
        span: Span,
    },
    /// E0114: a stride or dilation below 1.
    ZeroStep {
        /// `stride` or `dilation`.
        name: &'static str,
        /// The value.
        value: i64,
        /// The value.
        span: Span,
    },
    /// E0115: one tensor of the wrong element type.
    DType {
        /// The operator.
        op: &'static str,
        /// The argument.
        arg: TensorRef,
        /// The element type the operator needs.
        expected: DType,
    },
    /// E0115: two inputs that must share an element type.
    DTypePair {
        /// The operator.
        op: &'static str,
        /// The first input.
        a: TensorRef,
        /// The input that differs.
        b: TensorRef,
    },
    /// E0116: a tensor of the wrong rank.
    Rank {
        /// The operator.
        op: &'static str,
        /// The argument.
        arg: TensorRef,
        /// What the operator needs (`a rank-3 input [H, W, C]`).
        expected: &'static str,
    },
    /// E0116: two inputs of different ranks (concat).
    RankPair {
        /// The operator.
        op: &'static str,
        /// The first input.
        a: TensorRef,
        /// The input that differs.
        b: TensorRef,
    },
    /// E0116: `paddings` with the wrong number of pairs.
    PadsRank {
        /// The padded tensor.
        arg: TensorRef,
        /// Pairs given.
        pairs: usize,
        /// The `paddings` value.
        span: Span,
    },
    /// E0117 (last dimension) / E0118 (other dimensions): incompatible shapes of add/mul.
    Broadcast {
        /// The operator.
        op: &'static str,
        /// The first input.
        a: TensorRef,
        /// The second input.
        b: TensorRef,
        /// Index of the differing dimension in `b`'s shape.
        dim: usize,
        /// True when it is the last (channel) dimension of both.
        channel: bool,
    },
    /// E0117 / E0118: concat inputs that differ outside the concat axis.
    ConcatDim {
        /// The first input.
        a: TensorRef,
        /// The input that differs.
        b: TensorRef,
        /// The differing dimension.
        dim: usize,
        /// The concat axis.
        axis: usize,
    },
    /// E0119: reshape to a different element count, or a `-1` that cannot be inferred.
    ReshapeCount {
        /// The input.
        arg: TensorRef,
        /// The target as written.
        target: Vec<i64>,
        /// Product of the known target dimensions.
        known: usize,
        /// True when the target has a `-1`.
        infer: bool,
        /// The `shape` value.
        span: Span,
    },
    /// E0120: a window larger than the (padded) input along one or both spatial axes.
    KernelTooLarge {
        /// The operator.
        op: &'static str,
        /// The input.
        arg: TensorRef,
        /// Which axes (height, width) do not fit.
        axes: [bool; 2],
        /// Kernel `[h, w]`.
        kernel: [usize; 2],
        /// Dilation `[h, w]`.
        dilation: [usize; 2],
        /// Input `[h, w]`.
        input: [usize; 2],
        /// Explicit padding `[[top, bottom], [left, right]]`, if any.
        padding: Option<[[usize; 2]; 2]>,
        /// The kernel/size attribute.
        span: Span,
    },
    /// E0121: a reshape target dimension that is 0 or below -1.
    ZeroDim {
        /// The value.
        value: i64,
        /// The value.
        span: Span,
    },
    /// E0122.
    AxisOutOfRange {
        /// The operator.
        op: &'static str,
        /// As written.
        axis: i64,
        /// Rank of the input.
        rank: usize,
        /// The axis value.
        span: Span,
    },
    /// E0123: the same axis listed twice (after normalising negative axes).
    DuplicateAxis {
        /// Normalised axis.
        axis: usize,
        /// The second occurrence.
        span: Span,
        /// The first occurrence.
        first: Span,
    },
    /// E0124: something beyond TensorFlow Lite's int32 sizes.
    TooLarge {
        /// What.
        what: TooLargeWhat,
        /// Where.
        span: Span,
    },
    /// E0125: calls nested deeper than the checker's limit.
    TooDeep {
        /// The innermost call that was not examined.
        span: Span,
        /// The limit.
        limit: usize,
    },
    /// E0126: the planned activation arena is larger than [`crate::plan::MAX_OBJECT_BYTES`].
    ArenaTooLarge {
        /// Network name.
        network: String,
        /// The arena size the plan needs.
        bytes: usize,
        /// The layer at the peak and the bytes live there.
        peak: Option<(String, usize)>,
        /// The layer at the peak (the network's name without layers).
        span: Span,
    },
    /// E0126: a graph input or output larger than [`crate::plan::MAX_OBJECT_BYTES`].
    BufferTooLarge {
        /// `input` or `output`.
        role: &'static str,
        /// Tensor name.
        tensor: String,
        /// Its size in bytes.
        bytes: usize,
        /// Where the tensor is defined.
        span: Span,
    },
    /// E0127: a network name the generated Rust cannot use (see [`super::names::reserved`]).
    ReservedName {
        /// The name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
        /// The network's name.
        span: Span,
    },
    /// E0128: a rule of q7 / q15 (power-of-two) networks broken: a layer without its output
    /// format, `frac` in an int8 network, an operator or attribute the q7 / q15 kernels do not
    /// have, inputs of two kinds.
    Q7 {
        /// What is wrong.
        message: String,
        /// The primary label.
        label: &'static str,
        /// How to fix it.
        help: String,
        /// Where.
        span: Span,
    },
    /// W0101 (warning): a tensor no output depends on.
    Unused {
        /// The name.
        name: String,
        /// Where it is defined.
        span: Span,
        /// True for graph inputs.
        input: bool,
    },
}

/// `i32::MAX`, TensorFlow Lite's limit on dimensions and element counts.
pub(crate) const MAX_ELEMENTS: usize = i32::MAX as usize;

fn quoted_list<'s>(items: impl IntoIterator<Item = &'s str>) -> String {
    items
        .into_iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn inputs_word(n: usize) -> &'static str {
    if n == 1 {
        "input"
    } else {
        "inputs"
    }
}

impl CheckError {
    /// The stable code (documented in `docs/diagnostics.md`).
    pub fn code(&self) -> &'static str {
        match self {
            CheckError::UnknownOp { .. } => "E0100",
            CheckError::UnknownAttr { .. } => "E0101",
            CheckError::DuplicateAttr { .. } => "E0102",
            CheckError::MissingAttr { .. } => "E0103",
            CheckError::BadAttr { .. } => "E0104",
            CheckError::ArgCount { .. } => "E0105",
            CheckError::Undefined { .. } => "E0106",
            CheckError::Redefined { .. } => "E0107",
            CheckError::Cycle { .. } => "E0108",
            CheckError::NoOutput { .. } => "E0109",
            CheckError::NoInput { .. } => "E0110",
            CheckError::DuplicateWeights { .. } => "E0111",
            CheckError::InputDims { .. } => "E0112",
            CheckError::ZeroSize { .. } => "E0113",
            CheckError::ZeroStep { .. } => "E0114",
            CheckError::DType { .. } | CheckError::DTypePair { .. } => "E0115",
            CheckError::Rank { .. } | CheckError::RankPair { .. } | CheckError::PadsRank { .. } => {
                "E0116"
            }
            CheckError::Broadcast { channel: true, .. } => "E0117",
            CheckError::Broadcast { channel: false, .. } => "E0118",
            CheckError::ConcatDim { a, dim, .. } => {
                if *dim + 1 == a.shape.len() {
                    "E0117"
                } else {
                    "E0118"
                }
            }
            CheckError::ReshapeCount { .. } => "E0119",
            CheckError::KernelTooLarge { .. } => "E0120",
            CheckError::ZeroDim { .. } => "E0121",
            CheckError::AxisOutOfRange { .. } => "E0122",
            CheckError::DuplicateAxis { .. } => "E0123",
            CheckError::TooLarge { .. } => "E0124",
            CheckError::TooDeep { .. } => "E0125",
            CheckError::ArenaTooLarge { .. } | CheckError::BufferTooLarge { .. } => "E0126",
            CheckError::ReservedName { .. } => "E0127",
            CheckError::Q7 { .. } => "E0128",
            CheckError::Unused { .. } => "W0101",
        }
    }

    /// True for the warnings (the network is still valid).
    pub fn is_warning(&self) -> bool {
        matches!(self, CheckError::Unused { .. })
    }

    /// The diagnostic shown to the user.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let code = self.code();
        match self {
            CheckError::UnknownOp { name, span } => {
                let d = Diagnostic::error(code, format!("unknown operator `{name}`"))
                    .with_primary(*span, "not an operator")
                    .with_note(format!(
                        "valid operators are: {}",
                        quoted_list(ops::op_names())
                    ));
                match ops::did_you_mean(name, ops::op_names()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d,
                }
            }
            CheckError::UnknownAttr { op, name, span } => {
                let valid: Vec<&str> = ops::lookup(op)
                    .map(|o| o.attrs.iter().map(|a| a.name).collect())
                    .unwrap_or_default();
                let mut d = Diagnostic::error(code, format!("`{op}` has no attribute `{name}`"))
                    .with_primary(*span, "unknown attribute");
                d = if valid.is_empty() {
                    d.with_note(format!("`{op}` takes no attributes"))
                } else {
                    d.with_note(format!(
                        "valid attributes of `{op}` are: {}",
                        quoted_list(valid.iter().copied())
                    ))
                };
                match ops::did_you_mean(name, valid.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d,
                }
            }
            CheckError::DuplicateAttr { name, span, first } => {
                Diagnostic::error(code, format!("attribute `{name}` is given twice"))
                    .with_primary(*span, "given again here")
                    .with_secondary(*first, "first given here")
                    .with_help("remove one of them")
            }
            CheckError::MissingAttr { op, name, call } => {
                let spec = ops::lookup(op);
                let example = spec
                    .and_then(|o| o.attr(name))
                    .map(|a| a.example)
                    .unwrap_or(name);
                let call_example = spec.map(|o| o.example_call()).unwrap_or_default();
                Diagnostic::error(
                    code,
                    format!("`{op}` is missing the required attribute `{name}`"),
                )
                .with_primary(*call, format!("needs `{name}`"))
                .with_help(format!("add `{example}`, as in `{call_example}`"))
            }
            CheckError::BadAttr {
                name,
                expected,
                found,
                span,
            } => Diagnostic::error(code, format!("`{name}` expects {expected}, found {found}"))
                .with_primary(*span, "invalid value"),
            CheckError::ArgCount {
                op,
                expected,
                found,
                span,
            } => {
                let want = match expected {
                    Arity::Exactly(n) => format!("{n} tensor {}", inputs_word(*n)),
                    Arity::AtLeast(n) => format!("at least {n} tensor {}", inputs_word(*n)),
                    Arity::Between(lo, hi) => format!("{lo} to {hi} tensor inputs").replace(
                        &format!("{lo} to {}", lo + 1),
                        &format!("{lo} or {}", lo + 1),
                    ),
                };
                let was = if *found == 1 { "was" } else { "were" };
                Diagnostic::error(
                    code,
                    format!("`{op}` takes {want} but {found} {was} given"),
                )
                .with_primary(*span, format!("{found} tensor {}", inputs_word(*found)))
                .with_note("tensor inputs come first; attributes are written `name = value`")
            }
            CheckError::Undefined {
                name,
                span,
                suggestion,
            } => {
                let d = Diagnostic::error(code, format!("undefined tensor `{name}`"))
                    .with_primary(*span, "not defined");
                match suggestion {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!(
                        "define it with `let {name} = ...;` or `input {name}: i8[...];`"
                    )),
                }
            }
            CheckError::Redefined { name, span, first } => {
                Diagnostic::error(code, format!("`{name}` is defined twice"))
                    .with_primary(*span, "redefined here")
                    .with_secondary(*first, "first defined here")
                    .with_help("rename one of them")
            }
            CheckError::Cycle { chain } => {
                let names: Vec<&str> = chain.iter().map(|(n, _)| n.as_str()).collect();
                let mut d = Diagnostic::error(
                    code,
                    format!("tensors depend on each other in a cycle: {}", names.join(" -> ")),
                );
                for (i, pair) in chain.windows(2).enumerate() {
                    if let [(from, span), (to, _)] = pair {
                        let msg = format!("`{from}` uses `{to}`");
                        d = if i == 0 {
                            d.with_primary(*span, msg)
                        } else {
                            d.with_secondary(*span, msg)
                        };
                    }
                }
                d.with_note("every tensor must be computable from the inputs")
            }
            CheckError::NoOutput { network, span } => {
                Diagnostic::error(code, format!("network `{network}` has no `output` statement"))
                    .with_primary(*span, "no output")
                    .with_help("add one, e.g. `output y;`")
            }
            CheckError::NoInput { network, span } => {
                Diagnostic::error(code, format!("network `{network}` has no `input` statement"))
                    .with_primary(*span, "no input")
                    .with_help("declare one, e.g. `input x: i8[28, 28, 1];`")
            }
            CheckError::DuplicateWeights { span, first } => {
                Diagnostic::error(code, "more than one `weights` statement")
                    .with_primary(*span, "second weights file")
                    .with_secondary(*first, "first given here")
                    .with_help("a network reads one weights file: remove one of them")
            }
            CheckError::InputDims { name, value, span } => match value {
                Some(v) => Diagnostic::error(
                    code,
                    format!("input `{name}` has a dimension of {v}"),
                )
                .with_primary(*span, "must be at least 1"),
                None => Diagnostic::error(code, format!("input `{name}` has no dimensions"))
                    .with_primary(*span, "empty shape")
                    .with_help(format!(
                        "give its shape without the batch, e.g. `input {name}: i8[10];`"
                    )),
            },
            CheckError::ZeroSize { name, value, span } => {
                Diagnostic::error(code, format!("`{name}` must be at least 1, found {value}"))
                    .with_primary(*span, "a size must be positive")
            }
            CheckError::ZeroStep { name, value, span } => {
                let help = if *name == "stride" {
                    "use `stride = 1` to move the window one step at a time"
                } else {
                    "use `dilation = 1` for a kernel without gaps"
                };
                Diagnostic::error(code, format!("`{name}` must be at least 1, found {value}"))
                    .with_primary(*span, "must be at least 1")
                    .with_help(help)
            }
            CheckError::DType { op, arg, expected } => {
                let help = match (op, expected) {
                    (&"quantize", _) => format!("`{}` is already i8: remove `quantize`", arg.name),
                    (&"dequantize", _) => {
                        format!("`{}` is already f32: remove `dequantize`", arg.name)
                    }
                    (_, DType::I8) => format!("insert quantize({})", arg.name),
                    _ => format!("insert dequantize({})", arg.name),
                };
                Diagnostic::error(
                    code,
                    format!(
                        "`{op}` expects an {expected} tensor but `{}` is {}",
                        arg.name, arg.dtype
                    ),
                )
                .with_primary(arg.use_span, format!("this is {}", arg.dtype))
                .with_secondary(arg.def_span, format!("`{}` defined here", arg.name))
                .with_help(help)
            }
            CheckError::DTypePair { op, a, b } => {
                let (f32_arg, _) = if b.dtype == DType::F32 { (b, a) } else { (a, b) };
                Diagnostic::error(
                    code,
                    format!(
                        "`{op}` needs matching element types but `{}` is {} and `{}` is {}",
                        a.name, a.dtype, b.name, b.dtype
                    ),
                )
                .with_primary(b.use_span, format!("this is {}", b.dtype))
                .with_secondary(a.def_span, format!("`{}` defined here as {}", a.name, a.dtype))
                .with_help(format!("insert quantize({})", f32_arg.name))
            }
            CheckError::Rank { op, arg, expected } => {
                let d = Diagnostic::error(
                    code,
                    format!(
                        "`{op}` expects {expected} but {} (rank {})",
                        arg.desc(),
                        arg.shape.len()
                    ),
                )
                .with_primary(arg.use_span, format!("rank {}", arg.shape.len()))
                .with_secondary(arg.def_span, format!("`{}` defined here", arg.name));
                if *op == "dense" && arg.shape.len() > 1 {
                    d.with_help(format!(
                        "flatten it first: dense(flatten({}), ...)",
                        arg.name
                    ))
                } else {
                    d
                }
            }
            CheckError::RankPair { op, a, b } => Diagnostic::error(
                code,
                format!(
                    "`{op}` needs inputs of equal rank but {} and {}",
                    a.desc(),
                    b.desc()
                ),
            )
            .with_primary(b.use_span, format!("rank {}", b.shape.len()))
            .with_secondary(
                a.def_span,
                format!("`{}` defined here with rank {}", a.name, a.shape.len()),
            ),
            CheckError::PadsRank { arg, pairs, span } => Diagnostic::error(
                code,
                format!(
                    "`pad` needs one [before, after] pair per dimension but {} (rank {}) and `paddings` has {pairs} {}",
                    arg.desc(),
                    arg.shape.len(),
                    if *pairs == 1 { "pair" } else { "pairs" }
                ),
            )
            .with_primary(*span, format!("{pairs} given"))
            .with_secondary(arg.def_span, format!("`{}` defined here", arg.name)),
            CheckError::Broadcast {
                op,
                a,
                b,
                dim,
                channel,
            } => {
                let rank_a = a.shape.len();
                let offset = b.shape.len().saturating_sub(*dim);
                let a_dim = rank_a.checked_sub(offset);
                let av = a_dim.and_then(|i| a.shape.get(i)).copied().unwrap_or(1);
                let bv = b.shape.get(*dim).copied().unwrap_or(1);
                let what = if *channel {
                    "the channel counts differ".to_string()
                } else {
                    format!("dimension {dim} differs")
                };
                let d = Diagnostic::error(
                    code,
                    format!(
                        "`{op}` needs matching shapes but {} and {}",
                        a.desc(),
                        b.desc()
                    ),
                )
                .with_primary(b.use_span, format!("this is {}", shape_string(&b.shape)))
                .with_secondary(
                    a.def_span,
                    format!("`{}` defined here as {}", a.name, shape_string(&a.shape)),
                )
                .with_note(format!(
                    "{what}: {av} vs {bv}; shapes are aligned from the right and each pair of \
                     dimensions must be equal or 1"
                ));
                if *channel {
                    d.with_help(format!(
                        "change the channel count of one side, e.g. with conv2d({}, filters = {av}, kernel = 1)",
                        b.name
                    ))
                } else {
                    d
                }
            }
            CheckError::ConcatDim { a, b, dim, axis } => {
                let av = a.shape.get(*dim).copied().unwrap_or(0);
                let bv = b.shape.get(*dim).copied().unwrap_or(0);
                Diagnostic::error(
                    code,
                    format!(
                        "`concat` along axis {axis} needs all other dimensions equal but {} and {}",
                        a.desc(),
                        b.desc()
                    ),
                )
                .with_primary(b.use_span, format!("dimension {dim} is {bv}"))
                .with_secondary(
                    a.def_span,
                    format!("`{}` defined here with dimension {dim} = {av}", a.name),
                )
            }
            CheckError::ReshapeCount {
                arg,
                target,
                known,
                infer,
                span,
            } => {
                let target_s = format!(
                    "[{}]",
                    target
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let count = ir_elements(&arg.shape);
                let d = if *infer {
                    Diagnostic::error(
                        code,
                        format!(
                            "`reshape` cannot turn {} ({count} elements) into {target_s}: {count} is not a multiple of {known}",
                            arg.named()
                        ),
                    )
                    .with_primary(*span, format!("the other dimensions hold {known} elements"))
                } else {
                    Diagnostic::error(
                        code,
                        format!(
                            "`reshape` cannot turn {} ({count} elements) into {target_s} ({known} elements)",
                            arg.named()
                        ),
                    )
                    .with_primary(*span, format!("{known} elements"))
                };
                d.with_secondary(
                    arg.def_span,
                    format!("`{}` defined here with {count} elements", arg.name),
                )
                .with_help("the element counts must match; use -1 for one dimension to infer it")
            }
            CheckError::KernelTooLarge {
                op,
                arg,
                axes,
                kernel,
                dilation,
                input,
                padding,
                span,
            } => {
                let picked: Vec<usize> = (0..2).filter(|&i| axes[i]).collect();
                let join = |values: Vec<String>| values.join("x");
                let axis_word = match picked.as_slice() {
                    [1] if super::infer::is_1d(op) => " length",
                    [0] => " height",
                    [1] => " width",
                    _ => "",
                };
                let eff: Vec<String> = picked
                    .iter()
                    .map(|&i| {
                        kernel[i]
                            .saturating_sub(1)
                            .saturating_mul(dilation[i])
                            .saturating_add(1)
                            .to_string()
                    })
                    .collect();
                let ks = join(picked.iter().map(|&i| kernel[i].to_string()).collect());
                let k = if picked.iter().any(|&i| dilation[i] > 1) {
                    let ds = join(picked.iter().map(|&i| dilation[i].to_string()).collect());
                    format!(
                        "effective kernel{axis_word} {} (kernel {ks}, dilation {ds})",
                        join(eff)
                    )
                } else {
                    format!("kernel{axis_word} {ks}")
                };
                let inp = match padding {
                    Some(p) => {
                        let padded = join(
                            picked
                                .iter()
                                .map(|&i| {
                                    input[i]
                                        .saturating_add(p[i][0])
                                        .saturating_add(p[i][1])
                                        .to_string()
                                })
                                .collect(),
                        );
                        let sums: Vec<String> = picked
                            .iter()
                            .map(|&i| format!("{} + {} + {}", input[i], p[i][0], p[i][1]))
                            .collect();
                        format!("the padded input{axis_word} {padded} ({})", sums.join(", "))
                    }
                    None => format!(
                        "the input{axis_word} {}",
                        join(picked.iter().map(|&i| input[i].to_string()).collect())
                    ),
                };
                Diagnostic::error(
                    code,
                    format!("`{op}` {k} is larger than {inp} of {}", arg.named()),
                )
                .with_primary(*span, "window too large")
                .with_secondary(arg.def_span, format!("`{}` defined here", arg.name))
                .with_help("use `padding = same`, a smaller window, or a larger input")
            }
            CheckError::ZeroDim { value, span } => Diagnostic::error(
                code,
                format!("`reshape` target dimensions must be at least 1 (or -1 to infer one), found {value}"),
            )
            .with_primary(*span, "would make an empty tensor"),
            CheckError::AxisOutOfRange {
                op,
                axis,
                rank,
                span,
            } => {
                let d = Diagnostic::error(
                    code,
                    format!("`{op}` axis {axis} is out of range for a rank-{rank} tensor"),
                )
                .with_primary(*span, "no such axis");
                if *rank == 0 {
                    d
                } else {
                    d.with_note(format!("valid axes are -{rank} to {}", rank - 1))
                }
            }
            CheckError::DuplicateAxis { axis, span, first } => {
                Diagnostic::error(code, format!("axis {axis} is listed twice"))
                    .with_primary(*span, format!("axis {axis} again"))
                    .with_secondary(*first, "first listed here")
                    .with_note("negative axes count from the end")
            }
            CheckError::TooLarge { what, span } => {
                let message = match what {
                    TooLargeWhat::Value { what, value } => {
                        format!("{what} is too large: {value} exceeds {MAX_ELEMENTS}")
                    }
                    TooLargeWhat::Tensor { what, shape } => format!(
                        "{what} would be too large: {} has more than {MAX_ELEMENTS} elements",
                        shape_string(shape)
                    ),
                };
                Diagnostic::error(code, message)
                    .with_primary(*span, "too large")
                    .with_note("TensorFlow Lite stores dimensions and element counts as int32")
            }
            CheckError::TooDeep { span, limit } => Diagnostic::error(
                code,
                format!("calls are nested more than {limit} deep"),
            )
            .with_primary(*span, "too deep")
            .with_help("bind intermediate results with `let`"),
            CheckError::ArenaTooLarge {
                network,
                bytes,
                peak,
                span,
            } => {
                let max = crate::plan::MAX_OBJECT_BYTES;
                let d = Diagnostic::error(
                    code,
                    format!(
                        "network `{network}` needs an activation arena of {bytes} bytes, more \
                         than any target can hold ({max} bytes)"
                    ),
                );
                let d = match peak {
                    Some((layer, live)) => d
                        .with_primary(*span, format!("{live} bytes are live at this layer"))
                        .with_help(format!("make the tensors live at `{layer}` smaller")),
                    None => d.with_primary(*span, "arena too large"),
                };
                d.with_note(format!(
                    "the arena is one Rust array, and no Rust object can be larger than {max} \
                     bytes on a 32-bit target"
                ))
            }
            CheckError::BufferTooLarge {
                role,
                tensor,
                bytes,
                span,
            } => {
                let max = crate::plan::MAX_OBJECT_BYTES;
                Diagnostic::error(
                    code,
                    format!(
                        "graph {role} `{tensor}` takes {bytes} bytes, more than any target can \
                         hold ({max} bytes)"
                    ),
                )
                .with_primary(*span, format!("{bytes} bytes"))
                .with_note(format!(
                    "each graph input and output is one Rust array the caller passes, and no \
                     Rust object can be larger than {max} bytes on a 32-bit target"
                ))
                .with_help(format!("make `{tensor}` smaller"))
            }
            CheckError::ReservedName { name, reason, span } => Diagnostic::error(
                code,
                format!("`{name}` cannot name a network: {reason}"),
            )
            .with_primary(*span, "reserved")
            .with_note("the network's name is the Rust type the generated module defines")
            .with_help(format!(
                "rename it, e.g. `network {}`",
                super::names::suggest(name)
            )),
            CheckError::Q7 {
                message,
                label,
                help,
                span,
            } => Diagnostic::error(code, message.clone())
                .with_primary(*span, *label)
                .with_note(
                    "q7 and q15 networks run CMSIS-NN's legacy power-of-two arithmetic \
                     (docs/language.md)",
                )
                .with_help(help.clone()),
            CheckError::Unused { name, span, input } => {
                let what = if *input { "input" } else { "tensor" };
                Diagnostic::warning(code, format!("{what} `{name}` is never used by an output"))
                    .with_primary(*span, "unused")
                    .with_help("use it in an output, or remove it")
            }
        }
    }
}

fn ir_elements(shape: &[usize]) -> usize {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_compact() {
        // The enum is moved around in vectors; keep it from growing without noticing.
        assert!(
            std::mem::size_of::<CheckError>() <= 192,
            "{}",
            std::mem::size_of::<CheckError>()
        );
    }
}
