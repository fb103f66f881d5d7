//! Generates the runner's cases (`nnd_tests::runner_gen`) for the target named by `NND_TARGET`
//! (default `k210`).
#![allow(clippy::print_stderr)]

fn main() {
    if let Err(e) = nnd_tests::runner_gen::generate_for_env("k210") {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
