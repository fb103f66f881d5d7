// The output buffer is sized for SAME (10x10) but the window says VALID (8x8).
use nn_kernels::shaped::typenum::U1;
use nn_kernels::shaped::{conv2d, Channels, ConvFilter, Quant, Tensor, TensorMut, Valid, Window};

static F: [[[[i8; 3]; 3]; 3]; 8] = [[[[0; 3]; 3]; 3]; 8];
static M: [i32; 8] = [1 << 30; 8];
static S: [i32; 8] = [0; 8];

fn main() {
    let input = [[[0i8; 3]; 10]; 10];
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&M),
        shift: Channels::from_array(&S),
        act: [-128, 127],
    };
    let mut out = [[[0i8; 8]; 10]; 10];
    let _ = conv2d(
        Window::<U1, U1, Valid>::new(),
        &quant,
        Tensor::from_array(&input),
        ConvFilter::from_array(&F),
        None,
        TensorMut::from_array(&mut out),
    );
}
