//! The element-wise kernels written over an input (`*_in_place`, which the planner's in-place
//! layers call) give exactly the bytes of the ordinary kernels, on random constants, shapes with
//! broadcasting, and data; and refuse to write over an operand that broadcasts.
// Not under Miri: the parameter shapes are leaked to get `'static` slices (Miri reports leaks),
// and 200 proptest cases take too long there; the kernels' own Miri coverage is the lib tests.
#![cfg(not(miri))]
#![allow(clippy::unwrap_used)]

use nn_kernels::add::{add_s8, add_s8_in_place, sub_s8, sub_s8_in_place, AddParams, Over};
use nn_kernels::logistic::{logistic_s8, logistic_s8_in_place, LogisticParams};
use nn_kernels::lut::{lut_s8, lut_s8_in_place, LutParams};
use nn_kernels::minmax::{
    maximum_s8, maximum_s8_in_place, minimum_s8, minimum_s8_in_place, MinMaxParams,
};
use nn_kernels::mul::{mul_s8, mul_s8_in_place, MulParams};
use nn_kernels::prelu::{prelu_s8, prelu_s8_in_place, PreluParams};
use nn_kernels::relu::{relu6_s8, relu6_s8_in_place, relu_s8, relu_s8_in_place};
use nn_kernels::relu::{Relu6Params, ReluParams};
use nn_kernels::requantize::{requantize_s8, requantize_s8_in_place, RequantizeParams};
use nn_kernels::tanh::{tanh_s8, tanh_s8_in_place};
use proptest::prelude::*;

/// Every int8 value.
fn all_values() -> Vec<i8> {
    (i8::MIN..=i8::MAX).collect()
}

fn unary_equal(
    out_of_place: impl Fn(&[i8], &mut [i8]),
    in_place: impl Fn(&mut [i8]),
) -> Result<(), TestCaseError> {
    let x = all_values();
    let mut want = vec![0i8; x.len()];
    out_of_place(&x, &mut want);
    let mut data = x.clone();
    in_place(&mut data);
    prop_assert_eq!(data, want);
    Ok(())
}

/// A shape of rank 1-4 and one that broadcasts to it (each dimension kept or 1).
fn shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(1usize..5, 1..5).prop_flat_map(|out| {
        let n = out.len();
        (
            Just(out.clone()),
            prop::collection::vec(any::<bool>(), n),
            0..=n,
        )
            .prop_map(|(out, keep, drop)| {
                let b: Vec<usize> = out
                    .iter()
                    .zip(keep)
                    .map(|(&d, k)| if k { d } else { 1 })
                    .skip(drop)
                    .collect();
                (out, b)
            })
    })
}

fn data(len: usize, seed: u64) -> Vec<i8> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8 as i8
        })
        .collect()
}

/// Runs a binary kernel out of place on (a, b) and in place over each operand with the output's
/// shape (a always; b when it does not broadcast), comparing bytes.
fn binary_equal(
    a_shape: &[usize],
    b_shape: &[usize],
    seed: u64,
    out_of_place: impl Fn(&[usize], &[usize], &[i8], &[i8], &mut [i8]),
    in_place: impl Fn(&[usize], &[usize], &mut [i8], Over, &[i8]) -> nn_kernels::KernelResult,
) -> Result<(), TestCaseError> {
    let n = |s: &[usize]| s.iter().product::<usize>();
    for (sa, sb) in [(a_shape, b_shape), (b_shape, a_shape)] {
        let (a, b) = (data(n(sa), seed), data(n(sb), seed ^ 0xA5));
        let out_len = n(a_shape).max(n(b_shape));
        let mut want = vec![0i8; out_len];
        out_of_place(sa, sb, &a, &b, &mut want);
        if n(sa) == out_len {
            let mut d = a.clone();
            in_place(sa, sb, &mut d, Over::A, &b).unwrap();
            prop_assert_eq!(&d, &want);
        }
        if n(sb) == out_len {
            let mut d = b.clone();
            in_place(sa, sb, &mut d, Over::B, &a).unwrap();
            prop_assert_eq!(&d, &want);
        }
        if n(sb) < out_len {
            // Over an operand that broadcasts: refused, nothing written.
            let mut d = b.clone();
            prop_assert!(in_place(sa, sb, &mut d, Over::B, &a).is_err());
            prop_assert_eq!(&d, &b);
        }
    }
    Ok(())
}

/// The broadcast of two shapes (aligned from the right, each pair equal or one of them 1).
fn out_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| (i + s.len()).checked_sub(n).map_or(1, |j| s[j]);
    (0..n).map(|i| at(a, i).max(at(b, i))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn unary_in_place_equals_out_of_place(
        zi in -128i32..128, zo in -128i32..128, m in (1i32 << 30)..i32::MAX, s in -12i32..4,
        lo in -128i8..0, hi in 0i8..=127, radius in 1i32..300, table in prop::array::uniform32(any::<i8>()),
    ) {
        let len = 256;
        let relu = ReluParams { len, input_zero_point: zi, output_zero_point: zo, multiplier: m, shift: s, act_min: zo.max(-128), act_max: 127 };
        unary_equal(|x, y| relu_s8(&relu, x, y).unwrap(), |d| relu_s8_in_place(&relu, d).unwrap())?;
        let relu6 = Relu6Params { len, lower: lo, upper: hi };
        unary_equal(|x, y| relu6_s8(&relu6, x, y).unwrap(), |d| relu6_s8_in_place(&relu6, d).unwrap())?;
        let mut t = [0i8; 256];
        for (i, v) in t.iter_mut().enumerate() {
            *v = table[i % 32].wrapping_add(i as i8);
        }
        let lut = LutParams { len, table: t };
        unary_equal(|x, y| lut_s8(&lut, x, y).unwrap(), |d| lut_s8_in_place(&lut, d).unwrap())?;
        let lg = LogisticParams { len, input_zero_point: zi, input_range_radius: radius, input_multiplier: m, input_left_shift: s + 20 };
        unary_equal(|x, y| logistic_s8(&lg, x, y).unwrap(), |d| logistic_s8_in_place(&lg, d).unwrap())?;
        unary_equal(|x, y| tanh_s8(&lg, x, y).unwrap(), |d| tanh_s8_in_place(&lg, d).unwrap())?;
        let rq = RequantizeParams { len, input_zero_point: zi, output_zero_point: zo, multiplier: m, shift: s };
        unary_equal(|x, y| requantize_s8(&rq, x, y).unwrap(), |d| requantize_s8_in_place(&rq, d).unwrap())?;
    }

    #[test]
    fn binary_in_place_equals_out_of_place(
        (sa, sb) in shapes(), seed in any::<u64>(),
        za in -128i32..128, zb in -128i32..128, zo in -128i32..128,
        m in (1i32 << 30)..i32::MAX, s in -20i32..0,
    ) {
        let add = |a: &[usize], b: &[usize], o: &[usize]| -> (Vec<usize>, Vec<usize>, Vec<usize>) {
            (a.to_vec(), b.to_vec(), o.to_vec())
        };
        let add_params = |a: &[usize], b: &[usize]| {
            let (a, b, o) = add(a, b, &out_shape(a, b));
            (a, b, o)
        };
        let mk_add = |shapes: &(Vec<usize>, Vec<usize>, Vec<usize>)| -> AddParams<'static> {
            let (a, b, o) = shapes.clone();
            AddParams {
                a_shape: Box::leak(a.into_boxed_slice()),
                b_shape: Box::leak(b.into_boxed_slice()),
                output_shape: Box::leak(o.into_boxed_slice()),
                a_offset: -za, b_offset: -zb, output_offset: zo, left_shift: 20,
                a_multiplier: m, a_shift: s / 2, b_multiplier: m, b_shift: s / 3,
                output_multiplier: m, output_shift: s, act_min: -128, act_max: 127,
            }
        };
        binary_equal(&sa, &sb, seed,
            |a, b, x, y, o| add_s8(&mk_add(&add_params(a, b)), x, y, o).unwrap(),
            |a, b, d, over, other| add_s8_in_place(&mk_add(&add_params(a, b)), d, over, other))?;
        binary_equal(&sa, &sb, seed,
            |a, b, x, y, o| sub_s8(&mk_add(&add_params(a, b)), x, y, o).unwrap(),
            |a, b, d, over, other| sub_s8_in_place(&mk_add(&add_params(a, b)), d, over, other))?;
        let mk_mul = |a: &[usize], b: &[usize]| MulParams {
            a_shape: Box::leak(a.to_vec().into_boxed_slice()),
            b_shape: Box::leak(b.to_vec().into_boxed_slice()),
            output_shape: Box::leak(out_shape(a, b).into_boxed_slice()),
            a_offset: -za, b_offset: -zb, output_offset: zo,
            output_multiplier: m, output_shift: s / 2, act_min: -100, act_max: 120,
        };
        binary_equal(&sa, &sb, seed,
            |a, b, x, y, o| mul_s8(&mk_mul(a, b), x, y, o).unwrap(),
            |a, b, d, over, other| mul_s8_in_place(&mk_mul(a, b), d, over, other))?;
        let mk_mm = |a: &[usize], b: &[usize]| MinMaxParams {
            a_shape: Box::leak(a.to_vec().into_boxed_slice()),
            b_shape: Box::leak(b.to_vec().into_boxed_slice()),
            output_shape: Box::leak(out_shape(a, b).into_boxed_slice()),
        };
        binary_equal(&sa, &sb, seed,
            |a, b, x, y, o| maximum_s8(&mk_mm(a, b), x, y, o).unwrap(),
            |a, b, d, over, other| maximum_s8_in_place(&mk_mm(a, b), d, over, other))?;
        binary_equal(&sa, &sb, seed,
            |a, b, x, y, o| minimum_s8(&mk_mm(a, b), x, y, o).unwrap(),
            |a, b, d, over, other| minimum_s8_in_place(&mk_mm(a, b), d, over, other))?;
        // PRELU: the input has the output's shape, alpha broadcasts.
        // `sa` is the broadcast of `sb`, so it is the input and `sb` the alpha.
        let (x_shape, alpha_shape) = (sa.clone(), sb.clone());
        let n = |s: &[usize]| s.iter().product::<usize>();
        if n(&x_shape) >= n(&alpha_shape) {
            let p = PreluParams {
                input_shape: &x_shape, alpha_shape: &alpha_shape, output_shape: &x_shape,
                input_offset: -za, alpha_offset: -zb, output_offset: zo,
                multiplier_identity: m, shift_identity: s / 4, multiplier_alpha: m, shift_alpha: s / 2,
            };
            let (x, alpha) = (data(n(&x_shape), seed), data(n(&alpha_shape), seed ^ 7));
            let mut want = vec![0i8; x.len()];
            prelu_s8(&p, &x, &alpha, &mut want).unwrap();
            let mut d = x.clone();
            prelu_s8_in_place(&p, &mut d, &alpha).unwrap();
            prop_assert_eq!(d, want);
        }
    }
}
