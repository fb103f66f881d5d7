//! `nndc run` through the real binary: TFLM's outputs from .tflite and from the `nndc import`
//! round trip (.nnd + .safetensors), .npy in and out, `--float`, exit codes and messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use npyz::WriterBuilder;
use serde_json::Value;

fn nndc(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nndc"))
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/models")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("exec_cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Case `i` of a whole-network vector file: (input shape, input int8 data, output int8 data).
fn case(model: &str, i: usize) -> (Vec<u64>, Vec<i8>, Vec<i8>) {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(models().join(format!("{model}.json"))).unwrap(),
    )
    .unwrap();
    let c = &v["cases"][i];
    let ints = |t: &Value| -> Vec<i8> {
        t["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as i8)
            .collect()
    };
    let shape = c["input"][0]["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    (shape, ints(&c["input"][0]), ints(&c["output"][0]))
}

fn write_npy<T: npyz::AutoSerialize + Copy>(path: &Path, shape: &[u64], data: &[T]) {
    let mut buf = Vec::new();
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut buf)
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
    std::fs::write(path, buf).unwrap();
}

fn read_npy<T: npyz::Deserialize>(path: &Path) -> (Vec<u64>, Vec<T>) {
    let bytes = std::fs::read(path).unwrap();
    let f = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = f.shape().to_vec();
    (shape, f.into_vec().unwrap())
}

/// Runs `model` (a path) on case `i` of `name` and checks the written .npy equals TFLM.
fn run_equals_tflm(model: &Path, name: &str, i: usize, dir: &Path) {
    let (shape, x, want) = case(name, i);
    let ext = model.extension().unwrap().to_string_lossy();
    let xp = dir.join(format!("{name}_{i}_{ext}_x.npy"));
    let yp = dir.join(format!("{name}_{i}_{ext}_y.npy"));
    write_npy(&xp, &shape, &x);
    let o = nndc(&[
        Path::new("run"),
        model,
        Path::new("--input"),
        &xp,
        Path::new("--output"),
        &yp,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let (yshape, y) = read_npy::<i8>(&yp);
    assert_eq!(yshape, vec![1, want.len() as u64], "{name}: output shape");
    assert_eq!(
        y,
        want,
        "{name} case {i}: {} differs from TFLM",
        model.display()
    );
    let out = text(&o.stdout);
    let values: Vec<String> = want.iter().map(i8::to_string).collect();
    assert!(
        out.contains(&format!("[{}]", values.join(", "))),
        "{name}: stdout does not show the values:\n{out}"
    );
}

const MODELS: [&str; 6] = [
    "concat_mul",
    "ds_cnn_kws",
    "fc_autoencoder",
    "flatten_cnn",
    "mobilenet_v1_025_vww",
    "resnet8_cifar",
];

#[test]
fn run_tflite_and_imported_nnd_equal_tflm() {
    let dir = scratch("models");
    for name in MODELS {
        let tflite = models().join(format!("{name}.tflite"));
        run_equals_tflm(&tflite, name, 0, &dir);
        // nndc import, then run the .nnd (which loads the .safetensors next to it).
        let out = dir.join(format!("{name}_import"));
        let o = nndc(&[Path::new("import"), &tflite, Path::new("-o"), &out]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let nnd = out.join(format!("{name}.nnd"));
        run_equals_tflm(&nnd, name, 0, &dir);
        run_equals_tflm(&nnd, name, 1, &dir);
    }
}

#[test]
fn input_without_batch_dim_and_stdout_format() {
    let dir = scratch("nobatch");
    let (shape, x, want) = case("ds_cnn_kws", 3);
    let xp = dir.join("x.npy");
    write_npy(&xp, &shape[1..], &x);
    let model = models().join("ds_cnn_kws.tflite");
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &xp]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let values: Vec<String> = want.iter().map(i8::to_string).collect();
    let out = text(&o.stdout);
    assert!(out.starts_with("output "), "{out}");
    assert!(out.contains(": i8[12]\n"), "{out}");
    assert!(
        out.ends_with(&format!("[{}]\n", values.join(", "))),
        "{out}"
    );
}

#[test]
fn float_mode_quantises_and_dequantises_with_the_model_parameters() {
    let dir = scratch("float");
    let model = models().join("ds_cnn_kws.tflite");
    let loaded = nn_dsl::front::load::load_tflite(&model).unwrap();
    let m = &loaded.module;
    let (shape, x, _) = case("ds_cnn_kws", 5);
    let q = m.tensors[m.inputs[0]].quant.clone().unwrap();
    let (s, z) = (q.scale[0], q.zero_point[0] as f32);
    // Floats that quantise exactly back to the case's int8 input.
    let xf: Vec<f32> = x.iter().map(|&v| (f32::from(v) - z) * s).collect();
    let xp = dir.join("xf.npy");
    let yp = dir.join("yf.npy");
    write_npy(&xp, &shape, &xf);
    let o = nndc(&[
        Path::new("run"),
        &model,
        Path::new("--float"),
        Path::new("--input"),
        &xp,
        Path::new("--output"),
        &yp,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // The same through the library: quantise, run, dequantise.
    let lowered = nn_dsl::lower::lower(m, &loaded.weights).unwrap();
    let xi = nn_dsl::exec::from_float_input(m, 0, &xf).unwrap();
    assert_eq!(
        xi.as_i8().unwrap(),
        &x[..],
        "the floats quantise back to the int8 case"
    );
    let y = nn_dsl::exec::run(m, &lowered, &[xi]).unwrap();
    let want = nn_dsl::exec::to_float_output(m, 0, &y[0]).unwrap();
    let (yshape, got) = read_npy::<f32>(&yp);
    assert_eq!(yshape, vec![1, 12]);
    assert_eq!(got, want);
    assert!(text(&o.stdout).contains(": f32[12]\n"));
    // Softmax outputs are probabilities: they sum to about one.
    let sum: f32 = got.iter().sum();
    assert!((sum - 1.0).abs() < 0.05, "{sum}");
}

#[test]
fn bad_inputs_are_usage_errors_naming_the_file() {
    let dir = scratch("errors");
    let model = models().join("ds_cnn_kws.tflite");
    let (shape, x, _) = case("ds_cnn_kws", 0);
    let good = dir.join("good.npy");
    write_npy(&good, &shape, &x);

    // Wrong shape.
    let wrong = dir.join("wrong_shape.npy");
    write_npy(&wrong, &[49, 10], &x);
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &wrong]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("wrong_shape.npy` has shape [49, 10], but input `")
            && e.contains(
                "has shape [49, 10, 1] (or [1, 49, 10, 1] with the batch, or [N, 49, 10, 1] \
                 for a batch of N samples)"
            ),
        "{e}"
    );

    // Float data without --float.
    let f = dir.join("float.npy");
    write_npy(&f, &shape, &vec![0.5f32; x.len()]);
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("float.npy` holds float32 ('<f4'), but input `") && e.contains("--float"),
        "{e}"
    );

    // Int8 data with --float.
    let o = nndc(&[
        Path::new("run"),
        &model,
        Path::new("--float"),
        Path::new("--input"),
        &good,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("holds int8 ('|i1')"),
        "{}",
        text(&o.stderr)
    );

    // Two inputs for a one-input network.
    let o = nndc(&[
        Path::new("run"),
        &model,
        Path::new("--input"),
        &good,
        Path::new("--input"),
        &good,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("takes 1 input(s)"),
        "{}",
        text(&o.stderr)
    );

    // Missing input file, not a .npy file.
    let o = nndc(&[
        Path::new("run"),
        &model,
        Path::new("--input"),
        &dir.join("nope.npy"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("nope.npy"));
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &model]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("is not a .npy file"),
        "{}",
        text(&o.stderr)
    );

    // No --input at all: clap usage error.
    let o = nndc(&[Path::new("run"), &model]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn existing_output_needs_force() {
    let dir = scratch("force");
    let model = models().join("ds_cnn_kws.tflite");
    let (shape, x, want) = case("ds_cnn_kws", 0);
    let xp = dir.join("x.npy");
    write_npy(&xp, &shape, &x);
    let yp = dir.join("y.npy");
    std::fs::write(&yp, b"keep me").unwrap();
    let args = [
        Path::new("run"),
        &model,
        Path::new("--input"),
        &xp,
        Path::new("--output"),
        &yp,
    ];
    let o = nndc(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("already exists; pass --force"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(&yp).unwrap(), b"keep me");
    let mut forced = args.to_vec();
    forced.push(Path::new("--force"));
    let o = nndc(&forced);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(read_npy::<i8>(&yp).1, want);
}

#[test]
fn network_problems_exit_1() {
    let dir = scratch("network");
    let x = dir.join("x.npy");
    write_npy(&x, &[4], &[1i8, 2, 3, 4]);
    // A .nnd without weights cannot be run.
    let nnd = dir.join("noweights.nnd");
    std::fs::write(&nnd, "network N { input x: i8[4]; output y = relu(x); }\n").unwrap();
    let o = nndc(&[Path::new("run"), &nnd, Path::new("--input"), &x]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("weights"), "{}", text(&o.stderr));
    // A .nnd with a shape error.
    let bad = dir.join("bad.nnd");
    std::fs::write(
        &bad,
        "network B { input x: i8[4]; output y = conv2d(x, filters = 2, kernel = 3); }\n",
    )
    .unwrap();
    let o = nndc(&[Path::new("run"), &bad, Path::new("--input"), &x]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("error["), "{}", text(&o.stderr));
}

/// `nndc info --json` reports the bytes of every constant: the int8 weights and int32 biases the
/// importer stored (the per-channel scales and activation parameters are not constants of the
/// generated code).
#[test]
fn info_json_weight_bytes_counts_weights_and_biases() {
    for name in MODELS {
        let model = models().join(format!("{name}.tflite"));
        let o = nndc(&[Path::new("info"), &model, Path::new("--json")]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let v: Value = serde_json::from_str(&text(&o.stdout)).unwrap();
        let loaded = nn_dsl::front::load::load_tflite(&model).unwrap();
        let want: usize = loaded
            .weights
            .tensors
            .iter()
            .filter(|(k, _)| k.ends_with(".weight") || k.ends_with(".bias"))
            .map(|(_, t)| t.data.len())
            .sum();
        assert!(want > 0);
        assert_eq!(
            v["total"]["weight_bytes"].as_u64(),
            Some(want as u64),
            "{name}"
        );
    }
}

/// A hand-written .npy (format 1.0) with `header` as its header dict and `data` after it.
fn raw_npy(path: &Path, header: &str, data: &[u8]) {
    let mut text = header.to_owned();
    while (10 + text.len() + 1) % 64 != 0 {
        text.push(' ');
    }
    text.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&u16::try_from(text.len()).unwrap().to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// Issue 16, item 7: a .npy header whose shape's element count overflows 64 bits used to panic
/// inside npyz (`attempt to multiply with overflow`, this test's debug build checks overflow)
/// before any shape check; the shape is now read and compared with the input's first, so such a
/// file is the ordinary shape error naming the file (exit 2). Shapes that overflow only in a
/// partial product (a zero dimension in front) and dimensions beyond u64 are refused the same
/// way, and a header that is not a Python dict is still "not a .npy file".
#[test]
fn npy_shapes_that_overflow_are_errors_not_panics() {
    let dir = scratch("npy_overflow");
    let model = models().join("fc_autoencoder.tflite");
    let cases = [
        (
            "huge.npy",
            "(1099511627776, 1099511627776)",
            "[1099511627776, 1099511627776]",
        ),
        (
            "zero_first.npy",
            "(0, 4294967296, 4294967296, 4294967296)",
            "[0, 4294967296, 4294967296, 4294967296]",
        ),
        (
            "list.npy",
            "[18446744073709551615, 2]",
            "[18446744073709551615, 2]",
        ),
    ];
    for (file, shape, shown) in cases {
        let p = dir.join(file);
        let header = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': {shape}, }}");
        raw_npy(&p, &header, &[0; 16]);
        let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &p]);
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {e}");
        assert!(
            e.contains(&format!("{file}` has shape {shown}, but input `")),
            "{file}: {e}"
        );
        assert!(!e.contains("panicked"), "{file}: {e}");
    }
    let p = dir.join("too_big_dim.npy");
    raw_npy(
        &p,
        "{'descr': '|i1', 'fortran_order': False, 'shape': (18446744073709551616,), }",
        &[],
    );
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &p]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("too_big_dim.npy` is not a .npy file"), "{e}");
    let p = dir.join("not_dict.npy");
    raw_npy(&p, "(1, 2)", &[]);
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &p]);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("not_dict.npy` is not a .npy file"), "{e}");
}

/// Issue 16, item 3: a network the host cannot allocate (limited here to 768 MB of address
/// space; the network needs two 1 GiB tensors) used to abort `nndc run` (SIGABRT, "memory
/// allocation failed"); every tensor is now allocated without aborting and the failure is the
/// CLI's ordinary error naming the file, the tensor and the size (exit 2, docs/run.md).
#[cfg(target_os = "linux")]
#[test]
fn run_reports_allocation_failure() {
    let dir = scratch("alloc");
    let nnd = dir.join("big.nnd");
    std::fs::write(
        &nnd,
        "network Big {\n    input x: i8[1];\n    weights \"big.safetensors\";\n    \
         let p = pad(x, paddings = [[0, 1073741823]]);\n    output y = relu(p);\n}\n",
    )
    .unwrap();
    let mut w = nn_dsl::weights::Weights::default();
    for t in ["x", "y"] {
        w.tensors.insert(
            format!("{t}.scale"),
            nn_dsl::weights::WeightTensor::scalar_f32(0.5),
        );
        w.tensors.insert(
            format!("{t}.zero_point"),
            nn_dsl::weights::WeightTensor::scalar_i64(0),
        );
    }
    w.write(&dir.join("big.safetensors")).unwrap();
    let x = dir.join("x.npy");
    write_npy(&x, &[1], &[5i8]);
    let o = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 786432 && exec \"$0\" run \"$1\" --input \"$2\"")
        .arg(env!("CARGO_BIN_EXE_nndc"))
        .arg(&nnd)
        .arg(&x)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!(
            "error: cannot run `{}`: cannot allocate 1073741824 bytes on the host for tensor `p`",
            nnd.display()
        )),
        "{e}"
    );
    assert_eq!(text(&o.stdout), "");
}

/// Issue 16, item 4: a weight scale whose requantisation multiplier (input scale * weight scale
/// / output scale = 1e13) needs a shift of 44 used to pass `check` and `build` (exit 0, a module
/// whose `run` returns a `KernelError` on the device) and made `run` exit 2 with the kernel's
/// error. Binding the weights now lowers every layer: E0204 at the layer, exit 1 in `check`
/// (the weights file exists), `build` and `run`, as docs/run.md says for constants that cannot
/// be lowered.
#[test]
fn constants_the_kernels_refuse_fail_at_compile_time() {
    let dir = scratch("shift");
    let nnd = dir.join("shift.nnd");
    std::fs::write(
        &nnd,
        "network Shift {\n    input x: i8[4];\n    weights \"shift.safetensors\";\n    \
         output y = dense(x, units = 2);\n}\n",
    )
    .unwrap();
    let mut w = nn_dsl::weights::Weights::default();
    let mut put = |name: &str, t: nn_dsl::weights::WeightTensor| {
        w.tensors.insert(name.to_owned(), t);
    };
    put("x.scale", nn_dsl::weights::WeightTensor::scalar_f32(1.0));
    put("x.zero_point", nn_dsl::weights::WeightTensor::scalar_i64(0));
    put("y.scale", nn_dsl::weights::WeightTensor::scalar_f32(1e-3));
    put("y.zero_point", nn_dsl::weights::WeightTensor::scalar_i64(0));
    put(
        "y.weight_scale",
        nn_dsl::weights::WeightTensor::scalar_f32(1e10),
    );
    put(
        "y.weight",
        nn_dsl::weights::WeightTensor::new(nn_dsl::weights::WDType::I8, vec![2, 4], vec![1; 8])
            .unwrap(),
    );
    put(
        "y.bias",
        nn_dsl::weights::WeightTensor::new(nn_dsl::weights::WDType::I32, vec![2], vec![0; 8])
            .unwrap(),
    );
    w.write(&dir.join("shift.safetensors")).unwrap();
    let x = dir.join("x.npy");
    write_npy(&x, &[4], &[1i8, 2, 3, 4]);
    let runs: [&[&Path]; 3] = [
        &[Path::new("check"), &nnd],
        &[Path::new("build"), &nnd],
        &[Path::new("run"), &nnd, Path::new("--input"), &x],
    ];
    for args in runs {
        let o = nndc(args);
        let e = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.contains(
                "error[E0204]: layer `y` (dense) cannot be lowered: the requantisation (input \
                 scale * weight scale / output scale) multiplier is 1.000e13, which needs a \
                 shift of 44; the int8 kernels take shifts in -31..=31"
            ),
            "{args:?}: {e}"
        );
        assert!(
            e.contains(&format!("{}:4:16", nnd.display())),
            "{args:?}: {e}"
        );
        assert_eq!(text(&o.stdout), "", "{args:?}");
    }
    // `check --no-weights` checks the architecture alone (issue 16 item 11): the file is there
    // but not read.
    let o = nndc(&[Path::new("check"), &nnd, Path::new("--no-weights")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "");
    // Without its weights file the same network is checked for shapes only.
    std::fs::remove_file(dir.join("shift.safetensors")).unwrap();
    let o = nndc(&[Path::new("check"), &nnd]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// Issue 16 item 12: `nndc run` over a batch file `(N, ...)` and over a folder of .npy files,
/// `--output` stacking the samples, and `--expect` comparing byte for byte (TFLM's outputs from
/// the committed vectors): equal gives exit 0, one changed value gives exit 3 and a report
/// naming the sample, the output, the position and both values.
#[test]
fn batches_and_folders_with_expect() {
    let dir = scratch("batch");
    let model = models().join("ds_cnn_kws.tflite");
    const N: usize = 6;
    let cases: Vec<_> = (0..N).map(|i| case("ds_cnn_kws", i)).collect();
    let mut dims = cases[0].0.clone();
    dims[0] = N as u64;
    let xs: Vec<i8> = cases.iter().flat_map(|c| c.1.clone()).collect();
    let ys: Vec<i8> = cases.iter().flat_map(|c| c.2.clone()).collect();
    let per = cases[0].2.len();
    let xp = dir.join("xs.npy");
    let yp = dir.join("ys.npy");
    write_npy(&xp, &dims, &xs);
    write_npy(&yp, &[N as u64, per as u64], &ys);
    let out = dir.join("out.npy");
    let run = |input: &Path, expect: &Path, output: Option<&Path>| {
        let mut args = vec![
            Path::new("run"),
            &model,
            Path::new("--input"),
            input,
            Path::new("--expect"),
            expect,
        ];
        if let Some(o) = output {
            args.extend([Path::new("--output"), o]);
        }
        nndc(&args)
    };

    // A batch file: every sample equal to TFLM; --output holds (N, 12) of the same values.
    let o = run(&xp, &yp, Some(&out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "6 of 6 sample(s) equal to the expected outputs, byte for byte\n"
    );
    assert_eq!(
        read_npy::<i8>(&out),
        (vec![N as u64, per as u64], ys.clone())
    );

    // A folder of one-sample files (with and without the batch of 1), in file name order.
    let folder = dir.join("samples");
    std::fs::create_dir_all(&folder).unwrap();
    for (i, c) in cases.iter().enumerate() {
        let shape = if i % 2 == 0 { &c.0[..] } else { &c.0[1..] };
        write_npy(&folder.join(format!("x{i:02}.npy")), shape, &c.1);
    }
    std::fs::write(folder.join("notes.txt"), "not a sample").unwrap();
    let o = run(&folder, &yp, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    // Without --expect, each sample is printed under a `sample` line naming where it came from.
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &xp]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let values: Vec<String> = cases[5].2.iter().map(i8::to_string).collect();
    assert!(
        stdout.contains(&format!(
            "sample 5 ({}[5])\noutput output0: i8[12]\n[{}]\n",
            xp.display(),
            values.join(", ")
        )),
        "{stdout}"
    );
    assert_eq!(stdout.matches("sample ").count(), N, "{stdout}");

    // One expected value changed: exit 3, the sample, output, position and values named.
    let mut bad = ys.clone();
    bad[3 * per + 7] = bad[3 * per + 7].wrapping_add(1);
    let badp = dir.join("bad.npy");
    write_npy(&badp, &[N as u64, per as u64], &bad);
    let o = run(&folder, &badp, None);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains(&format!(
            "sample 3 ({}): output `output0`: 1 of 12 value(s) differ: [7] {} (expected {})",
            folder.join("x03.npy").display(),
            ys[3 * per + 7],
            bad[3 * per + 7]
        )),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("5 of 6 sample(s) equal to the expected outputs, byte for byte\n"),
        "{stdout}"
    );
    assert!(
        text(&o.stderr).contains("1 of 6 sample(s) differ"),
        "{}",
        text(&o.stderr)
    );

    // Expected outputs for another number of samples, an empty batch, an empty folder: exit 2.
    let fewer = dir.join("fewer.npy");
    write_npy(&fewer, &[2, per as u64], &ys[..2 * per]);
    let o = run(&xp, &fewer, None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("holds 2 expected sample(s) of output `output0`, but the inputs hold 6"),
        "{}",
        text(&o.stderr)
    );
    let empty = dir.join("empty.npy");
    dims[0] = 0;
    write_npy::<i8>(&empty, &dims, &[]);
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &empty]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("holds no samples"),
        "{}",
        text(&o.stderr)
    );
    let none = dir.join("none");
    std::fs::create_dir_all(&none).unwrap();
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &none]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("is a folder without .npy files"),
        "{}",
        text(&o.stderr)
    );
}

/// A 16x8 model (int16 activations): int16 `.npy` in, out and expected, equal to TFLM on every
/// recorded case; int8 data for its int16 input is refused naming both types; `--float` takes
/// float32 and dequantises the int16 output.
#[test]
fn int16_model_runs_on_int16_npy() {
    let dir = scratch("int16");
    let model = models().join("cnn_16x8.tflite");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(models().join("cnn_16x8.json")).unwrap())
            .unwrap();
    let ints = |t: &Value| -> Vec<i16> {
        t["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| i16::try_from(x.as_i64().unwrap()).unwrap())
            .collect()
    };
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 20);
    for (i, c) in cases.iter().enumerate() {
        let (x, want) = (ints(&c["input"][0]), ints(&c["output"][0]));
        let (xp, yp, ep) = (
            dir.join(format!("x{i}.npy")),
            dir.join(format!("y{i}.npy")),
            dir.join(format!("e{i}.npy")),
        );
        write_npy(&xp, &[1, 12, 12, 3], &x);
        write_npy(&ep, &[1, 5], &want);
        let o = nndc(&[
            Path::new("run"),
            &model,
            Path::new("--input"),
            &xp,
            Path::new("--output"),
            &yp,
            Path::new("--expect"),
            &ep,
        ]);
        assert_eq!(o.status.code(), Some(0), "case {i}: {}", text(&o.stderr));
        let (shape, y) = read_npy::<i16>(&yp);
        assert_eq!(shape, vec![1, 5]);
        assert_eq!(y, want, "case {i} differs from TFLM");
    }
    // An expected value off by one is reported with both values.
    let (x, mut want) = (ints(&cases[0]["input"][0]), ints(&cases[0]["output"][0]));
    want[2] = want[2].wrapping_add(1);
    let (xp, ep) = (dir.join("x.npy"), dir.join("bad.npy"));
    write_npy(&xp, &[1, 12, 12, 3], &x);
    write_npy(&ep, &[1, 5], &want);
    let o = nndc(&[
        Path::new("run"),
        &model,
        Path::new("--input"),
        &xp,
        Path::new("--expect"),
        &ep,
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "[2] {} (expected {})",
            want[2].wrapping_sub(1),
            want[2]
        )),
        "{out}"
    );
    // int8 data for the int16 input.
    let narrow: Vec<i8> = x.iter().map(|&v| (v >> 8) as i8).collect();
    let np = dir.join("narrow.npy");
    write_npy(&np, &[1, 12, 12, 3], &narrow);
    let o = nndc(&[Path::new("run"), &model, Path::new("--input"), &np]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(e.contains("holds int8") && e.contains("needs int16"), "{e}");
    // --float: float32 in, quantised with the input's scale; the output dequantised.
    let fp = dir.join("f.npy");
    write_npy(&fp, &[1, 12, 12, 3], &vec![0.25f32; 432]);
    let o = nndc(&[
        Path::new("run"),
        &model,
        Path::new("--input"),
        &fp,
        Path::new("--float"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("f32[5]"), "{}", text(&o.stdout));
}
