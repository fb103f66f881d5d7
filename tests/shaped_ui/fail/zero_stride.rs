// A stride of 0 has no output size: rejected.
use nn_kernels::shaped::typenum::{U0, U2};
use nn_kernels::shaped::{max_pool2d, Pool, Same, Tensor, TensorMut};

fn main() {
    let x = [[[0i8; 4]; 8]; 8];
    let mut y = [[[0i8; 4]; 4]; 4];
    let _ = max_pool2d(
        Pool::<U2, U2, U0, U2, Same>::new(),
        [-128, 127],
        Tensor::from_array(&x),
        TensorMut::from_array(&mut y),
    );
}
