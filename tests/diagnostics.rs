//! Rendered-diagnostic snapshots of erroneous .nnd files: one file per kind of problem in
//! `tests/diagnostics/`, each snapshot holding the source and the full plain-text rendering.

#![allow(clippy::unwrap_used)]

use std::path::Path;

fn render(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let diagnostics = match nn_dsl::check::check_source(&source) {
        Ok((_, warnings)) => warnings,
        Err(diagnostics) => diagnostics,
    };
    assert!(
        !diagnostics.is_empty(),
        "{name} produced no diagnostic: every corpus file must show one"
    );
    let rendered = nn_dsl::diag::render::to_string(&name, &source, &diagnostics);
    format!("----- SOURCE\n{source}\n----- DIAGNOSTICS\n{rendered}")
}

#[test]
fn diagnostics_corpus() {
    insta::glob!("diagnostics/*.nnd", |path| {
        insta::assert_snapshot!(render(path));
    });
}

#[test]
fn corpus_is_large_enough() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("diagnostics");
    let count = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "nnd"))
        })
        .count();
    assert!(count >= 25, "only {count} corpus files");
}

/// Every checker code is documented in docs/diagnostics.md, and every code that .nnd text can
/// reach is produced by at least one corpus file.
#[test]
fn every_code_is_documented_and_exercised() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let docs = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let mut produced = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(root.join("tests/diagnostics")).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        let diagnostics = match nn_dsl::check::check_source(&source) {
            Ok((_, warnings)) => warnings,
            Err(diagnostics) => diagnostics,
        };
        produced.extend(diagnostics.iter().map(|d| d.code));
    }
    let mut codes: Vec<String> = (100..=128).map(|n| format!("E0{n}")).collect();
    codes.push("W0101".into());
    for code in &codes {
        assert!(
            docs.contains(&format!("\n## {code}\n")),
            "{code} not documented"
        );
        // E0125 (nesting deeper than 64 calls) is unreachable from text: the parser stops at 64.
        if code != "E0125" {
            assert!(
                produced.contains(code.as_str()),
                "no corpus file produces {code}"
            );
        }
    }
    for code in produced {
        assert!(
            code.starts_with("E00") || codes.iter().any(|c| c == code),
            "{code} undocumented"
        );
    }
}
