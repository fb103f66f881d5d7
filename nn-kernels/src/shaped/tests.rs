//! The shaped API against the const-generic `typed` calls the generated code makes (same
//! constants, TFLite's padding written out by hand): identical outputs.

use super::*;
use crate::typed;
use typenum::{U10, U2, U3, U4, U5, U6, U9};

/// Deterministic int8 data.
fn fill(seed: u32, out: &mut [i8]) {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    for v in out {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *v = (x >> 24) as u8 as i8;
    }
}

fn filled<const N: usize>(seed: u32) -> [i8; N] {
    let mut a = [0i8; N];
    fill(seed, &mut a);
    a
}

#[test]
fn padding_arithmetic_is_tflites() {
    // VALID: (in - ((k - 1) * d + 1)) / s + 1.
    assert_eq!(OutSize::<Valid, U10, U3, U1, U1>::USIZE, 8);
    assert_eq!(OutSize::<Valid, U10, U3, U2, U1>::USIZE, 4);
    assert_eq!(OutSize::<Valid, U10, U3, U1, U2>::USIZE, 6);
    assert_eq!(OutSize::<Valid, U9, U3, U3, U3>::USIZE, 1);
    assert_eq!(<Valid as PaddingMode<U10, U3, U2, U1>>::BEFORE, 0);
    // SAME: ceil(in / s); before = floor(max(0, (out - 1) * s + eff - in) / 2).
    assert_eq!(OutSize::<Same, U9, U3, U2, U1>::USIZE, 5);
    assert_eq!(<Same as PaddingMode<U9, U3, U2, U1>>::BEFORE, 1);
    assert_eq!(OutSize::<Same, U10, U3, U2, U1>::USIZE, 5);
    assert_eq!(<Same as PaddingMode<U10, U3, U2, U1>>::BEFORE, 0);
    assert_eq!(OutSize::<Same, U9, U3, U1, U2>::USIZE, 9);
    assert_eq!(<Same as PaddingMode<U9, U3, U1, U2>>::BEFORE, 2);
    assert_eq!(<Same as PaddingMode<U5, U1, U1, U1>>::BEFORE, 0);
    // 49 frames, 10-tall kernel, stride 2 (DS-CNN's first layer): 25 rows, 4 before.
    type U49 = typenum::U49;
    assert_eq!(OutSize::<Same, U49, U10, U2, U1>::USIZE, 25);
    assert_eq!(<Same as PaddingMode<U49, U10, U2, U1>>::BEFORE, 4);
}

#[test]
fn conv_same_strided_dilated_equals_typed() {
    let input: [[[i8; 3]; 10]; 9] = [[[0; 3]; 10]; 9];
    let mut input = input;
    fill(1, input.as_flattened_mut().as_flattened_mut());
    let mut filter = [[[[0i8; 3]; 3]; 3]; 4];
    fill(
        2,
        filter
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut(),
    );
    let bias = [100, -2000, 30, 0];
    let mult = [1 << 30, 1_500_000_000, 1_100_000_000, 2_000_000_000];
    let shift = [-6, -7, -5, -8];
    let quant = Quant {
        input_offset: 3,
        output_offset: -5,
        multiplier: Channels::from_array(&mult),
        shift: Channels::from_array(&shift),
        act: [-128, 127],
    };
    // SAME, stride 2, dilation 1 in height and 2 in width: 9x10 -> 5x5.
    let mut got = [[[0i8; 4]; 5]; 5];
    conv2d(
        Window::<U2, U2, Same, U1, U2>::new(),
        &quant,
        Tensor::from_array(&input),
        ConvFilter::from_array(&filter),
        Some(Channels::from_array(&bias)),
        TensorMut::from_array(&mut got),
    )
    .unwrap();
    // Width: eff 5, out 5, needed 4 * 2 + 5 = 13, total 3, before 1. Height: before 1.
    let spec = typed::ConvSpec {
        stride: [2, 2],
        dilation: [1, 2],
        pad: [1, 1],
        input_offset: 3,
        output_offset: -5,
        output_multiplier: &mult,
        output_shift: &shift,
        act: [-128, 127],
    };
    let mut want = [[[0i8; 4]; 5]; 5];
    typed::conv2d(&spec, &input, &filter, Some(&bias), &mut want).unwrap();
    assert_eq!(got, want);
    assert!(got
        .as_flattened()
        .as_flattened()
        .iter()
        .any(|&v| v != got[0][0][0]));
}

#[test]
fn depthwise_multiplier_two_equals_typed() {
    let mut input = [[[0i8; 3]; 6]; 6];
    fill(3, input.as_flattened_mut().as_flattened_mut());
    let mut filter = [[[0i8; 6]; 3]; 3];
    fill(4, filter.as_flattened_mut().as_flattened_mut());
    let mult = [1_300_000_000; 6];
    let shift = [-6; 6];
    let bias = [1, 2, 3, 4, 5, 6];
    let quant = Quant {
        input_offset: 0,
        output_offset: 1,
        multiplier: Channels::from_array(&mult),
        shift: Channels::from_array(&shift),
        act: [-100, 100],
    };
    let mut got = [[[0i8; 6]; 4]; 4];
    depthwise_conv2d(
        Window::<U1, U1, Valid>::new(),
        &quant,
        Tensor::from_array(&input),
        DepthwiseFilter::<_, _, U3, U2>::from_array(&filter),
        Some(Channels::from_array(&bias)),
        TensorMut::from_array(&mut got),
    )
    .unwrap();
    let spec = typed::ConvSpec {
        stride: [1, 1],
        dilation: [1, 1],
        pad: [0, 0],
        input_offset: 0,
        output_offset: 1,
        output_multiplier: &mult,
        output_shift: &shift,
        act: [-100, 100],
    };
    let mut want = [[[0i8; 6]; 4]; 4];
    typed::depthwise_conv2d(&spec, &input, &filter, Some(&bias), &mut want).unwrap();
    assert_eq!(got, want);
}

#[test]
fn pools_dense_and_elementwise_equal_typed() {
    let mut input = [[[0i8; 2]; 5]; 5];
    fill(5, input.as_flattened_mut().as_flattened_mut());
    // SAME 3x3 stride 2: 5x5 -> 3x3, padding 1 before.
    let spec = typed::PoolSpec {
        filter: [3, 3],
        stride: [2, 2],
        pad: [1, 1],
        act: [-128, 127],
    };
    let mut got = [[[0i8; 2]; 3]; 3];
    let mut want = got;
    max_pool2d(
        Pool::<U3, U3, U2, U2, Same>::new(),
        [-128, 127],
        Tensor::from_array(&input),
        TensorMut::from_array(&mut got),
    )
    .unwrap();
    typed::max_pool2d(&spec, &input, &mut want).unwrap();
    assert_eq!(got, want);
    avg_pool2d(
        Pool::<U3, U3, U2, U2, Same>::new(),
        [-128, 127],
        Tensor::from_array(&input),
        TensorMut::from_array(&mut got),
    )
    .unwrap();
    typed::avg_pool2d(&spec, &input, &mut want).unwrap();
    assert_eq!(got, want);

    // Dense on the flattened pooled map (18 values), per-tensor.
    let pooled = Tensor::from_array(&got);
    let weights: [[i8; 18]; 4] = [filled(6), filled(7), filled(8), filled(9)];
    let quant = Quant {
        input_offset: 2,
        output_offset: 0,
        multiplier: Channels::from_array(&[1 << 30]),
        shift: Channels::from_array(&[-4]),
        act: [-128, 127],
    };
    let mut logits = [0i8; 4];
    dense(
        &quant,
        pooled.flatten(),
        DenseWeights::from_array(&weights),
        None,
        TensorMut::from_vector(&mut logits),
    )
    .unwrap();
    let flat: [i8; 18] = *typed::view1::<18>(pooled.as_slice(), 0).unwrap();
    let dspec = typed::DenseSpec {
        input_offset: 2,
        output_offset: 0,
        output_multiplier: &[1 << 30],
        output_shift: &[-4],
        act: [-128, 127],
    };
    let mut want_logits = [0i8; 4];
    typed::dense(&dspec, &flat, &weights, None, &mut want_logits).unwrap();
    assert_eq!(logits, want_logits);

    // Softmax over the channels of every pixel, relu, relu6, add.
    let sp = SoftmaxParams {
        outer: 0,
        depth: 0,
        input_multiplier: 1_500_000_000,
        input_left_shift: 20,
        diff_min: -248,
    };
    let mut probs = [[[0i8; 2]; 3]; 3];
    softmax(&sp, pooled, TensorMut::from_array(&mut probs)).unwrap();
    let rows: &[[i8; 2]; 9] = typed::view2::<i8, 9, 2>(pooled.as_slice(), 0).unwrap();
    let mut want_rows = [[0i8; 2]; 9];
    typed::softmax_rows(1_500_000_000, 20, -248, rows, &mut want_rows).unwrap();
    assert_eq!(probs.as_flattened(), &want_rows);

    let rp = ReluParams {
        len: 0,
        input_zero_point: 3,
        output_zero_point: -10,
        multiplier: 1_200_000_000,
        shift: 0,
        act_min: -10,
        act_max: 127,
    };
    let mut r = [[[0i8; 2]; 3]; 3];
    relu(&rp, pooled, TensorMut::from_array(&mut r)).unwrap();
    let mut want_r = [0i8; 18];
    typed::relu(&ReluParams { len: 18, ..rp }, &flat, &mut want_r).unwrap();
    assert_eq!(r.as_flattened().as_flattened(), &want_r);

    let r6 = Relu6Params {
        len: 0,
        lower: -20,
        upper: 40,
    };
    relu6(&r6, pooled, TensorMut::from_array(&mut r)).unwrap();
    typed::relu6(&Relu6Params { len: 18, ..r6 }, &flat, &mut want_r).unwrap();
    assert_eq!(r.as_flattened().as_flattened(), &want_r);

    let ap = AddParams {
        a_shape: &[],
        b_shape: &[],
        output_shape: &[],
        a_offset: 1,
        b_offset: -2,
        output_offset: 3,
        left_shift: 20,
        a_multiplier: 1 << 30,
        a_shift: 0,
        b_multiplier: 1 << 30,
        b_shift: -1,
        output_multiplier: 1 << 30,
        output_shift: -19,
        act_min: -128,
        act_max: 127,
    };
    let mut sum = [[[0i8; 2]; 3]; 3];
    add(
        &ap,
        pooled,
        probs_tensor(&probs),
        TensorMut::from_array(&mut sum),
    )
    .unwrap();
    let shape = [3, 3, 2];
    let full = AddParams {
        a_shape: &shape,
        b_shape: &shape,
        output_shape: &shape,
        ..ap
    };
    let mut want_sum = [0i8; 18];
    let probs_flat: [i8; 18] = *typed::view1::<18>(probs.as_flattened().as_flattened(), 0).unwrap();
    typed::add(&full, &flat, &probs_flat, &mut want_sum).unwrap();
    assert_eq!(sum.as_flattened().as_flattened(), &want_sum);
}

fn probs_tensor(p: &[[[i8; 2]; 3]; 3]) -> Tensor<'_, U3, U3, U2> {
    Tensor::from_array(p)
}

#[test]
fn dense_over_rows_and_slices() {
    // 2x1 rows of 3 features -> 2x1 rows of 2 units, the tensor made from slices.
    let data = [1i8, 2, 3, 4, 5, 6];
    let input = Tensor::<U2, U1, U3>::from_slice(&data).unwrap();
    assert!(Tensor::<U2, U1, U2>::from_slice(&data).is_none());
    let w = [1i8, 1, 1, 0, 0, 2];
    let weights = DenseWeights::<U2, U3>::from_slice(&w).unwrap();
    assert!(DenseWeights::<U3, U3>::from_slice(&w).is_none());
    let m = [1 << 30, 1 << 30];
    let s = [1, 1];
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_slice(&m).unwrap(),
        shift: Channels::<i32, U2>::from_slice(&s).unwrap(),
        act: [-128, 127],
    };
    assert!(Channels::<i32, U3>::from_slice(&s).is_none());
    let mut out = [0i8; 4];
    dense(
        &quant,
        input,
        weights,
        None,
        TensorMut::from_slice(&mut out).unwrap(),
    )
    .unwrap();
    assert_eq!(out, [6, 6, 15, 12]);
    // A reshape keeps the count (2 * 1 * 3 = 1 * 6 * 1).
    let r: Tensor<'_, U1, U6, U1> = input.reshape();
    assert_eq!(r.as_slice(), &data);
    assert!(ConvFilter::<U1, U1, U1, U4>::from_slice(&w).is_none());
    assert!(DepthwiseFilter::<U1, U1, U3, U2>::from_slice(&w).is_some());
    assert!(TensorMut::<U1, U1, U5>::from_slice(&mut out).is_none());
    let mut buf = [0i8; 6];
    let mut t = TensorMut::<U1, U2, U3>::from_slice(&mut buf).unwrap();
    t.as_mut_slice()[5] = 9;
    assert_eq!(t.reborrow().flatten().as_tensor().as_slice()[5], 9);
    let _ = alloc_free_debug(&t);
}

fn alloc_free_debug(t: &TensorMut<'_, U1, U2, U3>) -> bool {
    use core::fmt::Write;
    struct Sink(usize);
    impl Write for Sink {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut sink = Sink(0);
    write!(sink, "{t:?}").is_ok() && sink.0 == "TensorMut<1, 2, 3>".len()
}
