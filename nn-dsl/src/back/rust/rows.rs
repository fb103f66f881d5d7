//! A convolution or pool written row by row over its own input ([`Share::Rows`](crate::plan::Share)).
//!
//! The planner put the output at an offset where no row written is one still to be read
//! ([`crate::plan::rows`]). Here each output row becomes one call of the target's ordinary kernel
//! on the window of input rows it reads: the same kernel choice as for the whole layer, with the
//! input height, output height (1) and top padding of that window. Rows whose windows have the
//! same height and padding (all of them but the few at the edges) share one call in a loop over
//! `i`, with offsets `offset + i * step`. Every call's statics are emitted once: a table two row
//! variants both need (weights, multipliers, biases) is shared, so flash does not grow with the
//! number of variants.

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::quote;

use crate::ir::Node;
use crate::lower::NodeParams;
use crate::plan::rows::{row_geometry, RowGeometry};
use crate::plan::{RowOrder, RowWrite};

use super::lit::usize_lit;
use super::node::{malformed, NodeCode, Op, Place};
use super::{Ctx, Error};

/// Consecutive kernel calls of one shape: each `rows` output rows from a window of `window`
/// input rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    /// First output row of the first call.
    first: usize,
    /// Number of calls.
    count: usize,
    /// Output rows per call.
    rows: usize,
    /// Input rows of each call's window.
    window: usize,
    /// Padding rows above each window.
    pad_top: usize,
}

/// Splits the output rows into calls of `chunk` rows and those into runs of equal shape, in
/// row order.
fn runs(g: &RowGeometry, chunk: usize) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (start, end) in g.chunks(chunk) {
        let (lo, hi) = g.chunk_window(start, end);
        let pad_top = g.pad_top.saturating_sub(start.saturating_mul(g.stride));
        let (window, rows) = (hi - lo, end - start);
        match out.last_mut() {
            // Inside a run the window start must advance by exactly `rows` strides per call.
            Some(run)
                if run.window == window
                    && run.pad_top == pad_top
                    && run.rows == rows
                    && g.chunk_window(run.first, run.first + rows).0
                        + (start - run.first) * g.stride
                        == lo =>
            {
                run.count += 1;
            }
            _ => out.push(Run {
                first: start,
                count: 1,
                rows,
                window,
                pad_top,
            }),
        }
    }
    out
}

impl Ctx<'_> {
    /// The code of `node`, written row by row in `order` over its input.
    pub(super) fn rows_node(
        &self,
        node: &Node,
        params: &NodeParams,
        prefix: &str,
        write: RowWrite,
    ) -> Result<NodeCode, Error> {
        let order = write.order;
        let name = node.name.as_str();
        let g = row_geometry(node, self.module)
            .ok_or_else(|| malformed(name, "planned row by row but cannot run so"))?;
        let [input] = node.inputs.as_slice() else {
            return Err(malformed(
                name,
                "planned row by row with more than one input",
            ));
        };
        let (in_t, out_t) = (self.tensor(*input, name)?, self.tensor(node.output, name)?);
        let (
            Place::Arena { offset: in_off, .. },
            Place::Arena {
                offset: out_off, ..
            },
        ) = (self.place(*input, name)?, self.place(node.output, name)?)
        else {
            return Err(malformed(name, "planned row by row outside the arena"));
        };
        let (&[_, w, c], &[_, ow, oc]) = (in_t.shape.as_slice(), out_t.shape.as_slice()) else {
            return Err(malformed(
                name,
                "planned row by row on data that is not [H, W, C]",
            ));
        };
        let mut shared = Statics::default();
        let mut body = TokenStream::new();
        let mut list = runs(&g, write.chunk);
        if order == RowOrder::Backward {
            list.reverse();
        }
        for (k, run) in list.iter().enumerate() {
            let variant = window_params(params, run, name)?;
            let mut x = in_t.clone();
            x.shape = vec![run.window, w, c];
            let mut y = out_t.clone();
            y.shape = vec![run.rows, ow, oc];
            let looped = run.count > 1;
            let lo = g.chunk_window(run.first, run.first + run.rows).0;
            let x_place = Place::Arena {
                offset: in_off.saturating_add(lo.saturating_mul(g.in_row_bytes)),
                len: run.window * g.in_row_bytes,
                step: if looped {
                    run.rows * g.stride * g.in_row_bytes
                } else {
                    0
                },
            };
            let y_place = Place::Arena {
                offset: out_off.saturating_add(run.first.saturating_mul(g.out_row_bytes)),
                len: run.rows * g.out_row_bytes,
                step: if looped {
                    run.rows * g.out_row_bytes
                } else {
                    0
                },
            };
            let variant_prefix = if k == 0 {
                prefix.to_owned()
            } else {
                format!("{prefix}_R{k}")
            };
            let ins = [(&x, x_place)];
            let op = Op {
                cx: self,
                name,
                prefix: &variant_prefix,
                ins: &ins,
                out: &y,
                in_place: None,
            };
            let (statics, call) = op.emit(&variant)?;
            let call = shared.add(statics, call, name)?;
            let lend = self.lend(y_place, true);
            let block = quote! { { #lend #call } };
            body.extend(if looped {
                let n = usize_lit(run.count);
                let range = match order {
                    RowOrder::Forward => quote!(0..#n),
                    RowOrder::Backward => quote!((0..#n).rev()),
                };
                quote! { for i in #range #block }
            } else {
                block
            });
        }
        let doc = self.block_doc(&format!(
            "`{}` ({}, {}, {} order, over its input)",
            name,
            node.op.name(),
            if write.chunk > 1 {
                format!("{} rows at a time", write.chunk)
            } else {
                "one row at a time".to_owned()
            },
            order.name()
        ));
        let statics = shared.items;
        Ok(NodeCode {
            statics,
            body: quote! { #doc { #body } },
            uses_arena: true,
        })
    }
}

/// The parameters of one run's kernel call: the layer's, on a window of `run.window` input rows
/// with `run.pad_top` rows of padding above, giving `run.rows` output rows.
fn window_params(params: &NodeParams, run: &Run, name: &str) -> Result<NodeParams, Error> {
    let mut p = params.clone();
    match &mut p {
        NodeParams::Conv2d(c) => {
            c.geometry.input_h = run.window;
            c.geometry.output_h = run.rows;
            c.geometry.pad_top = run.pad_top;
        }
        NodeParams::DepthwiseConv2d(c) => {
            c.geometry.input_h = run.window;
            c.geometry.output_h = run.rows;
            c.geometry.pad_top = run.pad_top;
        }
        // A window's rows are exactly the input rows its outputs read, so an average counts the
        // same positions as in the whole layer.
        NodeParams::MaxPool2d(g) | NodeParams::AvgPool2d(g) => {
            g.input_h = run.window;
            g.output_h = run.rows;
            g.pad_top = run.pad_top;
        }
        _ => {
            return Err(malformed(
                name,
                "only convolutions and pools run row by row",
            ))
        }
    }
    Ok(p)
}

/// The statics of a node's row variants, each distinct item once.
#[derive(Default)]
pub(super) struct Statics {
    items: TokenStream,
    /// An item's text with its name blanked, to the name it was first emitted under.
    seen: HashMap<String, Ident>,
}

impl Statics {
    /// Every distinct item added.
    pub(super) fn into_items(self) -> TokenStream {
        self.items
    }

    /// Adds one variant's `statics`; returns its `call` with references to items already
    /// emitted under another name renamed to that name.
    pub(super) fn add(
        &mut self,
        statics: TokenStream,
        call: TokenStream,
        node: &str,
    ) -> Result<TokenStream, Error> {
        let file: syn::File = syn::parse2(statics)
            .map_err(|e| malformed(node, &format!("generated statics do not parse: {e}")))?;
        let mut rename: HashMap<Ident, Ident> = HashMap::new();
        for item in file.items {
            let item = rename_tokens(quote!(#item), &rename);
            let parsed: syn::Item = syn::parse2(item.clone())
                .map_err(|e| malformed(node, &format!("generated static does not parse: {e}")))?;
            if let syn::Item::Static(mut s) = parsed {
                let own = s.ident.clone();
                s.ident = Ident::new("__ITEM", own.span());
                let key = quote!(#s).to_string();
                if let Some(first) = self.seen.get(&key) {
                    rename.insert(own, first.clone());
                    continue;
                }
                self.seen.insert(key, own);
            }
            self.items.extend(item);
        }
        Ok(rename_tokens(call, &rename))
    }
}

/// `tokens` with every identifier in `map` replaced.
fn rename_tokens(tokens: TokenStream, map: &HashMap<Ident, Ident>) -> TokenStream {
    if map.is_empty() {
        return tokens;
    }
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) => TokenTree::Ident(map.get(&i).cloned().unwrap_or(i)),
            TokenTree::Group(g) => {
                let mut n = proc_macro2::Group::new(g.delimiter(), rename_tokens(g.stream(), map));
                n.set_span(g.span());
                TokenTree::Group(n)
            }
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(first: usize, count: usize, rows: usize, window: usize, pad_top: usize) -> Run {
        Run {
            first,
            count,
            rows,
            window,
            pad_top,
        }
    }

    #[test]
    fn runs_group_equal_windows() {
        let g = RowGeometry {
            in_rows: 25,
            in_row_bytes: 320,
            out_rows: 25,
            out_row_bytes: 320,
            stride: 1,
            pad_top: 1,
            extent: 3,
        };
        assert_eq!(
            runs(&g, 1),
            vec![run(0, 1, 1, 2, 1), run(1, 23, 1, 3, 0), run(24, 1, 1, 2, 0)]
        );
        // Four rows per call: 0..4 (padded above), 4..8 ... 20..24 in a loop, then 24..25.
        assert_eq!(
            runs(&g, 4),
            vec![run(0, 1, 4, 5, 1), run(4, 5, 4, 6, 0), run(24, 1, 1, 2, 0)]
        );
        let s2 = RowGeometry {
            in_rows: 48,
            in_row_bytes: 768,
            out_rows: 24,
            out_row_bytes: 384,
            stride: 2,
            pad_top: 0,
            extent: 3,
        };
        assert_eq!(runs(&s2, 1), vec![run(0, 23, 1, 3, 0), run(23, 1, 1, 2, 0)]);
        assert_eq!(
            runs(&s2, 8),
            vec![run(0, 2, 8, 17, 0), run(16, 1, 8, 16, 0)]
        );
    }
}
