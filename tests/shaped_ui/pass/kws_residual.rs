// A residual block: strided SAME convolution, depthwise, pointwise, ADD of the block's input,
// standalone ReLU, average pooling, dense, softmax (shaped_ui/kws_residual.nnd), against the
// module include_nnd! generates from the same file.
#[path = "../support.rs"]
mod support;

use nn_dsl::lower::NodeParams;
use nn_kernels::shaped::typenum::{U1, U10, U12, U2, U25, U3, U4, U5, U64};
use nn_kernels::shaped::{
    add, avg_pool2d, conv2d, dense, depthwise_conv2d, relu, softmax, ConvFilter, DenseWeights,
    DepthwiseFilter, Pool, Same, Tensor, TensorMut, Valid, Window,
};

nn_macros::include_nnd!("shaped_ui/kws_residual.nnd");

fn main() -> Result<(), nn_kernels::KernelError> {
    let layers = support::layers("shaped_ui/kws_residual.nnd");
    let [NodeParams::Conv2d(c1), NodeParams::DepthwiseConv2d(dw), NodeParams::Conv2d(pw), NodeParams::Add(sum), NodeParams::Relu(r), NodeParams::AvgPool2d(ap), NodeParams::Dense(d1), NodeParams::Softmax(s1)] =
        &layers[..]
    else {
        panic!("unexpected layers: {layers:?}");
    };
    let mut arena = [0i8; kws_residual::ARENA_BYTES];
    for seed in 0..3 {
        let mut x = [[[0i8; 1]; 10]; 49];
        support::fill(seed, x.as_flattened_mut().as_flattened_mut());

        let mut a = [[[0i8; 64]; 5]; 25];
        conv2d(
            Window::<U2, U2, Same>::new(),
            &support::quant(&c1.requant),
            Tensor::from_array(&x),
            ConvFilter::<U64, U10, U4, U1>::from_slice(&c1.weights).expect("filter"),
            support::bias(&c1.bias),
            TensorMut::from_array(&mut a),
        )?;
        let mut b = [[[0i8; 64]; 5]; 25];
        depthwise_conv2d(
            Window::<U1, U1, Same>::new(),
            &support::quant(&dw.requant),
            Tensor::from_array(&a),
            DepthwiseFilter::<U3, U3, U64, U1>::from_slice(&dw.weights).expect("filter"),
            support::bias(&dw.bias),
            TensorMut::from_array(&mut b),
        )?;
        let mut c = [[[0i8; 64]; 5]; 25];
        conv2d(
            Window::<U1, U1, Valid>::new(),
            &support::quant(&pw.requant),
            Tensor::from_array(&b),
            ConvFilter::<U64, U1, U1, U64>::from_slice(&pw.weights).expect("filter"),
            support::bias(&pw.bias),
            TensorMut::from_array(&mut c),
        )?;
        let mut s = [[[0i8; 64]; 5]; 25];
        add(
            &sum.add_params(),
            Tensor::from_array(&a),
            Tensor::from_array(&c),
            TensorMut::from_array(&mut s),
        )?;
        relu(r, Tensor::from_array(&s), TensorMut::from_array(&mut b))?;
        let mut g = [[[0i8; 64]; 1]; 1];
        avg_pool2d(
            Pool::<U25, U5, U25, U5, Valid>::new(),
            [ap.act_min, ap.act_max],
            Tensor::from_array(&b),
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

        let mut want: kws_residual::Output = [0; 12];
        KwsResidual::run(&x, &mut want, &mut arena)?;
        assert_eq!(probs, want, "seed {seed}");
    }
    Ok(())
}
