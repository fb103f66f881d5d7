//! `nndc info` memory output: the section after the layer table, the JSON arena fields, the
//! `--memory` drawing (snapshot for kws) and `--svg FILE` (no overwrite without `--force`).

#![allow(clippy::unwrap_used)]

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

const KWS: &str = "../examples/mlperf/kws.nnd";

#[test]
fn info_has_a_memory_section_after_the_table() {
    let o = nndc(&["info", KWS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let table_end = out.find("output probs:").unwrap();
    let section = out
        .find("arena 16000 bytes, lower bound 16000 bytes")
        .unwrap();
    assert!(section > table_end, "{out}");
    assert!(out.contains("peak at step 1 `dw1`"), "{out}");
    assert!(
        out.contains("fc.flatten  i8[64]         arena       8000     64  10-11  alias of pool"),
        "{out}"
    );
    assert!(
        out.contains("probs       i8[12]         output 0       0     12  12-12"),
        "{out}"
    );
}

#[test]
fn info_json_gains_arena_fields() {
    for (model, arena) in [
        ("kws", 16000),
        ("vww", 55296),
        ("resnet8", 49152),
        ("ad", 256),
    ] {
        let o = nndc(&["info", "--json", &format!("../examples/mlperf/{model}.nnd")]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["total"]["arena_bytes"], arena, "{model}");
        assert_eq!(v["total"]["arena_lower_bound_bytes"], arena, "{model}");
        // The existing fields are still there.
        assert!(v["total"]["macs"].as_u64().unwrap() > 0);
        let layers = v["layers"].as_array().unwrap();
        for l in layers {
            assert!(l["name"].is_string() && l["output_shape"].is_array());
            let bytes = l["arena_bytes"].as_u64().unwrap();
            match l["memory"].as_str().unwrap() {
                "arena" => {
                    let offset = l["arena_offset"].as_u64().unwrap();
                    assert_eq!(offset % 16, 0);
                    assert!(offset + bytes <= arena as u64);
                }
                other => {
                    assert!(other.starts_with("output "), "{other}");
                    assert!(l["arena_offset"].is_null());
                    assert_eq!(bytes, 0);
                }
            }
        }
    }
    let o = nndc(&["info", "--json", KWS]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["total"]["arena_peak_layer"], "dw1");
    let flat = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "fc.flatten")
        .unwrap();
    let pool = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "pool")
        .unwrap();
    assert_eq!(flat["arena_offset"], pool["arena_offset"]);
}

#[test]
fn info_memory_draws_the_arena_for_kws() {
    let o = nndc(&["info", "--memory", KWS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("info_memory_kws", stdout(&o));
}

#[test]
fn memory_and_json_are_exclusive_and_force_needs_svg() {
    let o = nndc(&["info", "--memory", "--json", KWS]);
    assert_eq!(o.status.code(), Some(2));
    let o = nndc(&["info", "--force", KWS]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn svg_is_written_once_unless_forced() {
    let dir = std::env::temp_dir().join(format!("nndc-plan-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kws.svg");
    let _ = std::fs::remove_file(&path);
    let p = path.to_str().unwrap();

    let o = nndc(&["info", "--memory", "--svg", p, KWS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("Kws: arena 16000 bytes"));
    assert!(svg.ends_with("</svg>\n"));

    // An existing file is refused (exit 2), left untouched, and nothing goes to stdout.
    std::fs::write(&path, "keep me").unwrap();
    let o = nndc(&["info", "--svg", p, KWS]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already exists; pass --force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");

    let o = nndc(&["info", "--svg", p, "--force", KWS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), svg);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn info_in_place_shows_what_is_written_over_what() {
    let out = nndc(&["info", "../examples/mlperf/kws.nnd", "--in-place"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("arena 8656 bytes, lower bound 8656 bytes"),
        "{text}"
    );
    assert!(text.contains("over c1, rows forward\n"), "{text}");
    assert!(
        text.contains("over dw1, rows backward, 2 per call"),
        "{text}"
    );
    // The average pool is written over the last pointwise layer too.
    assert!(
        text.contains("over pw4, rows forward, 8 per call"),
        "{text}"
    );
    let plain = stdout(&nndc(&["info", "../examples/mlperf/kws.nnd"]));
    assert!(plain.contains("arena 16000 bytes"), "{plain}");
}

#[test]
fn info_reports_a_budget_it_cannot_meet() {
    let out = nndc(&[
        "info",
        "../examples/mlperf/resnet8.nnd",
        "--max-arena",
        "16000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    // The smallest plan (residual blocks fused) is the one reported.
    assert!(
        stderr(&out).contains("needs an arena of 19456 bytes, 3456 more than the budget of 16000"),
        "{}",
        stderr(&out)
    );
    let out = nndc(&[
        "info",
        "../examples/mlperf/resnet8.nnd",
        "--max-arena",
        "27000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("arena 19456 bytes"));
    let out = nndc(&["info", "../examples/mlperf/kws.nnd", "--max-arena", "12000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("arena 8704 bytes"));
}
