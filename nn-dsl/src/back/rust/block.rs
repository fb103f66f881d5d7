//! A fused group ([`crate::plan::fuse::Fused`]: a residual block, or a chain of windowed layers
//! ([`crate::plan::chain`])): one output row per step, the inner tensors in a few rows of
//! scratch, the output written over the start of the group's input.
//!
//! Each step is a list of actions (row copies and kernel calls on windows of rows, with the same
//! kernel choice as the whole layer would get). Consecutive steps whose actions have the same
//! shapes and whose offsets advance by the same amounts become one loop over `i`, as the rows of
//! a row-by-row layer do; the first and last few steps (padding at the edges) are written out.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Handle, Node, Tensor};
use crate::lower::NodeParams;
use crate::plan::chain::{Chain, ChainAct, Dst, Src};
use crate::plan::fuse::{Block, Fused};

use super::lit::usize_lit;
use super::node::{elem, malformed, NodeCode, Op, Place};
use super::rows::Statics;
use super::{Ctx, Error};

/// One action of a step. Offsets are arena byte offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Act {
    /// Copy `len` bytes.
    Copy { from: usize, to: usize, len: usize },
    /// One output row of a node's kernel from a window of `window` input rows with `pad_top`
    /// rows of padding above.
    Kernel {
        which: Handle<Node>,
        window: usize,
        pad_top: usize,
        ins: Vec<usize>,
        out: usize,
    },
}

impl Act {
    /// Equal apart from offsets.
    fn same_shape(&self, other: &Act) -> bool {
        match (self, other) {
            (Act::Copy { len: a, .. }, Act::Copy { len: b, .. }) => a == b,
            (
                Act::Kernel {
                    which: w1,
                    window: n1,
                    pad_top: p1,
                    ins: i1,
                    ..
                },
                Act::Kernel {
                    which: w2,
                    window: n2,
                    pad_top: p2,
                    ins: i2,
                    ..
                },
            ) => w1 == w2 && n1 == n2 && p1 == p2 && i1.len() == i2.len(),
            _ => false,
        }
    }

    fn offsets(&self) -> Vec<usize> {
        match self {
            Act::Copy { from, to, .. } => vec![*from, *to],
            Act::Kernel { ins, out, .. } => {
                let mut v = ins.clone();
                v.push(*out);
                v
            }
        }
    }
}

/// Steps `first..first + count` of equal shape whose offsets advance by `delta` per step.
struct Run {
    first: usize,
    count: usize,
    delta: Vec<usize>,
}

/// Groups consecutive steps into runs.
fn runs(steps: &[Vec<Act>]) -> Vec<Run> {
    let flat = |s: &[Act]| -> Vec<usize> { s.iter().flat_map(Act::offsets).collect() };
    let mut out: Vec<Run> = Vec::new();
    for (r, step) in steps.iter().enumerate() {
        if let Some(run) = out.last_mut() {
            let prev = &steps[r - 1];
            let shaped =
                prev.len() == step.len() && prev.iter().zip(step).all(|(a, b)| a.same_shape(b));
            if shaped {
                let (p, q) = (flat(prev), flat(step));
                let delta: Option<Vec<usize>> =
                    p.iter().zip(&q).map(|(a, b)| b.checked_sub(*a)).collect();
                if let Some(d) = delta {
                    if run.count == 1 || run.delta == d {
                        run.delta = d;
                        run.count += 1;
                        continue;
                    }
                }
            }
        }
        out.push(Run {
            first: r,
            count: 1,
            delta: Vec::new(),
        });
    }
    out
}

/// `params` for one output row from a window of `window` rows with `pad_top` rows above.
fn window_params(
    params: &NodeParams,
    window: usize,
    pad_top: usize,
    name: &str,
) -> Result<NodeParams, Error> {
    let mut p = params.clone();
    match &mut p {
        NodeParams::Conv2d(c) => {
            c.geometry.input_h = window;
            c.geometry.output_h = 1;
            c.geometry.pad_top = pad_top;
        }
        NodeParams::DepthwiseConv2d(c) => {
            c.geometry.input_h = window;
            c.geometry.output_h = 1;
            c.geometry.pad_top = pad_top;
        }
        // A window's rows are exactly the input rows its output reads, so an average counts the
        // same positions as in the whole layer.
        NodeParams::MaxPool2d(g) | NodeParams::AvgPool2d(g) => {
            g.input_h = window;
            g.output_h = 1;
            g.pad_top = pad_top;
        }
        _ => {
            return Err(malformed(
                name,
                "a fused layer is not a convolution or pool",
            ))
        }
    }
    Ok(p)
}

/// `t` with `rows` rows.
fn rows_of(t: &Tensor, rows: usize) -> Tensor {
    let mut t = t.clone();
    if let Some(h) = t.shape.first_mut() {
        *h = rows;
    }
    t
}

impl Ctx<'_> {
    /// The steps of `block`, each a list of actions.
    fn block_steps(&self, block: &Block, scratch: usize) -> Result<Vec<Vec<Act>>, Error> {
        let module = self.module;
        let add = module
            .nodes
            .get(block.add)
            .ok_or_else(|| malformed("block", "missing add"))?;
        let name = add.name.as_str();
        let x_off = match self.place(block.x, name)? {
            Place::Arena { offset, .. } => offset,
            _ => return Err(malformed(name, "a fused block's input is not in the arena")),
        };
        let out_off = match self.place(add.output, name)? {
            Place::Arena { offset, .. } => offset,
            _ => {
                return Err(malformed(
                    name,
                    "a fused block's output is not in the arena",
                ))
            }
        };
        let layout = block
            .layout(self.plan.align)
            .ok_or_else(|| malformed(name, "block scratch overflows"))?;
        let (a, b) = (&block.a, &block.b);
        let (xrow, arow, orow) = (a.in_row_bytes, a.out_row_bytes, block.out_row_bytes());
        let (kb, pb) = (b.extent, b.pad_top);
        let ring = scratch + layout.ring;
        let a_row = |k: usize, slot: usize| {
            let (lo, hi) = a.window(k);
            Act::Kernel {
                which: block.conv_a,
                window: hi - lo,
                pad_top: a.pad_top.saturating_sub(k.saturating_mul(a.stride)),
                ins: vec![x_off + lo * xrow],
                out: ring + slot * arow,
            }
        };
        let mut steps = Vec::with_capacity(block.out_rows());
        for r in 0..block.out_rows() {
            let mut acts = Vec::new();
            if r == 0 {
                // Rows above the first one `conv_b` reads in full.
                for k in 0..pb.min(a.out_rows) {
                    acts.push(a_row(k, k + pb));
                }
            } else {
                for j in 1..kb {
                    acts.push(Act::Copy {
                        from: ring + j * arow,
                        to: ring + (j - 1) * arow,
                        len: arow,
                    });
                }
            }
            if r + pb < a.out_rows {
                acts.push(a_row(r + pb, kb - 1));
            }
            let (lo, hi) = b.window(r);
            acts.push(Act::Kernel {
                which: block.conv_b,
                window: hi - lo,
                pad_top: pb.saturating_sub(r),
                ins: vec![ring + (lo + pb - r) * arow],
                out: scratch + layout.b_row,
            });
            let shortcut = match &block.s {
                Some(s) => {
                    let (lo, hi) = s.window(r);
                    let conv_s = block
                        .shortcut
                        .ok_or_else(|| malformed(name, "shortcut rows without a shortcut"))?;
                    acts.push(Act::Kernel {
                        which: conv_s,
                        window: hi - lo,
                        pad_top: s.pad_top.saturating_sub(r.saturating_mul(s.stride)),
                        ins: vec![x_off + lo * xrow],
                        out: scratch + layout.s_row,
                    });
                    scratch + layout.s_row
                }
                None => x_off + r * xrow,
            };
            let b_row = scratch + layout.b_row;
            let ins = if block.b_input == 0 {
                vec![b_row, shortcut]
            } else {
                vec![shortcut, b_row]
            };
            acts.push(Act::Kernel {
                which: block.add,
                window: 1,
                pad_top: 0,
                ins,
                out: scratch + layout.out_row,
            });
            acts.push(Act::Copy {
                from: scratch + layout.out_row,
                to: out_off + r * orow,
                len: orow,
            });
            steps.push(acts);
        }
        Ok(steps)
    }

    /// The steps of `chain`, each a list of actions: its schedule ([`Chain::schedule`]) with the
    /// rings' slots, `x`'s rows and the output's rows turned into arena offsets.
    fn chain_steps(
        &self,
        chain: &Chain,
        scratch: usize,
        name: &str,
    ) -> Result<Vec<Vec<Act>>, Error> {
        let module = self.module;
        let arena = |t: Handle<Tensor>, what: &str| -> Result<usize, Error> {
            match self.place(t, name)? {
                Place::Arena { offset, .. } => Ok(offset),
                _ => Err(malformed(
                    name,
                    &format!("a fused chain's {what} is not in the arena"),
                )),
            }
        };
        let x_off = arena(chain.x, "input")?;
        let last = chain
            .last()
            .and_then(|h| module.nodes.get(h))
            .ok_or_else(|| malformed(name, "a fused chain without layers"))?;
        let out_off = arena(last.output, "output")?;
        let layout = chain
            .layout(self.plan.align)
            .ok_or_else(|| malformed(name, "chain scratch overflows"))?;
        let schedule = chain
            .schedule()
            .ok_or_else(|| malformed(name, "a fused chain has no schedule"))?;
        let (xrow, orow) = (chain.x_row_bytes(), chain.out_row_bytes());
        let slot = |ring: usize, slot: usize| -> Result<usize, Error> {
            let base = layout
                .rings
                .get(ring)
                .ok_or_else(|| malformed(name, "a fused chain's ring is missing"))?;
            Ok(scratch + base + slot * chain.ring_row_bytes(ring))
        };
        let mut steps = Vec::with_capacity(schedule.len());
        for acts in schedule {
            let mut out = Vec::with_capacity(acts.len());
            for act in acts {
                out.push(match act {
                    ChainAct::Copy { ring, from, to } => Act::Copy {
                        from: slot(ring, from)?,
                        to: slot(ring, to)?,
                        len: chain.ring_row_bytes(ring),
                    },
                    ChainAct::Row {
                        layer,
                        window,
                        pad_top,
                        src,
                        dst,
                        ..
                    } => Act::Kernel {
                        which: *chain
                            .nodes
                            .get(layer)
                            .ok_or_else(|| malformed(name, "a fused chain's layer is missing"))?,
                        window,
                        pad_top,
                        ins: vec![match src {
                            Src::X(row) => x_off + row * xrow,
                            Src::Ring(ring, s) => slot(ring, s)?,
                        }],
                        out: match dst {
                            Dst::Ring(ring, s) => slot(ring, s)?,
                            Dst::Out(row) => out_off + row * orow,
                        },
                    },
                });
            }
            steps.push(out);
        }
        Ok(steps)
    }

    /// The code of a fused group, emitted at its last node. `nodes` and `params` are the
    /// module's nodes and lowered parameters in schedule order; `prefixes` their static names.
    pub(super) fn block_node(
        &self,
        group: &Fused,
        params: &[NodeParams],
        prefixes: &[String],
    ) -> Result<NodeCode, Error> {
        let module = self.module;
        let node_of = |h: Handle<Node>| {
            module
                .nodes
                .get(h)
                .ok_or_else(|| malformed("block", "a fused group's node is missing"))
        };
        let emit = group
            .emit_node()
            .ok_or_else(|| malformed("block", "a fused group without layers"))?;
        let last = node_of(emit)?;
        let name = last.name.as_str();
        let scratch = self
            .plan
            .scratch
            .iter()
            .find(|s| s.node == emit)
            .map(|s| s.offset)
            .ok_or_else(|| malformed(name, "a fused group has no scratch"))?;
        let steps = match group {
            Fused::Residual(block) => self.block_steps(block, scratch)?,
            Fused::Chain(chain) => self.chain_steps(chain, scratch, name)?,
        };
        let layer = |h: Handle<Node>| -> Result<(&Node, &NodeParams, &str), Error> {
            let p = params
                .get(h.index())
                .ok_or_else(|| malformed(name, "missing lowered parameters"))?;
            let prefix = prefixes
                .get(h.index())
                .map(String::as_str)
                .ok_or_else(|| malformed(name, "missing prefix"))?;
            Ok((node_of(h)?, p, prefix))
        };
        let mut shared = Statics::default();
        let mut body = TokenStream::new();
        let mut variant = 0usize;
        let i8_elem = elem(crate::ir::DType::I8)?;
        for run in runs(&steps) {
            let first = &steps[run.first];
            let looped = run.count > 1;
            let mut deltas = run.delta.iter().copied();
            let mut next_delta = || {
                if looped {
                    deltas.next().unwrap_or(0)
                } else {
                    0
                }
            };
            let mut block_body = TokenStream::new();
            for act in first {
                match act {
                    Act::Copy { from, to, len } => {
                        let from = Place::Arena {
                            offset: *from,
                            len: *len,
                            step: next_delta(),
                        };
                        let to = Place::Arena {
                            offset: *to,
                            len: *len,
                            step: next_delta(),
                        };
                        let c = self.copy_block(name, from, to, &i8_elem, *len, "")?;
                        block_body.extend(c.body);
                    }
                    Act::Kernel {
                        which,
                        window,
                        pad_top,
                        ins,
                        out,
                    } => {
                        let (node, p, prefix) = layer(*which)?;
                        let is_add = matches!(node.op, crate::ir::Op::Add { .. });
                        let (call_params, in_tensors, out_t) = if is_add {
                            let NodeParams::Add(b) = p else {
                                return Err(malformed(name, "a fused block ends in no add"));
                            };
                            let mut b = b.clone();
                            let row: Vec<usize> = std::iter::once(1)
                                .chain(b.output_shape.iter().skip(1).copied())
                                .collect();
                            b.a_shape = row.clone();
                            b.b_shape = row.clone();
                            b.output_shape = row;
                            let ins: Vec<Tensor> = node
                                .inputs
                                .iter()
                                .map(|&h| self.tensor(h, name).map(|t| rows_of(t, 1)))
                                .collect::<Result<_, _>>()?;
                            let out_t = rows_of(self.tensor(node.output, name)?, 1);
                            (NodeParams::Add(b), ins, out_t)
                        } else {
                            let input = *node
                                .inputs
                                .first()
                                .ok_or_else(|| malformed(name, "a convolution without input"))?;
                            let x = rows_of(self.tensor(input, name)?, *window);
                            let y = rows_of(self.tensor(node.output, name)?, 1);
                            (window_params(p, *window, *pad_top, name)?, vec![x], y)
                        };
                        let ins_places: Vec<(&Tensor, Place)> = in_tensors
                            .iter()
                            .zip(ins)
                            .map(|(t, &o)| {
                                (
                                    t,
                                    Place::Arena {
                                        offset: o,
                                        len: t.elements(),
                                        step: next_delta(),
                                    },
                                )
                            })
                            .collect();
                        let out_place = Place::Arena {
                            offset: *out,
                            len: out_t.elements(),
                            step: next_delta(),
                        };
                        let variant_prefix = format!("{prefix}_F{variant}");
                        variant += 1;
                        let op = Op {
                            cx: self,
                            name: &node.name,
                            prefix: &variant_prefix,
                            ins: &ins_places,
                            out: &out_t,
                            in_place: None,
                        };
                        let (statics, call) = op.emit(&call_params)?;
                        let call = shared.add(statics, call, name)?;
                        let lend = self.lend(out_place, true);
                        block_body.extend(quote! { { #lend #call } });
                    }
                }
            }
            body.extend(if looped {
                let n = usize_lit(run.count);
                quote! { for i in 0..#n { #block_body } }
            } else {
                block_body
            });
        }
        let names: Vec<String> = group
            .inner()
            .into_iter()
            .filter_map(|h| module.nodes.get(h).map(|n| format!("`{}`", n.name)))
            .collect();
        let doc = self.block_doc(&format!(
            "`{name}` ({}) fused with {} ({}): one output row at a time, written over its input",
            last.op.name(),
            names.join(", "),
            group.kind()
        ));
        Ok(NodeCode {
            statics: shared.into_items(),
            body: quote! { #doc { #body } },
            uses_arena: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(from: usize, to: usize) -> Act {
        Act::Copy { from, to, len: 4 }
    }

    #[test]
    fn runs_group_steps_with_equal_shapes_and_strides() {
        let steps = vec![
            vec![copy(0, 100)],
            vec![copy(10, 100)],
            vec![copy(20, 100)],
            vec![copy(40, 100)],
            vec![copy(60, 100), copy(0, 0)],
        ];
        let r = runs(&steps);
        assert_eq!(
            r.iter().map(|r| (r.first, r.count)).collect::<Vec<_>>(),
            vec![(0, 3), (3, 1), (4, 1)]
        );
        assert_eq!(r[0].delta, vec![10, 0]);
    }
}
