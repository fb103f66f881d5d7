//! Kernel selection per target, and the code of the Cortex-M targets (`cortex-m4`, `cortex-m7`).
//!
//! [`choose`] decides, from a node's lowered constants alone, whether the target's specialised
//! kernel takes the node or the portable one runs it (and why); the code generator and the
//! reports (`nndc build`, `nndc info`) both ask it, so what is reported is what is generated.
//!
//! For a node the Cortex-M kernels take, the constants are laid out at build time by
//! `nn_kernels::cortex_m::pack` (weights widened to int16 pairs, depthwise weights paired per
//! channel group, the input zero point folded into the bias, the requantisation shift split,
//! ADD's input rescaling tabulated) and written as statics; the call passes every channel count
//! and packed length as const generics.

use std::str::FromStr;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use nn_kernels::cortex_m::pack;

use super::lit::{array_type, i32_list, usize_lit};
use super::node::Op;
use super::{Error, Family, Target};
use crate::lower::{BinaryLowered, Conv2dLowered, DenseLowered, DepthwiseLowered};
use crate::lower::{NodeParams, Requant};

/// Which kernel runs a node on a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelChoice {
    /// The target's specialised kernel (its path under `nn_kernels` and the variant).
    Specialised(&'static str),
    /// The portable kernel. `Some(reason)` when the target has specialised kernels but none
    /// takes this node; `None` for the `generic` target and for nodes that emit no code.
    Portable(Option<String>),
}

/// The kernel `target` uses for a node with these constants.
pub fn choose(target: Target, params: &NodeParams) -> KernelChoice {
    match target.family() {
        Family::Portable => KernelChoice::Portable(None),
        // Every target's convolution kernels read all input channels per filter.
        _ if matches!(params, NodeParams::Conv2d(c) if c.groups != 1) => KernelChoice::Portable(
            Some("a grouped convolution (the target kernels take groups = 1)".into()),
        ),
        // The power-of-two kernels of q7 networks are portable Rust on every target.
        _ if params.is_q7() => KernelChoice::Portable(Some(
            "a q7 layer (the power-of-two kernels are portable)".into(),
        )),
        _ if matches!(params, NodeParams::Q15(_)) => KernelChoice::Portable(Some(
            "a q15 layer (the power-of-two kernels are portable)".into(),
        )),
        // The 16x8 kernels (int16 activations) are portable Rust on every target.
        _ if matches!(params, NodeParams::S16(_)) => KernelChoice::Portable(Some(
            "a 16x8 layer (int16 activations: the portable kernels run)".into(),
        )),
        // No target has a transposed-convolution kernel: the portable gather kernel runs.
        _ if matches!(params, NodeParams::TransposeConv2d(_)) => KernelChoice::Portable(Some(
            "a transposed convolution (no target kernel; the portable one runs)".into(),
        )),
        Family::CortexM => cortex_m(params),
        Family::Aarch64 => super::aarch64::choose(target, params),
        Family::Riscv64 => super::k210::choose(params),
    }
}

pub(super) fn cortex_m(params: &NodeParams) -> KernelChoice {
    let portable = |why: String| KernelChoice::Portable(Some(why));
    match params {
        NodeParams::Conv2d(c) => match requant_ok(&c.requant) {
            Err(why) => portable(why),
            Ok(()) if c.geometry.kernel_h == 1 && c.geometry.kernel_w == 1 => {
                KernelChoice::Specialised("cortex_m::conv (1x1, SMLAD 2x2 block)")
            }
            Ok(()) => KernelChoice::Specialised("cortex_m::conv (im2col, SMLAD 2x2 block)"),
        },
        NodeParams::DepthwiseConv2d(c) => {
            if c.depth_multiplier != 1 {
                portable(format!(
                    "depth multiplier {} (the DSP kernel takes 1)",
                    c.depth_multiplier
                ))
            } else if c.geometry.output_c % 4 != 0 {
                portable(format!(
                    "{} channels (the DSP kernel takes a multiple of 4)",
                    c.geometry.output_c
                ))
            } else if let Err(why) = requant_ok(&c.requant) {
                portable(why)
            } else {
                KernelChoice::Specialised("cortex_m::depthwise (4 channels, SMLABB/SMLATT)")
            }
        }
        NodeParams::Dense(d) => {
            if d.filter_offset != 0 {
                portable(
                    "weights with a zero point (the DSP kernel takes symmetric weights)".into(),
                )
            } else if let Err(why) = requant_ok(&d.requant) {
                portable(why)
            } else {
                KernelChoice::Specialised("cortex_m::fully_connected (4 units, SMLAD)")
            }
        }
        NodeParams::Add(b) | NodeParams::Mul(b) if b.b_constant.is_some() => {
            portable("a constant operand (the DSP kernels read two arena tensors)".into())
        }
        NodeParams::Add(b) => {
            if b.a_shape != b.output_shape || b.b_shape != b.output_shape {
                portable("broadcasting (the table kernel takes equal shapes)".into())
            } else if !(-31..=0).contains(&b.output_shift) || b.output_multiplier < 0 {
                portable("output requantisation out of range".into())
            } else {
                KernelChoice::Specialised("cortex_m::add (256-entry tables)")
            }
        }
        NodeParams::Mul(b) => {
            if b.a_shape != b.output_shape || b.b_shape != b.output_shape {
                portable("broadcasting (the DSP kernel takes equal shapes)".into())
            } else if !(-31..=31).contains(&b.output_shift) || b.output_multiplier < 0 {
                portable("output requantisation out of range".into())
            } else if !(-128..=127).contains(&b.act_min) || !(b.act_min..=127).contains(&b.act_max)
            {
                portable("an activation range outside int8".into())
            } else {
                KernelChoice::Specialised("cortex_m::mul (one-step requantisation)")
            }
        }
        NodeParams::MaxPool2d(p) | NodeParams::AvgPool2d(p) => {
            if p.batches != 1 {
                portable("more than one batch".into())
            } else if !(-128..=127).contains(&p.act_min) || !(p.act_min..=127).contains(&p.act_max)
            {
                portable("an activation range outside int8".into())
            } else if matches!(params, NodeParams::MaxPool2d(_)) {
                KernelChoice::Specialised("cortex_m::pool (4 channels per word, SSUB8/SEL)")
            } else {
                KernelChoice::Specialised("cortex_m::pool (4 channels per word, SADD16)")
            }
        }
        NodeParams::Softmax(p) if (0..=31).contains(&p.input_left_shift) => {
            KernelChoice::Specialised("cortex_m::softmax (exp table)")
        }
        NodeParams::Copy { .. } => KernelChoice::Portable(None),
        // One table load per element: nothing a target kernel could do better.
        NodeParams::Lut(_) => KernelChoice::Portable(None),
        other => portable(format!("no Cortex-M kernel for {} yet", kind(other))),
    }
}

fn kind(p: &NodeParams) -> &'static str {
    match p {
        NodeParams::Conv2d(_) => "conv2d",
        NodeParams::DepthwiseConv2d(_) => "depthwise_conv2d",
        NodeParams::TransposeConv2d(_) => "transpose_conv2d",
        NodeParams::Dense(_) => "dense",
        NodeParams::MaxPool2d(_) => "max_pool2d",
        NodeParams::AvgPool2d(_) => "avg_pool2d",
        NodeParams::Mean(_) => "mean",
        NodeParams::Add(_) => "add",
        NodeParams::Sub(_) => "sub",
        NodeParams::Maximum(_) => "maximum",
        NodeParams::Minimum(_) => "minimum",
        NodeParams::Prelu(_) => "prelu",
        NodeParams::Svdf(_) => "svdf",
        NodeParams::Lstm(_) => "lstm",
        NodeParams::Mul(_) => "mul",
        NodeParams::Concat(_) => "concat",
        NodeParams::Pad(_) => "pad",
        NodeParams::ResizeNearest(_) => "resize_nearest",
        NodeParams::StridedSlice(_) => "strided_slice",
        NodeParams::Copy { .. } => "reshape",
        NodeParams::Relu(_) => "relu",
        NodeParams::Relu6(_) => "relu6",
        NodeParams::Lut(_) => "lut",
        NodeParams::Logistic(_) => "logistic",
        NodeParams::Tanh(_) => "tanh",
        NodeParams::Softmax(_) => "softmax",
        NodeParams::Quantize(_) => "quantize",
        NodeParams::Dequantize(_) => "dequantize",
        NodeParams::Requantize(_) => "requantize",
        NodeParams::Q7Conv2d(_) => "q7 conv2d",
        NodeParams::Q7DepthwiseConv2d(_) => "q7 depthwise_conv2d",
        NodeParams::Q7Dense(_) => "q7 dense",
        NodeParams::Q7AvgPool2d(_) => "q7 avg_pool2d",
        NodeParams::Q7Softmax { .. } => "q7 softmax",
        NodeParams::Q7Activation {
            function: crate::lower::TableActivation::Sigmoid,
            ..
        } => "q7 sigmoid",
        NodeParams::Q7Activation { .. } => "q7 tanh",
        NodeParams::S16(p) => p.op_name(),
        NodeParams::Q15(p) => p.op_name(),
    }
}

/// The DSP kernels' requantisation takes shifts in `-31..=31` and
/// non-negative multipliers (see `nn_kernels::cortex_m::Rq`), which TFLite's quantisation
/// always produces.
pub(super) fn requant_ok(r: &Requant) -> Result<(), String> {
    if r.shift.iter().any(|s| !(-31..=31).contains(s)) {
        return Err("a requantisation shift outside -31..=31".into());
    }
    if r.multiplier.iter().any(|&m| m < 0) {
        return Err("a negative requantisation multiplier".into());
    }
    if !(-128..=127).contains(&r.act_min) || !(r.act_min..=127).contains(&r.act_max) {
        return Err("an activation range outside int8".into());
    }
    Ok(())
}

/// The bias of each filter row of `weights` (rows of `row` values) with the input zero point
/// folded in (`pack::fold_bias`); a missing bias is 0.
pub(super) fn fold_rows(
    weights: &[i8],
    row: usize,
    bias: Option<&[i32]>,
    input_offset: i32,
) -> Vec<i32> {
    weights
        .chunks_exact(row)
        .enumerate()
        .map(|(i, f)| {
            let b = bias.and_then(|b| b.get(i)).copied().unwrap_or(0);
            pack::fold_bias(b, input_offset, f.iter().copied())
        })
        .collect()
}

/// Filters packed `n` at a time and interleaved word by word (`pack::pack_conv`, `pack_fc`) as
/// nested literals `[[[w, ..n]; words]; groups]`.
fn interleaved(
    packed: &[u32],
    words_per_row: usize,
    n: usize,
) -> impl Iterator<Item = TokenStream> + '_ {
    packed.chunks_exact(n * words_per_row).map(move |group| {
        let cells = group.chunks_exact(n).map(words);
        quote!([#(#cells),*])
    })
}

/// `0x....` literals, one per packed word.
fn words(values: &[u32]) -> TokenStream {
    let lits = values.iter().map(|w| {
        Literal::from_str(&format!("0x{w:08x}")).unwrap_or_else(|_| Literal::u32_unsuffixed(*w))
    });
    quote!([#(#lits),*])
}

impl Op<'_> {
    /// The statics and call of `params` on the target's specialised kernel, or `None` when
    /// [`choose`] gives the portable kernel.
    pub(super) fn specialised(
        &self,
        params: &NodeParams,
    ) -> Result<Option<(TokenStream, TokenStream)>, Error> {
        if !matches!(choose(self.cx.target, params), KernelChoice::Specialised(_)) {
            return Ok(None);
        }
        let aarch64 = self.cx.target.family() == Family::Aarch64;
        let rv64 = self.cx.target.family() == Family::Riscv64;
        let code = match params {
            NodeParams::Conv2d(c) if rv64 => self.rv_conv(c)?,
            NodeParams::DepthwiseConv2d(c) if rv64 => self.rv_depthwise(c)?,
            NodeParams::Dense(d) if rv64 => self.rv_dense(d)?,
            NodeParams::Conv2d(c) if aarch64 => self.a64_conv(c)?,
            NodeParams::DepthwiseConv2d(c) if aarch64 => self.a64_depthwise(c)?,
            NodeParams::Dense(d) if aarch64 => self.a64_dense(d)?,
            NodeParams::Add(b) if aarch64 => self.a64_add(b)?,
            NodeParams::Conv2d(c) => self.cm_conv(c)?,
            NodeParams::DepthwiseConv2d(c) => self.cm_depthwise(c)?,
            NodeParams::Dense(d) => self.cm_dense(d)?,
            NodeParams::Add(b) => self.cm_add(b)?,
            NodeParams::Mul(b) => self.cm_mul(b)?,
            NodeParams::MaxPool2d(p) => self.cm_pool(p, true, quote!(cortex_m::pool))?,
            NodeParams::AvgPool2d(p) if aarch64 && p.channels % 16 == 0 => {
                self.cm_pool(p, false, quote!(aarch64::pool))?
            }
            NodeParams::AvgPool2d(p) => self.cm_pool(p, false, quote!(cortex_m::pool))?,
            NodeParams::Softmax(p) => self.cm_softmax(p)?,
            _ => return Ok(None),
        };
        Ok(Some(code))
    }

    /// `RQ` (split requantisation) and `BIAS` (zero point folded in) statics for `n` channels.
    fn cm_channel_statics(
        &self,
        requant: &Requant,
        folded: &[i32],
        n: usize,
    ) -> Result<TokenStream, Error> {
        let k = &self.cx.k;
        let mult = self.per_channel(&requant.multiplier, n, "multiplier")?;
        let shift = self.per_channel(&requant.shift, n, "shift")?;
        let rq = mult.iter().zip(&shift).map(|(&m, &s)| {
            let (m, s) = (Literal::i32_unsuffixed(m), Literal::i32_unsuffixed(s));
            quote!(#k::cortex_m::Rq::new(#m, #s))
        });
        let (rq_id, b_id) = (self.item("RQ"), self.item("BIAS"));
        let nn = usize_lit(n);
        let b = i32_list(folded);
        Ok(quote! {
            static #rq_id: [#k::cortex_m::Rq; #nn] = [#(#rq),*];
            static #b_id: [i32; #nn] = #b;
        })
    }

    fn cm_conv(&self, c: &Conv2dLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let g = &c.geometry;
        let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
        let y = self.out_view3([g.output_h, g.output_w, g.output_c])?;
        let row = g.kernel_h * g.kernel_w * g.input_c;
        if row == 0 || c.weights.len() != row * g.output_c {
            return Err(self.mismatch("filter size"));
        }
        let w = pack::words(row);
        let pairs = g.output_c.div_ceil(2);
        let mut packed = vec![0u32; 2 * pairs * w];
        pack::pack_conv(&c.weights, g.output_c, row, &mut packed)
            .map_err(|e| self.mismatch(&e.to_string()))?;
        let folded = fold_rows(&c.weights, row, c.bias.as_deref(), c.requant.input_offset);
        let mut statics = self.cm_channel_statics(&c.requant, &folded, g.output_c)?;
        let (w_id, spec_id, rq_id, b_id) = (
            self.item("WEIGHTS"),
            self.item("SPEC"),
            self.item("RQ"),
            self.item("BIAS"),
        );
        // [pair][word][filter of the pair]
        let rows = interleaved(&packed, w, 2);
        let (ic, oc, ww, op) = (
            usize_lit(g.input_c),
            usize_lit(g.output_c),
            usize_lit(w),
            usize_lit(pairs),
        );
        let w_ty = array_type(&quote!(u32), &[pairs, w, 2]);
        let geometry = geometry_fields(g);
        let pad = zero_point_byte(c.requant.input_offset, self)?;
        let (oo, lo, hi) = (
            Literal::i32_unsuffixed(c.requant.output_offset),
            Literal::i32_unsuffixed(c.requant.act_min),
            Literal::i32_unsuffixed(c.requant.act_max),
        );
        statics.extend(quote! {
            static #w_id: #w_ty = [#(#rows),*];
            static #spec_id: #k::cortex_m::conv::ConvSpec<'static, #oc> = #k::cortex_m::conv::ConvSpec {
                #geometry
                pad_value: #pad, output_offset: #oo, act_min: #lo, act_max: #hi,
                bias: &#b_id, rq: &#rq_id,
            };
        });
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::cortex_m::conv::conv_s8::<#ic, #oc, #ww, #op>(
                &#spec_id,
                x.as_flattened().as_flattened(),
                &#w_id,
                y.as_flattened_mut().as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    fn cm_depthwise(&self, c: &DepthwiseLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let g = &c.geometry;
        let ch = g.output_c;
        let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
        let y = self.out_view3([g.output_h, g.output_w, ch])?;
        let taps = g.kernel_h * g.kernel_w;
        if taps == 0 || g.input_c != ch || c.weights.len() != taps * ch {
            return Err(self.mismatch("depthwise filter size"));
        }
        let mut flat = vec![[0u32; 2]; taps * ch / 4];
        pack::pack_depthwise(&c.weights, ch, &mut flat)
            .map_err(|e| self.mismatch(&e.to_string()))?;
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
        let mut statics = self.cm_channel_statics(&c.requant, &folded, ch)?;
        let (w_id, spec_id, rq_id, b_id) = (
            self.item("WEIGHTS"),
            self.item("SPEC"),
            self.item("RQ"),
            self.item("BIAS"),
        );
        // [G][KH][KW][2]
        let groups = flat.chunks_exact(taps).map(|group| {
            let rows = group.chunks_exact(g.kernel_w).map(|row| {
                let cells = row.iter().map(|[a, b]| words(&[*a, *b]));
                quote!([#(#cells),*])
            });
            quote!([#(#rows),*])
        });
        let w_ty = array_type(&quote!(u32), &[ch / 4, g.kernel_h, g.kernel_w, 2]);
        let u = usize_lit;
        let (cc, gg, kh, kw) = (u(ch), u(ch / 4), u(g.kernel_h), u(g.kernel_w));
        // Byte distances between taps: rows and columns of the input, and of a padded copy.
        let (row, col, prow) = (
            u(g.dilation_h * g.input_w * ch),
            u(g.dilation_w * ch),
            u(g.kernel_w * ch),
        );
        let (ih, iw, oh, ow) = (u(g.input_h), u(g.input_w), u(g.output_h), u(g.output_w));
        let (sh, sw, dh, dw, pt, pl) = (
            u(g.stride_h),
            u(g.stride_w),
            u(g.dilation_h),
            u(g.dilation_w),
            u(g.pad_top),
            u(g.pad_left),
        );
        let pad = zero_point_byte(c.requant.input_offset, self)?;
        let (oo, lo, hi) = (
            Literal::i32_unsuffixed(c.requant.output_offset),
            Literal::i32_unsuffixed(c.requant.act_min),
            Literal::i32_unsuffixed(c.requant.act_max),
        );
        statics.extend(quote! {
            static #w_id: #w_ty = [#(#groups),*];
            static #spec_id: #k::cortex_m::depthwise::DepthwiseSpec<'static, #cc> =
                #k::cortex_m::depthwise::DepthwiseSpec {
                    input_h: #ih, input_w: #iw, output_h: #oh, output_w: #ow,
                    stride_h: #sh, stride_w: #sw, dilation_h: #dh, dilation_w: #dw,
                    pad_top: #pt, pad_left: #pl, pad_value: #pad, output_offset: #oo,
                    act_min: #lo, act_max: #hi, bias: &#b_id, rq: &#rq_id,
                };
        });
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::cortex_m::depthwise::depthwise_s8::<#cc, #gg, #kh, #kw, #row, #col, #prow>(
                &#spec_id,
                x.as_flattened().as_flattened(),
                &#w_id,
                y.as_flattened_mut().as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    fn cm_dense(&self, d: &DenseLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let x = self.in_rows(0, d.batches, d.depth)?;
        let y = self.out_rows(d.batches, d.units)?;
        if d.depth == 0 || d.weights.len() != d.depth * d.units {
            return Err(self.mismatch("dense weights size"));
        }
        let w = pack::words(d.depth);
        let quads = d.units.div_ceil(4);
        let mut packed = vec![0u32; 4 * quads * w];
        pack::pack_fc(&d.weights, d.units, d.depth, &mut packed)
            .map_err(|e| self.mismatch(&e.to_string()))?;
        let folded = fold_rows(
            &d.weights,
            d.depth,
            d.bias.as_deref(),
            d.requant.input_offset,
        );
        let mut statics = self.cm_channel_statics(&d.requant, &folded, d.units)?;
        let (w_id, spec_id, rq_id, b_id) = (
            self.item("WEIGHTS"),
            self.item("SPEC"),
            self.item("RQ"),
            self.item("BIAS"),
        );
        // [quad][word][unit of the quad]
        let rows = interleaved(&packed, w, 4);
        let w_ty = array_type(&quote!(u32), &[quads, w, 4]);
        let (dd, uu, ww, uq) = (
            usize_lit(d.depth),
            usize_lit(d.units),
            usize_lit(w),
            usize_lit(quads),
        );
        let (oo, lo, hi) = (
            Literal::i32_unsuffixed(d.requant.output_offset),
            Literal::i32_unsuffixed(d.requant.act_min),
            Literal::i32_unsuffixed(d.requant.act_max),
        );
        statics.extend(quote! {
            static #w_id: #w_ty = [#(#rows),*];
            static #spec_id: #k::cortex_m::fully_connected::FcSpec<'static, #uu> =
                #k::cortex_m::fully_connected::FcSpec {
                    output_offset: #oo, act_min: #lo, act_max: #hi, bias: &#b_id, rq: &#rq_id,
                };
        });
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::cortex_m::fully_connected::fully_connected_s8::<#dd, #uu, #ww, #uq>(
                &#spec_id,
                x.as_flattened(),
                &#w_id,
                y.as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    fn cm_add(&self, b: &BinaryLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let ta = pack::add_table(b.a_offset, b.left_shift, b.a_multiplier, b.a_shift);
        let tb = pack::add_table(b.b_offset, b.left_shift, b.b_multiplier, b.b_shift);
        let (ta_id, tb_id, spec_id) = (
            self.item("TABLE_A"),
            self.item("TABLE_B"),
            self.item("SPEC"),
        );
        let (ta, tb) = (i32_list(&ta), i32_list(&tb));
        let i = Literal::i32_unsuffixed;
        let (om, os, oo, lo, hi) = (
            i(b.output_multiplier),
            i(b.output_shift),
            i(b.output_offset),
            i(b.act_min),
            i(b.act_max),
        );
        let statics = quote! {
            static #ta_id: [i32; 256] = #ta;
            static #tb_id: [i32; 256] = #tb;
            static #spec_id: #k::cortex_m::add::AddSpec<'static> = #k::cortex_m::add::AddSpec {
                table_a: &#ta_id,
                table_b: &#tb_id,
                rq: #k::cortex_m::Rq::new(#om, #os),
                output_offset: #oo,
                act_min: #lo,
                act_max: #hi,
            };
        };
        let n = self.out.elements();
        let (a, bb, y) = (
            self.in_array(0, crate::ir::DType::I8)?,
            self.in_array(1, crate::ir::DType::I8)?,
            self.out_array(crate::ir::DType::I8)?,
        );
        let nn = usize_lit(n);
        let call = quote! {
            let a = #a;
            let b = #bb;
            let y = #y;
            #k::cortex_m::add::add_s8::<#nn>(&#spec_id, a, b, y)?;
        };
        Ok((statics, call))
    }
}

impl Op<'_> {
    fn cm_mul(&self, b: &BinaryLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let spec_id = self.item("SPEC");
        let i = Literal::i32_unsuffixed;
        let (ao, bo, om, os, oo, lo, hi) = (
            i(b.a_offset),
            i(b.b_offset),
            i(b.output_multiplier),
            i(b.output_shift),
            i(b.output_offset),
            i(b.act_min),
            i(b.act_max),
        );
        let statics = quote! {
            static #spec_id: #k::cortex_m::mul::MulSpec = #k::cortex_m::mul::MulSpec {
                a_offset: #ao,
                b_offset: #bo,
                rq: #k::cortex_m::Rq::new(#om, #os),
                output_offset: #oo,
                act_min: #lo,
                act_max: #hi,
            };
        };
        let (a, bb, y) = (
            self.in_array(0, crate::ir::DType::I8)?,
            self.in_array(1, crate::ir::DType::I8)?,
            self.out_array(crate::ir::DType::I8)?,
        );
        let nn = usize_lit(self.out.elements());
        let call = quote! {
            let a = #a;
            let b = #bb;
            let y = #y;
            #k::cortex_m::mul::mul_s8::<#nn>(&#spec_id, a, b, y)?;
        };
        Ok((statics, call))
    }

    /// A pooling call on `module` (`cortex_m::pool`, or `aarch64::pool` for average pooling on
    /// the AArch64 targets).
    pub(super) fn cm_pool(
        &self,
        p: &nn_kernels::max_pool2d::Pool2dParams,
        max_pool: bool,
        module: TokenStream,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let x = self.in_view3(0, [p.input_h, p.input_w, p.channels])?;
        let y = self.out_view3([p.output_h, p.output_w, p.channels])?;
        let spec_id = self.item("SPEC");
        let u = usize_lit;
        let (ih, iw, c, oh, ow) = (
            u(p.input_h),
            u(p.input_w),
            u(p.channels),
            u(p.output_h),
            u(p.output_w),
        );
        let (fh, fw, sh, sw, pt, pl) = (
            u(p.filter_h),
            u(p.filter_w),
            u(p.stride_h),
            u(p.stride_w),
            u(p.pad_top),
            u(p.pad_left),
        );
        let (lo, hi) = (
            Literal::i32_unsuffixed(p.act_min),
            Literal::i32_unsuffixed(p.act_max),
        );
        let statics = quote! {
            static #spec_id: #k::max_pool2d::Pool2dParams = #k::max_pool2d::Pool2dParams {
                batches: 1, input_h: #ih, input_w: #iw, channels: #c, output_h: #oh,
                output_w: #ow, filter_h: #fh, filter_w: #fw, stride_h: #sh, stride_w: #sw,
                pad_top: #pt, pad_left: #pl, act_min: #lo, act_max: #hi,
            };
        };
        let f = if max_pool {
            quote!(max_pool_s8)
        } else {
            quote!(avg_pool_s8)
        };
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::#module::#f::<#c>(
                &#spec_id,
                x.as_flattened().as_flattened(),
                y.as_flattened_mut().as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    fn cm_softmax(
        &self,
        p: &nn_kernels::softmax::SoftmaxParams,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let x = self.in_rows(0, p.outer, p.depth)?;
        let y = self.out_rows(p.outer, p.depth)?;
        let (t_id, spec_id) = (self.item("EXP"), self.item("SPEC"));
        let t = i32_list(&pack::softmax_table(
            p.input_multiplier,
            p.input_left_shift,
            p.diff_min,
        ));
        let (outer, depth) = (usize_lit(p.outer), usize_lit(p.depth));
        let statics = quote! {
            static #t_id: [i32; 256] = #t;
            static #spec_id: #k::cortex_m::softmax::SoftmaxSpec<'static> =
                #k::cortex_m::softmax::SoftmaxSpec { outer: #outer, depth: #depth, exp: &#t_id };
        };
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::cortex_m::softmax::softmax_s8(&#spec_id, x.as_flattened(), y.as_flattened_mut())?;
        };
        Ok((statics, call))
    }
}

/// The geometry fields shared by the Cortex-M and AArch64 `ConvSpec`s, each followed by a
/// comma: `input_h: 8, input_w: 8, ..., pad_left: 1,`.
pub(super) fn geometry_fields(g: &crate::lower::ConvGeometry) -> TokenStream {
    let u = usize_lit;
    let (ih, iw, oh, ow, kh, kw) = (
        u(g.input_h),
        u(g.input_w),
        u(g.output_h),
        u(g.output_w),
        u(g.kernel_h),
        u(g.kernel_w),
    );
    let (sh, sw, dh, dw, pt, pl) = (
        u(g.stride_h),
        u(g.stride_w),
        u(g.dilation_h),
        u(g.dilation_w),
        u(g.pad_top),
        u(g.pad_left),
    );
    quote! {
        input_h: #ih, input_w: #iw, output_h: #oh, output_w: #ow,
        kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw,
        dilation_h: #dh, dilation_w: #dw, pad_top: #pt, pad_left: #pl,
    }
}

/// The input zero point (`-input_offset`) as an int8 literal: the value padded taps read.
pub(super) fn zero_point_byte(input_offset: i32, op: &Op<'_>) -> Result<Literal, Error> {
    let zp = input_offset
        .checked_neg()
        .and_then(|z| i8::try_from(z).ok())
        .ok_or_else(|| op.mismatch("input zero point outside int8"))?;
    Ok(Literal::i8_unsuffixed(zp))
}
