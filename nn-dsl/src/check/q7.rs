//! q7 (power-of-two) networks: a network whose inputs are declared `q7<F>` runs CMSIS-NN's
//! legacy `_q7` arithmetic ([`Numerics::Pow2`], `nn_kernels::q7q15`). Every tensor is `i8` with
//! scale `2^-frac` and zero point 0: inputs take `F` from their type, convolutions and dense
//! layers from their `frac` attribute, softmax gives `q7<7>` (CMSIS's 128 = 100%), and the other
//! layers keep their input's format. The rules broken here are E0128.

use crate::ir::{Activation, Handle, Numerics, Op, Quant, Tensor};
use crate::span::Span;

use super::error::CheckError;
use super::resolve::Checker;

/// The operators q7 networks take, for the messages.
const Q7_OPS: &str =
    "conv2d, depthwise_conv2d, dense (with `frac`), relu, max_pool2d, avg_pool2d, softmax, \
     reshape, flatten and the 1-D forms";

impl Checker<'_> {
    /// Marks a graph input `q7<F>` (`q7` is the fractional bits and the type's span) or int8.
    pub(crate) fn q7_input(&mut self, h: Handle<Tensor>, q7: Option<(i64, Span)>) {
        let Some(t) = self.module.tensors.get(h) else {
            return;
        };
        let at = t.span;
        match q7 {
            None => self.int8_inputs.push(at),
            Some((frac, span)) => {
                self.q7_inputs.push(span);
                if (-31..=31).contains(&frac) {
                    if let Some(t) = self.module.tensors.get_mut(h) {
                        t.quant = Some(Quant::pow2(frac as i32));
                    }
                } else {
                    self.errors.push(CheckError::Q7 {
                        message: format!("`q7<{frac}>` has {frac} fractional bits"),
                        label: "outside -31..=31",
                        help: "a q7 format has -31 to 31 fractional bits (`q7<7>`: -1 to 127/128)"
                            .into(),
                        span,
                    });
                }
            }
        }
    }

    /// Sets the numerics and every tensor's format of a q7 network, or refuses `frac` in an
    /// int8 one.
    pub(crate) fn check_q7(&mut self) {
        if self.q7_inputs.is_empty() {
            let mut fracs: Vec<(String, Span)> = self
                .fracs
                .iter()
                .map(|(n, &(_, s))| (n.clone(), s))
                .collect();
            fracs.sort_by_key(|(_, s)| (s.start, s.end));
            for (name, span) in fracs {
                self.errors.push(CheckError::Q7 {
                    message: format!("`frac` of layer `{name}` in a network without q7 inputs"),
                    label: "only q7 layers have an output format",
                    help:
                        "declare the inputs `q7<F>` for a power-of-two network, or remove `frac` \
                           (int8 layers take their quantisation from the weights file)"
                            .into(),
                    span,
                });
            }
            return;
        }
        self.module.numerics = Numerics::Pow2;
        for span in std::mem::take(&mut self.int8_inputs) {
            self.errors.push(CheckError::Q7 {
                message: "a q7 network with an input that is not q7".into(),
                label: "not `q7<F>`",
                help: "declare every input `q7<F>` (a network runs one arithmetic)".into(),
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
            let out = match self.q7_layer(&name, &op, span, frac) {
                Some(Some(f)) => f,
                Some(None) => input_frac,
                None => continue,
            };
            if let Some(t) = self.module.tensors.get_mut(output) {
                t.quant = Some(Quant::pow2(out));
            }
        }
    }

    /// The output format of one layer of a q7 network: `Some(Some(f))` for a new format,
    /// `Some(None)` for its input's, `None` (reported) when the layer cannot run in q7.
    fn q7_layer(
        &mut self,
        name: &str,
        op: &Op,
        span: Span,
        frac: Option<(i64, Span)>,
    ) -> Option<Option<i32>> {
        let refuse = |what: String, help: &str| CheckError::Q7 {
            message: format!("layer `{name}` ({}) {what}", op.name()),
            label: "in a q7 network",
            help: help.to_owned(),
            span,
        };
        let activation = match op {
            Op::Conv2d(c) => Some(c.activation),
            Op::DepthwiseConv2d(d) => Some(d.activation),
            Op::Dense(d) => Some(d.activation),
            Op::MaxPool2d(p) | Op::AvgPool2d(p) => Some(p.activation),
            _ => None,
        };
        if activation.is_some_and(|a| a != Activation::None) {
            self.errors.push(refuse(
                "has a fused activation, which the q7 kernels do not apply".into(),
                "remove `activation` and apply `relu(...)` as a layer of its own, as CMSIS-NN does",
            ));
            return None;
        }
        let weighted = match op {
            Op::Conv2d(c) => {
                if c.groups != 1 || c.window.dilation != [1, 1] {
                    self.errors.push(refuse(
                        "is grouped or dilated".into(),
                        "q7 convolutions take groups = 1 and dilation = 1",
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
                        "the q7 softmax is CMSIS's base-2 softmax without a beta: remove `beta`",
                    ));
                    return None;
                }
                return Some(Some(7));
            }
            _ => {
                self.errors.push(refuse(
                    "has no q7 kernel".into(),
                    &format!("q7 networks take {Q7_OPS}"),
                ));
                return None;
            }
        };
        match (weighted, frac) {
            (true, Some((f, _))) => Some(Some(f as i32)),
            (true, None) => {
                self.errors.push(refuse(
                    "has no output format".into(),
                    "give the fractional bits of its output: `frac = N` (the output is q7<N>)",
                ));
                None
            }
            // `frac` on other layers is an unknown attribute, already reported.
            (false, _) => Some(None),
        }
    }
}
