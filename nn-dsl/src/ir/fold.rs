//! Graph folds: layers that disappear into the layer they feed, with the same output bytes. The
//! `.tflite` importer applies them (a `.nnd` network keeps the layers its author wrote, who can
//! write the padding on the convolution instead).
//!
//! - **PAD into a convolution** ([`fold_pads`]): a `pad` of the two spatial dimensions whose only
//!   reader is a `conv2d` or `depthwise_conv2d` becomes part of that layer's padding. A padded
//!   position reads as the input's zero point, so it adds `(zp - zp) * w = 0` to the sum: exactly
//!   what the convolution's own padding contributes (TFLM's kernels skip such positions). Keras'
//!   `ZeroPadding2D` before a convolution (MobileNetV2's stride-2 layers) converts to this PAD.
//!   The padded tensor is then never stored, and its copy is not made.

use super::{Handle, Module, Node, Op, PaddingScheme, Producer, Tensor, Window2d};

/// A PAD folded into the layer that reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folded {
    /// The `pad` node's name.
    pub pad: String,
    /// The convolution that took its padding.
    pub into: String,
}

/// A convolution's new window, the pad's input it now reads and the pad node.
#[derive(Clone, Copy)]
struct Refold {
    window: Window2d,
    source: Handle<Tensor>,
    pad: Handle<Node>,
}

/// `module` with every foldable `pad` folded into the convolution that reads it (see the module
/// docs), and the list of folds. A pad is folded when it pads only height and width of an int8
/// `[H, W, C]` tensor, keeps its input's quantisation, is read by exactly one node, that node is
/// a `conv2d` or `depthwise_conv2d`, and it is not a graph output; and when the resulting padding
/// on each side stays below the effective kernel extent, so that every window still holds an
/// input pixel (the kernels' padding is then the kind SAME padding gives).
pub fn fold_pads(module: &Module) -> (Module, Vec<Folded>) {
    let count = module.tensors.len();
    let mut readers = vec![0usize; count];
    for (_, n) in module.nodes.iter() {
        for &i in &n.inputs {
            if let Some(r) = readers.get_mut(i.index()) {
                *r += 1;
            }
        }
    }
    for (_, h) in &module.outputs {
        if let Some(r) = readers.get_mut(h.index()) {
            // A graph output is read by the caller.
            *r += 2;
        }
    }
    // The new window of each convolution whose input pad is folded, and that pad's input.
    let mut window_of: Vec<Option<Refold>> = vec![None; module.nodes.len()];
    let mut skip = vec![false; module.nodes.len()];
    let mut folds = Vec::new();
    for (h, node) in module.nodes.iter() {
        let Some((window, source, pad_node)) = foldable(module, node, &readers) else {
            continue;
        };
        if let (Some(w), Some(s)) = (window_of.get_mut(h.index()), skip.get_mut(pad_node.index())) {
            *w = Some(Refold {
                window,
                source,
                pad: pad_node,
            });
            *s = true;
            if let Some(p) = module.nodes.get(pad_node) {
                folds.push(Folded {
                    pad: p.name.clone(),
                    into: node.name.clone(),
                });
            }
        }
    }
    if folds.is_empty() {
        return (module.clone(), folds);
    }
    (rebuild(module, &skip, &window_of), folds)
}

/// The folded window of `node`, the pad's input and the pad node, when `node` reads a foldable
/// pad.
fn foldable(
    module: &Module,
    node: &Node,
    readers: &[usize],
) -> Option<(Window2d, Handle<Tensor>, Handle<Node>)> {
    let window = match &node.op {
        Op::Conv2d(c) => c.window,
        Op::DepthwiseConv2d(c) => c.window,
        _ => return None,
    };
    let &[padded] = node.inputs.as_slice() else {
        return None;
    };
    let t = module.tensors.get(padded)?;
    let Producer::Node(pad_node) = t.producer else {
        return None;
    };
    let pad = module.nodes.get(pad_node)?;
    let Op::Pad { paddings } = &pad.op else {
        return None;
    };
    let &[source] = pad.inputs.as_slice() else {
        return None;
    };
    let x = module.tensors.get(source)?;
    let [[pt, pb], [pl, pr], [0, 0]] = paddings.as_slice() else {
        return None;
    };
    let quant_kept = x.quant.is_some() && x.quant == t.quant;
    if *readers.get(padded.index())? != 1 || !quant_kept || x.shape.len() != 3 {
        return None;
    }
    let p = window.padding;
    let padding = super::Padding2d {
        scheme: PaddingScheme::Explicit,
        top: p.top.checked_add(*pt)?,
        bottom: p.bottom.checked_add(*pb)?,
        left: p.left.checked_add(*pl)?,
        right: p.right.checked_add(*pr)?,
    };
    let extent = |k: usize, d: usize| k.checked_sub(1)?.checked_mul(d);
    let (eh, ew) = (
        extent(window.kernel[0], window.dilation[0])?,
        extent(window.kernel[1], window.dilation[1])?,
    );
    if padding.top.max(padding.bottom) > eh || padding.left.max(padding.right) > ew {
        return None;
    }
    Some((Window2d { padding, ..window }, source, pad_node))
}

/// `module` without the `skip` nodes (and their outputs), with the new windows and inputs.
fn rebuild(module: &Module, skip: &[bool], window_of: &[Option<Refold>]) -> Module {
    let mut out = Module {
        name: module.name.clone(),
        weights: module.weights.clone(),
        numerics: module.numerics,
        ..Module::default()
    };
    let mut tensor_map: Vec<Option<Handle<Tensor>>> = vec![None; module.tensors.len()];
    for (i, &h) in module.inputs.iter().enumerate() {
        if let Some(t) = module.tensors.get(h) {
            let mut t = t.clone();
            t.producer = Producer::Input(i);
            if let Ok(n) = out.tensors.append(t) {
                out.inputs.push(n);
                tensor_map[h.index()] = Some(n);
            }
        }
    }
    for (h, node) in module.nodes.iter() {
        if skip.get(h.index()).copied().unwrap_or(false) {
            continue;
        }
        let mut node = node.clone();
        if let Some(Some(Refold {
            window,
            source,
            pad,
        })) = window_of.get(h.index())
        {
            node.inputs = vec![*source];
            match &mut node.op {
                Op::Conv2d(c) => c.window = *window,
                Op::DepthwiseConv2d(c) => c.window = *window,
                _ => {}
            }
            // An imported layer names its source operator; say where its padding came from
            // (`tflite operator 1 (CONV_2D), output "..."; padding of tflite operator 0 (PAD)`).
            let pad_source = module.nodes.get(*pad).and_then(|p| p.source.as_deref());
            if let (Some(own), Some(pad)) = (&node.source, pad_source) {
                let head = pad.split(", output").next().unwrap_or(pad);
                node.source = Some(format!("{own}; padding of {head}"));
            }
        }
        node.inputs = node
            .inputs
            .iter()
            .filter_map(|i| tensor_map.get(i.index()).copied().flatten())
            .collect();
        let Ok(next) = u32::try_from(out.nodes.len()) else {
            continue;
        };
        let Some(t) = module.tensors.get(node.output) else {
            continue;
        };
        let mut t = t.clone();
        t.producer = Producer::Node(Handle::from_index(next));
        let old = node.output;
        let Ok(new_t) = out.tensors.append(t) else {
            continue;
        };
        node.output = new_t;
        tensor_map[old.index()] = Some(new_t);
        if out.nodes.append(node).is_err() {
            continue;
        }
    }
    out.outputs = module
        .outputs
        .iter()
        .filter_map(|(name, h)| Some((name.clone(), tensor_map.get(h.index()).copied()??)))
        .collect();
    out
}
