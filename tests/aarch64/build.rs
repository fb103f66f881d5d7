//! Generates the runner's cases (`nnd_tests::runner_gen`) for the target named by `NND_TARGET`
//! (default `aarch64`).
#![allow(clippy::print_stderr)]

fn main() {
    if let Err(e) = nnd_tests::runner_gen::generate_for_env("aarch64") {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
