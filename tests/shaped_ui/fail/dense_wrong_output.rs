// A dense layer of 10 units written into a 12-value buffer.
use nn_kernels::shaped::{dense, Channels, DenseWeights, Quant, Tensor, TensorMut};

static W: [[i8; 16]; 10] = [[0; 16]; 10];

fn main() {
    let x = [0i8; 16];
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&[1 << 30]),
        shift: Channels::from_array(&[0]),
        act: [-128, 127],
    };
    let mut logits = [0i8; 12];
    let _ = dense(
        &quant,
        Tensor::from_vector(&x),
        DenseWeights::from_array(&W),
        None,
        TensorMut::from_vector(&mut logits),
    );
}
