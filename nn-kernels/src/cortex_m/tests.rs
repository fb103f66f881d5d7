//! Every Cortex-M kernel against the portable kernel it replaces, on random shapes, paddings,
//! zero points, requantisation constants and data (proptest). The same tests run on an emulated
//! Cortex-M4 through the oracle runner (`tools/cortex-m-test.sh`), where [`super::dsp`] is
//! inline assembly.

use super::pack::{add_table, fold_bias, pack_conv, pack_depthwise, pack_fc, words};
use super::*;
use crate::add::{add_s8 as ref_add, AddParams};
use crate::conv2d::{conv2d_s8, Conv2dParams};
use crate::depthwise_conv2d::{depthwise_conv2d_s8, DepthwiseConv2dParams};
use crate::fully_connected::{fully_connected_s8 as ref_fc, FullyConnectedParams};
use crate::max_pool2d::Pool2dParams;
use crate::test_util::{bytes, geo, out_dim, Geo};
use proptest::prelude::*;

fn requant_table(seed: u64, n: usize) -> (Vec<i32>, Vec<i32>) {
    let b = bytes(seed ^ 0x5555, 2 * n);
    let mult = b
        .iter()
        .take(n)
        .map(|&v| (1 << 30) + (i32::from(v) + 128) * (1 << 22))
        .collect();
    // Shifts as small scales give them: mostly right shifts, a few left.
    let shift = b
        .iter()
        .skip(n)
        .map(|&v| i32::from(v).rem_euclid(12) - 9)
        .collect();
    (mult, shift)
}

fn rq(mult: &[i32], shift: &[i32]) -> Vec<Rq> {
    mult.iter()
        .zip(shift)
        .map(|(&m, &s)| Rq::new(m, s))
        .collect()
}

macro_rules! conv_case {
    ($name:ident, $ic:literal, $oc:literal, $kh:literal, $kw:literal) => {
        proptest! {
            #![proptest_config(crate::cortex_m::proptest_config(2, 48))]
            #[test]
            fn $name(g in geo(9), seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     relu in any::<bool>(), with_bias in any::<bool>()) {
                const W: usize = ($kh * $kw * $ic as usize).div_ceil(2);
                const OP: usize = ($oc as usize).div_ceil(2);
                let (Some(oh), Some(ow)) = (
                    out_dim(g.h, $kh, g.sh, g.dh, g.pt, g.pb),
                    out_dim(g.w, $kw, g.sw, g.dw, g.pl, g.pr),
                ) else { return Ok(()); };
                let input = bytes(seed, g.h * g.w * $ic);
                let filter = bytes(seed ^ 1, $oc * $kh * $kw * $ic);
                let bias: Vec<i32> = bytes(seed ^ 2, $oc).iter().map(|&b| i32::from(b) * 97).collect();
                let (mult, shift) = requant_table(seed, $oc);
                let (act_min, act_max) = if relu { (if seed % 3 == 0 { -128 } else { ozp.max(-128) }, 127) } else { (-128, (ozp + 100).min(127)) };
                let p = Conv2dParams {
                    batches: 1, input_h: g.h, input_w: g.w, input_c: $ic, output_h: oh, output_w: ow,
                    output_c: $oc, kernel_h: $kh, kernel_w: $kw, stride_h: g.sh, stride_w: g.sw,
                    dilation_h: g.dh, dilation_w: g.dw, pad_top: g.pt, pad_left: g.pl,
                    input_offset: -zp, output_offset: ozp, output_multiplier: &mult,
                    output_shift: &shift, act_min, act_max,
                };
                let mut want = vec![0i8; oh * ow * $oc];
                conv2d_s8(&p, &input, &filter, with_bias.then_some(&bias[..]), &mut want).unwrap();

                let row = $kh * $kw * $ic;
                let mut flat = vec![0u32; 2 * OP * W];
                pack_conv(&filter, $oc, row, &mut flat).unwrap();
                let mut packed = [[[0u32; 2]; W]; OP];
                for (i, v) in flat.iter().enumerate() {
                    packed[i / (2 * W)][(i / 2) % W][i % 2] = *v;
                }
                let mut folded = [0i32; $oc];
                for (o, f) in filter.chunks_exact(row).enumerate() {
                    let b = if with_bias { bias[o] } else { 0 };
                    folded[o] = fold_bias(b, -zp, f.iter().copied());
                }
                let rq: [Rq; $oc] = rq(&mult, &shift).try_into().unwrap();
                let s = conv::ConvSpec {
                    input_h: g.h, input_w: g.w, output_h: oh, output_w: ow, kernel_h: $kh,
                    kernel_w: $kw, stride_h: g.sh, stride_w: g.sw, dilation_h: g.dh,
                    dilation_w: g.dw, pad_top: g.pt, pad_left: g.pl, pad_value: zp as i8,
                    output_offset: ozp, act_min, act_max, bias: &folded, rq: &rq,
                };
                let mut got = vec![0i8; oh * ow * $oc];
                conv::conv_s8::<$ic, $oc, W, OP>(&s, &input, &packed, &mut got).unwrap();
                prop_assert_eq!(words(row), W);
                prop_assert_eq!(got, want);
            }
        }
    };
}

conv_case!(conv_1x1_c8_o16, 8, 16, 1, 1);
conv_case!(conv_1x1_c6_o5, 6, 5, 1, 1);
conv_case!(conv_3x3_c3_o8, 3, 8, 3, 3);
conv_case!(conv_10x4_c1_o7, 1, 7, 10, 4);
conv_case!(conv_3x3_c16_o16, 16, 16, 3, 3);
conv_case!(conv_2x3_c5_o3, 5, 3, 2, 3);

macro_rules! dw_dispatch {
    ($c:literal, $kh:literal, $kw:literal, $key:expr, $s:expr, $i:expr, $p:expr, $o:expr;
     $(($dh:literal, $w:literal, $dw:literal)),*) => {
        match $key {
            $(($dh, $w, $dw) => depthwise::depthwise_s8::<
                $c, { $c / 4 }, $kh, $kw, { $dh * $w * $c }, { $dw * $c }, { $kw * $c }
            >($s, $i, $p, $o),)*
            _ => unreachable!("no such test geometry"),
        }
    };
}

macro_rules! dw_case {
    ($name:ident, $c:literal, $kh:literal, $kw:literal) => {
        proptest! {
            #![proptest_config(crate::cortex_m::proptest_config(2, 48))]
            #[test]
            fn $name(g in geo(9), seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     relu in any::<bool>(), with_bias in any::<bool>()) {
                const G: usize = $c / 4;
                let (Some(oh), Some(ow)) = (
                    out_dim(g.h, $kh, g.sh, g.dh, g.pt, g.pb),
                    out_dim(g.w, $kw, g.sw, g.dw, g.pl, g.pr),
                ) else { return Ok(()); };
                let input = bytes(seed, g.h * g.w * $c);
                let filter = bytes(seed ^ 1, $kh * $kw * $c);
                let bias: Vec<i32> = bytes(seed ^ 2, $c).iter().map(|&b| i32::from(b) * 97).collect();
                let (mult, shift) = requant_table(seed, $c);
                let (act_min, act_max) = if relu { (if seed % 3 == 0 { -128 } else { ozp.max(-128) }, 127) } else { (-128, (ozp + 100).min(127)) };
                let p = DepthwiseConv2dParams {
                    batches: 1, input_h: g.h, input_w: g.w, input_c: $c, depth_multiplier: 1,
                    output_h: oh, output_w: ow, kernel_h: $kh, kernel_w: $kw, stride_h: g.sh,
                    stride_w: g.sw, dilation_h: g.dh, dilation_w: g.dw, pad_top: g.pt,
                    pad_left: g.pl, input_offset: -zp, output_offset: ozp,
                    output_multiplier: &mult, output_shift: &shift, act_min, act_max,
                };
                let mut want = vec![0i8; oh * ow * $c];
                depthwise_conv2d_s8(&p, &input, &filter, with_bias.then_some(&bias[..]), &mut want).unwrap();

                let mut flat = vec![[0u32; 2]; $kh * $kw * G];
                pack_depthwise(&filter, $c, &mut flat).unwrap();
                let mut packed = [[[[0u32; 2]; $kw]; $kh]; G];
                for (i, v) in flat.iter().enumerate() {
                    let (gi, t) = (i / ($kh * $kw), i % ($kh * $kw));
                    packed[gi][t / $kw][t % $kw] = *v;
                }
                let mut folded = [0i32; $c];
                for (c, f) in folded.iter_mut().enumerate() {
                    let b = if with_bias { bias[c] } else { 0 };
                    *f = fold_bias(b, -zp, filter.iter().skip(c).step_by($c).copied());
                }
                let rq: [Rq; $c] = rq(&mult, &shift).try_into().unwrap();
                let s = depthwise::DepthwiseSpec {
                    input_h: g.h, input_w: g.w, output_h: oh, output_w: ow, stride_h: g.sh,
                    stride_w: g.sw, dilation_h: g.dh, dilation_w: g.dw, pad_top: g.pt,
                    pad_left: g.pl, pad_value: zp as i8, output_offset: ozp, act_min, act_max,
                    bias: &folded, rq: &rq,
                };
                let mut got = vec![0i8; oh * ow * $c];
                // The tap strides are const generics: dispatch over every size the strategy makes.
                dw_dispatch!($c, $kh, $kw, (g.dh, g.w, g.dw), &s, &input, &packed, &mut got;
                    (1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2), (1, 3, 1), (1, 3, 2), (1, 4, 1), (1, 4, 2), (1, 5, 1), (1, 5, 2), (1, 6, 1), (1, 6, 2), (1, 7, 1), (1, 7, 2), (1, 8, 1), (1, 8, 2), (2, 1, 1), (2, 1, 2), (2, 2, 1), (2, 2, 2), (2, 3, 1), (2, 3, 2), (2, 4, 1), (2, 4, 2), (2, 5, 1), (2, 5, 2), (2, 6, 1), (2, 6, 2), (2, 7, 1), (2, 7, 2), (2, 8, 1), (2, 8, 2)).unwrap();
                prop_assert_eq!(got, want);
            }
        }
    };
}

dw_case!(dw_3x3_c8, 8, 3, 3);
dw_case!(dw_3x3_c4, 4, 3, 3);
dw_case!(dw_5x2_c12, 12, 5, 2);

macro_rules! fc_case {
    ($name:ident, $d:literal, $u:literal) => {
        proptest! {
            #![proptest_config(crate::cortex_m::proptest_config(2, 64))]
            #[test]
            fn $name(rows in 1usize..3, seed in any::<u64>(), zp in -128i32..=127, ozp in -128i32..=127,
                     per_tensor in any::<bool>(), with_bias in any::<bool>()) {
                const W: usize = ($d as usize).div_ceil(2);
                const UQ: usize = ($u as usize).div_ceil(4);
                let input = bytes(seed, rows * $d);
                let filter = bytes(seed ^ 1, $u * $d);
                let bias: Vec<i32> = bytes(seed ^ 2, $u).iter().map(|&b| i32::from(b) * 1001).collect();
                let (mut mult, mut shift) = requant_table(seed, $u);
                if per_tensor {
                    mult.truncate(1);
                    shift.truncate(1);
                }
                let p = FullyConnectedParams {
                    batches: rows, depth: $d, units: $u, input_offset: -zp, filter_offset: 0,
                    output_offset: ozp, output_multiplier: &mult, output_shift: &shift,
                    act_min: -128, act_max: 127,
                };
                let mut want = vec![0i8; rows * $u];
                ref_fc(&p, &input, &filter, with_bias.then_some(&bias[..]), &mut want).unwrap();

                let mut flat = vec![0u32; 4 * UQ * W];
                pack_fc(&filter, $u, $d, &mut flat).unwrap();
                let mut packed = [[[0u32; 4]; W]; UQ];
                for (i, v) in flat.iter().enumerate() {
                    packed[i / (4 * W)][(i / 4) % W][i % 4] = *v;
                }
                let mut folded = [0i32; $u];
                for (u, f) in filter.chunks_exact($d).enumerate() {
                    folded[u] = fold_bias(if with_bias { bias[u] } else { 0 }, -zp, f.iter().copied());
                }
                let rq: [Rq; $u] = core::array::from_fn(|u| {
                    let i = if per_tensor { 0 } else { u };
                    Rq::new(mult[i], shift[i])
                });
                let s = fully_connected::FcSpec {
                    output_offset: ozp, act_min: -128, act_max: 127, bias: &folded, rq: &rq,
                };
                let mut got = vec![0i8; rows * $u];
                fully_connected::fully_connected_s8::<$d, $u, W, UQ>(&s, &input, &packed, &mut got).unwrap();
                prop_assert_eq!(got, want);
            }
        }
    };
}

fc_case!(fc_64_12, 64, 12);
fc_case!(fc_7_5, 7, 5);
fc_case!(fc_10_4, 10, 4);

proptest! {
    #![proptest_config(crate::cortex_m::proptest_config(2, 256))]
    #[test]
    fn add_equals_portable(seed in any::<u64>(), za in -128i32..=127, zb in -128i32..=127,
                           zo in -128i32..=127, ma in (1i32 << 30)..i32::MAX, mb in (1i32 << 30)..i32::MAX,
                           mo in (1i32 << 30)..i32::MAX, sa in -8i32..=0, sb in -8i32..=0, so in -31i32..=0,
                           relu in any::<bool>()) {
        const N: usize = 37;
        let a = bytes(seed, N);
        let b = bytes(seed ^ 9, N);
        let (act_min, act_max) = if relu { (zo, 127) } else { (-128, 127) };
        let shape = [N];
        let p = AddParams {
            a_shape: &shape, b_shape: &shape, output_shape: &shape, a_offset: -za, b_offset: -zb,
            output_offset: zo, left_shift: 20, a_multiplier: ma, a_shift: sa, b_multiplier: mb,
            b_shift: sb, output_multiplier: mo, output_shift: so, act_min, act_max,
        };
        let mut want = [0i8; N];
        ref_add(&p, &a, &b, &mut want).unwrap();
        let (ta, tb) = (add_table(-za, 20, ma, sa), add_table(-zb, 20, mb, sb));
        let s = add::AddSpec { table_a: &ta, table_b: &tb, rq: Rq::new(mo, so), output_offset: zo, act_min, act_max };
        let mut got = [0i8; N];
        add::add_s8::<N>(&s, &a, &b, &mut got).unwrap();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn bad_arguments_are_errors() {
    let rq = [Rq::new(-5, 0)];
    let s = fully_connected::FcSpec {
        output_offset: 0,
        act_min: -128,
        act_max: 127,
        bias: &[0],
        rq: &rq,
    };
    let mut y = [0i8; 1];
    assert!(
        fully_connected::fully_connected_s8::<2, 1, 1, 1>(&s, &[1, 2], &[[[0; 4]]], &mut y)
            .is_err()
    );
    let rq = [Rq::new(1 << 30, 0)];
    let s = fully_connected::FcSpec {
        output_offset: 0,
        act_min: -128,
        act_max: 127,
        bias: &[0],
        rq: &rq,
    };
    // W must be ceil(D / 2).
    assert!(fully_connected::fully_connected_s8::<4, 1, 1, 1>(
        &s,
        &[1, 2, 3, 4],
        &[[[0; 4]]],
        &mut y
    )
    .is_err());
    assert!(
        fully_connected::fully_connected_s8::<2, 1, 1, 1>(&s, &[1, 2], &[[[0; 4]]], &mut y).is_ok()
    );
}

fn pool_params(g: &Geo, c: usize, fh: usize, fw: usize, act: (i32, i32)) -> Option<Pool2dParams> {
    let oh = out_dim(g.h, fh, g.sh, 1, g.pt.min(fh - 1), g.pb.min(fh - 1))?;
    let ow = out_dim(g.w, fw, g.sw, 1, g.pl.min(fw - 1), g.pr.min(fw - 1))?;
    Some(Pool2dParams {
        batches: 1,
        input_h: g.h,
        input_w: g.w,
        channels: c,
        output_h: oh,
        output_w: ow,
        filter_h: fh,
        filter_w: fw,
        stride_h: g.sh,
        stride_w: g.sw,
        pad_top: g.pt.min(fh - 1),
        pad_left: g.pl.min(fw - 1),
        act_min: act.0,
        act_max: act.1,
    })
}

macro_rules! pool_case {
    ($name:ident, $c:literal) => {
        proptest! {
            #![proptest_config(crate::cortex_m::proptest_config(2, 64))]
            #[test]
            fn $name(g in geo(9), seed in any::<u64>(), fh in 1usize..4, fw in 1usize..4,
                     lo in -128i32..=0, hi in 0i32..=127) {
                let Some(p) = pool_params(&g, $c, fh, fw, (lo, hi)) else { return Ok(()); };
                let input = bytes(seed, g.h * g.w * $c);
                let n = p.output_h * p.output_w * $c;
                let (mut want, mut got) = (vec![0i8; n], vec![0i8; n]);
                crate::max_pool2d::max_pool2d_s8(&p, &input, &mut want).unwrap();
                pool::max_pool_s8::<$c>(&p, &input, &mut got).unwrap();
                prop_assert_eq!(&got, &want);
                crate::avg_pool2d::avg_pool2d_s8(&p, &input, &mut want).unwrap();
                pool::avg_pool_s8::<$c>(&p, &input, &mut got).unwrap();
                prop_assert_eq!(&got, &want);
            }
        }
    };
}

pool_case!(pool_c8, 8);
pool_case!(pool_c7, 7);
pool_case!(pool_c1, 1);

#[test]
fn avg_pool_large_windows() {
    // 25x5 = 125 taps of -128 (the 16-bit lanes' worst case) and a 17x17 window (portable path).
    for (h, w) in [(25usize, 5usize), (17, 17)] {
        let g = Geo {
            h,
            w,
            sh: 1,
            sw: 1,
            dh: 1,
            dw: 1,
            pt: 0,
            pl: 0,
            pb: 0,
            pr: 0,
        };
        let p = pool_params(&g, 8, h, w, (-128, 127)).unwrap();
        for fill in [-128i8, 127] {
            let input = vec![fill; h * w * 8];
            let (mut want, mut got) = (vec![0i8; 8], vec![0i8; 8]);
            crate::avg_pool2d::avg_pool2d_s8(&p, &input, &mut want).unwrap();
            pool::avg_pool_s8::<8>(&p, &input, &mut got).unwrap();
            assert_eq!(got, want);
            assert_eq!(got, vec![fill; 8]);
        }
    }
}

proptest! {
    #![proptest_config(crate::cortex_m::proptest_config(2, 256))]
    #[test]
    fn softmax_equals_portable(seed in any::<u64>(), outer in 1usize..4, depth in 1usize..40,
                               m in (1i32 << 30)..i32::MAX, ls in 18i32..=27,
                               diff_min in -2000i32..=-1) {
        let input = bytes(seed, outer * depth);
        let p = crate::softmax::SoftmaxParams { outer, depth, input_multiplier: m, input_left_shift: ls, diff_min };
        let (mut want, mut got) = (vec![0i8; outer * depth], vec![0i8; outer * depth]);
        crate::softmax::softmax_s8(&p, &input, &mut want).unwrap();
        let t = super::pack::softmax_table(m, ls, diff_min);
        let s = softmax::SoftmaxSpec { outer, depth, exp: &t };
        softmax::softmax_s8(&s, &input, &mut got).unwrap();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn mul_equals_portable(seed in any::<u64>(), za in -128i32..=127, zb in -128i32..=127,
                           zo in -128i32..=127, mo in (1i32 << 30)..i32::MAX, so in -20i32..=2,
                           relu in any::<bool>()) {
        const N: usize = 29;
        let a = bytes(seed, N);
        let b = bytes(seed ^ 7, N);
        let (act_min, act_max) = if relu { (zo, 127) } else { (-128, 127) };
        let shape = [N];
        let p = crate::mul::MulParams {
            a_shape: &shape, b_shape: &shape, output_shape: &shape, a_offset: -za, b_offset: -zb,
            output_offset: zo, output_multiplier: mo, output_shift: so, act_min, act_max,
        };
        let mut want = [0i8; N];
        crate::mul::mul_s8(&p, &a, &b, &mut want).unwrap();
        let s = mul::MulSpec { a_offset: -za, b_offset: -zb, rq: Rq::new(mo, so), output_offset: zo, act_min, act_max };
        let mut got = [0i8; N];
        mul::mul_s8::<N>(&s, &a, &b, &mut got).unwrap();
        prop_assert_eq!(got, want);
    }
}
