//! Every RV64 kernel against the portable kernel it replaces, on random shapes, paddings, zero
//! points, requantisation constants, lane-extraction intervals and data (proptest). Plain Rust:
//! they run on the host in `cargo test` and under `qemu-riscv64` (`tools/riscv64-test.sh`).
#![allow(clippy::modulo_one)]

use super::conv::{self, ConvSpec};
use super::depthwise::{self, DepthwiseSpec};
use super::pack::{
    depthwise_fits, flush_every, fold_bias, groups, pack_depthwise, pack_filters, word,
};
use super::{pop_lane, scale, Requant};
use crate::conv2d::{conv2d_s8, Conv2dParams};
use crate::depthwise_conv2d::{depthwise_conv2d_s8, DepthwiseConv2dParams};
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::fully_connected::{fully_connected_s8 as ref_fc, FullyConnectedParams};
use crate::test_util::{act, bytes, config, geo, out_dim, requant_table, Geo};
use proptest::prelude::*;

/// The largest input side of the random geometries: 4 under Miri (slow), `max` otherwise.
fn side(max: usize) -> usize {
    if cfg!(miri) {
        4
    } else {
        max
    }
}

/// Filter bytes: as [`bytes`], or (`heavy`) mostly +-127 and -128, which forces frequent lane
/// extractions.
fn filter(seed: u64, n: usize, heavy: bool) -> Vec<i8> {
    bytes(seed, n)
        .into_iter()
        .map(|v| {
            if heavy {
                match v.rem_euclid(4) {
                    0 => -128,
                    1 => 127,
                    2 => -127,
                    _ => v,
                }
            } else {
                v
            }
        })
        .collect()
}

fn requant<const C: usize>(
    bias: &[i32],
    mult: &[i32],
    shift: &[i32],
    ozp: i32,
    lo: i32,
    hi: i32,
) -> Requant<C> {
    let (mut b, mut m, mut s) = ([0; C], [0; C], [0; C]);
    b[..bias.len()].copy_from_slice(bias);
    m[..mult.len()].copy_from_slice(mult);
    s[..shift.len()].copy_from_slice(shift);
    Requant::new(b, m, s, ozp, lo, hi).unwrap()
}

proptest! {
    #![proptest_config(config(4000))]
    /// The scalar requantisation equals TFLite's on every input.
    #[test]
    fn scale_equals_tflite(acc in prop_oneof![any::<i32>(), -70000i32..70000],
                           m in prop_oneof![0..=i32::MAX, Just(i32::MAX), Just(1 << 30), Just(0)],
                           s in -31i32..=31) {
        let rq = Requant::<1>::new([0], [m], [s], 0, -128, 127).unwrap();
        prop_assert_eq!(scale(acc, &rq.ch[0]), multiply_by_quantized_multiplier(acc, m, s));
    }

    /// Three products packed in one word and summed come out of the lanes exactly.
    #[test]
    fn lanes_are_exact(xs in proptest::collection::vec(any::<i8>(), 1..64),
                       ws in proptest::collection::vec(any::<[i8; 3]>(), 64)) {
        let mut acc = 0i64;
        let mut want = [0i64; 3];
        for (x, w) in xs.iter().zip(&ws) {
            acc = acc.wrapping_add(i64::from(*x).wrapping_mul(word(*w)));
            for j in 0..3 {
                want[j] += i64::from(*x) * i64::from(w[j]);
            }
        }
        let (l0, rest) = pop_lane(acc);
        let (l1, l2) = pop_lane(rest);
        prop_assert_eq!([l0, l1, l2], want);
    }
}

#[test]
#[cfg_attr(miri, ignore)] // 3,465 cases of plain arithmetic; the proptest above runs under Miri
fn scale_edges() {
    let accs = [
        i32::MIN,
        i32::MIN + 1,
        i32::MAX,
        -1,
        0,
        1,
        -2,
        2,
        -3,
        3,
        -(1 << 20),
    ];
    for &m in &[0, 1, 1 << 30, i32::MAX, (1 << 30) + 12345] {
        for s in -31..=31 {
            let rq = Requant::<1>::new([0], [m], [s], 0, -128, 127).unwrap();
            for &a in &accs {
                assert_eq!(
                    scale(a, &rq.ch[0]),
                    multiply_by_quantized_multiplier(a, m, s),
                    "acc {a} multiplier {m} shift {s}"
                );
            }
        }
    }
}

#[test]
fn requant_new_refuses_bad_constants() {
    assert!(Requant::<1>::new([0], [-1], [0], 0, -128, 127).is_err());
    assert!(Requant::<1>::new([0], [1], [32], 0, -128, 127).is_err());
    assert!(Requant::<1>::new([0], [1], [-32], 0, -128, 127).is_err());
    assert!(Requant::<1>::new([0], [1], [0], 128, -128, 127).is_err());
    assert!(Requant::<1>::new([0], [1], [0], 0, 5, 4).is_err());
}

#[test]
fn flush_interval_bounds_every_chunk() {
    // 64 values of 127: 8128 fits, so the whole row.
    assert_eq!(flush_every(&[127; 64], 1, 64), 64);
    // 128 values of -128: 64 of them sum to 8192 > 8191; 56 is the largest multiple of 8.
    assert_eq!(flush_every(&[-128; 128], 1, 128), 56);
    // A light filter with one heavy row: the heavy row decides.
    let mut w = vec![1i8; 3 * 200];
    w[200..400].fill(100);
    assert_eq!(flush_every(&w, 3, 200), 80);
    assert_eq!(flush_every(&[], 0, 0), 1);
}

#[test]
fn packing_checks_lengths() {
    let mut out = [0i64; 4];
    assert!(pack_filters(&[1; 8], 4, 2, 1, &mut out).is_ok());
    assert!(pack_filters(&[1; 8], 4, 2, 5, &mut out).is_err());
    assert!(pack_filters(&[1; 7], 4, 2, 1, &mut out).is_err());
    assert!(!depthwise_fits(3, 7, 1));
    assert!(depthwise_fits(3, 3, 1) && depthwise_fits(3, 3, 2) && depthwise_fits(1, 1, 1));
    assert!(pack_depthwise(&[0; 9], 1, 9, 1, 1, &mut [0; 1]).is_err());
}

/// A portable convolution's case: output size, clamp, multipliers, shifts, input, filter,
/// folded bias and output.
struct ConvCase {
    oh: usize,
    ow: usize,
    lo: i32,
    hi: i32,
    mult: Vec<i32>,
    shift: Vec<i32>,
    input: Vec<i8>,
    filt: Vec<i8>,
    folded: Vec<i32>,
    want: Vec<i8>,
}

/// The portable convolution's output and the folded bias for the same case.
#[allow(clippy::too_many_arguments)]
fn reference_conv(
    g: &Geo,
    ic: usize,
    oc: usize,
    kh: usize,
    kw: usize,
    seed: u64,
    zp: i32,
    ozp: i32,
    relu: bool,
    heavy: bool,
    left: bool,
) -> Option<ConvCase> {
    let oh = out_dim(g.h, kh, g.sh, g.dh, g.pt, g.pb)?;
    let ow = out_dim(g.w, kw, g.sw, g.dw, g.pl, g.pr)?;
    let input = bytes(seed, g.h * g.w * ic);
    let filt = filter(seed ^ 1, oc * kh * kw * ic, heavy);
    let bias: Vec<i32> = bytes(seed ^ 2, oc)
        .iter()
        .map(|&b| i32::from(b) * 97)
        .collect();
    let (mult, shift) = requant_table(seed, oc, left);
    let (lo, hi) = act(relu, seed, ozp);
    let p = Conv2dParams {
        batches: 1,
        input_h: g.h,
        input_w: g.w,
        input_c: ic,
        output_h: oh,
        output_w: ow,
        output_c: oc,
        kernel_h: kh,
        kernel_w: kw,
        stride_h: g.sh,
        stride_w: g.sw,
        dilation_h: g.dh,
        dilation_w: g.dw,
        pad_top: g.pt,
        pad_left: g.pl,
        input_offset: -zp,
        output_offset: ozp,
        output_multiplier: &mult,
        output_shift: &shift,
        act_min: lo,
        act_max: hi,
    };
    let mut want = vec![0i8; oh * ow * oc];
    conv2d_s8(&p, &input, &filt, Some(&bias), &mut want).unwrap();
    let row = kh * kw * ic;
    let folded = filt
        .chunks_exact(row)
        .enumerate()
        .map(|(o, f)| fold_bias(bias[o], -zp, f.iter().copied()))
        .collect();
    Some(ConvCase {
        oh,
        ow,
        lo,
        hi,
        mult,
        shift,
        input,
        filt,
        folded,
        want,
    })
}

macro_rules! conv_case {
    ($name:ident, $ic:literal, $oc:literal, $kh:literal, $kw:literal) => {
        proptest! {
            #![proptest_config(config(48))]
            #[test]
            fn $name(g in geo(side(10)), seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     relu in any::<bool>(), heavy in any::<bool>(), left in any::<bool>(),
                     ng in 1usize..=4, shorter in 0usize..3) {
                const K: usize = $kh * $kw * $ic;
                let Some(ConvCase { oh, ow, lo, hi, mult, shift, input, filt, folded, want }) =
                    reference_conv(&g, $ic, $oc, $kh, $kw, seed, zp, ozp, relu, heavy, left)
                else { return Ok(()); };
                let rq = requant::<$oc>(&folded, &mult, &shift, ozp, lo, hi);
                let mut packed = vec![0i64; groups($oc) * K];
                pack_filters(&filt, $oc, K, ng, &mut packed).unwrap();
                // The computed interval, or a shorter one (any shorter interval is exact too).
                let every = flush_every(&filt, $oc, K);
                let every = match shorter { 0 => every, 1 => every.div_ceil(3), _ => 5.min(every) };
                let s = ConvSpec {
                    input_h: g.h, input_w: g.w, output_h: oh, output_w: ow,
                    kernel_h: $kh, kernel_w: $kw, stride_h: g.sh, stride_w: g.sw,
                    dilation_h: g.dh, dilation_w: g.dw, pad_top: g.pt, pad_left: g.pl,
                    pad_value: zp as i8, flush: every,
                };
                let mut got = vec![0i8; want.len()];
                let r = match ng {
                    1 => conv::conv_s8::<$ic, $oc, $kh, $kw, K, 1>(&s, &rq, &input, &packed, &mut got),
                    2 => conv::conv_s8::<$ic, $oc, $kh, $kw, K, 2>(&s, &rq, &input, &packed, &mut got),
                    3 => conv::conv_s8::<$ic, $oc, $kh, $kw, K, 3>(&s, &rq, &input, &packed, &mut got),
                    _ => conv::conv_s8::<$ic, $oc, $kh, $kw, K, 4>(&s, &rq, &input, &packed, &mut got),
                };
                r.unwrap();
                prop_assert_eq!(&got, &want);
            }
        }
    };
}

conv_case!(conv_1x1_c16_o8, 16, 8, 1, 1);
conv_case!(conv_1x1_c32_o20, 32, 20, 1, 1);
conv_case!(conv_1x1_c6_o5, 6, 5, 1, 1);
conv_case!(conv_1x1_c200_o7, 200, 7, 1, 1);
conv_case!(conv_3x3_c3_o8, 3, 8, 3, 3);
conv_case!(conv_10x4_c1_o7, 1, 7, 10, 4);
conv_case!(conv_3x3_c16_o16, 16, 16, 3, 3);
conv_case!(conv_3x3_c64_o13, 64, 13, 3, 3);
conv_case!(conv_2x3_c5_o36, 5, 36, 2, 3);

proptest! {
    #![proptest_config(config(200))]
    /// Fully connected layers of every batch count, depth and unit count.
    #[test]
    fn fully_connected(batches in 1usize..7, seed in any::<u64>(), zp in -128i32..=127,
                       ozp in -128i32..=127, relu in any::<bool>(), heavy in any::<bool>(),
                       ng in 1usize..=4) {
        const D: usize = 83;
        const U: usize = 10;
        let input = bytes(seed, batches * D);
        let filt = filter(seed ^ 1, U * D, heavy);
        let bias: Vec<i32> = bytes(seed ^ 2, U).iter().map(|&b| i32::from(b) * 31).collect();
        let (mult, shift) = requant_table(seed, U, seed % 2 == 0);
        let (lo, hi) = act(relu, seed, ozp);
        let p = FullyConnectedParams {
            batches,
            depth: D,
            units: U,
            input_offset: -zp,
            filter_offset: 0,
            output_offset: ozp,
            output_multiplier: &mult,
            output_shift: &shift,
            act_min: lo,
            act_max: hi,
        };
        let mut want = vec![0i8; batches * U];
        ref_fc(&p, &input, &filt, Some(&bias), &mut want).unwrap();
        let folded: Vec<i32> = filt
            .chunks_exact(D)
            .enumerate()
            .map(|(o, f)| fold_bias(bias[o], -zp, f.iter().copied()))
            .collect();
        let rq = requant::<U>(&folded, &mult, &shift, ozp, lo, hi);
        let mut packed = vec![0i64; groups(U) * D];
        pack_filters(&filt, U, D, ng, &mut packed).unwrap();
        let every = flush_every(&filt, U, D);
        let mut got = vec![0i8; want.len()];
        let r = match ng {
            1 => conv::fully_connected_s8::<D, U, 1>(batches, every, &rq, &input, &packed, &mut got),
            2 => conv::fully_connected_s8::<D, U, 2>(batches, every, &rq, &input, &packed, &mut got),
            3 => conv::fully_connected_s8::<D, U, 3>(batches, every, &rq, &input, &packed, &mut got),
            _ => conv::fully_connected_s8::<D, U, 4>(batches, every, &rq, &input, &packed, &mut got),
        };
        r.unwrap();
        prop_assert_eq!(&got, &want);
    }
}

/// Filter `[kh][kw][c]` as `[kw][kh][c]`.
fn transpose(filt: &[i8], kh: usize, kw: usize, c: usize) -> Vec<i8> {
    let mut out = vec![0i8; filt.len()];
    for ky in 0..kh {
        for kx in 0..kw {
            for ch in 0..c {
                out[(kx * kh + ky) * c + ch] = filt[(ky * kw + kx) * c + ch];
            }
        }
    }
    out
}

macro_rules! depthwise_case {
    ($name:ident, $c:literal, $kh:literal, $kw:literal, $sw:literal) => {
        proptest! {
            #![proptest_config(config(64))]
            #[test]
            fn $name(g in geo(side(12)), seed in any::<u64>(), zp in -128i32..=127,
                     ozp in -128i32..=127, relu in any::<bool>(), left in any::<bool>()) {
                let g = Geo { sw: $sw, dh: 1, dw: 1, ..g };
                let Some(oh) = out_dim(g.h, $kh, g.sh, 1, g.pt, g.pb) else { return Ok(()); };
                let Some(ow) = out_dim(g.w, $kw, $sw, 1, g.pl, g.pr) else { return Ok(()); };
                let input = bytes(seed, g.h * g.w * $c);
                let filt = filter(seed ^ 1, $kh * $kw * $c, seed % 2 == 0);
                let bias: Vec<i32> = bytes(seed ^ 2, $c).iter().map(|&b| i32::from(b) * 53).collect();
                let (mult, shift) = requant_table(seed, $c, left);
                let (lo, hi) = act(relu, seed, ozp);
                let p = DepthwiseConv2dParams {
                    batches: 1, input_h: g.h, input_w: g.w, input_c: $c, output_h: oh,
                    output_w: ow, depth_multiplier: 1, kernel_h: $kh,
                    kernel_w: $kw, stride_h: g.sh, stride_w: $sw, dilation_h: 1, dilation_w: 1,
                    pad_top: g.pt, pad_left: g.pl, input_offset: -zp, output_offset: ozp,
                    output_multiplier: &mult, output_shift: &shift, act_min: lo, act_max: hi,
                };
                let mut want = vec![0i8; oh * ow * $c];
                depthwise_conv2d_s8(&p, &input, &filt, Some(&bias), &mut want).unwrap();
                let folded: Vec<i32> = (0..$c)
                    .map(|ch| fold_bias(bias[ch], -zp, filt.iter().skip(ch).step_by($c).copied()))
                    .collect();
                let rq = requant::<$c>(&folded, &mult, &shift, ozp, lo, hi);
                let mut packed = vec![0i64; $kh * $sw * $c];
                pack_depthwise(&filt, $kh, $kw, $c, $sw, &mut packed).unwrap();
                let s = DepthwiseSpec {
                    input_h: g.h, input_w: g.w, output_h: oh, output_w: ow, stride_h: g.sh,
                    pad_top: g.pt, pad_left: g.pl, pad_value: zp as i8, transposed: false,
                };
                let mut got = vec![0i8; want.len()];
                depthwise::depthwise_s8::<$c, $kh, $kw, $sw>(&s, &rq, &input, &packed, &mut got)
                    .unwrap();
                prop_assert_eq!(&got, &want);
                // The same layer transposed: the stored tensors' rows are the spec's columns
                // (a layer of filter $kw x $kh at vertical stride $sw), filter transposed.
                let tp = DepthwiseConv2dParams {
                    input_h: g.w, input_w: g.h, output_h: ow, output_w: oh,
                    kernel_h: $kw, kernel_w: $kh, stride_h: $sw, stride_w: g.sh,
                    pad_top: g.pl, pad_left: g.pt, ..p
                };
                let mut want_t = vec![0i8; want.len()];
                depthwise_conv2d_s8(&tp, &input, &transpose(&filt, $kh, $kw, $c), Some(&bias),
                                    &mut want_t).unwrap();
                let st = DepthwiseSpec { transposed: true, ..s };
                let mut got_t = vec![0i8; want.len()];
                depthwise::depthwise_s8::<$c, $kh, $kw, $sw>(&st, &rq, &input, &packed, &mut got_t)
                    .unwrap();
                prop_assert_eq!(&got_t, &want_t);
            }
        }
    };
}

depthwise_case!(depthwise_3x3_s1_c8, 8, 3, 3, 1);
depthwise_case!(depthwise_3x3_s2_c5, 5, 3, 3, 2);
depthwise_case!(depthwise_1x3_s1_c3, 3, 1, 3, 1);
depthwise_case!(depthwise_5x2_s1_c4, 4, 5, 2, 1);
depthwise_case!(depthwise_3x5_s2_c2, 2, 3, 5, 2);
depthwise_case!(depthwise_1x1_s1_c7, 7, 1, 1, 1);
depthwise_case!(depthwise_2x2_s2_c6, 6, 2, 2, 2);

/// [`depthwise::depthwise_rows_s8`] (the padded row buffer) against the portable kernel, both
/// orientations: output width `$ow` fixed (the buffer's size is a const generic), the input
/// width, heights, strides, paddings and data random.
macro_rules! rows_case {
    ($name:ident, $c:literal, $kh:literal, $kw:literal, $sw:literal, $ow:literal) => {
        proptest! {
            #![proptest_config(config(48))]
            #[test]
            fn $name(h in 1usize..=side(9), sh in 1usize..=2, pt in 0usize..$kh, pb in 0usize..$kh,
                     pl in 0usize..$kw, pr in 0usize..$kw, extra in 0usize..$sw,
                     seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     relu in any::<bool>(), left in any::<bool>(), big in any::<bool>()) {
                const RS: usize = match depthwise::padded_row_bytes($c, $kw, $sw, $ow) {
                    Some(v) => v,
                    None => 0,
                };
                let Some(w) = ($sw * ($ow - 1) + $kw + extra).checked_sub(pl + pr) else {
                    return Ok(());
                };
                let Some(oh) = out_dim(h, $kh, sh, 1, pt, pb) else { return Ok(()); };
                if w == 0 || out_dim(w, $kw, $sw, 1, pl, pr) != Some($ow) {
                    return Ok(());
                }
                let input = bytes(seed, h * w * $c);
                let filt = filter(seed ^ 1, $kh * $kw * $c, seed % 2 == 0);
                let bias: Vec<i32> = bytes(seed ^ 2, $c).iter().map(|&b| i32::from(b) * 53).collect();
                let (mult, mut shift) = requant_table(seed, $c, left);
                if big {
                    // Right shifts beyond the fused form's range: TFLite's steps.
                    shift[0] = -24 - (seed % 7) as i32;
                }
                let (lo, hi) = act(relu, seed, ozp);
                let folded: Vec<i32> = (0..$c)
                    .map(|ch| fold_bias(bias[ch], -zp, filt.iter().skip(ch).step_by($c).copied()))
                    .collect();
                let rq = requant::<$c>(&folded, &mult, &shift, ozp, lo, hi);
                let mut packed = vec![0i64; $kh * $sw * $c];
                pack_depthwise(&filt, $kh, $kw, $c, $sw, &mut packed).unwrap();
                let p = DepthwiseConv2dParams {
                    batches: 1, input_h: h, input_w: w, input_c: $c, output_h: oh,
                    output_w: $ow, depth_multiplier: 1, kernel_h: $kh,
                    kernel_w: $kw, stride_h: sh, stride_w: $sw, dilation_h: 1, dilation_w: 1,
                    pad_top: pt, pad_left: pl, input_offset: -zp, output_offset: ozp,
                    output_multiplier: &mult, output_shift: &shift, act_min: lo, act_max: hi,
                };
                let mut want = vec![0i8; oh * $ow * $c];
                depthwise_conv2d_s8(&p, &input, &filt, Some(&bias), &mut want).unwrap();
                let s = DepthwiseSpec {
                    input_h: h, input_w: w, output_h: oh, output_w: $ow, stride_h: sh,
                    pad_top: pt, pad_left: pl, pad_value: zp as i8, transposed: false,
                };
                let mut got = vec![0i8; want.len()];
                depthwise::depthwise_rows_s8::<$c, $kh, $kw, $sw, RS>(
                    &s, &rq, &input, &packed, &mut got).unwrap();
                prop_assert_eq!(&got, &want);
                // Transposed: the stored tensors' rows are the walk's columns.
                let tp = DepthwiseConv2dParams {
                    input_h: w, input_w: h, output_h: $ow, output_w: oh,
                    kernel_h: $kw, kernel_w: $kh, stride_h: $sw, stride_w: sh,
                    pad_top: pl, pad_left: pt, ..p
                };
                let mut want_t = vec![0i8; want.len()];
                depthwise_conv2d_s8(&tp, &input, &transpose(&filt, $kh, $kw, $c), Some(&bias),
                                    &mut want_t).unwrap();
                let st = DepthwiseSpec { transposed: true, ..s };
                let mut got_t = vec![0i8; want.len()];
                depthwise::depthwise_rows_s8::<$c, $kh, $kw, $sw, RS>(
                    &st, &rq, &input, &packed, &mut got_t).unwrap();
                prop_assert_eq!(&got_t, &want_t);
                // A buffer of the wrong size is refused.
                const WRONG: usize = RS + $c;
                let refused = depthwise::depthwise_rows_s8::<$c, $kh, $kw, $sw, WRONG>(
                    &s, &rq, &input, &packed, &mut got).is_err();
                prop_assert!(refused);
            }
        }
    };
}

rows_case!(rows_3x3_s1_c8_ow5, 8, 3, 3, 1, 5);
rows_case!(rows_3x3_s1_c3_ow1, 3, 3, 3, 1, 1);
rows_case!(rows_3x3_s2_c5_ow4, 5, 3, 3, 2, 4);
rows_case!(rows_3x3_s2_c4_ow1, 4, 3, 3, 2, 1);
rows_case!(rows_5x2_s1_c4_ow3, 4, 5, 2, 1, 3);
rows_case!(rows_3x5_s2_c2_ow3, 2, 3, 5, 2, 3);
rows_case!(rows_1x1_s1_c7_ow6, 7, 1, 1, 1, 6);
rows_case!(rows_2x2_s2_c6_ow2, 6, 2, 2, 2, 2);
rows_case!(rows_1x3_s1_c3_ow7, 3, 1, 3, 1, 7);
