// A VALID 5x5 convolution of a 3x3 image has no output: rejected, whatever the buffer.
use nn_kernels::shaped::typenum::U1;
use nn_kernels::shaped::{conv2d, Channels, ConvFilter, Quant, Tensor, TensorMut, Valid, Window};

static F: [[[[i8; 2]; 5]; 5]; 2] = [[[[0; 2]; 5]; 5]; 2];

fn main() {
    let input = [[[0i8; 2]; 3]; 3];
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&[1 << 30; 2]),
        shift: Channels::from_array(&[0; 2]),
        act: [-128, 127],
    };
    let mut out = [[[0i8; 2]; 1]; 1];
    let _ = conv2d(
        Window::<U1, U1, Valid>::new(),
        &quant,
        Tensor::from_array(&input),
        ConvFilter::from_array(&F),
        None,
        TensorMut::from_array(&mut out),
    );
}
