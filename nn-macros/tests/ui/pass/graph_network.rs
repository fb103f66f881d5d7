// A graph, not a chain: two branches concatenated, a squeeze-excitation gate multiplied back
// in. Written inline from the `.nnd` that `nndc import` wrote for concat_mul.tflite, and
// checked against the .tflite imported by the macro itself.
nn_macros::network! {
    pub(crate) network ConcatMul {
        input x0: i8[16, 16, 3];
        weights "tests/ui/data/concat_mul.safetensors";

        let conv2d_3_1 = conv2d(x0, filters = 8, kernel = 3, stride = 2, padding = same, activation = relu);
        let conv2d_4_1 = conv2d(conv2d_3_1, filters = 8, kernel = 1, activation = relu);
        let depthwise_conv2d_1_1 = depthwise_conv2d(conv2d_3_1, kernel = 3, padding = same, activation = relu6);
        let concatenate_1_1 = concat(conv2d_4_1, depthwise_conv2d_1_1);
        let global_average_pooling2d_1_1 = global_avg_pool(concatenate_1_1, keep_dims = true);
        let dense_4_1_flat = flatten(global_average_pooling2d_1_1);
        let dense_4_1_dense = dense(dense_4_1_flat, units = 4, activation = relu);
        let dense_4_1 = reshape(dense_4_1_dense, shape = [1, 1, 4]);
        let dense_3_1_flat = flatten(dense_4_1);
        let dense_3_1_dense = dense(dense_3_1_flat, units = 16);
        let dense_3_1 = reshape(dense_3_1_dense, shape = [1, 1, 16]);
        let activation_1_1 = logistic(dense_3_1);
        let multiply_1_1 = mul(concatenate_1_1, activation_1_1);
        let max_pooling2d_1_1 = max_pool2d(multiply_1_1, size = 2);
        let conv2d_5_1 = conv2d(max_pooling2d_1_1, filters = 12, kernel = 3, activation = relu);
        let reshape_1_1 = flatten(conv2d_5_1);
        let dense_5_1 = dense(reshape_1_1, units = 5);
        let output0 = softmax(dense_5_1);

        output output0;
    }
}

mod imported {
    nn_macros::network!(tflite = "../tests/vectors/models/concat_mul.tflite");
}

fn main() {
    let mut arena = [0i8; concat_mul::ARENA_BYTES];
    let mut arena2 = [0i8; imported::concat_mul::ARENA_BYTES];
    let mut distinct = std::collections::BTreeSet::new();
    for seed in 0..6usize {
        let mut input: concat_mul::Input = [[[0; 3]; 16]; 16];
        for (i, px) in input.as_flattened_mut().as_flattened_mut().iter_mut().enumerate() {
            *px = (((i + 7) * (2 * seed + 1) * 53 % 256) as i32 - 128) as i8;
        }
        let mut a: concat_mul::Output = [0; 5];
        let mut b = [0i8; 5];
        ConcatMul::run(&input, &mut a, &mut arena).unwrap();
        imported::ConcatMul::run(&input, &mut b, &mut arena2).unwrap();
        assert_eq!(a, b, "seed {seed}");
        distinct.insert(a);
    }
    assert!(distinct.len() > 1, "the output does not depend on the input");
}
