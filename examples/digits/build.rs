//! Compiles `model/digits.tflite` into `$OUT_DIR/digits.rs` with nnd's build.rs API.

// A build script reports failure on stderr; cargo shows it when the build fails.
#![allow(clippy::print_stderr)]

fn main() {
    if let Err(e) = nn_dsl::build::Build::new()
        .file("model/digits.tflite")
        .target("generic")
        .compile()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
