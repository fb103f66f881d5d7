// A depthwise convolution with depth multiplier 2 on 8 channels writes 16; the buffer has 8.
use nn_kernels::shaped::typenum::{U1, U2, U8};
use nn_kernels::shaped::{
    depthwise_conv2d, Channels, DepthwiseFilter, Quant, Same, Tensor, TensorMut, Window,
};

static F: [[[i8; 16]; 3]; 3] = [[[0; 16]; 3]; 3];
static M: [i32; 16] = [1 << 30; 16];
static S: [i32; 16] = [0; 16];

fn main() {
    let x = [[[0i8; 8]; 6]; 6];
    let quant = Quant {
        input_offset: 0,
        output_offset: 0,
        multiplier: Channels::from_array(&M),
        shift: Channels::from_array(&S),
        act: [-128, 127],
    };
    let mut y = [[[0i8; 8]; 6]; 6];
    let _ = depthwise_conv2d(
        Window::<U1, U1, Same>::new(),
        &quant,
        Tensor::from_array(&x),
        DepthwiseFilter::<_, _, U8, U2>::from_array(&F),
        None,
        TensorMut::from_array(&mut y),
    );
}
