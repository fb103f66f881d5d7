//! Property tests: for arbitrary valid shapes and parameters every kernel returns `Ok`, does
//! not panic, and writes exactly its output slice (guard bytes around the slice are checked).
#![allow(clippy::unwrap_used, clippy::panic)]

use nn_kernels::add::{add_s8, AddParams};
use nn_kernels::avg_pool2d::avg_pool2d_s8;
use nn_kernels::concat::{concat_s8, ConcatParams};
use nn_kernels::conv2d::{conv2d_s8, Conv2dParams};
use nn_kernels::depthwise_conv2d::{depthwise_conv2d_s8, DepthwiseConv2dParams};
use nn_kernels::fully_connected::{fully_connected_s8, FullyConnectedParams};
use nn_kernels::logistic::{logistic_s8, LogisticParams};
use nn_kernels::max_pool2d::{max_pool2d_s8, Pool2dParams};
use nn_kernels::mean::{mean_s8, MeanParams, MeanRequant};
use nn_kernels::mul::{mul_s8, MulParams};
use nn_kernels::pad::{pad_s8, PadParams};
use nn_kernels::quantize::{quantize_f32_s8, QuantizeParams};
use nn_kernels::requantize::{requantize_s8, RequantizeParams};
use nn_kernels::softmax::{softmax_s8, SoftmaxParams};
use nn_kernels::tanh::tanh_s8;
use proptest::prelude::*;

const GUARD: usize = 16;
const SENTINEL: i8 = 0x5a;

fn config() -> ProptestConfig {
    if cfg!(miri) {
        // Few cases, and no failure-persistence file: Miri's isolation forbids `getcwd`.
        ProptestConfig {
            cases: 3,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig::with_cases(256)
    }
}

/// Run `f` on the middle of a buffer with guard bytes on both sides, check the guards.
fn guarded(len: usize, f: impl FnOnce(&mut [i8]) -> nn_kernels::KernelResult) {
    let mut buf = vec![SENTINEL; len + 2 * GUARD];
    f(&mut buf[GUARD..GUARD + len]).unwrap();
    assert!(
        buf[..GUARD].iter().all(|&b| b == SENTINEL),
        "wrote before the output"
    );
    assert!(
        buf[GUARD + len..].iter().all(|&b| b == SENTINEL),
        "wrote after the output"
    );
}

fn bytes(n: usize, seed: u64) -> Vec<i8> {
    // Cheap deterministic fill (values across the whole int8 range).
    (0..n)
        .map(|i| {
            (seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add((i as u64).wrapping_mul(1_442_695_040_888_963_407))
                >> 56) as i8
        })
        .collect()
}

fn act() -> impl Strategy<Value = (i32, i32)> {
    (-128i32..=127, -128i32..=127).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn conv2d_any(
        (n, ih, iw, ic, oc) in (1usize..3, 1usize..6, 1usize..6, 1usize..4, 1usize..4),
        (kh, kw, sh, sw, dh, dw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3, 1usize..3, 1usize..3),
        (oh, ow, pt, pl) in (1usize..5, 1usize..5, 0usize..3, 0usize..3),
        (io, oo, m, s) in (-255i32..=255, -128i32..=127, any::<i32>(), -31i32..=31),
        (amin, amax) in act(), seed in any::<u64>(), with_bias in any::<bool>(),
    ) {
        let mult = vec![m; oc];
        let shift = vec![s; oc];
        let p = Conv2dParams {
            batches: n, input_h: ih, input_w: iw, input_c: ic, output_h: oh, output_w: ow,
            output_c: oc, kernel_h: kh, kernel_w: kw, stride_h: sh, stride_w: sw,
            dilation_h: dh, dilation_w: dw, pad_top: pt, pad_left: pl, input_offset: io,
            output_offset: oo, output_multiplier: &mult, output_shift: &shift,
            act_min: amin, act_max: amax,
        };
        let x = bytes(n * ih * iw * ic, seed);
        let w = bytes(oc * kh * kw * ic, seed ^ 1);
        let b: Vec<i32> = (0..oc as i32).map(|i| i * 1000 - 500).collect();
        guarded(n * oh * ow * oc, |o| conv2d_s8(&p, &x, &w, with_bias.then_some(b.as_slice()), o));
    }

    #[test]
    fn depthwise_any(
        (ih, iw, ic, dm) in (1usize..6, 1usize..6, 1usize..4, 1usize..3),
        (kh, kw, sh, sw, dh, dw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3, 1usize..3, 1usize..3),
        (oh, ow, pt, pl) in (1usize..5, 1usize..5, 0usize..3, 0usize..3),
        (io, oo, m, s) in (-255i32..=255, -128i32..=127, any::<i32>(), -31i32..=31),
        (amin, amax) in act(), seed in any::<u64>(),
    ) {
        let oc = ic * dm;
        let mult = vec![m; oc];
        let shift = vec![s; oc];
        let p = DepthwiseConv2dParams {
            batches: 1, input_h: ih, input_w: iw, input_c: ic, depth_multiplier: dm,
            output_h: oh, output_w: ow, kernel_h: kh, kernel_w: kw, stride_h: sh, stride_w: sw,
            dilation_h: dh, dilation_w: dw, pad_top: pt, pad_left: pl, input_offset: io,
            output_offset: oo, output_multiplier: &mult, output_shift: &shift,
            act_min: amin, act_max: amax,
        };
        let x = bytes(ih * iw * ic, seed);
        let w = bytes(kh * kw * oc, seed ^ 2);
        guarded(oh * ow * oc, |o| depthwise_conv2d_s8(&p, &x, &w, None, o));
    }

    #[test]
    fn fully_connected_any(
        (b, d, u) in (1usize..4, 0usize..20, 1usize..6),
        (io, fo, oo) in (-255i32..=255, -1i32..=1, -128i32..=127),
        (m, s) in (any::<i32>(), -31i32..=31), per_channel in any::<bool>(),
        (amin, amax) in act(), seed in any::<u64>(),
    ) {
        let k = if per_channel { u } else { 1 };
        let mult = vec![m; k];
        let shift = vec![s; k];
        let p = FullyConnectedParams {
            batches: b, depth: d, units: u, input_offset: io, filter_offset: fo,
            output_offset: oo, output_multiplier: &mult, output_shift: &shift,
            act_min: amin, act_max: amax,
        };
        let x = bytes(b * d, seed);
        let w = bytes(u * d, seed ^ 3);
        guarded(b * u, |o| fully_connected_s8(&p, &x, &w, None, o));
    }

    #[test]
    fn pools_any(
        (n, ih, iw, c) in (1usize..3, 1usize..7, 1usize..7, 1usize..4),
        (fh, fw, sh, sw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3),
        (amin, amax) in act(), seed in any::<u64>(),
    ) {
        // SAME geometry so that every window has an in-bounds tap.
        let oh = ih.div_ceil(sh);
        let ow = iw.div_ceil(sw);
        let pt = ((oh - 1) * sh + fh).saturating_sub(ih) / 2;
        let pl = ((ow - 1) * sw + fw).saturating_sub(iw) / 2;
        let p = Pool2dParams {
            batches: n, input_h: ih, input_w: iw, channels: c, output_h: oh, output_w: ow,
            filter_h: fh, filter_w: fw, stride_h: sh, stride_w: sw, pad_top: pt, pad_left: pl,
            act_min: amin, act_max: amax,
        };
        let x = bytes(n * ih * iw * c, seed);
        guarded(n * oh * ow * c, |o| max_pool2d_s8(&p, &x, o));
        guarded(n * oh * ow * c, |o| avg_pool2d_s8(&p, &x, o));
    }

    #[test]
    fn add_mul_any(
        dims in prop::collection::vec(1usize..4, 0..5),
        mask_a in prop::collection::vec(any::<bool>(), 5),
        mask_b in prop::collection::vec(any::<bool>(), 5),
        (ao, bo, oo) in (-127i32..=128, -127i32..=128, -128i32..=127),
        (m1, m2, m3, m4) in (0i32..=i32::MAX, 0i32..=i32::MAX, 0i32..=i32::MAX, any::<i32>()),
        (s1, s2, s3, s4) in (-31i32..=0, -31i32..=0, -31i32..=0, -31i32..=31),
        (amin, amax) in act(), seed in any::<u64>(),
    ) {
        let a_shape: Vec<usize> = dims.iter().zip(&mask_a).map(|(&d, &k)| if k { d } else { 1 }).collect();
        let b_shape: Vec<usize> = dims.iter().zip(&mask_b).map(|(&d, &k)| if k { d } else { 1 }).collect();
        let len: usize = dims.iter().product();
        let a = bytes(a_shape.iter().product(), seed);
        let b = bytes(b_shape.iter().product(), seed ^ 4);
        let pa = AddParams {
            a_shape: &a_shape, b_shape: &b_shape, output_shape: &dims, a_offset: ao, b_offset: bo,
            output_offset: oo, left_shift: 20, a_multiplier: m1, a_shift: s1, b_multiplier: m2,
            b_shift: s2, output_multiplier: m3, output_shift: s3, act_min: amin, act_max: amax,
        };
        guarded(len, |o| add_s8(&pa, &a, &b, o));
        let pm = MulParams {
            a_shape: &a_shape, b_shape: &b_shape, output_shape: &dims, a_offset: ao, b_offset: bo,
            output_offset: oo, output_multiplier: m4, output_shift: s4, act_min: amin, act_max: amax,
        };
        guarded(len, |o| mul_s8(&pm, &a, &b, o));
    }

    #[test]
    fn elementwise_any(
        (outer, depth) in (1usize..4, 1usize..40),
        (m, ls, dmin) in (0i32..=i32::MAX, 0i32..=31, -100_000i32..=0),
        (zp, radius, lm, lshift) in (-128i32..=127, 0i32..=300, 0i32..=i32::MAX, -31i32..=31),
        (rq_m, rq_s) in (0i32..=i32::MAX, -31i32..=31),
        (scale, qzp) in (prop::num::f32::ANY, -128i32..=127),
        seed in any::<u64>(),
    ) {
        let n = outer * depth;
        let x = bytes(n, seed);
        let sp = SoftmaxParams { outer, depth, input_multiplier: m, input_left_shift: ls, diff_min: dmin };
        guarded(n, |o| softmax_s8(&sp, &x, o));
        let lp = LogisticParams { len: n, input_zero_point: zp, input_range_radius: radius,
            input_multiplier: lm, input_left_shift: lshift };
        guarded(n, |o| logistic_s8(&lp, &x, o));
        guarded(n, |o| tanh_s8(&lp, &x, o));
        let rp = RequantizeParams { len: n, input_zero_point: zp, output_zero_point: qzp,
            multiplier: rq_m, shift: rq_s };
        guarded(n, |o| requantize_s8(&rp, &x, o));
        let f: Vec<f32> = x.iter().map(|&v| f32::from(v) * 1.7e3).collect();
        let qp = QuantizeParams { len: n, scale, zero_point: qzp };
        guarded(n, |o| quantize_f32_s8(&qp, &f, o));
    }

    #[test]
    fn pad_concat_mean_any(
        dims in prop::collection::vec(1usize..4, 1..5),
        pads in prop::collection::vec((0usize..3, 0usize..3), 4),
        axis_pick in any::<prop::sample::Index>(),
        reduce in prop::collection::vec(any::<bool>(), 4),
        (mm, ms, zp) in (0i32..=i32::MAX, -31i32..=31, -128i32..=127),
        seed in any::<u64>(),
    ) {
        let x = bytes(dims.iter().product(), seed);
        let paddings: Vec<[usize; 2]> = pads.iter().take(dims.len()).map(|&(a, b)| [a, b]).collect();
        let out_len: usize = dims.iter().zip(&paddings).map(|(d, p)| d + p[0] + p[1]).product();
        let pp = PadParams { input_shape: &dims, paddings: &paddings, pad_value: -7 };
        guarded(out_len, |o| pad_s8(&pp, &x, o));

        let axis = axis_pick.index(dims.len());
        let outer: usize = dims[..axis].iter().product();
        let inner: usize = dims[axis + 1..].iter().product();
        let cp = ConcatParams { outer, inner, axis_sizes: &[dims[axis], dims[axis]] };
        guarded(2 * x.len(), |o| concat_s8(&cp, &[&x, &x], o));

        let axes: Vec<usize> = (0..dims.len()).filter(|&i| reduce[i]).collect();
        let mean_len: usize = dims.iter().enumerate().filter(|(i, _)| !reduce[*i]).map(|(_, d)| d).product();
        for requant in [MeanRequant::Same, MeanRequant::Requant { multiplier: mm, shift: ms, input_zero_point: zp, output_zero_point: -zp.max(-127) }] {
            let mp = MeanParams { input_shape: &dims, axes: &axes, requant };
            guarded(mean_len, |o| mean_s8(&mp, &x, o));
        }
    }
}
