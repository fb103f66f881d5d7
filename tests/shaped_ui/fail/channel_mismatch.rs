// Two convolutions: the first writes 8 channels, the second's filters are for 6.
use nn_kernels::shaped::typenum::U1;
use nn_kernels::shaped::{conv2d, Channels, ConvFilter, Quant, Tensor, TensorMut, Valid, Window};

static F1: [[[[i8; 3]; 3]; 3]; 8] = [[[[0; 3]; 3]; 3]; 8];
static F2: [[[[i8; 6]; 1]; 1]; 4] = [[[[0; 6]; 1]; 1]; 4];
static M: [i32; 8] = [1 << 30; 8];
static S: [i32; 8] = [0; 8];

fn main() {
    let input = [[[0i8; 3]; 10]; 10];
    let q8 = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&M),
        shift: Channels::from_array(&S),
        act: [-128, 127],
    };
    let mut a = [[[0i8; 8]; 8]; 8];
    let _ = conv2d(
        Window::<U1, U1, Valid>::new(),
        &q8,
        Tensor::from_array(&input),
        ConvFilter::from_array(&F1),
        None,
        TensorMut::from_array(&mut a),
    );
    let q4 = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&[1 << 30; 4]),
        shift: Channels::from_array(&[0; 4]),
        act: [-128, 127],
    };
    let mut b = [[[0i8; 4]; 8]; 8];
    let _ = conv2d(
        Window::<U1, U1, Valid>::new(),
        &q4,
        Tensor::from_array(&a),
        ConvFilter::from_array(&F2),
        None,
        TensorMut::from_array(&mut b),
    );
}
