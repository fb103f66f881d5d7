// A residual ADD of a 4x4x8 map and a 4x4x4 one.
use nn_kernels::add::AddParams;
use nn_kernels::shaped::{add, Tensor, TensorMut};

fn main() {
    let p = AddParams {
        a_shape: &[],
        b_shape: &[],
        output_shape: &[],
        a_offset: 0,
        b_offset: 0,
        output_offset: 0,
        left_shift: 20,
        a_multiplier: 1 << 30,
        a_shift: 0,
        b_multiplier: 1 << 30,
        b_shift: 0,
        output_multiplier: 1 << 30,
        output_shift: -20,
        act_min: -128,
        act_max: 127,
    };
    let a = [[[0i8; 8]; 4]; 4];
    let b = [[[0i8; 4]; 4]; 4];
    let mut y = [[[0i8; 8]; 4]; 4];
    let _ = add(
        &p,
        Tensor::from_array(&a),
        Tensor::from_array(&b),
        TensorMut::from_array(&mut y),
    );
}
