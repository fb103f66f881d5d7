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

/// How an in-place output is written: in which order, and how many rows per kernel call.
///
/// A call of `chunk` rows writes them all while it reads the windows of all of them, so a chunk
/// of more than one row needs a larger shift; the planner takes one only where it costs no
/// memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RowWrite {
    /// The order of the chunks.
    pub order: RowOrder,
    /// Output rows per call (the last chunk may be shorter), at least 1.
    pub chunk: usize,
}

impl RowWrite {
    /// `"forward"` / `"backward"`, with `", N per call"` when `chunk > 1`.
    pub fn describe(self) -> String {
        if self.chunk > 1 {
            format!("{}, {} per call", self.order.name(), self.chunk)
        } else {
            self.order.name().to_owned()
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

    /// The chunks of `chunk` output rows, `[start, end)`, first to last.
    pub fn chunks(&self, chunk: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let c = chunk.max(1);
        (0..self.out_rows)
            .step_by(c)
            .map(move |s| (s, (s + c).min(self.out_rows)))
    }

    /// The input rows a chunk `[start, end)` reads: `[lo, hi)`.
    pub fn chunk_window(&self, start: usize, end: usize) -> (usize, usize) {
        let (lo, _) = self.window(start);
        let (_, hi) = self.window(end.saturating_sub(1).max(start));
        (lo, hi.max(lo))
    }

    /// Whether the output at `out` (bytes) may be written over the input at `inp` as `write`
    /// says: no row written overlaps an input row read by its own call or a later one.
    pub fn safe(&self, inp: usize, out: usize, write: RowWrite) -> bool {
        let (inp, out) = (inp as i128, out as i128);
        let (ri, ro) = (self.in_row_bytes as i128, self.out_row_bytes as i128);
        self.chunks(write.chunk).all(|(start, end)| {
            let (lo, hi) = self.chunk_window(start, end);
            let (w0, w1) = (out + start as i128 * ro, out + end as i128 * ro);
            // Rows read by this call and every later one.
            let (r0, r1) = match write.order {
                RowOrder::Forward => (inp + lo as i128 * ri, inp + self.in_rows as i128 * ri),
                RowOrder::Backward => (inp, inp + hi as i128 * ri),
            };
            w1 <= r0 || w0 >= r1 || r0 == r1
        })
    }

    /// The shift `out - in` in bytes for `write`, a multiple of `align`: the largest safe one
    /// (forward) or the smallest (backward).
    pub fn shift(&self, write: RowWrite, align: usize) -> i64 {
        let (ri, ro) = (self.in_row_bytes as i64, self.out_row_bytes as i64);
        let align = align.max(1) as i64;
        match write.order {
            RowOrder::Forward => {
                let d = self
                    .chunks(write.chunk)
                    .map(|(start, end)| {
                        let (lo, _) = self.chunk_window(start, end);
                        lo as i64 * ri - end as i64 * ro
                    })
                    .min()
                    .unwrap_or(0);
                d.div_euclid(align) * align
            }
            RowOrder::Backward => {
                let d = self
                    .chunks(write.chunk)
                    .map(|(start, end)| {
                        let (_, hi) = self.chunk_window(start, end);
                        hi as i64 * ri - start as i64 * ro
                    })
                    .max()
                    .unwrap_or(0);
                -((-d).div_euclid(align) * align)
            }
        }
    }
}

#[cfg(test)]
impl RowGeometry {
    /// A geometry from its fields in order: input rows, output rows, input row bytes, output row
    /// bytes, stride, top padding, extent (for the planner's unit tests).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn for_tests(
        in_rows: usize,
        out_rows: usize,
        in_row_bytes: usize,
        out_row_bytes: usize,
        stride: usize,
        pad_top: usize,
        extent: usize,
    ) -> RowGeometry {
        RowGeometry {
            in_rows,
            in_row_bytes,
            out_rows,
            out_row_bytes,
            stride,
            pad_top,
            extent,
        }
    }
}

/// The row geometry of `node` when it can be run row by row over its input: a 2-D convolution
/// or depthwise convolution on int8 `[H, W, C]` data whose first input is its data.
pub fn row_geometry(node: &Node, module: &Module) -> Option<RowGeometry> {
    let window = match &node.op {
        Op::Conv2d(c) => c.window,
        Op::DepthwiseConv2d(c) => c.window,
        Op::MaxPool2d(p) | Op::AvgPool2d(p) => p.window,
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

    /// Writes every output row in `order` over a simulated memory and checks that each input
    /// row read is still intact: the independent check of [`RowGeometry::safe`] and `shift`.
    fn simulate(g: &RowGeometry, inp: i64, out: i64, write: RowWrite) -> bool {
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
        let mut chunks: Vec<(usize, usize)> = (0..g.out_rows)
            .step_by(write.chunk)
            .map(|s| (s, (s + write.chunk).min(g.out_rows)))
            .collect();
        if write.order == RowOrder::Backward {
            chunks.reverse();
        }
        for (start, end) in chunks {
            let lo = g.window(start).0;
            let hi = g.window(end - 1).1;
            for row in lo..hi {
                let at = (inp - base) as usize + row * g.in_row_bytes;
                if (0..g.in_row_bytes).any(|b| owner[at + b] != Some(row)) {
                    return false;
                }
            }
            let at = (out - base) as usize + start * g.out_row_bytes;
            // The kernel reads its window while it writes the rows: they must be disjoint.
            let (w0, w1) = (at, at + (end - start) * g.out_row_bytes);
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
            RowGeometry::for_tests(25, 25, 320, 320, 1, 1, 3), // KWS depthwise 3x3 SAME
            RowGeometry::for_tests(25, 25, 320, 320, 1, 0, 1), // pointwise
            RowGeometry::for_tests(48, 48, 384, 768, 1, 0, 1), // expanding pointwise
            RowGeometry::for_tests(48, 24, 768, 384, 2, 0, 3), // stride-2 depthwise
            RowGeometry::for_tests(96, 48, 288, 384, 2, 0, 3), // VWW's first conv
            RowGeometry::for_tests(32, 32, 512, 512, 1, 2, 5), // dilated or 5x5
            RowGeometry::for_tests(7, 3, 70, 40, 2, 1, 4),
        ];
        for g in cases {
            for order in [RowOrder::Forward, RowOrder::Backward] {
                for chunk in [1, 2, 3, 5] {
                    let w = RowWrite { order, chunk };
                    for align in [1, 16] {
                        let d = g.shift(w, align);
                        assert_eq!(d % align as i64, 0);
                        let inp = 1 << 20;
                        let out = (inp as i64 + d) as usize;
                        assert!(g.safe(inp, out, w), "{g:?} {w:?} {d}");
                        assert!(simulate(&g, inp as i64, out as i64, w), "{g:?} {w:?} {d}");
                        // One byte further is unsafe at align 1 (the shift is the tightest).
                        if align == 1 {
                            let worse = match order {
                                RowOrder::Forward => out + 1,
                                RowOrder::Backward => out - 1,
                            };
                            assert!(!g.safe(inp, worse, w), "{g:?} {w:?} not tight");
                            assert!(!simulate(&g, inp as i64, worse as i64, w));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_same_size_3x3_layer_needs_two_rows() {
        let one = |order| RowWrite { order, chunk: 1 };
        let g = RowGeometry::for_tests(25, 25, 320, 320, 1, 1, 3);
        assert_eq!(g.shift(one(RowOrder::Forward), 16), -640);
        assert_eq!(g.shift(one(RowOrder::Backward), 16), 640);
        let pw = RowGeometry::for_tests(25, 25, 320, 320, 1, 0, 1);
        assert_eq!(pw.shift(one(RowOrder::Forward), 16), -320);
        assert_eq!(pw.shift(one(RowOrder::Backward), 16), 320);
        // Two rows per call need one more row of shift.
        let two = RowWrite {
            order: RowOrder::Forward,
            chunk: 2,
        };
        assert_eq!(pw.shift(two, 16), -640);
        assert_eq!(g.shift(two, 16), -960);
    }
}
