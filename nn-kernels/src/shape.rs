//! Small shape helpers shared by the N-dimensional kernels (broadcasting, pad, mean).

/// Largest rank the N-dimensional kernels accept (TFLM broadcasts up to 6-D).
pub const MAX_RANK: usize = 6;

/// Right-align `dims` into a rank-[`MAX_RANK`] shape padded with leading ones, as TFLite's
/// `RuntimeShape::ExtendedShape` does. Returns `None` above [`MAX_RANK`].
#[must_use]
pub fn extend(dims: &[usize]) -> Option<[usize; MAX_RANK]> {
    if dims.len() > MAX_RANK {
        return None;
    }
    let mut out = [1usize; MAX_RANK];
    let start = MAX_RANK - dims.len();
    for (o, d) in out.iter_mut().skip(start).zip(dims) {
        *o = *d;
    }
    Some(out)
}

/// Row-major strides of a rank-[`MAX_RANK`] shape, with stride 0 on every dimension of size 1
/// that `out` extends (a broadcast dimension).
#[must_use]
pub(crate) fn broadcast_strides(
    shape: &[usize; MAX_RANK],
    out: &[usize; MAX_RANK],
) -> [usize; MAX_RANK] {
    let mut strides = [0usize; MAX_RANK];
    let mut acc = 1usize;
    for i in (0..MAX_RANK).rev() {
        strides[i] = if shape[i] == 1 && out[i] != 1 { 0 } else { acc };
        acc = acc.saturating_mul(shape[i]);
    }
    strides
}

/// Visit every index of a rank-[`MAX_RANK`] shape in row-major order, calling `f` with the
/// multi-index. Does nothing when any dimension is zero.
pub(crate) fn for_each_index(shape: &[usize; MAX_RANK], mut f: impl FnMut(&[usize; MAX_RANK])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = [0usize; MAX_RANK];
    loop {
        f(&idx);
        let mut d = MAX_RANK;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Dot product of an index with strides.
#[inline(always)]
pub(crate) fn offset(idx: &[usize; MAX_RANK], strides: &[usize; MAX_RANK]) -> usize {
    idx.iter().zip(strides).map(|(i, s)| i * s).sum()
}
