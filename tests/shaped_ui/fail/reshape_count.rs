// A reshape must keep the element count: 4x4x8 = 128 is not 8x8x4 = 256.
use nn_kernels::shaped::typenum::{U4, U8};
use nn_kernels::shaped::Tensor;

fn main() {
    let a = [[[0i8; 8]; 4]; 4];
    let _b: Tensor<'_, U8, U8, U4> = Tensor::from_array(&a).reshape();
}
