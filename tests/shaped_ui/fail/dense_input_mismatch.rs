// A 4x4x8 feature map flattens to 128 values; the dense weights are written for 100 inputs.
use nn_kernels::shaped::{dense, Channels, DenseWeights, Quant, Tensor, TensorMut};

static W: [[i8; 100]; 10] = [[0; 100]; 10];

fn main() {
    let features = [[[0i8; 8]; 4]; 4];
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&[1 << 30]),
        shift: Channels::from_array(&[0]),
        act: [-128, 127],
    };
    let mut logits = [0i8; 10];
    let _ = dense(
        &quant,
        Tensor::from_array(&features).flatten(),
        DenseWeights::from_array(&W),
        None,
        TensorMut::from_vector(&mut logits),
    );
}
