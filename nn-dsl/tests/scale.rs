//! Issue 16, item 1: inputs that used to take quadratic time, at the sizes that showed it, must
//! finish well within a generous bound (release build times before the fix: 41 s, 38 s, 11 s
//! and 21 s; after: under half a second each; a debug build is about ten times slower).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Far above the debug-build times after the fix (under 7 s), far below the times before.
const BOUND: Duration = Duration::from_secs(60);

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scale");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn timed(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_nndc"))
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    (out, start.elapsed())
}

fn network(body: impl Iterator<Item = String>, output: &str) -> String {
    let mut s = String::from("network Big {\n  input x: i8[4];\n");
    for line in body {
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str(output);
    s.push_str("\n}\n");
    s
}

#[test]
fn eight_thousand_undefined_names() {
    let text = network(
        (0..8000).map(|i| format!("  let a{i} = relu(undefined_name_{i});")),
        "  output y = relu(x);",
    );
    let path = scratch("undefined.nnd", &text);
    let (out, took) = timed(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("7950 more diagnostic(s) not shown"),
        "{:?}",
        err.lines().last()
    );
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn thirty_thousand_redefinitions() {
    let text = network(
        (0..30_000).map(|_| "  let a = relu(x);".to_string()),
        "  output y = relu(a);",
    );
    let path = scratch("redefined.nnd", &text);
    let (out, took) = timed(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is defined twice"));
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn a_chain_of_64k_layers_checks_and_plans() {
    let text = network(
        std::iter::once("  let a0 = relu(x);".to_string())
            .chain((1..64_000).map(|i| format!("  let a{i} = relu(a{});", i - 1))),
        "  output y = relu(a63999);",
    );
    let path = scratch("chain.nnd", &text);
    let p = path.to_str().unwrap();
    let (out, took) = timed(&["check", p]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < BOUND, "check took {took:?}");
    let (out, took) = timed(&["info", p]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("arena 32 bytes"));
    assert!(took < BOUND, "info took {took:?}");
}
