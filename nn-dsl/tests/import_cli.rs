//! `nndc import`, and `nndc check` / `nndc info` on `.tflite` files: exit codes, messages, the
//! no-overwrite rule, and that the written pair checks and describes the same network.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "tflite/writer.rs"]
mod writer;

fn nndc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nndc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("nndc runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fresh_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import_cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

const KWS: &str = "../tests/vectors/models/ds_cnn_kws.tflite";

#[test]
fn import_writes_the_pair_and_refuses_to_overwrite() {
    let dir = fresh_dir("kws");
    let d = dir.to_str().unwrap();
    let o = nndc(&["import", KWS, "-o", d]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("ds_cnn_kws.nnd (13 layers)"),
        "{}",
        text(&o.stdout)
    );
    let nnd = dir.join("ds_cnn_kws.nnd");
    let source = std::fs::read_to_string(&nnd).unwrap();
    assert!(source.contains("network DsCnnKws {"));
    assert!(source.contains("weights \"ds_cnn_kws.safetensors\";"));
    assert!(dir.join("ds_cnn_kws.safetensors").exists());

    // Again: refused, files untouched; with --force: rewritten identically.
    let o = nndc(&["import", KWS, "-o", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("already exists; pass --force"),
        "{}",
        text(&o.stderr)
    );
    let o = nndc(&["import", KWS, "-o", d, "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&nnd).unwrap(), source);

    // --name picks the file names and the network name.
    let o = nndc(&["import", KWS, "-o", d, "--name", "kws"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::read_to_string(dir.join("kws.nnd"))
        .unwrap()
        .contains("network Kws {"));
    let o = nndc(&["import", KWS, "-o", d, "--name", "a/b"]);
    assert_eq!(o.status.code(), Some(2));

    // The written .nnd checks, and `info` reports the same layers and totals as on the .tflite.
    let o = nndc(&["check", nnd.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let a = nndc(&["info", "--json", KWS]);
    let b = nndc(&["info", "--json", nnd.to_str().unwrap()]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&a.stdout).unwrap(),
        serde_json::from_slice(&b.stdout).unwrap(),
    );
    assert_eq!(a["layers"], b["layers"]);
    assert_eq!(a["total"]["macs"], b["total"]["macs"]);
    assert!(a["total"]["macs"].as_u64().unwrap() > 2_000_000);
}

#[test]
fn tflite_problems_exit_1_or_2_with_a_message() {
    // A valid model the importer refuses: E0300, exit 1.
    let o = nndc(&["check", "tests/tflite/converter/mixed_f32.tflite"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "error[E0300]: `tests/tflite/converter/mixed_f32.tflite`: operator 0 (CONV_2D)"
        ) && err.contains("FLOAT32"),
        "{err}"
    );
    let o = nndc(&[
        "import",
        "tests/tflite/converter/mixed_f32.tflite",
        "-o",
        fresh_dir("f32").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        !fresh_dir("f32").exists(),
        "nothing is written for a refused model"
    );
    // Not a model at all: exit 2, one line naming the file.
    let o = nndc(&["check", "tests/tflite/malformed/truncated_50pct.tflite"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("error: cannot read `tests/tflite/malformed/truncated_50pct.tflite`: not a valid .tflite model"));
    let o = nndc(&["info", "missing.tflite"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Issue 16 item 10: a model with several unsupported operators is refused at once, naming every
/// one, with the file path, by the same message in `check`, `info`, `import`, `build` and `run`.
#[test]
fn unsupported_operators_are_refused_at_once_everywhere() {
    use writer::*;
    const BIDIRECTIONAL_SEQUENCE_LSTM: i32 = 52;
    const GATHER: i32 = 36;
    const RESIZE_BILINEAR: i32 = 23;
    let q = MQuant::per_tensor(0.1, 0);
    let tensors = (0..6)
        .map(|i| MTensor::new(&format!("t{i}"), &[1, 4], INT8, 0).q(q.clone()))
        .collect();
    let ops = [(0, 0, 1), (2, 1, 2), (1, 2, 3), (0, 3, 4), (1, 4, 5)]
        .iter()
        .map(|&(c, i, o)| MOp::new(c, &[i], &[o], MOptions::None))
        .collect();
    let m = MModel::new(
        [BIDIRECTIONAL_SEQUENCE_LSTM, RESIZE_BILINEAR, GATHER]
            .iter()
            .map(|&c| MOpcode::builtin(c))
            .collect(),
        MSubgraph {
            name: Some("main".into()),
            tensors,
            inputs: vec![0],
            outputs: vec![5],
            operators: ops,
        },
        vec![MBuffer::empty()],
    );
    let dir = fresh_dir("unsupported");
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("conv1d.tflite");
    std::fs::write(&model, m.build()).unwrap();
    // The `network!` macro's compile-fail case reads the same model.
    assert_eq!(
        std::fs::read("../nn-macros/tests/ui/data/unsupported_ops.tflite").unwrap(),
        m.build(),
        "nn-macros/tests/ui/data/unsupported_ops.tflite is this model"
    );
    let path = model.to_str().unwrap();
    let message = "3 operator types are not supported (5 operators in all): \
                   BIDIRECTIONAL_SEQUENCE_LSTM (operators 0, 3), GATHER (operator 1), \
                   RESIZE_BILINEAR (operators 2, 4); supported operators: CONV_2D";
    let out = dir.join("out");
    let rs = dir.join("conv1d.rs");
    let x = dir.join("x.npy");
    let runs: [Vec<&str>; 5] = [
        vec!["check", path],
        vec!["info", path],
        vec!["import", path, "-o", out.to_str().unwrap()],
        vec!["build", path, "-o", rs.to_str().unwrap()],
        vec!["run", path, "--input", x.to_str().unwrap()],
    ];
    for args in runs {
        let o = nndc(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(
            err.contains(&format!("`{path}`: {message}")),
            "{args:?} names the file: {err}"
        );
        assert_eq!(err.matches("not supported").count(), 1, "{args:?}: {err}");
    }
    assert!(!out.exists() && !rs.exists(), "nothing is written");
}
