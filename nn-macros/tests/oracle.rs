//! `network!` copies of imported example networks against TensorFlow Lite Micro and against
//! `nn_dsl::exec` (the host executor behind `nndc run`).
//!
//! Each network below is the `.nnd` text that `nndc import` wrote for one of
//! `tests/vectors/models/*.tflite`, pasted into `network!`, with the `.safetensors` file it wrote
//! (`tests/ui/data/`). For every one of the 20 recorded cases, the macro-generated `run` must
//! give exactly TFLM's output bytes and exactly `nn_dsl::exec`'s.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

nn_macros::network! {
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

nn_macros::network! {
    network ConcatMul {
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

nn_macros::network! {
    /// MLPerf Tiny keyword spotting (DS-CNN).
    network DsCnnKws {
        input x0: i8[49, 10, 1];
        weights "tests/ui/data/ds_cnn_kws.safetensors";

        let conv2d_5_1 = conv2d(x0, filters = 64, kernel = [10, 4], stride = 2, padding = same, activation = relu);
        let depthwise_conv2d_4_1 = depthwise_conv2d(conv2d_5_1, kernel = 3, padding = same, activation = relu);
        let conv2d_6_1 = conv2d(depthwise_conv2d_4_1, filters = 64, kernel = 1, activation = relu);
        let depthwise_conv2d_5_1 = depthwise_conv2d(conv2d_6_1, kernel = 3, padding = same, activation = relu);
        let conv2d_7_1 = conv2d(depthwise_conv2d_5_1, filters = 64, kernel = 1, activation = relu);
        let depthwise_conv2d_6_1 = depthwise_conv2d(conv2d_7_1, kernel = 3, padding = same, activation = relu);
        let conv2d_8_1 = conv2d(depthwise_conv2d_6_1, filters = 64, kernel = 1, activation = relu);
        let depthwise_conv2d_7_1 = depthwise_conv2d(conv2d_8_1, kernel = 3, padding = same, activation = relu);
        let conv2d_9_1 = conv2d(depthwise_conv2d_7_1, filters = 64, kernel = 1, activation = relu);
        let average_pooling2d_1_1 = avg_pool2d(conv2d_9_1, size = [25, 5]);
        let dense_1_1_flat = flatten(average_pooling2d_1_1);
        let dense_1_1 = dense(dense_1_1_flat, units = 12);
        let output0 = softmax(dense_1_1);

        output output0;
    }
}

nn_macros::network! {
    /// The Keras Conv1D model written with the 1-D layers (tests/ui/data/sensor_conv1d.nnd).
    network SensorConv1d {
        input x0: i8[128, 3];
        weights "tests/ui/data/sensor_conv1d.safetensors";

        let conv1d_3_1 = conv1d(x0, filters = 8, kernel = 5, stride = 2, padding = same);
        let leaky_re_lu_1_1 = leaky_relu(conv1d_3_1, alpha = 0.20000000298023224);
        let conv1d_4_1 = conv1d(leaky_re_lu_1_1, filters = 16, kernel = 3);
        let activation_1_1 = hard_swish(conv1d_4_1);
        let max_pooling1d_1_1 = max_pool1d(activation_1_1, size = 2);
        let conv1d_5_1 = conv1d(max_pooling1d_1_1, filters = 16, kernel = 3, padding = same, activation = relu);
        let global_average_pooling1d_1_1 = mean(conv1d_5_1, axis = 0);
        let dense_1_1 = dense(global_average_pooling1d_1_1, units = 4);
        let output0 = softmax(dense_1_1);

        output output0;
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The recorded TFLM cases of a model: (input bytes, output bytes).
fn cases(model: &str) -> Vec<(Vec<i8>, Vec<i8>)> {
    let path = root().join(format!("tests/vectors/models/{model}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let bytes = |t: &serde_json::Value| -> Vec<i8> {
        assert_eq!(t["dtype"], "int8");
        t["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| i8::try_from(v.as_i64().unwrap()).unwrap())
            .collect()
    };
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (bytes(&c["input"][0]), bytes(&c["output"][0])))
        .collect()
}

/// `nn_dsl::exec` on the same `.nnd` + `.safetensors`, as `nndc run` does.
fn exec(model: &str, input: &[i8]) -> Vec<i8> {
    let nnd = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/ui/data/{model}.nnd"));
    let loaded = nn_dsl::front::load::load_nnd(&nnd).unwrap();
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
    let mut out = nn_dsl::exec::run_i8(&loaded.module, &lowered, &[input]).unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

/// Runs `cases` of `model` through `run` (the macro-generated network) and compares.
fn check(model: &str, run: impl Fn(&[i8]) -> Vec<i8>) {
    let cases = cases(model);
    assert_eq!(cases.len(), 20, "{model}");
    let mut outputs = std::collections::BTreeSet::new();
    for (i, (input, want)) in cases.iter().enumerate() {
        let got = run(input);
        assert_eq!(&got, want, "{model} case {i}: macro vs TFLM");
        assert_eq!(
            got,
            exec(model, input),
            "{model} case {i}: macro vs nn_dsl::exec"
        );
        outputs.insert(got);
    }
    assert!(
        outputs.len() > 1,
        "{model}: every case gives the same output"
    );
}

#[test]
fn flatten_cnn_equals_tflm_and_exec() {
    check("flatten_cnn", |x| {
        let input: &flatten_cnn::Input = nn_kernels::typed::view3(x, 0).unwrap();
        let mut out: flatten_cnn::Output = Default::default();
        let mut arena = [0i8; flatten_cnn::ARENA_BYTES];
        FlattenCnn::run(input, &mut out, &mut arena).unwrap();
        out.to_vec()
    });
}

#[test]
fn concat_mul_equals_tflm_and_exec() {
    check("concat_mul", |x| {
        let input: &concat_mul::Input = nn_kernels::typed::view3(x, 0).unwrap();
        let mut out: concat_mul::Output = Default::default();
        let mut arena = [0i8; concat_mul::ARENA_BYTES];
        ConcatMul::run(input, &mut out, &mut arena).unwrap();
        out.to_vec()
    });
}

#[test]
fn ds_cnn_kws_equals_tflm_and_exec() {
    check("ds_cnn_kws", |x| {
        let input: &ds_cnn_kws::Input = nn_kernels::typed::view3(x, 0).unwrap();
        let mut out: ds_cnn_kws::Output = Default::default();
        let mut arena = vec![0i8; ds_cnn_kws::ARENA_BYTES];
        let arena: &mut ds_cnn_kws::Arena = arena.as_mut_slice().try_into().unwrap();
        DsCnnKws::run(input, &mut out, arena).unwrap();
        out.to_vec()
    });
}

#[test]
fn sensor_conv1d_with_1d_layers_equals_tflm_and_exec() {
    check("sensor_conv1d", |x| {
        let input: &sensor_conv1d::Input = nn_kernels::typed::view2(x, 0).unwrap();
        let mut out: sensor_conv1d::Output = Default::default();
        let mut arena = [0i8; sensor_conv1d::ARENA_BYTES];
        SensorConv1d::run(input, &mut out, &mut arena).unwrap();
        out.to_vec()
    });
}

// The q7 (power-of-two) network of `tests/vectors/q7q15/`, through the token front end.
nn_macros::network! {
    network Q7CnnTokens {
        input x: q7<7>[12, 12, 2];
        weights "tests/ui/data/q7_cnn.safetensors";

        let c1 = conv2d(x, filters = 6, kernel = 3, padding = same, frac = 5);
        let r1 = relu(c1);
        let p1 = max_pool2d(r1, size = 2);
        let d1 = depthwise_conv2d(p1, kernel = 3, padding = same, frac = 4);
        let r2 = relu(d1);
        let c2 = conv2d(r2, filters = 8, kernel = 1, frac = 4);
        let a1 = avg_pool2d(c2, size = 2, padding = same);
        let f = flatten(a1);
        let logits = dense(f, units = 5, frac = 3);
        output probs = softmax(logits);
    }
}

// The same network from its .nnd file (the pest front end).
nn_macros::include_nnd!("tests/ui/data/q7_cnn.nnd");

/// Both macro-generated q7 networks give the generator's reference outputs (CMSIS-NN's legacy
/// reference loops composed, `tests/vectors/q7q15/q7_cnn.json`) and `nn_dsl::exec`'s.
#[test]
fn q7_network_equals_the_reference_and_exec() {
    let path = root().join("tests/vectors/q7q15/q7_cnn.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ints = |v: &serde_json::Value| -> Vec<i8> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| i8::try_from(x.as_i64().unwrap()).unwrap())
            .collect()
    };
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 20);
    let mut outputs = std::collections::BTreeSet::new();
    for (i, case) in cases.iter().enumerate() {
        let (x, want) = (ints(&case["input"]), ints(&case["output"]));
        let input: &q7_cnn_tokens::Input = nn_kernels::typed::view3(&x, 0).unwrap();
        let mut out: q7_cnn_tokens::Output = Default::default();
        let mut arena = [0i8; q7_cnn_tokens::ARENA_BYTES];
        Q7CnnTokens::run(input, &mut out, &mut arena).unwrap();
        assert_eq!(out.to_vec(), want, "q7_cnn case {i}: network! vs reference");
        let input: &q7_cnn::Input = nn_kernels::typed::view3(&x, 0).unwrap();
        let mut out2: q7_cnn::Output = Default::default();
        let mut arena = [0i8; q7_cnn::ARENA_BYTES];
        Q7Cnn::run(input, &mut out2, &mut arena).unwrap();
        assert_eq!(
            out2.to_vec(),
            want,
            "q7_cnn case {i}: include_nnd! vs reference"
        );
        assert_eq!(out.to_vec(), exec("q7_cnn", &x), "q7_cnn case {i}: vs exec");
        outputs.insert(out.to_vec());
    }
    assert!(outputs.len() > 1, "every case gives the same output");
}

// The q15 (power-of-two, int16) network of `tests/vectors/q7q15/`, through the token front end.
nn_macros::network! {
    network Q15NetTokens {
        input x: q15<12>[8, 8, 2];
        weights "tests/ui/data/q15_net.safetensors";

        let c1 = conv2d(x, filters = 4, kernel = 3, padding = same, frac = 12);
        let r1 = relu(c1);
        let c2 = conv2d(r1, filters = 6, kernel = 3, stride = 2, padding = same, frac = 13);
        let r2 = relu(c2);
        let f = flatten(r2);
        let h = dense(f, units = 8, frac = 15);
        let r3 = relu(h);
        let logits = dense(r3, units = 5, frac = 6);
        output probs = softmax(logits);
    }
}

// The same network from its .nnd file (the pest front end).
nn_macros::include_nnd!("tests/ui/data/q15_net.nnd");

/// Both macro-generated q15 networks give the generator's reference outputs (CMSIS-NN's legacy
/// `_q15` reference loops composed, `tests/vectors/q7q15/q15_net.json`) and `nn_dsl::exec`'s.
#[test]
fn q15_network_equals_the_reference_and_exec() {
    let path = root().join("tests/vectors/q7q15/q15_net.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ints = |v: &serde_json::Value| -> Vec<i16> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| i16::try_from(x.as_i64().unwrap()).unwrap())
            .collect()
    };
    let nnd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/data/q15_net.nnd");
    let loaded = nn_dsl::front::load::load_nnd(&nnd).unwrap();
    let lowered = nn_dsl::lower::lower(&loaded.module, &loaded.weights).unwrap();
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 20);
    let mut outputs = std::collections::BTreeSet::new();
    for (i, case) in cases.iter().enumerate() {
        let (x, want) = (ints(&case["input"]), ints(&case["output"]));
        let mut input: q15_net::Input = Default::default();
        input
            .as_flattened_mut()
            .as_flattened_mut()
            .copy_from_slice(&x);
        let input: &q15_net_tokens::Input = &input;
        let mut out: q15_net_tokens::Output = Default::default();
        let mut arena = [0i16; q15_net_tokens::ARENA_BYTES / 2];
        Q15NetTokens::run(input, &mut out, &mut arena).unwrap();
        assert_eq!(
            out.to_vec(),
            want,
            "q15_net case {i}: network! vs reference"
        );
        let mut out2: q15_net::Output = Default::default();
        let mut arena = [0i16; q15_net::ARENA_BYTES / 2];
        Q15Net::run(input, &mut out2, &mut arena).unwrap();
        assert_eq!(
            out2.to_vec(),
            want,
            "q15_net case {i}: include_nnd! vs reference"
        );
        let ran = nn_dsl::exec::run(
            &loaded.module,
            &lowered,
            &[nn_dsl::exec::TensorData::I16(x.clone())],
        )
        .unwrap();
        assert_eq!(
            ran[0].as_i16(),
            Some(out.as_slice()),
            "q15_net case {i}: vs exec"
        );
        outputs.insert(out.to_vec());
    }
    assert!(outputs.len() > 1, "every case gives the same output");
}

// Table sigmoid and tanh in a q7 and a q15 network (CMSIS's `arm_nn_activations_direct_q7` /
// `_q15`): q7<5> has 2 integer bits, the sigmoid's q7<7> output none. They have no weights; the
// macro wants a weights file, so they name the q7 and q15 networks' (unused).
nn_macros::network! {
    network Q7Table {
        input x: q7<5>[256];
        weights "tests/ui/data/q7_cnn.safetensors";
        let s = logistic(x);
        output t = tanh(s);
    }
}

nn_macros::network! {
    network Q15Table {
        input x: q15<13>[676];
        weights "tests/ui/data/q15_net.safetensors";
        output t = logistic(x);
    }
}

/// The generated code of both equals the generator's reference lookups
/// (`tests/vectors/q7q15/activations_direct_q7.json`, `_q15.json`): q7 on every input, q15 on
/// every 97th.
#[test]
fn table_activations_in_networks_equal_the_reference() {
    let path = |op: &str| root().join(format!("tests/vectors/q7q15/{op}.json"));
    let case = |op: &str, function: &str, int_width: i64| -> (Vec<i64>, Vec<i64>) {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path(op)).unwrap()).unwrap();
        let c = json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["function"] == function && c["int_width"] == int_width)
            .unwrap()
            .clone();
        let ints = |v: &serde_json::Value| -> Vec<i64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect()
        };
        (ints(&c["input"]), ints(&c["output"]))
    };
    // q7: inputs -128..=127 in order in both cases.
    let (xs, sig) = case("activations_direct_q7", "sigmoid", 2);
    let (_, tanh0) = case("activations_direct_q7", "tanh", 0);
    let mut input = [0i8; 256];
    for (d, &v) in input.iter_mut().zip(&xs) {
        *d = i8::try_from(v).unwrap();
    }
    let want: Vec<i8> = sig
        .iter()
        .map(|&s| i8::try_from(tanh0[usize::try_from(s + 128).unwrap()]).unwrap())
        .collect();
    let mut out: q7_table::Output = [0; 256];
    let mut arena = [0i8; q7_table::ARENA_BYTES];
    Q7Table::run(&input, &mut out, &mut arena).unwrap();
    assert_eq!(out.to_vec(), want);
    // q15: the first 676 inputs of the case are -32768, -32671, ... (every 97th).
    let (xs, sig) = case("activations_direct_q15", "sigmoid", 2);
    let mut input = [0i16; 676];
    for (d, &v) in input.iter_mut().zip(&xs) {
        *d = i16::try_from(v).unwrap();
    }
    let want: Vec<i16> = sig[..676]
        .iter()
        .map(|&v| i16::try_from(v).unwrap())
        .collect();
    let mut out: q15_table::Output = [0; 676];
    let mut arena = [0i16; q15_table::ARENA_BYTES / 2];
    Q15Table::run(&input, &mut out, &mut arena).unwrap();
    assert_eq!(out.to_vec(), want);
}
