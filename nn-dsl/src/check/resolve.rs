//! Name resolution and graph construction: bindings, dependency order, cycles, outputs, unused
//! tensors. Each call is lowered through [`super::infer`].

use std::collections::{HashMap, HashSet};

use crate::front::ast::{Call, Expr, Ident, Item, Network};
use crate::ir::{DType, Handle, Module, Node, Op, Producer, Tensor};
use crate::span::{Span, Spanned};

use super::attrs::Attrs;
use super::error::{CheckError, TensorRef, TooLargeWhat, MAX_ELEMENTS};
use super::infer;
use super::ops;

/// Calls nested deeper than this are reported instead of examined (keeps recursion bounded).
pub(crate) const MAX_NESTING: usize = 64;

/// What defines a name.
#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    Input {
        dtype: DType,
        /// `q7<F>` / `q15<F>`: the word, the fractional bits and the type's span.
        q7: Option<(super::q7::Word, i64, Span)>,
        dims: &'a [Spanned<i64>],
    },
    /// `let name = expr;` or `output name = call;`.
    Expr(&'a Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    /// Not lowered yet (a reference to it now comes from a cycle).
    Pending,
    /// Lowered: the tensor, or `None` when poisoned.
    Done(Option<Handle<Tensor>>),
}

#[derive(Debug)]
struct Binding<'a> {
    name: &'a Ident,
    source: Source<'a>,
    /// Bindings referenced by the expression, in order of appearance (with repeats).
    deps: Vec<usize>,
    value: Value,
    /// False for a redefinition: the name keeps resolving to the first definition.
    registered: bool,
    in_cycle: bool,
}

#[derive(Debug)]
struct OutputStmt<'a> {
    /// The output's name (given, or the referenced tensor's, or `output{index}`).
    name: String,
    value: &'a Expr,
    /// The binding it defines (`output name = call;`).
    binding: Option<usize>,
}

/// Undefined names that get a "did you mean" suggestion; later ones get none. More than the 50
/// diagnostics a terminal shows ([`crate::diag`]), so every one shown can carry one.
pub(crate) const SUGGESTED_UNDEFINED: usize = 100;

/// The checker's state while lowering one network.
#[derive(Debug)]
pub(crate) struct Checker<'a> {
    net: &'a Network,
    pub(crate) module: Module,
    pub(crate) errors: Vec<CheckError>,
    bindings: Vec<Binding<'a>>,
    defs: HashMap<&'a str, usize>,
    outputs: Vec<OutputStmt<'a>>,
    /// Every tensor name taken (bindings and generated names).
    names: HashSet<String>,
    /// The next numeric suffix to try per base name in [`Checker::fresh_name`].
    next_suffix: HashMap<String, usize>,
    /// `frac = F` of each layer that has it: node name, value, span (q7 networks, [`super::q7`]).
    pub(crate) fracs: HashMap<String, (i64, Span)>,
    /// Graph inputs declared `q7<F>`, `q15<F>` and the others, with their type spans (or
    /// names).
    pub(crate) q7_inputs: Vec<Span>,
    pub(crate) q15_inputs: Vec<Span>,
    pub(crate) int8_inputs: Vec<Span>,
    /// Undefined names given a "did you mean" so far (see [`SUGGESTED_UNDEFINED`]).
    suggested: usize,
    input_count: usize,
    /// Bindings suggested for an undefined name: probably meant to be used, so not warned about.
    assumed_used: Vec<usize>,
    /// Some expression was nested too deeply to walk: usage is unknown, so no unused warnings.
    truncated: bool,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(net: &'a Network) -> Self {
        Checker {
            net,
            module: Module::new(net.name.node.clone()),
            errors: Vec::new(),
            bindings: Vec::new(),
            defs: HashMap::new(),
            outputs: Vec::new(),
            names: HashSet::new(),
            next_suffix: HashMap::new(),
            fracs: HashMap::new(),
            q7_inputs: Vec::new(),
            q15_inputs: Vec::new(),
            int8_inputs: Vec::new(),
            suggested: 0,
            input_count: 0,
            assumed_used: Vec::new(),
            truncated: false,
        }
    }

    /// Runs every stage; the result is in `module` and `errors`.
    pub(crate) fn run(&mut self) {
        self.collect();
        self.collect_deps();
        self.lower_inputs();
        let order = self.schedule();
        for b in order {
            let value = self.lower_binding(b);
            let binding = &mut self.bindings[b];
            binding.value = Value::Done(if binding.in_cycle { None } else { value });
        }
        self.lower_outputs();
        self.check_q7();
        self.warn_unused();
        self.check_memory();
    }

    /// E0126 for a network whose arena, or one of whose graph inputs or outputs, no target can
    /// hold (see [`crate::plan::MAX_OBJECT_BYTES`]). Only for a network without other errors:
    /// the planner needs a complete graph.
    fn check_memory(&mut self) {
        if !self.errors.iter().all(CheckError::is_warning) {
            return;
        }
        let plan = crate::plan::plan(&self.module, &crate::plan::PlanOptions::default());
        match plan {
            Err(crate::plan::PlanError::ArenaTooLarge {
                network,
                bytes,
                peak,
            }) => {
                let at = peak.as_ref().and_then(|(layer, _)| {
                    self.module
                        .nodes
                        .iter()
                        .find(|(_, n)| &n.name == layer)
                        .map(|(_, n)| n.span)
                });
                self.errors.push(CheckError::ArenaTooLarge {
                    network,
                    bytes,
                    peak,
                    span: at.unwrap_or(self.net.name.span),
                });
            }
            Err(crate::plan::PlanError::BufferTooLarge {
                role,
                tensor,
                bytes,
            }) => {
                let span = self
                    .module
                    .tensor_by_name(&tensor)
                    .and_then(|h| self.module.tensors.get(h))
                    .map_or(self.net.name.span, |t| t.span);
                self.errors.push(CheckError::BufferTooLarge {
                    role,
                    tensor,
                    bytes,
                    span,
                });
            }
            // An invalid module is not reachable from the checker, and a sum of sizes beyond
            // `usize` is not on a 64-bit host; the back ends report either if it ever is.
            Ok(_) | Err(_) => {}
        }
    }

    // ----- collection -------------------------------------------------------------------------

    fn collect(&mut self) {
        let net = self.net;
        let mut weights_first: Option<Span> = None;
        let mut output_names: HashMap<String, Span> = HashMap::new();
        for item in &net.items {
            match item {
                Item::Input {
                    name, dtype, dims, ..
                } => {
                    self.input_count += 1;
                    use super::q7::Word;
                    use crate::front::ast::DType as Ast;
                    let q7 = match dtype.node {
                        Ast::Q7 { frac } => Some((Word::Q7, frac, dtype.span)),
                        Ast::Q15 { frac } => Some((Word::Q15, frac, dtype.span)),
                        _ => None,
                    };
                    // A q15 network is inferred as a q7 one (every operator takes int8 here);
                    // `check_q7` widens its tensors to i16 once its layers are checked.
                    let ir_dtype = match dtype.node {
                        Ast::Q15 { .. } => DType::I8,
                        d => d.into(),
                    };
                    self.push_binding(
                        name,
                        Source::Input {
                            dtype: ir_dtype,
                            q7,
                            dims,
                        },
                    );
                }
                Item::Weights { path, span } => match weights_first {
                    Some(first) => self
                        .errors
                        .push(CheckError::DuplicateWeights { span: *span, first }),
                    None => {
                        weights_first = Some(*span);
                        self.module.weights = Some(path.clone());
                    }
                },
                Item::Let { name, value, .. } => {
                    self.push_binding(name, Source::Expr(value));
                }
                Item::Output { name, value, .. } => {
                    let index = self.outputs.len();
                    let binding = match (name, value) {
                        (Some(n), Expr::Call(_)) => Some(self.push_binding(n, Source::Expr(value))),
                        _ => None,
                    };
                    let (out_name, span) = match (name, value) {
                        (Some(n), _) => (n.node.clone(), n.span),
                        (None, Expr::Ref(r)) => (r.node.clone(), r.span),
                        (None, Expr::Call(c)) => (format!("output{index}"), c.span),
                    };
                    let already_reported = binding.is_some_and(|b| !self.bindings[b].registered);
                    match output_names.get(&out_name) {
                        Some(first) if !already_reported => {
                            self.errors.push(CheckError::Redefined {
                                name: out_name.clone(),
                                span,
                                first: *first,
                            });
                        }
                        Some(_) => {}
                        None => {
                            output_names.insert(out_name.clone(), span);
                        }
                    }
                    self.outputs.push(OutputStmt {
                        name: out_name,
                        value,
                        binding,
                    });
                }
            }
        }
        if let Some(reason) = super::names::reserved(&net.name.node) {
            self.errors.push(CheckError::ReservedName {
                name: net.name.node.clone(),
                reason,
                span: net.name.span,
            });
        }
        if self.outputs.is_empty() {
            self.errors.push(CheckError::NoOutput {
                network: net.name.node.clone(),
                span: net.name.span,
            });
        }
        if self.input_count == 0 {
            self.errors.push(CheckError::NoInput {
                network: net.name.node.clone(),
                span: net.name.span,
            });
        }
    }

    fn push_binding(&mut self, name: &'a Ident, source: Source<'a>) -> usize {
        let index = self.bindings.len();
        let registered = match self.defs.get(name.node.as_str()) {
            Some(&first) => {
                self.errors.push(CheckError::Redefined {
                    name: name.node.clone(),
                    span: name.span,
                    first: self.bindings[first].name.span,
                });
                false
            }
            None => {
                self.defs.insert(name.node.as_str(), index);
                self.names.insert(name.node.clone());
                true
            }
        };
        self.bindings.push(Binding {
            name,
            source,
            deps: Vec::new(),
            value: Value::Pending,
            registered,
            in_cycle: false,
        });
        index
    }

    // ----- dependencies and order ------------------------------------------------------------

    /// Fills `deps` of every binding and reports undefined names (in bindings and outputs).
    fn collect_deps(&mut self) {
        for b in 0..self.bindings.len() {
            if let Source::Expr(expr) = self.bindings[b].source {
                let mut deps = Vec::new();
                self.refs(expr, 0, &mut deps);
                self.bindings[b].deps = deps;
            }
        }
        for o in 0..self.outputs.len() {
            if self.outputs[o].binding.is_none() {
                let mut deps = Vec::new();
                self.refs(self.outputs[o].value, 0, &mut deps);
            }
        }
    }

    /// The bindings `expr` references; undefined names are reported.
    fn refs(&mut self, expr: &'a Expr, depth: usize, out: &mut Vec<usize>) {
        match expr {
            Expr::Ref(id) => match self.defs.get(id.node.as_str()) {
                Some(&b) => out.push(b),
                None => {
                    // Each suggestion compares the name with every binding: only the first
                    // undefined names get one, so thousands of them stay linear.
                    let suggestion = if self.suggested < SUGGESTED_UNDEFINED {
                        self.suggested += 1;
                        ops::did_you_mean(&id.node, self.defs.keys().copied()).map(str::to_string)
                    } else {
                        None
                    };
                    if let Some(&b) = suggestion.as_deref().and_then(|s| self.defs.get(s)) {
                        self.assumed_used.push(b);
                    }
                    self.errors.push(CheckError::Undefined {
                        name: id.node.clone(),
                        span: id.span,
                        suggestion,
                    });
                }
            },
            Expr::Call(call) => {
                if depth <= MAX_NESTING {
                    for input in &call.inputs {
                        self.refs(input, depth + 1, out);
                    }
                } else {
                    self.truncated = true;
                }
            }
        }
    }

    /// Post-order DFS over non-input bindings from source order: a valid lowering order. Cycles
    /// are reported (once per set of members) and their members marked.
    fn schedule(&mut self) -> Vec<usize> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            White,
            Gray,
            Black,
        }
        let n = self.bindings.len();
        let mut mark: Vec<Mark> = self
            .bindings
            .iter()
            .map(|b| match b.source {
                Source::Input { .. } => Mark::Black,
                Source::Expr(_) => Mark::White,
            })
            .collect();
        let mut order = Vec::with_capacity(n);
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for root in 0..n {
            if mark[root] != Mark::White {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            mark[root] = Mark::Gray;
            while let Some(&mut (b, ref mut next)) = stack.last_mut() {
                if let Some(&d) = self.bindings[b].deps.get(*next) {
                    *next += 1;
                    match mark[d] {
                        Mark::White => {
                            mark[d] = Mark::Gray;
                            stack.push((d, 0));
                        }
                        Mark::Gray => {
                            let start = stack.iter().position(|&(s, _)| s == d).unwrap_or(0);
                            let members: Vec<usize> =
                                stack[start..].iter().map(|&(s, _)| s).collect();
                            let mut key = members.clone();
                            key.sort_unstable();
                            for &m in &members {
                                self.bindings[m].in_cycle = true;
                            }
                            if reported.insert(key) {
                                let mut chain: Vec<(String, Span)> = members
                                    .iter()
                                    .map(|&m| {
                                        let name = self.bindings[m].name;
                                        (name.node.clone(), name.span)
                                    })
                                    .collect();
                                let first = self.bindings[d].name;
                                chain.push((first.node.clone(), first.span));
                                self.errors.push(CheckError::Cycle { chain });
                            }
                        }
                        Mark::Black => {}
                    }
                } else {
                    mark[b] = Mark::Black;
                    order.push(b);
                    stack.pop();
                }
            }
        }
        order
    }

    // ----- lowering ------------------------------------------------------------------------------

    fn lower_inputs(&mut self) {
        for b in 0..self.bindings.len() {
            if let Source::Input { dtype, q7, dims } = self.bindings[b].source {
                let value = self.lower_input(self.bindings[b].name, dtype, dims);
                if let Some(h) = value {
                    self.q7_input(h, q7);
                }
                self.bindings[b].value = Value::Done(if self.bindings[b].registered {
                    value
                } else {
                    None
                });
            }
        }
    }

    fn lower_input(
        &mut self,
        name: &Ident,
        dtype: DType,
        dims: &[Spanned<i64>],
    ) -> Option<Handle<Tensor>> {
        if dims.is_empty() {
            self.errors.push(CheckError::InputDims {
                name: name.node.clone(),
                value: None,
                span: name.span,
            });
            return None;
        }
        let mut shape = Vec::with_capacity(dims.len());
        let mut ok = true;
        for (i, d) in dims.iter().enumerate() {
            if d.node < 1 {
                self.errors.push(CheckError::InputDims {
                    name: name.node.clone(),
                    value: Some(d.node),
                    span: d.span,
                });
                ok = false;
            } else if d.node > MAX_ELEMENTS as i64 {
                self.errors.push(CheckError::TooLarge {
                    what: TooLargeWhat::Value {
                        what: format!("dimension {i} of input `{}`", name.node),
                        value: d.node,
                    },
                    span: d.span,
                });
                ok = false;
            } else {
                shape.push(d.node as usize);
            }
        }
        if !ok || !self.fits(format!("input `{}`", name.node), &shape, name.span) {
            return None;
        }
        let index = self.module.inputs.len();
        let handle = self.add_tensor(Tensor {
            name: name.node.clone(),
            shape,
            dtype,
            quant: None,
            producer: Producer::Input(index),
            span: name.span,
        })?;
        self.module.inputs.push(handle);
        Some(handle)
    }

    fn lower_binding(&mut self, b: usize) -> Option<Handle<Tensor>> {
        let binding = &self.bindings[b];
        let name = binding.name;
        let Source::Expr(expr) = binding.source else {
            return None;
        };
        match expr {
            Expr::Ref(id) => self.resolve(id),
            Expr::Call(call) => {
                let node_name = if binding.registered {
                    name.node.clone()
                } else {
                    self.fresh_name(&name.node)
                };
                self.lower_call(call, Some((node_name, name.span)), &name.node, 0)
            }
        }
    }

    fn lower_outputs(&mut self) {
        for o in 0..self.outputs.len() {
            let value = self.outputs[o].value;
            let tensor = match self.outputs[o].binding {
                Some(b) => match self.bindings[b].value {
                    Value::Done(t) => t,
                    Value::Pending => None,
                },
                None => match value {
                    Expr::Ref(id) => self.resolve(id),
                    Expr::Call(call) => {
                        let name = self.fresh_name(&self.outputs[o].name.clone());
                        let owner = name.clone();
                        self.lower_call(call, Some((name, call.span)), &owner, 0)
                    }
                },
            };
            if let Some(t) = tensor {
                let name = self.outputs[o].name.clone();
                self.module.outputs.push((name, t));
            }
        }
    }

    /// The tensor a name refers to, `None` if undefined (already reported) or poisoned.
    fn resolve(&self, id: &Ident) -> Option<Handle<Tensor>> {
        let &b = self.defs.get(id.node.as_str())?;
        match self.bindings[b].value {
            Value::Done(t) => t,
            Value::Pending => None,
        }
    }

    fn lower_expr(&mut self, expr: &'a Expr, owner: &str, depth: usize) -> Option<Handle<Tensor>> {
        match expr {
            Expr::Ref(id) => self.resolve(id),
            Expr::Call(call) => self.lower_call(call, None, owner, depth),
        }
    }

    /// Lowers one call (its nested calls first). `name` is the node name and definition span for
    /// a top-level call; nested calls are named `owner.op`.
    fn lower_call(
        &mut self,
        call: &'a Call,
        name: Option<(String, Span)>,
        owner: &str,
        depth: usize,
    ) -> Option<Handle<Tensor>> {
        if depth > MAX_NESTING {
            self.errors.push(CheckError::TooDeep {
                span: call.span,
                limit: MAX_NESTING,
            });
            return None;
        }
        let inputs: Vec<(Option<Handle<Tensor>>, Span)> = call
            .inputs
            .iter()
            .map(|e| (self.lower_expr(e, owner, depth + 1), e.span()))
            .collect();
        let Some(spec) = ops::lookup(&call.op.node) else {
            self.errors.push(CheckError::UnknownOp {
                name: call.op.node.clone(),
                span: call.op.span,
            });
            return None;
        };
        let attrs = Attrs::parse(spec, &call.attrs, call.span, &mut self.errors);
        if !spec.arity.accepts(inputs.len()) {
            self.errors.push(CheckError::ArgCount {
                op: spec.name,
                expected: spec.arity,
                found: inputs.len(),
                span: call.span,
            });
            return None;
        }
        let mut handles = Vec::with_capacity(inputs.len());
        let mut args = Vec::with_capacity(inputs.len());
        for (h, use_span) in inputs {
            let h = h?;
            let t = self.module.tensors.get(h)?;
            args.push(TensorRef {
                name: t.name.clone(),
                shape: t.shape.clone(),
                dtype: t.dtype,
                use_span,
                def_span: t.span,
            });
            handles.push(h);
        }
        let (node_name, def_span) = match name {
            Some(n) => n,
            None => (
                self.fresh_name(&format!("{owner}.{}", spec.name)),
                call.span,
            ),
        };
        let (op, shape, dtype) = self.infer(spec, &args, &attrs, &node_name, call.span)?;
        if let Some(Some(frac)) = attrs.int_opt("frac") {
            self.fracs.insert(node_name.clone(), frac);
        }
        if !self.fits(format!("tensor `{node_name}`"), &shape, call.span) {
            return None;
        }
        if infer::is_1d(spec.name) {
            return self.add_1d(node_name, op, handles, shape, dtype, call.span, def_span);
        }
        self.add_node(node_name, op, handles, shape, dtype, call.span, def_span)
    }

    /// A 1-D layer: its 2-D node (named as the layer, so its weights and quantisation keep the
    /// layer's name) between `reshape` nodes from `[L, C]` to `[1, L, C]` (`<layer>.expand`) and
    /// from `[1, OL, C']` back to `[OL, C']` (`<layer>.squeeze`, the value the name stands for),
    /// as TFLite's converter lowers Keras' 1-D layers.
    #[allow(clippy::too_many_arguments)]
    fn add_1d(
        &mut self,
        name: String,
        op: Op,
        inputs: Vec<Handle<Tensor>>,
        shape: Vec<usize>,
        dtype: DType,
        span: Span,
        def_span: Span,
    ) -> Option<Handle<Tensor>> {
        let &[input] = inputs.as_slice() else {
            return None;
        };
        let x = self.module.tensors.get(input)?;
        let expanded: Vec<usize> = [1].into_iter().chain(x.shape.iter().copied()).collect();
        let x_dtype = x.dtype;
        let expand = self.fresh_name(&format!("{name}.expand"));
        let squeeze = self.fresh_name(&format!("{name}.squeeze"));
        let expanded = self.add_node(
            expand,
            Op::Reshape {
                shape: expanded.clone(),
            },
            vec![input],
            expanded,
            x_dtype,
            span,
            span,
        )?;
        let squeezed: Vec<usize> = shape.iter().skip(1).copied().collect();
        let layer = self.add_node(name, op, vec![expanded], shape, dtype, span, def_span)?;
        self.add_node(
            squeeze,
            Op::Reshape {
                shape: squeezed.clone(),
            },
            vec![layer],
            squeezed,
            dtype,
            span,
            def_span,
        )
    }

    /// True when `shape` has at most `i32::MAX` elements; reports otherwise.
    pub(crate) fn fits(&mut self, what: String, shape: &[usize], span: Span) -> bool {
        let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if count.is_some_and(|c| c <= MAX_ELEMENTS) {
            return true;
        }
        self.errors.push(CheckError::TooLarge {
            what: TooLargeWhat::Tensor {
                what,
                shape: shape.to_vec(),
            },
            span,
        });
        false
    }

    /// A name not used by any tensor yet: `base`, else `base_1`, `base_2`, ... Suffixes already
    /// tried for `base` are not tried again, so 30,000 uses of one base stay linear.
    fn fresh_name(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut i = self.next_suffix.get(base).copied().unwrap_or(1);
        if self.names.contains(&name) {
            loop {
                name = format!("{base}_{i}");
                i += 1;
                if !self.names.contains(&name) {
                    break;
                }
            }
            self.next_suffix.insert(base.to_string(), i);
        }
        self.names.insert(name.clone());
        name
    }

    fn add_tensor(&mut self, tensor: Tensor) -> Option<Handle<Tensor>> {
        let span = tensor.span;
        match self.module.tensors.append(tensor) {
            Ok(h) => Some(h),
            Err(_) => {
                self.errors.push(CheckError::TooLarge {
                    what: TooLargeWhat::Value {
                        what: "the number of tensors".into(),
                        value: i64::from(u32::MAX),
                    },
                    span,
                });
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_node(
        &mut self,
        name: String,
        op: Op,
        inputs: Vec<Handle<Tensor>>,
        shape: Vec<usize>,
        dtype: DType,
        span: Span,
        def_span: Span,
    ) -> Option<Handle<Tensor>> {
        let node_handle = Handle::<Node>::from_index(u32::try_from(self.module.nodes.len()).ok()?);
        let output = self.add_tensor(Tensor {
            name: name.clone(),
            shape,
            dtype,
            quant: None,
            producer: Producer::Node(node_handle),
            span: def_span,
        })?;
        let appended = self.module.nodes.append(Node {
            name,
            op,
            inputs,
            output,
            span,
            source: None,
        });
        match appended {
            Ok(h) if h == node_handle => Some(output),
            _ => None,
        }
    }

    // ----- warnings ------------------------------------------------------------------------------

    /// W0101 for inputs and lets no output depends on (skipped when there is no output at all).
    fn warn_unused(&mut self) {
        if self.outputs.is_empty() || self.truncated {
            return;
        }
        let mut reached = vec![false; self.bindings.len()];
        let mut work: Vec<usize> = self.assumed_used.clone();
        for o in 0..self.outputs.len() {
            match self.outputs[o].binding {
                Some(b) => work.push(b),
                None => {
                    let mut deps = Vec::new();
                    self.refs_quiet(self.outputs[o].value, 0, &mut deps);
                    work.extend(deps);
                }
            }
        }
        while let Some(b) = work.pop() {
            if !reached[b] {
                reached[b] = true;
                work.extend(self.bindings[b].deps.iter().copied());
            }
        }
        for (b, binding) in self.bindings.iter().enumerate() {
            // Poisoned bindings already have an error (theirs or an input's): no extra noise.
            let poisoned = binding.value == Value::Done(None);
            if !reached[b] && binding.registered && !binding.in_cycle && !poisoned {
                self.errors.push(CheckError::Unused {
                    name: binding.name.node.clone(),
                    span: binding.name.span,
                    input: matches!(binding.source, Source::Input { .. }),
                });
            }
        }
    }

    /// Like [`Self::refs`] without reporting (the names were reported already).
    fn refs_quiet(&self, expr: &Expr, depth: usize, out: &mut Vec<usize>) {
        match expr {
            Expr::Ref(id) => out.extend(self.defs.get(id.node.as_str()).copied()),
            Expr::Call(call) => {
                if depth <= MAX_NESTING {
                    for input in &call.inputs {
                        self.refs_quiet(input, depth + 1, out);
                    }
                }
            }
        }
    }
}
