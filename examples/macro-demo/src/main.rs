//! `network!` on the host.
//!
//! The keyword-spotting network below is MLPerf Tiny's DS-CNN, written inline in the `.nnd`
//! language; its trained parameters are in `kws.safetensors` (written by `nndc import` from
//! `tests/vectors/models/ds_cnn_kws.tflite`). The macro checks every shape while this file
//! compiles and generates the kernel calls, the constants and the arena size. A second network
//! is loaded straight from a `.tflite` file. The keyword spotter is also fed the way a
//! fixed-point DSP front end would feed it: MFCC features in Q8.7 (CMSIS-DSP's `arm_mfcc_q15`
//! output format), converted and read back with the module's integer-only helpers.
//!
//! Run with `cargo run -p macro-demo`.

#![allow(clippy::print_stdout)]

nn_macros::network! {
    /// MLPerf Tiny keyword spotting (DS-CNN): 49 frames of 10 MFCC features -> 12 classes.
    pub network Kws {
        input x0: i8[49, 10, 1];
        weights "kws.safetensors";

        let conv2d_5_1 = conv2d(x0, filters = 64, kernel = [10, 4], stride = 2, padding = same, activation = relu);
        let depthwise_conv2d_4_1 = depthwise_conv2d(conv2d_5_1, kernel = 3, padding = same, activation = relu);
        let conv2d_6_1 = conv2d(depthwise_conv2d_4_1, filters = 64, kernel = 1, activation = relu);
        let depthwise_conv2d_5_1 = depthwise_conv2d(conv2d_6_1, kernel = 3, padding = same, activation = relu);
        let conv2d_7_1 = conv2d(depthwise_conv2d_5_1, filters = 64, kernel = 1, activation = relu);
        let depthwise_conv2d_6_1 = depthwise_conv2d(conv2d_7_1, kernel = 3, padding = same, activation = relu);
        let conv2d_8_1 = conv2d(depthwise_conv2d_6_1, filters = 64, kernel = 1, activation = relu);
        let depthwise_conv2d_7_1 = depthwise_conv2d(conv2d_8_1, kernel = 3, padding = same, activation = relu);
        let conv2d_9_1 = conv2d(depthwise_conv2d_7_1, filters = 64, kernel = 1, activation = relu);
        let average_pooling2d_1_1 = avg_pool2d(conv2d_9_1, size = [25, 5]);
        let dense_1_1_flat = flatten(average_pooling2d_1_1);
        let dense_1_1 = dense(dense_1_1_flat, units = 12);
        let output0 = softmax(dense_1_1);

        output output0;
    }
}

// The same macro reads a .tflite model (the path is relative to this crate's Cargo.toml).
nn_macros::network!(
    tflite = "../../tests/vectors/models/flatten_cnn.tflite",
    name = SmallCnn
);

/// A deterministic stand-in for a spectrogram: a tone sweeping across the feature bins.
fn sweep() -> kws::Input {
    let mut x: kws::Input = [[[0; 1]; 10]; 49];
    for (t, frame) in x.iter_mut().enumerate() {
        for (f, v) in frame.iter_mut().enumerate() {
            let d = (t as i32 / 5 - f as i32).abs();
            v[0] = (100 - 40 * d).clamp(-128, 127) as i8;
        }
    }
    x
}

/// The same sweep as a fixed-point feature buffer: Q8.7 (`i16`, 7 fractional bits), as a
/// CMSIS-DSP MFCC stage writes it. Integer arithmetic only.
fn sweep_q8_7() -> [i16; 490] {
    let mut x = [0i16; 490];
    for (i, v) in x.iter_mut().enumerate() {
        let (t, f) = (i / 10, i % 10);
        let d = (t as i32 / 5 - f as i32).abs();
        // Real values from 3.0 down to -1.8 in steps of 1.2 (3.0 = 384 / 128).
        *v = (384 - 154 * d).max(-230) as i16;
    }
    x
}

/// Index of the largest output.
fn argmax(out: &[i8]) -> usize {
    out.iter()
        .enumerate()
        .max_by_key(|(_, v)| **v)
        .map_or(0, |(i, _)| i)
}

/// Index of the largest fixed-point output.
fn argmax_i16(out: &[i16]) -> usize {
    out.iter()
        .enumerate()
        .max_by_key(|(_, v)| **v)
        .map_or(0, |(i, _)| i)
}

fn main() -> Result<(), nn_kernels::KernelError> {
    // The arena size is a compile-time constant; here it lives on the stack.
    let mut arena = [0i8; kws::ARENA_BYTES];
    let mut probs: kws::Output = [0; 12];
    Kws::run(&sweep(), &mut probs, &mut arena)?;
    println!(
        "Kws: input {:?}, arena {} bytes",
        kws::INPUT_SHAPE,
        kws::ARENA_BYTES
    );
    println!("  class probabilities (int8, scale 1/256, zero point -128): {probs:?}");
    println!("  most likely class: {}", argmax(&probs));

    // Fixed point in and out, no float: Q8.7 features to int8 (exact, nearest, saturated), the
    // class probabilities back in Q15.
    let mut input: kws::Input = [[[0; 1]; 10]; 49];
    kws::input_from_fixed_i16(&sweep_q8_7(), 7, &mut input);
    Kws::run(&input, &mut probs, &mut arena)?;
    let mut probs_q15 = [0i16; 12];
    kws::output_to_fixed_i16(&probs, 15, &mut probs_q15);
    println!("  from Q8.7 features: probabilities in Q15 {probs_q15:?}");
    println!("  most likely class: {}", argmax_i16(&probs_q15));

    let image = [[[16i8; 3]; 12]; 12];
    let mut out = [0i8; 4];
    SmallCnn::run(&image, &mut out, &mut [0; small_cnn::ARENA_BYTES])?;
    println!(
        "SmallCnn (from flatten_cnn.tflite): arena {} bytes, output {out:?}",
        small_cnn::ARENA_BYTES
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_7_features_convert_to_the_int8_input() {
        // Q8.7 value v is v / 128; the input's int8 value is the nearest multiple of its scale
        // (plus the zero point), computed here in f64 as the reference.
        let mut input: kws::Input = [[[0; 1]; 10]; 49];
        let q = sweep_q8_7();
        kws::input_from_fixed_i16(&q, 7, &mut input);
        for (&v, &got) in q.iter().zip(input.as_flattened().as_flattened()) {
            let real = f64::from(v) / 128.0;
            let want =
                (real / f64::from(kws::INPUT_SCALE)).round() + f64::from(kws::INPUT_ZERO_POINT);
            assert_eq!(f64::from(got), want.clamp(-128.0, 127.0), "{v}");
        }
        // Probabilities (scale 1/256, zero point -128) in Q15 are (q + 128) * 128 exactly.
        let mut arena = [0i8; kws::ARENA_BYTES];
        let mut probs: kws::Output = [0; 12];
        Kws::run(&input, &mut probs, &mut arena).unwrap();
        let mut q15 = [0i16; 12];
        kws::output_to_fixed_i16(&probs, 15, &mut q15);
        for (&p, &o) in q15.iter().zip(&probs) {
            assert_eq!(i32::from(p), (i32::from(o) + 128) * 128);
        }
    }

    #[test]
    fn kws_output_is_a_distribution() {
        let mut arena = [0i8; kws::ARENA_BYTES];
        let mut probs: kws::Output = [0; 12];
        Kws::run(&sweep(), &mut probs, &mut arena).unwrap();
        let sum: i32 = probs.iter().map(|&q| i32::from(q) + 128).sum();
        assert!((244..=268).contains(&sum), "sum {sum}/256: {probs:?}");
        // The arena's contents before a call do not matter.
        let mut again: kws::Output = [0; 12];
        arena.fill(55);
        Kws::run(&sweep(), &mut again, &mut arena).unwrap();
        assert_eq!(probs, again);
    }
}
