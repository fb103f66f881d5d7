//! 2-D convolution (TFLite `CONV_2D`, int8, per-channel weights) and fully connected layers as
//! one matrix multiply on packed words ([`super::pack::pack_filters`]): each output pixel is a
//! row of `K` int8 values (its receptive field), multiplied by groups of three filters, one
//! `MUL` and one `ADD` per input value and group. A register block is 4 rows x `NG` groups
//! (`4 x 3 NG` outputs; `NG = 3`: 12 accumulators, 31 instructions per 36 products); the lanes
//! are extracted into int32 sums every `flush` values.
//!
//! Rows are read in place where the input holds them contiguously (a 1x1 convolution over
//! whole rows, the interior pixels of larger filters: one segment per filter row) and gathered
//! otherwise (borders, where padded taps read the input zero point).

use super::pack::groups;
use super::{output, pop_lane, Requant};
use crate::error::{check_len, product};
use crate::{KernelError, KernelResult};

/// Rows per register block.
const MR: usize = 4;

/// The geometry of one convolution whose channel counts are const generics of the kernel, and
/// the lane-extraction interval of its packed filters. Layouts: input `[H, W, IC]`, output
/// `[OH, OW, OC]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvSpec {
    /// Input height.
    pub input_h: usize,
    /// Input width.
    pub input_w: usize,
    /// Output height.
    pub output_h: usize,
    /// Output width.
    pub output_w: usize,
    /// Filter height.
    pub kernel_h: usize,
    /// Filter width.
    pub kernel_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical dilation.
    pub dilation_h: usize,
    /// Horizontal dilation.
    pub dilation_w: usize,
    /// Padding rows before the data.
    pub pad_top: usize,
    /// Padding columns before the data.
    pub pad_left: usize,
    /// The input zero point: the value a padded tap reads (cancelled by the folded bias).
    pub pad_value: i8,
    /// Values accumulated in the lanes between two extractions
    /// ([`super::pack::flush_every`] of the filters).
    pub flush: usize,
}

/// Where the rows of a register block are: `segs` segments of `seg_len` values each, segment
/// `s` of row `i` at `base[i] + s * seg_stride`.
#[derive(Clone, Copy)]
struct Rows<const R: usize> {
    base: [*const i8; R],
    segs: usize,
    seg_len: usize,
    seg_stride: usize,
}

/// `acc[i][g] += sum over t < n of x[i][t] * w[t * NG + g]` (wrapping: the lanes' carries).
/// Blocks of 4 rows and 1 to 3 groups run [`mk43`], [`mk42`] or [`mk41`] on RV64.
///
/// # Safety
/// `x[i]` is readable for `n` bytes and `w` for `n * NG` words.
#[inline(never)]
unsafe fn mk<const R: usize, const NG: usize>(
    x: &[*const i8; R],
    w: *const i64,
    n: usize,
    acc: &mut [[i64; NG]; R],
) {
    #[cfg(target_arch = "riscv64")]
    if R == 4 && (1..=3).contains(&NG) && n >= 4 {
        let x4 = [x[0], x[1], x[2], x[3]];
        let whole = n & !3;
        let a = acc.as_mut_ptr().cast::<i64>();
        // SAFETY: the caller's contract, for the first `whole <= n` values; `acc` is `4 x NG`
        // contiguous i64s, viewed as the array type of the same shape.
        unsafe {
            match NG {
                1 => mk41(&x4, w, whole, &mut *a.cast::<[[i64; 1]; 4]>()),
                2 => mk42(&x4, w, whole, &mut *a.cast::<[[i64; 2]; 4]>()),
                _ => mk43(&x4, w, whole, &mut *a.cast::<[[i64; 3]; 4]>()),
            }
        }
        if whole < n {
            let rest: [*const i8; R] = core::array::from_fn(|i| x[i].wrapping_add(whole));
            // SAFETY: the remaining `n - whole` values of the same rows and words.
            unsafe { mk_scalar(&rest, w.wrapping_add(whole * NG), n - whole, acc) };
        }
        return;
    }
    // SAFETY: the caller's contract.
    unsafe { mk_scalar(x, w, n, acc) }
}

/// [`mk`] in plain Rust.
///
/// # Safety
/// As [`mk`].
#[inline(always)]
unsafe fn mk_scalar<const R: usize, const NG: usize>(
    x: &[*const i8; R],
    w: *const i64,
    n: usize,
    acc: &mut [[i64; NG]; R],
) {
    let mut a = *acc;
    let mut x = *x;
    let mut w = w;
    // One value per iteration: unrolled by hand, LLVM's scheduler hoists every load and
    // product of the unrolled steps and spills the accumulators.
    for _ in 0..n {
        let mut wv = [0i64; NG];
        for (g, v) in wv.iter_mut().enumerate() {
            // SAFETY: at least `NG` words remain from `w`.
            *v = unsafe { *w.add(g) };
        }
        for (row, xr) in a.iter_mut().zip(&mut x) {
            // SAFETY: at least one byte remains from `xr`.
            let xv = i64::from(unsafe { **xr });
            for (s, wg) in row.iter_mut().zip(&wv) {
                *s = s.wrapping_add(xv.wrapping_mul(*wg));
            }
            // SAFETY: one value consumed (at most one past the row's end).
            *xr = unsafe { xr.add(1) };
        }
        // SAFETY: as above.
        w = unsafe { w.add(NG) };
    }
    *acc = a;
}

/// The 4-row x 3-group block over `n` values (a multiple of 4, at least 4) in RV64 assembly:
/// per value 3 `LD` (the words), 4 `LB` (one value of each row), 12 `MUL` + 12 `ADD`; the 12
/// accumulators, the 3 words, 2 product temporaries and the 5 pointers stay in registers
/// (LLVM's own schedule of the same loop hoists the products and spills). Unrolled by 4.
///
/// # Safety
/// `x[i]` readable for `n` bytes, `w` for `3 n` words, `n % 4 == 0`, `n >= 4`.
#[cfg(target_arch = "riscv64")]
#[inline(always)]
unsafe fn mk43(x: &[*const i8; 4], w: *const i64, n: usize, acc: &mut [[i64; 3]; 4]) {
    let [[mut a00, mut a01, mut a02], [mut a10, mut a11, mut a12], [mut a20, mut a21, mut a22], [mut a30, mut a31, mut a32]] =
        *acc;
    let [mut x0, mut x1, mut x2, mut x3] = *x;
    let mut wp = w;
    let end = w.wrapping_add(3 * n);
    macro_rules! step {
        ($w:literal, $x:literal) => {
            concat!(
                "ld {w0}, ",
                $w,
                "+0({wp})\n",
                "ld {w1}, ",
                $w,
                "+8({wp})\n",
                "ld {w2}, ",
                $w,
                "+16({wp})\n",
                "lb {xv}, ",
                $x,
                "({x0})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a00}, {a00}, {t}\n",
                "mul {t}, {xv}, {w2}\n",
                "add {a01}, {a01}, {u}\n",
                "add {a02}, {a02}, {t}\n",
                "lb {xv}, ",
                $x,
                "({x1})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a10}, {a10}, {t}\n",
                "mul {t}, {xv}, {w2}\n",
                "add {a11}, {a11}, {u}\n",
                "add {a12}, {a12}, {t}\n",
                "lb {xv}, ",
                $x,
                "({x2})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a20}, {a20}, {t}\n",
                "mul {t}, {xv}, {w2}\n",
                "add {a21}, {a21}, {u}\n",
                "add {a22}, {a22}, {t}\n",
                "lb {xv}, ",
                $x,
                "({x3})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a30}, {a30}, {t}\n",
                "mul {t}, {xv}, {w2}\n",
                "add {a31}, {a31}, {u}\n",
                "add {a32}, {a32}, {t}\n",
            )
        };
    }
    // SAFETY: reads `4 x n` row bytes and `3 n` words, inside the caller's bounds; writes only
    // registers.
    unsafe {
        core::arch::asm!(
            "2:",
            step!("0", "0"),
            step!("24", "1"),
            step!("48", "2"),
            step!("72", "3"),
            "addi {x0}, {x0}, 4",
            "addi {x1}, {x1}, 4",
            "addi {x2}, {x2}, 4",
            "addi {x3}, {x3}, 4",
            "addi {wp}, {wp}, 96",
            "bne {wp}, {end}, 2b",
            a00 = inout(reg) a00, a01 = inout(reg) a01, a02 = inout(reg) a02,
            a10 = inout(reg) a10, a11 = inout(reg) a11, a12 = inout(reg) a12,
            a20 = inout(reg) a20, a21 = inout(reg) a21, a22 = inout(reg) a22,
            a30 = inout(reg) a30, a31 = inout(reg) a31, a32 = inout(reg) a32,
            x0 = inout(reg) x0, x1 = inout(reg) x1, x2 = inout(reg) x2, x3 = inout(reg) x3,
            wp = inout(reg) wp,
            end = in(reg) end,
            w0 = out(reg) _, w1 = out(reg) _, w2 = out(reg) _,
            xv = out(reg) _, t = out(reg) _, u = out(reg) _,
            options(nostack, readonly),
        );
    }
    let _ = (x0, x1, x2, x3, wp);
    *acc = [
        [a00, a01, a02],
        [a10, a11, a12],
        [a20, a21, a22],
        [a30, a31, a32],
    ];
}

/// [`mk43`] for a block of 2 groups: per value 2 `LD`, 4 `LB`, 8 `MUL` + 8 `ADD`.
///
/// # Safety
/// `x[i]` readable for `n` bytes, `w` for `2 n` words, `n % 4 == 0`, `n >= 4`.
#[cfg(target_arch = "riscv64")]
#[inline(always)]
unsafe fn mk42(x: &[*const i8; 4], w: *const i64, n: usize, acc: &mut [[i64; 2]; 4]) {
    let [[mut a00, mut a01], [mut a10, mut a11], [mut a20, mut a21], [mut a30, mut a31]] = *acc;
    let [mut x0, mut x1, mut x2, mut x3] = *x;
    let mut wp = w;
    let end = w.wrapping_add(2 * n);
    macro_rules! step {
        ($w:literal, $x:literal) => {
            concat!(
                "ld {w0}, ",
                $w,
                "+0({wp})\n",
                "ld {w1}, ",
                $w,
                "+8({wp})\n",
                "lb {xv}, ",
                $x,
                "({x0})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a00}, {a00}, {t}\n",
                "add {a01}, {a01}, {u}\n",
                "lb {xv}, ",
                $x,
                "({x1})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a10}, {a10}, {t}\n",
                "add {a11}, {a11}, {u}\n",
                "lb {xv}, ",
                $x,
                "({x2})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a20}, {a20}, {t}\n",
                "add {a21}, {a21}, {u}\n",
                "lb {xv}, ",
                $x,
                "({x3})\n",
                "mul {t}, {xv}, {w0}\n",
                "mul {u}, {xv}, {w1}\n",
                "add {a30}, {a30}, {t}\n",
                "add {a31}, {a31}, {u}\n",
            )
        };
    }
    // SAFETY: reads `4 x n` row bytes and `2 n` words, inside the caller's bounds; writes only
    // registers.
    unsafe {
        core::arch::asm!(
            "2:",
            step!("0", "0"),
            step!("16", "1"),
            step!("32", "2"),
            step!("48", "3"),
            "addi {x0}, {x0}, 4",
            "addi {x1}, {x1}, 4",
            "addi {x2}, {x2}, 4",
            "addi {x3}, {x3}, 4",
            "addi {wp}, {wp}, 64",
            "bne {wp}, {end}, 2b",
            a00 = inout(reg) a00, a01 = inout(reg) a01,
            a10 = inout(reg) a10, a11 = inout(reg) a11,
            a20 = inout(reg) a20, a21 = inout(reg) a21,
            a30 = inout(reg) a30, a31 = inout(reg) a31,
            x0 = inout(reg) x0, x1 = inout(reg) x1, x2 = inout(reg) x2, x3 = inout(reg) x3,
            wp = inout(reg) wp,
            end = in(reg) end,
            w0 = out(reg) _, w1 = out(reg) _,
            xv = out(reg) _, t = out(reg) _, u = out(reg) _,
            options(nostack, readonly),
        );
    }
    let _ = (x0, x1, x2, x3, wp);
    *acc = [[a00, a01], [a10, a11], [a20, a21], [a30, a31]];
}

/// [`mk43`] for a block of 1 group: per value 1 `LD`, 4 `LB`, 4 `MUL` + 4 `ADD`.
///
/// # Safety
/// `x[i]` readable for `n` bytes, `w` for `n` words, `n % 4 == 0`, `n >= 4`.
#[cfg(target_arch = "riscv64")]
#[inline(always)]
unsafe fn mk41(x: &[*const i8; 4], w: *const i64, n: usize, acc: &mut [[i64; 1]; 4]) {
    let [[mut a0], [mut a1], [mut a2], [mut a3]] = *acc;
    let [mut x0, mut x1, mut x2, mut x3] = *x;
    let mut wp = w;
    let end = w.wrapping_add(n);
    macro_rules! step {
        ($w:literal, $x:literal) => {
            concat!(
                "ld {w0}, ",
                $w,
                "({wp})\n",
                "lb {t}, ",
                $x,
                "({x0})\n",
                "lb {u}, ",
                $x,
                "({x1})\n",
                "mul {t}, {t}, {w0}\n",
                "mul {u}, {u}, {w0}\n",
                "add {a0}, {a0}, {t}\n",
                "add {a1}, {a1}, {u}\n",
                "lb {t}, ",
                $x,
                "({x2})\n",
                "lb {u}, ",
                $x,
                "({x3})\n",
                "mul {t}, {t}, {w0}\n",
                "mul {u}, {u}, {w0}\n",
                "add {a2}, {a2}, {t}\n",
                "add {a3}, {a3}, {u}\n",
            )
        };
    }
    // SAFETY: reads `4 x n` row bytes and `n` words, inside the caller's bounds; writes only
    // registers.
    unsafe {
        core::arch::asm!(
            "2:",
            step!("0", "0"),
            step!("8", "1"),
            step!("16", "2"),
            step!("24", "3"),
            "addi {x0}, {x0}, 4",
            "addi {x1}, {x1}, 4",
            "addi {x2}, {x2}, 4",
            "addi {x3}, {x3}, 4",
            "addi {wp}, {wp}, 32",
            "bne {wp}, {end}, 2b",
            a0 = inout(reg) a0, a1 = inout(reg) a1, a2 = inout(reg) a2, a3 = inout(reg) a3,
            x0 = inout(reg) x0, x1 = inout(reg) x1, x2 = inout(reg) x2, x3 = inout(reg) x3,
            wp = inout(reg) wp,
            end = in(reg) end,
            w0 = out(reg) _, t = out(reg) _, u = out(reg) _,
            options(nostack, readonly),
        );
    }
    let _ = (x0, x1, x2, x3, wp);
    *acc = [[a0], [a1], [a2], [a3]];
}

/// Adds the lanes of `acc` to `sums` (three channels per group) and clears `acc`.
#[inline(always)]
fn flush<const R: usize, const NG: usize>(acc: &mut [[i64; NG]; R], sums: &mut [[i32; 12]; MR]) {
    for (row, sum) in acc.iter_mut().zip(sums.iter_mut()) {
        for (g, a) in row.iter_mut().enumerate() {
            let (l0, rest) = pop_lane(*a);
            let (l1, l2) = pop_lane(rest);
            for (j, l) in [l0, l1, l2].into_iter().enumerate() {
                if let Some(s) = sum.get_mut(3 * g + j) {
                    *s = s.wrapping_add(l as i32);
                }
            }
            *a = 0;
        }
    }
}

/// The sums of one block of `NG` groups for the rows of `rows`, starting at the block's words
/// `w` (`K` positions of `NG` words).
///
/// # Safety
/// Every segment of every row is readable, `w` holds `segs * seg_len * NG` words, `every >= 1`.
#[inline(always)]
unsafe fn block<const R: usize, const NG: usize>(
    rows: &Rows<R>,
    w: *const i64,
    every: usize,
    sums: &mut [[i32; 12]; MR],
) {
    let mut acc = [[0i64; NG]; R];
    let mut w = w;
    let mut left = every;
    for seg in 0..rows.segs {
        let mut x = rows.base;
        for xr in &mut x {
            // SAFETY: segment `seg` of the row (the caller's contract).
            *xr = unsafe { xr.add(seg * rows.seg_stride) };
        }
        let mut rem = rows.seg_len;
        while rem > 0 {
            let n = rem.min(left);
            // SAFETY: `n <= rem` values remain in the segment, and their words in `w`.
            unsafe {
                mk::<R, NG>(&x, w, n, &mut acc);
                w = w.add(n * NG);
                for xr in &mut x {
                    *xr = xr.add(n);
                }
            }
            rem -= n;
            left -= n;
            if left == 0 {
                flush(&mut acc, sums);
                left = every;
            }
        }
    }
    if left != every {
        flush(&mut acc, sums);
    }
}

/// Every output channel of the rows of `rows`, written to output rows `out[i]` (`OC` values
/// each).
///
/// # Safety
/// As [`block`] for every block of `filters` (`groups(OC) * K` words, `K` the rows' length),
/// `out[i]` writable for `OC` bytes.
#[inline(always)]
unsafe fn tile<const R: usize, const OC: usize, const NG: usize>(
    rows: &Rows<R>,
    filters: *const i64,
    every: usize,
    rq: &Requant<OC>,
    out: [*mut i8; R],
    sums: &mut [[i32; 12]; MR],
) {
    let k = rows.segs * rows.seg_len;
    let ngroups = groups(OC);
    let mut g0 = 0;
    while g0 < ngroups {
        let gb = NG.min(ngroups - g0);
        // Only the block's `3 gb` sums of each row are written (flushes) and read (store).
        for row in sums.iter_mut().take(R) {
            for (j, s) in row.iter_mut().enumerate().take(3 * gb) {
                *s = rq.ch.get(3 * g0 + j).map_or(0, |q| q.bias);
            }
        }
        // SAFETY: block `g0 / NG` starts at word `g0 * k` and holds `k * gb` words.
        unsafe {
            let w = filters.add(g0 * k);
            match gb {
                1 => block::<R, 1>(rows, w, every, sums),
                2 => block::<R, 2>(rows, w, every, sums),
                3 => block::<R, 3>(rows, w, every, sums),
                _ => block::<R, 4>(rows, w, every, sums),
            }
        }
        // SAFETY: the caller's contract.
        unsafe { store::<R, OC>(sums, 3 * g0, 3 * gb, rq, out) };
        g0 += gb;
    }
}

/// The outputs of channels `c0 .. c0 + n` of the `R` rows from their sums, channel by channel:
/// each channel's constants are loaded once for the rows.
///
/// # Safety
/// `out[i]` writable for `OC` bytes.
#[inline(always)]
unsafe fn store<const R: usize, const OC: usize>(
    sums: &[[i32; 12]; MR],
    c0: usize,
    n: usize,
    rq: &Requant<OC>,
    out: [*mut i8; R],
) {
    for j in 0..n {
        let c = c0 + j;
        let Some(&q) = rq.ch.get(c) else { break };
        let right = q.right_only();
        for (row, y) in sums.iter().zip(out) {
            let s = row.get(j).copied().unwrap_or(0);
            let v = if right {
                output::<true>(s, &q, rq.offset, rq.min, rq.max)
            } else {
                output::<false>(s, &q, rq.offset, rq.min, rq.max)
            };
            // SAFETY: `c < OC`.
            unsafe { *y.add(c) = v };
        }
    }
}

/// Checks the spec against the slices and the const generics once at entry.
#[allow(clippy::too_many_arguments)]
fn check(
    s: &ConvSpec,
    ic: usize,
    oc: usize,
    kh: usize,
    kw: usize,
    k: usize,
    ng: usize,
    input: usize,
    filters: usize,
    output: usize,
) -> KernelResult {
    if s.stride_h == 0 || s.stride_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 {
        return Err(KernelError::Param("zero stride or dilation"));
    }
    if s.flush == 0 {
        return Err(KernelError::Param("zero lane-extraction interval"));
    }
    if !(1..=4).contains(&ng) {
        return Err(KernelError::Param("groups per block outside 1..=4"));
    }
    if ic == 0 || oc == 0 || kh != s.kernel_h || kw != s.kernel_w || k != product(&[kh, kw, ic])? {
        return Err(KernelError::Param("packed filter sizes"));
    }
    check_len("filters", product(&[groups(oc), k])?, filters)?;
    check_len("input", product(&[s.input_h, s.input_w, ic])?, input)?;
    check_len("output", product(&[s.output_h, s.output_w, oc])?, output)
}

/// Int8 2-D convolution, NHWC, batch 1: `IC` input and `OC` output channels, `KH x KW` filters
/// of `K = KH KW IC` values packed by [`super::pack::pack_filters`] with `NG` groups per block,
/// requantised per channel by `rq` (bias with the input zero point folded in).
///
/// # Errors
/// [`KernelError`] when the spec disagrees with the const generics or the slices.
pub fn conv_s8<
    const IC: usize,
    const OC: usize,
    const KH: usize,
    const KW: usize,
    const K: usize,
    const NG: usize,
>(
    s: &ConvSpec,
    rq: &Requant<OC>,
    input: &[i8],
    filters: &[i64],
    output: &mut [i8],
) -> KernelResult {
    check(
        s,
        IC,
        OC,
        KH,
        KW,
        K,
        NG,
        input.len(),
        filters.len(),
        output.len(),
    )?;
    let (oh, ow) = (s.output_h, s.output_w);
    let npix = oh * ow;
    let x = input.as_ptr();
    let f = filters.as_ptr();
    let y = output.as_mut_ptr();
    let row_bytes = s.input_w * IC;
    // 1x1 over whole rows: output pixel p reads input pixel p.
    let linear = KH == 1
        && KW == 1
        && s.pad_top == 0
        && s.pad_left == 0
        && s.stride_h == 1
        && s.stride_w == 1
        && ow == s.input_w
        && oh <= s.input_h;
    // Rows read in place by filter row when a row spans 8 values or more (VWW's first layer, 3x3
    // over 3 channels, in place: 0.7% fewer instructions for the whole network); shorter rows
    // (KWS's 10x4 filter over 1 channel) are gathered.
    let by_segment = s.dilation_w == 1 || KW == 1;
    let seg_ok = by_segment && (KW * IC >= 8 || KH == 1);
    // Whether output pixel (oy, ox .. ox + n) reads only input pixels, and where its first tap is.
    let interior = |oy: usize, ox: usize, n: usize| -> Option<usize> {
        let iy = (oy * s.stride_h).checked_sub(s.pad_top)?;
        let ix = (ox * s.stride_w).checked_sub(s.pad_left)?;
        let last_y = iy + (KH - 1) * s.dilation_h;
        let last_x = ix + (n - 1) * s.stride_w + (KW - 1) * s.dilation_w;
        (ox + n <= ow && last_y < s.input_h && last_x < s.input_w)
            .then_some((iy * s.input_w + ix) * IC)
    };
    let mut gathered = [[0i8; K]; MR];
    // The tiles' int32 sums, set per block (one buffer for the call: no clearing per tile).
    let mut sums = [[0i32; 12]; MR];
    let mut p = 0;
    while p < npix {
        let n = MR.min(npix - p);
        let (oy, ox) = (p / ow.max(1), p % ow.max(1));
        let out = |i: usize| -> *mut i8 {
            // SAFETY: pixel `p + i < npix`: `OC` bytes inside the checked output.
            unsafe { y.add((p + i) * OC) }
        };
        if n == MR {
            let seg = |base: usize, pix: usize| Rows::<MR> {
                // SAFETY (each pointer): inside the checked input (`linear` or `interior`).
                base: core::array::from_fn(|i| unsafe { x.add(base + i * pix) }),
                segs: if linear { 1 } else { KH },
                seg_len: if linear { IC } else { KW * IC },
                seg_stride: s.dilation_h * row_bytes,
            };
            let rows = if linear {
                Some(seg(p * IC, IC))
            } else if seg_ok {
                interior(oy, ox, MR).map(|base| seg(base, s.stride_w * IC))
            } else {
                None
            };
            let rows = rows.unwrap_or_else(|| {
                for (i, g) in gathered.iter_mut().enumerate() {
                    gather::<IC, KH, KW, K>(s, input, p + i, g);
                }
                Rows {
                    base: core::array::from_fn(|i| gathered[i].as_ptr()),
                    segs: 1,
                    seg_len: K,
                    seg_stride: 0,
                }
            });
            // SAFETY: every row lies in the input or in `gathered`; `filters` and the output
            // were checked against the const generics.
            unsafe {
                tile::<MR, OC, NG>(&rows, f, s.flush, rq, core::array::from_fn(out), &mut sums)
            };
        } else {
            for i in 0..n {
                let (oy, ox) = ((p + i) / ow.max(1), (p + i) % ow.max(1));
                let direct = if linear {
                    Some((p + i) * IC)
                } else if seg_ok {
                    interior(oy, ox, 1)
                } else {
                    None
                };
                let rows = match direct {
                    Some(base) => Rows::<1> {
                        // SAFETY: inside the checked input.
                        base: [unsafe { x.add(base) }],
                        segs: if linear { 1 } else { KH },
                        seg_len: if linear { IC } else { KW * IC },
                        seg_stride: s.dilation_h * row_bytes,
                    },
                    None => {
                        gather::<IC, KH, KW, K>(s, input, p + i, &mut gathered[0]);
                        Rows {
                            base: [gathered[0].as_ptr()],
                            segs: 1,
                            seg_len: K,
                            seg_stride: 0,
                        }
                    }
                };
                // SAFETY: as above, for one row.
                unsafe { tile::<1, OC, NG>(&rows, f, s.flush, rq, [out(i)], &mut sums) };
            }
        }
        p += n;
    }
    Ok(())
}

/// The receptive field of output pixel `p` in filter order `[KH][KW][IC]`, padded taps reading
/// the input zero point.
fn gather<const IC: usize, const KH: usize, const KW: usize, const K: usize>(
    s: &ConvSpec,
    input: &[i8],
    p: usize,
    dst: &mut [i8; K],
) {
    let ow = s.output_w.max(1);
    let (oy, ox) = (p / ow, p % ow);
    let mut at = 0;
    for ky in 0..KH {
        let iy = (oy * s.stride_h + ky * s.dilation_h).checked_sub(s.pad_top);
        for kx in 0..KW {
            let ix = (ox * s.stride_w + kx * s.dilation_w).checked_sub(s.pad_left);
            let src = match (iy, ix) {
                (Some(iy), Some(ix)) if iy < s.input_h && ix < s.input_w => {
                    let from = (iy * s.input_w + ix) * IC;
                    input.get(from..from + IC)
                }
                _ => None,
            };
            if let Some(d) = dst.get_mut(at..at + IC) {
                match src {
                    Some(src) => d.copy_from_slice(src),
                    None => d.fill(s.pad_value),
                }
            }
            at += IC;
        }
    }
}

/// Int8 fully connected layer: `batches` rows of `D` values, `U` units whose weights
/// (`[U][D]`) were packed by [`super::pack::pack_filters`] with `NG` groups per block and
/// whose lanes are extracted every `flush` values; requantised per unit by `rq`.
///
/// # Errors
/// [`KernelError`] when the slices disagree with the const generics and `batches`.
pub fn fully_connected_s8<const D: usize, const U: usize, const NG: usize>(
    batches: usize,
    flush: usize,
    rq: &Requant<U>,
    input: &[i8],
    filters: &[i64],
    output: &mut [i8],
) -> KernelResult {
    let s = ConvSpec {
        input_h: batches,
        input_w: 1,
        output_h: batches,
        output_w: 1,
        kernel_h: 1,
        kernel_w: 1,
        stride_h: 1,
        stride_w: 1,
        dilation_h: 1,
        dilation_w: 1,
        pad_top: 0,
        pad_left: 0,
        pad_value: 0,
        flush,
    };
    conv_s8::<D, U, 1, 1, D, NG>(&s, rq, input, filters, output)
}
