//! Every AArch64 kernel against the portable kernel it replaces, on random shapes, paddings,
//! zero points, requantisation constants and data (proptest), run under `qemu-aarch64`
//! (`tools/aarch64-test.sh`; `-cpu cortex-a53` for the plain kernels, a dot-product CPU with
//! `-C target-feature=+dotprod` for the `SDOT` ones). Filters never hold -128 here: the
//! compiler keeps the portable kernel for layers that do (see the module docs).
#![allow(clippy::modulo_one)]

use super::conv::{self, ConvSpec};
use super::depthwise;
use super::neon::Rq4;
use super::pack::{fold_bias, kpad, pack_c16};
use super::Requant;
use crate::conv2d::{conv2d_s8, Conv2dParams};
use crate::depthwise_conv2d::{depthwise_conv2d_s8, DepthwiseConv2dParams};
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::fully_connected::{fully_connected_s8 as ref_fc, FullyConnectedParams};
use crate::test_util::{act, bytes, config, geo, out_dim, requant_table, Geo};
use core::arch::aarch64::*;
use proptest::prelude::*;

/// The portable convolution's case: spec, input, filter, folded bias, multipliers, shifts,
/// clamp and expected output.
type ConvCase = (
    ConvSpec,
    Vec<i8>,
    Vec<i8>,
    Vec<i32>,
    Vec<i32>,
    Vec<i32>,
    (i32, i32),
    Vec<i8>,
);

/// Filter bytes: as [`bytes`] with -128 moved to -127.
fn filter(seed: u64, n: usize) -> Vec<i8> {
    bytes(seed, n).into_iter().map(|v| v.max(-127)).collect()
}

fn requant<const CP: usize>(
    bias: &[i32],
    mult: &[i32],
    shift: &[i32],
    ozp: i32,
    lo: i32,
    hi: i32,
) -> Requant<CP> {
    let (mut b, mut m, mut s) = ([0; CP], [0; CP], [0; CP]);
    b[..bias.len()].copy_from_slice(bias);
    m[..mult.len()].copy_from_slice(mult);
    s[..shift.len()].copy_from_slice(shift);
    Requant::new(b, m, s, ozp, lo, hi).unwrap()
}

proptest! {
    #![proptest_config(config(4000))]
    /// The vector requantisation equals TFLite's scalar one on every lane, both paths.
    #[test]
    fn rq4_equals_tflite(acc in prop_oneof![any::<i32>(), -70000i32..70000],
                         m in prop_oneof![0..=i32::MAX, Just(i32::MAX), Just(1 << 30), Just(0)],
                         s in -31i32..=31) {
        let rq = Requant::<4>::new([0; 4], [m; 4], [s; 4], 0, -128, 127).unwrap();
        let want = multiply_by_quantized_multiplier(acc, m, s);
        // SAFETY: 4 channels of a Requant<4>; a store of four i32s.
        let got = unsafe {
            let q = Rq4::load(&rq, 0);
            let mut out = [0i32; 4];
            let v = if rq.right_only() {
                q.apply::<true>(vdupq_n_s32(acc))
            } else {
                q.apply::<false>(vdupq_n_s32(acc))
            };
            vst1q_s32(out.as_mut_ptr(), v);
            out
        };
        prop_assert_eq!(got, [want; 4]);
        // The general path gives the same for a right-only table.
        // SAFETY: as above.
        let general = unsafe {
            let mut out = [0i32; 4];
            vst1q_s32(out.as_mut_ptr(), Rq4::load(&rq, 0).apply::<false>(vdupq_n_s32(acc)));
            out
        };
        prop_assert_eq!(general, [want; 4]);
    }
}

#[test]
fn rq4_edges() {
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
        (1 << 20) + (1 << 19),
        -(1 << 20) - (1 << 19),
    ];
    for &m in &[0, 1, 1 << 30, i32::MAX, (1 << 30) + 12345] {
        for s in -31..=31 {
            let rq = Requant::<4>::new([0; 4], [m; 4], [s; 4], 0, -128, 127).unwrap();
            for &a in &accs {
                let want = multiply_by_quantized_multiplier(a, m, s);
                // SAFETY: as in `rq4_equals_tflite`.
                let got = unsafe {
                    let q = Rq4::load(&rq, 0);
                    let mut out = [0i32; 4];
                    let v = if rq.right_only() {
                        q.apply::<true>(vdupq_n_s32(a))
                    } else {
                        q.apply::<false>(vdupq_n_s32(a))
                    };
                    vst1q_s32(out.as_mut_ptr(), v);
                    out[0]
                };
                assert_eq!(got, want, "acc {a} multiplier {m} shift {s}");
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
    assert!(Requant::<1>::new([0], [1], [-1], 0, -128, 127)
        .unwrap()
        .right_only());
    assert!(!Requant::<1>::new([0], [1], [0], 0, -128, 127)
        .unwrap()
        .right_only());
    assert!(Requant::<1>::new([0], [0], [3], 0, -128, 127)
        .unwrap()
        .right_only());
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
    with_bias: bool,
    left: bool,
) -> Option<ConvCase> {
    let oh = out_dim(g.h, kh, g.sh, g.dh, g.pt, g.pb)?;
    let ow = out_dim(g.w, kw, g.sw, g.dw, g.pl, g.pr)?;
    let input = bytes(seed, g.h * g.w * ic);
    let filt = filter(seed ^ 1, oc * kh * kw * ic);
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
    conv2d_s8(&p, &input, &filt, with_bias.then_some(&bias[..]), &mut want).unwrap();
    let row = kh * kw * ic;
    let folded = filt
        .chunks_exact(row)
        .enumerate()
        .map(|(o, f)| fold_bias(if with_bias { bias[o] } else { 0 }, -zp, f.iter().copied()))
        .collect();
    let s = ConvSpec {
        input_h: g.h,
        input_w: g.w,
        output_h: oh,
        output_w: ow,
        kernel_h: kh,
        kernel_w: kw,
        stride_h: g.sh,
        stride_w: g.sw,
        dilation_h: g.dh,
        dilation_w: g.dw,
        pad_top: g.pt,
        pad_left: g.pl,
        pad_value: zp as i8,
    };
    Some((s, input, filt, folded, mult, shift, (lo, hi), want))
}

macro_rules! conv_case {
    ($name:ident, $ic:literal, $oc:literal, $kh:literal, $kw:literal) => {
        proptest! {
            #![proptest_config(config(48))]
            #[test]
            fn $name(g in geo(10), seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     relu in any::<bool>(), with_bias in any::<bool>(), left in any::<bool>()) {
                const KP: usize = kpad($kh * $kw * $ic);
                const KCH: usize = KP / 16;
                const OB: usize = ($oc as usize).div_ceil(4);
                let Some((s, input, filt, folded, mult, shift, (lo, hi), want)) =
                    reference_conv(&g, $ic, $oc, $kh, $kw, seed, zp, ozp, relu, with_bias, left)
                else { return Ok(()); };
                let rq = requant::<{ 4 * OB }>(&folded, &mult, &shift, ozp, lo, hi);
                let mut flat = vec![0i8; OB * KP * 4];
                pack_c16(&filt, $oc, $kh * $kw * $ic, &mut flat).unwrap();
                let mut packed = [[[[0i8; 16]; 4]; KCH]; OB];
                for (i, v) in flat.iter().enumerate() {
                    packed[i / (KCH * 64)][(i / 64) % KCH][(i / 16) % 4][i % 16] = *v;
                }
                let mut got = vec![0i8; want.len()];
                conv::conv_s8::<$ic, $oc, $kh, $kw, KP, KCH, OB, { 4 * OB }>(&s, &rq, &input, &packed, &mut got).unwrap();
                prop_assert_eq!(&got, &want);
                #[cfg(target_feature = "dotprod")]
                {
                    const NB: usize = if $oc > 8 { 4 } else { ($oc as usize).div_ceil(4) };
                    const DB: usize = ($oc as usize).div_ceil(4 * NB);
                    const K4: usize = KP / 4;
                    let rq = requant::<{ 4 * NB * DB }>(&folded, &mult, &shift, ozp, lo, hi);
                    let mut flat = vec![0i8; DB * KP * 4 * NB];
                    super::pack::pack_dot(&filt, $oc, $kh * $kw * $ic, NB, &mut flat).unwrap();
                    let mut packed = [[[[0i8; 16]; NB]; K4]; DB];
                    for (i, v) in flat.iter().enumerate() {
                        packed[i / (K4 * NB * 16)][(i / (NB * 16)) % K4][(i / 16) % NB][i % 16] = *v;
                    }
                    let mut got = vec![0i8; want.len()];
                    conv::conv_dot_s8::<$ic, $oc, $kh, $kw, KP, NB, K4, DB, { 4 * NB * DB }>(&s, &rq, &input, &packed, &mut got).unwrap();
                    prop_assert_eq!(&got, &want);
                }
                #[cfg(target_feature = "i8mm")]
                {
                    const NV: usize = if $oc >= 16 { 8 } else { 2 * ($oc as usize).div_ceil(4) };
                    const MB: usize = ($oc as usize).div_ceil(2 * NV);
                    const K8: usize = KP / 8;
                    let rq = requant::<{ 2 * NV * MB }>(&folded, &mult, &shift, ozp, lo, hi);
                    let mut flat = vec![0i8; MB * KP * 2 * NV];
                    super::pack::pack_mm(&filt, $oc, $kh * $kw * $ic, NV, &mut flat).unwrap();
                    let mut packed = [[[[0i8; 16]; NV]; K8]; MB];
                    for (i, v) in flat.iter().enumerate() {
                        packed[i / (K8 * NV * 16)][(i / (NV * 16)) % K8][(i / 16) % NV][i % 16] = *v;
                    }
                    let mut got = vec![0i8; want.len()];
                    conv::conv_mm_s8::<$ic, $oc, $kh, $kw, KP, NV, K8, MB, { 2 * NV * MB }>(&s, &rq, &input, &packed, &mut got).unwrap();
                    prop_assert_eq!(&got, &want);
                }
            }
        }
    };
}

conv_case!(conv_1x1_c16_o8, 16, 8, 1, 1);
conv_case!(conv_1x1_c32_o20, 32, 20, 1, 1);
conv_case!(conv_1x1_c6_o5, 6, 5, 1, 1);
conv_case!(conv_3x3_c3_o8, 3, 8, 3, 3);
conv_case!(conv_3x3_c3_o16, 3, 16, 3, 3);
conv_case!(conv_10x4_c1_o7, 1, 7, 10, 4);
conv_case!(conv_3x3_c16_o16, 16, 16, 3, 3);
conv_case!(conv_3x3_c32_o32, 32, 32, 3, 3);
conv_case!(conv_2x2_c48_o20, 48, 20, 2, 2);
conv_case!(conv_2x3_c5_o36, 5, 36, 2, 3);

macro_rules! dw_case {
    ($name:ident, $c:literal, $kh:literal, $kw:literal) => {
        proptest! {
            #![proptest_config(config(48))]
            #[test]
            fn $name(g in geo(10), seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     relu in any::<bool>(), with_bias in any::<bool>(), left in any::<bool>()) {
                let (Some(oh), Some(ow)) = (
                    out_dim(g.h, $kh, g.sh, g.dh, g.pt, g.pb),
                    out_dim(g.w, $kw, g.sw, g.dw, g.pl, g.pr),
                ) else { return Ok(()); };
                let input = bytes(seed, g.h * g.w * $c);
                let filt = filter(seed ^ 1, $kh * $kw * $c);
                let bias: Vec<i32> = bytes(seed ^ 2, $c).iter().map(|&b| i32::from(b) * 97).collect();
                let (mult, shift) = requant_table(seed, $c, left);
                let (lo, hi) = act(relu, seed, ozp);
                let p = DepthwiseConv2dParams {
                    batches: 1, input_h: g.h, input_w: g.w, input_c: $c, depth_multiplier: 1,
                    output_h: oh, output_w: ow, kernel_h: $kh, kernel_w: $kw, stride_h: g.sh,
                    stride_w: g.sw, dilation_h: g.dh, dilation_w: g.dw, pad_top: g.pt,
                    pad_left: g.pl, input_offset: -zp, output_offset: ozp,
                    output_multiplier: &mult, output_shift: &shift, act_min: lo, act_max: hi,
                };
                let mut want = vec![0i8; oh * ow * $c];
                depthwise_conv2d_s8(&p, &input, &filt, with_bias.then_some(&bias[..]), &mut want).unwrap();
                let folded: Vec<i32> = (0..$c)
                    .map(|c| fold_bias(if with_bias { bias[c] } else { 0 }, -zp, filt.iter().skip(c).step_by($c).copied()))
                    .collect();
                let rq = requant::<$c>(&folded, &mult, &shift, ozp, lo, hi);
                let mut w = [[[0i8; $c]; $kw]; $kh];
                for (i, v) in filt.iter().enumerate() {
                    w[i / ($kw * $c)][(i / $c) % $kw][i % $c] = *v;
                }
                let s = ConvSpec {
                    input_h: g.h, input_w: g.w, output_h: oh, output_w: ow, kernel_h: $kh,
                    kernel_w: $kw, stride_h: g.sh, stride_w: g.sw, dilation_h: g.dh,
                    dilation_w: g.dw, pad_top: g.pt, pad_left: g.pl, pad_value: zp as i8,
                };
                let mut got = vec![0i8; oh * ow * $c];
                depthwise::depthwise_s8::<$c, $kh, $kw>(&s, &rq, &input, &w, &mut got).unwrap();
                prop_assert_eq!(got, want);
            }
        }
    };
}

dw_case!(dw_3x3_c16, 16, 3, 3);
dw_case!(dw_3x3_c8, 8, 3, 3);
dw_case!(dw_3x3_c40, 40, 3, 3);
dw_case!(dw_5x2_c32, 32, 5, 2);
dw_case!(dw_1x1_c24, 24, 1, 1);

macro_rules! fc_case {
    ($name:ident, $d:literal, $u:literal) => {
        proptest! {
            #![proptest_config(config(48))]
            #[test]
            fn $name(batches in 1usize..6, seed in any::<u64>(), zp in -128i32..=127,
                     ozp in -128i32..=127, relu in any::<bool>(), with_bias in any::<bool>(),
                     per_channel in any::<bool>()) {
                const KP: usize = kpad($d);
                const KCH: usize = KP / 16;
                const OB: usize = ($u as usize).div_ceil(4);
                let input = bytes(seed, batches * $d);
                let filt = filter(seed ^ 1, $u * $d);
                let bias: Vec<i32> = bytes(seed ^ 2, $u).iter().map(|&b| i32::from(b) * 97).collect();
                let (mut mult, mut shift) = requant_table(seed, $u, false);
                if !per_channel {
                    mult = vec![mult[0]; $u];
                    shift = vec![shift[0]; $u];
                }
                let (lo, hi) = act(relu, seed, ozp);
                let p = FullyConnectedParams {
                    batches, depth: $d, units: $u, input_offset: -zp, filter_offset: 0,
                    output_offset: ozp, output_multiplier: &mult, output_shift: &shift,
                    act_min: lo, act_max: hi,
                };
                let mut want = vec![0i8; batches * $u];
                ref_fc(&p, &input, &filt, with_bias.then_some(&bias[..]), &mut want).unwrap();
                let folded: Vec<i32> = filt
                    .chunks_exact($d)
                    .enumerate()
                    .map(|(o, f)| fold_bias(if with_bias { bias[o] } else { 0 }, -zp, f.iter().copied()))
                    .collect();
                let rq = requant::<{ 4 * OB }>(&folded, &mult, &shift, ozp, lo, hi);
                let mut flat = vec![0i8; OB * KP * 4];
                pack_c16(&filt, $u, $d, &mut flat).unwrap();
                let mut packed = [[[[0i8; 16]; 4]; KCH]; OB];
                for (i, v) in flat.iter().enumerate() {
                    packed[i / (KCH * 64)][(i / 64) % KCH][(i / 16) % 4][i % 16] = *v;
                }
                let mut got = vec![0i8; want.len()];
                conv::fully_connected_s8::<$d, $u, KP, KCH, OB, { 4 * OB }>(batches, &rq, &input, &packed, &mut got).unwrap();
                prop_assert_eq!(&got, &want);
                #[cfg(target_feature = "dotprod")]
                {
                    const NB: usize = if $u > 8 { 4 } else { ($u as usize).div_ceil(4) };
                    const DB: usize = ($u as usize).div_ceil(4 * NB);
                    const K4: usize = KP / 4;
                    let rq = requant::<{ 4 * NB * DB }>(&folded, &mult, &shift, ozp, lo, hi);
                    let mut flat = vec![0i8; DB * KP * 4 * NB];
                    super::pack::pack_dot(&filt, $u, $d, NB, &mut flat).unwrap();
                    let mut packed = [[[[0i8; 16]; NB]; K4]; DB];
                    for (i, v) in flat.iter().enumerate() {
                        packed[i / (K4 * NB * 16)][(i / (NB * 16)) % K4][(i / 16) % NB][i % 16] = *v;
                    }
                    let mut got = vec![0i8; want.len()];
                    conv::fully_connected_dot_s8::<$d, $u, KP, NB, K4, DB, { 4 * NB * DB }>(batches, &rq, &input, &packed, &mut got).unwrap();
                    prop_assert_eq!(&got, &want);
                }
                #[cfg(target_feature = "i8mm")]
                {
                    const NV: usize = if $u >= 16 { 8 } else { 2 * ($u as usize).div_ceil(4) };
                    const MB: usize = ($u as usize).div_ceil(2 * NV);
                    const K8: usize = KP / 8;
                    let rq = requant::<{ 2 * NV * MB }>(&folded, &mult, &shift, ozp, lo, hi);
                    let mut flat = vec![0i8; MB * KP * 2 * NV];
                    super::pack::pack_mm(&filt, $u, $d, NV, &mut flat).unwrap();
                    let mut packed = [[[[0i8; 16]; NV]; K8]; MB];
                    for (i, v) in flat.iter().enumerate() {
                        packed[i / (K8 * NV * 16)][(i / (NV * 16)) % K8][(i / 16) % NV][i % 16] = *v;
                    }
                    let mut got = vec![0i8; want.len()];
                    conv::fully_connected_mm_s8::<$d, $u, KP, NV, K8, MB, { 2 * NV * MB }>(batches, &rq, &input, &packed, &mut got).unwrap();
                    prop_assert_eq!(&got, &want);
                }
            }
        }
    };
}

fc_case!(fc_d64_u12, 64, 12);
fc_case!(fc_d10_u3, 10, 3);
fc_case!(fc_d640_u128, 640, 128);
fc_case!(fc_d33_u17, 33, 17);

proptest! {
    #![proptest_config(config(200))]
    /// The NEON addition equals the portable one (TFLite's reference), with and without a tail.
    #[test]
    fn add_equals_portable(n in 1usize..80, seed in any::<u64>(), za in -128i32..=127,
                           zb in -128i32..=127, zo in -128i32..=127, relu in any::<bool>(),
                           sa in -12i32..=0, sb in -12i32..=0, so in -25i32..=0,
                           ma in (1i32 << 30)..=i32::MAX, mb in (1i32 << 30)..=i32::MAX,
                           mo in (1i32 << 30)..=i32::MAX, ls in prop_oneof![Just(20i32), 0i32..=20]) {
        use crate::add::{add_s8, AddParams};
        let (a, b) = (bytes(seed, 80), bytes(seed ^ 9, 80));
        let (lo, hi) = act(relu, seed, zo);
        let shape = [n];
        let p = AddParams {
            a_shape: &shape, b_shape: &shape, output_shape: &shape, a_offset: -za,
            b_offset: -zb, output_offset: zo, left_shift: ls, a_multiplier: ma, a_shift: sa,
            b_multiplier: mb, b_shift: sb, output_multiplier: mo, output_shift: so,
            act_min: lo, act_max: hi,
        };
        let mut want = vec![0i8; n];
        add_s8(&p, &a[..n], &b[..n], &mut want).unwrap();
        let spec = super::add::AddSpec::new(-za, -zb, ls, (ma, sa), (mb, sb), (mo, so), zo, lo, hi).unwrap();
        let mut got = vec![0i8; n];
        macro_rules! with_n {
            ($($k:literal)*) => { match n { $($k => super::add::add_s8::<$k>(&spec, &a[..n], &b[..n], &mut got),)* _ => unreachable!() } };
        }
        with_n!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79).unwrap();
        prop_assert_eq!(got, want);
    }
}

proptest! {
    #![proptest_config(config(200))]
    /// The NEON average pooling equals the portable one.
    #[test]
    fn avg_pool_equals_portable(h in 1usize..9, w in 1usize..9, fh in 1usize..4, fw in 1usize..4,
                                sh in 1usize..3, sw in 1usize..3, pt in 0usize..2, pl in 0usize..2,
                                seed in any::<u64>(), relu in any::<bool>(), batches in 1usize..3) {
        use crate::max_pool2d::Pool2dParams;
        const C: usize = 32;
        let (Some(oh), Some(ow)) = (out_dim(h, fh, sh, 1, pt, pt), out_dim(w, fw, sw, 1, pl, pl)) else {
            return Ok(());
        };
        let input = bytes(seed, batches * h * w * C);
        let (lo, hi) = act(relu, seed, 0);
        let p = Pool2dParams {
            batches, input_h: h, input_w: w, channels: C, output_h: oh, output_w: ow,
            filter_h: fh, filter_w: fw, stride_h: sh, stride_w: sw, pad_top: pt, pad_left: pl,
            act_min: lo, act_max: hi,
        };
        let mut want = vec![0i8; batches * oh * ow * C];
        let r = crate::avg_pool2d::avg_pool2d_s8(&p, &input, &mut want);
        let mut got = vec![0i8; want.len()];
        let g = super::pool::avg_pool_s8::<C>(&p, &input, &mut got);
        prop_assert_eq!(r.is_ok(), g.is_ok());
        prop_assert_eq!(got, want);
    }
}
