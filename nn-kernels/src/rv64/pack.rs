//! Build-time layouts of the RV64 kernels' constants: int8 weights packed three to a 64-bit
//! word, one 21-bit lane each, and the interval between two extractions of the lanes.
//!
//! The compiler (`nn_dsl`) calls these on the host and writes their results into the generated
//! module as statics; they are the one definition of each layout, next to the kernels that read
//! it. No allocation: every function writes into a slice the caller provides.

use crate::KernelError;

pub use crate::cortex_m::pack::fold_bias;

/// Bits per lane of a packed word.
pub const LANE_BITS: u32 = 21;

/// Lanes (filters, or output pixels for depthwise) per packed word.
pub const LANES: usize = 3;

/// The largest sum of weight magnitudes one lane may accumulate between two extractions: every
/// input value is in `-128..=127`, so a lane's sum stays within `128 * 8191 < 2^20`, the range
/// of a signed 21-bit lane.
pub const LANE_WEIGHT_SUM: u32 = 8191;

/// Filter groups (of [`LANES`] filters) for `rows` filters.
#[must_use]
pub const fn groups(rows: usize) -> usize {
    rows.div_ceil(LANES)
}

/// The packed word of three weights, `w0 + w1 * 2^21 + w2 * 2^42`: multiplied by an input
/// value `x`, it is `x w0 + x w1 * 2^21 + x w2 * 2^42`, three products in three lanes.
#[must_use]
pub const fn word(w: [i8; LANES]) -> i64 {
    (w[0] as i64) + ((w[1] as i64) << LANE_BITS) + ((w[2] as i64) << (2 * LANE_BITS))
}

/// Filters `[rows][k]` (a convolution's `[OC][KH, KW, IC]`, a fully connected layer's
/// `[units][depth]`) packed for the matrix multiply: group `g` holds filters `3g..3g+3` (missing
/// filters are zeros); blocks of `ng` groups (the last may have fewer), each stored as `k`
/// positions of its groups' words: the word of group `g` at position `t` is at
/// `(g - g % ng) * k + t * gb + g % ng`, where `gb` is the number of groups of `g`'s block.
///
/// # Errors
/// [`KernelError`] unless `weights.len() == rows * k`, `ng` is 1 to 4 and
/// `out.len() == groups(rows) * k`.
pub fn pack_filters(
    weights: &[i8],
    rows: usize,
    k: usize,
    ng: usize,
    out: &mut [i64],
) -> Result<(), KernelError> {
    crate::error::check_len("filters", rows.saturating_mul(k), weights.len())?;
    if !(1..=4).contains(&ng) {
        return Err(KernelError::Param(
            "packed filter groups per block outside 1..=4",
        ));
    }
    let ngroups = groups(rows);
    crate::error::check_len("packed filters", ngroups.saturating_mul(k), out.len())?;
    let w = |row: usize, t: usize| {
        if row < rows {
            weights.get(row * k + t).copied().unwrap_or(0)
        } else {
            0
        }
    };
    for g in 0..ngroups {
        let g0 = g - g % ng;
        let gb = ng.min(ngroups - g0);
        for t in 0..k {
            let packed = word([w(3 * g, t), w(3 * g + 1, t), w(3 * g + 2, t)]);
            if let Some(slot) = out.get_mut(g0 * k + t * gb + g % ng) {
                *slot = packed;
            }
        }
    }
    Ok(())
}

/// The largest number of values `F` the matrix multiply may accumulate in its lanes between two
/// extractions for filters `[rows][k]`: every chunk `[j F, (j + 1) F)` of every filter has
/// weight magnitudes summing to at most [`LANE_WEIGHT_SUM`]. `k` itself when whole filters fit,
/// otherwise the largest multiple of 8 that does (at least 8: `8 * 128 <= 8191`). 1 for `k = 0`.
#[must_use]
pub fn flush_every(weights: &[i8], rows: usize, k: usize) -> usize {
    if k == 0 {
        return 1;
    }
    let limit = LANE_WEIGHT_SUM;
    let fits = |f: usize| {
        weights.chunks(k).take(rows).all(|filter| {
            filter
                .chunks(f)
                .all(|c| c.iter().map(|w| w.unsigned_abs() as u32).sum::<u32>() <= limit)
        })
    };
    if fits(k) {
        return k;
    }
    let mut f = (k - 1) / 8 * 8;
    while f > 8 && !fits(f) {
        f -= 8;
    }
    f.max(8)
}

/// Lanes of the sliding accumulator of a depthwise convolution with filter width `kw` and
/// horizontal stride `sw`: the output pixels one input value can reach.
#[must_use]
pub const fn depthwise_lanes(kw: usize, sw: usize) -> usize {
    if kw == 0 || sw == 0 {
        0
    } else {
        (kw - 1) / sw + 1
    }
}

/// Whether the depthwise kernel takes a filter of `kh x kw` taps at horizontal stride `sw`:
/// one to three lanes, a stride no wider than the filter, and at most 63 taps (so a lane's sum
/// stays within [`LANE_WEIGHT_SUM`] whatever the weights).
#[must_use]
pub const fn depthwise_fits(kh: usize, kw: usize, sw: usize) -> bool {
    let lanes = depthwise_lanes(kw, sw);
    lanes >= 1 && lanes <= LANES && sw <= kw && kh >= 1 && kh * kw <= 63
}

/// Depthwise weights `[kh][kw][c]` (TFLite's `[1, KH, KW, C]`, multiplier 1) packed for the
/// sliding accumulator at horizontal stride `sw`: for each filter row `ky`, each of the `sw`
/// input columns `t` in `kw - sw..kw` a step reads, and each channel, the word
/// `sum over d of w[ky][t - sw d] * 2^(21 d)` (lane `d`: the output `d` pixels further on).
/// `out[(ky * sw + (t - (kw - sw))) * c + ch]`.
///
/// # Errors
/// [`KernelError`] unless [`depthwise_fits`] and the lengths agree
/// (`out.len() == kh * sw * c`).
pub fn pack_depthwise(
    weights: &[i8],
    kh: usize,
    kw: usize,
    c: usize,
    sw: usize,
    out: &mut [i64],
) -> Result<(), KernelError> {
    if !depthwise_fits(kh, kw, sw) {
        return Err(KernelError::Param(
            "depthwise filter too wide for the stride (more than 3 lanes)",
        ));
    }
    crate::error::check_len("filters", kh * kw * c, weights.len())?;
    crate::error::check_len("packed filters", kh * sw * c, out.len())?;
    for ky in 0..kh {
        for s in 0..sw {
            let t = kw - sw + s;
            for ch in 0..c {
                let mut packed = 0i64;
                let mut d = 0;
                while d * sw <= t {
                    let w = weights.get((ky * kw + t - d * sw) * c + ch).copied();
                    packed += i64::from(w.unwrap_or(0)) << (LANE_BITS as usize * d);
                    d += 1;
                }
                if let Some(slot) = out.get_mut((ky * sw + s) * c + ch) {
                    *slot = packed;
                }
            }
        }
    }
    Ok(())
}
