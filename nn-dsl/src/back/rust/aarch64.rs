//! Kernel choice and code of the AArch64 targets (`aarch64`, `aarch64-dotprod`, `aarch64-i8mm`).
//!
//! Convolutions and fully connected layers become calls of `nn_kernels::aarch64::conv` with
//! filters laid out by `nn_kernels::aarch64::pack` for the register block that reads them (16
//! values of 4 filters for plain NEON, 4 values of 16 filters for `SDOT`, 8 values of 2 filters
//! for `SMMLA`), depthwise
//! convolutions calls of `nn_kernels::aarch64::depthwise` on TFLite's own filter layout; the
//! requantisation of every channel is one `Requant` static (bias with the input zero point
//! folded in, multipliers, split shifts), validated when rustc evaluates the static. ADD, MUL,
//! pooling and softmax use the table kernels of `nn_kernels::cortex_m` (plain Rust on AArch64).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use nn_kernels::aarch64::pack;

use super::cortex_m::KernelChoice;
use super::lit::{array_type, i32_list, nested, usize_lit};
use super::node::Op;
use super::{Error, Target};
use crate::lower::{Conv2dLowered, DenseLowered, DepthwiseLowered, NodeParams, Requant};

/// The AArch64 kernel for a node, or the portable one and why.
pub(super) fn choose(target: Target, params: &NodeParams) -> KernelChoice {
    let portable = |why: String| KernelChoice::Portable(Some(why));
    // SDOT and SMMLA accumulate every product in int32: -128 weights are fine there.
    let dot = target == Target::Aarch64Dotprod;
    let mm = target == Target::Aarch64I8mm;
    let wide = dot || mm;
    let min_weight = "a weight of -128 (the NEON kernels sum two products in int16)";
    match params {
        NodeParams::Conv2d(c) => {
            if let Err(why) = super::cortex_m::requant_ok(&c.requant) {
                portable(why)
            } else if !pack::pairs_fit_int16(&c.weights) && !wide {
                portable(min_weight.into())
            } else if mm
                && c.geometry.kernel_h * c.geometry.kernel_w > 1
                && c.geometry.input_c % 16 == 0
            {
                KernelChoice::Specialised("aarch64::conv (SMMLA, 4 pixels x 16 channels)")
            } else if wide {
                KernelChoice::Specialised("aarch64::conv (SDOT, 4 pixels x 16 channels)")
            } else {
                KernelChoice::Specialised("aarch64::conv (SMULL/SADALP, 4 pixels x 4 channels)")
            }
        }
        NodeParams::DepthwiseConv2d(c) => {
            if c.depth_multiplier != 1 {
                portable(format!(
                    "depth multiplier {} (the NEON kernel takes 1)",
                    c.depth_multiplier
                ))
            } else if c.geometry.output_c % 8 != 0 {
                portable(format!(
                    "{} channels (the NEON kernel takes a multiple of 8)",
                    c.geometry.output_c
                ))
            } else if !pack::pairs_fit_int16(&c.weights) {
                portable(min_weight.into())
            } else if let Err(why) = super::cortex_m::requant_ok(&c.requant) {
                portable(why)
            } else {
                KernelChoice::Specialised("aarch64::depthwise (16 channels, SMULL/SMLAL)")
            }
        }
        NodeParams::Dense(d) => {
            if d.filter_offset != 0 {
                portable(
                    "weights with a zero point (the NEON kernel takes symmetric weights)".into(),
                )
            } else if let Err(why) = super::cortex_m::requant_ok(&d.requant) {
                portable(why)
            } else if !pack::pairs_fit_int16(&d.weights) && !wide {
                portable(min_weight.into())
            } else if mm && d.batches >= 2 {
                KernelChoice::Specialised("aarch64::fully_connected (SMMLA, 16 units)")
            } else if wide {
                KernelChoice::Specialised("aarch64::fully_connected (SDOT, 16 units)")
            } else {
                KernelChoice::Specialised("aarch64::fully_connected (SMULL/SADALP, 4 units)")
            }
        }
        NodeParams::Add(b) if b.b_constant.is_some() => {
            portable("a constant operand (the NEON kernel reads two arena tensors)".into())
        }
        NodeParams::Add(b) => {
            let range = |m: i32, s: i32| m >= 0 && (-31..=0).contains(&s);
            if b.a_shape != b.output_shape || b.b_shape != b.output_shape {
                portable("broadcasting (the NEON kernel takes equal shapes)".into())
            } else if !(range(b.a_multiplier, b.a_shift)
                && range(b.b_multiplier, b.b_shift)
                && range(b.output_multiplier, b.output_shift)
                && (0..=20).contains(&b.left_shift)
                && (-127..=128).contains(&b.a_offset)
                && (-127..=128).contains(&b.b_offset)
                && (-128..=127).contains(&b.output_offset))
            {
                portable("requantisation constants out of range".into())
            } else if !(-128..=127).contains(&b.act_min) || !(b.act_min..=127).contains(&b.act_max)
            {
                portable("an activation range outside int8".into())
            } else {
                KernelChoice::Specialised("aarch64::add (16 elements per step)")
            }
        }
        NodeParams::AvgPool2d(p)
            if p.channels % 16 == 0
                && matches!(
                    super::cortex_m::cortex_m(params),
                    KernelChoice::Specialised(_)
                ) =>
        {
            KernelChoice::Specialised("aarch64::pool (16 channels, SADDW)")
        }
        // The Cortex-M table kernels are plain Rust where the DSP extension is absent.
        other => super::cortex_m::cortex_m(other),
    }
}

/// The `SDOT` block of filters for `oc` output channels: 4 vectors (16 channels), fewer for
/// small layers so that no more than 3 channels per block are padding.
fn dot_vectors(oc: usize) -> usize {
    if oc >= 16 {
        4
    } else {
        oc.div_ceil(4).max(1)
    }
}

/// The matrix-multiply kernel a layer of `rows` input rows runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// `SMULL`/`SMLAL`/`SADALP` (every AArch64 core).
    Plain,
    /// `SDOT` by element.
    Dot,
    /// `SMMLA` (two rows at a time: a single row, a fully connected layer of batch 1, runs on
    /// `SDOT`, which wastes nothing).
    Mm,
}

impl Kernel {
    /// A convolution's kernel: on `aarch64-i8mm`, `SMMLA` for filters larger than 1x1 over a
    /// multiple of 16 channels (read in place, where it is fastest: ResNet-8's 3x3 layers
    /// 11-22% fewer instructions than `SDOT`), `SDOT` for the others (1x1 layers and first
    /// layers with few channels, where `SDOT` measured 12-28% fewer).
    fn conv(target: Target, g: &crate::lower::ConvGeometry) -> Kernel {
        let in_place = g.kernel_h * g.kernel_w > 1 && g.input_c % 16 == 0;
        match target {
            Target::Aarch64I8mm if in_place => Kernel::Mm,
            Target::Aarch64I8mm | Target::Aarch64Dotprod => Kernel::Dot,
            _ => Kernel::Plain,
        }
    }

    fn of(target: Target, rows: usize) -> Kernel {
        match target {
            Target::Aarch64I8mm if rows >= 2 => Kernel::Mm,
            Target::Aarch64I8mm | Target::Aarch64Dotprod => Kernel::Dot,
            _ => Kernel::Plain,
        }
    }
}

/// The `SMMLA` block of filters for `oc` output channels: 8 vectors of 2 filters (16
/// channels), fewer (an even number) for small layers.
fn mm_vectors(oc: usize) -> usize {
    if oc >= 16 {
        8
    } else {
        2 * oc.div_ceil(4).max(1)
    }
}

impl Op<'_> {
    /// The `Requant` static of `n` channels padded to `cp`.
    fn a64_requant(
        &self,
        requant: &Requant,
        folded: &[i32],
        n: usize,
        cp: usize,
    ) -> Result<TokenStream, Error> {
        let k = &self.cx.k;
        let mut mult = self.per_channel(&requant.multiplier, n, "multiplier")?;
        let mut shift = self.per_channel(&requant.shift, n, "shift")?;
        let mut bias = folded.to_vec();
        if bias.len() != n {
            return Err(self.mismatch("bias entries"));
        }
        mult.resize(cp, 0);
        shift.resize(cp, 0);
        bias.resize(cp, 0);
        let id = self.item("RQ");
        let c = usize_lit(cp);
        let (b, m, s) = (i32_list(&bias), i32_list(&mult), i32_list(&shift));
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
            static #id: #k::aarch64::Requant<#c> =
                match #k::aarch64::Requant::new(#b, #m, #s, #oo, #lo, #hi) {
                    Ok(rq) => rq,
                    Err(_) => panic!(#msg),
                };
        })
    }

    /// The matrix-multiply filters `[rows][k]`, packed for the target: the static's type and
    /// value, and the const generics after `KP` (`KCH, OB, CP` or `NB, K4, OB, CP`).
    fn a64_filters(
        &self,
        weights: &[i8],
        rows: usize,
        k: usize,
        kernel: Kernel,
    ) -> Result<(TokenStream, TokenStream, Vec<usize>), Error> {
        let kp = pack::kpad(k);
        if kernel == Kernel::Mm {
            let nv = mm_vectors(rows);
            let ob = rows.div_ceil(2 * nv);
            let mut flat = vec![0i8; ob * kp * 2 * nv];
            pack::pack_mm(weights, rows, k, nv, &mut flat)
                .map_err(|e| self.mismatch(&e.to_string()))?;
            let dims = [ob, kp / 8, nv, 16];
            let ty = array_type(&quote!(i8), &dims);
            let v = nested(&flat, &dims, &Literal::i8_unsuffixed);
            Ok((ty, v, vec![nv, kp / 8, ob, 2 * nv * ob]))
        } else if kernel == Kernel::Dot {
            let nb = dot_vectors(rows);
            let ob = rows.div_ceil(4 * nb);
            let mut flat = vec![0i8; ob * kp * 4 * nb];
            pack::pack_dot(weights, rows, k, nb, &mut flat)
                .map_err(|e| self.mismatch(&e.to_string()))?;
            let dims = [ob, kp / 4, nb, 16];
            let ty = array_type(&quote!(i8), &dims);
            let v = nested(&flat, &dims, &Literal::i8_unsuffixed);
            Ok((ty, v, vec![nb, kp / 4, ob, 4 * nb * ob]))
        } else {
            let ob = rows.div_ceil(4);
            let mut flat = vec![0i8; ob * kp * 4];
            pack::pack_c16(weights, rows, k, &mut flat)
                .map_err(|e| self.mismatch(&e.to_string()))?;
            let dims = [ob, kp / 16, 4, 16];
            let ty = array_type(&quote!(i8), &dims);
            let v = nested(&flat, &dims, &Literal::i8_unsuffixed);
            Ok((ty, v, vec![kp / 16, ob, 4 * ob]))
        }
    }

    /// The `ConvSpec` value of a convolution's geometry; padded taps read the input zero point.
    fn a64_spec(
        &self,
        g: &crate::lower::ConvGeometry,
        input_offset: i32,
    ) -> Result<TokenStream, Error> {
        let k = &self.cx.k;
        let geometry = super::cortex_m::geometry_fields(g);
        let pad = super::cortex_m::zero_point_byte(input_offset, self)?;
        Ok(quote! {
            #k::aarch64::conv::ConvSpec { #geometry pad_value: #pad, }
        })
    }

    pub(super) fn a64_conv(&self, c: &Conv2dLowered) -> Result<(TokenStream, TokenStream), Error> {
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
        let kernel = Kernel::conv(self.cx.target, g);
        let (w_ty, w_val, generics) = self.a64_filters(&c.weights, g.output_c, row, kernel)?;
        let cp = generics.last().copied().unwrap_or(0);
        let mut statics = self.a64_requant(&c.requant, &folded, g.output_c, cp)?;
        let (w_id, spec_id, rq_id) = (self.item("WEIGHTS"), self.item("SPEC"), self.item("RQ"));
        let spec = self.a64_spec(g, c.requant.input_offset)?;
        statics.extend(quote! {
            static #w_id: #w_ty = #w_val;
            static #spec_id: #k::aarch64::conv::ConvSpec = #spec;
        });
        let f = match kernel {
            Kernel::Mm => quote!(conv_mm_s8),
            Kernel::Dot => quote!(conv_dot_s8),
            Kernel::Plain => quote!(conv_s8),
        };
        let u = usize_lit;
        let (ic, oc, kp) = (u(g.input_c), u(g.output_c), u(pack::kpad(row)));
        let (kh, kw) = (u(g.kernel_h), u(g.kernel_w));
        let rest = generics.iter().map(|&v| u(v));
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::aarch64::conv::#f::<#ic, #oc, #kh, #kw, #kp, #(#rest),*>(
                &#spec_id,
                &#rq_id,
                x.as_flattened().as_flattened(),
                &#w_id,
                y.as_flattened_mut().as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    pub(super) fn a64_dense(&self, d: &DenseLowered) -> Result<(TokenStream, TokenStream), Error> {
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
        let kernel = Kernel::of(self.cx.target, d.batches);
        let (w_ty, w_val, generics) = self.a64_filters(&d.weights, d.units, d.depth, kernel)?;
        let cp = generics.last().copied().unwrap_or(0);
        let mut statics = self.a64_requant(&d.requant, &folded, d.units, cp)?;
        let (w_id, rq_id) = (self.item("WEIGHTS"), self.item("RQ"));
        statics.extend(quote!(static #w_id: #w_ty = #w_val;));
        let f = match kernel {
            Kernel::Mm => quote!(fully_connected_mm_s8),
            Kernel::Dot => quote!(fully_connected_dot_s8),
            Kernel::Plain => quote!(fully_connected_s8),
        };
        let u = usize_lit;
        let (dd, uu, kp, b) = (u(d.depth), u(d.units), u(pack::kpad(d.depth)), u(d.batches));
        let rest = generics.iter().map(|&v| u(v));
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::aarch64::conv::#f::<#dd, #uu, #kp, #(#rest),*>(
                #b,
                &#rq_id,
                x.as_flattened(),
                &#w_id,
                y.as_flattened_mut(),
            )?;
        };
        Ok((statics, call))
    }

    pub(super) fn a64_depthwise(
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
        let mut statics = self.a64_requant(&c.requant, &folded, ch, ch)?;
        let (w_id, spec_id, rq_id) = (self.item("WEIGHTS"), self.item("SPEC"), self.item("RQ"));
        let dims = [g.kernel_h, g.kernel_w, ch];
        let w_ty = array_type(&quote!(i8), &dims);
        let w_val = nested(&c.weights, &dims, &Literal::i8_unsuffixed);
        let spec = self.a64_spec(g, c.requant.input_offset)?;
        statics.extend(quote! {
            static #w_id: #w_ty = #w_val;
            static #spec_id: #k::aarch64::conv::ConvSpec = #spec;
        });
        let u = usize_lit;
        let (cc, kh, kw) = (u(ch), u(g.kernel_h), u(g.kernel_w));
        let call = quote! {
            let x = #x;
            let y = #y;
            #k::aarch64::depthwise::depthwise_s8::<#cc, #kh, #kw>(
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

impl Op<'_> {
    pub(super) fn a64_add(
        &self,
        b: &crate::lower::BinaryLowered,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let spec_id = self.item("SPEC");
        let i = Literal::i32_unsuffixed;
        let (ao, bo, ls) = (i(b.a_offset), i(b.b_offset), i(b.left_shift));
        let (am, as_, bm, bs) = (
            i(b.a_multiplier),
            i(b.a_shift),
            i(b.b_multiplier),
            i(b.b_shift),
        );
        let (om, os, oo, lo, hi) = (
            i(b.output_multiplier),
            i(b.output_shift),
            i(b.output_offset),
            i(b.act_min),
            i(b.act_max),
        );
        let msg = format!("nnd: addition constants of `{}` out of range", self.name);
        let statics = quote! {
            // Evaluated by rustc: constants out of range fail the build, never the run.
            static #spec_id: #k::aarch64::add::AddSpec = match #k::aarch64::add::AddSpec::new(
                #ao, #bo, #ls, (#am, #as_), (#bm, #bs), (#om, #os), #oo, #lo, #hi,
            ) {
                Ok(s) => s,
                Err(_) => panic!(#msg),
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
            #k::aarch64::add::add_s8::<#nn>(&#spec_id, a, b, y)?;
        };
        Ok((statics, call))
    }
}

/// The item that stops a module generated for an AArch64 target from compiling where its
/// kernels do not exist, with the fix in the message.
pub(super) fn guard(target: Target) -> TokenStream {
    match target {
        Target::Aarch64 => quote! {
            #[cfg(not(target_arch = "aarch64"))]
            compile_error!("this module was generated by nnd for target `aarch64`: compile it for an AArch64 triple (aarch64-*), or generate it for target `generic`");
        },
        Target::Aarch64Dotprod => quote! {
            #[cfg(not(all(target_arch = "aarch64", target_feature = "dotprod")))]
            compile_error!("this module was generated by nnd for target `aarch64-dotprod`: compile it for an AArch64 triple with the dot-product extension enabled (RUSTFLAGS=\"-C target-feature=+dotprod\", or a -C target-cpu that has it, e.g. cortex-a55), or generate it for target `aarch64`");
        },
        Target::Aarch64I8mm => quote! {
            #[cfg(not(all(target_arch = "aarch64", target_feature = "dotprod", target_feature = "i8mm")))]
            compile_error!("this module was generated by nnd for target `aarch64-i8mm`: compile it for an AArch64 triple with the dot-product and 8-bit matrix-multiply extensions enabled (RUSTFLAGS=\"-C target-feature=+dotprod,+i8mm\", or a -C target-cpu that has them, e.g. neoverse-v1), or generate it for target `aarch64-dotprod` or `aarch64`");
        },
        _ => TokenStream::new(),
    }
}
