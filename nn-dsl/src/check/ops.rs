//! The operator table of the .nnd language: names, tensor arity and attributes with their kinds.
//!
//! `docs/ops.md` documents exactly this table. The checker uses it for attribute parsing, for the
//! "valid names are" notes and for did-you-mean suggestions.

/// How many tensor inputs an operator takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many.
    Exactly(usize),
    /// This many or more.
    AtLeast(usize),
    /// From the first to the second, inclusive (`add(x, operand = [..])` takes one).
    Between(usize, usize),
}

impl Arity {
    pub(crate) fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exactly(k) => n == k,
            Arity::AtLeast(k) => n >= k,
            Arity::Between(lo, hi) => (lo..=hi).contains(&n),
        }
    }
}

/// What values an attribute accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An integer >= 1 (a size: filters, units, depth multiplier).
    Size,
    /// An integer >= 1 or `[h, w]` (kernel, pool size).
    SizePair,
    /// An integer >= 1 or `[h, w]`, where zero is a stride/dilation error.
    StepPair,
    /// An integer >= 1, where zero is a stride/dilation error (1-D layers).
    Step,
    /// `same`, `valid` or `[[top, bottom], [left, right]]`.
    Padding,
    /// `same` or `valid`.
    PoolPadding,
    /// `same`, `valid` or `[left, right]` (1-D layers).
    Padding1d,
    /// `none`, `relu` or `relu6`.
    Activation,
    /// `true` or `false`.
    Bool,
    /// One integer axis (negative counts from the end).
    Axis,
    /// An integer or a list of integers.
    Axes,
    /// A list of integers, each >= 1 or -1.
    Shape,
    /// A list of `[before, after]` pairs of non-negative integers.
    Paddings,
    /// A finite number > 0.
    Beta,
    /// A finite number >= 0.
    Slope,
    /// An integer in -31..=31: the fractional bits of a q7 layer's output.
    Frac,
    /// `i16` or `i8`: the element type of a stateful layer's state.
    StateType,
}

impl Kind {
    /// "`stride` expects <this>".
    pub(crate) fn expects(self) -> &'static str {
        match self {
            Kind::Size => "a positive integer",
            Kind::SizePair | Kind::StepPair => "an integer or a list of two integers",
            Kind::Step => "a positive integer",
            Kind::Padding => "`same`, `valid` or a list [[top, bottom], [left, right]]",
            Kind::PoolPadding => "`same` or `valid`",
            Kind::Padding1d => "`same`, `valid` or a list [left, right]",
            Kind::Activation => "`none`, `relu` or `relu6`",
            Kind::Bool => "`true` or `false`",
            Kind::Axis => "an integer",
            Kind::Axes => "an integer or a list of integers",
            Kind::Shape => "a list of integers",
            Kind::Paddings => "a list of [before, after] pairs",
            Kind::Beta => "a positive number",
            Kind::Slope => "a number >= 0",
            Kind::Frac => "an integer from -31 to 31 (fractional bits)",
            Kind::StateType => "`i16` or `i8`",
        }
    }
}

/// One attribute of an operator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttrSpec {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    /// An example of the syntax (`filters = 16`), shown in help lines.
    pub(crate) example: &'static str,
}

/// One operator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpSpec {
    pub(crate) name: &'static str,
    pub(crate) arity: Arity,
    pub(crate) attrs: &'static [AttrSpec],
}

impl OpSpec {
    pub(crate) fn attr(&self, name: &str) -> Option<&'static AttrSpec> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// A complete example call with every required attribute, for help lines.
    pub(crate) fn example_call(&self) -> String {
        let mut parts: Vec<String> = match self.arity {
            Arity::Exactly(1) => vec!["x".into()],
            Arity::Exactly(n) | Arity::AtLeast(n) | Arity::Between(_, n) => ["a", "b", "c", "d"]
                .iter()
                .take(n)
                .map(|s| s.to_string())
                .collect(),
        };
        parts.extend(
            self.attrs
                .iter()
                .filter(|a| a.required)
                .map(|a| a.example.to_string()),
        );
        format!("{}({})", self.name, parts.join(", "))
    }
}

const fn req(name: &'static str, kind: Kind, example: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        kind,
        required: true,
        example,
    }
}

const fn opt(name: &'static str, kind: Kind, example: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        kind,
        required: false,
        example,
    }
}

const ACTIVATION: AttrSpec = opt("activation", Kind::Activation, "activation = relu");
/// The shape of a constant second operand of `add`, `mul`, `sub` (weights `<layer>.operand`).
const OPERAND: AttrSpec = opt("operand", Kind::Shape, "operand = [16]");
const BIAS: AttrSpec = opt("bias", Kind::Bool, "bias = false");
/// The output format of a layer of a q7 network: `q7<frac>`.
const FRAC: AttrSpec = opt("frac", Kind::Frac, "frac = 5");
const STRIDE: AttrSpec = opt("stride", Kind::StepPair, "stride = 2");
const DILATION: AttrSpec = opt("dilation", Kind::StepPair, "dilation = 2");
const PADDING: AttrSpec = opt("padding", Kind::Padding, "padding = same");
const KEEP_DIMS: AttrSpec = opt("keep_dims", Kind::Bool, "keep_dims = true");

const STRIDE_1D: AttrSpec = opt("stride", Kind::Step, "stride = 2");
const DILATION_1D: AttrSpec = opt("dilation", Kind::Step, "dilation = 2");
const PADDING_1D: AttrSpec = opt("padding", Kind::Padding1d, "padding = same");

const POOL_1D_ATTRS: &[AttrSpec] = &[
    req("size", Kind::Size, "size = 2"),
    STRIDE_1D,
    opt("padding", Kind::PoolPadding, "padding = same"),
    ACTIVATION,
];

const POOL_ATTRS: &[AttrSpec] = &[
    req("size", Kind::SizePair, "size = 2"),
    STRIDE,
    opt("padding", Kind::PoolPadding, "padding = same"),
    ACTIVATION,
];

/// Every operator, in the order of `docs/ops.md`.
pub(crate) const OPS: &[OpSpec] = &[
    OpSpec {
        name: "conv2d",
        arity: Arity::Exactly(1),
        attrs: &[
            req("filters", Kind::Size, "filters = 8"),
            req("kernel", Kind::SizePair, "kernel = 3"),
            STRIDE,
            DILATION,
            PADDING,
            ACTIVATION,
            BIAS,
            opt("groups", Kind::Size, "groups = 2"),
            FRAC,
        ],
    },
    OpSpec {
        name: "depthwise_conv2d",
        arity: Arity::Exactly(1),
        attrs: &[
            req("kernel", Kind::SizePair, "kernel = 3"),
            opt("depth_multiplier", Kind::Size, "depth_multiplier = 1"),
            STRIDE,
            DILATION,
            PADDING,
            ACTIVATION,
            BIAS,
            FRAC,
        ],
    },
    OpSpec {
        name: "transpose_conv2d",
        arity: Arity::Exactly(1),
        attrs: &[
            req("filters", Kind::Size, "filters = 8"),
            req("kernel", Kind::SizePair, "kernel = 3"),
            STRIDE,
            opt("padding", Kind::PoolPadding, "padding = same"),
            ACTIVATION,
            BIAS,
            opt("output_size", Kind::SizePair, "output_size = [16, 16]"),
        ],
    },
    OpSpec {
        name: "dense",
        arity: Arity::Exactly(1),
        attrs: &[
            req("units", Kind::Size, "units = 10"),
            ACTIVATION,
            BIAS,
            FRAC,
        ],
    },
    OpSpec {
        name: "svdf",
        arity: Arity::Exactly(1),
        attrs: &[
            req("units", Kind::Size, "units = 16"),
            req("memory", Kind::Size, "memory = 8"),
            opt("rank", Kind::Size, "rank = 2"),
            BIAS,
            opt("state", Kind::StateType, "state = i8"),
        ],
    },
    OpSpec {
        name: "lstm",
        arity: Arity::Exactly(1),
        attrs: &[
            req("units", Kind::Size, "units = 16"),
            opt("cell_clip", Kind::Slope, "cell_clip = 3.0"),
        ],
    },
    OpSpec {
        name: "max_pool2d",
        arity: Arity::Exactly(1),
        attrs: POOL_ATTRS,
    },
    OpSpec {
        name: "avg_pool2d",
        arity: Arity::Exactly(1),
        attrs: POOL_ATTRS,
    },
    OpSpec {
        name: "conv1d",
        arity: Arity::Exactly(1),
        attrs: &[
            req("filters", Kind::Size, "filters = 8"),
            req("kernel", Kind::Size, "kernel = 3"),
            STRIDE_1D,
            DILATION_1D,
            PADDING_1D,
            ACTIVATION,
            BIAS,
            opt("groups", Kind::Size, "groups = 2"),
            FRAC,
        ],
    },
    OpSpec {
        name: "depthwise_conv1d",
        arity: Arity::Exactly(1),
        attrs: &[
            req("kernel", Kind::Size, "kernel = 3"),
            opt("depth_multiplier", Kind::Size, "depth_multiplier = 1"),
            STRIDE_1D,
            DILATION_1D,
            PADDING_1D,
            ACTIVATION,
            BIAS,
            FRAC,
        ],
    },
    OpSpec {
        name: "max_pool1d",
        arity: Arity::Exactly(1),
        attrs: POOL_1D_ATTRS,
    },
    OpSpec {
        name: "avg_pool1d",
        arity: Arity::Exactly(1),
        attrs: POOL_1D_ATTRS,
    },
    OpSpec {
        name: "global_avg_pool",
        arity: Arity::Exactly(1),
        attrs: &[KEEP_DIMS],
    },
    OpSpec {
        name: "mean",
        arity: Arity::Exactly(1),
        attrs: &[req("axis", Kind::Axes, "axis = [0, 1]"), KEEP_DIMS],
    },
    OpSpec {
        name: "add",
        arity: Arity::Between(1, 2),
        attrs: &[ACTIVATION, OPERAND],
    },
    OpSpec {
        name: "mul",
        arity: Arity::Between(1, 2),
        attrs: &[ACTIVATION, OPERAND],
    },
    OpSpec {
        name: "sub",
        arity: Arity::Between(1, 2),
        attrs: &[ACTIVATION, OPERAND],
    },
    OpSpec {
        name: "maximum",
        arity: Arity::Exactly(2),
        attrs: &[],
    },
    OpSpec {
        name: "minimum",
        arity: Arity::Exactly(2),
        attrs: &[],
    },
    OpSpec {
        name: "concat",
        arity: Arity::AtLeast(2),
        attrs: &[opt("axis", Kind::Axis, "axis = -1")],
    },
    OpSpec {
        name: "reshape",
        arity: Arity::Exactly(1),
        attrs: &[req("shape", Kind::Shape, "shape = [4, -1]")],
    },
    OpSpec {
        name: "flatten",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "pad",
        arity: Arity::Exactly(1),
        attrs: &[req(
            "paddings",
            Kind::Paddings,
            "paddings = [[1, 1], [1, 1], [0, 0]]",
        )],
    },
    OpSpec {
        name: "resize_nearest",
        arity: Arity::Exactly(1),
        attrs: &[
            req("size", Kind::SizePair, "size = [16, 16]"),
            opt("align_corners", Kind::Bool, "align_corners = true"),
            opt(
                "half_pixel_centers",
                Kind::Bool,
                "half_pixel_centers = true",
            ),
        ],
    },
    OpSpec {
        name: "strided_slice",
        arity: Arity::Exactly(1),
        attrs: &[
            req("begin", Kind::Axes, "begin = [0, 1, 0]"),
            req("end", Kind::Axes, "end = [4, -1, 8]"),
            opt("strides", Kind::Axes, "strides = [1, 2, 1]"),
            opt("shape", Kind::Shape, "shape = [4, 8]"),
        ],
    },
    OpSpec {
        name: "split",
        arity: Arity::Exactly(1),
        attrs: &[
            req("axis", Kind::Axis, "axis = -1"),
            req("parts", Kind::Size, "parts = 2"),
            req("index", Kind::Axis, "index = 0"),
        ],
    },
    OpSpec {
        name: "relu",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "relu6",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "leaky_relu",
        arity: Arity::Exactly(1),
        attrs: &[req("alpha", Kind::Slope, "alpha = 0.2")],
    },
    OpSpec {
        name: "hard_swish",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "prelu",
        arity: Arity::Exactly(1),
        attrs: &[opt("alpha_shape", Kind::Shape, "alpha_shape = [1, 1, 16]")],
    },
    OpSpec {
        name: "logistic",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "tanh",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "softmax",
        arity: Arity::Exactly(1),
        attrs: &[opt("beta", Kind::Beta, "beta = 1.0")],
    },
    OpSpec {
        name: "quantize",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "dequantize",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
    OpSpec {
        name: "requantize",
        arity: Arity::Exactly(1),
        attrs: &[],
    },
];

/// The operator called `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|o| o.name == name)
}

/// The operator names, for "valid operators are" notes.
pub(crate) fn op_names() -> impl Iterator<Item = &'static str> {
    OPS.iter().map(|o| o.name)
}

/// The closest candidate to `name`, if any is close enough to be a likely typo.
pub(crate) fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| {
            let dist = strsim::damerau_levenshtein(name, c);
            let jw = strsim::jaro_winkler(name, c);
            (dist <= limit || jw >= 0.85).then_some((dist, jw, c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_and_reject_unrelated_words() {
        assert_eq!(
            did_you_mean("strides", ["stride", "padding"]),
            Some("stride")
        );
        assert_eq!(did_you_mean("conv", op_names()), Some("conv2d"));
        assert_eq!(did_you_mean("c3", ["c1", "c2", "x"]), Some("c1"));
        assert_eq!(did_you_mean("maxpool2d", op_names()), Some("max_pool2d"));
        assert_eq!(did_you_mean("banana", op_names()), None);
    }

    #[test]
    fn table_is_consistent() {
        for (i, op) in OPS.iter().enumerate() {
            assert!(lookup(op.name).is_some());
            assert!(OPS[..i].iter().all(|o| o.name != op.name), "{}", op.name);
            for (j, a) in op.attrs.iter().enumerate() {
                assert!(op.attrs[..j].iter().all(|b| b.name != a.name));
                assert!(a.example.starts_with(a.name));
            }
        }
        assert_eq!(
            lookup("conv2d").unwrap().example_call(),
            "conv2d(x, filters = 8, kernel = 3)"
        );
        assert_eq!(lookup("add").unwrap().example_call(), "add(a, b)");
    }
}
