// SAME, stride 2: 10x10 becomes 5x5; the output buffer was sized for stride 1.
use nn_kernels::shaped::typenum::U2;
use nn_kernels::shaped::{conv2d, Channels, ConvFilter, Quant, Same, Tensor, TensorMut, Window};

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
        Window::<U2, U2, Same>::new(),
        &quant,
        Tensor::from_array(&input),
        ConvFilter::from_array(&F),
        None,
        TensorMut::from_array(&mut out),
    );
}
