//! Helpers shared by the property tests of the target kernels (`cortex_m::tests`,
//! `aarch64::tests`): deterministic data, convolution geometries and output sizes.

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
