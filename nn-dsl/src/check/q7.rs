//! Power-of-two (q7 and q15) networks: a network whose inputs are declared `q7<F>` runs
//! CMSIS-NN's legacy `_q7` arithmetic, one whose inputs are `q15<F>` the `_q15` arithmetic
//! ([`Numerics::Pow2`], `nn_kernels::q7q15`). Every tensor is `i8` (q7) or `i16` (q15) with scale
//! `2^-frac` and zero point 0: inputs take `F` from their type, convolutions and dense layers from
//! their `frac` attribute, softmax gives `q7<7>` / `q15<15>` (CMSIS's 128 / 32768 = 100%), and
//! the other layers keep their input's format. A q15 network is inferred as a q7 one (the shape
//! rules are the same) and its tensors are widened to `i16` at the end. The rules broken here are
//! E0128.

use crate::ir::{Activation, DType, Handle, Numerics, Op, Quant, Tensor};
use crate::span::Span;

use super::error::CheckError;
use super::resolve::Checker;

/// The operators q7 networks take, for the messages.
const Q7_OPS: &str =
    "conv2d, depthwise_conv2d, dense (with `frac`), relu, logistic, tanh, max_pool2d, \
     avg_pool2d, softmax, reshape, flatten and the 1-D forms";

/// The operators q15 networks take (CMSIS-NN's legacy `_q15` functions), for the messages.
const Q15_OPS: &str =
    "conv2d, dense (with `frac`), relu, logistic, tanh, softmax, reshape, flatten and conv1d";

/// The word of a power-of-two network: its element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Word {
    /// `q7<F>`: `i8` tensors.
    Q7,
    /// `q15<F>`: `i16` tensors.
    Q15,
}

impl Word {
    fn name(self) -> &'static str {
        match self {
            Word::Q7 => "q7",
            Word::Q15 => "q15",
        }
    }
}

impl Checker<'_> {
    /// Marks a graph input `q7<F>` or `q15<F>` (`q7` is the word, the fractional bits and the
    /// type's span) or int8.
    pub(crate) fn q7_input(&mut self, h: Handle<Tensor>, q7: Option<(Word, i64, Span)>) {
        let Some(t) = self.module.tensors.get(h) else {
            return;
        };
        let at = t.span;
        match q7 {
            None => self.int8_inputs.push(at),
            Some((word, frac, span)) => {
                match word {
                    Word::Q7 => self.q7_inputs.push(span),
                    Word::Q15 => self.q15_inputs.push(span),
                }
                if (-31..=31).contains(&frac) {
                    if let Some(t) = self.module.tensors.get_mut(h) {
                        t.quant = Some(Quant::pow2(frac as i32));
                    }
                } else {
                    let w = word.name();
                    self.errors.push(CheckError::Q7 {
                        message: format!("`{w}<{frac}>` has {frac} fractional bits"),
                        label: "outside -31..=31",
                        help: format!(
                            "a {w} format has -31 to 31 fractional bits ({})",
                            match word {
                                Word::Q7 => "`q7<7>`: -1 to 127/128",
                                Word::Q15 => "`q15<15>`: -1 to 32767/32768",
                            }
                        ),
                        span,
                    });
                }
            }
        }
    }

    /// Sets the numerics and every tensor's format of a q7 or q15 network (and widens a q15
    /// network's tensors to `i16`), or refuses `frac` in an int8 one.
    pub(crate) fn check_q7(&mut self) {
        if self.q7_inputs.is_empty() && self.q15_inputs.is_empty() {
            let mut fracs: Vec<(String, Span)> = self
                .fracs
                .iter()
                .map(|(n, &(_, s))| (n.clone(), s))
                .collect();
            fracs.sort_by_key(|(_, s)| (s.start, s.end));
            for (name, span) in fracs {
                self.errors.push(CheckError::Q7 {
                    message: format!(
                        "`frac` of layer `{name}` in a network without q7 or q15 inputs"
                    ),
                    label: "only q7 and q15 layers have an output format",
                    help: "declare the inputs `q7<F>` or `q15<F>` for a power-of-two network, or \
                           remove `frac` (int8 layers take their quantisation from the weights \
                           file)"
                        .into(),
                    span,
                });
            }
            return;
        }
        self.module.numerics = Numerics::Pow2;
        let word = if self.q7_inputs.is_empty() {
            Word::Q15
        } else {
            Word::Q7
        };
        if word == Word::Q7 {
            for span in std::mem::take(&mut self.q15_inputs) {
                self.errors.push(CheckError::Q7 {
                    message: "a network with both q7 and q15 inputs".into(),
                    label: "q15 here, q7 elsewhere",
                    help: "declare every input `q7<F>` (CMSIS-NN's `_q7` functions) or every \
                           input `q15<F>` (the `_q15` ones): a network runs one arithmetic"
                        .into(),
                    span,
                });
            }
        }
        let w = word.name();
        for span in std::mem::take(&mut self.int8_inputs) {
            self.errors.push(CheckError::Q7 {
                message: format!("a {w} network with an input that is not {w}"),
                label: match word {
                    Word::Q7 => "not `q7<F>`",
                    Word::Q15 => "not `q15<F>`",
                },
                help: format!("declare every input `{w}<F>` (a network runs one arithmetic)"),
                span,
            });
        }
        let handles: Vec<_> = self.module.nodes.iter().map(|(h, _)| h).collect();
        for h in handles {
            let Some(node) = self.module.nodes.get(h) else {
                continue;
            };
            let (name, op, span, output) =
                (node.name.clone(), node.op.clone(), node.span, node.output);
            let input_frac = node
                .inputs
                .first()
                .and_then(|&t| self.module.tensors.get(t))
                .and_then(|t| t.quant.as_ref())
                .and_then(Quant::pow2_frac);
            // An input without a format was refused already.
            let Some(input_frac) = input_frac else {
                continue;
            };
            let frac = self.fracs.get(&name).copied();
            let out = match self.q7_layer(word, &name, &op, span, frac, input_frac) {
                Some(Some(f)) => f,
                Some(None) => input_frac,
                None => continue,
            };
            if let Some(t) = self.module.tensors.get_mut(output) {
                t.quant = Some(Quant::pow2(out));
            }
        }
        if word == Word::Q15 {
            // Every tensor of a q15 network (the weights are not tensors) holds q15 values.
            let handles: Vec<_> = self.module.tensors.iter().map(|(h, _)| h).collect();
            for h in handles {
                if let Some(t) = self.module.tensors.get_mut(h) {
                    t.dtype = DType::I16;
                }
            }
        }
    }

    /// The output format of one layer of a q7 or q15 network: `Some(Some(f))` for a new
    /// format, `Some(None)` for its input's, `None` (reported) when the layer cannot run in the
    /// network's word.
    fn q7_layer(
        &mut self,
        word: Word,
        name: &str,
        op: &Op,
        span: Span,
        frac: Option<(i64, Span)>,
        input_frac: i32,
    ) -> Option<Option<i32>> {
        let refuse = |what: String, help: &str| CheckError::Q7 {
            message: format!("layer `{name}` ({}) {what}", op.name()),
            label: match word {
                Word::Q7 => "in a q7 network",
                Word::Q15 => "in a q15 network",
            },
            help: help.to_owned(),
            span,
        };
        let has_kernel = match op {
            Op::Conv2d(_)
            | Op::Dense(_)
            | Op::Relu
            | Op::Reshape { .. }
            | Op::Flatten
            | Op::Logistic
            | Op::Tanh
            | Op::Softmax { .. } => true,
            Op::DepthwiseConv2d(_) | Op::MaxPool2d(_) | Op::AvgPool2d(_) => word == Word::Q7,
            _ => false,
        };
        if !has_kernel {
            let help = match word {
                Word::Q7 => format!("q7 networks take {Q7_OPS}"),
                Word::Q15 => format!(
                    "q15 networks take {Q15_OPS}: CMSIS-NN's legacy `_q15` functions have no \
                     depthwise convolution or pooling"
                ),
            };
            self.errors
                .push(refuse(format!("has no {} kernel", word.name()), &help));
            return None;
        }
        let activation = match op {
            Op::Conv2d(c) => Some(c.activation),
            Op::DepthwiseConv2d(d) => Some(d.activation),
            Op::Dense(d) => Some(d.activation),
            Op::MaxPool2d(p) | Op::AvgPool2d(p) => Some(p.activation),
            _ => None,
        };
        if activation.is_some_and(|a| a != Activation::None) {
            self.errors.push(refuse(
                format!(
                    "has a fused activation, which the {} kernels do not apply",
                    word.name()
                ),
                "remove `activation` and apply `relu(...)` as a layer of its own, as CMSIS-NN does",
            ));
            return None;
        }
        let weighted = match op {
            Op::Conv2d(c) => {
                if c.groups != 1 || c.window.dilation != [1, 1] {
                    self.errors.push(refuse(
                        "is grouped or dilated".into(),
                        &format!(
                            "{} convolutions take groups = 1 and dilation = 1",
                            word.name()
                        ),
                    ));
                    return None;
                }
                true
            }
            Op::DepthwiseConv2d(d) => {
                if d.depth_multiplier != 1 || d.window.dilation != [1, 1] {
                    self.errors.push(refuse(
                        "has a depth multiplier or dilation above 1".into(),
                        "the q7 depthwise convolution takes depth_multiplier = 1 and dilation = 1",
                    ));
                    return None;
                }
                true
            }
            Op::Dense(_) => true,
            Op::MaxPool2d(_) | Op::AvgPool2d(_) | Op::Relu | Op::Reshape { .. } | Op::Flatten => {
                false
            }
            Op::Softmax { beta } => {
                if *beta != 1.0 {
                    self.errors.push(refuse(
                        format!("has beta = {beta}"),
                        &format!(
                            "the {} softmax is CMSIS's base-2 softmax without a beta: remove \
                             `beta`",
                            word.name()
                        ),
                    ));
                    return None;
                }
                // CMSIS's softmax writes 100% as 2^7 (q7) or 2^15 (q15).
                return Some(Some(match word {
                    Word::Q7 => 7,
                    Word::Q15 => 15,
                }));
            }
            Op::Logistic | Op::Tanh => {
                // CMSIS's tables take Q3.4 inputs; the kernels shift by 3 - int_width.
                let bits = match word {
                    Word::Q7 => 7,
                    Word::Q15 => 15,
                };
                let int_width = bits - i64::from(input_frac);
                if !(0..=3).contains(&int_width) {
                    let w = word.name();
                    self.errors.push(refuse(
                        format!("takes a `{w}<{input_frac}>` input ({int_width} integer bits)"),
                        &format!(
                            "CMSIS's table sigmoid and tanh take inputs with 0 to 3 integer bits: \
                             `{w}<{}>` to `{w}<{bits}>`; give the layer before a `frac` in that \
                             range",
                            bits - 3
                        ),
                    ));
                    return None;
                }
                // The tables hold Q0.7 / Q0.15 values.
                return Some(Some(bits as i32));
            }
            // Refused above.
            _ => return None,
        };
        match (weighted, frac) {
            (true, Some((f, _))) => Some(Some(f as i32)),
            (true, None) => {
                self.errors.push(refuse(
                    "has no output format".into(),
                    &format!(
                        "give the fractional bits of its output: `frac = N` (the output is {}<N>)",
                        word.name()
                    ),
                ));
                None
            }
            // `frac` on other layers is an unknown attribute, already reported.
            (false, _) => Some(None),
        }
    }
}
