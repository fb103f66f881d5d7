//! Fully connected layer (TFLite `FULLY_CONNECTED`, int8, symmetric weights): each input row is
//! widened once to int16 pairs, then four units at a time accumulate with `SMLAD` against
//! weights pre-widened and interleaved by four at build time ([`super::pack::pack_fc`]), so one
//! input word serves four multiplies and each pair of filter words is one `LDRD`.

use super::dsp::{dot_1x4, pkhbt16, pkhtb16, sxtb16, sxtb16_ror8, word};
use super::pack::pair;
use super::{check_act, check_rq, Out, Rq};
use crate::error::check_len;
use crate::{KernelError, KernelResult};

/// The run-time constants of one fully connected layer with `U` units.
#[derive(Clone, Copy, Debug)]
pub struct FcSpec<'a, const U: usize> {
    /// Output zero point.
    pub output_offset: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
    /// Bias with the input zero point folded in, per unit.
    pub bias: &'a [i32; U],
    /// Requantisation per unit (a per-tensor layer repeats its one entry).
    pub rq: &'a [Rq; U],
}

/// Runs the layer on every row of `input` (`rows * D` values; `output` holds `rows * U`). `D`:
/// input features; `U`: units; `W = ceil(D / 2)`; `UQ = ceil(U / 4)`; `weights` as
/// [`super::pack::pack_fc`] lays them out.
///
/// # Errors
/// [`KernelError`] when a length disagrees, `W` does not fit `D`, or a requantisation constant
/// is out of range.
pub fn fully_connected_s8<const D: usize, const U: usize, const W: usize, const UQ: usize>(
    s: &FcSpec<'_, U>,
    input: &[i8],
    weights: &[[[u32; 4]; W]; UQ],
    output: &mut [i8],
) -> KernelResult {
    if D == 0
        || U == 0
        || super::pack::words(D) != W
        || UQ != U.div_ceil(4)
        || !input.len().is_multiple_of(D)
    {
        return Err(KernelError::Param("fully connected sizes"));
    }
    let rows = input.len() / D;
    check_len("output", rows.saturating_mul(U), output.len())?;
    check_rq(s.rq)?;
    check_act(s.act_min, s.act_max)?;
    let (stage, _) = Out::new(s.rq, s.output_offset, s.act_min, s.act_max);
    let mut col = [0u32; W];
    for (x, y) in input.chunks_exact(D).zip(output.chunks_exact_mut(U)) {
        widen::<W>(x, &mut col);
        row::<U, W, UQ>(s, stage, &col, weights, y);
    }
    Ok(())
}

/// `x` as int16 pairs (a missing last value is 0).
#[inline(always)]
fn widen<const W: usize>(x: &[i8], col: &mut [u32; W]) {
    let mut quads = x.chunks_exact(4);
    let mut dst = col.chunks_exact_mut(2);
    for (d, q) in (&mut dst).zip(&mut quads) {
        if let ([d0, d1], &[q0, q1, q2, q3]) = (d, q) {
            let v = word([q0, q1, q2, q3]);
            let (even, odd) = (sxtb16(v), sxtb16_ror8(v));
            *d0 = pkhbt16(even, odd);
            *d1 = pkhtb16(even, odd);
        }
    }
    let done = (x.len() / 4) * 2;
    for (d, p) in col.iter_mut().skip(done).zip(quads.remainder().chunks(2)) {
        let lo = p.first().copied().unwrap_or(0);
        let hi = p.get(1).copied().unwrap_or(0);
        *d = pair(i16::from(lo), i16::from(hi));
    }
}

/// Every unit for one widened row, four at a time.
#[inline(always)]
fn row<const U: usize, const W: usize, const UQ: usize>(
    s: &FcSpec<'_, U>,
    stage: Out,
    col: &[u32; W],
    weights: &[[[u32; 4]; W]; UQ],
    y: &mut [i8],
) {
    for (((b, q), o), k) in s
        .bias
        .chunks(4)
        .zip(s.rq.chunks(4))
        .zip(y.chunks_mut(4))
        .zip(weights)
    {
        let init = core::array::from_fn(|i| b.get(i).copied().unwrap_or(0));
        let a = dot_1x4(init, col, k);
        for ((o, q), a) in o.iter_mut().zip(q).zip(a) {
            *o = stage.put(a, q);
        }
    }
}
