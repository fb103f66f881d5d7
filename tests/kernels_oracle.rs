//! Every committed TFLM oracle case (`tests/vectors/ops/*.json`) through the portable kernels of
//! `nn-kernels`, with every constant derived by `nn_dsl::lower`'s per-op builders (which call
//! `nn_dsl::quant`, TFLM's `Prepare` arithmetic) and every padding amount by `nn_dsl::shape`.
//! Outputs must be EQUAL to TFLM's, byte for byte. (`models_oracle.rs` runs the same cases through
//! `lower::lower` + `exec::run` as one-node IR modules.)
//!
//! One test per op. Under Miri only the first two cases of each op run (file access needs
//! `MIRIFLAGS=-Zmiri-disable-isolation`).
#![allow(clippy::panic)]

use nn_dsl::lower::{self, ActQuant, ConvGeometry};
use nn_dsl::shape::{self, Padding};
use nn_kernels::add::add_s8;
use nn_kernels::avg_pool2d::avg_pool2d_s8;
use nn_kernels::concat::{concat_s8, ConcatParams};
use nn_kernels::conv2d::conv2d_s8;
use nn_kernels::depthwise_conv2d::depthwise_conv2d_s8;
use nn_kernels::dequantize::{dequantize_s8_f32, DequantizeParams};
use nn_kernels::fully_connected::fully_connected_s8;
use nn_kernels::logistic::logistic_s8;
use nn_kernels::max_pool2d::max_pool2d_s8;
use nn_kernels::mean::mean_s8;
use nn_kernels::mul::mul_s8;
use nn_kernels::pad::{pad_s8, PadParams};
use nn_kernels::quantize::{quantize_f32_s8, QuantizeParams};
use nn_kernels::relu::{relu6_s8, relu_s8};
use nn_kernels::requantize::requantize_s8;
use nn_kernels::resize::{nearest_source, resize_nearest_s8, ResizeNearestParams};
use nn_kernels::softmax::softmax_s8;
use nn_kernels::strided_slice::{strided_slice_s8, StridedSliceParams};
use nn_kernels::tanh::tanh_s8;
use nn_kernels::transpose_conv::transpose_conv_s8;
use nnd_tests::DType;
use nnd_tests::{
    compare, load_manifest, load_op, load_op_prefix, ActivationOptions, Case, ConvOptions,
    FullyConnectedOptions, LeakyReluOptions, MeanOptions, PadOptions, PoolOptions, ResizeOptions,
    SoftmaxOptions, SplitOptions, StridedSliceOptions, Tensor, TransposeConvOptions, OPS, OPS_16X8,
};

/// Cases run per op (all of them natively, two under Miri).
const MAX_CASES: usize = if cfg!(miri) { 2 } else { usize::MAX };

type Outcome = Result<Option<String>, String>;

fn err<E: std::fmt::Display>(case: &Case) -> impl Fn(E) -> String + '_ {
    move |e| format!("{}: {e}", case.name)
}

/// Run every case of `op` through `run`; fail with one line per failing case.
fn check_op(op: &str, run: impl Fn(&Case) -> Outcome) {
    let file =
        load_op_prefix(op, MAX_CASES).unwrap_or_else(|e| panic!("cannot load {op} vectors: {e}"));
    assert!(!file.cases.is_empty(), "{op}: no cases");
    let mut failures = Vec::new();
    let mut ran = 0usize;
    for case in file.cases.iter().take(MAX_CASES) {
        ran += 1;
        match run(case) {
            Ok(None) => {}
            Ok(Some(diff)) => failures.push(diff),
            Err(e) => failures.push(format!("{}: could not run: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{op}: {} of {ran} cases differ from TFLM:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn dim4(shape: &[usize], case: &Case) -> Result<[usize; 4], String> {
    <[usize; 4]>::try_from(shape)
        .map_err(|_| format!("{}: expected a 4-D shape, got {shape:?}", case.name))
}

fn window(
    case: &Case,
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
    expected_out: usize,
) -> Result<shape::Dim1, String> {
    let d = shape::window(input, kernel, stride, dilation, padding)
        .ok_or_else(|| format!("{}: no valid window", case.name))?;
    if d.out != expected_out {
        return Err(format!(
            "{}: nn_dsl::shape gives {} outputs, TFLite {}",
            case.name, d.out, expected_out
        ));
    }
    Ok(d)
}

fn bias_of(case: &Case) -> Result<Option<Vec<i32>>, String> {
    case.inputs
        .get(2)
        .map(|b| b.i32_data())
        .transpose()
        .map_err(err(case))
}

/// The per-tensor quantisation of a stored tensor.
fn act(t: &Tensor, case: &Case) -> Result<ActQuant, String> {
    let (scale, zero_point) = (t.scale0().map_err(err(case))?, t.zp0().map_err(err(case))?);
    Ok(if t.dtype == DType::Int16 {
        ActQuant::int16(scale, zero_point)
    } else {
        ActQuant::int8(scale, zero_point)
    })
}

/// The window geometry of a 4-D NHWC conv/pool case (batch 1), with TFLite's padding.
#[allow(clippy::too_many_arguments)]
fn geometry(
    case: &Case,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
    output_c: usize,
) -> Result<ConvGeometry, String> {
    let x = case.input(0).map_err(err(case))?;
    let [n, ih, iw, ic] = dim4(&x.shape, case)?;
    let [_, oh, ow, _] = dim4(&case.output.shape, case)?;
    if n != 1 {
        return Err(format!(
            "{}: batch {n}, the lowering runs batch 1",
            case.name
        ));
    }
    let dh = window(case, ih, kernel[0], stride[0], dilation[0], padding, oh)?;
    let dw = window(case, iw, kernel[1], stride[1], dilation[1], padding, ow)?;
    Ok(ConvGeometry {
        input_h: ih,
        input_w: iw,
        input_c: ic,
        output_h: oh,
        output_w: ow,
        output_c,
        kernel_h: kernel[0],
        kernel_w: kernel[1],
        stride_h: stride[0],
        stride_w: stride[1],
        dilation_h: dilation[0],
        dilation_w: dilation[1],
        pad_top: dh.pad_before,
        pad_left: dw.pad_before,
    })
}

fn run_conv2d(case: &Case) -> Outcome {
    let o: ConvOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [oc, kh, kw, fc] = dim4(&w.shape, case)?;
    let g = geometry(case, [kh, kw], o.stride, o.dilation, o.padding.into(), oc)?;
    // TFLM's groups: input channels / filter channels (1 for an ordinary convolution).
    let groups = g.input_c.checked_div(fc).unwrap_or(1);
    let c = lower::conv2d(
        g,
        act(x, case)?,
        &w.scales(),
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        bias_of(case)?,
    )
    .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    let xd = x.i8_data().map_err(err(case))?;
    if groups == 1 {
        conv2d_s8(&c.params(), &xd, &c.weights, c.bias.as_deref(), &mut got)
    } else {
        nn_kernels::conv2d::conv2d_grouped_s8(
            &c.params(),
            groups,
            &xd,
            &c.weights,
            c.bias.as_deref(),
            &mut got,
        )
    }
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

/// TRANSPOSE_CONV: the output size from `params.output_shape`, TFLite's padding for it from
/// `nn_dsl::shape::transpose_window`, the constants from `lower::transpose_conv2d`.
fn run_transpose_conv(case: &Case) -> Outcome {
    let o: TransposeConvOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [n, ih, iw, ic] = dim4(&x.shape, case)?;
    let [oc, kh, kw, fc] = dim4(&w.shape, case)?;
    let [_, oh, ow, _] = o.output_shape;
    if n != 1 || fc != ic || o.output_shape.to_vec() != case.output.shape {
        return Err(format!("{}: shapes do not fit", case.name));
    }
    if o.bias != (case.inputs.len() > 2) {
        return Err(format!(
            "{}: params.bias disagrees with the operands",
            case.name
        ));
    }
    let padding: Padding = o.padding.into();
    let axis = |input, kernel, stride, output| {
        shape::transpose_window(input, kernel, stride, padding, output)
            .ok_or_else(|| format!("{}: output {output} does not fit input {input}", case.name))
    };
    let rows = axis(ih, kh, o.stride[0], oh)?;
    let cols = axis(iw, kw, o.stride[1], ow)?;
    let g = ConvGeometry {
        input_h: ih,
        input_w: iw,
        input_c: ic,
        output_h: oh,
        output_w: ow,
        output_c: oc,
        kernel_h: kh,
        kernel_w: kw,
        stride_h: o.stride[0],
        stride_w: o.stride[1],
        dilation_h: 1,
        dilation_w: 1,
        pad_top: rows.pad_before,
        pad_left: cols.pad_before,
    };
    let c = lower::transpose_conv2d(
        g,
        act(x, case)?,
        &w.scales(),
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        bias_of(case)?,
    )
    .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    transpose_conv_s8(
        &c.params(),
        &x.i8_data().map_err(err(case))?,
        &c.weights,
        c.bias.as_deref(),
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_depthwise(case: &Case) -> Outcome {
    let o: ConvOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [_, _, _, ic] = dim4(&x.shape, case)?;
    let [_, kh, kw, oc] = dim4(&w.shape, case)?;
    let mult = o
        .depth_multiplier
        .unwrap_or(oc.checked_div(ic).unwrap_or(1));
    let g = geometry(case, [kh, kw], o.stride, o.dilation, o.padding.into(), oc)?;
    let c = lower::depthwise_conv2d(
        g,
        mult,
        act(x, case)?,
        &w.scales(),
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        bias_of(case)?,
    )
    .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    depthwise_conv2d_s8(
        &c.params(),
        &x.i8_data().map_err(err(case))?,
        &c.weights,
        c.bias.as_deref(),
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_fully_connected(case: &Case) -> Outcome {
    let o: FullyConnectedOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [units, depth] = <[usize; 2]>::try_from(w.shape.as_slice())
        .map_err(|_| format!("{}: weights must be 2-D", case.name))?;
    let batches = x.len().checked_div(depth).unwrap_or(0);
    let d = lower::dense(
        batches,
        depth,
        units,
        act(x, case)?,
        &w.scales(),
        w.zp0().map_err(err(case))?,
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        bias_of(case)?,
    )
    .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    fully_connected_s8(
        &d.params(),
        &x.i8_data().map_err(err(case))?,
        &d.weights,
        d.bias.as_deref(),
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_pool(case: &Case, max: bool) -> Outcome {
    let o: PoolOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let [_, _, _, c] = dim4(&x.shape, case)?;
    let g = geometry(case, o.filter, o.stride, [1, 1], o.padding.into(), c)?;
    let p = lower::pool2d(g, act(&case.output, case)?, o.activation.into()).map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    let input = x.i8_data().map_err(err(case))?;
    if max {
        max_pool2d_s8(&p, &input, &mut got).map_err(err(case))?;
    } else {
        avg_pool2d_s8(&p, &input, &mut got).map_err(err(case))?;
    }
    Ok(compare(&case.name, &got, &want))
}

#[derive(Clone, Copy)]
enum Binary {
    Add,
    Sub,
    Mul,
}

fn run_binary(case: &Case, kind: Binary) -> Outcome {
    let o: ActivationOptions = case.options().map_err(err(case))?;
    let (a, b) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let shapes = [a.shape.clone(), b.shape.clone(), case.output.shape.clone()];
    let (aq, bq, oq) = (act(a, case)?, act(b, case)?, act(&case.output, case)?);
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    let (ad, bd) = (
        a.i8_data().map_err(err(case))?,
        b.i8_data().map_err(err(case))?,
    );
    match kind {
        Binary::Add | Binary::Sub => {
            let p = lower::add(shapes, aq, bq, oq, o.activation.into()).map_err(err(case))?;
            let f = if matches!(kind, Binary::Add) {
                add_s8
            } else {
                nn_kernels::add::sub_s8
            };
            f(&p.add_params(), &ad, &bd, &mut got).map_err(err(case))?;
        }
        Binary::Mul => {
            let p = lower::mul(shapes, aq, bq, oq, o.activation.into()).map_err(err(case))?;
            mul_s8(&p.mul_params(), &ad, &bd, &mut got).map_err(err(case))?;
        }
    }
    Ok(compare(&case.name, &got, &want))
}

/// MAXIMUM / MINIMUM: the vectors share one quantisation (checked here, as the compiler
/// refuses anything else) and the kernel compares raw values.
fn run_min_max(case: &Case, is_max: bool) -> Outcome {
    let (a, b) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let (aq, bq, oq) = (act(a, case)?, act(b, case)?, act(&case.output, case)?);
    if aq != oq || bq != oq {
        return Err(format!(
            "{}: inputs and output quantised differently",
            case.name
        ));
    }
    let p = nn_kernels::minmax::MinMaxParams {
        a_shape: &a.shape,
        b_shape: &b.shape,
        output_shape: &case.output.shape,
    };
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    let (ad, bd) = (
        a.i8_data().map_err(err(case))?,
        b.i8_data().map_err(err(case))?,
    );
    let f = if is_max {
        nn_kernels::minmax::maximum_s8
    } else {
        nn_kernels::minmax::minimum_s8
    };
    f(&p, &ad, &bd, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

/// PRELU with the stored alpha operand (shapes as stored: the kernel broadcasts them).
fn run_prelu(case: &Case) -> Outcome {
    let (x, a) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let (xq, aq, oq) = (act(x, case)?, act(a, case)?, act(&case.output, case)?);
    let q = nn_dsl::quant::prelu(
        (xq.scale, xq.zero_point),
        (aq.scale, aq.zero_point),
        (oq.scale, oq.zero_point),
    )
    .map_err(err(case))?;
    let p = nn_kernels::prelu::PreluParams {
        input_shape: &x.shape,
        alpha_shape: &a.shape,
        output_shape: &case.output.shape,
        input_offset: q.input_offset,
        alpha_offset: q.alpha_offset,
        output_offset: q.output_offset,
        multiplier_identity: q.identity.multiplier.to_bits(),
        shift_identity: q.identity.shift,
        multiplier_alpha: q.alpha.multiplier.to_bits(),
        shift_alpha: q.alpha.shift,
    };
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    nn_kernels::prelu::prelu_s8(
        &p,
        &x.i8_data().map_err(err(case))?,
        &a.i8_data().map_err(err(case))?,
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_softmax(case: &Case) -> Outcome {
    let o: SoftmaxOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let depth = x.shape.last().copied().unwrap_or(1);
    let outer = x.len().checked_div(depth).unwrap_or(0);
    let p = lower::softmax(o.beta as f32, x.scale0().map_err(err(case))?, outer, depth)
        .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    softmax_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_sigmoid(case: &Case, is_tanh: bool) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = lower::logistic_or_tanh(x.len(), act(x, case)?).map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    let input = x.i8_data().map_err(err(case))?;
    if is_tanh {
        tanh_s8(&p, &input, &mut got).map_err(err(case))?;
    } else {
        logistic_s8(&p, &input, &mut got).map_err(err(case))?;
    }
    Ok(compare(&case.name, &got, &want))
}

fn run_pad(case: &Case) -> Outcome {
    let o: PadOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let zp = case.output.zp0().map_err(err(case))?;
    let p = PadParams {
        input_shape: &x.shape,
        paddings: &o.paddings,
        pad_value: i8::try_from(zp).map_err(err(case))?,
    };
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    pad_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

/// RESIZE_NEAREST_NEIGHBOR: the source tables from `nearest_source`, then the copy.
fn run_resize(case: &Case) -> Outcome {
    let o: ResizeOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let &[1, h, w, c] = x.shape.as_slice() else {
        return Err(format!("{}: input is not [1, H, W, C]", case.name));
    };
    if act(x, case)? != act(&case.output, case)? {
        return Err(format!(
            "{}: input and output quantised differently",
            case.name
        ));
    }
    let table = |n: usize, out: usize| -> Vec<usize> {
        (0..out)
            .map(|i| nearest_source(i, n, out, o.align_corners, o.half_pixel_centers))
            .collect()
    };
    let (rows, cols) = (table(h, o.size[0]), table(w, o.size[1]));
    let p = ResizeNearestParams {
        input_shape: [h, w, c],
        rows: &rows,
        cols: &cols,
    };
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    resize_nearest_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_slice(case: &Case, begin: Vec<usize>, strides: Vec<isize>, sizes: Vec<usize>) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    if act(x, case)? != act(&case.output, case)? {
        return Err(format!(
            "{}: input and output quantised differently",
            case.name
        ));
    }
    let p = StridedSliceParams {
        input_shape: &x.shape,
        begin: &begin,
        strides: &strides,
        sizes: &sizes,
    };
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    strided_slice_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

/// STRIDED_SLICE: the stored begin/end/strides and masks resolved by
/// `nn_dsl::shape::tflite_strided_slice` over the stored (batch-included) shape.
fn run_strided_slice(case: &Case) -> Outcome {
    let o: StridedSliceOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let (axes, shape) = o.resolve(&x.shape).map_err(err(case))?;
    if shape != case.output.shape {
        return Err(format!(
            "{}: resolved shape {shape:?}, stored {:?}",
            case.name, case.output.shape
        ));
    }
    run_slice(
        case,
        axes.iter().map(|a| a.begin).collect(),
        axes.iter().map(|a| a.stride as isize).collect(),
        axes.iter().map(|a| a.size).collect(),
    )
}

/// SPLIT: part `index` of `num_splits` equal parts, as a stride-1 slice.
fn run_split(case: &Case) -> Outcome {
    let o: SplitOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let rank = x.shape.len() as i64;
    let axis = usize::try_from(if o.axis < 0 { o.axis + rank } else { o.axis })
        .map_err(|_| format!("{}: bad axis", case.name))?;
    let part = x.shape[axis] / o.num_splits;
    let mut begin = vec![0; x.shape.len()];
    let mut sizes = x.shape.clone();
    begin[axis] = o.index * part;
    sizes[axis] = part;
    run_slice(case, begin, vec![1; x.shape.len()], sizes)
}

fn run_concat(case: &Case) -> Outcome {
    let o: ActivationOptions = case.options().map_err(err(case))?;
    let out_shape = &case.output.shape;
    let rank = out_shape.len() as i64;
    let axis = o.axis.unwrap_or(0);
    let axis = usize::try_from(if axis < 0 { axis + rank } else { axis })
        .map_err(|_| format!("{}: bad axis", case.name))?;
    let outer: usize = out_shape.get(..axis).unwrap_or(&[]).iter().product();
    let inner: usize = out_shape.get(axis + 1..).unwrap_or(&[]).iter().product();
    let axis_sizes: Vec<usize> = case
        .inputs
        .iter()
        .map(|t| t.shape.get(axis).copied().unwrap_or(0))
        .collect();
    let p = ConcatParams {
        outer,
        inner,
        axis_sizes: &axis_sizes,
    };
    if case.output.dtype == DType::Int16 {
        let data: Vec<Vec<i16>> = case
            .inputs
            .iter()
            .map(|t| t.i16_data())
            .collect::<Result<_, _>>()
            .map_err(err(case))?;
        let slices: Vec<&[i16]> = data.iter().map(Vec::as_slice).collect();
        let want = case.output.i16_data().map_err(err(case))?;
        let mut got = vec![0i16; want.len()];
        nn_kernels::concat::concat_s16(&p, &slices, &mut got).map_err(err(case))?;
        return Ok(compare(&case.name, &got, &want));
    }
    let data: Vec<Vec<i8>> = case
        .inputs
        .iter()
        .map(|t| t.i8_data())
        .collect::<Result<_, _>>()
        .map_err(err(case))?;
    let slices: Vec<&[i8]> = data.iter().map(Vec::as_slice).collect();
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    concat_s8(&p, &slices, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_mean(case: &Case) -> Outcome {
    let o: MeanOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let rank = x.shape.len() as i64;
    let axes: Vec<usize> = o
        .axis
        .iter()
        .map(|&a| usize::try_from(if a < 0 { a + rank } else { a }))
        .collect::<Result<_, _>>()
        .map_err(err(case))?;
    let m = lower::mean(
        x.shape.clone(),
        axes,
        act(x, case)?,
        act(&case.output, case)?,
    )
    .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    mean_s8(&m.params(), &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_requantize(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p =
        lower::requantize(x.len(), act(x, case)?, act(&case.output, case)?).map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    requantize_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_requantize_16x8(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p =
        lower::requantize(x.len(), act(x, case)?, act(&case.output, case)?).map_err(err(case))?;
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    nn_kernels::requantize::requantize_s16(&p, &x.i16_data().map_err(err(case))?, &mut got)
        .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_quantize(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = QuantizeParams {
        len: x.len(),
        scale: case.output.scale0().map_err(err(case))?,
        zero_point: case.output.zp0().map_err(err(case))?,
    };
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    quantize_f32_s8(&p, &x.f32_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_dequantize(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = DequantizeParams {
        len: x.len(),
        scale: x.scale0().map_err(err(case))?,
        zero_point: x.zp0().map_err(err(case))?,
    };
    let want: Vec<u32> = case
        .output
        .f32_data()
        .map_err(err(case))?
        .iter()
        .map(|v| v.to_bits())
        .collect();
    let mut got = vec![0f32; want.len()];
    dequantize_s8_f32(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
    Ok(compare(&case.name, &got, &want).map(|d| format!("{d} (f32 bit patterns)")))
}

fn run_relu(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = lower::relu(x.len(), act(x, case)?, act(&case.output, case)?).map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    relu_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

/// One element-wise case through both kernels: the table the compiler builds (`lut_s8`) and the
/// per-element function; both must equal TFLM.
fn run_elementwise(
    case: &Case,
    value: impl Fn(i8) -> i8,
    direct: impl Fn(&[i8], &mut [i8]) -> nn_kernels::KernelResult,
) -> Outcome {
    let x = case
        .input(0)
        .map_err(err(case))?
        .i8_data()
        .map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let lut = nn_kernels::lut::LutParams {
        len: x.len(),
        table: nn_kernels::lut::table(value),
    };
    let mut got = vec![0i8; want.len()];
    nn_kernels::lut::lut_s8(&lut, &x, &mut got).map_err(err(case))?;
    if let Some(d) = compare(&case.name, &got, &want) {
        return Ok(Some(format!("{d} (table)")));
    }
    direct(&x, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want).map(|d| format!("{d} (per element)")))
}

fn run_leaky_relu(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let (xq, yq) = (act(x, case)?, act(&case.output, case)?);
    let o: LeakyReluOptions = case.options().map_err(err(case))?;
    let p = nn_dsl::quant::leaky_relu(
        (xq.scale, xq.zero_point),
        (yq.scale, yq.zero_point),
        o.alpha as f32,
        x.len(),
    )
    .map_err(err(case))?;
    run_elementwise(
        case,
        |v| nn_kernels::lut::leaky_relu_value(&p, v),
        |i, o| nn_kernels::lut::leaky_relu_s8(&p, i, o),
    )
}

fn run_hard_swish(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let (xq, yq) = (act(x, case)?, act(&case.output, case)?);
    let p = nn_dsl::quant::hard_swish(
        (xq.scale, xq.zero_point),
        (yq.scale, yq.zero_point),
        x.len(),
    )
    .map_err(err(case))?;
    run_elementwise(
        case,
        |v| nn_kernels::lut::hard_swish_value(&p, v),
        |i, o| nn_kernels::lut::hard_swish_s8(&p, i, o),
    )
}

fn run_relu6(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = lower::relu6(x.len(), act(x, case)?).map_err(err(case))?;
    let want = case.output.i8_data().map_err(err(case))?;
    let mut got = vec![0i8; want.len()];
    relu6_s8(&p, &x.i8_data().map_err(err(case))?, &mut got).map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

#[test]
fn conv2d() {
    check_op("conv2d", run_conv2d);
}

/// Keras `Conv2D(groups = g)`: a CONV_2D whose filter has `input_c / g` channels.
#[test]
fn conv2d_grouped() {
    check_op("conv2d_grouped", run_conv2d);
}

#[test]
fn depthwise_conv2d() {
    check_op("depthwise_conv2d", run_depthwise);
}

#[test]
fn fully_connected() {
    check_op("fully_connected", run_fully_connected);
}

#[test]
fn max_pool2d() {
    check_op("max_pool2d", |c| run_pool(c, true));
}

#[test]
fn avg_pool2d() {
    check_op("avg_pool2d", |c| run_pool(c, false));
}

#[test]
fn add() {
    check_op("add", |c| run_binary(c, Binary::Add));
}

#[test]
fn mul() {
    check_op("mul", |c| run_binary(c, Binary::Mul));
}

#[test]
fn softmax() {
    check_op("softmax", run_softmax);
}

#[test]
fn logistic() {
    check_op("logistic", |c| run_sigmoid(c, false));
}

#[test]
fn tanh() {
    check_op("tanh", |c| run_sigmoid(c, true));
}

#[test]
fn pad() {
    check_op("pad", run_pad);
}

#[test]
fn concat() {
    check_op("concat", run_concat);
}

#[test]
fn mean() {
    check_op("mean", run_mean);
}

#[test]
fn requantize() {
    check_op("requantize", run_requantize);
}

#[test]
fn quantize() {
    check_op("quantize", run_quantize);
}

#[test]
fn dequantize() {
    check_op("dequantize", run_dequantize);
}

#[test]
fn relu() {
    check_op("relu", run_relu);
}

#[test]
fn relu6() {
    check_op("relu6", run_relu6);
}

#[test]
fn leaky_relu() {
    check_op("leaky_relu", run_leaky_relu);
}

#[test]
fn hard_swish() {
    check_op("hard_swish", run_hard_swish);
}

#[test]
fn sub() {
    check_op("sub", |c| run_binary(c, Binary::Sub));
}

#[test]
fn maximum() {
    check_op("maximum", |c| run_min_max(c, true));
}

#[test]
fn minimum() {
    check_op("minimum", |c| run_min_max(c, false));
}

/// ADD / MUL with a constant operand: the same kernels, the constant stored in `inputs`.
#[test]
fn add_const() {
    check_op("add_const", |c| run_binary(c, Binary::Add));
}

#[test]
fn mul_const() {
    check_op("mul_const", |c| run_binary(c, Binary::Mul));
}

#[test]
fn prelu() {
    check_op("prelu", run_prelu);
}

#[test]
fn resize_nearest_neighbor() {
    check_op("resize_nearest_neighbor", run_resize);
}

/// Keras `Conv2DTranspose`: TFLite's TRANSPOSE_CONV (strides 1 and 2, SAME/VALID, with and
/// without a bias).
#[test]
fn transpose_conv() {
    check_op("transpose_conv", run_transpose_conv);
}

#[test]
fn split() {
    check_op("split", run_split);
}

#[test]
fn strided_slice() {
    check_op("strided_slice", run_strided_slice);
}

// ---------------------------------------------------------------------------------------------
// TFLite's 16x8 scheme: the same builders with int16 quantisation (`ActQuant::int16`: int16
// clamps, zero offsets) and the `_s16` kernels with the int64 bias.

fn bias64_of(case: &Case) -> Result<Option<Vec<i64>>, String> {
    case.inputs
        .get(2)
        .map(|b| b.i64_data())
        .transpose()
        .map_err(err(case))
}

fn run_conv2d_16x8(case: &Case) -> Outcome {
    let o: ConvOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [oc, kh, kw, fc] = dim4(&w.shape, case)?;
    let g = geometry(case, [kh, kw], o.stride, o.dilation, o.padding.into(), oc)?;
    let groups = g.input_c.checked_div(fc).unwrap_or(1);
    let c = lower::conv2d(
        g,
        act(x, case)?,
        &w.scales(),
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        None,
    )
    .map_err(err(case))?;
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    let xd = x.i16_data().map_err(err(case))?;
    let bias = bias64_of(case)?;
    nn_kernels::conv2d::conv2d_grouped_s16(
        &c.params(),
        groups,
        &xd,
        &c.weights,
        bias.as_deref(),
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_depthwise_16x8(case: &Case) -> Outcome {
    let o: ConvOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [_, _, _, ic] = dim4(&x.shape, case)?;
    let [_, kh, kw, oc] = dim4(&w.shape, case)?;
    let mult = o
        .depth_multiplier
        .unwrap_or(oc.checked_div(ic).unwrap_or(1));
    let g = geometry(case, [kh, kw], o.stride, o.dilation, o.padding.into(), oc)?;
    let c = lower::depthwise_conv2d(
        g,
        mult,
        act(x, case)?,
        &w.scales(),
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        None,
    )
    .map_err(err(case))?;
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    let bias = bias64_of(case)?;
    nn_kernels::depthwise_conv2d::depthwise_conv2d_s16(
        &c.params(),
        &x.i16_data().map_err(err(case))?,
        &c.weights,
        bias.as_deref(),
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_fully_connected_16x8(case: &Case) -> Outcome {
    let o: FullyConnectedOptions = case.options().map_err(err(case))?;
    let (x, w) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let [units, depth] = <[usize; 2]>::try_from(w.shape.as_slice())
        .map_err(|_| format!("{}: weights must be 2-D", case.name))?;
    let batches = x.len().checked_div(depth).unwrap_or(0);
    let d = lower::dense(
        batches,
        depth,
        units,
        act(x, case)?,
        &w.scales(),
        w.zp0().map_err(err(case))?,
        act(&case.output, case)?,
        o.activation.into(),
        w.i8_data().map_err(err(case))?,
        None,
    )
    .map_err(err(case))?;
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    let bias = bias64_of(case)?;
    nn_kernels::fully_connected::fully_connected_s16(
        &d.params(),
        &x.i16_data().map_err(err(case))?,
        &d.weights,
        bias.as_deref(),
        &mut got,
    )
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_pool_16x8(case: &Case, max: bool) -> Outcome {
    let o: PoolOptions = case.options().map_err(err(case))?;
    let x = case.input(0).map_err(err(case))?;
    let [_, _, _, c] = dim4(&x.shape, case)?;
    let g = geometry(case, o.filter, o.stride, [1, 1], o.padding.into(), c)?;
    let p = lower::pool2d(g, act(&case.output, case)?, o.activation.into()).map_err(err(case))?;
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    let input = x.i16_data().map_err(err(case))?;
    if max {
        nn_kernels::max_pool2d::max_pool2d_s16(&p, &input, &mut got).map_err(err(case))?;
    } else {
        nn_kernels::avg_pool2d::avg_pool2d_s16(&p, &input, &mut got).map_err(err(case))?;
    }
    Ok(compare(&case.name, &got, &want))
}

fn run_binary_16x8(case: &Case, kind: Binary) -> Outcome {
    let o: ActivationOptions = case.options().map_err(err(case))?;
    let (a, b) = (
        case.input(0).map_err(err(case))?,
        case.input(1).map_err(err(case))?,
    );
    let shapes = [a.shape.clone(), b.shape.clone(), case.output.shape.clone()];
    let (aq, bq, oq) = (act(a, case)?, act(b, case)?, act(&case.output, case)?);
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    let (ad, bd) = (
        a.i16_data().map_err(err(case))?,
        b.i16_data().map_err(err(case))?,
    );
    if matches!(kind, Binary::Mul) {
        let p = lower::mul(shapes, aq, bq, oq, o.activation.into()).map_err(err(case))?;
        nn_kernels::mul::mul_s16(&p.mul_params(), &ad, &bd, &mut got).map_err(err(case))?;
    } else {
        let p = lower::add(shapes, aq, bq, oq, o.activation.into()).map_err(err(case))?;
        nn_kernels::add::add_s16(&p.add_params(), &ad, &bd, &mut got).map_err(err(case))?;
    }
    Ok(compare(&case.name, &got, &want))
}

fn run_quantize_16x8(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = QuantizeParams {
        len: x.len(),
        scale: case.output.scale0().map_err(err(case))?,
        zero_point: case.output.zp0().map_err(err(case))?,
    };
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    nn_kernels::quantize::quantize_f32_s16(&p, &x.f32_data().map_err(err(case))?, &mut got)
        .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

fn run_dequantize_16x8(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let p = DequantizeParams {
        len: x.len(),
        scale: x.scale0().map_err(err(case))?,
        zero_point: x.zp0().map_err(err(case))?,
    };
    let want: Vec<u32> = case
        .output
        .f32_data()
        .map_err(err(case))?
        .iter()
        .map(|v| v.to_bits())
        .collect();
    let mut got = vec![0f32; want.len()];
    nn_kernels::dequantize::dequantize_s16_f32(&p, &x.i16_data().map_err(err(case))?, &mut got)
        .map_err(err(case))?;
    let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
    Ok(compare(&case.name, &got, &want).map(|d| format!("{d} (f32 bit patterns)")))
}

/// Int16 LOGISTIC / TANH: TFLM's input scaling from `nn_dsl::quant::sigmoid16`, then the
/// table interpolation of `nn_kernels::sigmoid16`.
fn run_sigmoid_16x8(case: &Case, tanh: bool) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let (input_multiplier, input_left_shift) = nn_dsl::quant::sigmoid16(
        x.scale0().map_err(err(case))?,
        x.zp0().map_err(err(case))?,
        case.output.scale0().map_err(err(case))?,
        case.output.zp0().map_err(err(case))?,
        tanh,
    )
    .map_err(err(case))?;
    let p = nn_kernels::sigmoid16::Sigmoid16Params {
        len: x.len(),
        input_multiplier,
        input_left_shift,
    };
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    let input = x.i16_data().map_err(err(case))?;
    if tanh {
        nn_kernels::sigmoid16::tanh_s16(&p, &input, &mut got)
    } else {
        nn_kernels::sigmoid16::logistic_s16(&p, &input, &mut got)
    }
    .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

/// Int16 SOFTMAX: the multiplier from `nn_dsl::quant::softmax16`, then
/// `nn_kernels::softmax16::softmax_s16` over the last axis.
fn run_softmax_16x8(case: &Case) -> Outcome {
    let x = case.input(0).map_err(err(case))?;
    let o: SoftmaxOptions = case.options().map_err(err(case))?;
    let beta = o.beta as f32;
    let m = nn_dsl::quant::softmax16(
        x.scale0().map_err(err(case))?,
        x.zp0().map_err(err(case))?,
        beta,
        case.output.scale0().map_err(err(case))?,
        case.output.zp0().map_err(err(case))?,
    )
    .map_err(err(case))?;
    let (input_multiplier, input_shift) = m.to_raw();
    let depth = x.shape.last().copied().unwrap_or(1);
    let p = nn_kernels::softmax16::Softmax16Params {
        rows: x.len() / depth,
        depth,
        input_multiplier,
        input_shift,
    };
    let want = case.output.i16_data().map_err(err(case))?;
    let mut got = vec![0i16; want.len()];
    nn_kernels::softmax16::softmax_s16(&p, &x.i16_data().map_err(err(case))?, &mut got)
        .map_err(err(case))?;
    Ok(compare(&case.name, &got, &want))
}

#[test]
fn concat_16x8() {
    check_op("concat_16x8", run_concat);
}

#[test]
fn requantize_16x8() {
    check_op("requantize_16x8", run_requantize_16x8);
}

#[test]
fn softmax_16x8() {
    check_op("softmax_16x8", run_softmax_16x8);
}

#[test]
fn logistic_16x8() {
    check_op("logistic_16x8", |c| run_sigmoid_16x8(c, false));
}

#[test]
fn tanh_16x8() {
    check_op("tanh_16x8", |c| run_sigmoid_16x8(c, true));
}

#[test]
fn conv2d_16x8() {
    check_op("conv2d_16x8", run_conv2d_16x8);
}

#[test]
fn depthwise_conv2d_16x8() {
    check_op("depthwise_conv2d_16x8", run_depthwise_16x8);
}

#[test]
fn fully_connected_16x8() {
    check_op("fully_connected_16x8", run_fully_connected_16x8);
}

#[test]
fn max_pool2d_16x8() {
    check_op("max_pool2d_16x8", |c| run_pool_16x8(c, true));
}

#[test]
fn avg_pool2d_16x8() {
    check_op("avg_pool2d_16x8", |c| run_pool_16x8(c, false));
}

#[test]
fn add_16x8() {
    check_op("add_16x8", |c| run_binary_16x8(c, Binary::Add));
}

#[test]
fn mul_16x8() {
    check_op("mul_16x8", |c| run_binary_16x8(c, Binary::Mul));
}

#[test]
fn quantize_16x8() {
    check_op("quantize_16x8", run_quantize_16x8);
}

#[test]
fn dequantize_16x8() {
    check_op("dequantize_16x8", run_dequantize_16x8);
}

/// The 16x8 files are present with enough cases, every tensor of theirs is int16 (activations),
/// int8 (weights), int64 (biases) or float32 (quantize/dequantize), and the manifest agrees.
#[test]
#[cfg_attr(miri, ignore = "parses whole files: too slow under Miri")]
fn case_counts_16x8() {
    let manifest = load_manifest().unwrap_or_else(|e| panic!("cannot load the manifest: {e}"));
    for op in OPS_16X8 {
        let file = load_op(op).unwrap_or_else(|e| panic!("cannot load {op} vectors: {e}"));
        assert!(file.cases.len() >= 10, "{op}: {} cases", file.cases.len());
        assert_eq!(
            manifest.ops.get(op).copied(),
            Some(file.cases.len()),
            "{op}"
        );
        for case in &file.cases {
            assert!(
                matches!(case.output.dtype, DType::Int16 | DType::Float32),
                "{}: output {:?}",
                case.name,
                case.output.dtype
            );
            for t in &case.inputs {
                assert!(
                    matches!(
                        t.dtype,
                        DType::Int16 | DType::Int8 | DType::Int64 | DType::Float32
                    ),
                    "{}: input {:?}",
                    case.name,
                    t.dtype
                );
            }
        }
    }
}

/// The prefix loader used under Miri returns exactly the first cases of the full parse.
#[test]
#[cfg_attr(miri, ignore = "parses whole files: too slow under Miri")]
fn prefix_loader_agrees_with_full_parse() {
    for op in OPS {
        let full = load_op(op).unwrap_or_else(|e| panic!("{op}: {e}"));
        let head = load_op_prefix(op, 3).unwrap_or_else(|e| panic!("{op}: {e}"));
        assert_eq!(head.cases.len(), full.cases.len().min(3), "{op}");
        for (a, b) in head.cases.iter().zip(&full.cases) {
            assert_eq!(a.name, b.name);
            assert_eq!(a.params, b.params);
            assert_eq!(a.output.data, b.output.data);
            assert_eq!(a.inputs.len(), b.inputs.len());
        }
    }
}

/// The suite cannot pass vacuously: every op file is present with enough cases, and the
/// manifest agrees with the files.
#[test]
#[cfg_attr(miri, ignore = "parses whole files: too slow under Miri")]
fn case_counts_meet_minimums() {
    let manifest = load_manifest().unwrap_or_else(|e| panic!("cannot load the manifest: {e}"));
    let mut total = 0usize;
    let mut short = Vec::new();
    for op in OPS {
        let file = load_op(op).unwrap_or_else(|e| panic!("cannot load {op} vectors: {e}"));
        let n = file.cases.len();
        total += n;
        let min = match op {
            "conv2d" | "depthwise_conv2d" | "fully_connected" => 40,
            _ => 15,
        };
        if n < min {
            short.push(format!("{op}: {n} cases, need {min}"));
        }
        assert_eq!(
            manifest.ops.get(op).copied(),
            Some(n),
            "manifest count for {op}"
        );
    }
    assert!(short.is_empty(), "too few cases:\n{}", short.join("\n"));
    assert!(total >= 500, "{total} cases in all, need at least 500");
}
