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
