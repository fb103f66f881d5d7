//! Row-by-row in-place execution: where a convolution's output may sit over its own input.
//!
//! A convolution computes output row `r` from the input rows of its window,
//! `[r * stride - pad_top, r * stride - pad_top + extent)` clipped to the input. Run one output
//! row at a time, in order, an input row is dead once no later output row's window contains it.
//! So the output can be placed over the input, shifted so that every row it writes lands on
//! input bytes already dead. Written first to last ([`RowOrder::Forward`]) the output sits below
//! the input (or level with it when rows shrink); written last to first
//! ([`RowOrder::Backward`]) it sits above. The shift is the only thing the planner chooses: the
//! kernel is the ordinary one, called once per output row on a window of input rows (see
//! `back::rust::rows`), and no row buffer is copied.
//!
//! At the step that writes row `r`, the bytes it writes must not overlap any input row that this
//! step or a later one reads. For the forward order that is
//! `out + (r + 1) * out_row <= in + lo(r) * in_row` for every `r`, where `lo(r)` is the first input
//! row of `r`'s window (non-decreasing in `r`, so no later step reads below it); for the backward
//! order `out + r * out_row >= in + hi(r) * in_row`, `hi(r)` the end of the window. The largest
//! (forward) or smallest (backward) such shift, rounded to the alignment, is the one used.

use crate::ir::{Module, Node, Op};

/// The order in which the rows of an in-place output are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowOrder {
    /// First row to last; the output sits at or below its input.
    Forward,
    /// Last row to first; the output sits above its input.
    Backward,
}

impl RowOrder {
    /// `"forward"` or `"backward"`.
    pub fn name(self) -> &'static str {
        match self {
            RowOrder::Forward => "forward",
            RowOrder::Backward => "backward",
        }
    }
}

/// The row structure of a windowed op over `[H, W, C]` int8 data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowGeometry {
    /// Input rows (H).
    pub in_rows: usize,
    /// Bytes of one input row (W * C).
    pub in_row_bytes: usize,
    /// Output rows.
    pub out_rows: usize,
    /// Bytes of one output row.
    pub out_row_bytes: usize,
    /// Vertical stride.
    pub stride: usize,
    /// Rows of padding above the input.
    pub pad_top: usize,
    /// Rows one output row's window spans: `(kernel_h - 1) * dilation_h + 1`.
    pub extent: usize,
}

impl RowGeometry {
    /// The input rows output row `r` reads: `[lo, hi)`, clipped to the input.
    pub fn window(&self, r: usize) -> (usize, usize) {
        let start = r.saturating_mul(self.stride);
        let lo = start.saturating_sub(self.pad_top).min(self.in_rows);
        let hi = start
            .saturating_add(self.extent)
            .saturating_sub(self.pad_top)
            .min(self.in_rows);
        (lo, hi.max(lo))
    }

    /// Whether the output at `out` (bytes) may be written over the input at `inp` in `order`:
    /// no row written overlaps an input row read by its own step or a later one.
    pub fn safe(&self, inp: usize, out: usize, order: RowOrder) -> bool {
        let (inp, out) = (inp as i128, out as i128);
        let (ri, ro) = (self.in_row_bytes as i128, self.out_row_bytes as i128);
        (0..self.out_rows).all(|r| {
            let (lo, hi) = self.window(r);
            let (w0, w1) = (out + r as i128 * ro, out + (r as i128 + 1) * ro);
            // Rows read by this step and every later one.
            let (r0, r1) = match order {
                RowOrder::Forward => (inp + lo as i128 * ri, inp + self.in_rows as i128 * ri),
                RowOrder::Backward => (inp, inp + hi as i128 * ri),
            };
            w1 <= r0 || w0 >= r1 || r0 == r1
        })
    }

    /// The shift `out - in` in bytes for `order`, a multiple of `align`: the largest safe one
    /// (forward) or the smallest (backward).
    pub fn shift(&self, order: RowOrder, align: usize) -> i64 {
        let (ri, ro) = (self.in_row_bytes as i64, self.out_row_bytes as i64);
        let align = align.max(1) as i64;
        let rows = 0..self.out_rows;
        match order {
            RowOrder::Forward => {
                let d = rows
                    .map(|r| {
                        let (lo, _) = self.window(r);
                        lo as i64 * ri - (r as i64 + 1) * ro
                    })
                    .min()
                    .unwrap_or(0);
                d.div_euclid(align) * align
            }
            RowOrder::Backward => {
                let d = rows
                    .map(|r| {
                        let (_, hi) = self.window(r);
                        hi as i64 * ri - r as i64 * ro
                    })
                    .max()
                    .unwrap_or(0);
                -((-d).div_euclid(align) * align)
            }
        }
    }
}

/// The row geometry of `node` when it can be run row by row over its input: a 2-D convolution
/// or depthwise convolution on int8 `[H, W, C]` data whose first input is its data.
pub fn row_geometry(node: &Node, module: &Module) -> Option<RowGeometry> {
    let window = match &node.op {
        Op::Conv2d(c) => c.window,
        Op::DepthwiseConv2d(c) => c.window,
        _ => return None,
    };
    let x = module.tensors.get(*node.inputs.first()?)?;
    let y = module.tensors.get(node.output)?;
    let (&[h, w, c], &[oh, ow, oc]) = (x.shape.as_slice(), y.shape.as_slice()) else {
        return None;
    };
    if x.dtype != crate::ir::DType::I8 || y.dtype != crate::ir::DType::I8 || oh == 0 || h == 0 {
        return None;
    }
    let extent = window.kernel[0]
        .checked_sub(1)?
        .checked_mul(window.dilation[0])?
        .checked_add(1)?;
    Some(RowGeometry {
        in_rows: h,
        in_row_bytes: w.checked_mul(c)?,
        out_rows: oh,
        out_row_bytes: ow.checked_mul(oc)?,
        stride: window.stride[0],
        pad_top: window.padding.top,
        extent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(
        h: usize,
        oh: usize,
        ri: usize,
        ro: usize,
        s: usize,
        pt: usize,
        e: usize,
    ) -> RowGeometry {
        RowGeometry {
            in_rows: h,
            in_row_bytes: ri,
            out_rows: oh,
            out_row_bytes: ro,
            stride: s,
            pad_top: pt,
            extent: e,
        }
    }

    /// Writes every output row in `order` over a simulated memory and checks that each input
    /// row read is still intact: the independent check of [`RowGeometry::safe`] and `shift`.
    fn simulate(g: &RowGeometry, inp: i64, out: i64, order: RowOrder) -> bool {
        let base = inp.min(out);
        let end = (inp + (g.in_rows * g.in_row_bytes) as i64)
            .max(out + (g.out_rows * g.out_row_bytes) as i64);
        // owner[b]: Some(input row) while the byte still holds that row.
        let mut owner: Vec<Option<usize>> = vec![None; (end - base) as usize];
        for r in 0..g.in_rows {
            for b in 0..g.in_row_bytes {
                owner[(inp - base) as usize + r * g.in_row_bytes + b] = Some(r);
            }
        }
        let rows: Vec<usize> = match order {
            RowOrder::Forward => (0..g.out_rows).collect(),
            RowOrder::Backward => (0..g.out_rows).rev().collect(),
        };
        for r in rows {
            let (lo, hi) = g.window(r);
            for row in lo..hi {
                let at = (inp - base) as usize + row * g.in_row_bytes;
                if (0..g.in_row_bytes).any(|b| owner[at + b] != Some(row)) {
                    return false;
                }
            }
            let at = (out - base) as usize + r * g.out_row_bytes;
            // The kernel reads its window while it writes the row: they must be disjoint.
            let (w0, w1) = (at, at + g.out_row_bytes);
            let (r0, r1) = (
                (inp - base) as usize + lo * g.in_row_bytes,
                (inp - base) as usize + hi * g.in_row_bytes,
            );
            if w0 < r1 && r0 < w1 && r0 < r1 {
                return false;
            }
            owner[w0..w1].fill(None);
        }
        true
    }

    #[test]
    fn shifts_are_safe_and_tight() {
        let cases = [
            geometry(25, 25, 320, 320, 1, 1, 3), // KWS depthwise 3x3 SAME
            geometry(25, 25, 320, 320, 1, 0, 1), // pointwise
            geometry(48, 48, 384, 768, 1, 0, 1), // expanding pointwise
            geometry(48, 24, 768, 384, 2, 0, 3), // stride-2 depthwise
            geometry(96, 48, 288, 384, 2, 0, 3), // VWW's first conv
            geometry(32, 32, 512, 512, 1, 2, 5), // dilated or 5x5
            geometry(7, 3, 70, 40, 2, 1, 4),
        ];
        for g in cases {
            for order in [RowOrder::Forward, RowOrder::Backward] {
                for align in [1, 16] {
                    let d = g.shift(order, align);
                    assert_eq!(d % align as i64, 0);
                    let inp = 1 << 20;
                    let out = (inp as i64 + d) as usize;
                    assert!(g.safe(inp, out, order), "{g:?} {order:?} {d}");
                    assert!(
                        simulate(&g, inp as i64, out as i64, order),
                        "{g:?} {order:?} {d}"
                    );
                    // One byte further is unsafe at align 1 (the shift is the tightest).
                    if align == 1 {
                        let worse = match order {
                            RowOrder::Forward => out + 1,
                            RowOrder::Backward => out - 1,
                        };
                        assert!(!g.safe(inp, worse, order), "{g:?} {order:?} not tight");
                        assert!(!simulate(&g, inp as i64, worse as i64, order));
                    }
                }
            }
        }
    }

    #[test]
    fn a_same_size_3x3_layer_needs_two_rows() {
        let g = geometry(25, 25, 320, 320, 1, 1, 3);
        assert_eq!(g.shift(RowOrder::Forward, 16), -640);
        assert_eq!(g.shift(RowOrder::Backward, 16), 640);
        let pw = geometry(25, 25, 320, 320, 1, 0, 1);
        assert_eq!(pw.shift(RowOrder::Forward, 16), -320);
        assert_eq!(pw.shift(RowOrder::Backward, 16), 320);
    }
}
