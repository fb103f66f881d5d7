// conv 3x3 VALID -> max pool 2x2 -> flatten -> dense -> softmax, written by hand with the shaped
// API, against the module network! generates from the same .tflite.
#[path = "../support.rs"]
mod support;

use nn_dsl::lower::NodeParams;
use nn_kernels::shaped::typenum::{U1, U2, U3, U4, U6};
use nn_kernels::shaped::{
    conv2d, dense, max_pool2d, softmax, ConvFilter, DenseWeights, Pool, Tensor, TensorMut, Valid,
    Window,
};

nn_macros::network!(tflite = "vectors/models/flatten_cnn.tflite", name = FlattenCnn);

fn main() -> Result<(), nn_kernels::KernelError> {
    let layers = support::layers("vectors/models/flatten_cnn.tflite");
    let [NodeParams::Conv2d(c1), NodeParams::MaxPool2d(p1), NodeParams::Dense(d1), NodeParams::Softmax(s1)] =
        &layers[..]
    else {
        panic!("unexpected layers: {layers:?}");
    };
    let mut arena = [0i8; flatten_cnn::ARENA_BYTES];
    for seed in 0..4 {
        let mut x = [[[0i8; 3]; 12]; 12];
        support::fill(seed, x.as_flattened_mut().as_flattened_mut());

        // 12x12x3 -> 10x10x6 -> 5x5x6 -> 150 -> 4.
        let mut a = [[[0i8; 6]; 10]; 10];
        conv2d(
            Window::<U1, U1, Valid>::new(),
            &support::quant(&c1.requant),
            Tensor::from_array(&x),
            ConvFilter::<U6, U3, U3, U3>::from_slice(&c1.weights).expect("filter"),
            support::bias(&c1.bias),
            TensorMut::from_array(&mut a),
        )?;
        let mut b = [[[0i8; 6]; 5]; 5];
        max_pool2d(
            Pool::<U2, U2, U2, U2, Valid>::new(),
            [p1.act_min, p1.act_max],
            Tensor::from_array(&a),
            TensorMut::from_array(&mut b),
        )?;
        let mut logits = [0i8; 4];
        dense(
            &support::quant::<U4>(&d1.requant),
            Tensor::from_array(&b).flatten(),
            DenseWeights::from_slice(&d1.weights).expect("weights"),
            support::bias(&d1.bias),
            TensorMut::from_vector(&mut logits),
        )?;
        let mut probs = [0i8; 4];
        softmax(s1, Tensor::from_vector(&logits), TensorMut::from_vector(&mut probs))?;

        let mut want: flatten_cnn::Output = [0; 4];
        FlattenCnn::run(&x, &mut want, &mut arena)?;
        assert_eq!(probs, want, "seed {seed}");
    }
    Ok(())
}
