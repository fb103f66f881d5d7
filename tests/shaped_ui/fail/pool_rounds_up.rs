// 2x2 max pooling with stride 2, VALID, on 7x7 gives 3x3 (the last row and column are dropped);
// the buffer was sized 4x4 as if SAME.
use nn_kernels::shaped::typenum::U2;
use nn_kernels::shaped::{max_pool2d, Pool, Tensor, TensorMut, Valid};

fn main() {
    let x = [[[0i8; 4]; 7]; 7];
    let mut y = [[[0i8; 4]; 4]; 4];
    let _ = max_pool2d(
        Pool::<U2, U2, U2, U2, Valid>::new(),
        [-128, 127],
        Tensor::from_array(&x),
        TensorMut::from_array(&mut y),
    );
}
