// MLPerf Tiny's DS-CNN keyword spotter by hand with the shaped API: a strided SAME 10x4
// convolution, four depthwise (SAME) + pointwise pairs, average pooling, dense, softmax;
// against the module network! generates from the same .tflite.
#[path = "../support.rs"]
mod support;

use nn_dsl::lower::{DepthwiseLowered, NodeParams};
use nn_kernels::shaped::typenum::{U1, U10, U12, U2, U25, U3, U4, U5, U64};
use nn_kernels::shaped::{
    avg_pool2d, conv2d, dense, depthwise_conv2d, softmax, ConvFilter, DenseWeights,
    DepthwiseFilter, Pool, Same, Tensor, TensorMut, Valid, Window,
};

nn_macros::network!(tflite = "vectors/models/ds_cnn_kws.tflite", name = DsCnnKws);

type Map = [[[i8; 64]; 5]; 25];

/// One depthwise 3x3 SAME + pointwise 1x1 pair: 25x5x64 -> 25x5x64.
fn block(
    dw: &DepthwiseLowered,
    pw: &NodeParams,
    x: &Map,
    out: &mut Map,
) -> Result<(), nn_kernels::KernelError> {
    let NodeParams::Conv2d(pw) = pw else { panic!("pointwise: {pw:?}") };
    let mut d: Map = [[[0; 64]; 5]; 25];
    depthwise_conv2d(
        Window::<U1, U1, Same>::new(),
        &support::quant(&dw.requant),
        Tensor::from_array(x),
        DepthwiseFilter::<U3, U3, U64, U1>::from_slice(&dw.weights).expect("filter"),
        support::bias(&dw.bias),
        TensorMut::from_array(&mut d),
    )?;
    conv2d(
        Window::<U1, U1, Valid>::new(),
        &support::quant(&pw.requant),
        Tensor::from_array(&d),
        ConvFilter::<U64, U1, U1, U64>::from_slice(&pw.weights).expect("filter"),
        support::bias(&pw.bias),
        TensorMut::from_array(out),
    )
}

fn main() -> Result<(), nn_kernels::KernelError> {
    let layers = support::layers("vectors/models/ds_cnn_kws.tflite");
    assert_eq!(layers.len(), 12, "conv, 4 x (depthwise, pointwise), pool, dense, softmax");
    let NodeParams::Conv2d(c1) = &layers[0] else { panic!() };
    let NodeParams::AvgPool2d(pool) = &layers[9] else { panic!() };
    let NodeParams::Dense(d1) = &layers[10] else { panic!() };
    let NodeParams::Softmax(s1) = &layers[11] else { panic!() };
    let mut arena = [0i8; ds_cnn_kws::ARENA_BYTES];
    for seed in 0..3 {
        let mut x = [[[0i8; 1]; 10]; 49];
        support::fill(seed, x.as_flattened_mut().as_flattened_mut());

        // 49x10x1, 10x4 kernel, stride 2, SAME: 25x5x64.
        let mut a: Map = [[[0; 64]; 5]; 25];
        conv2d(
            Window::<U2, U2, Same>::new(),
            &support::quant(&c1.requant),
            Tensor::from_array(&x),
            ConvFilter::<U64, U10, U4, U1>::from_slice(&c1.weights).expect("filter"),
            support::bias(&c1.bias),
            TensorMut::from_array(&mut a),
        )?;
        let mut b: Map = [[[0; 64]; 5]; 25];
        for i in 0..4 {
            let NodeParams::DepthwiseConv2d(dw) = &layers[1 + 2 * i] else { panic!() };
            block(dw, &layers[2 + 2 * i], &a, &mut b)?;
            a = b;
        }
        let mut g = [[[0i8; 64]; 1]; 1];
        avg_pool2d(
            Pool::<U25, U5, U25, U5, Valid>::new(),
            [pool.act_min, pool.act_max],
            Tensor::from_array(&a),
            TensorMut::from_array(&mut g),
        )?;
        let mut logits = [0i8; 12];
        dense(
            &support::quant::<U12>(&d1.requant),
            Tensor::from_array(&g).flatten(),
            DenseWeights::from_slice(&d1.weights).expect("weights"),
            support::bias(&d1.bias),
            TensorMut::from_vector(&mut logits),
        )?;
        let mut probs = [0i8; 12];
        softmax(s1, Tensor::from_vector(&logits), TensorMut::from_vector(&mut probs))?;

        let mut want: ds_cnn_kws::Output = [0; 12];
        DsCnnKws::run(&x, &mut want, &mut arena)?;
        assert_eq!(probs, want, "seed {seed}");
    }
    Ok(())
}
