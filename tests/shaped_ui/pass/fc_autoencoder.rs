// MLPerf Tiny's anomaly-detection autoencoder: ten dense layers 640 -> 128 -> 128 -> 128 ->
// 128 -> 8 -> 128 -> 128 -> 128 -> 128 -> 640, by hand with the shaped API (typenum's U640 and
// U128; the weights from slices), against the module network! generates from the same .tflite.
#[path = "../support.rs"]
mod support;

use nn_dsl::lower::{DenseLowered, NodeParams};
use nn_kernels::shaped::typenum::{Unsigned, U128, U640, U8};
use nn_kernels::shaped::{dense, DenseWeights, Tensor, TensorMut, Vector, VectorMut};

nn_macros::network!(tflite = "vectors/models/fc_autoencoder.tflite", name = FcAutoencoder);

/// One dense layer `IN -> OUT` with the lowered constants.
fn layer<IN: Unsigned, OUT: Unsigned>(
    d: &DenseLowered,
    x: Vector<'_, IN>,
    y: VectorMut<'_, OUT>,
) -> Result<(), nn_kernels::KernelError> {
    let q = support::quant::<OUT>(&d.requant);
    let w = DenseWeights::<OUT, IN>::from_slice(&d.weights).expect("weights");
    dense(&q, x, w, support::bias(&d.bias), y)
}

fn main() -> Result<(), nn_kernels::KernelError> {
    let layers = support::layers("vectors/models/fc_autoencoder.tflite");
    let d: Vec<&DenseLowered> = layers
        .iter()
        .map(|l| match l {
            NodeParams::Dense(d) => d,
            other => panic!("not dense: {other:?}"),
        })
        .collect();
    assert_eq!(d.len(), 10);
    let mut arena = [0i8; fc_autoencoder::ARENA_BYTES];
    for seed in 0..3 {
        let mut x = [0i8; 640];
        support::fill(seed, &mut x);
        let (mut h1, mut h2) = ([0i8; 128], [0i8; 128]);
        let mut code = [0i8; 8];
        let mut y = [0i8; 640];
        layer::<U640, U128>(d[0], Tensor::from_vector(&x), TensorMut::from_vector(&mut h1))?;
        layer(d[1], Tensor::from_vector(&h1), TensorMut::from_vector(&mut h2))?;
        layer(d[2], Tensor::from_vector(&h2), TensorMut::from_vector(&mut h1))?;
        layer(d[3], Tensor::from_vector(&h1), TensorMut::from_vector(&mut h2))?;
        layer::<U128, U8>(d[4], Tensor::from_vector(&h2), TensorMut::from_vector(&mut code))?;
        layer(d[5], Tensor::from_vector(&code), TensorMut::from_vector(&mut h1))?;
        layer(d[6], Tensor::from_vector(&h1), TensorMut::from_vector(&mut h2))?;
        layer(d[7], Tensor::from_vector(&h2), TensorMut::from_vector(&mut h1))?;
        layer(d[8], Tensor::from_vector(&h1), TensorMut::from_vector(&mut h2))?;
        layer(d[9], Tensor::from_vector(&h2), TensorMut::from_vector(&mut y))?;

        let mut want: fc_autoencoder::Output = [0; 640];
        FcAutoencoder::run(&x, &mut want, &mut arena)?;
        assert_eq!(want, y, "seed {seed}");
    }
    Ok(())
}
