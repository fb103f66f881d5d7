//! trybuild cases of `nn_kernels::shaped`, the typenum API (issue 18 items 4-5): hand-composed
//! kernel chains with wrong shapes must fail `cargo check` (`shaped_ui/fail/*.rs`, each with the
//! `.stderr` rustc must print), correct chains must compile, run and equal the module
//! `network!` generates for the same network (`shaped_ui/pass/*.rs`).
//!
//! The expected `.stderr` files depend on the rustc version. Regenerate them with
//! `TRYBUILD=overwrite cargo test -p nnd-tests --test shaped_ui` and read every diff (the error
//! must still be at the wrong argument; docs/kernels.md explains how to read typenum types).

#[test]
fn shaped_ui() {
    // trybuild compiles the cases in a crate under target/; the network! macro resolves its
    // paths against this crate instead.
    std::env::set_var("NND_MANIFEST_DIR_OVERRIDE", env!("CARGO_MANIFEST_DIR"));
    let t = trybuild::TestCases::new();
    t.compile_fail("shaped_ui/fail/*.rs");
    t.pass("shaped_ui/pass/*.rs");
}
