//! Lifetimes, alias groups and the list of buffers to place.

use crate::ir::{Handle, Module, Node, Op, Producer, Tensor};

use super::fuse::Fused;
use super::rows::{self, RowOrder, RowWrite};
use super::{Memory, PlanOptions, Share};

/// One block of arena memory to place: `size` bytes (already rounded up to the alignment) live
/// from step `first` to step `last`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Buffer {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) size: usize,
}

/// What the analysis found for one tensor.
#[derive(Clone, Debug)]
pub(super) struct TensorLive {
    pub(super) tensor: Handle<Tensor>,
    pub(super) memory: Memory,
    /// The arena buffer holding it (shared by its alias group), when `memory` is the arena.
    pub(super) buffer: Option<usize>,
    /// Offset inside that buffer (non-zero only for some members of a group with row-by-row
    /// in-place outputs).
    pub(super) rel: usize,
    pub(super) size: usize,
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) share: Share,
    pub(super) alias_of: Option<Handle<Tensor>>,
}

/// The analysis of a module.
#[derive(Clone, Debug)]
pub(super) struct Live {
    pub(super) buffers: Vec<Buffer>,
    pub(super) tensors: Vec<TensorLive>,
    /// `(node, buffer, requested bytes)` per node with scratch.
    pub(super) scratch: Vec<(Handle<Node>, usize, usize)>,
    /// Number of steps the buffers' lifetimes range over: the node count, at least 1.
    pub(super) step_count: usize,
}

fn align_up(n: usize, align: usize) -> Option<usize> {
    Some(n.checked_add(align - 1)? / align * align)
}

/// Ops whose kernels could write the output over an input of the same size element by element.
fn element_wise(op: &Op) -> bool {
    matches!(
        op,
        Op::Relu
            | Op::Relu6
            | Op::LeakyRelu { .. }
            | Op::HardSwish
            | Op::Logistic
            | Op::Tanh
            | Op::Add { .. }
            | Op::Mul { .. }
            | Op::Sub { .. }
            | Op::Maximum
            | Op::Minimum
            | Op::Prelu { .. }
            | Op::Requantize
    )
}

/// Output rows per kernel call the planner tries for a row-by-row in-place layer, most first:
/// a larger chunk is taken only when it does not widen the buffer.
const CHUNKS: [usize; 4] = [8, 4, 2, 1];

/// Whether one buffer can hold tensors bound to caller buffers `a` and `b`.
fn compatible(a: Option<Memory>, b: Option<Memory>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Computes lifetimes and alias groups of a valid module. `None` when a size overflows.
pub(super) fn analyse(
    module: &Module,
    options: &PlanOptions,
    scratch: &impl Fn(&Node, &Module) -> usize,
    rows_allowed: Option<&[bool]>,
    max_chunk: usize,
    blocks: &[Fused],
) -> Option<Live> {
    let count = module.tensors.len();
    // The inner tensors of fused groups (never stored), and the group each node computes.
    let mut fused = vec![false; count];
    let mut block_of_add: Vec<Option<&Fused>> = vec![None; module.nodes.len()];
    for b in blocks {
        for n in b.inner() {
            *fused.get_mut(module.nodes.get(n)?.output.index())? = true;
        }
        *block_of_add.get_mut(b.emit_node()?.index())? = Some(b);
    }
    let step_count = module.nodes.len().max(1);
    let end = step_count - 1;

    let mut first = vec![0usize; count];
    for (h, t) in module.tensors.iter() {
        if let Producer::Node(n) = t.producer {
            first[h.index()] = n.index();
        }
    }
    let mut last = first.clone();
    for (h, node) in module.nodes.iter() {
        for &i in &node.inputs {
            let l = last.get_mut(i.index())?;
            *l = (*l).max(h.index());
        }
    }
    // The caller's buffer each tensor is bound to, before aliasing.
    let mut own_ext: Vec<Option<Memory>> = vec![None; count];
    for (i, &h) in module.inputs.iter().enumerate() {
        if !options.io_in_arena {
            *own_ext.get_mut(h.index())? = Some(Memory::Input(i));
        }
    }
    for (j, (_, h)) in module.outputs.iter().enumerate() {
        if options.io_in_arena {
            *last.get_mut(h.index())? = end;
        } else {
            let slot = own_ext.get_mut(h.index())?;
            if slot.is_none() {
                *slot = Some(Memory::Output(j));
            }
        }
    }

    // Alias groups. A node's output only ever joins the group of one of its inputs, which come
    // earlier in the schedule, so one pass in schedule order finds every group's root.
    let mut root: Vec<usize> = (0..count).collect();
    let mut share = vec![Share::Own; count];
    let mut alias_of: Vec<Option<Handle<Tensor>>> = vec![None; count];
    let mut ext = own_ext.clone();
    let mut group_last = last.clone();
    // Offset of each tensor relative to its group's root, and each group's extent.
    let mut rel = vec![0i64; count];
    let mut rows_group = vec![false; count];
    let mut span: Vec<(i64, i64)> = Vec::with_capacity(count);
    for (_, t) in module.tensors.iter() {
        span.push((
            0,
            i64::try_from(align_up(t.size_bytes(), options.align)?).ok()?,
        ));
    }
    for (h, node) in module.nodes.iter() {
        let o = node.output.index();
        if fused[o] {
            share[o] = Share::Fused;
            continue;
        }
        let mut decision = None;
        if let Some(b) = block_of_add.get(h.index()).copied().flatten() {
            // The group's output over the start of `x`, in `x`'s group (both in the arena).
            let r = root[b.x().index()];
            if ext[r].is_some() || own_ext[o].is_some() {
                return None;
            }
            decision = Some((b.x(), Share::Block));
        }
        if decision.is_none() && node.op.is_reshape_like() {
            if let Some(&i) = node.inputs.first() {
                // A caller's buffer holds one tensor at offset 0: not a group with shifted rows.
                let shifted = rows_group[root[i.index()]] && own_ext[o].is_some();
                if compatible(ext[root[i.index()]], own_ext[o]) && !shifted {
                    decision = Some((i, Share::Alias));
                }
            }
        }
        // The in-place kernels are int8's: a 16x8 layer writes a buffer of its own.
        let int8_out = module
            .tensors
            .get(node.output)
            .is_some_and(|t| t.dtype == crate::ir::DType::I8);
        // A q7 network's sigmoid and tanh run the table kernels from an input into an output.
        let table = module.numerics == crate::ir::Numerics::Pow2
            && matches!(node.op, Op::Logistic | Op::Tanh);
        if decision.is_none() && options.in_place && int8_out && !table && element_wise(&node.op) {
            let out = module.tensors.get(node.output)?;
            decision = node
                .inputs
                .iter()
                .copied()
                .find(|&i| {
                    let r = root[i.index()];
                    let same_size = module.tensors.get(i).is_some_and(|t| {
                        t.dtype == out.dtype && t.size_bytes() == out.size_bytes()
                    });
                    same_size && ext[r].is_none() && group_last[r] == h.index()
                })
                .map(|i| (i, Share::InPlace));
        }
        let mut shift = 0i64;
        let allowed = rows_allowed.is_none_or(|a| a.get(h.index()).copied().unwrap_or(false));
        if decision.is_none() && options.in_place_rows && allowed && own_ext[o].is_none() {
            if let (Some(g), Some(&i)) = (rows::row_geometry(node, module), node.inputs.first()) {
                let r = root[i.index()];
                if ext[r].is_none() && group_last[r] == h.index() {
                    let size = i64::try_from(align_up(
                        module.tensors.get(node.output)?.size_bytes(),
                        options.align,
                    )?)
                    .ok()?;
                    let (lo, hi) = span[r];
                    let base = rel[i.index()];
                    let extent = |d: i64| (hi.max(base + d + size)) - lo.min(base + d);
                    // The smallest extent; among equals the most rows per call (fewer calls),
                    // then forward.
                    let mut best: Option<(i64, RowWrite, i64)> = None;
                    for chunk in CHUNKS.into_iter().filter(|&c| c <= max_chunk.max(1)) {
                        for order in [RowOrder::Forward, RowOrder::Backward] {
                            let w = RowWrite { order, chunk };
                            let d = g.shift(w, options.align);
                            let e = extent(d);
                            if best.is_none_or(|(be, _, _)| e < be) {
                                best = Some((e, w, d));
                            }
                        }
                    }
                    let (_, write, d) = best?;
                    decision = Some((i, Share::Rows(write)));
                    shift = d;
                    rows_group[r] = true;
                }
            }
        }
        if let Some((parent, kind)) = decision {
            let r = root[parent.index()];
            root[o] = r;
            share[o] = kind;
            alias_of[o] = Some(parent);
            ext[r] = ext[r].or(own_ext[o]);
            group_last[r] = group_last[r].max(last[o]);
            rel[o] = rel[parent.index()].checked_add(shift)?;
            let (lo, hi) = span[r];
            let own = span[o].1;
            span[r] = (lo.min(rel[o]), hi.max(rel[o].checked_add(own)?));
        }
    }

    // One arena buffer per group that is not bound to a caller's buffer.
    let mut buffer_of_root: Vec<Option<usize>> = vec![None; count];
    let mut buffers: Vec<Buffer> = Vec::new();
    for t in 0..count {
        let r = root[t];
        if ext[r].is_some() || fused[t] {
            continue;
        }
        let (lo, hi) = span[r];
        let size = usize::try_from(hi.checked_sub(lo)?).ok()?;
        match buffer_of_root[r] {
            Some(b) => {
                let buf = buffers.get_mut(b)?;
                buf.first = buf.first.min(first[t]);
                buf.last = buf.last.max(last[t]);
            }
            None => {
                buffer_of_root[r] = Some(buffers.len());
                buffers.push(Buffer {
                    first: first[t],
                    last: last[t],
                    size,
                });
            }
        }
    }

    let mut tensors = Vec::with_capacity(count);
    for (h, t) in module.tensors.iter() {
        let i = h.index();
        let r = root[i];
        if fused[i] {
            tensors.push(TensorLive {
                tensor: h,
                memory: Memory::Fused,
                buffer: None,
                rel: 0,
                size: t.size_bytes(),
                first: first[i],
                last: last[i],
                share: Share::Fused,
                alias_of: None,
            });
            continue;
        }
        tensors.push(TensorLive {
            tensor: h,
            memory: ext[r].unwrap_or(Memory::Arena),
            buffer: buffer_of_root[r],
            rel: usize::try_from(rel[i].checked_sub(span[r].0)?).ok()?,
            size: t.size_bytes(),
            first: first[i],
            last: last[i],
            share: share[i],
            alias_of: alias_of[i],
        });
    }

    let mut scratch_list = Vec::new();
    for (h, node) in module.nodes.iter() {
        // A fused group's layers all run at its last node: their kernels' scratch is there,
        // after the group's own rings and rows.
        if fused[node.output.index()] {
            continue;
        }
        let mut bytes = 0usize;
        if let Some(b) = block_of_add.get(h.index()).copied().flatten() {
            bytes = b.scratch_bytes(options.align)?;
            let mut kernels = 0usize;
            for n in b.nodes() {
                kernels = kernels.max(scratch(module.nodes.get(n)?, module));
            }
            bytes = bytes.checked_add(kernels)?;
        } else {
            bytes = bytes.checked_add(scratch(node, module))?;
        }
        if bytes > 0 {
            scratch_list.push((h, buffers.len(), bytes));
            buffers.push(Buffer {
                first: h.index(),
                last: h.index(),
                size: align_up(bytes, options.align)?,
            });
        }
    }

    Some(Live {
        buffers,
        tensors,
        scratch: scratch_list,
        step_count,
    })
}
