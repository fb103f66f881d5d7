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
use super::{pop_lane, ChannelRq, Fused, Requant};
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

/// Int8 depthwise convolution, multiplier 1, dilation 1: `C` channels, `KH x KW` filters at
/// horizontal stride `S`, weights packed by [`super::pack::pack_depthwise`]
/// (`KH * S * C` words), requantised per channel by `rq` (bias with the input zero point
/// folded in).
///
/// # Errors
/// [`KernelError`] when the filter does not fit the sliding accumulator
/// ([`super::pack::depthwise_fits`]) or the spec disagrees with the slices.
#[inline(never)]
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
    let plan = Plan::new::<C, KW, S>(s, rq);
    let row_bytes = plan.in_row * C;
    for oy in 0..s.output_h {
        let iy0 = (oy * s.stride_h) as isize - s.pad_top as isize;
        let mut valid = 0u64;
        for ky in 0..KH {
            if (0..s.input_h as isize).contains(&(iy0 + ky as isize)) {
                valid |= 1 << ky;
            }
        }
        // A padded row reads a real row (any: its weights are zero), so every load is in bounds.
        let any_row = if valid == 0 {
            0
        } else {
            (iy0 + valid.trailing_zeros() as isize) as usize
        };
        let row_at: [usize; KH] = core::array::from_fn(|ky| {
            if valid >> ky & 1 == 1 {
                (iy0 + ky as isize) as usize * row_bytes
            } else {
                any_row * row_bytes
            }
        });
        // SAFETY: `row_at` are rows of the input (`valid`, or a valid row, or row 0 of a
        // non-empty input), the plan's columns lie in the input (`Plan::new`), and output row
        // `oy < OH` has `OW` pixels of `C` channels (checked lengths).
        unsafe {
            row::<C, KH, KW, S>(
                &plan,
                rq,
                words,
                input.as_ptr(),
                &row_at,
                valid,
                output.as_mut_ptr().add(oy * plan.out_row * C),
            );
        }
    }
    Ok(())
}

/// The geometry of a row's walk, the same for every row and channel.
///
/// Step `o` (output pixel `o`; the first `lanes - 1` only fill the lanes) reads columns
/// `j = S o + KW - S + t`, `t < S`, of the padded row: nothing before the row (`j < 0`), the
/// zero point when padded, else input column `j - pad_left = first_col(o) + t`. Steps
/// `o_start..warm` read no input column and write nothing (their lanes are a constant per
/// channel), `warm..fill` read only input columns and write nothing, `fill..lo` are edge steps
/// (column by column), `lo..hi` read only input columns and write, `hi..tail` are edge steps,
/// and `tail..ow` read no input column.
struct Plan {
    o_start: isize,
    warm: isize,
    fill: isize,
    lo: isize,
    hi: isize,
    tail: isize,
    ow: isize,
    pad_left: isize,
    input_w: isize,
    /// Pixels between neighbouring rows and columns of the stored input, and output rows.
    in_row: usize,
    /// Bytes between neighbouring columns of the input and output.
    col_bytes: usize,
    out_col_bytes: usize,
    /// Pixels between output rows.
    out_row: usize,
    zp: i64,
    min: i64,
    max: i64,
    offset: i32,
    transposed: bool,
}

impl Plan {
    fn new<const C: usize, const KW: usize, const S: usize>(
        s: &DepthwiseSpec,
        rq: &Requant<C>,
    ) -> Plan {
        // Pixel distances between neighbouring rows and columns of the stored tensors.
        let (in_row, in_col, out_row, out_col) = if s.transposed {
            (1, s.input_h, 1, s.output_h)
        } else {
            (s.input_w, 1, s.output_w, 1)
        };
        let lanes = super::pack::depthwise_lanes(KW, S);
        let mut p = Plan {
            o_start: 1 - lanes as isize,
            warm: 0,
            fill: 0,
            lo: 0,
            hi: 0,
            tail: 0,
            ow: s.output_w as isize,
            pad_left: s.pad_left as isize,
            input_w: s.input_w as isize,
            in_row,
            col_bytes: in_col * C,
            out_col_bytes: out_col * C,
            out_row,
            zp: i64::from(s.pad_value),
            min: i64::from(rq.min),
            max: i64::from(rq.max),
            offset: rq.offset,
            transposed: s.transposed,
        };
        let in_input = |p: &Plan, o: isize| {
            (0..S).all(|t| (0..p.input_w).contains(&(p.first_col::<KW, S>(o) + t as isize)))
        };
        let no_input = |p: &Plan, o: isize| {
            (0..S).all(|t| !(0..p.input_w).contains(&(p.first_col::<KW, S>(o) + t as isize)))
        };
        // The interior writes every step's output: it starts at output 0 at the earliest.
        while p.lo < p.ow && p.first_col::<KW, S>(p.lo) < 0 {
            p.lo += 1;
        }
        p.hi = p.lo;
        while p.hi < p.ow && p.first_col::<KW, S>(p.hi) + S as isize - 1 < p.input_w {
            p.hi += 1;
        }
        p.warm = p.o_start;
        while p.warm < 0 && no_input(&p, p.warm) {
            p.warm += 1;
        }
        p.fill = p.warm;
        while p.fill < 0 && in_input(&p, p.fill) {
            p.fill += 1;
        }
        p.tail = p.ow;
        while p.tail > p.hi && no_input(&p, p.tail - 1) {
            p.tail -= 1;
        }
        p
    }

    /// The input column of step `o`'s first column.
    #[inline(always)]
    fn first_col<const KW: usize, const S: usize>(&self, o: isize) -> isize {
        S as isize * o + (KW - S) as isize - self.pad_left
    }
}

/// One output row, every channel: the filter rows `valid` (bit `ky`) read input rows
/// `x + row_at[ky]` (a padded filter row any input row), outputs written from `y`.
///
/// # Safety
/// `row_at` are offsets of input rows, `x` the input of `input_w` columns of the plan, `y` an
/// output row of `ow` pixels, `words` of `KH S C` words (checked by the caller).
#[inline(never)]
unsafe fn row<const C: usize, const KH: usize, const KW: usize, const S: usize>(
    p: &Plan,
    rq: &Requant<C>,
    words: &[i64],
    x: *const i8,
    row_at: &[usize; KH],
    valid: u64,
    y: *mut i8,
) {
    let full: u64 = if KH >= 64 { u64::MAX } else { (1u64 << KH) - 1 };
    let (col_bytes, out_col_bytes, zp) = (p.col_bytes, p.out_col_bytes, p.zp);
    for c in 0..C {
        let q = rq.ch.get(c).copied().unwrap_or(super::ZERO_RQ);
        // SAFETY: `(ky S + t) C + c < KH S C` (the caller's contract).
        let mut w: [[i64; S]; KH] = core::array::from_fn(|ky| {
            core::array::from_fn(|t| unsafe { *words.as_ptr().add((ky * S + t) * C + c) })
        });
        // Per step column, what a padded column adds (the zero point times the words of the
        // rows in the input); what the padded rows add to every output.
        let mut zc = [0i64; S];
        let mut zsum = 0i64;
        for (ky, wk) in w.iter_mut().enumerate() {
            if valid == full || valid >> ky & 1 == 1 {
                for (z, &a) in zc.iter_mut().zip(wk.iter()) {
                    *z = z.wrapping_add(a.wrapping_mul(zp));
                }
            } else {
                for &a in wk.iter() {
                    // Each lane of a word is one weight of the row.
                    let mut rest = a;
                    for _ in 0..super::pack::LANES {
                        let (lane, r) = pop_lane(rest);
                        zsum = zsum.wrapping_add(lane.wrapping_mul(zp));
                        rest = r;
                    }
                }
                *wk = [0; S];
            }
        }
        let Some(f) = q.fused else {
            // SAFETY: the caller's contract.
            unsafe { slow_channel::<C, KH, KW, S>(p, rq, &q, &w, &zc, zsum, x, row_at, y, c) };
            continue;
        };
        let f = Fused {
            k: f.k.wrapping_add(zsum.wrapping_mul(f.fmul)),
            ..f
        };
        let (min, max) = (p.min, p.max);
        let xc = x.wrapping_add(c);
        let yc = y.wrapping_add(c);
        // Column by column: `Real` columns read the input.
        let edge = |mut acc: i64, o: isize| -> i64 {
            for (t, &z) in zc.iter().enumerate() {
                let ix = p.first_col::<KW, S>(o) + t as isize;
                if ix + p.pad_left < 0 {
                    continue;
                }
                if (0..p.input_w).contains(&ix) {
                    for (&at, wk) in row_at.iter().zip(w.iter()) {
                        // SAFETY: column `ix` of an input row (the caller's contract).
                        let xv = unsafe { *xc.add(at + ix as usize * col_bytes) };
                        acc = acc.wrapping_add(
                            i64::from(xv).wrapping_mul(wk.get(t).copied().unwrap_or(0)),
                        );
                    }
                } else {
                    acc = acc.wrapping_add(z);
                }
            }
            acc
        };
        let mut acc = 0i64;
        for o in p.o_start..p.warm {
            for (t, &z) in zc.iter().enumerate() {
                if p.first_col::<KW, S>(o) + t as isize + p.pad_left >= 0 {
                    acc = acc.wrapping_add(z);
                }
            }
            acc = pop_lane(acc).1;
        }
        if p.warm < p.fill {
            let at = p.first_col::<KW, S>(p.warm) as usize * col_bytes;
            // SAFETY: steps `warm..fill` read input columns only (the plan).
            acc = unsafe {
                steps::<KH, S, false>(
                    &w,
                    &f,
                    min,
                    max,
                    xc.add(at),
                    row_at,
                    col_bytes,
                    yc,
                    0,
                    (p.fill - p.warm) as usize,
                    acc,
                )
            };
        }
        for o in p.fill..p.lo {
            let (v, rest) = pop_lane(edge(acc, o));
            acc = rest;
            if o >= 0 {
                // SAFETY: output pixel `o < ow` of the row.
                unsafe { *yc.add(o as usize * out_col_bytes) = f.output(v, min, max) };
            }
        }
        if p.lo < p.hi {
            let at = p.first_col::<KW, S>(p.lo) as usize * col_bytes;
            let (n, y0) = ((p.hi - p.lo) as usize, p.lo as usize * out_col_bytes);
            // SAFETY: steps `lo..hi` read input columns only (the plan) and write pixels
            // `lo..hi` of the row. Untransposed, columns are `C` bytes apart: a constant the
            // loads take as an offset.
            acc = unsafe {
                if p.transposed {
                    steps::<KH, S, true>(
                        &w,
                        &f,
                        min,
                        max,
                        xc.add(at),
                        row_at,
                        col_bytes,
                        yc.add(y0),
                        out_col_bytes,
                        n,
                        acc,
                    )
                } else {
                    steps::<KH, S, true>(
                        &w,
                        &f,
                        min,
                        max,
                        xc.add(at),
                        row_at,
                        C,
                        yc.add(y0),
                        C,
                        n,
                        acc,
                    )
                }
            };
        }
        for o in p.hi..p.tail {
            let (v, rest) = pop_lane(edge(acc, o));
            acc = rest;
            // SAFETY: output pixel `o < ow` of the row.
            unsafe { *yc.add(o as usize * out_col_bytes) = f.output(v, min, max) };
        }
        let zstep = zc.iter().fold(0i64, |a, &z| a.wrapping_add(z));
        for o in p.tail..p.ow {
            let (v, rest) = pop_lane(acc.wrapping_add(zstep));
            acc = rest;
            // SAFETY: output pixel `o < ow` of the row.
            unsafe { *yc.add(o as usize * out_col_bytes) = f.output(v, min, max) };
        }
    }
}

/// `n` steps reading only input columns, from `x + row_at[ky]` (filter row `ky`), columns
/// `col_bytes` apart; with `OUT`, writing `n` outputs `out_step` apart from `y`. Returns the
/// lanes.
///
/// # Safety
/// Every byte read (`x + row_at[ky] + (i S + t) col_bytes` for `i < n`, `t < S`) lies in the
/// input, and with `OUT` `y + i out_step` for `i < n` in the output.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
#[inline(always)]
unsafe fn steps<const KH: usize, const S: usize, const OUT: bool>(
    w: &[[i64; S]; KH],
    f: &Fused,
    min: i64,
    max: i64,
    x: *const i8,
    row_at: &[usize; KH],
    col_bytes: usize,
    mut y: *mut i8,
    out_step: usize,
    n: usize,
    mut acc: i64,
) -> i64 {
    // SAFETY: the caller's contract (the first step's columns are in the input).
    let mut pk: [*const i8; KH] = core::array::from_fn(|ky| unsafe { x.add(row_at[ky]) });
    let w = *w;
    let f = *f;
    let col_step = S * col_bytes;
    for _ in 0..n {
        for t in 0..S {
            for ky in 0..KH {
                // SAFETY: column `t` of this step, inside the input (the caller's contract).
                let xv = i64::from(unsafe { *pk[ky].add(t * col_bytes) });
                acc = acc.wrapping_add(xv.wrapping_mul(w[ky][t]));
            }
        }
        let (v, rest) = pop_lane(acc);
        acc = rest;
        if OUT {
            // SAFETY: output pixel of this step (the caller's contract).
            unsafe { *y = f.output(v, min, max) };
            y = y.wrapping_add(out_step);
        }
        for pp in &mut pk {
            *pp = pp.wrapping_add(col_step);
        }
    }
    acc
}

/// A channel without a fused requantisation ([`super::Fused`]): every step column by column,
/// TFLite's requantisation step by step.
///
/// # Safety
/// As for [`row`].
#[cold]
#[allow(clippy::too_many_arguments)]
unsafe fn slow_channel<const C: usize, const KH: usize, const KW: usize, const S: usize>(
    p: &Plan,
    rq: &Requant<C>,
    q: &ChannelRq,
    w: &[[i64; S]; KH],
    zc: &[i64; S],
    zsum: i64,
    x: *const i8,
    row_at: &[usize; KH],
    y: *mut i8,
    c: usize,
) {
    let mut acc = 0i64;
    for o in p.o_start..p.ow {
        for (t, &z) in zc.iter().enumerate() {
            let ix = p.first_col::<KW, S>(o) + t as isize;
            if ix + p.pad_left < 0 {
                continue;
            }
            if (0..p.input_w).contains(&ix) {
                for (&at, wk) in row_at.iter().zip(w.iter()) {
                    // SAFETY: column `ix` of an input row, channel `c` (the caller's contract).
                    let xv = unsafe { *x.add(at + ix as usize * p.col_bytes + c) };
                    acc = acc
                        .wrapping_add(i64::from(xv).wrapping_mul(wk.get(t).copied().unwrap_or(0)));
                }
            } else {
                acc = acc.wrapping_add(z);
            }
        }
        let (v, rest) = pop_lane(acc);
        acc = rest;
        if o >= 0 {
            let v = (v.wrapping_add(zsum) as i32).wrapping_add(q.bias);
            // SAFETY: output pixel `o < ow` of the row, channel `c`.
            unsafe {
                *y.add(o as usize * p.out_col_bytes + c) =
                    super::output::<false>(v, q, p.offset, rq.min, rq.max);
            }
        }
    }
}

/// Depthwise convolution through a buffer of `KH` padded input rows: the same arithmetic as
/// [`depthwise_s8`], but for each output row the `KH` input rows it reads are first copied
/// into `[[i8; RS]; KH]` on the stack with their padding written out (the zero point), so
/// that every row and channel is one uniform walk: `lanes - 1` steps filling the lanes, then
/// one step per output pixel, no edge cases, no zeroed filter rows, and the rows and columns
/// of the buffer at constant distances (load offsets). `RS` is the buffer row in bytes:
/// `S (OW + lanes - 1) C`, the padded columns the walk reads ([`padded_row_bytes`]).
///
/// The buffer costs `KH RS` bytes of stack; the compiler picks this kernel when that is small
/// (`k210` emitter: at most [`ROWS_STACK_LIMIT`] bytes) and [`depthwise_s8`] otherwise.
///
/// # Errors
/// As [`depthwise_s8`], and when `RS` is not [`padded_row_bytes`] of the spec.
#[inline(never)]
pub fn depthwise_rows_s8<
    const C: usize,
    const KH: usize,
    const KW: usize,
    const S: usize,
    const RS: usize,
>(
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
    if padded_row_bytes(C, KW, S, s.output_w) != Some(RS) {
        return Err(KernelError::Param(
            "depthwise row buffer size disagrees with the output width",
        ));
    }
    if s.input_h == 0 || s.input_w == 0 || s.output_w == 0 {
        return if output.is_empty() {
            Ok(())
        } else {
            Err(KernelError::Param("an empty input with outputs"))
        };
    }
    // Pixel distances between neighbouring rows and columns of the stored tensors.
    let (in_row, in_col, out_row, out_col) = if s.transposed {
        (1, s.input_h, 1, s.output_h)
    } else {
        (s.input_w, 1, s.output_w, 1)
    };
    let lanes = super::pack::depthwise_lanes(KW, S);
    // Buffer column `u` is column `u + j0` of the padded row (`j0 <= 0`: the first step's
    // columns before the row, which feed only lanes of outputs before the row), input
    // column `u + j0 - pad_left`.
    let j0 = KW as isize - (S * lanes) as isize;
    let first = j0 - s.pad_left as isize;
    let cols = RS / C;
    let zp = s.pad_value;
    let mut buf = [[zp; RS]; KH];
    let (min, max) = (i64::from(rq.min), i64::from(rq.max));
    for oy in 0..s.output_h {
        let iy0 = (oy * s.stride_h) as isize - s.pad_top as isize;
        for (ky, row) in buf.iter_mut().enumerate() {
            let iy = iy0 + ky as isize;
            if !(0..s.input_h as isize).contains(&iy) {
                row.fill(zp);
                continue;
            }
            // Input columns `lo..hi` land in buffer columns `lo - first ..`.
            let lo = first.max(0) as usize;
            let hi = (first + cols as isize).min(s.input_w as isize).max(0) as usize;
            let at = |ix: usize| (iy as usize * in_row + ix * in_col) * C;
            let u0 = (lo as isize - first) as usize;
            if lo >= hi {
                row.fill(zp);
                continue;
            }
            if let Some(r) = row.get_mut(..u0 * C) {
                r.fill(zp);
            }
            if let Some(r) = row.get_mut((u0 + hi - lo) * C..) {
                r.fill(zp);
            }
            if in_col == 1 {
                if let (Some(d), Some(x)) = (
                    row.get_mut(u0 * C..(u0 + hi - lo) * C),
                    input.get(at(lo)..at(lo) + (hi - lo) * C),
                ) {
                    for (d, &x) in d.iter_mut().zip(x) {
                        *d = x;
                    }
                }
            } else {
                for (i, ix) in (lo..hi).enumerate() {
                    if let (Some(d), Some(x)) = (
                        row.get_mut((u0 + i) * C..(u0 + i + 1) * C),
                        input.get(at(ix)..at(ix) + C),
                    ) {
                        for (d, &x) in d.iter_mut().zip(x) {
                            *d = x;
                        }
                    }
                }
            }
        }
        let y_row = oy * out_row * C;
        for c in 0..C {
            let Some(q) = rq.ch.get(c) else { break };
            let w: [[i64; S]; KH] = core::array::from_fn(|ky| {
                core::array::from_fn(|t| words.get((ky * S + t) * C + c).copied().unwrap_or(0))
            });
            let x = buf.as_ptr().cast::<i8>().wrapping_add(c);
            // SAFETY: output pixels `(oy, o)`, `o < OW`, channel `c` (checked lengths).
            let y = unsafe { output.as_mut_ptr().add(y_row + c) };
            // SAFETY: the walk reads buffer columns `0..(OW + lanes - 1) S = RS / C` of the
            // `KH` rows at channel `c < C` and writes `OW` pixels `out_col C` apart from `y`.
            unsafe {
                match q.fused {
                    Some(f) => walk::<KH, S, RS, C, true>(
                        &w,
                        &f,
                        q,
                        rq,
                        min,
                        max,
                        x,
                        y,
                        out_col * C,
                        lanes,
                        s.output_w,
                    ),
                    None => walk::<KH, S, RS, C, false>(
                        &w,
                        &ZERO_FUSED,
                        q,
                        rq,
                        min,
                        max,
                        x,
                        y,
                        out_col * C,
                        lanes,
                        s.output_w,
                    ),
                }
            }
        }
    }
    Ok(())
}

/// The largest row buffer [`depthwise_rows_s8`] keeps on the stack, in bytes (`KH RS`), as the
/// `k210` emitter chooses.
pub const ROWS_STACK_LIMIT: usize = 8 * 1024;

/// The buffer row of [`depthwise_rows_s8`] in bytes, `S (ow + lanes - 1) C`, or `None` when it
/// overflows or the filter does not fit.
#[must_use]
pub const fn padded_row_bytes(c: usize, kw: usize, sw: usize, ow: usize) -> Option<usize> {
    let lanes = super::pack::depthwise_lanes(kw, sw);
    if lanes == 0 || ow == 0 {
        return None;
    }
    match sw.checked_mul(ow + lanes - 1) {
        Some(cols) => cols.checked_mul(c),
        None => None,
    }
}

const ZERO_FUSED: Fused = Fused {
    fmul: 0,
    k: 0,
    mask: 0,
    g: 0,
    r: 0,
};

/// One walk along a buffer row set from `x` (channel included): `lanes - 1` steps filling the
/// lanes, then `n` steps writing outputs `out_step` apart from `y`. `FUSED`: requantised by
/// `f`; else by TFLite's steps (`q`, `rq`).
///
/// # Safety
/// `x + ky RS + i C` for `ky < KH`, `i < (n + lanes - 1) S` lies in the buffer and `y + i
/// out_step`, `i < n`, in the output.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
#[inline(always)]
unsafe fn walk<
    const KH: usize,
    const S: usize,
    const RS: usize,
    const C: usize,
    const FUSED: bool,
>(
    w: &[[i64; S]; KH],
    f: &Fused,
    q: &super::ChannelRq,
    rq: &Requant<C>,
    min: i64,
    max: i64,
    mut x: *const i8,
    mut y: *mut i8,
    out_step: usize,
    lanes: usize,
    n: usize,
) {
    let w = *w;
    let f = *f;
    let mut acc = 0i64;
    let step = |x: &mut *const i8, acc: &mut i64| -> i64 {
        for t in 0..S {
            for ky in 0..KH {
                // SAFETY: buffer row `ky`, column of this step (the caller's contract).
                let xv = i64::from(unsafe { *x.add(ky * RS + t * C) });
                *acc = acc.wrapping_add(xv.wrapping_mul(w[ky][t]));
            }
        }
        *x = x.wrapping_add(S * C);
        let (v, rest) = pop_lane(*acc);
        *acc = rest;
        v
    };
    for _ in 1..lanes {
        step(&mut x, &mut acc);
    }
    for _ in 0..n {
        let v = step(&mut x, &mut acc);
        let o = if FUSED {
            f.output(v, min, max)
        } else {
            super::output::<false>(
                (v as i32).wrapping_add(q.bias),
                q,
                rq.offset,
                rq.min,
                rq.max,
            )
        };
        // SAFETY: output pixel of this step (the caller's contract).
        unsafe { *y = o };
        y = y.wrapping_add(out_step);
    }
}
