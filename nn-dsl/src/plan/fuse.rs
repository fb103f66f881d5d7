//! Fused residual blocks: `out = add(conv_b(conv_a(x)), shortcut(x))` computed one output row at
//! a time, with `conv_a`'s, `conv_b`'s and the shortcut's outputs never stored whole.
//!
//! A residual block keeps its input `x` alive until the add, so writing each convolution over its
//! own input (see [`super::rows`]) cannot help: at `conv_b` the arena holds `x`, `conv_a`'s output
//! and `conv_b`'s output. Fused, the block holds `x` and a few rows of scratch:
//!
//! - a ring of `kb` rows of `conv_a`'s output (`kb` is `conv_b`'s kernel height), which slides
//!   down one row per step (the rows are moved, so every window `conv_b` reads is contiguous);
//! - one row each of `conv_b`'s output, the shortcut's output (a convolution of `x`, or `x`
//!   itself) and the block's output.
//!
//! Step `r` computes `conv_a`'s row `r + pb` (`pb`, `conv_b`'s top padding), `conv_b`'s row `r`,
//! the shortcut's row `r` and their sum, and copies that sum over `x`'s bytes at row `r` of the
//! output: by then no later step reads those bytes of `x` ([`Block::safe`]). So the output
//! occupies the start of `x`'s buffer and `x` needs no second buffer. Every kernel is the
//! ordinary one of the target, called on a window of rows (as for row-by-row layers); the
//! results are the layer-by-layer ones, byte for byte.
//!
//! A block is recognised when: the add's two inputs are `conv_b`'s output and the shortcut; `conv_b`
//! (stride 1, padding `(kb - 1) / 2` above) reads only `conv_a`'s output; `conv_a` and a
//! convolution shortcut read `x`; each intermediate tensor has one consumer; `x` is read by the
//! block alone; the block's nodes are consecutive in the schedule with the add last; all data is
//! int8 `[H, W, C]` and the add does not broadcast.

use crate::ir::{DType, Handle, Module, Node, Op, Producer, Tensor};

use super::rows::{row_geometry, RowGeometry};

/// One fusable residual block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The first convolution (reads `x`).
    pub conv_a: Handle<Node>,
    /// The second convolution (reads `conv_a`'s output).
    pub conv_b: Handle<Node>,
    /// The shortcut convolution, or `None` when the add reads `x` itself.
    pub shortcut: Option<Handle<Node>>,
    /// The add.
    pub add: Handle<Node>,
    /// The block's input.
    pub x: Handle<Tensor>,
    /// Which input of the add is `conv_b`'s output (0 or 1).
    pub b_input: usize,
    /// `conv_a`'s rows.
    pub a: RowGeometry,
    /// `conv_b`'s rows.
    pub b: RowGeometry,
    /// The shortcut convolution's rows.
    pub s: Option<RowGeometry>,
}

/// Where the pieces of a block's scratch are, relative to its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScratchLayout {
    /// The ring of `conv_b.extent` rows of `conv_a`'s output.
    pub ring: usize,
    /// One row of `conv_b`'s output.
    pub b_row: usize,
    /// One row of the shortcut convolution's output (unused without one).
    pub s_row: usize,
    /// One row of the block's output.
    pub out_row: usize,
    /// Total bytes.
    pub bytes: usize,
}

impl Block {
    /// Rows of `conv_b`'s padding above (and below): `(extent - 1) / 2`.
    pub fn pb(&self) -> usize {
        self.b.pad_top
    }

    /// The block's output rows.
    pub fn out_rows(&self) -> usize {
        self.b.out_rows
    }

    /// Bytes of one output row.
    pub fn out_row_bytes(&self) -> usize {
        self.b.out_row_bytes
    }

    /// The scratch layout, each piece aligned to `align`. `None` on overflow.
    pub fn layout(&self, align: usize) -> Option<ScratchLayout> {
        let up = |n: usize| -> Option<usize> {
            let a = align.max(1);
            Some(n.checked_add(a - 1)? / a * a)
        };
        let ring = 0;
        let b_row = up(self.b.extent.checked_mul(self.a.out_row_bytes)?)?;
        let s_row = b_row.checked_add(up(self.b.out_row_bytes)?)?;
        let s_bytes = match &self.s {
            Some(s) => up(s.out_row_bytes)?,
            None => 0,
        };
        let out_row = s_row.checked_add(s_bytes)?;
        let bytes = out_row.checked_add(up(self.out_row_bytes())?)?;
        Some(ScratchLayout {
            ring,
            b_row,
            s_row,
            out_row,
            bytes,
        })
    }

    /// Whether writing output row `r` over `x`'s bytes `[r * out_row, (r + 1) * out_row)` at the
    /// end of step `r` never overwrites a row of `x` that step `r + 1` or a later one reads.
    pub fn safe(&self) -> bool {
        let (xb, ob) = (self.a.in_row_bytes as u128, self.out_row_bytes() as u128);
        let pb = self.pb();
        (0..self.out_rows()).all(|r| {
            // The first row of `x` read after step `r`: by `conv_a`'s row `r + pb + 1`, and by
            // the shortcut's row `r + 1`.
            let mut first = self.a.in_rows;
            let k = r + pb + 1;
            if k < self.a.out_rows {
                first = first.min(self.a.window(k).0);
            }
            if r + 1 < self.out_rows() {
                let s = match &self.s {
                    Some(s) => s.window(r + 1).0,
                    None => r + 1,
                };
                first = first.min(s);
            }
            (r as u128 + 1) * ob <= first as u128 * xb
        })
    }
}

/// Layers computed together, one output row at a time, the tensors between them never stored
/// whole: a residual block or a chain ([`super::chain`]). The group is computed at its last node
/// ([`Fused::emit_node`]), where its scratch lives, and its output is written over the start of
/// its input `x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fused {
    /// A residual block.
    Residual(Block),
    /// A chain of windowed layers.
    Chain(super::chain::Chain),
}

impl Fused {
    /// The node at which the group is computed (the block's add, the chain's last layer).
    pub fn emit_node(&self) -> Option<Handle<Node>> {
        match self {
            Fused::Residual(b) => Some(b.add),
            Fused::Chain(c) => c.last(),
        }
    }

    /// The nodes whose outputs are never stored.
    pub fn inner(&self) -> Vec<Handle<Node>> {
        match self {
            Fused::Residual(b) => [Some(b.conv_a), Some(b.conv_b), b.shortcut]
                .into_iter()
                .flatten()
                .collect(),
            Fused::Chain(c) => c.inner().to_vec(),
        }
    }

    /// Every node of the group.
    pub fn nodes(&self) -> Vec<Handle<Node>> {
        let mut v = self.inner();
        v.extend(self.emit_node());
        v
    }

    /// The group's input, whose bytes the output takes over.
    pub fn x(&self) -> Handle<Tensor> {
        match self {
            Fused::Residual(b) => b.x,
            Fused::Chain(c) => c.x,
        }
    }

    /// Bytes of scratch (rings and row buffers), pieces aligned to `align`. `None` on overflow.
    pub fn scratch_bytes(&self, align: usize) -> Option<usize> {
        match self {
            Fused::Residual(b) => b.layout(align).map(|l| l.bytes),
            Fused::Chain(c) => c.layout(align).map(|l| l.bytes),
        }
    }

    /// Whether the output written over `x` never overwrites a row still to be read.
    pub fn safe(&self) -> bool {
        match self {
            Fused::Residual(b) => b.safe(),
            Fused::Chain(c) => c.safe(),
        }
    }

    /// Output rows (steps) and the rows copied while computing them: ring slides and, for a
    /// residual block, each output row copied over `x`. `None` when a chain has no schedule.
    pub fn rows_and_copies(&self) -> Option<(usize, usize)> {
        match self {
            Fused::Residual(b) => {
                let rows = b.out_rows();
                let ring = b.b.extent.saturating_sub(1) * rows.saturating_sub(1);
                Some((rows, ring + rows))
            }
            Fused::Chain(c) => {
                let steps = c.schedule()?;
                let copies = steps
                    .iter()
                    .flatten()
                    .filter(|a| matches!(a, super::chain::ChainAct::Copy { .. }))
                    .count();
                Some((c.out_rows(), copies))
            }
        }
    }

    /// `"residual block"` or `"chain"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fused::Residual(_) => "residual block",
            Fused::Chain(_) => "chain",
        }
    }
}

/// The nodes reading each tensor.
pub(super) fn consumers(module: &Module) -> Vec<Vec<Handle<Node>>> {
    let mut out = vec![Vec::new(); module.tensors.len()];
    for (h, n) in module.nodes.iter() {
        for &i in &n.inputs {
            if let Some(list) = out.get_mut(i.index()) {
                if !list.contains(&h) {
                    list.push(h);
                }
            }
        }
    }
    out
}

/// The node producing `t`.
fn producer(module: &Module, t: Handle<Tensor>) -> Option<Handle<Node>> {
    match module.tensors.get(t)?.producer {
        Producer::Node(n) => Some(n),
        Producer::Input(_) => None,
    }
}

/// A convolution or depthwise convolution whose rows can be computed one at a time.
fn conv_rows(module: &Module, n: Handle<Node>) -> Option<RowGeometry> {
    let node = module.nodes.get(n)?;
    match &node.op {
        Op::Conv2d(c) if c.groups == 1 => {}
        Op::DepthwiseConv2d(_) => {}
        _ => return None,
    }
    if node.inputs.len() != 1 {
        return None;
    }
    row_geometry(node, module)
}

/// Every fusable residual block of `module`, in schedule order.
pub fn find(module: &Module) -> Vec<Block> {
    let users = consumers(module);
    let only = |t: Handle<Tensor>, n: Handle<Node>| {
        users.get(t.index()).is_some_and(|u| u.as_slice() == [n])
    };
    let outputs: Vec<Handle<Tensor>> = module.outputs.iter().map(|(_, h)| *h).collect();
    let mut blocks = Vec::new();
    for (add, node) in module.nodes.iter() {
        if !matches!(node.op, Op::Add { .. }) || node.inputs.len() != 2 {
            continue;
        }
        let Some(out) = module.tensors.get(node.output) else {
            continue;
        };
        let same = node.inputs.iter().all(|&i| {
            module
                .tensors
                .get(i)
                .is_some_and(|t| t.shape == out.shape && t.dtype == DType::I8)
        });
        if !same || out.shape.len() != 3 || out.dtype != DType::I8 {
            continue;
        }
        for b_input in 0..2 {
            if let Some(block) = try_block(module, &users, &only, &outputs, add, node, b_input) {
                blocks.push(block);
                break;
            }
        }
    }
    blocks
}

#[allow(clippy::too_many_arguments)]
fn try_block(
    module: &Module,
    users: &[Vec<Handle<Node>>],
    only: &dyn Fn(Handle<Tensor>, Handle<Node>) -> bool,
    outputs: &[Handle<Tensor>],
    add: Handle<Node>,
    node: &Node,
    b_input: usize,
) -> Option<Block> {
    let bt = *node.inputs.get(b_input)?;
    let st = *node.inputs.get(1 - b_input)?;
    let conv_b = producer(module, bt)?;
    let b = conv_rows(module, conv_b)?;
    if !only(bt, add) || outputs.contains(&bt) {
        return None;
    }
    // `conv_b`: stride 1, as much padding below as above (rows `r - pb ..= r + pb`).
    if b.stride != 1 || b.extent % 2 == 0 || b.pad_top * 2 + 1 != b.extent {
        return None;
    }
    let at = *module.nodes.get(conv_b)?.inputs.first()?;
    let conv_a = producer(module, at)?;
    let a = conv_rows(module, conv_a)?;
    if !only(at, conv_b) || outputs.contains(&at) || a.out_rows != b.in_rows {
        return None;
    }
    let x = *module.nodes.get(conv_a)?.inputs.first()?;
    let (shortcut, s) = if st == x {
        (None, None)
    } else {
        let conv_s = producer(module, st)?;
        let s = conv_rows(module, conv_s)?;
        if !only(st, add) || outputs.contains(&st) {
            return None;
        }
        if *module.nodes.get(conv_s)?.inputs.first()? != x || s.out_rows != b.out_rows {
            return None;
        }
        (Some(conv_s), Some(s))
    };
    // `x` is read by the block alone.
    let readers = users.get(x.index())?;
    let mut expected = vec![conv_a, shortcut.unwrap_or(add)];
    expected.sort_by_key(|h| h.index());
    let mut got = readers.clone();
    got.sort_by_key(|h| h.index());
    if got != expected || outputs.contains(&x) {
        return None;
    }
    // The block's nodes are consecutive, the add last.
    let mut steps: Vec<usize> = [Some(conv_a), Some(conv_b), shortcut, Some(add)]
        .into_iter()
        .flatten()
        .map(|h| h.index())
        .collect();
    steps.sort_unstable();
    if steps.last() != Some(&add.index()) || steps.windows(2).any(|w| w[1] != w[0] + 1) {
        return None;
    }
    let block = Block {
        conv_a,
        conv_b,
        shortcut,
        add,
        x,
        b_input,
        a,
        b,
        s,
    };
    // The output fits in `x`'s bytes, row for row.
    let x_rows = block.a.in_rows;
    if block.out_row_bytes() > block.a.in_row_bytes || block.out_rows() > x_rows || !block.safe() {
        return None;
    }
    Some(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(a: RowGeometry, b: RowGeometry, s: Option<RowGeometry>) -> Block {
        Block {
            conv_a: Handle::from_index(0),
            conv_b: Handle::from_index(1),
            shortcut: None,
            add: Handle::from_index(2),
            x: Handle::from_index(0),
            b_input: 0,
            a,
            b,
            s,
        }
    }

    #[test]
    fn resnet_blocks_are_safe_and_wider_outputs_are_not() {
        // Identity block, 32 rows of 512 bytes.
        let a = RowGeometry::for_tests(32, 32, 512, 512, 1, 1, 3);
        let b = RowGeometry::for_tests(32, 32, 512, 512, 1, 1, 3);
        assert!(block(a, b, None).safe());
        // Stride-2 block with a 1x1 stride-2 shortcut: 16 output rows of 512 bytes.
        let a2 = RowGeometry::for_tests(32, 16, 512, 512, 2, 0, 3);
        let b2 = RowGeometry::for_tests(16, 16, 512, 512, 1, 1, 3);
        let s2 = RowGeometry::for_tests(32, 16, 512, 512, 2, 0, 1);
        let blk = block(a2, b2, Some(s2));
        assert!(blk.safe());
        let l = blk.layout(16).unwrap();
        assert_eq!(
            (l.ring, l.b_row, l.s_row, l.out_row, l.bytes),
            (0, 1536, 2048, 2560, 3072)
        );
        // Output rows twice as wide as x's: row 0 would overwrite x's row 1 before conv_a's
        // row 2 reads it.
        let wide_b = RowGeometry::for_tests(32, 32, 1024, 1024, 1, 1, 3);
        let wide_a = RowGeometry::for_tests(32, 32, 512, 1024, 1, 1, 3);
        assert!(!block(wide_a, wide_b, None).safe());
    }
}
