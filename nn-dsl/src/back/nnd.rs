//! IR -> `.nnd` text: a readable source that parses and checks back to the same module.
//!
//! One `let` per node in schedule order, attributes written only when they differ from the
//! operator's default (`docs/ops.md`), the graph inputs first, the `weights` statement after them
//! and the `output` statements last. Nodes whose names came from nested calls (`y.flatten`, named
//! by the checker) are written nested again inside their only consumer, so a module built from a
//! `.nnd` file round-trips too.
//!
//! ```
//! let (module, _) = nn_dsl::check::check_source(
//!     "network Tiny { input x: i8[4, 4, 2]; let c = conv2d(x, filters = 3, kernel = 3, padding = same); output c; }",
//! )
//! .map_err(|d| d.len())?;
//! let text = nn_dsl::back::nnd::write_string(&module, &Default::default()).map_err(|_| 0usize)?;
//! assert!(text.contains("let c = conv2d(x, filters = 3, kernel = 3, padding = same);"));
//! # Ok::<(), usize>(())
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::ir::{
    Activation, DType, Handle, Module, Node, Op, PaddingScheme, Producer, Tensor, Window2d,
};

/// What to write besides the module itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The `weights "..."` path; `None` uses the module's own (and writes none if it has none).
    pub weights: Option<String>,
    /// Comment lines written before the network (each prefixed with `// `).
    pub header: Vec<String>,
}

/// A module that cannot be written as `.nnd`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A tensor or network name that is not an `.nnd` identifier (and not a nestable call).
    #[error("`{name}` cannot be written as an .nnd name: {reason}")]
    Name {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// An op or attribute value the language cannot express.
    #[error("node `{node}`: {detail}")]
    Unsupported {
        /// The node's name.
        node: String,
        /// What cannot be written.
        detail: String,
    },
    /// The module breaks an IR invariant (dangling handle).
    #[error("the module is malformed: {0}")]
    Malformed(String),
}

const KEYWORDS: [&str; 5] = ["network", "input", "weights", "let", "output"];

/// Checks that `name` is an `.nnd` identifier.
fn ident(name: &str) -> Result<&str, Error> {
    let mut chars = name.chars();
    let ok_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !ok_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Name {
            name: name.to_owned(),
            reason: "names are [A-Za-z_][A-Za-z0-9_]*",
        });
    }
    if KEYWORDS.contains(&name) {
        return Err(Error::Name {
            name: name.to_owned(),
            reason: "it is a keyword",
        });
    }
    Ok(name)
}

/// Writes `module` as `.nnd` source.
pub fn write_string(module: &Module, options: &Options) -> Result<String, Error> {
    let mut out = String::new();
    for line in &options.header {
        let _ = writeln!(out, "// {line}");
    }
    let _ = writeln!(out, "network {} {{", ident(&module.name)?);
    for &h in &module.inputs {
        let t = tensor(module, h)?;
        if t.dtype == DType::I32 {
            return Err(Error::Unsupported {
                node: t.name.clone(),
                detail: "i32 inputs cannot be declared in .nnd".into(),
            });
        }
        // A q15 network's int16 inputs are written `q15<F>`.
        let q15 = module.numerics == crate::ir::Numerics::Pow2
            && t.quant
                .as_ref()
                .and_then(crate::ir::Quant::pow2_frac)
                .is_some();
        if t.dtype == DType::I16 && !q15 {
            return Err(Error::Unsupported {
                node: t.name.clone(),
                detail: "the .nnd language has no i16 element type yet: a 16x8 model (int16 \
                         activations) is run and built from its .tflite file"
                    .into(),
            });
        }
        let dtype = module.element_type(t);
        let _ = writeln!(
            out,
            "    input {}: {dtype}{};",
            ident(&t.name)?,
            list(&t.shape)
        );
    }
    let weights = options
        .weights
        .clone()
        .or_else(|| module.weights.as_ref().map(|w| w.node.clone()));
    if let Some(w) = weights {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(out, "    weights \"{escaped}\";");
    }
    out.push('\n');

    // Consumers of each tensor, to decide which nodes are written nested.
    let mut consumers: HashMap<Handle<Tensor>, Vec<Handle<Node>>> = HashMap::new();
    for (nh, n) in module.nodes.iter() {
        for &i in &n.inputs {
            consumers.entry(i).or_default().push(nh);
        }
    }
    let is_output = |h: Handle<Tensor>| module.outputs.iter().any(|(_, o)| *o == h);
    let nested = |n: &Node| -> bool {
        let Some((owner, _)) = n.name.split_once('.') else {
            return false;
        };
        match consumers.get(&n.output).map(Vec::as_slice) {
            Some([c]) if !is_output(n.output) => module.nodes.get(*c).is_some_and(|c| {
                c.name == owner || c.name.split_once('.').is_some_and(|(o, _)| o == owner)
            }),
            _ => false,
        }
    };

    // Imported nodes say where they came from, once per source operator (a FULLY_CONNECTED
    // imported as `flatten` + `dense` gets one line).
    let mut last_source: Option<&str> = None;
    for (_, n) in module.nodes.iter() {
        if nested(n) {
            continue;
        }
        if let Some(source) = n.source.as_deref() {
            if last_source != Some(source) {
                // `source` is one line: the importer writes names with `{:?}`.
                let _ = writeln!(out, "    // {}", source.replace(['\n', '\r'], " "));
            }
            last_source = Some(source);
        }
        let expr = call(module, n, &nested, 0)?;
        let _ = writeln!(out, "    let {} = {expr};", ident(&n.name)?);
    }
    out.push('\n');
    for (name, h) in &module.outputs {
        let t = tensor(module, *h)?;
        if *name == t.name {
            let _ = writeln!(out, "    output {};", ident(name)?);
        } else {
            let _ = writeln!(out, "    output {} = {};", ident(name)?, ident(&t.name)?);
        }
    }
    out.push_str("}\n");
    Ok(out)
}

fn tensor(module: &Module, h: Handle<Tensor>) -> Result<&Tensor, Error> {
    module
        .tensors
        .get(h)
        .ok_or_else(|| Error::Malformed(format!("tensor handle {h:?} is out of range")))
}

/// `[a, b, c]`.
fn list(values: &[usize]) -> String {
    let items: Vec<String> = values.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// `3` for `[3, 3]`, `[3, 1]` otherwise.
fn pair(p: [usize; 2]) -> String {
    if p[0] == p[1] {
        p[0].to_string()
    } else {
        format!("[{}, {}]", p[0], p[1])
    }
}

/// A float literal that reads back as the same `f32`.
fn float(x: f32) -> String {
    let s = format!("{:?}", f64::from(x));
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// The expression of one node: `op(inputs, attrs)`, nested producers inlined.
fn call(
    module: &Module,
    n: &Node,
    nested: &dyn Fn(&Node) -> bool,
    depth: usize,
) -> Result<String, Error> {
    if depth > 64 {
        return Err(Error::Unsupported {
            node: n.name.clone(),
            detail: "calls nested too deeply".into(),
        });
    }
    let mut args = Vec::with_capacity(n.inputs.len() + 4);
    for &i in &n.inputs {
        let t = tensor(module, i)?;
        let producer = match t.producer {
            Producer::Node(p) => module.nodes.get(p),
            Producer::Input(_) => None,
        };
        match producer {
            Some(p) if nested(p) => args.push(call(module, p, nested, depth + 1)?),
            _ => args.push(ident(&t.name)?.to_owned()),
        }
    }
    let unsupported = |detail: String| Error::Unsupported {
        node: n.name.clone(),
        detail,
    };
    match &n.op {
        Op::Lstm(l) => {
            args.push(format!("units = {}", l.units));
            if l.cell_clip != 0.0 {
                args.push(format!("cell_clip = {}", float(l.cell_clip)));
            }
        }
        Op::Svdf(v) => {
            args.push(format!("units = {}", v.units));
            args.push(format!("memory = {}", v.memory));
            if v.rank != 1 {
                args.push(format!("rank = {}", v.rank));
            }
            if !v.bias {
                args.push("bias = false".into());
            }
            if v.state != DType::I16 {
                args.push(format!("state = {}", v.state.name()));
            }
        }
        Op::Conv2d(c) => {
            args.push(format!("filters = {}", c.filters));
            args.push(format!("kernel = {}", pair(c.window.kernel)));
            window_attrs(&mut args, &c.window);
            activation(&mut args, c.activation);
            if !c.bias {
                args.push("bias = false".into());
            }
            if c.groups != 1 {
                args.push(format!("groups = {}", c.groups));
            }
        }
        Op::DepthwiseConv2d(c) => {
            args.push(format!("kernel = {}", pair(c.window.kernel)));
            if c.depth_multiplier != 1 {
                args.push(format!("depth_multiplier = {}", c.depth_multiplier));
            }
            window_attrs(&mut args, &c.window);
            activation(&mut args, c.activation);
            if !c.bias {
                args.push("bias = false".into());
            }
        }
        Op::TransposeConv2d(c) => {
            let w = &c.window;
            let scheme = match w.padding.scheme {
                PaddingScheme::Same => crate::shape::Padding::Same,
                PaddingScheme::Valid => crate::shape::Padding::Valid,
                PaddingScheme::Explicit => {
                    return Err(unsupported(
                        "a transposed convolution with explicit padding has no .nnd syntax".into(),
                    ))
                }
            };
            if w.dilation != [1, 1] {
                return Err(unsupported(
                    "a transposed convolution with dilation has no .nnd syntax".into(),
                ));
            }
            let x = n
                .inputs
                .first()
                .ok_or_else(|| Error::Malformed(format!("node {} has no input", n.name)))?;
            let dims = &tensor(module, *x)?.shape;
            args.push(format!("filters = {}", c.filters));
            args.push(format!("kernel = {}", pair(w.kernel)));
            if w.stride != [1, 1] {
                args.push(format!("stride = {}", pair(w.stride)));
            }
            if scheme == crate::shape::Padding::Same {
                args.push("padding = same".into());
            }
            activation(&mut args, c.activation);
            if !c.bias {
                args.push("bias = false".into());
            }
            let default = |a: usize| {
                dims.get(a).and_then(|&d| {
                    crate::shape::transpose_output(d, w.kernel[a], w.stride[a], scheme)
                })
            };
            if [default(0), default(1)] != [Some(c.output_size[0]), Some(c.output_size[1])] {
                args.push(format!(
                    "output_size = [{}, {}]",
                    c.output_size[0], c.output_size[1]
                ));
            }
        }
        Op::Dense(d) => {
            args.push(format!("units = {}", d.units));
            activation(&mut args, d.activation);
            if !d.bias {
                args.push("bias = false".into());
            }
        }
        Op::MaxPool2d(p) | Op::AvgPool2d(p) => {
            let w = &p.window;
            if w.dilation != [1, 1] {
                return Err(unsupported(
                    "pooling with dilation has no .nnd syntax".into(),
                ));
            }
            args.push(format!("size = {}", pair(w.kernel)));
            if w.stride != w.kernel {
                args.push(format!("stride = {}", pair(w.stride)));
            }
            match w.padding.scheme {
                PaddingScheme::Same => args.push("padding = same".into()),
                PaddingScheme::Valid => {}
                PaddingScheme::Explicit => {
                    return Err(unsupported(
                        "pooling with explicit padding has no .nnd syntax".into(),
                    ))
                }
            }
            activation(&mut args, p.activation);
        }
        Op::GlobalAvgPool { keep_dims } => {
            if *keep_dims {
                args.push("keep_dims = true".into());
            }
        }
        Op::Mean { axes, keep_dims } => {
            match axes.as_slice() {
                [a] => args.push(format!("axis = {a}")),
                _ => args.push(format!("axis = {}", list(axes))),
            }
            if *keep_dims {
                args.push("keep_dims = true".into());
            }
        }
        Op::Add {
            activation: a,
            operand,
        }
        | Op::Mul {
            activation: a,
            operand,
        }
        | Op::Sub {
            activation: a,
            operand,
        } => {
            if let Some(shape) = operand {
                args.push(format!("operand = {}", list(shape)));
            }
            activation(&mut args, *a)
        }
        Op::Prelu { alpha_shape } => {
            if alpha_shape != &tensor(module, n.output)?.shape {
                args.push(format!("alpha_shape = {}", list(alpha_shape)));
            }
        }
        Op::Concat { axis } => {
            let rank = tensor(module, n.output)?.shape.len();
            if axis + 1 != rank {
                args.push(format!("axis = {axis}"));
            }
        }
        Op::Reshape { shape } => args.push(format!("shape = {}", list(shape))),
        Op::ResizeNearest {
            size,
            align_corners,
            half_pixel_centers,
        } => {
            args.push(format!("size = {}", list(size)));
            if *align_corners {
                args.push("align_corners = true".into());
            }
            if *half_pixel_centers {
                args.push("half_pixel_centers = true".into());
            }
        }
        Op::StridedSlice {
            begin,
            end,
            strides,
            shape,
        } => {
            let x = n
                .inputs
                .first()
                .ok_or_else(|| Error::Malformed(format!("node {} has no input", n.name)))?;
            let dims = &tensor(module, *x)?.shape;
            // .nnd reads a negative end from the back: the resolved -1 ("through index 0") is
            // written as -(dim + 1), which clamps back to -1.
            let ends: Vec<String> = end
                .iter()
                .zip(dims)
                .map(|(&e, &d)| {
                    if e < 0 {
                        (e - i64::try_from(d).unwrap_or(i64::MAX)).to_string()
                    } else {
                        e.to_string()
                    }
                })
                .collect();
            args.push(format!("begin = {}", list(begin)));
            args.push(format!("end = [{}]", ends.join(", ")));
            if strides.iter().any(|&s| s != 1) {
                let s: Vec<String> = strides.iter().map(i64::to_string).collect();
                args.push(format!("strides = [{}]", s.join(", ")));
            }
            let sizes: Vec<usize> = begin
                .iter()
                .zip(end)
                .zip(strides)
                .map(|((&b, &e), &s)| {
                    crate::shape::slice_size(i64::try_from(b).unwrap_or(i64::MAX), e, s)
                })
                .collect();
            if &sizes != shape {
                args.push(format!("shape = {}", list(shape)));
            }
        }
        Op::Pad { paddings } => {
            let pairs: Vec<String> = paddings
                .iter()
                .map(|[b, a]| format!("[{b}, {a}]"))
                .collect();
            args.push(format!("paddings = [{}]", pairs.join(", ")));
        }
        Op::Softmax { beta } => {
            if *beta != 1.0 {
                args.push(format!("beta = {}", float(*beta)));
            }
        }
        Op::LeakyRelu { alpha } => args.push(format!("alpha = {}", float(*alpha))),
        Op::Flatten
        | Op::Maximum
        | Op::Minimum
        | Op::HardSwish
        | Op::Relu
        | Op::Relu6
        | Op::Logistic
        | Op::Tanh
        | Op::Quantize
        | Op::Dequantize
        | Op::Requantize => {}
    }
    if module.numerics == crate::ir::Numerics::Pow2
        && matches!(n.op, Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::Dense(_))
    {
        let frac = tensor(module, n.output)?
            .quant
            .as_ref()
            .and_then(crate::ir::Quant::pow2_frac)
            .ok_or_else(|| {
                unsupported("a q7 / q15 layer whose output has no power-of-two format".into())
            })?;
        args.push(format!("frac = {frac}"));
    }
    Ok(format!("{}({})", n.op.name(), args.join(", ")))
}

/// `stride`, `dilation`, `padding` of a convolution, each when not the default.
fn window_attrs(args: &mut Vec<String>, w: &Window2d) {
    if w.stride != [1, 1] {
        args.push(format!("stride = {}", pair(w.stride)));
    }
    if w.dilation != [1, 1] {
        args.push(format!("dilation = {}", pair(w.dilation)));
    }
    let p = &w.padding;
    match p.scheme {
        PaddingScheme::Same => args.push("padding = same".into()),
        PaddingScheme::Valid => {}
        PaddingScheme::Explicit => args.push(format!(
            "padding = [[{}, {}], [{}, {}]]",
            p.top, p.bottom, p.left, p.right
        )),
    }
}

fn activation(args: &mut Vec<String>, a: Activation) {
    if a != Activation::None {
        args.push(format!("activation = {}", a.name()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_back_exactly() {
        for x in [1.0f32, 0.5, 1e-7, 3.4e38, 0.1, 123_456.79] {
            let s = float(x);
            let back: f64 = s.parse().unwrap_or(f64::NAN);
            assert_eq!(back as f32, x, "{s}");
            assert!(s.contains(['.', 'e']), "{s}");
        }
        assert_eq!(pair([3, 3]), "3");
        assert_eq!(pair([10, 4]), "[10, 4]");
    }

    #[test]
    fn names_must_be_identifiers() {
        assert!(ident("conv2d_1").is_ok());
        assert!(ident("_x").is_ok());
        assert!(ident("1x").is_err());
        assert!(ident("a.b").is_err());
        assert!(ident("output").is_err());
        assert!(ident("").is_err());
    }
}
