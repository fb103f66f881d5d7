//! One node: its constants as `static`s and its kernel call inside `run`.
//!
//! Every operand is first a flat slice (a region of the arena, or the caller's input or output
//! array), then a typed view of it whose shape is spelled in the generated code; the typed kernel
//! wrappers of `nn_kernels::typed` take those views, so rustc checks that the view shapes, the
//! weight statics and the kernel's signature agree.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{DType, Handle, Node, Tensor};
use crate::lower::{MeanRequant, NodeParams, Requant};
use crate::plan::{Memory, Share};

use super::lit::{
    array_type, check_len, f32_lit, i32_list, i32_lit, ident, nested, usize_list, usize_lit,
};
use super::{Ctx, Error};

/// Where a tensor's bytes are, as the generated `run` reaches them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// `arena[offset + i * step .. offset + i * step + len]` (int8 only), `i` the row counter of
    /// a row loop (`step` is 0 outside one).
    Arena {
        offset: usize,
        len: usize,
        step: usize,
    },
    /// The caller's input array `i` (flattened binding `in_i`).
    Input(usize),
    /// The caller's output array `j` (flattened binding `out_j`).
    Output(usize),
}

/// Generated code of one node.
#[derive(Debug, Default)]
pub(super) struct NodeCode {
    /// `static` items.
    pub(super) statics: TokenStream,
    /// Statements inside `run` (a block, or nothing for an alias).
    pub(super) body: TokenStream,
    /// Whether the body touches the arena.
    pub(super) uses_arena: bool,
}

impl Ctx<'_> {
    pub(super) fn tensor(&self, h: Handle<Tensor>, node: &str) -> Result<&Tensor, Error> {
        self.module
            .tensors
            .get(h)
            .ok_or_else(|| malformed(node, "dangling tensor handle"))
    }

    /// The place of tensor `h`.
    pub(super) fn place(&self, h: Handle<Tensor>, node: &str) -> Result<Place, Error> {
        let t = self.tensor(h, node)?;
        let p = self
            .plan
            .tensor(h)
            .ok_or_else(|| Error::Mismatch(format!("the plan has no entry for `{}`", t.name)))?;
        match p.memory {
            Memory::Fused => Err(malformed(
                node,
                &format!("`{}` is fused into a block and has no place", t.name),
            )),
            Memory::Input(i) => Ok(Place::Input(i)),
            Memory::Output(j) => Ok(Place::Output(j)),
            Memory::Arena if t.dtype == self.arena => {
                // Offsets are aligned to the plan's alignment (a multiple of 2), so an int16
                // arena's element offset is exact.
                let size = self.arena.size_bytes();
                if p.offset % size != 0 {
                    return Err(Error::Mismatch(format!(
                        "`{}` at byte offset {} is not aligned to its {size}-byte elements",
                        t.name, p.offset
                    )));
                }
                Ok(Place::Arena {
                    offset: p.offset / size,
                    len: t.elements(),
                    step: 0,
                })
            }
            Memory::Arena => Err(Error::Unsupported {
                node: node.to_owned(),
                reason: format!(
                    "tensor `{}` is {} and in the arena; only int8 activations (int16 in a 16x8 \
                     network) live there (float tensors must be graph inputs or outputs)",
                    t.name, t.dtype
                ),
            }),
        }
    }

    /// A `&[T]` expression for reading `place` (`rest` is the arena's readable part).
    pub(super) fn read(&self, place: Place) -> TokenStream {
        match place {
            Place::Arena { offset, len, step } => {
                let (o, l) = (offset_expr(offset, step), usize_lit(len));
                quote!(rest.get(#o, #l).ok_or(VIEW_ERROR)?)
            }
            Place::Input(i) => {
                let v = format_ident!("in_{}", i);
                quote!(#v)
            }
            Place::Output(j) => {
                let v = format_ident!("out_{}", j);
                quote!(&*#v)
            }
        }
    }

    /// The statements that lend out the destination `place` as `out: &mut [T]` and make the
    /// arena readable as `rest` (when `need_rest`).
    pub(super) fn lend(&self, place: Place, need_rest: bool) -> TokenStream {
        let k = &self.k;
        match place {
            Place::Arena { offset, len, step } => {
                let (o, l) = (offset_expr(offset, step), usize_lit(len));
                let rest = if need_rest { quote!(rest) } else { quote!(_) };
                quote! {
                    let (#rest, out) = #k::typed::split_arena(arena, #o, #l).ok_or(VIEW_ERROR)?;
                }
            }
            Place::Input(_) => quote!(),
            Place::Output(j) => {
                let v = format_ident!("out_{}", j);
                let rest = if need_rest {
                    quote!(let rest = #k::typed::ArenaRest::whole(arena);)
                } else {
                    quote!()
                };
                quote! {
                    #rest
                    let out = &mut *#v;
                }
            }
        }
    }

    /// A block copying `n` elements of type `elem` from `from` to `to` (a reshape that is not an
    /// alias, or a graph input/output kept apart from its caller's array).
    pub(super) fn copy_block(
        &self,
        node: &str,
        from: Place,
        to: Place,
        elem: &TokenStream,
        n: usize,
        label: &str,
    ) -> Result<NodeCode, Error> {
        if matches!(to, Place::Input(_)) {
            return Err(malformed(node, "writes a graph input"));
        }
        let k = &self.k;
        let need_rest = matches!(from, Place::Arena { .. });
        let lend = self.lend(to, need_rest);
        let src = self.read(from);
        let n = usize_lit(n);
        let doc = self.block_doc(label);
        Ok(NodeCode {
            statics: quote!(),
            body: quote! {
                #doc
                {
                #lend
                #k::typed::copy(
                    #k::typed::array::<#elem, #n>(#src, 0).ok_or(VIEW_ERROR)?,
                    #k::typed::array_mut::<#elem, #n>(out, 0).ok_or(VIEW_ERROR)?,
                );
                }
            },
            uses_arena: need_rest || matches!(to, Place::Arena { .. }),
        })
    }

    /// A doc attribute naming a block of `run` (turned into a comment by `write_string`), or
    /// nothing for token output.
    pub(super) fn block_doc(&self, label: &str) -> TokenStream {
        if self.block_docs {
            let text = format!(" {label}");
            quote!(#[doc = #text])
        } else {
            quote!()
        }
    }

    /// The code of `node` (`prefix` names its statics).
    pub(super) fn node(
        &self,
        node: &Node,
        params: &NodeParams,
        prefix: &str,
    ) -> Result<NodeCode, Error> {
        let name = node.name.as_str();
        let out_t = self.tensor(node.output, name)?;
        let out_place = self.place(node.output, name)?;
        if let NodeParams::Copy { .. } = params {
            let share = self.plan.tensor(node.output).map(|p| p.share);
            if share == Some(Share::Alias) {
                return Ok(NodeCode::default());
            }
            let input = *node
                .inputs
                .first()
                .ok_or_else(|| malformed(name, "reshape without an input"))?;
            let in_t = self.tensor(input, name)?;
            if in_t.dtype != out_t.dtype || in_t.elements() != out_t.elements() {
                return Err(malformed(name, "reshape changes the dtype or the size"));
            }
            let from = self.place(input, name)?;
            let label = format!("`{name}` ({}, a copy)", node.op.name());
            return self.copy_block(
                name,
                from,
                out_place,
                &elem(out_t.dtype)?,
                out_t.elements(),
                &label,
            );
        }
        if let Some(Share::Rows(write)) = self.plan.tensor(node.output).map(|p| p.share) {
            return self.rows_node(node, params, prefix, write);
        }
        let mut in_place = None;
        if self.plan.tensor(node.output).map(|p| p.share) == Some(Share::InPlace) {
            // The planner puts the output at the place of the input it takes over; the kernel
            // then reads and writes that one buffer.
            let alias = self.plan.tensor(node.output).and_then(|p| p.alias_of);
            let over = node.inputs.iter().position(|&i| Some(i) == alias);
            match over {
                Some(k) if self.place(node.inputs[k], name)? == out_place => in_place = Some(k),
                _ => {
                    return Err(malformed(
                        name,
                        "planned in place but not at the place of the input it takes over",
                    ))
                }
            }
        }
        if matches!(out_place, Place::Input(_)) {
            return Err(malformed(name, "writes a graph input"));
        }
        let mut ins = Vec::with_capacity(node.inputs.len());
        for &h in &node.inputs {
            ins.push((self.tensor(h, name)?, self.place(h, name)?));
        }
        let need_rest = ins
            .iter()
            .enumerate()
            .any(|(k, (_, p))| Some(k) != in_place && matches!(p, Place::Arena { .. }));
        let uses_arena = need_rest || matches!(out_place, Place::Arena { .. });
        let op = Op {
            cx: self,
            name,
            prefix,
            ins: &ins,
            out: out_t,
            in_place,
        };
        let (statics, call) = op.emit(params)?;
        let lend = self.lend(out_place, need_rest);
        let doc = self.block_doc(&format!("`{}` ({})", name, node.op.name()));
        Ok(NodeCode {
            statics,
            body: quote! {
                #doc
                {
                    #lend
                    #call
                }
            },
            uses_arena,
        })
    }
}

/// `offset`, or `offset + i * step` inside a row loop.
fn offset_expr(offset: usize, step: usize) -> TokenStream {
    let (o, s) = (usize_lit(offset), usize_lit(step));
    match (offset, step) {
        (_, 0) => quote!(#o),
        (0, _) => quote!(i * #s),
        _ => quote!(#o + i * #s),
    }
}

/// The element type tokens of an activation dtype.
pub(super) fn elem(d: DType) -> Result<TokenStream, Error> {
    match d {
        DType::I8 => Ok(quote!(i8)),
        DType::I16 => Ok(quote!(i16)),
        DType::F32 => Ok(quote!(f32)),
        DType::I32 => Err(Error::Unsupported {
            node: String::new(),
            reason: "int32 activations have no kernels".into(),
        }),
    }
}

pub(super) fn malformed(node: &str, reason: &str) -> Error {
    Error::Malformed(format!("node `{node}`: {reason}"))
}

/// One node's operands while its code is written.
pub(super) struct Op<'a> {
    pub(super) cx: &'a Ctx<'a>,
    pub(super) name: &'a str,
    pub(super) prefix: &'a str,
    pub(super) ins: &'a [(&'a Tensor, Place)],
    pub(super) out: &'a Tensor,
    /// The input the output is written over ([`Share::InPlace`]), which is then not read
    /// separately: only the element-wise kernels run so.
    pub(super) in_place: Option<usize>,
}

impl Op<'_> {
    fn input(&self, i: usize) -> Result<(&Tensor, Place), Error> {
        self.ins
            .get(i)
            .copied()
            .ok_or_else(|| malformed(self.name, &format!("input {i} is missing")))
    }

    /// An SVDF: its constants, and a call that reads and updates its field of the caller's
    /// `State` ([`state_field`]).
    fn svdf(&self, s: &crate::lower::SvdfLowered) -> Result<(TokenStream, TokenStream), Error> {
        use crate::lower::TimeWeights;
        let k = &self.cx.k;
        let p = &s.params;
        let (filters, state_len) = p
            .filters()
            .zip(p.state_len())
            .ok_or_else(|| self.mismatch("svdf sizes overflow"))?;
        check_len(
            &format!("feature weights of `{}`", self.name),
            s.weights.len(),
            &[filters, p.input_size],
        )?;
        let (p_id, w_id, t_id, b_id) = (
            self.item("PARAMS"),
            self.item("WEIGHTS"),
            self.item("TIME_WEIGHTS"),
            self.item("BIAS"),
        );
        let field = state_field(self.prefix);
        let w = nested(&s.weights, &[s.weights.len()], &Literal::i8_unsuffixed);
        let w_ty = array_type(&quote!(i8), &[s.weights.len()]);
        let (t, t_ty, e) = match &s.time {
            TimeWeights::I8(v) => (
                nested(v, &[v.len()], &Literal::i8_unsuffixed),
                array_type(&quote!(i8), &[v.len()]),
                quote!(i8),
            ),
            TimeWeights::I16(v) => (
                nested(v, &[v.len()], &Literal::i16_unsuffixed),
                array_type(&quote!(i16), &[v.len()]),
                quote!(i16),
            ),
        };
        if s.time.len() != state_len {
            return Err(self.mismatch("time weights and state differ in size"));
        }
        let i = |v: i32| i32_lit(v);
        let u = |v: usize| usize_lit(v);
        let (n, units, rank, memory) = (u(p.input_size), u(p.units), u(p.rank), u(p.memory));
        let (io, fm, fs, sz, om, os, oz) = (
            i(p.input_offset),
            i(p.feature_multiplier),
            i(p.feature_shift),
            i(p.state_zero_point),
            i(p.output_multiplier),
            i(p.output_shift),
            i(p.output_zero_point),
        );
        let mut statics = quote! {
            static #p_id: #k::svdf::SvdfParams = #k::svdf::SvdfParams {
                input_size: #n,
                units: #units,
                rank: #rank,
                memory: #memory,
                input_offset: #io,
                feature_multiplier: #fm,
                feature_shift: #fs,
                state_zero_point: #sz,
                output_multiplier: #om,
                output_shift: #os,
                output_zero_point: #oz,
            };
            static #w_id: #w_ty = #w;
            static #t_id: #t_ty = #t;
        };
        let bias = match &s.bias {
            Some(b) => {
                let (list, ty) = (i32_list(b), array_type(&quote!(i32), &[b.len()]));
                statics.extend(quote!(static #b_id: #ty = #list;));
                quote!(Some(&#b_id))
            }
            None => quote!(None),
        };
        let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
        Ok((
            statics,
            quote! {
                let x = #x;
                let y = #y;
                #k::svdf::svdf_s8::<#e>(&#p_id, x, &#w_id, &#t_id, #bias, &mut state.#field, y)?;
            },
        ))
    }

    /// An LSTM: its constants, and a call that reads and updates its two fields of the caller's
    /// `State` ([`lstm_state_fields`]).
    fn lstm(&self, l: &crate::lower::LstmLowered) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let p = &l.params;
        let (u, n, t) = (p.units, p.input_size, p.time_steps);
        check_len(
            &format!("input weights of `{}`", self.name),
            l.input_weights.len(),
            &[4, u, n],
        )?;
        check_len(
            &format!("recurrent weights of `{}`", self.name),
            l.recurrent_weights.len(),
            &[4, u, u],
        )?;
        check_len(&format!("bias of `{}`", self.name), l.bias.len(), &[4, u])?;
        let (p_id, w_id, r_id, b_id) = (
            self.item("PARAMS"),
            self.item("WEIGHTS"),
            self.item("RECURRENT_WEIGHTS"),
            self.item("BIAS"),
        );
        let (hidden, cell) = lstm_state_fields(self.prefix);
        let w = nested(
            &l.input_weights,
            &[l.input_weights.len()],
            &Literal::i8_unsuffixed,
        );
        let w_ty = array_type(&quote!(i8), &[l.input_weights.len()]);
        let r = nested(
            &l.recurrent_weights,
            &[l.recurrent_weights.len()],
            &Literal::i8_unsuffixed,
        );
        let r_ty = array_type(&quote!(i8), &[l.recurrent_weights.len()]);
        let (b, b_ty) = (i32_list(&l.bias), array_type(&quote!(i32), &[l.bias.len()]));
        let i = |v: i32| i32_lit(v);
        let gates = p.gates.iter().map(|g| {
            let (im, is, rm, rs) = (
                i(g.input_multiplier),
                i(g.input_shift),
                i(g.recurrent_multiplier),
                i(g.recurrent_shift),
            );
            quote! {
                #k::lstm::GateParams {
                    input_multiplier: #im,
                    input_shift: #is,
                    recurrent_multiplier: #rm,
                    recurrent_shift: #rs,
                }
            }
        });
        let (t, n, u) = (usize_lit(t), usize_lit(n), usize_lit(u));
        let (io, hz) = (i(p.input_offset), i(p.hidden_zero_point));
        let (fm, fs, im, is, om, os) = (
            i(p.forget_multiplier),
            i(p.forget_shift),
            i(p.input_multiplier),
            i(p.input_shift),
            i(p.output_multiplier),
            i(p.output_shift),
        );
        let (clip_cell, clip) = (p.clip_cell, Literal::i16_unsuffixed(p.cell_clip));
        let (tm, ts) = (i(p.cell_tanh_multiplier), i(p.cell_tanh_shift));
        let statics = quote! {
            static #p_id: #k::lstm::LstmParams = #k::lstm::LstmParams {
                time_steps: #t,
                input_size: #n,
                units: #u,
                input_offset: #io,
                hidden_zero_point: #hz,
                gates: [#(#gates),*],
                forget_multiplier: #fm,
                forget_shift: #fs,
                input_multiplier: #im,
                input_shift: #is,
                output_multiplier: #om,
                output_shift: #os,
                clip_cell: #clip_cell,
                cell_clip: #clip,
                cell_tanh_multiplier: #tm,
                cell_tanh_shift: #ts,
            };
            static #w_id: #w_ty = #w;
            static #r_id: #r_ty = #r;
            static #b_id: #b_ty = #b;
        };
        let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
        Ok((
            statics,
            quote! {
                let x = #x;
                let y = #y;
                #k::lstm::lstm_s8(
                    &#p_id, x, &#w_id, &#r_id, &#b_id,
                    &mut state.#hidden, &mut state.#cell, y,
                )?;
            },
        ))
    }

    pub(super) fn item(&self, suffix: &str) -> proc_macro2::Ident {
        ident(&format!("{}_{}", self.prefix, suffix))
    }

    pub(super) fn mismatch(&self, what: &str) -> Error {
        Error::Mismatch(format!(
            "node `{}`: the lowering does not fit the module ({what})",
            self.name
        ))
    }

    /// Checks that tensor `t` has shape `dims`.
    fn expect_shape(&self, t: &Tensor, dims: &[usize]) -> Result<(), Error> {
        if t.shape == dims {
            Ok(())
        } else {
            Err(self.mismatch(&format!(
                "tensor `{}` has shape {:?}, the kernel {:?}",
                t.name, t.shape, dims
            )))
        }
    }

    /// Checks that tensor `t` has `n` elements.
    fn expect_elements(&self, t: &Tensor, n: usize) -> Result<(), Error> {
        if t.elements() == n {
            Ok(())
        } else {
            Err(self.mismatch(&format!(
                "tensor `{}` has {} elements, the kernel {n}",
                t.name,
                t.elements()
            )))
        }
    }

    /// `view3::<H, W, C>(input i)`.
    pub(super) fn in_view3(&self, i: usize, dims: [usize; 3]) -> Result<TokenStream, Error> {
        let (t, place) = self.input(i)?;
        self.expect_shape(t, &dims)?;
        let k = &self.cx.k;
        let src = self.cx.read(place);
        let [h, w, c] = dims.map(usize_lit);
        Ok(quote!(#k::typed::view3::<#h, #w, #c>(#src, 0).ok_or(VIEW_ERROR)?))
    }

    pub(super) fn out_view3(&self, dims: [usize; 3]) -> Result<TokenStream, Error> {
        self.expect_shape(self.out, &dims)?;
        let k = &self.cx.k;
        let [h, w, c] = dims.map(usize_lit);
        Ok(quote!(#k::typed::view3_mut::<#h, #w, #c>(out, 0).ok_or(VIEW_ERROR)?))
    }

    /// `view2::<i8, R, N>(input i)`.
    pub(super) fn in_rows(&self, i: usize, rows: usize, cols: usize) -> Result<TokenStream, Error> {
        let (t, place) = self.input(i)?;
        self.expect_elements(t, rows.saturating_mul(cols))?;
        let k = &self.cx.k;
        let src = self.cx.read(place);
        let (r, c) = (usize_lit(rows), usize_lit(cols));
        Ok(quote!(#k::typed::view2::<i8, #r, #c>(#src, 0).ok_or(VIEW_ERROR)?))
    }

    pub(super) fn out_rows(&self, rows: usize, cols: usize) -> Result<TokenStream, Error> {
        self.expect_elements(self.out, rows.saturating_mul(cols))?;
        let k = &self.cx.k;
        let (r, c) = (usize_lit(rows), usize_lit(cols));
        Ok(quote!(#k::typed::view2_mut::<i8, #r, #c>(out, 0).ok_or(VIEW_ERROR)?))
    }

    /// `array::<T, N>(input i)` with `N` its element count.
    pub(super) fn in_array(&self, i: usize, dtype: DType) -> Result<TokenStream, Error> {
        let (t, place) = self.input(i)?;
        if t.dtype != dtype {
            return Err(self.mismatch(&format!("input `{}` is {}", t.name, t.dtype)));
        }
        let k = &self.cx.k;
        let e = elem(dtype)?;
        let src = self.cx.read(place);
        let n = usize_lit(t.elements());
        Ok(quote!(#k::typed::array::<#e, #n>(#src, 0).ok_or(VIEW_ERROR)?))
    }

    pub(super) fn out_array(&self, dtype: DType) -> Result<TokenStream, Error> {
        if self.out.dtype != dtype {
            return Err(self.mismatch(&format!("output `{}` is {}", self.out.name, self.out.dtype)));
        }
        let k = &self.cx.k;
        let e = elem(dtype)?;
        let n = usize_lit(self.out.elements());
        Ok(quote!(#k::typed::array_mut::<#e, #n>(out, 0).ok_or(VIEW_ERROR)?))
    }

    /// The element type of a data-movement layer (pad, strided slice, resize): its output's,
    /// `i8` or `i16` (16x8 scheme).
    fn data_dtype(&self) -> Result<DType, Error> {
        match self.out.dtype {
            d @ (DType::I8 | DType::I16) => Ok(d),
            d => Err(self.mismatch(&format!("a data-movement layer on {d} tensors"))),
        }
    }

    /// Per-channel tables of `n` entries (a single entry is repeated).
    pub(super) fn per_channel(
        &self,
        values: &[i32],
        n: usize,
        what: &str,
    ) -> Result<Vec<i32>, Error> {
        match values {
            [v] => Ok(vec![*v; n]),
            _ if values.len() == n => Ok(values.to_vec()),
            _ => Err(self.mismatch(&format!("{} {what} entries for {n} channels", values.len()))),
        }
    }

    /// The static `Window` of a q7 convolution or pool.
    fn q7_window(&self, g_id: &proc_macro2::Ident, w: &crate::lower::Window) -> TokenStream {
        let k = &self.cx.k;
        let [ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl] = [
            w.input_h, w.input_w, w.input_c, w.output_h, w.output_w, w.output_c, w.kernel_h,
            w.kernel_w, w.stride_h, w.stride_w, w.pad_top, w.pad_left,
        ]
        .map(usize_lit);
        quote! {
            static #g_id: #k::q7q15::Window = #k::q7q15::Window {
                input_h: #ih, input_w: #iw, input_c: #ic,
                output_h: #oh, output_w: #ow, output_c: #oc,
                kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw,
                pad_top: #pt, pad_left: #pl,
            };
        }
    }

    /// The statics of a q7 layer: weights and bias (flat `i8` arrays) and its shifts.
    fn q7_constants(
        &self,
        w_id: &proc_macro2::Ident,
        b_id: &proc_macro2::Ident,
        s_id: &proc_macro2::Ident,
        weights: &[i8],
        bias: &[i8],
        shifts: &crate::lower::Shifts,
    ) -> TokenStream {
        let (nw, nb) = (usize_lit(weights.len()), usize_lit(bias.len()));
        let w = nested(weights, &[weights.len()], &Literal::i8_unsuffixed);
        let b = nested(bias, &[bias.len()], &Literal::i8_unsuffixed);
        let shifts = self.q7_shifts(s_id, shifts);
        quote! {
            static #w_id: [i8; #nw] = #w;
            static #b_id: [i8; #nb] = #b;
            #shifts
        }
    }

    /// The statics of a q15 layer with q15 constants: weights and bias (flat `i16` arrays) and
    /// its shifts.
    fn q15_constants(
        &self,
        w_id: &proc_macro2::Ident,
        b_id: &proc_macro2::Ident,
        s_id: &proc_macro2::Ident,
        weights: &[i16],
        bias: &[i16],
        shifts: &crate::lower::Shifts,
    ) -> TokenStream {
        let (nw, nb) = (usize_lit(weights.len()), usize_lit(bias.len()));
        let w = nested(weights, &[weights.len()], &Literal::i16_unsuffixed);
        let b = nested(bias, &[bias.len()], &Literal::i16_unsuffixed);
        let shifts = self.q7_shifts(s_id, shifts);
        quote! {
            static #w_id: [i16; #nw] = #w;
            static #b_id: [i16; #nb] = #b;
            #shifts
        }
    }

    /// The static `Shifts` of a q7 or q15 layer.
    fn q7_shifts(&self, s_id: &proc_macro2::Ident, shifts: &crate::lower::Shifts) -> TokenStream {
        let k = &self.cx.k;
        let (bs, os) = (
            Literal::u32_unsuffixed(shifts.bias_shift),
            Literal::u32_unsuffixed(shifts.out_shift),
        );
        let rounding = match shifts.rounding {
            crate::lower::Rounding::Nearest => quote!(Nearest),
            crate::lower::Rounding::Truncate => quote!(Truncate),
        };
        quote! {
            static #s_id: #k::q7q15::Shifts = #k::q7q15::Shifts {
                bias_shift: #bs,
                out_shift: #os,
                rounding: #k::q7q15::Rounding::#rounding,
            };
        }
    }

    /// Statics `MULTIPLIER`, `SHIFT`, optional `BIAS`, and the `bias` argument.
    fn requant_statics(
        &self,
        requant: &Requant,
        bias: Option<&Vec<i32>>,
        channels: usize,
        n: usize,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let mult = self.per_channel(&requant.multiplier, n, "multiplier")?;
        let shift = self.per_channel(&requant.shift, n, "shift")?;
        let (m_id, s_id, b_id) = (
            self.item("MULTIPLIER"),
            self.item("SHIFT"),
            self.item("BIAS"),
        );
        let nn = usize_lit(n);
        let (m, s) = (i32_list(&mult), i32_list(&shift));
        let mut statics = quote! {
            static #m_id: [i32; #nn] = #m;
            static #s_id: [i32; #nn] = #s;
        };
        let bias_arg = match bias {
            Some(b) => {
                check_len(&format!("bias of `{}`", self.name), b.len(), &[channels])?;
                let c = usize_lit(channels);
                let v = i32_list(b);
                statics.extend(quote!(static #b_id: [i32; #c] = #v;));
                quote!(Some(&#b_id))
            }
            None => quote!(None),
        };
        Ok((statics, bias_arg))
    }

    /// A layer of the 16x8 scheme: its constants as statics (the kernel's own parameter struct,
    /// per-channel multipliers and shifts, int8 weights, int64 bias) and a call of the portable
    /// `_s16` kernel on flat `[i16; N]` views.
    fn s16(&self, p: &crate::lower::S16Params) -> Result<(TokenStream, TokenStream), Error> {
        use crate::lower::S16Params as P;
        let k = &self.cx.k;
        let (p_id, m_id, s_id, w_id, b_id) = (
            self.item("PARAMS"),
            self.item("MULTIPLIER"),
            self.item("SHIFT"),
            self.item("WEIGHTS"),
            self.item("BIAS"),
        );
        // The statics of a multiply-accumulate layer: `n` multipliers and shifts (1 for a
        // per-tensor dense layer), the flat weights (checked against `dims`) and the bias of its
        // `channels` outputs; and the bias argument.
        let mac = |r: &Requant,
                   n: usize,
                   weights: &[i8],
                   dims: &[usize],
                   bias: Option<&Vec<i64>>,
                   channels| {
            check_len(&format!("weights of `{}`", self.name), weights.len(), dims)?;
            let m = self.per_channel(&r.multiplier, n, "multiplier")?;
            let s = self.per_channel(&r.shift, n, "shift")?;
            let (nn, nw) = (usize_lit(n), usize_lit(weights.len()));
            let (m, s) = (i32_list(&m), i32_list(&s));
            let w = nested(weights, &[weights.len()], &Literal::i8_unsuffixed);
            let mut statics = quote! {
                static #m_id: [i32; #nn] = #m;
                static #s_id: [i32; #nn] = #s;
                static #w_id: [i8; #nw] = #w;
            };
            let arg = match bias {
                Some(b) => {
                    check_len(&format!("bias of `{}`", self.name), b.len(), &[channels])?;
                    let (nc, v) = (
                        usize_lit(channels),
                        nested(b, &[channels], &Literal::i64_unsuffixed),
                    );
                    statics.extend(quote!(static #b_id: [i64; #nc] = #v;));
                    quote!(Some(&#b_id))
                }
                None => quote!(None),
            };
            Ok::<_, Error>((statics, arg))
        };
        let io = || Ok::<_, Error>((self.in_array(0, DType::I16)?, self.out_array(DType::I16)?));
        // A convolution or depthwise convolution: its statics, its parameter block, and the
        // call of kernel `f` with `groups` (convolution) before the input.
        let conv = |g: &crate::lower::ConvGeometry,
                    r: &Requant,
                    weights: &[i8],
                    dims: &[usize],
                    bias: Option<&Vec<i64>>,
                    depth_multiplier: Option<usize>,
                    f: TokenStream,
                    groups: TokenStream| {
            let (mut statics, b) = mac(r, g.output_c, weights, dims, bias, g.output_c)?;
            statics.extend(self.s16_conv_params(&p_id, &m_id, &s_id, g, r, depth_multiplier));
            let (x, y) = io()?;
            let call =
                quote! { let x = #x; let y = #y; #k::#f(&#p_id, #groups x, &#w_id, #b, y)?; };
            Ok::<_, Error>((statics, call))
        };
        let (statics, call) = match p {
            P::Conv2d(c, bias) => {
                let g = &c.geometry;
                let groups = c.groups.max(1);
                let dims = [g.output_c, g.kernel_h, g.kernel_w, g.input_c / groups];
                let gr = usize_lit(groups);
                conv(
                    g,
                    &c.requant,
                    &c.weights,
                    &dims,
                    bias.as_ref(),
                    None,
                    quote!(conv2d::conv2d_grouped_s16),
                    quote!(#gr,),
                )?
            }
            P::DepthwiseConv2d(c, bias) => {
                let g = &c.geometry;
                let dims = [g.kernel_h, g.kernel_w, g.output_c];
                conv(
                    g,
                    &c.requant,
                    &c.weights,
                    &dims,
                    bias.as_ref(),
                    Some(c.depth_multiplier),
                    quote!(depthwise_conv2d::depthwise_conv2d_s16),
                    quote!(),
                )?
            }
            P::Dense(d, bias) => {
                let n = if d.requant.multiplier.len() == 1 && d.requant.shift.len() == 1 {
                    1
                } else {
                    d.units
                };
                let dims = [d.units, d.depth];
                let (mut statics, b) =
                    mac(&d.requant, n, &d.weights, &dims, bias.as_ref(), d.units)?;
                let r = &d.requant;
                let [batches, depth, units] = [d.batches, d.depth, d.units].map(usize_lit);
                let (io_, fo, oo) = (
                    i32_lit(r.input_offset),
                    i32_lit(d.filter_offset),
                    i32_lit(r.output_offset),
                );
                let (lo, hi) = (i32_lit(r.act_min), i32_lit(r.act_max));
                statics.extend(quote! {
                    static #p_id: #k::fully_connected::FullyConnectedParams<'static> =
                        #k::fully_connected::FullyConnectedParams {
                            batches: #batches, depth: #depth, units: #units,
                            input_offset: #io_, filter_offset: #fo, output_offset: #oo,
                            output_multiplier: &#m_id, output_shift: &#s_id,
                            act_min: #lo, act_max: #hi,
                        };
                });
                let (x, y) = io()?;
                (
                    statics,
                    quote! { let x = #x; let y = #y; #k::fully_connected::fully_connected_s16(&#p_id, x, &#w_id, #b, y)?; },
                )
            }
            P::MaxPool2d(q) | P::AvgPool2d(q) => {
                let [b, ih, iw, c, oh, ow, fh, fw, sh, sw, pt, pl] = [
                    q.batches, q.input_h, q.input_w, q.channels, q.output_h, q.output_w,
                    q.filter_h, q.filter_w, q.stride_h, q.stride_w, q.pad_top, q.pad_left,
                ]
                .map(usize_lit);
                let (lo, hi) = (i32_lit(q.act_min), i32_lit(q.act_max));
                let f = if matches!(p, P::MaxPool2d(_)) {
                    quote!(max_pool2d::max_pool2d_s16)
                } else {
                    quote!(avg_pool2d::avg_pool2d_s16)
                };
                let statics = quote! {
                    static #p_id: #k::max_pool2d::Pool2dParams = #k::max_pool2d::Pool2dParams {
                        batches: #b, input_h: #ih, input_w: #iw, channels: #c,
                        output_h: #oh, output_w: #ow, filter_h: #fh, filter_w: #fw,
                        stride_h: #sh, stride_w: #sw, pad_top: #pt, pad_left: #pl,
                        act_min: #lo, act_max: #hi,
                    };
                };
                let (x, y) = io()?;
                (
                    statics,
                    quote! { let x = #x; let y = #y; #k::#f(&#p_id, x, y)?; },
                )
            }
            P::Add(bl) | P::Mul(bl) => {
                let (a_id, bs_id, o_id) = (
                    self.item("A_SHAPE"),
                    self.item("B_SHAPE"),
                    self.item("OUT_SHAPE"),
                );
                let [na, nb, no] =
                    [&bl.a_shape, &bl.b_shape, &bl.output_shape].map(|v| usize_lit(v.len()));
                let (av, bv, ov) = (
                    usize_list(&bl.a_shape),
                    usize_list(&bl.b_shape),
                    usize_list(&bl.output_shape),
                );
                let mut statics = quote! {
                    static #a_id: [usize; #na] = #av;
                    static #bs_id: [usize; #nb] = #bv;
                    static #o_id: [usize; #no] = #ov;
                };
                let (ao, bo, oo) = (
                    i32_lit(bl.a_offset),
                    i32_lit(bl.b_offset),
                    i32_lit(bl.output_offset),
                );
                let (om, os) = (i32_lit(bl.output_multiplier), i32_lit(bl.output_shift));
                let (lo, hi) = (i32_lit(bl.act_min), i32_lit(bl.act_max));
                let f = if matches!(p, P::Add(_)) {
                    let (ls, am, as_, bm, bs) = (
                        i32_lit(bl.left_shift),
                        i32_lit(bl.a_multiplier),
                        i32_lit(bl.a_shift),
                        i32_lit(bl.b_multiplier),
                        i32_lit(bl.b_shift),
                    );
                    statics.extend(quote! {
                        static #p_id: #k::add::AddParams<'static> = #k::add::AddParams {
                            a_shape: &#a_id, b_shape: &#bs_id, output_shape: &#o_id,
                            a_offset: #ao, b_offset: #bo, output_offset: #oo,
                            left_shift: #ls,
                            a_multiplier: #am, a_shift: #as_,
                            b_multiplier: #bm, b_shift: #bs,
                            output_multiplier: #om, output_shift: #os,
                            act_min: #lo, act_max: #hi,
                        };
                    });
                    quote!(add::add_s16)
                } else {
                    statics.extend(quote! {
                        static #p_id: #k::mul::MulParams<'static> = #k::mul::MulParams {
                            a_shape: &#a_id, b_shape: &#bs_id, output_shape: &#o_id,
                            a_offset: #ao, b_offset: #bo, output_offset: #oo,
                            output_multiplier: #om, output_shift: #os,
                            act_min: #lo, act_max: #hi,
                        };
                    });
                    quote!(mul::mul_s16)
                };
                let a = self.in_array(0, DType::I16)?;
                let b = self.in_array(1, DType::I16)?;
                let y = self.out_array(DType::I16)?;
                return Ok((
                    statics,
                    quote! { let a = #a; let b = #b; let y = #y; #k::#f(&#p_id, a, b, y)?; },
                ));
            }
            P::Requantize(q) => {
                let (len, iz, oz, m, s) = (
                    usize_lit(q.len),
                    i32_lit(q.input_zero_point),
                    i32_lit(q.output_zero_point),
                    i32_lit(q.multiplier),
                    i32_lit(q.shift),
                );
                return self.s16_unary(
                    &p_id,
                    quote!(requantize::RequantizeParams),
                    quote! {
                        len: #len, input_zero_point: #iz, output_zero_point: #oz,
                        multiplier: #m, shift: #s,
                    },
                    quote!(requantize::requantize_s16),
                );
            }
            P::Softmax(q) => {
                let (rows, depth, m, s) = (
                    usize_lit(q.rows),
                    usize_lit(q.depth),
                    i32_lit(q.input_multiplier),
                    i32_lit(q.input_shift),
                );
                return self.s16_unary(
                    &p_id,
                    quote!(softmax16::Softmax16Params),
                    quote! { rows: #rows, depth: #depth, input_multiplier: #m, input_shift: #s, },
                    quote!(softmax16::softmax_s16),
                );
            }
            P::Logistic(q) | P::Tanh(q) => {
                let f = if matches!(p, P::Tanh(_)) {
                    quote!(sigmoid16::tanh_s16)
                } else {
                    quote!(sigmoid16::logistic_s16)
                };
                let (len, m, s) = (
                    usize_lit(q.len),
                    i32_lit(q.input_multiplier),
                    i32_lit(q.input_left_shift),
                );
                return self.s16_unary(
                    &p_id,
                    quote!(sigmoid16::Sigmoid16Params),
                    quote! { len: #len, input_multiplier: #m, input_left_shift: #s, },
                    f,
                );
            }
            P::Quantize(q) => {
                let names = (
                    quote!(quantize::QuantizeParams),
                    quote!(quantize::quantize_f32_s16),
                );
                let io = (DType::F32, DType::I16);
                return self.s16_conversion(&p_id, names, (q.len, q.scale, q.zero_point), io);
            }
            P::Dequantize(q) => {
                let names = (
                    quote!(dequantize::DequantizeParams),
                    quote!(dequantize::dequantize_s16_f32),
                );
                let io = (DType::I16, DType::F32);
                return self.s16_conversion(&p_id, names, (q.len, q.scale, q.zero_point), io);
            }
        };
        Ok((statics, call))
    }

    /// A 16x8 element-wise layer from an int16 array to one of the same size: the static
    /// parameter block `ty { fields }` and a call of kernel `f` (paths under the kernels crate).
    fn s16_unary(
        &self,
        p_id: &proc_macro2::Ident,
        ty: TokenStream,
        fields: TokenStream,
        f: TokenStream,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let statics = quote! { static #p_id: #k::#ty = #k::#ty { #fields }; };
        let (x, y) = (self.in_array(0, DType::I16)?, self.out_array(DType::I16)?);
        Ok((
            statics,
            quote! { let x = #x; let y = #y; #k::#f(&#p_id, x, y)?; },
        ))
    }

    /// A 16x8 QUANTIZE or DEQUANTIZE: the static parameter block `names.0 { len, scale,
    /// zero_point }` and a call of kernel `names.1` from an `io.0` array to an `io.1` one.
    fn s16_conversion(
        &self,
        p_id: &proc_macro2::Ident,
        names: (TokenStream, TokenStream),
        (len, scale, zero_point): (usize, f32, i32),
        io: (DType, DType),
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        let (ty, f) = names;
        let (len, scale, zp) = (
            usize_lit(len),
            f32_lit(scale, &format!("scale of `{}`", self.name))?,
            i32_lit(zero_point),
        );
        let statics = quote! {
            #[allow(clippy::approx_constant)]
            static #p_id: #k::#ty = #k::#ty { len: #len, scale: #scale, zero_point: #zp };
        };
        let (x, y) = (self.in_array(0, io.0)?, self.out_array(io.1)?);
        Ok((
            statics,
            quote! { let x = #x; let y = #y; #k::#f(&#p_id, x, y)?; },
        ))
    }

    /// The static `Conv2dParams` (or `DepthwiseConv2dParams` with `depth_multiplier`) of a 16x8
    /// layer, pointing at its multiplier and shift statics.
    fn s16_conv_params(
        &self,
        p_id: &proc_macro2::Ident,
        m_id: &proc_macro2::Ident,
        s_id: &proc_macro2::Ident,
        g: &crate::lower::ConvGeometry,
        r: &Requant,
        depth_multiplier: Option<usize>,
    ) -> TokenStream {
        let k = &self.cx.k;
        let [ih, iw, ic, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl] = [
            g.input_h,
            g.input_w,
            g.input_c,
            g.output_h,
            g.output_w,
            g.kernel_h,
            g.kernel_w,
            g.stride_h,
            g.stride_w,
            g.dilation_h,
            g.dilation_w,
            g.pad_top,
            g.pad_left,
        ]
        .map(usize_lit);
        let (io, oo, lo, hi) = (
            i32_lit(r.input_offset),
            i32_lit(r.output_offset),
            i32_lit(r.act_min),
            i32_lit(r.act_max),
        );
        match depth_multiplier {
            None => {
                let oc = usize_lit(g.output_c);
                quote! {
                    static #p_id: #k::conv2d::Conv2dParams<'static> = #k::conv2d::Conv2dParams {
                        batches: 1, input_h: #ih, input_w: #iw, input_c: #ic,
                        output_h: #oh, output_w: #ow, output_c: #oc,
                        kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw,
                        dilation_h: #dh, dilation_w: #dw, pad_top: #pt, pad_left: #pl,
                        input_offset: #io, output_offset: #oo,
                        output_multiplier: &#m_id, output_shift: &#s_id,
                        act_min: #lo, act_max: #hi,
                    };
                }
            }
            Some(m) => {
                let m = usize_lit(m);
                quote! {
                    static #p_id: #k::depthwise_conv2d::DepthwiseConv2dParams<'static> =
                        #k::depthwise_conv2d::DepthwiseConv2dParams {
                            batches: 1, input_h: #ih, input_w: #iw, input_c: #ic,
                            depth_multiplier: #m, output_h: #oh, output_w: #ow,
                            kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw,
                            dilation_h: #dh, dilation_w: #dw, pad_top: #pt, pad_left: #pl,
                            input_offset: #io, output_offset: #oo,
                            output_multiplier: &#m_id, output_shift: &#s_id,
                            act_min: #lo, act_max: #hi,
                        };
                }
            }
        }
    }

    /// The statics and the call of a layer of a q15 network (the portable `_q15` kernels).
    fn q15(&self, p: &crate::lower::Q15Params) -> Result<(TokenStream, TokenStream), Error> {
        use crate::lower::{Q15Params, Q15Weights};
        let k = &self.cx.k;
        let (x, y) = (self.in_array(0, DType::I16)?, self.out_array(DType::I16)?);
        match p {
            Q15Params::Conv2d(c) => {
                let (w_id, b_id, g_id, s_id) = (
                    self.item("WEIGHTS"),
                    self.item("BIAS"),
                    self.item("WINDOW"),
                    self.item("SHIFTS"),
                );
                let mut statics =
                    self.q15_constants(&w_id, &b_id, &s_id, &c.weights, &c.bias, &c.shifts);
                statics.extend(self.q7_window(&g_id, &c.window));
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::q7q15::convolve_hwc_q15(&#g_id, &#s_id, x, &#w_id, &#b_id, y)?; },
                ))
            }
            Q15Params::Dense(d) => {
                let (w_id, b_id, s_id) =
                    (self.item("WEIGHTS"), self.item("BIAS"), self.item("SHIFTS"));
                let (statics, f) = match &d.weights {
                    Q15Weights::Q15 { weights, bias } => {
                        check_len(
                            &format!("weights of `{}`", self.name),
                            weights.len(),
                            &[d.units, d.depth],
                        )?;
                        (
                            self.q15_constants(&w_id, &b_id, &s_id, weights, bias, &d.shifts),
                            quote!(fully_connected_q15),
                        )
                    }
                    Q15Weights::Q7 { weights, bias } => {
                        check_len(
                            &format!("weights of `{}`", self.name),
                            weights.len(),
                            &[d.units, d.depth],
                        )?;
                        (
                            self.q7_constants(&w_id, &b_id, &s_id, weights, bias, &d.shifts),
                            quote!(fully_connected_mat_q7_vec_q15),
                        )
                    }
                };
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::q7q15::#f(&#s_id, x, &#w_id, &#b_id, y)?; },
                ))
            }
            Q15Params::Relu => Ok((
                quote!(),
                quote! { let x = #x; let y = #y; #k::q7q15::relu_q15_copy(x, y)?; },
            )),
            Q15Params::Softmax { depth, .. } => {
                let d = usize_lit(*depth);
                Ok((
                    quote!(),
                    quote! { let x = #x; let y = #y; #k::q7q15::softmax_q15_rows(#d, x, y)?; },
                ))
            }
            Q15Params::Activation {
                function,
                int_width,
            } => {
                let f = table_activation(k, *function);
                Ok((
                    quote!(),
                    quote! { let x = #x; let y = #y; #k::q7q15::activations_direct_q15_copy(x, y, #int_width, #f)?; },
                ))
            }
        }
    }

    /// The statics and the call of the node's kernel.
    pub(super) fn emit(&self, params: &NodeParams) -> Result<(TokenStream, TokenStream), Error> {
        if self.in_place.is_some() {
            // The in-place kernels are the portable ones, on every target.
            if !matches!(
                params,
                NodeParams::Relu(_)
                    | NodeParams::Relu6(_)
                    | NodeParams::Lut(_)
                    | NodeParams::Logistic(_)
                    | NodeParams::Tanh(_)
                    | NodeParams::Requantize(_)
                    | NodeParams::Add(_)
                    | NodeParams::Sub(_)
                    | NodeParams::Mul(_)
                    | NodeParams::Maximum(_)
                    | NodeParams::Minimum(_)
                    | NodeParams::Prelu(_)
            ) {
                return Err(Error::Unsupported {
                    node: self.name.to_owned(),
                    reason: "only element-wise layers run in place".into(),
                });
            }
        } else if let Some(code) = self.specialised(params)? {
            return Ok(code);
        }
        let k = &self.cx.k;
        match params {
            NodeParams::S16(p) => self.s16(p),
            NodeParams::Q15(p) => self.q15(p),
            NodeParams::Q7Conv2d(c) | NodeParams::Q7DepthwiseConv2d(c) => {
                let f = if matches!(params, NodeParams::Q7Conv2d(_)) {
                    quote!(convolve_hwc_q7)
                } else {
                    quote!(depthwise_conv_hwc_q7)
                };
                let (w_id, b_id, g_id, s_id) = (
                    self.item("WEIGHTS"),
                    self.item("BIAS"),
                    self.item("WINDOW"),
                    self.item("SHIFTS"),
                );
                let mut statics =
                    self.q7_constants(&w_id, &b_id, &s_id, &c.weights, &c.bias, &c.shifts);
                statics.extend(self.q7_window(&g_id, &c.window));
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::q7q15::#f(&#g_id, &#s_id, x, &#w_id, &#b_id, y)?; },
                ))
            }
            NodeParams::Q7Dense(d) => {
                let (w_id, b_id, s_id) =
                    (self.item("WEIGHTS"), self.item("BIAS"), self.item("SHIFTS"));
                check_len(
                    &format!("weights of `{}`", self.name),
                    d.weights.len(),
                    &[d.units, d.depth],
                )?;
                let statics =
                    self.q7_constants(&w_id, &b_id, &s_id, &d.weights, &d.bias, &d.shifts);
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::q7q15::fully_connected_q7(&#s_id, x, &#w_id, &#b_id, y)?; },
                ))
            }
            NodeParams::Q7AvgPool2d(w) => {
                let g_id = self.item("WINDOW");
                let statics = self.q7_window(&g_id, w);
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::q7q15::avepool_hwc_q7(&#g_id, x, y)?; },
                ))
            }
            NodeParams::Q7Softmax { depth, .. } => {
                let d = usize_lit(*depth);
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    quote!(),
                    quote! { let x = #x; let y = #y; #k::q7q15::softmax_q7_rows(#d, x, y)?; },
                ))
            }
            NodeParams::Q7Activation {
                function,
                int_width,
            } => {
                let f = table_activation(k, *function);
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    quote!(),
                    quote! { let x = #x; let y = #y; #k::q7q15::activations_direct_q7_copy(x, y, #int_width, #f)?; },
                ))
            }
            NodeParams::Conv2d(c) => {
                let g = &c.geometry;
                let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
                let y = self.out_view3([g.output_h, g.output_w, g.output_c])?;
                let groups = c.groups.max(1);
                let dims = [g.output_c, g.kernel_h, g.kernel_w, g.input_c / groups];
                let kernel = if groups == 1 {
                    quote!(conv2d)
                } else {
                    quote!(conv2d_grouped)
                };
                self.conv_like(
                    spec_geometry(g),
                    &c.requant,
                    c.bias.as_ref(),
                    &c.weights,
                    &dims,
                    g.output_c,
                    kernel,
                    x,
                    y,
                )
            }
            NodeParams::TransposeConv2d(c) => {
                let g = &c.geometry;
                let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
                let y = self.out_view3([g.output_h, g.output_w, g.output_c])?;
                let dims = [g.output_c, g.kernel_h, g.kernel_w, g.input_c];
                self.conv_like(
                    spec_geometry(g),
                    &c.requant,
                    c.bias.as_ref(),
                    &c.weights,
                    &dims,
                    g.output_c,
                    quote!(transpose_conv2d),
                    x,
                    y,
                )
            }
            NodeParams::DepthwiseConv2d(c) => {
                let g = &c.geometry;
                let x = self.in_view3(0, [g.input_h, g.input_w, g.input_c])?;
                let y = self.out_view3([g.output_h, g.output_w, g.output_c])?;
                let dims = [g.kernel_h, g.kernel_w, g.output_c];
                self.conv_like(
                    spec_geometry(g),
                    &c.requant,
                    c.bias.as_ref(),
                    &c.weights,
                    &dims,
                    g.output_c,
                    quote!(depthwise_conv2d),
                    x,
                    y,
                )
            }
            NodeParams::Dense(d) => {
                let x = self.in_rows(0, d.batches, d.depth)?;
                let y = self.out_rows(d.batches, d.units)?;
                let n = if d.requant.multiplier.len() == 1 && d.requant.shift.len() == 1 {
                    1
                } else {
                    d.units
                };
                let (mut statics, bias) =
                    self.requant_statics(&d.requant, d.bias.as_ref(), d.units, n)?;
                let what = format!("weights of `{}`", self.name);
                check_len(&what, d.weights.len(), &[d.units, d.depth])?;
                let (w_id, spec_id, m_id, s_id) = (
                    self.item("WEIGHTS"),
                    self.item("SPEC"),
                    self.item("MULTIPLIER"),
                    self.item("SHIFT"),
                );
                let w_ty = array_type(&quote!(i8), &[d.units, d.depth]);
                let w = nested(&d.weights, &[d.units, d.depth], &Literal::i8_unsuffixed);
                let nn = usize_lit(n);
                let r = &d.requant;
                let (io, fo, oo) = (
                    i32_lit(r.input_offset),
                    i32_lit(d.filter_offset),
                    i32_lit(r.output_offset),
                );
                let act = i32_list(&[r.act_min, r.act_max]);
                statics.extend(quote! {
                    static #w_id: #w_ty = #w;
                    static #spec_id: #k::typed::FcSpec<'static, #nn> = #k::typed::FcSpec {
                        input_offset: #io,
                        filter_offset: #fo,
                        output_offset: #oo,
                        output_multiplier: &#m_id,
                        output_shift: &#s_id,
                        act: #act,
                    };
                });
                let call = quote! { let x = #x; let y = #y; #k::typed::fully_connected(&#spec_id, x, &#w_id, #bias, y)?; };
                Ok((statics, call))
            }
            NodeParams::MaxPool2d(p) | NodeParams::AvgPool2d(p) => {
                if p.batches != 1 {
                    return Err(self.mismatch("pooling over more than one batch"));
                }
                let x = self.in_view3(0, [p.input_h, p.input_w, p.channels])?;
                let y = self.out_view3([p.output_h, p.output_w, p.channels])?;
                let spec_id = self.item("SPEC");
                let (f, s, pad, act) = (
                    usize_list(&[p.filter_h, p.filter_w]),
                    usize_list(&[p.stride_h, p.stride_w]),
                    usize_list(&[p.pad_top, p.pad_left]),
                    i32_list(&[p.act_min, p.act_max]),
                );
                let kernel = if matches!(params, NodeParams::MaxPool2d(_)) {
                    quote!(max_pool2d)
                } else {
                    quote!(avg_pool2d)
                };
                let statics = quote! {
                    static #spec_id: #k::typed::PoolSpec = #k::typed::PoolSpec {
                        filter: #f,
                        stride: #s,
                        pad: #pad,
                        act: #act,
                    };
                };
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::#kernel(&#spec_id, x, y)?; },
                ))
            }
            NodeParams::Mean(m) => {
                let p_id = self.item("PARAMS");
                let (shape, axes) = (usize_list(&m.input_shape), usize_list(&m.axes));
                let requant = match m.requant {
                    MeanRequant::Same => quote!(#k::mean::MeanRequant::Same),
                    MeanRequant::Requant {
                        multiplier,
                        shift,
                        input_zero_point,
                        output_zero_point,
                    } => {
                        let (a, b, c, d) = (
                            i32_lit(multiplier),
                            i32_lit(shift),
                            i32_lit(input_zero_point),
                            i32_lit(output_zero_point),
                        );
                        quote!(#k::mean::MeanRequant::Requant {
                            multiplier: #a,
                            shift: #b,
                            input_zero_point: #c,
                            output_zero_point: #d,
                        })
                    }
                };
                let statics = quote! {
                    static #p_id: #k::mean::MeanParams<'static> = #k::mean::MeanParams {
                        input_shape: &#shape,
                        axes: &#axes,
                        requant: #requant,
                    };
                };
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::mean(&#p_id, x, y)?; },
                ))
            }
            NodeParams::Add(b) | NodeParams::Mul(b) | NodeParams::Sub(b) => {
                let is_add = !matches!(params, NodeParams::Mul(_));
                let p_id = self.item("PARAMS");
                let (sa, sb, so) = (
                    usize_list(&b.a_shape),
                    usize_list(&b.b_shape),
                    usize_list(&b.output_shape),
                );
                let i = |v: i32| i32_lit(v);
                let (ao, bo, oo, om, os, amin, amax) = (
                    i(b.a_offset),
                    i(b.b_offset),
                    i(b.output_offset),
                    i(b.output_multiplier),
                    i(b.output_shift),
                    i(b.act_min),
                    i(b.act_max),
                );
                let statics = if is_add {
                    let (ls, am, ash, bm, bsh) = (
                        i(b.left_shift),
                        i(b.a_multiplier),
                        i(b.a_shift),
                        i(b.b_multiplier),
                        i(b.b_shift),
                    );
                    quote! {
                        static #p_id: #k::add::AddParams<'static> = #k::add::AddParams {
                            a_shape: &#sa,
                            b_shape: &#sb,
                            output_shape: &#so,
                            a_offset: #ao,
                            b_offset: #bo,
                            output_offset: #oo,
                            left_shift: #ls,
                            a_multiplier: #am,
                            a_shift: #ash,
                            b_multiplier: #bm,
                            b_shift: #bsh,
                            output_multiplier: #om,
                            output_shift: #os,
                            act_min: #amin,
                            act_max: #amax,
                        };
                    }
                } else {
                    quote! {
                        static #p_id: #k::mul::MulParams<'static> = #k::mul::MulParams {
                            a_shape: &#sa,
                            b_shape: &#sb,
                            output_shape: &#so,
                            a_offset: #ao,
                            b_offset: #bo,
                            output_offset: #oo,
                            output_multiplier: #om,
                            output_shift: #os,
                            act_min: #amin,
                            act_max: #amax,
                        };
                    }
                };
                let y = self.out_array(DType::I8)?;
                let mut statics = statics;
                let bb = match &b.b_constant {
                    Some(c) => {
                        let what = format!("constant operand of `{}`", self.name);
                        check_len(&what, c.len(), &b.b_shape)?;
                        let c_id = self.item("OPERAND");
                        let c_ty = array_type(&quote!(i8), &[c.len()]);
                        let values = nested(c, &[c.len()], &Literal::i8_unsuffixed);
                        statics.extend(quote! { static #c_id: #c_ty = #values; });
                        quote!(&#c_id)
                    }
                    None if self.in_place == Some(1) => quote!(),
                    None => self.in_array(1, DType::I8)?,
                };
                let f = match params {
                    NodeParams::Add(_) => "add",
                    NodeParams::Sub(_) => "sub",
                    _ => "mul",
                };
                let call = self.binary_call(f, &p_id, bb, y)?;
                Ok((statics, call))
            }
            NodeParams::Maximum(m) | NodeParams::Minimum(m) => {
                let p_id = self.item("PARAMS");
                let (sa, sb, so) = (
                    usize_list(&m.a_shape),
                    usize_list(&m.b_shape),
                    usize_list(&m.output_shape),
                );
                let statics = quote! {
                    static #p_id: #k::minmax::MinMaxParams<'static> = #k::minmax::MinMaxParams {
                        a_shape: &#sa,
                        b_shape: &#sb,
                        output_shape: &#so,
                    };
                };
                let bb = if self.in_place == Some(1) {
                    quote!()
                } else {
                    self.in_array(1, DType::I8)?
                };
                let y = self.out_array(DType::I8)?;
                let f = if matches!(params, NodeParams::Maximum(_)) {
                    "maximum"
                } else {
                    "minimum"
                };
                let call = self.binary_call(f, &p_id, bb, y)?;
                Ok((statics, call))
            }
            NodeParams::Prelu(p) => {
                let what = format!("alpha of `{}`", self.name);
                check_len(&what, p.alpha.len(), &p.alpha_shape)?;
                let (p_id, a_id) = (self.item("PARAMS"), self.item("ALPHA"));
                let (si, sa) = (usize_list(&p.input_shape), usize_list(&p.alpha_shape));
                let i = |v: i32| i32_lit(v);
                let (io, ao, oo, m1, s1, m2, s2) = (
                    i(p.input_offset),
                    i(p.alpha_offset),
                    i(p.output_offset),
                    i(p.multiplier_identity),
                    i(p.shift_identity),
                    i(p.multiplier_alpha),
                    i(p.shift_alpha),
                );
                let alpha = nested(&p.alpha, &[p.alpha.len()], &Literal::i8_unsuffixed);
                let a_ty = array_type(&quote!(i8), &[p.alpha.len()]);
                let statics = quote! {
                    static #a_id: #a_ty = #alpha;
                    static #p_id: #k::prelu::PreluParams<'static> = #k::prelu::PreluParams {
                        input_shape: &#si,
                        alpha_shape: &#sa,
                        output_shape: &#si,
                        input_offset: #io,
                        alpha_offset: #ao,
                        output_offset: #oo,
                        multiplier_identity: #m1,
                        shift_identity: #s1,
                        multiplier_alpha: #m2,
                        shift_alpha: #s2,
                    };
                };
                if self.in_place == Some(0) {
                    let y = self.out_array(DType::I8)?;
                    return Ok((
                        statics,
                        quote! { let y = #y; #k::typed::prelu_in_place(&#p_id, y, &#a_id)?; },
                    ));
                }
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::prelu(&#p_id, x, &#a_id, y)?; },
                ))
            }
            NodeParams::Svdf(s) => self.svdf(s),
            NodeParams::Lstm(l) => self.lstm(l),
            NodeParams::Concat(c) => {
                if c.axis_sizes.len() != self.ins.len() {
                    return Err(self.mismatch("concat sizes and inputs differ in number"));
                }
                let p_id = self.item("PARAMS");
                let (outer, inner, sizes) = (
                    usize_lit(c.outer),
                    usize_lit(c.inner),
                    usize_list(&c.axis_sizes),
                );
                let statics = quote! {
                    static #p_id: #k::concat::ConcatParams<'static> = #k::concat::ConcatParams {
                        outer: #outer,
                        inner: #inner,
                        axis_sizes: &#sizes,
                    };
                };
                let srcs = self.ins.iter().map(|(_, p)| self.cx.read(*p));
                let names: Vec<_> = (0..self.ins.len())
                    .map(|i| format_ident!("x{}", i))
                    .collect();
                let d = self.data_dtype()?;
                let e = elem(d)?;
                let y = self.out_array(d)?;
                let call = quote! {
                    #(let #names: &[#e] = #srcs;)*
                    let y = #y;
                    #k::typed::concat(&#p_id, &[#(#names),*], y)?;
                };
                Ok((statics, call))
            }
            NodeParams::Pad(p) => {
                let p_id = self.item("PARAMS");
                let shape = usize_list(&p.input_shape);
                let pads = p.paddings.iter().map(|pp| usize_list(pp));
                let v = Literal::i8_unsuffixed(p.pad_value);
                let statics = quote! {
                    static #p_id: #k::pad::PadParams<'static> = #k::pad::PadParams {
                        input_shape: &#shape,
                        paddings: &[#(#pads),*],
                        pad_value: #v,
                    };
                };
                let d = self.data_dtype()?;
                let (x, y) = (self.in_array(0, d)?, self.out_array(d)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::pad(&#p_id, x, y)?; },
                ))
            }
            NodeParams::ResizeNearest(p) => {
                let p_id = self.item("PARAMS");
                let shape = usize_list(&p.input_shape);
                let (rows, cols) = (usize_list(&p.rows), usize_list(&p.cols));
                let statics = quote! {
                    static #p_id: #k::resize::ResizeNearestParams<'static> =
                        #k::resize::ResizeNearestParams {
                            input_shape: #shape,
                            rows: &#rows,
                            cols: &#cols,
                        };
                };
                let d = self.data_dtype()?;
                let (x, y) = (self.in_array(0, d)?, self.out_array(d)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::resize_nearest(&#p_id, x, y)?; },
                ))
            }
            NodeParams::StridedSlice(p) => {
                let p_id = self.item("PARAMS");
                let shape = usize_list(&p.input_shape);
                let begin = usize_list(&p.begin);
                let sizes = usize_list(&p.sizes);
                let steps = p.strides.iter().map(|&s| Literal::isize_unsuffixed(s));
                let statics = quote! {
                    static #p_id: #k::strided_slice::StridedSliceParams<'static> =
                        #k::strided_slice::StridedSliceParams {
                            input_shape: &#shape,
                            begin: &#begin,
                            strides: &[#(#steps),*],
                            sizes: &#sizes,
                        };
                };
                let d = self.data_dtype()?;
                let (x, y) = (self.in_array(0, d)?, self.out_array(d)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::strided_slice(&#p_id, x, y)?; },
                ))
            }
            NodeParams::Relu(p) => {
                let p_id = self.item("PARAMS");
                let i = |v: i32| i32_lit(v);
                let (len, iz, oz, m, s, lo, hi) = (
                    usize_lit(p.len),
                    i(p.input_zero_point),
                    i(p.output_zero_point),
                    i(p.multiplier),
                    i(p.shift),
                    i(p.act_min),
                    i(p.act_max),
                );
                let statics = quote! {
                    static #p_id: #k::relu::ReluParams = #k::relu::ReluParams {
                        len: #len,
                        input_zero_point: #iz,
                        output_zero_point: #oz,
                        multiplier: #m,
                        shift: #s,
                        act_min: #lo,
                        act_max: #hi,
                    };
                };
                self.unary(statics, quote!(relu), &p_id)
            }
            NodeParams::Relu6(p) => {
                let p_id = self.item("PARAMS");
                let (len, lo, hi) = (
                    usize_lit(p.len),
                    Literal::i8_unsuffixed(p.lower),
                    Literal::i8_unsuffixed(p.upper),
                );
                let statics = quote! {
                    static #p_id: #k::relu::Relu6Params = #k::relu::Relu6Params {
                        len: #len,
                        lower: #lo,
                        upper: #hi,
                    };
                };
                self.unary(statics, quote!(relu6), &p_id)
            }
            NodeParams::Lut(p) => {
                let p_id = self.item("PARAMS");
                let len = usize_lit(p.len);
                let table = nested(&p.table, &[256], &Literal::i8_unsuffixed);
                let statics = quote! {
                    static #p_id: #k::lut::LutParams = #k::lut::LutParams {
                        len: #len,
                        table: #table,
                    };
                };
                self.unary(statics, quote!(lut), &p_id)
            }
            NodeParams::Logistic(p) | NodeParams::Tanh(p) => {
                let p_id = self.item("PARAMS");
                let (len, iz, r, m, s) = (
                    usize_lit(p.len),
                    i32_lit(p.input_zero_point),
                    i32_lit(p.input_range_radius),
                    i32_lit(p.input_multiplier),
                    i32_lit(p.input_left_shift),
                );
                let statics = quote! {
                    static #p_id: #k::logistic::LogisticParams = #k::logistic::LogisticParams {
                        len: #len,
                        input_zero_point: #iz,
                        input_range_radius: #r,
                        input_multiplier: #m,
                        input_left_shift: #s,
                    };
                };
                let f = if matches!(params, NodeParams::Logistic(_)) {
                    quote!(logistic)
                } else {
                    quote!(tanh)
                };
                self.unary(statics, f, &p_id)
            }
            NodeParams::Requantize(p) => {
                let p_id = self.item("PARAMS");
                let (len, iz, oz, m, s) = (
                    usize_lit(p.len),
                    i32_lit(p.input_zero_point),
                    i32_lit(p.output_zero_point),
                    i32_lit(p.multiplier),
                    i32_lit(p.shift),
                );
                let statics = quote! {
                    static #p_id: #k::requantize::RequantizeParams = #k::requantize::RequantizeParams {
                        len: #len,
                        input_zero_point: #iz,
                        output_zero_point: #oz,
                        multiplier: #m,
                        shift: #s,
                    };
                };
                self.unary(statics, quote!(requantize), &p_id)
            }
            NodeParams::Softmax(p) => {
                let x = self.in_rows(0, p.outer, p.depth)?;
                let y = self.out_rows(p.outer, p.depth)?;
                let (m, s, d) = (
                    i32_lit(p.input_multiplier),
                    i32_lit(p.input_left_shift),
                    i32_lit(p.diff_min),
                );
                Ok((
                    quote!(),
                    quote! { let x = #x; let y = #y; #k::typed::softmax_rows(#m, #s, #d, x, y)?; },
                ))
            }
            NodeParams::Quantize(p) => {
                let p_id = self.item("PARAMS");
                let (len, scale, zp) = (
                    usize_lit(p.len),
                    f32_lit(p.scale, &format!("scale of `{}`", self.name))?,
                    i32_lit(p.zero_point),
                );
                let statics = quote! {
                    #[allow(clippy::approx_constant)]
                    static #p_id: #k::quantize::QuantizeParams = #k::quantize::QuantizeParams {
                        len: #len,
                        scale: #scale,
                        zero_point: #zp,
                    };
                };
                let (x, y) = (self.in_array(0, DType::F32)?, self.out_array(DType::I8)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::quantize(&#p_id, x, y)?; },
                ))
            }
            NodeParams::Dequantize(p) => {
                let p_id = self.item("PARAMS");
                let (len, scale, zp) = (
                    usize_lit(p.len),
                    f32_lit(p.scale, &format!("scale of `{}`", self.name))?,
                    i32_lit(p.zero_point),
                );
                let statics = quote! {
                    #[allow(clippy::approx_constant)]
                    static #p_id: #k::dequantize::DequantizeParams = #k::dequantize::DequantizeParams {
                        len: #len,
                        scale: #scale,
                        zero_point: #zp,
                    };
                };
                let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::F32)?);
                Ok((
                    statics,
                    quote! { let x = #x; let y = #y; #k::typed::dequantize(&#p_id, x, y)?; },
                ))
            }
            NodeParams::Copy { .. } => Err(malformed(self.name, "reshape reached the kernel path")),
        }
    }

    /// An element-wise int8 op with a params static.
    /// The call of binary kernel `f` (`add`, `sub`, `mul`, `maximum`, `minimum`) with `b` the
    /// second operand's expression (empty when the output is written over it): out of place
    /// `f(p, a, b, y)`, or `f_in_place(p, y, Over::A|B, other)` over the operand the planner chose.
    fn binary_call(
        &self,
        f: &str,
        p_id: &proc_macro2::Ident,
        b: TokenStream,
        y: TokenStream,
    ) -> Result<TokenStream, Error> {
        let k = &self.cx.k;
        let call = match self.in_place {
            None => {
                let a = self.in_array(0, DType::I8)?;
                let f = format_ident!("{}", f);
                quote! { let a = #a; let b = #b; let y = #y; #k::typed::#f(&#p_id, a, b, y)?; }
            }
            Some(0) => {
                let f = format_ident!("{}_in_place", f);
                quote! { let b = #b; let y = #y; #k::typed::#f(&#p_id, y, #k::add::Over::A, b)?; }
            }
            Some(_) => {
                let a = self.in_array(0, DType::I8)?;
                let f = format_ident!("{}_in_place", f);
                quote! { let a = #a; let y = #y; #k::typed::#f(&#p_id, y, #k::add::Over::B, a)?; }
            }
        };
        Ok(call)
    }

    fn unary(
        &self,
        statics: TokenStream,
        f: TokenStream,
        p_id: &proc_macro2::Ident,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        if self.in_place.is_some() {
            let y = self.out_array(DType::I8)?;
            let f = format_ident!("{}_in_place", f.to_string());
            return Ok((statics, quote! { let y = #y; #k::typed::#f(&#p_id, y)?; }));
        }
        let (x, y) = (self.in_array(0, DType::I8)?, self.out_array(DType::I8)?);
        Ok((
            statics,
            quote! { let x = #x; let y = #y; #k::typed::#f(&#p_id, x, y)?; },
        ))
    }

    /// Convolution or depthwise convolution: filter, tables, spec and call.
    #[allow(clippy::too_many_arguments)]
    fn conv_like(
        &self,
        geometry: SpecGeometry,
        requant: &Requant,
        bias: Option<&Vec<i32>>,
        weights: &[i8],
        filter_dims: &[usize],
        channels: usize,
        kernel: TokenStream,
        x: TokenStream,
        y: TokenStream,
    ) -> Result<(TokenStream, TokenStream), Error> {
        let k = &self.cx.k;
        check_len(
            &format!("filter of `{}`", self.name),
            weights.len(),
            filter_dims,
        )?;
        let (mut statics, bias) = self.requant_statics(requant, bias, channels, channels)?;
        let (f_id, spec_id, m_id, s_id) = (
            self.item("FILTER"),
            self.item("SPEC"),
            self.item("MULTIPLIER"),
            self.item("SHIFT"),
        );
        let f_ty = array_type(&quote!(i8), filter_dims);
        let f = nested(weights, filter_dims, &Literal::i8_unsuffixed);
        let oc = usize_lit(channels);
        let (stride, dilation, pad) = (
            usize_list(&geometry.stride),
            usize_list(&geometry.dilation),
            usize_list(&geometry.pad),
        );
        let (io, oo) = (
            i32_lit(requant.input_offset),
            i32_lit(requant.output_offset),
        );
        let act = i32_list(&[requant.act_min, requant.act_max]);
        statics.extend(quote! {
            static #f_id: #f_ty = #f;
            static #spec_id: #k::typed::ConvSpec<'static, #oc> = #k::typed::ConvSpec {
                stride: #stride,
                dilation: #dilation,
                pad: #pad,
                input_offset: #io,
                output_offset: #oo,
                output_multiplier: &#m_id,
                output_shift: &#s_id,
                act: #act,
            };
        });
        let call =
            quote! { let x = #x; let y = #y; #k::typed::#kernel(&#spec_id, x, &#f_id, #bias, y)?; };
        Ok((statics, call))
    }
}

/// Stride, dilation and leading padding of a convolution.
#[derive(Clone, Copy, Debug)]
struct SpecGeometry {
    stride: [usize; 2],
    dilation: [usize; 2],
    pad: [usize; 2],
}

fn spec_geometry(g: &crate::lower::ConvGeometry) -> SpecGeometry {
    SpecGeometry {
        stride: [g.stride_h, g.stride_w],
        dilation: [g.dilation_h, g.dilation_w],
        pad: [g.pad_top, g.pad_left],
    }
}

/// The field of the generated `State` that holds the state of the node whose statics are
/// prefixed `prefix`: the prefix in lower case (with `_` appended where that is a keyword).
pub(super) fn state_field(prefix: &str) -> proc_macro2::Ident {
    let lower = prefix.to_ascii_lowercase();
    if syn::parse_str::<syn::Ident>(&lower).is_ok() {
        ident(&lower)
    } else {
        ident(&format!("{lower}_"))
    }
}

/// The fields of the generated `State` that hold the hidden and cell states of the LSTM whose
/// statics are prefixed `prefix`: `<prefix>_hidden` and `<prefix>_cell`, in lower case.
pub(super) fn lstm_state_fields(prefix: &str) -> (proc_macro2::Ident, proc_macro2::Ident) {
    let lower = prefix.to_ascii_lowercase();
    (
        ident(&format!("{lower}_hidden")),
        ident(&format!("{lower}_cell")),
    )
}

/// The kernels' name of a table activation's function.
fn table_activation(k: &TokenStream, f: crate::lower::TableActivation) -> TokenStream {
    match f {
        crate::lower::TableActivation::Sigmoid => quote!(#k::q7q15::Activation::Sigmoid),
        crate::lower::TableActivation::Tanh => quote!(#k::q7q15::Activation::Tanh),
    }
}
