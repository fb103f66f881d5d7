//! Shared by the pass cases: the constants of a network as nn-dsl lowers them (the numbers the
//! generated module bakes in as statics), and deterministic inputs.
#![allow(dead_code)]

use nn_dsl::lower::{lower, NodeParams, Requant};
use nn_kernels::shaped::typenum::Unsigned;
use nn_kernels::shaped::{Channels, Quant};

/// The lowered layers of the `.tflite` or `.nnd` file at `rel` (relative to the tests crate),
/// in schedule order, without the reshapes (which move no data).
pub fn layers(rel: &str) -> Vec<NodeParams> {
    let base = std::env::var("NND_MANIFEST_DIR_OVERRIDE").expect("set by shaped_ui.rs");
    let path = std::path::Path::new(&base).join(rel);
    let loaded = nn_dsl::front::load::load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    let lowered = lower(&loaded.module, &loaded.weights).expect("lowering");
    lowered
        .nodes
        .into_iter()
        .filter(|n| !matches!(n, NodeParams::Copy { .. }))
        .collect()
}

/// A convolution's or dense layer's requantisation with its `N` multipliers typed.
pub fn quant<N: Unsigned>(r: &Requant) -> Quant<'_, N> {
    Quant {
        input_offset: r.input_offset,
        output_offset: r.output_offset,
        multiplier: Channels::from_slice(&r.multiplier).expect("multiplier count"),
        shift: Channels::from_slice(&r.shift).expect("shift count"),
        act: [r.act_min, r.act_max],
    }
}

/// A layer's bias with its length typed.
pub fn bias<N: Unsigned>(b: &Option<Vec<i32>>) -> Option<Channels<'_, i32, N>> {
    b.as_deref()
        .map(|b| Channels::from_slice(b).expect("bias length"))
}

/// Deterministic int8 values (a different sequence per seed).
pub fn fill(seed: usize, out: &mut [i8]) {
    for (i, v) in out.iter_mut().enumerate() {
        *v = (((i + 7) * (2 * seed + 1) * 53 % 256) as i32 - 128) as i8;
    }
}
