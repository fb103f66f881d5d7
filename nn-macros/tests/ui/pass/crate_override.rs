// `#[crate = path]`: generated code reaches the kernels through a path of the user's choice
// (here a relative re-export), and `#[target = "generic"]` names the target explicitly.
mod kernels {
    pub use nn_kernels::__private::*;
}

nn_macros::network! {
    #[target = "generic"]
    #[crate = kernels]
    network FlattenCnn {
        input x0: i8[12, 12, 3];
        weights "tests/ui/data/flatten_cnn.safetensors";
        let conv2d_1 = conv2d(x0, filters = 6, kernel = 3, activation = relu);
        let max_pooling2d_1 = max_pool2d(conv2d_1, size = 2);
        let flatten_1 = flatten(max_pooling2d_1);
        let dense_1 = dense(flatten_1, units = 4);
        let output0 = softmax(dense_1);
        output output0;
    }
}

nn_macros::network!(
    tflite = "../tests/vectors/models/flatten_cnn.tflite",
    name = Absolute,
    target = "generic",
    crate = ::nn_kernels::__private,
);

fn main() {
    let input = [[[7i8; 3]; 12]; 12];
    let mut a = [0i8; 4];
    let mut b = [0i8; 4];
    FlattenCnn::run(&input, &mut a, &mut [0; flatten_cnn::ARENA_BYTES]).unwrap();
    Absolute::run(&input, &mut b, &mut [0; absolute::ARENA_BYTES]).unwrap();
    assert_eq!(a, b);
}
