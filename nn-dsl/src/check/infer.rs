//! Shape and dtype inference per operator (TensorFlow Lite rules; shapes exclude the batch).
//!
//! Each function checks its inputs' dtypes and ranks first (these do not depend on attributes, so
//! they are reported even when an attribute is wrong), then reads the attributes that passed
//! parsing, computes the output shape with checked arithmetic and returns the resolved [`Op`].
//! `None` means "poisoned": the problem was reported and the output tensor is not created.

use crate::ir::{
    Conv2d, DType, Dense, DepthwiseConv2d, Lstm, Op, Padding2d, PaddingScheme, Pool2d, Svdf,
    TransposeConv2d, Window2d,
};
use crate::shape::{self, Padding};
use crate::span::Span;

use super::attrs::{Attrs, PadAttr};
use super::error::{CheckError, TensorRef, TooLargeWhat, MAX_ELEMENTS};
use super::ops::OpSpec;
use super::resolve::Checker;

/// What a successful inference produces.
pub(crate) type Inferred = (Op, Vec<usize>, DType);

const HWC: &str = "a rank-3 input [H, W, C]";

impl Checker<'_> {
    /// Infers the output of `spec` applied to `args` (whose count already matches the arity).
    pub(crate) fn infer(
        &mut self,
        spec: &'static OpSpec,
        args: &[TensorRef],
        attrs: &Attrs,
        name: &str,
        call: Span,
    ) -> Option<Inferred> {
        let x = args.first()?;
        match spec.name {
            "conv2d" | "conv1d" => self.conv2d(spec.name, x, attrs, name, call),
            "depthwise_conv2d" | "depthwise_conv1d" => {
                self.depthwise(spec.name, x, attrs, name, call)
            }
            "transpose_conv2d" => self.transpose_conv2d(x, attrs, name, call),
            "dense" => self.dense(x, attrs, name, call),
            "svdf" => self.svdf(x, attrs, name, call),
            "lstm" => self.lstm(x, attrs, name, call),
            "max_pool2d" | "avg_pool2d" | "max_pool1d" | "avg_pool1d" => {
                self.pool(spec.name, x, attrs)
            }
            "global_avg_pool" => {
                let dt = self.need_dtype(spec.name, x, DType::I8);
                let [_, _, c] = self.need_hwc(spec.name, x)?;
                dt?;
                let keep_dims = attrs.flag("keep_dims", false)?;
                let shape = if keep_dims { vec![1, 1, c] } else { vec![c] };
                Some((Op::GlobalAvgPool { keep_dims }, shape, DType::I8))
            }
            "mean" => self.mean(x, attrs),
            "add" | "mul" | "sub" | "maximum" | "minimum" => self.binary(spec.name, args, attrs),
            "prelu" => self.prelu(x, attrs),
            "concat" => self.concat(args, attrs, call),
            "reshape" => self.reshape(x, attrs, call),
            "flatten" => Some((Op::Flatten, vec![elements(&x.shape)?], x.dtype)),
            "pad" => self.pad(x, attrs, call),
            "resize_nearest" => self.resize_nearest(x, attrs),
            "strided_slice" => self.strided_slice(x, attrs),
            "split" => self.split(x, attrs),
            "relu" | "relu6" | "leaky_relu" | "hard_swish" | "logistic" | "tanh" => {
                self.need_dtype(spec.name, x, DType::I8)?;
                let op = match spec.name {
                    "relu" => Op::Relu,
                    "relu6" => Op::Relu6,
                    "leaky_relu" => Op::LeakyRelu {
                        alpha: attrs.float("alpha", 0.0)? as f32,
                    },
                    "hard_swish" => Op::HardSwish,
                    "logistic" => Op::Logistic,
                    _ => Op::Tanh,
                };
                Some((op, x.shape.clone(), DType::I8))
            }
            "softmax" => {
                let dt = self.need_dtype(spec.name, x, DType::I8);
                if x.shape.is_empty() {
                    self.errors.push(CheckError::Rank {
                        op: spec.name,
                        arg: x.clone(),
                        expected: "an input of rank 1 or more",
                    });
                    return None;
                }
                dt?;
                let beta = attrs.float("beta", 1.0)? as f32;
                Some((Op::Softmax { beta }, x.shape.clone(), DType::I8))
            }
            "quantize" => {
                self.need_dtype(spec.name, x, DType::F32)?;
                Some((Op::Quantize, x.shape.clone(), DType::I8))
            }
            "dequantize" => {
                self.need_dtype(spec.name, x, DType::I8)?;
                Some((Op::Dequantize, x.shape.clone(), DType::F32))
            }
            "requantize" => {
                self.need_dtype(spec.name, x, DType::I8)?;
                Some((Op::Requantize, x.shape.clone(), DType::I8))
            }
            _ => None,
        }
    }

    fn need_dtype(&mut self, op: &'static str, x: &TensorRef, expected: DType) -> Option<()> {
        if x.dtype == expected {
            return Some(());
        }
        self.errors.push(CheckError::DType {
            op,
            arg: x.clone(),
            expected,
        });
        None
    }

    fn need_hwc(&mut self, op: &'static str, x: &TensorRef) -> Option<[usize; 3]> {
        match x.shape.as_slice() {
            &[h, w, c] => Some([h, w, c]),
            _ => {
                self.errors.push(CheckError::Rank {
                    op,
                    arg: x.clone(),
                    expected: HWC,
                });
                None
            }
        }
    }

    /// `[H, W, C]` of a 2-D layer's input, or `[1, L, C]` of a 1-D layer's `[L, C]` (the 1-D
    /// layers are the 2-D ones on a height-1 input; see [`is_1d`]).
    fn need_spatial(&mut self, op: &'static str, x: &TensorRef) -> Option<[usize; 3]> {
        if !is_1d(op) {
            return self.need_hwc(op, x);
        }
        match x.shape.as_slice() {
            &[l, c] => Some([1, l, c]),
            _ => {
                self.errors.push(CheckError::Rank {
                    op,
                    arg: x.clone(),
                    expected: "a rank-2 input [L, C]",
                });
                None
            }
        }
    }

    /// Reports a weight tensor above TFLite's element limit.
    fn weights_fit(&mut self, name: &str, shape: &[usize], call: Span) -> Option<()> {
        self.fits(format!("the weights of `{name}`"), shape, call)
            .then_some(())
    }

    fn conv2d(
        &mut self,
        op_name: &'static str,
        x: &TensorRef,
        attrs: &Attrs,
        name: &str,
        call: Span,
    ) -> Option<Inferred> {
        let dt = self.need_dtype(op_name, x, DType::I8);
        let [h, w, c] = self.need_spatial(op_name, x)?;
        dt?;
        let filters = attrs.size("filters", None);
        let kernel = window_attr(op_name, attrs, "kernel", None);
        let stride = window_attr(op_name, attrs, "stride", Some(1));
        let dilation = window_attr(op_name, attrs, "dilation", Some(1));
        let padding = attrs.padding(PadAttr::Valid);
        let activation = attrs.activation();
        let bias = attrs.flag("bias", true);
        let groups = attrs.size("groups", Some(1));
        let (filters, kernel, stride, dilation, padding) =
            (filters?, kernel?, stride?, dilation?, padding?);
        let (activation, bias, groups) = (activation?, bias?, groups?);
        if c % groups != 0 || filters % groups != 0 {
            self.errors.push(CheckError::BadAttr {
                name: "groups",
                expected: "a divisor of both the input channels and `filters`",
                found: format!("{groups} for {c} input channels and {filters} filters"),
                span: attrs.span_of("groups"),
            });
            return None;
        }
        let (window, [oh, ow]) = self.window(
            op_name,
            x,
            [h, w],
            kernel,
            stride,
            dilation,
            padding,
            attrs.span_of("kernel"),
        )?;
        self.weights_fit(name, &[filters, kernel[0], kernel[1], c / groups], call)?;
        let op = Op::Conv2d(Conv2d {
            filters,
            window,
            groups,
            activation,
            bias,
        });
        Some((op, vec![oh, ow, filters], DType::I8))
    }

    fn depthwise(
        &mut self,
        op_name: &'static str,
        x: &TensorRef,
        attrs: &Attrs,
        name: &str,
        call: Span,
    ) -> Option<Inferred> {
        let dt = self.need_dtype(op_name, x, DType::I8);
        let [h, w, c] = self.need_spatial(op_name, x)?;
        dt?;
        let kernel = window_attr(op_name, attrs, "kernel", None);
        let multiplier = attrs.size("depth_multiplier", Some(1));
        let stride = window_attr(op_name, attrs, "stride", Some(1));
        let dilation = window_attr(op_name, attrs, "dilation", Some(1));
        let padding = attrs.padding(PadAttr::Valid);
        let activation = attrs.activation();
        let bias = attrs.flag("bias", true);
        let (kernel, multiplier, stride, dilation, padding) =
            (kernel?, multiplier?, stride?, dilation?, padding?);
        let (activation, bias) = (activation?, bias?);
        let (window, [oh, ow]) = self.window(
            op_name,
            x,
            [h, w],
            kernel,
            stride,
            dilation,
            padding,
            attrs.span_of("kernel"),
        )?;
        let out_c = c.saturating_mul(multiplier);
        self.weights_fit(name, &[1, kernel[0], kernel[1], out_c], call)?;
        let op = Op::DepthwiseConv2d(DepthwiseConv2d {
            depth_multiplier: multiplier,
            window,
            activation,
            bias,
        });
        Some((op, vec![oh, ow, out_c], DType::I8))
    }

    /// `transpose_conv2d`: TFLite's TRANSPOSE_CONV. The output size is `output_size` or, when
    /// absent, [`shape::transpose_output`]; either way each axis must be one whose forward
    /// convolution gives back the input ([`shape::transpose_sizes`]), and the padding is TFLite's
    /// for that convolution.
    fn transpose_conv2d(
        &mut self,
        x: &TensorRef,
        attrs: &Attrs,
        name: &str,
        call: Span,
    ) -> Option<Inferred> {
        const OP: &str = "transpose_conv2d";
        let dt = self.need_dtype(OP, x, DType::I8);
        let [h, w, c] = self.need_hwc(OP, x)?;
        dt?;
        let filters = attrs.size("filters", None);
        let kernel = attrs.pair("kernel", None);
        let stride = attrs.pair("stride", Some([1, 1]));
        let padding = attrs.padding(PadAttr::Valid);
        let activation = attrs.activation();
        let bias = attrs.flag("bias", true);
        let output_size = attrs.pair_opt("output_size");
        let (filters, kernel, stride, padding) = (filters?, kernel?, stride?, padding?);
        let (activation, bias, output_size) = (activation?, bias?, output_size?);
        let (scheme, ir_scheme) = match padding {
            PadAttr::Same => (Padding::Same, PaddingScheme::Same),
            // `padding` of this op only parses `same` and `valid`.
            PadAttr::Valid | PadAttr::Explicit(_) => (Padding::Valid, PaddingScheme::Valid),
        };
        let input = [h, w];
        let size = match output_size {
            Some(size) => size,
            None => {
                let mut size = [0usize; 2];
                for a in 0..2 {
                    let Some(s) = shape::transpose_output(input[a], kernel[a], stride[a], scheme)
                    else {
                        self.errors.push(CheckError::TooLarge {
                            what: TooLargeWhat::Tensor {
                                what: format!("tensor `{name}`"),
                                shape: vec![
                                    h.saturating_mul(stride[0]),
                                    w.saturating_mul(stride[1]),
                                    filters,
                                ],
                            },
                            span: call,
                        });
                        return None;
                    };
                    size[a] = s;
                }
                size
            }
        };
        let mut dims = [shape::Dim1 {
            out: 0,
            pad_before: 0,
            pad_after: 0,
        }; 2];
        let mut bad = Vec::new();
        for a in 0..2 {
            match shape::transpose_window(input[a], kernel[a], stride[a], scheme, size[a]) {
                Some(d) => dims[a] = d,
                None => {
                    let axis = ["height", "width"][a];
                    let sizes = shape::transpose_sizes(input[a], kernel[a], stride[a], scheme)
                        .map_or_else(
                            || "none".to_string(),
                            |r| {
                                if r.start() == r.end() {
                                    r.start().to_string()
                                } else {
                                    format!("{} to {}", r.start(), r.end())
                                }
                            },
                        );
                    bad.push(format!(
                        "{axis} {} for an input {axis} of {} (possible: {sizes})",
                        size[a], input[a]
                    ));
                }
            }
        }
        if !bad.is_empty() {
            self.errors.push(CheckError::BadAttr {
                name: "output_size",
                expected: "sizes whose convolution (same kernel, stride and padding) gives back \
                           the input's",
                found: bad.join("; "),
                span: attrs.span_of("output_size"),
            });
            return None;
        }
        self.weights_fit(name, &[filters, kernel[0], kernel[1], c], call)?;
        let window = Window2d {
            kernel,
            stride,
            dilation: [1, 1],
            padding: Padding2d {
                scheme: ir_scheme,
                top: dims[0].pad_before,
                bottom: dims[0].pad_after,
                left: dims[1].pad_before,
                right: dims[1].pad_after,
            },
        };
        let op = Op::TransposeConv2d(TransposeConv2d {
            filters,
            window,
            output_size: size,
            activation,
            bias,
        });
        Some((op, vec![size[0], size[1], filters], DType::I8))
    }

    fn dense(&mut self, x: &TensorRef, attrs: &Attrs, name: &str, call: Span) -> Option<Inferred> {
        let dt = self.need_dtype("dense", x, DType::I8);
        let &[n] = x.shape.as_slice() else {
            self.errors.push(CheckError::Rank {
                op: "dense",
                arg: x.clone(),
                expected: "a rank-1 input [N]",
            });
            return None;
        };
        dt?;
        let units = attrs.size("units", None);
        let activation = attrs.activation();
        let bias = attrs.flag("bias", true);
        let (units, activation, bias) = (units?, activation?, bias?);
        self.weights_fit(name, &[units, n], call)?;
        let op = Op::Dense(Dense {
            units,
            activation,
            bias,
        });
        Some((op, vec![units], DType::I8))
    }

    /// `svdf(x, units, memory, rank = 1, bias = true, state = i16)` on a rank-1 int8 input.
    fn svdf(&mut self, x: &TensorRef, attrs: &Attrs, name: &str, call: Span) -> Option<Inferred> {
        let dt = self.need_dtype("svdf", x, DType::I8);
        let &[n] = x.shape.as_slice() else {
            self.errors.push(CheckError::Rank {
                op: "svdf",
                arg: x.clone(),
                expected: "a rank-1 input [N] (one step of the stream)",
            });
            return None;
        };
        dt?;
        let units = attrs.size("units", None);
        let memory = attrs.size("memory", None);
        let rank = attrs.size("rank", Some(1));
        let bias = attrs.flag("bias", true);
        let state = attrs.dtype("state", DType::I16);
        let (units, memory, rank, bias, state) = (units?, memory?, rank?, bias?, state?);
        let filters = units.saturating_mul(rank);
        self.weights_fit(name, &[filters, n], call)?;
        self.fits(format!("the state of `{name}`"), &[filters, memory], call)
            .then_some(())?;
        let op = Op::Svdf(Svdf {
            units,
            rank,
            memory,
            bias,
            state,
        });
        Some((op, vec![units], DType::I8))
    }

    /// `lstm(x, units, cell_clip = 0)` on a rank-2 int8 input `[T, N]` (T steps per run).
    fn lstm(&mut self, x: &TensorRef, attrs: &Attrs, name: &str, call: Span) -> Option<Inferred> {
        let dt = self.need_dtype("lstm", x, DType::I8);
        let &[t, n] = x.shape.as_slice() else {
            self.errors.push(CheckError::Rank {
                op: "lstm",
                arg: x.clone(),
                expected: "a rank-2 input [T, N] (T time steps of N features per run)",
            });
            return None;
        };
        dt?;
        let units = attrs.size("units", None);
        let clip = attrs.float("cell_clip", 0.0);
        let (units, clip) = (units?, clip?);
        let gates = units.saturating_mul(4);
        self.weights_fit(name, &[gates, n], call)?;
        self.weights_fit(name, &[gates, units], call)?;
        let op = Op::Lstm(Lstm {
            units,
            cell_clip: clip as f32,
        });
        Some((op, vec![t, units], DType::I8))
    }

    fn pool(&mut self, op_name: &'static str, x: &TensorRef, attrs: &Attrs) -> Option<Inferred> {
        let dt = self.need_dtype(op_name, x, DType::I8);
        let [h, w, c] = self.need_spatial(op_name, x)?;
        dt?;
        let size = window_attr(op_name, attrs, "size", None)?;
        let stride = if is_1d(op_name) {
            attrs.size("stride", Some(size[1])).map(|s| [1, s])
        } else {
            attrs.pair("stride", Some(size))
        };
        let padding = attrs.padding(PadAttr::Valid);
        let activation = attrs.activation();
        let (stride, padding, activation) = (stride?, padding?, activation?);
        let (window, [oh, ow]) = self.window(
            op_name,
            x,
            [h, w],
            size,
            stride,
            [1, 1],
            padding,
            attrs.span_of("size"),
        )?;
        let pool = Pool2d { window, activation };
        let op = if op_name.starts_with("max_") {
            Op::MaxPool2d(pool)
        } else {
            Op::AvgPool2d(pool)
        };
        Some((op, vec![oh, ow, c], DType::I8))
    }

    /// Output size and padding of both spatial dimensions; reports windows that do not fit.
    #[allow(clippy::too_many_arguments)]
    fn window(
        &mut self,
        op: &'static str,
        x: &TensorRef,
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
        padding: PadAttr,
        kernel_span: Span,
    ) -> Option<(Window2d, [usize; 2])> {
        let mut out = [0usize; 2];
        let mut before = [0usize; 2];
        let mut after = [0usize; 2];
        let mut fails = [false; 2];
        for i in 0..2 {
            match padding {
                PadAttr::Same | PadAttr::Valid => {
                    let scheme = if padding == PadAttr::Same {
                        Padding::Same
                    } else {
                        Padding::Valid
                    };
                    match shape::window(input[i], kernel[i], stride[i], dilation[i], scheme) {
                        Some(d) => {
                            out[i] = d.out;
                            before[i] = d.pad_before;
                            after[i] = d.pad_after;
                        }
                        None => fails[i] = true,
                    }
                }
                PadAttr::Explicit(p) => {
                    let [b, a] = p[i];
                    let padded = input[i].checked_add(b).and_then(|v| v.checked_add(a));
                    let eff = shape::effective_kernel(kernel[i], dilation[i]);
                    match (padded, eff) {
                        (Some(padded), Some(eff)) if padded >= eff && stride[i] > 0 => {
                            out[i] = (padded - eff) / stride[i] + 1;
                            before[i] = b;
                            after[i] = a;
                        }
                        _ => fails[i] = true,
                    }
                }
            }
        }
        if fails.iter().any(|&f| f) {
            self.errors.push(CheckError::KernelTooLarge {
                op,
                arg: x.clone(),
                axes: fails,
                kernel,
                dilation,
                input,
                padding: match padding {
                    PadAttr::Explicit(p) => Some(p),
                    _ => None,
                },
                span: kernel_span,
            });
            return None;
        }
        let scheme = match padding {
            PadAttr::Same => PaddingScheme::Same,
            PadAttr::Valid => PaddingScheme::Valid,
            PadAttr::Explicit(_) => PaddingScheme::Explicit,
        };
        let window = Window2d {
            kernel,
            stride,
            dilation,
            padding: Padding2d {
                scheme,
                top: before[0],
                bottom: after[0],
                left: before[1],
                right: after[1],
            },
        };
        Some((window, out))
    }

    /// Normalises one axis (negative counts from the end) against `rank`.
    fn axis(&mut self, op: &'static str, axis: i64, rank: usize, span: Span) -> Option<usize> {
        let r = i64::try_from(rank).ok()?;
        if (-r..r).contains(&axis) {
            usize::try_from(if axis < 0 { axis + r } else { axis }).ok()
        } else {
            self.errors.push(CheckError::AxisOutOfRange {
                op,
                axis,
                rank,
                span,
            });
            None
        }
    }

    fn mean(&mut self, x: &TensorRef, attrs: &Attrs) -> Option<Inferred> {
        let dt = self.need_dtype("mean", x, DType::I8);
        let keep_dims = attrs.flag("keep_dims", false);
        let written = attrs.ints("axis")?;
        let rank = x.shape.len();
        let mut axes: Vec<(usize, Span)> = Vec::with_capacity(written.len());
        let mut ok = true;
        for (a, span) in written {
            match self.axis("mean", a, rank, span) {
                Some(n) => {
                    if let Some(&(_, first)) = axes.iter().find(|(m, _)| *m == n) {
                        self.errors.push(CheckError::DuplicateAxis {
                            axis: n,
                            span,
                            first,
                        });
                        ok = false;
                    } else {
                        axes.push((n, span));
                    }
                }
                None => ok = false,
            }
        }
        dt?;
        let keep_dims = keep_dims?;
        if !ok {
            return None;
        }
        let mut axes: Vec<usize> = axes.into_iter().map(|(a, _)| a).collect();
        axes.sort_unstable();
        let shape: Vec<usize> = x
            .shape
            .iter()
            .enumerate()
            .filter_map(|(i, &d)| match (axes.contains(&i), keep_dims) {
                (false, _) => Some(d),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        Some((Op::Mean { axes, keep_dims }, shape, DType::I8))
    }

    fn binary(&mut self, op: &'static str, args: &[TensorRef], attrs: &Attrs) -> Option<Inferred> {
        let operand = if matches!(op, "add" | "mul" | "sub") {
            attrs.ints_opt("operand")?
        } else {
            None
        };
        let (a, b) = match (args, operand) {
            ([a, b], None) => (a, b.clone()),
            ([a], Some(dims)) => {
                self.need_dtype(op, a, DType::I8)?;
                let shape = self.operand_shape(&dims, attrs)?;
                let b = TensorRef {
                    name: "operand".into(),
                    shape,
                    dtype: DType::I8,
                    use_span: attrs.span_of("operand"),
                    def_span: attrs.span_of("operand"),
                };
                (a, b)
            }
            ([_], None) => {
                self.errors.push(CheckError::ArgCount {
                    op,
                    expected: super::ops::Arity::Exactly(2),
                    found: 1,
                    span: attrs.call_span(),
                });
                return None;
            }
            (_, Some(_)) => {
                self.errors.push(CheckError::BadAttr {
                    name: "operand",
                    expected: "no `operand` when both operands are tensors",
                    found: "a second tensor input".into(),
                    span: attrs.span_of("operand"),
                });
                return None;
            }
            _ => return None,
        };
        let b = &b;
        let constant = (args.len() == 1).then(|| b.shape.clone());
        if a.dtype != b.dtype {
            self.errors.push(CheckError::DTypePair {
                op,
                a: a.clone(),
                b: b.clone(),
            });
            return None;
        }
        self.need_dtype(op, a, DType::I8)?;
        let rank = a.shape.len().max(b.shape.len());
        let mut shape = vec![0usize; rank];
        for i in 1..=rank {
            let da = a.shape.len().checked_sub(i).map(|k| a.shape[k]);
            let db = b.shape.len().checked_sub(i).map(|k| b.shape[k]);
            let out = match (da, db) {
                (Some(p), Some(q)) if p == q || q == 1 => p,
                (Some(1), Some(q)) => q,
                (Some(_), Some(_)) => {
                    self.errors.push(CheckError::Broadcast {
                        op,
                        a: a.clone(),
                        b: b.clone(),
                        dim: b.shape.len() - i,
                        channel: i == 1,
                    });
                    return None;
                }
                (Some(p), None) | (None, Some(p)) => p,
                (None, None) => 1,
            };
            shape[rank - i] = out;
        }
        let op = match op {
            "maximum" => Op::Maximum,
            "minimum" => Op::Minimum,
            "add" => Op::Add {
                activation: attrs.activation()?,
                operand: constant,
            },
            "sub" => Op::Sub {
                activation: attrs.activation()?,
                operand: constant,
            },
            _ => Op::Mul {
                activation: attrs.activation()?,
                operand: constant,
            },
        };
        Some((op, shape, DType::I8))
    }

    /// The `operand = [..]` shape of a constant operand: rank >= 1, every dimension >= 1.
    fn operand_shape(&mut self, dims: &[(i64, Span)], attrs: &Attrs) -> Option<Vec<usize>> {
        if dims.is_empty() {
            self.errors.push(CheckError::BadAttr {
                name: "operand",
                expected: "a shape of rank 1 or more (`[1]` for a scalar)",
                found: "`[]`".into(),
                span: attrs.span_of("operand"),
            });
            return None;
        }
        let mut shape = Vec::with_capacity(dims.len());
        for &(v, s) in dims {
            match usize::try_from(v) {
                Ok(d) if d >= 1 => shape.push(d),
                _ => {
                    self.errors.push(CheckError::ZeroDim { value: v, span: s });
                    return None;
                }
            }
        }
        if shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .is_none_or(|n| n > MAX_ELEMENTS)
        {
            self.errors.push(CheckError::TooLarge {
                what: TooLargeWhat::Tensor {
                    what: "the constant `operand`".into(),
                    shape: shape.clone(),
                },
                span: attrs.span_of("operand"),
            });
            return None;
        }
        Some(shape)
    }

    /// `prelu(x, alpha_shape = [..])`: the constant alpha's shape (default: `x`'s) must
    /// broadcast to `x` (aligned from the right, each dimension 1 or `x`'s).
    fn prelu(&mut self, x: &TensorRef, attrs: &Attrs) -> Option<Inferred> {
        self.need_dtype("prelu", x, DType::I8)?;
        let alpha_shape = match attrs.ints_opt("alpha_shape")? {
            None => x.shape.clone(),
            Some(dims) => {
                let span = attrs.span_of("alpha_shape");
                if dims.is_empty() || dims.len() > x.shape.len() {
                    self.errors.push(CheckError::BadAttr {
                        name: "alpha_shape",
                        expected: "a shape of rank 1 up to the input's rank",
                        found: format!(
                            "rank {} for an input of rank {}",
                            dims.len(),
                            x.shape.len()
                        ),
                        span,
                    });
                    return None;
                }
                let skip = x.shape.len() - dims.len();
                let mut shape = Vec::with_capacity(dims.len());
                for (i, &(v, s)) in dims.iter().enumerate() {
                    let want = x.shape[skip + i];
                    match usize::try_from(v) {
                        Ok(d) if d == 1 || d == want => shape.push(d),
                        _ => {
                            self.errors.push(CheckError::BadAttr {
                                name: "alpha_shape",
                                expected:
                                    "each dimension 1 or the input's (aligned from the right)",
                                found: format!("{v} against the input's {want}"),
                                span: s,
                            });
                            return None;
                        }
                    }
                }
                shape
            }
        };
        Some((Op::Prelu { alpha_shape }, x.shape.clone(), DType::I8))
    }

    fn concat(&mut self, args: &[TensorRef], attrs: &Attrs, call: Span) -> Option<Inferred> {
        let first = args.first()?;
        let mut ok = true;
        for b in &args[1..] {
            if b.dtype != first.dtype {
                self.errors.push(CheckError::DTypePair {
                    op: "concat",
                    a: first.clone(),
                    b: b.clone(),
                });
                ok = false;
            } else if b.shape.len() != first.shape.len() {
                self.errors.push(CheckError::RankPair {
                    op: "concat",
                    a: first.clone(),
                    b: b.clone(),
                });
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        self.need_dtype("concat", first, DType::I8)?;
        let (axis, axis_span) = attrs.int("axis", Some(-1))?;
        let rank = first.shape.len();
        let axis = self.axis("concat", axis, rank, axis_span)?;
        let mut shape = first.shape.clone();
        for b in &args[1..] {
            let differs = (0..rank).find(|&d| d != axis && b.shape[d] != first.shape[d]);
            if let Some(dim) = differs {
                self.errors.push(CheckError::ConcatDim {
                    a: first.clone(),
                    b: b.clone(),
                    dim,
                    axis,
                });
                ok = false;
                continue;
            }
            match shape[axis].checked_add(b.shape[axis]) {
                Some(v) => shape[axis] = v,
                None => {
                    self.errors.push(CheckError::TooLarge {
                        what: TooLargeWhat::Value {
                            what: "the concatenated dimension".into(),
                            value: i64::MAX,
                        },
                        span: call,
                    });
                    return None;
                }
            }
        }
        ok.then_some((Op::Concat { axis }, shape, first.dtype))
    }

    fn reshape(&mut self, x: &TensorRef, attrs: &Attrs, call: Span) -> Option<Inferred> {
        let target = attrs.ints("shape")?;
        let span = attrs.span_of("shape");
        let mut ok = true;
        let mut infer_at = None;
        let mut known = 1usize;
        for (i, &(v, s)) in target.iter().enumerate() {
            if v == -1 {
                if infer_at.is_some() {
                    self.errors.push(CheckError::BadAttr {
                        name: "shape",
                        expected: "at most one -1",
                        found: "a second -1".into(),
                        span: s,
                    });
                    ok = false;
                }
                infer_at = Some(i);
            } else if v < 1 {
                self.errors.push(CheckError::ZeroDim { value: v, span: s });
                ok = false;
            } else {
                match usize::try_from(v).ok().and_then(|u| known.checked_mul(u)) {
                    Some(k) if k <= MAX_ELEMENTS => known = k,
                    _ => {
                        let shape: Vec<usize> = target
                            .iter()
                            .map(|&(v, _)| usize::try_from(v).unwrap_or(1))
                            .collect();
                        self.errors.push(CheckError::TooLarge {
                            what: TooLargeWhat::Tensor {
                                what: "the `reshape` target".into(),
                                shape,
                            },
                            span: call,
                        });
                        return None;
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        let count = elements(&x.shape)?;
        let values: Vec<i64> = target.iter().map(|&(v, _)| v).collect();
        let mismatch = |infer| CheckError::ReshapeCount {
            arg: x.clone(),
            target: values.clone(),
            known,
            infer,
            span,
        };
        let mut shape: Vec<usize> = target
            .iter()
            .map(|&(v, _)| usize::try_from(v).unwrap_or(0))
            .collect();
        match infer_at {
            Some(i) => {
                if count % known != 0 {
                    self.errors.push(mismatch(true));
                    return None;
                }
                shape[i] = count / known;
            }
            None => {
                if count != known {
                    self.errors.push(mismatch(false));
                    return None;
                }
            }
        }
        Some((
            Op::Reshape {
                shape: shape.clone(),
            },
            shape,
            x.dtype,
        ))
    }

    fn resize_nearest(&mut self, x: &TensorRef, attrs: &Attrs) -> Option<Inferred> {
        let dt = self.need_dtype("resize_nearest", x, DType::I8);
        let [_, _, c] = self.need_hwc("resize_nearest", x)?;
        dt?;
        let size = attrs.pair("size", None)?;
        let align_corners = attrs.flag("align_corners", false)?;
        let half_pixel_centers = attrs.flag("half_pixel_centers", false)?;
        if align_corners && half_pixel_centers {
            self.errors.push(CheckError::BadAttr {
                name: "half_pixel_centers",
                expected: "`false` when `align_corners = true` (TensorFlow allows one of the two)",
                found: "`true`".into(),
                span: attrs.span_of("half_pixel_centers"),
            });
            return None;
        }
        Some((
            Op::ResizeNearest {
                size,
                align_corners,
                half_pixel_centers,
            },
            vec![size[0], size[1], c],
            DType::I8,
        ))
    }

    /// One value per input dimension, or E0104 at the attribute.
    fn per_dim(
        &mut self,
        attrs: &Attrs,
        name: &'static str,
        rank: usize,
    ) -> Option<Option<Vec<(i64, Span)>>> {
        let values = attrs.ints_opt(name)?;
        if let Some(v) = &values {
            if v.len() != rank {
                self.errors.push(CheckError::BadAttr {
                    name,
                    expected: "one value per input dimension",
                    found: format!("{} values for an input of rank {rank}", v.len()),
                    span: attrs.span_of(name),
                });
                return None;
            }
        }
        Some(values)
    }

    fn strided_slice(&mut self, x: &TensorRef, attrs: &Attrs) -> Option<Inferred> {
        let dt = self.need_dtype("strided_slice", x, DType::I8);
        let rank = x.shape.len();
        let begin = self.per_dim(attrs, "begin", rank);
        let end = self.per_dim(attrs, "end", rank);
        let strides = self.per_dim(attrs, "strides", rank);
        let (begin, end, strides) = (begin??, end??, strides?);
        dt?;
        let mut axes = Vec::with_capacity(rank);
        for (a, &d) in x.shape.iter().enumerate() {
            let (stride, stride_span) = strides
                .as_ref()
                .map_or((1, attrs.call_span()), |s| (s[a].0, s[a].1));
            if stride == 0 {
                self.errors.push(CheckError::ZeroStep {
                    name: "strides",
                    value: 0,
                    span: stride_span,
                });
                return None;
            }
            let axis = match shape::slice_axis(d, Some(begin[a].0), Some(end[a].0), stride, false) {
                Ok(axis) => axis,
                Err(_) => return None,
            };
            if axis.size == 0 {
                self.errors.push(CheckError::BadAttr {
                    name: "end",
                    expected: "a bound that leaves at least one element on every axis",
                    found: format!(
                        "an empty slice {}..{} by {stride} of an axis of {d}",
                        begin[a].0, end[a].0
                    ),
                    span: end[a].1,
                });
                return None;
            }
            axes.push(axis);
        }
        let sizes: Vec<usize> = axes.iter().map(|a| a.size).collect();
        let shape = match attrs.ints_opt("shape")? {
            None => sizes.clone(),
            Some(dims) => {
                let span = attrs.span_of("shape");
                let shape: Option<Vec<usize>> = dims
                    .iter()
                    .map(|&(v, _)| usize::try_from(v).ok().filter(|&v| v > 0))
                    .collect();
                match shape {
                    Some(s) if elements(&s) == elements(&sizes) => s,
                    _ => {
                        self.errors.push(CheckError::BadAttr {
                            name: "shape",
                            expected: "positive sizes with as many elements as the slice takes",
                            found: format!(
                                "{dims:?} for a slice of {sizes:?}",
                                dims = dims.iter().map(|d| d.0).collect::<Vec<_>>()
                            ),
                            span,
                        });
                        return None;
                    }
                }
            }
        };
        Some((
            Op::StridedSlice {
                begin: axes.iter().map(|a| a.begin).collect(),
                end: axes.iter().map(|a| a.end).collect(),
                strides: axes.iter().map(|a| a.stride).collect(),
                shape: shape.clone(),
            },
            shape,
            x.dtype,
        ))
    }

    /// `split(x, axis, parts, index)`: part `index` of `parts` equal parts along `axis`, as a
    /// stride-1 slice.
    fn split(&mut self, x: &TensorRef, attrs: &Attrs) -> Option<Inferred> {
        self.need_dtype("split", x, DType::I8)?;
        let (axis, axis_span) = attrs.int("axis", None)?;
        let parts = attrs.size("parts", None)?;
        let (index, index_span) = attrs.int("index", None)?;
        let axis = self.axis("split", axis, x.shape.len(), axis_span)?;
        let d = x.shape[axis];
        if d % parts != 0 {
            self.errors.push(CheckError::BadAttr {
                name: "parts",
                expected: "a divisor of the split axis",
                found: format!("{parts} parts of an axis of {d}"),
                span: attrs.span_of("parts"),
            });
            return None;
        }
        let Some(index) = usize::try_from(index).ok().filter(|&i| i < parts) else {
            self.errors.push(CheckError::BadAttr {
                name: "index",
                expected: "a part index from 0 to parts - 1",
                found: format!("{index} of {parts} parts"),
                span: index_span,
            });
            return None;
        };
        let part = d / parts;
        let mut begin = vec![0usize; x.shape.len()];
        let mut end: Vec<i64> = x
            .shape
            .iter()
            .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
            .collect();
        let mut shape = x.shape.clone();
        begin[axis] = index * part;
        end[axis] = i64::try_from((index + 1) * part).unwrap_or(i64::MAX);
        shape[axis] = part;
        Some((
            Op::StridedSlice {
                begin,
                end,
                strides: vec![1; x.shape.len()],
                shape: shape.clone(),
            },
            shape,
            x.dtype,
        ))
    }

    fn pad(&mut self, x: &TensorRef, attrs: &Attrs, call: Span) -> Option<Inferred> {
        let paddings = attrs.pairs("paddings")?;
        if paddings.len() != x.shape.len() {
            self.errors.push(CheckError::PadsRank {
                arg: x.clone(),
                pairs: paddings.len(),
                span: attrs.span_of("paddings"),
            });
            return None;
        }
        let mut shape = Vec::with_capacity(paddings.len());
        for (&d, &[b, a]) in x.shape.iter().zip(&paddings) {
            match d.checked_add(b).and_then(|v| v.checked_add(a)) {
                Some(v) => shape.push(v),
                None => {
                    self.errors.push(CheckError::TooLarge {
                        what: TooLargeWhat::Value {
                            what: "a padded dimension".into(),
                            value: i64::MAX,
                        },
                        span: call,
                    });
                    return None;
                }
            }
        }
        Some((Op::Pad { paddings }, shape, x.dtype))
    }
}

/// Product of `shape` (1 for rank 0), `None` on overflow.
fn elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// True for the 1-D layers (`conv1d`, `depthwise_conv1d`, `max_pool1d`, `avg_pool1d`): the 2-D
/// layer on `[1, L, C]`, with every window attribute `[1, value]`. The checker wraps the node in
/// reshapes from and to `[L, C]` (`Checker::lower_call`).
pub(crate) fn is_1d(op: &str) -> bool {
    op.ends_with("1d")
}

/// A window attribute (kernel, size, stride, dilation) as `[h, w]`: as written for 2-D layers,
/// `[1, value]` for 1-D ones.
fn window_attr(op: &str, attrs: &Attrs, name: &str, default: Option<usize>) -> Option<[usize; 2]> {
    if is_1d(op) {
        attrs.size(name, default).map(|v| [1, v])
    } else {
        attrs.pair(name, default.map(|d| [d, d]))
    }
}
