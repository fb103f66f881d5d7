//! Kernel choice and code of the `k210` target (Kendryte K210: RV64GC, no SIMD).
//!
//! Convolutions and fully connected layers become calls of `nn_kernels::rv64::conv` with
//! filters packed three to a 64-bit word by `nn_kernels::rv64::pack::pack_filters`, and the
//! interval between two extractions of the lanes computed from the layer's own weights
//! (`pack::flush_every`); depthwise convolutions calls of `nn_kernels::rv64::depthwise` on
//! words packed for the sliding accumulator. The requantisation of every channel is one
//! `Requant` static (bias with the input zero point folded in), validated when rustc evaluates
//! the static. ADD, MUL, pooling and softmax use the table kernels of `nn_kernels::cortex_m`
//! (plain Rust off Arm).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use nn_kernels::rv64::depthwise::ROWS_STACK_LIMIT;
use nn_kernels::rv64::pack;

use super::cortex_m::KernelChoice;
use super::lit::{i32_list, usize_lit};
use super::node::Op;
use super::Error;
use crate::lower::{Conv2dLowered, DenseLowered, DepthwiseLowered, NodeParams, Requant};

/// Filter groups (of three filters) per register block of a convolution: 4 pixels x 3 groups
/// (12 accumulators) is the largest block an RV64 core keeps in registers with its operands.
const CONV_GROUPS: usize = 3;

/// Filter groups per block of a fully connected layer of one row: 4 (one input value feeds 4
/// words, 12 products).
const DENSE_GROUPS: usize = 4;

/// The K210 kernel for a node, or the portable one and why.
pub(super) fn choose(params: &NodeParams) -> KernelChoice {
    let portable = |why: String| KernelChoice::Portable(Some(why));
    match params {
        NodeParams::Conv2d(c) => match super::cortex_m::requant_ok(&c.requant) {
            Err(why) => portable(why),
            Ok(()) => KernelChoice::Specialised("rv64::conv (packed lanes, 4 pixels x 9 channels)"),
        },
        NodeParams::DepthwiseConv2d(c) => {
            let g = &c.geometry;
            if c.depth_multiplier != 1 {
                portable(format!(
                    "depth multiplier {} (the sliding kernel takes 1)",
                    c.depth_multiplier
                ))
            } else if g.dilation_h != 1 || g.dilation_w != 1 {
                portable("dilation (the sliding kernel takes 1)".into())
            } else if slide(g).is_none() {
                portable(format!(
                    "a {}x{} filter at stride {} (the sliding kernel reaches at most 3 pixels \
                     per input value and 63 taps)",
                    g.kernel_h, g.kernel_w, g.stride_w
                ))
            } else if let Err(why) = super::cortex_m::requant_ok(&c.requant) {
                portable(why)
            } else {
                KernelChoice::Specialised("rv64::depthwise (sliding packed lanes)")
            }
        }
        NodeParams::Dense(d) => {
            if d.filter_offset != 0 {
                portable(
                    "weights with a zero point (the packed kernel takes symmetric weights)".into(),
                )
            } else if let Err(why) = super::cortex_m::requant_ok(&d.requant) {
                portable(why)
            } else {
                KernelChoice::Specialised("rv64::fully_connected (packed lanes, 12 units)")
            }
        }
        // The Cortex-M table kernels are plain Rust where the DSP extension is absent.
        other => super::cortex_m::cortex_m(other),
    }
}

/// How the depthwise kernel walks a layer: along the stored rows, or (`transposed`) down the
/// stored columns when the output is taller than wide (more outputs share each row's set-up),
/// with the filter's height, width and stride along the walk; `None` when neither fits the
/// sliding accumulator.
fn slide(g: &crate::lower::ConvGeometry) -> Option<(bool, usize, usize, usize)> {
    let along_rows = (false, g.kernel_h, g.kernel_w, g.stride_w);
    let down_cols = (true, g.kernel_w, g.kernel_h, g.stride_h);
    let fits = |&(_, kh, kw, s): &(bool, usize, usize, usize)| pack::depthwise_fits(kh, kw, s);
    let order = if g.output_h > g.output_w {
        [down_cols, along_rows]
    } else {
        [along_rows, down_cols]
    };
    order.into_iter().find(fits)
}

/// `[i64; n]` values.
fn i64_list(values: &[i64]) -> TokenStream {
    let v = values.iter().copied().map(Literal::i64_unsuffixed);
    quote!([#(#v),*])
}

/// Weight `[ky][kx][c]` of a depthwise filter `kw` wide with `ch` channels (0 past the end).
fn c_weight(weights: &[i8], ky: usize, kx: usize, c: usize, kw: usize, ch: usize) -> i8 {
    weights.get((ky * kw + kx) * ch + c).copied().unwrap_or(0)
}

impl Op<'_> {
    /// The `Requant` static of `n` channels.
    fn rv_requant(
        &self,
        requant: &Requant,
        folded: &[i32],
        n: usize,
    ) -> Result<TokenStream, Error> {
        let k = &self.cx.k;
        let mult = self.per_channel(&requant.multiplier, n, "multiplier")?;
        let shift = self.per_channel(&requant.shift, n, "shift")?;
        if folded.len() != n {
            return Err(self.mismatch("bias entries"));
        }
        let id = self.item("RQ");
        let c = usize_lit(n);
        let (b, m, s) = (i32_list(folded), i32_list(&mult), i32_list(&shift));
        let i = Literal::i32_unsuffixed;
        let (oo, lo, hi) = (
            i(requant.output_offset),
            i(requant.act_min),
            i(requant.act_max),
        );
        let msg = format!(
            "nnd: requantisation constants of `{}` out of range",
            self.name
        );
        Ok(quote! {
            // Evaluated by rustc: constants out of range fail the build, never the run.
            static #id: #k::rv64::Requant<#c> =
                match #k::rv64::Requant::new(#b, #m, #s, #oo, #lo, #hi) {
                    Ok(rq) => rq,
                    Err(_) => panic!(#msg),
                };
        })
    }

    /// The packed filters `[rows][k]` as a static of `groups(rows) * k` words, and the lane
    /// extraction interval.
    fn rv_filters(
        &self,
        weights: &[i8],
        rows: usize,
        k: usize,
        ng: usize,
    ) -> Result<(TokenStream, usize), Error> {
        let mut packed = vec![0i64; pack::groups(rows) * k];
        pack::pack_filters(weights, rows, k, ng, &mut packed)
            .map_err(|e| self.mismatch(&e.to_string()))?;
        let id = self.item("WEIGHTS");
        let n = usize_lit(packed.len());
        let v = i64_list(&packed);
        Ok((
            quote!(static #id: [i64; #n] = #v;),
            pack::flush_every(weights, rows, k),
        ))
    }

    pub(super) fn rv_conv(&self, c: &Conv2dLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let g = &c.geometry;
        let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
        let y = self.out_view3([g.output_h, g.output_w, g.output_c])?;
        let row = g.kernel_h * g.kernel_w * g.input_c;
        if row == 0 || c.weights.len() != row * g.output_c {
            return Err(self.mismatch("filter size"));
        }
        let folded =
            super::cortex_m::fold_rows(&c.weights, row, c.bias.as_deref(), c.requant.input_offset);
        let mut statics = self.rv_requant(&c.requant, &folded, g.output_c)?;
        let (w, every) = self.rv_filters(&c.weights, g.output_c, row, CONV_GROUPS)?;
        statics.extend(w);
        let (w_id, spec_id, rq_id) = (self.item("WEIGHTS"), self.item("SPEC"), self.item("RQ"));
        let geometry = super::cortex_m::geometry_fields(g);
        let pad = super::cortex_m::zero_point_byte(c.requant.input_offset, self)?;
        let flush = usize_lit(every);
        statics.extend(quote! {
            static #spec_id: #k::rv64::conv::ConvSpec = #k::rv64::conv::ConvSpec {
                #geometry pad_value: #pad, flush: #flush,
            };
        });
        let u = usize_lit;
        let (ic, oc, kh, kw, kk, ng) = (
            u(g.input_c),
            u(g.output_c),
            u(g.kernel_h),
            u(g.kernel_w),
            u(row),
            u(CONV_GROUPS),
        );
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::rv64::conv::conv_s8::<#ic, #oc, #kh, #kw, #kk, #ng>(
                &#spec_id,
                &#rq_id,
                x.as_flattened().as_flattened(),
                &#w_id,
                y.as_flattened_mut().as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    pub(super) fn rv_dense(&self, d: &DenseLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let x = self.in_rows(0, d.batches, d.depth)?;
        let y = self.out_rows(d.batches, d.units)?;
        if d.depth == 0 || d.weights.len() != d.depth * d.units {
            return Err(self.mismatch("dense weights size"));
        }
        let folded = super::cortex_m::fold_rows(
            &d.weights,
            d.depth,
            d.bias.as_deref(),
            d.requant.input_offset,
        );
        let ng = if d.batches >= 4 {
            CONV_GROUPS
        } else {
            DENSE_GROUPS
        };
        let mut statics = self.rv_requant(&d.requant, &folded, d.units)?;
        let (w, every) = self.rv_filters(&d.weights, d.units, d.depth, ng)?;
        statics.extend(w);
        let (w_id, rq_id) = (self.item("WEIGHTS"), self.item("RQ"));
        let u = usize_lit;
        let (dd, uu, ngl, b, flush) = (u(d.depth), u(d.units), u(ng), u(d.batches), u(every));
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::rv64::conv::fully_connected_s8::<#dd, #uu, #ngl>(
                #b,
                #flush,
                &#rq_id,
                x.as_flattened(),
                &#w_id,
                y.as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    pub(super) fn rv_depthwise(
        &self,
        c: &DepthwiseLowered,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let g = &c.geometry;
        let ch = g.output_c;
        let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
        let y = self.out_view3([g.output_h, g.output_w, ch])?;
        let taps = g.kernel_h * g.kernel_w;
        if taps == 0 || g.input_c != ch || c.weights.len() != taps * ch {
            return Err(self.mismatch("depthwise filter size"));
        }
        let folded: Vec<i32> = (0..ch)
            .map(|i| {
                let b = c.bias.as_ref().and_then(|b| b.get(i)).copied().unwrap_or(0);
                pack::fold_bias(
                    b,
                    c.requant.input_offset,
                    c.weights.iter().skip(i).step_by(ch).copied(),
                )
            })
            .collect();
        let mut statics = self.rv_requant(&c.requant, &folded, ch)?;
        let (transposed, kh, kw, sw) =
            slide(g).ok_or_else(|| self.mismatch("depthwise filter for the sliding kernel"))?;
        // In the walk's orientation: the filter `[kh][kw][c]`, rows and columns of the tensors.
        let filter: Vec<i8> = if transposed {
            (0..kh * kw * ch)
                .map(|i| {
                    let (ky, kx, k) = (i / (kw * ch), i / ch % kw, i % ch);
                    c_weight(&c.weights, kx, ky, k, g.kernel_w, ch)
                })
                .collect()
        } else {
            c.weights.clone()
        };
        let mut packed = vec![0i64; kh * sw * ch];
        pack::pack_depthwise(&filter, kh, kw, ch, sw, &mut packed)
            .map_err(|e| self.mismatch(&e.to_string()))?;
        let (ih, iw, oh, ow, sh, pt, pl) = if transposed {
            (
                g.input_w, g.input_h, g.output_w, g.output_h, g.stride_w, g.pad_left, g.pad_top,
            )
        } else {
            (
                g.input_h, g.input_w, g.output_h, g.output_w, g.stride_h, g.pad_top, g.pad_left,
            )
        };
        let (w_id, spec_id, rq_id) = (self.item("WEIGHTS"), self.item("SPEC"), self.item("RQ"));
        let u = usize_lit;
        let n = u(packed.len());
        let v = i64_list(&packed);
        let pad = super::cortex_m::zero_point_byte(c.requant.input_offset, self)?;
        let ow_walk = ow;
        let (ih, iw, oh, ow, sh, pt, pl) = (u(ih), u(iw), u(oh), u(ow), u(sh), u(pt), u(pl));
        statics.extend(quote! {
            static #w_id: [i64; #n] = #v;
            static #spec_id: #k::rv64::depthwise::DepthwiseSpec =
                #k::rv64::depthwise::DepthwiseSpec {
                    input_h: #ih, input_w: #iw, output_h: #oh, output_w: #ow, stride_h: #sh,
                    pad_top: #pt, pad_left: #pl, pad_value: #pad, transposed: #transposed,
                };
        });
        // The padded row buffer when it is small (a uniform walk per row and channel), else
        // the kernel that walks the tensors in place.
        let rows = nn_kernels::rv64::depthwise::padded_row_bytes(ch, kw, sw, ow_walk)
            .filter(|rs| rs.checked_mul(kh).is_some_and(|b| b <= ROWS_STACK_LIMIT));
        let (cc, kh, kw, sw) = (u(ch), u(kh), u(kw), u(sw));
        let kernel = match rows {
            Some(rs) => {
                let rs = u(rs);
                quote! { #k::rv64::depthwise::depthwise_rows_s8::<#cc, #kh, #kw, #sw, #rs> }
            }
            None => quote! { #k::rv64::depthwise::depthwise_s8::<#cc, #kh, #kw, #sw> },
        };
        let call = quote! {
            let x = #x;
            let y = #y;
            #kernel(
                &#spec_id,
                &#rq_id,
                x.as_flattened().as_flattened(),
                &#w_id,
                y.as_flattened_mut().as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }
}
