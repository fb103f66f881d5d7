//! The trybuild suite: compile-fail cases (`tests/ui/fail/*.rs`, each with the `.stderr` rustc
//! must print) and pass cases (`tests/ui/pass/*.rs`, compiled and run).
//!
//! The expected `.stderr` files depend on the rustc version (docs/macro.md names the pinned
//! one). Regenerate them with `TRYBUILD=overwrite cargo test -p nn-macros --test ui` and read
//! every diff: each error must point at the offending tokens.

#[test]
fn ui() {
    // trybuild compiles the cases in a crate under target/, so the macros would resolve their
    // paths there; point them at this crate instead.
    std::env::set_var("NND_MANIFEST_DIR_OVERRIDE", env!("CARGO_MANIFEST_DIR"));
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
