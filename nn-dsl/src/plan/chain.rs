//! Fused chains: consecutive windowed layers (convolutions, depthwise convolutions, pools)
//! computed one output row of the last layer at a time, the tensors between them never stored
//! whole (issue 15 item 3, the early high-resolution stages of a network).
//!
//! MCUNetV2 cuts the first stages into spatial patches and recomputes the overlap (the halo) of
//! neighbouring patches. Here the patches are full-width stripes one output row high, and the
//! halo is kept instead of recomputed: each tensor between two layers of the chain lives in a
//! ring of as many rows as its consumer's window spans. So the chain adds no multiply-accumulate
//! (every row of every layer is computed once, by the layer's ordinary kernel on a window of
//! rows); what it costs is kernel calls per row and the copies that slide each ring down as its
//! consumer moves on.
//!
//! Step `r` computes the last layer's row `r`, pulling what it needs: the rows of its window in
//! the ring of the layer before, which are computed (recursively, the same way) when missing.
//! A ring's slot `j` holds the row `base + j`, where `base` is the first row of its consumer's
//! current (unclipped) window; when the consumer moves to its next row the rows still needed are
//! copied down, one row at a time, to their new slots. The last layer writes its rows over the
//! start of the chain's input `x`, which the planner checks is safe ([`Chain::safe`]): no row
//! written is one of `x` still to be read.
//!
//! A chain is: at least two layers, consecutive in the schedule, each reading the previous one's
//! output, every intermediate tensor read by the next layer alone and not a graph output, `x`
//! read by the first layer alone and not a graph output; all data int8 `[H, W, C]`.

use crate::ir::{DType, Handle, Module, Node, Op, Producer, Tensor};

use super::fuse::consumers;
use super::rows::{row_geometry, RowGeometry};

/// A fusable chain of windowed layers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// The layers, first to last (at least two).
    pub nodes: Vec<Handle<Node>>,
    /// Their row geometries.
    pub rows: Vec<RowGeometry>,
    /// The chain's input (the first layer's).
    pub x: Handle<Tensor>,
}

/// Where a layer of the chain reads its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// Rows of `x` from this row.
    X(usize),
    /// Ring `ring` (the output of layer `ring`) from this slot.
    Ring(usize, usize),
}

/// Where a layer of the chain writes its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dst {
    /// Ring `ring` at this slot.
    Ring(usize, usize),
    /// Row `r` of the chain's output (over `x`).
    Out(usize),
}

/// One action of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainAct {
    /// Copy ring `ring`'s slot `from` to slot `to` (one row).
    Copy {
        /// The ring.
        ring: usize,
        /// Source slot.
        from: usize,
        /// Destination slot.
        to: usize,
    },
    /// One output row of layer `layer` from `window` input rows with `pad_top` rows of padding
    /// above.
    Row {
        /// Index of the layer in the chain.
        layer: usize,
        /// The row of the layer's output computed.
        row: usize,
        /// Input rows read.
        window: usize,
        /// Padding rows above them.
        pad_top: usize,
        /// Where the window starts.
        src: Src,
        /// Where the row goes.
        dst: Dst,
    },
}

/// Where the rings sit in the chain's scratch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLayout {
    /// Offset of each ring (ring `j` holds layer `j`'s rows), relative to the scratch's start.
    pub rings: Vec<usize>,
    /// Total bytes.
    pub bytes: usize,
}

/// The schedule's state of each ring.
struct State {
    /// Row held by slot 0 (the consumer's unclipped window start); `None` before the first use.
    base: Vec<Option<i64>>,
    /// The next row of the producer to compute.
    next: Vec<usize>,
}

impl Chain {
    /// The last layer (where the chain is computed and its scratch lives).
    pub fn last(&self) -> Option<Handle<Node>> {
        self.nodes.last().copied()
    }

    /// The layers whose outputs are never stored (all but the last).
    pub fn inner(&self) -> &[Handle<Node>] {
        self.nodes.split_last().map_or(&[], |(_, rest)| rest)
    }

    fn out_geometry(&self) -> Option<&RowGeometry> {
        self.rows.last()
    }

    /// Output rows of the chain.
    pub fn out_rows(&self) -> usize {
        self.out_geometry().map_or(0, |g| g.out_rows)
    }

    /// Bytes of one output row.
    pub fn out_row_bytes(&self) -> usize {
        self.out_geometry().map_or(0, |g| g.out_row_bytes)
    }

    /// Bytes of one row of `x`.
    pub fn x_row_bytes(&self) -> usize {
        self.rows.first().map_or(0, |g| g.in_row_bytes)
    }

    /// Rows of ring `j`: the window height of layer `j + 1`.
    fn ring_rows(&self, j: usize) -> usize {
        self.rows.get(j + 1).map_or(0, |g| g.extent)
    }

    /// The rings' layout, each aligned to `align`. `None` on overflow.
    pub fn layout(&self, align: usize) -> Option<ChainLayout> {
        let a = align.max(1);
        let up = |n: usize| -> Option<usize> { Some(n.checked_add(a - 1)? / a * a) };
        let mut rings = Vec::with_capacity(self.rows.len().saturating_sub(1));
        let mut at = 0usize;
        for j in 0..self.rows.len().saturating_sub(1) {
            rings.push(at);
            let bytes = self
                .ring_rows(j)
                .checked_mul(self.rows.get(j)?.out_row_bytes)?;
            at = at.checked_add(up(bytes)?)?;
        }
        Some(ChainLayout { rings, bytes: at })
    }

    /// Bytes of one row of ring `j`.
    pub fn ring_row_bytes(&self, j: usize) -> usize {
        self.rows.get(j).map_or(0, |g| g.out_row_bytes)
    }

    /// The actions of each step (one step per output row). `None` when the geometry is
    /// inconsistent (a window outside a ring), which [`find`] never lets through.
    pub fn schedule(&self) -> Option<Vec<Vec<ChainAct>>> {
        let n = self.rows.len();
        if n < 2 {
            return None;
        }
        let mut st = State {
            base: vec![None; n - 1],
            next: vec![0; n - 1],
        };
        let mut steps = Vec::with_capacity(self.out_rows());
        for r in 0..self.out_rows() {
            let mut acts = Vec::new();
            self.produce(n - 1, r, Dst::Out(r), &mut st, &mut acts)?;
            steps.push(acts);
        }
        Some(steps)
    }

    /// Appends the actions computing layer `j`'s row `q` into `dst`.
    fn produce(
        &self,
        j: usize,
        q: usize,
        dst: Dst,
        st: &mut State,
        acts: &mut Vec<ChainAct>,
    ) -> Option<()> {
        let g = self.rows.get(j)?;
        let (lo, hi) = g.window(q);
        let start = q.checked_mul(g.stride)?;
        let pad_top = g.pad_top.saturating_sub(start);
        let src = if j == 0 {
            Src::X(lo)
        } else {
            let ring = j - 1;
            let cap = self.ring_rows(ring);
            let base = i64::try_from(start).ok()? - i64::try_from(g.pad_top).ok()?;
            let next = *st.next.get(ring)?;
            if let Some(old) = *st.base.get(ring)? {
                // The rows still needed move down to their slots under the new base.
                let first = usize::try_from(base.max(old)).ok()?;
                for row in first..next {
                    let row_i = i64::try_from(row).ok()?;
                    let (from, to) = (row_i - old, row_i - base);
                    if from != to {
                        acts.push(ChainAct::Copy {
                            ring,
                            from: usize::try_from(from).ok()?,
                            to: usize::try_from(to).ok()?,
                        });
                    }
                }
            }
            *st.base.get_mut(ring)? = Some(base);
            // Rows below the window that were never computed are never needed.
            let mut next = next.max(lo);
            while next < hi {
                let slot = usize::try_from(i64::try_from(next).ok()? - base).ok()?;
                if slot >= cap {
                    return None;
                }
                *st.next.get_mut(ring)? = next + 1;
                self.produce(ring, next, Dst::Ring(ring, slot), st, acts)?;
                next += 1;
            }
            *st.next.get_mut(ring)? = next;
            let slot = usize::try_from(i64::try_from(lo).ok()? - base).ok()?;
            if slot.checked_add(hi - lo)? > cap {
                return None;
            }
            Src::Ring(ring, slot)
        };
        acts.push(ChainAct::Row {
            layer: j,
            row: q,
            window: hi - lo,
            pad_top,
            src,
            dst,
        });
        Some(())
    }

    /// Whether writing the output rows over the start of `x` (output row `r` at bytes
    /// `[r * out_row, (r + 1) * out_row)` of `x`'s buffer) never overwrites a row of `x` that the
    /// same action or a later one reads, and the output fits in `x`'s bytes.
    pub fn safe(&self) -> bool {
        let Some(steps) = self.schedule() else {
            return false;
        };
        let Some(first) = self.rows.first() else {
            return false;
        };
        let (xb, ob) = (first.in_row_bytes as u128, self.out_row_bytes() as u128);
        let x_bytes = first.in_rows as u128 * xb;
        if self.out_rows() as u128 * ob > x_bytes {
            return false;
        }
        let acts: Vec<ChainAct> = steps.into_iter().flatten().collect();
        // The first byte of `x` read by action k or a later one.
        let mut first_read = vec![x_bytes; acts.len() + 1];
        for (k, act) in acts.iter().enumerate().rev() {
            first_read[k] = first_read[k + 1];
            if let ChainAct::Row {
                src: Src::X(lo),
                window,
                ..
            } = act
            {
                if *window > 0 {
                    first_read[k] = first_read[k].min(*lo as u128 * xb);
                }
            }
        }
        acts.iter().enumerate().all(|(k, act)| match act {
            ChainAct::Row {
                dst: Dst::Out(r), ..
            } => (*r as u128 + 1) * ob <= first_read[k],
            _ => true,
        })
    }
}

/// A layer that can be a link of a chain: a convolution (one group), depthwise convolution or
/// pool over int8 `[H, W, C]` data, with its data as its only input.
fn link(module: &Module, node: &Node) -> Option<RowGeometry> {
    match &node.op {
        Op::Conv2d(c) if c.groups == 1 => {}
        Op::DepthwiseConv2d(_) | Op::MaxPool2d(_) | Op::AvgPool2d(_) => {}
        _ => return None,
    }
    if node.inputs.len() != 1 {
        return None;
    }
    let out = module.tensors.get(node.output)?;
    if out.dtype != DType::I8 {
        return None;
    }
    row_geometry(node, module)
}

/// Every chain of `module` of 2 to `max_len` layers that avoids the nodes of `taken`, in
/// schedule order of their first layers. Each one is safe ([`Chain::safe`]) on its own; the
/// planner picks among them.
pub fn find(module: &Module, taken: &[Handle<Node>], max_len: usize) -> Vec<Chain> {
    let users = consumers(module);
    let outputs: Vec<Handle<Tensor>> = module.outputs.iter().map(|(_, h)| *h).collect();
    let nodes: Vec<(Handle<Node>, &Node)> = module.nodes.iter().collect();
    let geometry: Vec<Option<RowGeometry>> = nodes
        .iter()
        .map(|(h, n)| {
            if taken.contains(h) {
                None
            } else {
                link(module, n)
            }
        })
        .collect();
    // Whether node i + 1 continues node i: it reads node i's output, which nobody else reads
    // and is not a graph output.
    let continues = |i: usize| -> bool {
        let (Some((_, a)), Some((b, nb))) = (nodes.get(i), nodes.get(i + 1)) else {
            return false;
        };
        nb.inputs.first() == Some(&a.output)
            && users
                .get(a.output.index())
                .is_some_and(|u| u.as_slice() == [*b])
            && !outputs.contains(&a.output)
    };
    let mut out = Vec::new();
    for start in 0..nodes.len() {
        let Some((first, first_node)) = nodes.get(start) else {
            continue;
        };
        if geometry.get(start).copied().flatten().is_none() {
            continue;
        }
        let Some(&x) = first_node.inputs.first() else {
            continue;
        };
        // `x` dies at the chain: read by its first layer alone, not a graph output.
        let x_alone = users
            .get(x.index())
            .is_some_and(|u| u.as_slice() == [*first]);
        let x_is_tensor = module
            .tensors
            .get(x)
            .is_some_and(|t| matches!(t.producer, Producer::Node(_) | Producer::Input(_)));
        if !x_alone || !x_is_tensor || outputs.contains(&x) {
            continue;
        }
        let mut chain_nodes = vec![*first];
        let mut rows: Vec<RowGeometry> =
            geometry.get(start).copied().flatten().into_iter().collect();
        let mut i = start;
        while chain_nodes.len() < max_len && continues(i) {
            let Some(g) = geometry.get(i + 1).copied().flatten() else {
                break;
            };
            let Some((h, _)) = nodes.get(i + 1) else {
                break;
            };
            if rows.last().map(|p| p.out_rows) != Some(g.in_rows) {
                break;
            }
            chain_nodes.push(*h);
            rows.push(g);
            i += 1;
            let chain = Chain {
                nodes: chain_nodes.clone(),
                rows: rows.clone(),
                x,
            };
            if chain.safe() {
                out.push(chain);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(rows: Vec<RowGeometry>) -> Chain {
        Chain {
            nodes: (0..rows.len() as u32).map(Handle::from_index).collect(),
            rows,
            x: Handle::from_index(0),
        }
    }

    /// Runs the schedule on symbolic rows: every ring slot and output row holds the
    /// `(layer, row)` it was computed as; each layer's row must find exactly the rows of its
    /// window where it reads them, each row is computed once, and every output row is written.
    fn simulate(c: &Chain) -> Result<usize, String> {
        let steps = c.schedule().ok_or("no schedule")?;
        let mut rings: Vec<Vec<Option<usize>>> = (0..c.rows.len() - 1)
            .map(|j| vec![None; c.ring_rows(j)])
            .collect();
        let mut computed: Vec<Vec<usize>> = vec![Vec::new(); c.rows.len()];
        let mut out = vec![false; c.out_rows()];
        let mut rows_computed = 0;
        for acts in &steps {
            for act in acts {
                match *act {
                    ChainAct::Copy { ring, from, to } => {
                        let v = rings[ring][from];
                        rings[ring][to] = v;
                    }
                    ChainAct::Row {
                        layer,
                        row: q,
                        window,
                        pad_top,
                        src,
                        dst,
                    } => {
                        let gl = &c.rows[layer];
                        let (lo, hi) = gl.window(q);
                        if hi - lo != window || pad_top != gl.pad_top.saturating_sub(q * gl.stride)
                        {
                            return Err(format!("layer {layer} row {q}: wrong window"));
                        }
                        match src {
                            Src::X(l) if layer == 0 && l == lo => {}
                            Src::Ring(ring, _) if layer > 0 && ring == layer - 1 => {}
                            _ => return Err(format!("layer {layer} row {q}: reads {src:?}")),
                        }
                        if let Src::Ring(ring, slot) = src {
                            for (k, row) in (lo..hi).enumerate() {
                                if rings[ring][slot + k] != Some(row) {
                                    return Err(format!(
                                        "layer {layer} row {q}: slot {} holds {:?}, not {row}",
                                        slot + k,
                                        rings[ring][slot + k]
                                    ));
                                }
                            }
                        }
                        computed[layer].push(q);
                        rows_computed += 1;
                        match dst {
                            Dst::Ring(ring, slot) => rings[ring][slot] = Some(q),
                            Dst::Out(r) => {
                                if r != q || out[r] {
                                    return Err(format!("output row {r} written as {q}"));
                                }
                                out[r] = true;
                            }
                        }
                    }
                }
            }
        }
        for (layer, rows) in computed.iter().enumerate() {
            let mut sorted = rows.clone();
            sorted.dedup();
            if sorted.len() != rows.len() {
                return Err(format!("layer {layer} computed a row twice"));
            }
        }
        if out.iter().any(|w| !w) {
            return Err("an output row was never written".into());
        }
        Ok(rows_computed)
    }

    #[test]
    fn schedules_compute_every_needed_row_once() {
        let cases = vec![
            // VWW's first stage: conv 3x3 s2 (96 -> 48), dw 3x3 s1, pw, dw 3x3 s2 (48 -> 24).
            vec![
                RowGeometry::for_tests(96, 48, 288, 384, 2, 0, 3),
                RowGeometry::for_tests(48, 48, 384, 384, 1, 1, 3),
                RowGeometry::for_tests(48, 48, 384, 768, 1, 0, 1),
                RowGeometry::for_tests(48, 24, 768, 384, 2, 0, 3),
            ],
            // 1x1 stride 2 after a 3x3: every other row skipped.
            vec![
                RowGeometry::for_tests(10, 10, 40, 40, 1, 1, 3),
                RowGeometry::for_tests(10, 5, 40, 40, 2, 0, 1),
            ],
            // Dilated 5-row window, then a pool 2x2 s2.
            vec![
                RowGeometry::for_tests(20, 16, 80, 80, 1, 0, 5),
                RowGeometry::for_tests(16, 8, 80, 40, 2, 0, 2),
            ],
            // SAME stride 2 with padding below only (pad_top 0), then SAME 3x3.
            vec![
                RowGeometry::for_tests(7, 4, 28, 28, 2, 0, 3),
                RowGeometry::for_tests(4, 4, 28, 28, 1, 1, 3),
            ],
        ];
        for rows in cases {
            let c = chain(rows.clone());
            let n = simulate(&c).unwrap_or_else(|e| panic!("{rows:?}: {e}"));
            // Never more rows than the layers have (no recomputation).
            assert!(n <= rows.iter().map(|g| g.out_rows).sum::<usize>());
            let l = c.layout(16).unwrap();
            assert_eq!(l.rings.len(), rows.len() - 1);
        }
    }

    #[test]
    fn vww_first_stage_writes_over_its_input_safely() {
        let c = chain(vec![
            RowGeometry::for_tests(96, 48, 288, 384, 2, 0, 3),
            RowGeometry::for_tests(48, 48, 384, 384, 1, 1, 3),
            RowGeometry::for_tests(48, 48, 384, 768, 1, 0, 1),
            RowGeometry::for_tests(48, 24, 768, 384, 2, 0, 3),
        ]);
        assert!(c.safe());
        // Rings: 3 rows of 384, 1 row of 384, 3 rows of 768.
        assert_eq!(c.layout(16).unwrap().bytes, 3 * 384 + 384 + 3 * 768);
        // The same stage ending at the pointwise layer (48 rows of 768 over 96 of 288): row r of
        // the output would overwrite input rows still to be read.
        let wide = chain(vec![
            RowGeometry::for_tests(96, 48, 288, 384, 2, 0, 3),
            RowGeometry::for_tests(48, 48, 384, 384, 1, 1, 3),
            RowGeometry::for_tests(48, 48, 384, 768, 1, 0, 1),
        ]);
        assert!(!wide.safe());
    }
}
