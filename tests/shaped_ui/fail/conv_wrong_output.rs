// A 3x3 VALID convolution of a 10x10 image gives 8x8; the output buffer is 9x9.
use nn_kernels::shaped::typenum::U1;
use nn_kernels::shaped::{conv2d, Channels, ConvFilter, Quant, Tensor, TensorMut, Valid, Window};

fn main() {
    let input = [[[0i8; 3]; 10]; 10];
    let filter = [[[[0i8; 3]; 3]; 3]; 8];
    let (mult, shift) = ([1 << 30; 8], [0; 8]);
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&mult),
        shift: Channels::from_array(&shift),
        act: [-128, 127],
    };
    let mut out = [[[0i8; 8]; 9]; 9];
    let _ = conv2d(
        Window::<U1, U1, Valid>::new(),
        &quant,
        Tensor::from_array(&input),
        ConvFilter::from_array(&filter),
        None,
        TensorMut::from_array(&mut out),
    );
}
