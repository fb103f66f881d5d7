//! The generated modules' fixed-point conversions (`input_from_fixed_i16` and friends,
//! `nn_kernels::qformat`) on real data: MLPerf Tiny KWS fed the way a CMSIS-DSP pipeline would
//! feed it, MFCC features in Q8.7 (`i16`, 7 fractional bits), with no float on the way. Every
//! recorded TFLM case: the features are the real values of TFLM's int8 input written in Q8.7,
//! converted back to int8 by the generated helper (which must give TFLM's input again: the
//! input's scale, 0.030, is coarser than Q8.7's 1/128), run, and the outputs must equal TFLM's;
//! the class probabilities then come out in Q15.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_kernels::qformat::Quant;
use nnd_e2e::ds_cnn_kws as kws;
use nnd_tests::ModelFile;

/// The real value `scale (q - zp)` in Q8.7, rounded half away from zero, by exact rationals
/// (the f32 scale is exactly representable in f64; the product of an int8 difference and it
/// is exact in f64, and so is the scaling by 128).
fn q8_7(q: i8, scale: f32, zp: i32) -> i16 {
    let real = f64::from(scale) * f64::from(i32::from(q) - zp) * 128.0;
    real.round() as i16
}

#[test]
fn kws_from_q8_7_features_equals_tflm() {
    let file: ModelFile = nnd_tests::load_model("ds_cnn_kws").unwrap();
    assert!(file.cases.len() >= 10, "{} cases", file.cases.len());
    let mut arena = [0i8; kws::ARENA_BYTES];
    for (i, case) in file.cases.iter().enumerate() {
        let q = case.input[0].i8_data().unwrap();
        let features: Vec<i16> = q
            .iter()
            .map(|&v| q8_7(v, kws::INPUT_SCALE, kws::INPUT_ZERO_POINT))
            .collect();
        let features: [i16; 490] = features.try_into().unwrap();
        let mut input: kws::Input = [[[0; 1]; 10]; 49];
        kws::input_from_fixed_i16(&features, 7, &mut input);
        assert_eq!(
            input.as_flattened().as_flattened(),
            q.as_slice(),
            "case {i}: Q8.7 features back to int8"
        );
        let mut out: kws::Output = [0; 12];
        kws::DsCnnKws::run(&input, &mut out, &mut arena).unwrap();
        let want = case.output[0].i8_data().unwrap();
        assert_eq!(out.as_slice(), want.as_slice(), "case {i}: outputs vs TFLM");
        // Probabilities (scale 1/256, zero point -128) in Q15: (q + 128) 2^7 exactly.
        let mut probs = [0i16; 12];
        kws::output_to_fixed_i16(&out, 15, &mut probs);
        for (p, &o) in probs.iter().zip(&out) {
            assert_eq!(i32::from(*p), (i32::from(o) + 128) * 128, "case {i}");
        }
        // In Q31 too: (q + 128) 2^23.
        let mut probs31 = [0i32; 12];
        kws::output_to_fixed_i32(&out, 31, &mut probs31);
        for (p, &o) in probs31.iter().zip(&out) {
            assert_eq!(i64::from(*p), (i64::from(o) + 128) << 23, "case {i}");
        }
    }
}

#[test]
fn generated_quant_constant_matches_the_scale() {
    // The module's constant is the f32 scale split exactly: converting a value through it
    // equals converting through a Quant built from the published scale.
    let q = Quant::from_scale(kws::INPUT_SCALE, kws::INPUT_ZERO_POINT).unwrap();
    assert_eq!(q, kws::INPUT_QUANT);
    let q = Quant::from_scale(kws::OUTPUT_SCALE, kws::OUTPUT_ZERO_POINT).unwrap();
    assert_eq!(q, kws::OUTPUT_QUANT);
}

/// The float helpers (`input_from_f32`, `output_to_f32`: TFLite's QUANTIZE and DEQUANTIZE) and
/// `?` on the module's `KernelError` in a function returning `Box<dyn Error>` (nn-kernels'
/// `std` feature). Every TFLM case of KWS: the real values of TFLM's int8 input quantise back to
/// it exactly, the run equals TFLM, and the outputs dequantise to `scale * (q - zero_point)`.
#[test]
fn kws_through_the_float_helpers_equals_tflm() -> Result<(), Box<dyn std::error::Error>> {
    let file: ModelFile = nnd_tests::load_model("ds_cnn_kws")?;
    let mut arena = [0i8; kws::ARENA_BYTES];
    for case in &file.cases {
        let q = case.input[0].i8_data()?;
        let mut real = [0f32; 490];
        for (r, &x) in real.iter_mut().zip(&q) {
            *r = kws::INPUT_SCALE * (i32::from(x) - kws::INPUT_ZERO_POINT) as f32;
        }
        let mut input: kws::Input = [[[0; 1]; 10]; 49];
        kws::input_from_f32(&real, &mut input)?;
        assert_eq!(input.as_flattened().as_flattened(), q.as_slice());
        let mut output = [0i8; 12];
        kws::DsCnnKws::run(&input, &mut output, &mut arena)?;
        let want = case.output[0].i8_data()?;
        assert_eq!(output.as_slice(), want.as_slice());
        let mut probs = [0f32; 12];
        kws::output_to_f32(&output, &mut probs)?;
        for (p, &y) in probs.iter().zip(&output) {
            let expect = kws::OUTPUT_SCALE * (i32::from(y) - kws::OUTPUT_ZERO_POINT) as f32;
            assert_eq!(p.to_bits(), expect.to_bits());
        }
    }
    // A kernel error comes through `?` as a boxed std::error::Error.
    let e: Box<dyn std::error::Error> = nn_kernels::KernelError::Param("probe").into();
    assert!(e.to_string().contains("probe"), "{e}");
    Ok(())
}

/// The conversions typed with the `fixed` crate (`input_from_fixed`, `output_to_fixed`): the
/// features are `FixedI16<U7>` (Q8.7), the probabilities `I1F15` (Q15) and `I1F31` (Q31), so
/// the fractional bits come from the types. Every recorded TFLM case: the Q8.7 features of
/// TFLM's int8 input convert back to it, the run equals TFLM, and the probabilities equal
/// TFLM's output written exactly in Q15 / Q31, and the raw (`frac` argument) helpers' results.
#[test]
fn kws_typed_fixed_q8_7_in_q15_out_equals_tflm() {
    use nn_kernels::fixed::types::extra::U7;
    use nn_kernels::fixed::types::{I1F15, I1F31};
    use nn_kernels::fixed::FixedI16;

    let file: ModelFile = nnd_tests::load_model("ds_cnn_kws").unwrap();
    assert!(file.cases.len() >= 10, "{} cases", file.cases.len());
    let mut arena = [0i8; kws::ARENA_BYTES];
    for (i, case) in file.cases.iter().enumerate() {
        let q = case.input[0].i8_data().unwrap();
        let features: [FixedI16<U7>; 490] = std::array::from_fn(|j| {
            FixedI16::from_bits(q8_7(q[j], kws::INPUT_SCALE, kws::INPUT_ZERO_POINT))
        });
        let mut input: kws::Input = [[[0; 1]; 10]; 49];
        kws::input_from_fixed(&features, &mut input);
        assert_eq!(
            input.as_flattened().as_flattened(),
            q.as_slice(),
            "case {i}: Q8.7 features back to int8"
        );
        let mut out: kws::Output = [0; 12];
        kws::DsCnnKws::run(&input, &mut out, &mut arena).unwrap();
        let want = case.output[0].i8_data().unwrap();
        assert_eq!(out.as_slice(), want.as_slice(), "case {i}: outputs vs TFLM");

        let mut probs = [I1F15::ZERO; 12];
        kws::output_to_fixed(&out, &mut probs);
        let mut raw = [0i16; 12];
        kws::output_to_fixed_i16(&out, 15, &mut raw);
        for ((p, &o), &r) in probs.iter().zip(&want).zip(&raw) {
            // TFLM's probability (q + 128) / 256, exactly (q + 128) 2^7 in Q15.
            assert_eq!(
                i32::from(p.to_bits()),
                (i32::from(o) + 128) * 128,
                "case {i}"
            );
            assert_eq!(p.to_bits(), r, "case {i}: typed vs raw");
        }
        let mut probs31 = [I1F31::ZERO; 12];
        kws::output_to_fixed(&out, &mut probs31);
        for (p, &o) in probs31.iter().zip(&want) {
            assert_eq!(
                i64::from(p.to_bits()),
                (i64::from(o) + 128) << 23,
                "case {i}"
            );
        }
    }
}
