//! A synthetic network for the parts of the generated API the oracle models do not reach: two
//! inputs (one float), four outputs (one float, one a graph input, one a flatten of a graph input,
//! which must be copies), and the weightless ops QUANTIZE, PAD, TANH, REQUANTIZE, MEAN with
//! keep_dims, broadcast MUL, softmax over rows, RELU, RELU6 and DEQUANTIZE. Its quantisation is
//! assigned here (fixed where TFLite fixes it, copied where an op keeps it, varied otherwise), so
//! no weights file is needed. Shared by `build.rs` (which compiles it) and the tests (which run it
//! through `nn_dsl::exec` as the reference).

use nn_dsl::ir::{DType, Module, Op, Quant};

/// The network.
pub const SOURCE: &str = "
network Synth {
    input a: f32[4, 4, 2];
    input b: i8[4, 4, 2];
    let qa = quantize(a);
    let s = add(qa, b, activation = relu);
    let p = pad(s, paddings = [[1, 0], [0, 1], [0, 0]]);
    let mp = max_pool2d(p, size = 2, padding = same);
    let ap = avg_pool2d(p, size = 2, padding = same);
    let c = concat(mp, ap);
    let t = tanh(c);
    let r = requantize(t);
    let g = mean(c, axis = [0, 1], keep_dims = true);
    let m = mul(r, g);
    let l = logistic(m);
    let rows = reshape(l, shape = [9, 4]);
    let sm = softmax(rows);
    let r6 = relu6(b);
    let rl = relu(r6);
    output y = dequantize(flatten(sm));
    output z = rl;
    output fb = flatten(b);
    output bb = b;
}
";

fn quant(scale: f32, zero_point: i64) -> Option<Quant> {
    Some(Quant {
        scale: vec![scale],
        zero_point: vec![zero_point],
        axis: None,
    })
}

/// The checked module with every int8 tensor quantised.
///
/// # Errors
/// The checker's diagnostics, as text.
pub fn module() -> Result<Module, String> {
    let (mut m, _) = nn_dsl::check::check_source(SOURCE).map_err(|d| format!("{d:?}"))?;
    for h in m.inputs.clone() {
        if m.tensors[h].dtype == DType::I8 {
            m.tensors[h].quant = quant(0.05, -3);
        }
    }
    let nodes: Vec<_> = m
        .nodes
        .iter()
        .map(|(_, n)| (n.op.clone(), n.inputs.clone(), n.output))
        .collect();
    for (k, (op, ins, out)) in nodes.into_iter().enumerate() {
        m.tensors[out].quant = match op {
            Op::MaxPool2d(_)
            | Op::AvgPool2d(_)
            | Op::Pad { .. }
            | Op::Reshape { .. }
            | Op::Flatten
            | Op::Concat { .. } => m.tensors[ins[0]].quant.clone(),
            Op::Logistic | Op::Softmax { .. } => quant(1.0 / 256.0, -128),
            Op::Tanh => quant(1.0 / 128.0, 0),
            Op::Dequantize => None,
            _ => quant(0.02 + 0.01 * (k % 5) as f32, (k as i64 * 7) % 21 - 10),
        };
    }
    Ok(m)
}
