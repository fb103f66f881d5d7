//! Links generated network modules and every typed kernel wrapper into one bare-metal binary, so
//! that `tools/check-no-panic.sh` can prove the linked code has no panic path: any reachable
//! panic (slice index, division, overflow check, `unwrap`) would pull in `core::panicking::*`.
//!
//! Every input, parameter and weight reference goes through `core::hint::black_box`, so the
//! optimiser cannot evaluate a kernel at compile time or assume anything about its arguments:
//! the kernels must be panic-free for *any* parameters, not just the generated ones.
//!
//! The generated modules are read from `$NND_GEN_DIR` (written by the script with `nndc build`).
#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use nn_kernels::fixed::types::extra::U7;
use nn_kernels::fixed::types::{I1F15, I1F31};
use nn_kernels::fixed::{FixedI16, FixedI8};
use nn_kernels::{qformat, typed};

mod kws {
    include!(concat!(env!("NND_GEN_DIR"), "/kws.rs"));
}
mod resnet8 {
    include!(concat!(env!("NND_GEN_DIR"), "/resnet8.rs"));
}
mod concat_mul {
    include!(concat!(env!("NND_GEN_DIR"), "/concat_mul.rs"));
}
mod vww {
    include!(concat!(env!("NND_GEN_DIR"), "/vww.rs"));
}
mod kws_in_place {
    include!(concat!(env!("NND_GEN_DIR"), "/kws_in_place.rs"));
}
mod vww_in_place {
    include!(concat!(env!("NND_GEN_DIR"), "/vww_in_place.rs"));
}
mod resnet8_in_place {
    include!(concat!(env!("NND_GEN_DIR"), "/resnet8_in_place.rs"));
}
mod fc_autoencoder {
    include!(concat!(env!("NND_GEN_DIR"), "/fc_autoencoder.rs"));
}
mod q7_cnn {
    include!(concat!(env!("NND_GEN_DIR"), "/q7_cnn.rs"));
}
mod q15_net {
    include!(concat!(env!("NND_GEN_DIR"), "/q15_net.rs"));
}
mod cnn_16x8 {
    include!(concat!(env!("NND_GEN_DIR"), "/cnn_16x8.rs"));
}
mod svdf_kws {
    include!(concat!(env!("NND_GEN_DIR"), "/svdf_kws.rs"));
}
mod lstm_classifier {
    include!(concat!(env!("NND_GEN_DIR"), "/lstm_classifier.rs"));
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// The entry point: runs each network once, then every element-wise and shape kernel.
#[no_mangle]
pub extern "C" fn _start() -> ! {
    networks();
    kernels();
    q7q15_kernels();
    s16_kernels();
    #[cfg(target_arch = "riscv64")]
    rv64_kernels();
    #[cfg(feature = "panic-probe")]
    probe();
    loop {
        core::hint::spin_loop();
    }
}

fn networks() {
    // KWS through its fixed-point conversions (generated code too): Q8.7 features in, Q15 and
    // Q31 probabilities out.
    let features = black_box([0i16; 490]);
    let wide = black_box([0i32; 490]);
    let mut input = [[[0i8; 1]; 10]; 49];
    kws::input_from_fixed_i16(&features, black_box(7), &mut input);
    kws::input_from_fixed_i32(&wide, black_box(31), black_box(&mut input));
    let input = black_box(input);
    let mut output = [0i8; 12];
    let mut arena = [0i8; kws::ARENA_BYTES];
    let r = kws::Kws::run(&input, &mut output, black_box(&mut arena));
    let mut q15 = [0i16; 12];
    let mut q31 = [0i32; 12];
    kws::output_to_fixed_i16(&output, black_box(15), &mut q15);
    kws::output_to_fixed_i32(&output, black_box(31), &mut q31);
    // The same typed with the `fixed` crate: Q8.7 (`FixedI16<U7>`) and Q31 in, Q15 (`I1F15`),
    // Q31 and Q7 out.
    let q8_7 = black_box([FixedI16::<U7>::from_bits(0); 490]);
    let q31_in = black_box([I1F31::from_bits(0); 490]);
    let mut input = [[[0i8; 1]; 10]; 49];
    kws::input_from_fixed(&q8_7, &mut input);
    kws::input_from_fixed(&q31_in, black_box(&mut input));
    let _ = black_box(&input);
    let mut p15 = [I1F15::ZERO; 12];
    let mut p31 = [I1F31::ZERO; 12];
    let mut p7 = [FixedI8::<U7>::ZERO; 12];
    kws::output_to_fixed(black_box(&output), &mut p15);
    kws::output_to_fixed(black_box(&output), &mut p31);
    kws::output_to_fixed(black_box(&output), &mut p7);
    // And the slice forms, with an opaque quantisation and lengths.
    let quant = black_box(kws::INPUT_QUANT);
    let mut int8 = [0i8; 490];
    let r1 = qformat::quantize_fixed(&quant, black_box(&q8_7[..]), black_box(&mut int8[..]));
    let r2 = qformat::dequantize_fixed(&quant, black_box(&int8[..]), black_box(&mut p15[..]));
    let _ = black_box((r, r1, r2, &output, &q15, &q31, &p15, &p31, &p7));

    let input = black_box([[[0i8; 3]; 32]; 32]);
    let mut output = [0i8; 10];
    let mut arena = [0i8; resnet8::ARENA_BYTES];
    let r = resnet8::Resnet8::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));

    let input = black_box([[[0i8; 3]; 16]; 16]);
    let mut output = [0i8; 5];
    let mut arena = [0i8; concat_mul::ARENA_BYTES];
    let r = concat_mul::ConcatMul::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));

    let input: vww::Input = black_box([[[0i8; 3]; 96]; 96]);
    let mut output: vww::Output = [0i8; 2];
    let mut arena: vww::Arena = [0i8; vww::ARENA_BYTES];
    let r = vww::Vww::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));

    let input: fc_autoencoder::Input = black_box([0i8; 640]);
    let mut output: fc_autoencoder::Output = [0i8; 640];
    let mut arena: fc_autoencoder::Arena = [0i8; fc_autoencoder::ARENA_BYTES];
    let r = fc_autoencoder::FcAutoencoder::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));

    // Row-by-row in place with the input and output in the arena (`--in-place --io-in-arena`):
    // the row loops, `run_in_arena` and the accessors.
    let mut arena = [0i8; kws_in_place::ARENA_BYTES];
    if let Some(x) = kws_in_place::KwsInPlace::input_in_arena_mut(black_box(&mut arena)) {
        x.copy_from_slice(&black_box([0i8; 490]));
    }
    let r = kws_in_place::KwsInPlace::run_in_arena(black_box(&mut arena));
    let _ = black_box((r, kws_in_place::KwsInPlace::output_in_arena(&arena)));
    let input: vww_in_place::Input = black_box([[[0i8; 3]; 96]; 96]);
    let mut output: vww_in_place::Output = [0i8; 2];
    let mut arena = [0i8; vww_in_place::ARENA_BYTES];
    let r = vww_in_place::VwwInPlace::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));
    let mut arena = [0i8; resnet8_in_place::ARENA_BYTES];
    let r = resnet8_in_place::Resnet8InPlace::run_in_arena(black_box(&mut arena));
    let _ = black_box((r, resnet8_in_place::Resnet8InPlace::output_in_arena(&arena)));
    // The q7 network (power-of-two kernels, nn_kernels::q7q15).
    let input = black_box([[[0i8; 2]; 12]; 12]);
    let mut output = [0i8; 5];
    let mut arena = [0i8; q7_cnn::ARENA_BYTES];
    let r = q7_cnn::Q7Cnn::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));
    // The q15 network (power-of-two `_q15` kernels, an `[i16; _]` arena).
    let input = black_box([[[0i16; 2]; 8]; 8]);
    let mut output = [0i16; 5];
    let mut arena = [0i16; q15_net::ARENA_BYTES / 2];
    let r = q15_net::Q15Net::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));
    // The 16x8 network (int16 activations, an `[i16; _]` arena).
    let input = black_box([[[0i16; 3]; 12]; 12]);
    let mut output = [0i16; 5];
    let mut arena = [0i16; cnn_16x8::ARENA_BYTES / 2];
    let r = cnn_16x8::Cnn16x8::run(&input, &mut output, black_box(&mut arena));
    let _ = black_box((r, &output));
    // The stateful network (SVDF: the state kept between calls, two steps).
    let mut state = black_box(svdf_kws::State::new());
    let mut output = [0i8; 4];
    let mut arena = [0i8; svdf_kws::ARENA_BYTES];
    for _ in 0..2 {
        let input = black_box([0i8; 40]);
        let r = svdf_kws::SvdfKws::run(&input, &mut output, &mut state, black_box(&mut arena));
        let _ = black_box((r, &output));
    }
    state.reset();
    let _ = black_box(&state);
    // The recurrent network (two LSTM layers: hidden and cell states kept between windows).
    let mut state = black_box(lstm_classifier::State::new());
    let mut output = [0i8; 5];
    let mut arena = [0i8; lstm_classifier::ARENA_BYTES];
    for _ in 0..2 {
        let input = black_box([[0i8; 6]; 8]);
        let r = lstm_classifier::LstmClassifier::run(
            &input,
            &mut output,
            &mut state,
            black_box(&mut arena),
        );
        let _ = black_box((r, &output));
    }
    state.reset();
    let _ = black_box(&state);
}

/// The 16x8 kernels (`_s16`) with opaque parameters and slices.
fn s16_kernels() {
    use nn_kernels::{add, avg_pool2d, conv2d, depthwise_conv2d, dequantize, fully_connected};
    use nn_kernels::{max_pool2d, mul, quantize};
    let n = black_box(4usize);
    let i = black_box(0i32);
    let x = black_box([0i16; 64]);
    let w = black_box([0i8; 64]);
    let b = black_box([0i64; 4]);
    let mut y = [0i16; 64];
    let m = black_box([0i32; 4]);
    let conv = black_box(conv2d::Conv2dParams {
        batches: 1,
        input_h: n,
        input_w: n,
        input_c: n,
        output_h: n,
        output_w: n,
        output_c: n,
        kernel_h: n,
        kernel_w: n,
        stride_h: n,
        stride_w: n,
        dilation_h: n,
        dilation_w: n,
        pad_top: n,
        pad_left: n,
        input_offset: i,
        output_offset: i,
        output_multiplier: &m,
        output_shift: &m,
        act_min: i,
        act_max: i,
    });
    let dw = black_box(depthwise_conv2d::DepthwiseConv2dParams {
        batches: 1,
        input_h: n,
        input_w: n,
        input_c: n,
        depth_multiplier: n,
        output_h: n,
        output_w: n,
        kernel_h: n,
        kernel_w: n,
        stride_h: n,
        stride_w: n,
        dilation_h: n,
        dilation_w: n,
        pad_top: n,
        pad_left: n,
        input_offset: i,
        output_offset: i,
        output_multiplier: &m,
        output_shift: &m,
        act_min: i,
        act_max: i,
    });
    let fc = black_box(fully_connected::FullyConnectedParams {
        batches: n,
        depth: n,
        units: n,
        input_offset: i,
        filter_offset: i,
        output_offset: i,
        output_multiplier: &m,
        output_shift: &m,
        act_min: i,
        act_max: i,
    });
    let pool = black_box(max_pool2d::Pool2dParams {
        batches: 1,
        input_h: n,
        input_w: n,
        channels: n,
        output_h: n,
        output_w: n,
        filter_h: n,
        filter_w: n,
        stride_h: n,
        stride_w: n,
        pad_top: n,
        pad_left: n,
        act_min: i,
        act_max: i,
    });
    let shape = black_box([n, n, n]);
    let addp = black_box(add::AddParams {
        a_shape: &shape,
        b_shape: &shape,
        output_shape: &shape,
        a_offset: i,
        b_offset: i,
        output_offset: i,
        left_shift: i,
        a_multiplier: i,
        a_shift: i,
        b_multiplier: i,
        b_shift: i,
        output_multiplier: i,
        output_shift: i,
        act_min: i,
        act_max: i,
    });
    let mulp = black_box(mul::MulParams {
        a_shape: &shape,
        b_shape: &shape,
        output_shape: &shape,
        a_offset: i,
        b_offset: i,
        output_offset: i,
        output_multiplier: i,
        output_shift: i,
        act_min: i,
        act_max: i,
    });
    let q = black_box(quantize::QuantizeParams {
        len: n,
        scale: black_box(0.5),
        zero_point: i,
    });
    let dq = black_box(dequantize::DequantizeParams {
        len: n,
        scale: black_box(0.5),
        zero_point: i,
    });
    let sig = black_box(nn_kernels::sigmoid16::Sigmoid16Params {
        len: n,
        input_multiplier: i,
        input_left_shift: i,
    });
    let mut f = [0f32; 64];
    let r = [
        conv2d::conv2d_grouped_s16(&conv, n, &x, &w, Some(&b), &mut y),
        depthwise_conv2d::depthwise_conv2d_s16(&dw, &x, &w, Some(&b), &mut y),
        fully_connected::fully_connected_s16(&fc, &x, &w, Some(&b), &mut y),
        max_pool2d::max_pool2d_s16(&pool, &x, &mut y),
        avg_pool2d::avg_pool2d_s16(&pool, &x, &mut y),
        add::add_s16(&addp, &x, &x, &mut y),
        mul::mul_s16(&mulp, &x, &x, &mut y),
        quantize::quantize_f32_s16(&q, &black_box([0f32; 64]), &mut y),
        dequantize::dequantize_s16_f32(&dq, &x, &mut f),
        nn_kernels::sigmoid16::logistic_s16(&sig, &x, &mut y),
        nn_kernels::sigmoid16::tanh_s16(&sig, &x, &mut y),
        nn_kernels::softmax16::softmax_s16(
            &black_box(nn_kernels::softmax16::Softmax16Params {
                rows: n,
                depth: n,
                input_multiplier: i,
                input_shift: i,
            }),
            &x,
            &mut y,
        ),
        nn_kernels::requantize::requantize_s16(
            &black_box(nn_kernels::requantize::RequantizeParams {
                len: n,
                input_zero_point: i,
                output_zero_point: i,
                multiplier: i,
                shift: i,
            }),
            &x,
            &mut y,
        ),
        nn_kernels::concat::concat_s16(
            &black_box(nn_kernels::concat::ConcatParams {
                outer: n,
                inner: n,
                axis_sizes: &black_box([n, n]),
            }),
            &[&x, &x],
            &mut y,
        ),
        nn_kernels::pad::pad_s16(
            &black_box(nn_kernels::pad::PadParams {
                input_shape: &shape,
                paddings: &black_box([[n, n]; 3]),
                pad_value: 0,
            }),
            &x,
            &mut y,
        ),
        nn_kernels::strided_slice::strided_slice_s16(
            &black_box(nn_kernels::strided_slice::StridedSliceParams {
                input_shape: &shape,
                begin: &shape,
                strides: &black_box([1isize; 3]),
                sizes: &shape,
            }),
            &x,
            &mut y,
        ),
        nn_kernels::resize::resize_nearest_s16(
            &black_box(nn_kernels::resize::ResizeNearestParams {
                input_shape: black_box([n, n, n]),
                rows: &shape,
                cols: &shape,
            }),
            &x,
            &mut y,
        ),
    ];
    let _ = black_box((r, &y, &f));
}

/// The power-of-two kernels with opaque geometry, shifts and slices (the q7 network above calls
/// the q7 ones with its constants; the q15 ones no generated code calls yet).
fn q7q15_kernels() {
    use nn_kernels::q7q15::{self, Rounding, Shifts, Window};
    let n = black_box(4usize);
    let g = black_box(Window {
        input_h: n,
        input_w: n,
        input_c: n,
        output_h: n,
        output_w: n,
        output_c: n,
        kernel_h: n,
        kernel_w: n,
        stride_h: n,
        stride_w: n,
        pad_top: n,
        pad_left: n,
    });
    let s = black_box(Shifts {
        bias_shift: black_box(3),
        out_shift: black_box(9),
        rounding: black_box(Rounding::Nearest),
    });
    let x8 = black_box([0i8; 64]);
    let x16 = black_box([0i16; 64]);
    let (mut y8, mut y16) = ([0i8; 64], [0i16; 64]);
    let (b8, b16) = (black_box(&x8[..4]), black_box(&x16[..4]));
    let r = [
        q7q15::convolve_hwc_q7(&g, &s, &x8, &x8, b8, &mut y8),
        q7q15::convolve_hwc_q15(&g, &s, &x16, &x16, b16, &mut y16),
        q7q15::depthwise_conv_hwc_q7(&g, &s, &x8, &x8, b8, &mut y8),
        q7q15::fully_connected_q7(&s, &x8[..4], &x8, b8, &mut y8[..4]),
        q7q15::fully_connected_q15(&s, &x16[..4], &x16, b16, &mut y16[..4]),
        q7q15::fully_connected_mat_q7_vec_q15(&s, &x16[..4], &x8, b8, &mut y16[..4]),
        q7q15::maxpool_hwc_q7(&g, &x8, &mut y8),
        q7q15::avepool_hwc_q7(&g, &x8, &mut y8),
        q7q15::softmax_q7(&x8[..4], &mut y8[..4]),
        q7q15::softmax_q7_rows(n, &x8, &mut y8),
        q7q15::softmax_q15(&x16[..4], &mut y16[..4]),
        q7q15::activations_direct_q7(&mut y8, black_box(2), black_box(q7q15::Activation::Tanh)),
        q7q15::activations_direct_q15(
            &mut y16,
            black_box(3),
            black_box(q7q15::Activation::Sigmoid),
        ),
    ];
    q7q15::relu_q7(black_box(&mut y8));
    q7q15::relu_q15(black_box(&mut y16));
    let _ = black_box((r, &y8, &y16));
}

/// Every typed wrapper the generated code may call and the networks above do not, with opaque
/// parameters.
fn kernels() {
    use nn_kernels::{dequantize, mean, pad, quantize, relu, requantize};
    let x = black_box([0i8; 64]);
    let mut y = [0i8; 64];
    let mut big = [0i8; 100];
    let n = black_box(64usize);
    let i = black_box(0i32);

    let p = black_box(relu::ReluParams {
        len: n,
        input_zero_point: i,
        output_zero_point: i,
        multiplier: i,
        shift: i,
        act_min: i,
        act_max: i,
    });
    let _ = black_box(typed::relu(&p, &x, &mut y));
    let p = black_box(relu::Relu6Params {
        len: n,
        lower: 0,
        upper: 0,
    });
    let _ = black_box(typed::relu6(&p, &x, &mut y));
    let p = black_box(nn_kernels::logistic::LogisticParams {
        len: n,
        input_zero_point: i,
        input_range_radius: i,
        input_multiplier: i,
        input_left_shift: i,
    });
    let _ = black_box(typed::tanh(&p, &x, &mut y));
    let _ = black_box(typed::logistic(&p, &x, &mut y));
    let p = black_box(requantize::RequantizeParams {
        len: n,
        input_zero_point: i,
        output_zero_point: i,
        multiplier: i,
        shift: i,
    });
    let _ = black_box(typed::requantize(&p, &x, &mut y));
    let f = black_box([0f32; 64]);
    let mut g = [0f32; 64];
    let p = black_box(quantize::QuantizeParams {
        len: n,
        scale: black_box(1.0),
        zero_point: i,
    });
    let _ = black_box(typed::quantize(&p, &f, &mut y));
    let p = black_box(dequantize::DequantizeParams {
        len: n,
        scale: black_box(1.0),
        zero_point: i,
    });
    let _ = black_box(typed::dequantize(&p, &x, &mut g));

    let shape: &[usize] = black_box(&[8, 8]);
    let pads: &[[usize; 2]] = black_box(&[[1, 1], [1, 1]]);
    let p = black_box(pad::PadParams {
        input_shape: shape,
        paddings: pads,
        pad_value: 0,
    });
    let _ = black_box(typed::pad(&p, &x, &mut big));
    let table: &[usize] = black_box(&[0, 1, 2, 3]);
    let p = black_box(nn_kernels::resize::ResizeNearestParams {
        input_shape: black_box([4, 4, 4]),
        rows: table,
        cols: table,
    });
    let _ = black_box(typed::resize_nearest(&p, &x, &mut y));
    let begin: &[usize] = black_box(&[7, 0]);
    let steps: &[isize] = black_box(&[-2, 3]);
    let sizes: &[usize] = black_box(&[4, 3]);
    let p = black_box(nn_kernels::strided_slice::StridedSliceParams {
        input_shape: shape,
        begin,
        strides: steps,
        sizes,
    });
    let mut s = [0i8; 12];
    let _ = black_box(typed::strided_slice(&p, &x, &mut s));
    let image = black_box([[[0i8; 4]; 4]; 4]);
    let filter = black_box([[[[0i8; 4]; 3]; 3]; 2]);
    let per_channel = black_box([0i32; 2]);
    let spec = black_box(typed::ConvSpec {
        stride: black_box([2, 2]),
        dilation: black_box([1, 1]),
        pad: black_box([1, 1]),
        input_offset: i,
        output_offset: i,
        output_multiplier: &per_channel,
        output_shift: &per_channel,
        act: black_box([i, i]),
    });
    let mut up = [[[0i8; 2]; 8]; 8];
    let _ = black_box(typed::transpose_conv2d(
        &spec,
        &image,
        &filter,
        Some(&per_channel),
        &mut up,
    ));
    let axes: &[usize] = black_box(&[0]);
    let mut m = [0i8; 8];
    let p = black_box(mean::MeanParams {
        input_shape: shape,
        axes,
        requant: black_box(mean::MeanRequant::Requant {
            multiplier: i,
            shift: i,
            input_zero_point: i,
            output_zero_point: i,
        }),
    });
    let _ = black_box(typed::mean(&p, &x, &mut m));
    let p = black_box(nn_kernels::add::AddParams {
        a_shape: shape,
        b_shape: shape,
        output_shape: shape,
        a_offset: i,
        b_offset: i,
        output_offset: i,
        left_shift: i,
        a_multiplier: i,
        a_shift: i,
        b_multiplier: i,
        b_shift: i,
        output_multiplier: i,
        output_shift: i,
        act_min: i,
        act_max: i,
    });
    let _ = black_box(typed::add(&p, &x, &x, &mut y));
    let rows = black_box([[0i8; 8]; 8]);
    let mut out_rows = [[0i8; 8]; 8];
    let _ = black_box(typed::softmax_rows(i, i, i, &rows, &mut out_rows));
    typed::copy(&x, &mut y);
    black_box((&y, &big, &g, &m, &out_rows, &up));
}

/// The RV64 depthwise kernel that walks the tensors in place: `k210` code calls it only for
/// layers whose padded row buffer would exceed `ROWS_STACK_LIMIT`, which none of the networks
/// above has, so it is called here directly.
#[cfg(target_arch = "riscv64")]
fn rv64_kernels() {
    use nn_kernels::rv64::{depthwise, Requant};
    let s = black_box(depthwise::DepthwiseSpec {
        input_h: 8,
        input_w: 8,
        output_h: 8,
        output_w: 8,
        stride_h: 1,
        pad_top: 1,
        pad_left: 1,
        pad_value: 0,
        transposed: false,
    });
    let rq = Requant::<8>::new([0; 8], [1 << 30; 8], [-1; 8], 0, -128, 127);
    if let Ok(rq) = black_box(rq) {
        let x = black_box([0i8; 512]);
        let w = black_box([0i64; 24]);
        let mut y = [0i8; 512];
        let r = depthwise::depthwise_s8::<8, 3, 3, 1>(&s, &rq, &x, &w, &mut y);
        let _ = black_box((r, &y));
    }
}

/// A deliberate panic path (feature `panic-probe`): the check must find it.
#[cfg(feature = "panic-probe")]
fn probe() {
    let a = black_box([1u8; 4]);
    let i = black_box(7usize);
    black_box(a[i]);
}
