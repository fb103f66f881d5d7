//! Depthwise 2-D convolution (TFLite `DEPTHWISE_CONV_2D`, int8, multiplier 1, no dilation) with
//! a sliding packed accumulator: for one channel and one output row, a 64-bit word holds the
//! partial sums of up to three neighbouring output pixels in 21-bit lanes, and each input value
//! is multiplied once by a word of the (up to three) weights that reach those pixels
//! ([`super::pack::pack_depthwise`]). After each step the lowest lane is a finished output: it
//! is taken out and the others move down one lane. A 3x3 filter at stride 1 costs one load, one
//! `MUL` and one `ADD` per three products.
//!
//! Padded taps read the input zero point (the folded bias cancels it): a padded filter row adds
//! a precomputed word per step, a padded column the words of every filter row.

use super::pack::depthwise_fits;
use super::{pop_lane, ChannelRq, Requant};
use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// The geometry of one depthwise convolution whose channel count, filter size and horizontal
/// stride are const generics of the kernel. Layouts: input `[H, W, C]`, output `[OH, OW, C]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthwiseSpec {
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Padding rows before the data.
    pub pad_top: usize,
    /// Padding columns before the data.
    pub pad_left: usize,
    /// The input zero point: the value a padded tap reads (cancelled by the folded bias).
    pub pad_value: i8,
    /// Whether this spec's rows are the columns of the stored (NHWC) tensors and its columns
    /// their rows: the kernel then slides down the stored columns, which pays for tall, narrow
    /// layers (the per-row set-up is shared by more outputs). Every other field, the filter
    /// (`[KW][KH]` of the layer, packed as `[KH][KW]` here) and `S` are given in this
    /// transposed orientation.
    pub transposed: bool,
}

/// One channel's packed words and constants for one output row.
struct Chan<const KH: usize, const S: usize> {
    /// Words of the filter rows that lie in the input (zero for padded rows).
    w: [[i64; S]; KH],
    /// Per step column: the padded rows' words times the zero point.
    zrow: [i64; S],
    /// Per step column: every row's words times the zero point (a padded column).
    zcol: [i64; S],
}

/// Int8 depthwise convolution, multiplier 1, dilation 1: `C` channels, `KH x KW` filters at
/// horizontal stride `S`, weights packed by [`super::pack::pack_depthwise`]
/// (`KH * S * C` words), requantised per channel by `rq` (bias with the input zero point
/// folded in).
///
/// # Errors
/// [`KernelError`] when the filter does not fit the sliding accumulator
/// ([`super::pack::depthwise_fits`]) or the spec disagrees with the slices.
pub fn depthwise_s8<const C: usize, const KH: usize, const KW: usize, const S: usize>(
    s: &DepthwiseSpec,
    rq: &Requant<C>,
    input: &[i8],
    words: &[i64],
    output: &mut [i8],
) -> KernelResult {
    if !depthwise_fits(KH, KW, S) || s.stride_h == 0 || C == 0 {
        return Err(KernelError::Param(
            "depthwise filter, stride or channels outside the sliding kernel's range",
        ));
    }
    check_len("filters", product(&[KH, S, C])?, words.len())?;
    check_len("input", product(&[s.input_h, s.input_w, C])?, input.len())?;
    check_len(
        "output",
        product(&[s.output_h, s.output_w, C])?,
        output.len(),
    )?;
    if s.input_h == 0 || s.input_w == 0 {
        return if output.is_empty() {
            Ok(())
        } else {
            Err(KernelError::Param("an empty input with outputs"))
        };
    }
    // Pixel distances between neighbouring rows and columns of the stored tensors.
    let (in_row, in_col, out_row_step, out_col) = if s.transposed {
        (1, s.input_h, 1, s.output_h)
    } else {
        (s.input_w, 1, s.output_w, 1)
    };
    let (col_bytes, out_col_bytes) = (in_col * C, out_col * C);
    let lanes = super::pack::depthwise_lanes(KW, S);
    let (w_in, ow) = (s.input_w as isize, s.output_w as isize);
    let pl = s.pad_left as isize;
    // Steps (output pixels, the first `lanes - 1` only filling the lanes) whose columns all
    // lie in the input: `0 <= S o + KW - S - pl` and `S o + KW - 1 - pl < W`.
    let first_col = |o: isize| S as isize * o + (KW - S) as isize - pl;
    let o_start = 1 - lanes as isize;
    // The interior writes every step's output: it starts at output 0 at the earliest.
    let mut lo = 0;
    while lo < ow && first_col(lo) < 0 {
        lo += 1;
    }
    let mut hi = lo;
    while hi < ow && first_col(hi) + S as isize - 1 < w_in {
        hi += 1;
    }
    let zp = i64::from(s.pad_value);
    for oy in 0..s.output_h {
        let iy0 = (oy * s.stride_h) as isize - s.pad_top as isize;
        let valid: [bool; KH] =
            core::array::from_fn(|ky| (0..s.input_h as isize).contains(&(iy0 + ky as isize)));
        // A padded row reads a real row (any: its weights are zero), so every load is in bounds.
        let any_row = valid
            .iter()
            .position(|&v| v)
            .map_or(0, |ky| iy0 + ky as isize) as usize;
        let row_at: [usize; KH] = core::array::from_fn(|ky| {
            if valid[ky] {
                (iy0 + ky as isize) as usize * in_row * C
            } else {
                any_row * in_row * C
            }
        });
        let all_rows = valid.iter().all(|&v| v);
        for c in 0..C {
            let mut ch = Chan::<KH, S> {
                w: [[0; S]; KH],
                zrow: [0; S],
                zcol: [0; S],
            };
            for (ky, (&in_input, wk)) in valid.iter().zip(ch.w.iter_mut()).enumerate() {
                let cols = wk
                    .iter_mut()
                    .zip(ch.zrow.iter_mut().zip(ch.zcol.iter_mut()));
                for (t, (w, (zrow, zcol))) in cols.enumerate() {
                    let word = words.get((ky * S + t) * C + c).copied().unwrap_or(0);
                    let z = word.wrapping_mul(zp);
                    *zcol = zcol.wrapping_add(z);
                    if in_input {
                        *w = word;
                    } else {
                        *zrow = zrow.wrapping_add(z);
                    }
                }
            }
            let q = rq.ch.get(c).copied().unwrap_or(super::ZERO_RQ);
            let out_row = oy * out_row_step * C + c;
            let mut acc = 0i64;
            let step = |acc: i64, o: isize, out: &mut [i8]| -> i64 {
                let (v, rest) = pop_lane(acc);
                if o >= 0 {
                    if let Some(y) = out.get_mut(out_row + o as usize * out_col_bytes) {
                        *y = super::output::<false>(
                            (v as i32).wrapping_add(q.bias),
                            &q,
                            rq.offset,
                            rq.min,
                            rq.max,
                        );
                    }
                }
                rest
            };
            // Edge steps: columns checked one by one.
            let edge = |mut acc: i64, o: isize| -> i64 {
                for t in 0..S {
                    let j = S as isize * o + (KW - S + t) as isize;
                    let ix = j - pl;
                    if j < 0 {
                        continue;
                    }
                    if (0..w_in).contains(&ix) {
                        for (ky, wk) in ch.w.iter().enumerate() {
                            let at = row_at[ky] + ix as usize * col_bytes + c;
                            let xv = i64::from(input.get(at).copied().unwrap_or(0));
                            acc = acc.wrapping_add(xv.wrapping_mul(wk[t]));
                        }
                        acc = acc.wrapping_add(ch.zrow[t]);
                    } else {
                        acc = acc.wrapping_add(ch.zcol[t]);
                    }
                }
                acc
            };
            for o in o_start..lo {
                acc = edge(acc, o);
                acc = step(acc, o, output);
            }
            if lo < hi {
                // SAFETY: steps `lo..hi` read columns `first_col(o) .. first_col(o) + S` of rows
                // `row_at`, all inside the input (the bounds computed above), and write output
                // pixels `o < OW` of row `oy` (checked lengths).
                acc = unsafe {
                    interior::<C, KH, S>(
                        &ch,
                        &q,
                        rq,
                        input.as_ptr(),
                        &row_at,
                        (first_col(lo) as usize) * col_bytes + c,
                        col_bytes,
                        output
                            .as_mut_ptr()
                            .add(out_row + lo as usize * out_col_bytes),
                        out_col_bytes,
                        (hi - lo) as usize,
                        acc,
                        all_rows,
                    )
                };
            }
            for o in hi.max(lo)..ow {
                acc = edge(acc, o);
                acc = step(acc, o, output);
            }
        }
    }
    Ok(())
}

/// `n` steps whose columns all lie in the input, from column offset `col` (bytes, channel
/// included; columns `col_bytes` apart) of every filter row, writing `n` outputs
/// `out_col_bytes` apart from `y`.
///
/// # Safety
/// Every byte read (`row_at[ky] + col + (i S + t) col_bytes` for `i < n`, `t < S`) lies in
/// `input`, and `y + i out_col_bytes` for `i < n` in the output.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn interior<const C: usize, const KH: usize, const S: usize>(
    ch: &Chan<KH, S>,
    q: &ChannelRq,
    rq: &Requant<C>,
    input: *const i8,
    row_at: &[usize; KH],
    col: usize,
    col_bytes: usize,
    y: *mut i8,
    out_col_bytes: usize,
    n: usize,
    mut acc: i64,
    all_rows: bool,
) -> i64 {
    // SAFETY: the caller's contract.
    let mut p: [*const i8; KH] = core::array::from_fn(|ky| unsafe { input.add(row_at[ky] + col) });
    let mut y = y;
    let (offset, min, max) = (rq.offset, rq.min, rq.max);
    let q = *q;
    let w = ch.w;
    let zrow = ch.zrow;
    for _ in 0..n {
        for t in 0..S {
            for ky in 0..KH {
                // SAFETY: column `t` of this step, inside the input (the caller's contract).
                let xv = i64::from(unsafe { *p[ky].add(t * col_bytes) });
                acc = acc.wrapping_add(xv.wrapping_mul(w[ky][t]));
            }
            if !all_rows {
                acc = acc.wrapping_add(zrow[t]);
            }
        }
        let (v, rest) = pop_lane(acc);
        acc = rest;
        // SAFETY: output pixel of this step (the caller's contract).
        unsafe {
            *y = super::output::<false>((v as i32).wrapping_add(q.bias), &q, offset, min, max);
            y = y.wrapping_add(out_col_bytes);
            for pk in &mut p {
                *pk = pk.wrapping_add(S * col_bytes);
            }
        }
    }
    acc
}
