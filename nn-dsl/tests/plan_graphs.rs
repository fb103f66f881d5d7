//! The planner on hand-built modules (aliases, caller buffers, scratch, in place, alignment,
//! errors) and on random chains and DAGs (proptest): the no-overlap invariant always holds.

#![allow(clippy::unwrap_used)]

mod plan_common;

use nn_dsl::ir::{Activation, DType, Handle, Module, Node, Op, Producer, Tensor};
use nn_dsl::plan::{plan, plan_with_scratch, Memory, PlanError, PlanOptions, Share};
use nn_dsl::Span;
use proptest::prelude::*;

/// Builds modules node by node without the checker (shapes are not checked against ops: the
/// planner only reads sizes, producers and consumers).
struct Builder {
    m: Module,
}

impl Builder {
    fn new() -> Self {
        Builder {
            m: Module::new("Hand"),
        }
    }

    fn input(&mut self, name: &str, shape: &[usize]) -> Handle<Tensor> {
        let h = self
            .m
            .tensors
            .append(Tensor {
                name: name.into(),
                shape: shape.to_vec(),
                dtype: DType::I8,
                quant: None,
                producer: Producer::Input(self.m.inputs.len()),
                span: Span::UNDEFINED,
            })
            .unwrap();
        self.m.inputs.push(h);
        h
    }

    fn node(
        &mut self,
        name: &str,
        op: Op,
        inputs: &[Handle<Tensor>],
        shape: &[usize],
    ) -> Handle<Tensor> {
        let node = Handle::<Node>::from_index(self.m.nodes.len() as u32);
        let out = self
            .m
            .tensors
            .append(Tensor {
                name: name.into(),
                shape: shape.to_vec(),
                dtype: DType::I8,
                quant: None,
                producer: Producer::Node(node),
                span: Span::UNDEFINED,
            })
            .unwrap();
        self.m
            .nodes
            .append(Node {
                name: name.into(),
                op,
                inputs: inputs.to_vec(),
                output: out,
                span: Span::UNDEFINED,
                source: None,
            })
            .unwrap();
        out
    }

    fn output(&mut self, name: &str, t: Handle<Tensor>) {
        self.m.outputs.push((name.into(), t));
    }
}

fn conv() -> Op {
    // The op's attributes do not matter to the planner; relu stands for "any op with its own
    // output" where in place is not wanted, so use dense.
    Op::Dense(nn_dsl::ir::Dense {
        units: 1,
        activation: Activation::None,
        bias: false,
    })
}

fn opts(align: usize, in_place: bool, io_in_arena: bool) -> PlanOptions {
    PlanOptions {
        align,
        in_place,
        io_in_arena,
        in_place_rows: false,
        max_arena: None,
        fuse_blocks: false,
    }
}

#[test]
fn chain_alternates_two_buffers() {
    let mut b = Builder::new();
    let x = b.input("x", &[100]);
    let a = b.node("a", conv(), &[x], &[100]);
    let c = b.node("c", conv(), &[a], &[100]);
    let d = b.node("d", conv(), &[c], &[100]);
    let y = b.node("y", conv(), &[d], &[10]);
    b.output("y", y);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    // 100 rounds up to 112; two live at once.
    assert_eq!((p.arena_bytes, p.lower_bound_bytes), (224, 224));
    assert_eq!(p.steps, vec![112, 224, 224, 112]);
    assert_eq!(p.peak_step, Some(1));
    assert_eq!(p.arena_offset(a), p.arena_offset(d));
    assert_ne!(p.arena_offset(a), p.arena_offset(c));
    assert_eq!(p.tensor(x).unwrap().memory, Memory::Input(0));
    assert_eq!(p.tensor(y).unwrap().memory, Memory::Output(0));
    assert_eq!(p.arena_offset(y), None);
}

#[test]
fn residual_keeps_the_skip_alive() {
    let mut b = Builder::new();
    let x = b.input("x", &[64]);
    let s = b.node("s", conv(), &[x], &[64]);
    let a = b.node("a", conv(), &[s], &[64]);
    let c = b.node("c", conv(), &[a], &[64]);
    let r = b.node(
        "r",
        Op::Add {
            activation: Activation::None,
            operand: None,
        },
        &[s, c],
        &[64],
    );
    let y = b.node("y", conv(), &[r], &[4]);
    b.output("y", y);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    let st = p.tensor(s).unwrap();
    assert_eq!((st.first_step, st.last_step), (0, 3));
    assert_eq!(p.lower_bound_bytes, 3 * 64);
    assert_eq!(p.arena_bytes, 3 * 64);
    // In place: r may overwrite s (first input that dies at r).
    let q = plan(&b.m, &opts(16, true, false)).unwrap();
    plan_common::check_invariants(&b.m, &q);
    let rt = q.tensor(r).unwrap();
    assert_eq!((rt.share, rt.alias_of), (Share::InPlace, Some(s)));
    assert_eq!(q.arena_offset(r), q.arena_offset(s));
}

#[test]
fn in_place_needs_the_input_to_die_there() {
    let mut b = Builder::new();
    let x = b.input("x", &[32]);
    let a = b.node("a", conv(), &[x], &[32]);
    let r = b.node("r", Op::Relu, &[a], &[32]);
    let z = b.node(
        "z",
        Op::Add {
            activation: Activation::None,
            operand: None,
        },
        &[a, r],
        &[32],
    );
    b.output("z", z);
    let p = plan(&b.m, &opts(16, true, false)).unwrap();
    plan_common::check_invariants(&b.m, &p);
    // `a` is read again by z, so r cannot overwrite it.
    assert_eq!(p.tensor(r).unwrap().share, Share::Own);
    // z's inputs both die at z, but z is the graph output: in place would put the caller's
    // output buffer under `a`, which is allowed (the group then lives in the output buffer).
    let zt = p.tensor(z).unwrap();
    assert_eq!((zt.share, zt.alias_of), (Share::InPlace, Some(a)));
    assert_eq!(p.tensor(a).unwrap().memory, Memory::Output(0));
    // Never in place over the caller's input, which is read-only.
    let mut b = Builder::new();
    let x = b.input("x", &[32]);
    let r = b.node("r", Op::Relu, &[x], &[32]);
    let y = b.node("y", conv(), &[r], &[2]);
    b.output("y", y);
    let p = plan(&b.m, &opts(16, true, false)).unwrap();
    assert_eq!(p.tensor(r).unwrap().share, Share::Own);
    assert_eq!(p.tensor(r).unwrap().memory, Memory::Arena);
    // Different sizes (broadcast add): not in place over the smaller input.
    let mut b = Builder::new();
    let x = b.input("x", &[4, 8]);
    let v = b.node("v", conv(), &[x], &[8]);
    let w = b.node("w", conv(), &[x], &[4, 8]);
    let s = b.node(
        "s",
        Op::Add {
            activation: Activation::None,
            operand: None,
        },
        &[v, w],
        &[4, 8],
    );
    let y = b.node("y", conv(), &[s], &[2]);
    b.output("y", y);
    let p = plan(&b.m, &opts(1, true, false)).unwrap();
    plan_common::check_invariants(&b.m, &p);
    assert_eq!(p.tensor(s).unwrap().alias_of, Some(w));
}

#[test]
fn reshape_aliases_and_its_exceptions() {
    // An intermediate reshaped: alias, one buffer, lifetime merged.
    let mut b = Builder::new();
    let x = b.input("x", &[4, 4, 2]);
    let a = b.node("a", conv(), &[x], &[4, 4, 2]);
    let f = b.node("f", Op::Flatten, &[a], &[32]);
    let r = b.node("r", Op::Reshape { shape: vec![2, 16] }, &[f], &[2, 16]);
    let c = b.node("c", conv(), &[r], &[32]);
    let y = b.node("y", conv(), &[c, a], &[3]);
    b.output("y", y);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    assert_eq!(p.tensor(f).unwrap().alias_of, Some(a));
    assert_eq!(p.tensor(r).unwrap().alias_of, Some(f));
    assert_eq!(p.arena_offset(r), p.arena_offset(a));
    assert_eq!(p.lower_bound_bytes, 64);
    assert_eq!(p.arena_bytes, 64);

    // The output is a reshape of an intermediate: the intermediate is written straight into the
    // caller's output buffer.
    let mut b = Builder::new();
    let x = b.input("x", &[4, 4]);
    let a = b.node("a", conv(), &[x], &[4, 4]);
    let f = b.node("f", Op::Flatten, &[a], &[16]);
    b.output("f", f);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    assert_eq!(p.tensor(a).unwrap().memory, Memory::Output(0));
    assert_eq!(p.arena_bytes, 0);
    assert_eq!(p.peak_step, Some(0));

    // The output is a reshape of the graph input: two caller buffers, so a copy.
    let mut b = Builder::new();
    let x = b.input("x", &[4, 4]);
    let f = b.node("f", Op::Flatten, &[x], &[16]);
    b.output("f", f);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    let ft = p.tensor(f).unwrap();
    assert_eq!((ft.share, ft.memory), (Share::Own, Memory::Output(0)));
    // With the I/O in the arena it is an alias again.
    let p = plan(&b.m, &opts(16, false, true)).unwrap();
    plan_common::check_invariants(&b.m, &p);
    assert_eq!(p.tensor(f).unwrap().share, Share::Alias);
    assert_eq!(p.arena_bytes, 16);

    // One tensor reshaped into two outputs: the second reshape copies.
    let mut b = Builder::new();
    let x = b.input("x", &[4, 4]);
    let a = b.node("a", conv(), &[x], &[4, 4]);
    let f = b.node("f", Op::Flatten, &[a], &[16]);
    let g = b.node("g", Op::Reshape { shape: vec![2, 8] }, &[a], &[2, 8]);
    b.output("f", f);
    b.output("g", g);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    assert_eq!(p.tensor(f).unwrap().share, Share::Alias);
    assert_eq!(p.tensor(g).unwrap().share, Share::Own);
    assert_eq!(p.tensor(g).unwrap().memory, Memory::Output(1));
}

#[test]
fn io_in_arena_extends_lifetimes_to_the_ends() {
    let mut b = Builder::new();
    let x = b.input("x", &[50]);
    let a = b.node("a", conv(), &[x], &[20]);
    let c = b.node("c", conv(), &[a], &[20]);
    b.output("a", a);
    b.output("c", c);
    let p = plan(&b.m, &opts(1, false, true)).unwrap();
    plan_common::check_invariants(&b.m, &p);
    let at = p.tensor(a).unwrap();
    assert_eq!((at.first_step, at.last_step), (0, 1));
    assert_eq!(p.steps, vec![70, 40]);
    let p = plan(&b.m, &opts(1, false, false)).unwrap();
    // a is output 0 and read by c: it stays in the caller's buffer.
    assert_eq!(p.tensor(a).unwrap().memory, Memory::Output(0));
    assert_eq!(p.arena_bytes, 0);
}

#[test]
fn scratch_buffers_are_planned() {
    let mut b = Builder::new();
    let x = b.input("x", &[40]);
    let a = b.node("a", conv(), &[x], &[40]);
    let c = b.node("c", conv(), &[a], &[40]);
    let y = b.node("y", conv(), &[c], &[4]);
    b.output("y", y);
    let scratch = |n: &Node, _: &Module| if n.name == "c" { 100 } else { 0 };
    let p = plan_with_scratch(&b.m, &opts(4, false, false), scratch).unwrap();
    plan_common::check_invariants(&b.m, &p);
    assert_eq!(p.scratch.len(), 1);
    assert_eq!(p.scratch[0].node.index(), 1);
    assert_eq!(p.scratch[0].size, 100);
    assert_eq!(p.steps, vec![40, 180, 40]);
    assert_eq!((p.lower_bound_bytes, p.arena_bytes), (180, 180));
    // The default hook asks for nothing.
    assert!(plan(&b.m, &PlanOptions::default())
        .unwrap()
        .scratch
        .is_empty());
}

#[test]
fn unread_tensors_live_one_step() {
    let mut b = Builder::new();
    let x = b.input("x", &[8]);
    let dead = b.node("dead", conv(), &[x], &[64]);
    let y = b.node("y", conv(), &[x], &[8]);
    b.output("y", y);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    plan_common::check_invariants(&b.m, &p);
    let d = p.tensor(dead).unwrap();
    assert_eq!((d.first_step, d.last_step), (0, 0));
    assert_eq!(p.steps, vec![64, 0]);
}

#[test]
fn bad_inputs_are_errors() {
    let mut b = Builder::new();
    let x = b.input("x", &[8]);
    let y = b.node("y", conv(), &[x], &[8]);
    b.output("y", y);
    for align in [0, 3, 12] {
        assert_eq!(
            plan(&b.m, &opts(align, false, false)),
            Err(PlanError::BadAlignment(align))
        );
    }
    let mut broken = b.m.clone();
    broken.nodes[Handle::from_index(0)].inputs = vec![Handle::from_index(7)];
    assert!(matches!(
        plan(&broken, &PlanOptions::default()),
        Err(PlanError::InvalidModule(_))
    ));
    // Sizes that overflow the address space.
    let mut b = Builder::new();
    let x = b.input("x", &[1]);
    let a = b.node("a", conv(), &[x], &[usize::MAX / 2, 3]);
    let c = b.node("c", conv(), &[a], &[usize::MAX / 2]);
    b.output("c", c);
    assert!(matches!(
        plan(&b.m, &PlanOptions::default()),
        Err(PlanError::TooLarge(_))
    ));
}

#[test]
fn empty_module_plans_to_nothing() {
    let mut b = Builder::new();
    let x = b.input("x", &[8]);
    b.output("x", x);
    for io in [false, true] {
        let p = plan(&b.m, &opts(16, false, io)).unwrap();
        plan_common::check_invariants(&b.m, &p);
        assert!(p.steps.is_empty());
        assert_eq!(p.peak_step, None);
    }
    assert_eq!(plan(&b.m, &PlanOptions::default()).unwrap().arena_bytes, 0);
}

#[test]
fn verify_catches_a_broken_plan() {
    let mut b = Builder::new();
    let x = b.input("x", &[32]);
    let a = b.node("a", conv(), &[x], &[32]);
    let c = b.node("c", conv(), &[a], &[32]);
    let y = b.node("y", conv(), &[c], &[2]);
    b.output("y", y);
    let p = plan(&b.m, &PlanOptions::default()).unwrap();
    assert!(p.verify(&b.m).is_ok());
    let mut bad = p.clone();
    bad.tensors[c.index()].offset = bad.tensors[a.index()].offset;
    assert!(bad.verify(&b.m).unwrap_err().contains("overlap"));
    let mut bad = p.clone();
    bad.tensors[a.index()].offset += 1;
    assert!(bad.verify(&b.m).is_err());
    let mut bad = p.clone();
    bad.arena_bytes -= 16;
    assert!(bad.verify(&b.m).is_err());
    let mut bad = p;
    bad.steps[0] += 1;
    assert!(bad.verify(&b.m).is_err());
}

/// A random graph: each node reads one or two earlier tensors; its kind decides the op.
#[derive(Clone, Debug)]
struct Spec {
    inputs: Vec<Vec<usize>>,
    nodes: Vec<(u8, usize, usize, Vec<usize>)>,
    outputs: Vec<usize>,
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..24, 1..4)
}

fn spec(chain: bool) -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(shape(), 1..3),
        prop::collection::vec((0u8..6, any::<usize>(), any::<usize>(), shape()), 0..28),
        prop::collection::vec(any::<usize>(), 1..3),
    )
        .prop_map(move |(inputs, nodes, outputs)| Spec {
            inputs,
            nodes,
            outputs,
        })
        .prop_map(move |mut s| {
            if chain {
                for n in &mut s.nodes {
                    n.1 = usize::MAX; // always the latest tensor
                    n.2 = usize::MAX;
                }
            }
            s
        })
}

fn build(s: &Spec) -> Module {
    let mut b = Builder::new();
    let mut all: Vec<Handle<Tensor>> = Vec::new();
    for (i, sh) in s.inputs.iter().enumerate() {
        all.push(b.input(&format!("x{i}"), sh));
    }
    for (k, (kind, i, j, sh)) in s.nodes.iter().enumerate() {
        let pick = |r: usize| {
            if r == usize::MAX {
                all.len() - 1
            } else {
                r % all.len()
            }
        };
        let a = all[pick(*i)];
        let a_shape = b.m.tensors[a].shape.clone();
        let name = format!("n{k}");
        let t = match kind {
            0 => b.node(&name, Op::Flatten, &[a], &[a_shape.iter().product()]),
            1 => b.node(
                &name,
                Op::Reshape {
                    shape: a_shape.clone(),
                },
                &[a],
                &a_shape,
            ),
            2 => b.node(&name, Op::Relu, &[a], &a_shape),
            3 => {
                let c = all[pick(*j)];
                b.node(
                    &name,
                    Op::Add {
                        activation: Activation::None,
                        operand: None,
                    },
                    &[a, c],
                    &a_shape,
                )
            }
            _ => b.node(&name, conv(), &[a], sh),
        };
        all.push(t);
    }
    for (k, o) in s.outputs.iter().enumerate() {
        let t = all[o % all.len()];
        if !b.m.outputs.iter().any(|(_, h)| *h == t) {
            b.output(&format!("out{k}"), t);
        }
    }
    b.m
}

fn options() -> impl Strategy<Value = PlanOptions> {
    (
        prop::sample::select(vec![1usize, 2, 4, 16, 64]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(align, in_place, io)| opts(align, in_place, io))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_dags_never_overlap(s in spec(false), o in options()) {
        let m = build(&s);
        prop_assert!(m.validate().is_ok());
        let p = plan(&m, &o).unwrap();
        plan_common::check_invariants(&m, &p);
        // Deterministic, and never worse than giving every buffer its own space.
        prop_assert_eq!(&plan(&m, &o).unwrap(), &p);
        let total: usize = p.tensors.iter().filter(|t| t.memory == Memory::Arena && t.alias_of.is_none())
            .map(|t| t.size.div_ceil(o.align) * o.align).sum();
        prop_assert!(p.arena_bytes <= total.max(p.lower_bound_bytes));
    }

    #[test]
    fn random_chains_never_overlap(s in spec(true), o in options()) {
        let m = build(&s);
        let p = plan(&m, &o).unwrap();
        plan_common::check_invariants(&m, &p);
    }

    #[test]
    fn random_scratch_never_overlaps(s in spec(false), sizes in prop::collection::vec(0usize..300, 28)) {
        let m = build(&s);
        let p = plan_with_scratch(&m, &PlanOptions::default(), |n: &Node, _: &Module| {
            let k: usize = n.name[1..].parse().unwrap_or(0);
            sizes[k % sizes.len()]
        })
        .unwrap();
        plan_common::check_invariants(&m, &p);
    }
}

/// One layer of a random convolution network: (kind, kernel, stride, dilation, pad top, pad
/// bottom, channels, skip source).
type Layer = (u8, usize, usize, usize, usize, usize, usize, usize);

/// A random network of convolutions and pools over `[H, W, C]` data with shapes that agree with the ops'
/// windows (the row-by-row planner reads them), a few residual adds and flattens.
fn conv_net(h: usize, w: usize, c: usize, layers: &[Layer], out_at: usize) -> Module {
    use nn_dsl::ir::{Conv2d, Padding2d, PaddingScheme, Window2d};
    let mut b = Builder::new();
    let mut all = vec![b.input("x", &[h, w, c])];
    for (k, &(kind, kernel, stride, dilation, pt, pb, ch, skip)) in layers.iter().enumerate() {
        let a = *all.last().unwrap();
        let sh = b.m.tensors[a].shape.clone();
        let name = format!("n{k}");
        // Pools (kinds 4 and 5) have no dilation.
        let dilation = if kind >= 4 { 1 } else { dilation };
        let extent = (kernel - 1) * dilation + 1;
        let (ih, iw) = match sh.as_slice() {
            [a, b, _] => (a + pt + pb, b + pt + pb),
            _ => (0, 0),
        };
        let t = if kind == 3 && sh.len() == 3 {
            // A residual add with an earlier tensor of the same shape, when there is one.
            let same = all
                .iter()
                .rev()
                .skip(skip % 3)
                .find(|&&t| b.m.tensors[t].shape == sh);
            match same {
                Some(&o) if o != a => b.node(
                    &name,
                    Op::Add {
                        activation: Activation::None,
                        operand: None,
                    },
                    &[a, o],
                    &sh,
                ),
                _ => b.node(&name, Op::Relu, &[a], &sh),
            }
        } else if sh.len() == 3 && ih >= extent && iw >= extent {
            let window = Window2d {
                kernel: [kernel, kernel],
                stride: [stride, stride],
                dilation: [dilation, dilation],
                padding: Padding2d {
                    scheme: PaddingScheme::Explicit,
                    top: pt,
                    bottom: pb,
                    left: pt,
                    right: pb,
                },
            };
            let (oh, ow) = ((ih - extent) / stride + 1, (iw - extent) / stride + 1);
            let pool = nn_dsl::ir::Pool2d {
                window,
                activation: Activation::None,
            };
            let op = if kind == 4 {
                Op::MaxPool2d(pool)
            } else if kind == 5 {
                Op::AvgPool2d(pool)
            } else if kind == 0 {
                Op::DepthwiseConv2d(nn_dsl::ir::DepthwiseConv2d {
                    depth_multiplier: 1,
                    window,
                    activation: Activation::None,
                    bias: false,
                })
            } else {
                Op::Conv2d(Conv2d {
                    filters: ch,
                    window,
                    groups: 1,
                    activation: Activation::None,
                    bias: false,
                })
            };
            let oc = if kind == 0 || kind >= 4 { sh[2] } else { ch };
            b.node(&name, op, &[a], &[oh, ow, oc])
        } else {
            b.node(&name, Op::Flatten, &[a], &[sh.iter().product()])
        };
        all.push(t);
    }
    let last = *all.last().unwrap();
    b.output("y", last);
    let extra = all[out_at % all.len()];
    if extra != last && out_at % 3 == 0 {
        b.output("z", extra);
    }
    b.m
}

fn layer() -> impl Strategy<Value = Layer> {
    (
        0u8..6,
        1usize..6,
        1usize..4,
        1usize..3,
        0usize..3,
        0usize..3,
        1usize..9,
        0usize..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Row-by-row in place on random convolution and pooling networks: the plan passes `verify` and the
    /// independent byte-by-byte simulation of every row written (plan_common), and it is never
    /// larger than the plan without it.
    #[test]
    fn random_rows_in_place_never_clobber(
        h in 1usize..20, w in 1usize..12, c in 1usize..9,
        layers in prop::collection::vec(layer(), 1..10),
        out_at in 0usize..10,
        align in prop::sample::select(vec![1usize, 4, 16]),
        io in any::<bool>(),
    ) {
        let m = conv_net(h, w, c, &layers, out_at);
        prop_assert!(m.validate().is_ok());
        let base = PlanOptions { align, io_in_arena: io, ..PlanOptions::default() };
        let rows = PlanOptions { in_place_rows: true, ..base };
        let p = plan(&m, &rows).unwrap();
        plan_common::check_invariants(&m, &p);
        let plain = plan(&m, &base).unwrap();
        prop_assert!(p.arena_bytes <= plain.arena_bytes);
    }
}

/// The random networks above do write rows in place (the test is not vacuous): a 3x3 chain.
#[test]
fn a_conv_chain_is_written_in_place() {
    let layers = [
        (1, 3, 1, 1, 1, 1, 8, 0),
        (0, 3, 1, 1, 1, 1, 8, 0),
        (1, 1, 1, 1, 0, 0, 8, 0),
        (1, 1, 1, 1, 0, 0, 4, 0),
    ];
    let m = conv_net(16, 8, 8, &layers, 1);
    let rows = PlanOptions {
        in_place_rows: true,
        ..PlanOptions::default()
    };
    let p = plan(&m, &rows).unwrap();
    plan_common::check_invariants(&m, &p);
    let n = p
        .tensors
        .iter()
        .filter(|t| matches!(t.share, Share::Rows(_)))
        .count();
    assert_eq!(n, 2, "{:?}", p.tensors);
    assert!(p.arena_bytes < plan(&m, &PlanOptions::default()).unwrap().arena_bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// `verify` (a sweep per step) reports an overlap exactly when comparing every pair finds
    /// one, on plans with buffers moved at random.
    #[test]
    fn verify_finds_every_overlap(
        s in spec(false),
        moves in prop::collection::vec((0usize..64, 0usize..64), 1..4),
    ) {
        let m = build(&s);
        let mut p = plan(&m, &PlanOptions::default()).unwrap();
        let slots = p.arena_bytes / p.align;
        for (k, to) in moves {
            let n = p.tensors.len();
            let t = &mut p.tensors[k % n];
            if t.memory == Memory::Arena && t.share == Share::Own && slots > 0 {
                let size = t.size.div_ceil(p.align) * p.align;
                let last = (p.arena_bytes - size.min(p.arena_bytes)) / p.align;
                t.offset = (to % (last + 1)) * p.align;
            }
        }
        // Aliases follow their parent, as the planner would place them.
        for i in 0..p.tensors.len() {
            if let Some(parent) = p.tensors[i].alias_of {
                p.tensors[i].offset = p.tensors[parent.index()].offset;
            }
        }
        let brute = plan_common::any_overlap(&p);
        let got = p.verify(&m);
        let says_overlap = got.as_ref().err().is_some_and(|e| e.contains("overlap"));
        if brute {
            prop_assert!(got.is_err(), "an overlap passed verify");
        } else {
            prop_assert!(!says_overlap, "verify reports an overlap that is not there: {:?}", got);
        }
    }
}
