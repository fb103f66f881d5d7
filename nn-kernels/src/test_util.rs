//! Helpers shared by the property tests of the target kernels (`cortex_m::tests`,
//! `aarch64::tests`, `rv64::tests`): deterministic data, convolution geometries, output sizes,
//! requantisation tables and activation ranges.

use proptest::prelude::*;

/// Deterministic bytes from a seed (xorshift).
pub(crate) fn bytes(seed: u64, n: usize) -> Vec<i8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as i8
        })
        .collect()
}

/// A convolution's input size, strides, dilations and paddings.
#[derive(Clone, Debug)]
pub(crate) struct Geo {
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) sh: usize,
    pub(crate) sw: usize,
    pub(crate) dh: usize,
    pub(crate) dw: usize,
    pub(crate) pt: usize,
    pub(crate) pl: usize,
    pub(crate) pb: usize,
    pub(crate) pr: usize,
}

/// Geometries with input sides in `1..max`, strides and dilations 1 or 2, paddings 0 to 2.
pub(crate) fn geo(max: usize) -> impl Strategy<Value = Geo> {
    (
        (1usize..max, 1usize..max, 1usize..3, 1usize..3),
        (
            1usize..3,
            1usize..3,
            0usize..3,
            0usize..3,
            0usize..3,
            0usize..3,
        ),
    )
        .prop_map(|((h, w, sh, sw), (dh, dw, pt, pl, pb, pr))| Geo {
            h,
            w,
            sh,
            sw,
            dh,
            dw,
            pt,
            pl,
            pb,
            pr,
        })
}

/// The output size of a convolution along one axis, or `None` when the window does not fit.
pub(crate) fn out_dim(
    n: usize,
    k: usize,
    s: usize,
    d: usize,
    before: usize,
    after: usize,
) -> Option<usize> {
    let eff = (k - 1) * d + 1;
    let total = n + before + after;
    (total >= eff).then(|| (total - eff) / s + 1)
}

/// `cases` proptest cases (2 under Miri, which checks the kernels' pointer arithmetic).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 2 } else { cases },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Per-channel Q31 multipliers in `[2^30, 2^31)` and shifts: right shifts 1 to 10, or
/// (`left`) -9 to 2 (left shifts included).
pub(crate) fn requant_table(seed: u64, n: usize, left: bool) -> (Vec<i32>, Vec<i32>) {
    let b = bytes(seed ^ 0x5555, 2 * n);
    let mult = b
        .iter()
        .take(n)
        .map(|&v| (1 << 30) + (i32::from(v) + 128) * (1 << 22))
        .collect();
    let shift = b
        .iter()
        .skip(n)
        .map(|&v| {
            if left {
                i32::from(v).rem_euclid(12) - 9
            } else {
                -(i32::from(v).rem_euclid(10) + 1)
            }
        })
        .collect();
    (mult, shift)
}

/// An activation range: ReLU-like (from -128 or from the output zero point to 127) or a
/// clamp below 127.
pub(crate) fn act(relu: bool, seed: u64, ozp: i32) -> (i32, i32) {
    if relu {
        (if seed.is_multiple_of(3) { -128 } else { ozp }, 127)
    } else {
        (-128, (ozp + 100).min(127))
    }
}
