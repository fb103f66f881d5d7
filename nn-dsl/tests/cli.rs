//! Runs the real `nndc` binary: exit codes, rendered diagnostics, `info` text and JSON.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn nndc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nndc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn check_valid_network_exits_0_silently() {
    let o = nndc(&["check", "tests/cli/small.nnd"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), "");
}

#[test]
fn check_with_warnings_exits_0_and_shows_them() {
    let o = nndc(&["check", "tests/cli/warn.nnd"]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("warning[W0101]: tensor `unused` is never used by an output"),
        "{err}"
    );
    assert!(err.contains("tests/cli/warn.nnd:3:9"), "{err}");
}

#[test]
fn check_with_errors_exits_1_with_rendered_diagnostics() {
    let o = nndc(&["check", "tests/cli/bad.nnd"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("check_bad", stderr(&o));
    // No colour codes when stderr is not a terminal.
    assert!(!stderr(&o).contains('\u{1b}'));
}

#[test]
fn syntax_errors_exit_1() {
    let o = nndc(&["check", "tests/cli/syntax.nnd"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("tests/cli/syntax.nnd:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unreadable_inputs_exit_2_naming_the_file() {
    let o = nndc(&["check", "tests/cli/missing.nnd"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: cannot read `tests/cli/missing.nnd`: "),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let latin1 = dir.join("latin1.nnd");
    std::fs::write(
        &latin1,
        b"network N { input x: i8[4]; // caf\xe9\n output x; }",
    )
    .unwrap();
    let o = nndc(&["info", latin1.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not valid UTF-8 (invalid byte at offset 34)"),
        "{}",
        stderr(&o)
    );

    let o = nndc(&["check", "tests/cli"]);
    assert_eq!(o.status.code(), Some(2), "a directory is not a file");

    let o = nndc(&["info", "model.tflite"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read `model.tflite`"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(nndc(&[]).status.code(), Some(2));
    assert_eq!(nndc(&["compile", "x.nnd"]).status.code(), Some(2));
    assert_eq!(nndc(&["check"]).status.code(), Some(2));
    assert_eq!(nndc(&["info", "--jsn", "a.nnd"]).status.code(), Some(2));
    let help = nndc(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    insta::assert_snapshot!("help", stdout(&help));
}

#[test]
fn info_text_table() {
    let o = nndc(&["info", "tests/cli/small.nnd"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("info_small", stdout(&o));
}

#[test]
fn info_json() {
    let o = nndc(&["info", "--json", "tests/cli/small.nnd"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    insta::assert_snapshot!("info_small_json", text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let layers = v["layers"].as_array().unwrap();
    let sum: u64 = layers.iter().map(|l| l["macs"].as_u64().unwrap()).sum();
    assert_eq!(v["total"]["macs"].as_u64(), Some(sum));
    assert!(
        layers.iter().all(|l| l["name"] != "x"),
        "inputs are not layers"
    );
}

#[test]
fn info_on_errors_prints_diagnostics_and_exits_1() {
    let o = nndc(&["info", "--json", "tests/cli/bad.nnd"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("error[E0117]"));
}

/// The MLPerf Tiny reference models: published MAC counts, exactly.
#[test]
fn mlperf_mac_totals() {
    let expected = [
        ("kws", "Kws", 2_656_768u64),
        ("vww", "Vww", 7_489_664),
        ("resnet8", "Resnet8", 12_501_632),
        ("ad", "Ad", 264_192),
    ];
    for (file, network, macs) in expected {
        let path = format!("../examples/mlperf/{file}.nnd");
        let o = nndc(&["check", &path]);
        assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{path} has warnings");
        let o = nndc(&["info", "--json", &path]);
        assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["network"], network);
        assert_eq!(v["total"]["macs"].as_u64(), Some(macs), "{path}");
        insta::assert_snapshot!(format!("info_mlperf_{file}"), stdout(&o));
    }
}

#[test]
fn mlperf_info_text_shows_totals() {
    let o = nndc(&["info", "../examples/mlperf/kws.nnd"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("info_mlperf_kws_text", stdout(&o));
}

/// Issue 16, item 3: a network whose arena no target can hold (2^31 bytes here; every tensor
/// fits int32) used to pass `check` and `build` (`ARENA_BYTES = 2147483648`) and abort `run` on
/// allocation. `check`, `info` and `build` now refuse it with E0126, naming the file, the layer
/// at the peak and the size.
#[test]
fn arena_beyond_any_target_is_an_error() {
    for cmd in ["check", "info", "build"] {
        let o = nndc(&[cmd, "tests/cli/arena_too_large.nnd"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains(
                "error[E0126]: network `Big` needs an activation arena of 2147483648 bytes, more \
                 than any target can hold (2147483647 bytes)"
            ),
            "{cmd}: {err}"
        );
        assert!(
            err.contains("tests/cli/arena_too_large.nnd:5:13"),
            "{cmd}: {err}"
        );
        assert!(
            err.contains("help: make the tensors live at `p` smaller"),
            "{cmd}: {err}"
        );
        assert_eq!(stdout(&o), "", "{cmd}");
    }
}
