// Only the targets nnd generates code for are accepted.
nn_macros::network! {
    #[target = "cortex-m99"]
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

fn main() {}
