// A network written inline, with the weights file that `nndc import` wrote for it; run on a
// deterministic input. The softmax output is a probability distribution in int8 (scale 1/256,
// zero point -128), so its dequantised values sum to about 1.
nn_macros::network! {
    /// The small CNN of tests/vectors/models/flatten_cnn.tflite.
    pub network FlattenCnn {
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

fn main() {
    let mut input: flatten_cnn::Input = [[[0; 3]; 12]; 12];
    for (i, px) in input.as_flattened_mut().as_flattened_mut().iter_mut().enumerate() {
        *px = ((i * 37 % 251) as i32 - 125) as i8;
    }
    let mut output: flatten_cnn::Output = [0; 4];
    let mut arena = [0i8; flatten_cnn::ARENA_BYTES];
    FlattenCnn::run(&input, &mut output, &mut arena).unwrap();
    assert_eq!(flatten_cnn::OUTPUT_SHAPE, [4]);
    let sum: i32 = output.iter().map(|&q| i32::from(q) + 128).sum();
    assert!((250..=262).contains(&sum), "softmax sums to {sum}/256: {output:?}");
    assert_eq!(FlattenCnn::ARENA_BYTES, flatten_cnn::ARENA_BYTES);
}
