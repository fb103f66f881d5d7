// Every target by name, in the three forms: `#[target = "..."]`, `target = "..."` for a .tflite
// and for `include_nnd!`. A proc macro cannot see the compilation target, so the Cortex-M code is
// compiled for the host here (its kernels have portable fallbacks) and must equal `generic`.
mod generic {
    nn_macros::network! {
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
}

mod m4 {
    nn_macros::network! {
        #[target = "cortex-m4"]
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
}

mod m7 {
    nn_macros::network!(
        tflite = "../tests/vectors/models/flatten_cnn.tflite",
        name = Cnn,
        target = "cortex-m7",
    );
}

mod included {
    nn_macros::include_nnd!("tests/ui/data/flatten_cnn.nnd", target = "cortex-m4");
}

fn main() {
    for seed in 0..8usize {
        let mut input = [[[0i8; 3]; 12]; 12];
        for (i, px) in input.as_flattened_mut().as_flattened_mut().iter_mut().enumerate() {
            *px = (((i + 1) * (seed + 5) * 31 % 256) as i32 - 128) as i8;
        }
        let mut a = [0i8; 4];
        let mut b = [0i8; 4];
        let mut c = [0i8; 4];
        let mut d = [0i8; 4];
        generic::FlattenCnn::run(&input, &mut a, &mut [0; generic::flatten_cnn::ARENA_BYTES])
            .unwrap();
        m4::FlattenCnn::run(&input, &mut b, &mut [0; m4::flatten_cnn::ARENA_BYTES]).unwrap();
        m7::Cnn::run(&input, &mut c, &mut [0; m7::cnn::ARENA_BYTES]).unwrap();
        included::FlattenCnn::run(&input, &mut d, &mut [0; included::flatten_cnn::ARENA_BYTES])
            .unwrap();
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(a, c, "seed {seed}");
        assert_eq!(a, d, "seed {seed}");
    }
}
